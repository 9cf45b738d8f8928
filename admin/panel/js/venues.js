// Venues: list, create, edit, delete.
import { api, qs } from "./api.js";
import { h, view, go, table, row, pager, field } from "./ui.js";
import { editForm, deleteButton } from "./forms.js";

export async function venueList(params) {
  const q = params.get("q") || "";
  const { data } = await api("GET", "/venues" + qs({ q, page: params.get("page"), per_page: 50 }));
  const search = h("form", { class: "row search", role: "search" },
    h("label", { for: "venue-q" }, "Name contains"), h("input", { id: "venue-q", name: "q", type: "search", value: q }),
    h("button", { type: "submit" }, "Search"));
  search.addEventListener("submit", (e) => { e.preventDefault(); go("#/venues" + qs({ q: search.q.value.trim() })); });
  const rows = data.items.map((v) => row(h("a", { href: `#/venues/${v.id}` }, v.name), v.city, v.address,
    h("a", { href: `#/venues/${v.id}/seats` }, "Seat map")));
  view(h("h1", {}, "Venues"), search,
    h("p", {}, h("a", { href: "#/venues/new", class: "button primary" }, "New venue")),
    table(["Name", "City", "Address", ""], rows),
    pager(data, "venues", (page) => "#/venues" + qs({ q, page })));
}

const venueFields = [
  { name: "name", label: "Name" },
  { name: "city", label: "City" },
  { name: "address", label: "Address" },
];

export async function venuePage(id) {
  let venue = { name: "", city: "", address: "" };
  let version = 0;
  if (id) ({ data: venue, version } = await api("GET", `/venues/${id}`));
  const del = deleteButton("Delete venue", () => `Delete ${venue.name} and its seat map? This cannot be undone.`,
    `/venues/${id}`, "#/venues");
  del.hidden = !id;
  const form = editForm({
    fields: venueFields, values: venue, version,
    save: (body, v) => (v ? api("PUT", `/venues/${id}`, { body, version: v }) : api("POST", "/venues", { body })),
    load: () => api("GET", `/venues/${id}`),
    valuesOf: (d) => d,
    saved: (d) => { if (!id) go(`#/venues/${d.id}`); },
    extraButtons: [del],
  });
  del.wire(form);
  view(h("h1", {}, id ? `Venue: ${venue.name}` : "New venue"),
    id ? h("p", {}, h("a", { href: `#/venues/${id}/seats`, class: "button" }, "Edit the seat map")) : null,
    form, del.message);
}

const venueOption = (v) => h("option", { value: String(v.id) }, `${v.name} (${v.city})`);

// venuePicker is a venue select (named name) with a search box: it lists
// the venues whose name has the search text, else the newest, and always
// the chosen one.
export function venuePicker(name, label, value) {
  const el = field(label, name, { options: [] });
  const select = el.querySelector("select");
  const search = h("input", { type: "search", id: select.id + "-q", placeholder: "name contains…", "aria-controls": select.id });
  el.insertBefore(h("div", { class: "row" }, h("label", { for: search.id }, "Find venue"), search), select);
  let chosen = value ? Number(value) : 0;
  if (chosen) select.append(h("option", { value: String(chosen) }, `venue ${chosen}`)); // until the list loads
  const err = el.querySelector(".error");
  let seq = 0; // only the latest search fills the list
  async function fill() {
    const mine = ++seq, q = search.value.trim();
    try {
      let list = (await api("GET", "/venues" + qs({ q, per_page: 50 }))).data;
      if (!q && list.total > list.items.length) {
        list = (await api("GET", "/venues" + qs({ per_page: 50, page: Math.ceil(list.total / 50) }))).data;
      }
      const items = [...list.items].reverse();
      if (chosen && !items.some((v) => v.id === chosen)) items.unshift((await api("GET", `/venues/${chosen}`)).data);
      if (mine !== seq) return;
      select.replaceChildren(...items.map(venueOption));
      if (chosen) select.value = String(chosen);
    } catch (e) {
      err.textContent = `Cannot list venues: ${e.message}`;
    }
  }
  let timer = 0;
  search.addEventListener("input", () => { clearTimeout(timer); timer = setTimeout(fill, 250); });
  select.addEventListener("change", () => { chosen = Number(select.value); });
  fill();
  return el;
}
