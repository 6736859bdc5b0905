// trust.test.mjs: the dashboard's memory of a log and its check of a proof
// of logging, in Debian's chromium (headless, playwright-core) against the
// real cmcc.
//
// Without a browser: web/js/verify/consistency.js accepts every consistency
// proof of the shared test vectors and refuses each with one byte changed;
// verify/tiles.js builds the very same proofs from the vectors' hash tiles;
// verify/policy.js reads C2SP tlog-policy files (refusing bad lines, naming
// them) and finds a quorum met by the vectors' witness cosignature, not met
// when it asks for a witness that did not cosign.
//
// With the browser, one profile throughout: log A (`cmcc init`, entries
// signed by `cmcc new` and sent by `cmcc submit`) is served; its copy B is
// taken at 5 entries. The overview remembers A's checkpoint; after A grows
// it says the new checkpoint extends the remembered one, proven from the
// public hash tiles without a token, and with /v1/proof/consistency with
// one. The proof page accepts a C2SP tlog-proof assembled from A's answers
// (/v1/entries, /v1/proof/inclusion, /checkpoint; or /v1/proof/entry where
// the server has it) for the envelope it is for, and refuses it, each with
// its sentence, with one byte of a path hash changed, with one byte of the
// checkpoint's signature changed, and for another envelope; where cmcc
// serves the operator's policy (`policy = FILE`), one asking for a witness
// that never cosigned refuses the proof for its quorum. Then A stops and
// B, the same key and origin but a different entry 5, grows past A and is
// served at the same address: the page shows the red banner (English, then
// Arabic) with both sizes and roots, offers both signed checkpoints as
// evidence, and keeps A's checkpoint as the one it remembers. Last, a new
// log of the same origin under another key is remembered apart, its card
// saying that this browser saw the origin under another key.
//
// Environment (run.sh sets it): CMCC_BIN, CHROMIUM, CMCC_SHOTS, CMCC_SHARED_DIR.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, readFileSync, cpSync, existsSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, dirname } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { launch, openView, serveLog, apiGet, until, shot, noMissingStrings, ROOT as root, WEB_DIR as webDir, CMCC_BIN as CMCC, SHOTS, SHARED } from './harness.mjs';

const ORG = 'cmcc-cell';
const ORIGIN = 'trust.test/log';

let work;
let dirA;
let dirB;
let served;
let port;
let url;
let token;
let context;
const problems = [];
const envelopes = {}; // id -> the envelope's line as cmcc new wrote it

const web = (f) => import(pathToFileURL(join(webDir, 'js', f)).href);

function cmcc(args) {
  return execFileSync(CMCC, args, { encoding: 'utf8', stdio: ['pipe', 'pipe', 'pipe'] });
}

/** A place.define event signed by the coordinator, sent to the log in dir's server. */
function submit(dir, id) {
  const line = cmcc(['new', 'place.define', '--org', ORG, '--key', join(dir, 'coordinator.pem'), '--id', id,
    '--place', `site-${id}`, '--kind', 'warehouse', '--name', `Site ${id}`, '--lat', '31.5', '--lon', '34.4']).trim();
  const file = join(work, `${id}.ndjson`);
  execFileSync('sh', ['-c', 'cat > "$1"', 'sh', file], { input: `${line}\n` });
  cmcc(['submit', '--server', url, '--token', token, file]);
  envelopes[id] = line;
}

async function checkpointSize() {
  return Number((await apiGet(url, '/checkpoint', { as: 'text' })).split('\n')[1]);
}
const checkpointAt = (n) => until(`the checkpoint at ${n} entries`, async () => (await checkpointSize()) === n, 15000, 200);

before(async () => {
  work = mkdtempSync(join(tmpdir(), 'cmcc-trust-'));
  dirA = join(work, 'a');
  dirB = join(work, 'b');
  cmcc(['init', dirA, '--origin', ORIGIN, '--org', ORG, '--name', 'Coordination cell']);
  token = cmcc(['token', 'create', dirA, '--org', ORG]).trim().split('\n')[0];
  assert.match(token, /^cmcc_[A-Za-z0-9_-]{43}$/);
  served = await serveLog(CMCC, dirA, { args: ['--web', webDir] });
  ({ url, port } = served);
  for (const id of ['e1', 'e2', 'e3', 'e4']) submit(dirA, id);
  await checkpointAt(5);
  // B: A as it is at 5 entries (same key, origin and token), to be grown otherwise later
  await served.stop();
  cpSync(dirA, dirB, { recursive: true });
  served = await serveLog(CMCC, dirA, { listen: `127.0.0.1:${port}`, args: ['--web', webDir] });
  context = await launch(mkdtempSync(join(tmpdir(), 'cmcc-trust-profile-')));
});

after(async () => {
  if (context) await context.close();
  if (served) await served.stop();
  if (work) rmSync(work, { recursive: true, force: true });
  assert.deepEqual(problems, [], 'console errors in the pages');
});

/* ---- without a browser ---- */

test('consistency proofs: the shared vectors verify, a changed byte does not, and the tiles give the same proofs', async (t) => {
  const dir = join(SHARED, 'testvectors', 'tlog-1000');
  if (!existsSync(join(dir, 'proofs.json'))) return t.skip('no shared test vectors ($CMCC_SHARED_DIR/testvectors)');
  const v = await web('verify.js');
  const { verifyConsistency } = await web('verify/consistency.js');
  const { TileHashes } = await web('verify/tiles.js');
  const cases = JSON.parse(readFileSync(join(dir, 'proofs.json'), 'utf8')).consistency;
  // a tile of a smaller tree is the first W hashes of the same tile of the vectors' tree
  const readTile = async (path) => {
    const [, base, w] = path.match(/^(.*?)(?:\.p\/(\d+))?$/);
    let file = join(dir, base);
    if (!existsSync(file)) file = join(`${file}.p`, readdirSync(`${file}.p`)[0]);
    const bytes = new Uint8Array(readFileSync(file));
    return w ? bytes.slice(0, Number(w) * 32) : bytes;
  };
  let changed = 0;
  for (const c of cases) {
    const path = (c.consistency_path || []).map(v.b64decode);
    const [a, b] = [v.b64decode(c.old_root), v.b64decode(c.new_root)];
    await verifyConsistency(c.old_size, c.new_size, a, b, path);
    const mine = await new TileHashes(readTile, c.new_size).consistency(c.old_size);
    assert.deepEqual(mine.map(v.b64encode), c.consistency_path || [], `tiles' proof from ${c.old_size} to ${c.new_size}`);
    if (path.length) {
      const bad = path.map((p) => p.slice());
      bad[bad.length - 1][7] ^= 0x10;
      await assert.rejects(verifyConsistency(c.old_size, c.new_size, a, b, bad), (e) => /^consistency_/.test(e.code));
      changed++;
    }
    if (c.old_size < c.new_size) {
      await assert.rejects(verifyConsistency(c.old_size, c.new_size, b, b, path), (e) => /^consistency_/.test(e.code));
    }
  }
  assert.ok(changed > 50, `${changed} changed proofs refused`);
});

test('policy files: bad lines named, a quorum met by the vectors\' witness and one not met', async (t) => {
  const dir = join(SHARED, 'testvectors', 'tlog-1000');
  if (!existsSync(join(dir, 'keys.txt'))) return t.skip('no shared test vectors');
  const v = await web('verify.js');
  const { parsePolicy, applyPolicy } = await web('verify/policy.js');
  const keys = readFileSync(join(dir, 'keys.txt'), 'utf8');
  const logKey = keys.match(/^verifier (\S+)/m)[1];
  const wKey = keys.match(/^witness (\S+)/m)[1];
  const cp = v.parseCheckpoint(readFileSync(join(dir, 'checkpoint'), 'utf8'));
  const met = await applyPolicy(await parsePolicy(`# the test log\nlog ${logKey}\nwitness W ${wKey}\nquorum W\n`), cp, null);
  assert.equal(met.signature.state, 'verified');
  assert.equal(met.quorum.state, 'met');
  // a second witness (a key of another name) that never cosigned: "all" is not met, "any" is
  const otherKey = v.b64decode(wKey.split('+')[2]);
  otherKey[5] ^= 1;
  const hash = v.hex((await v.sha256(v.concat(new TextEncoder().encode('example.org/other-witness\n'), otherKey))).slice(0, 4));
  const fixed = `example.org/other-witness+${hash}+${v.b64encode(otherKey)}`;
  const all = await applyPolicy(await parsePolicy(`log ${logKey}\nwitness W ${wKey}\nwitness X ${fixed}\ngroup g all W X\nquorum g\n`), cp, null);
  assert.equal(all.quorum.state, 'not_met');
  assert.deepEqual(all.quorum.witnessed, ['W']);
  const any = await applyPolicy(await parsePolicy(`log ${logKey}\nwitness W ${wKey}\nwitness X ${fixed}\ngroup g any W X\nquorum g\n`), cp, null);
  assert.equal(any.quorum.state, 'met');
  // a policy naming another log: the checkpoint's signature does not count
  const none = await applyPolicy(await parsePolicy('quorum none\n'), cp, null);
  assert.equal(none.signature.state, 'failed');
  assert.equal(none.signature.reason.code, 'policy_no_log');
  for (const [text, line] of [
    [`log ${logKey}\nquorum W\n`, 2], // W never defined
    [`witness W ${wKey}\ngroup g 3 W\nquorum g\n`, 2], // threshold above the members
    [`witness W ${logKey}\nquorum W\n`, 1], // a log key as a witness key
    [`witness W ${wKey}\nquorum W\nquorum W\n`, 3],
    [`witness W ${wKey}\nwitnesses X ${wKey}\nquorum W\n`, 2],
    [`witness W ${wKey}\nwitness X ${wKey}\nquorum W\n`, 2], // one key twice
    [`witness W ${wKey}\r\nquorum W\n`, 1], // a CR
  ]) {
    await assert.rejects(parsePolicy(text), (e) => e.code === 'policy_line' && e.params.line === line, text);
  }
  await assert.rejects(parsePolicy(`witness W ${wKey}\n`), (e) => e.code === 'policy_no_quorum');
});

/* ---- the browser ---- */

async function trustState(page) {
  await page.waitForSelector('.checkpoint [data-trust]', { timeout: 15000 });
  return page.getAttribute('.checkpoint [data-trust]', 'data-trust');
}

test('the overview remembers the checkpoint and accepts the next ones that extend it', async () => {
  const page = await openView(context, url, '/', { problems });
  assert.equal(await trustState(page), 'first');
  assert.equal(await page.getAttribute('.checkpoint', 'data-size'), '5');
  const remembered = () => page.evaluate(() => Object.entries(localStorage).filter(([k]) => k.startsWith('cmcc.seen.'))
    .map(([k, v]) => [k, Number(v.split('\n')[1])]));
  const rem = await remembered();
  assert.equal(rem.length, 1);
  assert.ok(rem[0][0].startsWith(`cmcc.seen.${ORIGIN} ${ORIGIN}+`), rem[0][0]);
  assert.equal(rem[0][1], 5);

  // grown to 7: proven from the public hash tiles (no token)
  submit(dirA, 'e5');
  submit(dirA, 'e6');
  await checkpointAt(7);
  const asked = [];
  page.on('request', (r) => asked.push(new URL(r.url()).pathname));
  await page.reload();
  assert.equal(await trustState(page), 'extends');
  assert.ok(asked.some((p) => p.startsWith('/tile/0/')), `hash tiles read: ${asked}`);
  assert.ok(!asked.includes('/v1/proof/consistency'), 'no token, no proof request');
  assert.equal((await remembered())[0][1], 7);
  assert.equal(await page.$eval('#fork-banner', (el) => el.childElementCount), 0);
  await page.close();

  // grown to 8: with a token, the log's own consistency proof
  submit(dirA, 'e7');
  await checkpointAt(8);
  const withToken = await openView(context, url, '/', { token, problems, prepare: (p) => p.on('request', (r) => asked.push(new URL(r.url()).pathname)) });
  assert.equal(await trustState(withToken), 'extends');
  assert.ok(asked.includes('/v1/proof/consistency'), 'the consistency proof was asked for');
  assert.equal((await withToken.evaluate(() => Object.entries(localStorage).filter(([k]) => k.startsWith('cmcc.seen.'))))[0][1].split('\n')[1], '8');
  await withToken.close();
});

/** A C2SP tlog-proof of entry index: the server's, or assembled from its answers. */
async function proofOf(index, org, id) {
  const res = await fetch(new URL(`/v1/proof/entry?org=${org}&id=${id}`, url), { headers: { Authorization: `Bearer ${token}` } });
  if (res.status === 200) {
    const body = await res.text();
    return body.startsWith('{') ? JSON.parse(body).proof : body;
  }
  const cp = await apiGet(url, '/checkpoint', { as: 'text' });
  const size = Number(cp.split('\n')[1]);
  const entry = await apiGet(url, `/v1/entries/${index}`, { token });
  const inc = await apiGet(url, `/v1/proof/inclusion?index=${index}&size=${size}`, { token });
  return ['c2sp.org/tlog-proof@v1', `extra ${Buffer.from(entry.received).toString('base64')}`, `index ${index}`,
    ...inc.inclusion_path, '', cp].join('\n');
}

async function checkOnPage(page, proof, envelope) {
  await page.fill('#proof-text', proof);
  await page.fill('#proof-envelope', envelope);
  await page.evaluate(() => { document.getElementById('proof-result').dataset.verdict = ''; });
  await page.click('[data-action="check-proof"]');
  await page.waitForSelector('#proof-result[data-verdict="accepted"], #proof-result[data-verdict="refused"]');
  return {
    verdict: await page.getAttribute('#proof-result', 'data-verdict'),
    why: await page.$eval('#proof-result .verdict', (el) => el.textContent),
    code: await page.$eval('#proof-result .verdict [data-why]', (el) => el.dataset.why).catch(() => ''),
  };
}

test('the proof page accepts a proof of logging and refuses a changed one or another envelope', async () => {
  const page = await openView(context, url, '/proof', { problems });
  // headless chromium on Linux has no BarcodeDetector: the page says so
  const scan = await page.getAttribute('[data-scan]', 'data-scan');
  if (scan === 'unavailable') assert.match(await page.textContent('[data-scan]'), /cannot read QR codes/);
  assert.equal(await page.getAttribute('[data-policy]', 'data-policy'), 'none', 'no policy served: none required');
  assert.equal(await page.getAttribute('[data-key-source]', 'data-key-source'), 'server');

  const proof = await proofOf(3, ORG, 'e3');
  const good = await checkOnPage(page, proof, envelopes.e3);
  assert.equal(good.verdict, 'accepted', good.why);
  assert.match(await page.textContent('#proof-result'), /The entry is in the log: it is entry 3 of a checkpoint of 8 entries/);
  assert.deepEqual(await page.$$eval('#proof-result [data-check]', (els) => els.map((e) => `${e.dataset.check}:${e.dataset.state}`)),
    ['proof:ok', 'entry:ok', 'inclusion:ok', 'signature:ok', 'quorum:none']);
  await shot(page, SHOTS, 'proof-accepted');

  // one byte of the first path hash changed
  const lines = proof.split('\n');
  const at = lines.findIndex((l) => l.startsWith('index ')) + 1;
  assert.ok(/^[A-Za-z0-9+/]{43}=$/.test(lines[at]), 'the proof has a path');
  const flipped = [...lines];
  flipped[at] = (flipped[at][0] === 'A' ? 'B' : 'A') + flipped[at].slice(1);
  const changed = await checkOnPage(page, flipped.join('\n'), envelopes.e3);
  assert.equal(changed.verdict, 'refused');
  assert.equal(changed.code, 'tlog_proof_not_in_log');
  assert.match(changed.why, /is not entry 3 of the log’s tree of 8 entries/);
  await shot(page, SHOTS, 'proof-refused');

  // one byte of the checkpoint's signature changed
  const sig = lines.findIndex((l) => l.startsWith(`— ${ORIGIN} `));
  const s = [...lines];
  const b = Buffer.from(s[sig].split(' ').at(-1), 'base64');
  b[10] ^= 1;
  s[sig] = `— ${ORIGIN} ${b.toString('base64')}`;
  const unsigned = await checkOnPage(page, s.join('\n'), envelopes.e3);
  assert.equal(unsigned.verdict, 'refused');
  assert.equal(unsigned.code, 'bad_signature');

  // a file of several envelopes, one a line (cmcc new --out): the proof is of one of them
  assert.equal((await checkOnPage(page, proof, `${envelopes.e4}\n${envelopes.e3}\n`)).verdict, 'accepted');
  // another envelope
  const wrong = await checkOnPage(page, proof, envelopes.e4);
  assert.equal(wrong.verdict, 'refused');
  assert.equal(wrong.code, 'tlog_proof_not_in_log');
  // not a proof at all, not an envelope at all
  assert.equal((await checkOnPage(page, 'index 3\n', envelopes.e3)).code, 'tlog_proof_header');
  assert.equal((await checkOnPage(page, proof, 'not json')).code, 'envelope_json');
  await noMissingStrings(page, 'proof page');
  await page.close();

  // in Arabic
  const ar = await openView(context, url, '/proof', { lang: 'ar', problems });
  const arWrong = await checkOnPage(ar, proof, envelopes.e4);
  assert.equal(arWrong.verdict, 'refused');
  assert.match(arWrong.why, /هذا الظرف ليس القيد/);
  await noMissingStrings(ar, 'proof page (ar)');
  await ar.close();
});

test('the operator\'s policy (/policy): a quorum the checkpoint lacks refuses the proof', async (t) => {
  // cmcc serves /policy from `policy = FILE` in cmcc.conf where it has `cmcc proof`
  try { cmcc(['proof', '--help']); } catch { return t.skip('this cmcc serves no policy'); }
  const wdir = join(work, 'witness');
  const wKey = cmcc(['witness', 'init', wdir, '--name', 'witness.trust.test']).trim().split('\n')[0];
  const logKey = (await apiGet(url, '/v1/log')).vkey;
  execFileSync('sh', ['-c', 'cat > "$1"', 'sh', join(dirA, 'policy.txt')],
    { input: `# the log, and one witness that has not cosigned anything\nlog ${logKey}\nwitness W ${wKey}\nquorum W\n` });
  execFileSync('sh', ['-c', 'echo "policy = policy.txt" >> "$1"', 'sh', join(dirA, 'cmcc.conf')]);
  await served.stop();
  served = await serveLog(CMCC, dirA, { listen: `127.0.0.1:${port}`, args: ['--web', webDir] });
  assert.match(await apiGet(url, '/policy', { as: 'text' }), /^# the log/);
  const page = await openView(context, url, '/proof', { problems });
  assert.equal(await page.getAttribute('[data-policy]', 'data-policy'), 'served');
  const r = await checkOnPage(page, await proofOf(3, ORG, 'e3'), envelopes.e3);
  assert.equal(r.verdict, 'refused');
  assert.equal(r.code, 'policy_quorum');
  assert.match(r.why, /the checkpoint lacks the cosignatures the policy’s quorum “W” asks for/);
  assert.deepEqual(await page.$$eval('#proof-result [data-check]', (els) => els.map((e) => `${e.dataset.check}:${e.dataset.state}`)),
    ['proof:ok', 'entry:ok', 'inclusion:ok', 'signature:ok', 'quorum:failed']);
  await page.close();
});

test('a rewritten log at the same address: the red banner, in English and Arabic, and the remembered checkpoint kept', async () => {
  const heldText = await apiGet(url, '/checkpoint', { as: 'text' });
  assert.equal(heldText.split('\n')[1], '8');
  await served.stop();
  served = await serveLog(CMCC, dirB, { listen: `127.0.0.1:${port}`, args: ['--web', webDir] });
  assert.equal(served.url, url);
  // entry 5 differs (another event), and B grows past A
  for (const id of ['f5', 'f6', 'f7', 'f8']) submit(dirB, id);
  await checkpointAt(9);
  const seenText = await apiGet(url, '/checkpoint', { as: 'text' });
  const entry5 = await apiGet(url, '/v1/entries/5', { token });
  assert.equal(entry5.event.id, 'f5');

  const page = await openView(context, url, '/', { problems });
  await page.waitForSelector('#fork-banner .fork', { timeout: 15000 });
  assert.equal(await page.getAttribute('#fork-banner .fork', 'data-fork'), 'inconsistent');
  assert.equal(await page.getAttribute('#fork-banner .fork', 'data-held-size'), '8');
  assert.equal(await page.getAttribute('#fork-banner .fork', 'data-seen-size'), '9');
  const text = await page.textContent('#fork-banner');
  assert.match(text, new RegExp(`The operator of log ${ORIGIN} is showing a history that contradicts the one this browser saw before: it signed a log of 8 entries earlier, and now shows one of 9 entries that does not extend it\\.`));
  assert.ok(text.includes(heldText.split('\n')[2]), 'the remembered root is shown');
  assert.ok(text.includes(seenText.split('\n')[2]), 'the new root is shown');
  assert.equal(await trustState(page), 'fork');
  // the evidence: both signed checkpoints
  await page.click('[data-action="copy-evidence"]');
  await page.waitForFunction(() => /Copied/.test(document.getElementById('fork-banner').textContent));
  const evidence = JSON.parse(await page.$eval('#fork-banner textarea.evidence', (el) => el.value));
  assert.equal(evidence.evidence, 'cmcc.fork/v1');
  assert.equal(evidence.kind, 'inconsistent');
  assert.equal(evidence.held, heldText);
  assert.equal(evidence.seen, seenText);
  assert.equal(evidence.proof.old, 8);
  assert.equal(evidence.proof.size, 9);
  // still A's checkpoint remembered
  const kept = await page.evaluate(() => Object.entries(localStorage).filter(([k]) => k.startsWith('cmcc.seen.')).map(([, v]) => v));
  assert.deepEqual(kept, [heldText]);
  await shot(page, SHOTS, 'trust-fork-en');
  await noMissingStrings(page, 'fork banner');
  await page.close();

  // Arabic, on another view: the banner is on every view
  const ar = await openView(context, url, '/proof', { lang: 'ar', problems });
  await ar.waitForSelector('#fork-banner .fork', { timeout: 15000 });
  const arText = await ar.textContent('#fork-banner');
  assert.match(arText, /مشغّل السجل .* يعرض تاريخًا يناقض التاريخ الذي رآه هذا المتصفح من قبل/);
  assert.match(arText, /٨|8/);
  assert.match(arText, /٩|9/);
  assert.equal(await ar.getAttribute('html', 'dir'), 'rtl');
  await shot(ar, SHOTS, 'trust-fork-ar');
  await noMissingStrings(ar, 'fork banner (ar)');
  await ar.close();
});

test('a log of the same origin under another key is remembered apart, and the card says another key was seen', async () => {
  const dirC = join(work, 'c');
  cmcc(['init', dirC, '--origin', ORIGIN, '--org', ORG, '--name', 'Coordination cell']);
  await served.stop();
  served = await serveLog(CMCC, dirC, { listen: `127.0.0.1:${port}`, args: ['--web', webDir] });
  const page = await openView(context, url, '/', { problems });
  assert.equal(await trustState(page), 'first');
  assert.equal(await page.getAttribute('.checkpoint [data-other-keys]', 'data-other-keys'), '1');
  assert.match(await page.textContent('.checkpoint [data-other-keys]'), new RegExp(`also seen a log named ${ORIGIN} signed with another key`));
  assert.equal(await page.$eval('#fork-banner', (el) => el.childElementCount), 0, 'no fork of this key');
  await page.close();
});
