// bench/record.mjs: how fast the Record page (#/record) signs, stores and
// sends events, in Debian's chromium (headless, driven by playwright-core)
// against the real `cmcc serve` on 127.0.0.1. Run by bench/record.sh, which
// finds playwright-core (NODE_PATH) and cmcc (CMCC_BIN); `cmcc serve` is
// started by tests/browser/harness.mjs's serveLog, as the browser tests start it.
//
// Set-up: a copy of the demo log (`cmcc demo DIR --build-only`) served with
// this tree's web/; the page makes its device key for coastal-relief, the
// org's administrator enrols it (`cmcc new key.add` signed with the org's key,
// `cmcc submit`), and the page gets its token. Then the page is opened at
// #/token, which loads the app but not the Record view: no sync scheduler and
// no outbox list redrawn on every change, so that only what is timed runs.
//
// 1. Signing and storing, timed in the page with performance.now():
//    - sign + store: N times, an incident.report event built with sign.js
//      eventBytes(), signed with envelope() and the device's key from
//      IndexedDB (sync.js device()), and kept with outbox.keep();
//    - sign alone: N events built and signed, not stored;
//    - store alone: those N envelopes kept with outbox.keep().
//    Each: median, p90, p99 of one event, and events/s over the whole loop.
// 2. Sending: REPS times, an empty outbox, the context offline
//    (context.setOffline), N events signed and kept (the loop of 1, timed
//    again), online, and syncNow() timed: from its call to the last receipt
//    stored as accepted (the records' `accepted` time), and to its end (which
//    also reads the forms' choices again when they are over a minute old).
//    Checked: every record accepted, none a duplicate, the log's size
//    (GET /healthz) grown by exactly N. Reported with the POST /v1/events
//    requests (resource timing) and the server's CPU time (/proc/PID/stat).
// 3. The Record view itself, as a person uses it: K incident forms filled
//    and signed (offline, one a second), with the N accepted events of the
//    last send in the outbox, then with an empty outbox; each timed from the
//    click on Sign to the page saying it is saved, and to the outbox list
//    showing it; with the main thread's long tasks (over 50 ms) meanwhile.
//
// Environment: CMCC_BIN (default build/cmcc), CHROMIUM (/usr/bin/chromium),
// CMCC_RECORD_N (1000), CMCC_RECORD_REPS (3), CMCC_RECORD_FORMS (15),
// TMPDIR, CMCC_BENCH_KEEP=1 (keep the temporary directory). Everything it
// makes is under one temporary directory, removed at the end with the
// server stopped and the browser closed. Exit status 1 if any check fails.

import { createRequire } from 'node:module';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, readFileSync, existsSync } from 'node:fs';
import { tmpdir, cpus, loadavg } from 'node:os';
import { join, dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { serveLog } from '../tests/browser/harness.mjs';

const { chromium } = createRequire(import.meta.url)('playwright-core');

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const CMCC = resolve(process.env.CMCC_BIN || join(root, 'build', 'cmcc'));
const CHROMIUM = process.env.CHROMIUM || '/usr/bin/chromium';
const N = Number(process.env.CMCC_RECORD_N || 1000);
const REPS = Number(process.env.CMCC_RECORD_REPS || 3);
const K = Number(process.env.CMCC_RECORD_FORMS || 15);
const GAP_MS = 1000;
const ORG = 'coastal-relief';
const ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
  '--disable-background-networking', '--disable-component-update', '--disable-sync'];
const TICK = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;

let work = null;
let server = null;
let context = null;

const cmcc = (args) => execFileSync(CMCC, args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
const say = (s) => process.stderr.write(`${s}\n`);

/* ---- the server ---- */

async function stopServer() {
  const srv = server;
  server = null;
  if (srv) await srv.stop();
}

async function logSize() {
  const res = await fetch(new URL('/healthz', server.url));
  if (res.status !== 200) throw new Error(`GET /healthz: HTTP ${res.status}`);
  return (await res.json()).size;
}

/** The server's CPU seconds so far (user + system). */
function serverCpu() {
  const stat = readFileSync(`/proc/${server.proc.pid}/stat`, 'utf8');
  const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(f[11]) + Number(f[12])) / TICK;
}

/* ---- the page ---- */

/** Makes the device's key on the Record page, has the org enrol it, and waits for the token. */
async function enrol(page, dir, url) {
  await page.fill('#rec-org', ORG);
  await page.click('[data-form="setup"] button[type=submit]');
  await page.waitForSelector('[data-key-code]');
  const code = await page.getAttribute('[data-key-code]', 'data-key-code');
  const pub = code.split(':').slice(3).join(':');
  const file = join(work, 'key-add.ndjson');
  cmcc(['new', 'key.add', '--org', ORG, '--key', join(dir, 'keys', `${ORG}.pem`), '--out', file,
    '--body-org', ORG, '--public-key', pub]);
  const token = readFileSync(join(dir, 'demo-token.txt'), 'utf8').trim();
  cmcc(['submit', '--server', url, '--token', token, file]);
  await page.waitForFunction(() => {
    const el = document.querySelector('[data-device-state]');
    if (el && el.dataset.deviceState === 'enrolled') return true;
    document.querySelector('[data-action="check-enrolment"], [data-action="sync"]')?.click();
    return false;
  }, null, { timeout: 30000, polling: 500 });
}

/* Runs in the page: the three loops of part 1 (what = 'all'), or only the
 * sign + store loop (what = 'both'). Times in ms. */
async function inPageRecord({ n, tag, what }) {
  const s = await import('./js/record/sign.js');
  const o = await import('./js/record/outbox.js');
  const dev = await (await import('./js/record/sync.js')).device();
  const cats = ['convoy_attack', 'looting', 'interception', 'access_denial', 'uxo', 'other'];
  const sev = ['low', 'medium', 'high', 'critical'];
  const event = (i) => {
    const time = s.nowIso();
    return {
      type: 'incident.report', id: s.newId('incident.report'), org: dev.org, time,
      body: {
        incident: `inc-${tag}-${i}`, category: cats[i % cats.length], occurred: time, severity: sev[i % sev.length],
        description: `road to the crossing blocked by debris, report ${i} of the patrol`, lat: 31.5 + (i % 100) / 1000, lon: 34.45,
      },
    };
  };
  const out = {};
  let bytes = 0;
  // sign + store
  let a = new Float64Array(n);
  let start = performance.now();
  for (let i = 0; i < n; i++) {
    const t0 = performance.now();
    const ev = event(i);
    const line = await s.envelope(dev, s.eventBytes(ev));
    await o.keep(line, ev, { form: 'incident', ref: ev.body.incident });
    a[i] = performance.now() - t0;
    bytes += line.length;
  }
  out.both = { ms: Array.from(a), wall: performance.now() - start, bytes: bytes / n };
  if (what !== 'all') return out;
  // sign alone
  const lines = [];
  a = new Float64Array(n);
  start = performance.now();
  for (let i = 0; i < n; i++) {
    const t0 = performance.now();
    const ev = event(n + i);
    const line = await s.envelope(dev, s.eventBytes(ev));
    a[i] = performance.now() - t0;
    lines.push([line, ev]);
  }
  out.sign = { ms: Array.from(a), wall: performance.now() - start };
  // store alone
  a = new Float64Array(n);
  start = performance.now();
  for (let i = 0; i < n; i++) {
    const t0 = performance.now();
    await o.keep(lines[i][0], lines[i][1], { form: 'incident', ref: lines[i][1].body.incident });
    a[i] = performance.now() - t0;
  }
  out.store = { ms: Array.from(a), wall: performance.now() - start };
  // the clock's step here (browsers coarsen performance.now())
  let step = Infinity;
  for (let i = 0, last = performance.now(); i < 200000; i++) {
    const t = performance.now();
    if (t !== last) step = Math.min(step, t - last);
    last = t;
  }
  out.step = step;
  return out;
}

/* Runs in the page: empties the outbox (its own connection to the
 * database), holding the sync's lock so that no sync puts records back. */
async function inPageClear() {
  await navigator.locks.request('cmcc-record-sync', async () => {
    const db = await new Promise((ok, fail) => {
      const r = indexedDB.open('cmcc-record');
      r.onsuccess = () => ok(r.result);
      r.onerror = () => fail(r.error);
    });
    await new Promise((ok, fail) => {
      const t = db.transaction('outbox', 'readwrite');
      t.objectStore('outbox').clear();
      t.oncomplete = ok;
      t.onerror = () => fail(t.error);
    });
    db.close();
  });
}

/* Runs in the page: one syncNow(), timed, and what it did. */
async function inPageSync() {
  const sync = await import('./js/record/sync.js');
  const o = await import('./js/record/outbox.js');
  performance.clearResourceTimings();
  performance.setResourceTimingBufferSize(1000);
  const t0 = performance.now();
  const st = await sync.syncNow();
  const t1 = performance.now();
  const recs = await o.list();
  const states = {};
  for (const r of recs) states[r.state] = (states[r.state] || 0) + 1;
  const lastAccepted = Math.max(...recs.map((r) => r.accepted || 0)) - performance.timeOrigin;
  const res = performance.getEntriesByType('resource').filter((e) => e.startTime >= t0);
  const posts = res.filter((e) => new URL(e.name).pathname === '/v1/events').map((e) => e.duration);
  return {
    state: st.state, detail: st.detail, ms: t1 - t0, sendMs: lastAccepted - t0, states,
    duplicates: recs.filter((r) => r.duplicate).length, posts, gets: res.length - posts.length,
  };
}

/* Runs in the page (the Record view, form "incident"): k forms filled and
 * signed as a person does, each timed from the click on Sign to the page
 * saying it is saved (a [data-saved] box with the new event's id), and to
 * the outbox list showing base + i + 1 events. */
async function inPageForms({ k, base, gap: GAP }) {
  const wait = (what, cond) => new Promise((ok, fail) => {
    if (cond()) { ok(performance.now()); return; }
    const mo = new MutationObserver(() => { if (cond()) { mo.disconnect(); clearTimeout(timer); ok(performance.now()); } });
    const timer = setTimeout(() => {
      mo.disconnect();
      const errs = Array.from(document.querySelectorAll('.form-errors li'), (e) => e.textContent);
      fail(new Error(`no ${what} after 20 s ${errs.join(' ')}`));
    }, 20000);
    mo.observe(document.body, { subtree: true, childList: true, attributes: true });
  });
  const set = (id, v, type) => {
    const e = document.getElementById(id);
    e.value = v;
    e.dispatchEvent(new Event(type, { bubbles: true }));
  };
  const saved = [];
  const shown = [];
  const tasks = [];
  const obs = new PerformanceObserver((l) => { for (const e of l.getEntries()) tasks.push(e.duration); });
  obs.observe({ type: 'longtask' });
  const start = performance.now();
  for (let i = 0; i < k; i++) {
    await new Promise((r) => setTimeout(r, GAP));
    await wait('form', () => document.querySelector('[data-form="incident"] button[type=submit]'));
    set('rec-f-category', 'uxo', 'change');
    set('rec-f-severity', 'low', 'change');
    set('rec-f-description', `unexploded shell beside the road, form ${i}`, 'input');
    const before = new Set(Array.from(document.querySelectorAll('[data-saved]'), (e) => e.dataset.saved));
    const t0 = performance.now();
    document.querySelector('[data-form="incident"] button[type=submit]').click();
    const [t1, t2] = await Promise.all([
      wait('saved', () => Array.from(document.querySelectorAll('[data-saved]')).some((e) => e.dataset.saved && !before.has(e.dataset.saved))),
      wait(`outbox of ${base + i + 1}`, () => document.querySelector(`[data-outbox="${base + i + 1}"]`)),
    ]);
    saved.push(t1 - t0);
    shown.push(t2 - t0);
  }
  const wall = performance.now() - start;
  obs.disconnect();
  return { saved, shown, busy: tasks.reduce((a, b) => a + b, 0), longest: Math.max(0, ...tasks), wall };
}

/* ---- figures ---- */

function stats(ms, wall) {
  const s = Float64Array.from(ms).sort();
  const q = (p) => s[Math.min(s.length - 1, Math.ceil(p * s.length) - 1)];
  return { p50: q(0.5), p90: q(0.9), p99: q(0.99), max: s[s.length - 1], mean: ms.reduce((x, y) => x + y, 0) / ms.length, rate: (ms.length / wall) * 1000 };
}

const f = (x, d = 2) => x.toFixed(d);
const int = (x) => Math.round(x).toLocaleString('en');
const row = (cells) => `| ${cells.join(' | ')} |`;

function machine() {
  let commit = '?';
  try {
    commit = execFileSync('git', ['-C', root, 'rev-parse', '--short', 'HEAD'], { encoding: 'utf8' }).trim();
    const dirty = execFileSync('git', ['-C', root, 'status', '--porcelain', '--', 'web/js/record', 'web/js/views/record.js', 'web/js/app.js', 'web/sw.js'], { encoding: 'utf8' }).trim();
    if (dirty) commit += ' (with uncommitted changes to the files measured)';
  } catch { /* not a checkout */ }
  const cpu = (readFileSync('/proc/cpuinfo', 'utf8').match(/^model name\s*:\s*(.*)$/m) || [])[1] || cpus()[0].model;
  const chrome = execFileSync(CHROMIUM, ['--version'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
  return [
    `date:     ${new Date().toISOString().replace(/\.\d+Z$/, 'Z')}`,
    `machine:  ${cpus().length} cores (nproc ${execFileSync('nproc', { encoding: 'utf8' }).trim()}), ${cpu}`,
    `load:     ${loadavg().map((x) => x.toFixed(2)).join(' ')} (1, 5, 15 min, before the run)`,
    `browser:  ${chrome}, headless; node ${process.version}`,
    `commit:   ${commit}`,
    `cmcc:     ${CMCC}`,
    `temp:     ${work} (${execFileSync('stat', ['-f', '-c', '%T', work], { encoding: 'utf8' }).trim()} file system)`,
  ].join('\n');
}

/* ---- the run ---- */

async function main() {
  work = mkdtempSync(join(process.env.TMPDIR || tmpdir(), 'cmcc-bench-record-'));
  const dir = join(work, 'demo');
  cmcc(['demo', dir, '--build-only']);
  server = await serveLog(CMCC, dir, { args: ['--web', join(root, 'web')] });
  console.log(machine());
  console.log(`server:   ${server.url} (cmcc serve, pid ${server.proc.pid}), the demo log\n`);

  context = await chromium.launchPersistentContext(join(work, 'profile'), {
    executablePath: CHROMIUM, headless: true, args: ARGS, viewport: { width: 390, height: 844 },
    handleSIGINT: false, handleSIGTERM: false, handleSIGHUP: false,
  });
  const problems = [];
  const page = context.pages()[0] || await context.newPage();
  page.on('pageerror', (e) => problems.push(e.message));
  await page.goto(new URL('#/record', server.url).href);
  await page.waitForSelector('main[data-state="ready"]', { timeout: 20000 });
  await enrol(page, dir, server.url);
  await page.goto(new URL('#/token', server.url).href);
  await page.reload();
  await page.waitForLoadState('load');

  // 1. signing and storing
  say(`part 1: ${N} events signed and stored, ${N} signed, ${N} stored ...`);
  const one = await page.evaluate(inPageRecord, { n: N, tag: 'p1', what: 'all' });
  const part1 = { both: stats(one.both.ms, one.both.wall), sign: stats(one.sign.ms, one.sign.wall), store: stats(one.store.ms, one.store.wall) };
  await page.evaluate(inPageClear);

  // 2. sending
  const runs = [];
  for (let r = 1; r <= REPS; r++) {
    await page.evaluate(inPageClear);
    await context.setOffline(true);
    const size0 = await logSize();
    const rec = await page.evaluate(inPageRecord, { n: N, tag: `r${r}`, what: 'both' });
    if ((await logSize()) !== size0) throw new Error('the log grew while the page was offline');
    await context.setOffline(false);
    const cpu0 = serverCpu();
    const s = await page.evaluate(inPageSync);
    const cpu = serverCpu() - cpu0;
    const grew = (await logSize()) - size0;
    const bad = [];
    if (s.state !== 'done') bad.push(`syncNow ended in ${s.state} ${JSON.stringify(s.detail)}`);
    if (s.states.accepted !== N || Object.keys(s.states).length !== 1) bad.push(`outbox ${JSON.stringify(s.states)}`);
    if (s.duplicates) bad.push(`${s.duplicates} duplicates`);
    if (grew !== N) bad.push(`the log grew by ${grew}, not ${N}`);
    if (bad.length) throw new Error(`run ${r}: ${bad.join('; ')}`);
    const rs = stats(rec.both.ms, rec.both.wall);
    runs.push({ r, rec: rs, bytes: rec.both.bytes, ...s, cpu });
    say(`run ${r}: ${N} recorded offline (${int(rs.rate)} events/s), sent in ${f(s.sendMs / 1000, 3)} s, syncNow ${f(s.ms / 1000, 3)} s, log +${grew}`);
  }

  // 3. the same on the Record page, as a person signs a form: with the N
  // accepted events of the last run in the outbox, then with an empty one
  say(`part 3: ${K} forms signed on the Record page, with ${N} events in the outbox and with none ...`);
  await context.setOffline(true);
  const forms = [];
  for (const base of [N, 0]) {
    if (!base) await page.evaluate(inPageClear);
    await page.goto(new URL('#/record?form=incident', server.url).href);
    await page.reload();
    await page.waitForSelector(`[data-outbox="${base}"]`, { state: 'attached', timeout: 20000 });
    const t = await page.evaluate(inPageForms, { k: K, base, gap: GAP_MS });
    forms.push({ base, saved: stats(t.saved, 1), shown: stats(t.shown, 1), busy: t.busy / t.wall, longest: t.longest });
  }
  await context.setOffline(false);
  if (problems.length) throw new Error(`errors in the page: ${problems.join('; ')}`);

  const out = [];
  out.push(`\n### Signing and storing in the page (${N} events each; ms per event, events/s over the loop)\n`);
  out.push(row(['', 'median ms', 'p90 ms', 'p99 ms', 'mean ms', 'events/s']));
  out.push(row(['---', '---:', '---:', '---:', '---:', '---:']));
  const line = (name, s) => out.push(row([name, f(s.p50), f(s.p90), f(s.p99), f(s.mean), int(s.rate)]));
  line('sign + store (eventBytes, envelope, outbox.keep)', part1.both);
  line('sign alone (eventBytes, envelope)', part1.sign);
  line('store alone (outbox.keep)', part1.store);
  for (const x of runs) line(`sign + store, offline, before send run ${x.r}`, x.rec);
  out.push(`\nperformance.now() step in the page: ${f(one.step * 1000, 1)} µs; envelope: ${int(one.both.bytes)} bytes on average`);
  out.push(`\n### Sending ${N} waiting events (syncNow, NDJSON batches of 200, POST /v1/events)\n`);
  out.push(row(['run', 'sent in s', 'events/s', 'syncNow s', 'POST /v1/events ms (each)', 'not in a POST ms', 'other requests', 'server CPU ms']));
  out.push(row(['---', '---:', '---:', '---:', '---', '---:', '---:', '---:']));
  for (const x of runs) {
    const inPosts = x.posts.reduce((a, b) => a + b, 0);
    out.push(row([x.r, f(x.sendMs / 1000, 3), int((N / x.sendMs) * 1000), f(x.ms / 1000, 3),
      x.posts.map((d) => int(d)).join(', '), int(x.sendMs - inPosts), x.gets, int(x.cpu * 1000)]));
  }
  out.push(`\nEvery run: all ${N} accepted (none a duplicate), the log grew by exactly ${N}. Server CPU is counted in steps of ${int(1000 / TICK)} ms.`);
  out.push(`\n### A form signed on the Record page (${K} incident forms, offline; ms from the click on Sign)\n`);
  out.push(row(['events in the outbox', 'to "saved": median', 'p90', 'max', 'to shown in the outbox list: median', 'p90', 'max', 'main thread in long tasks', 'longest task ms']));
  out.push(row(['---:', '---:', '---:', '---:', '---:', '---:', '---:', '---:', '---:']));
  for (const x of forms) {
    out.push(row([int(x.base), f(x.saved.p50, 1), f(x.saved.p90, 1), f(x.saved.max, 1), f(x.shown.p50, 1), f(x.shown.p90, 1), f(x.shown.max, 1),
      `${f(x.busy * 100, 0)}%`, int(x.longest)]));
  }
  out.push(`\nEach form ${f(GAP_MS / 1000, 1)} s after the page was opened or the last one was shown; long tasks: over 50 ms (PerformanceObserver "longtask"), as a share of the loop's time.`);
  console.log(out.join('\n'));
}

let cleaning = null;
const cleanup = () => { cleaning = cleaning || tidy(); return cleaning; };

async function tidy() {
  const c = context;
  context = null;
  if (c) await c.close().catch(() => null);
  await stopServer().catch(() => null);
  const w = work;
  work = null;
  if (!w || process.env.CMCC_BENCH_KEEP) return;
  // the browser's last processes may still write to its profile for a moment
  for (let i = 0, gone = 0; i < 40 && gone < 4; i++) {
    if (existsSync(w)) { gone = 0; rmSync(w, { recursive: true, force: true, maxRetries: 3 }); } else gone++;
    await new Promise((r) => setTimeout(r, 250));
  }
}

for (const sig of ['SIGINT', 'SIGTERM']) process.on(sig, () => { cleanup().finally(() => process.exit(130)); });

let status = 0;
try {
  await main();
} catch (e) {
  console.error(`record.mjs: ${e.stack || e}`);
  status = 1;
} finally {
  await cleanup();
}
process.exit(status);
