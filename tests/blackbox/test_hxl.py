#!/usr/bin/env python3
"""Every HXL-tagged CSV cmcc writes, against the HXL core schema kept in
tests/hxl/ (its README says where it comes from and which rules apply).

The log is `cmcc demo --build-only`'s scenario (supply, force and
disarmament all present), served by the real binary. The exports are
/v1/consignments.csv, /v1/reconciliation.csv and the CSV forms of
`cmcc report supply|force|disarmament`, all in HXL's long ("indicator")
form: key columns, then a row per figure named by #indicator+code. For
each:
- conformance: the hashtag row comes right after the header row; every
  hashtag is a Released core hashtag and every attribute a Released core
  attribute (no attribute of our own); no two columns have the same tags;
  #date columns hold ISO 8601 dates or times and +num columns numbers;
  every #indicator+code is one of the codes docs/protocol.md lists for
  that export (CODES below, each checked to be in its "CSV exports");
- round trip: read back by its tags (never by column position or header
  name), the indicator rows pivoted back into one record per key, every
  record and every figure equals the JSON answer it comes from, in its
  order, and every JSON row has its record.
The checker's own teeth are shown on tag rows it must refuse, and on a
doctored copy of each export (an attribute of our own put back). Both
server exports take the list's filters (?status=&crossing=&org=) and
select what /v1/consignments selects; bad values are answered bad_request
naming the parameter, with the list's own error."""

import csv
import io
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import unittest
import urllib.parse
from collections import defaultdict

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import cmcctest as ct  # noqa: E402

HXL_DIR = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "hxl")
TOKEN = r"[A-Za-z][A-Za-z0-9_]*"
TAG = re.compile(r"^\s*#(%s)((?:\s*\+%s)*)\s*$" % (TOKEN, TOKEN))
ISO_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}(T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:\d{2})?)?$")
NUMBER = re.compile(r"^-?\d+(\.\d+)?$")

# The figure codes of each export, in the order a record's rows come
# (docs/protocol.md, "CSV exports").
CODES = {
    "/v1/consignments.csv": ("declared", "approved", "entered", "weight"),
    "/v1/reconciliation.csv": ("approved", "entered", "held", "pending", "distributed", "lost",
                               "unaccounted"),
    "supply": ("consignments", "lines", "declared", "approved", "entered", "received", "sent",
               "held", "pending", "distributed", "lost", "unaccounted"),
    "force": ("required", "pledged", "level1", "level2", "level3", "rapid", "eligible",
              "deployed", "gap"),
    "disarmament": ("registered", "verified", "destroyed", "decommissioned", "discrepancies",
                    "target", "progress"),
}


def load_schema():
    """(Released hashtags {name: datatype}, Released attributes, every
    attribute the attribute sheet lists, whatever its status)."""
    def rows(name):
        with open(os.path.join(HXL_DIR, name), newline="", encoding="utf-8") as f:
            return list(csv.DictReader(f))
    tags = {r["#valid_tag"].lower(): r["#valid_datatype"]
            for r in rows("hashtags.hxl.csv") if r["#status"] == "Released"}
    attrs = rows("attributes.hxl.csv")
    released = {r["#valid_attribute"].lower() for r in attrs if r["#status"] == "Released"}
    listed = {r["#valid_attribute"].lower() for r in attrs}
    return tags, released, listed


SCHEMA = load_schema()


def parse_tag(text):
    """'#a +b+c' -> ('#a', ('+b', '+c')), lower case; None when no HXL tag."""
    m = TAG.match(text)
    if not m:
        return None
    return "#" + m.group(1).lower(), tuple("+" + a.lower() for a in re.findall(TOKEN, m.group(2)))


def key(tag, *attrs):
    """A column's identity for a reader: the hashtag and its set of attributes."""
    return (tag, frozenset(attrs))


CODE, TYPE, NUM = key("#indicator", "+code"), key("#indicator", "+type"), key("#indicator", "+num")


def conformance_errors(tags, schema=SCHEMA):
    """What is wrong with a hashtag row (a list of cell texts), one sentence each."""
    core_tags, released, listed = schema
    errors, seen = [], {}
    for i, text in enumerate(tags):
        p = parse_tag(text)
        if p is None:
            errors.append("column %d: %r is not an HXL hashtag" % (i, text))
            continue
        tag, attrs = p
        if tag not in core_tags:
            errors.append("column %d: %s is not a Released core hashtag" % (i, tag))
        if len(set(attrs)) != len(attrs):
            errors.append("column %d: %s repeats an attribute" % (i, text))
        for a in attrs:
            if a in released:
                continue
            if a in listed:
                errors.append("column %d: %s is in the core schema but not Released" % (i, a))
            else:
                errors.append("column %d: %s is not a core attribute" % (i, a))
        k = key(tag, *attrs)
        if k in seen:
            errors.append("columns %d and %d have the same tags %s" % (seen[k], i, text))
        seen[k] = i
    return errors


def hxl_rows(text):
    """The CSV rows of an export, and the index of its hashtag row (HXL's
    rule: the first row whose cells are all tags)."""
    rows = list(csv.reader(io.StringIO(text, newline="")))
    first = next((i for i, r in enumerate(rows[:25])
                  if r and all(parse_tag(c) for c in r if c.strip())), None)
    return rows, first


def hxl_read(test, text, codes):
    """The export's rows as dicts keyed by key(tag, *attrs), checking its
    conformance and that every #indicator+code is one of codes."""
    test.assertTrue(text.endswith("\r\n"), text[-20:])
    rows, first = hxl_rows(text)
    test.assertEqual(first, 1, "the hashtag row must follow the header row: %r" % rows[:2])
    tags = rows[1]
    test.assertEqual(len(tags), len(rows[0]))
    test.assertTrue(all(h.strip() for h in rows[0]), "every column has a heading: %r" % rows[0])
    test.assertEqual(conformance_errors(tags), [], tags)
    keys = [key(tag, *attrs) for tag, attrs in (parse_tag(t) for t in tags)]
    test.assertIn(CODE, keys)
    test.assertIn(NUM, keys)
    core_tags = SCHEMA[0]
    out = []
    for r in rows[2:]:
        test.assertEqual(len(r), len(tags), r)
        d = dict(zip(keys, r))
        for k, v in d.items():
            if not v:
                continue
            if core_tags[k[0]] == "date":
                test.assertRegex(v, ISO_DATE, (k, r))
            if "+num" in k[1] or core_tags[k[0]] == "number":
                test.assertRegex(v, NUMBER, (k, r))
        test.assertIn(d[CODE], codes, r)
        out.append(d)
    return out


def num(v):
    """A CSV figure as the JSON has it: '' is null."""
    if v == "":
        return None
    return float(v) if "." in v else int(v)


def pivot(test, rows, codes):
    """The indicator rows back into records: [(keys, figures, units)],
    keys the columns other than #indicator's, figures {code: number},
    units {code: #indicator+type} (when the export has that column). A
    record's rows are together and its codes in the order of codes."""
    out = []
    for r in rows:
        k = {c: v for c, v in r.items() if c not in (CODE, TYPE, NUM)}
        if not out or out[-1][0] != k:
            out.append((k, {}, {}))
        _, figures, units = out[-1]
        test.assertNotIn(r[CODE], figures, ("a figure twice", r))
        figures[r[CODE]] = num(r[NUM])
        if TYPE in r:
            units[r[CODE]] = r[TYPE]
    for k, figures, _ in out:
        test.assertEqual(list(figures), [c for c in codes if c in figures], k)
    everyone = [tuple(sorted(k.items())) for k, _, _ in out]
    test.assertEqual(len(set(everyone)), len(everyone), "a record's rows apart")
    return out


def doctored(text):
    """An export with an attribute of our own put back in its hashtag row."""
    rows, first = hxl_rows(text)
    rows[first][-1] += "+declared"
    return rows[first]


class Checker(unittest.TestCase):
    """The conformance check refuses what it must."""

    def test_refuses(self):
        bad = {
            "#x_custom": "not a Released core hashtag",
            "#delivery": "not a Released core hashtag",  # Rejected in the schema
            "#indicator+num+declared": "+declared is not a core attribute",
            "#output+num+weight_kg": "+weight_kg is not a core attribute",
            "#output+pct": "in the core schema but not Released",  # Beta
            "#org+en": "in the core schema but not Released",  # Deprecated
            "#meta+id+id": "repeats an attribute",
            "org": "is not an HXL hashtag",
        }
        for text, why in bad.items():
            errors = conformance_errors([text])
            self.assertTrue(errors and why in errors[0], (text, errors))
        same = conformance_errors(["#org+funder+impl", "#org +impl +funder"])
        self.assertIn("same tags", same[0])
        self.assertEqual(conformance_errors(["#meta+id", "#org +funder", "#indicator+num"]), [])

    def test_codes_are_documented(self):
        """Each code is in docs/protocol.md's "CSV exports", as `code`."""
        with open(os.path.join(ct.REPO, "docs", "protocol.md"), encoding="utf-8") as f:
            doc = f.read()
        part = doc[doc.index("- **CSV exports**"):doc.index("- **HXL conformance.**")]
        for export, codes in CODES.items():
            for c in codes:
                self.assertIn("`%s`" % c, part, (export, c))
            self.assertEqual(len(set(codes)), len(codes), export)


class Exports(unittest.TestCase):

    @classmethod
    def setUpClass(cls):
        cls.tmp = tempfile.mkdtemp(prefix="cmcc-bb-hxl-")
        cls.dir = os.path.join(cls.tmp, "demo")
        r = ct.run("demo", cls.dir, "--build-only", timeout=300)
        if r.returncode != 0:
            raise RuntimeError("cmcc demo failed: %s" % r.stderr)
        with open(os.path.join(cls.dir, "demo-token.txt")) as f:
            cls.token = f.read().strip()
        cls.server = ct.Server(cls.dir)

    @classmethod
    def tearDownClass(cls):
        cls.server.kill()
        shutil.rmtree(cls.tmp, ignore_errors=True)

    def get(self, path, status=200):
        r = ct.http_request(self.server.port, "GET", path,
                            headers={"Authorization": "Bearer " + self.token})
        self.assertEqual(r.status, status, (path, r))
        return r

    def json(self, path):
        return self.get(path).json

    def read(self, export, text):
        """The records of an export's text (pivot), after its checks, the
        doctored copy's refusal among them."""
        self.assertIn("+declared is not a core attribute", "\n".join(
            conformance_errors(doctored(text))), export)
        codes = CODES[export]
        return pivot(self, hxl_read(self, text, codes), codes)

    def csv(self, path):
        r = self.get(path)
        self.assertTrue(r.headers["content-type"].startswith("text/csv"), r.headers)
        return self.read(path.split("?")[0], r.body.decode("utf-8"))

    def report(self, what, fmt, source="dir"):
        where = [self.dir] if source == "dir" else ["--server", self.server.url,
                                                     "--token", self.token]
        # bytes, not text mode: the CSV's CRLF line ends are checked
        r = subprocess.run([ct.CMCC_BIN, "report", what, *where, "--format", fmt],
                           capture_output=True, timeout=60,
                           env=dict(os.environ, XDG_STATE_HOME=ct.STATE_HOME))
        self.assertEqual(r.returncode, 0, r.stderr)
        return r.stdout.decode("utf-8")

    def report_csv(self, what, source="dir"):
        return self.read(what, self.report(what, "csv", source))

    def every_code(self, export, records):
        """Every code of the export appears (none documented but unused)."""
        self.assertEqual({c for _, f, _ in records for c in f}, set(CODES[export]))

    # -- the server's exports

    def consignments_round_trip(self, query=""):
        records = self.csv("/v1/consignments.csv" + query)
        listed = self.json("/v1/consignments" + query)["consignments"]
        self.assertTrue(listed, query)
        by_id = defaultdict(list)
        for k, figures, units in records:
            by_id[k[key("#meta", "+id")]].append((k, figures, units))
        # the same consignments, in the same order (oldest first)
        self.assertEqual(list(by_id), [c["consignment"] for c in listed])
        for c in listed:
            mine = by_id[c["consignment"]]
            one = self.json("/v1/consignments/" + urllib.parse.quote(c["consignment"]))
            self.assertEqual([num(k[key("#item", "+code")]) for k, _, _ in mine],
                             [l["line"] for l in one["lines"]])
            self.assertEqual(len(mine), c["lines"])
            for (k, figures, units), l in zip(mine, one["lines"]):
                self.assertEqual(k[key("#org")], c["declared_by"])
                self.assertEqual(k[key("#org", "+impl")] or None, c["consignee"])
                self.assertEqual(k[key("#loc", "+name")], c["crossing"])
                self.assertEqual(k[key("#org", "+funder")] or None, c["donor"])
                self.assertEqual(k[key("#meta", "+code")] or None, c["reference"])
                self.assertEqual(k[key("#date")], c["time"][:10])
                self.assertEqual(k[key("#status")], c["status"])
                self.assertEqual(k[key("#item", "+name")], l["item"])
                self.assertEqual(k[key("#sector")], l["category"])
                # every figure, even one never given (empty)
                self.assertEqual(figures, {"declared": l["declared"], "approved": l["approved"],
                                           "entered": l["entered"], "weight": l["weight_kg"]})
                self.assertEqual(units, {"declared": l["unit"], "approved": l["unit"],
                                         "entered": l["unit"], "weight": "kg"})
            for acc in ("declared", "approved", "entered"):
                self.assertEqual(sum(f[acc] or 0 for _, f, _ in mine), c[acc],
                                 (c["consignment"], acc))
        return records

    def test_consignments_csv(self):
        records = self.consignments_round_trip()
        self.assertGreater(len(records), 30)
        self.every_code("/v1/consignments.csv", records)
        # the list's filters select the same consignments in the CSV
        listed = self.json("/v1/consignments")["consignments"]
        crossing, status = listed[-1]["crossing"], listed[0]["status"]
        org = listed[0]["consignee"]
        for q in ("crossing=" + crossing, "status=" + status, "org=" + org,
                  "crossing=%s&status=%s" % (crossing, status)):
            part = self.consignments_round_trip("?" + q)
            self.assertLess(len(part), len(records), q)
        self.assertEqual(self.csv("/v1/consignments.csv?crossing=no-such-crossing"), [])

    def test_filtered_reconciliation_csv(self):
        """Its records are the lines of the consignments the list selects."""
        listed = self.json("/v1/consignments")["consignments"]
        for q in ("crossing=" + listed[0]["crossing"], "status=" + listed[-1]["status"],
                  "org=" + listed[-1]["declared_by"]):
            records = self.csv("/v1/reconciliation.csv?" + q)
            want = [(c["consignment"], n + 1)
                    for c in self.json("/v1/consignments?" + q)["consignments"]
                    for n in range(c["lines"])]
            self.assertTrue(want, q)
            self.assertEqual([(k[key("#meta", "+id")], num(k[key("#item", "+code")]))
                              for k, _, _ in records], want, q)

    def test_bad_queries(self):
        """Refused bad_request, naming the parameter, as the list refuses them."""
        bad = {"status=shipped": ("status", "status must be one of: declared, "),
               "crossing=Not%20an%20id": ("crossing", "crossing must be an identifier"),
               "org=%00": ("org", "org must be an identifier"),
               "org=a&crossing=-x": ("crossing", "crossing must be an identifier")}
        for path in ("/v1/consignments.csv", "/v1/reconciliation.csv"):
            for q, (field, says) in bad.items():
                r = self.get(path + "?" + q, 400)
                e = r.json["error"]
                self.assertEqual((e["code"], e["field"]), ("bad_request", field), (path, q))
                self.assertIn(says, e["message"], (path, q))
                self.assertEqual(e, self.get("/v1/consignments?" + q, 400).json["error"])
            # without the read token, as every read
            r = ct.http_request(self.server.port, "GET", path)
            self.assertEqual((r.status, r.json["error"]["code"]), (401, "unauthorized"), path)

    def test_reconciliation_csv(self):
        records = self.csv("/v1/reconciliation.csv")
        self.every_code("/v1/reconciliation.csv", records)
        rec = self.json("/v1/reconciliation")
        q = CODES["/v1/reconciliation.csv"]
        seen = set()
        for k, figures, units in records:
            cid, line = k[key("#meta", "+id")], num(k[key("#item", "+code")])
            seen.add((cid, line))
            c = self.json("/v1/consignments/" + urllib.parse.quote(cid))
            l = [x for x in c["lines"] if x["line"] == line][0]
            self.assertEqual((k[key("#org")], k[key("#loc", "+name")], k[key("#date")],
                              k[key("#item", "+name")], k[key("#sector")]),
                             (c["declared_by"], c["crossing"], c["time"][:10], l["item"],
                              l["category"]))
            self.assertEqual(units, dict.fromkeys(q, l["unit"]))
            sums = dict.fromkeys(q[2:], 0)
            for a, n in l["accounts"].items():
                sums[a.split(":")[0]] += n
            self.assertEqual(figures, dict(sums, approved=l["approved"] or 0,
                                           entered=l["entered"]), (cid, line))
        # every line of every consignment is a record
        every = {(c["consignment"], l["line"])
                 for c in (self.json("/v1/consignments/" + urllib.parse.quote(x["consignment"]))
                           for x in self.json("/v1/consignments")["consignments"])
                 for l in c["lines"]}
        self.assertEqual(seen, every)
        self.assertEqual(len(seen), len(records))

        # summed by crossing, by category and in all, the JSON's figures
        def sums(group):
            out = {}
            for k, figures, _ in records:
                g = out.setdefault(group(k), dict.fromkeys(q, 0) | {"ids": set(), "lines": 0})
                for a in q:
                    g[a] += figures[a]
                g["ids"].add(k[key("#meta", "+id")])
                g["lines"] += 1
            return out
        cross = sums(lambda k: k[key("#loc", "+name")])
        self.assertEqual(sorted(cross), sorted(x["crossing"] for x in rec["by_crossing"]))
        for x in rec["by_crossing"]:
            g = cross[x["crossing"]]
            self.assertEqual({a: g[a] for a in q} | {"consignments": len(g["ids"])},
                             {a: x[a] for a in q + ("consignments",)}, x["crossing"])
        cat = sums(lambda k: k[key("#sector")])
        self.assertEqual(sorted(cat), sorted(x["category"] for x in rec["by_category"]))
        for x in rec["by_category"]:
            g = cat[x["category"]]
            self.assertEqual({a: g[a] for a in q} | {"lines": g["lines"]},
                             {a: x[a] for a in q + ("lines",)}, x["category"])
        total = sums(lambda k: "all")["all"]
        for a in q:
            self.assertEqual(total[a], rec["totals"][a], a)

    # -- cmcc report's CSV forms

    def test_report_supply(self):
        rec = self.json("/v1/reconciliation")
        self.assertEqual(json.loads(self.report("supply", "json")), rec)
        names = {"by_crossing": "crossing", "by_org": "org", "by_category": "category"}
        want = [(names[sec], x) for sec in names for x in rec[sec]]
        self.assertGreater(len(want), 5)
        for source in ("dir", "server"):
            records = self.report_csv("supply", source)
            self.every_code("supply", records)
            self.assertEqual(len(records), len(want))
            for (k, figures, _), (table, x) in zip(records, want):
                self.assertEqual((k[key("#meta", "+type")], k[key("#meta", "+name")]),
                                 (table, x[table]))
                self.assertEqual(figures, {a: v for a, v in x.items() if a != table},
                                 (table, x))

    def test_report_force(self):
        reqs = json.loads(self.report("force", "json"))["requirements"]
        self.assertEqual(reqs, self.json("/v1/requirements")["requirements"])
        self.assertTrue(reqs)
        for source in ("dir", "server"):
            records = self.report_csv("force", source)
            self.every_code("force", records)
            self.assertEqual([k[key("#meta", "+id")] for k, _, _ in records],
                             [x["requirement"] for x in reqs])
            for (k, figures, _), x in zip(records, reqs):
                e = x["eligible"]
                self.assertEqual(
                    (k[key("#capacity", "+type")], k[key("#loc", "+name")], k[key("#date")]),
                    (x["capability"], x["sector"], x["needed_by"]))
                self.assertEqual(figures, {"required": x["quantity"], "pledged": x["pledged"],
                                           "level1": e["level1"], "level2": e["level2"],
                                           "level3": e["level3"], "rapid": e["rapid"],
                                           "eligible": x["eligible_level2_or_above"],
                                           "deployed": x["deployed"], "gap": x["gap"]},
                                 x["requirement"])

    def test_report_disarmament(self):
        doc = json.loads(self.report("disarmament", "json"))
        self.assertEqual(doc["weapons"], self.json("/v1/weapons")["weapons"])
        self.assertEqual(doc["benchmarks"], self.json("/v1/benchmarks")["benchmarks"])
        st = ("registered", "verified", "destroyed", "decommissioned")
        want = {}
        for w in doc["weapons"]:
            c = want.setdefault(w["category"], dict.fromkeys(st + ("discrepancies",), 0))
            c[w["status"]] += w["quantity"]
            c["discrepancies"] += 1 if w["discrepancy"] else 0
        self.assertTrue(want and doc["benchmarks"])
        states = set()
        for source in ("dir", "server"):
            records = self.report_csv("disarmament", source)
            self.every_code("disarmament", records)
            table = lambda k: k[key("#meta", "+type")]  # noqa: E731
            cats = [r for r in records if table(r[0]) == "category"]
            # categories in the order of their first weapon record
            self.assertEqual([k[key("#meta", "+name")] for k, _, _ in cats], list(want))
            for k, figures, _ in cats:
                self.assertEqual(figures, want[k[key("#meta", "+name")]])
                self.assertEqual((k[key("#date")], k[key("#status")]), ("", ""))
            bms = records[len(cats):]
            self.assertEqual([table(k) for k, _, _ in bms], ["benchmark"] * len(bms))
            self.assertEqual([k[key("#meta", "+name")] for k, _, _ in bms],
                             [b["benchmark"] for b in doc["benchmarks"]])
            for (k, figures, _), b in zip(bms, doc["benchmarks"]):
                state = ("met" if b["decommissioned"] >= b["target"] else
                         "overdue" if b["overdue"] else "open")
                states.add(state)
                self.assertEqual((k[key("#date")], k[key("#status")]), (b["due"], state))
                # progress exactly the JSON's number
                self.assertEqual(figures, {"target": b["target"],
                                           "decommissioned": b["decommissioned"],
                                           "progress": b["progress"]}, b["benchmark"])
        self.assertIn("overdue", states)


if __name__ == "__main__":
    unittest.main(verbosity=2)
