// The sale of one session: the countdown to its opening (server time),
// the live seat map (canvas, or a list), picking seats and grabbing them.
import { get, post, newKey } from '../api.js';
import * as auth from '../auth.js';
import * as clock from '../clock.js';
import { h, show, when, money, duration, message } from '../dom.js';
import { t } from '../i18n.js';
import { live } from '../live.js';
import { go } from '../main.js';
import { SeatMap, COLOURS } from '../seatmap.js';
import { SeatStates, AVAILABLE, LOCKED, SOLD, UNKNOWN } from '../seatstates.js';
import { errorText } from './errors.js';

const STATE_TEXT = { [AVAILABLE]: 'sale.available', [LOCKED]: 'sale.held', [SOLD]: 'sale.sold', [UNKNOWN]: 'sale.unknown' };
const MAX_BUSY_TRIES = 8;
// The edge serves a copy of the live map up to a second old, and the
// server clock is known to half a second: after the stream (re)opens, the
// map is read until a copy this much newer than the opening arrives.
const SNAPSHOT_MARGIN_MS = 1500;

export async function salePage(main, id) {
  const sid = Number(id);
  let geo, showInfo;
  try {
    geo = await get(`/api/sessions/${sid}`);
    showInfo = await get(`/api/shows/${geo.show_id}`);
  } catch (e) {
    return show(main, h('h1', {}, t('notFound')), h('p', {}, errorText(e)), h('a', { href: '/' }, t('back')));
  }
  return new Sale(main, geo, showInfo).start();
}

class Sale {
  constructor(main, geo, showInfo) {
    this.sid = geo.id;
    this.geo = geo;
    this.showInfo = showInfo;
    this.view = showInfo.sessions.find((s) => s.id === geo.id);
    this.limit = this.view?.seat_limit ?? 1;
    this.tiers = new Map(geo.price_tiers.map((p) => [p.code, p]));
    this.seatById = new Map(geo.seats.map((s) => [s.id, s]));
    this.states = new SeatStates(geo.seats.map((s) => s.id));
    this.selected = new Set();
    this.layout(main);
    this.map = new SeatMap(this.canvas, geo.seats, this.states, geo.price_tiers.map((p) => p.code), {
      onPick: (sid) => this.toggle(sid),
      tip: (s, st) => t('sale.seatTip', s, this.tiers.get(s.tier)?.name ?? s.tier,
        money(this.price(s)), t(STATE_TEXT[st])),
      tooltip: this.tooltip,
    });
    this.states.onChange(() => { this.renderBasket(); this.refreshRow(); });
  }

  start() {
    const stopClock = this.view ? clock.every(() => this.tick()) : () => {};
    const stopLive = live(`/api/sale/sessions/${this.sid}/events`, { seats: (d) => this.states.applyEvent(d) }, {
      onOpen: () => this.reload(clock.now() + SNAPSHOT_MARGIN_MS), // deltas may have been missed
      onState: (ok) => { this.liveBadge.textContent = ok ? t('sale.live') : t('sale.reconnecting'); },
    });
    this.reload();
    return () => { this.left = true; stopClock(); stopLive(); };
  }

  // reload reads the live map, again until a copy read after since (ms)
  // (ten tries at most). A busy edge (503, or no answer) is asked again,
  // waiting longer each time, as long as the page is shown.
  async reload(since = 0) {
    const mine = (this.reloading = (this.reloading ?? 0) + 1);
    for (let tries = 0, busy = 0; mine === this.reloading && !this.left;) {
      let at;
      try {
        at = await this.states.load(this.sid);
      } catch (e) {
        if (e.code !== 'unavailable' && e.code !== 'network') return message(this.grabStatus, errorText(e), 'error');
        await wait(e.retryAfter * 1000 * Math.min(++busy, 5));
        continue;
      }
      if (at === null) return message(this.status, t('sale.notArmed'));
      if (at >= since || ++tries >= 10) return;
      await wait(500);
    }
  }

  // tick shows the countdown to the opening; at the opening, it loads
  // the live map and stops.
  tick() {
    const opens = Date.parse(this.view.sale_opens_at), closes = Date.parse(this.view.sale_closes_at);
    const now = clock.now();
    if (now < opens) {
      this.countdown.textContent = t('sale.opensIn', duration(opens - now));
      return true;
    }
    this.countdown.textContent = '';
    message(this.status, now < closes && this.view.state !== 'CLOSED' ? t('sale.open') : t('sale.closed'));
    if (this.opened === false) this.reload();
    this.opened = true;
    return false;
  }

  price(s) {
    return this.tiers.get(s.tier)?.price_cents ?? 0;
  }

  layout(main) {
    const g = this.geo, v = g.venue;
    this.status = h('p', { id: 'sale-status' });
    this.countdown = h('p', { id: 'countdown', class: 'countdown', role: 'timer', 'aria-live': 'off' });
    this.opened = this.view ? clock.now() >= Date.parse(this.view.sale_opens_at) : true;
    this.liveBadge = h('span', { class: 'live', 'aria-live': 'polite' });
    this.canvas = h('canvas', { id: 'seatmap', tabindex: 0, role: 'img', 'aria-label': t('sale.mapLabel') });
    this.tooltip = h('div', { class: 'tooltip', role: 'tooltip', hidden: true });
    this.picked = h('ul', { id: 'picked' });
    this.total = h('p', { id: 'total', class: 'total' });
    this.grabButton = h('button', { type: 'button', id: 'grab', onclick: () => this.grab() }, t('sale.grab'));
    this.grabStatus = h('p', { id: 'grab-status', class: 'msg' });
    const zoom = (f) => () => this.map.zoomAt(f);
    show(main,
      h('h1', {}, this.showInfo.title),
      h('p', {}, h('a', { href: `/shows/${g.show_id}` }, this.showInfo.artist), ' — ', when(g.starts_at)),
      h('p', {}, t('show.venue', v.name, v.city, v.address), ' ', this.liveBadge),
      this.view ? h('p', {}, t('show.saleOpens', when(this.view.sale_opens_at))) : null,
      this.countdown, this.status,
      h('div', { class: 'sale' },
        h('section', { class: 'map-pane', 'aria-label': t('sale.legend') },
          this.legend(),
          h('div', { class: 'toolbar' },
            h('button', { type: 'button', onclick: zoom(1.25), 'aria-label': t('sale.zoomIn') }, '+'),
            h('button', { type: 'button', onclick: zoom(0.8), 'aria-label': t('sale.zoomOut') }, '−'),
            h('button', { type: 'button', onclick: () => this.map.fit() }, t('sale.fit'))),
          h('div', { class: 'map-wrap' }, this.canvas, this.tooltip),
          this.seatList()),
        h('aside', { class: 'basket', 'aria-labelledby': 'basket-title' },
          h('h2', { id: 'basket-title' }, t('sale.yourSeats')),
          h('p', {}, t('sale.limit', this.limit)),
          this.picked, this.total, this.grabButton,
          auth.current() ? null : h('p', {}, h('a', { href: `/login?next=${encodeURIComponent(location.pathname)}` }, t('sale.loginToBuy'))),
          this.grabStatus)));
    this.renderBasket();
  }

  legend() {
    const item = (colour, ...text) => h('li', {}, h('span', { class: 'swatch', style: `background:${colour}` }), ...text);
    return h('ul', { class: 'legend' },
      this.geo.price_tiers.map((p, i) => item(COLOURS.tiers[i % COLOURS.tiers.length], `${p.name} ${money(p.price_cents)}`)),
      item(COLOURS.held, t('sale.held')), item(COLOURS.sold, t('sale.sold')), item(COLOURS.selected, t('sale.selected')));
  }

  // seatList is the map as a list: section → row → seats.
  seatList() {
    const sections = new Map();
    for (const s of this.geo.seats) {
      if (!sections.has(s.section)) sections.set(s.section, new Map());
      const rows = sections.get(s.section);
      if (!rows.has(s.row)) rows.set(s.row, []);
      rows.get(s.row).push(s);
    }
    const opt = (v) => h('option', { value: v }, v);
    const sectionSel = h('select', { id: 'list-section' }, [...sections.keys()].map(opt));
    const rowSel = h('select', { id: 'list-row' });
    this.rowBox = h('fieldset', { id: 'list-seats' });
    const fillRows = () => {
      show(rowSel, [...sections.get(sectionSel.value).keys()].map(opt));
      fillSeats();
    };
    const fillSeats = () => {
      const seats = sections.get(sectionSel.value)?.get(rowSel.value) ?? [];
      this.rowInputs = new Map();
      show(this.rowBox, h('legend', {}, t('sale.seatsOfRow')), seats.map((s) => {
        const box = h('input', { type: 'checkbox', id: `seat-${s.id}`, onchange: () => this.toggle(s.id) });
        const state = h('span', { class: 'seat-state' });
        this.rowInputs.set(s.id, { box, state });
        return h('div', { class: 'seat-option' }, box,
          h('label', { for: `seat-${s.id}` }, t('sale.seatName', s), ` · ${this.tiers.get(s.tier)?.name ?? s.tier} ${money(this.price(s))} `, state));
      }));
      this.refreshRow();
    };
    sectionSel.addEventListener('change', fillRows);
    rowSel.addEventListener('change', fillSeats);
    fillRows();
    return h('details', { class: 'seat-list' }, h('summary', {}, t('sale.list')),
      h('label', { for: 'list-section' }, t('sale.section')), sectionSel,
      h('label', { for: 'list-row' }, t('sale.row')), rowSel, this.rowBox);
  }

  refreshRow() {
    for (const [id, { box, state }] of this.rowInputs ?? []) {
      const st = this.states.of(id);
      box.checked = this.selected.has(id);
      box.disabled = st !== AVAILABLE && !box.checked;
      state.textContent = `(${t(STATE_TEXT[st])})`;
    }
  }

  toggle(id) {
    if (this.selected.has(id)) {
      this.selected.delete(id);
    } else if (this.states.of(id) !== AVAILABLE) {
      return this.refreshRow();
    } else if (this.selected.size >= this.limit) {
      message(this.grabStatus, t('sale.atLimit', this.limit), 'error');
      return this.refreshRow();
    } else {
      this.selected.add(id);
    }
    this.grabStatus.textContent = '';
    this.changedSelection();
  }

  changedSelection() {
    this.map.setSelected(this.selected);
    this.renderBasket();
    this.refreshRow();
  }

  renderBasket() {
    const seats = [...this.selected].map((id) => this.seatById.get(id));
    show(this.picked, seats.length ? seats.map((s) => {
      const name = t('sale.seatName', s);
      return h('li', { 'data-seat': s.id }, t('sale.seatShort', s), ` ${money(this.price(s))} `,
        this.states.of(s.id) !== AVAILABLE ? h('strong', { class: 'taken' }, t('sale.takenNow'), ' ') : null,
        h('button', { type: 'button', class: 'link', 'aria-label': t('sale.remove', name), onclick: () => this.toggle(s.id) }, '✕'));
    }) : h('li', { class: 'empty' }, t('sale.noneSelected')));
    this.total.textContent = t('sale.total', money(seats.reduce((a, s) => a + this.price(s), 0)));
    this.grabButton.disabled = this.busy || !seats.length;
  }

  // grab holds the picked seats; a busy edge (503, or no answer) is asked
  // again with the same Idempotency-Key, so a seat is never held twice.
  async grab() {
    if (!auth.current()) return go(`/login?next=${encodeURIComponent(location.pathname)}`);
    const ids = [...this.selected], key = newKey();
    this.setBusy(true);
    message(this.grabStatus, t('sale.grabbing'));
    for (let attempt = 1; ; attempt++) {
      try {
        const hold = await post(`/api/sale/sessions/${this.sid}/holds`, { seat_ids: ids }, { 'Idempotency-Key': key });
        return go(`/orders/${encodeURIComponent(hold.order_no)}`);
      } catch (e) {
        if ((e.code === 'unavailable' || e.code === 'network') && attempt < MAX_BUSY_TRIES) {
          message(this.grabStatus, t('err.busy', attempt + 1), 'warn');
          await wait(e.retryAfter * 1000 * Math.min(attempt, 4) * (0.75 + Math.random() / 2));
          continue;
        }
        return this.refused(e);
      }
    }
  }

  refused(e) {
    if (e.code === 'unauthorized') return go(`/login?next=${encodeURIComponent(location.pathname)}`);
    if (e.code === 'seat_unavailable') {
      const ids = (e.body.seat_ids ?? []).map(Number);
      this.states.markTaken(ids, clock.now());
      const names = ids.map((id) => this.seatById.get(id)).filter(Boolean).map((s) => t('sale.seatName', s));
      for (const id of ids) this.selected.delete(id);
      this.changedSelection();
      message(this.grabStatus, t('err.seat_unavailable', names.join('; ')), 'error');
    } else {
      message(this.grabStatus, errorText(e), 'error');
    }
    if (e.code === 'rate_limited') {
      return wait(e.retryAfter * 1000).then(() => this.setBusy(false));
    }
    this.setBusy(false);
  }

  setBusy(busy) {
    this.busy = busy;
    this.renderBasket();
  }
}

const wait = (ms) => new Promise((r) => setTimeout(r, ms));
