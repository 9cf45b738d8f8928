// Seat map files: CSV with the header section,row,number,x,y,tier, or JSON
// {"seats":[...]} (or a bare list), as the API takes them.
const HEADER = ["section", "row", "number", "x", "y", "tier"];

// parseCSV splits CSV text into records (RFC 4180 quoting).
function parseCSV(text) {
  const out = [];
  let rec = [], cell = "", i = 0, quoted = false;
  const n = text.length;
  while (i < n) {
    const c = text[i];
    if (quoted) {
      if (c === '"' && text[i + 1] === '"') { cell += '"'; i += 2; continue; }
      if (c === '"') { quoted = false; i++; continue; }
      cell += c; i++; continue;
    }
    if (c === '"' && cell === "") { quoted = true; i++; continue; }
    if (c === ",") { rec.push(cell); cell = ""; i++; continue; }
    if (c === "\n" || c === "\r") {
      rec.push(cell); cell = "";
      if (rec.length > 1 || rec[0] !== "") out.push(rec);
      rec = [];
      i += c === "\r" && text[i + 1] === "\n" ? 2 : 1;
      continue;
    }
    cell += c; i++;
  }
  if (cell !== "" || rec.length) { rec.push(cell); out.push(rec); }
  return out;
}

const int = (v, what, where) => {
  const n = Number(String(v).trim());
  if (!Number.isInteger(n)) throw new Error(`${where}: ${what} must be an integer, got "${v}"`);
  return n;
};

// seatsFromCSV reads seats from CSV text; it throws naming the line.
export function seatsFromCSV(text) {
  const recs = parseCSV(text.replace(/^\ufeff/, ""));
  if (!recs.length) throw new Error("the file is empty; line 1 must be the header " + HEADER.join(","));
  const head = recs[0].map((h) => h.trim().toLowerCase());
  const col = Object.fromEntries(HEADER.map((h) => [h, head.indexOf(h)]));
  if (head.length !== HEADER.length || Object.values(col).includes(-1)) {
    throw new Error(`line 1 must be the header ${HEADER.join(",")}, got "${recs[0].join(",")}"`);
  }
  const seats = new Array(recs.length - 1);
  for (let i = 1; i < recs.length; i++) {
    const r = recs[i], where = `line ${i + 1}`;
    seats[i - 1] = { section: r[col.section], row: r[col.row], number: int(r[col.number], "number", where),
      x: int(r[col.x], "x", where), y: int(r[col.y], "y", where), tier: r[col.tier] };
  }
  return seats;
}

// seatsFromJSON reads seats from {"seats":[...]} or a list.
export function seatsFromJSON(text) {
  const v = JSON.parse(text);
  const list = Array.isArray(v) ? v : v?.seats;
  if (!Array.isArray(list)) throw new Error('want {"seats":[...]} or a list of seats');
  return list.map((s, i) => {
    const where = `seats[${i}]`;
    return { section: String(s.section ?? ""), row: String(s.row ?? ""), number: int(s.number, "number", where),
      x: int(s.x, "x", where), y: int(s.y, "y", where), tier: String(s.tier ?? "") };
  });
}

const quote = (v) => (/[",\n\r]/.test(v) ? `"${String(v).replaceAll('"', '""')}"` : v);

export function seatsToCSV(seats) {
  const lines = [HEADER.join(",")];
  for (const s of seats) lines.push([quote(s.section), quote(s.row), s.number, s.x, s.y, quote(s.tier)].join(","));
  return lines.join("\n") + "\n";
}

export function seatsToJSON(seats) {
  return JSON.stringify({ seats: seats.map(({ section, row, number, x, y, tier }) => ({ section, row, number, x, y, tier })) });
}
