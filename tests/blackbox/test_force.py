#!/usr/bin/python3
"""Force generation (docs/protocol.md 3 "Force generation") over HTTP.

  ForceCases   every case of cases/force.json, one refused event each,
               against one Fixture (below): status, code and field; the log
               does not grow; GET /v1/requirements, /v1/pledges, /v1/weapons,
               /v1/benchmarks and /v1/stats (but as_of) are unchanged; a
               fresh id a case introduces names nothing afterwards.
  GapTable     the gap analysis end to end on a table worked out by hand
               (GapTable's docstring): three requirements, thirteen pledges
               with caveats, sector restrictions, readiness levels and
               availability dates, deployments in and out of the
               requirements' sectors, then a withdrawal and an update; every
               figure of every requirement before and after, the reason each
               excluded pledge gives, /v1/pledges (latest deployment,
               withdrawal, the update's body), /v1/stats "force", and
               `cmcc report force` (DIR and --server agree as JSON; text
               names the excluded pledges and their caveats; CSV parses).
  ForceFlows   smaller sequences: idempotent resubmission, an update
               replacing the whole pledge (fields it leaves out become null),
               the latest deployment counting, deployed = pledged and 0,
               an over-covered requirement (gap never below 0), what a
               withdrawal closes, a coordinator that is also a contributor.
"""
import json
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import cmcctest as ct  # noqa: E402
import forcetest as ft  # noqa: E402
from forcetest import NEEDED_BY  # noqa: E402


class Fixture:
    """The state cases/force.json refers to, built once on one log.

    Orgs: cell (coordinator); nat-a, nat-b (contributor); both (coordinator
    and contributor); ver (verifier); mon (monitor); hum (humanitarian); mil
    (military).
    Requirement r1 (event id ev-r1): infantry_company x3, [patrol], north.
    Pledges of infantry_company:
      p-a   nat-a, 2 at level2 (event id ev-p-a); deployed 1 in north
      p-wd  nat-a, 1, withdrawn
      p-b   nat-b, 1 at level1
      p-up  nat-a, offered as 5, updated to 2
      p-both  both, 1
    """

    ORGS = (("nat-a", ["contributor"]), ("nat-b", ["contributor"]),
            ("both", ["coordinator", "contributor"]), ("ver", ["verifier"]),
            ("mon", ["monitor"]), ("hum", ["humanitarian"]), ("mil", ["military"]))

    def __init__(self, log):
        L = self.log = log
        self.keys = {"cell": L.coord}
        for org, roles in self.ORGS:
            self.keys[org] = L.admit(org, roles)[0]
        self.org_of = {k: k for k in self.keys}
        k = self.keys
        L.ok(k["cell"], "requirement.define",
             ft.requirement_body("r1", quantity=3, tasks=["patrol"]), id_="ev-r1")
        L.ok(k["nat-a"], "pledge.offer", ft.pledge_body("p-a", quantity=2), id_="ev-p-a")
        L.ok(k["nat-a"], "pledge.offer", ft.pledge_body("p-wd"))
        L.ok(k["nat-a"], "pledge.withdraw", ft.withdraw_body("p-wd"))
        L.ok(k["nat-b"], "pledge.offer", ft.pledge_body("p-b", readiness="level1"))
        L.ok(k["nat-a"], "pledge.offer", ft.pledge_body("p-up", quantity=5))
        L.ok(k["nat-a"], "pledge.update", ft.pledge_body("p-up", quantity=2))
        L.ok(k["both"], "pledge.offer", ft.pledge_body("p-both"))
        L.ok(k["nat-a"], "deployment.report", ft.deployment_body("p-a", 1))


class ForceCases(ft.CaseMixin, ct.LogTestCase):
    """Every case of cases/force.json against one Fixture."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.fx = Fixture(cls.log)

    def test_fixture(self):
        """The fixture is what its docstring says."""
        L = self.log
        ps = ft.pledges(L)
        self.assertEqual({p: (x["org"], x["status"], x["quantity"]) for p, x in ps.items()},
                         {"p-a": ("nat-a", "offered", 2), "p-wd": ("nat-a", "withdrawn", 1),
                          "p-b": ("nat-b", "offered", 1), "p-up": ("nat-a", "offered", 2),
                          "p-both": ("both", "offered", 1)})
        self.assertEqual(ps["p-a"]["deployment"]["deployed"], 1)
        r1 = ft.requirements(L)["r1"]
        self.assertEqual((r1["pledged"], r1["eligible_level2_or_above"], r1["gap"],
                          r1["deployed"]), (6, 5, 0, 1))


ct.add_case_tests(ForceCases, ct.load_case_file("force.json", "test_force.py")["cases"], "force")


def reasons(req):
    return {x["pledge"]: x["reason"] for x in req["excluded"]}


def causes(req):
    """{pledge: its exclusion's machine-readable part: cause and particulars}."""
    return {x["pledge"]: {k: v for k, v in x.items() if k not in ("pledge", "org", "reason")}
            for x in req["excluded"]}


class GapTable(ft.FlowMixin, ct.LogTestCase):
    """The gap analysis of a table worked out by hand.

    needed_by of every requirement: N = 2030-06-01T00:00:00Z; pledges are
    available from 2030-01-01 unless said.

      R1 r-north-inf  infantry_company x8, [patrol, crowd_control], north
      R2 r-south-inf  infantry_company x9, [checkpoint_security, site_protection], south
      R3 r-north-eng  engineer_company x3, [route_clearance, weapons_collection], north

      pledge org   capability  qty readiness caveats (sectors)           dates
      p1   nat-a  infantry     2  level2    - (sectors [east], no caveat)
      p2   nat-a  infantry     1  rapid     no_crowd_control
      p3   nat-b  infantry     3  level3    sector_restricted [south]
      p4   nat-b  infantry     1  level1    sector_restricted [north, east]
      p5   nat-c  infantry     2  level2    -                           from 2030-07-01
      p6   nat-c  infantry     1  level3    -                           (withdrawn later)
      p7   nat-a  infantry     1  level1    static_only                 (updated later to
                                                                  3 at level2, no caveat)
      p8   nat-b  engineer     1  level2    no_offensive_operations
      p9   nat-c  engineer     1  level2    no_weapons_collection
      p10  nat-a  engineer     1  rapid     -                           until 2030-05-15
      p11  nat-a  engineer     2  level1    -                           from N
      p12  nat-c  engineer     1  level3    -                           until N
      p13  nat-b  medical_role1 1 level2    -

    Deployments (the latest of each pledge counts): p1 1 then 2 in north;
    p2 1 in north; p3 2 in south; p4 1 in east; p6 1 in north; p7 1 in
    south; p8 1 in north.

    BEFORE (p6 offered, p7 as first offered):
      R1: p1 L2 2, p4 L1 1, p6 L3 1 count; p2 (no_crowd_control excludes
          crowd_control), p3 (sector_restricted, north not in [south]), p5
          (from after N), p7 (static_only excludes patrol) do not.
          pledged 2+1+3+1+2+1+1 = 11; L2+ = 3; gap 8-3 = 5; deployed p1 2
          + p6 1 = 3 (p2's deployment in north is of a pledge not counted).
      R2: p1 L2 2, p2 rapid 1, p3 L3 3, p6 L3 1, p7 L1 1 count; p4 (south
          not in [north, east]), p5 do not. pledged 11; L2+ = 2+1+3+1 = 7;
          gap 2; deployed p3 2 + p7 1 = 3.
      R3: p8 L2 1, p11 L1 2 (from = N), p12 L3 1 (until = N) count; p9
          (no_weapons_collection excludes weapons_collection), p10 (until
          before N) do not. pledged 6; L2+ = 2; gap 1; deployed p8 1.
    AFTER (p6 withdrawn, p7 updated):
      R1: counted p1, p4, p7 (L2 3); excluded p2, p3, p5, p6 (withdrawn).
          pledged 12 (p6 no longer); L1 1, L2 5; L2+ 5; gap 3; deployed 2.
      R2: counted p1, p2, p3, p7; excluded p4, p5, p6. pledged 12; L2 5,
          L3 3, rapid 1: L2+ 9 = required: gap 0; deployed 3.
      R3: as before.
    """

    N = NEEDED_BY
    REQS = (("r-north-inf", "infantry_company", 8, ["patrol", "crowd_control"], "north"),
            ("r-south-inf", "infantry_company", 9, ["checkpoint_security", "site_protection"],
             "south"),
            ("r-north-eng", "engineer_company", 3, ["route_clearance", "weapons_collection"],
             "north"))

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        L = cls.log
        cls.k = {"cell": L.coord}
        for org in ("nat-a", "nat-b", "nat-c"):
            cls.k[org] = L.admit(org, ["contributor"])[0]
        k = cls.k
        for rid, cap, q, tasks, sector in cls.REQS:
            L.ok(k["cell"], "requirement.define",
                 ft.requirement_body(rid, cap, q, tasks, sector, cls.N))
        P = ft.pledge_body
        inf, eng = "infantry_company", "engineer_company"
        offers = [
            ("nat-a", P("p1", inf, 2, readiness="level2", sectors=["east"])),
            ("nat-a", P("p2", inf, 1, readiness="rapid", caveats=["no_crowd_control"])),
            ("nat-b", P("p3", inf, 3, readiness="level3", caveats=["sector_restricted"],
                        sectors=["south"])),
            ("nat-b", P("p4", inf, 1, readiness="level1", caveats=["sector_restricted"],
                        sectors=["north", "east"])),
            ("nat-c", P("p5", inf, 2, readiness="level2", available_from="2030-07-01T00:00:00Z")),
            ("nat-c", P("p6", inf, 1, readiness="level3")),
            ("nat-a", P("p7", inf, 1, readiness="level1", caveats=["static_only"])),
            ("nat-b", P("p8", eng, 1, readiness="level2", caveats=["no_offensive_operations"])),
            ("nat-c", P("p9", eng, 1, readiness="level2", caveats=["no_weapons_collection"])),
            ("nat-a", P("p10", eng, 1, readiness="rapid",
                        available_until="2030-05-15T00:00:00Z")),
            ("nat-a", P("p11", eng, 2, readiness="level1", available_from=cls.N)),
            ("nat-c", P("p12", eng, 1, readiness="level3", available_until=cls.N)),
            ("nat-b", P("p13", "medical_role1", 1, readiness="level2")),
        ]
        for org, body in offers:
            L.ok(k[org], "pledge.offer", body)
        D = ft.deployment_body
        for org, body in (("nat-a", D("p1", 1, "north", "2030-06-02T00:00:00Z")),
                          ("nat-a", D("p1", 2, "north", "2030-06-09T00:00:00Z")),
                          ("nat-a", D("p2", 1, "north")), ("nat-b", D("p3", 2, "south")),
                          ("nat-b", D("p4", 1, "east")), ("nat-c", D("p6", 1, "north")),
                          ("nat-a", D("p7", 1, "south")), ("nat-b", D("p8", 1, "north"))):
            L.ok(k[org], "deployment.report", body)
        cls.before = ft.requirements(L)
        cls.stats_before = ft.stats(L)
        L.ok(k["nat-c"], "pledge.withdraw", ft.withdraw_body("p6", "recalled for elections"))
        L.ok(k["nat-a"], "pledge.update",
             P("p7", inf, 3, personnel=420, readiness="level2",
               available_until="2030-12-31T00:00:00Z"))
        cls.after = ft.requirements(L)

    def figures(self, req):
        return {k: req[k] for k in ("quantity", "pledged", "eligible", "eligible_level2_or_above",
                                    "deployed", "gap", "counted")}

    @staticmethod
    def want(quantity, pledged, levels, deployed, gap, counted):
        l1, l2, l3, rapid = levels
        return {"quantity": quantity, "pledged": pledged,
                "eligible": {"level1": l1, "level2": l2, "level3": l3, "rapid": rapid},
                "eligible_level2_or_above": l2 + l3 + rapid, "deployed": deployed, "gap": gap,
                "counted": counted}

    def test_requirements_as_defined(self):
        """Each requirement as defined, with its defining org and status."""
        self.assertEqual(list(self.after), [r[0] for r in self.REQS])
        for rid, cap, q, tasks, sector in self.REQS:
            r = self.after[rid]
            self.assertEqual((r["org"], r["status"], r["capability"], r["quantity"], r["tasks"],
                              r["sector"], r["needed_by"]),
                             ("cell", "open", cap, q, tasks, sector, self.N))

    def test_before_r_north_inf(self):
        r = self.before["r-north-inf"]
        self.assertEqual(self.figures(r), self.want(8, 11, (1, 2, 1, 0), 3, 5,
                                                    ["p1", "p4", "p6"]))
        why = reasons(r)
        self.assertEqual(list(why), ["p2", "p3", "p5", "p7"])
        self.assertIn("no_crowd_control", why["p2"])
        self.assertIn("crowd_control", why["p2"].replace("no_crowd_control", ""))
        self.assertIn("static_only", why["p7"])
        self.assertIn("patrol", why["p7"])

    def test_before_r_south_inf(self):
        r = self.before["r-south-inf"]
        self.assertEqual(self.figures(r), self.want(9, 11, (1, 2, 4, 1), 3, 2,
                                                    ["p1", "p2", "p3", "p6", "p7"]))
        why = reasons(r)
        self.assertEqual(list(why), ["p4", "p5"])
        self.assertIn("sector_restricted", why["p4"])
        self.assertIn("south", why["p4"])

    def test_before_r_north_eng(self):
        self.assertEqual(self.figures(self.before["r-north-eng"]),
                         self.want(3, 6, (2, 1, 1, 0), 1, 1, ["p8", "p11", "p12"]))
        self.assertEqual(self.before["r-north-eng"], self.after["r-north-eng"])

    def test_after_r_north_inf(self):
        """p6 withdrawn leaves `pledged` and is excluded as withdrawn; p7's
        update (3 at level2, no caveat) makes it count."""
        r = self.after["r-north-inf"]
        self.assertEqual(self.figures(r), self.want(8, 12, (1, 5, 0, 0), 2, 3,
                                                    ["p1", "p4", "p7"]))
        why = reasons(r)
        self.assertEqual(list(why), ["p2", "p3", "p5", "p6"])
        self.assertIn("caveat no_crowd_control", why["p2"])
        self.assertIn("task crowd_control", why["p2"])
        self.assertIn("sector_restricted", why["p3"])
        self.assertIn("north", why["p3"])
        self.assertIn("2030-07-01T00:00:00Z", why["p5"])
        self.assertIn("from", why["p5"])
        self.assertIn("withdrawn", why["p6"])
        orgs = {x["pledge"]: x["org"] for x in r["excluded"]}
        self.assertEqual(orgs, {"p2": "nat-a", "p3": "nat-b", "p5": "nat-c", "p6": "nat-c"})
        self.assertEqual(causes(r), {
            "p2": {"cause": "caveat", "caveat": "no_crowd_control", "task": "crowd_control"},
            "p3": {"cause": "caveat", "caveat": "sector_restricted", "sector": "north"},
            "p5": {"cause": "available_from", "date": "2030-07-01T00:00:00Z"},
            "p6": {"cause": "withdrawn"}})

    def test_after_r_south_inf(self):
        """Eligible at level2 or above exactly the required quantity: gap 0."""
        r = self.after["r-south-inf"]
        self.assertEqual(self.figures(r), self.want(9, 12, (0, 5, 3, 1), 3, 0,
                                                    ["p1", "p2", "p3", "p7"]))
        why = reasons(r)
        self.assertEqual(list(why), ["p4", "p5", "p6"])
        self.assertIn("withdrawn", why["p6"])

    def test_after_r_north_eng(self):
        r = self.after["r-north-eng"]
        self.assertEqual(self.figures(r), self.want(3, 6, (2, 1, 1, 0), 1, 1,
                                                    ["p8", "p11", "p12"]))
        why = reasons(r)
        self.assertEqual(list(why), ["p9", "p10"])
        self.assertIn("no_weapons_collection", why["p9"])
        self.assertIn("task weapons_collection", why["p9"])
        self.assertIn("2030-05-15T00:00:00Z", why["p10"])
        self.assertIn("until", why["p10"])
        self.assertEqual(causes(r), {
            "p9": {"cause": "caveat", "caveat": "no_weapons_collection",
                   "task": "weapons_collection"},
            "p10": {"cause": "available_until", "date": "2030-05-15T00:00:00Z"}})

    def test_other_capabilities_ignored(self):
        """p13 (medical_role1) is neither counted nor excluded anywhere."""
        for r in self.after.values():
            self.assertNotIn("p13", r["counted"])
            self.assertNotIn("p13", reasons(r))

    def test_pledges_view(self):
        """/v1/pledges: the latest deployment of each, the withdrawal, the
        update's body."""
        ps = ft.pledges(self.log)
        self.assertEqual(list(ps), ["p%d" % i for i in range(1, 14)])
        self.assertEqual(ps["p1"]["deployment"],
                         {"deployed": 2, "sector": "north", "as_of": "2030-06-09T00:00:00Z"})
        self.assertEqual(ps["p4"]["deployment"]["sector"], "east")
        self.assertIsNone(ps["p5"]["deployment"])
        self.assertEqual(ps["p6"]["status"], "withdrawn")
        self.assertEqual(ps["p6"]["withdrawal"]["reason"], "recalled for elections")
        self.assertRegex(ps["p6"]["withdrawal"]["time"], r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$")
        self.assertEqual(ps["p6"]["deployment"]["deployed"], 1)
        p7 = ps["p7"]
        self.assertEqual((p7["org"], p7["status"], p7["quantity"], p7["personnel"],
                          p7["readiness"], p7["caveats"], p7["available_until"]),
                         ("nat-a", "offered", 3, 420, "level2", [], "2030-12-31T00:00:00Z"))
        self.assertEqual(p7["deployment"]["sector"], "south")
        for p, x in ps.items():
            if p != "p6":
                self.assertEqual(x["status"], "offered", p)
                self.assertIsNone(x["withdrawal"], p)

    def test_pledges_optional_fields_null(self):
        """docs/protocol.md, HTTP: in lists, optional fields never given are
        null: sectors and available_until of a pledge."""
        ps = ft.pledges(self.log)
        self.assertIn("sectors", ps["p2"])
        self.assertIsNone(ps["p2"]["sectors"])
        self.assertIn("available_until", ps["p1"])
        self.assertIsNone(ps["p1"]["available_until"])
        self.assertEqual(ps["p3"]["sectors"], ["south"])

    def test_stats_force(self):
        """/v1/stats "force": requirements, covered (gap 0), required, gap,
        pledges not withdrawn, their latest deployments."""
        self.assertEqual(self.stats_before["force"],
                         {"requirements": 3, "covered": 0, "required": 20, "gap": 5 + 2 + 1,
                          "pledges": 13, "deployed": 2 + 1 + 2 + 1 + 1 + 1 + 1})
        self.assertEqual(ft.stats(self.log)["force"],
                         {"requirements": 3, "covered": 1, "required": 20, "gap": 3 + 0 + 1,
                          "pledges": 12, "deployed": 2 + 1 + 2 + 1 + 1 + 1})
        self.assertEqual(ft.stats(self.log)["disarmament"],
                         {"records": 0, "by_status": {}, "decommissioned_quantity": 0,
                          "benchmarks": []})

    def test_report_json_dir_and_server_agree(self):
        L = self.log
        from_dir = json.loads(ft.report(L, "force", "json", "dir"))
        from_server = json.loads(ft.report(L, "force", "json", "server"))
        self.assertEqual(from_dir, from_server)
        self.assertEqual({r["requirement"]: r for r in from_dir["requirements"]}, self.after)

    def test_report_text(self):
        """The text names every excluded pledge with its org and reason
        (the caveat), under its requirement, and the uncovered total."""
        L = self.log
        for source in ("dir", "server"):
            text = ft.report(L, "force", "text", source)
            self.assertNotIn("\033[", text)
            blocks, cur = {}, None
            for line in text.splitlines():
                words = line.split()
                if words and words[0] in self.after:
                    cur = words[0]
                    blocks[cur] = []
                    self.assertEqual(words[-1], str(self.after[cur]["gap"]), line)
                elif cur and "not counted" in line:
                    blocks[cur].append(line)
            self.assertEqual(sorted(blocks), sorted(self.after))
            for rid, r in self.after.items():
                self.assertEqual(len(blocks[rid]), len(r["excluded"]), (rid, blocks[rid]))
                for x, line in zip(r["excluded"], blocks[rid]):
                    self.assertIn(x["pledge"], line)
                    self.assertIn(x["org"], line)
                    self.assertIn(x["reason"], line)
            north = "\n".join(blocks["r-north-inf"])
            self.assertIn("no_crowd_control", north)
            self.assertIn("sector_restricted", north)
            self.assertIn("withdrawn", north)
            self.assertIn("no_weapons_collection", "\n".join(blocks["r-north-eng"]))
            self.assertRegex(text, r"Uncovered: 4 unit")

    def test_report_csv(self):
        L = self.log
        for source in ("dir", "server"):
            out = ft.report(L, "force", "csv", source)
            header, hxl, records = ct.csv_long(out)
            self.assertEqual(dict(zip(header, hxl)), {
                "requirement": "#meta+id", "capability": "#capacity+type",
                "sector": "#loc+name", "needed_by": "#date", "figure": "#indicator+code",
                "value": "#indicator+num"})
            self.assertEqual([k["requirement"] for k, _, _ in records], list(self.after))
            for k, figures, _ in records:
                r = self.after[k["requirement"]]
                self.assertEqual((k["capability"], k["sector"], k["needed_by"]),
                                 (r["capability"], r["sector"], r["needed_by"]))
                want = {"required": str(r["quantity"]), "pledged": str(r["pledged"])}
                for lvl, n in r["eligible"].items():
                    want[lvl] = str(n)
                want.update({"eligible": str(r["eligible_level2_or_above"]),
                             "deployed": str(r["deployed"]), "gap": str(r["gap"])})
                self.assertEqual(figures, want)
                self.assertEqual(list(figures), ["required", "pledged", "level1", "level2",
                                                 "level3", "rapid", "eligible", "deployed",
                                                 "gap"])

    def test_z_state_rebuilt_from_the_log(self):
        """Last: the same figures after `cmcc rebuild` (latest deployments,
        the update, the withdrawal found again)."""
        ft.rebuilt_state_is_the_same(self)
        self.assertEqual(ft.requirements(self.log), self.after)


class ForceFlows(ft.FlowMixin, ct.LogTestCase):
    """Sequences on fresh pledges of one log."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        L = cls.log
        cls.k = {"cell": L.coord}
        for org, roles in (("nat-a", ["contributor"]), ("nat-b", ["contributor"]),
                           ("both", ["coordinator", "contributor"])):
            cls.k[org] = L.admit(org, roles)[0]

    def pledge(self, pid):
        return ft.pledges(self.log)[pid]

    def test_resubmission_is_a_duplicate(self):
        """The same envelope bytes twice: the first receipt, nothing appended;
        the same event id with another body: conflict."""
        L = self.log
        pid = ct.new_id("p")
        ev = ct.event("pledge.offer", ft.pledge_body(pid), "nat-a")
        env = ct.signed(self.k["nat-a"], ev)
        first = L.post(env)
        self.assertReceipt(first)
        size = L.size()
        again = L.post(env)
        self.assertReceipt(again, index=first.json["index"], duplicate=True)
        self.assertEqual(L.size(), size)
        ev2 = dict(ev, body=ft.pledge_body(pid, quantity=9))
        before = ft.snapshot(L)
        self.assertError(L.post(ct.signed(self.k["nat-a"], ev2)), 409, "conflict", "id")
        self.assertEqual(ft.snapshot(L), before)
        self.assertEqual(self.pledge(pid)["quantity"], 1)

    def test_update_replaces_the_whole_pledge(self):
        """Fields the update leaves out are gone (null), the org, status and
        offer time stay; the pledge is not duplicated."""
        L = self.log
        pid = ct.new_id("p")
        self.ok("nat-a", "pledge.offer",
                ft.pledge_body(pid, quantity=2, readiness="level1",
                               caveats=["sector_restricted", "static_only"], sectors=["north"],
                               available_until="2030-09-01T00:00:00Z"))
        first = self.pledge(pid)
        n = len(ft.pledges(L))
        self.ok("nat-a", "pledge.update",
                ft.pledge_body(pid, "formed_police_unit", 4, personnel=560, readiness="rapid",
                               caveats=["no_crowd_control"]))
        p = self.pledge(pid)
        self.assertEqual(len(ft.pledges(L)), n)
        self.assertEqual((p["org"], p["status"], p["offered"], p["capability"], p["quantity"],
                          p["personnel"], p["readiness"], p["caveats"]),
                         ("nat-a", "offered", first["offered"], "formed_police_unit", 4, 560,
                          "rapid", ["no_crowd_control"]))
        self.assertIsNone(p.get("sectors", "absent"), p)
        self.assertIsNone(p.get("available_until", "absent"), p)

    def test_deployments(self):
        """deployed = pledged and 0 are accepted; the latest counts, in the
        requirement's sector only; more than pledged is refused until an
        update raises the quantity, and an update below the latest deployed
        is refused until fewer are reported."""
        L = self.log
        rid, pid = ct.new_id("r"), ct.new_id("p")
        self.ok("cell", "requirement.define",
                ft.requirement_body(rid, "eod_team", 5, ["route_clearance"], "west"))
        self.ok("nat-b", "pledge.offer", ft.pledge_body(pid, "eod_team", 3, readiness="level3"))
        self.ok("nat-b", "deployment.report", ft.deployment_body(pid, 3, "west"))
        self.assertEqual(ft.requirements(L)[rid]["deployed"], 3)
        self.refused("nat-b", "deployment.report", ft.deployment_body(pid, 4, "west"),
                     409, "rule_violation", "body.deployed")
        self.ok("nat-b", "deployment.report", ft.deployment_body(pid, 0, "west"))
        self.assertEqual(ft.requirements(L)[rid]["deployed"], 0)
        self.assertEqual(self.pledge(pid)["deployment"]["deployed"], 0)
        self.ok("nat-b", "pledge.update", ft.pledge_body(pid, "eod_team", 5, readiness="level3"))
        self.ok("nat-b", "deployment.report", ft.deployment_body(pid, 5, "west"))
        r = ft.requirements(L)[rid]
        self.assertEqual((r["deployed"], r["gap"], r["pledged"]), (5, 0, 5))
        self.ok("nat-b", "deployment.report", ft.deployment_body(pid, 2, "east"))
        r = ft.requirements(L)[rid]
        self.assertEqual((r["deployed"], r["gap"]), (0, 0))
        self.assertEqual(self.pledge(pid)["deployment"],
                         {"deployed": 2, "sector": "east", "as_of": "2030-06-02T00:00:00Z"})
        # the pledge cannot fall below the 2 deployed, until fewer are reported
        self.refused("nat-b", "pledge.update",
                     ft.pledge_body(pid, "eod_team", 1, readiness="level3"),
                     409, "rule_violation", "body.quantity")
        self.assertEqual(self.pledge(pid)["quantity"], 5)
        self.ok("nat-b", "pledge.update", ft.pledge_body(pid, "eod_team", 2, readiness="level3"))
        self.ok("nat-b", "deployment.report", ft.deployment_body(pid, 1, "east"))
        self.ok("nat-b", "pledge.update", ft.pledge_body(pid, "eod_team", 1, readiness="level3"))
        self.assertEqual(self.pledge(pid)["quantity"], 1)

    def test_gap_never_below_zero(self):
        L = self.log
        rid = ct.new_id("r")
        self.ok("cell", "requirement.define",
                ft.requirement_body(rid, "aviation_utility", 1, ["logistics_support"], "hq"))
        self.ok("nat-a", "pledge.offer", ft.pledge_body(ct.new_id("p"), "aviation_utility", 4,
                                                        readiness="rapid"))
        r = ft.requirements(L)[rid]
        self.assertEqual((r["pledged"], r["eligible_level2_or_above"], r["gap"]), (4, 4, 0))

    def test_level1_does_not_close_the_gap(self):
        L = self.log
        rid = ct.new_id("r")
        self.ok("cell", "requirement.define",
                ft.requirement_body(rid, "signals_company", 2, ["training"], "hq"))
        self.ok("nat-a", "pledge.offer", ft.pledge_body(ct.new_id("p"), "signals_company", 5,
                                                        readiness="level1"))
        r = ft.requirements(L)[rid]
        self.assertEqual((r["pledged"], r["eligible"]["level1"],
                          r["eligible_level2_or_above"], r["gap"]), (5, 5, 0, 2))

    def test_withdrawal_closes_the_pledge(self):
        """After a withdrawal, update, deployment and a second withdrawal are
        refused, and the pledge's id stays taken."""
        pid = ct.new_id("p")
        self.ok("nat-a", "pledge.offer", ft.pledge_body(pid, "liaison_team", 1))
        self.ok("nat-a", "pledge.withdraw", ft.withdraw_body(pid, "no longer available"))
        p = self.pledge(pid)
        self.assertEqual(p["status"], "withdrawn")
        self.assertEqual(p["withdrawal"]["reason"], "no longer available")
        for type_, body in (("pledge.update", ft.pledge_body(pid, "liaison_team", 2)),
                            ("deployment.report", ft.deployment_body(pid, 1)),
                            ("pledge.withdraw", ft.withdraw_body(pid)),
                            ("pledge.offer", ft.pledge_body(pid, "liaison_team", 1))):
            self.refused("nat-a", type_, body, 409, "rule_violation", "body.pledge")
        # another contributor is told it is not its pledge, whatever its state
        self.refused("nat-b", "pledge.update", ft.pledge_body(pid, "liaison_team", 2),
                     403, "forbidden", "org")

    def test_coordinator_and_contributor(self):
        """An org with both roles defines a requirement and pledges toward it;
        it still may not touch another's pledge."""
        L = self.log
        rid, pid, other = ct.new_id("r"), ct.new_id("p"), ct.new_id("p")
        self.ok("both", "requirement.define",
                ft.requirement_body(rid, "medical_role2", 1, ["medical_support"], "centre"))
        self.ok("both", "pledge.offer", ft.pledge_body(pid, "medical_role2", 1))
        r = ft.requirements(L)[rid]
        self.assertEqual((r["org"], r["counted"], r["gap"]), ("both", [pid], 0))
        self.ok("nat-a", "pledge.offer", ft.pledge_body(other, "medical_role2", 1))
        for type_, body in (("pledge.update", ft.pledge_body(other, "medical_role2", 2)),
                            ("pledge.withdraw", ft.withdraw_body(other)),
                            ("deployment.report", ft.deployment_body(other, 1))):
            self.refused("both", type_, body, 403, "forbidden", "org")

    def test_bad_reads(self):
        """The lists take no filters that change them, and need a token."""
        L = self.log
        for p in ("/v1/requirements", "/v1/pledges"):
            self.assertEqual(L.get(p, token=None).status, 401, p)
            r = L.request("POST", p, b"{}", "application/json")
            self.assertEqual(r.status, 405, p)


if __name__ == "__main__":
    ct.main()
