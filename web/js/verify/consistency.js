/* verify/consistency.js: whether a tree of size n with root newRoot
 * extends a tree of size m with root oldRoot, from a consistency proof
 * (RFC 9162 2.1.4.2, the RFC 6962 proof format): the proof's hashes, from
 * the leaves up, rebuild both roots at once; both must come out equal to
 * the ones the two checkpoints state.
 *
 *   fn = m - 1, sn = n - 1, the proof led by oldRoot when m is a power of 2
 *   each hash c: if fn is odd or fn == sn, c is a left sibling of both
 *   paths (fr = H(c, fr), sr = H(c, sr)); else only of the new tree's
 *   (sr = H(sr, c)); then one level up
 *
 * Sizes stay below 2^53 (Number), halved by division, never by bit
 * operations (32 bits in JavaScript). Failures are VerifyErrors whose code
 * says which part disagreed. */

import { VerifyError, nodeHash, equalBytes } from '../verify.js';

const odd = (x) => x % 2 === 1;
const half = (x) => Math.floor(x / 2);
function isPow2(x) {
  let k = 1;
  while (k < x) k *= 2;
  return k === x;
}

/** Resolves when the proof holds; throws a VerifyError saying why when not. */
export async function verifyConsistency(m, n, oldRoot, newRoot, proof) {
  if (!Number.isSafeInteger(m) || !Number.isSafeInteger(n) || m < 0 || m > n) {
    throw new VerifyError('consistency_sizes', { old: m, size: n });
  }
  for (const p of proof) {
    if (!(p instanceof Uint8Array) || p.length !== 32) throw new VerifyError('consistency_malformed');
  }
  if (m === n) {
    if (proof.length) throw new VerifyError('consistency_too_long', { length: proof.length });
    if (!equalBytes(oldRoot, newRoot)) throw new VerifyError('consistency_roots');
    return;
  }
  if (m === 0) {
    // every tree extends the empty one
    if (proof.length) throw new VerifyError('consistency_too_long', { length: proof.length });
    return;
  }
  const path = isPow2(m) ? [oldRoot, ...proof] : [...proof];
  if (!path.length) throw new VerifyError('consistency_too_short', { length: proof.length });
  let fn = m - 1;
  let sn = n - 1;
  while (odd(fn)) { fn = half(fn); sn = half(sn); }
  let fr = path[0];
  let sr = path[0];
  for (const c of path.slice(1)) {
    if (sn === 0) throw new VerifyError('consistency_too_long', { length: proof.length });
    if (odd(fn) || fn === sn) {
      fr = await nodeHash(c, fr);
      sr = await nodeHash(c, sr);
      if (!odd(fn)) {
        while (!odd(fn) && fn !== 0) { fn = half(fn); sn = half(sn); }
      }
    } else {
      sr = await nodeHash(sr, c);
    }
    fn = half(fn);
    sn = half(sn);
  }
  if (sn !== 0) throw new VerifyError('consistency_too_short', { length: proof.length });
  if (!equalBytes(fr, oldRoot)) throw new VerifyError('consistency_old_root', { old: m });
  if (!equalBytes(sr, newRoot)) throw new VerifyError('consistency_new_root', { size: n });
}
