/* record/sign.js: the device's Ed25519 key (WebCrypto, private key not
 * extractable) and the DSSE envelopes it signs, byte for byte what
 * `cmcc sign` writes for the same key and event bytes (Ed25519 is
 * deterministic):
 *
 *   event    UTF-8 of JSON.stringify({v:1, type, id, org, time, body}):
 *            compact, keys in that order; these bytes are signed as they are
 *   PAE      "DSSEv1" SP len(type) SP type SP len(payload) SP payload
 *   envelope {"payloadType":"<type>","payload":"<base64 of the event>",
 *            "signatures":[{"keyid":"<16 hex>","sig":"<base64>"}]}
 *   keyid    lowercase hex of the first 8 bytes of SHA-256(raw public key)
 *
 * The same envelope with payloadType application/vnd.cmcc.device-token+json
 * and payload {"v":1,"org","keyid","time"} asks the server for the device's
 * token (docs/protocol.md, "Device enrolment"). */

export const EVENT_TYPE = 'application/vnd.cmcc.event+json';
export const TOKEN_TYPE = 'application/vnd.cmcc.device-token+json';

const enc = new TextEncoder();

export function b64(bytes) {
  let s = '';
  for (let i = 0; i < bytes.length; i += 0x8000) s += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
  return btoa(s);
}

export function unb64(text) {
  const s = atob(text);
  const out = new Uint8Array(s.length);
  for (let i = 0; i < s.length; i++) out[i] = s.charCodeAt(i);
  return out;
}

const hex = (bytes) => Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join('');

/** Whether this browser signs with Ed25519 in WebCrypto. */
export async function hasEd25519() {
  if (!globalThis.crypto || !crypto.subtle) return false;
  try {
    await crypto.subtle.generateKey({ name: 'Ed25519' }, false, ['sign', 'verify']);
    return true;
  } catch {
    return false;
  }
}

/** keyid of a raw 32-byte public key. */
export async function keyidOf(raw) {
  const d = new Uint8Array(await crypto.subtle.digest('SHA-256', raw));
  return hex(d.subarray(0, 8));
}

/** A new device key: {privateKey (not extractable), publicKey, publicB64, keyid}. */
export async function newKey() {
  const pair = await crypto.subtle.generateKey({ name: 'Ed25519' }, false, ['sign', 'verify']);
  return describe(pair.privateKey, pair.publicKey);
}

/** The same description for a key pair made elsewhere (a test's fixed key). */
export async function describe(privateKey, publicKey) {
  const raw = new Uint8Array(await crypto.subtle.exportKey('raw', publicKey));
  return { privateKey, publicKey, publicB64: b64(raw), keyid: await keyidOf(raw) };
}

/** The bytes of an event, as the page signs them. */
export function eventBytes({ type, id, org, time, body }) {
  return enc.encode(JSON.stringify({ v: 1, type, id, org, time, body }));
}

function pae(type, payload) {
  const head = enc.encode(`DSSEv1 ${enc.encode(type).length} ${type} ${payload.length} `);
  const out = new Uint8Array(head.length + payload.length);
  out.set(head, 0);
  out.set(payload, head.length);
  return out;
}

/** The envelope (one line of text, no newline) of payload bytes. */
export async function envelope(key, payload, type = EVENT_TYPE) {
  const sig = new Uint8Array(await crypto.subtle.sign({ name: 'Ed25519' }, key.privateKey, pae(type, payload)));
  return `{"payloadType":"${type}","payload":"${b64(payload)}","signatures":[{"keyid":"${key.keyid}","sig":"${b64(sig)}"}]}`;
}

/** The signed request for this device's token. */
export function tokenRequest(key, org, time) {
  return envelope(key, enc.encode(JSON.stringify({ v: 1, org, keyid: key.keyid, time })), TOKEN_TYPE);
}

/** The event of an envelope line: {type, id, org, time, body}, or null. */
export function eventOf(line) {
  try {
    const env = JSON.parse(line);
    if (env.payloadType !== EVENT_TYPE || !Array.isArray(env.signatures)) return null;
    const ev = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(unb64(env.payload)));
    if (!ev || typeof ev !== 'object' || typeof ev.org !== 'string' || typeof ev.id !== 'string') return null;
    return ev;
  } catch {
    return null;
  }
}

/** An RFC 3339 UTC time to the second, as the log's events carry. */
export const nowIso = (d = new Date()) => `${d.toISOString().slice(0, 19)}Z`;

/** A new event id: the type's short name, the time and a random tail. */
export function newId(type, d = new Date()) {
  const r = new Uint8Array(3);
  crypto.getRandomValues(r);
  const stamp = d.toISOString().slice(0, 19).replace(/[-:]/g, '').replace('T', '-');
  return `${type.replace(/\./g, '-')}-${stamp}-${hex(r)}`;
}
