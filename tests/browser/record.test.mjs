// record.test.mjs: the Record page (#/record) in Debian's chromium, headless,
// driven by playwright-core, against the real cmcc: each test serves its own
// copy of the demo log (`cmcc serve`, over HTTPS with a throwaway CA made
// here with openssl, or over plain HTTP on 127.0.0.1, a secure context too),
// and drives one or two devices (browser contexts of their own, each with
// its own IndexedDB). Enrolment and revocation are done as an org's
// administrator does them, with `cmcc new key.add|key.revoke` and
// `cmcc submit`.
//
// What it checks: the envelope the page signs equals `cmcc sign`'s, byte for
// byte; a device waits until enrolled, then sends, and a revoked one shows
// its waiting events refused with key_revoked; a count above what is held is
// refused by the page, in English and in Arabic; a handover between two
// devices of two orgs (a shortfall, with its reason) gives the accounts the
// protocol says; offline: the app opens with no network, 20 events of 5
// types are kept across a closed page and a restarted browser, sent exactly
// once when the network returns, and a server killed during a sync loses
// nothing and appends nothing twice; every form at 390x844 in both
// languages has no sideways scrolling and a label for every control; a log
// written from the page verifies with `cmcc verify` and Go's tlog-verify;
// the waiting events exported are a file `cmcc submit` takes, and another
// device imports.
//
// Environment (run.sh sets it): CMCC_BIN, CHROMIUM, CMCC_SHOTS, CMCC_SHARED_DIR.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, readFileSync, writeFileSync, cpSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { generateKeyPairSync, createHash } from 'node:crypto';
import { launch, serveLog, makeKey, waitDeviceState, until } from './harness.mjs';

const here = dirname(fileURLToPath(import.meta.url));
const root = join(here, '..', '..');
const webDir = join(root, 'web');
const CMCC = process.env.CMCC_BIN || join(root, 'build', 'cmcc');
const SHOTS = process.env.CMCC_SHOTS || mkdtempSync(join(tmpdir(), 'cmcc-shots-'));
const SHARED = process.env.CMCC_SHARED_DIR || join(root, '..', 'shared');
let work;
let template;
let ca;
const problems = [];

/* ---- the real cmcc ---- */

function cmcc(args, { input } = {}) {
  return execFileSync(CMCC, args, { encoding: 'utf8', input, stdio: ['pipe', 'pipe', 'pipe'], env: { ...process.env, CMCC_CACERT: ca.cert } });
}

/** A CA and a certificate for 127.0.0.1, made with openssl for this run. */
function makeCa(dir) {
  const o = (args) => execFileSync('openssl', args, { stdio: 'pipe' });
  const p = (n) => join(dir, n);
  o(['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-days', '2',
    '-subj', '/CN=cmcc test CA', '-keyout', p('ca.key'), '-out', p('ca.pem')]);
  o(['req', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-subj', '/CN=127.0.0.1',
    '-keyout', p('server.key'), '-out', p('server.csr')]);
  writeFileSync(p('ext'), 'subjectAltName=IP:127.0.0.1,DNS:localhost\nbasicConstraints=CA:FALSE\n');
  o(['x509', '-req', '-in', p('server.csr'), '-CA', p('ca.pem'), '-CAkey', p('ca.key'), '-CAcreateserial',
    '-days', '2', '-extfile', p('ext'), '-out', p('server.pem')]);
  execFileSync('chmod', ['600', p('server.key')]);
  return { cert: p('ca.pem'), serverCert: p('server.pem'), serverKey: p('server.key') };
}

/** One served copy of the demo log. start() again reuses the same port (the
 * page's origin, and so its IndexedDB, stays the same). */
class Server {
  constructor(name, { tls = false } = {}) {
    this.dir = join(work, name);
    cpSync(template, this.dir, { recursive: true });
    this.tls = tls;
    this.port = 0;
    this.proc = null;
    this.token = readFileSync(join(this.dir, 'demo-token.txt'), 'utf8').trim();
  }

  async start() {
    const args = ['--web', webDir];
    if (this.tls) args.push('--tls-cert', ca.serverCert, '--tls-key', ca.serverKey);
    this.served = await serveLog(CMCC, this.dir, { listen: `127.0.0.1:${this.port}`, args });
    this.proc = this.served.proc;
    this.port = this.served.port;
    this.url = this.served.url;
    return this.url;
  }

  async stop(signal = 'SIGTERM') {
    if (!this.served) return;
    await this.served.stop(signal);
    this.served = null;
    this.proc = null;
  }

  async get(path) {
    const res = await fetchTls(new URL(path, this.url), { headers: { Authorization: `Bearer ${this.token}` } });
    assert.equal(res.status, 200, `GET ${path}: HTTP ${res.status}`);
    return res.json();
  }

  async size() { return (await this.get('/healthz')).size; }

  /** The org's administrator submits an event made with `cmcc new` and the org's key. */
  admin(type, org, fields) {
    const out = join(work, `admin-${Date.now()}-${Math.random().toString(16).slice(2)}.ndjson`);
    const pem = org === 'cmcc-cell' ? join(this.dir, 'coordinator.pem') : join(this.dir, 'keys', `${org}.pem`);
    const args = ['new', type, '--org', org, '--key', pem, '--out', out];
    for (const [k, v] of Object.entries(fields)) args.push(`--${k}`, String(v));
    cmcc(args);
    cmcc(['submit', '--server', this.url, '--token', this.token, out]);
  }

  /** Every entry's event, decoded, from index from on. */
  async events(from) {
    const n = await this.size();
    const out = [];
    for (let i = from; i < n; i++) out.push((await this.get(`/v1/entries/${i}`)).event);
    return out;
  }
}

/* node's fetch trusts only the system's CAs: for the test's own https reads,
 * the CA made here is passed to curl, which cmcc's tests use anyway */
async function fetchTls(url, { headers = {} } = {}) {
  if (!String(url).startsWith('https:')) return fetch(url, { headers });
  const args = ['-sS', '--cacert', ca.cert, '-w', '\n%{http_code}', String(url)];
  for (const [k, v] of Object.entries(headers)) args.push('-H', `${k}: ${v}`);
  const out = execFileSync('curl', args, { encoding: 'utf8' });
  const i = out.lastIndexOf('\n');
  const body = out.slice(0, i);
  return { status: Number(out.slice(i + 1)), json: async () => JSON.parse(body), text: async () => body };
}

/* ---- the browser ---- */

/** A device: a browser profile of its own (IndexedDB, service worker). */
class Device {
  constructor(name, { lang = 'en', width = 390, height = 844 } = {}) {
    this.profile = mkdtempSync(join(tmpdir(), `cmcc-dev-${name}-`));
    this.name = name;
    this.lang = lang;
    this.viewport = { width, height };
  }

  async launch() {
    // --ignore-certificate-errors: the throwaway CA is not in the profile's
    // store, and a service worker is only registered over HTTPS the browser
    // trusts (a phone in a deployment has the deployment's CA installed)
    this.context = await launch(this.profile, {
      args: ['--ignore-certificate-errors'], viewport: this.viewport, ignoreHTTPSErrors: true,
    });
    const lang = this.lang;
    await this.context.addInitScript((l) => {
      if (!localStorage.getItem('cmcc.lang')) localStorage.setItem('cmcc.lang', l);
    }, lang);
    return this;
  }

  async open(url, route = '/record') {
    const page = await this.context.newPage();
    page.on('console', (m) => {
      if (m.type() === 'error' && !/Failed to load resource|net::ERR_/.test(m.text())) problems.push(`${this.name}: ${m.text()}`);
    });
    page.on('pageerror', (e) => problems.push(`${this.name}: ${e.message}`));
    await page.goto(new URL(`#${route}`, url).href);
    await page.waitForSelector('main[data-state="ready"]', { timeout: 20000 });
    this.page = page;
    return page;
  }

  async close() {
    if (this.context) await this.context.close();
    this.context = null;
  }

  dispose() { rmSync(this.profile, { recursive: true, force: true }); }
}



/**
 * Runs fn({srv, url, pages, devices}) against a fresh served copy of the
 * demo log, with one browser profile per entry of devices ({name, lang,
 * org}: with org, its key is made and enrolled for that org); stops and
 * removes them all afterwards.
 */
async function scenario(name, { tls = false, devices = [] }, fn) {
  const srv = new Server(name, { tls });
  const devs = [];
  try {
    const url = await srv.start();
    const pages = [];
    for (const d of devices) {
      const dev = await new Device(d.name, d).launch();
      devs.push(dev);
      pages.push(await dev.open(url));
    }
    for (let i = 0; i < devices.length; i++) {
      const org = devices[i].org;
      if (org) srv.admin('key.add', org, { 'body-org': org, 'public-key': await makeKey(pages[i], org) });
    }
    for (let i = 0; i < devices.length; i++) if (devices[i].org) await waitDeviceState(pages[i], 'enrolled');
    await fn({ srv, url, pages, devices: devs });
  } finally {
    for (const d of devs) { await d.close(); d.dispose(); }
    await srv.stop();
  }
}

/** Fills and signs one form; values: {selector: value}; picks are typed. */
async function record(page, form, values) {
  await page.evaluate((f) => { location.hash = `#/record?form=${f}`; }, form);
  await page.waitForSelector(`[data-form="${form}"] form`);
  for (const [sel, v] of Object.entries(values)) {
    const el = page.locator(sel);
    const tag = await el.evaluate((e) => e.tagName);
    if (tag === 'SELECT') await el.selectOption(v);
    else {
      await el.fill(String(v));
      await el.dispatchEvent('change');
    }
  }
  const before = await page.evaluate(() => document.querySelector('[data-saved]')?.dataset.saved || '');
  await page.click(`[data-form="${form}"] button[type=submit]`);
  await page.waitForFunction((b) => {
    const s = document.querySelector('[data-saved]');
    return (s && s.dataset.saved && s.dataset.saved !== b) || document.querySelector('.form-errors li');
  }, before, { timeout: 10000 });
  const errors = await page.locator('.form-errors li').allTextContents();
  assert.deepEqual(errors, [], `${form}: ${errors.join(' ')}`);
}

async function outboxStates(page) {
  return page.evaluate(async () => {
    const m = await import('./js/record/outbox.js');
    return (await m.list()).map((r) => r.state);
  });
}


async function waitAllAccepted(page, n, timeout = 60000) {
  let last = [];
  await until(`${n} accepted (outbox: ${JSON.stringify(count(last))})`, async () => {
    last = await outboxStates(page);
    if (last.length === n && last.every((s) => s === 'accepted')) return true;
    await page.evaluate(() => document.querySelector('[data-action="sync"]')?.click());
    return false;
  }, timeout, 1000);
}

const count = (arr) => arr.reduce((o, x) => { o[x] = (o[x] || 0) + 1; return o; }, {});

/* ---- set-up ---- */

before(() => {
  work = mkdtempSync(join(tmpdir(), 'cmcc-record-'));
  ca = makeCa(work);
  template = join(work, 'demo');
  execFileSync(CMCC, ['demo', template, '--build-only'], { stdio: 'pipe' });
  console.log(`screenshots: ${SHOTS}`);
});

after(() => {
  if (work) rmSync(work, { recursive: true, force: true });
});

/* ---- the envelope ---- */

test('the envelope the page signs equals cmcc sign\'s, byte for byte', async () => {
  const srv = new Server('sign', { tls: true });
  const dev = await new Device('sign').launch();
  try {
    const url = await srv.start();
    assert.match(url, /^https:/);
    const page = await dev.open(url);
    const { privateKey } = generateKeyPairSync('ed25519');
    const pkcs8 = privateKey.export({ format: 'der', type: 'pkcs8' });
    const pem = join(work, 'fixed.pem');
    writeFileSync(pem, privateKey.export({ format: 'pem', type: 'pkcs8' }), { mode: 0o600 });
    const event = {
      type: 'incident.report', id: 'inc-fixed-1', org: 'coastal-relief', time: '2026-12-01T08:00:00Z',
      body: { incident: 'i-fixed-1', category: 'looting', occurred: '2026-12-01T07:30:00Z', severity: 'high', description: 'نهب شاحنتين — two trucks', lat: 31.5, lon: 34.45 },
    };
    const got = await page.evaluate(async ([der, ev, keyid]) => {
      const s = await import('./js/record/sign.js');
      const bytes = Uint8Array.from(atob(der), (c) => c.charCodeAt(0));
      const priv = await crypto.subtle.importKey('pkcs8', bytes, { name: 'Ed25519' }, false, ['sign']);
      const payload = s.eventBytes(ev);
      return { line: await s.envelope({ privateKey: priv, keyid }, payload), payload: new TextDecoder().decode(payload) };
    }, [pkcs8.toString('base64'), event, keyidOf(privateKey)]);
    const file = join(work, 'fixed-event.json');
    writeFileSync(file, got.payload);
    const cli = cmcc(['sign', '--key', pem, file]).trim();
    assert.equal(got.line, cli);
  } finally {
    await dev.close();
    dev.dispose();
    await srv.stop();
  }
});

/** keyid: the first 8 bytes of SHA-256 of the raw public key, in hex. */
function keyidOf(privateKey) {
  const raw = Buffer.from(privateKey.export({ format: 'jwk' }).x, 'base64url');
  return createHash('sha256').update(raw).digest('hex').slice(0, 16);
}

/* ---- enrolment, revocation, local checks ---- */

test('not enrolled: events wait; enrolled: sent and accepted; revoked: refused with key_revoked', async () => {
  const srv = new Server('enrol', { tls: true });
  const dev = await new Device('enrol').launch();
  try {
    const url = await srv.start();
    const page = await dev.open(url);
    const pub = await makeKey(page, 'coastal-relief');
    await waitDeviceState(page, 'waiting');
    const size0 = await srv.size();
    await record(page, 'incident', { '#rec-f-category': 'uxo', '#rec-f-severity': 'medium', '#rec-f-description': 'unexploded shell beside the road' });
    await page.waitForSelector('[data-note="not_enrolled"]');
    assert.match(await page.textContent('.rec-bar'), /not enrolled/);
    await page.click('[data-action="sync"]');
    await page.waitForTimeout(1500);
    assert.deepEqual(await outboxStates(page), ['waiting']);
    assert.equal(await srv.size(), size0, 'nothing is sent before enrolment');
    await dev.page.screenshot({ path: join(SHOTS, 'record-not-enrolled.png'), fullPage: true });

    srv.admin('key.add', 'coastal-relief', { 'body-org': 'coastal-relief', 'public-key': pub });
    await waitDeviceState(page, 'enrolled');
    await waitAllAccepted(page, 1);
    assert.equal(await srv.size(), size0 + 2, 'the key.add and the event');
    const [, ev] = await srv.events(size0);
    assert.equal(ev.type, 'incident.report');
    assert.equal(ev.org, 'coastal-relief');
    assert.equal(ev.body.description, 'unexploded shell beside the road');
    await page.waitForSelector('.ob-item[data-state="accepted"]');

    // the forms now offer what the org holds; a count above it is refused
    // by the page, in English and in Arabic, before anything is signed
    await page.evaluate(() => { location.hash = '#/record?form=distribute'; });
    await page.waitForSelector('[data-form="distribute"] form');
    const c = await srv.get('/v1/consignments/c-01-1');
    const held = c.lines[0].accounts['held:coastal-relief'];
    assert.ok(held > 0);
    await page.fill('#rec-f-consignment', 'c-01-1');
    await page.dispatchEvent('#rec-f-consignment', 'change');
    await page.fill('#rec-f-place', 'dp-al-mawasi');
    await page.fill('#rec-f-lines-1', String(held + 1));
    const outbox0 = (await outboxStates(page)).length;
    await page.click('[data-form="distribute"] button[type=submit]');
    const en = await page.textContent('[data-check="over_held"]');
    assert.equal(en, `Line 1: ${held + 1} is more than the ${held} your organization holds.`);
    await page.click('button.lang[data-lang="ar"]');
    await page.waitForFunction(() => document.documentElement.dir === 'rtl');
    await page.waitForSelector('[data-form="distribute"] form');
    await page.fill('#rec-f-consignment', 'c-01-1');
    await page.dispatchEvent('#rec-f-consignment', 'change');
    await page.fill('#rec-f-place', 'dp-al-mawasi');
    await page.fill('#rec-f-lines-1', String(held + 1));
    await page.click('[data-form="distribute"] button[type=submit]');
    const ar = await page.textContent('[data-check="over_held"]');
    const nf = new Intl.NumberFormat('ar').format;
    assert.ok(ar.includes('في عهدة منظمتك'), ar);
    assert.ok(ar.includes(nf(held)), `${ar} names ${nf(held)}`);
    assert.equal((await outboxStates(page)).length, outbox0, 'nothing signed');
    await page.screenshot({ path: join(SHOTS, 'record-over-held-ar.png'), fullPage: true });
    await page.click('button.lang[data-lang="en"]');
    await page.waitForFunction(() => document.documentElement.dir === 'ltr');

    // a label's code, typed, names its consignment; what the device's own
    // events took since its last sync counts against what is held
    await record(page, 'distribute', { '#rec-f-consignment': 'cmcc:consignment:c-01-1', '#rec-f-place': 'dp-al-mawasi', '#rec-f-lines-1': String(held - 5) });
    await waitAllAccepted(page, 2);
    await page.evaluate(() => { location.hash = '#/record?form=loss'; });
    await page.waitForSelector('[data-form="loss"] form');
    await page.fill('#rec-f-consignment', 'c-01-1');
    await page.dispatchEvent('#rec-f-consignment', 'change');
    await page.selectOption('#rec-f-cause', 'damaged');
    await page.fill('#rec-f-lines-1', '6');
    await page.click('[data-form="loss"] button[type=submit]');
    assert.equal(await page.textContent('[data-check="over_held"]'), 'Line 1: 6 is more than the 5 your organization holds.');

    // the server's own refusals come back with the protocol's code and sentence
    await record(page, 'transfer', { '#rec-f-consignment': 'c-01-1', '#rec-f-to': 'coastal-relief', '#rec-f-lines-1': '1' });
    await page.waitForSelector('.ob-item[data-state="refused"] [data-code]', { timeout: 30000 });
    assert.equal(await page.getAttribute('.ob-item[data-state="refused"] [data-code]', 'data-code'), 'rule_violation');

    // revoked: what waits is shown refused with key_revoked, and kept
    await page.context().setOffline(true);
    await record(page, 'incident', { '#rec-f-category': 'looting', '#rec-f-severity': 'high', '#rec-f-description': 'warehouse door forced' });
    await record(page, 'incident', { '#rec-f-category': 'other', '#rec-f-severity': 'low', '#rec-f-description': 'road blocked by debris' });
    const keyid = (await page.textContent('.rec-device dd:nth-of-type(2)')).trim();
    srv.admin('key.revoke', 'coastal-relief', { 'body-org': 'coastal-relief', keyid, reason: 'phone lost' });
    const sizeRevoked = await srv.size();
    await page.context().setOffline(false);
    await page.waitForFunction(() => {
      document.querySelector('[data-action="sync"]')?.click();
      return document.querySelectorAll('.ob-item[data-state="refused"] [data-code="key_revoked"]').length === 2;
    }, null, { timeout: 30000, polling: 1000 });
    await waitDeviceState(page, 'revoked');
    assert.equal(await srv.size(), sizeRevoked, 'nothing of a revoked device is appended');
    const states = count(await outboxStates(page));
    assert.equal(states.refused, 3);
    assert.equal(states.accepted, 2);
    await page.screenshot({ path: join(SHOTS, 'record-revoked.png'), fullPage: true });
  } finally {
    await dev.close();
    dev.dispose();
    await srv.stop();
  }
});

/* ---- two devices, two orgs ---- */

test('a handover between two devices of two orgs: transfer, then acceptance with a shortfall', () => scenario('handover', {
  tls: true, devices: [{ name: 'sender', org: 'coastal-relief' }, { name: 'receiver', lang: 'ar', org: 'northern-aid' }],
}, async ({ srv, pages: [pa, pb] }) => {
  const before = await srv.get('/v1/consignments/c-01-1');
  const held = before.lines[0].accounts['held:coastal-relief'];
  await record(pa, 'transfer', { '#rec-f-consignment': 'c-01-1', '#rec-f-to': 'northern-aid', '#rec-f-lines-1': '30' });
  await waitAllAccepted(pa, 1);
  const mid = await srv.get('/v1/consignments/c-01-1');
  const t = mid.transfers.find((x) => x.status === 'pending' && x.to === 'northern-aid');
  assert.ok(t, 'the pending transfer');
  assert.equal(mid.lines[0].accounts[`pending:${t.transfer}`], 30);

  // the receiver syncs, sees the transfer waiting for it, counts 27 arrived
  await pb.evaluate(async () => { const s = await import('./js/record/sync.js'); await s.syncNow({ refreshChoices: true }); });
  await pb.evaluate(() => { location.hash = '#/record?form=accept'; });
  await pb.waitForSelector('[data-form="accept"] form');
  await pb.fill('#rec-f-transfer', t.transfer);
  await pb.dispatchEvent('#rec-f-transfer', 'change');
  await pb.fill('#rec-f-received-1', '27');
  await pb.click('[data-form="accept"] button[type=submit]');
  // a shortfall needs its reason, said in Arabic
  assert.equal(await pb.textContent('[data-check="need_shortfall_reason"]'), 'وصل أقل مما أُرسل: اذكر السبب.');
  await pb.fill('#rec-f-reason', 'three bags torn in the truck');
  await pb.click('[data-form="accept"] button[type=submit]');
  await waitAllAccepted(pb, 1);
  const after = await srv.get('/v1/consignments/c-01-1');
  const acc = after.lines[0].accounts;
  assert.ok(acc['held:northern-aid'] !== undefined, JSON.stringify(after));
  assert.equal(acc['held:coastal-relief'], held - 30);
  assert.equal(acc['held:northern-aid'], 27);
  assert.equal(acc['unaccounted:coastal-relief'], 3);
  assert.equal(acc[`pending:${t.transfer}`], undefined);
  const closed = after.transfers.find((x) => x.transfer === t.transfer);
  assert.equal(closed.status, 'accepted');
  assert.equal(closed.reason, 'three bags torn in the truck');
  const sum = Object.values(acc).reduce((x, y) => x + y, 0);
  assert.equal(sum, after.lines[0].entered, 'entered = the sum of the accounts');
  await pb.screenshot({ path: join(SHOTS, 'record-accept-ar.png'), fullPage: true });
}));

/* ---- offline ---- */

const OFFLINE_FORMS = [
  ['distribute', (i) => ({ '#rec-f-consignment': 'c-01-1', '#rec-f-place': 'dp-al-mawasi', '#rec-f-lines-1': String(2 + i), '#rec-f-households': String(10 + i) })],
  ['loss', (i) => ({ '#rec-f-consignment': 'c-01-1', '#rec-f-cause': 'spoiled', '#rec-f-lines-1': '1' })],
  ['transfer', (i) => ({ '#rec-f-consignment': 'c-01-1', '#rec-f-to': 'swift-haulage', '#rec-f-lines-1': '1' })],
  ['incident', (i) => ({ '#rec-f-category': 'access_denial', '#rec-f-severity': 'low', '#rec-f-description': `checkpoint closed, report ${i}` })],
  ['keyadd', () => {
    const pub = generateKeyPairSync('ed25519').publicKey.export({ format: 'jwk' }).x;
    return { '#rec-f-public_key': `cmcc:key:coastal-relief:${Buffer.from(pub, 'base64url').toString('base64')}` };
  }],
];

test('offline: the app opens with no network; 20 events of 5 types survive a closed page and a restarted browser and are sent exactly once; a server killed mid-sync loses nothing', async () => {
  const srv = new Server('offline');
  const dev = await new Device('offline').launch();
  try {
    const url = await srv.start();
    assert.match(url, /^http:\/\/127\.0\.0\.1/);
    let page = await dev.open(url);
    srv.admin('key.add', 'coastal-relief', { 'body-org': 'coastal-relief', 'public-key': await makeKey(page, 'coastal-relief') });
    await waitDeviceState(page, 'enrolled');
    await page.evaluate(async () => { const s = await import('./js/record/sync.js'); await s.syncNow({ refreshChoices: true }); });
    await page.waitForFunction(() => navigator.serviceWorker.controller !== null || navigator.serviceWorker.ready.then(() => false), null, { timeout: 15000 }).catch(() => null);
    await page.reload();
    await page.waitForFunction(() => !!navigator.serviceWorker.controller, null, { timeout: 15000 });
    const size0 = await srv.size();

    // cut the network, open the app again: the service worker serves it
    await dev.context.setOffline(true);
    await page.close();
    page = await dev.open(url);
    assert.equal(await page.getAttribute('.rec-bar', 'data-online'), '0');
    for (let i = 0; i < 20; i++) {
      const [form, values] = OFFLINE_FORMS[i % OFFLINE_FORMS.length];
      await record(page, form, values(i));
    }
    assert.match(await page.textContent('.rec-bar'), /Offline\. 20 events wait/);
    await page.screenshot({ path: join(SHOTS, 'record-offline-20.png'), fullPage: true });

    // a closed page, then a restarted browser: the outbox holds 20
    await page.close();
    page = await dev.open(url);
    const held = await outboxStates(page);
    assert.equal(held.length, 20);
    assert.ok(held.every((st) => st === 'waiting' || st === 'sending'), JSON.stringify(count(held)));
    await dev.close();
    await dev.launch();
    await dev.context.setOffline(true);
    page = await dev.open(url);
    const waiting = await page.evaluate(async () => {
      const m = await import('./js/record/outbox.js');
      return (await m.list()).map((r) => r.type);
    });
    assert.equal(waiting.length, 20);
    assert.equal(Object.keys(count(waiting)).length, 5, `five types: ${JSON.stringify(count(waiting))}`);
    assert.equal(await srv.size(), size0, 'nothing was sent while offline');

    // the network returns: all 20 are accepted, the log grows by 20
    await dev.context.setOffline(false);
    await waitAllAccepted(page, 20);
    assert.equal(await srv.size(), size0 + 20);
    const logged = await srv.events(size0);
    assert.deepEqual(count(logged.map((e) => e.type)), count(waiting));
    // sending again adds nothing: every answer is a duplicate
    const again = await page.evaluate(async () => {
      const m = await import('./js/record/outbox.js');
      const recs = await m.list();
      const res = await fetch('/v1/events', {
        method: 'POST', body: recs.map((r) => `${r.envelope}\n`).join(''),
        headers: { 'Content-Type': 'application/x-ndjson', Authorization: `Bearer ${(await (await import('./js/record/sync.js')).device()).token}` },
      });
      return (await res.json()).results.map((r) => r.duplicate);
    });
    assert.deepEqual(again, new Array(20).fill(true));
    assert.equal(await srv.size(), size0 + 20);

    // the server dies during a sync, twice: stopped (SIGSTOP) before the
    // page's request reaches it, then SIGKILLed either still stopped, or a
    // few milliseconds after it was let go on (SIGCONT), when it may have
    // appended what the page will never hear of; restarted on the same
    // port, the page sends again and nothing is lost or doubled
    await page.evaluate(async () => { const s = await import('./js/record/sync.js'); await s.syncNow({ refreshChoices: true }); });
    let total = 20;
    for (const round of ['stopped', 'resumed']) {
      await dev.context.setOffline(true);
      for (let i = 0; i < 30; i++) {
        await record(page, 'incident', { '#rec-f-category': 'other', '#rec-f-severity': 'low', '#rec-f-description': `patrol note ${round} ${i}` });
      }
      total += 30;
      const sizeBefore = await srv.size();
      srv.proc.kill('SIGSTOP');
      await dev.context.setOffline(false);
      await page.evaluate(() => { document.querySelector('[data-action="sync"]').click(); });
      await until('a sync under way', async () => (await outboxStates(page)).includes('sending'), 20000, 2);
      if (round === 'resumed') {
        srv.proc.kill('SIGCONT');
        await new Promise((r) => setTimeout(r, Math.floor(Math.random() * 40)));
      }
      await srv.stop('SIGKILL');
      const midway = count(await outboxStates(page));
      await srv.start();
      await waitAllAccepted(page, total, 90000);
      assert.equal(await srv.size(), sizeBefore + 30, `${round}: every event once (outbox when killed: ${JSON.stringify(midway)})`);
    }
    const ids = (await srv.events(size0)).map((e) => `${e.org}/${e.id}`);
    assert.equal(ids.length, total);
    assert.equal(new Set(ids).size, ids.length, 'no event twice');

    // the log written from the page verifies: with cmcc verify, and served,
    // with Go's own sumdb code
    const tlog = execFileSync('sh', [join(SHARED, 'tools', 'tlog-verify.sh'), '-vkey',
      readFileSync(join(srv.dir, 'log.vkey'), 'utf8').trim(), '-token', srv.token, srv.url], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
    assert.ok(tlog.length >= 0);
    await srv.stop();
    const v = cmcc(['verify', srv.dir]);
    assert.match(v, /ok|verified/i);
  } finally {
    await dev.close();
    dev.dispose();
    await srv.stop();
  }
});

/* ---- export and import ---- */

test('export: the waiting events are a file cmcc submit takes; another device imports and relays it', () => scenario('export', {
  tls: true, devices: [{ name: 'exporter', org: 'coastal-relief' }, { name: 'importer', org: 'northern-aid' }],
}, async ({ srv, pages: [pa, pb], devices: [a] }) => {
  await a.context.setOffline(true);
  for (let i = 0; i < 3; i++) {
    await record(pa, 'incident', { '#rec-f-category': 'access_denial', '#rec-f-severity': 'medium', '#rec-f-description': `gate shut ${i}` });
  }
  const [download] = await Promise.all([pa.waitForEvent('download'), pa.click('[data-action="export"]')]);
  const file = join(work, 'outbox.ndjson');
  await download.saveAs(file);
  const lines = readFileSync(file, 'utf8').split('\n').filter(Boolean);
  assert.equal(lines.length, 3);
  const size0 = await srv.size();
  const out = execFileSync(CMCC, ['submit', '--server', srv.url, '--token', srv.token, file],
    { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, CMCC_CACERT: ca.cert } });
  assert.equal(await srv.size(), size0 + 3, out);

  // the other device imports the file (and a line that is no envelope), and
  // relays it: each is answered as already in the log
  const mixed = join(work, 'mixed.ndjson');
  writeFileSync(mixed, `${lines.join('\n')}\nnot an envelope\n`);
  await pb.setInputFiles('#rec-import', mixed);
  await pb.waitForSelector('[data-import="3/0/1"]');
  await pb.setInputFiles('#rec-import', file);
  await pb.waitForSelector('[data-import="0/3/0"]');
  await waitAllAccepted(pb, 3);
  const dup = await pb.evaluate(async () => (await (await import('./js/record/outbox.js')).list()).map((r) => r.duplicate));
  assert.deepEqual(dup, [true, true, true]);
  // and the first device, back online, hears the same
  await a.context.setOffline(false);
  await waitAllAccepted(pa, 3);
  assert.equal(await srv.size(), size0 + 3, 'nothing twice');
}));

/* ---- every form at phone width, in both languages ---- */

test('390x844: every form in English and Arabic has no sideways scrolling and a label for every control', async () => {
  const srv = new Server('forms');
  const dev = await new Device('forms').launch();
  try {
    const url = await srv.start();
    const page = await dev.open(url);
    // a device not enrolled yet does not know its org's roles: it offers
    // every form (an enrolled one offers its roles' forms only)
    await makeKey(page, 'relief-x');
    const { FORMS } = await page.evaluate(async () => ({ FORMS: (await import('./js/record/forms.js')).FORMS.map((f) => f.key) }));
    for (const lang of ['en', 'ar']) {
      await page.evaluate((l) => { localStorage.setItem('cmcc.lang', l); }, lang);
      for (const form of FORMS) {
        await page.goto(new URL(`#/record?form=${form}`, url).href);
        await page.reload();
        await page.waitForSelector(`[data-form="${form}"] form`);
        assert.equal(await page.evaluate(() => document.documentElement.dir), lang === 'ar' ? 'rtl' : 'ltr');
        const wide = await page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);
        assert.ok(wide <= 0, `${lang} ${form}: ${wide}px of sideways scrolling`);
        const unlabelled = await page.evaluate(() => Array.from(document.querySelectorAll('main input, main select, main textarea, main button'))
          .filter((e) => e.type !== 'hidden' && e.type !== 'file')
          .filter((e) => !((e.labels && e.labels.length) || e.getAttribute('aria-label') || (e.tagName === 'BUTTON' && e.textContent.trim())))
          .map((e) => e.id || e.name || e.outerHTML.slice(0, 60)));
        assert.deepEqual(unlabelled, [], `${lang} ${form}: controls without a label`);
        const missing = await page.evaluate(() => document.body.innerText.match(/⟦[^⟧]+⟧/g));
        assert.equal(missing, null, `${lang} ${form}: strings missing`);
        await page.screenshot({ path: join(SHOTS, `record-form-${form}-${lang}.png`), fullPage: true });
      }
    }
  } finally {
    await dev.close();
    dev.dispose();
    await srv.stop();
  }
});

test('the service worker keeps every file the app loads', () => {
  const sw = readFileSync(join(webDir, 'sw.js'), 'utf8');
  const listed = new Set(Array.from(sw.matchAll(/'([^']+\.(?:js|css|html|json|svg|webmanifest))'/g), (m) => m[1]));
  const files = [];
  const walk = (d, rel) => {
    for (const e of readdirSync(d, { withFileTypes: true })) {
      const r = rel ? `${rel}/${e.name}` : e.name;
      if (e.isDirectory()) walk(join(d, e.name), r);
      else if (!/README\.md$/.test(r) && r !== 'sw.js') files.push(r);
    }
  };
  walk(webDir, '');
  const missing = files.filter((f) => !listed.has(f));
  assert.deepEqual(missing, [], 'files under web/ the service worker does not keep');
});

test('no console errors on any Record page', () => {
  assert.deepEqual(problems, []);
});
