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
    // An error page: its heading and first paragraph say what happened and what to do. It is
    // read as an inert template: a parsed document would apply the page's styles, and an error
    // page with inline ones (Django's debug pages) would break the policy (console violations).
    const page = document.createElement("template");
    page.innerHTML = body;
    const root = page.content.querySelector("main") || page.content;
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

// "Copy link" beside a read-only field (the Business Center QR code's link): copy its value
// and say so on the button; where the clipboard is refused, the field is selected for Ctrl-C.
document.addEventListener("click", async (event) => {
  const button = event.target.closest("[data-copy]");
  if (!button) return;
  const field = document.getElementById(button.dataset.copy);
  if (!field) return;
  const label = button.dataset.label || button.textContent;
  button.dataset.label = label;
  try {
    await navigator.clipboard.writeText(field.value);
    button.textContent = "Copied";
  } catch {
    field.select();
    button.textContent = "Press Ctrl-C to copy";
  }
  setTimeout(() => { button.textContent = label; }, 2500);
});

// A posted form usually waits on TikTok. Until the answer comes, its button is disabled (no
// second write from a second click) and says it is working. htmx forms do the same through
// hx-disabled-elt; this covers the plain ones. The disabling waits a tick so the clicked
// button's own name and value are still sent.
document.addEventListener("submit", (event) => {
  const form = event.target;
  if (event.defaultPrevented || (form.method || "").toLowerCase() !== "post") return;
  const button = event.submitter || form.querySelector("button:not([type=button])");
  form.setAttribute("aria-busy", "true");
  if (!button) return;
  setTimeout(() => {
    button.disabled = true;
    button.dataset.label = button.textContent;
    button.textContent = button.dataset.busy || "Working…";
  }, 0);
});

// Back/forward from the page cache would show the button still busy: give it back.
window.addEventListener("pageshow", () => {
  for (const button of document.querySelectorAll("button[data-label]:disabled")) {
    button.disabled = false;
    button.textContent = button.dataset.label;
  }
  for (const form of document.querySelectorAll("form[aria-busy]")) form.removeAttribute("aria-busy");
});

// On phones a table's rows are cards (app.css) whose cells name their column: each cell gets
// its header's text as data-label, on load and in every fragment htmx swaps in. The header
// stays the one place a column is named.
function labelCells(root) {
  const within = root.closest && root.closest("table");
  const tables = within ? [within] : root.querySelectorAll ? root.querySelectorAll("table") : [];
  for (const table of tables) {
    const heads = [...table.querySelectorAll(":scope > thead th")].map((th) => th.textContent.replace(/\s+/g, " ").trim());
    if (!heads.length) continue;
    for (const row of table.querySelectorAll(":scope > tbody > tr")) {
      let column = 0;
      for (const cell of row.cells) {
        // A cell across several columns ("Nothing yet") belongs to none of them.
        if (heads[column] && cell.colSpan === 1 && !cell.hasAttribute("data-label")) cell.dataset.label = heads[column];
        column += cell.colSpan;
      }
    }
  }
}

document.addEventListener("htmx:load", (event) => labelCells(event.target));
