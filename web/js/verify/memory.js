/* verify/memory.js: the last checkpoint this browser saw of each log, and
 * whether a new one extends it (the check that catches a log whose
 * operator rewrote or forked its history, signed with the same key).
 *
 * Kept in localStorage, per log: the key is the checkpoint's origin and the
 * log's verifier key, "cmcc.seen.<origin> <vkey>" -> the signed checkpoint's
 * text. Only a checkpoint whose signature verified is kept. A new one, also
 * verified, is compared with it:
 *
 *   same size      the same root, or a fork (kind same_size)
 *   larger         a consistency proof (fetched by proveConsistency(m, n))
 *                  must verify (verify/consistency.js), else a fork (kind
 *                  inconsistent); when no proof can be had, 'unchecked' and
 *                  the memory stays as it was
 *   smaller        a fork (kind smaller): a log only grows
 *
 * On a fork the remembered checkpoint is not replaced, and the evidence is
 * kept too ("cmcc.fork.<origin> <vkey>"), in the format `cmcc mirror` and
 * `cmcc verify` write (docs/protocol.md, "Fork evidence"):
 *   {"evidence":"cmcc.fork/v1","origin","url","found","kind","finding",
 *    "held","seen","proof":{"old","size","hashes":[b64...]}|null}
 * so that it is shown on every later visit, whatever the server serves. */

import { parseCheckpoint, b64encode, VerifyError } from '../verify.js';
import { verifyConsistency } from './consistency.js';

const SEEN = 'cmcc.seen.';
const FORK = 'cmcc.fork.';

const memKey = (cp, key) => `${cp.origin} ${key.vkey}`;

function read(name) {
  try { return localStorage.getItem(name); } catch { return null; }
}
function write(name, value) {
  try { localStorage.setItem(name, value); } catch { /* private mode or full: nothing kept */ }
}

/** The checkpoint remembered for this log (parsed, with .text), or null. */
export function remembered(cp, key) {
  const text = read(SEEN + memKey(cp, key));
  if (!text) return null;
  try { return parseCheckpoint(text); } catch { return null; }
}

/** The other keys a log of this origin was seen signed with (vkeys). */
export function otherKeys(cp, key) {
  const out = [];
  try {
    for (let i = 0; i < localStorage.length; i++) {
      const k = localStorage.key(i);
      if (k.startsWith(`${SEEN}${cp.origin} `) && k !== SEEN + memKey(cp, key)) out.push(k.slice(SEEN.length + cp.origin.length + 1));
    }
  } catch { /* private mode */ }
  return out;
}

/** The fork evidence kept for this log, or null. */
export function forkEvidence(cp, key) {
  const text = read(FORK + memKey(cp, key));
  if (!text) return null;
  try { return JSON.parse(text); } catch { return null; }
}

function finding(kind, url, held, seen) {
  switch (kind) {
    case 'same_size':
      return `the log at ${url} signs two different trees of ${held.size} entries, the one this browser saw before and the one it serves now: it was rewritten or forked`;
    case 'inconsistent':
      return `the log at ${url} cannot prove that its tree of ${seen.size} entries extends the tree of ${held.size} entries it signed before (its consistency proof does not verify): it was rewritten or forked`;
    default:
      return `the log at ${url} now serves a tree of ${seen.size} entries, smaller than the tree of ${held.size} entries it signed before: it was rewritten, forked or rolled back`;
  }
}

function fork(cp, key, held, kind, url, proof) {
  const ev = {
    evidence: 'cmcc.fork/v1', origin: cp.origin, url, found: new Date().toISOString(), kind,
    finding: finding(kind, url, held, cp), held: held.text, seen: cp.text,
    proof: proof ? { old: held.size, size: cp.size, hashes: proof.map(b64encode) } : null,
  };
  write(FORK + memKey(cp, key), JSON.stringify(ev));
  return ev;
}

/**
 * Compares checkpoint cp (parsed, its signature by key in state sigState)
 * with the one remembered. proveConsistency(m, n) resolves the proof's
 * hashes (Uint8Arrays). Answers {state, held?, evidence?, reason?}:
 * 'first' (nothing remembered: cp now is), 'same', 'extends' (cp now is
 * remembered), 'fork' (evidence: this time's or an earlier one),
 * 'unchecked' (no proof could be had: reason), 'unverified' (cp's
 * signature did not verify: nothing compared, nothing kept); otherKeys:
 * the vkeys of other logs of the same origin this browser saw (a log
 * that changed its key, or the reader's pasted key against the server's).
 */
export async function compareWithMemory(cp, key, sigState, proveConsistency, url = '') {
  if (sigState !== 'verified') return { state: 'unverified' };
  const held = remembered(cp, key);
  const earlier = forkEvidence(cp, key);
  const name = SEEN + memKey(cp, key);
  const others = otherKeys(cp, key);
  const result = (r) => ({
    ...(earlier && r.state !== 'fork' ? { ...r, state: 'fork', evidence: earlier, now: r.state } : r), otherKeys: others,
  });
  if (!held) {
    write(name, cp.text);
    return result({ state: 'first' });
  }
  if (cp.size === held.size) {
    if (cp.rootB64 === held.rootB64) return result({ state: 'same', held });
    return result({ state: 'fork', held, evidence: fork(cp, key, held, 'same_size', url, null) });
  }
  if (cp.size < held.size) return result({ state: 'fork', held, evidence: fork(cp, key, held, 'smaller', url, null) });
  let proof;
  try {
    proof = await proveConsistency(held.size, cp.size);
  } catch (e) {
    return result({ state: 'unchecked', held, reason: e });
  }
  try {
    await verifyConsistency(held.size, cp.size, held.root, cp.root, proof);
  } catch (e) {
    if (!(e instanceof VerifyError)) return result({ state: 'unchecked', held, reason: e });
    return result({ state: 'fork', held, reason: e, evidence: fork(cp, key, held, 'inconsistent', url, proof) });
  }
  write(name, cp.text);
  return result({ state: 'extends', held });
}
