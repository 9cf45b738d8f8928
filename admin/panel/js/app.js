// The admin panel: hash routes, login and logout.
import { api, token, setDeniedHandler } from "./api.js";
import { h, view, go, field, formError, showError, busy } from "./ui.js";
import { venueList, venuePage } from "./venues.js";
import { seatEditor } from "./seatmap.js";
import { showList, showPage } from "./shows.js";
import { sessionPage } from "./sessions.js";
import { dashboard } from "./dashboard.js";
import { orderSearch, orderPage, refundList } from "./orders.js";

const routes = [
  [/^#\/venues(?:\?(.*))?$/, (m) => venueList(new URLSearchParams(m[1] || ""))],
  [/^#\/venues\/new$/, () => venuePage(0)],
  [/^#\/venues\/(\d+)$/, (m) => venuePage(Number(m[1]))],
  [/^#\/venues\/(\d+)\/seats$/, (m) => seatEditor(Number(m[1]))],
  [/^#\/shows(?:\?(.*))?$/, (m) => showList(new URLSearchParams(m[1] || ""))],
  [/^#\/shows\/new$/, () => showPage(0)],
  [/^#\/shows\/(\d+)$/, (m) => showPage(Number(m[1]))],
  [/^#\/sessions\/(\d+)$/, (m) => sessionPage(Number(m[1]))],
  [/^#\/sessions\/(\d+)\/live$/, (m) => dashboard(Number(m[1]))],
  [/^#\/orders(?:\?(.*))?$/, (m) => orderSearch(new URLSearchParams(m[1] || ""))],
  [/^#\/orders\/refunds(?:\?(.*))?$/, (m) => refundList(new URLSearchParams(m[1] || ""))],
  [/^#\/orders\/([^/?]+)$/, (m) => orderPage(decodeURIComponent(m[1]))],
];

// leave is the current page's cleanup (e.g. stop polling).
let leave = null;
let deniedMessage = "";

// route shows the page of the location's hash. Pages load one at a time:
// a hash that changes while one loads is shown after it, so the last wins.
let routing = false, again = false;
async function route() {
  if (routing) { again = true; return; }
  routing = true;
  do { again = false; await show(); } while (again);
  routing = false;
}

async function show() {
  if (leave) { leave(); leave = null; }
  const hash = location.hash || "#/shows";
  document.getElementById("nav").hidden = !token.get();
  if (!token.get() || hash === "#/login") return login();
  for (const [re, page] of routes) {
    const m = hash.match(re);
    if (m) {
      try {
        leave = (await page(m)) || null;
      } catch (err) {
        view(h("h1", {}, "Something went wrong"), h("p", { class: "error", role: "alert" }, err.message));
      }
      return;
    }
  }
  view(h("h1", {}, "Not found"), h("p", {}, "There is no such page. "), h("a", { href: "#/shows" }, "Back to shows"));
}

function login() {
  document.getElementById("nav").hidden = true;
  const form = h("form", { class: "edit login", novalidate: true },
    h("p", { class: "notice", role: "alert", hidden: !deniedMessage }, deniedMessage), formError(),
    field("Email", "email", { type: "email", attrs: { autocomplete: "username" } }),
    field("Password", "password", { type: "password", attrs: { autocomplete: "current-password" } }),
    h("div", { class: "row" }, h("button", { type: "submit", class: "primary" }, "Log in")));
  form.addEventListener("submit", (e) => {
    e.preventDefault();
    busy(form.querySelector("button"), async () => {
      const body = { email: form.email.value, password: form.password.value };
      try {
        const { data } = await api("POST", "/login", { body });
        token.set(data.token);
        deniedMessage = "";
        go("#/shows");
      } catch (err) {
        if (err.code === "rate_limited") {
          err.message = `Too many failed logins: locked out. Try again in ${err.retryAfter || "a few"} seconds.`;
        }
        showError(form, err);
      }
    });
  });
  view(h("h1", {}, "Log in"), form);
}

// A 401 (no or expired token) or 403 (not an admin) ends the session.
setDeniedHandler((err) => {
  token.clear();
  deniedMessage = err.status === 403 ? "This account is not an admin: the panel needs the admin role."
    : "Your session has ended; log in again.";
  go("#/login");
});

document.getElementById("logout").addEventListener("click", () => {
  token.clear();
  deniedMessage = "";
  go("#/login");
});

window.addEventListener("hashchange", route);
route();
