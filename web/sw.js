/* sw.js: the service worker that lets the app open and record with no
 * network after one visit. Served at the root so that its scope is the
 * whole app.
 *
 *   install   keeps every file of the app (SHELL, and Debian's libraries
 *             under /lib/ when the server has them) in the cache CACHE
 *   activate  drops the caches of earlier versions and takes the open pages
 *   fetch     the app's own files: network first (so an updated app is used
 *             as soon as it is online), the cached copy when the network
 *             fails or takes longer than NET_WAIT_MS; the API (/v1/, tiles,
 *             checkpoints) is never cached here: the Record page keeps what
 *             it needs in IndexedDB, and the dashboard says it is offline
 *
 * SHELL lists every file under web/ the app loads; the browser test checks
 * that it names each of them. */

const CACHE = 'cmcc-app-v1';
const NET_WAIT_MS = 4000;
const SHELL = [
  './', 'index.html', 'app.css', 'favicon.svg', 'manifest.webmanifest', 'data/gaza-strip.json',
  'i18n/en.js', 'i18n/ar.js', 'i18n/he.js',
  'js/accounts.js', 'js/api.js', 'js/app.js', 'js/charts.js', 'js/checkpoint.js', 'js/dom.js', 'js/exports.js',
  'js/i18n.js', 'js/leaflet.js', 'js/live.js', 'js/names.js', 'js/qr.js', 'js/sha256.js', 'js/trust.js', 'js/ui.js', 'js/verify.js',
  'js/verify/consistency.js', 'js/verify/memory.js', 'js/verify/policy.js', 'js/verify/proof.js', 'js/verify/tiles.js',
  'js/record/db.js', 'js/record/forms.js', 'js/record/outbox.js', 'js/record/sign.js', 'js/record/sync.js',
  'js/record/proofs.js', 'js/record/tar.js',
  'js/views/alerts.js', 'js/views/consignment.js', 'js/views/consignments.js', 'js/views/disarmament.js',
  'js/views/entry.js', 'js/views/firstrun.js', 'js/views/force.js', 'js/views/incidents.js', 'js/views/map.js',
  'js/views/movements.js', 'js/views/overview.js', 'js/views/proof.js', 'js/views/record.js',
];
const LIBS = ['lib/qrcode-generator/qrcode.js', 'lib/leaflet/leaflet.js', 'lib/leaflet/leaflet.css',
  'lib/leaflet/leaflet.markercluster.js', 'lib/leaflet/MarkerCluster.css', 'lib/leaflet/MarkerCluster.Default.css'];
const API = /^\/(v1\/|tile\/|checkpoint|healthz|add-checkpoint|policy)/;

self.addEventListener('install', (e) => {
  e.waitUntil((async () => {
    const cache = await caches.open(CACHE);
    await cache.addAll(SHELL);
    await Promise.all(LIBS.map((u) => cache.add(u).catch(() => null)));
    await self.skipWaiting();
  })());
});

self.addEventListener('activate', (e) => {
  e.waitUntil((async () => {
    for (const k of await caches.keys()) if (k !== CACHE) await caches.delete(k);
    await self.clients.claim();
  })());
});

async function fromNetwork(req) {
  const ctl = new AbortController();
  const timer = setTimeout(() => ctl.abort(), NET_WAIT_MS);
  try {
    const res = await fetch(req, { signal: ctl.signal });
    if (res.ok && res.type === 'basic') {
      const copy = res.clone();
      caches.open(CACHE).then((c) => c.put(req, copy)).catch(() => null);
    }
    return res;
  } finally {
    clearTimeout(timer);
  }
}

async function answer(req) {
  try {
    return await fromNetwork(req);
  } catch (err) {
    const cache = await caches.open(CACHE);
    const hit = await cache.match(req, { ignoreSearch: req.mode === 'navigate' });
    if (hit) return hit;
    if (req.mode === 'navigate') {
      const shell = await cache.match('index.html');
      if (shell) return shell;
    }
    throw err;
  }
}

self.addEventListener('fetch', (e) => {
  const req = e.request;
  if (req.method !== 'GET') return;
  const url = new URL(req.url);
  if (url.origin !== self.location.origin || API.test(url.pathname)) return;
  e.respondWith(answer(req));
});
