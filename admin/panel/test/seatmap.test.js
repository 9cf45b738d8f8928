// Unit tests of the seat map editor's model: node --test admin/panel/test/
import { test } from "node:test";
import assert from "node:assert/strict";
import { rowLabel, section, tierOrder } from "../js/seatmap.js";
import { History, paint, renumber, nearest } from "../js/seatedit.js";
import { seatsFromCSV, seatsFromJSON, seatsToCSV, seatsToJSON } from "../js/seatcsv.js";

test("rows are named A to Z, then AA", () => {
  assert.deepEqual([0, 1, 25, 26, 27, 701, 702].map(rowLabel), ["A", "B", "Z", "AA", "AB", "ZZ", "AAA"]);
});

test("tiers are shown, and coloured, in code order, not in the order the seats name them", () => {
  const seats = [{ tier: "VIP" }, { tier: "B" }, { tier: "VIP" }, { tier: "A" }, { tier: "B" }];
  assert.deepEqual(tierOrder(seats), ["A", "B", "VIP"]);
});

test("a section is rows × seats, numbered from 1, spaced, ends bent by the curvature", () => {
  const seats = section({ name: "L", rows: 3, seats: 5, firstRow: 2, x: 100, y: 50, spacing: 10, rowSpacing: 12, curve: 8, tier: "VIP" });
  assert.equal(seats.length, 15);
  const rowC = seats.filter((s) => s.row === "C");
  assert.deepEqual(rowC.map((s) => s.number), [1, 2, 3, 4, 5]);
  assert.deepEqual(rowC.map((s) => s.x), [100, 110, 120, 130, 140]);
  assert.deepEqual(rowC.map((s) => s.y), [58, 52, 50, 52, 58]);
  assert.deepEqual([...new Set(seats.map((s) => s.row))], ["C", "D", "E"]);
  assert.ok(seats.every((s) => s.section === "L" && s.tier === "VIP" && Number.isInteger(s.y)));
});

test("renumbering numbers every seat of a selected seat's row from the left", () => {
  const seats = [
    { section: "A", row: "1", number: 9, x: 30, sel: true },
    { section: "A", row: "1", number: 7, x: 10 },
    { section: "A", row: "1", number: 8, x: 20 },
    { section: "A", row: "2", number: 5, x: 10 },
  ];
  const before = seats.map((s) => s.number);
  const after = renumber(seats);
  assert.deepEqual(after.map((s) => s.number), [3, 1, 2, 5]);
  assert.deepEqual(seats.map((s) => s.number), before, "the old list is unchanged, for undo");
  assert.equal(after[3], seats[3], "an unchanged seat is shared");
});

test("paint copies the seats it changes; undo and redo walk the lists", () => {
  const seats = [{ x: 0, tier: "A", sel: true }, { x: 10, tier: "A" }];
  const hist = new History(2);
  hist.record(seats);
  const painted = paint(seats, (s) => s.sel, "VIP");
  assert.deepEqual(painted.map((s) => s.tier), ["VIP", "A"]);
  assert.deepEqual(seats.map((s) => s.tier), ["A", "A"]);
  assert.equal(painted[1], seats[1]);
  hist.record(painted);
  const removed = painted.slice(1);
  assert.equal(hist.undo(removed), painted);
  assert.equal(hist.undo(painted), seats);
  assert.equal(hist.undo(seats), null);
  assert.equal(hist.redo(seats), painted);
  assert.equal(hist.redo(painted), removed);
  assert.equal(hist.redo(removed), null);
  hist.undo(removed);
  hist.record(painted); // a new edit drops what could be redone
  assert.equal(hist.redo(painted), null);
  for (let i = 0; i < 5; i++) hist.record([]);
  assert.equal(hist.past.length, 2, "the history is bounded");
});

test("the arrow keys' seat is the next in the row, then the row beyond", () => {
  const at = (x, y) => ({ x, y });
  const seats = [at(0, 0), at(10, 0), at(20, 1), at(0, 12), at(10, 12), at(40, 13)];
  assert.equal(nearest(seats, seats[0], [1, 0]), seats[1]);
  assert.equal(nearest(seats, seats[1], [1, 0]), seats[2], "a curved row's next seat, a little lower");
  assert.equal(nearest(seats, seats[1], [0, 1]), seats[4]);
  assert.equal(nearest(seats, seats[4], [0, -1]), seats[1]);
  assert.equal(nearest(seats, seats[0], [-1, 0]), null, "the edge of the map");
});

test("CSV and JSON round trip, with quoting", () => {
  const seats = [
    { section: "Stalls, left", row: 'B"2', number: 1, x: -5, y: 10, tier: "A" },
    { section: "Balcony", row: "C", number: 12, x: 300, y: 0, tier: "VIP" },
  ];
  assert.deepEqual(seatsFromCSV(seatsToCSV(seats)), seats);
  assert.deepEqual(seatsFromJSON(seatsToJSON(seats)), seats);
  assert.deepEqual(seatsFromJSON(JSON.stringify(seats)), seats);
});

test("CSV accepts any column order, CRLF and a byte order mark", () => {
  const seats = seatsFromCSV("\ufefftier,x,y,number,row,section\r\nA,1,2,3,R,S\r\n");
  assert.deepEqual(seats, [{ section: "S", row: "R", number: 3, x: 1, y: 2, tier: "A" }]);
});

test("bad files name the problem and the line", () => {
  assert.throws(() => seatsFromCSV(""), /line 1 must be the header/);
  assert.throws(() => seatsFromCSV("section,row,number\nA,1,1\n"), /line 1 must be the header/);
  assert.throws(() => seatsFromCSV("section,row,number,x,y,tier\nA,1,1,0,0,A\nA,1,two,0,0,A\n"), /line 3: number must be an integer, got "two"/);
  assert.throws(() => seatsFromJSON('{"rows":[]}'), /want \{"seats":\[...\]\}/);
});
