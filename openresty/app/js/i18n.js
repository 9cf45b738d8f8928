// t(key, ...args) is the text for key in the buyer's language: a string,
// or a function of args. English is the fallback for missing keys.
import en from '../i18n/en.js';

let text = en;

// load picks the translation of the browser's language, if there is one.
export async function load() {
  const lang = (navigator.language || 'en').slice(0, 2).toLowerCase();
  if (lang === 'en' || !/^[a-z]{2}$/.test(lang)) return;
  try {
    text = { ...en, ...(await import(`../i18n/${lang}.js`)).default };
    document.documentElement.lang = lang;
  } catch {
    // no translation: stay in English
  }
}

export function t(key, ...args) {
  const v = text[key] ?? en[key] ?? key;
  return typeof v === 'function' ? v(...args) : v;
}
