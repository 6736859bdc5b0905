/* views/proof.js: checking a proof of logging (#/proof). The reader pastes
 * (or opens as a file, or scans with the camera where the browser has
 * BarcodeDetector) a C2SP tlog-proof and the envelope it is for; the page
 * says whether the entry is in the log, each check in one sentence
 * (verify/proof.js): the proof's form, the entry rebuilt from the
 * envelope, its leaf hash's inclusion path up to the checkpoint's root, the
 * checkpoint's signature by the log's key (the one the reader pasted on the
 * overview, else the one /v1/log publishes), and, when the operator serves
 * a policy at /policy (C2SP tlog-policy; 404: none), its quorum of
 * cosignatures. Nothing is sent anywhere: the check is the page's own. */

import { h, replace } from '../dom.js';
import { t, num } from '../i18n.js';
import { title, verifyWhy } from '../ui.js';
import { parseVkey, trustedVkey, b64encode, VerifyError } from '../verify.js';
import { parsePolicy } from '../verify/policy.js';
import { checkProof } from '../verify/proof.js';

/** The log key and policy to check with: {key, keySource, policy, policyState, keyError?, policyError?} */
async function trustAnchors(ctx) {
  const out = { key: null, keySource: trustedVkey() ? 'pasted' : 'server', policy: null, policyState: 'none' };
  try {
    out.key = await parseVkey(trustedVkey() || (await ctx.get('/v1/log')).vkey);
  } catch (e) {
    out.keyError = e;
  }
  try {
    const text = await ctx.get('/policy', { as: 'text' });
    out.policy = await parsePolicy(text);
    out.policyState = 'served';
  } catch (e) {
    if (e && e.kind === 'notfound') out.policyState = 'none';
    else { out.policyState = e instanceof VerifyError ? 'bad' : 'unavailable'; out.policyError = e; }
  }
  return out;
}

/** A file input that puts the file's text in area. */
function fileButton(area, label) {
  return h('label', { class: 'file-pick' }, label, ' ',
    h('input', {
      type: 'file', accept: '.tlog-proof,.proof,.json,.ndjson,text/plain,application/json',
      onchange: async (e) => {
        const f = e.target.files && e.target.files[0];
        if (f) area.value = await f.text();
      },
    }));
}

/** The camera scan, where BarcodeDetector exists; else a sentence saying it does not. */
function scanPart(area) {
  if (!('BarcodeDetector' in window) || !navigator.mediaDevices) {
    return h('p', { class: 'muted', 'data-scan': 'unavailable' }, t('proofcheck.no_scan'));
  }
  const video = h('video', { class: 'scan-video', playsinline: true, muted: true, hidden: true });
  const msg = h('p', { class: 'muted', role: 'status' });
  let stream = null;
  const stop = () => {
    if (stream) for (const tr of stream.getTracks()) tr.stop();
    stream = null;
    video.hidden = true;
  };
  const btn = h('button', {
    type: 'button', class: 'secondary', 'data-scan': 'available', onclick: async () => {
      if (stream) { stop(); return; }
      try {
        const detector = new window.BarcodeDetector({ formats: ['qr_code'] });
        stream = await navigator.mediaDevices.getUserMedia({ video: { facingMode: 'environment' } });
        video.srcObject = stream;
        video.hidden = false;
        await video.play();
        msg.textContent = t('proofcheck.scanning');
        const look = async () => {
          if (!stream) return;
          const codes = await detector.detect(video).catch(() => []);
          const code = codes.find((c) => c.rawValue && c.rawValue.startsWith('c2sp.org/tlog-proof'));
          if (code) {
            area.value = code.rawValue;
            msg.textContent = t('proofcheck.scanned');
            stop();
          } else {
            setTimeout(look, 300);
          }
        };
        look();
      } catch (e) {
        stop();
        msg.textContent = t('proofcheck.camera_failed', { message: String(e && e.message || e) });
      }
    },
  }, t('proofcheck.scan'));
  return h('div', { class: 'scan' }, btn, msg, video);
}

const CHECK_LABEL = (c) => t(`proofcheck.check.${c}`);

function resultPart(r, anchors) {
  const lines = r.checks.map((c) => {
    const icon = { ok: '✓', failed: '✗', unsupported: '?', none: '–' }[c.state];
    let text;
    if (c.state === 'failed') text = verifyWhy(c.reason);
    else if (c.state === 'unsupported') text = t('proofcheck.unsupported');
    else if (c.state === 'none') text = anchors.policyState === 'unavailable' ? t('proofcheck.policy_unavailable') : t('proofcheck.no_policy');
    else text = t(`proofcheck.ok.${c.check}`, { index: r.index, size: num(r.size ?? 0), origin: r.origin ?? '' });
    return h('li', { 'data-check': c.check, 'data-state': c.state, class: `check-${c.state}` },
      h('span', { 'aria-hidden': 'true' }, icon), ' ', h('strong', {}, CHECK_LABEL(c.check)), ' — ', text);
  });
  const failed = r.checks.find((c) => c.state === 'failed');
  const verdict = r.ok
    ? h('p', { class: 'verdict ok', 'data-verdict': 'accepted' }, '✓ ', t('proofcheck.accepted', { index: r.index, size: num(r.size) }))
    : h('p', { class: 'verdict bad', 'data-verdict': 'refused', role: 'alert' }, '✗ ', t('proofcheck.refused'), ' ',
      failed ? h('span', { 'data-why': failed.reason && failed.reason.code || '' }, verifyWhy(failed.reason)) : t('proofcheck.incomplete'));
  return [verdict, h('ul', { class: 'checks' }, lines),
    r.leaf ? h('p', { class: 'muted' }, t('verify.leaf'), ': ', h('code', { class: 'hash', dir: 'ltr' }, b64encode(r.leaf))) : null];
}

function anchorsPart(a) {
  return h('ul', { class: 'anchors muted' },
    h('li', { 'data-key-source': a.key ? a.keySource : 'none' }, a.key
      ? [t('proofcheck.key', { origin: a.key.name }), ' ', h('code', { class: 'hash', dir: 'ltr' }, a.key.vkey), ' ',
        t(a.keySource === 'pasted' ? 'checkpoint.key_pasted' : 'checkpoint.key_from_server')]
      : [t('proofcheck.no_key'), ' ', verifyWhy(a.keyError)]),
    h('li', { 'data-policy': a.policyState },
      a.policyState === 'served' ? t('proofcheck.policy_served', { quorum: a.policy.quorum })
        : a.policyState === 'none' ? t('proofcheck.no_policy')
          : a.policyState === 'bad' ? [t('proofcheck.policy_bad'), ' ', verifyWhy(a.policyError)]
            : t('proofcheck.policy_unavailable')));
}

export default async function proofView(ctx) {
  const anchors = await trustAnchors(ctx);
  if (!ctx.isCurrent()) return;
  const proofArea = h('textarea', {
    id: 'proof-text', rows: 12, dir: 'ltr', spellcheck: 'false', autocomplete: 'off',
    placeholder: 'c2sp.org/tlog-proof@v1\nextra …\nindex …', 'aria-describedby': 'proof-help',
  });
  const envArea = h('textarea', {
    id: 'proof-envelope', rows: 6, dir: 'ltr', spellcheck: 'false', autocomplete: 'off',
    placeholder: '{"payloadType":"application/vnd.cmcc.event+json","payload":"…","signatures":[…]}',
  });
  const out = h('div', { id: 'proof-result', 'aria-live': 'polite' });
  const form = h('form', {
    class: 'proof-form', onsubmit: async (e) => {
      e.preventDefault();
      replace(out, h('p', { class: 'loading' }, t('proofcheck.checking')));
      const r = await checkProof(proofArea.value, envArea.value.trim(), {
        key: anchors.key, policy: anchors.policyState === 'served' ? anchors.policy : null,
      });
      replace(out, resultPart(r, anchors));
      out.dataset.verdict = r.ok ? 'accepted' : 'refused';
    },
  },
  h('label', { for: 'proof-text' }, t('proofcheck.proof_label')),
  h('p', { id: 'proof-help', class: 'muted' }, t('proofcheck.proof_help')),
  proofArea,
  h('div', { class: 'row' }, fileButton(proofArea, t('proofcheck.open_file')), scanPart(proofArea)),
  h('label', { for: 'proof-envelope' }, t('proofcheck.envelope_label')),
  h('p', { class: 'muted' }, t('proofcheck.envelope_help')),
  envArea,
  h('div', { class: 'row' }, fileButton(envArea, t('proofcheck.open_file'))),
  h('p', {}, h('button', { type: 'submit', 'data-action': 'check-proof' }, t('proofcheck.check_button'))));
  replace(ctx.main,
    title(t('proofcheck.title'), t('proofcheck.sub')),
    h('section', { class: 'card' }, anchorsPart(anchors), form, out));
}
