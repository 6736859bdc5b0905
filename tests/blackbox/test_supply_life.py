#!/usr/bin/python3
"""The full life of a consignment (docs/protocol.md 3 "Supply", 5), every account
checked at every step, then every read of the supply picture.

The story, with event times days in the past ("events captured offline may
be days old"; day 0 is twelve days ago, UTC):

  day 0  relief-a declares c-life at crossing north: 1 flour 1000 bags,
         2 hygiene kits 300, 3 tarpaulins 200; gate (inspector) screens
         it: line 2 cut to 250 (expired); 600 of line 1 and all 250 of
         line 2 enter to trucks (transporter), who accepts 590 of line 1:
         10 unaccounted:gate
  day 1  the other 400 of line 1 and 200 of line 3 enter, accepted in full;
         relief-b declares c-east (screened) and relief-a c-late (not
         screened) at crossing east
  day 2  trucks splits line 1 between the warehouses of relief-a (500,
         with 150 of line 2) and relief-b (490, with 200 of line 3);
         relief-a accepts all, relief-b 480 of line 1: 10 unaccounted:trucks
  day 3-5  distributions at three distribution points
  day 6  relief-b's convoy is looted: 80 of line 1 lost from held
  day 7  the coordinator settles gate's 10 unaccounted (lost:intercepted)
  day 8  relief-a sends 50 of line 2 to relief-b, who rejects it: back to
         relief-a's held; trucks sends its last 100 of line 2 to relief-a:
         left pending

After each event, GET /v1/consignments/c-life must show exactly the
accounts a model of the ledger expects (zero balances left out, summing to
`entered`). At the end: the events list against the receipts, the list's
filters, the alerts under two configurations (DIR/cmcc.conf) and the
defaults, with ?at= moving the clock, /v1/stats without a token,
/v1/reconciliation, and the two CSV exports (parsed with Python's csv
module, HXL row, figures as in the JSON).
"""
import os
import sys
import time
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import cmcctest as ct  # noqa: E402

DAY = 86400
DAY0 = (int(time.time()) // DAY - 12) * DAY  # midnight UTC, twelve days ago


def T(day, hour, minute=0):
    return DAY0 + day * DAY + hour * 3600 + minute * 60


def iso(t):
    return ct.rfc3339(t)


def date(t):
    return time.strftime("%Y-%m-%d", time.gmtime(t))


HA, HB, TR, GATE = "relief-a", "relief-b", "trucks", "gate"
C = "c-life"

CONF_A = """# thresholds for the life test
alerts.pending_hours = 36
alerts.idle_hours = 48
alerts.loss_percent = 2.5
alerts.loss_window_days = 10
"""
CONF_B = """alerts.pending_hours=240
alerts.idle_hours = 720
alerts.loss_percent = 0.5
alerts.loss_window_days = 30
# the documented defaults, written out
rate.events_per_second = 0
rate.burst = 0
"""


class Life(unittest.TestCase):
    """One log, one story; the tests run in order (test_1..., test_2...)."""

    @classmethod
    def setUpClass(cls):
        cls.log = L = ct.Log()
        cls.addClassCleanup(L.close)
        ct.write_conf(os.path.join(L.dir, "cmcc.conf"), CONF_A)
        L.start()
        cls.k = {"cell": L.coord}
        for org, roles in ((HA, ["humanitarian"]), (HB, ["humanitarian"]),
                           (TR, ["transporter"]), (GATE, ["inspector"])):
            cls.k[org] = L.admit(org, roles)[0]
        L.define_place("north", "crossing")
        L.define_place("east", "crossing")
        for p, kind in (("wh-a", "warehouse"), ("wh-b", "warehouse"),
                        ("dp-1", "distribution_point"), ("dp-2", "distribution_point"),
                        ("dp-3", "distribution_point")):
            L.define_place(p, kind)
        cls.model = {}      # line -> {account: qty}, the ledger as the test expects it
        cls.events = []     # the events of c-life as their receipts name them
        cls.done = False

    @classmethod
    def tearDownClass(cls):
        if cls.log.server:
            err = cls.log.server.stderr
            status, out = cls.log.stop()
            ct.check_clean_exit(status, out, err())

    # -- the ledger model

    def send(self, signer, type_, body, t, moves=(), mine=True):
        """Signs and posts an event of time t, which must be accepted; applies
        moves (line, from, to, qty; None = outside the book) to the model and
        checks c-life against it."""
        L = self.log
        ev = ct.event(type_, body, signer, t=iso(t))
        size = L.size()
        r = L.post(ct.signed(self.k[signer], ev))
        self.assertEqual(r.status, 200, (type_, body, r))
        self.assertEqual(r.json["index"], size)
        if mine:
            self.events.append({"index": size, "type": type_, "org": signer, "id": ev["id"]})
        for line, frm, to, q in moves:
            acc = self.model.setdefault(line, {})
            if frm:
                acc[frm] = acc.get(frm, 0) - q
                self.assertGreaterEqual(acc[frm], 0, "the model went negative")
            if to:
                acc[to] = acc.get(to, 0) + q
        if mine:
            self.check()
        return r.json

    def check(self):
        c = self.log.consignment(C)
        self.assertEqual(ct.ledger_problems(c), [], c)
        want = {n: {a: q for a, q in acc.items() if q} for n, acc in self.model.items()}
        got = ct.balances(c)
        self.assertEqual({n: got[n] for n in want}, want)
        for l in c["lines"]:
            self.assertEqual(l["entered"], sum(want.get(l["line"], {}).values()), l)
            if l["line"] not in want:
                self.assertEqual(l["accounts"], {})
        return c

    # -- the story

    def test_1_life(self):
        L = self.log
        s = self.send
        lines = [{"line": 1, "item": "wheat flour, 50 kg", "category": "food", "quantity": 1000,
                  "unit": "bag", "weight_kg": 50000},
                 {"line": 2, "item": 'hygiene kit "family"', "category": "wash", "quantity": 300,
                  "unit": "kit"},
                 {"line": 3, "item": "tarpaulin", "category": "shelter", "quantity": 200,
                  "unit": "unit"}]
        # day 0
        s(HA, "consignment.declare", ct.declare_body(C, "north", lines, donor="ECHO",
                                                     reference="PO-2025-17"), T(0, 8))
        self.assertEqual(L.consignment(C)["status"], "declared")
        s(GATE, "consignment.screen", ct.screen_body(C, {1: 1000, 2: 250, 3: 200},
                                                     {2: "expired"}), T(0, 9))
        self.assertEqual(L.consignment(C)["status"], "screened")
        s(GATE, "consignment.enter", ct.enter_body(C, "e-1", "north", TR, {1: 600, 2: 250}),
          T(0, 10), [(1, None, "pending:e-1", 600), (2, None, "pending:e-1", 250)])
        self.assertEqual(L.consignment(C)["status"], "in_transit")
        s(TR, "custody.accept", ct.accept_body("e-1", {1: 590, 2: 250}), T(0, 14),
          [(1, "pending:e-1", "held:" + TR, 590), (1, "pending:e-1", "unaccounted:" + GATE, 10),
           (2, "pending:e-1", "held:" + TR, 250)])
        self.assertEqual(L.consignment(C)["status"], "in_custody")
        # day 1
        s(GATE, "consignment.enter", ct.enter_body(C, "e-2", "north", TR, {1: 400, 3: 200}),
          T(1, 9), [(1, None, "pending:e-2", 400), (3, None, "pending:e-2", 200)])
        s(TR, "custody.accept", ct.accept_body("e-2", {1: 400, 3: 200}), T(1, 12),
          [(1, "pending:e-2", "held:" + TR, 400), (3, "pending:e-2", "held:" + TR, 200)])
        s(HB, "consignment.declare", ct.declare_body("c-east", "east", {1: 100}), T(1, 13),
          mine=False)
        s(GATE, "consignment.screen", ct.screen_body("c-east", {1: 100}), T(1, 14), mine=False)
        s(HA, "consignment.declare", ct.declare_body("c-late", "east", {1: 40, 2: 7}), T(1, 15),
          mine=False)
        # day 2: trucks splits line 1 between two warehouses
        s(TR, "custody.transfer", ct.transfer_body("t-a", C, HA, {1: 500, 2: 150}, place="wh-a"),
          T(2, 8), [(1, "held:" + TR, "pending:t-a", 500), (2, "held:" + TR, "pending:t-a", 150)])
        s(TR, "custody.transfer", ct.transfer_body("t-b", C, HB, {1: 490, 3: 200}, place="wh-b"),
          T(2, 9), [(1, "held:" + TR, "pending:t-b", 490), (3, "held:" + TR, "pending:t-b", 200)])
        s(HA, "custody.accept", ct.accept_body("t-a", {1: 500, 2: 150}), T(2, 12),
          [(1, "pending:t-a", "held:" + HA, 500), (2, "pending:t-a", "held:" + HA, 150)])
        s(HB, "custody.accept", ct.accept_body("t-b", {1: 480, 3: 200}), T(2, 13),
          [(1, "pending:t-b", "held:" + HB, 480), (1, "pending:t-b", "unaccounted:" + TR, 10),
           (3, "pending:t-b", "held:" + HB, 200)])
        # days 3-5: three distribution points
        s(HA, "distribution.record", ct.distribution_body("d-1", C, "dp-1", {1: 200, 2: 100},
                                                          households=300, individuals=1500),
          T(3, 10), [(1, "held:" + HA, "distributed", 200), (2, "held:" + HA, "distributed", 100)])
        s(HA, "distribution.record", ct.distribution_body("d-2", C, "dp-2", {1: 150}), T(4, 10),
          [(1, "held:" + HA, "distributed", 150)])
        s(HB, "distribution.record", ct.distribution_body("d-3", C, "dp-3", {1: 300, 3: 150},
                                                          households=410), T(5, 10),
          [(1, "held:" + HB, "distributed", 300), (3, "held:" + HB, "distributed", 150)])
        # day 6: looted
        s(HB, "loss.report", ct.loss_body("l-1", C, "looted", "held", {1: 80}, incident="inc-9"),
          T(6, 18), [(1, "held:" + HB, "lost:looted", 80)])
        # day 7: the coordinator settles the gate's shortfall
        s("cell", "loss.report", ct.loss_body("l-2", C, "intercepted", "unaccounted", {1: 10},
                                              org=GATE),
          T(7, 9), [(1, "unaccounted:" + GATE, "lost:intercepted", 10)])
        # day 8: a rejected transfer, and one left pending
        s(HA, "custody.transfer", ct.transfer_body("t-r", C, HB, {2: 50}), T(8, 9),
          [(2, "held:" + HA, "pending:t-r", 50)])
        s(HB, "custody.reject", ct.reject_body("t-r", "no space"), T(8, 11),
          [(2, "pending:t-r", "held:" + HA, 50)])
        s(TR, "custody.transfer", ct.transfer_body("t-p", C, HA, {2: 100}), T(8, 12),
          [(2, "held:" + TR, "pending:t-p", 100)])
        c = self.check()
        self.assertEqual(ct.balances(c), {
            1: {"held:" + HA: 150, "held:" + HB: 100, "distributed": 650, "lost:looted": 80,
                "lost:intercepted": 10, "unaccounted:" + TR: 10},
            2: {"held:" + HA: 50, "pending:t-p": 100, "distributed": 100},
            3: {"held:" + HB: 50, "distributed": 150}})
        self.assertEqual([(l["declared"], l["approved"], l["entered"]) for l in c["lines"]],
                         [(1000, 1000, 1000), (300, 250, 250), (200, 200, 200)])
        self.assertEqual((c["declared"], c["approved"], c["entered"], c["held"], c["pending"],
                          c["distributed"], c["lost"], c["unaccounted"], c["status"]),
                         (1500, 1450, 1450, 350, 100, 900, 90, 10, "in_transit"))
        self.assertEqual((c["time"], c["donor"], c["reference"]), (iso(T(0, 8)), "ECHO",
                                                                  "PO-2025-17"))
        # the transfers
        tr = {t["transfer"]: t for t in c["transfers"]}
        self.assertEqual(list(tr), ["e-1", "e-2", "t-a", "t-b", "t-r", "t-p"])
        self.assertEqual({k: (v["kind"], v["from"], v["to"], v["place"], v["status"])
                          for k, v in tr.items()},
                         {"e-1": ("entry", GATE, TR, "north", "accepted"),
                          "e-2": ("entry", GATE, TR, "north", "accepted"),
                          "t-a": ("custody", TR, HA, "wh-a", "accepted"),
                          "t-b": ("custody", TR, HB, "wh-b", "accepted"),
                          "t-r": ("custody", HA, HB, None, "rejected"),
                          "t-p": ("custody", TR, HA, None, "pending")})
        self.assertEqual((tr["t-r"]["time"], tr["t-r"]["closed"], tr["t-r"]["reason"]),
                         (iso(T(8, 9)), iso(T(8, 11)), "no space"))
        self.assertEqual(tr["t-b"]["lines"], [{"line": 1, "sent": 490, "received": 480},
                                              {"line": 3, "sent": 200, "received": 200}])
        self.assertEqual(tr["t-p"]["closed"], None)
        self.assertEqual(tr["t-p"]["lines"], [{"line": 2, "sent": 100, "received": None}])
        # the events: exactly the receipts, in log order
        self.assertEqual(c["events"], self.events)
        type(self).done = True

    def setUp(self):
        if self._testMethodName != "test_1_life" and not self.done:
            self.skipTest("the life did not complete")

    # -- the reads

    def test_2_filters(self):
        L = self.log

        def ids(**f):
            return [x["consignment"] for x in L.consignments(**f)]

        self.assertEqual(ids(), [C, "c-east", "c-late"])
        self.assertEqual(ids(status="in_transit"), [C])
        self.assertEqual(ids(status="screened"), ["c-east"])
        self.assertEqual(ids(status="declared"), ["c-late"])
        self.assertEqual(ids(status="completed"), [])
        self.assertEqual(ids(crossing="north"), [C])
        self.assertEqual(ids(crossing="east"), ["c-east", "c-late"])
        self.assertEqual(ids(crossing="wh-a"), [])
        self.assertEqual(ids(org=HA), [C, "c-late"])
        self.assertEqual(ids(org=HB), [C, "c-east"])
        self.assertEqual(ids(org=TR), [C])  # owes 10 unaccounted, holds nothing now
        # the gate's shortfall was settled and it never held: no longer concerned
        self.assertEqual(ids(org=GATE), [])
        self.assertEqual(ids(org="nobody"), [])
        self.assertEqual(ids(status="in_transit", crossing="east"), [])
        self.assertEqual(ids(status="declared", org=HA, crossing="east"), ["c-late"])
        # the list's totals are the consignment's
        one = L.consignment(C)
        row = L.consignments(crossing="north")[0]
        for k in ("declared_by", "consignee", "crossing", "donor", "reference", "time", "status",
                  "declared", "approved", "entered", "held", "pending", "distributed", "lost",
                  "unaccounted"):
            self.assertEqual(row[k], one[k], k)
        self.assertEqual(row["lines"], 3)

    def alerts(self, at):
        r = self.log.get("/v1/alerts?at=" + iso(at))
        self.assertEqual(r.status, 200, r)
        self.assertEqual(r.json["as_of"], iso(at))
        return r.json

    def kinds(self, j, kind):
        return [a for a in j["alerts"] if a["kind"] == kind]

    def test_3_alerts(self):
        """Under CONF_A: pending 36 h, idle 48 h, loss 2.5 % over 10 days."""
        at = T(9, 12)
        j = self.alerts(at)
        self.assertEqual(j["thresholds"], {"pending_hours": 36, "idle_hours": 48,
                                           "loss_percent": 2.5, "loss_window_days": 10})
        # t-p has been pending 24 h: under 36, no alert
        self.assertEqual(self.kinds(j, "transfer_pending"), [])
        # every unaccounted balance, whatever the clock
        un = self.kinds(j, "unaccounted")
        self.assertEqual([(a["consignment"], a["line"], a["org"], a["quantity"], a["since"])
                          for a in un], [(C, 1, TR, 10, iso(T(2, 13)))])
        self.assertIn(TR, un[0]["message"])
        # holdings with no movement for 48 h
        idle = self.kinds(j, "idle_holding")
        self.assertEqual([(a["consignment"], a["line"], a["org"], a["quantity"], a["since"],
                           a["hours"]) for a in idle],
                         [(C, 1, HA, 150, iso(T(4, 10)), 122),
                          (C, 3, HB, 50, iso(T(5, 10)), 98),
                          (C, 1, HB, 100, iso(T(6, 18)), 66)])
        # losses over 2.5 % of what an org received in 10 days: relief-b, 80 of 680
        lr = self.kinds(j, "loss_rate")
        self.assertEqual([(a["org"], a["received"], a["lost"], a["percent"]) for a in lr],
                         [(HB, 680, 80, 11.8)])
        # alerts in order: pending, unaccounted, idle, loss rate
        self.assertEqual([a["kind"] for a in j["alerts"]],
                         ["unaccounted"] + ["idle_holding"] * 3 + ["loss_rate"])
        for a in j["alerts"]:
            self.assertTrue(a["message"], a)

        # 40 h after it was sent, t-p is an alert; relief-a's line 2, returned
        # by the rejection (day 8, 11:00), has been idle 41 h: not yet 48
        j = self.alerts(T(8, 12) + 40 * 3600)
        pend = self.kinds(j, "transfer_pending")
        self.assertEqual([(a["transfer"], a["consignment"], a["from"], a["to"], a["since"],
                           a["hours"]) for a in pend], [("t-p", C, TR, HA, iso(T(8, 12)), 40)])
        self.assertNotIn((2, HA), [(a["line"], a["org"]) for a in self.kinds(j, "idle_holding")])
        j = self.alerts(T(8, 11) + 49 * 3600)
        self.assertIn((2, HA, 50, iso(T(8, 11)), 49),
                      [(a["line"], a["org"], a["quantity"], a["since"], a["hours"])
                       for a in self.kinds(j, "idle_holding")])
        # just under the thresholds: no pending alert at 35 h
        j = self.alerts(T(8, 12) + 35 * 3600)
        self.assertEqual(self.kinds(j, "transfer_pending"), [])
        # idle for 47 h is not yet 48 (?at= moves the clock over the current
        # balances: it is not a view of the past)
        j = self.alerts(T(8, 11) + 47 * 3600)
        self.assertEqual([(a["line"], a["org"], a["hours"]) for a in self.kinds(j, "idle_holding")],
                         [(1, HA, 144), (3, HB, 120), (1, HB, 88)])
        # the loss window only sees the last 10 days: a month on, no loss rate
        j = self.alerts(T(40, 0))
        self.assertEqual(self.kinds(j, "loss_rate"), [])
        # the window ends at `at`: before the looting, relief-b lost nothing
        j = self.alerts(T(6, 17))
        self.assertEqual(self.kinds(j, "loss_rate"), [])

    def test_4_stats_are_public(self):
        L = self.log
        r = L.get("/v1/stats", token=None)
        self.assertEqual(r.status, 200, r)
        j = r.json
        self.assertEqual(j["size"], L.size())
        rows = {(d["day"], d["crossing"]): (d["consignments"], d["entered"], d["distributed"],
                                            d["lost"], d["unaccounted"])
                for d in j["supply"]["by_day"]}
        self.assertEqual(rows, {
            (date(T(0, 0)), "north"): (1, 850, 0, 0, 10),
            (date(T(1, 0)), "north"): (0, 600, 0, 0, 0),
            (date(T(1, 0)), "east"): (2, 0, 0, 0, 0),
            (date(T(2, 0)), "north"): (0, 0, 0, 0, 10),
            (date(T(3, 0)), "north"): (0, 0, 300, 0, 0),
            (date(T(4, 0)), "north"): (0, 0, 150, 0, 0),
            (date(T(5, 0)), "north"): (0, 0, 450, 0, 0),
            (date(T(6, 0)), "north"): (0, 0, 0, 80, 0),
            (date(T(7, 0)), "north"): (0, 0, 0, 10, 0),
            (date(T(8, 0)), "north"): (0, 0, 0, 0, 0)})
        days = [(d["day"], d["crossing"]) for d in j["supply"]["by_day"]]
        self.assertEqual(days, sorted(days))
        self.assertEqual(j["supply"]["totals"], {
            "consignments": 3, "declared": 1500 + 100 + 47, "approved": 1450 + 100,
            "entered": 1450, "held": 350, "pending": 100, "distributed": 900, "lost": 90,
            "unaccounted": 10})
        # per commodity and unit: never two units in one figure; they add up
        # to the totals, to by_category of /v1/reconciliation, and per day to by_day
        sup = j["supply"]
        keys = [(u["category"], u["unit"]) for u in sup["by_unit"]]
        self.assertEqual(keys, sorted(set(keys)))
        lines = set()
        for c in L.get("/v1/consignments").json["consignments"]:
            for ln in L.get("/v1/consignments/" + c["consignment"]).json["lines"]:
                lines.add((ln["category"], ln["unit"]))
        self.assertEqual(set(keys), lines)
        u = {(x["category"], x["unit"]): x for x in sup["by_unit"]}
        self.assertEqual((u["food", "bag"]["entered"], u["food", "bag"]["lost"]), (1000, 90))
        self.assertEqual((u["wash", "kit"]["entered"], u["wash", "kit"]["pending"]), (250, 100))
        measures = ("declared", "approved", "entered", "held", "pending", "distributed",
                    "lost", "unaccounted")
        for m in measures:
            self.assertEqual(sum(u[m] for u in sup["by_unit"]), sup["totals"][m], m)
        by_cat = {}
        for u in sup["by_unit"]:
            row = by_cat.setdefault(u["category"], dict(category=u["category"], lines=0,
                                                        **{m: 0 for m in measures}))
            row["lines"] += u["lines"]
            for m in measures:
                row[m] += u[m]
        self.assertEqual(sorted(by_cat.values(), key=lambda r: r["category"]),
                         L.get("/v1/reconciliation").json["by_category"])
        flows = ("entered", "distributed", "lost", "unaccounted")
        per_day = {}
        for d in sup["by_day_unit"]:
            self.assertTrue(any(d[m] for m in flows), d)
            self.assertIn((d["category"], d["unit"]), lines)
            acc = per_day.setdefault((d["day"], d["crossing"]), [0] * 4)
            for i, m in enumerate(flows):
                acc[i] += d[m]
        self.assertEqual(per_day, {k: list(v[1:]) for k, v in rows.items() if any(v[1:])})
        order = [(d["day"], d["crossing"], d["category"], d["unit"]) for d in sup["by_day_unit"]]
        self.assertEqual(order, sorted(order))

    def test_5_reconciliation(self):
        L = self.log
        r = L.get("/v1/reconciliation")
        self.assertEqual(r.status, 200, r)
        j = r.json
        z = dict(held=0, pending=0, distributed=0, lost=0, unaccounted=0)
        self.assertEqual(j["by_crossing"], [
            dict(crossing="east", consignments=2, declared=147, approved=100, entered=0, **z),
            dict(crossing="north", consignments=1, declared=1500, approved=1450, entered=1450,
                 held=350, pending=100, distributed=900, lost=90, unaccounted=10)])
        self.assertEqual(j["by_org"], [
            {"org": GATE, "received": 0, "sent": 1450, "held": 0, "distributed": 0, "lost": 10,
             "unaccounted": 0},
            {"org": HA, "received": 700, "sent": 50, "held": 200, "distributed": 450, "lost": 0,
             "unaccounted": 0},
            {"org": HB, "received": 680, "sent": 0, "held": 150, "distributed": 450, "lost": 80,
             "unaccounted": 0},
            {"org": TR, "received": 1440, "sent": 1440, "held": 0, "distributed": 0, "lost": 0,
             "unaccounted": 10}])
        self.assertEqual(j["by_category"], [
            dict(category="food", lines=4, declared=1147, approved=1100, entered=1000,
                 held=250, pending=0, distributed=650, lost=90, unaccounted=10),
            dict(category="shelter", lines=1, declared=200, approved=200, entered=200, held=50,
                 pending=0, distributed=150, lost=0, unaccounted=0),
            dict(category="wash", lines=1, declared=300, approved=250, entered=250, held=50,
                 pending=100, distributed=100, lost=0, unaccounted=0)])
        self.assertEqual(j["totals"], L.get("/v1/stats", token=None).json["supply"]["totals"])

    def read_csv(self, path, filename):
        """The export's header, HXL row and records (cmcctest.csv_long)."""
        r = self.log.get(path)
        self.assertEqual(r.status, 200, r)
        self.assertTrue(r.headers["content-type"].startswith("text/csv"), r.headers)
        self.assertIn(filename, r.headers.get("content-disposition", ""))
        text = r.body.decode("utf-8")
        self.assertTrue(text.endswith("\r\n"))
        header, hxl, records = ct.csv_long(text)
        self.assertEqual(len(hxl), len(header))
        self.assertTrue(all(t.startswith("#") for t in hxl), hxl)
        tags = dict(zip(header, hxl))
        self.assertEqual((tags["consignment"], tags["figure"], tags["unit"], tags["value"]),
                         ("#meta+id", "#indicator+code", "#indicator+type", "#indicator+num"))
        return header, hxl, records

    def test_6_consignments_csv(self):
        L = self.log
        _, _, records = self.read_csv("/v1/consignments.csv", "consignments.csv")
        self.assertEqual([(k["consignment"], k["line"]) for k, _, _ in records],
                         [(C, "1"), (C, "2"), (C, "3"), ("c-east", "1"), ("c-late", "1"),
                          ("c-late", "2")])
        for k, f, units in records:
            c = L.consignment(k["consignment"])
            l = [x for x in c["lines"] if x["line"] == int(k["line"])][0]
            self.assertEqual((k["declared_by"], k["consignee"], k["crossing"], k["status"]),
                             (c["declared_by"], c["consignee"], c["crossing"], c["status"]))
            self.assertEqual(k["date"], c["time"][:10])
            self.assertEqual((k["item"], k["category"]), (l["item"], l["category"]))
            self.assertEqual(list(f), ["declared", "approved", "entered", "weight"])
            self.assertEqual(units, {"declared": l["unit"], "approved": l["unit"],
                                     "entered": l["unit"], "weight": "kg"})
            self.assertEqual(int(f["declared"]), l["declared"])
            self.assertEqual(f["approved"], "" if l["approved"] is None else str(l["approved"]))
            self.assertEqual(int(f["entered"]), l["entered"])
            self.assertEqual(f["weight"] and float(f["weight"]), l.get("weight_kg") or "")
        # the item names with a comma and with quotes came through csv quoting intact
        self.assertEqual(records[0][0]["item"], "wheat flour, 50 kg")
        self.assertEqual(records[1][0]["item"], 'hygiene kit "family"')
        self.assertEqual(records[0][0]["donor"], "ECHO")
        self.assertEqual(float(records[0][1]["weight"]), 50000)

    def test_7_reconciliation_csv(self):
        L = self.log
        _, _, records = self.read_csv("/v1/reconciliation.csv", "reconciliation.csv")
        q = ("approved", "entered", "held", "pending", "distributed", "lost", "unaccounted")
        self.assertEqual(len(records), 6)
        for k, f, units in records:
            c = L.consignment(k["consignment"])
            self.assertEqual((k["org"], k["crossing"], k["date"]),
                             (c["declared_by"], c["crossing"], c["time"][:10]))
            l = [x for x in c["lines"] if x["line"] == int(k["line"])][0]
            self.assertEqual(units, dict.fromkeys(q, l["unit"]))
            sums = dict.fromkeys(q[2:], 0)
            for a, n in l["accounts"].items():
                sums[a.split(":")[0]] += n
            got = {a: int(f[a]) for a in q}
            self.assertEqual(list(f), list(q))
            self.assertEqual(got, dict(approved=l["approved"] or 0, entered=l["entered"],
                                       **sums), k)
        # and the figures add up to the JSON reconciliation's totals
        tot = L.get("/v1/reconciliation").json["totals"]
        for a in q:
            self.assertEqual(sum(int(f[a]) for _, f, _ in records), tot[a], a)

    def test_8_thresholds_are_configuration(self):
        """Restarted with CONF_B, then with no cmcc.conf: the same log, other
        alerts; a bad cmcc.conf stops the server from starting."""
        L = self.log
        conf = os.path.join(L.dir, "cmcc.conf")
        L.stop()
        ct.write_conf(conf, CONF_B)
        L.start()
        j = self.alerts(T(9, 12))
        self.assertEqual(j["thresholds"], {"pending_hours": 240, "idle_hours": 720,
                                           "loss_percent": 0.5, "loss_window_days": 30})
        self.assertEqual(self.kinds(j, "transfer_pending"), [])
        self.assertEqual(self.kinds(j, "idle_holding"), [])
        self.assertEqual(len(self.kinds(j, "unaccounted")), 1)
        # at 0.5 %, the gate (10 of 1450) and trucks (10 of 1440) are over too
        self.assertEqual(sorted((a["org"], a["received"], a["lost"], a["percent"])
                                for a in self.kinds(j, "loss_rate")),
                         [(GATE, 1450, 10, 0.7), (HB, 680, 80, 11.8), (TR, 1440, 10, 0.7)])
        # the defaults: 24 h, 72 h, 5 %, 30 days
        L.stop()
        ct.write_conf(conf, "")
        L.start()
        j = self.alerts(T(9, 13))
        self.assertEqual(j["thresholds"], {"pending_hours": 24, "idle_hours": 72,
                                           "loss_percent": 5, "loss_window_days": 30})
        self.assertEqual([(a["transfer"], a["hours"]) for a in self.kinds(j, "transfer_pending")],
                         [("t-p", 25)])
        self.assertEqual([(a["line"], a["org"]) for a in self.kinds(j, "idle_holding")],
                         [(1, HA), (3, HB)])
        self.assertEqual([a["org"] for a in self.kinds(j, "loss_rate")], [HB])
        # without ?at=, the clock is now: everything is days old
        r = L.get("/v1/alerts")
        self.assertEqual(r.status, 200, r)
        pend = self.kinds(r.json, "transfer_pending")
        self.assertEqual([a["transfer"] for a in pend], ["t-p"])
        self.assertGreaterEqual(pend[0]["hours"], 24 * 3)
        # a typo in cmcc.conf: the server does not start
        L.stop()
        for bad in ("alerts.pending_hour = 24\n", "alerts.loss_percent = 101\n",
                    "alerts.idle_hours = soon\n", "alerts.idle_hours\n",
                    "rate.burst = -1\n"):
            ct.write_conf(conf, bad)
            with self.assertRaises(RuntimeError, msg=bad):
                L.start()
            L.server = None
        ct.write_conf(conf, "")
        L.start()
        r = ct.run("verify", L.url, "--vkey", L.vkey_text, "--token", L.token, timeout=120)
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)


if __name__ == "__main__":
    ct.main()
