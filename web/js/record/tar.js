/* record/tar.js: the POSIX tar (ustar) archives the Record page exports
 * and imports, so that one download holds the waiting envelopes and the
 * proofs beside them, and `tar xf` (or any archive tool) opens it.
 *
 * An archive is a run of 512-byte blocks: for each file a header block
 * (name, mode, size in octal, mtime, checksum, type '0', magic "ustar" and
 * version "00"), then its bytes padded to a whole block; two zero blocks
 * end it. pack() writes regular files only; unpack() reads regular files,
 * joins a ustar prefix to the name, takes a GNU long name ('L') for the
 * next file, and skips directories, links and pax headers. */

const BLOCK = 512;
const enc = new TextEncoder();
const dec = new TextDecoder();

function field(h, at, len, text) {
  h.set(enc.encode(text).subarray(0, len), at);
}

const octal = (n, width) => `${n.toString(8).padStart(width - 1, '0')}\0`;

function header(name, size, mtime) {
  const bytes = enc.encode(name);
  if (bytes.length > 100) throw new Error(`tar: the name ${name} is longer than 100 bytes`);
  const h = new Uint8Array(BLOCK);
  h.set(bytes, 0);
  field(h, 100, 8, octal(0o644, 8));
  field(h, 108, 8, octal(0, 8));
  field(h, 116, 8, octal(0, 8));
  field(h, 124, 12, octal(size, 12));
  field(h, 136, 12, octal(mtime, 12));
  field(h, 148, 8, '        ');
  field(h, 156, 1, '0');
  field(h, 257, 6, 'ustar\0');
  field(h, 263, 2, '00');
  let sum = 0;
  for (const b of h) sum += b;
  field(h, 148, 8, `${sum.toString(8).padStart(6, '0')}\0 `);
  return h;
}

/** An archive of files [{name, text}] (UTF-8), as bytes. */
export function pack(files, mtime = Math.floor(Date.now() / 1000)) {
  const parts = [];
  let total = 2 * BLOCK;
  for (const f of files) {
    const data = enc.encode(f.text);
    const padded = Math.ceil(data.length / BLOCK) * BLOCK;
    parts.push([header(f.name, data.length, mtime), data]);
    total += BLOCK + padded;
  }
  const out = new Uint8Array(total);
  let at = 0;
  for (const [h, data] of parts) {
    out.set(h, at);
    out.set(data, at + BLOCK);
    at += BLOCK + Math.ceil(data.length / BLOCK) * BLOCK;
  }
  return out;
}

const text = (b, at, len) => {
  const s = b.subarray(at, at + len);
  const end = s.indexOf(0);
  return dec.decode(end < 0 ? s : s.subarray(0, end));
};

/** Whether bytes look like a ustar archive (its first header's magic). */
export const isTar = (b) => b.length >= BLOCK && text(b, 257, 5) === 'ustar';

/** The regular files of an archive: [{name, text}]; throws on a broken one. */
export function unpack(b) {
  const out = [];
  let at = 0;
  let longName = null;
  while (at + BLOCK <= b.length) {
    const h = b.subarray(at, at + BLOCK);
    if (h.every((x) => x === 0)) break;
    if (text(b, at + 257, 5) !== 'ustar') throw new Error(`tar: no header at byte ${at}`);
    const size = parseInt(text(b, at + 124, 12).trim() || '0', 8);
    if (!Number.isFinite(size) || at + BLOCK + size > b.length) throw new Error(`tar: a file at byte ${at} runs past the end`);
    const type = String.fromCharCode(h[156] || 48);
    const prefix = text(b, at + 345, 155);
    const data = b.subarray(at + BLOCK, at + BLOCK + size);
    if (type === 'L') longName = dec.decode(data).replace(/\0+$/, '');
    else {
      if (type === '0' || type === '7') out.push({ name: longName || (prefix ? `${prefix}/${text(b, at, 100)}` : text(b, at, 100)), text: dec.decode(data) });
      longName = null;
    }
    at += BLOCK + Math.ceil(size / BLOCK) * BLOCK;
  }
  return out;
}
