// Shows: list with search, create, edit, publish / unpublish, delete, and
// the show's sessions.
import { api, qs } from "./api.js";
import { h, view, go, table, row, pager, when } from "./ui.js";
import { editForm, deleteButton } from "./forms.js";
import { newSessionForm } from "./sessions.js";

export async function showList(params) {
  const q = params.get("q") || "", status = params.get("status") || "";
  const { data } = await api("GET", "/shows" + qs({ q, status, page: params.get("page"), per_page: 50 }));
  const search = h("form", { class: "row search", role: "search" },
    h("label", { for: "show-q" }, "Search"), h("input", { id: "show-q", name: "q", type: "search", value: q }),
    h("label", { for: "show-status" }, "Status"),
    h("select", { id: "show-status", name: "status" }, [["", "any"], ["draft", "draft"], ["published", "published"]]
      .map(([v, t]) => h("option", { value: v, selected: v === status }, t))),
    h("button", { type: "submit" }, "Search"));
  search.addEventListener("submit", (e) => {
    e.preventDefault();
    go("#/shows" + qs({ q: search.q.value.trim(), status: search.status.value }));
  });
  const rows = data.items.map((s) => row(h("a", { href: `#/shows/${s.id}` }, s.title), s.artist,
    h("span", { class: "badge " + s.status }, s.status), when(s.updated_at)));
  view(h("h1", {}, "Shows"), search,
    h("p", {}, h("a", { href: "#/shows/new", class: "button primary" }, "New show")),
    table(["Title", "Artist", "Status", "Changed"], rows),
    pager(data, "shows", (page) => "#/shows" + qs({ q, status, page })));
}

const showFields = [
  { name: "title", label: "Title" },
  { name: "artist", label: "Artist" },
  { name: "description", label: "Description", rows: 5 },
  { name: "poster_url", label: "Poster URL", type: "url", hint: "An http:// or https:// image address." },
  { name: "status", label: "Status", options: [["draft", "draft (not public)"], ["published", "published"]] },
];

export async function showPage(id) {
  let show = { title: "", artist: "", description: "", poster_url: "", status: "draft" };
  let version = 0;
  if (id) ({ data: show, version } = await api("GET", `/shows/${id}`));
  const publish = h("button", { type: "button", hidden: !id, class: "publish" });
  const del = deleteButton("Delete show", () => `Delete "${show.title}"? This cannot be undone.`, `/shows/${id}`, "#/shows");
  del.hidden = !id;
  const preview = h("img", { class: "poster", alt: "Poster preview", hidden: true });
  const form = editForm({
    fields: showFields, values: show, version,
    save: (body, v) => (v ? api("PUT", `/shows/${id}`, { body, version: v }) : api("POST", "/shows", { body })),
    load: () => api("GET", `/shows/${id}`),
    valuesOf: (d) => d,
    saved: (d) => { if (!id) go(`#/shows/${d.id}`); else { show = d; label(); } },
    extraButtons: [publish, del],
  });
  const status = form.inputs.status;
  const label = () => { publish.textContent = status.value === "published" ? "Unpublish" : "Publish"; };
  label();
  status.addEventListener("change", label);
  publish.onclick = () => {
    status.value = status.value === "published" ? "draft" : "published";
    form.requestSubmit();
  };
  const poster = form.inputs.poster_url;
  const showPoster = () => {
    const ok = /^https?:\/\/\S+$/i.test(poster.value.trim());
    preview.hidden = !ok;
    if (ok) preview.src = poster.value.trim();
  };
  poster.addEventListener("change", showPoster);
  poster.closest(".field").append(preview);
  showPoster();
  del.wire(form);
  view(h("h1", {}, id ? `Show: ${show.title}` : "New show"), form, del.message, id ? await showSessions(id) : null);
}

async function showSessions(showId) {
  const { data: sessions } = await api("GET", "/sessions" + qs({ show_id: showId, per_page: 100 }));
  const venueIDs = [...new Set(sessions.items.map((s) => s.venue_id))];
  const venues = await Promise.all(venueIDs.map((v) => api("GET", `/venues/${v}`)));
  const venueName = Object.fromEntries(venues.map(({ data: v }) => [v.id, v.name]));
  const rows = sessions.items.map((s) => row(h("a", { href: `#/sessions/${s.id}` }, when(s.starts_at)),
    venueName[s.venue_id] || `venue ${s.venue_id}`, h("span", { class: "badge" }, s.state)));
  return h("section", { "aria-labelledby": "sessions-h" },
    h("h2", { id: "sessions-h" }, "Sessions"),
    rows.length ? table(["Starts", "Venue", "State"], rows) : h("p", { class: "muted" }, "No sessions yet."),
    h("h3", {}, "New session"), newSessionForm(showId));
}
