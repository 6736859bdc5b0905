/* record/db.js: the Record page's storage on the device, in IndexedDB
 * (database "cmcc-record"), so that nothing recorded is lost to a reload, a
 * closed tab, a restarted browser or a page opened offline.
 *
 *   device   keyPath "name": one record, name "device":
 *            {name, privateKey: CryptoKey (Ed25519, not extractable),
 *             publicKey: CryptoKey, publicB64, keyid, org, token, tokenId,
 *             state: 'new' | 'waiting' | 'enrolled' | 'revoked', created}
 *   outbox   keyPath "key" ("<org>/<id>", the log's idempotency key), index
 *            "created": every signed event, stored before it is sent:
 *            {key, org, id, type, time, created, envelope (the NDJSON line
 *             cmcc submit takes), summary, state: 'waiting' | 'sending' |
 *             'accepted' | 'refused', index, leaf_hash, duplicate, code,
 *             message, field, attempts,
 *             proof (the C2SP tlog-proof text, never deleted once kept),
 *             proof_from: 'receipt' | 'fetched' | 'import', proof_at,
 *             dropped: {at, entry: 'other' | 'absent', message} when the
 *             log answered that it holds no such accepted event}
 *   cache    keyPath "name": what the device last synced for its choices
 *            ({name: 'orgs' | 'places' | 'consignments' | 'movements' |
 *             'weapons', data, at})
 *
 * Every call opens its own transaction and resolves when it has committed. */

const NAME = 'cmcc-record';
const VERSION = 1;
let opening = null;

function open() {
  if (opening) return opening;
  opening = new Promise((resolve, reject) => {
    const req = indexedDB.open(NAME, VERSION);
    req.onupgradeneeded = () => {
      const db = req.result;
      if (!db.objectStoreNames.contains('device')) db.createObjectStore('device', { keyPath: 'name' });
      if (!db.objectStoreNames.contains('outbox')) {
        db.createObjectStore('outbox', { keyPath: 'key' }).createIndex('created', 'created');
      }
      if (!db.objectStoreNames.contains('cache')) db.createObjectStore('cache', { keyPath: 'name' });
    };
    req.onsuccess = () => {
      const db = req.result;
      db.onversionchange = () => { db.close(); opening = null; };
      resolve(db);
    };
    req.onerror = () => { opening = null; reject(req.error); };
    req.onblocked = () => { opening = null; reject(new Error('the device storage is held by another tab')); };
  });
  return opening;
}

/* Runs fn(store...) in one transaction over names; resolves with what fn's
 * last request gave, once the transaction has committed. */
async function tx(names, mode, fn) {
  const db = await open();
  return new Promise((resolve, reject) => {
    const t = db.transaction(names, mode, { durability: 'strict' });
    let result;
    const stores = [].concat(names).map((n) => t.objectStore(n));
    const req = fn(...stores);
    if (req) req.onsuccess = () => { result = req.result; };
    t.oncomplete = () => resolve(result);
    t.onerror = () => reject(t.error);
    t.onabort = () => reject(t.error || new Error('storage transaction aborted'));
  });
}

export const get = (store, key) => tx(store, 'readonly', (s) => s.get(key));
export const put = (store, value) => tx(store, 'readwrite', (s) => s.put(value));
export const del = (store, key) => tx(store, 'readwrite', (s) => s.delete(key));
export const all = (store) => tx(store, 'readonly', (s) => s.getAll());

/** Puts every value in one transaction: all of them are stored, or none. */
export const putAll = (store, values) => tx(store, 'readwrite', (s) => {
  let last = null;
  for (const v of values) last = s.put(v);
  return last;
});

/**
 * Changes records in one transaction: for each [key, fn], fn gets the
 * record as stored now and returns it changed (it is put back), or null
 * (left as it is). Resolves with the records put.
 */
export async function patch(store, changes) {
  const db = await open();
  const put = [];
  return new Promise((resolve, reject) => {
    const t = db.transaction(store, 'readwrite', { durability: 'strict' });
    const s = t.objectStore(store);
    for (const [key, fn] of changes) {
      const req = s.get(key);
      req.onsuccess = () => {
        const v = req.result ? fn(req.result) : null;
        if (v) { s.put(v); put.push(v); }
      };
    }
    t.oncomplete = () => resolve(put);
    t.onerror = () => reject(t.error);
    t.onabort = () => reject(t.error || new Error('storage transaction aborted'));
  });
}

/** Adds value unless its key is present; resolves true when it was added. */
export async function addNew(store, value) {
  const db = await open();
  return new Promise((resolve, reject) => {
    const t = db.transaction(store, 'readwrite', { durability: 'strict' });
    let added = false;
    const req = t.objectStore(store).add(value);
    req.onsuccess = () => { added = true; };
    req.onerror = (e) => {
      if (req.error && req.error.name === 'ConstraintError') { e.preventDefault(); e.stopPropagation(); }
    };
    t.oncomplete = () => resolve(added);
    t.onerror = () => reject(t.error);
    t.onabort = () => reject(t.error || new Error('storage transaction aborted'));
  });
}

/** The outbox in the order events were recorded. */
export const outboxInOrder = () => tx('outbox', 'readonly', (s) => s.index('created').getAll());
