// The seat map editor: a canvas of every seat (50,000 stay smooth: one
// path per tier per frame), sections generated as rows × seats with
// spacing and curvature, tiers painted with a brush or by selection,
// renumbering, deleting, CSV/JSON import and export, a buyer's preview, and
// one bulk save (PUT /venues/{id}/seats at the map's version). Every edit
// can be undone and redone (Ctrl+Z, Ctrl+Shift+Z or Ctrl+Y); the keyboard
// moves a cursor from seat to seat and selects, for those without a mouse.
import { api } from "./api.js";
import { h, view, field, toast, busy } from "./ui.js";
import { seatsFromCSV, seatsFromJSON, seatsToCSV, seatsToJSON } from "./seatcsv.js";
import { History, paint, renumber, nearest, STEPS } from "./seatedit.js";

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

// tierOrder is the order the legend shows a map's tiers in: their codes,
// sorted. A tier's colour is the palette's at its place there, in the
// editor (the panel's palette) and in the buyer preview (the buyer app's),
// as the buyer app colours the tiers of its legend.
export function tierOrder(seats) {
  return [...new Set(seats.map((s) => s.tier))].sort();
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
    ctx.fillStyle = "#ffffff";
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
        ctx.rect(x - size / 2, y - size / 2, size, size);
      }
      ctx.fill();
    }
    ctx.strokeStyle = "#000"; ctx.lineWidth = Math.max(1, size / 5);
    ctx.beginPath();
    for (const s of this.ed.seats) if (s.sel) ctx.rect((s.x - ox) * scale - size / 2, (s.y - oy) * scale - size / 2, size, size);
    ctx.stroke();
    const c = this.ed.cursor;
    if (c) {
      ctx.strokeStyle = "#e8590c"; ctx.lineWidth = 2;
      ctx.beginPath();
      ctx.arc((c.x - ox) * scale, (c.y - oy) * scale, Math.max(size, 6), 0, 2 * Math.PI);
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
    const tool = this.ed.tool();
    this.drag = { tool, x, y, sx: e.clientX, sy: e.clientY, add: e.shiftKey };
    if (tool === "brush") {
      this.ed.history.record(this.ed.seats); // the whole stroke is one step
      this.ed.brush(x, y, 12 / this.scale);
    }
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
    this.zoom(Math.exp(-e.deltaY / 500), ...this.world(e));
  }
  // zoom scales by f around the world point (x, y).
  zoom(f, x, y) {
    this.scale *= f;
    this.ox = x - (x - this.ox) / f; this.oy = y - (y - this.oy) / f;
    this.dirty = true;
  }
  // show centres the view on seat s unless it is already in view.
  show(s) {
    const x = (s.x - this.ox) * this.scale, y = (s.y - this.oy) * this.scale;
    if (x >= 0 && y >= 0 && x <= this.el.width && y <= this.el.height) return;
    this.ox = s.x - this.el.width / 2 / this.scale; this.oy = s.y - this.el.height / 2 / this.scale;
  }
}

export async function seatEditor(venueId) {
  const [{ data: venue }, { data: map, version }] = await Promise.all([
    api("GET", `/venues/${venueId}`), api("GET", `/venues/${venueId}/seats`)]);
  const ed = {
    seats: map.seats.map(({ section, row, number, x, y, tier }) => ({ section, row, number, x, y, tier })),
    version, tiers: [], history: new History(), cursor: null,
    color(tier) {
      return PALETTE[Math.max(0, this.tiers.indexOf(tier)) % PALETTE.length];
    },
  };
  const canvas = h("canvas", { width: 900, height: 560, class: "seatmap", tabindex: "0", role: "application",
    "aria-label": "Seat map", "aria-describedby": "seat-keys" });
  const cv = new Canvas(canvas, ed);
  const status = h("p", { id: "seat-count", "aria-live": "polite" });
  const tierCounts = h("ul", { id: "tier-counts", class: "legend" });
  const tip = h("p", { class: "tip", id: "seat-tip", "aria-live": "polite" }, "\u00a0");
  const message = h("p", { class: "error", role: "alert", id: "seat-message" });
  const undoBtn = h("button", { type: "button", id: "undo", title: "Ctrl+Z" }, "Undo");
  const redoBtn = h("button", { type: "button", id: "redo", title: "Ctrl+Shift+Z or Ctrl+Y" }, "Redo");
  const describe = (s) => `Section ${s.section}, row ${s.row}, seat ${s.number}, tier ${s.tier}${s.sel ? ", selected" : ""}`;
  const changed = () => {
    const c = ed.cursor;
    if (c && !ed.seats.includes(c)) ed.cursor = ed.seats.find((s) => s.x === c.x && s.y === c.y && s.section === c.section) || null;
    undoBtn.disabled = !ed.history.past.length;
    redoBtn.disabled = !ed.history.future.length;
    const counts = new Map();
    let sel = 0;
    for (const s of ed.seats) { counts.set(s.tier, (counts.get(s.tier) || 0) + 1); if (s.sel) sel++; }
    status.textContent = `${ed.seats.length} seats, ${sel} selected (version ${ed.version})`;
    ed.tiers = tierOrder(ed.seats);
    tierCounts.replaceChildren(...ed.tiers.map((t) => h("li", { "data-tier": t },
      h("span", { class: "swatch", "data-color": ed.color(t) }), `${t}: ${counts.get(t)}`)));
    for (const sw of tierCounts.querySelectorAll(".swatch")) sw.style.background = sw.dataset.color;
    cv.dirty = true;
  };
  // change makes seats the map, one step of the history.
  const change = (seats) => { ed.history.record(ed.seats); ed.seats = seats; changed(); };
  const travel = (seats, what) => {
    if (!seats) return;
    ed.seats = seats;
    changed();
    toast(`${what}: ${ed.seats.length} seats.`);
  };
  const undo = () => travel(ed.history.undo(ed.seats), "Undone");
  const redo = () => travel(ed.history.redo(ed.seats), "Redone");
  undoBtn.onclick = undo;
  redoBtn.onclick = redo;

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
    ed.seats = paint(ed.seats, (s) => Math.abs(s.x - x) <= r && Math.abs(s.y - y) <= r, t);
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
    tip.textContent = s ? describe(s) : "\u00a0";
  };

  const button = (label, fn, attrs = {}) => {
    const b = h("button", { type: "button", ...attrs }, label);
    b.onclick = () => busy(b, fn);
    return b;
  };
  const selectAll = (sel) => { ed.seats.forEach((s) => (s.sel = sel)); changed(); };
  const deleteSelected = () => change(ed.seats.filter((s) => !s.sel));
  const actions = h("div", { class: "row wrap" },
    button("Paint selection", () => { const t = paintTier(); if (t) change(paint(ed.seats, (s) => s.sel, t)); }, { id: "paint-selection" }),
    button("Select all", () => selectAll(true)),
    button("Clear selection", () => selectAll(false)),
    button("Delete selected", deleteSelected, { id: "delete-selected" }),
    button("Renumber rows", () => change(renumber(ed.seats)),
      { id: "renumber", title: "Numbers every seat of each selected seat's row from 1, left to right" }),
    button("Fit", () => cv.fit()), undoBtn, redoBtn);
  canvas.addEventListener("keydown", (e) => keyOnMap(e) && e.preventDefault());
  // keyOnMap: arrows move the seat cursor (with Shift, selecting on the
  // way), Space selects or unselects its seat, Escape clears the selection,
  // Delete removes the selected seats, + and − zoom. True when handled.
  const keyOnMap = (e) => {
    const step = STEPS[e.key];
    if (step && !e.ctrlKey && !e.metaKey && !e.altKey) {
      const from = ed.cursor;
      const to = from ? nearest(ed.seats, from, step) : ed.seats.reduce((a, s) => (!a || s.y < a.y || (s.y === a.y && s.x < a.x) ? s : a), null);
      if (!to) return true;
      if (e.shiftKey) { if (from) from.sel = true; to.sel = true; }
      ed.cursor = to;
      cv.show(to);
      changed();
      tip.textContent = describe(to);
      return true;
    }
    if (e.key === " " && ed.cursor) { ed.cursor.sel = !ed.cursor.sel; changed(); tip.textContent = describe(ed.cursor); return true; }
    if (e.key === "Escape") { selectAll(false); return true; }
    if (e.key === "Delete" || e.key === "Backspace") { deleteSelected(); return true; }
    if (e.key === "+" || e.key === "=" || e.key === "-") {
      const c = ed.cursor || { x: cv.ox + canvas.width / 2 / cv.scale, y: cv.oy + canvas.height / 2 / cv.scale };
      cv.zoom(e.key === "-" ? 0.8 : 1.25, c.x, c.y);
      return true;
    }
    return false;
  };
  // Undo and redo from anywhere on the page but a text field (which has
  // its own).
  const onKey = (e) => {
    if (!(e.ctrlKey || e.metaKey) || /^(INPUT|SELECT|TEXTAREA)$/.test(e.target.tagName)) return;
    const k = e.key.toLowerCase();
    if (k === "z" && !e.shiftKey) undo();
    else if ((k === "z" && e.shiftKey) || k === "y") redo();
    else if (k === "a" && e.target === canvas) selectAll(true);
    else return;
    e.preventDefault();
  };
  document.addEventListener("keydown", onKey);

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
    change([...ed.seats, ...section(p)]);
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
      message.textContent = "";
      change(seats);
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
  // The buyer preview is the buyer app's own seat map (its module, served
  // with the panel), every seat available, its tiers coloured in the order
  // the legend shows them.
  const preview = h("div", { class: "buyer-preview", hidden: true });
  const previewBtn = button("Buyer preview", async () => {
    const on = preview.hidden;
    previewBtn.setAttribute("aria-pressed", String(on));
    canvas.hidden = on;
    preview.hidden = !on;
    if (!on) return preview.replaceChildren();
    const [{ SeatMap }, { SeatStates, AVAILABLE }] = await Promise.all([import("../buyer/seatmap.js"), import("../buyer/seatstates.js")]);
    const seats = ed.seats.map((s, i) => ({ ...s, id: i + 1 }));
    const states = new SeatStates(seats.map((s) => s.id));
    states.set(seats.map((s) => [s.id, AVAILABLE]), Date.now());
    const map = h("canvas", { id: "buyer-map", tabindex: "0", role: "img", "aria-label": "The seat map as buyers see it" });
    const tooltip = h("div", { class: "tooltip", hidden: true });
    preview.replaceChildren(map, tooltip);
    new SeatMap(map, seats, states, ed.tiers, {
      onPick: () => {}, tooltip, tip: (s) => describe(s),
    });
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
  // conflict: another admin saved first. Theirs can be loaded (Undo brings
  // this admin's map back) or this admin's saved over theirs.
  const conflict = async (err) => {
    const { data: cur, version: v } = await api("GET", `/venues/${venueId}/seats`);
    const theirs = cur.seats.map(({ section, row, number, x, y, tier }) => ({ section, row, number, x, y, tier }));
    const load = h("button", { type: "button", id: "load-theirs" }, "Show theirs");
    const mine = h("button", { type: "button", id: "save-mine" }, "Save mine over theirs");
    load.onclick = () => {
      ed.version = v;
      change(theirs);
      cv.fit();
      message.textContent = `Showing version ${v}, saved by another admin. Undo brings yours back.`;
    };
    mine.onclick = () => { ed.version = v; save.click(); };
    message.replaceChildren(`Not saved: ${err.message} It is now version ${v} with ${cur.count} seats; yours has ${ed.seats.length}. `,
      load, " ", mine);
  };

  view(h("h1", {}, `Seat map: ${venue.name}`),
    h("p", {}, h("a", { href: `#/venues/${venueId}` }, "← " + venue.name)),
    h("div", { class: "editor" },
      h("div", { class: "stage" }, canvas, preview, tip, status, tierCounts,
        h("p", { class: "muted", id: "seat-keys" }, "Mouse: drag to select (Shift adds), or paint with the brush. " +
          "Keyboard, on the map: arrows move from seat to seat, Shift+arrows select on the way, Space selects one seat, " +
          "Ctrl+A selects all, Escape clears, Delete removes the selected seats, + and − zoom. Ctrl+Z undoes, Ctrl+Shift+Z redoes.")),
      h("div", { class: "side" }, toolBox, tierField, actions, gen,
        h("h2", {}, "Files"),
        h("div", { class: "field" }, h("label", { for: "seat-file" }, "Import CSV or JSON"), file),
        h("div", { class: "row wrap" },
          button("Export CSV", () => download(`venue-${venueId}-seats.csv`, "text/csv", seatsToCSV(ed.seats)), { id: "export-csv" }),
          button("Export JSON", () => download(`venue-${venueId}-seats.json`, "application/json", seatsToJSON(ed.seats)), { id: "export-json" })),
        h("div", { class: "row wrap" }, previewBtn, save), message)));
  changed();
  cv.fit();
  return () => { cv.stop(); document.removeEventListener("keydown", onKey); };
}
