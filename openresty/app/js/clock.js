// Server time from the HTTP Date header of API answers. Each answer
// bounds the offset (server − local) to [Date − received, Date + 1 s − sent];
// the bounds of all answers are intersected, and their middle is used.
let lo = -Infinity;
let hi = Infinity;

export function observe(dateHeader, sentAt, receivedAt) {
  const d = Date.parse(dateHeader);
  if (isNaN(d)) return;
  const l = d - receivedAt, u = d + 1000 - sentAt;
  if (l > hi || u < lo) {
    lo = l; // the local clock jumped: start again
    hi = u;
    return;
  }
  lo = Math.max(lo, l);
  hi = Math.min(hi, u);
}

// now is the server's time in epoch ms.
export function now() {
  return Date.now() + (Number.isFinite(lo) ? (lo + hi) / 2 : 0);
}

// every calls fn now and then each second, until it returns false.
export function every(fn) {
  if (fn() === false) return () => {};
  const id = setInterval(() => { if (fn() === false) clearInterval(id); }, 1000);
  return () => clearInterval(id);
}
