#!/usr/bin/python3
"""`cmcc new TYPE`: events from plain options (docs/protocol.md section 3 for
the bodies; src/cli/new_fields.c for the forms).

- --help of every type exits 0, and every fixed set of values a type's
  fields take (roles, units, categories, kinds, reasons, causes, caveats,
  ...) is listed there, each value as the protocol names it.
- Lists of objects from repeated plain options: --line LINE:QUANTITY (and
  LINE:QUANTITY:ITEM:CATEGORY:UNIT[:WEIGHT_KG] for a declaration),
  --decision LINE:APPROVED[:REASON] (or LINE:approve:APPROVED), --public-key
  for org.admit; the bodies are exactly the JSON forms' (--lines, ...),
  which keep working.
- Signed with --key into --out, submitted with `cmcc submit`: the server
  appends them and shows what was written (an org admitted, a place, a
  consignment declared and screened).
- Bad values: exit status 2, a sentence naming the option and what it
  expects, and nothing written to the outbox.
"""
import json
import os
import shutil
import sys
import tempfile
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import cmcctest as ct  # noqa: E402

# The fixed sets of values, as docs/protocol.md section 3 names them.
CATEGORIES = "food health shelter wash fuel education logistics other".split()
UNITS = "kg tonne litre carton pallet bag box kit unit dose parcel".split()
ROLES = "coordinator humanitarian inspector transporter military contributor verifier monitor"
REASONS = "dual_use damaged expired documentation other".split()
CAUSES = "looted intercepted damaged spoiled expired returned other".split()
PLACE_KINDS = "crossing warehouse distribution_point depot collection_point other".split()
SITE_KINDS = ("hospital clinic shelter school warehouse office distribution_point water_point "
              "other").split()
CAVEATS = ("no_direct_confrontation no_offensive_operations no_weapons_collection "
           "no_crowd_control static_only sector_restricted").split()


def body(*args):
    """The body of the unsigned event `cmcc new args...` prints."""
    r = ct.run("new", *args)
    if r.returncode != 0:
        raise AssertionError("cmcc new %s: %d %s" % (" ".join(args), r.returncode, r.stderr))
    return json.loads(r.stdout)["body"]


class Help(unittest.TestCase):

    def types(self):
        r = ct.run("new", "--help")
        self.assertEqual(r.returncode, 0)
        words = r.stdout.split("types:")[1].split("`cmcc new TYPE --help`")[0].split()
        self.assertIn("consignment.declare", words)
        return words

    def help(self, type_):
        r = ct.run("new", type_, "--help")
        self.assertEqual(r.returncode, 0, r.stderr)
        return r.stdout

    def test_every_type_has_help(self):
        types = self.types()
        self.assertGreaterEqual(len(types), 30)
        for t in types:
            with self.subTest(type=t):
                out = self.help(t)
                self.assertIn("fields of %s:" % t, out)
                self.assertTrue(all(len(ln) < 80 for ln in out.splitlines()), out)

    def test_fixed_values_are_listed(self):
        for type_, values in (("consignment.declare", CATEGORIES + UNITS),
                              ("org.admit", ROLES.split()),
                              ("consignment.screen", REASONS),
                              ("loss.report", CAUSES + ["held", "unaccounted"]),
                              ("place.define", PLACE_KINDS),
                              ("site.notify", SITE_KINDS),
                              ("zone.declare", ["restricted", "closed", "hazard"]),
                              ("movement.respond", ["acknowledged", "denied", "conditional"]),
                              ("pledge.offer", CAVEATS + ["level1", "rapid", "eod_team"]),
                              ("weapon.destroy", ["cutting", "detonation"])):
            with self.subTest(type=type_):
                words = self.help(type_).replace(":", " ").split()
                for v in values:
                    self.assertIn(v, words)

    def test_plain_forms_are_described(self):
        out = self.help("consignment.declare")
        self.assertIn("--line LINE:QUANTITY:ITEM:CATEGORY:UNIT[:WEIGHT_KG]", out)
        self.assertIn("--lines", out)
        self.assertIn("--decision LINE:APPROVED[:REASON]", self.help("consignment.screen"))
        self.assertIn("--line LINE:RECEIVED", self.help("custody.accept"))
        self.assertIn("--line LINE:QUANTITY\n", self.help("custody.transfer"))
        self.assertIn("--public-key B64", self.help("org.admit"))


class PlainForms(unittest.TestCase):

    def test_declare_lines(self):
        got = body("consignment.declare", "--org", "relief-a", "--consignment", "c-1",
                   "--crossing", "kerem-shalom", "--line", "1:400:wheat flour:food:bag",
                   "--line", "2:120:tarpaulin:shelter:unit:3.5")
        want = [{"line": 1, "quantity": 400, "item": "wheat flour", "category": "food",
                 "unit": "bag"},
                {"line": 2, "quantity": 120, "item": "tarpaulin", "category": "shelter",
                 "unit": "unit", "weight_kg": 3.5}]
        self.assertEqual(got["lines"], want)
        same = body("consignment.declare", "--org", "relief-a", "--consignment", "c-1",
                    "--crossing", "kerem-shalom", "--lines", json.dumps(want))
        self.assertEqual(same, got)

    def test_decisions(self):
        got = body("consignment.screen", "--org", "insp", "--consignment", "c-1",
                   "--decision", "1:400", "--decision", "2:approve:380",
                   "--decision", "3:300:damaged", "--decision", "4:approve:0:dual_use")
        self.assertEqual(got["decisions"], [
            {"line": 1, "approved": 400}, {"line": 2, "approved": 380},
            {"line": 3, "approved": 300, "reason": "damaged"},
            {"line": 4, "approved": 0, "reason": "dual_use"}])
        same = body("consignment.screen", "--org", "insp", "--consignment", "c-1",
                    "--decisions", json.dumps(got["decisions"]))
        self.assertEqual(same, got)

    def test_quantity_lines(self):
        for type_, extra, key in (
                ("consignment.enter", ["--transfer", "t", "--crossing", "k", "--to", "o"],
                 "quantity"),
                ("custody.transfer", ["--transfer", "t", "--to", "o"], "quantity"),
                ("custody.accept", [], "received"),
                ("distribution.record", ["--distribution", "d", "--place", "p"], "quantity"),
                ("loss.report", ["--loss", "l", "--cause", "looted", "--from", "held"],
                 "quantity")):
            with self.subTest(type=type_):
                args = ["--transfer", "t"] if type_ == "custody.accept" else ["--consignment", "c"]
                got = body(type_, "--org", "o", *args, *extra, "--line", "1:40",
                           "--line", "3:7")
                self.assertEqual(got["lines"], [{"line": 1, key: 40}, {"line": 3, key: 7}])

    def test_org_admit_keys_and_roles(self):
        a, b = ct.Key(), ct.Key()
        got = body("org.admit", "--org", "cell", "--body-org", "relief-b", "--name", "Relief B",
                   "--roles", "humanitarian", "--roles", "transporter,monitor",
                   "--public-key", a.pub_b64, "--public-key", b.pub_b64)
        self.assertEqual(got, {"org": "relief-b", "name": "Relief B",
                               "roles": ["humanitarian", "transporter", "monitor"],
                               "keys": [{"public_key": a.pub_b64}, {"public_key": b.pub_b64}]})
        same = body("org.admit", "--org", "cell", "--body-org", "relief-b", "--name", "Relief B",
                    "--roles", "humanitarian,transporter,monitor", "--keys",
                    json.dumps(got["keys"]))
        self.assertEqual(same, got)


class BadValues(unittest.TestCase):
    """Each refused with exit status 2, a sentence on stderr, and nothing
    written to the outbox."""

    CASES = [
        (["consignment.declare", "--consignment", "c", "--crossing", "k", "--lines", "400"],
         ["--lines: \"400\" is not a JSON list of objects",
          "--line LINE:QUANTITY:ITEM:CATEGORY:UNIT[:WEIGHT_KG]"]),
        (["consignment.declare", "--consignment", "c", "--crossing", "k", "--line", "400"],
         ["is not LINE:QUANTITY:ITEM:CATEGORY:UNIT[:WEIGHT_KG]", "5 to 6 are expected"]),
        (["consignment.declare", "--consignment", "c", "--crossing", "k",
          "--line", "1:forty:flour:food:bag"], ["QUANTITY \"forty\" is not a whole number"]),
        (["consignment.declare", "--consignment", "c", "--crossing", "k",
          "--line", "1:40:flour:grain:bag"],
         ["CATEGORY \"grain\" is not one of: " + " ".join(CATEGORIES)]),
        (["consignment.declare", "--consignment", "c", "--crossing", "k",
          "--line", "1:40:flour:food:sack"], ["UNIT \"sack\" is not one of: " + " ".join(UNITS)]),
        (["consignment.declare", "--consignment", "c", "--crossing", "k",
          "--line", "1:40:flour:food:bag:1:2"], ["7 parts where 5 to 6 are expected"]),
        (["consignment.declare", "--consignment", "c", "--crossing", "k",
          "--line", "1:40:flour:food:bag", "--lines", "[]"], ["not both"]),
        (["consignment.screen", "--consignment", "c", "--decision", "2:300:broken"],
         ["REASON \"broken\" is not one of: " + " ".join(REASONS)]),
        (["consignment.screen", "--consignment", "c", "--decision", "2:approve"],
         ["APPROVED \"approve\" is not a whole number"]),
        (["custody.accept", "--transfer", "t", "--line", "1:2:3"],
         ["is not LINE:RECEIVED (3 parts where 2 are expected)"]),
        (["org.admit", "--body-org", "x", "--name", "X", "--roles", "hero", "--public-key",
          ct.Key().pub_b64], ["--roles: \"hero\" is not one of: " + ROLES]),
        (["org.admit", "--body-org", "x", "--name", "X", "--roles", "monitor", "--public-key",
          "xyz"], ["--public-key: \"xyz\" is not the base64 of an Ed25519 public key"]),
        (["site.notify", "--site", "s", "--kind", "castle", "--name", "X", "--lat", "1",
          "--lon", "2", "--from", "now"], ["--kind: \"castle\" is not one of: hospital"]),
        (["site.notify", "--site", "s", "--kind", "clinic", "--name", "X", "--lat", "north",
          "--lon", "2", "--from", "now"], ["--lat: \"north\" is not a latitude"]),
        (["site.notify", "--site", "s", "--kind", "clinic", "--name", "X", "--lat", "1",
          "--lon", "2", "--from", "tomorrow"], ["--from: \"tomorrow\" is not a time: RFC 3339"]),
        (["site.notify", "--site", "s", "--kind", "clinic", "--name", "X", "--lat", "1",
          "--lat", "2", "--lon", "2", "--from", "now"], ["--lat is given twice"]),
        (["movement.request", "--movement", "m", "--purpose", "p", "--route", "31.5;34.4",
          "--window-start", "now+50h", "--window-end", "now+58h", "--vehicles", "8"],
         ["--route: \"31.5;34.4\" is not points as \"lat,lon;lat,lon\""]),
        (["movement.request", "--movement", "m", "--purpose", "p", "--route",
          "31.5,34.4;31.6,34.5", "--window-start", "now+50h", "--window-end", "now+58h",
          "--vehicles", "eight"], ["--vehicles: \"eight\" is not a whole number"]),
        (["consignment.declare", "--consignment", "c", "--crossing", "k", "--decision", "1:2"],
         ["consignment.declare has no field \"decision\""]),
    ]

    def test_bad_values(self):
        tmp = tempfile.mkdtemp(prefix="cmcc-bb-new-")
        self.addCleanup(shutil.rmtree, tmp, True)
        key = ct.write_pem(ct.Key(), os.path.join(tmp, "k.pem"))
        out = os.path.join(tmp, "outbox.ndjson")
        for args, says in self.CASES:
            with self.subTest(args=args):
                r = ct.run("new", args[0], "--org", "o", "--key", key, "--out", out, *args[1:])
                self.assertEqual(r.returncode, 2, r.stderr)
                self.assertTrue(r.stderr.startswith("cmcc new: "), r.stderr)
                for s in says:
                    self.assertIn(s, r.stderr)
                self.assertFalse(os.path.exists(out))

    def test_a_rule_of_the_body_is_status_1(self):
        """A body every option of which is well formed but that the schema
        refuses (line 0) is status 1, naming the body's field."""
        r = ct.run("new", "custody.accept", "--org", "o", "--transfer", "t", "--line", "0:1")
        self.assertEqual(r.returncode, 1, r.stderr)
        self.assertIn("body.lines[0].line", r.stderr)


class Submitted(ct.LogTestCase):
    """The plain forms, signed offline and submitted, as the server sees them."""

    def test_admit_declare_screen(self):
        L = self.log
        tmp = tempfile.mkdtemp(prefix="cmcc-bb-new-")
        self.addCleanup(shutil.rmtree, tmp, True)
        coord = os.path.join(L.dir, "coordinator.pem")
        relief, insp = ct.Key(), ct.Key()
        rpem = ct.write_pem(relief, os.path.join(tmp, "relief.pem"))
        ipem = ct.write_pem(insp, os.path.join(tmp, "insp.pem"))
        out = os.path.join(tmp, "outbox.ndjson")
        cid = ct.new_id("c")
        steps = [
            ["org.admit", "--org", "cell", "--key", coord, "--body-org", "relief-n",
             "--name", "Relief N", "--roles", "humanitarian", "--public-key", relief.pub_b64],
            ["org.admit", "--org", "cell", "--key", coord, "--body-org", "insp-n",
             "--name", "Crossing N", "--roles", "inspector", "--public-key", insp.pub_b64],
            ["place.define", "--org", "cell", "--key", coord, "--place", "ks-n", "--kind",
             "crossing", "--name", "Crossing N", "--lat", "31.22", "--lon", "34.27"],
            ["consignment.declare", "--org", "relief-n", "--key", rpem, "--consignment", cid,
             "--crossing", "ks-n", "--line", "1:400:wheat flour:food:bag",
             "--line", "2:20:hygiene kit:wash:kit:2.5"],
            ["consignment.screen", "--org", "insp-n", "--key", ipem, "--consignment", cid,
             "--decision", "1:approve:400", "--decision", "2:15:damaged"],
        ]
        for s in steps:
            r = ct.run("new", s[0], *s[1:], "--out", out)
            self.assertEqual(r.returncode, 0, r.stderr)
        size = L.size()
        r = ct.run("submit", "--server", L.url, "--token", L.token, out)
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertIn("5 appended", r.stderr)
        self.assertEqual(L.size(), size + 5)
        orgs = L.orgs()
        self.assertEqual(orgs["relief-n"]["roles"], ["humanitarian"])
        self.assertEqual([k["keyid"] for k in orgs["insp-n"]["keys"]], [insp.keyid])
        c = L.consignment(cid)
        self.assertEqual([(x["line"], x["item"], x["category"], x["unit"], x["declared"],
                           x["approved"]) for x in c["lines"]],
                         [(1, "wheat flour", "food", "bag", 400, 400),
                          (2, "hygiene kit", "wash", "kit", 20, 15)])


if __name__ == "__main__":
    unittest.main(verbosity=2)
