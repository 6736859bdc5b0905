#!/usr/bin/python3
"""Movements (docs/protocol.md 3 "Deconfliction"): the status machine, warnings,
and the movement stats, over HTTP.

  StatusMachine  each test on a log of its own, since a movement's status
                 is derived from every *active* military org's latest
                 answer: pending until each has answered, denied as soon as
                 one denies, else acknowledged (conditional answers count);
                 answers in every order, answers changed, a military org
                 admitted later, suspended or reinstated, and the reported
                 outcome overriding all. answers[] (org, decision, time,
                 reason, conditions), waiting_for[] and
                 time_to_acknowledge_s (event time of the last answer minus
                 the request's event time) are checked at every step. The
                 last test rebuilds the state from the log and compares.
  Warnings       one log with zones of every kind and time: a route entering
                 an active closed or restricted zone in force during its
                 window is warned about (a leg crossing with no point
                 inside too; a concave zone's notch is not the zone); a
                 hazard zone, a lifted zone, a zone out of the window give
                 no warning; notice under 48 h (window_start minus the
                 request's event time) does; passing within a notified
                 site's radius does not. Sites inside an active closed zone
                 in force during their own time carry a warning.
  MovementStats  GET /v1/stats: movements requested, by status, and the
                 median time to acknowledge.
"""
import os
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import cmcctest as ct  # noqa: E402

H = 3600


class FreshLogCase(ct.LogTestCase):
    """A log and server for each test, stopped cleanly after it."""

    @classmethod
    def setUpClass(cls):
        pass

    def setUp(self):
        self.log = ct.Log()
        self.addCleanup(self.log.close)
        self.log.start()

    def tearDown(self):
        if self.log.server:
            err = self.log.server.stderr
            status, out = self.log.stop()
            ct.check_clean_exit(status, out, err())


class StatusMachine(FreshLogCase):
    """A humanitarian org hum and two military orgs, mil-a and mil-b; the
    movement m is requested at T0 (100 h ago), its window 72 h later."""

    def setUp(self):
        super().setUp()
        L = self.log
        self.k = {"hum": L.admit("hum", ["humanitarian"])[0],
                  "mil-a": L.admit("mil-a", ["military"])[0],
                  "mil-b": L.admit("mil-b", ["military"])[0]}
        self.t0 = int(time.time()) - 100 * H

    def at(self, h):
        """The event time h hours after T0."""
        return ct.rfc3339(self.t0 + h * H)

    def request(self, mid="m"):
        r, _ = self.log.submit(self.k["hum"], "movement.request",
                               ct.movement_body(mid, [[31.2, 34.2], [31.3, 34.3]],
                                                window_start=self.at(72),
                                                window_end=self.at(80)),
                               org="hum", t=self.at(0))
        self.assertReceipt(r)
        return self.log.movement(mid)

    def answer(self, org, decision, h, reason=None, conditions=None, mid="m"):
        """org answers at T0 + h hours; returns the movement as read after."""
        if org not in self.k:
            self.k[org] = self.log.keys[org][0]
        r, _ = self.log.submit(self.k[org], "movement.respond",
                               ct.respond_body(mid, decision, reason, conditions), org=org,
                               t=self.at(h))
        self.assertReceipt(r)
        return self.log.movement(mid)

    def report(self, outcome, h, mid="m", **kw):
        r, _ = self.log.submit(self.k["hum"], "movement.report",
                               ct.report_body(mid, outcome, **kw), org="hum", t=self.at(h))
        self.assertReceipt(r)
        return self.log.movement(mid)

    def assertState(self, m, status, waiting, answers, tta_h=None, conditional=False,
                    outcome=None):
        """answers: {org: (decision, hours after T0, reason, conditions)}."""
        self.assertEqual(m["status"], status, m)
        self.assertEqual(sorted(m["waiting_for"]), sorted(waiting), m)
        got = {}
        for a in m["answers"]:
            self.assertNotIn(a["org"], got, "two answers of one org: %r" % m)
            self.assertLessEqual(set(a), {"org", "decision", "time", "reason", "conditions"})
            got[a["org"]] = (a["decision"], a["time"], a.get("reason"), a.get("conditions"))
        want = {org: (d, self.at(h), reason, cond) for org, (d, h, reason, cond) in answers.items()}
        self.assertEqual(got, want, m)
        self.assertEqual(m["time_to_acknowledge_s"], None if tta_h is None else int(tta_h * H), m)
        self.assertIs(m["conditional"], conditional, m)
        self.assertEqual(m["outcome"], outcome, m)
        # the list agrees with the one movement
        self.assertEqual(self.log.thing("movements", m["movement"]), m)

    # -- both answer, in each order

    def test_a_then_b_acknowledge(self):
        m = self.request()
        self.assertState(m, "pending", ["mil-a", "mil-b"], {})
        m = self.answer("mil-a", "acknowledged", 1)
        self.assertState(m, "pending", ["mil-b"], {"mil-a": ("acknowledged", 1, None, None)})
        m = self.answer("mil-b", "acknowledged", 3)
        self.assertState(m, "acknowledged", [], {"mil-a": ("acknowledged", 1, None, None),
                                                 "mil-b": ("acknowledged", 3, None, None)},
                         tta_h=3)

    def test_b_then_a_acknowledge(self):
        self.request()
        m = self.answer("mil-b", "acknowledged", 0.5)
        self.assertState(m, "pending", ["mil-a"], {"mil-b": ("acknowledged", 0.5, None, None)})
        m = self.answer("mil-a", "acknowledged", 2.25)
        self.assertState(m, "acknowledged", [], {"mil-a": ("acknowledged", 2.25, None, None),
                                                 "mil-b": ("acknowledged", 0.5, None, None)},
                         tta_h=2.25)

    def test_denial_by_a_before_b_answers(self):
        self.request()
        m = self.answer("mil-a", "denied", 1, reason="active hostilities on the route")
        self.assertState(m, "denied", ["mil-b"],
                         {"mil-a": ("denied", 1, "active hostilities on the route", None)})
        m = self.answer("mil-b", "acknowledged", 2)
        self.assertState(m, "denied", [],
                         {"mil-a": ("denied", 1, "active hostilities on the route", None),
                          "mil-b": ("acknowledged", 2, None, None)})

    def test_denial_by_b_before_a_answers(self):
        self.request()
        m = self.answer("mil-b", "denied", 4, reason="bridge out")
        self.assertState(m, "denied", ["mil-a"], {"mil-b": ("denied", 4, "bridge out", None)})

    def test_denial_by_b_after_a_acknowledged(self):
        self.request()
        self.answer("mil-a", "acknowledged", 1)
        m = self.answer("mil-b", "denied", 2, reason="closed area")
        self.assertState(m, "denied", [], {"mil-a": ("acknowledged", 1, None, None),
                                           "mil-b": ("denied", 2, "closed area", None)})

    def test_both_deny(self):
        self.request()
        self.answer("mil-a", "denied", 1, reason="r1")
        m = self.answer("mil-b", "denied", 2, reason="r2")
        self.assertState(m, "denied", [], {"mil-a": ("denied", 1, "r1", None),
                                           "mil-b": ("denied", 2, "r2", None)})

    def test_conditional_answers_count(self):
        self.request()
        m = self.answer("mil-a", "conditional", 1, conditions="escort from km 12")
        self.assertState(m, "pending", ["mil-b"],
                         {"mil-a": ("conditional", 1, None, "escort from km 12")},
                         conditional=True)
        m = self.answer("mil-b", "acknowledged", 2)
        self.assertState(m, "acknowledged", [],
                         {"mil-a": ("conditional", 1, None, "escort from km 12"),
                          "mil-b": ("acknowledged", 2, None, None)}, tta_h=2, conditional=True)

    def test_both_conditional(self):
        self.request()
        self.answer("mil-b", "conditional", 1, conditions="daylight only",
                    reason="curfew after dark")
        m = self.answer("mil-a", "conditional", 1.5, conditions="no more than 5 trucks")
        self.assertState(m, "acknowledged", [],
                         {"mil-a": ("conditional", 1.5, None, "no more than 5 trucks"),
                          "mil-b": ("conditional", 1, "curfew after dark", "daylight only")},
                         tta_h=1.5, conditional=True)

    def test_conditional_alongside_a_denial(self):
        self.request()
        self.answer("mil-a", "conditional", 1, conditions="escort")
        m = self.answer("mil-b", "denied", 2, reason="no")
        self.assertState(m, "denied", [], {"mil-a": ("conditional", 1, None, "escort"),
                                           "mil-b": ("denied", 2, "no", None)},
                         conditional=True)

    # -- answers changed: the latest of each org counts

    def test_denied_then_acknowledged(self):
        self.request()
        self.answer("mil-a", "denied", 1, reason="route unsafe")
        m = self.answer("mil-b", "acknowledged", 2)
        self.assertEqual(m["status"], "denied")
        m = self.answer("mil-a", "acknowledged", 5)
        self.assertState(m, "acknowledged", [], {"mil-a": ("acknowledged", 5, None, None),
                                                 "mil-b": ("acknowledged", 2, None, None)},
                         tta_h=5)

    def test_acknowledged_then_denied(self):
        self.request()
        self.answer("mil-a", "acknowledged", 1)
        m = self.answer("mil-b", "acknowledged", 2)
        self.assertEqual((m["status"], m["time_to_acknowledge_s"]), ("acknowledged", 2 * H))
        m = self.answer("mil-b", "denied", 6, reason="new fighting")
        self.assertState(m, "denied", [], {"mil-a": ("acknowledged", 1, None, None),
                                           "mil-b": ("denied", 6, "new fighting", None)})

    def test_conditional_then_acknowledged(self):
        self.request()
        self.answer("mil-a", "conditional", 1, conditions="escort")
        m = self.answer("mil-b", "acknowledged", 2)
        self.assertIs(m["conditional"], True)
        m = self.answer("mil-a", "acknowledged", 3)
        self.assertState(m, "acknowledged", [], {"mil-a": ("acknowledged", 3, None, None),
                                                 "mil-b": ("acknowledged", 2, None, None)},
                         tta_h=3)

    def test_answer_repeated_many_times(self):
        self.request()
        for i, d in enumerate(["acknowledged", "denied", "conditional", "denied",
                               "acknowledged"]):
            kw = {"reason": "r%d" % i} if d == "denied" else {}
            if d == "conditional":
                kw["conditions"] = "c%d" % i
            m = self.answer("mil-a", d, 1 + i, **kw)
            self.assertEqual(m["status"], "denied" if d == "denied" else "pending")
            self.assertEqual(len(m["answers"]), 1)
        m = self.answer("mil-b", "acknowledged", 10)
        self.assertState(m, "acknowledged", [], {"mil-a": ("acknowledged", 5, None, None),
                                                 "mil-b": ("acknowledged", 10, None, None)},
                         tta_h=10)

    # -- the set of active military orgs changes

    def test_military_org_admitted_later(self):
        L = self.log
        self.request()
        self.answer("mil-a", "acknowledged", 1)
        m = self.answer("mil-b", "acknowledged", 2)
        self.assertEqual(m["status"], "acknowledged")
        L.admit("mil-c", ["military"])
        m = L.movement("m")
        self.assertState(m, "pending", ["mil-c"], {"mil-a": ("acknowledged", 1, None, None),
                                                   "mil-b": ("acknowledged", 2, None, None)})
        m = self.answer("mil-c", "acknowledged", 7)
        self.assertState(m, "acknowledged", [], {"mil-a": ("acknowledged", 1, None, None),
                                                 "mil-b": ("acknowledged", 2, None, None),
                                                 "mil-c": ("acknowledged", 7, None, None)},
                         tta_h=7)
        # an org that is military among other roles counts too
        L.admit("liaison", ["humanitarian", "military"])
        self.assertEqual(L.movement("m")["status"], "pending")
        m = self.answer("liaison", "conditional", 8, conditions="escort")
        self.assertEqual((m["status"], m["conditional"], m["time_to_acknowledge_s"]),
                         ("acknowledged", True, 8 * H))
        # a non-military org admitted later changes nothing
        L.admit("ngo2", ["humanitarian", "monitor"])
        self.assertEqual(L.movement("m"), m)

    def test_suspended_military_org_that_has_not_answered(self):
        L = self.log
        self.request()
        m = self.answer("mil-a", "acknowledged", 1)
        self.assertEqual(m["status"], "pending")
        L.suspend("mil-b")
        m = L.movement("m")
        self.assertState(m, "acknowledged", [], {"mil-a": ("acknowledged", 1, None, None)},
                         tta_h=1)
        L.reinstate("mil-b")
        m = L.movement("m")
        self.assertState(m, "pending", ["mil-b"], {"mil-a": ("acknowledged", 1, None, None)})
        m = self.answer("mil-b", "acknowledged", 9)
        self.assertState(m, "acknowledged", [], {"mil-a": ("acknowledged", 1, None, None),
                                                 "mil-b": ("acknowledged", 9, None, None)},
                         tta_h=9)

    def test_suspended_military_org_whose_denial_no_longer_counts(self):
        L = self.log
        self.request()
        self.answer("mil-a", "denied", 1, reason="no")
        m = self.answer("mil-b", "acknowledged", 2)
        self.assertEqual(m["status"], "denied")
        L.suspend("mil-a")
        m = L.movement("m")
        self.assertState(m, "acknowledged", [], {"mil-b": ("acknowledged", 2, None, None)},
                         tta_h=2)
        L.reinstate("mil-a")
        self.assertEqual(L.movement("m")["status"], "denied")

    def test_no_military_org_at_all(self):
        """With no active military org nobody can acknowledge: the movement
        stays pending, waiting for no one."""
        L = self.log
        L.suspend("mil-a")
        L.suspend("mil-b")
        m = self.request()
        self.assertState(m, "pending", [], {})

    # -- the reported outcome overrides

    def test_completed_after_acknowledged(self):
        self.request()
        self.answer("mil-a", "acknowledged", 1)
        self.answer("mil-b", "conditional", 2, conditions="escort")
        m = self.report("completed", 80)
        self.assertState(m, "completed", [], {"mil-a": ("acknowledged", 1, None, None),
                                              "mil-b": ("conditional", 2, None, "escort")},
                         tta_h=2, conditional=True, outcome="completed")
        self.assertEqual(m["report"], {"outcome": "completed", "time": self.at(80)})
        # later changes of the military set do not change the outcome
        self.log.admit("mil-c", ["military"])
        m2 = self.log.movement("m")
        self.assertEqual((m2["status"], m2["outcome"]), ("completed", "completed"))

    def test_reported_movement_keeps_its_answers(self):
        """Once reported, a movement's answers are history: a military org
        admitted or suspended after the report does not make a completed
        movement wait for anyone, nor change its time to acknowledge, nor
        the median of /v1/stats."""
        L = self.log
        self.request()
        self.answer("mil-a", "acknowledged", 1)
        self.answer("mil-b", "acknowledged", 2)
        m = self.report("completed", 80)
        self.assertEqual((m["status"], m["waiting_for"], m["time_to_acknowledge_s"]),
                         ("completed", [], 2 * H))
        self.assertEqual(L.stats()["movements"]["median_time_to_acknowledge_s"], 2 * H)
        L.admit("mil-c", ["military"])
        m = L.movement("m")
        self.assertEqual((m["status"], m["waiting_for"], m["time_to_acknowledge_s"]),
                         ("completed", [], 2 * H), m)
        self.assertEqual(L.stats()["movements"]["median_time_to_acknowledge_s"], 2 * H)
        L.suspend("mil-b")
        m = L.movement("m")
        self.assertEqual((m["time_to_acknowledge_s"], len(m["answers"])), (2 * H, 2), m)

    def test_impeded_with_an_incident(self):
        L = self.log
        self.request()
        self.answer("mil-a", "acknowledged", 1)
        self.answer("mil-b", "acknowledged", 1)
        L.ok(self.k["hum"], "incident.report",
             ct.incident_body("inc-1", "convoy_attack", "high", self.at(75), movement="m"))
        m = self.report("impeded", 76, reason="stopped at a checkpoint", incident="inc-1")
        self.assertState(m, "impeded", [], {"mil-a": ("acknowledged", 1, None, None),
                                            "mil-b": ("acknowledged", 1, None, None)},
                         tta_h=1, outcome="impeded")
        self.assertEqual(m["report"], {"outcome": "impeded", "reason": "stopped at a checkpoint",
                                       "incident": "inc-1", "time": self.at(76)})

    def test_aborted_while_pending(self):
        self.request()
        self.answer("mil-a", "acknowledged", 1)
        m = self.report("aborted", 3, reason="fuel")
        self.assertState(m, "aborted", ["mil-b"], {"mil-a": ("acknowledged", 1, None, None)},
                         outcome="aborted")
        # no more answers once reported
        r, _ = self.log.submit(self.k["mil-b"], "movement.respond", ct.respond_body("m"),
                               org="mil-b")
        self.assertError(r, 409, "rule_violation", "body.movement")
        self.assertEqual(self.log.movement("m"), m)

    def test_cancelled_while_denied(self):
        self.request()
        self.answer("mil-b", "denied", 1, reason="no")
        m = self.report("cancelled", 2)
        self.assertState(m, "cancelled", ["mil-a"], {"mil-b": ("denied", 1, "no", None)},
                         outcome="cancelled")

    def test_outcomes_on_many_movements(self):
        """Every outcome from every status."""
        L = self.log
        states = {
            "pending": lambda mid: self.answer("mil-a", "acknowledged", 1, mid=mid),
            "denied": lambda mid: self.answer("mil-a", "denied", 1, reason="x", mid=mid),
            "acknowledged": lambda mid: (self.answer("mil-a", "acknowledged", 1, mid=mid),
                                         self.answer("mil-b", "acknowledged", 2, mid=mid)),
        }
        for status, make in states.items():
            for outcome in ("completed", "impeded", "aborted", "cancelled"):
                mid = "m-%s-%s" % (status, outcome)
                self.request(mid)
                make(mid)
                self.assertEqual(L.movement(mid)["status"], status)
                m = self.report(outcome, 5, mid=mid)
                self.assertEqual((m["status"], m["outcome"], m["report"]["outcome"]),
                                 (outcome, outcome, outcome))
        by = {}
        for m in L.things("movements"):
            by[m["status"]] = by.get(m["status"], 0) + 1
        self.assertEqual(by, {"completed": 3, "impeded": 3, "aborted": 3, "cancelled": 3})

    def test_state_rebuilt_from_the_log(self):
        """The picture (sites, zones, movements with their derived fields,
        incidents, stats) is the same after `cmcc rebuild`: the latest
        answer of each org is found again."""
        L = self.log
        self.request("m1")
        self.answer("mil-a", "denied", 1, reason="x", mid="m1")
        self.answer("mil-a", "acknowledged", 2, mid="m1")
        self.answer("mil-b", "conditional", 3, conditions="c", mid="m1")
        self.request("m2")
        self.answer("mil-b", "denied", 1, reason="y", mid="m2")
        self.request("m3")
        self.answer("mil-a", "acknowledged", 1, mid="m3")
        self.report("cancelled", 4, mid="m3")
        L.ok(self.k["hum"], "site.notify", ct.site_body("s1", lat=31.25, lon=34.25))
        L.ok(self.k["mil-a"], "zone.declare", ct.zone_body("z1", ct.rect(31.2, 34.2, 31.3, 34.3),
                                                           from_=self.at(-1)))
        L.ok(self.k["mil-b"], "zone.declare", ct.zone_body("z2", ct.rect(31.0, 34.0, 31.1, 34.1)))
        L.ok(self.k["mil-b"], "zone.lift", {"zone": "z2"})
        L.ok(self.k["hum"], "incident.report", ct.incident_body("i1", movement="m2"))
        L.ok(L.coord, "incident.assess", {"incident": "i1", "status": "verified"})
        L.suspend("mil-b")

        def picture():
            p = {k: L.things(k) for k in ("sites", "zones", "movements", "incidents")}
            p["stats"] = L.stats()["movements"]
            return p
        before = picture()
        self.assertEqual(before["movements"][0]["status"], "acknowledged")
        self.assertEqual(before["sites"][0]["warnings"][0]["zone"], "z1")
        status, out = L.stop()
        self.assertEqual(status, 0, out)
        r = ct.run("rebuild", L.dir, timeout=120)
        self.assertEqual(r.returncode, 0, r.stderr)
        L.start()
        self.assertEqual(picture(), before)


class Warnings(ct.LogTestCase):
    """Zones (by mil, in [lat, lon]; every area is its own 0.1-degree band
    of latitude so that a route meets only the zone it is meant to):

      closed      31.50..31.60 x 34.40..34.50, closed, from a day ago, open
      closed-cw   the same shape at 31.62..31.68, given clockwise
      restricted  31.70..31.80, restricted
      hazard      31.90..32.00, hazard
      lifted      32.10..32.20, closed, lifted
      past        32.30..32.40, closed, from 10 days ago until 5 days ago
      ends        32.50..32.60, closed, until 72 h from now
      future      32.70..32.80, closed, from 100 h from now
      u           a U open to the north: 33.00..33.30 x 34.40..34.70 less the
                  notch 33.10..33.30 x 34.50..34.60; closed

    Movements (by hum) are requested now with windows 72..80 h from now
    unless said otherwise, so that only the warnings meant show.
    """

    ZONES = {
        "closed": ("closed", ct.rect(31.50, 34.40, 31.60, 34.50), -24, None),
        "closed-cw": ("closed", list(reversed(ct.rect(31.62, 34.40, 31.68, 34.50))), -24, None),
        "restricted": ("restricted", ct.rect(31.70, 34.40, 31.80, 34.50), -24, None),
        "hazard": ("hazard", ct.rect(31.90, 34.40, 32.00, 34.50), -24, None),
        "lifted": ("closed", ct.rect(32.10, 34.40, 32.20, 34.50), -24, None),
        "past": ("closed", ct.rect(32.30, 34.40, 32.40, 34.50), -240, -120),
        "ends": ("closed", ct.rect(32.50, 34.40, 32.60, 34.50), -24, 72),
        "future": ("closed", ct.rect(32.70, 34.40, 32.80, 34.50), 100, None),
        "u": ("closed", [[33.00, 34.40], [33.00, 34.70], [33.30, 34.70], [33.30, 34.60],
                         [33.10, 34.60], [33.10, 34.50], [33.30, 34.50], [33.30, 34.40]],
              -24, None),
    }

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        L = cls.log
        cls.now = int(time.time())
        cls.k = {"hum": L.admit("hum", ["humanitarian"])[0],
                 "mil": L.admit("mil", ["military"])[0]}
        for zid, (kind, poly, h0, h1) in cls.ZONES.items():
            L.ok(cls.k["mil"], "zone.declare",
                 ct.zone_body(zid, poly, kind, cls.at(h0), None if h1 is None else cls.at(h1)))
        L.ok(cls.k["mil"], "zone.lift", {"zone": "lifted"})

    @classmethod
    def at(cls, h):
        return ct.rfc3339(cls.now + h * H)

    def warnings(self, route, w0=72, w1=80, t=0):
        """The warnings of a new movement on route, requested at now + t
        hours, its window now + w0 .. now + w1 hours."""
        mid = ct.new_id("m")
        r, _ = self.log.submit(self.k["hum"], "movement.request",
                               ct.movement_body(mid, route, self.at(w0), self.at(w1)),
                               org="hum", t=self.at(t))
        self.assertReceipt(r)
        return self.log.movement(mid)["warnings"]

    def zones_warned(self, route, **kw):
        ws = self.warnings(route, **kw)
        for w in ws:
            if w["kind"] == "zone":
                self.assertEqual(set(w), {"kind", "zone", "zone_kind", "declared_by", "message"})
                self.assertEqual(w["declared_by"], "mil")
                self.assertEqual(w["zone_kind"], self.ZONES[w["zone"]][0])
                self.assertIn(w["zone"], w["message"])
        return sorted(w["zone"] for w in ws if w["kind"] == "zone")

    # -- zones on the route

    def test_route_through_a_closed_zone(self):
        self.assertEqual(self.zones_warned([[31.55, 34.45], [31.45, 34.45]]), ["closed"])
        self.assertEqual(self.zones_warned([[31.40, 34.30], [31.55, 34.45],
                                            [31.40, 34.60]]), ["closed"])

    def test_leg_crossing_a_zone_with_no_point_inside(self):
        """Both route points outside, the leg between them across the zone."""
        self.assertEqual(self.zones_warned([[31.55, 34.30], [31.55, 34.60]]), ["closed"])
        self.assertEqual(self.zones_warned([[31.45, 34.30], [31.45, 34.35], [31.69, 34.50]]),
                         ["closed", "closed-cw"])
        self.assertEqual(self.zones_warned([[31.75, 34.30], [31.75, 34.60]]), ["restricted"])

    def test_clockwise_zone_warns_like_any(self):
        self.assertEqual(self.zones_warned([[31.65, 34.30], [31.65, 34.60]]), ["closed-cw"])

    def test_route_beside_a_zone(self):
        self.assertEqual(self.warnings([[31.45, 34.30], [31.45, 34.60]]), [])
        self.assertEqual(self.warnings([[31.40, 34.30], [31.49, 34.60]]), [])

    def test_restricted_zone(self):
        self.assertEqual(self.zones_warned([[31.75, 34.45], [31.85, 34.45]]), ["restricted"])

    def test_hazard_zone_gives_no_warning(self):
        self.assertEqual(self.warnings([[31.95, 34.45], [31.95, 34.30]]), [])
        self.assertEqual(self.warnings([[31.95, 34.30], [31.95, 34.60]]), [])

    def test_lifted_zone_gives_no_warning(self):
        self.assertEqual(self.warnings([[32.15, 34.30], [32.15, 34.60]]), [])

    def test_zone_out_of_the_window(self):
        past = [[32.35, 34.30], [32.35, 34.60]]
        self.assertEqual(self.warnings(past), [])
        # a window while it was in force (requested in time beforehand)
        self.assertEqual(self.zones_warned(past, w0=-150, w1=-140, t=-200), ["past"])
        # a window ending as it came into force: no overlap
        self.assertEqual(self.warnings(past, w0=-250, w1=-240, t=-300), [])
        ends = [[32.55, 34.30], [32.55, 34.60]]
        self.assertEqual(self.warnings(ends), [])  # ends as the window starts
        self.assertEqual(self.zones_warned(ends, w0=71, w1=80), ["ends"])
        future = [[32.75, 34.30], [32.75, 34.60]]
        self.assertEqual(self.warnings(future), [])
        self.assertEqual(self.warnings(future, w0=90, w1=100), [])  # ends as it starts
        self.assertEqual(self.zones_warned(future, w0=90, w1=101), ["future"])
        self.assertEqual(self.zones_warned(future, w0=1000, w1=1001), ["future"])

    def test_concave_zone_notch(self):
        """Into the notch of the U and out again, and across it, without
        touching the zone: no warning; into an arm: a warning."""
        notch = [[33.40, 34.51], [33.20, 34.51], [33.15, 34.55], [33.20, 34.59], [33.40, 34.59]]
        self.assertEqual(self.warnings(notch), [])
        self.assertEqual(self.warnings([[33.40, 34.55], [33.11, 34.55]]), [])
        self.assertEqual(self.warnings([[33.25, 34.52], [33.25, 34.58]]), [])
        self.assertEqual(self.zones_warned([[33.40, 34.45], [33.20, 34.45]]), ["u"])
        self.assertEqual(self.zones_warned([[33.25, 34.55], [33.25, 34.65]]), ["u"])
        self.assertEqual(self.zones_warned([[33.40, 34.55], [33.05, 34.55]]), ["u"])
        self.assertEqual(self.zones_warned([[33.35, 34.30], [33.35, 34.80], [32.95, 34.80],
                                            [32.95, 34.30]]), [])

    def test_route_across_many_zones(self):
        route = [[31.45, 34.45], [33.40, 34.45]]  # north through every band
        self.assertEqual(self.zones_warned(route), ["closed", "closed-cw", "restricted", "u"])

    def test_zone_declared_after_the_request_and_then_lifted(self):
        """Warnings are derived when read: a zone declared after the
        request warns; lifting it takes the warning away."""
        L = self.log
        mid = ct.new_id("m")
        L.ok(self.k["hum"], "movement.request",
             ct.movement_body(mid, [[34.05, 34.30], [34.05, 34.60]], self.at(72), self.at(80)))
        self.assertEqual(L.movement(mid)["warnings"], [])
        zid = ct.new_id("z")
        L.ok(self.k["mil"], "zone.declare", ct.zone_body(zid, ct.rect(34.0, 34.4, 34.1, 34.5),
                                                         "restricted"))
        ws = L.movement(mid)["warnings"]
        self.assertEqual([(w["kind"], w["zone"], w["zone_kind"]) for w in ws],
                         [("zone", zid, "restricted")])
        L.ok(self.k["mil"], "zone.lift", {"zone": zid})
        self.assertEqual(L.movement(mid)["warnings"], [])

    # -- notice

    def test_short_notice(self):
        m = self.warnings([[30.0, 30.0], [30.1, 30.1]], w0=47, w1=50)
        self.assertEqual([(w["kind"], w["notice_hours"]) for w in m], [("short_notice", 47)])
        self.assertEqual(set(m[0]), {"kind", "notice_hours", "message"})
        self.assertEqual(self.warnings([[30.0, 30.0], [30.1, 30.1]], w0=48, w1=50), [])
        # notice is counted from the request's event time, not from now
        self.assertEqual(self.warnings([[30.0, 30.0], [30.1, 30.1]], w0=10, w1=12, t=-40), [])
        m = self.warnings([[30.0, 30.0], [30.1, 30.1]], w0=-20, w1=-19, t=-60)
        self.assertEqual([(w["kind"], w["notice_hours"]) for w in m], [("short_notice", 40)])
        m = self.warnings([[30.0, 30.0], [30.1, 30.1]], w0=0, w1=5)
        self.assertEqual([(w["kind"], w["notice_hours"]) for w in m], [("short_notice", 0)])

    def test_short_notice_one_second_short(self):
        mid = ct.new_id("m")
        t = self.now - 100
        body = ct.movement_body(mid, [[30.0, 30.0], [30.1, 30.1]], ct.rfc3339(t + 48 * H - 1),
                                ct.rfc3339(t + 50 * H))
        r, _ = self.log.submit(self.k["hum"], "movement.request", body, org="hum",
                               t=ct.rfc3339(t))
        self.assertReceipt(r)
        ws = self.log.movement(mid)["warnings"]
        self.assertEqual([w["kind"] for w in ws], ["short_notice"])

    def test_short_notice_and_a_zone(self):
        ws = self.warnings([[31.55, 34.30], [31.55, 34.60]], w0=5, w1=8)
        self.assertEqual(sorted((w["kind"], w.get("zone")) for w in ws),
                         [("short_notice", None), ("zone", "closed")])

    # -- sites

    def test_passing_a_notified_site_is_fine(self):
        L = self.log
        sid = ct.new_id("s")
        L.ok(self.k["hum"], "site.notify", ct.site_body(sid, lat=30.5, lon=30.5, kind="hospital",
                                                        radius_m=5000))
        self.assertEqual(self.warnings([[30.4, 30.5], [30.5, 30.5], [30.6, 30.5]]), [])
        self.assertEqual(self.warnings([[30.5, 30.49], [30.5, 30.51]]), [])

    def site_warnings(self, lat, lon, from_h=-24, until_h=None):
        L = self.log
        sid = ct.new_id("s")
        L.ok(self.k["hum"], "site.notify",
             ct.site_body(sid, lat=lat, lon=lon, from_=self.at(from_h),
                          until=None if until_h is None else self.at(until_h)))
        ws = L.thing("sites", sid)["warnings"]
        for w in ws:
            self.assertEqual(set(w), {"kind", "zone", "declared_by", "message"})
            self.assertEqual((w["kind"], w["declared_by"]), ("inside_closed_zone", "mil"))
        return [w["zone"] for w in ws]

    def test_site_inside_an_active_closed_zone(self):
        self.assertEqual(self.site_warnings(31.55, 34.45), ["closed"])
        self.assertEqual(self.site_warnings(31.65, 34.45), ["closed-cw"])
        self.assertEqual(self.site_warnings(33.05, 34.65), ["u"])
        self.assertEqual(self.site_warnings(31.50, 34.45), ["closed"])  # on its edge

    def test_site_not_warned(self):
        self.assertEqual(self.site_warnings(31.75, 34.45), [])  # restricted
        self.assertEqual(self.site_warnings(31.95, 34.45), [])  # hazard
        self.assertEqual(self.site_warnings(32.15, 34.45), [])  # lifted
        self.assertEqual(self.site_warnings(33.20, 34.55), [])  # the U's notch
        self.assertEqual(self.site_warnings(31.45, 34.45), [])  # beside a zone
        self.assertEqual(self.site_warnings(32.35, 34.45), [])  # a zone of the past

    def test_site_and_zone_in_time(self):
        """A site is warned about a zone in force during its own time."""
        self.assertEqual(self.site_warnings(32.75, 34.45), ["future"])
        self.assertEqual(self.site_warnings(32.75, 34.45, until_h=50), [])
        self.assertEqual(self.site_warnings(32.35, 34.45, from_h=-300, until_h=-200), ["past"])
        self.assertEqual(self.site_warnings(32.55, 34.45, from_h=72, until_h=100), [])

    def test_withdrawn_site_not_warned(self):
        """A withdrawn site is no longer a notified site: no warning."""
        L = self.log
        sid = ct.new_id("s")
        L.ok(self.k["hum"], "site.notify", ct.site_body(sid, lat=31.56, lon=34.46))
        self.assertEqual([w["zone"] for w in L.thing("sites", sid)["warnings"]], ["closed"])
        L.ok(self.k["hum"], "site.withdraw", {"site": sid})
        s = L.thing("sites", sid)
        self.assertEqual((s["status"], s["warnings"]), ("withdrawn", []))

    def test_zone_declared_over_a_site_then_lifted(self):
        L = self.log
        sid = ct.new_id("s")
        L.ok(self.k["hum"], "site.notify", ct.site_body(sid, lat=34.55, lon=34.45))
        zone = ct.rect(34.5, 34.4, 34.6, 34.5)
        for kind in ("restricted", "hazard"):
            L.ok(self.k["mil"], "zone.declare", ct.zone_body(ct.new_id("z"), zone, kind))
        self.assertEqual(L.thing("sites", sid)["warnings"], [])
        zid = ct.new_id("z")
        L.ok(self.k["mil"], "zone.declare", ct.zone_body(zid, zone, "closed"))
        self.assertEqual([w["zone"] for w in L.thing("sites", sid)["warnings"]], [zid])
        L.ok(self.k["mil"], "zone.lift", {"zone": zid})
        self.assertEqual(L.thing("sites", sid)["warnings"], [])


class MovementStats(FreshLogCase):
    """GET /v1/stats (public): {"movements": {"requested", "by_status",
    "median_time_to_acknowledge_s"}}."""

    def test_stats(self):
        L = self.log
        k = {"hum": L.admit("hum", ["humanitarian"])[0], "a": L.admit("a", ["military"])[0],
             "b": L.admit("b", ["military"])[0]}
        self.assertEqual(L.stats()["movements"],
                         {"requested": 0, "by_status": {}, "median_time_to_acknowledge_s": None})
        t0 = int(time.time()) - 40 * H

        def at(h):
            return ct.rfc3339(t0 + h * H)

        def req(mid):
            L.submit(k["hum"], "movement.request",
                     ct.movement_body(mid, [[31.2, 34.2], [31.3, 34.3]], at(72), at(80)),
                     org="hum", t=at(0))

        def ans(org, mid, h, decision="acknowledged"):
            r, _ = L.submit(k[org], "movement.respond",
                            ct.respond_body(mid, decision,
                                            reason="no" if decision == "denied" else None,
                                            conditions="c" if decision == "conditional"
                                            else None),
                            org=org, t=at(h))
            self.assertEqual(r.status, 200, r)

        def rep(mid, outcome):
            r, _ = L.submit(k["hum"], "movement.report", ct.report_body(mid, outcome), org="hum",
                            t=at(30))
            self.assertEqual(r.status, 200, r)

        req("m1"), ans("a", "m1", 0.5), ans("b", "m1", 1)                      # ack, 1 h
        req("m2"), ans("b", "m2", 2), ans("a", "m2", 1), rep("m2", "completed")  # 2 h
        req("m3"), ans("a", "m3", 5, "conditional"), ans("b", "m3", 4)          # 5 h
        req("m4"), ans("a", "m4", 1, "denied")                                  # denied
        req("m5"), ans("a", "m5", 1)                                            # pending
        req("m6"), rep("m6", "cancelled")
        req("m7"), ans("a", "m7", 3), ans("b", "m7", 3), rep("m7", "impeded")   # 3 h
        req("m8"), rep("m8", "aborted")
        ans("b", "m4", 2)
        s = L.stats()["movements"]
        self.assertEqual(s["requested"], 8)
        self.assertEqual(s["by_status"], {"acknowledged": 2, "completed": 1, "denied": 1,
                                          "pending": 1, "cancelled": 1, "impeded": 1,
                                          "aborted": 1})
        # 1, 2, 3, 5 h: the mean of the middle two
        self.assertEqual(s["median_time_to_acknowledge_s"], int(2.5 * H))
        req("m9"), ans("a", "m9", 4), ans("b", "m9", 0.25)                       # 4 h
        s = L.stats()["movements"]
        self.assertEqual(s["requested"], 9)
        self.assertEqual(s["by_status"]["acknowledged"], 3)
        self.assertEqual(s["median_time_to_acknowledge_s"], 3 * H)  # 1 2 3 4 5
        # a new military org makes the open ones pending again
        L.admit("c", ["military"])
        s = L.stats()["movements"]
        self.assertEqual(s["by_status"], {"pending": 4, "completed": 1, "denied": 1,
                                          "cancelled": 1, "impeded": 1, "aborted": 1})
        # the list agrees with the stats
        by = {}
        for m in L.things("movements"):
            by[m["status"]] = by.get(m["status"], 0) + 1
        self.assertEqual(by, s["by_status"])


if __name__ == "__main__":
    ct.main()
