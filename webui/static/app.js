// Progressive enhancement only: every control works without this file (the forms have
// submit buttons). With it, ticking a facet or changing the sort applies at once.
document.addEventListener("change", (event) => {
  const control = event.target;
  if (control.matches(".facets input[type=checkbox], select#sort")) {
    control.form.requestSubmit();
  }
});

// The filters are one folded "Filters (n)" control on a narrow screen and an open column on
// a wide one (style.css shows them there either way): keep the element's open state, which
// screen readers announce, in step with what is shown.
const wide = window.matchMedia("(min-width: 60rem)");
const followWidth = () => {
  for (const filters of document.querySelectorAll("details.filters")) {
    filters.open = wide.matches;
  }
};
followWidth();
wide.addEventListener("change", followWidth);
