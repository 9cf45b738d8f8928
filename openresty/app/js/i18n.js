// t(key, ...args) is the text for key in the buyer's language: a string,
// or a function of args. English is the fallback for missing keys.
import en from '../i18n/en.js';

// LANGUAGES are the translations there are (i18n/<code>.js), each named
// in its own language for the switch.
export const LANGUAGES = { en: 'English', 'zh-CN': '简体中文' };
const CHOSEN = 'boxoffice.lang';

let text = en;
let current = 'en';

// pick is the buyer's own choice if any, else the first of the browser's
// languages there is a translation for (by its main part: zh-TW → zh-CN).
function pick() {
  const chosen = localStorage.getItem(CHOSEN);
  if (Object.hasOwn(LANGUAGES, chosen)) return chosen;
  const codes = Object.keys(LANGUAGES);
  for (const l of navigator.languages?.length ? navigator.languages : [navigator.language || 'en']) {
    const main = l.split('-')[0].toLowerCase();
    const found = codes.find((c) => c.toLowerCase() === l.toLowerCase()) ?? codes.find((c) => c.split('-')[0] === main);
    if (found) return found;
  }
  return 'en';
}

// load reads the translation of the language to show.
export async function load() {
  current = pick();
  if (current !== 'en') {
    try {
      text = { ...en, ...(await import(`../i18n/${current}.js`)).default };
    } catch {
      current = 'en'; // no such file: stay in English
    }
  }
  document.documentElement.lang = current;
}

// lang is the language shown (a BCP 47 code, for Intl too).
export const lang = () => current;

// choose remembers the buyer's language and shows the page in it.
export function choose(code) {
  localStorage.setItem(CHOSEN, code);
  location.reload();
}

export function t(key, ...args) {
  const v = text[key] ?? en[key] ?? key;
  return typeof v === 'function' ? v(...args) : v;
}
