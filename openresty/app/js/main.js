// The buyer app: a router over the pages, and the header's navigation.
import * as auth from './auth.js';
import { h, show } from './dom.js';
import { LANGUAGES, choose, lang, load, t } from './i18n.js';
import { showList } from './pages/shows.js';
import { showPage } from './pages/show.js';
import { loginPage } from './pages/login.js';
import { salePage } from './pages/sale.js';
import { orderPage } from './pages/order.js';
import { minePage } from './pages/mine.js';

const routes = [
  [/^\/$/, showList],
  [/^\/shows\/(\d+)$/, showPage],
  [/^\/sessions\/(\d+)$/, salePage],
  [/^\/orders\/([A-Za-z0-9-]+)$/, orderPage],
  [/^\/login$/, loginPage],
  [/^\/me$/, minePage],
];

const main = document.getElementById('main');
let leave = null; // the current page's clean-up (streams, timers)
let shown = 0; // counts renders, so a page that finishes late stays hidden

// go shows path (pushing it to the history unless replace).
export function go(path, replace = false) {
  history[replace ? 'replaceState' : 'pushState'](null, '', path);
  render();
}

// render shows the page of the current URL in a fresh view; a page still
// loading when the next render starts writes only to its detached view.
async function render() {
  leave?.();
  leave = null;
  const n = ++shown;
  const view = h('div', { class: 'page' }, h('p', {}, t('loading')));
  show(main, view);
  main.focus({ preventScroll: true }); // now, not once loaded: the buyer may be typing by then
  const { pathname } = location;
  for (const [re, page] of routes) {
    const m = pathname.match(re);
    if (m) {
      const cleanUp = await page(view, ...m.slice(1).map(decodeURIComponent));
      if (n !== shown) return cleanUp?.();
      leave = cleanUp || null;
      document.title = `${view.querySelector('h1')?.textContent ?? ''} · boxoffice`;
      return;
    }
  }
  show(view, h('h1', {}, t('notFound')), h('a', { href: '/' }, t('back')));
}

function nav(session) {
  const items = [h('a', { href: '/' }, t('nav.shows'))];
  if (session) {
    items.push(h('a', { href: '/me' }, t('nav.mine')),
      h('span', { class: 'who' }, t('nav.signedIn', session.phone)),
      h('button', { type: 'button', class: 'link', onclick: () => { auth.logout(); go('/'); } }, t('nav.logout')));
  } else {
    items.push(h('a', { href: `/login?next=${encodeURIComponent(location.pathname)}` }, t('nav.login')));
  }
  items.push(languageSwitch());
  show(document.getElementById('nav'), items);
}

// languageSwitch picks the language of the app; the choice is remembered.
function languageSwitch() {
  const sel = h('select', { id: 'lang', 'aria-label': t('nav.language'), onchange: () => choose(sel.value) },
    Object.entries(LANGUAGES).map(([code, name]) => h('option', { value: code, lang: code, selected: code === lang() }, name)));
  return sel;
}

// In-app links are routed here rather than loaded.
document.addEventListener('click', (e) => {
  const a = e.target.closest('a[href^="/"]');
  if (!a || e.defaultPrevented || e.button !== 0 || e.metaKey || e.ctrlKey || e.shiftKey || a.target) return;
  e.preventDefault();
  go(a.getAttribute('href'));
});
window.addEventListener('popstate', render);

await load();
document.querySelector('.skip').textContent = t('skip');
document.getElementById('nav').setAttribute('aria-label', t('nav.main'));
auth.sync();
auth.onChange((s) => nav(s));
nav(auth.current());
render();
