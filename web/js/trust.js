/* trust.js: on every view, whether the log's current checkpoint extends
 * the one this browser saw before (verify/memory.js), and the red banner
 * when it does not.
 *
 *   /checkpoint, its signature checked with the key the reader pasted or
 *   else the one /v1/log publishes; then compared with the remembered one,
 *   the consistency proof read from /v1/proof/consistency with the reader's
 *   token, or built from the public hash tiles without one, or when that
 *   request fails (verify/tiles.js)
 *
 * The banner (#fork-banner, above the view) says in one sentence that the
 * operator shows a history that contradicts the one seen before, with both
 * sizes and roots, and offers the evidence (both signed checkpoints, JSON)
 * to copy. Checks run at most once per CHECK_MS; a language switch draws
 * the last answer again. */

import { h, replace, id } from './dom.js';
import { t, tn, num } from './i18n.js';
import { get, getToken } from './api.js';
import { parseCheckpoint, parseVkey, trustedVkey, verifyCheckpointSignature, b64decode } from './verify.js';
import { compareWithMemory } from './verify/memory.js';
import { TileHashes } from './verify/tiles.js';

const CHECK_MS = 5000;
let last = null; // {at, promise}

async function proveWith(m, n) {
  if (getToken()) {
    try {
      const p = await get(`/v1/proof/consistency?old=${m}&size=${n}`, { auth: true });
      return (p.consistency_path || []).map(b64decode);
    } catch { /* a token refused, or no answer: the tiles are public */ }
  }
  return new TileHashes((path) => get(path, { as: 'bytes' }), n).consistency(m);
}

async function check() {
  const cp = parseCheckpoint(await get('/checkpoint', { as: 'text' }));
  const vk = trustedVkey() || (await get('/v1/log')).vkey;
  const key = await parseVkey(vk);
  const sig = await verifyCheckpointSignature(cp, key);
  const r = await compareWithMemory(cp, key, sig.state, proveWith, `${location.origin}/`);
  return { ...r, cp, key };
}

/** The comparison for the current checkpoint (shared by callers for CHECK_MS); never rejects. */
export function checkLog({ fresh = false } = {}) {
  if (!last || fresh || Date.now() - last.at > CHECK_MS || last.vkey !== trustedVkey()) {
    last = { at: Date.now(), vkey: trustedVkey(), promise: check().catch((e) => ({ state: 'error', reason: e })) };
  }
  return last.promise;
}

function copyButton(text) {
  const note = h('span', { class: 'muted', role: 'status' });
  const area = h('textarea', { class: 'evidence', readonly: true, dir: 'ltr', rows: 8, 'aria-label': t('trust.evidence') }, text);
  const btn = h('button', {
    type: 'button', 'data-action': 'copy-evidence', onclick: async () => {
      try {
        await navigator.clipboard.writeText(text);
      } catch {
        area.select();
        document.execCommand('copy');
      }
      note.textContent = t('trust.copied');
    },
  }, t('trust.copy'));
  return [h('p', {}, btn, ' ', note), h('details', {}, h('summary', {}, t('trust.evidence')), area)];
}

/** The banner for comparison r, or nothing. */
export function forkBanner(r) {
  if (!r || r.state !== 'fork' || !r.evidence) return null;
  let held;
  let seen;
  try {
    held = parseCheckpoint(r.evidence.held);
    seen = parseCheckpoint(r.evidence.seen);
  } catch { return null; }
  return h('div', {
    class: 'fork', 'data-fork': r.evidence.kind, 'data-held-size': held.size, 'data-seen-size': seen.size,
  },
  h('p', { class: 'fork-title' }, h('strong', {}, tn('trust.fork', {
    origin: id(r.evidence.origin), held: num(held.size), seen: num(seen.size),
  }))),
  h('dl', { class: 'facts' },
    h('dt', {}, t('trust.held', { size: num(held.size) })), h('dd', {}, h('code', { class: 'hash', dir: 'ltr' }, held.rootB64)),
    h('dt', {}, t('trust.seen', { size: num(seen.size) })), h('dd', {}, h('code', { class: 'hash', dir: 'ltr' }, seen.rootB64))),
  h('p', {}, t('trust.kept')),
  copyButton(JSON.stringify(r.evidence, null, 1)));
}

/** Runs the check (or reuses the last) and draws #fork-banner from it. */
export async function showTrust() {
  const el = document.getElementById('fork-banner');
  const r = await checkLog();
  if (!el) return r;
  const b = forkBanner(r);
  if (b) replace(el, b);
  else replace(el);
  el.dataset.trustState = r.state;
  return r;
}

/** One line for the checkpoint card: what the comparison found (and a word on other keys). */
export function trustLine(r) {
  if (!r) return null;
  const line = stateLine(r);
  if (!r.otherKeys || !r.otherKeys.length) return line;
  return [line, h('p', { class: 'warn-text', 'data-other-keys': r.otherKeys.length },
    t('trust.other_keys', { origin: r.cp.origin }), ' ', r.otherKeys.map((k) => h('code', { class: 'hash', dir: 'ltr' }, k)))];
}

function stateLine(r) {
  const held = r.held;
  switch (r.state) {
    case 'first': return h('p', { class: 'muted', 'data-trust': 'first' }, t('trust.first'));
    case 'same': return h('p', { class: 'ok-text', 'data-trust': 'same' }, '✓ ', t('trust.same'));
    case 'extends': return h('p', { class: 'ok-text', 'data-trust': 'extends' }, '✓ ', t('trust.extends', { size: num(held.size) }));
    case 'unchecked': return h('p', { class: 'warn-text', 'data-trust': 'unchecked' }, t('trust.unchecked', { size: num(held.size) }));
    case 'fork': return h('p', { class: 'bad-text', 'data-trust': 'fork', role: 'alert' }, '✗ ', t('trust.fork_short'));
    case 'unverified': return h('p', { class: 'warn-text', 'data-trust': 'unverified' }, t('trust.unverified'));
    default: return null;
  }
}
