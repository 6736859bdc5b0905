/* record/sync.js: moves the outbox to the server when it can, and brings
 * back what the forms choose from. One sync at a time across the browser's
 * tabs (Web Locks), so an event is never in two requests at once; sending
 * one again anyway is safe, since the log answers a repeat of (org, id)
 * with its first receipt.
 *
 * A sync:
 *   1. any "sending" left by a cut sync waits again (outbox.recover);
 *   2. without a token the device asks for one with a signed request
 *      (POST /v1/device/token): 401 unknown_key means not enrolled yet (the
 *      events keep waiting), 403 key_revoked marks every waiting event
 *      refused with key_revoked (kept, not lost);
 *   3. waiting events go in batches of at most BATCH lines of
 *      application/x-ndjson to POST /v1/events; each line's answer is its
 *      receipt (accepted) or its error (refused, except unavailable and
 *      rate_limited, which wait again);
 *   4. the accepted events' proofs: a receipt's "proof" is kept with its
 *      event; those still lacking one are asked for (record/proofs.js, at
 *      most 50 requests a sync);
 *   5. the choices (orgs, places, consignments, movements, weapons) are read
 *      again with the device's token into the cache store.
 * The scheduler (auto) runs a sync on start, when the network returns,
 * after each recording, and again after a delay that doubles on each
 * failure (2 s to 5 min, with jitter) while anything waits; while accepted
 * events lack their proof, again after a delay that doubles from 2 s to
 * 5 min (the log signs a checkpoint within seconds). */

import { get, put } from './db.js';
import { tokenRequest } from './sign.js';
import * as outbox from './outbox.js';
import { fetchMissing } from './proofs.js';

const BATCH = 200;
const MIN_DELAY = 2000;
const MAX_DELAY = 300000;
const REFRESH_MS = 60000;
const KEEP = new Set(['unavailable', 'rate_limited', 'unknown_key']);

export const device = () => get('device', 'device');
export const saveDevice = (d) => put('device', d);

const status = { state: 'idle', detail: null, lastError: null, failures: 0 };
const listeners = new Set();
export const onStatus = (f) => { listeners.add(f); return () => listeners.delete(f); };
export const syncStatus = () => ({ ...status });
function setStatus(state, detail = null) {
  status.state = state;
  status.detail = detail;
  for (const f of listeners) f(syncStatus());
}

class Stop extends Error {
  constructor(state, detail) { super(state); this.state = state; this.detail = detail; }
}

async function post(path, body, headers) {
  let res;
  try {
    res = await fetch(path, { method: 'POST', body, headers, cache: 'no-store' });
  } catch (e) {
    throw new Stop('offline', { message: String(e && e.message || e) });
  }
  let json = null;
  try { json = await res.json(); } catch { /* not JSON */ }
  return { status: res.status, json, retryAfter: Number(res.headers.get('Retry-After')) || 0 };
}

const errOf = (r) => (r.json && r.json.error) || { code: `http_${r.status}`, message: '' };

/* Marks every waiting event refused with the server's error. */
async function refuseWaiting(err) {
  const recs = (await outbox.list()).filter((r) => r.state === 'waiting' || r.state === 'sending');
  for (const r of recs) Object.assign(r, { state: 'refused', code: err.code, message: err.message || '', field: err.field || null });
  await outbox.update(recs);
}

async function ensureToken(dev) {
  if (dev.token) return dev;
  // to the millisecond: the server answers each of a key's requests once,
  // in time order
  const body = await tokenRequest(dev, dev.org, new Date().toISOString());
  const r = await post('/v1/device/token', body, { 'Content-Type': 'application/json' });
  if (r.status === 200 && r.json && r.json.token) {
    Object.assign(dev, { token: r.json.token, tokenId: r.json.id || null, state: 'enrolled', refusal: null });
    await saveDevice(dev);
    return dev;
  }
  const err = errOf(r);
  if (err.code === 'unknown_key') {
    if (dev.state !== 'waiting') { dev.state = 'waiting'; await saveDevice(dev); }
    throw new Stop('not_enrolled', err);
  }
  if (err.code === 'key_revoked') await revoked(dev, err);
  if (r.status === 429 || r.status === 503) throw new Stop('busy', { ...err, retryAfter: r.retryAfter });
  dev.refusal = err;
  await saveDevice(dev);
  throw new Stop('token_refused', err);
}

async function dropToken(dev) {
  Object.assign(dev, { token: null, tokenId: null });
  await saveDevice(dev);
}

/* The server said the device's key is revoked: the device keeps no token,
 * and every waiting event is shown refused with the server's words. */
async function revoked(dev, err) {
  Object.assign(dev, { state: 'revoked', refusal: err, token: null, tokenId: null });
  await saveDevice(dev);
  await refuseWaiting(err);
  throw new Stop('revoked', err);
}

/* Sends what waited when the sync began, oldest first; what is recorded
 * meanwhile goes with the next sync, which recording asks for. */
async function sendWaiting(dev) {
  let size = BATCH;
  let sent = 0;
  const queue = (await outbox.list()).filter((r) => r.state === 'waiting');
  for (;;) {
    if (!queue.length) return sent;
    const batch = queue.slice(0, size);
    for (const r of batch) { r.state = 'sending'; r.attempts = (r.attempts || 0) + 1; }
    await outbox.update(batch);
    setStatus('sending', { count: batch.length });
    let r;
    try {
      r = await post('/v1/events', batch.map((x) => `${x.envelope}\n`).join(''), {
        'Content-Type': 'application/x-ndjson', Authorization: `Bearer ${dev.token}`,
      });
    } catch (e) {
      for (const x of batch) x.state = 'waiting';
      await outbox.update(batch);
      throw e;
    }
    if (r.status !== 200 || !r.json || !Array.isArray(r.json.results) || r.json.results.length !== batch.length) {
      for (const x of batch) x.state = 'waiting';
      await outbox.update(batch);
      const err = errOf(r);
      if (r.status === 413 && size > 1) { size = Math.max(1, size >> 1); continue; }
      if (r.status === 401) { await dropToken(dev); throw new Stop('token_lost', err); }
      if (err.code === 'key_revoked') await revoked(dev, err);
      if (r.status === 429 || r.status === 503) throw new Stop('busy', { ...err, retryAfter: r.retryAfter });
      throw new Stop('server_error', { ...err, status: r.status });
    }
    r.json.results.forEach((res, i) => {
      const x = batch[i];
      if (res && typeof res.index === 'number') {
        Object.assign(x, { state: 'accepted', index: res.index, leaf_hash: res.leaf_hash, duplicate: !!res.duplicate, accepted: Date.now() });
        // the log's newest checkpoint already holds it: the receipt is its proof
        if (typeof res.proof === 'string' && !x.proof) Object.assign(x, { proof: res.proof, proof_from: 'receipt', proof_at: Date.now() });
      } else {
        const e = (res && res.error) || { code: 'unexpected', message: '' };
        if (KEEP.has(e.code)) x.state = 'waiting';
        else Object.assign(x, { state: 'refused', code: e.code, message: e.message || '', field: e.field || null });
      }
    });
    await outbox.update(batch);
    sent += batch.length;
    queue.splice(0, batch.length);
    if (batch.some((x) => x.state === 'waiting')) throw new Stop('busy', { retryAfter: r.retryAfter });
  }
}

/* A read with the device's token: {status, json}; a token the server no
 * longer takes is dropped (a new one is asked for), a revoked key handled as
 * when sending. */
async function getRaw(path, dev) {
  const res = await fetch(path, { headers: { Authorization: `Bearer ${dev.token}`, Accept: 'application/json' }, cache: 'no-cache' });
  let json = null;
  try { json = await res.json(); } catch { /* not JSON */ }
  if (res.status === 401 || res.status === 403) {
    const err = (json && json.error) || { code: `http_${res.status}`, message: '' };
    if (err.code === 'key_revoked') await revoked(dev, err);
    if (res.status === 401) { await dropToken(dev); throw new Stop('token_lost', err); }
  }
  return { status: res.status, json };
}

async function getJson(path, dev) {
  const r = await getRaw(path, dev);
  if (r.status !== 200) throw new Error(`${path}: HTTP ${r.status}`);
  return r.json;
}

const OPEN = new Set(['declared', 'screened', 'entering', 'in_transit', 'in_custody']);
/* the fields a consignment's list summary and its full answer share: when
 * none moved, the copy kept is still the consignment's */
const SUMMARY = ['status', 'declared', 'approved', 'entered', 'held', 'pending', 'distributed', 'lost', 'unaccounted'];

/* The choices the forms offer, read with the device's token. */
async function refresh(dev, force = false) {
  const last = await get('cache', 'orgs');
  if (!force && last && Date.now() - last.at < REFRESH_MS) return;
  const [orgs, places, movements] = await Promise.all([
    getJson('/v1/orgs', dev), getJson('/v1/places', dev), getJson('/v1/movements', dev)]);
  const me = (orgs.orgs || []).find((o) => o.org === dev.org);
  const roles = new Set(me ? me.roles : []);
  const lists = [];
  if (roles.has('humanitarian') || roles.has('transporter')) lists.push(getJson(`/v1/consignments?org=${encodeURIComponent(dev.org)}`, dev));
  if (roles.has('inspector')) {
    for (const st of ['declared', 'screened', 'entering']) lists.push(getJson(`/v1/consignments?status=${st}`, dev));
  }
  const seen = new Map();
  for (const l of await Promise.all(lists)) for (const c of l.consignments || []) if (OPEN.has(c.status)) seen.set(c.consignment, c);
  // a consignment is read again only when its summary moved since the copy
  // kept (a phone on a bad link pays for every request)
  const kept = new Map(((await get('cache', 'consignments'))?.data || []).map((c) => [c.consignment, c]));
  const details = [];
  for (const [id, sum] of Array.from(seen).slice(0, 300)) {
    const old = kept.get(id);
    const same = old && SUMMARY.every((k) => old[k] === sum[k]);
    details.push(same ? old : await getJson(`/v1/consignments/${encodeURIComponent(id)}`, dev));
  }
  const weapons = roles.has('verifier') ? (await getJson('/v1/weapons', dev)).weapons || [] : [];
  const at = Date.now();
  await Promise.all([
    put('cache', { name: 'orgs', data: orgs.orgs || [], at }),
    put('cache', { name: 'places', data: places.places || [], at }),
    put('cache', { name: 'movements', data: movements.movements || [], at }),
    put('cache', { name: 'consignments', data: details, at }),
    put('cache', { name: 'weapons', data: weapons, at }),
  ]);
}

async function syncLocked({ refreshChoices }) {
  // the browser knows it has no network: nothing is tried, nothing marked
  // sending; the 'online' event starts the next sync
  if (navigator.onLine === false) throw new Stop('offline');
  await outbox.recover();
  let dev = await device();
  if (!dev || !dev.org) throw new Stop('no_device');
  if (dev.state === 'revoked') {
    await refuseWaiting(dev.refusal || { code: 'key_revoked', message: '' });
    throw new Stop('revoked', dev.refusal);
  }
  dev = await ensureToken(dev);
  const sent = await sendWaiting(dev);
  const proofs = await fetchMissing((path) => getRaw(path, dev));
  try {
    await refresh(dev, refreshChoices);
  } catch (e) {
    if (e instanceof Stop) throw e;
    if (sent === 0 && proofs.asked === 0) throw new Stop('offline', { message: String(e.message || e) });
  }
  return { sent, proofs };
}

/** One sync now; resolves with the status it ended in. */
export async function syncNow({ refreshChoices = false } = {}) {
  const run = async () => {
    setStatus('syncing');
    try {
      const { sent, proofs } = await syncLocked({ refreshChoices });
      status.failures = 0;
      status.lastError = null;
      setStatus('done', { sent, proofs });
    } catch (e) {
      if (!(e instanceof Stop)) { console.error(e); e = new Stop('error', { message: String(e.message || e) }); }
      status.failures++;
      status.lastError = e.detail || null;
      setStatus(e.state, e.detail);
    }
    return syncStatus();
  };
  if (navigator.locks) return navigator.locks.request('cmcc-record-sync', run);
  return run();
}

let timer = null;
let started = false;
let proofRounds = 0;

function schedule() {
  clearTimeout(timer);
  const s = status;
  if (s.state === 'done' && s.failures === 0) return;
  if (s.state === 'no_device' || s.state === 'revoked' || s.state === 'token_refused') return;
  // not enrolled yet: the administrator may add the key any minute
  const cap = s.state === 'not_enrolled' ? 30000 : MAX_DELAY;
  const base = Math.min(cap, MIN_DELAY * 2 ** Math.min(s.failures, 10));
  const wait = Math.max(base * (0.75 + Math.random() * 0.5), ((s.detail && s.detail.retryAfter) || 0) * 1000);
  timer = setTimeout(kick, wait);
}

/** Syncs now and keeps retrying as the scheduler says. */
export async function kick() {
  clearTimeout(timer);
  const st = await syncNow();
  if (st.state === 'done' && (await outbox.waitingCount()) > 0) { status.failures = 0; timer = setTimeout(kick, MIN_DELAY); return st; }
  // accepted events still without their proof: asked again after a
  // delay that grows while the log keeps answering "not yet"
  const pending = st.state === 'done' && st.detail && st.detail.proofs ? st.detail.proofs.pending : 0;
  if (pending) {
    const got = st.detail.proofs.kept > 0;
    proofRounds = got ? 0 : proofRounds + 1;
    timer = setTimeout(kick, Math.min(MAX_DELAY, MIN_DELAY * 2 ** Math.min(proofRounds, 10)));
    return st;
  }
  proofRounds = 0;
  schedule();
  return st;
}

/** Starts the scheduler once per page. */
export function auto() {
  if (started) { kick(); return; }
  started = true;
  window.addEventListener('online', () => { status.failures = 0; kick(); });
  kick();
}

/** The cached choices: {orgs, places, consignments, movements, weapons, at}. */
export async function choices() {
  const names = ['orgs', 'places', 'consignments', 'movements', 'weapons'];
  const rows = await Promise.all(names.map((n) => get('cache', n)));
  const out = { at: rows[0] ? rows[0].at : null };
  names.forEach((n, i) => { out[n] = rows[i] ? rows[i].data : []; });
  return out;
}
