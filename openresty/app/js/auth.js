// The buyer's session: the token in localStorage (for the Authorization
// header) and in a cookie for /api/ only (for EventSource, which cannot
// send headers; notify reads it). SameSite=Strict keeps it to this site.
const KEY = 'boxoffice.session';
export const COOKIE = 'boxoffice_token';

const listeners = new Set();

export function current() {
  try {
    const s = JSON.parse(localStorage.getItem(KEY));
    if (s && Date.parse(s.expires_at) > Date.now()) return s;
  } catch {
    // unreadable: logged out
  }
  return null;
}

export function token() {
  return current()?.token ?? null;
}

export function save(phone, { token, expires_at }) {
  localStorage.setItem(KEY, JSON.stringify({ phone, token, expires_at }));
  const age = Math.max(0, Math.floor((Date.parse(expires_at) - Date.now()) / 1000));
  cookie(token, age);
  changed();
}

export function logout() {
  localStorage.removeItem(KEY);
  cookie('', 0);
  changed();
}

// onChange calls fn after every login and logout.
export function onChange(fn) {
  listeners.add(fn);
}

function changed() {
  for (const fn of listeners) fn(current());
}

function cookie(value, maxAge) {
  const secure = location.protocol === 'https:' ? '; Secure' : '';
  document.cookie = `${COOKIE}=${value}; Path=/api/; Max-Age=${maxAge}; SameSite=Strict${secure}`;
}

// The cookie follows the stored session, so a restart of the browser (or
// a token that expired) leaves them in step.
export function sync() {
  const s = current();
  if (s) cookie(s.token, Math.floor((Date.parse(s.expires_at) - Date.now()) / 1000));
  else cookie('', 0);
}
