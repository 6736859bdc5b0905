/* verify.js: the page's own check that an event is in the signed log.
 *
 *   entry bytes (from the C2SP entry bundle /tile/entries/N, exact bytes)
 *   -> RFC 6962 leaf hash SHA-256(0x00 || bytes)
 *   -> RFC 9162 2.1.3.2 inclusion proof (/v1/proof/inclusion) at the
 *      checkpoint's size, nodes SHA-256(0x01 || left || right)
 *   -> equals the root of the checkpoint (/checkpoint, a C2SP signed note)
 *   -> whose signature verifies with Ed25519 (WebCrypto) under the verifier
 *      key the user trusts (pasted, kept in sessionStorage) or, failing
 *      that, the one the server publishes at /v1/log.
 *
 * Nothing here trusts a hash the server states: leaf_hash is compared only
 * to say where a difference lies. Failures carry a code and parameters so
 * the page can say why in the reader's language. */

import { sha256 as jsSha256 } from './sha256.js';

export const VKEY_KEY = 'cmcc.vkey';

export class VerifyError extends Error {
  constructor(code, params = {}) {
    super(code);
    this.code = code;
    this.params = params;
  }
}

/* ---- bytes ---- */

export function b64decode(s) {
  if (typeof s !== 'string' || !/^[A-Za-z0-9+/]*={0,2}$/.test(s) || s.length % 4) {
    throw new VerifyError('bad_base64');
  }
  const bin = atob(s);
  const out = new Uint8Array(bin.length);
  for (let i = 0; i < bin.length; i++) out[i] = bin.charCodeAt(i);
  return out;
}

export function b64encode(u8) {
  let bin = '';
  for (let i = 0; i < u8.length; i++) bin += String.fromCharCode(u8[i]);
  return btoa(bin);
}

export function hex(u8) {
  return Array.from(u8, (b) => b.toString(16).padStart(2, '0')).join('');
}

export function concat(...parts) {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let o = 0;
  for (const p of parts) { out.set(p, o); o += p.length; }
  return out;
}

export function equalBytes(a, b) {
  if (a.length !== b.length) return false;
  let d = 0;
  for (let i = 0; i < a.length; i++) d |= a[i] ^ b[i];
  return d === 0;
}

const utf8 = new TextEncoder();
const subtle = globalThis.crypto && globalThis.crypto.subtle;

/** Which SHA-256 the page uses: 'webcrypto' or 'javascript' (no secure context). */
export const hashEngine = subtle ? 'webcrypto' : 'javascript';

export async function sha256(u8) {
  if (subtle) return new Uint8Array(await subtle.digest('SHA-256', u8));
  return jsSha256(u8);
}

export const leafHash = (entry) => sha256(concat(Uint8Array.of(0), entry));
export const nodeHash = (l, r) => sha256(concat(Uint8Array.of(1), l, r));

/* ---- RFC 9162 2.1.3.2: the root an inclusion proof leads to ---- */

export async function rootFromInclusionProof(index, size, leaf, path) {
  if (!Number.isSafeInteger(index) || !Number.isSafeInteger(size) || index < 0 || index >= size) {
    throw new VerifyError('proof_index', { index, size });
  }
  let fn = index;
  let sn = size - 1;
  let r = leaf;
  for (const p of path) {
    if (p.length !== 32) throw new VerifyError('proof_hash_length', { length: p.length });
    if (sn === 0) throw new VerifyError('proof_too_long', { length: path.length });
    if (fn % 2 === 1 || fn === sn) {
      r = await nodeHash(p, r);
      while (fn % 2 === 0 && fn !== 0) {
        fn = Math.floor(fn / 2);
        sn = Math.floor(sn / 2);
      }
    } else {
      r = await nodeHash(r, p);
    }
    fn = Math.floor(fn / 2);
    sn = Math.floor(sn / 2);
  }
  if (sn !== 0) throw new VerifyError('proof_too_short', { length: path.length });
  return r;
}

/* ---- C2SP signed notes, checkpoints and verifier keys ---- */

const DASH = '\u2014 ';

/** {text, body (the signed text, each line ending in \n), lines, sigs:[{name, keyHash, blob}]} */
export function parseNote(text) {
  const cut = text.indexOf('\n\n');
  if (cut < 0) throw new VerifyError('note_malformed');
  const body = text.slice(0, cut + 1);
  const lines = body.slice(0, -1).split('\n');
  const sigs = [];
  for (const line of text.slice(cut + 2).split('\n')) {
    if (line === '') continue;
    if (!line.startsWith(DASH)) throw new VerifyError('note_malformed');
    const rest = line.slice(DASH.length);
    const sp = rest.lastIndexOf(' ');
    if (sp <= 0) throw new VerifyError('note_malformed');
    let blob;
    try { blob = b64decode(rest.slice(sp + 1)); } catch { throw new VerifyError('note_malformed'); }
    if (blob.length < 5) throw new VerifyError('note_malformed');
    sigs.push({ name: rest.slice(0, sp), keyHash: hex(blob.slice(0, 4)), blob });
  }
  return { text, body, lines, sigs };
}

/** A C2SP checkpoint: origin, size, root, and the note's signatures. */
export function parseCheckpoint(text) {
  const note = parseNote(text);
  const [origin, sizeLine, rootB64] = note.lines;
  if (note.lines.length < 3 || !origin || !/^(0|[1-9][0-9]*)$/.test(sizeLine || '')) {
    throw new VerifyError('checkpoint_malformed');
  }
  let root;
  try { root = b64decode(rootB64); } catch { throw new VerifyError('checkpoint_malformed'); }
  if (root.length !== 32) throw new VerifyError('checkpoint_malformed');
  const size = Number(sizeLine);
  if (!Number.isSafeInteger(size)) throw new VerifyError('checkpoint_malformed');
  return { ...note, origin, size, root, rootB64 };
}

/**
 * A verifier key "<name>+<8 hex>+<base64(type || 32-byte Ed25519 key)>",
 * checked: type 0x01 for a note signer (the log), 0x04 for a witness's
 * cosignatures (C2SP tlog-cosignature) when cosig is true.
 */
export async function parseVkey(vkey, { cosig = false } = {}) {
  const s = (vkey || '').trim();
  const a = s.indexOf('+');
  const b = a < 0 ? -1 : s.indexOf('+', a + 1);
  if (a <= 0 || b < 0) throw new VerifyError('vkey_malformed');
  const name = s.slice(0, a);
  const keyHash = s.slice(a + 1, b);
  if (/\s/.test(name) || !/^[0-9a-f]{8}$/.test(keyHash)) throw new VerifyError('vkey_malformed');
  let key;
  try { key = b64decode(s.slice(b + 1)); } catch { throw new VerifyError('vkey_malformed'); }
  if (key.length !== 33 || key[0] !== (cosig ? 4 : 1)) throw new VerifyError('vkey_not_ed25519');
  const want = hex((await sha256(concat(utf8.encode(name + '\n'), key))).slice(0, 4));
  if (want !== keyHash) throw new VerifyError('vkey_hash', { stated: keyHash, computed: want });
  return { vkey: s, name, keyHash, pub: key.slice(1) };
}

/**
 * Each witness's cosignature on the checkpoint (C2SP tlog-cosignature v1:
 * key hash, 8-byte big-endian time, Ed25519 over "cosignature/v1\ntime T\n"
 * and the checkpoint's text). witnesses: their vkeys (or {vkey}). Answers one
 * {name, vkey, state: 'verified'|'missing'|'failed'|'unsupported', time?, reason?}
 * per witness.
 */
export async function verifyCosignatures(cp, witnesses) {
  const out = [];
  for (const item of witnesses) {
    // a vkey, or /v1/log's {"vkey": ...}
    const w = item && typeof item === 'object' ? item.vkey : item;
    let key;
    try {
      key = await parseVkey(w, { cosig: true });
    } catch (e) {
      out.push({ name: String(w).split('+')[0], vkey: w, state: 'failed', reason: e });
      continue;
    }
    const sig = cp.sigs.find((s) => s.name === key.name && s.keyHash === key.keyHash);
    if (!sig) { out.push({ name: key.name, vkey: w, state: 'missing' }); continue; }
    if (sig.blob.length !== 76) { out.push({ name: key.name, vkey: w, state: 'failed', reason: new VerifyError('bad_signature') }); continue; }
    const secs = new DataView(sig.blob.buffer, sig.blob.byteOffset + 4, 8).getBigUint64(0);
    const d = new Date(Number(secs) * 1000);
    const time = Number.isNaN(d.getTime()) ? null : d.toISOString();
    if (!(await ed25519Supported())) { out.push({ name: key.name, vkey: w, state: 'unsupported', time }); continue; }
    const k = await subtle.importKey('raw', key.pub, { name: 'Ed25519' }, false, ['verify']);
    const ok = await subtle.verify({ name: 'Ed25519' }, k, sig.blob.slice(12), utf8.encode(`cosignature/v1\ntime ${secs}\n${cp.body}`));
    out.push(ok ? { name: key.name, vkey: w, state: 'verified', time }
      : { name: key.name, vkey: w, state: 'failed', time, reason: new VerifyError('bad_cosignature') });
  }
  return out;
}

let ed25519Support = null;

/** Whether this browser verifies Ed25519 with WebCrypto (tested once). */
export async function ed25519Supported() {
  if (ed25519Support !== null) return ed25519Support;
  ed25519Support = false;
  if (subtle) {
    try {
      // the RFC 8032 test 1 public key: any valid point does
      const pub = b64decode('11qYAYKxCrfVS/7TyWQHOg7hcvPapiMlrwIaaPcHURo=');
      await subtle.importKey('raw', pub, { name: 'Ed25519' }, false, ['verify']);
      ed25519Support = true;
    } catch { /* not supported */ }
  }
  return ed25519Support;
}

/**
 * Checks the checkpoint's signature by key. Answers {state, reason?, cosigners}:
 * state 'verified', 'failed' (reason a VerifyError) or 'unsupported' (the
 * browser has no Ed25519: the signature could not be checked).
 */
export async function verifyCheckpointSignature(cp, key) {
  // other signers of the note than the log itself (whose name is the origin)
  const cosigners = cp.sigs.filter((s) => s.name !== cp.origin && !(s.name === key.name && s.keyHash === key.keyHash))
    .map((s) => s.name);
  if (cp.origin !== key.name) {
    return { state: 'failed', reason: new VerifyError('origin_mismatch', { origin: cp.origin, name: key.name }), cosigners };
  }
  const sig = cp.sigs.find((s) => s.name === key.name && s.keyHash === key.keyHash);
  if (!sig) {
    return { state: 'failed', reason: new VerifyError('no_signature', { name: key.name, keyHash: key.keyHash }), cosigners };
  }
  if (sig.blob.length !== 68) {
    return { state: 'failed', reason: new VerifyError('bad_signature'), cosigners };
  }
  if (!(await ed25519Supported())) return { state: 'unsupported', cosigners };
  const k = await subtle.importKey('raw', key.pub, { name: 'Ed25519' }, false, ['verify']);
  const ok = await subtle.verify({ name: 'Ed25519' }, k, sig.blob.slice(4), utf8.encode(cp.body));
  return ok ? { state: 'verified', cosigners }
    : { state: 'failed', reason: new VerifyError('bad_signature'), cosigners };
}

/* ---- C2SP tlog-tiles entry bundles ---- */

/** N as 3-digit groups, "x" before all but the last: 1234067 -> x001/x234/067 */
export function tileIndexPath(n) {
  let s = String(n);
  while (s.length % 3) s = '0' + s;
  const groups = s.match(/.../g);
  return groups.map((g, i) => (i < groups.length - 1 ? 'x' + g : g)).join('/');
}

/** The URL path of the entry bundle holding entry index in a tree of size. */
export function entryBundlePath(index, size) {
  const n = Math.floor(index / 256);
  const full = Math.floor(size / 256);
  const base = `/tile/entries/${tileIndexPath(n)}`;
  return n < full ? base : `${base}.p/${size - n * 256}`;
}

/** The entries of a bundle: uint16 big-endian length, then the bytes, each. */
export function parseBundle(u8) {
  const out = [];
  let o = 0;
  while (o < u8.length) {
    if (o + 2 > u8.length) throw new VerifyError('bundle_malformed');
    const len = (u8[o] << 8) | u8[o + 1];
    o += 2;
    if (o + len > u8.length) throw new VerifyError('bundle_malformed');
    out.push(u8.subarray(o, o + len));
    o += len;
  }
  return out;
}

/** The event inside an entry's bytes: {entry, event} (JSON-decoded). */
export function decodeEntry(bytes) {
  const entry = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(bytes));
  const payload = b64decode(entry?.envelope?.payload || '');
  const event = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(payload));
  return { entry, event };
}

/* ---- the whole chain, for a page ---- */

export function trustedVkey() {
  try { return sessionStorage.getItem(VKEY_KEY) || ''; } catch { return ''; }
}
export function setTrustedVkey(v) {
  try {
    if (v) sessionStorage.setItem(VKEY_KEY, v.trim());
    else sessionStorage.removeItem(VKEY_KEY);
  } catch { /* private mode */ }
}

/**
 * A verifier for one page: fetch(path, as) returns text/bytes/json with the
 * token where needed. init() reads the checkpoint and the key and checks
 * the signature; entry(index, expect) checks one entry.
 */
export class Verifier {
  constructor(fetcher) {
    this.fetch = fetcher;
    this.bundles = new Map();
  }

  /** {checkpoint, key, keySource ('pasted'|'server'), signature:{state, reason?}} */
  async init() {
    const text = await this.fetch('/checkpoint', 'text', false);
    this.checkpoint = parseCheckpoint(text);
    const pasted = trustedVkey();
    let vk = pasted;
    this.keySource = pasted ? 'pasted' : 'server';
    if (!vk) vk = (await this.fetch('/v1/log', 'json', false)).vkey;
    this.key = await parseVkey(vk);
    this.signature = await verifyCheckpointSignature(this.checkpoint, this.key);
    return this;
  }

  async bundle(path) {
    if (!this.bundles.has(path)) {
      const p = this.fetch(path, 'bytes', true).then(parseBundle);
      p.catch(() => this.bundles.delete(path));
      this.bundles.set(path, p);
    }
    return this.bundles.get(path);
  }

  /**
   * Checks entry index against the checkpoint. expect: {type, org, id} the
   * server listed for it (checked against the logged event). Answers
   * {state: 'verified'|'chain'|'failed', reason?, leaf, root, event, pathLength}:
   * 'chain' means the hash chain holds but the signature could not be checked.
   */
  async entry(index, expect = null) {
    if (index >= this.checkpoint.size && !this.refreshed) {
      // appended after the last checkpoint: the next one is at most a second away
      this.refreshed = new Promise((r) => setTimeout(r, 1500)).then(() => this.init());
    }
    if (index >= this.checkpoint.size && this.refreshed) await this.refreshed.catch(() => {});
    const cp = this.checkpoint;
    const out = { index, size: cp.size };
    try {
      if (this.signature.state === 'failed') throw this.signature.reason;
      if (index >= cp.size) throw new VerifyError('not_yet_in_checkpoint', { index, size: cp.size });
      const entries = await this.bundle(entryBundlePath(index, cp.size));
      const bytes = entries[index % 256];
      if (!bytes) throw new VerifyError('bundle_short', { index });
      out.leaf = await leafHash(bytes);
      try {
        out.event = decodeEntry(bytes).event;
      } catch {
        throw new VerifyError('entry_unreadable', { index });
      }
      if (expect) {
        for (const f of ['type', 'org', 'id']) {
          if (expect[f] !== undefined && out.event[f] !== expect[f]) {
            throw new VerifyError('event_mismatch', { index, field: f, listed: expect[f], logged: out.event[f] });
          }
        }
      }
      const proof = await this.fetch(`/v1/proof/inclusion?index=${index}&size=${cp.size}`, 'json', true);
      if (proof.leaf_hash && proof.leaf_hash !== b64encode(out.leaf)) {
        throw new VerifyError('leaf_mismatch', { computed: b64encode(out.leaf), stated: proof.leaf_hash });
      }
      let path;
      try { path = (proof.inclusion_path || []).map(b64decode); } catch { throw new VerifyError('proof_malformed'); }
      out.pathLength = path.length;
      out.root = await rootFromInclusionProof(index, cp.size, out.leaf, path);
      if (!equalBytes(out.root, cp.root)) {
        throw new VerifyError('root_mismatch', { computed: b64encode(out.root), expected: cp.rootB64 });
      }
      out.state = this.signature.state === 'verified' ? 'verified' : 'chain';
    } catch (e) {
      out.state = 'failed';
      out.reason = e instanceof VerifyError ? e : e;
    }
    return out;
  }
}
