/* ui.js: pieces the views share: headings, figure cards, badges, tables,
 * the token form, error boxes (server unreachable, token rejected, busy,
 * not found) and the verification mark of a log entry. */

import { h, id } from './dom.js';
import { t, num, label } from './i18n.js';
import { setToken, getToken, tokenRemembered } from './api.js';

/** The view's heading (focus lands here after navigation). */
export function title(text, sub) {
  return h('div', { class: 'view-head' },
    h('h1', { tabindex: '-1', id: 'view-title' }, text),
    sub ? h('p', { class: 'sub' }, sub) : null);
}

/** A figure: a number with its label; key names it for tests (data-figure). */
export function figure(key, value, text, { tone = '', hint = '', format = num } = {}) {
  return h('div', { class: `fig ${tone}`, 'data-figure': key, 'data-value': value ?? '' },
    h('span', { class: 'fig-value' }, format(value)),
    h('span', { class: 'fig-label' }, text),
    hint ? h('span', { class: 'fig-hint' }, hint) : null);
}

export const figures = (...figs) => h('div', { class: 'figs' }, figs);

export function badge(group, value, extra = '') {
  return h('span', { class: `badge b-${group}-${value} ${extra}`, 'data-value': value }, label(group, value));
}

/**
 * What happened to a consignment, from its accounts: 'delivered' (all that
 * entered was distributed), 'delivered_losses' (some distributed, some
 * lost or unaccounted for), 'lost' (nothing distributed), once nothing is
 * held or in transfer and all that was approved entered (status
 * completed); 'refused' when nothing was approved; else 'open'.
 */
export function outcome(c) {
  if (c.status === 'refused') return 'refused';
  if (c.status !== 'completed' || !c.entered) return 'open';
  if (c.distributed === c.entered) return 'delivered';
  return c.distributed > 0 ? 'delivered_losses' : 'lost';
}

/** A consignment's badge: its outcome, or while open its status. */
export function consignmentBadge(c) {
  const o = outcome(c);
  const text = o === 'open' || o === 'refused' ? label('consignment_status', c.status) : label('consignment_outcome', o);
  return h('span', { class: `badge b-outcome-${o}`, 'data-value': c.status, 'data-outcome': o }, text);
}

export function section(titleText, ...kids) {
  return h('section', { class: 'card' }, h('h2', {}, titleText), kids);
}

export const loading = (text) => h('p', { class: 'loading', role: 'status' }, text || t('common.loading'));
export const empty = (text) => h('p', { class: 'empty' }, text);

/**
 * A table: cols [{key, label, num?: true, cell: (row) => node}], rows.
 * Wrapped so that it scrolls sideways on a narrow screen.
 */
export function table(cols, rows, { caption, rowAttrs, cls = '' } = {}) {
  return h('div', { class: 'table-wrap', tabindex: '0', role: 'region', 'aria-label': caption || null },
    h('table', { class: cls },
      caption ? h('caption', { class: 'sr-only' }, caption) : null,
      h('thead', {}, h('tr', {}, cols.map((c) => h('th', { scope: 'col', class: c.num ? 'num' : null }, c.label)))),
      h('tbody', {}, rows.map((r) => h('tr', rowAttrs ? rowAttrs(r) : {},
        cols.map((c, i) => h(i === 0 ? 'th' : 'td', {
          scope: i === 0 ? 'row' : null, class: c.num ? `num${((c.value ? c.value(r) : r[c.key]) === 0) ? ' zero' : ''}` : null, 'data-col': c.key,
          'data-value': c.num ? (c.value ? c.value(r) : r[c.key]) ?? '' : null,
        }, c.cell ? c.cell(r) : (c.num ? num(r[c.key]) : r[c.key] ?? '—'))))))));
}

/** A description list from [[term, value], ...]. */
export function facts(pairs) {
  return h('dl', { class: 'facts' }, pairs.filter(Boolean).map(([k, v]) => [h('dt', {}, k), h('dd', {}, v ?? '—')]));
}

/** The message for an ApiError, as nodes. */
export function errorText(err) {
  const k = err && err.kind;
  switch (k) {
    case 'network': return t('error.network', { origin: location.origin });
    case 'timeout': return t('error.timeout');
    case 'busy': return t('error.busy', { status: err.status, seconds: num(err.retryAfter || 5) });
    case 'notfound': return t('error.notfound');
    case 'http': return t('error.http', { status: err.status });
    case 'format': return t('error.format');
    case 'auth': return t('error.auth');
    case 'forbidden': return t('error.forbidden');
    case 'token': return t('token.needed');
    default: return t('error.unexpected', { message: String(err && err.message || err) });
  }
}

/** A red box saying what went wrong, with a retry button when retrying can help. */
export function errorBox(err, retry) {
  const canRetry = retry && ['network', 'timeout', 'busy', 'http', 'format', undefined].includes(err && err.kind);
  return h('div', { class: 'error-box', role: 'alert', 'data-error': err && err.kind || 'unexpected' },
    h('p', { class: 'error-title' }, errorText(err)),
    err && err.status && err.serverMessage ? h('p', { class: 'error-detail' }, t('error.server_said'), ' ', h('q', { lang: 'en', dir: 'ltr' }, err.serverMessage)) : null,
    canRetry ? h('button', { type: 'button', onclick: retry }, t('common.retry')) : null);
}

/** The form that asks for a participant token; reason: 'needed', 'rejected', 'forbidden'. */
export function tokenForm(reason, onDone) {
  const input = h('input', {
    id: 'token-input', name: 'token', type: 'password', autocomplete: 'off', spellcheck: 'false',
    placeholder: 'cmcc_…', dir: 'ltr', required: true, 'aria-describedby': 'token-help token-msg',
  });
  const remember = h('input', { type: 'checkbox', id: 'token-remember', checked: tokenRemembered(), 'aria-describedby': 'token-remember-help' });
  const msg = h('p', { id: 'token-msg', class: reason === 'needed' ? 'note' : 'error', role: 'alert' },
    reason === 'rejected' ? t('token.rejected') : reason === 'forbidden' ? t('token.forbidden') : t('token.needed'));
  const form = h('form', {
    class: 'token-form', onsubmit: (e) => {
      e.preventDefault();
      const v = input.value.trim();
      if (!/^cmcc_[A-Za-z0-9_-]{43}$/.test(v)) {
        msg.className = 'error';
        msg.textContent = t('token.malformed');
        input.focus();
        return;
      }
      setToken(v, { remember: remember.checked });
      onDone();
    },
  },
  h('label', { for: 'token-input' }, t('token.label')),
  h('div', { class: 'row' }, input, h('button', { type: 'submit' }, t('token.submit'))),
  h('label', { class: 'check remember' }, remember, ' ', t('token.remember')),
  h('p', { class: 'muted small', id: 'token-remember-help' }, t('token.remember_help')));
  const box = h('section', { class: 'card token-panel', 'data-token-reason': reason },
    h('h1', { tabindex: '-1', id: 'view-title' }, t('token.title')),
    msg,
    h('p', { id: 'token-help' }, t('token.help')),
    form);
  queueMicrotask(() => { if (!getToken() || reason !== 'needed') input.focus(); });
  return box;
}

/** The mark of one entry's verification: state 'checking', 'verified', 'chain', 'failed'. */
export function verifyMark(state, why) {
  const text = {
    checking: t('verify.mark.checking'), verified: t('verify.mark.verified'),
    chain: t('verify.mark.chain'), failed: t('verify.mark.failed'),
  }[state];
  const icon = { checking: '…', verified: '✓', chain: '✓', failed: '✗' }[state];
  return h('span', { class: `vmark v-${state}`, 'data-verify': state, title: why || null },
    h('span', { 'aria-hidden': 'true' }, icon), ' ', text);
}

/** Why a verification failed, in words (reason: a VerifyError, or another error). */
export function verifyWhy(reason) {
  if (!reason) return '';
  if (reason.code) return t(`verify.why.${reason.code}`, reason.params || {});
  if (reason.kind) return errorText(reason);
  return t('verify.why.other', { message: String(reason.message || reason) });
}

export { id };
