// harness.mjs: what the browser tests share: Debian's chromium launched
// headless with a profile of its own (playwright-core); a tab opened at one
// of the app's hash routes with its language and read token set before any
// of the page's scripts runs, its console errors collected; `cmcc serve`
// started on a free port (on a fresh demo log: serveDemo); the Record
// page's device made and waited for.

import { spawn, execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';

/** Where things are: the repository, its web app, the cmcc binary, the
 * shared material, the server under test and its read token (the last two
 * for the tests that run against a server run.sh started), and a directory
 * for screenshots (one a test file, which runs in its own process). */
export const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
export const WEB_DIR = join(ROOT, 'web');
export const CMCC_BIN = process.env.CMCC_BIN || join(ROOT, 'build', 'cmcc');
export const SHARED = process.env.CMCC_SHARED_DIR || join(ROOT, '..', 'shared');
export const BASE = process.env.CMCC_URL || 'http://127.0.0.1:8080/';
export const TOKEN = process.env.CMCC_TOKEN || '';
export const SHOTS = process.env.CMCC_SHOTS || mkdtempSync(join(tmpdir(), 'cmcc-shots-'));

/** Chromium's flags here: no sandbox (root), no GPU, and no traffic of its own. */
export const CHROMIUM_ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
  '--disable-background-networking', '--disable-component-update', '--disable-sync'];

/** A persistent context in profile (a directory), with no page open. */
export async function launch(profile, { args = [], ...options } = {}) {
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
    headless: true, args: [...CHROMIUM_ARGS, ...args], viewport: { width: 1280, height: 900 }, ...options,
  });
  for (const p of context.pages()) await p.close();
  return context;
}

/**
 * A new tab of context at base#route: language lang and token (none when
 * empty) set on its first load only; prepare(page) runs before it loads;
 * waits until the view's main says state wait (none when wait is falsy).
 * Console errors and uncaught exceptions are pushed to problems.
 */
export async function openView(context, base, route, {
  lang = 'en', token = '', width = 1280, height = 900, prepare, wait = 'ready', problems = [],
} = {}) {
  const page = await context.newPage();
  await page.setViewportSize({ width, height });
  page.on('console', (m) => {
    if (m.type() === 'error' && !/Failed to load resource/.test(m.text())) problems.push(`${route}: ${m.text()}`);
  });
  page.on('pageerror', (e) => problems.push(`${route}: ${e.message}`));
  await page.addInitScript(([l, t]) => {
    if (!sessionStorage.getItem('cmcc.test.init')) {
      sessionStorage.setItem('cmcc.test.init', '1');
      localStorage.setItem('cmcc.lang', l);
      if (t) sessionStorage.setItem('cmcc.token', t);
      else sessionStorage.removeItem('cmcc.token');
    }
  }, [lang, token]);
  if (prepare) await prepare(page);
  await page.goto(new URL(`#${route}`, base).href);
  if (wait) await page.waitForSelector(`main[data-state="${wait}"]`, { timeout: 15000 });
  return page;
}

/**
 * `BIN serve DIR --listen LISTEN [args...]` started and waited for: its
 * start line says where it listens. Resolves {proc, url, port, stop};
 * stop(signal = 'SIGTERM') resolves once the process has exited. Its
 * output is read and dropped, so that a full pipe never stops it.
 */
export function serveLog(bin, dir, { listen = '127.0.0.1:0', args = [] } = {}) {
  const proc = spawn(bin, ['serve', dir, '--listen', listen, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  return new Promise((ok, fail) => {
    const timer = setTimeout(() => fail(new Error(`cmcc serve did not start: ${out}`)), 20000);
    const look = (d) => {
      out += d;
      const m = out.match(/ at (https?:\/\/127\.0\.0\.1:(\d+)\/)/);
      if (!m) return;
      clearTimeout(timer);
      proc.removeAllListeners('exit');
      proc.stdout.off('data', look);
      proc.stderr.off('data', look);
      proc.stdout.resume();
      proc.stderr.resume();
      const stop = async (signal = 'SIGTERM') => {
        if (proc.exitCode !== null || proc.signalCode !== null) return;
        const done = new Promise((r) => proc.once('exit', r));
        proc.kill(signal);
        await done;
      };
      ok({ proc, url: m[1], port: Number(m[2]), stop });
    };
    proc.stdout.on('data', look);
    proc.stderr.on('data', look);
    proc.on('exit', (code) => { clearTimeout(timer); fail(new Error(`cmcc serve exited ${code}: ${out}`)); });
  });
}

/**
 * A fresh demo log (`cmcc demo DIR --build-only`) in a new temporary
 * directory named after prefix, served with this web app. Resolves
 * {work, dir, token, url, served, stop}: dir the log, token its
 * coordinator's read token; stop() stops the server and removes work.
 */
export async function serveDemo(prefix) {
  const work = mkdtempSync(join(tmpdir(), prefix));
  const dir = join(work, 'demo');
  execFileSync(CMCC_BIN, ['demo', dir, '--build-only'], { stdio: 'pipe' });
  const token = readFileSync(join(dir, 'demo-token.txt'), 'utf8').trim();
  const served = await serveLog(CMCC_BIN, dir, { args: ['--web', WEB_DIR] });
  const stop = async () => {
    await served.stop();
    rmSync(work, { recursive: true, force: true });
  };
  return { work, dir, token, url: served.url, served, stop };
}

/* ---- the Record page's device ---- */

/** Makes the Record page's device key for org; resolves with its public key (base64). */
export async function makeKey(page, org) {
  await page.fill('#rec-org', org);
  await page.click('[data-form="setup"] button[type=submit]');
  await page.waitForSelector('[data-key-code]');
  const code = await page.getAttribute('[data-key-code]', 'data-key-code');
  const m = code.match(/^cmcc:key:([^:]+):(.+)$/);
  if (!m || m[1] !== org) throw new Error(`key code ${code} is not one of ${org}`);
  return m[2];
}

/** Waits until the Record page says its device is in state, asking the server again each second. */
export async function waitDeviceState(page, state, timeout = 30000) {
  await page.waitForFunction((s) => {
    const el = document.querySelector('[data-device-state]');
    if (el && el.dataset.deviceState === s) return true;
    document.querySelector('[data-action="check-enrolment"], [data-action="sync"]')?.click();
    return false;
  }, state, { timeout, polling: 1000 });
}

/** Polls check() (async, on the test's side) until it is true; fails after timeout ms. */
export async function until(what, check, timeout = 30000, every = 500) {
  const end = Date.now() + timeout;
  for (;;) {
    if (await check()) return;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, every));
  }
}

/* ---- reading the server, checking a page ---- */

/**
 * GET base+path with the read token (none when empty): the answer as JSON,
 * or text with as: 'text'; anything but 200 throws, naming the path.
 */
export async function apiGet(base, path, { token = '', as = 'json' } = {}) {
  const res = await fetch(new URL(path, base), { headers: token ? { Authorization: `Bearer ${token}` } : {} });
  if (res.status !== 200) throw new Error(`GET ${path}: HTTP ${res.status}`);
  return as === 'text' ? res.text() : res.json();
}

/** Waits until the view's main says state. */
export async function ready(page, state = 'ready') {
  await page.waitForSelector(`main[data-state="${state}"]`, { timeout: 15000 });
}

/** A full-page (or not) screenshot named name.png in dir. */
export async function shot(page, dir, name, { full = true } = {}) {
  await page.screenshot({ path: `${dir}/${name}.png`, fullPage: full });
}

/** Throws when the page shows a string missing from its language file (⟦key⟧). */
export async function noMissingStrings(page, where) {
  const missing = await page.evaluate(() => document.body.innerText.match(/⟦[^⟧]+⟧/g));
  if (missing) throw new Error(`${where}: strings missing from the language file: ${missing}`);
}
