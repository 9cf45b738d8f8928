// Log in or register by phone; then back where the buyer came from.
import { post } from '../api.js';
import * as auth from '../auth.js';
import { h, show, message } from '../dom.js';
import { t } from '../i18n.js';
import { go } from '../main.js';
import { errorText } from './errors.js';

export function loginPage(main) {
  const next = new URLSearchParams(location.search).get('next');
  const target = next && next.startsWith('/') && !next.startsWith('//') ? next : '/';
  const phone = h('input', { id: 'phone', name: 'phone', type: 'tel', autocomplete: 'tel', required: true, 'aria-describedby': 'phone-hint' });
  const password = h('input', { id: 'password', name: 'password', type: 'password', autocomplete: 'current-password', required: true, 'aria-describedby': 'password-hint' });
  const status = h('p', { id: 'login-status' });
  const submit = async (register) => {
    if (!phone.reportValidity() || !password.reportValidity()) return;
    const creds = { phone: phone.value.trim(), password: password.value };
    try {
      if (register) await post('/api/auth/register', creds);
      const tok = await post('/api/auth/login', creds);
      auth.save(creds.phone, tok);
      go(target, true);
    } catch (e) {
      message(status, loginError(e), 'error');
    }
  };
  show(main, h('h1', {}, t('login.title')),
    h('form', { class: 'stack', onsubmit: (e) => { e.preventDefault(); submit(false); } },
      h('label', { for: 'phone' }, t('login.phone')), phone,
      h('small', { id: 'phone-hint' }, t('login.phoneHint')),
      h('label', { for: 'password' }, t('login.password')), password,
      h('small', { id: 'password-hint' }, t('login.passwordHint')),
      h('div', { class: 'row' },
        h('button', { type: 'submit', id: 'login' }, t('login.submit')),
        h('button', { type: 'button', id: 'register', class: 'secondary', onclick: () => submit(true) }, t('login.register')))),
    status);
  phone.focus();
}

function loginError(e) {
  switch (e.code) {
    case 'unauthorized': return t('login.failed');
    case 'conflict': return t('login.taken');
    case 'bad_request': // the server names the input to correct
      if (e.body.field === 'phone') return t('login.badPhone');
      if (e.body.field === 'password') return t('login.badPassword');
      return errorText(e);
    default: return errorText(e);
  }
}
