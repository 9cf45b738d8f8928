// Small DOM helpers. Text always goes in as text nodes (never as HTML).
import { lang, t } from './i18n.js';

// h builds an element: props set attributes (onX adds listeners), children
// are nodes or strings.
export function h(tag, props = {}, ...children) {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(props)) {
    if (v == null || v === false) continue;
    if (k.startsWith('on')) el.addEventListener(k.slice(2), v);
    else if (k === 'class') el.className = v;
    else el.setAttribute(k, v === true ? '' : String(v));
  }
  append(el, children);
  return el;
}

function append(el, children) {
  for (const c of children.flat(Infinity)) {
    if (c != null && c !== false) el.append(c instanceof Node ? c : String(c));
  }
}

// show replaces the children of el.
export function show(el, ...children) {
  el.replaceChildren();
  append(el, children);
  return el;
}

// link is an in-app link (the router handles its clicks).
export function link(href, ...children) {
  return h('a', { href }, ...children);
}

let dateFmt = null; // made on first use: the language is known by then

// when formats a timestamp (RFC 3339 string or epoch ms) for people, in
// their language.
export function when(at) {
  dateFmt ??= new Intl.DateTimeFormat(lang(), { dateStyle: 'medium', timeStyle: 'short' });
  const d = new Date(typeof at === 'number' ? at : Date.parse(at));
  return isNaN(d) ? String(at) : dateFmt.format(d);
}

// duration formats ms as h:mm:ss or m:ss.
export function duration(ms) {
  const s = Math.max(0, Math.ceil(ms / 1000));
  const hh = Math.floor(s / 3600), mm = Math.floor((s % 3600) / 60), ss = s % 60;
  const two = (n) => String(n).padStart(2, '0');
  return hh ? `${hh}:${two(mm)}:${two(ss)}` : `${mm}:${two(ss)}`;
}

export const money = (cents) => t('money', cents);

// message is a status line: role=alert for errors, status otherwise.
export function message(el, text, kind = 'info') {
  el.className = `msg ${kind}`;
  el.setAttribute('role', kind === 'error' ? 'alert' : 'status');
  el.textContent = text;
}
