// dashboard.test.mjs: the dashboard (web/) in Debian's chromium, headless,
// driven by playwright-core, against the real cmcc serving the demo
// scenario (run.sh starts it). Each view is loaded and its figures are
// compared with the same endpoint read here; Arabic is switched on and
// checked (direction, text, numbers); an inclusion proof is verified in the
// page and a tampered one is shown failed, in red, with why; errors (server
// unreachable, token missing or rejected) are shown; screenshots of every
// view are saved, at laptop, phone and wall-screen widths.
//
// Environment (run.sh sets it): CMCC_URL, CMCC_TOKEN, CMCC_SHOTS,
// CMCC_DEMO_DIR, CHROMIUM, CMCC_SHARED_DIR.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, readFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, dirname } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { launch, openView, apiGet, ready, noMissingStrings, shot as harnessShot, WEB_DIR as webDir, SHOTS, BASE, TOKEN, SHARED } from './harness.mjs';

const DEMO = process.env.CMCC_DEMO_DIR || '';

let context;
let profile;
const problems = []; // console errors and uncaught exceptions, from every page

/* ---- helpers ---- */

const api = (path, { auth = true, as = 'json' } = {}) => apiGet(BASE, path, { token: auth ? TOKEN : '', as });

/** A new tab at route (hash path), with the language and token set before any script runs. */
const shot = (page, name, opts) => harnessShot(page, SHOTS, name, opts);
const open = (route, opts = {}) => openView(context, BASE, route, { token: TOKEN, ...opts, problems });

/** A new tab with English set and no token, for tests that intercept requests first. */
async function rawPage({ token = '' } = {}) {
  const page = await context.newPage();
  await page.addInitScript(([t]) => {
    if (!sessionStorage.getItem('cmcc.test.init')) {
      sessionStorage.setItem('cmcc.test.init', '1');
      localStorage.setItem('cmcc.lang', 'en');
      if (t) sessionStorage.setItem('cmcc.token', t);
    }
  }, [token]);
  return page;
}

/** Every [data-figure] in scope: {key: {value (number), text}}. */
async function figuresOf(page, scope = 'main') {
  return page.$$eval(`${scope} [data-figure]`, (els) => Object.fromEntries(els.map((e) => [e.dataset.figure, {
    value: e.dataset.value === '' ? null : Number(e.dataset.value),
    text: (e.querySelector('.fig-value') || e).textContent.trim(),
  }])));
}

/** Checks a figure's value against the API and its text against Intl for the page's language. */
async function expectFigure(page, figs, key, value) {
  assert.ok(figs[key], `figure ${key} is shown`);
  assert.equal(figs[key].value, value, `figure ${key}: the page has ${figs[key].value}, the API ${value}`);
  const want = await page.evaluate((v) => new Intl.NumberFormat(document.documentElement.lang === 'ar' ? 'ar' : 'en-GB').format(v), value);
  assert.equal(figs[key].text, want, `figure ${key} is written ${want}`);
}

async function verifyStates(page) {
  return page.$$eval('li.event', (els) => els.map((e) => e.dataset.verify || 'checking'));
}

async function waitVerified(page) {
  await page.waitForFunction(() => {
    const s = document.querySelector('.verify-summary');
    return s && ['done', 'failed', 'error'].includes(s.dataset.state);
  }, null, { timeout: 30000 });
}

/* ---- set-up ---- */

before(async () => {
  assert.ok(TOKEN, 'CMCC_TOKEN is set (run the tests through run.sh)');
  profile = mkdtempSync(join(tmpdir(), 'cmcc-chromium-'));
  // these tests intercept the page's requests (page.route), which a
  // service worker's own fetches would bypass; record.test.mjs tests it
  context = await launch(profile, { serviceWorkers: 'block' });
  console.log(`screenshots: ${SHOTS}`);
});

after(async () => {
  if (context) await context.close();
  if (profile) rmSync(profile, { recursive: true, force: true });
  console.log(`screenshots saved in ${SHOTS}`);
});

/* ---- without a browser: the language files and the verifier ---- */

test('English and Arabic have the same strings (and Hebrew)', async () => {
  const load = async (l) => (await import(pathToFileURL(join(webDir, 'i18n', `${l}.js`)).href)).default;
  const en = await load('en');
  const ar = await load('ar');
  const he = await load('he');
  // a string with plural forms ({one, other, ...}) is one key: each language has its own forms
  const FORMS = ['zero', 'one', 'two', 'few', 'many', 'other'];
  const isPlural = (v) => typeof v === 'object' && typeof v.other === 'string' && Object.keys(v).every((k) => FORMS.includes(k));
  const keys = (o, p = '') => Object.entries(o).flatMap(([k, v]) => (typeof v === 'object' && !isPlural(v) ? keys(v, `${p}${k}.`) : [`${p}${k}`]));
  // each string with its path (a key may hold a dot: enum.event_type['org.admit'])
  const leaves = (o, p = []) => Object.entries(o).flatMap(([k, v]) => (typeof v === 'object' && !isPlural(v) ? leaves(v, [...p, k]) : [[[...p, k], v]]));
  const at = (o, path) => path.reduce((v, k) => (v == null ? undefined : v[k]), o);
  const placeholders = (v) => [...new Set(JSON.stringify(v).match(/\{\w+\}/g) || [])].sort();
  const a = keys(en);
  for (const [name, other] of [['ar', ar], ['he', he]]) {
    const b = new Set(keys(other));
    assert.deepEqual(a.filter((k) => !b.has(k)), [], `keys missing in ${name}.js`);
    assert.deepEqual([...b].filter((k) => !a.includes(k)), [], `keys missing in en.js (${name}.js has them)`);
    assert.equal(other.meta.dir, 'rtl', `${name} is right to left`);
    for (const [path, v] of leaves(en)) {
      if (path[0] === 'meta') continue;
      assert.deepEqual(placeholders(at(other, path)), placeholders(v), `${name}.js ${path.join('.')}: the same {placeholders} as en.js`);
    }
  }
  // Hebrew for real: every string with English words in en.js has Hebrew letters in he.js
  assert.equal(he.meta.locale, 'he-IL');
  const untranslated = leaves(en).filter(([path, v]) => path[0] !== 'meta' && !['brand', 'lang_name_en', 'lang_name_ar'].includes(path.at(-1))
    && /[A-Za-z]{3}/.test(JSON.stringify(v).replace(/\{\w+\}/g, '')) && !/[\u05D0-\u05EA]/.test(JSON.stringify(at(he, path))));
  assert.deepEqual(untranslated.map(([p]) => p.join('.')), [], 'strings of he.js not in Hebrew');
  // every plural form an Arabic string needs, where one has forms; Hebrew's one, two, other
  const forms = (o) => Object.values(o).flatMap((v) => (typeof v === 'object' ? (isPlural(v) ? [v] : forms(v)) : []));
  for (const f of forms(ar)) assert.deepEqual(Object.keys(f).sort(), ['few', 'many', 'one', 'other', 'two'].concat('zero' in f ? ['zero'] : []).sort());
  for (const f of forms(he)) assert.deepEqual(Object.keys(f).sort(), ['one', 'other', 'two']);
});

test('verify.js checks the shared test vectors (checkpoint signature, every inclusion proof)', async (t) => {
  const dir = join(SHARED, 'testvectors', 'tlog-1000');
  if (!existsSync(join(dir, 'checkpoint'))) return t.skip('no shared test vectors ($CMCC_SHARED_DIR/testvectors)');
  const v = await import(pathToFileURL(join(webDir, 'js', 'verify.js')).href);
  const cp = v.parseCheckpoint(readFileSync(join(dir, 'checkpoint'), 'utf8'));
  const key = await v.parseVkey(readFileSync(join(dir, 'keys.txt'), 'utf8').match(/^verifier (\S+)/m)[1]);
  const sig = await v.verifyCheckpointSignature(cp, key);
  assert.equal(sig.state, 'verified');
  assert.deepEqual(sig.cosigners, ['example.org/test-witness']);
  const proofs = JSON.parse(readFileSync(join(dir, 'proofs.json'), 'utf8')).inclusion;
  for (const p of proofs) {
    const root = await v.rootFromInclusionProof(p.leaf_index, p.tree_size, v.b64decode(p.leaf_hash), (p.inclusion_path || []).map(v.b64decode));
    assert.equal(v.b64encode(root), p.root_hash, `proof of ${p.leaf_index} in ${p.tree_size}`);
  }
  // a flipped bit anywhere in a path is caught
  const p = proofs.find((x) => (x.inclusion_path || []).length > 2);
  const path = p.inclusion_path.map(v.b64decode);
  path[1][0] ^= 1;
  const bad = await v.rootFromInclusionProof(p.leaf_index, p.tree_size, v.b64decode(p.leaf_hash), path);
  assert.notEqual(v.b64encode(bad), p.root_hash);
  // leaves from the entry bundle: entry 999 is the last of tile 3.p/232
  const bundle = v.parseBundle(new Uint8Array(readFileSync(join(dir, 'tile', 'entries', '003.p', '232'))));
  assert.equal(bundle.length, 232);
  // the witness's cosignature (C2SP tlog-cosignature), and the same on a changed checkpoint
  const wkey = readFileSync(join(dir, 'keys.txt'), 'utf8').match(/^witness (\S+)/m)[1];
  const [good] = await v.verifyCosignatures(cp, [wkey]);
  assert.equal(good.state, 'verified');
  assert.equal(good.time, new Date(1700000000 * 1000).toISOString());
  const changed = { ...cp, body: cp.body.replace('1000\n', '1001\n') };
  assert.equal((await v.verifyCosignatures(changed, [wkey]))[0].state, 'failed');
  assert.equal((await v.verifyCheckpointSignature(changed, key)).state, 'failed');
  assert.equal(v.tileIndexPath(1234067), 'x001/x234/067');
  assert.equal(v.entryBundlePath(999, 1000), '/tile/entries/003.p/232');
  assert.equal(v.entryBundlePath(10, 1000), '/tile/entries/000');
});

test('sha256.js, the fallback where WebCrypto is withheld, agrees with node:crypto', async () => {
  const { sha256 } = await import(pathToFileURL(join(webDir, 'js', 'sha256.js')).href);
  const { createHash, randomBytes } = await import('node:crypto');
  for (const n of [0, 1, 55, 56, 63, 64, 65, 119, 120, 1000, 65535]) {
    const b = randomBytes(n);
    assert.equal(Buffer.from(sha256(new Uint8Array(b))).toString('hex'), createHash('sha256').update(b).digest('hex'), `${n} bytes`);
  }
});

/* ---- the public overview ---- */

test('overview: figures, charts and table match /v1/stats; the checkpoint verifies; no witnesses', async () => {
  const stats = await api('/v1/stats', { auth: false });
  const page = await open('/', { token: '' });
  const figs = await figuresOf(page);
  const tot = stats.supply.totals;
  await expectFigure(page, figs, 'consignments', tot.consignments);
  await expectFigure(page, figs, 'commodities', stats.supply.by_unit.length);
  // no figure adds units together (dashboard2.test.mjs checks the rows by commodity and unit)
  for (const k of ['entered', 'distributed', 'held', 'pending', 'lost', 'unaccounted']) assert.equal(figs[k], undefined, `no figure ${k} over every unit`);
  // per day and crossing, of the first commodity and unit: every row and measure of the table
  const unit = await page.$eval('[data-chart="entered"]', (e) => e.dataset.unit);
  const byDay = stats.supply.by_day_unit.filter((r) => `${r.category}|${r.unit}` === unit);
  assert.ok(byDay.length > 0, `flows of ${unit}`);
  const rows = await page.$$eval('details.data-table tbody tr', (trs) => trs.map((tr) => ({
    key: tr.dataset.row,
    ...Object.fromEntries([...tr.querySelectorAll('[data-col]')].filter((c) => c.dataset.value !== undefined)
      .map((c) => [c.dataset.col, Number(c.dataset.value)])),
  })));
  assert.equal(rows.length, byDay.length, 'one table row per day and crossing');
  for (const r of byDay) {
    const row = rows.find((x) => x.key === `${r.day}|${r.crossing}`);
    assert.ok(row, `row ${r.day} ${r.crossing}`);
    for (const m of ['entered', 'distributed', 'lost', 'unaccounted']) assert.equal(row[m], r[m], `${r.day} ${r.crossing} ${m}`);
  }
  // four charts, one bar segment per non-zero day and crossing
  for (const m of ['entered', 'distributed', 'lost', 'unaccounted']) {
    const bars = await page.$$eval(`[data-chart="${m}"] svg rect`, (r) => r.length);
    assert.equal(bars, byDay.filter((r) => r[m]).length, `bars of ${m}`);
  }
  // movements by outcome and disarmament
  const mv = await page.$$eval('[data-chart="movements"] li', (ls) => Object.fromEntries(ls.map((l) => [l.dataset.key, Number(l.querySelector('[data-value]').dataset.value)])));
  assert.deepEqual(mv, stats.movements.by_status);
  await expectFigure(page, figs, 'movements-requested', stats.movements.requested);
  for (const k of ['requirements', 'covered', 'required', 'gap', 'pledges', 'deployed']) await expectFigure(page, figs, `force-${k}`, stats.force[k]);
  await expectFigure(page, figs, 'weapons-records', stats.disarmament.records);
  const bms = await page.$$eval('[data-benchmark]', (ls) => ls.map((l) => [l.dataset.benchmark, Number(l.dataset.value)]));
  assert.deepEqual(bms, stats.disarmament.benchmarks.map((b) => [b.benchmark, b.progress]));
  // the checkpoint, checked by the page
  await page.waitForSelector('[data-signature]');
  const cp = await api('/checkpoint', { auth: false, as: 'text' });
  const size = Number(cp.split('\n')[1]);
  assert.equal(await page.$eval('[data-figure="checkpoint-size"]', (e) => Number(e.dataset.value)), size);
  assert.equal(await page.$eval('[data-signature]', (e) => e.dataset.signature), 'verified');
  assert.equal(await page.$eval('[data-key-source]', (e) => e.dataset.keySource), 'server');
  assert.match(await page.$eval('[data-witnesses]', (e) => e.textContent), /No witness cosignatures/);
  await noMissingStrings(page, 'overview');
  await shot(page, 'overview');
  await page.setViewportSize({ width: 2560, height: 1440 });
  await page.waitForTimeout(300);
  await shot(page, 'overview-wall-2560', { full: false });
  await page.close();
});

test('overview: a pasted verifier key is used and said so; a wrong one fails in red', async () => {
  const page = await open('/', { token: '' });
  await page.waitForSelector('[data-signature]');
  const vkey = DEMO && existsSync(join(DEMO, 'log.vkey')) ? readFileSync(join(DEMO, 'log.vkey'), 'utf8').trim() : (await api('/v1/log', { auth: false })).vkey;
  await page.click('.keybox summary');
  await page.fill('#vkey-input', vkey);
  await page.click('.vkey-form button[type=submit]');
  await page.waitForSelector('[data-key-source="pasted"]');
  assert.equal(await page.$eval('[data-signature]', (e) => e.dataset.signature), 'verified');
  // a valid key of another log: the checkpoint is not signed by it
  const other = 'example.org/test-log+6352ce1f+AVO3qg8tQ1fa0R0zfA2APhK2bQTRbd+bg+/BhYjz0qrd';
  await page.fill('#vkey-input', other);
  await page.click('.vkey-form button[type=submit]');
  await page.waitForSelector('[data-signature="failed"]');
  const txt = await page.$eval('[data-signature]', (e) => e.textContent);
  assert.match(txt, /does NOT verify/);
  assert.match(txt, /example\.org\/test-log/);
  assert.equal(await page.$eval('[data-signature]', (e) => getComputedStyle(e).color), 'rgb(185, 28, 28)');
  await shot(page, 'overview-wrong-key', { full: false });
  // a malformed key is refused at once
  await page.fill('#vkey-input', 'not a key');
  await page.click('.vkey-form button[type=submit]');
  await page.waitForSelector('#vkey-msg.error');
  // back to the server's key
  await page.click('.vkey-form button.secondary');
  await page.waitForSelector('[data-key-source="server"]');
  await page.close();
});

test('overview: a checkpoint whose signature was tampered with is shown failed', async () => {
  const page = await rawPage();
  await page.route('**/checkpoint', async (route) => {
    const res = await route.fetch();
    const text = await res.text();
    // change one character of the root line: the signature no longer matches
    const lines = text.split('\n');
    lines[2] = (lines[2][0] === 'A' ? 'B' : 'A') + lines[2].slice(1);
    await route.fulfill({ response: res, body: lines.join('\n') });
  });
  await page.goto(new URL('#/', BASE).href);
  await ready(page);
  await page.waitForSelector('[data-signature="failed"]');
  assert.match(await page.$eval('[data-signature]', (e) => e.textContent), /signature does not match/);
  await page.close();
});

test('overview: a witness the server lists but whose cosignature is missing or forged is said so', async () => {
  const page = await rawPage();
  const wkey = 'example.org/test-witness+b4d3e587+BDLEXABrMldgFYC5OkhSUb9OeNBgwNJ5NLN6ibQ6rMLj';
  await page.route('**/v1/log', async (route) => {
    const res = await route.fetch();
    const body = await res.json();
    body.witnesses = [wkey];
    await route.fulfill({ response: res, json: body });
  });
  await page.goto(new URL('#/', BASE).href);
  await ready(page);
  await page.waitForSelector('[data-cosig]');
  assert.equal(await page.$eval('[data-cosig]', (e) => e.dataset.cosig), 'missing');
  // a cosignature line from that witness that does not verify
  await page.route('**/checkpoint', async (route) => {
    const res = await route.fetch();
    const blob = Buffer.alloc(76, 7);
    Buffer.from('b4d3e587', 'hex').copy(blob, 0);
    await route.fulfill({ response: res, body: `${await res.text()}\u2014 example.org/test-witness ${blob.toString('base64')}\n` });
  });
  await page.reload();
  await ready(page);
  await page.waitForSelector('[data-cosig="failed"]');
  assert.match(await page.$eval('[data-cosig]', (e) => e.textContent), /cosignature does NOT verify/);
  assert.equal(await page.$eval('[data-signature]', (e) => e.dataset.signature), 'verified', 'the log\'s own signature still verifies');
  await page.close();
});

/* ---- participant views ---- */

test('consignments: every row matches /v1/consignments; filters and search work', async () => {
  const all = (await api('/v1/consignments')).consignments;
  const page = await open('/consignments');
  const rows = await page.$$eval('table.consignments tbody tr', (trs) => trs.map((tr) => ({
    id: tr.dataset.id,
    ...Object.fromEntries([...tr.querySelectorAll('td.num')].map((c) => [c.dataset.col, Number(c.dataset.value)])),
    status: tr.querySelector('.badge').dataset.value,
  })));
  assert.equal(rows.length, all.length);
  for (const c of all) {
    const r = rows.find((x) => x.id === c.consignment);
    assert.ok(r, c.consignment);
    assert.equal(r.status, c.status);
    for (const k of ['entered', 'distributed', 'held', 'pending', 'lost', 'unaccounted']) assert.equal(r[k], c[k], `${c.consignment} ${k}`);
  }
  assert.equal(await page.$$eval('[data-figure^="list-"]', (l) => l.length), 0, 'no sum over consignments of different units');
  await shot(page, 'consignments');
  // the status filter asks the server
  const status = all.find((c) => c.status !== 'in_custody')?.status || 'in_custody';
  const want = (await api(`/v1/consignments?status=${status}`)).consignments.length;
  await page.selectOption('#f-status', status);
  await page.waitForURL(new RegExp(`status=${status}`));
  await ready(page);
  assert.equal(await page.$$eval('table.consignments tbody tr', (t) => t.length), want);
  // the search narrows in the page
  await page.goto(new URL('#/consignments', BASE).href);
  await ready(page);
  const one = all[3].consignment;
  await page.fill('#f-q', one);
  const shown = await page.$$eval('table.consignments tbody tr', (t) => t.map((r) => r.dataset.id));
  assert.ok(shown.includes(one) && shown.length < all.length, `search for ${one}`);
  await page.close();
});

/** A consignment with much to show: a loss, a shortfall, something still held; then the largest. */
function busiest(list) {
  const score = (c) => (c.lost > 0) * 4 + (c.unaccounted > 0) * 2 + (c.held > 0);
  return [...list].sort((a, b) => score(b) - score(a) || b.entered - a.entered)[0].consignment;
}

test('consignment: lines and accounts match the API; every event is verified by the page', async () => {
  const all = (await api('/v1/consignments')).consignments;
  const id = busiest(all);
  const c = await api(`/v1/consignments/${id}`);
  const page = await open(`/consignments/${id}`);
  for (const l of c.lines) {
    const accts = await page.$$eval(`[data-line="${l.line}"] tr[data-account]`, (trs) => Object.fromEntries(trs.map((tr) => [tr.dataset.account, Number(tr.querySelector('[data-value]').dataset.value)])));
    assert.deepEqual(accts, l.accounts, `accounts of line ${l.line}`);
    assert.equal(await page.$eval(`[data-line="${l.line}"] [data-invariant]`, (e) => e.dataset.invariant), 'holds');
  }
  const figs = await figuresOf(page);
  for (const k of ['declared', 'approved', 'entered', 'distributed', 'held', 'pending', 'lost', 'unaccounted']) await expectFigure(page, figs, `c-${k}`, c[k]);
  assert.equal(await page.$$eval('[data-transfer]', (t) => t.length), c.transfers.length);
  await waitVerified(page);
  const states = await verifyStates(page);
  assert.equal(states.length, c.events.length);
  assert.deepEqual(states, c.events.map(() => 'verified'), 'every event verified');
  const idx = await page.$$eval('li.event', (ls) => ls.map((l) => Number(l.dataset.index)));
  assert.deepEqual(idx, c.events.map((e) => e.index));
  assert.match(await page.$eval('li.event [data-verify]', (e) => e.textContent), /verified/);
  await noMissingStrings(page, 'consignment');
  await shot(page, 'consignment');
  await page.close();
});

test('consignment: a tampered inclusion proof is shown NOT verified, in red, with why', async () => {
  const all = (await api('/v1/consignments')).consignments;
  const id = busiest(all);
  const page = await rawPage({ token: TOKEN });
  let tampered = 0;
  await page.route('**/v1/proof/inclusion**', async (route) => {
    const res = await route.fetch();
    const body = await res.json();
    const h = Buffer.from(body.inclusion_path[0], 'base64');
    h[7] ^= 0x01; // flip one bit of one hash of the path
    body.inclusion_path[0] = h.toString('base64');
    tampered++;
    await route.fulfill({ response: res, json: body });
  });
  await page.goto(new URL(`#/consignments/${id}`, BASE).href);
  await ready(page);
  await waitVerified(page);
  const states = await verifyStates(page);
  assert.ok(tampered > 0, 'the proofs went through the tampering route');
  assert.ok(states.length > 0 && states.every((s) => s === 'failed'), `all failed: ${states}`);
  const why = await page.$eval('li.event .why.bad', (e) => ({ text: e.textContent, color: getComputedStyle(e).color }));
  assert.match(why.text, /inclusion proof leads to root .* not to the checkpoint’s root/);
  assert.equal(why.color, 'rgb(185, 28, 28)', 'the reason is in red');
  const mark = await page.$eval('li.event [data-verify]', (e) => ({ text: e.textContent, bg: getComputedStyle(e).backgroundColor }));
  assert.match(mark.text, /NOT verified/);
  assert.equal(mark.bg, 'rgb(220, 38, 38)');
  assert.equal(await page.$eval('.verify-summary', (e) => e.dataset.state), 'failed');
  await shot(page, 'consignment-tampered-proof');
  await page.close();
});

test('consignment: without WebCrypto (plain HTTP to another host) the hash chain is checked and the page says the signature was not', async () => {
  const id = busiest((await api('/v1/consignments')).consignments);
  const page = await rawPage({ token: TOKEN });
  await page.addInitScript(() => Object.defineProperty(Crypto.prototype, 'subtle', { get: () => undefined }));
  await page.goto(new URL(`#/consignments/${id}`, BASE).href);
  await ready(page);
  await waitVerified(page);
  const states = await verifyStates(page);
  assert.ok(states.length > 0 && states.every((s) => s === 'chain'), `hash chain only: ${states}`);
  assert.match(await page.$eval('li.event [data-verify]', (e) => e.textContent), /signature not checked/);
  const summary = await page.$eval('.verify-summary', (e) => e.textContent);
  assert.match(summary, /cannot check Ed25519 signatures/);
  assert.match(summary, /SHA-256 is computed by the page’s own code/);
  await shot(page, 'consignment-no-webcrypto');
  await page.close();
});

test('entry: one log entry is verified from its own bytes', async () => {
  const c = await api(`/v1/consignments/${busiest((await api('/v1/consignments')).consignments)}`);
  const ev = c.events[0];
  const page = await open(`/entries/${ev.index}`);
  await page.waitForSelector('[data-verify="verified"], [data-verify="failed"]', { timeout: 20000 });
  assert.equal(await page.$eval('.ev-head [data-verify]', (e) => e.dataset.verify), 'verified');
  assert.match(await page.$eval('.entry-body pre', (e) => e.textContent), new RegExp(`"id": "${ev.id}"`));
  await shot(page, 'entry');
  await page.close();
});

test('alerts: counts by kind match /v1/alerts', async () => {
  const data = await api('/v1/alerts');
  const page = await open('/alerts');
  const figs = await figuresOf(page);
  await expectFigure(page, figs, 'alerts-total', data.alerts.length);
  for (const k of ['transfer_pending', 'unaccounted', 'idle_holding', 'loss_rate']) {
    await expectFigure(page, figs, `alerts-${k}`, data.alerts.filter((a) => a.kind === k).length);
  }
  assert.equal(await page.$$eval('li.alert', (l) => l.length), data.alerts.length);
  await shot(page, 'alerts');
  await page.click('a.chip[href*="kind=unaccounted"]');
  await page.waitForURL(/kind=unaccounted/);
  await ready(page);
  assert.equal(await page.$$eval('li.alert', (l) => l.length), data.alerts.filter((a) => a.kind === 'unaccounted').length);
  await page.close();
});

test('map: every place, site, zone, movement and incident is drawn; features open with the keyboard', async () => {
  const [places, sites, zones, mvs, inc] = await Promise.all([
    api('/v1/places'), api('/v1/sites.geojson'), api('/v1/zones.geojson'), api('/v1/movements.geojson'), api('/v1/incidents'),
  ]);
  const page = await open('/map');
  await page.waitForSelector('#map[data-ready="1"]');
  const want = {
    zones: zones.features.length, movements: mvs.features.length, sites: sites.features.length,
    places: places.places.length, incidents: inc.incidents.filter((i) => i.lat != null).length,
  };
  // every feature is on the map (points in their clusters until zoomed in)
  assert.deepEqual(await page.$eval('#map', (m) => JSON.parse(m.dataset.counts)), want);
  assert.deepEqual(await page.$eval('#map', (m) => JSON.parse(m.dataset.drawn)), want);
  // zones and routes are elements of their own, each focusable and named
  for (const l of ['zones', 'movements']) {
    const els = await page.$$eval(`#map [data-layer="${l}"]`, (es) => es.map((e) => [e.dataset.feature, e.getAttribute('tabindex'), !!e.getAttribute('aria-label')]));
    assert.equal(els.length, want[l], `${l} drawn`);
    assert.ok(els.every(([, tab, named]) => tab === '0' && named), `${l} focusable and named`);
  }
  // every point is drawn or inside a cluster that counts it
  const shown = await page.$$eval('#map .map-icon[data-feature]', (es) => es.length);
  const inClusters = await page.$$eval('#map .marker-cluster', (cs) => cs.reduce((a, c) => a + Number(c.textContent), 0));
  assert.equal(shown + inClusters, want.places + want.sites + want.incidents, 'points drawn or clustered');
  assert.ok(await page.$('#map path.strip'), 'the outline of the strip is drawn');
  // keyboard: focus a zone and press Enter
  const zone = zones.features[0].id;
  await page.focus(`#map [data-layer="zones"][data-feature="${zone}"]`);
  await page.keyboard.press('Enter');
  await page.waitForFunction((z) => document.querySelector('#map-detail').textContent.includes(z), zone);
  // a layer switched off disappears
  await page.uncheck('[data-layer-toggle="movements"]');
  assert.equal(await page.$$eval('#map [data-layer="movements"]', (g) => g.length), 0);
  assert.equal(await page.$eval('#map', (m) => JSON.parse(m.dataset.drawn).movements), 0);
  await page.check('[data-layer-toggle="movements"]');
  assert.equal(await page.$$eval('#map [data-layer="movements"]', (g) => g.length), want.movements);
  await noMissingStrings(page, 'map');
  await shot(page, 'map');
  await page.close();
});

test('movements: statuses, answers and warnings match /v1/movements', async () => {
  const all = (await api('/v1/movements')).movements;
  const page = await open('/movements');
  const cards = await page.$$eval('[data-movement]', (cs) => cs.map((c) => ({
    id: c.dataset.movement, status: c.dataset.status,
    answers: c.querySelectorAll('[data-decision]').length, warnings: c.querySelectorAll('[data-warning]').length,
  })));
  assert.equal(cards.length, all.length);
  for (const m of all) {
    const c = cards.find((x) => x.id === m.movement);
    assert.equal(c.status, m.status, m.movement);
    assert.equal(c.answers, m.answers.length + m.waiting_for.length, `${m.movement} answers`);
    assert.equal(c.warnings, m.warnings.length, `${m.movement} warnings`);
  }
  const denied = all.find((m) => m.status === 'denied');
  if (denied) {
    const reason = denied.answers.find((a) => a.decision === 'denied').reason;
    assert.ok((await page.$eval(`[data-movement="${denied.movement}"]`, (e) => e.textContent)).includes(reason));
  }
  const figs = await figuresOf(page);
  await expectFigure(page, figs, 'movements-total', all.length);
  await shot(page, 'movements');
  await page.close();
});

test('force generation: gaps and the caveat that excludes each pledge match /v1/requirements', async () => {
  const reqs = (await api('/v1/requirements')).requirements;
  const page = await open('/force');
  for (const r of reqs) {
    const gap = await page.$eval(`[data-requirement="${r.requirement}"] [data-col="gap"]`, (e) => Number(e.dataset.value));
    assert.equal(gap, r.gap, `${r.requirement} gap`);
    for (const x of r.excluded) {
      const text = await page.$eval(`[data-requirement="${r.requirement}"] .excluded [data-pledge="${x.pledge}"]`, (e) => e.textContent);
      const named = (v) => text.toLowerCase().includes(v.replace(/_/g, ' ').toLowerCase());
      assert.ok(['withdrawn', 'caveat', 'available_from', 'available_until'].includes(x.cause), `${x.pledge}: cause ${x.cause}`);
      if (x.cause === 'caveat') assert.ok(named(x.caveat) && named(x.task || x.sector), `${x.pledge}: ${text} names ${x.caveat} and ${x.task || x.sector}`);
      if (x.cause !== 'withdrawn') assert.ok(!text.includes(x.reason), `${x.pledge}: the page writes its own sentence, not the server's "${x.reason}"`);
    }
  }
  const figs = await figuresOf(page);
  await expectFigure(page, figs, 'force-gap', reqs.reduce((a, r) => a + r.gap, 0));
  await shot(page, 'force');
  await page.close();
});

test('disarmament: register, statuses and benchmarks match /v1/weapons and /v1/benchmarks', async () => {
  const w = (await api('/v1/weapons')).weapons;
  const bm = (await api('/v1/benchmarks')).benchmarks;
  const page = await open('/disarmament');
  const figs = await figuresOf(page);
  await expectFigure(page, figs, 'weapons-records', w.length);
  for (const s of ['registered', 'verified', 'destroyed', 'decommissioned']) {
    await expectFigure(page, figs, `weapons-${s}`, w.filter((r) => r.status === s).length);
  }
  const bms = await page.$$eval('[data-benchmark]', (ls) => ls.map((l) => [l.dataset.benchmark, Number(l.dataset.value)]));
  assert.deepEqual(bms, bm.map((b) => [b.benchmark, b.progress]));
  assert.equal(Number(await page.$eval('.count', (e) => e.dataset.total)), w.length);
  await shot(page, 'disarmament');
  await page.selectOption('#w-status', 'verified');
  await page.waitForURL(/status=verified/);
  await ready(page);
  assert.equal(Number(await page.$eval('.count', (e) => e.dataset.total)), w.filter((r) => r.status === 'verified').length);
  await page.close();
});

test('incidents: every incident and its assessments', async () => {
  const all = (await api('/v1/incidents')).incidents;
  const page = await open('/incidents');
  assert.equal(await page.$$eval('[data-incident]', (l) => l.length), all.length);
  const figs = await figuresOf(page);
  await expectFigure(page, figs, 'incidents-total', all.length);
  await shot(page, 'incidents');
  await page.close();
});

/* ---- Arabic, phone, keyboard ---- */

test('Arabic: the switch sets dir=rtl, changes the text, formats numbers in Arabic; every view', async () => {
  const stats = await api('/v1/stats', { auth: false });
  const page = await open('/');
  const before = await page.$eval('nav [data-nav="overview"]', (e) => e.textContent);
  await page.click('button.lang[data-lang="ar"]');
  await page.waitForFunction(() => document.documentElement.dir === 'rtl');
  await ready(page);
  assert.equal(await page.evaluate(() => document.documentElement.lang), 'ar');
  const after = await page.$eval('nav [data-nav="overview"]', (e) => e.textContent);
  assert.notEqual(after, before);
  assert.match(after, /[\u0600-\u06FF]/, 'the navigation is in Arabic');
  assert.match(await page.$eval('h1', (e) => e.textContent), /[\u0600-\u06FF]/);
  const figs = await figuresOf(page);
  await expectFigure(page, figs, 'consignments', stats.supply.totals.consignments);
  assert.equal(await page.$eval('main', (e) => getComputedStyle(e).direction), 'rtl');
  await page.waitForSelector('[data-signature="verified"]');
  await noMissingStrings(page, 'overview (ar)');
  await shot(page, 'ar-overview');
  for (const v of ['consignments', 'alerts', 'map', 'movements', 'force', 'disarmament', 'incidents']) {
    await page.click(`nav [data-nav="${v}"]`);
    await page.waitForFunction((x) => document.querySelector('main').dataset.view === x && document.querySelector('main').dataset.state === 'ready', v);
    assert.equal(await page.evaluate(() => document.documentElement.dir), 'rtl');
    await noMissingStrings(page, `${v} (ar)`);
    if (v === 'consignments' || v === 'map') await shot(page, `ar-${v}`);
  }
  // a consignment in Arabic: verified marks, in Arabic
  const id = busiest((await api('/v1/consignments')).consignments);
  await page.goto(new URL(`#/consignments/${id}`, BASE).href);
  await ready(page);
  await waitVerified(page);
  assert.ok((await verifyStates(page)).every((s) => s === 'verified'));
  assert.match(await page.$eval('li.event [data-verify]', (e) => e.textContent), /تم التحقق/);
  await shot(page, 'ar-consignment');
  // and back
  await page.click('button.lang[data-lang="en"]');
  await page.waitForFunction(() => document.documentElement.dir === 'ltr');
  await page.close();
});

test('phone width: no sideways scrolling of the page; screenshots', async () => {
  const id = busiest((await api('/v1/consignments')).consignments);
  for (const [route, name] of [['/', 'phone-overview'], [`/consignments/${id}`, 'phone-consignment'], ['/map', 'phone-map'], ['/consignments', 'phone-consignments']]) {
    const page = await open(route, { width: 390, height: 844 });
    await page.waitForTimeout(200);
    const over = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
    assert.ok(over <= 1, `${route}: the page is ${over}px wider than the phone`);
    await shot(page, name);
    await page.close();
  }
  const page = await open('/', { width: 390, height: 844, lang: 'ar' });
  await shot(page, 'phone-ar-overview');
  await page.close();
});

test('keyboard: skip link first, real links in the navigation, visible focus', async () => {
  const page = await open('/');
  await page.keyboard.press('Tab');
  assert.equal(await page.evaluate(() => document.activeElement.className), 'skip');
  await page.keyboard.press('Enter');
  assert.equal(await page.evaluate(() => document.activeElement.id), 'view-title');
  // Tab from the top reaches the navigation's links, in order
  await page.evaluate(() => document.activeElement.blur());
  await page.focus('.skip');
  const seen = [];
  for (let i = 0; i < 12; i++) {
    await page.keyboard.press('Tab');
    seen.push(await page.evaluate(() => document.activeElement.dataset.nav || document.activeElement.tagName));
  }
  const order = seen.filter((x) => x !== 'A' && x !== 'BUTTON');
  assert.deepEqual(order.slice(0, 4), ['overview', 'consignments', 'alerts', 'map']);
  // focus is visible
  await page.focus('nav [data-nav="alerts"]');
  const outline = await page.$eval('nav [data-nav="alerts"]', (e) => getComputedStyle(e).outlineStyle);
  assert.notEqual(outline, 'none');
  await page.keyboard.press('Enter');
  await page.waitForURL(/#\/alerts/);
  await ready(page);
  await page.close();
});

/* ---- when something is wrong ---- */

test('errors: server unreachable, then retry', async () => {
  const page = await rawPage();
  await page.route('**/v1/stats', (route) => route.abort('connectionrefused'));
  await page.goto(new URL('#/', BASE).href);
  await ready(page, 'error');
  assert.equal(await page.$eval('[data-error]', (e) => e.dataset.error), 'network');
  assert.match(await page.$eval('.error-box', (e) => e.textContent), /Cannot reach the server/);
  await shot(page, 'error-unreachable', { full: false });
  await page.unroute('**/v1/stats');
  await page.click('.error-box button');
  await ready(page);
  assert.ok(await page.$('[data-figure="consignments"]'));
  await page.close();
});

test('errors: no token asks for one; a rejected token asks again', async () => {
  const page = await open('/alerts', { token: '', wait: 'token' });
  assert.equal(await page.$eval('[data-token-reason]', (e) => e.dataset.tokenReason), 'needed');
  await page.fill('#token-input', 'not-a-token');
  await page.click('.token-form button');
  await page.waitForSelector('#token-msg.error');
  await page.fill('#token-input', TOKEN);
  await page.click('.token-form button');
  await ready(page);
  assert.ok(await page.$('li.alert'));
  await page.close();

  // a well-formed token the server does not know: 401, asked again
  const bad = `cmcc_${'A'.repeat(43)}`;
  const p2 = await open('/consignments', { token: bad, wait: 'token' });
  assert.equal(await p2.$eval('[data-token-reason]', (e) => e.dataset.tokenReason), 'rejected');
  assert.match(await p2.$eval('#token-msg', (e) => e.textContent), /rejected/);
  assert.equal(await p2.evaluate(() => sessionStorage.getItem('cmcc.token')), null, 'the rejected token is forgotten');
  await shot(p2, 'error-token-rejected', { full: false });
  await p2.fill('#token-input', TOKEN);
  await p2.click('.token-form button');
  await ready(p2);
  assert.ok(await p2.$('table.consignments'));
  await p2.close();
});

test('no console errors on any page', () => {
  assert.deepEqual(problems, []);
});
