// The JSON API: every call goes through api(), which sends the token,
// feeds the server clock, and turns error answers into ApiError.
import * as auth from './auth.js';
import * as clock from './clock.js';

export class ApiError extends Error {
  constructor(status, body, headers) {
    super(body?.message || `HTTP ${status}`);
    this.status = status;
    this.code = body?.error || (status ? 'other' : 'network');
    this.body = body || {};
    const ra = Number(headers?.get('Retry-After') ?? body?.retry_after);
    this.retryAfter = Number.isFinite(ra) && ra > 0 ? ra : 1;
  }
}

export async function api(method, path, { body, headers = {} } = {}) {
  const h = { Accept: 'application/json', ...headers };
  const tok = auth.token();
  if (tok) h.Authorization = `Bearer ${tok}`;
  if (body !== undefined) h['Content-Type'] = 'application/json';
  const sent = Date.now();
  let resp;
  try {
    resp = await fetch(path, { method, headers: h, body: body === undefined ? undefined : JSON.stringify(body) });
  } catch {
    throw new ApiError(0, null, null);
  }
  clock.observe(resp.headers.get('Date'), sent, Date.now());
  const data = await resp.json().catch(() => null);
  if (!resp.ok) {
    if (resp.status === 401 && tok) auth.logout();
    throw new ApiError(resp.status, data, resp.headers);
  }
  return data;
}

export const get = (path) => api('GET', path);
export const post = (path, body, headers) => api('POST', path, { body, headers });

// newKey is a fresh Idempotency-Key (crypto.randomUUID needs a secure
// context; getRandomValues does not).
export function newKey() {
  const b = crypto.getRandomValues(new Uint8Array(16));
  return Array.from(b, (x) => x.toString(16).padStart(2, '0')).join('');
}
