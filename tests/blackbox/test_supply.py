#!/usr/bin/python3
"""The supply rules (docs/protocol.md 3 "Supply"), each refusal with its code.

Two parts:

  SupplyCases   every case of cases/supply.json, one refused event each,
                against one fixture (below): the answer's status, code and
                field (and a part of its message, when the case gives
                one); the log does not grow; no consignment changes (every
                consignment of the fixture is read before and after, through
                GET /v1/consignments/<id> and the list); an id the case
                introduces stays unknown.
  SupplyFlows   the rules that move quantity, as sequences: partial entries,
                rejection (back to the sender's held, or for an entry back
                to approved-not-entered), shortfalls charged to the sender,
                closed and reopened crossings, suspension and custody,
                settling unaccounted balances, batches, statuses.

After every accepted event the flows check the ledger of what it touched:
each line's accounts are positive and sum to `entered`.
"""
import json
import os
import re
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import cmcctest as ct  # noqa: E402


class Fixture:
    """The state cases/supply.json refers to, built once on one log.

    Orgs: cell (coordinator); hum, hum2 (humanitarian); hum-susp
    (humanitarian, suspended after receiving stock); insp, insp2 (inspector);
    trans, trans2 (transporter); mil (military); mon (monitor); ghost is never
    admitted.
    Places: crossings x1, x2 and xc (closed); warehouse wh1; distribution
    point dp1.
    Consignments (lines: declared quantities):
      c-decl  at x1 by hum, {1: 100, 2: 50}, not screened
      c-scr   at x1 by hum, {1: 100, 2: 50}, screened {1: 80 (damaged), 2: 50}
      c-ref   at x1 by hum, {1: 10}, screened {1: 0 (dual_use)}: refused
      c-xc    at xc by hum, {1: 10}, screened in full, then xc closed
      c-susp  at x1 by hum, {1: 20}: 10 entered to hum-susp and accepted
              (t-susp), 3 entered toward it and pending (t-susp-pend); then
              hum-susp suspended
      c-live  at x1 by hum, {1: 100, 2: 50}, screened in full;
              t-live-e1  entry to hum {1: 60, 2: 50}, accepted {1: 60, 2: 49}
              t-live-e2  entry to trans {1: 30}, pending
              t-live-p   hum -> trans {1: 10}, pending
              t-live-acc hum -> hum2 {1: 5}, accepted {1: 4}
              t-live-rej hum -> hum2 {2: 5}, rejected
              t-live-2l  hum -> trans {1: 3, 2: 5}, pending
              d-live     hum distributes {1: 5} at dp1
              l-live     hum loses {1: 2} from held (looted)
        so line 1: held:hum 35, held:hum2 4, pending 30 + 10 + 3,
                   distributed 5, lost:looted 2, unaccounted:hum 1 (= 90)
           line 2: held:hum 44, pending:t-live-2l 5, unaccounted:insp 1 (= 50)
    """

    LIVE = {
        1: {"held:hum": 35, "held:hum2": 4, "pending:t-live-e2": 30, "pending:t-live-p": 10,
            "pending:t-live-2l": 3, "distributed": 5, "lost:looted": 2, "unaccounted:hum": 1},
        2: {"held:hum": 44, "pending:t-live-2l": 5, "unaccounted:insp": 1},
    }

    def __init__(self, log):
        L = self.log = log
        self.keys = {"cell": L.coord}
        for org, roles in (("hum", ["humanitarian"]), ("hum2", ["humanitarian"]),
                           ("hum-susp", ["humanitarian"]), ("insp", ["inspector"]),
                           ("insp2", ["inspector"]), ("trans", ["transporter"]),
                           ("trans2", ["transporter"]), ("mil", ["military"]),
                           ("mon", ["monitor"])):
            self.keys[org] = L.admit(org, roles)[0]
        for p, kind in (("x1", "crossing"), ("x2", "crossing"), ("xc", "crossing"),
                        ("wh1", "warehouse"), ("dp1", "distribution_point")):
            L.define_place(p, kind)
        k = self.keys
        ok = L.ok
        ok(k["hum"], "consignment.declare", ct.declare_body("c-decl", "x1", {1: 100, 2: 50}))
        ok(k["hum"], "consignment.declare", ct.declare_body("c-scr", "x1", {1: 100, 2: 50}))
        ok(k["insp"], "consignment.screen", ct.screen_body("c-scr", {1: 80, 2: 50},
                                                           {1: "damaged"}))
        ok(k["hum"], "consignment.declare", ct.declare_body("c-ref", "x1", {1: 10}))
        ok(k["insp"], "consignment.screen", ct.screen_body("c-ref", {1: 0}, {1: "dual_use"}))
        ok(k["hum"], "consignment.declare", ct.declare_body("c-xc", "xc", {1: 10}))
        ok(k["insp"], "consignment.screen", ct.screen_body("c-xc", {1: 10}))
        ok(L.coord, "place.status", {"place": "xc", "status": "closed", "reason": "shelling"})
        ok(k["hum"], "consignment.declare", ct.declare_body("c-susp", "x1", {1: 20}))
        ok(k["insp"], "consignment.screen", ct.screen_body("c-susp", {1: 20}))
        ok(k["insp"], "consignment.enter", ct.enter_body("c-susp", "t-susp", "x1", "hum-susp",
                                                         {1: 10}))
        ok(k["hum-susp"], "custody.accept", ct.accept_body("t-susp", {1: 10}))
        ok(k["insp"], "consignment.enter", ct.enter_body("c-susp", "t-susp-pend", "x1",
                                                         "hum-susp", {1: 3}))
        L.suspend("hum-susp")
        ok(k["hum"], "consignment.declare", ct.declare_body("c-live", "x1", {1: 100, 2: 50}))
        ok(k["insp"], "consignment.screen", ct.screen_body("c-live", {1: 100, 2: 50}))
        ok(k["insp"], "consignment.enter", ct.enter_body("c-live", "t-live-e1", "x1", "hum",
                                                         {1: 60, 2: 50}))
        ok(k["hum"], "custody.accept", ct.accept_body("t-live-e1", {1: 60, 2: 49}))
        ok(k["insp"], "consignment.enter", ct.enter_body("c-live", "t-live-e2", "x1", "trans",
                                                         {1: 30}))
        ok(k["hum"], "custody.transfer", ct.transfer_body("t-live-p", "c-live", "trans",
                                                          {1: 10}, place="wh1"))
        ok(k["hum"], "custody.transfer", ct.transfer_body("t-live-acc", "c-live", "hum2",
                                                          {1: 5}))
        ok(k["hum2"], "custody.accept", ct.accept_body("t-live-acc", {1: 4}))
        ok(k["hum"], "custody.transfer", ct.transfer_body("t-live-rej", "c-live", "hum2",
                                                          {2: 5}))
        ok(k["hum2"], "custody.reject", ct.reject_body("t-live-rej"))
        ok(k["hum"], "custody.transfer", ct.transfer_body("t-live-2l", "c-live", "trans",
                                                          {1: 3, 2: 5}))
        ok(k["hum"], "distribution.record", ct.distribution_body("d-live", "c-live", "dp1",
                                                                 {1: 5}, households=2))
        ok(k["hum"], "loss.report", ct.loss_body("l-live", "c-live", "looted", "held", {1: 2}))
        self.consignments = ["c-decl", "c-scr", "c-ref", "c-xc", "c-susp", "c-live"]

    def snapshot(self):
        """Everything a refusal must leave as it was."""
        L = self.log
        return {"list": L.consignments(),
                "one": {c: L.consignment(c) for c in self.consignments},
                "size": L.size()}


LINES_RE = re.compile(r"^\$LINES\((\d+)\)$")


def substitute(v, fresh):
    def one(s):
        m = LINES_RE.match(s)
        if m:
            return [{"line": n, "item": "item", "category": "food", "quantity": 1, "unit": "bag"}
                    for n in range(1, int(m.group(1)) + 1)]
        return s.replace("$ID", fresh)
    return ct.map_strings(v, one)


class SupplyCases(ct.LogTestCase):
    """Every case of cases/supply.json against one Fixture."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.fx = Fixture(cls.log)

    def test_fixture(self):
        """The fixture is what its docstring says, and its ledger holds."""
        L = self.log
        live = L.consignment("c-live")
        self.assertEqual(ct.balances(live), Fixture.LIVE)
        self.assertEqual([(l["declared"], l["approved"], l["entered"]) for l in live["lines"]],
                         [(100, 100, 90), (50, 50, 50)])
        for c in self.fx.consignments:
            self.assertEqual(ct.ledger_problems(L.consignment(c)), [], c)
        status = {c["consignment"]: c["status"] for c in L.consignments()}
        self.assertEqual(status, {"c-decl": "declared", "c-scr": "screened", "c-ref": "refused",
                                  "c-xc": "screened", "c-susp": "in_transit",
                                  "c-live": "in_transit"})
        self.assertEqual(L.places()["xc"]["status"], "closed")
        self.assertEqual(L.orgs()["hum-susp"]["status"], "suspended")

    def run_case(self, case):
        L, fx = self.log, self.fx
        fresh = ct.new_id("n")
        body = substitute(case["body"], fresh)
        key = fx.keys[case["signer"]]
        before = fx.snapshot()
        r, _ = L.submit(key, case["type"], body, org=case["signer"])
        e = case["expect"]
        self.assertError(r, e["status"], e["code"], e.get("field"))
        if "message" in e:
            self.assertIn(e["message"], r.json["error"]["message"])
        after = fx.snapshot()
        self.assertEqual(after["size"], before["size"], "the log grew")
        self.assertEqual(after["list"], before["list"])
        for c in fx.consignments:
            self.assertEqual(after["one"][c], before["one"][c], c)
        # an identifier the case made up names nothing afterwards
        if fresh in json.dumps(body):
            self.assertEqual(L.get("/v1/consignments/" + fresh).status, 404)
            for c in after["one"].values():
                self.assertNotIn(fresh, json.dumps(c))


ct.add_case_tests(SupplyCases, ct.load_case_file("supply.json", "test_supply.py")["cases"],
                 "supply")


class SupplyFlows(ct.LogTestCase):
    """Sequences of supply events on fresh consignments of one log."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        L = cls.log
        cls.k = {"cell": L.coord}
        for org, roles in (("hum", ["humanitarian"]), ("hum2", ["humanitarian"]),
                           ("insp", ["inspector"]), ("insp2", ["inspector"]),
                           ("trans", ["transporter"]), ("both", ["humanitarian", "transporter"]),
                           ("mil", ["military"])):
            cls.k[org] = L.admit(org, roles)[0]
        for p, kind in (("x1", "crossing"), ("x2", "crossing"), ("wh1", "warehouse"),
                        ("dp1", "distribution_point"), ("dp2", "distribution_point")):
            L.define_place(p, kind)

    # -- helpers

    transfer_of = {}  # transfer -> consignment

    def ok(self, signer, type_, body):
        """Submits an event that must be accepted; checks the ledger of the
        consignment it concerns; returns the receipt."""
        L = self.log
        size = L.size()
        r, _ = L.submit(self.k[signer], type_, body, org=signer)
        self.assertReceipt(r, index=size)
        if "transfer" in body and "consignment" in body:
            self.transfer_of[body["transfer"]] = body["consignment"]
        cid = body.get("consignment") or self.transfer_of.get(body.get("transfer"))
        if cid:
            c = L.consignment(cid)
            self.assertEqual(ct.ledger_problems(c), [], c)
        return r.json

    def refused(self, signer, type_, body, status, code, field=None, cid=None):
        """Submits an event that must be refused; nothing may change."""
        L = self.log
        size = L.size()
        before = L.consignment(cid) if cid else None
        r, _ = L.submit(self.k[signer], type_, body, org=signer)
        self.assertError(r, status, code, field)
        self.assertEqual(L.size(), size)
        if cid:
            self.assertEqual(L.consignment(cid), before)
        return r

    def accounts(self, cid):
        c = self.log.consignment(cid)
        self.assertEqual(ct.ledger_problems(c), [], c)
        return ct.balances(c)

    def line(self, cid, n):
        c = self.log.consignment(cid)
        self.assertEqual(ct.ledger_problems(c), [], c)
        return [l for l in c["lines"] if l["line"] == n][0]

    def screened(self, lines, approved=None, crossing="x1", declarer="hum", reasons=None):
        """A new consignment, declared and screened; returns its id."""
        cid = ct.new_id("c")
        self.ok(declarer, "consignment.declare", ct.declare_body(cid, crossing, lines))
        approved = approved or lines
        reasons = reasons or {n: "other" for n in approved if approved[n] < lines[n]}
        self.ok("insp", "consignment.screen", ct.screen_body(cid, approved, reasons))
        return cid

    def entered(self, lines, to="hum", crossing="x1"):
        """A new consignment entered in full to `to` and accepted in full."""
        cid = self.screened(lines, crossing=crossing)
        t = ct.new_id("t")
        self.ok("insp", "consignment.enter", ct.enter_body(cid, t, crossing, to, lines))
        self.ok(to, "custody.accept", ct.accept_body(t, lines))
        return cid

    # -- declaration and screening

    def test_declare_shows_the_declaration(self):
        L = self.log
        cid = ct.new_id("c")
        lines = [{"line": 1, "item": "wheat flour", "category": "food", "quantity": 1000,
                  "unit": "bag", "weight_kg": 50},
                 {"line": 7, "item": "hygiene kit", "category": "wash", "quantity": 200,
                  "unit": "kit"}]
        r = self.ok("hum", "consignment.declare",
                    ct.declare_body(cid, "x1", lines, donor="ECHO", reference="PO-17"))
        c = L.consignment(cid)
        self.assertEqual((c["consignment"], c["declared_by"], c["consignee"], c["crossing"],
                          c["donor"], c["reference"], c["status"], c["screened"]),
                         (cid, "hum", "hum", "x1", "ECHO", "PO-17", "declared", False))
        self.assertEqual([(l["line"], l["item"], l["category"], l["unit"], l["weight_kg"],
                           l["declared"], l["approved"], l["entered"], l["accounts"])
                          for l in c["lines"]],
                         [(1, "wheat flour", "food", "bag", 50, 1000, None, 0, {}),
                          (7, "hygiene kit", "wash", "kit", None, 200, None, 0, {})])
        self.assertEqual(c["transfers"], [])
        self.assertEqual(c["events"], [{"index": r["index"], "type": "consignment.declare",
                                        "org": "hum", "id": c["events"][0]["id"]}])
        # a consignee other than the signer
        cid2 = ct.new_id("c")
        self.ok("hum", "consignment.declare", ct.declare_body(cid2, "x1", {1: 5},
                                                             consignee="trans"))
        self.assertEqual(L.consignment(cid2)["consignee"], "trans")
        self.assertEqual(L.consignment(cid2)["declared_by"], "hum")

    def test_many_lines(self):
        """As many lines as a payload of 32,768 bytes holds (about 470: the
        protocol's 500 do not fit), each with its own ledger."""
        cid = ct.new_id("c")
        n = 460
        lines = [{"line": i, "item": "i", "category": "food", "quantity": i, "unit": "kg"}
                 for i in range(1, n + 1)]
        self.ok("hum", "consignment.declare", ct.declare_body(cid, "x1", lines))
        self.ok("insp", "consignment.screen", ct.screen_body(cid, {i: i for i in range(1, n + 1)}))
        t = ct.new_id("t")
        self.ok("insp", "consignment.enter", ct.enter_body(cid, t, "x1", "hum",
                                                           {i: i for i in range(1, n + 1)}))
        self.ok("hum", "custody.accept", ct.accept_body(t, {i: i - (i % 2)
                                                            for i in range(1, n + 1)}))
        acc = self.accounts(cid)
        self.assertEqual(len(acc), n)
        self.assertEqual(acc[1], {"unaccounted:insp": 1})
        self.assertEqual(acc[2], {"held:hum": 2})
        self.assertEqual(acc[n - 1], {"held:hum": n - 2, "unaccounted:insp": 1})

    def test_largest_quantity(self):
        """2^53, the largest quantity, moves exactly."""
        big = 2 ** 53
        cid = self.screened({1: big, 2: big})
        t = ct.new_id("t")
        self.ok("insp", "consignment.enter", ct.enter_body(cid, t, "x1", "hum", {1: big, 2: big}))
        self.ok("hum", "custody.accept", ct.accept_body(t, {1: big - 1, 2: big}))
        self.ok("hum", "distribution.record", ct.distribution_body(ct.new_id("d"), cid, "dp1",
                                                                   {2: big}))
        self.assertEqual(self.accounts(cid), {1: {"held:hum": big - 1, "unaccounted:insp": 1},
                                              2: {"distributed": big}})
        c = self.log.consignment(cid)
        self.assertEqual((c["entered"], c["distributed"]), (2 * big, big))

    def test_screen_records_decisions_and_status(self):
        L = self.log
        cid = ct.new_id("c")
        self.ok("hum", "consignment.declare", ct.declare_body(cid, "x1", {1: 100, 2: 40, 3: 9}))
        self.ok("insp", "consignment.screen",
                ct.screen_body(cid, {1: 100, 2: 0, 3: 5}, {2: "dual_use", 3: "expired"}))
        c = L.consignment(cid)
        self.assertTrue(c["screened"])
        self.assertEqual(c["status"], "screened")
        self.assertEqual([(l["approved"], l["reason"]) for l in c["lines"]],
                         [(100, None), (0, "dual_use"), (5, "expired")])
        self.assertEqual((c["declared"], c["approved"], c["entered"]), (149, 105, 0))
        # a reason may be given with a full approval too
        cid = ct.new_id("c")
        self.ok("hum", "consignment.declare", ct.declare_body(cid, "x1", {1: 3}))
        self.ok("insp2", "consignment.screen", ct.screen_body(cid, {1: 3}, {1: "other"}))
        # everything refused: status refused, nothing can enter
        cid = self.screened({1: 10, 2: 10}, {1: 0, 2: 0})
        self.assertEqual(L.consignment(cid)["status"], "refused")
        self.refused("insp", "consignment.enter",
                     ct.enter_body(cid, ct.new_id("t"), "x1", "hum", {1: 1}),
                     409, "rule_violation", "body.lines[0].quantity", cid)

    # -- entry

    def test_partial_entries_up_to_approved(self):
        L = self.log
        cid = self.screened({1: 100, 2: 10}, {1: 90, 2: 10})
        t1, t2, t3 = ct.new_id("t"), ct.new_id("t"), ct.new_id("t")
        self.ok("insp", "consignment.enter", ct.enter_body(cid, t1, "x1", "trans", {1: 40}))
        self.assertEqual(L.consignment(cid)["status"], "in_transit")
        self.assertEqual(self.accounts(cid), {1: {"pending:" + t1: 40}, 2: {}})
        # another inspector may let the rest in
        self.ok("insp2", "consignment.enter", ct.enter_body(cid, t2, "x1", "hum",
                                                            {1: 45, 2: 10}))
        self.assertEqual(self.line(cid, 1)["entered"], 85)
        # 5 left on line 1: 6 is too many, also with line 2 full
        self.refused("insp", "consignment.enter", ct.enter_body(cid, t3, "x1", "hum", {1: 6}),
                     409, "rule_violation", "body.lines[0].quantity", cid)
        self.refused("insp", "consignment.enter", ct.enter_body(cid, t3, "x1", "hum",
                                                                {1: 5, 2: 1}),
                     409, "rule_violation", "body.lines[1].quantity", cid)
        self.ok("insp", "consignment.enter", ct.enter_body(cid, t3, "x1", "hum", {1: 5}))
        self.assertEqual(self.accounts(cid), {1: {"pending:" + t1: 40, "pending:" + t2: 45,
                                                  "pending:" + t3: 5},
                                              2: {"pending:" + t2: 10}})
        self.refused("insp", "consignment.enter", ct.enter_body(cid, ct.new_id("t"), "x1",
                                                                "hum", {1: 1}),
                     409, "rule_violation", "body.lines[0].quantity", cid)
        c = L.consignment(cid)
        self.assertEqual([t["transfer"] for t in c["transfers"]], [t1, t2, t3])
        self.assertEqual(c["transfers"][0], {
            "transfer": t1, "kind": "entry", "from": "insp", "to": "trans", "place": "x1",
            "status": "pending", "reason": None, "time": c["transfers"][0]["time"],
            "closed": None, "lines": [{"line": 1, "sent": 40, "received": None}]})

    def test_reject_of_an_entry_returns_to_approved_not_entered(self):
        L = self.log
        cid = self.screened({1: 80, 2: 20})
        t1 = ct.new_id("t")
        self.ok("insp", "consignment.enter", ct.enter_body(cid, t1, "x1", "trans",
                                                           {1: 50, 2: 20}))
        self.assertEqual(self.line(cid, 1)["entered"], 50)
        self.ok("trans", "custody.reject", ct.reject_body(t1, "truck broke down"))
        c = L.consignment(cid)
        self.assertEqual(ct.ledger_problems(c), [])
        self.assertEqual([(l["entered"], l["accounts"]) for l in c["lines"]], [(0, {}), (0, {})])
        self.assertEqual(c["status"], "screened")
        t = c["transfers"][0]
        self.assertEqual((t["status"], t["reason"]), ("rejected", "truck broke down"))
        self.assertIsNotNone(t["closed"])
        self.assertEqual(t["lines"], [{"line": 1, "sent": 50, "received": None},
                                      {"line": 2, "sent": 20, "received": None}])
        # so the whole approved quantity can enter again, and no more
        t2 = ct.new_id("t")
        self.refused("insp", "consignment.enter", ct.enter_body(cid, t2, "x1", "hum", {1: 81}),
                     409, "rule_violation", "body.lines[0].quantity", cid)
        self.ok("insp", "consignment.enter", ct.enter_body(cid, t2, "x1", "hum", {1: 80, 2: 20}))
        self.assertEqual(self.accounts(cid), {1: {"pending:" + t2: 80}, 2: {"pending:" + t2: 20}})
        # the rejected transfer's id stays taken
        self.refused("insp", "consignment.enter", ct.enter_body(cid, t1, "x1", "hum", {1: 1}),
                     409, "rule_violation", "body.transfer", cid)
        # and the rejected one cannot be closed again
        self.refused("trans", "custody.accept", ct.accept_body(t1, {1: 50, 2: 20}),
                     409, "rule_violation", "body.transfer", cid)

    def test_closed_crossing_then_reopened(self):
        L = self.log
        x = L.define_place(kind="crossing")
        cid = self.screened({1: 10}, crossing=x)
        t = ct.new_id("t")
        L.ok(L.coord, "place.status", {"place": x, "status": "closed", "reason": "fighting"})
        self.refused("insp", "consignment.enter", ct.enter_body(cid, t, x, "hum", {1: 10}),
                     409, "rule_violation", "body.crossing", cid)
        # a consignment can still be declared and screened there
        cid2 = self.screened({1: 1}, crossing=x)
        L.ok(L.coord, "place.status", {"place": x, "status": "open"})
        self.ok("insp", "consignment.enter", ct.enter_body(cid, t, x, "hum", {1: 10}))
        self.ok("insp", "consignment.enter", ct.enter_body(cid2, ct.new_id("t"), x, "hum", {1: 1}))
        self.assertEqual(self.line(cid, 1)["entered"], 10)

    # -- acceptance and rejection

    def test_entry_shortfall_is_charged_to_the_inspector(self):
        cid = self.screened({1: 100, 2: 30})
        t = ct.new_id("t")
        self.ok("insp", "consignment.enter", ct.enter_body(cid, t, "x1", "trans",
                                                           {1: 100, 2: 30}))
        self.ok("trans", "custody.accept", ct.accept_body(t, {1: 97, 2: 30}))
        self.assertEqual(self.accounts(cid), {1: {"held:trans": 97, "unaccounted:insp": 3},
                                              2: {"held:trans": 30}})
        c = self.log.consignment(cid)
        self.assertEqual(c["transfers"][0]["lines"], [{"line": 1, "sent": 100, "received": 97},
                                                      {"line": 2, "sent": 30, "received": 30}])
        self.assertEqual(c["transfers"][0]["status"], "accepted")
        self.assertEqual(c["status"], "in_custody")

    def test_custody_shortfall_is_charged_to_the_sender(self):
        cid = self.entered({1: 50, 2: 20}, to="trans")
        t = ct.new_id("t")
        self.ok("trans", "custody.transfer", ct.transfer_body(t, cid, "hum", {1: 50, 2: 20},
                                                              place="wh1"))
        self.assertEqual(self.accounts(cid), {1: {"pending:" + t: 50}, 2: {"pending:" + t: 20}})
        # what is pending is no one's to spend
        self.refused("trans", "custody.transfer", ct.transfer_body(ct.new_id("t"), cid, "hum2",
                                                                   {1: 1}),
                     409, "rule_violation", "body.lines[0].quantity", cid)
        self.refused("hum", "distribution.record", ct.distribution_body(ct.new_id("d"), cid,
                                                                        "dp1", {1: 1}),
                     409, "rule_violation", "body.lines[0].quantity", cid)
        # the reason of a shortfall is free text, and 1,001 bytes of it are too many
        self.refused("hum", "custody.accept", {"transfer": t, "lines": [
            {"line": 1, "received": 48}, {"line": 2, "received": 0}], "reason": "x" * 1001},
                     400, "bad_request", "body.reason", cid)
        self.refused("hum", "custody.accept", {"transfer": t, "lines": [
            {"line": 1, "received": 48}, {"line": 2, "received": 0}], "reason": 7},
                     400, "bad_request", "body.reason", cid)
        # received in any order of lines; nothing at all of line 2
        self.ok("hum", "custody.accept", {"transfer": t, "lines": [
            {"line": 2, "received": 0}, {"line": 1, "received": 48}],
            "reason": "two bags torn; line 2 never loaded"})
        self.assertEqual(self.accounts(cid), {1: {"held:hum": 48, "unaccounted:trans": 2},
                                              2: {"unaccounted:trans": 20}})
        transfer = self.log.consignment(cid)["transfers"][1]
        self.assertEqual(transfer["place"], "wh1")
        self.assertEqual(transfer["reason"], "two bags torn; line 2 never loaded")

    def test_reject_returns_to_the_senders_held(self):
        cid = self.entered({1: 40, 2: 10})
        t = ct.new_id("t")
        self.ok("hum", "custody.transfer", ct.transfer_body(t, cid, "hum2", {1: 15, 2: 10}))
        self.assertEqual(self.accounts(cid), {1: {"held:hum": 25, "pending:" + t: 15},
                                              2: {"pending:" + t: 10}})
        self.ok("hum2", "custody.reject", ct.reject_body(t, "no space in the warehouse"))
        self.assertEqual(self.accounts(cid), {1: {"held:hum": 40}, 2: {"held:hum": 10}})
        self.assertEqual(self.line(cid, 1)["entered"], 40)
        # and the sender can send it again, under a new id
        self.refused("hum", "custody.transfer", ct.transfer_body(t, cid, "hum2", {1: 1}),
                     409, "rule_violation", "body.transfer", cid)
        self.ok("hum", "custody.transfer", ct.transfer_body(ct.new_id("t"), cid, "hum2",
                                                            {1: 40, 2: 10}))
        self.refused("hum2", "custody.accept", ct.accept_body(t, {1: 15, 2: 10}),
                     409, "rule_violation", "body.transfer", cid)

    def test_only_the_to_org_closes_a_transfer(self):
        cid = self.entered({1: 10})
        t = ct.new_id("t")
        self.ok("hum", "custody.transfer", ct.transfer_body(t, cid, "trans", {1: 10}))
        for who in ("hum", "hum2", "both"):
            self.refused(who, "custody.accept", ct.accept_body(t, {1: 10}), 403, "forbidden",
                         "org", cid)
            self.refused(who, "custody.reject", ct.reject_body(t), 403, "forbidden", "org", cid)
        self.ok("trans", "custody.accept", ct.accept_body(t, {1: 10}))
        self.assertEqual(self.accounts(cid), {1: {"held:trans": 10}})

    def test_a_suspended_org_never_receives(self):
        L = self.log
        org = ct.new_id("o")
        self.k[org] = L.admit(org, ["transporter"])[0]
        cid = self.entered({1: 30})
        t = ct.new_id("t")
        self.ok("hum", "custody.transfer", ct.transfer_body(t, cid, org, {1: 10}))
        L.suspend(org)
        # neither by entry nor by transfer, nor as a consignee
        self.refused("hum", "custody.transfer", ct.transfer_body(ct.new_id("t"), cid, org,
                                                                 {1: 1}),
                     409, "rule_violation", "body.to", cid)
        cid2 = self.screened({1: 5})
        self.refused("insp", "consignment.enter", ct.enter_body(cid2, ct.new_id("t"), "x1", org,
                                                                {1: 5}),
                     409, "rule_violation", "body.to", cid2)
        self.refused("hum", "consignment.declare", ct.declare_body(ct.new_id("c"), "x1", {1: 1},
                                                                   consignee=org),
                     409, "rule_violation", "body.consignee")
        # what was sent before cannot be accepted while it is suspended
        self.refused(org, "custody.accept", ct.accept_body(t, {1: 10}), 403, "org_suspended",
                     "org", cid)
        self.assertEqual(self.accounts(cid), {1: {"held:hum": 20, "pending:" + t: 10}})
        # reinstated, it receives again
        L.reinstate(org)
        self.ok(org, "custody.accept", ct.accept_body(t, {1: 10}))
        self.ok("hum", "custody.transfer", ct.transfer_body(ct.new_id("t"), cid, org, {1: 1}))
        self.assertEqual(self.accounts(cid)[1]["held:" + org], 10)

    def test_a_suspended_holder_keeps_its_balance(self):
        L = self.log
        org = ct.new_id("o")
        self.k[org] = L.admit(org, ["humanitarian"])[0]
        cid = self.entered({1: 30}, to=org)
        L.suspend(org)
        self.refused(org, "distribution.record", ct.distribution_body(ct.new_id("d"), cid, "dp1",
                                                                      {1: 1}),
                     403, "org_suspended", "org", cid)
        self.assertEqual(self.accounts(cid), {1: {"held:" + org: 30}})
        # the coordinator cannot write off held stock for it
        self.refused("cell", "loss.report", ct.loss_body(ct.new_id("l"), cid, "other", "held",
                                                         {1: 30}, org=org),
                     403, "forbidden", "body.org", cid)

    # -- distribution and loss

    def test_distributions(self):
        L = self.log
        cid = self.entered({1: 100, 2: 50})
        d1, d2 = ct.new_id("d"), ct.new_id("d")
        self.ok("hum", "distribution.record", ct.distribution_body(d1, cid, "dp1", {1: 60, 2: 10},
                                                                   households=120,
                                                                   individuals=640))
        self.ok("hum", "distribution.record", ct.distribution_body(d2, cid, "dp2", {1: 40}))
        self.assertEqual(self.accounts(cid), {1: {"distributed": 100},
                                              2: {"held:hum": 40, "distributed": 10}})
        self.refused("hum", "distribution.record", ct.distribution_body(ct.new_id("d"), cid,
                                                                        "dp1", {1: 1}),
                     409, "rule_violation", "body.lines[0].quantity", cid)
        # an id is taken even for another consignment
        cid2 = self.entered({1: 5})
        self.refused("hum", "distribution.record", ct.distribution_body(d1, cid2, "dp1", {1: 1}),
                     409, "rule_violation", "body.distribution", cid2)
        c = L.consignment(cid)
        self.assertEqual(c["distributed"], 110)
        self.assertEqual(c["status"], "in_custody")

    def test_losses_from_held_and_unaccounted(self):
        cid = self.entered({1: 100})
        t = ct.new_id("t")
        self.ok("hum", "custody.transfer", ct.transfer_body(t, cid, "trans", {1: 60}))
        self.ok("trans", "custody.accept", ct.accept_body(t, {1: 55}))
        # the transporter loses 20 of what it holds
        self.ok("trans", "loss.report", ct.loss_body(ct.new_id("l"), cid, "looted", "held",
                                                     {1: 20}, incident="inc-1"))
        self.assertEqual(self.accounts(cid), {1: {"held:hum": 40, "held:trans": 35,
                                                  "unaccounted:hum": 5, "lost:looted": 20}})
        # the sender settles 2 of its own unaccounted, then 4 more is too many
        self.ok("hum", "loss.report", ct.loss_body(ct.new_id("l"), cid, "damaged", "unaccounted",
                                                   {1: 2}))
        self.refused("hum", "loss.report", ct.loss_body(ct.new_id("l"), cid, "damaged",
                                                        "unaccounted", {1: 4}),
                     409, "rule_violation", "body.lines[0].quantity", cid)
        # giving its own org in body.org is allowed
        self.ok("hum", "loss.report", ct.loss_body(ct.new_id("l"), cid, "damaged", "unaccounted",
                                                   {1: 1}, org="hum"))
        # the coordinator settles the rest for it
        self.ok("cell", "loss.report", ct.loss_body(ct.new_id("l"), cid, "other", "unaccounted",
                                                    {1: 2}, org="hum"))
        self.assertEqual(self.accounts(cid), {1: {"held:hum": 40, "held:trans": 35,
                                                  "lost:looted": 20, "lost:damaged": 3,
                                                  "lost:other": 2}})
        self.assertEqual(self.log.consignment(cid)["unaccounted"], 0)

    def test_coordinator_settles_an_inspectors_shortfall(self):
        cid = self.screened({1: 10})
        t = ct.new_id("t")
        self.ok("insp", "consignment.enter", ct.enter_body(cid, t, "x1", "hum", {1: 10}))
        self.ok("hum", "custody.accept", ct.accept_body(t, {1: 7}))
        self.assertEqual(self.accounts(cid), {1: {"held:hum": 7, "unaccounted:insp": 3}})
        self.refused("insp", "loss.report", ct.loss_body(ct.new_id("l"), cid, "other",
                                                         "unaccounted", {1: 3}),
                     403, "forbidden", "type", cid)
        self.refused("hum", "loss.report", ct.loss_body(ct.new_id("l"), cid, "other",
                                                        "unaccounted", {1: 3}, org="insp"),
                     403, "forbidden", "body.org", cid)
        self.ok("cell", "loss.report", ct.loss_body(ct.new_id("l"), cid, "intercepted",
                                                    "unaccounted", {1: 3}, org="insp"))
        self.assertEqual(self.accounts(cid), {1: {"held:hum": 7, "lost:intercepted": 3}})
        self.refused("cell", "loss.report", ct.loss_body(ct.new_id("l"), cid, "other",
                                                         "unaccounted", {1: 1}, org="insp"),
                     409, "rule_violation", "body.lines[0].quantity", cid)

    def test_an_org_with_two_roles(self):
        """humanitarian + transporter: receives, transfers, distributes, loses."""
        cid = self.entered({1: 20}, to="both")
        t = ct.new_id("t")
        self.ok("both", "custody.transfer", ct.transfer_body(t, cid, "hum", {1: 5}))
        self.ok("both", "distribution.record", ct.distribution_body(ct.new_id("d"), cid, "dp1",
                                                                    {1: 10}))
        self.ok("both", "loss.report", ct.loss_body(ct.new_id("l"), cid, "spoiled", "held",
                                                    {1: 5}))
        self.assertEqual(self.accounts(cid), {1: {"pending:" + t: 5, "distributed": 10,
                                                  "lost:spoiled": 5}})
        c = self.log.consignment(cid)
        self.assertEqual(c["status"], "in_transit")
        self.ok("hum", "custody.accept", ct.accept_body(t, {1: 5}))
        self.ok("hum", "distribution.record", ct.distribution_body(ct.new_id("d"), cid, "dp2",
                                                                   {1: 5}))
        self.assertEqual(self.log.consignment(cid)["status"], "completed")

    def test_statuses(self):
        L = self.log
        cid = ct.new_id("c")
        self.ok("hum", "consignment.declare", ct.declare_body(cid, "x1", {1: 10, 2: 10}))
        self.assertEqual(L.consignment(cid)["status"], "declared")
        self.ok("insp", "consignment.screen", ct.screen_body(cid, {1: 10, 2: 10}))
        self.assertEqual(L.consignment(cid)["status"], "screened")
        t = ct.new_id("t")
        self.ok("insp", "consignment.enter", ct.enter_body(cid, t, "x1", "hum", {1: 10}))
        self.assertEqual(L.consignment(cid)["status"], "in_transit")
        self.ok("hum", "custody.accept", ct.accept_body(t, {1: 10}))
        self.assertEqual(L.consignment(cid)["status"], "in_custody")
        self.ok("hum", "distribution.record", ct.distribution_body(ct.new_id("d"), cid, "dp1",
                                                                   {1: 10}))
        self.assertEqual(L.consignment(cid)["status"], "entering")
        t = ct.new_id("t")
        self.ok("insp", "consignment.enter", ct.enter_body(cid, t, "x1", "hum", {2: 10}))
        self.ok("hum", "custody.accept", ct.accept_body(t, {2: 9}))
        self.ok("hum", "loss.report", ct.loss_body(ct.new_id("l"), cid, "expired", "held", {2: 9}))
        c = L.consignment(cid)
        self.assertEqual(c["status"], "completed")
        self.assertEqual((c["entered"], c["held"], c["pending"], c["distributed"], c["lost"],
                          c["unaccounted"]), (20, 0, 0, 10, 9, 1))
        for st in ("declared", "screened", "in_transit", "in_custody", "entering", "completed",
                   "refused"):
            got = L.consignments(status=st)
            self.assertTrue(all(x["status"] == st for x in got), (st, got))
        self.assertIn(cid, [x["consignment"] for x in L.consignments(status="completed")])

    def test_events_of_a_consignment(self):
        """Every accepted event that concerns a consignment is listed, with
        its index, type, org and id; refused ones are not."""
        L = self.log
        cid = ct.new_id("c")
        want = []

        def send(signer, type_, body):
            ev = ct.event(type_, body, signer)
            r = L.post(ct.signed(self.k[signer], ev))
            self.assertReceipt(r)
            want.append({"index": r.json["index"], "type": type_, "org": signer, "id": ev["id"]})

        send("hum", "consignment.declare", ct.declare_body(cid, "x1", {1: 10}))
        send("insp", "consignment.screen", ct.screen_body(cid, {1: 10}))
        t = ct.new_id("t")
        send("insp", "consignment.enter", ct.enter_body(cid, t, "x1", "hum", {1: 10}))
        self.refused("hum2", "custody.accept", ct.accept_body(t, {1: 10}), 403, "forbidden")
        send("hum", "custody.accept", ct.accept_body(t, {1: 10}))
        t2 = ct.new_id("t")
        send("hum", "custody.transfer", ct.transfer_body(t2, cid, "hum2", {1: 4}))
        send("hum2", "custody.reject", ct.reject_body(t2))
        send("hum", "distribution.record", ct.distribution_body(ct.new_id("d"), cid, "dp1",
                                                                {1: 3}))
        send("hum", "loss.report", ct.loss_body(ct.new_id("l"), cid, "damaged", "held", {1: 1}))
        self.assertEqual(L.consignment(cid)["events"], want)

    # -- idempotency and batches

    def test_a_repeated_event_moves_nothing_twice(self):
        L = self.log
        cid = self.entered({1: 10})
        ev = ct.event("distribution.record", ct.distribution_body(ct.new_id("d"), cid, "dp1",
                                                                  {1: 4}), "hum")
        env = ct.signed(self.k["hum"], ev)
        first = self.assertReceipt(L.post(env))
        before = L.consignment(cid)
        size = L.size()
        self.assertReceipt(L.post(env), index=first["index"], duplicate=True)
        self.assertEqual(L.size(), size)
        self.assertEqual(L.consignment(cid), before)
        self.assertEqual(self.accounts(cid), {1: {"held:hum": 6, "distributed": 4}})
        # the same id with another body is a conflict
        ev2 = dict(ev, body=ct.distribution_body(ct.new_id("d"), cid, "dp1", {1: 1}))
        r = L.post(ct.signed(self.k["hum"], ev2))
        self.assertError(r, 409, "conflict", "id")
        self.assertEqual(L.consignment(cid), before)

    def test_a_batch_is_judged_line_by_line(self):
        """Each line against the state the lines before it left; the
        refused ones append nothing."""
        L = self.log
        cid, t, t2 = ct.new_id("c"), ct.new_id("t"), ct.new_id("t")

        def line(signer, type_, body):
            return ct.signed(self.k[signer], ct.event(type_, body, signer))

        lines = [
            line("insp", "consignment.screen", ct.screen_body(cid, {1: 10})),  # not declared yet
            line("hum", "consignment.declare", ct.declare_body(cid, "x1", {1: 10, 2: 5})),
            line("insp", "consignment.enter", ct.enter_body(cid, t, "x1", "hum", {1: 10})),
            line("insp", "consignment.screen", ct.screen_body(cid, {1: 10, 2: 5})),
            line("insp", "consignment.enter", ct.enter_body(cid, t, "x1", "hum", {1: 10, 2: 5})),
            line("hum", "custody.transfer", ct.transfer_body(t2, cid, "trans", {1: 1})),
            line("hum", "custody.accept", ct.accept_body(t, {1: 9, 2: 5})),
            line("hum", "custody.transfer", ct.transfer_body(t2, cid, "trans", {1: 9})),
            line("hum", "custody.transfer", ct.transfer_body(t2, cid, "trans", {2: 5})),
            line("trans", "custody.accept", ct.accept_body(t2, {1: 9})),
            line("trans", "custody.accept", ct.accept_body(t2, {1: 9})),
        ]
        size = L.size()
        r = L.batch(lines)
        self.assertEqual(r.status, 200, r)
        res = r.json["results"]
        codes = [x.get("error", {}).get("code", "ok") for x in res]
        self.assertEqual(codes, ["rule_violation", "ok", "rule_violation", "ok", "ok",
                                 "rule_violation", "ok", "ok", "rule_violation", "ok",
                                 "rule_violation"])
        self.assertEqual([x["index"] for x in res if "index" in x],
                         list(range(size, size + 6)))
        self.assertEqual(L.size(), size + 6)
        self.assertEqual(self.accounts(cid), {1: {"held:trans": 9, "unaccounted:insp": 1},
                                              2: {"held:hum": 5}})

    def test_org_filter_follows_current_balances(self):
        """?org=O: consignments O declared, is the consignee of, holds, owes
        unaccounted quantities of, or has a transfer pending to it
        (docs/protocol.md), now."""
        L = self.log
        org = ct.new_id("o")
        self.k[org] = L.admit(org, ["transporter"])[0]
        cid = self.entered({1: 10, 2: 10}, to=org)

        def ids():
            return [c["consignment"] for c in L.consignments(org=org)]

        self.assertEqual(ids(), [cid])
        # an org a transfer is pending to expects the consignment; once it
        # has rejected it, it no longer does
        rcv = ct.new_id("o")
        self.k[rcv] = L.admit(rcv, ["humanitarian"])[0]

        def expects():
            return [c["consignment"] for c in L.consignments(org=rcv)]

        self.assertEqual(expects(), [])
        t0 = ct.new_id("t")
        self.ok(org, "custody.transfer", ct.transfer_body(t0, cid, rcv, {1: 3}))
        self.assertEqual(expects(), [cid], "a transfer is pending to it")
        self.ok(rcv, "custody.reject", ct.reject_body(t0, "not ours"))
        self.assertEqual(expects(), [], "rejected: nothing pending, nothing held")
        t = ct.new_id("t")
        self.ok(org, "custody.transfer", ct.transfer_body(t, cid, "hum", {1: 10, 2: 10}))
        self.assertEqual(ids(), [], "it holds nothing any more")
        self.ok("hum", "custody.accept", ct.accept_body(t, {1: 10, 2: 8}))
        self.assertEqual(ids(), [cid], "it owes 2 unaccounted")
        self.ok("cell", "loss.report", ct.loss_body(ct.new_id("l"), cid, "other", "unaccounted",
                                                    {2: 2}, org=org))
        self.assertEqual(ids(), [], "settled")
        self.assertEqual([c["consignment"] for c in L.consignments(org="hum")
                          if c["consignment"] == cid], [cid])

    def test_concurrent_spending_never_overdraws(self):
        """Thirty clients at once, each asking for 10 of the 100 held: exactly
        ten are accepted, whatever the order the server sees them in."""
        import threading
        L = self.log
        cid = self.entered({1: 100})
        envs = [ct.signed(self.k["hum"], ct.event(
            "distribution.record", ct.distribution_body(ct.new_id("d"), cid, "dp1", {1: 10}),
            "hum")) for _ in range(30)]
        answers = [None] * len(envs)

        def send(i):
            answers[i] = L.post(envs[i])

        size = L.size()
        threads = [threading.Thread(target=send, args=(i,)) for i in range(len(envs))]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        ok = [a for a in answers if a.status == 200]
        self.assertEqual(len(ok), 10, answers)
        for a in answers:
            if a.status != 200:
                self.assertError(a, 409, "rule_violation", "body.lines[0].quantity")
        self.assertEqual(sorted(a.json["index"] for a in ok), list(range(size, size + 10)))
        self.assertEqual(self.accounts(cid), {1: {"distributed": 100}})

    # -- reads

    def test_reads(self):
        L = self.log
        for path in ("/v1/consignments", "/v1/consignments/x", "/v1/consignments.csv",
                     "/v1/alerts", "/v1/reconciliation", "/v1/reconciliation.csv"):
            self.assertError(L.get(path, token=None), 401, "unauthorized")
        self.assertEqual(L.get("/v1/stats", token=None).status, 200)
        self.assertError(L.get("/v1/consignments/" + ct.new_id("c")), 404, "not_found")
        self.assertError(L.get("/v1/consignments?status=lost"), 400, "bad_request", "status")
        self.assertError(L.get("/v1/consignments?crossing=a%20b"), 400, "bad_request", "crossing")
        self.assertError(L.get("/v1/alerts?at=yesterday"), 400, "bad_request", "at")
        # any org's token reads the supply picture
        tok, _ = L.create_token("trans")
        self.assertEqual(L.get("/v1/consignments", token=tok).status, 200)


if __name__ == "__main__":
    ct.main()
