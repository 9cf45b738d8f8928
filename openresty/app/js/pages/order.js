// One order: its seats, amount and countdown; Pay (the gateway's page and
// back) and Cancel; its status followed live over /api/me/events.
import { get, post } from '../api.js';
import * as auth from '../auth.js';
import * as clock from '../clock.js';
import { h, show, when, money, duration, message } from '../dom.js';
import { t } from '../i18n.js';
import { live } from '../live.js';
import { go } from '../main.js';
import { errorText } from './errors.js';

// An order not settled yet is read again this often, in case its event
// went by while the stream was (re)connecting.
const RELOAD_MS = 5000;

// Statuses only move forward; a late, older answer never wins.
const RANK = { LOCKED: 0, PAYING: 1, PAID: 2, CANCELLED: 2, TIMEOUT_CANCELLED: 2 };
const FINAL = new Set(['PAID', 'CANCELLED', 'TIMEOUT_CANCELLED']);

export async function orderPage(main, no) {
  if (!auth.current()) return go(`/login?next=${encodeURIComponent(location.pathname)}`, true);
  const page = new OrderView(main, no);
  if (!(await page.load())) return;
  const stopLive = live('/api/me/events', { order: (d) => page.event(JSON.parse(d)) }, { onOpen: () => page.load() });
  const stopClock = clock.every(() => page.tick());
  return () => { stopLive(); stopClock(); };
}

class OrderView {
  constructor(main, no) {
    this.main = main;
    this.no = no;
    this.order = null;
  }

  async load() {
    this.loadedAt = Date.now();
    try {
      this.update(await get(`/api/orders/${encodeURIComponent(this.no)}`));
      return true;
    } catch (e) {
      if (!this.order) show(this.main, h('h1', {}, t('order.title', this.no)), h('p', { class: 'msg error', role: 'alert' }, errorText(e)));
      return false;
    }
  }

  event(d) {
    if (d.order_no === this.no) this.update({ ...this.order, status: d.status });
  }

  // update shows o unless it is older than what is shown.
  update(o) {
    if (this.order && RANK[o.status] < RANK[this.order.status]) o = { ...o, status: this.order.status };
    const first = !this.order;
    this.order = o;
    if (first) this.layout();
    this.statusLine.dataset.status = o.status;
    message(this.statusLine, t(`status.${o.status}`), o.status === 'PAID' ? 'ok' : FINAL.has(o.status) ? 'warn' : 'info');
    this.payButton.hidden = FINAL.has(o.status);
    this.cancelButton.hidden = FINAL.has(o.status);
    this.tick();
  }

  layout() {
    const o = this.order;
    this.statusLine = h('p', { id: 'order-status' });
    this.countdown = h('p', { id: 'order-countdown', role: 'timer' });
    this.actionStatus = h('p', { id: 'order-action-status' });
    this.payButton = h('button', { type: 'button', id: 'pay', onclick: () => this.pay() }, t('order.pay'));
    this.cancelButton = h('button', { type: 'button', id: 'cancel', class: 'secondary', onclick: () => this.cancel() }, t('order.cancel'));
    show(this.main, h('h1', {}, t('order.title', o.order_no)),
      h('p', {}, o.show_title, ' — ', when(o.starts_at)),
      this.statusLine, this.countdown,
      h('h2', {}, t('order.seats')),
      h('ul', { id: 'order-seats' }, o.items.map((i) => h('li', {}, t('sale.seatName', i), ` · ${money(i.price_cents)}`))),
      h('p', { id: 'order-amount', class: 'total' }, t('order.amount', money(o.amount_cents))),
      h('div', { class: 'row' }, this.payButton, this.cancelButton),
      this.actionStatus,
      h('p', {}, h('a', { href: `/sessions/${o.session_id}` }, t('order.toSale'))));
  }

  tick() {
    const o = this.order;
    if (!o) return true;
    if (FINAL.has(o.status)) {
      this.countdown.textContent = '';
      return true;
    }
    if (Date.now() - this.loadedAt >= RELOAD_MS) this.load();
    const deadline = Date.parse(o.status === 'PAYING' && o.pay_deadline ? o.pay_deadline : o.expire_at);
    const left = deadline - clock.now();
    this.countdown.textContent = left > 0
      ? t(o.status === 'PAYING' ? 'order.payIn' : 'order.expiresIn', duration(left))
      : t('order.timeUp');
    return true;
  }

  async pay() {
    this.payButton.disabled = true;
    message(this.actionStatus, t('order.paying'));
    try {
      const p = await post(`/api/orders/${encodeURIComponent(this.no)}/pay`);
      location.assign(p.pay_url);
    } catch (e) {
      this.payButton.disabled = false;
      message(this.actionStatus, errorText(e), 'error');
      this.load();
    }
  }

  async cancel() {
    this.cancelButton.disabled = true;
    try {
      const r = await post(`/api/orders/${encodeURIComponent(this.no)}/cancel`);
      this.update({ ...this.order, status: r.status });
      this.actionStatus.textContent = '';
    } catch (e) {
      message(this.actionStatus, errorText(e), 'error');
      this.load();
    } finally {
      this.cancelButton.disabled = false;
    }
  }
}
