// DOM helpers. Everything shown goes through text nodes or attributes,
// never HTML parsing.

// h builds an element: attrs are attributes, on* keys listeners; children
// are nodes, strings (as text) or arrays of them.
export function h(tag, attrs = {}, ...children) {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (v === undefined || v === null || v === false) continue;
    if (k.startsWith("on") && typeof v === "function") el.addEventListener(k.slice(2), v);
    else if (k === "value") el.value = v;
    else if (k === "checked") el.checked = v;
    else el.setAttribute(k, v === true ? "" : String(v));
  }
  append(el, children);
  return el;
}

function append(el, children) {
  for (const c of children) {
    if (c === undefined || c === null || c === false) continue;
    if (Array.isArray(c)) append(el, c);
    else el.append(c instanceof Node ? c : document.createTextNode(String(c)));
  }
}

// table is a list table: column headings, then the body's rows (or a
// tbody element).
export function table(heads, body, attrs = {}) {
  return h("table", { class: "list", ...attrs }, h("thead", {}, h("tr", {}, heads.map((t) => h("th", { scope: "col" }, t)))),
    body instanceof Node ? body : h("tbody", {}, body));
}

// row is a table row of cells (nodes or text).
export const row = (...cells) => h("tr", {}, cells.map((c) => h("td", {}, c)));

// pager links the pages of a list answer: hrefFor(page) is a page's link.
export function pager(list, noun, hrefFor) {
  const pages = Math.max(1, Math.ceil(list.total / list.per_page));
  return h("nav", { class: "row pager", "aria-label": "Pages" },
    list.page > 1 ? h("a", { href: hrefFor(list.page - 1), rel: "prev" }, "← Previous") : null,
    h("span", { class: "muted" }, `${list.total} ${noun}, page ${list.page} of ${pages}`),
    list.page < pages ? h("a", { href: hrefFor(list.page + 1), rel: "next" }, "Next →") : null);
}

// go shows the page at hash, even when it is the current one.
export function go(hash) {
  if (location.hash === hash) window.dispatchEvent(new HashChangeEvent("hashchange"));
  else location.hash = hash;
}

// view replaces the main area with the nodes and focuses its heading.
export function view(...nodes) {
  const main = document.getElementById("view");
  main.replaceChildren(...nodes.flat());
  main.dataset.rendered = String(Number(main.dataset.rendered || 0) + 1); // pages shown so far
  const h1 = main.querySelector("h1");
  if (h1) { h1.tabIndex = -1; h1.focus(); }
  return main;
}

let fieldSeq = 0;

// field is a labelled input with an error slot for the server's message
// about it. opts: type, value, options (for a select), rows (textarea),
// hint, attrs.
export function field(label, name, opts = {}) {
  const id = "f" + ++fieldSeq + "-" + name.replace(/[^a-z0-9_-]/gi, "_");
  const err = h("p", { class: "error", id: id + "-err", "data-error-for": name, "aria-live": "polite" });
  let input;
  const common = { id, name, "aria-describedby": id + "-err", ...(opts.attrs || {}) };
  if (opts.options) {
    input = h("select", common, opts.options.map(([v, t]) => h("option", { value: v, selected: v === opts.value }, t)));
  } else if (opts.rows) {
    input = h("textarea", { ...common, rows: opts.rows, value: opts.value ?? "" });
  } else {
    input = h("input", { ...common, type: opts.type || "text", value: opts.value ?? "" });
  }
  return h("div", { class: "field" }, h("label", { for: id }, label), input,
    opts.hint ? h("small", { class: "hint" }, opts.hint) : null, err);
}

// clearErrors empties a form's error slots.
export function clearErrors(form) {
  for (const e of form.querySelectorAll(".error")) e.textContent = "";
  for (const i of form.querySelectorAll("[aria-invalid]")) i.removeAttribute("aria-invalid");
}

// showError puts an API error next to the field it names (the error's
// "field"; prefix picks a row such as "tiers[2]."), else at the form's top.
export function showError(form, err, slotFor = (e) => e.body?.field) {
  clearErrors(form);
  const name = slotFor(err);
  const slot = name && form.querySelector(`[data-error-for="${CSS.escape(name)}"]`);
  const target = slot || form.querySelector(".form-error");
  target.textContent = err.message;
  if (slot) {
    const input = form.querySelector(`[aria-describedby="${slot.id}"]`);
    if (input) { input.setAttribute("aria-invalid", "true"); input.focus(); }
  } else {
    target.focus?.();
  }
}

// formError is the slot for errors that name no field.
export const formError = () => h("p", { class: "error form-error", role: "alert", tabindex: "-1", "data-error-for": "" });

// toast shows a short message.
export function toast(msg) {
  const t = document.getElementById("toast");
  t.textContent = msg;
  t.classList.add("show");
  clearTimeout(toast.timer);
  toast.timer = setTimeout(() => t.classList.remove("show"), 4000);
}

// confirmDialog asks a yes/no question in a modal dialog; resolves true on
// yes.
export function confirmDialog(title, text, yes) {
  return new Promise((resolve) => {
    const dlg = h("dialog", { class: "confirm", "aria-labelledby": "dlg-title" },
      h("h2", { id: "dlg-title" }, title), h("p", {}, text),
      h("form", { method: "dialog", class: "row" },
        h("button", { value: "no", type: "submit" }, "Cancel"),
        h("button", { value: "yes", type: "submit", class: "primary danger", id: "dlg-yes" }, yes)));
    dlg.addEventListener("close", () => { resolve(dlg.returnValue === "yes"); dlg.remove(); });
    document.body.append(dlg);
    dlg.showModal();
  });
}

// busy disables a button while fn runs.
export async function busy(button, fn) {
  button.disabled = true;
  try { return await fn(); } finally { button.disabled = false; }
}

// Dates: the API speaks RFC 3339; forms use datetime-local in the
// browser's time zone.
export function toLocalInput(iso) {
  if (!iso) return "";
  const d = new Date(iso);
  const pad = (n) => String(n).padStart(2, "0");
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}T${pad(d.getHours())}:${pad(d.getMinutes())}`;
}

export function fromLocalInput(v) {
  if (!v) return "";
  const d = new Date(v);
  return isNaN(d) ? v : d.toISOString().replace(/\.\d{3}Z$/, "Z");
}

export const when = (iso) => (iso ? new Date(iso).toLocaleString() : "—");
export const money = (cents) => (Number(cents) / 100).toFixed(2);
