// My tickets: the buyer's orders and reservations.
import { get } from '../api.js';
import * as auth from '../auth.js';
import { h, show, when, money, message } from '../dom.js';
import { t } from '../i18n.js';
import { go } from '../main.js';
import { errorText } from './errors.js';

export async function minePage(main) {
  if (!auth.current()) return go('/login?next=/me', true);
  const status = h('p');
  show(main, h('h1', {}, t('mine.title')), status);
  let orders, reservations;
  try {
    [orders, reservations] = await Promise.all([get('/api/me/orders?per_page=100'), get('/api/me/reservations?per_page=100')]);
  } catch (e) {
    return message(status, errorText(e), 'error');
  }
  main.append(
    h('h2', {}, t('mine.orders')),
    orders.items.length ? h('ul', { id: 'my-orders', class: 'plain' }, orders.items.map((o) => h('li', {},
      h('a', { href: `/orders/${encodeURIComponent(o.order_no)}` }, o.order_no), ` · ${o.show_title} · ${when(o.starts_at)} · `,
      h('span', { class: `status status-${o.status}` }, t(`statusShort.${o.status}`)), ` · ${money(o.amount_cents)}`)))
      : h('p', {}, t('mine.noOrders')),
    h('h2', {}, t('mine.reservations')),
    reservations.items.length ? h('ul', { id: 'my-reservations', class: 'plain' }, reservations.items.map((r) => h('li', {},
      h('a', { href: `/sessions/${r.session_id}` }, r.show_title), ` · ${when(r.starts_at)} · `, t('mine.saleOpens', when(r.sale_opens_at)))))
      : h('p', {}, t('mine.noReservations')));
}
