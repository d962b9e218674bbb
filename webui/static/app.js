// Progressive enhancement only: every control works without this file (the forms have
// submit buttons). With it, ticking a facet or changing the sort applies at once.
document.addEventListener("change", (event) => {
  const control = event.target;
  if (control.matches(".facets input[type=checkbox], select#sort, select#cite-style")) {
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
// The Cite box's copy button: shown only where the script runs (it needs the clipboard);
// a button, so Enter and Space press it from the keyboard.
for (const button of document.querySelectorAll("button.copy[data-copy]")) {
  button.hidden = false;
  button.addEventListener("click", async () => {
    const source = document.getElementById(button.dataset.copy);
    const status = button.parentElement.querySelector(".copied");
    const text = source.innerText.replace(/\s+/g, " ").trim();
    try {
      await navigator.clipboard.writeText(text);
      if (status) status.textContent = "Copied.";
    } catch (error) {
      // No clipboard (an insecure page, a refusal): select the text to copy by hand.
      window.getSelection().selectAllChildren(source);
      if (status) status.textContent = "Press Ctrl+C to copy the selected reference.";
    }
  });
}
