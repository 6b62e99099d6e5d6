// Page behaviour lives here, never inline: the Content-Security-Policy allows scripts from
// this site only ('self'), so inline <script> bodies and on*="" attributes would not run.

// Read-only fields holding something to copy (invite links) select their text on click.
document.addEventListener("click", (event) => {
  const field = event.target.closest("[data-select-on-click]");
  if (field) field.select();
});
