// dashboard2.test.mjs: what the dashboard shows its readers beyond the
// figures dashboard.test.mjs checks, against the same served demo (run.sh):
// figures by commodity and unit equal /v1/stats; a consignment's badge says
// what happened to it (c-06-3: lost); org and place names in the page's
// language with data text isolated from the page's direction, and a
// screenshot in each language. The map, the downloads, the remembered token,
// the first-run page and Hebrew are dashboard3.test.mjs's.
//
// Environment (run.sh sets it): CMCC_URL, CMCC_TOKEN, CMCC_SHOTS, CMCC_BIN,
// CMCC_WEB, CHROMIUM.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, readFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, dirname } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { spawn, spawnSync } from 'node:child_process';
import { launch, openView, apiGet, ready, noMissingStrings, shot as harnessShot, ROOT as root, WEB_DIR as webDir, CMCC_BIN as BIN, SHOTS, BASE, TOKEN } from './harness.mjs';


let context;
let profile;
const problems = []; // console errors and uncaught exceptions, from every page

const api = (path, { auth = true, as = 'json', base = BASE } = {}) => apiGet(base, path, { token: auth ? TOKEN : '', as });

const shot = (page, name, opts) => harnessShot(page, SHOTS, name, opts);
const open = (route, opts = {}) => openView(context, BASE, route, { token: TOKEN, ...opts, problems });

/** The cells of a table's rows: [{row: rowAttr, col: value}] for data-value cells. */
async function tableRows(page, sel, attr) {
  return page.$$eval(`${sel} tbody tr`, (trs, a) => trs.map((tr) => ({
    key: tr.getAttribute(a),
    ...Object.fromEntries([...tr.querySelectorAll('[data-col][data-value]')].filter((c) => c.dataset.value !== '')
      .map((c) => [c.dataset.col, Number(c.dataset.value)])),
  })), attr);
}

before(async () => {
  assert.ok(TOKEN, 'CMCC_TOKEN is set (run the tests through run.sh)');
  profile = mkdtempSync(join(tmpdir(), 'cmcc-chromium-'));
  context = await launch(profile, { serviceWorkers: 'block', acceptDownloads: true });
});

after(async () => {
  if (context) await context.close();
  if (profile) rmSync(profile, { recursive: true, force: true });
});

/* ---- figures by commodity and unit ---- */

test('overview: one row per commodity and unit, equal to /v1/stats by_unit; the charts of each unit equal by_day_unit', async () => {
  const stats = await api('/v1/stats', { auth: false });
  const byUnit = stats.supply.by_unit;
  assert.ok(byUnit.length > 3, 'the demo has several commodities and units');
  const page = await open('/', { token: '' });
  const rows = await tableRows(page, 'table.by-unit', 'data-unit');
  assert.deepEqual(rows.map((r) => r.key), byUnit.map((u) => `${u.category}|${u.unit}`));
  for (const u of byUnit) {
    const r = rows.find((x) => x.key === `${u.category}|${u.unit}`);
    for (const m of ['entered', 'distributed', 'held', 'pending', 'lost', 'unaccounted']) assert.equal(r[m], u[m], `${r.key} ${m}`);
  }
  // each unit's name is written with its unit, in words
  const text = await page.$eval('table.by-unit tbody tr[data-unit="food|bag"] th', (e) => e.textContent);
  assert.match(text, /food/);
  assert.match(text, /bags/);
  // the charts of two other commodities, chosen in the list
  const flowing = byUnit.filter((u) => stats.supply.by_day_unit.some((r) => r.category === u.category && r.unit === u.unit));
  for (const u of flowing.slice(0, 2)) {
    const key = `${u.category}|${u.unit}`;
    await page.selectOption('#f-unit', key);
    await page.waitForFunction((k) => document.querySelector('[data-chart="entered"]')?.dataset.unit === k && document.querySelector('main').dataset.state === 'ready', key);
    const want = stats.supply.by_day_unit.filter((r) => `${r.category}|${r.unit}` === key);
    for (const m of ['entered', 'distributed', 'lost', 'unaccounted']) {
      const bars = await page.$$eval(`[data-chart="${m}"] svg rect`, (r) => r.length);
      assert.equal(bars, want.filter((r) => r[m]).length, `${key}: bars of ${m}`);
    }
    const trows = await tableRows(page, 'details.data-table table', 'data-row');
    assert.equal(trows.length, want.length);
    for (const r of want) {
      const row = trows.find((x) => x.key === `${r.day}|${r.crossing}`);
      for (const m of ['entered', 'distributed', 'lost', 'unaccounted']) assert.equal(row[m], r[m], `${key} ${r.day} ${m}`);
    }
  }
  await noMissingStrings(page, 'overview by unit');
  await page.close();
});

/* ---- what happened to a consignment ---- */

/** The outcome the badge must say, from the consignment's accounts. */
function outcomeOf(c) {
  if (c.status === 'refused') return 'refused';
  if (c.status !== 'completed' || !c.entered) return 'open';
  if (c.distributed === c.entered) return 'delivered';
  return c.distributed > 0 ? 'delivered_losses' : 'lost';
}

test('badges: c-06-3 (464 lost, 6 unaccounted, nothing distributed) says Lost, not Completed; every badge follows its accounts', async () => {
  const all = (await api('/v1/consignments')).consignments;
  const c = all.find((x) => x.consignment === 'c-06-3');
  assert.deepEqual([c.entered, c.distributed, c.lost, c.unaccounted, c.status], [470, 0, 464, 6, 'completed']);
  const page = await open('/consignments');
  const badges = await page.$$eval('table.consignments tbody tr', (trs) => Object.fromEntries(trs.map((tr) => {
    const b = tr.querySelector('.badge');
    return [tr.dataset.id, { outcome: b.dataset.outcome, text: b.textContent, red: getComputedStyle(b).color }];
  })));
  for (const x of all) assert.equal(badges[x.consignment].outcome, outcomeOf(x), x.consignment);
  assert.equal(badges['c-06-3'].text, 'Lost');
  const kinds = new Set(Object.values(badges).map((b) => b.outcome));
  for (const k of ['lost', 'open']) assert.ok(kinds.has(k), `the demo has a consignment ${k}`);
  await page.goto(new URL('#/consignments/c-06-3', BASE).href);
  await ready(page);
  const b = await page.$eval('.status-line .badge', (e) => ({ o: e.dataset.outcome, text: e.textContent, bg: getComputedStyle(e).backgroundColor }));
  assert.equal(b.o, 'lost');
  assert.equal(b.text, 'Lost');
  assert.doesNotMatch(await page.$eval('.status-line', (e) => e.textContent), /Completed/);
  assert.match(await page.$eval('.status-line', (e) => e.textContent), /464/);
  const [r, g] = b.bg.match(/\d+/g).map(Number);
  assert.ok(r > g, `the badge is red, not green (${b.bg})`);
  await shot(page, 'badge-c-06-3');
  await page.close();
});

/* ---- names in the page's language, data text isolated ---- */

test('names: orgs and places by their Arabic names in Arabic, English names in English, each in a <bdi>; a screenshot in each language', async () => {
  const places = Object.fromEntries((await api('/v1/places')).places.map((p) => [p.place, p]));
  const orgs = Object.fromEntries((await api('/v1/orgs')).orgs.map((o) => [o.org, o]));
  assert.equal(places['kerem-shalom'].names.ar, 'معبر كرم أبو سالم');
  for (const lang of ['en', 'ar']) {
    const page = await open('/consignments/c-06-3', { lang });
    const shown = await page.$$eval('[data-org], [data-place]', (els) => els.map((e) => ({
      tag: e.tagName, org: e.dataset.org, place: e.dataset.place, text: e.textContent,
    })));
    assert.ok(shown.length >= 6, `${lang}: names shown`);
    for (const x of shown) {
      assert.equal(x.tag, 'BDI', `${lang}: ${x.org || x.place} is isolated from the page's direction`);
      const entry = x.org ? orgs[x.org] : places[x.place];
      const want = (lang !== 'en' && entry.names && entry.names[lang]) || entry.name;
      assert.equal(x.text, want, `${lang}: the name of ${x.org || x.place}`);
    }
    if (lang === 'ar') assert.ok(shown.some((x) => /[\u0600-\u06FF]/.test(x.text)), 'Arabic names');
    await noMissingStrings(page, `consignment (${lang})`);
    await shot(page, `names-consignment-${lang}`);
    await page.close();
  }
});
