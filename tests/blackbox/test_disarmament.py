#!/usr/bin/python3
"""Disarmament verification (docs/protocol.md 3 "Disarmament verification") over
HTTP.

  DisarmamentCases  every case of cases/disarmament.json, one refused event
                    each, against one Fixture (below): status, code and
                    field; the log does not grow; GET /v1/weapons,
                    /v1/benchmarks, /v1/requirements, /v1/pledges and
                    /v1/stats (but as_of) are unchanged; a fresh id a case
                    introduces names nothing afterwards.
  RecordLife        the record status machine step by step: registered ->
                    (handover confirmed by another org) verified -> destroyed
                    -> (destruction confirmed by another org) decommissioned,
                    discrepancies holding the record at its status and
                    showing until a later confirmation, at both stages; the
                    same org attesting its own record refused whatever its
                    roles and key; current_place following moves; recycled
                    serials (category, make, serial) and what is not one.
  Register          a register of ten records at every status, with moves and
                    discrepancies, checked against a model: every ?status=,
                    ?category=, ?place= filter and combinations, bad filter
                    values; /v1/stats "disarmament"; benchmark progress and
                    overdue flags; `cmcc report disarmament` (DIR and --server
                    agree as JSON; text flags overdue benchmarks; CSV parses
                    and matches).
  BenchmarkProgress progress step by step: decommissioned quantity in the
                    benchmark's categories / target, capped at 1, counting
                    only decommissioned records of those categories (lots by
                    their quantity); overdue while due is past and the target
                    not reached; assessments listed.
"""
import json
import os
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import cmcctest as ct  # noqa: E402
import forcetest as ft  # noqa: E402

CATEGORIES = ["small_arm", "light_weapon", "heavy_weapon", "ammunition", "explosive", "rocket",
              "launcher", "uav", "other"]
STATUSES = ["registered", "verified", "destroyed", "decommissioned"]
PLACES = (("cp1", "collection_point"), ("cp2", "collection_point"), ("dep1", "depot"),
          ("dep2", "depot"), ("wh1", "warehouse"), ("x1", "crossing"),
          ("dp1", "distribution_point"), ("range1", "other"))


class Fixture:
    """The state cases/disarmament.json refers to, built once on one log.

    Orgs: cell (coordinator); ver-a, ver-b, ver-c (verifier); mon (monitor);
    nat (contributor); hum (humanitarian); mil (military); multi-vc
    (verifier and coordinator); multi-vm (verifier and monitor).
    Places: collection points cp1, cp2; depots dep1, dep2; warehouse wh1;
    crossing x1; distribution point dp1; range1 (other).
    Records (handed over by ver-a unless said):
      w-reg     small_arm AK/AKM serial S-100 at cp1 (event id ev-w-reg): registered
      w-disc    small_arm AK serial S-101 at cp1; ver-b: handover discrepancy
      w-ver     light_weapon RPG serial L-1 at cp1; ver-b confirmed: verified
      w-des     heavy_weapon DShK serial H-1 at dep1; confirmed; destroyed
      w-dec     explosive lot E-1 x20 at dep1; confirmed (ver-c), destroyed,
                destruction confirmed (ver-b): decommissioned
      w-vc      by multi-vc: small_arm x3 at cp1
      w-vm      by multi-vm: rocket x2 at cp1
      w-nomake  by ver-b: small_arm serial N-1, no make, at cp2
    Benchmark b1 (event id ev-b1): small_arm and light_weapon, target 10.
    """

    ORGS = (("ver-a", ["verifier"]), ("ver-b", ["verifier"]), ("ver-c", ["verifier"]),
            ("mon", ["monitor"]), ("nat", ["contributor"]), ("hum", ["humanitarian"]),
            ("mil", ["military"]), ("multi-vc", ["verifier", "coordinator"]),
            ("multi-vm", ["verifier", "monitor"]))

    def __init__(self, log):
        L = self.log = log
        self.keys = {"cell": L.coord}
        for org, roles in self.ORGS:
            self.keys[org] = L.admit(org, roles)[0]
        self.org_of = {k: k for k in self.keys}
        for p, kind in PLACES:
            L.define_place(p, kind)
        k = self.keys
        H, A = ft.handover_body, ft.attest_body
        L.ok(k["ver-a"], "weapon.handover",
             H("w-reg", make="AK", model="AKM", serial="S-100"), id_="ev-w-reg")
        L.ok(k["ver-a"], "weapon.handover", H("w-disc", make="AK", serial="S-101"))
        L.ok(k["ver-b"], "weapon.attest", A("w-disc", result="discrepancy", note="serial filed"))
        L.ok(k["ver-a"], "weapon.handover", H("w-ver", "light_weapon", make="RPG", serial="L-1"))
        L.ok(k["ver-b"], "weapon.attest", A("w-ver"))
        L.ok(k["ver-a"], "weapon.handover",
             H("w-des", "heavy_weapon", place="dep1", make="DShK", serial="H-1"))
        L.ok(k["ver-b"], "weapon.attest", A("w-des"))
        L.ok(k["ver-a"], "weapon.destroy", ft.destroy_body("w-des"))
        L.ok(k["ver-a"], "weapon.handover", H("w-dec", "explosive", 20, "dep1", lot="E-1"))
        L.ok(k["ver-c"], "weapon.attest", A("w-dec"))
        L.ok(k["ver-a"], "weapon.destroy", ft.destroy_body("w-dec", "detonation"))
        L.ok(k["ver-b"], "weapon.attest", A("w-dec", "destruction"))
        L.ok(k["multi-vc"], "weapon.handover", H("w-vc", quantity=3))
        L.ok(k["multi-vm"], "weapon.handover", H("w-vm", "rocket", 2))
        L.ok(k["ver-b"], "weapon.handover", H("w-nomake", place="cp2", serial="N-1"))
        L.ok(k["cell"], "benchmark.define",
             ft.benchmark_body("b1", ["small_arm", "light_weapon"], 10), id_="ev-b1")


class DisarmamentCases(ft.CaseMixin, ct.LogTestCase):
    """Every case of cases/disarmament.json against one Fixture."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.fx = Fixture(cls.log)

    def test_fixture(self):
        ws = ft.weapons(self.log)
        self.assertEqual({w: (x["org"], x["status"], x["discrepancy"]) for w, x in ws.items()},
                         {"w-reg": ("ver-a", "registered", False),
                          "w-disc": ("ver-a", "registered", True),
                          "w-ver": ("ver-a", "verified", False),
                          "w-des": ("ver-a", "destroyed", False),
                          "w-dec": ("ver-a", "decommissioned", False),
                          "w-vc": ("multi-vc", "registered", False),
                          "w-vm": ("multi-vm", "registered", False),
                          "w-nomake": ("ver-b", "registered", False)})
        self.assertEqual(ft.benchmarks(self.log)["b1"]["decommissioned"], 0)


ct.add_case_tests(DisarmamentCases,
                  ct.load_case_file("disarmament.json", "test_disarmament.py")["cases"],
                  "disarmament")


class RecordLife(ft.FlowMixin, ct.LogTestCase):
    """Records through their life on one log."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        L = cls.log
        cls.k = {"cell": L.coord}
        for org in ("ver-a", "ver-b", "ver-c"):
            cls.k[org] = L.admit(org, ["verifier"])[0]
        cls.k["mon"] = L.admit("mon", ["monitor"])[0]
        for p, kind in PLACES:
            L.define_place(p, kind)

    def record(self, rid):
        return ft.weapons(self.log)[rid]

    def assertState(self, rid, status, discrepancy, n_attestations=None):
        w = self.record(rid)
        self.assertEqual((w["status"], w["discrepancy"]), (status, discrepancy), w)
        if n_attestations is not None:
            self.assertEqual(len(w["attestations"]), n_attestations, w)
        # the status filter finds it under its status and no other
        for st in STATUSES:
            found = rid in ft.weapons(self.log, "status=" + st)
            self.assertEqual(found, st == status, (rid, st))
        return w

    def test_status_machine_with_discrepancies(self):
        rid = ct.new_id("w")
        self.ok("ver-a", "weapon.handover",
                ft.handover_body(rid, make="Zastava", model="M70", calibre="7.62x39",
                                 serial=ct.new_id("s")))
        w = self.assertState(rid, "registered", False, 0)
        self.assertEqual((w["org"], w["current_place"], w["destruction"]),
                         ("ver-a", "cp1", None))
        # a handover discrepancy holds it at registered, and destruction is refused
        self.ok("ver-b", "weapon.attest", ft.attest_body(rid, result="discrepancy",
                                                         note="calibre differs"))
        self.assertState(rid, "registered", True, 1)
        self.refused("ver-a", "weapon.destroy", ft.destroy_body(rid), 409, "rule_violation",
                     "body.record")
        self.ok("ver-c", "weapon.attest", ft.attest_body(rid, result="discrepancy"))
        self.assertState(rid, "registered", True, 2)
        # a later confirmation by another org: verified, no open discrepancy
        self.ok("ver-b", "weapon.attest", ft.attest_body(rid, note="calibre checked again"))
        w = self.assertState(rid, "verified", False, 3)
        self.assertEqual([(a["org"], a["stage"], a["result"], a.get("note"))
                          for a in w["attestations"]],
                         [("ver-b", "handover", "discrepancy", "calibre differs"),
                          ("ver-c", "handover", "discrepancy", None),
                          ("ver-b", "handover", "confirmed", "calibre checked again")])
        for a in w["attestations"]:
            self.assertRegex(a["time"], r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$")
        self.refused("ver-b", "weapon.attest", ft.attest_body(rid, "destruction"),
                     409, "rule_violation", "body.stage")
        # destroyed, by a verifier of another org than the record's
        self.ok("ver-b", "weapon.destroy", ft.destroy_body(rid, "crushing", "range1"))
        w = self.assertState(rid, "destroyed", False, 3)
        d = w["destruction"]
        self.assertEqual((d["method"], d["place"], d["org"]), ("crushing", "range1", "ver-b"))
        self.assertEqual(w["current_place"], "cp1")
        self.refused("ver-a", "weapon.move", ft.move_body(rid, "dep1"), 409, "rule_violation",
                     "body.record")
        self.refused("ver-a", "weapon.destroy", ft.destroy_body(rid), 409, "rule_violation",
                     "body.record")
        # a destruction discrepancy holds it at destroyed
        self.ok("ver-c", "weapon.attest", ft.attest_body(rid, "destruction", "discrepancy",
                                                         note="barrel intact"))
        self.assertState(rid, "destroyed", True, 4)
        self.ok("ver-c", "weapon.attest", ft.attest_body(rid, "destruction", "confirmed"))
        w = self.assertState(rid, "decommissioned", False, 5)
        # later confirmations move it nowhere
        self.ok("ver-b", "weapon.attest", ft.attest_body(rid, "destruction"))
        self.ok("ver-b", "weapon.attest", ft.attest_body(rid, "handover"))
        self.assertState(rid, "decommissioned", False, 7)
        self.refused("ver-a", "weapon.move", ft.move_body(rid, "dep1"), 409, "rule_violation",
                     "body.record")

    def test_discrepancy_then_confirmation_by_the_same_attester(self):
        rid = ct.new_id("w")
        self.ok("ver-a", "weapon.handover", ft.handover_body(rid, "ammunition", 250, lot="L7"))
        self.ok("ver-b", "weapon.attest", ft.attest_body(rid, result="discrepancy",
                                                         note="240 counted"))
        self.assertState(rid, "registered", True)
        self.ok("ver-b", "weapon.attest", ft.attest_body(rid, note="recounted: 250"))
        self.assertState(rid, "verified", False)
        self.ok("ver-a", "weapon.destroy", ft.destroy_body(rid, "burning"))
        self.ok("ver-b", "weapon.attest", ft.attest_body(rid, "destruction", "discrepancy"))
        self.assertState(rid, "destroyed", True)
        self.ok("ver-b", "weapon.attest", ft.attest_body(rid, "destruction"))
        self.assertState(rid, "decommissioned", False)

    def test_own_record_never_attested_by_its_org(self):
        """An org may not attest its own record, whatever other roles it has
        and whichever of its keys signs; the record does not move."""
        L = self.log
        for extra in ([], ["coordinator"], ["monitor"], ["contributor"],
                      ["coordinator", "monitor"], ["humanitarian", "military"]):
            org = ct.new_id("v")
            self.k[org] = L.admit(org, ["verifier"] + extra)[0]
            second = L.add_key(org)
            rid = ct.new_id("w")
            self.ok(org, "weapon.handover", ft.handover_body(rid, "launcher"))
            for key in (self.k[org], second):
                for result in ("confirmed", "discrepancy"):
                    before = ft.snapshot(L)
                    r, _ = L.submit(key, "weapon.attest", ft.attest_body(rid, result=result),
                                    org=org)
                    self.assertError(r, 403, "forbidden", "org")
                    self.assertEqual(ft.snapshot(L), before)
            self.assertState(rid, "registered", False, 0)
            # and at the destruction stage
            self.ok("ver-a", "weapon.attest", ft.attest_body(rid))
            self.ok(org, "weapon.destroy", ft.destroy_body(rid))
            self.refused(org, "weapon.attest", ft.attest_body(rid, "destruction"),
                         403, "forbidden", "org")
            self.assertState(rid, "destroyed", False, 1)

    def test_current_place_follows_moves(self):
        rid = ct.new_id("w")
        self.ok("ver-a", "weapon.handover", ft.handover_body(rid, "uav", place="cp2"))
        self.assertEqual(self.record(rid)["current_place"], "cp2")
        self.ok("ver-b", "weapon.move", ft.move_body(rid, "dep1"))  # any verifier may move it
        w = self.record(rid)
        self.assertEqual((w["place"], w["current_place"], w["status"]), ("cp2", "dep1",
                                                                         "registered"))
        self.assertIn(rid, ft.weapons(self.log, "place=dep1"))
        self.assertNotIn(rid, ft.weapons(self.log, "place=cp2"))
        self.ok("ver-c", "weapon.attest", ft.attest_body(rid))
        self.ok("ver-a", "weapon.move", ft.move_body(rid, "dep2"))
        self.ok("ver-a", "weapon.move", ft.move_body(rid, "dep2"))  # where it is: allowed
        self.assertEqual(self.record(rid)["current_place"], "dep2")
        self.assertIn(rid, ft.weapons(self.log, "place=dep2"))
        self.assertNotIn(rid, ft.weapons(self.log, "place=dep1"))
        self.refused("ver-a", "weapon.move", ft.move_body(rid, "cp1"), 409, "rule_violation",
                     "body.to_place")
        self.ok("ver-a", "weapon.destroy", ft.destroy_body(rid, "other", "range1"))
        w = self.record(rid)
        self.assertEqual((w["current_place"], w["destruction"]["place"]), ("dep2", "range1"))
        self.refused("ver-a", "weapon.move", ft.move_body(rid, "dep1"), 409, "rule_violation",
                     "body.record")

    def test_recycled_serials(self):
        """(category, make, serial) identifies a weapon: the same serial under
        another category or make, or without a make, is another weapon."""
        serial = ct.new_id("SN")
        H = ft.handover_body
        self.ok("ver-a", "weapon.handover", H(ct.new_id("w"), "small_arm", make="AK",
                                              serial=serial))
        self.ok("ver-a", "weapon.handover", H(ct.new_id("w"), "light_weapon", make="AK",
                                              serial=serial))
        self.ok("ver-a", "weapon.handover", H(ct.new_id("w"), "small_arm", make="Zastava",
                                              serial=serial))
        self.ok("ver-b", "weapon.handover", H(ct.new_id("w"), "small_arm", serial=serial))
        for org, body in (("ver-a", H(ct.new_id("w"), "small_arm", make="AK", serial=serial)),
                          ("ver-c", H(ct.new_id("w"), "small_arm", make="AK", serial=serial,
                                      place="dep2", model="AKMS")),
                          ("ver-b", H(ct.new_id("w"), "small_arm", serial=serial)),
                          ("ver-a", H(ct.new_id("w"), "light_weapon", make="AK",
                                      serial=serial))):
            r = self.refused(org, "weapon.handover", body, 409, "conflict", "body.serial")
            self.assertIn(serial, r.json["error"]["message"])
        # a lot (no serial) may repeat anything
        for _ in range(2):
            self.ok("ver-a", "weapon.handover", H(ct.new_id("w"), "small_arm", 40, make="AK",
                                                  lot=serial))

    def test_batch_judged_in_order(self):
        """In one NDJSON batch each line is judged against the state the
        lines before it left: a recycled serial, a second destruction and a
        destruction attestation follow the lines that make them so."""
        L = self.log
        rid, other, serial = ct.new_id("w"), ct.new_id("w"), ct.new_id("SN")

        def line(org, type_, body):
            return ct.signed(self.k[org], ct.event(type_, body, org))
        lines = [line("ver-a", "weapon.handover", ft.handover_body(rid, make="AK",
                                                                   serial=serial)),
                 line("ver-a", "weapon.handover", ft.handover_body(other, make="AK",
                                                                   serial=serial)),
                 line("ver-b", "weapon.destroy", ft.destroy_body(rid)),
                 line("ver-b", "weapon.attest", ft.attest_body(rid)),
                 line("ver-b", "weapon.destroy", ft.destroy_body(rid)),
                 line("ver-b", "weapon.destroy", ft.destroy_body(rid)),
                 line("ver-a", "weapon.attest", ft.attest_body(rid, "destruction")),
                 line("ver-c", "weapon.attest", ft.attest_body(rid, "destruction"))]
        size = L.size()
        r = L.batch(lines)
        self.assertEqual(r.status, 200, r)
        res = r.json["results"]
        codes = [x["error"]["code"] if "error" in x else "ok" for x in res]
        self.assertEqual(codes, ["ok", "conflict", "rule_violation", "ok", "ok",
                                 "rule_violation", "forbidden", "ok"])
        self.assertEqual([x["index"] for x in res if "index" in x],
                         list(range(size, size + 4)))
        self.assertEqual(L.size(), size + 4)
        self.assertState(rid, "decommissioned", False, 2)
        self.assertNotIn(other, ft.weapons(L))

    def test_optional_fields_null(self):
        """docs/protocol.md, HTTP: in lists, optional fields never given are
        null (make, model, calibre, serial, lot of a record)."""
        rid = ct.new_id("w")
        self.ok("ver-a", "weapon.handover", ft.handover_body(rid, "other", 7))
        w = self.record(rid)
        for f in ("make", "model", "calibre", "serial", "lot"):
            self.assertIn(f, w, f)
            self.assertIsNone(w[f], f)

    def test_bad_reads(self):
        L = self.log
        for p in ("/v1/weapons", "/v1/benchmarks"):
            self.assertEqual(L.get(p, token=None).status, 401, p)
            self.assertEqual(L.request("POST", p, b"{}", "application/json").status, 405, p)


class Register(ft.FlowMixin, ct.LogTestCase):
    """A register at every status, its filters, stats and reports.

      rec  category      qty serial place  then                         status          discrepancy
      r1   small_arm      1  S1    cp1    -                             registered      no
      r2   small_arm      1  S2    cp2    handover discrepancy          registered      yes
      r3   small_arm      5  -     cp1    -> dep1, confirmed            verified        no
      r4   light_weapon   1  S4    dep1   confirmed, -> dep2            verified        no
      r5   light_weapon   2  -     cp2    confirmed, destroyed          destroyed       no
      r6   heavy_weapon   1  S6    dep2   confirmed, destroyed, destruction discrepancy
                                                                        destroyed       yes
      r7   ammunition  1000  -     cp1    -> dep1, confirmed, destroyed, confirmed
                                                                        decommissioned  no
      r8   explosive     30  -     dep2   confirmed, destroyed, confirmed decommissioned  no
      r9   small_arm      1  S9    cp1    confirmed, -> dep2, destroyed, confirmed
                                                                        decommissioned  no
      r10  uav            1  S10   cp2    discrepancy, then confirmed   verified        no

    Benchmarks: bm-late (small_arm, target 10, due 3 days ago): 1 -> 0.1,
    overdue; bm-done (ammunition + explosive, target 1000, due 3 days ago):
    1030 -> 1 (capped), not overdue; bm-future (heavy_weapon, target 5, due
    in 30 days): 0, not overdue.
    """

    MODEL = {  # record: (category, quantity, status, current_place, discrepancy)
        "r1": ("small_arm", 1, "registered", "cp1", False),
        "r2": ("small_arm", 1, "registered", "cp2", True),
        "r3": ("small_arm", 5, "verified", "dep1", False),
        "r4": ("light_weapon", 1, "verified", "dep2", False),
        "r5": ("light_weapon", 2, "destroyed", "cp2", False),
        "r6": ("heavy_weapon", 1, "destroyed", "dep2", True),
        "r7": ("ammunition", 1000, "decommissioned", "dep1", False),
        "r8": ("explosive", 30, "decommissioned", "dep2", False),
        "r9": ("small_arm", 1, "decommissioned", "dep2", False),
        "r10": ("uav", 1, "verified", "cp2", False),
    }

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        L = cls.log
        k = cls.k = {"cell": L.coord}
        for org in ("ver-a", "ver-b"):
            k[org] = L.admit(org, ["verifier"])[0]
        k["mon"] = L.admit("mon", ["monitor"])[0]
        for p, kind in PLACES:
            L.define_place(p, kind)
        H, A, M, D = ft.handover_body, ft.attest_body, ft.move_body, ft.destroy_body
        steps = [
            ("ver-a", "weapon.handover", H("r1", serial="S1")),
            ("ver-a", "weapon.handover", H("r2", place="cp2", serial="S2")),
            ("ver-b", "weapon.attest", A("r2", result="discrepancy")),
            ("ver-a", "weapon.handover", H("r3", quantity=5)),
            ("ver-a", "weapon.move", M("r3", "dep1")),
            ("ver-b", "weapon.attest", A("r3")),
            ("ver-a", "weapon.handover", H("r4", "light_weapon", place="dep1", serial="S4")),
            ("ver-b", "weapon.attest", A("r4")),
            ("ver-b", "weapon.move", M("r4", "dep2")),
            ("ver-a", "weapon.handover", H("r5", "light_weapon", 2, "cp2")),
            ("ver-b", "weapon.attest", A("r5")),
            ("ver-a", "weapon.destroy", D("r5")),
            ("ver-a", "weapon.handover", H("r6", "heavy_weapon", place="dep2", serial="S6")),
            ("ver-b", "weapon.attest", A("r6")),
            ("ver-a", "weapon.destroy", D("r6", "cutting", "dep2")),
            ("ver-b", "weapon.attest", A("r6", "destruction", "discrepancy")),
            ("ver-a", "weapon.handover", H("r7", "ammunition", 1000, lot="A-77")),
            ("ver-a", "weapon.move", M("r7", "dep1")),
            ("ver-b", "weapon.attest", A("r7")),
            ("ver-a", "weapon.destroy", D("r7", "detonation")),
            ("ver-b", "weapon.attest", A("r7", "destruction")),
            ("ver-b", "weapon.handover", H("r8", "explosive", 30, "dep2")),
            ("ver-a", "weapon.attest", A("r8")),
            ("ver-a", "weapon.destroy", D("r8", "detonation")),
            ("ver-a", "weapon.attest", A("r8", "destruction")),
            ("ver-a", "weapon.handover", H("r9", serial="S9")),
            ("ver-b", "weapon.attest", A("r9")),
            ("ver-b", "weapon.move", M("r9", "dep2")),
            ("ver-a", "weapon.destroy", D("r9", "crushing", "dep2")),
            ("ver-b", "weapon.attest", A("r9", "destruction")),
            ("ver-a", "weapon.handover", H("r10", "uav", place="cp2", serial="S10")),
            ("ver-b", "weapon.attest", A("r10", result="discrepancy")),
            ("ver-b", "weapon.attest", A("r10")),
            ("cell", "benchmark.define",
             ft.benchmark_body("bm-late", ["small_arm"], 10, ct.hours(-72))),
            ("cell", "benchmark.define",
             ft.benchmark_body("bm-done", ["ammunition", "explosive"], 1000,
                               ct.hours(-72))),
            ("cell", "benchmark.define",
             ft.benchmark_body("bm-future", ["heavy_weapon"], 5, ct.hours(720))),
        ]
        for org, type_, body in steps:
            L.ok(k[org], type_, body)

    def expect(self, status=None, category=None, place=None):
        return sorted((r for r, (c, q, s, p, d) in self.MODEL.items()
                       if (status is None or s == status) and
                       (category is None or c == category) and (place is None or p == place)),
                      key=lambda r: int(r[1:]))

    def test_register(self):
        ws = ft.weapons(self.log)
        self.assertEqual(list(ws), self.expect())
        for r, (c, q, s, p, d) in self.MODEL.items():
            w = ws[r]
            self.assertEqual((w["category"], w["quantity"], w["status"], w["current_place"],
                              w["discrepancy"]), (c, q, s, p, d), r)
            self.assertEqual(w["destruction"] is not None, s in ("destroyed", "decommissioned"),
                             r)

    def test_filters(self):
        L = self.log
        for st in STATUSES:
            self.assertEqual(list(ft.weapons(L, "status=" + st)), self.expect(status=st), st)
        for c in CATEGORIES:
            self.assertEqual(list(ft.weapons(L, "category=" + c)), self.expect(category=c), c)
        for p, _ in PLACES:
            self.assertEqual(list(ft.weapons(L, "place=" + p)), self.expect(place=p), p)
        self.assertEqual(ft.weapons(L, "place=nowhere"), {})
        for q, kw in (("status=verified&category=small_arm",
                       {"status": "verified", "category": "small_arm"}),
                      ("status=destroyed&place=dep2", {"status": "destroyed", "place": "dep2"}),
                      ("category=small_arm&place=dep2", {"category": "small_arm",
                                                         "place": "dep2"}),
                      ("status=decommissioned&category=small_arm&place=dep2",
                       {"status": "decommissioned", "category": "small_arm", "place": "dep2"}),
                      ("status=registered&category=uav", {"status": "registered",
                                                          "category": "uav"})):
            self.assertEqual(list(ft.weapons(L, q)), self.expect(**kw), q)

    def test_bad_filters(self):
        L = self.log
        for q, field in (("status=lost", "status"), ("status=", "status"),
                         ("status=Verified", "status"), ("category=tank", "category"),
                         ("place=no%20place", "place"), ("place=", "place")):
            r = L.get("/v1/weapons?" + q)
            self.assertError(r, 400, "bad_request", field)

    def bench(self):
        return ft.benchmarks(self.log)

    def test_benchmarks(self):
        bs = self.bench()
        self.assertEqual(list(bs), ["bm-late", "bm-done", "bm-future"])
        got = {b: (x["decommissioned"], x["progress"], x["overdue"]) for b, x in bs.items()}
        self.assertEqual(got, {"bm-late": (1, 0.1, True), "bm-done": (1030, 1.0, False),
                               "bm-future": (0, 0.0, False)})

    def test_stats(self):
        d = ft.stats(self.log)["disarmament"]
        self.assertEqual({k: d[k] for k in ("records", "by_status", "decommissioned_quantity")},
                         {"records": 10,
                          "by_status": {"registered": 2, "verified": 3, "destroyed": 2,
                                        "decommissioned": 3},
                          "decommissioned_quantity": 1031})
        bs = self.bench()
        self.assertEqual(d["benchmarks"],
                         [{"benchmark": b, "progress": x["progress"], "due": x["due"],
                           "overdue": x["overdue"]} for b, x in bs.items()])

    def test_report_json_dir_and_server_agree(self):
        L = self.log
        a = json.loads(ft.report(L, "disarmament", "json", "dir"))
        b = json.loads(ft.report(L, "disarmament", "json", "server"))
        self.assertEqual(a, b)
        self.assertEqual({w["record"]: w for w in a["weapons"]}, ft.weapons(L))
        self.assertEqual({x["benchmark"]: x for x in a["benchmarks"]}, self.bench())

    def by_category(self):
        out = {}
        for c, q, s, p, d in self.MODEL.values():
            row = out.setdefault(c, dict.fromkeys(STATUSES + ["discrepancies"], 0))
            row[s] += q
            row["discrepancies"] += d
        return out

    def test_report_text(self):
        """Quantities by category and status, open discrepancies, and the
        overdue benchmark flagged (and only it)."""
        L = self.log
        want = self.by_category()
        for source in ("dir", "server"):
            text = ft.report(L, "disarmament", "text", source)
            self.assertNotIn("\033[", text)
            seen = {}
            for line in text.splitlines():
                w = line.split()
                if w and w[0] in want:
                    seen[w[0]] = [int(x) for x in w[1:6]]
                if w and w[0].startswith("bm-"):
                    self.assertEqual("OVERDUE" in line, w[0] == "bm-late", line)
                    seen[w[0]] = line
            for c, row in want.items():
                self.assertEqual(seen[c], [row[s] for s in STATUSES] + [row["discrepancies"]], c)
            self.assertEqual(sorted(k for k in seen if k.startswith("bm-")),
                             ["bm-done", "bm-future", "bm-late"])
            self.assertIn("OVERDUE", text)

    def test_report_csv(self):
        L = self.log
        want = self.by_category()
        bs = self.bench()
        for source in ("dir", "server"):
            out = ft.report(L, "disarmament", "csv", source)
            header, hxl, records = ct.csv_long(out)
            self.assertEqual(dict(zip(header, hxl)), {
                "table": "#meta+type", "name": "#meta+name", "due": "#date",
                "state": "#status", "figure": "#indicator+code", "value": "#indicator+num"})
            cats = {k["name"]: f for k, f, _ in records if k["table"] == "category"}
            self.assertEqual(sorted(cats), sorted(want))
            for c, row in want.items():
                self.assertEqual(cats[c], {k: str(v) for k, v in row.items()}, c)
            bms = {k["name"]: (k, f) for k, f, _ in records if k["table"] == "benchmark"}
            self.assertEqual(sorted(bms), sorted(bs))
            self.assertEqual(len(bms) + len(cats), len(records))
            for b, x in bs.items():
                k, f = bms[b]
                state = ("met" if x["decommissioned"] >= x["target"] else
                         "overdue" if x["overdue"] else "open")
                self.assertEqual((int(f["decommissioned"]), int(f["target"]),
                                  float(f["progress"]), k["due"], k["state"]),
                                 (x["decommissioned"], x["target"], x["progress"], x["due"],
                                  state), b)
            self.assertEqual({b: bms[b][0]["state"] for b in bms},
                             {"bm-late": "overdue", "bm-done": "met", "bm-future": "open"})

    def test_z_state_rebuilt_from_the_log(self):
        """Last: the same register, benchmarks and stats after `cmcc
        rebuild`."""
        ft.rebuilt_state_is_the_same(self)
        self.test_register()


class BenchmarkProgress(ft.FlowMixin, ct.LogTestCase):
    """Progress step by step on a log of its own."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        L = cls.log
        k = cls.k = {"cell": L.coord}
        for org in ("ver-a", "ver-b"):
            k[org] = L.admit(org, ["verifier"])[0]
        k["mon"] = L.admit("mon", ["monitor"])[0]
        k["vm"] = L.admit("vm", ["verifier", "monitor"])[0]
        for p, kind in PLACES:
            L.define_place(p, kind)

    def handover(self, category, quantity=1, serial=None):
        rid = ct.new_id("w")
        self.ok("ver-a", "weapon.handover",
                ft.handover_body(rid, category, quantity, serial=serial,
                                 lot=None if serial else "lot-" + rid))
        return rid

    def to(self, rid, status):
        """Takes rid from registered to status."""
        path = [("ver-b", "weapon.attest", ft.attest_body(rid)),
                ("ver-a", "weapon.destroy", ft.destroy_body(rid)),
                ("ver-b", "weapon.attest", ft.attest_body(rid, "destruction"))]
        for org, type_, body in path[:STATUSES.index(status)]:
            self.ok(org, type_, body)

    def progress(self, names=("b-arms", "b-small", "b-ammo")):
        """{benchmark: (decommissioned, progress, overdue)} of names (other
        tests of the class define others, on categories of their own)."""
        return {b: (x["decommissioned"], x["progress"], x["overdue"])
                for b, x in ft.benchmarks(self.log).items() if b in names}

    def test_progress_step_by_step(self):
        past, future = ct.hours(-72), ct.hours(720)
        B = ft.benchmark_body
        # defined with a due date already past (captured offline, days old)
        self.ok("cell", "benchmark.define", B("b-arms", ["small_arm", "light_weapon"], 5, past))
        self.ok("cell", "benchmark.define", B("b-small", ["small_arm"], 2, future))
        self.ok("cell", "benchmark.define", B("b-ammo", ["ammunition"], 1000, past))
        self.assertEqual(self.progress(), {"b-arms": (0, 0.0, True), "b-small": (0, 0.0, False),
                                           "b-ammo": (0, 0.0, True)})
        # only decommissioned records of the categories count
        s1 = self.handover("small_arm", serial="S-1")
        self.to(s1, "decommissioned")
        lot3 = self.handover("small_arm", 3)
        self.to(lot3, "destroyed")
        lw2 = self.handover("light_weapon", 2)
        self.to(lw2, "verified")
        rk = self.handover("rocket", 4)
        self.to(rk, "decommissioned")
        self.assertEqual(self.progress(), {"b-arms": (1, 0.2, True), "b-small": (1, 0.5, False),
                                           "b-ammo": (0, 0.0, True)})
        # a destruction discrepancy: not decommissioned, not counted
        self.ok("ver-b", "weapon.attest", ft.attest_body(lot3, "destruction", "discrepancy"))
        self.assertEqual(self.progress()["b-arms"], (1, 0.2, True))
        # a lot counts by its quantity
        lw3 = self.handover("light_weapon", 3)
        self.to(lw3, "decommissioned")
        self.assertEqual(self.progress(), {"b-arms": (4, 0.8, True), "b-small": (1, 0.5, False),
                                           "b-ammo": (0, 0.0, True)})
        # beyond the target: capped at 1, no longer overdue
        am = self.handover("ammunition", 1500)
        self.to(am, "decommissioned")
        self.assertEqual(self.progress()["b-ammo"], (1500, 1.0, False))
        self.ok("ver-b", "weapon.attest", ft.attest_body(lot3, "destruction"))  # confirmed now
        self.assertEqual(self.progress(), {"b-arms": (7, 1.0, False), "b-small": (4, 1.0, False),
                                           "b-ammo": (1500, 1.0, False)})
        d = ft.stats(self.log)["disarmament"]
        self.assertEqual([(x["benchmark"], x["progress"], x["overdue"]) for x in d["benchmarks"]
                          if x["benchmark"] in ("b-arms", "b-small", "b-ammo")],
                         [("b-arms", 1.0, False), ("b-small", 1.0, False),
                          ("b-ammo", 1.0, False)])

    def test_exactly_reached(self):
        """Progress 1 at exactly the target, overdue false though due is past."""
        self.ok("cell", "benchmark.define", ft.benchmark_body("b-uav", ["uav"], 2,
                                                              ct.hours(-1)))
        self.assertEqual(self.progress(["b-uav"])["b-uav"], (0, 0.0, True))
        for _ in range(2):
            self.to(self.handover("uav", serial=ct.new_id("U")), "decommissioned")
        self.assertEqual(self.progress(["b-uav"])["b-uav"], (2, 1.0, False))

    def test_assessments(self):
        """Assessments by a verifier and a monitor (and an org with both
        roles), listed in order with org, note and time."""
        self.ok("cell", "benchmark.define", ft.benchmark_body("b-assessed", ["other"], 1))
        notes = [("ver-a", "collection slow in the north"), ("mon", "independent count agrees"),
                 ("vm", "on track")]
        t0 = time.time()
        for org, note in notes:
            self.ok(org, "benchmark.assess", ft.assess_body("b-assessed", note))
        a = ft.benchmarks(self.log)["b-assessed"]["assessments"]
        self.assertEqual([(x["org"], x["note"]) for x in a], notes)
        for x in a:
            self.assertRegex(x["time"], r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$")
            self.assertLessEqual(abs(_epoch(x["time"]) - t0), 60)


def _epoch(text):
    import calendar
    return calendar.timegm(time.strptime(text, "%Y-%m-%dT%H:%M:%SZ"))


if __name__ == "__main__":
    ct.main()
