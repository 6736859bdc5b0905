// dashboard3.test.mjs: the map, the downloads, the remembered token, the
// first-run page and the three languages, in Debian's chromium against the
// real cmcc. Most tests read the demo served by run.sh; the first-run page
// and the operator's basemap are checked on a log of their own (`cmcc init`,
// then `cmcc serve` with a cmcc.conf naming map.tiles), served here.
//
// What it checks: the map zooms (buttons, keys) and pans (drag, keys), its
// clusters open; every route of the demo can be clicked on the map (found
// at a point where it is the topmost element, so none hides another) and
// every feature opens from the list; with no basemap nothing is fetched from
// another origin, and with map.tiles the tiles are fetched and credited;
// every export downloaded by the page equals the API's answer and parses
// (CSV: header, HXL row, the JSON's figures; GeoJSON: valid by
// tests/geojson's validator); the token survives a browser restart only
// when remembered, and "Forget token" clears it from both stores; an empty
// log's overview is the first-run page; the browser's language picks the
// page's, the reader's choice is kept; screenshots of the overview and a
// consignment in English, Arabic and Hebrew, with no string missing.
//
// Environment (run.sh sets it): CMCC_URL, CMCC_TOKEN, CMCC_SHOTS, CMCC_BIN,
// CHROMIUM.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, readFileSync, writeFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { spawnSync, execFileSync } from 'node:child_process';
import { launch, openView, serveLog, apiGet, ready, noMissingStrings, shot as harnessShot, ROOT as root, WEB_DIR as webDir, CMCC_BIN as BIN, SHOTS, BASE, TOKEN } from './harness.mjs';

const GEOJSON_DIR = join(root, 'tests', 'geojson');
const TILES = 'https://tiles.example.org/{z}/{x}/{y}.png';
const ATTRIBUTION = 'Tiles © Example <test> & partners';
// a 1x1 PNG, the tile the test's route answers with
const PNG = Buffer.from('iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg==', 'base64');

let context;
let profile;
let work;
let own; // {proc, url, token, dir}: the empty log served here
const problems = []; // console errors and uncaught exceptions, from every page

const api = (path, { auth = true, as = 'json', base = BASE, token = TOKEN } = {}) => apiGet(base, path, { token: auth ? token : '', as });

const shot = (page, name, opts) => harnessShot(page, SHOTS, name, opts);
const open = (route, opts = {}) => openView(opts.ctx || context, opts.base || BASE, route, { token: TOKEN, ...opts, problems });

/** RFC 4180: rows of fields, quoted fields with "" and line breaks inside. */
function parseCsv(text) {
  const rows = [];
  let row = [], field = '', quoted = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (quoted) {
      if (c === '"' && text[i + 1] === '"') { field += '"'; i++; } else if (c === '"') quoted = false; else field += c;
    } else if (c === '"') quoted = true;
    else if (c === ',') { row.push(field); field = ''; } else if (c === '\n' || c === '\r') {
      if (c === '\r' && text[i + 1] === '\n') i++;
      row.push(field); rows.push(row); row = []; field = '';
    } else field += c;
  }
  if (field !== '' || row.length) { row.push(field); rows.push(row); }
  return rows;
}

/** The file the page saves when button is clicked: its name and text. */
async function downloaded(page, selector) {
  const [dl] = await Promise.all([page.waitForEvent('download', { timeout: 15000 }), page.click(selector)]);
  const path = await dl.path();
  return { name: dl.suggestedFilename(), text: readFileSync(path, 'utf8') };
}

before(async () => {
  assert.ok(TOKEN, 'CMCC_TOKEN is set (run the tests through run.sh)');
  work = mkdtempSync(join(tmpdir(), 'cmcc-dash3-'));
  profile = join(work, 'profile');
  context = await launch(profile, { serviceWorkers: 'block', acceptDownloads: true, viewport: { width: 1280, height: 1600 } });
  // an empty log: only its genesis entry; a basemap in its cmcc.conf
  const dir = join(work, 'empty');
  execFileSync(BIN, ['init', dir, '--origin', 'empty.cmcc.example/log', '--org', 'cell', '--name', 'Coordination cell'], { stdio: 'pipe' });
  writeFileSync(join(dir, 'cmcc.conf'), `map.tiles = ${TILES}\nmap.attribution = ${ATTRIBUTION}\n`);
  const token = execFileSync(BIN, ['token', 'create', dir, '--org', 'cell'], { stdio: ['ignore', 'pipe', 'pipe'] }).toString().trim();
  own = { ...(await serveLog(BIN, dir, { args: ['--web', webDir] })), token, dir };
});

after(async () => {
  if (context) await context.close();
  if (own) await own.stop();
  if (work) rmSync(work, { recursive: true, force: true });
});

/* ---- the map ---- */

async function mapState(page) {
  return page.$eval('#map', (m) => ({ zoom: Number(m.dataset.zoom), center: m.dataset.center.split(',').map(Number) }));
}

test('map: zoom with the buttons and the keys, pan by dragging and with the arrows; a cluster opens', async () => {
  const page = await open('/map', { height: 1600 });
  await page.waitForSelector('#map[data-ready="1"]');
  const s0 = await mapState(page);
  await page.click('#map .leaflet-control-zoom-in');
  await page.waitForFunction((z) => Number(document.querySelector('#map').dataset.zoom) > z, s0.zoom);
  const s1 = await mapState(page);
  assert.ok(s1.zoom > s0.zoom, `zoomed in: ${s0.zoom} -> ${s1.zoom}`);
  assert.equal(await page.$eval('#map .leaflet-control-zoom-in', (b) => b.getAttribute('aria-label')), 'Zoom in');
  // the keyboard: the map takes focus, "-" zooms out, an arrow pans
  await page.focus('#map');
  await page.keyboard.press('Minus');
  await page.waitForFunction((z) => Number(document.querySelector('#map').dataset.zoom) < z, s1.zoom);
  await page.waitForTimeout(500); // the zoom's animation ends
  const s2 = await mapState(page);
  await page.keyboard.press('ArrowRight');
  await page.waitForFunction((lng) => Number(document.querySelector('#map').dataset.center.split(',')[1]) > lng, s2.center[1]);
  await page.waitForTimeout(300);
  const s3 = await mapState(page);
  assert.ok(s3.center[1] > s2.center[1], `the arrow pans east: ${s2.center} -> ${s3.center}`);
  // drag the map to the right: its centre moves west
  const box = await page.$eval('#map', (m) => { const r = m.getBoundingClientRect(); return { x: r.x + r.width / 2, y: r.y + r.height / 2 }; });
  await page.mouse.move(box.x, box.y);
  await page.mouse.down();
  for (let i = 1; i <= 10; i++) await page.mouse.move(box.x + 15 * i, box.y + 5 * i);
  await page.mouse.up();
  await page.waitForFunction((lng) => Number(document.querySelector('#map').dataset.center.split(',')[1]) < lng, s3.center[1]);
  await page.waitForTimeout(300);
  const s4 = await mapState(page);
  assert.ok(s4.center[1] < s3.center[1], `dragged east, the centre goes west: ${s3.center} -> ${s4.center}`);
  assert.equal(s4.zoom, s3.zoom, 'a drag does not zoom');
  // a cluster of points opens on a click: more points of their own
  await page.goto(new URL('#/', BASE).href);
  await ready(page);
  await page.goto(new URL('#/map', BASE).href);
  await page.waitForSelector('#map[data-ready="1"]');
  const clusters = await page.$$('#map .marker-cluster');
  assert.ok(clusters.length > 0, 'points close together are clustered at first');
  const z = (await mapState(page)).zoom;
  const n = Number(await clusters[0].textContent());
  assert.ok(n >= 2, 'a cluster counts its points');
  await clusters[0].click();
  // zoomed in to the cluster's points: the cluster is gone, its points drawn
  await page.waitForFunction((z0) => Number(document.querySelector('#map').dataset.zoom) > z0, z);
  await page.waitForFunction((c) => !c.isConnected, clusters[0]);
  await page.waitForTimeout(400);
  assert.ok(await page.$$eval('#map .map-icon[data-feature]', (e) => e.length) >= n, 'its points are drawn');
  await shot(page, 'map-zoomed', { full: false });
  await page.close();
});

test('map: every route of the demo can be clicked where it is drawn (none hides another); every feature opens from the list', async () => {
  const mvs = (await api('/v1/movements.geojson')).features;
  const paths = new Map();
  for (const f of mvs) paths.set(JSON.stringify(f.geometry.coordinates), (paths.get(JSON.stringify(f.geometry.coordinates)) || 0) + 1);
  assert.ok([...paths.values()].some((n) => n >= 3), 'the demo has routes sharing a path');
  const requests = [];
  const page = await open('/map', {
    height: 1600,
    prepare: (p) => p.on('request', (r) => requests.push(r.url())),
  });
  await page.waitForSelector('#map[data-ready="1"]');
  for (const f of mvs) {
    // a point of the route's own line where it is the topmost element
    const pt = await page.evaluate((id) => {
      const el = document.querySelector(`#map [data-layer="movements"][data-feature="${CSS.escape(id)}"]`);
      if (!el) return null;
      const len = el.getTotalLength(), m = el.getScreenCTM();
      for (let i = 1; i < 60; i++) {
        const p = el.getPointAtLength((len * i) / 60);
        const q = new DOMPoint(p.x, p.y).matrixTransform(m);
        if (document.elementFromPoint(q.x, q.y) === el) return { x: q.x, y: q.y };
      }
      return null;
    }, f.id);
    assert.ok(pt, `route ${f.id} (${f.properties.status}) is visible somewhere: not hidden under another`);
    await page.mouse.click(pt.x, pt.y);
    await page.waitForFunction((k) => document.querySelector('#map-detail').dataset.key === k, `movements:${f.id}`);
    assert.match(await page.$eval('#map-detail', (d) => d.textContent), new RegExp(f.id));
  }
  // routes on one path keep apart as the map zooms in
  await page.click('#map .leaflet-control-zoom-in');
  await page.click('#map .leaflet-control-zoom-in');
  await page.waitForTimeout(600);
  const [first] = [...paths.entries()].filter(([, n]) => n >= 3).map(([k]) => mvs.filter((f) => JSON.stringify(f.geometry.coordinates) === k));
  const ds = await page.$$eval('#map [data-layer="movements"]', (es, ids) => es.filter((e) => ids.includes(e.dataset.feature)).map((e) => e.getAttribute('d')), first.map((f) => f.id));
  assert.equal(new Set(ds).size, first.length, 'routes on one path are drawn apart');
  // every feature from the list below the map: it is zoomed to, drawn, and opened
  await page.click('details.feature-list summary');
  const keys = await page.$$eval('[data-show]', (bs) => bs.map((b) => b.dataset.show));
  assert.equal(keys.length, (await page.$eval('#map', (m) => Object.values(JSON.parse(m.dataset.counts)).reduce((a, b) => a + b, 0))));
  for (const key of keys) {
    await page.click(`[data-show="${key}"]`);
    await page.waitForFunction((k) => document.querySelector('#map-detail').dataset.key === k
      && document.querySelector(`#map [data-key="${CSS.escape(k)}"].sel`), key, { timeout: 10000 })
      .catch(async (e) => {
        const why = await page.evaluate((k) => [document.querySelector('#map-detail').dataset.key, !!document.querySelector(`#map [data-key="${CSS.escape(k)}"]`), document.querySelector('#map').dataset.zoom], key);
        throw new Error(`${key} not shown from the list (detail, drawn, zoom: ${why}): ${e.message}`);
      });
  }
  // no basemap: nothing was fetched from another origin
  const origin = new URL(BASE).origin;
  assert.deepEqual(requests.filter((u) => !u.startsWith(origin) && !u.startsWith('data:') && !u.startsWith('blob:')), []);
  assert.equal(await page.$eval('#map', (m) => m.dataset.basemap), 'none');
  assert.equal(await page.$$eval('#map .leaflet-tile', (t) => t.length), 0);
  await page.close();
});

test('map: the operator\'s basemap (map.tiles in cmcc.conf) is fetched and credited; /v1/log gives it', async () => {
  const info = await api('/v1/log', { auth: false, base: own.url });
  assert.deepEqual(info.map, { tiles: TILES, attribution: ATTRIBUTION });
  assert.equal((await api('/v1/log', { auth: false })).map, null, 'the demo has no basemap');
  const tiles = [];
  const page = await open('/map', {
    base: own.url, token: own.token, height: 1200,
    prepare: (p) => p.route('https://tiles.example.org/**', (r) => { tiles.push(r.request().url()); r.fulfill({ status: 200, contentType: 'image/png', body: PNG }); }),
  });
  await page.waitForSelector('#map[data-ready="1"]');
  await page.waitForFunction(() => document.querySelectorAll('#map img.leaflet-tile').length > 0);
  assert.ok(tiles.length > 0, 'tiles fetched');
  for (const u of tiles) assert.match(u, /^https:\/\/tiles\.example\.org\/\d+\/\d+\/\d+\.png$/);
  assert.equal(await page.$eval('#map', (m) => m.dataset.basemap), 'tiles');
  // the credit is shown as text, never as markup
  assert.equal(await page.$eval('#map .leaflet-control-attribution', (a) => a.textContent), ATTRIBUTION);
  assert.equal(await page.$$eval('#map .leaflet-control-attribution test', (e) => e.length), 0);
  assert.ok(await page.$('#map path.strip'), 'the outline is drawn over the basemap');
  await shot(page, 'map-basemap', { full: false });
  await page.close();
});

/* ---- downloads ---- */

function validateGeojson(file) {
  if (!existsSync(join(GEOJSON_DIR, 'node_modules', '@placemarkio', 'check-geojson'))) {
    const r = spawnSync('npm', ['ci', '--prefix', GEOJSON_DIR, '--prefer-offline', '--no-audit', '--no-fund', '--loglevel=error'], { encoding: 'utf8', timeout: 300000 });
    assert.equal(r.status, 0, `npm ci --prefix tests/geojson: ${r.stdout}${r.stderr}`);
  }
  return spawnSync(process.execPath, [join(GEOJSON_DIR, 'validate.mjs'), file], { encoding: 'utf8' });
}

test('downloads: each CSV equals the API\'s, has its HXL row and the JSON\'s figures', async () => {
  const page = await open('/consignments');
  const list = (await api('/v1/consignments')).consignments;
  const rec = await api('/v1/reconciliation');
  // consignments.csv: a row per figure of each line (HXL's long form); its
  // entered figures add up to each consignment's
  const c = await downloaded(page, '[data-export="consignments.csv"]');
  assert.equal(c.name, 'cmcc-consignments.csv');
  assert.equal(c.text, await api('/v1/consignments.csv', { as: 'text' }));
  let rows = parseCsv(c.text);
  let [head, hxl, ...data] = rows;
  assert.equal(head[0], 'consignment');
  assert.ok(hxl.every((x) => x.startsWith('#')), `the second row is HXL: ${hxl}`);
  assert.equal(hxl.length, head.length);
  const col = (name) => head.indexOf(name); // of the CSV read last
  // a row's value when it is the named figure, else 0
  const figure = (r, name) => (r[col('figure')] === name ? Number(r[col('value')] || 0) : 0);
  assert.deepEqual([col('figure'), col('value')].map((i) => hxl[i]), ['#indicator+code', '#indicator+num']);
  assert.ok(data.every((r) => r.length === head.length), 'every row has every column');
  assert.deepEqual([...new Set(data.map((r) => r[col('consignment')]))].sort(), list.map((x) => x.consignment).sort());
  for (const x of list) {
    const mine = data.filter((r) => r[col('consignment')] === x.consignment);
    assert.equal(mine.reduce((a, r) => a + figure(r, 'entered'), 0), x.entered, `${x.consignment} entered`);
    assert.ok(mine.every((r) => r[col('status')] === x.status && r[col('crossing')] === x.crossing), `${x.consignment} status, crossing`);
  }
  // reconciliation.csv: a row per figure of each line; its sums per crossing are
  // /v1/reconciliation's
  const r = await downloaded(page, '[data-export="reconciliation.csv"]');
  assert.equal(r.name, 'cmcc-reconciliation.csv');
  assert.equal(r.text, await api('/v1/reconciliation.csv', { as: 'text' }));
  rows = parseCsv(r.text);
  [head, hxl, ...data] = rows;
  assert.ok(hxl.every((x) => x.startsWith('#')) && hxl.length === head.length, 'the second row is HXL');
  for (const b of rec.by_crossing) {
    const mine = data.filter((x) => x[col('crossing')] === b.crossing);
    for (const m of ['approved', 'entered', 'held', 'pending', 'distributed', 'lost', 'unaccounted']) {
      assert.equal(mine.reduce((a, x) => a + figure(x, m), 0), b[m], `${b.crossing} ${m}`);
    }
  }
  assert.match(await page.$eval('.exports [role="status"]', (s) => s.textContent), /cmcc-reconciliation\.csv/);
  await page.close();
});

test('downloads: each GeoJSON equals the API\'s and is valid by tests/geojson\'s validator', async () => {
  const page = await open('/map');
  await page.waitForSelector('#map[data-ready="1"]');
  for (const name of ['sites', 'zones', 'movements']) {
    const d = await downloaded(page, `[data-export="${name}.geojson"]`);
    assert.equal(d.name, `cmcc-${name}.geojson`);
    const want = await api(`/v1/${name}.geojson`);
    assert.deepEqual(JSON.parse(d.text), want);
    assert.ok(want.features.length > 0, `${name}: the demo has some`);
    const file = join(work, d.name);
    writeFileSync(file, d.text);
    const v = validateGeojson(file);
    assert.equal(v.status, 0, `${name}.geojson: ${v.stdout}${v.stderr}`);
    assert.match(v.stdout, /valid/);
  }
  // a download without a usable token says so, in words
  await page.evaluate(() => sessionStorage.setItem('cmcc.token', `cmcc_${'A'.repeat(43)}`));
  await page.click('[data-export="zones.geojson"]');
  await page.waitForSelector('.exports .error');
  assert.match(await page.$eval('.exports .error', (e) => e.textContent), /rejected/);
  await page.close();
});

/* ---- the token, remembered or not ---- */

test('token: kept across a browser restart only when remembered; "Forget token" clears both stores', async () => {
  const prof = join(work, 'token-profile');
  const p3 = [];
  const restart = async (ctx) => { if (ctx) await ctx.close(); return launch(prof, { serviceWorkers: 'block' }); };
  let ctx = await restart(null);
  // not remembered: this tab only
  let page = await openView(ctx, BASE, '/alerts', { token: '', wait: 'token', problems: p3 });
  assert.equal(await page.isChecked('#token-remember'), false, 'not remembered unless asked');
  await page.fill('#token-input', TOKEN);
  await page.click('.token-form button');
  await ready(page);
  assert.deepEqual(await page.evaluate(() => [!!sessionStorage.getItem('cmcc.token'), !!localStorage.getItem('cmcc.token')]), [true, false]);
  await page.reload();
  await ready(page);
  ctx = await restart(ctx);
  page = await openView(ctx, BASE, '/alerts', { token: '', wait: 'token', problems: p3 });
  assert.equal(await page.$eval('[data-token-reason]', (e) => e.dataset.tokenReason), 'needed', 'forgotten when the browser closed');
  // remembered on this device
  await page.fill('#token-input', TOKEN);
  await page.check('#token-remember');
  await page.click('.token-form button');
  await ready(page);
  assert.deepEqual(await page.evaluate(() => [!!sessionStorage.getItem('cmcc.token'), localStorage.getItem('cmcc.token')]), [false, TOKEN]);
  assert.equal(await page.$eval('[data-token]', (e) => e.dataset.token), 'remembered');
  await page.reload();
  await ready(page);
  ctx = await restart(ctx);
  page = await openView(ctx, BASE, '/alerts', { token: '', problems: p3 });
  assert.ok(await page.$('li.alert'), 'the alerts open with the remembered token after a restart');
  assert.equal(await page.$eval('[data-token]', (e) => e.dataset.token), 'remembered');
  await shot(page, 'token-remembered', { full: false });
  // forgotten on request: both stores cleared, the next view asks again
  await page.click('.token-state button');
  await page.waitForSelector('[data-token="none"]');
  assert.deepEqual(await page.evaluate(() => [sessionStorage.getItem('cmcc.token'), localStorage.getItem('cmcc.token')]), [null, null]);
  ctx = await restart(ctx);
  page = await openView(ctx, BASE, '/alerts', { token: '', wait: 'token', problems: p3 });
  assert.equal(await page.$eval('[data-token-reason]', (e) => e.dataset.tokenReason), 'needed');
  await ctx.close();
  assert.deepEqual(p3, []);
});

/* ---- the first-run page ---- */

test('first run: an empty log\'s overview says what to do next, with the commands, and no charts', async () => {
  assert.equal((await api('/v1/log', { auth: false, base: own.url })).size, 1, 'only the genesis entry');
  for (const lang of ['en', 'ar', 'he']) {
    const page = await open('/', { base: own.url, token: '', lang });
    assert.ok(await page.$('[data-first-run]'), `${lang}: the first-run page`);
    await page.waitForSelector('[data-figure="checkpoint-size"]');
    assert.equal(await page.$$eval('[data-chart], table.by-unit, [data-figure]:not([data-figure="checkpoint-size"])', (e) => e.length), 0, 'no empty charts or figures');
    assert.equal(await page.$eval('[data-figure="checkpoint-size"]', (e) => e.dataset.value), '1', 'the signed checkpoint of the one entry');
    const steps = await page.$$eval('[data-first-run] [data-step]', (s) => s.map((x) => x.dataset.step));
    assert.deepEqual(steps, ['admit', 'places', 'tokens', 'record']);
    const cmds = await page.$$eval('[data-first-run] pre.cmd', (p) => p.map((x) => [x.textContent, getComputedStyle(x).direction]));
    const all = cmds.map((c) => c[0]).join('\n');
    for (const c of ['cmcc new org.admit', 'cmcc new place.define', 'cmcc token create', 'cmcc new key.add', `cmcc submit --server ${own.url.replace(/\/$/, '')}`]) {
      assert.ok(all.includes(c), `${lang}: the command ${c}`);
    }
    assert.ok(cmds.every((c) => c[1] === 'ltr'), 'commands read left to right in every language');
    assert.equal(await page.$eval('[data-record-link]', (a) => a.getAttribute('href')), '#/record');
    await noMissingStrings(page, `first run (${lang})`);
    await shot(page, `first-run-${lang}`);
    if (lang === 'en') {
      await page.click('[data-record-link]');
      await page.waitForFunction(() => document.querySelector('main').dataset.view === 'record');
    }
    await page.close();
  }
  // the demo's overview is not a first run
  const page = await open('/', { token: '' });
  assert.equal(await page.$('[data-first-run]'), null);
  await page.close();
});

/* ---- three languages ---- */

test('languages: the browser\'s language first, the reader\'s choice kept; three buttons, each named in itself', async () => {
  const prof = join(work, 'lang-profile');
  let ctx = await launch(prof, { serviceWorkers: 'block', locale: 'he-IL' });
  let page = await ctx.newPage();
  await page.goto(new URL('#/', BASE).href);
  await ready(page);
  assert.deepEqual(await page.evaluate(() => [document.documentElement.lang, document.documentElement.dir]), ['he', 'rtl'], 'Hebrew, from the browser');
  const buttons = await page.$$eval('header button.lang', (bs) => bs.map((b) => [b.dataset.lang, b.getAttribute('lang'), b.textContent, b.getAttribute('aria-pressed')]));
  assert.deepEqual(buttons, [['en', 'en', 'English', 'false'], ['ar', 'ar', 'العربية', 'false'], ['he', 'he', 'עברית', 'true']]);
  await page.click('button.lang[data-lang="en"]');
  await page.waitForFunction(() => document.documentElement.dir === 'ltr');
  await ctx.close();
  ctx = await launch(prof, { serviceWorkers: 'block', locale: 'he-IL' });
  page = await ctx.newPage();
  await page.goto(new URL('#/', BASE).href);
  await ready(page);
  assert.equal(await page.evaluate(() => document.documentElement.lang), 'en', 'the reader\'s choice is kept over the browser\'s language');
  await ctx.close();
  // an Arabic browser with Hebrew second: Arabic
  ctx = await launch(join(work, 'lang-profile-2'), { serviceWorkers: 'block', locale: 'ar-EG', extraHTTPHeaders: {} });
  page = await ctx.newPage();
  await page.goto(new URL('#/', BASE).href);
  await ready(page);
  assert.equal(await page.evaluate(() => document.documentElement.lang), 'ar');
  await ctx.close();
});

test('languages: the overview and a consignment in English, Arabic and Hebrew, every string there, numbers and dates by Intl; screenshots', async () => {
  const stats = await api('/v1/stats', { auth: false });
  for (const [lang, locale, letters] of [['en', 'en-GB', /[A-Za-z]/], ['ar', 'ar', /[\u0600-\u06FF]/], ['he', 'he-IL', /[\u05D0-\u05EA]/]]) {
    const page = await open('/', { lang });
    assert.equal(await page.evaluate(() => document.documentElement.lang), lang);
    assert.equal(await page.evaluate(() => document.documentElement.dir), lang === 'en' ? 'ltr' : 'rtl');
    assert.match(await page.$eval('h1', (e) => e.textContent), letters);
    const shown = await page.$eval('[data-figure="consignments"] .fig-value', (e) => e.textContent);
    assert.equal(shown, new Intl.NumberFormat(locale).format(stats.supply.totals.consignments));
    await page.waitForSelector('[data-signature]');
    await noMissingStrings(page, `overview (${lang})`);
    await shot(page, `lang-overview-${lang}`);
    await page.goto(new URL('#/consignments/c-06-3', BASE).href);
    await ready(page);
    await page.waitForFunction(() => ![...document.querySelectorAll('li.event [data-verify]')].some((e) => e.dataset.verify === 'checking'));
    assert.match(await page.$eval('.status-line .badge', (e) => e.textContent), letters);
    const when = await page.$eval('time[datetime]', (t) => [t.getAttribute('datetime'), t.textContent]);
    const dtf = new Intl.DateTimeFormat(locale, { year: 'numeric', month: 'short', day: 'numeric', timeZone: 'UTC' });
    assert.ok(when[1].includes(dtf.formatToParts(new Date(when[0])).find((p) => p.type === 'month').value), `${lang}: the month by Intl in ${when[1]}`);
    await noMissingStrings(page, `consignment (${lang})`);
    await shot(page, `lang-consignment-${lang}`);
    await page.close();
  }
});

test('no console errors on any page', () => {
  assert.deepEqual(problems, []);
});
