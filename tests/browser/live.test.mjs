// live.test.mjs: the dashboard kept current by the live feed (web/js/live.js)
// in Debian's chromium, headless, against the real cmcc serving its own
// copy of the demo log.
//
// With a token, the overview follows GET /v1/feed through an EventSource:
// the header says "Live"; an entry logged by `cmcc submit` (a place the
// coordination cell defines) reaches the page through the feed (its index
// is the last the page heard of) and the overview is drawn again with the
// log's new size, without the page being loaded again. Without a token
// there is no feed: the page polls, and the header says how often (60 s,
// or the hash's ?refresh=N).
//
// Environment (run.sh sets it): CMCC_BIN, CHROMIUM, CMCC_SHOTS.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { launch, openView, serveDemo, apiGet, shot, CMCC_BIN as CMCC, SHOTS } from './harness.mjs';

const COORD = 'cmcc-cell';
let demo;
let work;
let dir;
let url;
let token;
const problems = [];
const fmt = (n) => new Intl.NumberFormat('en-GB').format(n);

before(async () => {
  demo = await serveDemo('cmcc-live-');
  ({ work, dir, url, token } = demo);
});

after(async () => {
  if (demo) await demo.stop();
});

test('a new entry reaches the overview through the live feed', async () => {
  const ctx = await launch(mkdtempSync(join(tmpdir(), 'cmcc-live-a-')));
  try {
    const page = await openView(ctx, url, '/', { token, problems });
    await page.waitForSelector('html[data-live="feed"]', { timeout: 15000 });
    assert.equal((await page.textContent('.live-state')).trim(), 'Live');
    const before = (await apiGet(url, '/healthz')).size;
    assert.match(await page.textContent('main'), new RegExp(`holds ${fmt(before)} entries`));
    await page.evaluate(() => { window.cmccSamePage = true; });

    const file = join(work, 'place.ndjson');
    execFileSync(CMCC, ['new', 'place.define', '--org', COORD, '--key', join(dir, 'coordinator.pem'),
      '--place', 'live-depot', '--kind', 'depot', '--name', 'Live depot', '--lat', '31.4', '--lon', '34.4',
      '--out', file]);
    execFileSync(CMCC, ['submit', '--server', url, '--token', token, file], { stdio: 'pipe' });
    const size = (await apiGet(url, '/healthz')).size;
    assert.equal(size, before + 1);

    // told by the feed, drawn again with the new size
    await page.waitForSelector(`html[data-live-index="${size - 1}"]`, { timeout: 15000 });
    await page.waitForFunction((text) => document.querySelector('main').textContent.includes(text),
      `holds ${fmt(size)} entries`, { timeout: 15000 });
    await page.waitForSelector('main[data-state="ready"]');
    assert.equal(await page.evaluate(() => window.cmccSamePage), true, 'the page was loaded again');
    await shot(page, SHOTS, 'live-overview', { full: false });
  } finally {
    await ctx.close();
  }
  assert.deepEqual(problems, []);
});

test('without a token there is no feed: the page polls and says how often', async () => {
  const ctx = await launch(mkdtempSync(join(tmpdir(), 'cmcc-live-b-')));
  try {
    const page = await openView(ctx, url, '/', { problems });
    await page.waitForSelector('html[data-live="poll"]', { timeout: 15000 });
    assert.equal((await page.textContent('.live-state')).trim(), 'Updated every 60 s');
    await page.evaluate(() => { location.hash = '#/?refresh=20'; });
    await page.waitForFunction(() => document.querySelector('.live-state').textContent.includes('20'));
    assert.equal((await page.textContent('.live-state')).trim(), 'Updated every 20 s');
  } finally {
    await ctx.close();
  }
  assert.deepEqual(problems, []);
});
