/* record/outbox.js: every event the device signs, kept in IndexedDB before
 * anything is sent, with its state:
 *
 *   waiting  -> sending -> accepted (log index, leaf hash, duplicate)
 *      ^          |    \-> refused (the protocol's code, field and sentence,
 *      +----------+         kept until the user dismisses it)
 *   (no answer, busy, not enrolled yet: back to waiting; "sending" found at
 *    start means a sync was cut: it is waiting again, and sending it again is
 *    safe since the log is idempotent by (org, id))
 *
 * An accepted event then gets its proof (a C2SP tlog-proof, from its
 * receipt or fetched later, record/proofs.js), kept beside the envelope and
 * never deleted nor replaced: such an event cannot be dismissed, nor one
 * the log answered it no longer holds (the evidence of a dropped entry).
 *
 * Export: a tar archive (record/tar.js) of
 *   outbox.ndjson        the envelopes not accepted, one a line (what
 *                        `cmcc submit` reads)
 *   proofs/ID.json       each accepted event's envelope with a kept proof,
 *   proofs/ID.proof      and its proof: `cmcc proof verify ID.proof ID.json`
 * Import: such an archive (its proofs kept with their envelopes), or a file
 * of envelopes one a line from another device or `cmcc sign`; each envelope
 * kept once. */

import { all, put, putAll, del, addNew, patch, outboxInOrder } from './db.js';
import { eventOf } from './sign.js';
import { pack, unpack, isTar } from './tar.js';

const listeners = new Set();
export const onChange = (f) => { listeners.add(f); return () => listeners.delete(f); };
function changed() {
  for (const f of listeners) f();
  try { new BroadcastChannel('cmcc-outbox').postMessage('changed'); } catch { /* old browser */ }
}
try {
  new BroadcastChannel('cmcc-outbox').onmessage = () => { for (const f of listeners) f(); };
} catch { /* old browser */ }

function recordOf(line, ev, summary) {
  return {
    key: `${ev.org}/${ev.id}`, org: ev.org, id: ev.id, type: ev.type, time: ev.time,
    created: Date.now(), envelope: line, summary: summary || null, state: 'waiting', attempts: 0,
  };
}

/** Keeps a signed envelope line; resolves with its outbox record. */
export async function keep(line, ev, summary) {
  const rec = recordOf(line, ev, summary);
  await put('outbox', rec);
  changed();
  return rec;
}

/** The outbox, oldest first. */
export const list = () => outboxInOrder();

/** How many wait to be sent. */
export async function waitingCount() {
  return (await all('outbox')).filter((r) => r.state === 'waiting' || r.state === 'sending').length;
}

/** Stores new states for records (one transaction). */
export async function update(records) {
  if (!records.length) return;
  await putAll('outbox', records);
  changed();
}

/** A sync cut short left some "sending": they wait again. */
export async function recover() {
  const cut = (await all('outbox')).filter((r) => r.state === 'sending');
  for (const r of cut) r.state = 'waiting';
  await update(cut);
}

/** Whether a record holds what must never be deleted: a proof, or the
 * log's answer that it no longer holds the accepted event. */
export const keepsEvidence = (r) => !!(r.proof || r.dropped);

/** Forgets a refused or accepted event the user dismissed; one that keeps
 * evidence stays (resolves false). */
export async function dismiss(key) {
  const gone = await patch('outbox', [[key, (r) => (keepsEvidence(r) ? null : r)]]);
  if (!gone.length) return false;
  await del('outbox', key);
  changed();
  return true;
}

/**
 * Keeps proofs: [{key, proof, from}], each on its record unless the record
 * holds one already (a kept proof is never replaced). Resolves with how many
 * were kept.
 */
export async function keepProofs(found) {
  if (!found.length) return 0;
  const at = Date.now();
  const put = await patch('outbox', found.map((f) => [f.key, (r) => {
    if (r.proof) return null;
    Object.assign(r, { proof: f.proof, proof_from: f.from, proof_at: at });
    return r;
  }]));
  if (put.length) changed();
  return put.length;
}

/** Keeps the log's answer that it holds no such accepted event:
 * [{key, entry, message}] (entry: 'other' | 'absent'). */
export async function markDropped(found) {
  if (!found.length) return;
  const at = Date.now();
  await patch('outbox', found.map((f) => [f.key, (r) => {
    if (r.proof || r.dropped) return null;
    r.dropped = { at, entry: f.entry, message: f.message || '' };
    return r;
  }]));
  changed();
}

/** A name for files of an event id (ids are safe already; an imported
 * one may not be). */
export const fileName = (id) => String(id).replace(/[^A-Za-z0-9._-]/g, '_');

/** The files of the export: [{name, text}]. */
export async function exportFiles() {
  const recs = await list();
  const files = [{ name: 'outbox.ndjson', text: recs.filter((r) => r.state !== 'accepted').map((r) => `${r.envelope}\n`).join('') }];
  for (const r of recs) {
    if (!r.proof) continue;
    files.push({ name: `proofs/${fileName(r.id)}.json`, text: `${r.envelope}\n` });
    files.push({ name: `proofs/${fileName(r.id)}.proof`, text: r.proof });
  }
  return files;
}

/** The export as a tar archive (bytes). */
export async function exportTar() {
  return pack(await exportFiles());
}

/** Whether there is anything to export: an event not accepted, or a proof. */
export async function exportable() {
  return (await list()).some((r) => r.state !== 'accepted' || r.proof);
}

/** The envelopes not yet accepted, one a line, for `cmcc submit`. */
export async function exportNdjson() {
  const recs = (await list()).filter((r) => r.state !== 'accepted');
  return recs.map((r) => `${r.envelope}\n`).join('');
}

/**
 * Imports envelope lines; resolves {added, present, bad: [line numbers]}.
 * A line already in the outbox (same org and id) is left as it is. proofs
 * maps a line number to the proof kept for that line's event (from an
 * archive), kept unless its record holds one.
 */
export async function importNdjson(text, proofs = new Map()) {
  const out = { added: 0, present: 0, bad: [] };
  const lines = text.split(/\r?\n/);
  const found = [];
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i].trim();
    if (!line) continue;
    const ev = eventOf(line);
    if (!ev) { out.bad.push(i + 1); continue; }
    if (await addNew('outbox', recordOf(line, ev, null))) out.added++;
    else out.present++;
    if (proofs.has(i + 1)) found.push({ key: `${ev.org}/${ev.id}`, proof: proofs.get(i + 1), from: 'import' });
  }
  await keepProofs(found);
  if (out.added) changed();
  return out;
}

/**
 * Imports a file the user chose (bytes): an archive of the export, whose
 * outbox.ndjson and proofs/ID.json are imported with each ID.proof kept
 * beside its envelope, or envelope lines. Resolves like importNdjson, the
 * line numbers counted across the archive's files in order.
 */
export async function importFile(bytes) {
  if (!isTar(bytes)) return importNdjson(new TextDecoder().decode(bytes));
  const files = unpack(bytes);
  const proofOf = new Map(files.filter((f) => f.name.endsWith('.proof')).map((f) => [f.name.slice(0, -'.proof'.length), f.text]));
  const lines = [];
  const proofs = new Map();
  for (const f of files) {
    if (!/\.(ndjson|jsonl|json)$/.test(f.name)) continue;
    const own = f.text.split(/\r?\n/).filter((l) => l.trim());
    const proof = proofOf.get(f.name.replace(/\.(ndjson|jsonl|json)$/, ''));
    if (proof && own.length === 1) proofs.set(lines.length + 1, proof);
    lines.push(...own);
  }
  return importNdjson(lines.join('\n'), proofs);
}
