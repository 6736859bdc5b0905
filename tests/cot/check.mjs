// check.mjs: cmcc's Cursor on Target answers read by an independent parser,
// @tak-ps/node-cot (npm, pinned by package-lock.json), for
// tests/blackbox/test_cot.py.
//
//   node check.mjs ORIGIN COT.xml PACKAGE.zip SITES.geojson ZONES.geojson MOVEMENTS.geojson
//
// COT.xml is GET /v1/cot, PACKAGE.zip GET /v1/tak/package.zip, the .geojson
// files the GeoJSON exports of the same log. Checks that the document is
// <events> holding one <event> a line, that every event parses (node-cot's
// own schema check), that the events are exactly one per thing of the
// exports with the type and uid the mapping gives (docs/protocol.md, "CoT
// and TAK"), that every position equals the export's, that a deletion names
// the uid it deletes, and that the data package (read by node-cot's
// DataPackage, its own zip reader) lists and holds the same events. Prints
// one line a problem and exits 1, or prints a JSON summary and exits 0.
import fs from 'node:fs';
import CoT, { DataPackage } from '@tak-ps/node-cot';

const [origin, cotPath, zipPath, sitesPath, zonesPath, movesPath] = process.argv.slice(2);
const problems = [];
const summary = {};
const fail = (msg) => problems.push(msg);
const readJSON = (p) => JSON.parse(fs.readFileSync(p, 'utf8'));

// ---- the document: <events>, one <event> a line
const doc = fs.readFileSync(cotPath, 'utf8');
const lines = doc.split('\n').filter((l) => l.length);
if (lines[0] !== '<?xml version="1.0" encoding="UTF-8"?>') fail('the document does not start with its XML declaration');
if (lines[1] !== '<events>' || lines[lines.length - 1] !== '</events>') fail('the document is not <events>...</events>');
const eventLines = lines.slice(2, -1);

function parse(xml, where) {
    try {
        return new CoT(xml);
    } catch (e) {
        fail(`${where}: node-cot refuses it: ${e.message}`);
        return null;
    }
}

const served = new Map(); // uid -> CoT
eventLines.forEach((xml, i) => {
    if (!xml.startsWith('<event ') || !xml.endsWith('</event>')) fail(`line ${i + 3} is not one <event>`);
    const cot = parse(xml, `event ${i + 1} of /v1/cot`);
    if (!cot) return;
    if (served.has(cot.uid())) fail(`uid ${cot.uid()} is served twice`);
    served.set(cot.uid(), cot);
});

// ---- what the exports say there must be
const expected = new Map(); // uid -> {type, coords, start?, stale?, target?}
const pos2 = (p) => [p[0], p[1]];
for (const f of readJSON(sitesPath).features) {
    const uid = `${origin}/site/${f.id}`;
    if (f.properties.status === 'withdrawn') expected.set(`${uid}/deleted`, { type: 't-x-d-d', target: uid });
    else expected.set(uid, { type: 'a-n-G', geometry: { type: 'Point', coordinates: pos2(f.geometry.coordinates) } });
}
for (const f of readJSON(zonesPath).features) {
    const uid = `${origin}/zone/${f.id}`;
    if (f.properties.status === 'lifted') expected.set(`${uid}/deleted`, { type: 't-x-d-d', target: uid });
    else expected.set(uid, { type: 'u-d-f', geometry: f.geometry });
}
for (const f of readJSON(movesPath).features) {
    const uid = `${origin}/movement/${f.id}`;
    if (f.properties.outcome === 'cancelled') expected.set(`${uid}/deleted`, { type: 't-x-d-d', target: uid });
    else expected.set(uid, {
        type: 'b-m-r', geometry: f.geometry,
        start: f.properties.window_start, stale: f.properties.window_end,
        status: f.properties.status,
    });
}

const same = (a, b) => JSON.stringify(a) === JSON.stringify(b);
const ms = (t) => Date.parse(t);

function checkOne(uid, cot, want, where) {
    const attrs = cot.raw.event._attributes;
    if (attrs.type !== want.type) fail(`${where} ${uid}: type ${attrs.type}, the mapping gives ${want.type}`);
    if (attrs.how !== 'h-g-i-g-o') fail(`${where} ${uid}: how ${attrs.how}`);
    if (!(ms(attrs.time) <= ms(attrs.stale) && ms(attrs.start) <= ms(attrs.stale))) fail(`${where} ${uid}: time, start and stale out of order`);
    if (want.type === 't-x-d-d') {
        let links = cot.raw.event.detail.link;
        links = Array.isArray(links) ? links : [links];
        if (links.length !== 1 || !links[0] || links[0]._attributes.uid !== want.target || links[0]._attributes.relation !== 'none')
            fail(`${where} ${uid}: the deletion does not name ${want.target} (link relation="none")`);
        if (!('__forcedelete' in cot.raw.event.detail)) fail(`${where} ${uid}: the deletion has no <__forcedelete/>`);
        return;
    }
    const g = cot.to_geojson().geometry;
    const got = g.type === 'Point' ? { type: 'Point', coordinates: pos2(g.coordinates) }
        : g.type === 'Polygon' ? { type: 'Polygon', coordinates: g.coordinates.map((r) => r.map(pos2)) }
            : { type: g.type, coordinates: g.coordinates.map(pos2) };
    if (!same(got, want.geometry)) fail(`${where} ${uid}: geometry ${JSON.stringify(got)}; the GeoJSON export has ${JSON.stringify(want.geometry)}`);
    if (want.start && ms(attrs.start) !== ms(want.start)) fail(`${where} ${uid}: start ${attrs.start}, the window starts ${want.start}`);
    if (want.stale && ms(attrs.stale) !== ms(want.stale)) fail(`${where} ${uid}: stale ${attrs.stale}, the window ends ${want.stale}`);
    const remarks = cot.to_geojson().properties.remarks || '';
    if (want.status && !remarks.includes(`status ${want.status}`)) fail(`${where} ${uid}: the remarks do not give the status ${want.status}: ${remarks}`);
}

for (const [uid, want] of expected) {
    const cot = served.get(uid);
    if (!cot) fail(`/v1/cot has no event ${uid} (${want.type})`);
    else checkOne(uid, cot, want, '/v1/cot');
}
for (const uid of served.keys()) if (!expected.has(uid)) fail(`/v1/cot serves ${uid}, which no export has`);

// ---- the data package, read by node-cot's own zip reader
try {
    const pkg = await DataPackage.parse(zipPath);
    const packed = await pkg.cots({ respectIgnore: true, parseAttachments: false });
    const byUid = new Map(packed.map((c) => [c.uid(), c]));
    if (pkg.contents.length !== served.size) fail(`the manifest lists ${pkg.contents.length} files for ${served.size} events`);
    for (const content of pkg.contents) {
        const params = Array.isArray(content.Parameter) ? content.Parameter : [content.Parameter];
        const uid = params.find((p) => p && p._attributes.name === 'uid');
        if (!uid || !byUid.has(uid._attributes.value)) fail(`the manifest's ${content._attributes.zipEntry} names no event it holds`);
    }
    for (const [uid, want] of expected) {
        const cot = byUid.get(uid);
        if (!cot) fail(`the package has no event ${uid}`);
        else checkOne(uid, cot, want, 'package');
    }
    if (byUid.size !== expected.size) fail(`the package holds ${byUid.size} events, the exports make ${expected.size}`);
    summary.package = byUid.size;
    await pkg.destroy();
} catch (e) {
    fail(`the data package: node-cot refuses it: ${e.message}`);
}

if (problems.length) {
    for (const p of problems) console.log(p);
    process.exit(1);
}
const byType = {};
for (const c of served.values()) byType[c.raw.event._attributes.type] = (byType[c.raw.event._attributes.type] || 0) + 1;
console.log(JSON.stringify({ ...summary, events: served.size, by_type: byType }));
