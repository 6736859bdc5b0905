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
// the export is an archive whose waiting events are a file `cmcc submit`
// takes and which another device imports; the proofs: after a sync and a
// checkpoint the device holds each event's proof (from its receipt, or
// fetched on a later sync while the log's witnesses are slow, at most 50
// requests a sync), shown as kept or waiting in English and Arabic, and the
// proof and envelope it saves, one event's or the export's, pass
// `cmcc proof verify`; an accepted event the log no longer holds is shown
// as evidence, and no kept proof is lost.
//
// Environment (run.sh sets it): CMCC_BIN, CHROMIUM, CMCC_SHOTS, CMCC_SHARED_DIR.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawn } from 'node:child_process';
import { mkdtempSync, mkdirSync, rmSync, readFileSync, writeFileSync, appendFileSync, cpSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { generateKeyPairSync, createHash } from 'node:crypto';
import { launch, serveLog, makeKey, waitDeviceState, until, ROOT as root, WEB_DIR as webDir, CMCC_BIN as CMCC, SHOTS, SHARED } from './harness.mjs';

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

/** A `cmcc witness` of its own (its key and store in a directory), for the
 * log whose note verifier key is logVkey; pause() stops the process
 * (SIGSTOP): the log's request waits unanswered until its timeout. */
class Witness {
  constructor(name, logVkey) {
    this.dir = join(work, `witness-${name}`);
    cmcc(['witness', 'init', this.dir, '--name', `${name}.witness.test`]);
    this.vkey = readFileSync(join(this.dir, 'witness.vkey'), 'utf8').trim();
    cmcc(['witness', 'add-log', this.dir, '--vkey', logVkey]);
  }

  start() {
    this.proc = spawn(CMCC, ['witness', 'serve', this.dir, '--listen', '127.0.0.1:0'], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    return new Promise((ok, fail) => {
      const timer = setTimeout(() => fail(new Error(`cmcc witness did not start: ${out}`)), 20000);
      const look = (d) => {
        out += d;
        const m = out.match(/serving at (http:\/\/127\.0\.0\.1:\d+)\//);
        if (!m) return;
        clearTimeout(timer);
        this.proc.stdout.off('data', look);
        this.proc.stdout.resume();
        this.proc.stderr.resume();
        this.url = m[1];
        ok(this.url);
      };
      this.proc.stdout.on('data', look);
      this.proc.stderr.on('data', (d) => { out += d; });
    });
  }

  pause() { this.proc.kill('SIGSTOP'); }
  resume() { this.proc.kill('SIGCONT'); }

  async stop() {
    if (!this.proc || this.proc.exitCode !== null || this.proc.signalCode !== null) return;
    const done = new Promise((r) => this.proc.once('exit', r));
    this.proc.kill('SIGCONT');
    this.proc.kill('SIGTERM');
    await done;
  }
}

/** `cmcc proof verify PROOF ENVELOPE --vkey VKEY`: {code, out}. */
function proofVerify(proof, env, vkey) {
  try {
    return { code: 0, out: execFileSync(CMCC, ['proof', 'verify', proof, env, '--vkey', vkey], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] }) };
  } catch (e) {
    return { code: e.status, out: `${e.stdout}${e.stderr}` };
  }
}

/** Extracts a tar archive with the system's tar into a new directory. */
function untar(file) {
  const dir = mkdtempSync(join(work, 'untar-'));
  execFileSync('tar', ['-xf', file, '-C', dir]);
  return dir;
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


/** The outbox as the device keeps it, oldest first. */
async function outboxRecords(page) {
  return page.evaluate(async () => (await (await import('./js/record/outbox.js')).list()).map((r) => ({
    key: r.key, id: r.id, state: r.state, index: r.index, envelope: r.envelope,
    proof: r.proof || null, proof_from: r.proof_from || null, dropped: r.dropped || null,
  })));
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

    // after a sync and a checkpoint the device holds the proof of each
    // event, and the export's proofs pass cmcc proof verify
    await until('every event\'s proof kept', async () => {
      const recs = await outboxRecords(page);
      if (recs.every((r) => r.proof)) return true;
      await page.evaluate(async () => { await (await import('./js/record/sync.js')).syncNow(); });
      return false;
    }, 60000, 500);
    const recs = await outboxRecords(page);
    assert.equal(recs.length, total);
    assert.ok(recs.every((r) => /^c2sp\.org\/tlog-proof@v1\n/.test(r.proof)));
    const [exp] = await Promise.all([page.waitForEvent('download'), page.click('[data-action="export"]')]);
    const archive = join(work, 'offline-proofs.tar');
    await exp.saveAs(archive);
    const x = untar(archive);
    const vkey = readFileSync(join(srv.dir, 'log.vkey'), 'utf8').trim();
    for (const r of recs) {
      const v = proofVerify(join(x, 'proofs', `${r.id}.proof`), join(x, 'proofs', `${r.id}.json`), vkey);
      assert.equal(v.code, 0, `${r.id}: ${v.out}`);
    }

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

/* ---- proofs ---- */

const PROOF_TEXT = {
  en: { waiting: 'Proof: waiting for the log’s next checkpoint.', kept: 'Proof kept on this device: the log holds this event.' },
  ar: { waiting: 'الإثبات: بانتظار نقطة التحقق التالية للسجل.', kept: 'الإثبات محفوظ على هذا الجهاز: السجل يحوي هذا الحدث.' },
};

async function setLang(page, lang) {
  await page.click(`button.lang[data-lang="${lang}"]`);
  await page.waitForFunction((d) => document.documentElement.dir === d, lang === 'ar' ? 'rtl' : 'ltr');
  await page.waitForSelector('.ob-item');
}

/** Signs n incident reports with the device's own key, as the form does, and keeps them. */
async function signMany(page, n, what) {
  await page.evaluate(async ([count, text]) => {
    const s = await import('./js/record/sign.js');
    const ob = await import('./js/record/outbox.js');
    const dev = await (await import('./js/record/sync.js')).device();
    for (let i = 0; i < count; i++) {
      const ev = {
        type: 'incident.report', id: s.newId('incident.report'), org: dev.org, time: s.nowIso(),
        body: { incident: `i-${text}-${i}-${Math.random().toString(16).slice(2, 8)}`, category: 'other', occurred: s.nowIso(), severity: 'low', description: `${text} ${i}` },
      };
      await ob.keep(await s.envelope(dev, s.eventBytes(ev)), ev, { form: 'incident', ref: ev.body.incident });
    }
  }, [n, what]);
}

test('proofs: a receipt without one, fetched on a later sync (at most 50 a sync) and shown kept or waiting in English and Arabic; one event\'s ID.proof and ID.json pass cmcc proof verify; an event the log dropped is shown as evidence', async () => {
  const srv = new Server('proofs');
  const vkey = readFileSync(join(srv.dir, 'log.vkey'), 'utf8').trim();
  // two witnesses: while both are stopped, the log waits for each (5 s)
  // before it publishes a checkpoint, so a new entry's proof is "not yet"
  const wits = [new Witness('w1', vkey), new Witness('w2', vkey)];
  const dev = await new Device('proofs').launch();
  const dl = mkdtempSync(join(work, 'downloads-'));
  try {
    for (const w of wits) await w.start();
    appendFileSync(join(srv.dir, 'cmcc.conf'), wits.map((w) => `witness = ${w.url} ${w.vkey}\n`).join(''));
    const url = await srv.start();
    const page = await dev.open(url);
    srv.admin('key.add', 'coastal-relief', { 'body-org': 'coastal-relief', 'public-key': await makeKey(page, 'coastal-relief') });
    await waitDeviceState(page, 'enrolled');
    // the log as it is now, served later in place of the one that takes
    // the device's events
    await srv.stop();
    const before = join(work, 'proofs-before');
    cpSync(srv.dir, before, { recursive: true });
    await srv.start();

    // accepted while the witnesses are stopped: the receipt has no proof,
    // nor has the log one yet; the device is then cut off, and says it waits
    for (const w of wits) w.pause();
    await dev.context.setOffline(true);
    await record(page, 'incident', { '#rec-f-category': 'uxo', '#rec-f-severity': 'high', '#rec-f-description': 'shell in the school yard' });
    await dev.context.setOffline(false);
    await page.waitForSelector('.ob-item[data-state="accepted"]', { timeout: 30000 });
    await dev.context.setOffline(true);
    let [a] = await outboxRecords(page);
    assert.equal(a.state, 'accepted');
    assert.equal(a.proof, null, 'a new entry is in no checkpoint yet');
    const item = (r) => `.ob-item[data-key="${r.key}"]`;
    assert.equal(await page.textContent(`${item(a)} [data-proof="waiting"]`), PROOF_TEXT.en.waiting);
    await setLang(page, 'ar');
    assert.equal(await page.textContent(`${item(a)} [data-proof="waiting"]`), PROOF_TEXT.ar.waiting);

    // the witnesses answer again, the device is online: a following sync
    // fetches the proof from /v1/proof/entry
    for (const w of wits) w.resume();
    await dev.context.setOffline(false);
    await until('the proof fetched', async () => {
      [a] = await outboxRecords(page);
      if (a.proof) return true;
      await page.evaluate(() => document.querySelector('[data-action="sync"]')?.click());
      return false;
    }, 60000, 1000);
    assert.equal(a.proof_from, 'fetched');
    assert.match(a.proof, /^c2sp\.org\/tlog-proof@v1\n/);
    await page.waitForSelector(`${item(a)} [data-proof="kept"]`);
    assert.equal(await page.textContent(`${item(a)} [data-proof="kept"] > p`), PROOF_TEXT.ar.kept);
    await page.locator(item(a)).screenshot({ path: join(SHOTS, 'record-proof-kept-ar.png') });
    await setLang(page, 'en');
    assert.equal(await page.textContent(`${item(a)} [data-proof="kept"] > p`), PROOF_TEXT.en.kept);
    assert.equal(await page.locator(`${item(a)} [data-action="dismiss"]`).count(), 0, 'an event with its proof cannot be dismissed');

    // its two files, as downloaded: cmcc proof verify takes them, and
    // refuses the envelope with one byte of its signature changed
    await page.click(`${item(a)} [data-proof="kept"] summary`);
    const save = async (action) => {
      const [d] = await Promise.all([page.waitForEvent('download'), page.click(`${item(a)} [data-action="${action}"]`)]);
      const f = join(dl, d.suggestedFilename());
      await d.saveAs(f);
      return f;
    };
    const proofFile = await save('save-proof');
    const envFile = await save('save-envelope');
    assert.equal(proofFile, join(dl, `${a.id}.proof`));
    assert.equal(envFile, join(dl, `${a.id}.json`));
    await page.locator(item(a)).screenshot({ path: join(SHOTS, 'record-proof-save.png') });
    let v = proofVerify(proofFile, envFile, vkey);
    assert.equal(v.code, 0, v.out);
    const env = JSON.parse(readFileSync(envFile, 'utf8'));
    const sig = env.signatures[0].sig;
    env.signatures[0].sig = (sig[0] === 'A' ? 'B' : 'A') + sig.slice(1);
    writeFileSync(join(dl, 'changed.json'), `${JSON.stringify(env)}\n`);
    v = proofVerify(proofFile, join(dl, 'changed.json'), vkey);
    assert.equal(v.code, 1, v.out);

    // at most 50 proof requests a sync: 60 events accepted while the
    // witnesses are stopped, then, once a checkpoint holds them all, the
    // syncs ask for 50 and then the 10 others
    await page.evaluate(async () => {
      window.proofAsks = [];
      (await import('./js/record/sync.js')).onStatus((st) => {
        if (st.state === 'done' && st.detail && st.detail.proofs) window.proofAsks.push(st.detail.proofs);
      });
    });
    for (const w of wits) w.pause();
    await dev.context.setOffline(true);
    await signMany(page, 60, 'patrol');
    await dev.context.setOffline(false);
    await waitAllAccepted(page, 61);
    await dev.context.setOffline(true);
    for (const w of wits) w.resume();
    const last = (await outboxRecords(page)).at(-1);
    await until('a checkpoint with the 60', async () => {
      const res = await fetch(new URL(`/v1/proof/entry?org=coastal-relief&id=${last.id}`, srv.url), { headers: { Authorization: `Bearer ${srv.token}` } });
      return res.status === 200;
    }, 60000, 500);
    await page.evaluate(() => { window.proofAsks = []; });
    await dev.context.setOffline(false);
    await until('all 61 proofs kept', async () => (await outboxRecords(page)).every((r) => r.proof), 60000, 500);
    const asks = await page.evaluate(() => window.proofAsks);
    assert.ok(asks.length >= 2, JSON.stringify(asks));
    assert.ok(asks.every((x) => x.asked <= 50), JSON.stringify(asks));
    assert.equal(asks.find((x) => x.asked > 0).asked, 50, JSON.stringify(asks));
    assert.equal(asks.reduce((n, x) => n + x.kept, 0), 60, JSON.stringify(asks));

    // an accepted event the log no longer holds: accepted while the
    // witnesses are stopped, then the log is replaced by its copy from
    // before; the device shows it as evidence, and keeps every proof it had
    const kept = new Map((await outboxRecords(page)).map((r) => [r.key, r.proof]));
    for (const w of wits) w.pause();
    await dev.context.setOffline(true);
    await record(page, 'incident', { '#rec-f-category': 'looting', '#rec-f-severity': 'high', '#rec-f-description': 'store emptied at night' });
    await dev.context.setOffline(false);
    await until('the event accepted', async () => {
      const st = await outboxStates(page);
      return st.length === 62 && st.every((x) => x === 'accepted');
    }, 30000, 100);
    await dev.context.setOffline(true);
    let b = (await outboxRecords(page)).at(-1);
    assert.equal(b.state, 'accepted');
    assert.equal(b.proof, null);
    for (const w of wits) w.resume();
    await srv.stop();
    rmSync(srv.dir, { recursive: true, force: true });
    cpSync(before, srv.dir, { recursive: true });
    await srv.start();
    await dev.context.setOffline(false);
    await until('the dropped event found', async () => {
      b = (await outboxRecords(page)).at(-1);
      if (b.dropped) return true;
      await page.evaluate(() => document.querySelector('[data-action="sync"]')?.click());
      return false;
    }, 60000, 1000);
    assert.equal(b.dropped.entry, 'absent');
    assert.equal(b.proof, null);
    await page.waitForSelector(`${item(b)} [data-proof="dropped"]`);
    const said = await page.textContent(`${item(b)} [data-proof="dropped"]`);
    assert.match(said, /evidence that the log dropped the event/);
    const entry = await page.textContent(`${item(b)} a[href="#/entries/${b.index}"]`);
    assert.ok(said.includes(entry), `${said} names ${entry}`);
    assert.equal(await page.locator(`${item(b)} [data-action="dismiss"]`).count(), 0, 'the evidence cannot be dismissed');
    const after = await outboxRecords(page);
    for (const r of after) if (kept.has(r.key)) assert.equal(r.proof, kept.get(r.key), `${r.id}: its proof is kept as it was`);
    await page.locator(item(b)).screenshot({ path: join(SHOTS, 'record-proof-dropped.png') });
  } finally {
    await dev.close();
    dev.dispose();
    await srv.stop();
    for (const w of wits) await w.stop();
  }
});

/* ---- export and import ---- */

test('export: an archive whose waiting events are a file cmcc submit takes; another device imports and relays it; the proofs come with the receipts and pass cmcc proof verify', () => scenario('export', {
  tls: true, devices: [{ name: 'exporter', org: 'coastal-relief' }, { name: 'importer', org: 'northern-aid' }],
}, async ({ srv, pages: [pa, pb], devices: [a] }) => {
  await a.context.setOffline(true);
  for (let i = 0; i < 3; i++) {
    await record(pa, 'incident', { '#rec-f-category': 'access_denial', '#rec-f-severity': 'medium', '#rec-f-description': `gate shut ${i}` });
  }
  const [download] = await Promise.all([pa.waitForEvent('download'), pa.click('[data-action="export"]')]);
  assert.match(download.suggestedFilename(), /^cmcc-outbox-.*\.tar$/);
  const archive = join(work, 'outbox.tar');
  await download.saveAs(archive);
  const x = untar(archive);
  assert.deepEqual(readdirSync(x), ['outbox.ndjson'], 'nothing accepted yet: no proofs');
  const file = join(x, 'outbox.ndjson');
  const lines = readFileSync(file, 'utf8').split('\n').filter(Boolean);
  assert.equal(lines.length, 3);
  const size0 = await srv.size();
  const out = execFileSync(CMCC, ['submit', '--server', srv.url, '--token', srv.token, file],
    { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, CMCC_CACERT: ca.cert } });
  assert.equal(await srv.size(), size0 + 3, out);

  // the other device imports a file of envelopes (and a line that is no
  // envelope), then the archive, and relays them: each is answered as
  // already in the log, its receipt carrying its proof
  const mixed = join(work, 'mixed.ndjson');
  writeFileSync(mixed, `${lines.join('\n')}\nnot an envelope\n`);
  await pb.setInputFiles('#rec-import', mixed);
  await pb.waitForSelector('[data-import="3/0/1"]');
  await pb.setInputFiles('#rec-import', archive);
  await pb.waitForSelector('[data-import="0/3/0"]');
  await waitAllAccepted(pb, 3);
  const recsB = await outboxRecords(pb);
  assert.deepEqual(recsB.map((r) => r.proof_from), ['receipt', 'receipt', 'receipt']);
  const dup = await pb.evaluate(async () => (await (await import('./js/record/outbox.js')).list()).map((r) => r.duplicate));
  assert.deepEqual(dup, [true, true, true]);
  // and the first device, back online, hears the same
  await a.context.setOffline(false);
  await waitAllAccepted(pa, 3);
  assert.equal(await srv.size(), size0 + 3, 'nothing twice');
  const recsA = await outboxRecords(pa);
  assert.ok(recsA.every((r) => r.proof && r.proof_from === 'receipt'), JSON.stringify(recsA.map((r) => r.proof_from)));
  await pa.waitForFunction(() => document.querySelectorAll('[data-proof="kept"]').length === 3);

  // its export now: nothing waiting, and each event's envelope and proof,
  // which cmcc proof verify takes with the log's key alone, and refuses
  // with another event's envelope
  const [again] = await Promise.all([pa.waitForEvent('download'), pa.click('[data-action="export"]')]);
  const archive2 = join(work, 'outbox-proofs.tar');
  await again.saveAs(archive2);
  const y = untar(archive2);
  assert.equal(readFileSync(join(y, 'outbox.ndjson'), 'utf8'), '');
  const ids = recsA.map((r) => r.id);
  assert.deepEqual(readdirSync(join(y, 'proofs')).sort(), ids.flatMap((i) => [`${i}.json`, `${i}.proof`]).sort());
  const vkey = readFileSync(join(srv.dir, 'log.vkey'), 'utf8').trim();
  for (const i of ids) {
    const v = proofVerify(join(y, 'proofs', `${i}.proof`), join(y, 'proofs', `${i}.json`), vkey);
    assert.equal(v.code, 0, `${i}: ${v.out}`);
  }
  const wrong = proofVerify(join(y, 'proofs', `${ids[0]}.proof`), join(y, 'proofs', `${ids[1]}.json`), vkey);
  assert.equal(wrong.code, 1, wrong.out);
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
