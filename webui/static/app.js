// Progressive enhancement only: every control works without this file (the forms have
// submit buttons). With it, ticking a facet or changing the sort applies at once.
document.addEventListener("change", (event) => {
  const control = event.target;
  if (control.matches(".facets input[type=checkbox], select#sort, select#cite-style")) {
    control.form.requestSubmit();
  }
});

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
