#!/usr/bin/python3
"""The deconfliction and incident rules (docs/protocol.md 3 "Deconfliction" and
"Incidents"), each refusal with its code, over HTTP.

  DeconflictionCases  every case of cases/deconfliction.json, one refused
                      event each, against one Fixture (below): the answer's
                      status, code and field; the log does not grow; no
                      projection changes (GET /v1/sites, /v1/zones,
                      /v1/movements, /v1/incidents, the three GeoJSON
                      exports and the movement stats are read before and
                      after); an id the case introduces names nothing
                      afterwards.
  DeconflictionFlows  what the accepted events leave behind: a site, a zone,
                      a movement and an incident as the API shows them
                      (optional fields never given are null), withdrawal and
                      lifting, idempotency and conflicts of event ids,
                      incident.report by every role, incident.assess by
                      the three roles that may (the latest assessment is the
                      status), and `cmcc new` + `cmcc submit` writing a site
                      and a movement that then appear in the API.
  IncidentFilters     GET /v1/incidents?category=&severity=&status=&since=
                      &until= on a log of known incidents, and bad filter
                      values.
"""
import json
import os
import re
import shutil
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import cmcctest as ct  # noqa: E402

DOC = ct.load_case_file("deconfliction.json", "test_deconfliction.py")

ROLES = ["coordinator", "humanitarian", "inspector", "transporter", "military", "contributor",
         "verifier", "monitor"]


class Fixture:
    """The state cases/deconfliction.json refers to, built once on one log.

    Orgs: cell (coordinator); hum, hum2 (humanitarian); mil, mil2 (military);
    mon (monitor); ver (verifier); insp (inspector); trans (transporter);
    contrib (contributor).
    Places: crossing x1, warehouse wh1. Consignment c1, declared by hum at x1.
    Sites (by hum): s-act (active), s-wd (withdrawn).
    Zones (by mil): z-act (closed, active), z-lift (closed, lifted).
    Movements (by hum): m-pend (mil acknowledged, mil2 has not answered:
    pending), m-done (both acknowledged, then reported completed).
    Incidents: i1 (reported by hum, about m-pend).
    """

    ORGS = (("hum", ["humanitarian"]), ("hum2", ["humanitarian"]), ("mil", ["military"]),
            ("mil2", ["military"]), ("mon", ["monitor"]), ("ver", ["verifier"]),
            ("insp", ["inspector"]), ("trans", ["transporter"]), ("contrib", ["contributor"]))

    def __init__(self, log):
        L = self.log = log
        self.keys = {"cell": L.coord}
        for org, roles in self.ORGS:
            self.keys[org] = L.admit(org, roles)[0]
        L.define_place("x1", "crossing")
        L.define_place("wh1", "warehouse")
        k = self.keys
        L.ok(k["hum"], "consignment.declare", ct.declare_body("c1", "x1", {1: 10}))
        L.ok(k["hum"], "site.notify", ct.site_body("s-act", kind="hospital", radius_m=200))
        L.ok(k["hum"], "site.notify", ct.site_body("s-wd", lat=31.4, lon=34.3))
        L.ok(k["hum"], "site.withdraw", {"site": "s-wd"})
        L.ok(k["mil"], "zone.declare", ct.zone_body("z-act", ct.rect(31.45, 34.35, 31.55, 34.5)))
        L.ok(k["mil"], "zone.declare", ct.zone_body("z-lift", ct.rect(31.6, 34.4, 31.7, 34.5),
                                                    kind="restricted"))
        L.ok(k["mil"], "zone.lift", {"zone": "z-lift"})
        route = [[31.3, 34.3], [31.6, 34.55]]
        L.ok(k["hum"], "movement.request", ct.movement_body("m-pend", route, consignments=["c1"],
                                                            from_place="wh1"))
        L.ok(k["mil"], "movement.respond", ct.respond_body("m-pend"))
        L.ok(k["hum"], "movement.request", ct.movement_body("m-done", route))
        L.ok(k["mil"], "movement.respond", ct.respond_body("m-done"))
        L.ok(k["mil2"], "movement.respond", ct.respond_body("m-done", "conditional",
                                                            conditions="escort"))
        L.ok(k["hum"], "movement.report", ct.report_body("m-done", "completed"))
        L.ok(k["hum"], "incident.report", ct.incident_body("i1", "access_denial",
                                                           movement="m-pend"))

    PATHS = ("/v1/sites", "/v1/zones", "/v1/movements", "/v1/incidents", "/v1/sites.geojson",
             "/v1/zones.geojson", "/v1/movements.geojson", "/v1/movements/m-pend",
             "/v1/movements/m-done")

    def snapshot(self):
        """Everything a refusal must leave as it was."""
        L = self.log
        snap = {"size": L.size()}
        for p in self.PATHS:
            r = L.get(p)
            assert r.status == 200, (p, r)
            snap[p] = r.json
        stats = L.stats()
        stats.pop("as_of")
        snap["stats"] = stats
        return snap


PLACEHOLDER = re.compile(r"\$(ID|H\(([+-]?\d+)\)|POLY\((\d+)\)|ROUTE\((\d+)\)|REPEAT\((.),(\d+)\))")


def substitute(v, fresh, now):
    """The case's value with its placeholders replaced. A placeholder that is
    the whole string may become a list ($POLY, $ROUTE)."""
    def one(m):
        if m.group(1) == "ID":
            return fresh
        if m.group(2):
            return ct.hours(int(m.group(2)), now)
        if m.group(5):
            return m.group(5) * int(m.group(6))
        raise ValueError("placeholder %s cannot stand inside a string" % m.group(0))

    def string(s):
        m = PLACEHOLDER.fullmatch(s)
        if m and m.group(3):
            return ct.circle(31.0, 34.0, 0.2, int(m.group(3)))
        if m and m.group(4):
            n = int(m.group(4))
            return [[round(31.0 + i * 0.0005, 6), round(34.0 + i * 0.0005, 6)] for i in range(n)]
        return PLACEHOLDER.sub(one, s)
    return ct.map_strings(v, string)


class DeconflictionCases(ct.LogTestCase):
    """Every case of cases/deconfliction.json against one Fixture."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.fx = Fixture(cls.log)
        cls.doc = DOC

    def test_fixture(self):
        """The fixture is what its docstring says."""
        L = self.log
        self.assertEqual({s["site"]: s["status"] for s in L.things("sites")},
                         {"s-act": "active", "s-wd": "withdrawn"})
        self.assertEqual({z["zone"]: z["status"] for z in L.things("zones")},
                         {"z-act": "active", "z-lift": "lifted"})
        ms = {m["movement"]: m for m in L.things("movements")}
        self.assertEqual({k: (m["status"], m["outcome"], m["waiting_for"]) for k, m in ms.items()},
                         {"m-pend": ("pending", None, ["mil2"]),
                          "m-done": ("completed", "completed", [])})
        self.assertEqual([i["incident"] for i in L.things("incidents")], ["i1"])

    def test_every_type_has_cases(self):
        """Each of the nine types has refusals, and of each code it can get."""
        by_type = {}
        for c in self.doc["cases"]:
            by_type.setdefault(c["type"], set()).add(c["expect"]["code"])
        self.assertEqual(sorted(by_type), sorted(self.doc["bases"]))
        for t, codes in by_type.items():
            self.assertIn("bad_request", codes, t)
            if t != "incident.report":  # any org may write it
                self.assertIn("forbidden", codes, t)
            self.assertIn("rule_violation", codes, t)

    def run_case(self, case):
        L, fx = self.log, self.fx
        fresh = ct.new_id("n")
        now = time.time()
        if "body" in case:
            body = substitute(case["body"], fresh, now)
        else:
            body = substitute(self.doc["bases"][case["type"]], fresh, now)
            body.update(substitute(case.get("set", {}), fresh, now))
            for k in case.get("del", []):
                del body[k]
        key = fx.keys[case["signer"]]
        before = fx.snapshot()
        r, _ = L.submit(key, case["type"], body, org=case["signer"])
        e = case["expect"]
        self.assertError(r, e["status"], e["code"], e.get("field"))
        after = fx.snapshot()
        self.assertEqual(after["size"], before["size"], "the log grew")
        for k in before:
            self.assertEqual(after[k], before[k], k)
        if fresh in json.dumps(body):
            self.assertNotIn(fresh, json.dumps(after))
            self.assertEqual(L.get("/v1/movements/" + fresh).status, 404)


ct.add_case_tests(DeconflictionCases, DOC["cases"], "deconfliction")


class DeconflictionFlows(ct.LogTestCase):
    """Accepted events and what the API shows of them, on one log."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        L = cls.log
        cls.k = {"cell": L.coord}
        for org, roles in Fixture.ORGS:
            cls.k[org] = L.admit(org, roles)[0]
        # one org per role, for incident.report
        for role in ROLES:
            cls.k["any-" + role] = L.admit("any-" + role, [role])[0]
        L.define_place("x1", "crossing")
        L.define_place("wh1", "warehouse")
        L.define_place("dp1", "distribution_point")
        L.ok(cls.k["hum"], "consignment.declare", ct.declare_body("c1", "x1", {1: 10}))
        L.ok(cls.k["hum"], "consignment.declare", ct.declare_body("c2", "x1", {1: 5}))

    def ok(self, signer, type_, body, t=None, id_=None):
        """Submits an event that must be appended at the end of the log."""
        L = self.log
        size = L.size()
        r, _ = L.submit(self.k[signer], type_, body, org=signer, t=t, id_=id_)
        self.assertReceipt(r, index=size)
        self.assertEqual(L.size(), size + 1)
        return r.json

    def refused(self, signer, type_, body, status, code, field=None):
        L = self.log
        size = L.size()
        r, _ = L.submit(self.k[signer], type_, body, org=signer)
        self.assertError(r, status, code, field)
        self.assertEqual(L.size(), size)
        return r

    # -- sites

    def test_site_notified_then_withdrawn(self):
        L = self.log
        sid = ct.new_id("s")
        t = ct.hours(-1)
        body = ct.site_body(sid, lat=31.52, lon=34.43, kind="water_point", name="Well 4",
                            radius_m=150, from_=ct.hours(-48), until=ct.hours(24 * 30))
        rec = self.ok("hum", "site.notify", body, t=t)
        s = L.thing("sites", sid)
        self.assertEqual(s, {"site": sid, "org": "hum", "status": "active", "notified": t,
                             "index": rec["index"], "kind": "water_point", "name": "Well 4",
                             "lat": 31.52, "lon": 34.43, "radius_m": 150, "from": body["from"],
                             "until": body["until"], "warnings": []})
        # another humanitarian org may not withdraw it; its notifier may, once
        self.refused("hum2", "site.withdraw", {"site": sid}, 403, "forbidden", "org")
        self.ok("hum", "site.withdraw", {"site": sid})
        s2 = L.thing("sites", sid)
        self.assertEqual(s2["status"], "withdrawn")
        self.assertEqual({k: v for k, v in s2.items() if k != "status"},
                         {k: v for k, v in s.items() if k != "status"})
        self.refused("hum", "site.withdraw", {"site": sid}, 409, "rule_violation", "body.site")
        # its id stays taken
        self.refused("hum", "site.notify", ct.site_body(sid), 409, "rule_violation", "body.site")

    def test_site_every_kind_and_optional_fields_null(self):
        """Every kind of the protocol is taken; optional fields never given
        read as null (docs/protocol.md, Lists)."""
        L = self.log
        kinds = ["hospital", "clinic", "shelter", "school", "warehouse", "office",
                 "distribution_point", "water_point", "other"]
        ids = []
        for kind in kinds:
            sid = ct.new_id("s")
            ids.append(sid)
            self.ok("hum2", "site.notify", ct.site_body(sid, kind=kind))
        sites = {s["site"]: s for s in L.things("sites")}
        for sid, kind in zip(ids, kinds):
            self.assertEqual(sites[sid]["kind"], kind)
            self.assertIsNone(sites[sid].get("radius_m", "absent"), sites[sid])
            self.assertIsNone(sites[sid].get("until", "absent"), sites[sid])

    # -- zones

    def test_zone_declared_then_lifted(self):
        L = self.log
        zid = ct.new_id("z")
        poly = ct.rect(30.1, 34.1, 30.2, 34.2)
        body = ct.zone_body(zid, poly, kind="hazard", until=ct.hours(24))
        rec = self.ok("mil", "zone.declare", body)
        z = L.thing("zones", zid)
        self.assertEqual({k: z[k] for k in ("zone", "org", "status", "index", "kind", "polygon",
                                            "from", "until")},
                         {"zone": zid, "org": "mil", "status": "active", "index": rec["index"],
                          "kind": "hazard", "polygon": poly, "from": body["from"],
                          "until": body["until"]})
        self.assertRegex(z["declared"], r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$")
        self.refused("mil2", "zone.lift", {"zone": zid}, 403, "forbidden", "org")
        self.refused("hum", "zone.lift", {"zone": zid}, 403, "forbidden", "type")
        self.ok("mil", "zone.lift", {"zone": zid})
        self.assertEqual(L.thing("zones", zid)["status"], "lifted")
        self.refused("mil", "zone.lift", {"zone": zid}, 409, "rule_violation", "body.zone")
        self.refused("mil", "zone.declare", ct.zone_body(zid, poly), 409, "rule_violation",
                     "body.zone")

    def test_zone_polygons_taken(self):
        """3 and 1000 vertices, a closing vertex repeated, clockwise order,
        a concave polygon, a polygon across the antimeridian's neighbour
        (lon 179.9): each is kept as given."""
        L = self.log
        polys = {
            "triangle": [[30.0, 35.0], [30.0, 35.1], [30.1, 35.05]],
            "thousand": ct.circle(29.0, 35.0, 0.3, 1000),
            "closed-ring": [[30.2, 35.0], [30.2, 35.1], [30.3, 35.1], [30.3, 35.0], [30.2, 35.0]],
            "clockwise": list(reversed(ct.rect(30.4, 35.0, 30.5, 35.1))),
            "concave": [[30.6, 35.0], [30.6, 35.3], [30.9, 35.3], [30.9, 35.2], [30.7, 35.2],
                        [30.7, 35.1], [30.9, 35.1], [30.9, 35.0]],
            "far-east": ct.rect(-10.0, 179.8, -9.9, 179.95),
        }
        ids = {}
        for name, poly in polys.items():
            ids[name] = ct.new_id("z-" + name)
            self.ok("mil2", "zone.declare", ct.zone_body(ids[name], poly, kind="restricted"))
        for name, poly in polys.items():
            self.assertEqual(L.thing("zones", ids[name])["polygon"], poly, name)

    # -- movements

    def test_movement_as_the_api_shows_it(self):
        L = self.log
        mid = ct.new_id("m")
        t = ct.hours(-2)
        body = ct.movement_body(mid, [[31.2, 34.2], [31.25, 34.22], [31.3, 34.3]],
                                window_start=ct.hours(70), window_end=ct.hours(75), vehicles=7,
                                purpose="medical resupply", consignments=["c1", "c2"],
                                from_place="wh1", to_place="dp1")
        rec = self.ok("hum", "movement.request", body, t=t)
        m = L.movement(mid)
        self.assertEqual(L.thing("movements", mid), m)
        want = dict(body)
        want.update({"org": "hum", "status": "pending", "requested": t, "index": rec["index"],
                     "outcome": None, "answers": [], "waiting_for": ["any-military", "mil",
                                                                     "mil2"],
                     "conditional": False, "time_to_acknowledge_s": None, "warnings": [],
                     "report": None})
        self.assertEqual(m, want)
        # optional fields never given are null
        mid2 = ct.new_id("m")
        self.ok("hum", "movement.request", ct.movement_body(mid2, [[31.2, 34.2], [31.3, 34.3]]))
        m2 = L.movement(mid2)
        for k in ("consignments", "from_place", "to_place"):
            self.assertIsNone(m2.get(k, "absent"), (k, m2))
        self.assertEqual(L.get("/v1/movements/" + ct.new_id("m")).status, 404)
        self.assertError(L.get("/v1/movements/not%20an%20id"), 404, "not_found")

    def test_reported_movement_takes_nothing_more(self):
        L = self.log
        mid = ct.new_id("m")
        self.ok("hum", "movement.request", ct.movement_body(mid, [[31.2, 34.2], [31.3, 34.3]]))
        iid = ct.new_id("i")
        self.ok("hum", "incident.report", ct.incident_body(iid, "convoy_attack", "high",
                                                           movement=mid))
        self.ok("hum", "movement.report", ct.report_body(mid, "impeded", reason="gunfire",
                                                         incident=iid))
        before = L.movement(mid)
        self.assertEqual((before["status"], before["outcome"]), ("impeded", "impeded"))
        self.assertEqual({k: v for k, v in before["report"].items() if k != "time"},
                         {"outcome": "impeded", "reason": "gunfire", "incident": iid})
        for signer, type_, body in (
                ("mil", "movement.respond", ct.respond_body(mid)),
                ("mil2", "movement.respond", ct.respond_body(mid, "denied", reason="late")),
                ("hum", "movement.report", ct.report_body(mid, "completed")),
                ("hum", "movement.report", ct.report_body(mid, "impeded", reason="gunfire"))):
            self.refused(signer, type_, body, 409, "rule_violation", "body.movement")
        self.assertEqual(L.movement(mid), before)

    # -- event ids

    def test_event_ids_idempotent_and_conflicting(self):
        """The same envelope twice appends once; the same (org, id) with
        other content is a conflict and changes nothing."""
        L = self.log
        sid = ct.new_id("s")
        ev = ct.event("site.notify", ct.site_body(sid), "hum")
        env = ct.signed(self.k["hum"], ev)
        size = L.size()
        r1 = L.post(env)
        self.assertReceipt(r1, index=size)
        r2 = L.post(env)
        self.assertReceipt(r2, index=size, duplicate=True)
        self.assertEqual(L.size(), size + 1)
        ev2 = dict(ev, body=ct.site_body(ct.new_id("s")))
        self.assertError(L.post(ct.signed(self.k["hum"], ev2)), 409, "conflict")
        ev3 = dict(ev, type="incident.report", body=ct.incident_body(ct.new_id("i")))
        self.assertError(L.post(ct.signed(self.k["hum"], ev3)), 409, "conflict")
        self.assertEqual(L.size(), size + 1)
        self.assertEqual([s["site"] for s in L.things("sites")].count(sid), 1)
        # the same event id used by another org is a different event
        self.ok("hum2", "site.notify", ct.site_body(ct.new_id("s")), id_=ev["id"])

    def test_ids_are_per_kind(self):
        """A site, a zone, a movement and an incident may share an id: ids
        are unique within a kind."""
        L = self.log
        shared = ct.new_id("same")
        self.ok("hum", "site.notify", ct.site_body(shared))
        self.ok("mil", "zone.declare", ct.zone_body(shared, ct.rect(28.0, 33.0, 28.1, 33.1)))
        self.ok("hum", "movement.request", ct.movement_body(shared, [[28.5, 33.5], [28.6, 33.6]]))
        self.ok("mon", "incident.report", ct.incident_body(shared, site=shared, movement=shared))
        self.assertIsNotNone(L.thing("sites", shared))
        self.assertIsNotNone(L.thing("zones", shared))
        self.assertIsNotNone(L.thing("incidents", shared))
        self.assertEqual(L.movement(shared)["movement"], shared)

    # -- incidents

    def test_incident_report_by_every_role(self):
        """incident.report is open to every admitted org, whatever its role."""
        L = self.log
        for role in ROLES:
            org = "any-" + role
            iid = ct.new_id("i")
            self.ok(org, "incident.report", ct.incident_body(iid, "ceasefire_violation",
                                                             "medium"))
            i = L.thing("incidents", iid)
            self.assertEqual((i["org"], i["status"], i["assessments"]), (org, "reported", []))
        # a suspended org cannot (authority before rules)
        L.admit("mon-susp", ["monitor"])
        L.suspend("mon-susp")
        size = L.size()
        r, _ = L.submit(L.keys["mon-susp"][0], "incident.report",
                        ct.incident_body(ct.new_id("i")), org="mon-susp")
        self.assertError(r, 403, "org_suspended", "org")
        self.assertEqual(L.size(), size)

    def test_incident_with_every_reference(self):
        L = self.log
        sid, mid, iid = ct.new_id("s"), ct.new_id("m"), ct.new_id("i")
        self.ok("hum", "site.notify", ct.site_body(sid))
        self.ok("hum", "movement.request", ct.movement_body(mid, [[31.2, 34.2], [31.3, 34.3]]))
        occurred = ct.hours(-30)
        body = ct.incident_body(iid, "attack_on_site", "critical", occurred=occurred,
                                description="shelling near the clinic", lat=31.5, lon=34.45,
                                place="wh1", consignment="c1", movement=mid, site=sid)
        t = ct.hours(-1)
        rec = self.ok("ver", "incident.report", body, t=t)
        i = L.thing("incidents", iid)
        want = dict(body)
        want.update({"org": "ver", "status": "reported", "reported": t, "index": rec["index"],
                     "assessments": []})
        self.assertEqual(i, want)
        # references may point at things that have since ended: a withdrawn
        # site, a reported movement
        self.ok("hum", "site.withdraw", {"site": sid})
        self.ok("hum", "movement.report", ct.report_body(mid, "aborted"))
        self.ok("mon", "incident.report", ct.incident_body(ct.new_id("i"), site=sid, movement=mid))
        # optional fields never given are null
        iid2 = ct.new_id("i")
        self.ok("hum", "incident.report", ct.incident_body(iid2))
        i2 = L.thing("incidents", iid2)
        for k in ("lat", "lon", "place", "consignment", "movement", "site"):
            self.assertIsNone(i2.get(k, "absent"), (k, i2))

    def test_incident_assess_roles_and_latest_status(self):
        L = self.log
        iid = ct.new_id("i")
        self.ok("hum", "incident.report", ct.incident_body(iid, "looting", "high"))
        for signer in ("hum", "mil", "insp", "trans", "contrib"):
            self.refused(signer, "incident.assess", {"incident": iid, "status": "verified"},
                         403, "forbidden", "type")
        steps = [("mon", "unverified", "no second source"), ("ver", "verified", None),
                 ("cell", "disputed", "the party denies it"), ("mon", "closed", "settled")]
        for signer, status, note in steps:
            body = {"incident": iid, "status": status}
            if note:
                body["note"] = note
            self.ok(signer, "incident.assess", body)
            i = L.thing("incidents", iid)
            self.assertEqual(i["status"], status)
        got = [(a["org"], a["status"], a.get("note")) for a in i["assessments"]]
        self.assertEqual(got, steps)
        self.assertNotIn("note", i["assessments"][1])
        for a in i["assessments"]:
            self.assertRegex(a["time"], r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$")
        # a closed incident may still be reassessed (nothing in the protocol ends it)
        self.ok("ver", "incident.assess", {"incident": iid, "status": "verified"})
        self.assertEqual(L.thing("incidents", iid)["status"], "verified")

    # -- cmcc new + cmcc submit

    def test_cmcc_new_site_and_movement(self):
        """`cmcc new site.notify` and `cmcc new movement.request` write
        signed envelopes into an outbox; `cmcc submit` sends them; the API
        shows them as written."""
        L = self.log
        tmp = tempfile.mkdtemp(prefix="cmcc-new-")
        self.addCleanup(shutil.rmtree, tmp, True)
        pem = ct.write_pem(self.k["hum"], os.path.join(tmp, "hum.pem"))
        outbox = os.path.join(tmp, "outbox.ndjson")
        sid, mid = ct.new_id("s-cli"), ct.new_id("m-cli")
        r = ct.run("new", "site.notify", "--org", "hum", "--key", pem, "--out", outbox,
                   "--site", sid, "--kind", "clinic", "--name", "Clinic 9", "--lat", "31.51",
                   "--lon", "34.47", "--radius-m", "150", "--from", "now-1h",
                   "--until", "2030-01-01T00:00:00Z")
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertIn("signed into", r.stderr)
        r = ct.run("new", "movement.request", "--org", "hum", "--key", pem, "--out", outbox,
                   "--id", "req-" + mid, "--movement", mid, "--purpose", "food to the north",
                   "--route", "31.50,34.40;31.55,34.42;31.60,34.45",
                   "--window-start", "now+72h", "--window-end", "now+80h", "--vehicles", "4",
                   "--consignments", "c1,c2", "--from-place", "wh1", "--to-place", "dp1")
        self.assertEqual(r.returncode, 0, r.stderr)
        # a bad value is refused before anything is written
        r = ct.run("new", "site.notify", "--org", "hum", "--key", pem, "--out", outbox,
                   "--site", ct.new_id("s"), "--kind", "castle", "--name", "X", "--lat", "1",
                   "--lon", "2", "--from", "now")
        self.assertNotEqual(r.returncode, 0)
        with open(outbox) as f:
            envs = [json.loads(l) for l in f]
        self.assertEqual(len(envs), 2)
        evs = [json.loads(ct.unb64(e["payload"])) for e in envs]
        self.assertEqual([e["type"] for e in evs], ["site.notify", "movement.request"])
        self.assertEqual(evs[1]["id"], "req-" + mid)
        for e, env in zip(evs, envs):
            self.assertEqual(e["org"], "hum")
            self.assertEqual(env["signatures"][0]["keyid"], self.k["hum"].keyid)
        size = L.size()
        r = ct.run("submit", "--server", L.url, "--token", L.token, outbox)
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertIn("2 appended", r.stderr)
        self.assertEqual(L.size(), size + 2)
        s = L.thing("sites", sid)
        self.assertEqual((s["org"], s["status"], s["kind"], s["name"], s["lat"], s["lon"],
                          s["radius_m"], s["from"], s["until"]),
                         ("hum", "active", "clinic", "Clinic 9", 31.51, 34.47, 150,
                          evs[0]["body"]["from"], "2030-01-01T00:00:00Z"))
        m = L.movement(mid)
        self.assertEqual((m["org"], m["status"], m["purpose"], m["route"], m["vehicles"],
                          m["consignments"], m["from_place"], m["to_place"], m["requested"]),
                         ("hum", "pending", "food to the north",
                          [[31.5, 34.4], [31.55, 34.42], [31.6, 34.45]], 4, ["c1", "c2"], "wh1",
                          "dp1", evs[1]["time"]))
        # now+72h is 72 h after the event's own time: enough notice
        self.assertEqual(m["warnings"], [])
        self.assertEqual(ct.time_ms(m["window_start"]) - ct.time_ms(m["requested"]),
                         72 * 3600 * 1000)
        # submitting the outbox again appends nothing
        r = ct.run("submit", "--server", L.url, "--token", L.token, outbox)
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertEqual(L.size(), size + 2)


class IncidentFilters(ct.LogTestCase):
    """GET /v1/incidents filters, on a log holding only these incidents."""

    T0 = 1763600000  # 2025-11-20T00:53:20Z

    INCIDENTS = [  # id, category, severity, occurred (hours after T0), assessments
        ("i-a", "convoy_attack", "high", 0, []),
        ("i-b", "looting", "medium", 5, ["verified"]),
        ("i-c", "looting", "high", 10, ["unverified", "verified", "closed"]),
        ("i-d", "uxo", "low", 24, ["disputed"]),
        ("i-e", "access_denial", "critical", 48, []),
        ("i-f", "convoy_attack", "critical", 49, ["verified", "disputed"]),
        ("i-g", "other", "low", -24 * 40, []),
    ]

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        L = cls.log
        hum = L.admit("hum", ["humanitarian"])[0]
        mon = L.admit("mon", ["monitor"])[0]
        for iid, cat, sev, h, assessments in cls.INCIDENTS:
            L.ok(hum, "incident.report", ct.incident_body(iid, cat, sev, cls.at(h)))
            for st in assessments:
                L.ok(mon, "incident.assess", {"incident": iid, "status": st})

    @classmethod
    def at(cls, h):
        return ct.rfc3339(cls.T0 + h * 3600)

    def ids(self, query):
        return [i["incident"] for i in self.log.things("incidents", query)]

    def model(self, category=None, severity=None, status=None, since=None, until=None):
        out = []
        for iid, cat, sev, h, assessments in self.INCIDENTS:
            st = assessments[-1] if assessments else "reported"
            t = self.T0 + h * 3600
            if ((category and cat != category) or (severity and sev != severity)
                    or (status and st != status) or (since is not None and t < since)
                    or (until is not None and t > until)):
                continue
            out.append(iid)
        return out

    def test_all(self):
        L = self.log
        got = L.things("incidents")
        self.assertEqual([i["incident"] for i in got], [i[0] for i in self.INCIDENTS])
        for i, (iid, cat, sev, h, assessments) in zip(got, self.INCIDENTS):
            self.assertEqual((i["category"], i["severity"], i["occurred"], i["status"],
                              [a["status"] for a in i["assessments"]]),
                             (cat, sev, self.at(h), assessments[-1] if assessments else "reported",
                              assessments))

    def test_category(self):
        for cat in ("convoy_attack", "looting", "interception", "access_denial",
                    "ceasefire_violation", "uxo", "attack_on_site", "other"):
            self.assertEqual(self.ids("category=" + cat), self.model(category=cat), cat)
        self.assertEqual(self.ids("category=looting"), ["i-b", "i-c"])
        self.assertEqual(self.ids("category=interception"), [])

    def test_severity(self):
        for sev in ("low", "medium", "high", "critical"):
            self.assertEqual(self.ids("severity=" + sev), self.model(severity=sev), sev)
        self.assertEqual(self.ids("severity=critical"), ["i-e", "i-f"])

    def test_status_follows_the_latest_assessment(self):
        for st in ("reported", "verified", "unverified", "disputed", "closed"):
            self.assertEqual(self.ids("status=" + st), self.model(status=st), st)
        self.assertEqual(self.ids("status=verified"), ["i-b"])
        self.assertEqual(self.ids("status=disputed"), ["i-d", "i-f"])
        self.assertEqual(self.ids("status=unverified"), [])

    def test_since_until_on_occurred(self):
        """since and until select on `occurred` (when it happened), not on
        when it was reported; both bounds are inclusive."""
        at = self.at
        self.assertEqual(self.ids("since=" + at(10)), ["i-c", "i-d", "i-e", "i-f"])
        self.assertEqual(self.ids("until=" + at(10)), ["i-a", "i-b", "i-c", "i-g"])
        self.assertEqual(self.ids("since=%s&until=%s" % (at(5), at(24))), ["i-b", "i-c", "i-d"])
        self.assertEqual(self.ids("since=%s&until=%s" % (at(6), at(9))), [])
        self.assertEqual(self.ids("since=%s&until=%s" % (at(24), at(5))), [])
        self.assertEqual(self.ids("until=" + at(-1)), ["i-g"])
        # everything was reported just now: a since of an hour ago would
        # keep all of them if it read the report's time
        self.assertEqual(self.ids("since=" + ct.hours(-1)), [])
        for h0 in (-1000, -1, 0, 3, 24, 49, 50):
            for h1 in (-1, 0, 10, 48, 1000):
                self.assertEqual(self.ids("since=%s&until=%s" % (at(h0), at(h1))),
                                 self.model(since=self.T0 + h0 * 3600,
                                            until=self.T0 + h1 * 3600), (h0, h1))

    def test_combined(self):
        at = self.at
        self.assertEqual(self.ids("category=looting&severity=high"), ["i-c"])
        self.assertEqual(self.ids("category=looting&status=closed"), ["i-c"])
        self.assertEqual(self.ids("severity=critical&status=reported"), ["i-e"])
        self.assertEqual(self.ids("category=convoy_attack&since=" + at(1)), ["i-f"])
        self.assertEqual(self.ids("category=convoy_attack&severity=high&status=reported"
                                  "&since=%s&until=%s" % (at(0), at(0))), ["i-a"])
        for cat in ("looting", "convoy_attack", "uxo"):
            for sev in ("low", "high", "critical"):
                for st in ("reported", "verified", "closed", "disputed"):
                    self.assertEqual(self.ids("category=%s&severity=%s&status=%s"
                                              % (cat, sev, st)),
                                     self.model(cat, sev, st), (cat, sev, st))

    def test_bad_filters(self):
        L = self.log
        for query, field in (("category=riot", "category"), ("severity=extreme", "severity"),
                             ("status=assessed", "status"), ("status=", "status"),
                             ("since=yesterday", "since"), ("until=2025-11-20", "until"),
                             ("since=2025-11-20T09:00:00%2B02:00", "since")):
            r = L.get("/v1/incidents?" + query)
            self.assertError(r, 400, "bad_request", field)
        self.assertError(L.get("/v1/incidents", token=None), 401, "unauthorized")


if __name__ == "__main__":
    ct.main()
