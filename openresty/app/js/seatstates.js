// Live seat states: the ONE module that reads their wire forms (the packed
// seat map of GET /api/sale/sessions/{id}/seats and the SSE seats deltas).
// States are kept per seat index as small numbers, with the time each
// was learnt, so an older snapshot never undoes a newer delta.
import { get } from './api.js';

export const AVAILABLE = 0;
export const LOCKED = 1;
export const SOLD = 2;
export const UNKNOWN = 3;
export const NAMES = ['AVAILABLE', 'LOCKED', 'SOLD', 'UNKNOWN'];
const CODES = { AVAILABLE, LOCKED, SOLD, UNKNOWN };
// PACKED are the states of the seat map's 2-bit codes; 3, a seat kept out
// of sale, shows as sold.
const PACKED = [AVAILABLE, LOCKED, SOLD, SOLD];

// unpack reads the seat map's compact form: `states` is base64 of 2 bits a
// seat (four a byte, the first in the high bits), at the seat's index in
// `order`, runs of consecutive seat ids [[first, count], ...]. It returns
// [seat id, state] pairs.
export function unpack(body) {
  const bytes = Uint8Array.from(atob(body.states), (c) => c.charCodeAt(0));
  const out = [];
  let i = 0;
  for (const [first, count] of body.order) {
    for (let id = first; id < first + count; id++, i++) {
      out.push([id, PACKED[(bytes[i >> 2] >> (6 - 2 * (i & 3))) & 3]]);
    }
  }
  return out;
}

export class SeatStates {
  // ids: the seat ids, in the order of the seat map's geometry.
  constructor(ids) {
    this.index = new Map(ids.map((id, i) => [id, i]));
    this.state = new Uint8Array(ids.length).fill(UNKNOWN);
    this.stamp = new Float64Array(ids.length);
    this.listeners = new Set();
  }

  onChange(fn) {
    this.listeners.add(fn);
  }

  of(id) {
    const i = this.index.get(id);
    return i === undefined ? UNKNOWN : this.state[i];
  }

  // set records states, [seat id, code or name] pairs, learnt at time at
  // (ms).
  set(pairs, at) {
    const changed = [];
    for (const [id, code] of pairs) {
      const i = this.index.get(Number(id));
      if (i === undefined || this.stamp[i] > at) continue;
      const s = typeof code === 'number' ? code : (CODES[code] ?? UNKNOWN);
      this.stamp[i] = at;
      if (this.state[i] !== s) {
        this.state[i] = s;
        changed.push(i);
      }
    }
    if (changed.length) for (const fn of this.listeners) fn(changed);
  }

  // load reads the session's live seat map and returns when it was read
  // (epoch ms), or null if the session is not on sale (404: not armed).
  async load(sessionId) {
    try {
      const body = await get(`/api/sale/sessions/${sessionId}/seats`);
      const at = Date.parse(body.at);
      this.set(unpack(body), at);
      return at;
    } catch (e) {
      if (e.status === 404) return null;
      throw e;
    }
  }

  // applyEvent applies the data of an SSE seats event.
  applyEvent(data) {
    const d = JSON.parse(data);
    this.set(Object.entries(d.seats), Date.parse(d.at));
  }

  // markTaken records seats a grab was refused for, as of at.
  markTaken(ids, at) {
    this.set(ids.map((id) => [id, LOCKED]), at);
  }
}
