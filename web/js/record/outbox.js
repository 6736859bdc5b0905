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
 * Export: the envelopes, one a line (what `cmcc submit` reads); import:
 * such a file from another device or `cmcc sign`, each envelope kept once. */

import { all, put, putAll, del, addNew, outboxInOrder } from './db.js';
import { eventOf } from './sign.js';

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

/** Forgets a refused or accepted event the user dismissed. */
export async function dismiss(key) {
  await del('outbox', key);
  changed();
}

/** The envelopes not yet accepted, one a line, for `cmcc submit`. */
export async function exportNdjson() {
  const recs = (await list()).filter((r) => r.state !== 'accepted');
  return recs.map((r) => `${r.envelope}\n`).join('');
}

/**
 * Imports envelope lines; resolves {added, present, bad: [line numbers]}.
 * A line already in the outbox (same org and id) is left as it is.
 */
export async function importNdjson(text) {
  const out = { added: 0, present: 0, bad: [] };
  const lines = text.split(/\r?\n/);
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i].trim();
    if (!line) continue;
    const ev = eventOf(line);
    if (!ev) { out.bad.push(i + 1); continue; }
    if (await addNew('outbox', recordOf(line, ev, null))) out.added++;
    else out.present++;
  }
  if (out.added) changed();
  return out;
}
