// harness.mjs: what the browser tests share: Debian's chromium launched
// headless with a profile of its own (playwright-core), and a tab opened at
// one of the app's hash routes with its language and read token set before
// any of the page's scripts runs, its console errors collected.

import { chromium } from 'playwright-core';

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
