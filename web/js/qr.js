/* qr.js: a QR code as an SVG element, drawn from the module matrix of
 * Debian's qrcode-generator (package node-qrcode-generator), which
 * `cmcc serve` serves at /lib/qrcode-generator/qrcode.js; the dashboard
 * keeps no copy of it.
 *
 *   const svg = await qrSvg('cmcc:consignment:c-05-2', { label: 'QR code of …' });
 *
 * The library is a classic script defining the global `qrcode`: it is
 * loaded once, by a <script> element, on the first call (a failed load is
 * tried again on the next). The text is encoded as its UTF-8 bytes in byte
 * mode, error correction level M, the smallest version that holds it: the
 * library's own qrcode.stringToBytes keeps only the low 8 bits of each
 * UTF-16 unit (Latin-1), so it is replaced, before each code is made, by
 * TextEncoder's UTF-8. The drawing is one <path> of the dark modules, one
 * unit a module, on a white square with a quiet zone of 4 modules on each
 * side; it scales with its width. role="img" and aria-label (the label
 * given, else the text) name it for screen readers.
 *
 * qrSvg rejects with an Error whose `kind` is 'qr_library' when the
 * library cannot be loaded, and 'qr_too_long' when the text does not fit a
 * QR code. */

import { h, s } from './dom.js';

const LIB_URL = new URL('../lib/qrcode-generator/qrcode.js', import.meta.url).href;
const QUIET = 4; // modules of white around the code
const EC_LEVEL = 'M'; // about 15% of the code may be damaged

let loading = null;

function fail(kind, message) {
  const err = new Error(message);
  err.kind = kind;
  return err;
}

/** The library's qrcode function, loading it on first use. */
function library() {
  if (typeof window.qrcode === 'function') return Promise.resolve(window.qrcode);
  if (!loading) {
    loading = new Promise((resolve, reject) => {
      const el = h('script', {
        src: LIB_URL,
        onload: () => (typeof window.qrcode === 'function' ? resolve(window.qrcode)
          : reject(fail('qr_library', `${LIB_URL} did not define qrcode`))),
        onerror: () => {
          loading = null;
          el.remove();
          reject(fail('qr_library', `${LIB_URL} could not be loaded: the server needs the Debian package node-qrcode-generator`));
        },
      });
      document.head.appendChild(el);
    });
  }
  return loading;
}

const utf8 = (text) => Array.from(new TextEncoder().encode(text));

/** The dark modules as one SVG path: each run of dark modules in a row is a 1-high rectangle. */
function modulesPath(qr, n) {
  const parts = [];
  for (let r = 0; r < n; r++) {
    for (let c = 0; c < n;) {
      if (!qr.isDark(r, c)) { c++; continue; }
      let e = c + 1;
      while (e < n && qr.isDark(r, e)) e++;
      parts.push(`M${c + QUIET} ${r + QUIET}h${e - c}v1h-${e - c}z`);
      c = e;
    }
  }
  return parts.join('');
}

/** An <svg> of the QR code of text (a string), named by label (default: the text). */
export async function qrSvg(text, { label } = {}) {
  const qrcode = await library();
  qrcode.stringToBytes = utf8;
  const qr = qrcode(0, EC_LEVEL);
  qr.addData(String(text), 'Byte');
  try {
    qr.make();
  } catch (e) {
    throw fail('qr_too_long', `the text is too long for a QR code (${String(e)})`);
  }
  const n = qr.getModuleCount();
  const size = n + 2 * QUIET;
  return s('svg', {
    class: 'qr', viewBox: `0 0 ${size} ${size}`, role: 'img', 'aria-label': label || String(text),
    'shape-rendering': 'crispEdges', 'data-modules': n,
  },
  s('rect', { width: size, height: size, fill: '#fff' }),
  s('path', { d: modulesPath(qr, n), fill: '#000' }));
}
