// The show list: search by title/artist and city, and paging.
import { get } from '../api.js';
import { h, show, when, message } from '../dom.js';
import { t } from '../i18n.js';
import { go } from '../main.js';
import { errorText } from './errors.js';

const PER_PAGE = 12;

export async function showList(main) {
  const params = new URLSearchParams(location.search);
  const q = params.get('q') ?? '', city = params.get('city') ?? '';
  const page = Math.max(1, Number(params.get('page')) || 1);
  const qIn = h('input', { id: 'q', name: 'q', type: 'search', value: q, maxlength: 100 });
  const cityIn = h('input', { id: 'city', name: 'city', value: city, maxlength: 100 });
  const form = h('form', { class: 'search', role: 'search', onsubmit: (e) => {
    e.preventDefault();
    go(listURL(qIn.value.trim(), cityIn.value.trim(), 1));
  } },
  h('label', { for: 'q' }, t('shows.q')), qIn,
  h('label', { for: 'city' }, t('shows.city')), cityIn,
  h('button', { type: 'submit' }, t('shows.search')));
  const list = h('ul', { class: 'cards', id: 'shows' });
  const status = h('p');
  show(main, h('h1', {}, t('shows.title')), form, status, list);
  let data;
  try {
    data = await get(`/api/shows?${new URLSearchParams({ q, city, page, per_page: PER_PAGE })}`);
  } catch (e) {
    return message(status, errorText(e), 'error');
  }
  if (!data.items.length) message(status, t('shows.none'));
  show(list, data.items.map(card));
  const pages = Math.max(1, Math.ceil(data.total / data.per_page));
  main.append(h('nav', { class: 'pager', 'aria-label': t('shows.pages') },
    page > 1 ? h('a', { href: listURL(q, city, page - 1), rel: 'prev' }, t('shows.prev')) : null,
    h('span', {}, t('shows.page', page, pages, data.total)),
    page < pages ? h('a', { href: listURL(q, city, page + 1), rel: 'next' }, t('shows.nextPage')) : null));
}

function card(s) {
  const next = s.next_session;
  return h('li', { class: 'card' },
    h('h2', {}, h('a', { href: `/shows/${s.id}` }, s.title)),
    h('p', { class: 'artist' }, s.artist),
    h('p', {}, next ? t('shows.next', when(next.starts_at), next.city) : t('shows.noNext')));
}

function listURL(q, city, page) {
  const p = new URLSearchParams();
  if (q) p.set('q', q);
  if (city) p.set('city', city);
  if (page > 1) p.set('page', page);
  const s = p.toString();
  return s ? `/?${s}` : '/';
}
