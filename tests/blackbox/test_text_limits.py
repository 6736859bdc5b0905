#!/usr/bin/python3
"""The text limits of docs/protocol.md ("Text limits"), read from its
table, checked against the server and against the code's field tables.

For every row, an event of the row's type whose field holds exactly the
limit in bytes (two-byte characters, so bytes and not characters are
counted) is not refused on that field, and one byte more is 400
bad_request naming it, appending nothing. The row "(any other)" is checked
on free-text fields of several types that have no row. Then the rows are
compared with the code: every FT_TEXT field declared with its own `.max` in
src/event/*.c has a row with that limit, every row's limit is declared
there, and the default (TEXT_MAX_DEFAULT in src/event/schema.c) is the
"(any other)" row's. The coordinator signs every event: the body's shape
is checked before authority, so a refusal on the field comes first.
"""
import copy
import glob
import os
import re
import sys
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import cmcctest as ct  # noqa: E402
import forcetest as ft  # noqa: E402

DOC = os.path.join(ct.REPO, "docs", "protocol.md")
ROW = re.compile(r"^\s*\|\s*(`[\w.]+`|\(any other\))\s*\|\s*(`[\w.\[\]]+`|\(any other free text\))"
                 r"\s*\|\s*(\d+)\s*\|\s*$")


def doc_rows():
    """[(type or None, field or None, limit)] from the table under 'Text limits'."""
    text = open(DOC, encoding="utf-8").read()
    start = text.index("**Text limits.**")
    rows = []
    for line in text[start:].splitlines()[1:]:
        if line.startswith("- **"):
            break
        m = ROW.match(line)
        if m:
            t, f = (None if g.startswith("(") else g.strip("`") for g in m.group(1, 2))
            rows.append((t, f, int(m.group(3))))
    return rows


def code_limits():
    """({(field, max)} of FT_TEXT fields with their own .max, the default)."""
    own = set()
    for path in glob.glob(os.path.join(ct.REPO, "src", "event", "*.c")):
        for m in re.finditer(r"\{[^{}]*\.name = \"(\w+)\",[^{}]*\.type = FT_TEXT[^{}]*\}",
                             open(path, encoding="utf-8").read()):
            mx = re.search(r"\.max = (\d+)", m.group(0))
            if mx:
                own.add((m.group(1), int(mx.group(1))))
    schema = open(os.path.join(ct.REPO, "src", "event", "schema.c"), encoding="utf-8").read()
    return own, int(re.search(r"#define TEXT_MAX_DEFAULT\s+(\d+)", schema).group(1))


def bodies():
    """A body of each type whose shape is valid, every limited field present."""
    return {
        "org.admit": {"org": "o1", "name": "O", "roles": ["humanitarian"], "country": "X",
                      "keys": [{"public_key": ct.Key().pub_b64}]},
        "org.suspend": {"org": "o1", "reason": "r"},
        "place.define": {"place": "p1", "kind": "crossing", "name": "P", "lat": 31.2,
                         "lon": 34.3},
        "site.notify": ct.site_body("s1"),
        "consignment.declare": ct.declare_body("c1", "p1", {1: 5}, donor="d", reference="r"),
        "movement.request": ct.movement_body("m1", [[31.0, 34.0], [31.1, 34.1]]),
        "movement.respond": ct.respond_body("m1", "conditional", reason="r", conditions="c"),
        "weapon.handover": ft.handover_body("w1", make="m", model="m", calibre="c", serial="s",
                                            lot="l"),
        "weapon.attest": ft.attest_body("w1", note="n"),
        "incident.report": ct.incident_body("i1"),
        "incident.assess": {"incident": "i1", "status": "verified", "note": "n"},
        "benchmark.assess": ft.assess_body("b1"),
    }


# free text without a row of its own: the "(any other)" limit applies
OTHERS = [("org.suspend", "reason"), ("movement.request", "purpose"),
          ("movement.respond", "reason"), ("movement.respond", "conditions"),
          ("weapon.handover", "description"), ("weapon.attest", "note")]


def text_of(n):
    """n bytes of UTF-8: two-byte characters, and one ASCII byte if n is odd."""
    return "\u00e9" * (n // 2) + "x" * (n % 2)


class TextLimits(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.rows = doc_rows()
        cls.L = ct.Log()
        cls.L.start()

    @classmethod
    def tearDownClass(cls):
        ct.stop_clean(cls.L)

    def send(self, type_, field, n):
        body = copy.deepcopy(bodies()[type_])
        if field.endswith("[].item"):
            body[field.split("[")[0]][0]["item"] = text_of(n)
            where = "body.%s[0].item" % field.split("[")[0]
        else:
            body[field] = text_of(n)
            where = "body." + field
        before = self.L.size()
        r, _ = self.L.submit(self.L.coord, type_, body)
        return r, where, before

    def check(self, type_, field, limit):
        r, where, _ = self.send(type_, field, limit)
        self.assertFalse(r.status == 400 and r.error.get("field") == where,
                         "%s %s at %d bytes refused: %r" % (type_, field, limit, r))
        after = self.L.size()
        r, where, _ = self.send(type_, field, limit + 1)
        self.assertEqual(r.status, 400, (type_, field, r))
        self.assertEqual(r.error["code"], "bad_request", r)
        self.assertEqual(r.error["field"], where, r)
        self.assertIn(str(limit), r.error["message"], r)
        self.assertEqual(self.L.size(), after, "a refused event was appended")

    def test_table_read(self):
        self.assertGreaterEqual(len(self.rows), 10, self.rows)
        self.assertEqual(sum(1 for t, f, _ in self.rows if t is None and f is None), 1)

    def test_each_row_against_the_server(self):
        for t, f, limit in self.rows:
            if t is None:
                continue
            with self.subTest(type=t, field=f):
                self.check(t, f, limit)

    def test_any_other_against_the_server(self):
        default = [n for t, f, n in self.rows if t is None][0]
        listed = {(t, f) for t, f, _ in self.rows}
        for t, f in OTHERS:
            self.assertNotIn((t, f), listed)
            with self.subTest(type=t, field=f):
                self.check(t, f, default)

    def test_rows_are_the_codes_limits(self):
        own, default = code_limits()
        self.assertEqual(default, [n for t, f, n in self.rows if t is None][0])
        # a row's field as the code names it: lines[].item is "item"
        documented = {(f.split(".")[-1], n) for t, f, n in self.rows if t is not None}
        self.assertEqual(own, documented,
                         "docs/protocol.md's table and the code's field tables differ")


if __name__ == "__main__":
    unittest.main()
