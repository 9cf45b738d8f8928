// Sessions: dates, venue, windows, limits; price tiers; the sale actions.
import { api } from "./api.js";
import { h, view, go, table, row, toast, confirmDialog, busy, when, toLocalInput, fromLocalInput, money,
  formError, showError, clearErrors } from "./ui.js";
import { editForm } from "./forms.js";
import { venuePicker } from "./venues.js";

const TIMES = ["starts_at", "reserve_opens_at", "reserve_closes_at", "sale_opens_at", "sale_closes_at"];

function sessionFields(withState) {
  const f = [
    { name: "venue_id", label: "Venue", build: venuePicker },
    { name: "starts_at", label: "Show starts", type: "datetime-local" },
    { name: "reserve_opens_at", label: "Reservations open", type: "datetime-local" },
    { name: "reserve_closes_at", label: "Reservations close", type: "datetime-local" },
    { name: "sale_opens_at", label: "Sale opens", type: "datetime-local" },
    { name: "sale_closes_at", label: "Sale closes", type: "datetime-local" },
    { name: "seat_limit", label: "Seats per buyer", type: "number", hint: "1 to 20; default 4." },
    { name: "hold_seconds", label: "Hold time (seconds)", type: "number", hint: "How long a grab holds seats before payment; default 900." },
  ];
  if (withState) f.push({ name: "state", label: "State", options: [["DRAFT", "DRAFT"], ["RESERVING", "RESERVING"],
    ["ARMED", "ARMED"], ["ON_SALE", "ON_SALE"], ["CLOSED", "CLOSED"]] });
  return f;
}

// sessionBody turns form values into the API's body.
function sessionBody(showId) {
  return (v) => {
    const body = { show_id: showId, venue_id: Number(v.venue_id) };
    for (const t of TIMES) body[t] = fromLocalInput(v[t]);
    for (const n of ["seat_limit", "hold_seconds"]) if (v[n] !== "") body[n] = Number(v[n]);
    if (v.state) body.state = v.state;
    return body;
  };
}

// checkWindows: reservations before the sale, the sale before the show.
function checkWindows(b) {
  const t = Object.fromEntries(TIMES.map((k) => [k, b[k] ? Date.parse(b[k]) : NaN]));
  const order = [["reserve_closes_at", "reserve_opens_at", "Reservations must close at or after they open."],
    ["sale_opens_at", "reserve_closes_at", "The sale must open at or after reservations close."],
    ["sale_closes_at", "sale_opens_at", "The sale must close after it opens.", true],
    ["starts_at", "sale_opens_at", "The show must start after the sale opens.", true]];
  for (const [later, earlier, message, strict] of order) {
    if (isNaN(t[later]) || isNaN(t[earlier])) continue;
    if (t[later] < t[earlier] || (strict && t[later] === t[earlier])) return { field: later, message };
  }
  return null;
}

function sessionValues(s) {
  const v = { venue_id: String(s.venue_id), seat_limit: s.seat_limit, hold_seconds: s.hold_seconds, state: s.state };
  for (const t of TIMES) v[t] = toLocalInput(s[t]);
  return v;
}

export function newSessionForm(showId) {
  return editForm({
    fields: sessionFields(false), values: {},
    read: sessionBody(showId), check: checkWindows, submitLabel: "Create session",
    save: (body) => api("POST", "/sessions", { body }),
    valuesOf: sessionValues,
    saved: (d) => go(`#/sessions/${d.id}`),
  });
}

export async function sessionPage(id) {
  const [{ data: s, version }, { data: tiers }] = await Promise.all([
    api("GET", `/sessions/${id}`), api("GET", `/sessions/${id}/tiers`)]);
  const { data: show } = await api("GET", `/shows/${s.show_id}`);
  const form = editForm({
    fields: sessionFields(true), values: sessionValues(s), version,
    read: sessionBody(s.show_id), check: checkWindows,
    save: (body, v) => api("PUT", `/sessions/${id}`, { body, version: v }),
    load: () => api("GET", `/sessions/${id}`),
    valuesOf: sessionValues,
    saved: () => go(`#/sessions/${id}`), // the state and the sale actions may have changed
  });
  view(h("h1", {}, `Session of ${show.title}`),
    h("p", {}, h("a", { href: `#/shows/${show.id}` }, "← " + show.title), " · starts ", when(s.starts_at)),
    saleActions(id, s),
    form,
    tierEditor(id, tiers.tiers, form));
}

// saleActions are the buttons that move the sale along, each confirmed
// with what it does.
function saleActions(id, s) {
  const box = h("section", { class: "sale", "aria-labelledby": "sale-h" },
    h("h2", { id: "sale-h" }, "Sale"), h("p", {}, "State: ", h("strong", { class: "state" }, s.state)));
  const out = h("p", { class: "error", role: "alert" });
  const act = (label, verb, title, text) => {
    const b = h("button", { type: "button", class: "primary", "data-action": verb }, label);
    b.onclick = () => busy(b, async () => {
      if (!(await confirmDialog(title, text, label))) return;
      try {
        await api("POST", `/sessions/${id}/${verb}`);
        toast(`${label}: done.`);
        go(verb === "arm" ? `#/sessions/${id}` : `#/sessions/${id}/live`);
      } catch (err) { out.textContent = err.message; }
    });
    return b;
  };
  const buttons = [];
  if (s.state === "RESERVING" || s.state === "ARMED") {
    buttons.push(act(s.state === "ARMED" ? "Re-arm" : "Arm", "arm", "Arm the sale?",
      "Arming freezes this session's seat map and price tiers (the venue's seats cannot be edited while it is armed) " +
      "and loads the seats, prices, limits and the buyers who reserved into the sale. Buyers cannot reserve any more."));
  }
  if (s.state === "ARMED") {
    buttons.push(act("Open the sale", "open", "Open the sale?",
      `Buyers who reserved can grab seats from now until the sale closes (${when(s.sale_closes_at)}).`));
  }
  if (s.state === "ON_SALE") {
    buttons.push(act("Close the sale", "close", "Close the sale?",
      "Closing stops grabs at once. Seats already held can still be paid until their hold expires."));
  }
  if (["ARMED", "ON_SALE", "CLOSED"].includes(s.state)) {
    buttons.push(h("a", { href: `#/sessions/${id}/live`, class: "button" }, "Live dashboard"));
  }
  box.append(h("div", { class: "row" }, buttons), out);
  return box;
}

// tierEditor edits the session's price tiers; a save bumps the session's
// version, which the session form shares.
function tierEditor(id, tiers, sessionForm) {
  const body = h("tbody");
  const form = h("form", { class: "edit tiers", novalidate: true }, formError(),
    table(["Code", "Name", "Price", ""], body));
  const addRow = (t = { code: "", name: "", price_cents: "" }) => {
    const i = body.children.length;
    const cell = (name, label, value, type = "text") => {
      const eid = `tier-${i}-${name}`;
      return h("td", {}, h("input", { id: eid, name, type, value, "aria-label": `Tier ${i + 1} ${label}`,
        "aria-describedby": eid + "-err", step: type === "number" ? "0.01" : null }),
      h("p", { class: "error", id: eid + "-err", "data-error-for": `tiers[${i}].${name}` }));
    };
    const remove = h("button", { type: "button", "aria-label": `Remove tier ${i + 1}` }, "Remove");
    const tr = h("tr", {}, cell("code", "code", t.code), cell("name", "name", t.name),
      cell("price_cents", "price", t.price_cents === "" ? "" : money(t.price_cents), "number"), h("td", {}, remove));
    remove.onclick = () => tr.remove();
    body.append(tr);
  };
  tiers.forEach((t) => addRow(t));
  if (!tiers.length) addRow();
  const add = h("button", { type: "button" }, "Add tier");
  add.onclick = () => { addRow(); body.lastChild.querySelector("input").focus(); };
  const save = h("button", { type: "submit", class: "primary" }, "Save tiers");
  form.append(h("div", { class: "row" }, add, save));
  form.addEventListener("submit", (e) => {
    e.preventDefault();
    busy(save, async () => {
      clearErrors(form);
      const list = [...body.children].map((tr) => ({ code: tr.querySelector("[name=code]").value,
        name: tr.querySelector("[name=name]").value,
        price_cents: Math.round(Number(tr.querySelector("[name=price_cents]").value) * 100) }));
      try {
        const res = await api("PUT", `/sessions/${id}/tiers`, { body: { tiers: list }, version: sessionForm.getVersion() });
        sessionForm.setVersion(res.version);
        toast("Price tiers saved.");
      } catch (err) {
        if (err.code === "version_conflict") return tierConflict(err);
        showError(form, err, (e) => {
          const m = /^(tiers\[\d+\]\.)/.exec(e.message);
          return m && e.body?.field ? m[1] + e.body.field : null;
        });
      }
    });
  });
  // tierConflict shows the tiers another admin saved; the admin takes them
  // (the page reloads) or saves theirs over them.
  const conflict = h("div", { class: "conflict", role: "alert", hidden: true });
  form.append(conflict);
  async function tierConflict(err) {
    const { data, version } = await api("GET", `/sessions/${id}/tiers`);
    const take = h("button", { type: "button", class: "take-theirs" }, "Use their version");
    const mine = h("button", { type: "button", class: "primary redo" }, "Save mine over theirs");
    take.onclick = () => go(`#/sessions/${id}`);
    mine.onclick = () => { sessionForm.setVersion(version); conflict.hidden = true; form.requestSubmit(); };
    conflict.replaceChildren(h("p", {}, `${err.message} The session is now version ${version}; its saved tiers:`),
      table(["Code", "Name", "Price"], data.tiers.map((t) => row(t.code, t.name, money(t.price_cents)))),
      h("div", { class: "row" }, take, mine));
    conflict.hidden = false;
    take.focus();
  }
  return h("section", { "aria-labelledby": "tiers-h" }, h("h2", { id: "tiers-h" }, "Price tiers"), form);
}
