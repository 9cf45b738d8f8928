// SeatMap draws a session's seats on a canvas from their geometry (x, y,
// tier) and live states, with zoom, pan, a tooltip and picking. Seats are
// written as pixels, only those in view, so 50,000 stay smooth.
import { AVAILABLE, LOCKED, SOLD, UNKNOWN } from './seatstates.js';

export const COLOURS = {
  tiers: ['#1b7f5f', '#2a5fc9', '#8e3fb0', '#b5500b', '#0e7c86', '#b0306a', '#5b6b12', '#6b4c9a'],
  held: '#7d8794', // 3.6:1 on white
  sold: '#3b4148',
  unknown: '#d5d9de',
  selected: '#e4002b',
};

const MIN_SCALE = 0.05;
const MAX_SCALE = 40;

export class SeatMap {
  // seats: the geometry ({id, x, y, tier, ...}); states: a SeatStates over
  // the same ids; tiers: the tier codes in legend order. onPick(id) is
  // called for a click on a seat; tip(seat, state) is its tooltip text.
  constructor(canvas, seats, states, tiers, { onPick, tip, tooltip }) {
    this.canvas = canvas;
    this.ctx = canvas.getContext('2d', { alpha: false });
    this.seats = seats;
    this.states = states;
    this.onPick = onPick;
    this.tip = tip;
    this.tooltip = tooltip;
    this.selected = new Set();
    const n = seats.length;
    this.xs = new Float32Array(n);
    this.ys = new Float32Array(n);
    this.tier = new Uint8Array(n);
    const tierIdx = new Map(tiers.map((c, i) => [c, i]));
    seats.forEach((s, i) => {
      this.xs[i] = s.x;
      this.ys[i] = s.y;
      this.tier[i] = tierIdx.get(s.tier) ?? 0;
    });
    this.pitch = pitchOf(this.xs, this.ys);
    this.size = this.pitch * 0.8;
    this.grid = gridOf(this.xs, this.ys, this.pitch);
    this.bounds = boundsOf(this.xs, this.ys, this.size);
    this.view = { s: 1, ox: 0, oy: 0 };
    this.dirty = true;
    this.frame = 0;
    this.firstPaintAt = 0;
    states.onChange(() => this.invalidate(true));
    new ResizeObserver(() => this.resize()).observe(canvas);
    this.listen();
    this.resize();
    this.fit();
    canvas.seatMap = this; // lets the browser tests find seats on screen
  }

  setSelected(ids) {
    this.selected = new Set([...ids].map((id) => this.states.index.get(id)).filter((i) => i !== undefined));
    this.invalidate(true);
  }

  // invalidate schedules a redraw; recolour when states or picks changed.
  invalidate(recolour = false) {
    this.dirty ||= recolour;
    if (!this.frame) this.frame = requestAnimationFrame(() => this.draw());
  }

  resize() {
    const dpr = window.devicePixelRatio || 1;
    const r = this.canvas.getBoundingClientRect();
    this.w = Math.max(1, r.width);
    this.h = Math.max(1, r.height);
    this.canvas.width = Math.round(this.w * dpr);
    this.canvas.height = Math.round(this.h * dpr);
    this.dpr = dpr;
    this.invalidate();
  }

  fit() {
    const b = this.bounds;
    const s = Math.min(this.w / (b.x1 - b.x0), this.h / (b.y1 - b.y0)) * 0.95;
    this.view.s = clamp(s, MIN_SCALE, MAX_SCALE);
    this.view.ox = (this.w - (b.x1 - b.x0) * this.view.s) / 2 - b.x0 * this.view.s;
    this.view.oy = (this.h - (b.y1 - b.y0) * this.view.s) / 2 - b.y0 * this.view.s;
    this.invalidate();
  }

  panBy(dx, dy) {
    this.view.ox += dx;
    this.view.oy += dy;
    this.invalidate();
  }

  // zoomAt scales by f around the canvas point (px, py).
  zoomAt(f, px = this.w / 2, py = this.h / 2) {
    const v = this.view;
    const s = clamp(v.s * f, MIN_SCALE, MAX_SCALE);
    v.ox = px - ((px - v.ox) * s) / v.s;
    v.oy = py - ((py - v.oy) * s) / v.s;
    v.s = s;
    this.invalidate();
  }

  // paint is each seat's colour as a pixel value, from its state and tier.
  paint() {
    const st = this.states.state, n = this.seats.length;
    const tiers = COLOURS.tiers.map(pixel);
    const held = pixel(COLOURS.held), sold = pixel(COLOURS.sold), unknown = pixel(COLOURS.unknown);
    this.colour ??= new Uint32Array(n);
    for (let i = 0; i < n; i++) {
      const s = st[i];
      this.colour[i] = s === AVAILABLE ? tiers[this.tier[i] % tiers.length] : s === LOCKED ? held : s === SOLD ? sold : unknown;
    }
    this.painted ||= st.some((s) => s !== UNKNOWN);
    this.dirty = false;
  }

  // draw writes the seats in view straight into the canvas's pixels (far
  // cheaper than 50,000 paths for the browser to raster), then outlines
  // the picked seats.
  draw() {
    this.frame = 0;
    if (this.dirty) this.paint();
    const { ctx, dpr, view: v, xs, ys } = this;
    const W = this.canvas.width, H = this.canvas.height;
    if (this.image?.width !== W || this.image?.height !== H) {
      this.image = ctx.createImageData(W, H);
      this.pixels = new Uint32Array(this.image.data.buffer);
    }
    const px = this.pixels;
    px.fill(WHITE);
    const k = dpr * v.s, ox = dpr * v.ox, oy = dpr * v.oy, sz = Math.max(1, Math.round(this.size * k));
    for (let i = 0; i < xs.length; i++) {
      const x0 = Math.round(xs[i] * k + ox), y0 = Math.round(ys[i] * k + oy);
      if (x0 >= W || y0 >= H || x0 + sz <= 0 || y0 + sz <= 0) continue;
      const c = this.colour[i];
      const xa = Math.max(0, x0), xb = Math.min(W, x0 + sz), yb = Math.min(H, y0 + sz);
      for (let y = Math.max(0, y0); y < yb; y++) px.fill(c, y * W + xa, y * W + xb);
    }
    ctx.setTransform(1, 0, 0, 1, 0, 0);
    ctx.putImageData(this.image, 0, 0);
    if (this.selected.size) this.outline(k, ox, oy, sz);
    if (!this.firstPaintAt && this.painted) this.firstPaintAt = performance.now();
  }

  outline(k, ox, oy, sz) {
    const { ctx, xs, ys } = this;
    const w = Math.max(2, Math.round(sz / 4));
    ctx.fillStyle = COLOURS.selected;
    ctx.strokeStyle = COLOURS.selected;
    ctx.lineWidth = w;
    for (const i of this.selected) {
      const x = Math.round(xs[i] * k + ox), y = Math.round(ys[i] * k + oy);
      if (this.states.state[i] === AVAILABLE) ctx.fillRect(x, y, sz, sz);
      ctx.strokeRect(x + w / 2, y + w / 2, sz - w, sz - w);
    }
  }

  // seatAt is the index of the seat under canvas point (px, py), or -1.
  seatAt(px, py) {
    const v = this.view;
    const wx = (px - v.ox) / v.s, wy = (py - v.oy) / v.s;
    const p = this.pitch, cx = Math.floor(wx / p), cy = Math.floor(wy / p);
    for (let gx = cx - 1; gx <= cx; gx++) {
      for (let gy = cy - 1; gy <= cy; gy++) {
        for (const i of this.grid.get(gx * 1e6 + gy) ?? []) {
          const x = this.xs[i], y = this.ys[i];
          if (wx >= x && wx <= x + this.size && wy >= y && wy <= y + this.size) return i;
        }
      }
    }
    return -1;
  }

  // clientPoint is where seat id's centre is on the page (client pixels).
  clientPoint(id) {
    const i = this.states.index.get(id);
    const r = this.canvas.getBoundingClientRect(), v = this.view, half = this.size / 2;
    return { x: r.left + (this.xs[i] + half) * v.s + v.ox, y: r.top + (this.ys[i] + half) * v.s + v.oy };
  }

  listen() {
    const c = this.canvas;
    let down = null;
    const local = (e) => {
      const r = c.getBoundingClientRect();
      return [e.clientX - r.left, e.clientY - r.top];
    };
    c.addEventListener('pointerdown', (e) => {
      down = { x: e.clientX, y: e.clientY, moved: false };
      c.setPointerCapture(e.pointerId);
    });
    c.addEventListener('pointermove', (e) => {
      if (down) {
        const dx = e.clientX - down.x, dy = e.clientY - down.y;
        if (down.moved || Math.abs(dx) + Math.abs(dy) > 4) {
          down.moved = true;
          down.x = e.clientX;
          down.y = e.clientY;
          this.panBy(dx, dy);
          this.hideTip();
        }
        return;
      }
      this.hover(...local(e));
    });
    c.addEventListener('pointerup', (e) => {
      if (down && !down.moved) {
        const i = this.seatAt(...local(e));
        if (i >= 0) this.onPick(this.seats[i].id);
      }
      down = null;
    });
    c.addEventListener('pointerleave', () => this.hideTip());
    c.addEventListener('wheel', (e) => {
      e.preventDefault();
      this.zoomAt(Math.exp(-e.deltaY * 0.0015), ...local(e));
    }, { passive: false });
    c.addEventListener('keydown', (e) => {
      const step = 40;
      const keys = {
        '+': () => this.zoomAt(1.25), '=': () => this.zoomAt(1.25), '-': () => this.zoomAt(0.8),
        '0': () => this.fit(), ArrowLeft: () => this.panBy(step, 0), ArrowRight: () => this.panBy(-step, 0),
        ArrowUp: () => this.panBy(0, step), ArrowDown: () => this.panBy(0, -step),
      };
      if (keys[e.key]) {
        e.preventDefault();
        keys[e.key]();
      }
    });
  }

  hover(px, py) {
    const i = this.seatAt(px, py);
    if (i < 0) return this.hideTip();
    const t = this.tooltip;
    t.textContent = this.tip(this.seats[i], this.states.state[i]);
    t.hidden = false;
    t.style.left = `${Math.min(px + 12, this.w - t.offsetWidth)}px`;
    t.style.top = `${py + 16}px`;
  }

  hideTip() {
    this.tooltip.hidden = true;
  }
}

const clamp = (v, lo, hi) => Math.min(hi, Math.max(lo, v));

// pixel is a #rrggbb colour as one opaque RGBA pixel of this machine's
// byte order.
const LITTLE = new Uint8Array(new Uint32Array([1]).buffer)[0] === 1;
function pixel(hex) {
  const [r, g, b] = [1, 3, 5].map((i) => parseInt(hex.slice(i, i + 2), 16));
  return LITTLE ? ((255 << 24) | (b << 16) | (g << 8) | r) >>> 0 : ((r << 24) | (g << 16) | (b << 8) | 255) >>> 0;
}
const WHITE = pixel('#ffffff');

// pitchOf is the usual distance between neighbouring seats of a row: the
// median of the gaps between seats sorted by row (y) then x.
function pitchOf(xs, ys) {
  const idx = Array.from(xs.keys()).sort((a, b) => ys[a] - ys[b] || xs[a] - xs[b]);
  const gaps = [];
  for (let k = 1; k < idx.length; k++) {
    const a = idx[k - 1], b = idx[k];
    if (ys[a] === ys[b] && xs[b] > xs[a]) gaps.push(xs[b] - xs[a]);
  }
  gaps.sort((a, b) => a - b);
  return gaps.length ? gaps[gaps.length >> 1] : 10;
}

function gridOf(xs, ys, p) {
  const grid = new Map();
  for (let i = 0; i < xs.length; i++) {
    const k = Math.floor(xs[i] / p) * 1e6 + Math.floor(ys[i] / p);
    const cell = grid.get(k);
    if (cell) cell.push(i);
    else grid.set(k, [i]);
  }
  return grid;
}

function boundsOf(xs, ys, size) {
  let x0 = Infinity, y0 = Infinity, x1 = -Infinity, y1 = -Infinity;
  for (let i = 0; i < xs.length; i++) {
    x0 = Math.min(x0, xs[i]);
    y0 = Math.min(y0, ys[i]);
    x1 = Math.max(x1, xs[i] + size);
    y1 = Math.max(y1, ys[i] + size);
  }
  return xs.length ? { x0, y0, x1, y1 } : { x0: 0, y0: 0, x1: 1, y1: 1 };
}
