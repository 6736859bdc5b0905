/* verify/proof.js: a C2SP tlog-proof (c2sp.org/tlog-proof@v1), the offline
 * proof that an event is in the log, checked against the envelope it is for.
 *
 *   c2sp.org/tlog-proof@v1
 *   extra <base64>       cmcc: the entry's "received" time (RFC 3339, ms),
 *                        which with the envelope makes the entry
 *   index <i>
 *   <base64 hash>...     the inclusion path, from the leaf's sibling up
 *   (blank line)
 *   <checkpoint>         the signed note, with its cosignatures
 *
 * The log's leaf is not the envelope alone but the entry docs/protocol.md
 * section 4 defines, rebuilt here byte for byte:
 *   {"v":1,"received":"<extra>","envelope":{"payloadType":"...",
 *    "payload":"...","signatures":[{"keyid":"...","sig":"..."}]}}
 * then leaf = SHA-256(0x00 || entry) (of one of the envelopes, when the
 * text holds several, one a line), the path must lead to the
 * checkpoint's root, the checkpoint must be signed by the log's key, and,
 * with a policy, witnessed by its quorum. Each check answers a state and,
 * when it fails, a VerifyError (one sentence in the page's language). */

import {
  VerifyError, b64decode, b64encode, parseCheckpoint, leafHash, rootFromInclusionProof, equalBytes,
  verifyCheckpointSignature,
} from '../verify.js';
import { applyPolicy } from './policy.js';

export const PROOF_HEADER = 'c2sp.org/tlog-proof@v1';
const RECEIVED = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/;

/** {extra (bytes or null), index, path: [32-byte hashes], checkpoint (parsed), checkpointText} */
export function parseProof(text) {
  const lines = String(text).replace(/\r\n/g, '\n').split('\n');
  let i = 0;
  if ((lines[i] || '').trim() !== PROOF_HEADER) throw new VerifyError('tlog_proof_header');
  i++;
  let extra = null;
  if (lines[i] && lines[i].startsWith('extra ')) {
    try { extra = b64decode(lines[i].slice(6)); } catch { throw new VerifyError('tlog_proof_line', { line: i + 1 }); }
    i++;
  }
  const m = /^index (0|[1-9][0-9]*)$/.exec(lines[i] || '');
  if (!m || !Number.isSafeInteger(Number(m[1]))) throw new VerifyError('tlog_proof_index', { line: i + 1 });
  const index = Number(m[1]);
  i++;
  const path = [];
  for (; i < lines.length && lines[i] !== ''; i++) {
    let h;
    try { h = b64decode(lines[i]); } catch { throw new VerifyError('tlog_proof_line', { line: i + 1 }); }
    if (h.length !== 32) throw new VerifyError('tlog_proof_line', { line: i + 1 });
    path.push(h);
  }
  if (i >= lines.length) throw new VerifyError('tlog_proof_no_checkpoint');
  let checkpointText = lines.slice(i + 1).join('\n');
  if (!checkpointText.endsWith('\n')) checkpointText += '\n';
  let checkpoint;
  try { checkpoint = parseCheckpoint(checkpointText); } catch { throw new VerifyError('tlog_proof_checkpoint'); }
  return { extra, index, path, checkpoint, checkpointText };
}

/** The envelopes of text: one JSON document, or several, one a line (as `cmcc new --out` writes them). */
export function envelopesOf(text) {
  const s = String(text).trim();
  try {
    JSON.parse(s);
    return [s];
  } catch { /* perhaps one a line */ }
  const lines = s.split('\n').map((l) => l.trim()).filter(Boolean);
  if (lines.length < 2) throw new VerifyError('envelope_json');
  for (const l of lines) {
    try { JSON.parse(l); } catch { throw new VerifyError('envelope_json'); }
  }
  return lines;
}

/**
 * The entry's exact bytes, from the envelope (JSON, as signed and sent, or
 * the whole entry) and the received time the proof's extra line carries.
 */
export function entryBytes(envelopeText, extra) {
  let doc;
  try { doc = JSON.parse(envelopeText); } catch { throw new VerifyError('envelope_json'); }
  let received = null;
  if (extra) {
    received = new TextDecoder().decode(extra);
  } else if (doc && doc.v === 1 && typeof doc.received === 'string') {
    received = doc.received;
  }
  const env = doc && doc.envelope && typeof doc.envelope === 'object' ? doc.envelope : doc;
  if (!received) throw new VerifyError('tlog_proof_no_received');
  if (!RECEIVED.test(received)) throw new VerifyError('tlog_proof_received', { received });
  const sigs = env && env.signatures;
  if (!env || typeof env.payloadType !== 'string' || typeof env.payload !== 'string' || !Array.isArray(sigs)
    || sigs.length !== 1 || typeof sigs[0].keyid !== 'string' || typeof sigs[0].sig !== 'string') {
    throw new VerifyError('envelope_shape');
  }
  let sig;
  try { sig = b64encode(b64decode(sigs[0].sig)); } catch { throw new VerifyError('envelope_shape'); }
  const q = JSON.stringify;
  const text = `{"v":1,"received":${q(received)},"envelope":{"payloadType":${q(env.payloadType)},`
    + `"payload":${q(env.payload)},"signatures":[{"keyid":${q(sigs[0].keyid)},"sig":${q(sig)}}]}}`;
  return new TextEncoder().encode(text);
}

/**
 * Checks proofText for envelopeText. key: the log's verifier key (parsed)
 * used when the policy lists no log; policy: a parsed policy or null.
 * Answers {ok, index, size, origin, leaf, checks: [{check, state, reason?}]}
 * with check 'proof', 'entry', 'inclusion', 'signature', 'quorum' and state
 * 'ok', 'failed', 'unsupported' (no Ed25519 here) or 'none' (no policy);
 * the checks stop at the first that fails.
 */
export async function checkProof(proofText, envelopeText, { key = null, policy = null } = {}) {
  const out = { ok: false, checks: [] };
  const add = (check, state, reason) => { out.checks.push({ check, state, reason }); return state === 'failed'; };
  let p;
  try { p = parseProof(proofText); } catch (e) { add('proof', 'failed', e); return out; }
  add('proof', 'ok');
  Object.assign(out, { index: p.index, size: p.checkpoint.size, origin: p.checkpoint.origin });
  let entries;
  try { entries = envelopesOf(envelopeText).map((env) => entryBytes(env, p.extra)); } catch (e) { add('entry', 'failed', e); return out; }
  add('entry', 'ok');
  let found = false;
  for (const bytes of entries) {
    const leaf = await leafHash(bytes);
    out.leaf = out.leaf || leaf;
    let root = null;
    try { root = await rootFromInclusionProof(p.index, p.checkpoint.size, leaf, p.path); } catch { /* a path of the wrong length */ }
    if (root && equalBytes(root, p.checkpoint.root)) { out.leaf = leaf; found = true; break; }
  }
  if (!found) {
    add('inclusion', 'failed', new VerifyError('tlog_proof_not_in_log', { index: p.index, size: p.checkpoint.size }));
    return out;
  }
  add('inclusion', 'ok');
  let signature;
  let quorum = null;
  if (policy) {
    const r = await applyPolicy(policy, p.checkpoint, key);
    signature = r.signature;
    quorum = r.quorum;
  } else if (key) {
    signature = await verifyCheckpointSignature(p.checkpoint, key);
  } else {
    signature = { state: 'failed', reason: new VerifyError('tlog_proof_no_key') };
  }
  if (add('signature', signature.state === 'verified' ? 'ok' : signature.state, signature.reason)) return out;
  if (!quorum) add('quorum', 'none');
  else if (add('quorum', quorum.state === 'met' ? 'ok' : quorum.state === 'not_met' ? 'failed' : 'unsupported',
    quorum.state === 'not_met' ? new VerifyError('policy_quorum', { need: quorum.need, witnessed: quorum.witnessed.join(', ') || '—' }) : undefined)) {
    return out;
  }
  out.ok = out.checks.every((c) => c.state === 'ok' || c.state === 'none');
  return out;
}
