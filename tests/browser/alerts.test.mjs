// alerts.test.mjs: following up an alert from the dashboard's alerts page
// (#/alerts) in Debian's chromium, headless, driven by playwright-core,
// against the real cmcc serving its own copy of the demo log (plain HTTP on
// 127.0.0.1, a secure context).
//
// Two browser contexts, each a profile of its own: in the first, a Record
// device is made for the coordinator's org and enrolled as an administrator
// does it (`cmcc new key.add` + `cmcc submit`); there, on the alerts page, a
// resolution without a note is refused by the page (nothing appended), then
// an open alert is acknowledged with a note: the event is signed by the
// device and sent through the Record outbox, the server's /v1/alerts shows
// it acknowledged by the coordinator, and the page is drawn again with it.
// The second context, with no device (it shows the `cmcc new` command
// instead of buttons), opens the alerts page and sees the alert acknowledged,
// with its note, in English and in Arabic; the consignment's page lists the
// follow-up among its events.
//
// Environment (run.sh sets it): CMCC_BIN, CHROMIUM, CMCC_SHOTS.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { launch, openView, serveDemo, makeKey, waitDeviceState, apiGet, CMCC_BIN as CMCC, SHOTS } from './harness.mjs';

const COORD = 'cmcc-cell';
let demo;
let work;
let url;
let token;
const problems = [];

function cmcc(args) {
  return execFileSync(CMCC, args, { encoding: 'utf8', stdio: ['pipe', 'pipe', 'pipe'] });
}

const api = (path) => apiGet(url, path, { token });

before(async () => {
  demo = await serveDemo('cmcc-alerts-');
  ({ work, url, token } = demo);
});

after(async () => {
  if (demo) await demo.stop();
});

test('an alert acknowledged in one browser context appears in another', async () => {
  const dir = join(work, 'demo');
  const profA = mkdtempSync(join(tmpdir(), 'cmcc-alerts-a-'));
  const profB = mkdtempSync(join(tmpdir(), 'cmcc-alerts-b-'));
  const a = await launch(profA);
  const b = await launch(profB);
  try {
    // context A: a Record device for the coordinator's org, enrolled
    const pa = await openView(a, url, '/record', { token, problems });
    const pub = await makeKey(pa, COORD);
    const enrol = join(work, 'enrol.ndjson');
    cmcc(['new', 'key.add', '--org', COORD, '--key', join(dir, 'coordinator.pem'), '--body-org', COORD,
      '--public-key', pub, '--out', enrol]);
    cmcc(['submit', '--server', url, '--token', token, enrol]);
    await waitDeviceState(pa, 'enrolled');

    // the alerts page in A: buttons, signed by the device
    await pa.evaluate(() => { location.hash = '#/alerts'; });
    await pa.waitForSelector('main[data-state="ready"] li.alert');
    assert.equal(await pa.getAttribute('[data-device-org]', 'data-device-org'), COORD);
    const before = await api('/v1/alerts');
    const target = before.alerts.find((x) => x.follow_up.status === 'open' && x.consignment);
    assert.ok(target, 'the demo has an open alert about a consignment');
    const li = pa.locator(`li.alert[data-alert="${target.alert}"]`);
    assert.equal(await li.getAttribute('data-status'), 'open');

    // resolving needs a note: the page says so and nothing is appended
    const size0 = (await api('/healthz')).size;
    await li.locator('[data-act="resolve"]').click();
    await li.locator('form[data-action="resolve"] button[type=submit]').click();
    assert.match(await li.locator('.field-msg').textContent(), /note is needed/);
    assert.equal((await api('/healthz')).size, size0);

    // acknowledge with a note
    const note = 'Checking with the driver — السائق';
    await li.locator('[data-act="acknowledge"]').click();
    await li.locator('form[data-action="acknowledge"] textarea').fill(note);
    await li.locator('form[data-action="acknowledge"] button[type=submit]').click();
    await pa.waitForSelector(`li.alert[data-alert="${target.alert}"][data-status="acknowledged"]`, { timeout: 30000 });
    const fu = (await api('/v1/alerts')).alerts.find((x) => x.alert === target.alert).follow_up;
    assert.equal(fu.status, 'acknowledged');
    assert.equal(fu.by, COORD);
    assert.equal(fu.note, note);
    assert.equal((await api('/healthz')).size, size0 + 1);
    const ev = (await api(`/v1/entries/${fu.index}`)).event;
    assert.equal(ev.type, 'alert.acknowledge');
    assert.deepEqual(ev.body, { alert: target.alert, note });
    await pa.screenshot({ path: join(SHOTS, 'alerts-acknowledged-a.png'), fullPage: true });

    // context B, no device: the same alert, acknowledged, in English then Arabic
    for (const lang of ['en', 'ar']) {
      const pb = await openView(b, url, '/alerts', { token, lang, problems });
      const lb = pb.locator(`li.alert[data-alert="${target.alert}"]`);
      await lb.waitFor();
      assert.equal(await lb.getAttribute('data-status'), 'acknowledged');
      const text = await lb.locator('.follow-up').textContent();
      assert.ok(text.includes(lang === 'en' ? 'Acknowledged' : 'تم الاطلاع'), text);
      assert.ok(text.includes(note), text);
      assert.equal(await lb.locator('.follow-up [data-org]').first().getAttribute('data-org'), COORD);
      assert.equal(await lb.locator('[data-act]').count(), 0, 'no device: no buttons');
      assert.ok((await lb.locator('.fu-cmd code').textContent()).includes(`--alert '${target.alert}'`));
      await pb.screenshot({ path: join(SHOTS, `alerts-acknowledged-b-${lang}.png`), fullPage: true });
      await pb.close();
    }

    // and in the consignment's timeline
    const pc = await openView(b, url, `/consignments/${encodeURIComponent(target.consignment)}`, { token, problems });
    await pc.waitForSelector('#events');
    const events = await pc.locator('#events').textContent();
    assert.ok(events.includes('Alert acknowledged'), events);
    await pc.close();
    assert.deepEqual(problems, []);
  } finally {
    await a.close();
    await b.close();
    rmSync(profA, { recursive: true, force: true });
    rmSync(profB, { recursive: true, force: true });
  }
});
