// Progressive enhancement only: every control works without this file (the forms have
// submit buttons). With it, ticking a facet or changing the sort applies at once.
document.addEventListener("change", (event) => {
  const control = event.target;
  if (control.matches(".facets input[type=checkbox], select#sort")) {
    control.form.requestSubmit();
  }
});
