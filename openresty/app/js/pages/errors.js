// errorText is what a person is told about an API error.
import { when } from '../dom.js';
import { t } from '../i18n.js';

export function errorText(e) {
  const b = e.body;
  switch (e.code) {
    case 'sold_out': case 'not_eligible': case 'network': case 'unauthorized':
    case 'reservation_closed': case 'unavailable': case 'not_found': case 'conflict':
    case 'bad_request': case 'internal':
      return t(`err.${e.code}`);
    case 'limit_exceeded':
      return t('err.limit_exceeded', b.limit, b.held);
    case 'sale_not_open':
      return b.opens_at ? t('err.sale_not_open', when(b.opens_at)) : t('err.sale_not_open_closed');
    case 'rate_limited':
      return t('err.rate_limited', e.retryAfter);
    default:
      return t('err.other', e.message);
  }
}
