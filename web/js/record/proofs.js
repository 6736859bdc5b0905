/* record/proofs.js: the proof that the log holds each event the device
 * sent, kept in the outbox beside its envelope (docs/protocol.md, "Receipts
 * that are proofs"): a C2SP tlog-proof that `cmcc proof verify PROOF
 * ENVELOPE --vkey KEY` checks with no server.
 *
 * A receipt carries the proof when the log's newest checkpoint already
 * holds the entry (sync.js keeps it); a new entry is in none yet, so each
 * sync asks GET /v1/proof/entry?org=O&id=ID for the accepted events that
 * lack one, oldest entry first, at most MAX_REQUESTS a sync:
 *   200  the proof is kept (never replaced, never deleted)
 *   409  no published checkpoint holds the entry yet: asked again next
 *        sync; nor does one hold any later entry, so those wait too
 *   404  the log holds no such event, though it accepted it: checked
 *        against GET /v1/entries/INDEX (the entry there is another one,
 *        or none), then kept as evidence that the log dropped the event
 *        and shown; an entry still there with the receipt's leaf hash
 *        means the server has no proofs to give (an older one): nothing
 *        more is asked this sync
 *   else (busy, unavailable, no network) nothing more is asked this sync. */

import * as outbox from './outbox.js';

export const MAX_REQUESTS = 50;

/** The accepted events that lack a proof and were not found dropped, by
 * log index. */
export function lacking(recs) {
  return recs.filter((r) => r.state === 'accepted' && !r.proof && !r.dropped && typeof r.index === 'number')
    .sort((a, b) => a.index - b.index);
}

/**
 * Asks for missing proofs; get(path) resolves {status, json} (it may throw
 * to end the sync, as on a token the server no longer takes). Resolves
 * {asked (requests answered), kept, dropped, pending}: pending, the accepted events still
 * without a proof.
 */
export async function fetchMissing(get, max = MAX_REQUESTS) {
  const need = lacking(await outbox.list());
  const found = [];
  const dropped = [];
  let asked = 0;
  let notYet = Infinity;
  for (const r of need) {
    if (asked >= max) break;
    if (r.index >= notYet) continue;
    let res;
    try {
      res = await get(`/v1/proof/entry?org=${encodeURIComponent(r.org)}&id=${encodeURIComponent(r.id)}`);
    } catch (e) {
      if (e && e.state) throw e;
      break;
    }
    asked++;
    if (res.status === 200 && res.json && typeof res.json.proof === 'string') {
      found.push({ key: r.key, proof: res.json.proof, from: 'fetched' });
    } else if (res.status === 409) {
      notYet = r.index;
    } else if (res.status === 404) {
      const d = await droppedHow(get, r, res);
      if (!d) break;
      dropped.push(d);
    } else {
      break;
    }
  }
  const kept = await outbox.keepProofs(found);
  await outbox.markDropped(dropped);
  return { asked, kept, dropped: dropped.length, pending: lacking(await outbox.list()).length };
}

/* After a 404: what stands at the event's index now, or null when it is
 * still the event (the 404 was not about the event). */
async function droppedHow(get, r, res) {
  const message = (res.json && res.json.error && res.json.error.message) || '';
  let at;
  try {
    at = await get(`/v1/entries/${r.index}`);
  } catch (e) {
    if (e && e.state) throw e;
    return null;
  }
  if (at.status === 200 && at.json && at.json.leaf_hash === r.leaf_hash) return null;
  if (at.status === 200) return { key: r.key, entry: 'other', message };
  if (at.status === 404) return { key: r.key, entry: 'absent', message };
  return null;
}
