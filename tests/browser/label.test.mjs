// label.test.mjs: a consignment's label in the dashboard (web/js/qr.js,
// web/js/views/consignment.js, the print rules of web/app.css) in Debian's
// chromium, headless, against the real cmcc serving the demo scenario
// (run.sh starts it, and runs this file after dashboard.test.mjs).
//
// The QR codes the page draws are read back by zbarimg (zbar-tools), a
// decoder that shares nothing with the page, from screenshots: the label's
// code says cmcc:consignment:<id>, and qrSvg keeps non-ASCII text as UTF-8.
// The label's facts match GET /v1/consignments/<id>; its Print button
// prints the label alone; in Arabic it is in Arabic; without the library
// the page says which Debian package the server lacks.
//
// Environment (run.sh sets it): CMCC_URL, CMCC_TOKEN, CMCC_SHOTS, CHROMIUM.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { execFileSync } from 'node:child_process';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { launch, openView, apiGet, SHOTS, BASE, TOKEN } from './harness.mjs';


let context;
let profile;
let work;
const problems = [];

const api = (path) => apiGet(BASE, path, { token: TOKEN });

/** A new tab at route, language and token set before any script runs; waits for the view. */
const open = (route, { before: prepare, ...opts } = {}) =>
  openView(context, BASE, route, { token: TOKEN, prepare, ...opts, problems });

let shots = 0;
/** What zbarimg reads in a screenshot of the element, once the page's fonts
 * are in. A screenshot can still catch the code while the layout moves (a
 * slow machine): when zbarimg finds no code at all (exit status 4), up to
 * two more screenshots are read; what is read is returned unchanged. */
async function decode(locator) {
  await locator.page().evaluate(() => document.fonts.ready.then(() => true));
  for (let tries = 1; ; tries++) {
    const png = join(work, `qr-${++shots}.png`);
    writeFileSync(png, await locator.screenshot());
    try {
      return execFileSync('zbarimg', ['--quiet', '--raw', '-Sdisable', '-Sqrcode.enable', png],
        { stdio: ['ignore', 'pipe', 'ignore'] }).toString('utf8').replace(/\n$/, '');
    } catch (e) {
      if (e.status !== 4 || tries === 3) throw e;
      await new Promise((resolve) => setTimeout(resolve, 300));
    }
  }
}

/** A consignment of the demo with more than one line, if there is one. */
async function someConsignment() {
  const all = (await api('/v1/consignments')).consignments;
  for (const c of all) {
    const full = await api(`/v1/consignments/${c.consignment}`);
    if (full.lines.length > 1) return full;
  }
  return api(`/v1/consignments/${all[0].consignment}`);
}

before(async () => {
  assert.ok(TOKEN, 'CMCC_TOKEN is set (run the tests through run.sh)');
  execFileSync('zbarimg', ['--version']); // zbar-tools (scripts/install-deps.sh)
  work = mkdtempSync(join(tmpdir(), 'cmcc-label-'));
  profile = mkdtempSync(join(tmpdir(), 'cmcc-chromium-'));
  context = await launch(profile, { serviceWorkers: 'block' }); // page.route must see every request
});

after(async () => {
  if (context) await context.close();
  for (const d of [profile, work]) if (d) rmSync(d, { recursive: true, force: true });
});

test('the label shows the consignment and a QR code that reads cmcc:consignment:<id>', async () => {
  const c = await someConsignment();
  const page = await open(`/consignments/${c.consignment}`);
  await page.waitForSelector('#label .label-qr[data-qr="ready"] svg');
  const want = `cmcc:consignment:${c.consignment}`;
  assert.equal(await page.$eval('#label .label-sheet', (e) => e.dataset.labelText), want);
  assert.equal(await page.$eval('#label .label-text code', (e) => e.textContent), want);
  const svg = page.locator('#label .label-qr svg');
  assert.equal(await svg.getAttribute('role'), 'img');
  assert.match(await svg.getAttribute('aria-label'), new RegExp(c.consignment));
  // the quiet zone: 4 modules each side
  const [n, box] = await svg.evaluate((e) => [Number(e.dataset.modules), e.getAttribute('viewBox')]);
  assert.equal(box, `0 0 ${n + 8} ${n + 8}`);
  assert.equal(await decode(svg), want);
  // the facts, as the API has them
  assert.equal(await page.$eval('#label [data-field="crossing"]', (e) => e.textContent), c.crossing);
  assert.equal(await page.$eval('#label [data-field="declared_by"]', (e) => e.textContent), c.declared_by);
  assert.equal(await page.$eval('#label [data-field="lines"]', (e) => Number(e.dataset.value)), c.lines.length);
  assert.equal(await page.$$eval('#label [data-label-line]', (ls) => ls.length), c.lines.length);
  for (const l of c.lines) {
    const text = await page.$eval(`#label [data-label-line="${l.line}"]`, (e) => e.textContent);
    assert.ok(text.includes(l.item), `line ${l.line} names its item: ${text}`);
  }
  // the library is loaded once, however many codes are drawn
  await page.evaluate(async () => { const { qrSvg } = await import(new URL('js/qr.js', document.baseURI).href); await qrSvg('a'); await qrSvg('b'); });
  assert.equal(await page.$$eval('script[src*="qrcode-generator"]', (s) => s.length), 1);
  await page.locator('#label').screenshot({ path: join(SHOTS, 'label.png') });
  await page.close();
});

test('qrSvg encodes text as UTF-8 and names the code by its label', async () => {
  const page = await open('/');
  const text = 'مرحبا — ünïcode ✓ 😀 cmcc';
  await page.evaluate(async (t) => {
    const { qrSvg } = await import(new URL('js/qr.js', document.baseURI).href);
    const svg = await qrSvg(t, { label: 'the test code' });
    svg.id = 'qr-test';
    svg.style.width = '300px';
    svg.style.height = '300px';
    document.body.prepend(svg);
  }, text);
  const svg = page.locator('#qr-test');
  assert.equal(await svg.getAttribute('aria-label'), 'the test code');
  assert.equal(await decode(svg), text);
  const tooLong = await page.evaluate(async () => {
    const { qrSvg } = await import(new URL('js/qr.js', document.baseURI).href);
    try { await qrSvg('x'.repeat(4000)); return 'drawn'; } catch (e) { return e.kind; }
  });
  assert.equal(tooLong, 'qr_too_long');
  await page.close();
});

test('Print prints the label alone', async () => {
  const c = await someConsignment();
  const page = await open(`/consignments/${c.consignment}`);
  await page.waitForSelector('#label .label-qr[data-qr="ready"] svg');
  await page.evaluate(() => { window.print = () => { window.printed = (window.printed || 0) + 1; }; });
  await page.click('#label button.print-label-button');
  assert.equal(await page.evaluate(() => window.printed), 1);
  assert.equal(await page.evaluate(() => document.documentElement.classList.contains('print-label')), true);
  await page.emulateMedia({ media: 'print' });
  for (const sel of ['#label .label-qr svg', '#label [data-field="crossing"]', '#label [data-field="declared_by"]',
    '#label [data-field="lines"]', '#label .label-id', '#label .label-lines']) {
    assert.ok(await page.isVisible(sel), `${sel} is printed`);
  }
  for (const sel of ['header', 'nav', 'footer', '#events', '.lines', '#label h2', '#label button', '.status-line']) {
    assert.equal(await page.isVisible(sel), false, `${sel} is not printed`);
  }
  await page.screenshot({ path: join(SHOTS, 'label-print.png') });
  // the label printed from the page's picture still reads
  assert.equal(await decode(page.locator('#label .label-qr svg')), `cmcc:consignment:${c.consignment}`);
  // once printed, the page prints whole again
  await page.evaluate(() => window.dispatchEvent(new Event('afterprint')));
  assert.equal(await page.evaluate(() => document.documentElement.classList.contains('print-label')), false);
  assert.ok(await page.isVisible('#events'), 'without the Print button, the whole page prints');
  await page.close();
});

test('the label in Arabic', async () => {
  const c = await someConsignment();
  const page = await open(`/consignments/${c.consignment}`, { lang: 'ar' });
  await page.waitForSelector('#label .label-qr[data-qr="ready"] svg');
  assert.equal(await page.evaluate(() => document.documentElement.dir), 'rtl');
  assert.equal(await page.$eval('#label h2', (e) => e.textContent), 'الملصق');
  assert.equal(await page.$eval('#label button', (e) => e.textContent), 'طباعة الملصق');
  assert.match(await page.$eval('#label [data-field="lines"]', (e) => e.textContent), /[\u0600-\u06FF]/);
  const missing = await page.evaluate(() => document.querySelector('#label').innerText.match(/⟦[^⟧]+⟧/g));
  assert.equal(missing, null, `strings missing from ar.js: ${missing}`);
  assert.equal(await decode(page.locator('#label .label-qr svg')), `cmcc:consignment:${c.consignment}`);
  await page.locator('#label').screenshot({ path: join(SHOTS, 'ar-label.png') });
  await page.close();
});

test('without the library the page names the Debian package, and the label text remains', async () => {
  const c = await someConsignment();
  const page = await open(`/consignments/${c.consignment}`, {
    before: (p) => p.route('**/lib/qrcode-generator/qrcode.js', (r) => r.fulfill({
      status: 404, contentType: 'application/json', body: '{"error":{"code":"not_found","message":"no library"}}',
    })),
  });
  await page.waitForSelector('#label .label-qr[data-qr="unavailable"]');
  assert.match(await page.$eval('#label .label-qr', (e) => e.textContent), /node-qrcode-generator/);
  assert.equal(await page.$('#label .label-qr svg'), null);
  assert.equal(await page.$eval('#label .label-text code', (e) => e.textContent), `cmcc:consignment:${c.consignment}`);
  assert.ok(await page.isVisible('#events'), 'the rest of the page is there');
  await page.close();
});

test('no sideways scrolling at phone width because of the label', async () => {
  const c = await someConsignment();
  const page = await open(`/consignments/${c.consignment}`, { width: 390, height: 844 });
  await page.waitForSelector('#label .label-qr[data-qr="ready"] svg');
  const over = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
  assert.ok(over <= 1, `the page is ${over}px wider than the phone`);
  await page.locator('#label').screenshot({ path: join(SHOTS, 'phone-label.png') });
  await page.close();
});

test('no console errors', () => {
  assert.deepEqual(problems, []);
});
