// The seat map editor: a canvas of every seat (50,000 stay smooth: one
// path per tier per frame), sections generated as rows × seats with
// spacing and curvature, tiers painted with a brush or by selection,
// renumbering, deleting, CSV/JSON import and export, a buyer's preview, and
// one bulk save (PUT /venues/{id}/seats at the map's version).
import { api } from "./api.js";
import { h, view, field, toast, confirmDialog, busy } from "./ui.js";
import { seatsFromCSV, seatsFromJSON, seatsToCSV, seatsToJSON } from "./seatcsv.js";

const PALETTE = ["#d9480f", "#1971c2", "#2f9e44", "#ae3ec9", "#f08c00", "#0c8599", "#e64980", "#5c940d", "#6741d9", "#868e96"];
const SEAT = 8; // world units a seat covers

// rowLabel names row i: A … Z, AA, AB …
export function rowLabel(i) {
  let s = "";
  for (i += 1; i > 0; i = Math.floor((i - 1) / 26)) s = String.fromCharCode(65 + ((i - 1) % 26)) + s;
  return s;
}

// section generates rows × seats: seat j of row r at
// (x + j·spacing, y + r·rowSpacing + curve·t²), t from -1 to 1 across the row.
export function section(p) {
  const out = [];
  const half = (p.seats - 1) / 2 || 1;
  for (let r = 0; r < p.rows; r++) {
    for (let j = 0; j < p.seats; j++) {
      const t = (j - (p.seats - 1) / 2) / half;
      out.push({ section: p.name, row: rowLabel(p.firstRow + r), number: j + 1,
        x: Math.round(p.x + j * p.spacing), y: Math.round(p.y + r * p.rowSpacing + p.curve * t * t), tier: p.tier });
    }
  }
  return out;
}

class Canvas {
  constructor(el, ed) {
    this.el = el; this.ed = ed; this.ctx = el.getContext("2d");
    this.scale = 1; this.ox = 0; this.oy = 0; this.dirty = true; this.drag = null;
    const loop = () => { if (this.dirty) this.draw(); this.raf = requestAnimationFrame(loop); };
    this.raf = requestAnimationFrame(loop);
    el.addEventListener("pointerdown", (e) => this.down(e));
    el.addEventListener("pointermove", (e) => this.move(e));
    el.addEventListener("pointerup", (e) => this.up(e));
    el.addEventListener("wheel", (e) => this.wheel(e), { passive: false });
  }
  stop() { cancelAnimationFrame(this.raf); }
  world(e) {
    const r = this.el.getBoundingClientRect();
    return [(e.clientX - r.left) / this.scale + this.ox, (e.clientY - r.top) / this.scale + this.oy];
  }
  fit() {
    const seats = this.ed.seats;
    const w = this.el.width, hgt = this.el.height;
    if (!seats.length) { this.scale = 1; this.ox = -20; this.oy = -20; this.dirty = true; return; }
    let x0 = Infinity, y0 = Infinity, x1 = -Infinity, y1 = -Infinity;
    for (const s of seats) { x0 = Math.min(x0, s.x); y0 = Math.min(y0, s.y); x1 = Math.max(x1, s.x); y1 = Math.max(y1, s.y); }
    const pad = SEAT * 2;
    this.scale = Math.min(w / (x1 - x0 + 2 * pad), hgt / (y1 - y0 + 2 * pad));
    this.ox = x0 - pad - (w / this.scale - (x1 - x0 + 2 * pad)) / 2;
    this.oy = y0 - pad - (hgt / this.scale - (y1 - y0 + 2 * pad)) / 2;
    this.dirty = true;
  }
  draw() {
    this.dirty = false;
    const { ctx, scale, ox, oy } = this;
    const preview = this.ed.preview;
    ctx.fillStyle = preview ? "#111827" : "#ffffff";
    ctx.fillRect(0, 0, this.el.width, this.el.height);
    const size = Math.max(1, SEAT * scale * 0.8);
    const groups = new Map();
    for (const s of this.ed.seats) {
      let g = groups.get(s.tier);
      if (!g) groups.set(s.tier, (g = []));
      g.push(s);
    }
    for (const [tier, list] of groups) {
      ctx.fillStyle = this.ed.color(tier);
      ctx.beginPath();
      for (const s of list) {
        const x = (s.x - ox) * scale, y = (s.y - oy) * scale;
        if (preview && size > 3) { ctx.moveTo(x + size / 2, y); ctx.arc(x, y, size / 2, 0, 2 * Math.PI); }
        else ctx.rect(x - size / 2, y - size / 2, size, size);
      }
      ctx.fill();
    }
    if (!preview) {
      ctx.strokeStyle = "#000"; ctx.lineWidth = Math.max(1, size / 5);
      ctx.beginPath();
      for (const s of this.ed.seats) if (s.sel) ctx.rect((s.x - ox) * scale - size / 2, (s.y - oy) * scale - size / 2, size, size);
      ctx.stroke();
    }
    if (this.drag?.rect) {
      const [ax, ay, bx, by] = this.drag.rect;
      ctx.strokeStyle = "#1971c2"; ctx.lineWidth = 1; ctx.setLineDash([4, 3]);
      ctx.strokeRect((ax - ox) * scale, (ay - oy) * scale, (bx - ax) * scale, (by - ay) * scale);
      ctx.setLineDash([]);
    }
  }
  down(e) {
    e.preventDefault();
    this.el.setPointerCapture(e.pointerId);
    const [x, y] = this.world(e);
    const tool = this.ed.preview ? "pan" : this.ed.tool();
    this.drag = { tool, x, y, sx: e.clientX, sy: e.clientY, add: e.shiftKey };
    if (tool === "brush") this.ed.brush(x, y, 12 / this.scale);
  }
  move(e) {
    const [x, y] = this.world(e);
    if (!this.drag) return this.ed.hover(x, y, e);
    const d = this.drag;
    if (d.tool === "pan") {
      this.ox -= (e.clientX - d.sx) / this.scale; this.oy -= (e.clientY - d.sy) / this.scale;
      d.sx = e.clientX; d.sy = e.clientY;
    } else if (d.tool === "brush") {
      this.ed.brush(x, y, 12 / this.scale);
    } else {
      d.rect = [Math.min(d.x, x), Math.min(d.y, y), Math.max(d.x, x), Math.max(d.y, y)];
    }
    this.dirty = true;
  }
  up() {
    const d = this.drag;
    this.drag = null;
    if (d?.tool === "select") {
      const r = d.rect || [d.x - SEAT / 2, d.y - SEAT / 2, d.x + SEAT / 2, d.y + SEAT / 2];
      this.ed.select(r, d.add);
    }
    this.dirty = true;
  }
  wheel(e) {
    e.preventDefault();
    const [x, y] = this.world(e);
    const f = Math.exp(-e.deltaY / 500);
    this.scale *= f;
    this.ox = x - (x - this.ox) / f; this.oy = y - (y - this.oy) / f;
    this.dirty = true;
  }
}

export async function seatEditor(venueId) {
  const [{ data: venue }, { data: map, version }] = await Promise.all([
    api("GET", `/venues/${venueId}`), api("GET", `/venues/${venueId}/seats`)]);
  const ed = {
    seats: map.seats.map(({ section, row, number, x, y, tier }) => ({ section, row, number, x, y, tier })),
    version, preview: false, colors: new Map(),
    color(tier) {
      if (!this.colors.has(tier)) this.colors.set(tier, PALETTE[this.colors.size % PALETTE.length]);
      return this.colors.get(tier);
    },
  };
  const canvas = h("canvas", { width: 900, height: 560, class: "seatmap", tabindex: "0", role: "img",
    "aria-label": "Seat map: drag to select, or paint with the brush; Delete removes the selected seats" });
  const cv = new Canvas(canvas, ed);
  const status = h("p", { id: "seat-count", "aria-live": "polite" });
  const tierCounts = h("ul", { id: "tier-counts", class: "legend" });
  const tip = h("p", { class: "tip", id: "seat-tip" }, "\u00a0");
  const message = h("p", { class: "error", role: "alert", id: "seat-message" });
  const changed = () => {
    const counts = new Map();
    let sel = 0;
    for (const s of ed.seats) { counts.set(s.tier, (counts.get(s.tier) || 0) + 1); if (s.sel) sel++; }
    status.textContent = `${ed.seats.length} seats, ${sel} selected (version ${ed.version})`;
    tierCounts.replaceChildren(...[...counts].sort().map(([t, n]) => h("li", { "data-tier": t },
      h("span", { class: "swatch", "data-color": ed.color(t) }), `${t}: ${n}`)));
    for (const sw of tierCounts.querySelectorAll(".swatch")) sw.style.background = sw.dataset.color;
    cv.dirty = true;
  };

  // Tools and the tier to paint.
  const toolBox = h("fieldset", { class: "tools" }, h("legend", {}, "Tool"),
    ["select", "brush", "pan"].map((t) => h("label", {}, h("input", { type: "radio", name: "tool", value: t, checked: t === "select" }), " ", t)));
  ed.tool = () => toolBox.querySelector("input:checked").value;
  const tierField = field("Tier to paint", "paint-tier", { value: "A", hint: "A tier code: A-Z, 0-9, _ and -." });
  const tierInput = tierField.querySelector("input");
  const paintTier = () => tierInput.value.trim().toUpperCase();
  ed.brush = (x, y, r) => {
    const t = paintTier();
    if (!t) return;
    for (const s of ed.seats) if (Math.abs(s.x - x) <= r && Math.abs(s.y - y) <= r) s.tier = t;
    changed();
  };
  ed.select = ([x0, y0, x1, y1], add) => {
    for (const s of ed.seats) {
      const inside = s.x >= x0 && s.x <= x1 && s.y >= y0 && s.y <= y1;
      s.sel = inside || (add && s.sel);
    }
    changed();
  };
  ed.hover = (x, y) => {
    const r = SEAT / 2;
    const s = ed.seats.find((s) => Math.abs(s.x - x) <= r && Math.abs(s.y - y) <= r);
    tip.textContent = s ? `Section ${s.section}, row ${s.row}, seat ${s.number}, tier ${s.tier}` : "\u00a0";
  };

  const button = (label, fn, attrs = {}) => {
    const b = h("button", { type: "button", ...attrs }, label);
    b.onclick = () => busy(b, fn);
    return b;
  };
  const selected = () => ed.seats.filter((s) => s.sel);
  const actions = h("div", { class: "row wrap" },
    button("Paint selection", () => { const t = paintTier(); for (const s of selected()) s.tier = t; changed(); }, { id: "paint-selection" }),
    button("Select all", () => { ed.seats.forEach((s) => (s.sel = true)); changed(); }),
    button("Clear selection", () => { ed.seats.forEach((s) => (s.sel = false)); changed(); }),
    button("Delete selected", () => { ed.seats = ed.seats.filter((s) => !s.sel); changed(); }, { id: "delete-selected" }),
    button("Renumber rows", () => { renumber(ed.seats); changed(); },
      { title: "Numbers every seat of each selected seat's row from 1, left to right" }),
    button("Fit", () => cv.fit()));
  canvas.addEventListener("keydown", (e) => {
    if (e.key === "Delete" || e.key === "Backspace") { ed.seats = ed.seats.filter((s) => !s.sel); changed(); }
  });

  // The section generator.
  const gen = h("form", { class: "generator", novalidate: true, "aria-labelledby": "gen-h" },
    h("h2", { id: "gen-h" }, "Add a section"),
    h("div", { class: "grid" },
      field("Section", "name", { value: "A" }), field("Rows", "rows", { type: "number", value: 10 }),
      field("Seats per row", "seats", { type: "number", value: 20 }), field("First row", "first", { value: "A" }),
      field("Left (x)", "x", { type: "number", value: 0 }), field("Top (y)", "y", { type: "number", value: 0 }),
      field("Seat spacing", "spacing", { type: "number", value: 10 }), field("Row spacing", "rowSpacing", { type: "number", value: 12 }),
      field("Curvature", "curve", { type: "number", value: 0, hint: "How far the row ends bend down (negative: up)." }),
      field("Tier", "tier", { value: "A" })),
    h("p", { class: "error", role: "alert", "data-error-for": "" }),
    h("button", { type: "submit" }, "Add section"));
  gen.addEventListener("submit", (e) => {
    e.preventDefault();
    const v = (n) => gen.querySelector(`[name=${n}]`).value.trim();
    const num = (n) => Number(v(n));
    const err = gen.querySelector(".error");
    const first = v("first").toUpperCase();
    const firstRow = [...first].reduce((a, c) => a * 26 + c.charCodeAt(0) - 64, 0) - 1;
    const p = { name: v("name"), rows: num("rows"), seats: num("seats"), firstRow, x: num("x"), y: num("y"),
      spacing: num("spacing"), rowSpacing: num("rowSpacing"), curve: num("curve"), tier: v("tier").toUpperCase() };
    const bad = !p.name ? "Section is required." : !(p.rows >= 1 && p.seats >= 1) ? "Rows and seats per row must be at least 1."
      : !/^[A-Z]+$/.test(first) ? "First row must be letters, e.g. A." : p.rows * p.seats + ed.seats.length > 60000
        ? "A seat map has at most 60,000 seats." : null;
    err.textContent = bad || "";
    if (bad) return;
    ed.seats.push(...section(p));
    changed();
    cv.fit();
  });

  // Import, export, preview, save.
  const file = h("input", { type: "file", id: "seat-file", accept: ".csv,.json,text/csv,application/json" });
  file.addEventListener("change", async () => {
    const f = file.files[0];
    if (!f) return;
    const began = performance.now();
    try {
      const text = await f.text();
      const seats = /\.json$/i.test(f.name) || text.trimStart().startsWith("{") || text.trimStart().startsWith("[")
        ? seatsFromJSON(text) : seatsFromCSV(text);
      ed.seats = seats;
      message.textContent = "";
      changed();
      cv.fit();
      toast(`Imported ${seats.length} seats from ${f.name} in ${Math.round(performance.now() - began)} ms; not saved yet.`);
    } catch (err) {
      message.textContent = `Cannot import ${f.name}: ${err.message}`;
    }
    file.value = "";
  });
  const download = (name, type, text) => {
    const a = h("a", { href: URL.createObjectURL(new Blob([text], { type })), download: name });
    a.click();
    setTimeout(() => URL.revokeObjectURL(a.href), 1000);
  };
  const previewBtn = button("Buyer preview", () => {
    ed.preview = !ed.preview;
    previewBtn.setAttribute("aria-pressed", String(ed.preview));
    canvas.classList.toggle("preview", ed.preview);
    cv.dirty = true;
  }, { "aria-pressed": "false", id: "preview" });
  const save = button("Save seat map", async () => {
    const began = performance.now();
    message.textContent = "";
    try {
      const res = await api("PUT", `/venues/${venueId}/seats`, { csv: seatsToCSV(ed.seats), version: ed.version });
      ed.version = res.version;
      changed();
      const ms = Math.round(performance.now() - began);
      status.dataset.savedMs = ms;
      toast(`Saved ${res.data.count} seats in ${ms} ms.`);
    } catch (err) {
      if (err.code === "version_conflict") return conflict(err);
      message.textContent = err.message;
    }
  }, { class: "primary", id: "save-seats" });
  const conflict = async (err) => {
    const { data: cur, version: v } = await api("GET", `/venues/${venueId}/seats`);
    const again = await confirmDialog("Someone else saved this seat map",
      `${err.message} It now has ${cur.count} seats (version ${v}); yours has ${ed.seats.length}. ` +
      "Save yours over theirs, or cancel and reload the page to see theirs.", "Save mine");
    if (again) { ed.version = v; save.click(); }
    else message.textContent = `Not saved: the seat map changed to version ${v}. Reload to see it.`;
  };

  view(h("h1", {}, `Seat map: ${venue.name}`),
    h("p", {}, h("a", { href: `#/venues/${venueId}` }, "← " + venue.name)),
    h("div", { class: "editor" },
      h("div", { class: "stage" }, canvas, tip, status, tierCounts),
      h("div", { class: "side" }, toolBox, tierField, actions, gen,
        h("h2", {}, "Files"),
        h("div", { class: "field" }, h("label", { for: "seat-file" }, "Import CSV or JSON"), file),
        h("div", { class: "row wrap" },
          button("Export CSV", () => download(`venue-${venueId}-seats.csv`, "text/csv", seatsToCSV(ed.seats))),
          button("Export JSON", () => download(`venue-${venueId}-seats.json`, "application/json", seatsToJSON(ed.seats)))),
        h("div", { class: "row wrap" }, previewBtn, save), message)));
  changed();
  cv.fit();
  return () => cv.stop();
}

// renumber numbers every seat of each row that has a selected seat from 1,
// left to right.
export function renumber(seats) {
  const rows = new Map();
  for (const s of seats) {
    const k = s.section + "\u0000" + s.row;
    if (!rows.has(k)) rows.set(k, { sel: false, list: [] });
    const r = rows.get(k);
    r.list.push(s);
    r.sel ||= s.sel;
  }
  for (const r of rows.values()) {
    if (!r.sel) continue;
    r.list.sort((a, b) => a.x - b.x).forEach((s, i) => (s.number = i + 1));
  }
}
