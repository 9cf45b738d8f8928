// A show: its sessions with venue, dates, prices, and reserving.
import { get, post } from '../api.js';
import * as auth from '../auth.js';
import * as clock from '../clock.js';
import { h, show, when, money, message } from '../dom.js';
import { t } from '../i18n.js';
import { errorText } from './errors.js';

export async function showPage(main, id) {
  let s;
  try {
    s = await get(`/api/shows/${id}`);
  } catch (e) {
    return show(main, h('h1', {}, t('notFound')), h('p', {}, errorText(e)), h('a', { href: '/' }, t('back')));
  }
  const reserved = await myReservations();
  show(main, h('h1', {}, s.title), h('p', { class: 'artist' }, s.artist),
    s.description ? h('p', { class: 'description' }, s.description) : null,
    h('h2', {}, t('show.sessions')),
    s.sessions.length
      ? h('ul', { class: 'sessions' }, s.sessions.map((x) => session(x, reserved.has(x.id))))
      : h('p', {}, t('show.noSessions')));
}

// myReservations is the set of session ids the buyer reserved.
export async function myReservations() {
  if (!auth.current()) return new Set();
  try {
    const r = await get('/api/me/reservations?per_page=100');
    return new Set(r.items.map((x) => x.session_id));
  } catch {
    return new Set();
  }
}

function session(x, reserved) {
  const v = x.venue;
  return h('li', { class: 'session card', id: `session-${x.id}` },
    h('h3', {}, when(x.starts_at), ' — ', h('span', { class: `state state-${x.state}` }, t(`state.${x.state}`))),
    h('p', {}, t('show.venue', v.name, v.city, v.address)),
    h('table', { class: 'tiers' }, h('caption', {}, t('show.tiers')),
      h('tbody', {}, x.price_tiers.map((p) => h('tr', {}, h('th', { scope: 'row' }, p.name), h('td', {}, money(p.price_cents)))))),
    reservePart(x, reserved),
    h('p', {}, t('show.saleOpens', when(x.sale_opens_at))),
    h('p', {}, h('a', { class: 'button', href: `/sessions/${x.id}` }, t('show.goToSale'))));
}

function reservePart(x, reserved) {
  const box = h('div', { class: 'reserve' });
  const status = h('p', { class: 'msg' });
  const now = clock.now();
  if (reserved) {
    message(status, t('show.reserved'), 'ok');
    return show(box, status);
  }
  if (x.state !== 'RESERVING' || now >= Date.parse(x.reserve_closes_at)) {
    return show(box, h('p', {}, t('show.reserveClosed')));
  }
  if (now < Date.parse(x.reserve_opens_at)) {
    return show(box, h('p', {}, t('show.reserveOpensAt', when(x.reserve_opens_at))));
  }
  const window = h('p', {}, t('show.reserveWindow', when(x.reserve_opens_at), when(x.reserve_closes_at)));
  if (!auth.current()) {
    return show(box, window, h('a', { class: 'button', href: `/login?next=${encodeURIComponent(location.pathname)}` }, t('show.loginToReserve')));
  }
  const button = h('button', { type: 'button', class: 'reserve-button', onclick: async () => {
    button.disabled = true;
    try {
      await post(`/api/sessions/${x.id}/reservations`);
      button.remove();
      message(status, t('show.reserved'), 'ok');
    } catch (e) {
      button.disabled = false;
      message(status, errorText(e), 'error');
    }
  } }, t('show.reserve'));
  return show(box, window, button, status);
}
