/* leaflet.js: Debian's Leaflet (package libjs-leaflet) and its clustering
 * plugin (libjs-leaflet.markercluster), which `cmcc serve` serves at
 * /lib/leaflet/; the dashboard keeps no copy of either.
 *
 *   const L = await leaflet();
 *
 * Both are classic scripts: leaflet.js defines the global `L`, then
 * leaflet.markercluster.js adds L.markerClusterGroup to it. Their style
 * sheets (leaflet.css, MarkerCluster.css, MarkerCluster.Default.css) are
 * linked first, since Leaflet lays its panes out with them. Everything is
 * loaded once, on the first call; a failed load is tried again on the
 * next. leaflet() rejects with an Error whose `kind` is 'map_library' and
 * whose message names the Debian package the server lacks. */

import { h } from './dom.js';

const LIB = (file) => new URL(`../lib/leaflet/${file}`, import.meta.url).href;
const PARTS = [
  { css: 'leaflet.css', pkg: 'libjs-leaflet' },
  { css: 'MarkerCluster.css', pkg: 'libjs-leaflet.markercluster' },
  { css: 'MarkerCluster.Default.css', pkg: 'libjs-leaflet.markercluster' },
  { js: 'leaflet.js', pkg: 'libjs-leaflet', ok: () => window.L && typeof window.L.map === 'function' },
  { js: 'leaflet.markercluster.js', pkg: 'libjs-leaflet.markercluster', ok: () => typeof window.L.markerClusterGroup === 'function' },
];

let loading = null;

function fail(url, pkg) {
  const err = new Error(`${url} could not be loaded: the server needs the Debian package ${pkg}`);
  err.kind = 'map_library';
  err.pkg = pkg;
  return err;
}

function one(part) {
  const url = LIB(part.css || part.js);
  if (part.css && document.querySelector(`link[href="${CSS.escape(url)}"]`)) return Promise.resolve();
  if (part.js && part.ok()) return Promise.resolve();
  return new Promise((resolve, reject) => {
    const el = part.css
      ? h('link', { rel: 'stylesheet', href: url })
      : h('script', { src: url });
    el.onload = () => (part.ok && !part.ok() ? reject(fail(url, part.pkg)) : resolve());
    el.onerror = () => { el.remove(); reject(fail(url, part.pkg)); };
    document.head.appendChild(el);
  });
}

/** Leaflet with its clustering plugin, loading them on first use. */
export function leaflet() {
  if (window.L && typeof window.L.markerClusterGroup === 'function') return Promise.resolve(window.L);
  if (!loading) {
    loading = (async () => {
      await Promise.all(PARTS.filter((p) => p.css).map(one));
      for (const p of PARTS.filter((x) => x.js)) await one(p);
      return window.L;
    })().catch((e) => { loading = null; throw e; });
  }
  return loading;
}
