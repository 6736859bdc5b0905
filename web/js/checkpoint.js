/* checkpoint.js: the log's current checkpoint as a card (origin, size,
 * root, whether its signature verifies and with which key, witness
 * cosignatures, whether it extends the one this browser saw before) and the field where a reader pastes the verifier key they
 * trust, kept in sessionStorage; also makes a Verifier bound to a view. */

import { h, replace, id } from './dom.js';
import { t, num, dateTime } from './i18n.js';
import { Verifier, parseVkey, trustedVkey, setTrustedVkey, hashEngine, verifyCosignatures } from './verify.js';
import { verifyWhy } from './ui.js';
import { showTrust, trustLine } from './trust.js';

/** A Verifier whose requests go through the view's (cancellable) fetchers. */
export function makeVerifier(ctx) {
  return new Verifier((path, as, auth) => (auth ? ctx.authed(path, { as }) : ctx.get(path, { as })));
}

function sigLine(v) {
  const st = v.signature.state;
  if (st === 'verified') {
    return h('p', { class: 'sig ok', 'data-signature': 'verified' }, '✓ ', t('checkpoint.sig_verified'));
  }
  if (st === 'unsupported') {
    return h('p', { class: 'sig warn', 'data-signature': 'unsupported' }, t('checkpoint.sig_unsupported'));
  }
  return h('p', { class: 'sig bad', 'data-signature': 'failed', role: 'alert' },
    '✗ ', t('checkpoint.sig_failed'), ' ', verifyWhy(v.signature.reason));
}

/** The key form: paste a verifier key to trust, or go back to the server's. */
export function keyForm(onChange) {
  const current = trustedVkey();
  const input = h('input', {
    id: 'vkey-input', type: 'text', dir: 'ltr', spellcheck: 'false', autocomplete: 'off',
    value: current, placeholder: 'origin+1234abcd+AbC…', 'aria-describedby': 'vkey-help vkey-msg',
  });
  const msg = h('p', { id: 'vkey-msg', class: 'note', role: 'status' });
  const form = h('form', {
    class: 'vkey-form', onsubmit: async (e) => {
      e.preventDefault();
      const v = input.value.trim();
      if (!v) { setTrustedVkey(''); onChange(); return; }
      try {
        await parseVkey(v);
      } catch (err) {
        msg.className = 'error';
        msg.textContent = verifyWhy(err);
        input.focus();
        return;
      }
      setTrustedVkey(v);
      onChange();
    },
  },
  h('label', { for: 'vkey-input' }, t('checkpoint.key_label')),
  h('p', { id: 'vkey-help', class: 'muted' }, t('checkpoint.key_help')),
  h('div', { class: 'row' }, input,
    h('button', { type: 'submit' }, t('checkpoint.key_use')),
    current ? h('button', {
      type: 'button', class: 'secondary', onclick: () => { setTrustedVkey(''); onChange(); },
    }, t('checkpoint.key_server')) : null),
  msg);
  return h('details', { class: 'keybox', open: current ? true : null },
    h('summary', {}, t('checkpoint.key_change')), form);
}

function witnessPart(cosigs, unknown) {
  if (!cosigs.length && !unknown.length) {
    return h('strong', { class: 'no-witness' }, t('checkpoint.no_witnesses'));
  }
  return h('ul', { class: 'witnesses' },
    cosigs.map((c) => h('li', { 'data-cosig': c.state },
      id(c.name), ' — ',
      c.state === 'verified' ? h('span', { class: 'ok-text' }, '✓ ', t('checkpoint.cosig_verified', { time: dateTime(c.time) }))
        : c.state === 'missing' ? h('span', { class: 'warn-text' }, t('checkpoint.cosig_missing'))
          : c.state === 'unsupported' ? h('span', { class: 'warn-text' }, t('checkpoint.cosig_unsupported'))
            : h('span', { class: 'bad-text' }, '✗ ', t('checkpoint.cosig_failed'), ' ', verifyWhy(c.reason)))),
    unknown.map((n) => h('li', { 'data-cosig': 'unchecked' }, id(n), ' — ', t('checkpoint.cosig_unchecked'))));
}

/** The card; v an initialised Verifier, cosigs what verifyCosignatures found. */
export function checkpointCard(v, serverLog, onChange, cosigs = [], trust = null) {
  const cp = v.checkpoint;
  const known = new Set(cosigs.map((c) => c.name));
  const unknown = (v.signature.cosigners || []).filter((n) => !known.has(n));
  const verifiedCosigs = cosigs.filter((c) => c.state === 'verified').length;
  return h('div', { class: 'checkpoint', 'data-size': cp.size },
    h('dl', { class: 'facts' },
      h('dt', {}, t('checkpoint.origin')), h('dd', {}, id(cp.origin)),
      h('dt', {}, t('checkpoint.size')), h('dd', { 'data-figure': 'checkpoint-size', 'data-value': cp.size }, num(cp.size)),
      h('dt', {}, t('checkpoint.root')), h('dd', {}, h('code', { class: 'hash', dir: 'ltr' }, cp.rootB64)),
      h('dt', {}, t('checkpoint.key')), h('dd', {},
        h('code', { class: 'hash', dir: 'ltr' }, v.key.vkey), ' ',
        h('span', { class: v.keySource === 'pasted' ? 'tag ok' : 'tag warn', 'data-key-source': v.keySource },
          v.keySource === 'pasted' ? t('checkpoint.key_pasted') : t('checkpoint.key_from_server'))),
      h('dt', {}, t('checkpoint.witnesses')),
      h('dd', { 'data-witnesses': verifiedCosigs }, witnessPart(cosigs, unknown))),
    sigLine(v),
    trustLine(trust),
    v.keySource === 'server' ? h('p', { class: 'muted' }, t('checkpoint.key_server_note')) : null,
    hashEngine === 'javascript' ? h('p', { class: 'muted' }, t('checkpoint.js_hash')) : null,
    keyForm(onChange));
}

/** Fills el with the checkpoint card (loading it); answers the Verifier or null. */
export async function renderCheckpoint(ctx, el) {
  replace(el, h('p', { class: 'loading' }, t('checkpoint.loading')));
  try {
    const v = makeVerifier(ctx);
    const [, log] = await Promise.all([v.init(), ctx.get('/v1/log').catch(() => null)]);
    const [cosigs, trust] = await Promise.all([
      verifyCosignatures(v.checkpoint, (log && log.witnesses) || []), showTrust()]);
    replace(el, checkpointCard(v, log, () => renderCheckpoint(ctx, el), cosigs, trust));
    return v;
  } catch (err) {
    if (ctx.signal.aborted) return null;
    replace(el, h('div', { class: 'error-box', role: 'alert', 'data-error': 'checkpoint' },
      h('p', { class: 'error-title' }, t('checkpoint.unavailable')), h('p', {}, verifyWhy(err)),
      err.code && err.code.startsWith('vkey') ? keyForm(() => renderCheckpoint(ctx, el)) : null));
    return null;
  }
}
