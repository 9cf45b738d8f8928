// Venues: list, create, edit, delete.
import { api, qs } from "./api.js";
import { h, view, table, row, toast, confirmDialog, busy } from "./ui.js";
import { editForm } from "./forms.js";

export async function venueList() {
  const { data } = await api("GET", "/venues" + qs({ per_page: 100 }));
  const rows = data.items.map((v) => row(h("a", { href: `#/venues/${v.id}` }, v.name), v.city, v.address,
    h("a", { href: `#/venues/${v.id}/seats` }, "Seat map")));
  view(h("h1", {}, "Venues"),
    h("p", {}, h("a", { href: "#/venues/new", class: "button primary" }, "New venue")),
    table(["Name", "City", "Address", ""], rows),
    h("p", { class: "muted" }, `${data.total} venues`));
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
  const del = h("button", { type: "button", class: "danger", hidden: !id }, "Delete venue");
  const refs = h("p", { class: "error", role: "alert" });
  const form = editForm({
    fields: venueFields, values: venue, version,
    save: (body, v) => (v ? api("PUT", `/venues/${id}`, { body, version: v }) : api("POST", "/venues", { body })),
    load: () => api("GET", `/venues/${id}`),
    valuesOf: (d) => d,
    saved: (d) => { if (!id) location.hash = `#/venues/${d.id}`; },
    extraButtons: [del],
  });
  del.onclick = () => busy(del, async () => {
    if (!(await confirmDialog("Delete venue?", `Delete ${venue.name} and its seat map? This cannot be undone.`, "Delete"))) return;
    try {
      await api("DELETE", `/venues/${id}`, { version: form.getVersion() });
      toast("Venue deleted.");
      location.hash = "#/venues";
    } catch (err) {
      refs.textContent = referencedBy(err);
    }
  });
  view(h("h1", {}, id ? `Venue: ${venue.name}` : "New venue"),
    id ? h("p", {}, h("a", { href: `#/venues/${id}/seats`, class: "button" }, "Edit the seat map")) : null,
    form, refs);
}

// referencedBy explains a refused delete: the message and what still uses
// the record (referenced_by: table → ids).
export function referencedBy(err) {
  const by = err.body?.referenced_by;
  if (!by) return err.message;
  const parts = Object.entries(by).map(([table, ids]) => `${table} ${ids.join(", ")}`);
  return `${err.message} Still used by: ${parts.join("; ")}.`;
}
