#!/usr/bin/env node
// validate.mjs: checks GeoJSON with an independent validator,
// @placemarkio/check-geojson (RFC 7946 structure: types, positions,
// closed rings of 4+ positions, members, duplicate keys), for
// tests/blackbox/test_geojson.py.
//
//   node tests/geojson/validate.mjs FILE     (or - / nothing for stdin)
//
// Exit 0 and "valid" when the validator finds nothing; exit 1 with its
// messages (line:column: message), one a line, on stderr otherwise; exit 2
// when the input cannot be read. Install the validator first with
// `npm ci --prefix tests/geojson`.
import { readFileSync } from "node:fs";
import checkGeojson from "@placemarkio/check-geojson";

const { getIssues } = checkGeojson;
const arg = process.argv[2];
let text;
try {
  text = readFileSync(!arg || arg === "-" ? 0 : arg, "utf8");
} catch (e) {
  console.error(`validate.mjs: cannot read ${arg || "stdin"}: ${e.message}`);
  process.exit(2);
}

function where(offset) {
  const before = text.slice(0, Math.max(0, offset));
  const line = before.split("\n").length;
  return `${line}:${offset - before.lastIndexOf("\n")}`;
}

const issues = getIssues(text);
if (issues.length) {
  for (const i of issues) console.error(`${where(i.from)}: ${i.message}`);
  console.error(`validate.mjs: ${issues.length} issue(s) in ${arg || "stdin"}`);
  process.exit(1);
}
console.log("valid");
