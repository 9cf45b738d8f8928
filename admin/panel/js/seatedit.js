// The seat map editor's edits, kept undoable: an edit never changes a seat
// in place, it makes a new list with copies of the seats it changes, so an
// earlier list stays as it was and undo is going back to it (memory per
// step: the list of references, about 400 KB for 50,000 seats).

// History keeps the lists before (undo) and after (redo) the current one.
export class History {
  constructor(limit = 100) { this.limit = limit; this.past = []; this.future = []; }
  // record keeps seats, the list an edit is about to replace.
  record(seats) {
    this.past.push(seats);
    if (this.past.length > this.limit) this.past.shift();
    this.future = [];
  }
  // undo returns the list before current (current goes to redo), or null.
  undo(current) {
    if (!this.past.length) return null;
    this.future.push(current);
    return this.past.pop();
  }
  redo(current) {
    if (!this.future.length) return null;
    this.past.push(current);
    return this.future.pop();
  }
}

// paint gives tier to the seats where pick(seat) holds.
export function paint(seats, pick, tier) {
  return seats.map((s) => (pick(s) && s.tier !== tier ? { ...s, tier } : s));
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
  const number = new Map();
  for (const r of rows.values()) {
    if (r.sel) [...r.list].sort((a, b) => a.x - b.x).forEach((s, i) => number.set(s, i + 1));
  }
  return seats.map((s) => (number.has(s) && number.get(s) !== s.number ? { ...s, number: number.get(s) } : s));
}

// STEPS are the arrow keys' directions.
export const STEPS = { ArrowLeft: [-1, 0], ArrowRight: [1, 0], ArrowUp: [0, -1], ArrowDown: [0, 1] };

// nearest is the seat next to from in direction [dx, dy]: ahead of it, the
// closest counting a step sideways three times a step ahead (so a row's
// next seat wins over the row below); null at the edge of the map.
export function nearest(seats, from, [dx, dy]) {
  let best = null, score = Infinity;
  for (const s of seats) {
    const ax = s.x - from.x, ay = s.y - from.y;
    const ahead = ax * dx + ay * dy, side = Math.abs(ax * dy - ay * dx);
    if (ahead <= 0) continue;
    const v = ahead + 3 * side;
    if (v < score) { score = v; best = s; }
  }
  return best;
}
