// The sandbox's pages send a Content-Security-Policy too: behaviour lives here, not inline.

// Forms with data-confirm ask before they submit (e.g. "Reset and reseed").
document.addEventListener("submit", (event) => {
  const question = event.target.dataset.confirm;
  if (question && !window.confirm(question)) event.preventDefault();
});
