// Page behaviour lives here, never inline: the Content-Security-Policy allows scripts from
// this site only ('self'), so inline <script> bodies and on*="" attributes would not run.

// Read-only fields holding something to copy (invite links) select their text on click.
document.addEventListener("click", (event) => {
  const field = event.target.closest("[data-select-on-click]");
  if (field) field.select();
});

// htmx swaps nothing when the answer is an error (4xx/5xx) or never comes, so without this an
// htmx action that fails (the 503 page of a Redis outage, a refused form) would leave the page
// silent. Show the server's own words above the content; the next successful htmx answer
// clears them.
const ERROR_LIST_ID = "htmx-error";

function serverMessage(xhr) {
  const body = (xhr && xhr.responseText) || "";
  if (!body.trim()) return "";
  if ((xhr.getResponseHeader("Content-Type") || "").startsWith("text/html")) {
    // An error page: its heading and first paragraph say what happened and what to do.
    const page = new DOMParser().parseFromString(body, "text/html");
    const root = page.querySelector("main") || page.body;
    return [...root.querySelectorAll("h1, p")]
      .slice(0, 2)
      .map((node) => node.textContent.replace(/\s+/g, " ").trim())
      .join(" ");
  }
  return body.trim().slice(0, 500);
}

function showError(text) {
  let list = document.getElementById(ERROR_LIST_ID);
  if (!list) {
    list = document.createElement("ul");
    list.id = ERROR_LIST_ID;
    list.className = "messages";
    list.setAttribute("role", "alert");
    (document.querySelector("main") || document.body).prepend(list);
  }
  const item = document.createElement("li");
  item.className = "msg msg-error";
  item.textContent = text; // text, never HTML: the answer is not trusted markup
  list.replaceChildren(item);
}

document.addEventListener("htmx:responseError", (event) => {
  const xhr = event.detail.xhr;
  showError(serverMessage(xhr) || `The server answered ${xhr.status}. Please try again in a moment.`);
});

document.addEventListener("htmx:sendError", () => {
  showError("The server could not be reached. Check your connection and try again.");
});

document.addEventListener("htmx:timeout", () => {
  showError("The server took too long to answer. Please try again in a moment.");
});

document.addEventListener("htmx:afterRequest", (event) => {
  if (event.detail.successful) document.getElementById(ERROR_LIST_ID)?.remove();
});

// A plain (non-htmx) form whose action cannot be undone asks first: data-confirm holds the question.
document.addEventListener("submit", (event) => {
  const form = event.target.closest("form[data-confirm]");
  if (form && !window.confirm(form.dataset.confirm)) event.preventDefault();
});
