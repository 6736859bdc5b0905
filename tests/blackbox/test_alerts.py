#!/usr/bin/python3
"""Alert follow-up (docs/protocol.md 3, "Alert follow-up"): acknowledging,
assigning and resolving alerts as signed events, over HTTP.

  AlertCases  every case of cases/alerts.json, one refused event each,
              against one Fixture (below): the answer's status, code and
              field; the log does not grow; /v1/alerts (now, and 80 hours
              on) and consignment c1 are as they were.
  AlertFlows  the good path: every alert of /v1/alerts carries its key
              (`alert`) and its follow-up ("open" before any); a transfer's
              receiver acknowledges, a monitor assigns, the assignee
              resolves with a note, the coordinator reopens: each step shows
              on the alert (status, by, time, index, note, assigned_to,
              history) and in the consignment's events with the alert's
              key; a loss rate's follow-up touches no consignment; an alert
              not current (its subject exists) may be followed up and then
              shows once current; a repeat of an envelope is its duplicate;
              `cmcc new alert.assign --help` names its fields and `cmcc new`
              writes a follow-up the server takes; the log passes `cmcc
              verify` and `cmcc rebuild` with the follow-ups in it.
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

DOC = ct.load_case_file("alerts.json", "test_alerts.py")
HOUR = 3600


class Fixture:
    """The state cases/alerts.json refers to, built once on one log.

    Orgs: cell (coordinator); hum, hum2 (humanitarian); insp (inspector);
    trans (transporter); mon (monitor); mil (military); gone (humanitarian,
    suspended).
    Crossing x1. Consignment c1 (by hum; line 1: 100, line 2: 50), screened
    and entered to hum 48 hours ago (transfer t-in1); hum received line 2
    short by 5 (unaccounted:insp, 5). 30 hours ago hum sent 30 of line 1 to
    trans (t-p1, pending: a transfer_pending alert now); hum holds 70 of
    line 1 since then (an idle_holding alert 80 hours on).
    Follow-ups: unaccounted/c1/2/insp acknowledged by cell;
    idle_holding/c1/1/hum assigned by cell to hum2; loss_rate/hum2
    resolved by cell.
    """

    ORGS = (("hum", ["humanitarian"]), ("hum2", ["humanitarian"]), ("insp", ["inspector"]),
            ("trans", ["transporter"]), ("mon", ["monitor"]), ("mil", ["military"]),
            ("gone", ["humanitarian"]))

    def __init__(self, log):
        L = self.log = log
        self.keys = {"cell": L.coord}
        for org, roles in self.ORGS:
            self.keys[org] = L.admit(org, roles)[0]
        L.suspend("gone")
        L.define_place("x1", "crossing")
        k, now = self.keys, time.time()
        self.now = now

        def at(h):
            return ct.rfc3339(now - h * HOUR)
        sub(L, k["hum"], "consignment.declare", ct.declare_body("c1", "x1", {1: 100, 2: 50}),
            at(50))
        sub(L, k["insp"], "consignment.screen", ct.screen_body("c1", {1: 100, 2: 50}), at(49))
        sub(L, k["insp"], "consignment.enter",
            ct.enter_body("c1", "t-in1", "x1", "hum", {1: 100, 2: 50}), at(48))
        sub(L, k["hum"], "custody.accept", ct.accept_body("t-in1", {1: 100, 2: 45}), at(47))
        sub(L, k["hum"], "custody.transfer", ct.transfer_body("t-p1", "c1", "trans", {1: 30}),
            at(30))
        L.ok(k["cell"], "alert.acknowledge", {"alert": "unaccounted/c1/2/insp"})
        L.ok(k["cell"], "alert.assign", {"alert": "idle_holding/c1/1/hum", "to": "hum2"})
        L.ok(k["cell"], "alert.resolve", {"alert": "loss_rate/hum2", "note": "a one-off"})

    def alerts(self, at=None):
        """GET /v1/alerts (?at= hours from the fixture's now): the list."""
        q = "" if at is None else "?at=" + ct.rfc3339(self.now + at * HOUR)
        r = self.log.get("/v1/alerts" + q)
        assert r.status == 200, r
        return r.json["alerts"]

    def snapshot(self):
        L = self.log
        return {"size": L.size(), "alerts": self.alerts(), "alerts+80": self.alerts(80),
                "c1": L.consignment("c1")}


def sub(L, key, type_, body, t):
    r, _ = L.submit(key, type_, body, t=t)
    assert r.status == 200, (type_, body, r)
    return r.json


PLACEHOLDER = re.compile(r"\$REPEAT\((.),(\d+)\)")


def substitute(v):
    return ct.map_strings(v, lambda s: PLACEHOLDER.sub(lambda m: m.group(1) * int(m.group(2)), s))


class AlertCases(ct.LogTestCase):
    """Every case of cases/alerts.json against one Fixture."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.fx = Fixture(cls.log)

    def test_fixture(self):
        """The fixture is what its docstring says."""
        by_key = {a["alert"]: a for a in self.fx.alerts()}
        self.assertEqual(sorted(by_key), ["transfer_pending/t-p1", "unaccounted/c1/2/insp"])
        self.assertEqual(by_key["transfer_pending/t-p1"]["follow_up"]["status"], "open")
        self.assertEqual(by_key["unaccounted/c1/2/insp"]["follow_up"]["status"], "acknowledged")
        later = {a["alert"]: a for a in self.fx.alerts(80)}
        self.assertEqual(later["idle_holding/c1/1/hum"]["follow_up"]["status"], "assigned")
        self.assertEqual(later["idle_holding/c1/1/hum"]["follow_up"]["assigned_to"], "hum2")

    def test_every_type_has_cases(self):
        """Each of the three types has refusals of each code it can get."""
        by_type = {}
        for c in DOC["cases"]:
            by_type.setdefault(c["type"], set()).add(c["expect"]["code"])
        self.assertEqual(sorted(by_type), sorted(DOC["bases"]))
        for t, codes in by_type.items():
            self.assertLessEqual({"bad_request", "forbidden", "rule_violation"}, codes, t)

    def run_case(self, case):
        L, fx = self.log, self.fx
        body = dict(DOC["bases"][case["type"]])
        body.update(substitute(case.get("set", {})))
        for k in case.get("del", []):
            del body[k]
        before = fx.snapshot()
        r, _ = L.submit(fx.keys[case["signer"]], case["type"], body, org=case["signer"])
        e = case["expect"]
        self.assertError(r, e["status"], e["code"], e.get("field"))
        after = fx.snapshot()
        self.assertEqual(after["size"], before["size"], "the log grew")
        for k in before:
            self.assertEqual(after[k], before[k], k)


ct.add_case_tests(AlertCases, DOC["cases"], "alerts")


class AlertFlows(ct.LogTestCase):
    """Accepted follow-ups and what the API shows of them, on one log."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.fx = Fixture(cls.log)

    def alert(self, key, at=None):
        found = [a for a in self.fx.alerts(at) if a["alert"] == key]
        self.assertEqual(len(found), 1, (key, found))
        return found[0]

    def events_of(self, cid, key):
        return [e for e in self.log.consignment(cid)["events"] if e.get("alert") == key]

    def test_1_keys_and_open_follow_ups(self):
        """Every alert has its key first and an open follow-up with nulls."""
        for a in self.fx.alerts(80):
            self.assertEqual(next(iter(a)), "alert", a)
            kind = a["alert"].split("/")[0]
            self.assertEqual(kind, a["kind"], a)
            self.assertEqual(set(a["follow_up"]),
                             {"status", "by", "time", "index", "note", "assigned_to", "history"})
        a = self.alert("transfer_pending/t-p1")
        self.assertEqual(a["follow_up"], {"status": "open", "by": None, "time": None,
                                          "index": None, "note": None, "assigned_to": None,
                                          "history": []})
        keys = {a["alert"] for a in self.fx.alerts(80)}
        self.assertIn("idle_holding/c1/1/hum", keys)

    def test_2_acknowledge_assign_resolve_reopen(self):
        L, k, key = self.log, self.fx.keys, "transfer_pending/t-p1"
        r1 = L.ok(k["trans"], "alert.acknowledge", {"alert": key, "note": "checking the truck"})
        a = self.alert(key)["follow_up"]
        self.assertEqual((a["status"], a["by"], a["index"], a["note"], a["assigned_to"]),
                         ("acknowledged", "trans", r1["index"], "checking the truck", None))
        self.assertRegex(a["time"], r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$")
        r2 = L.ok(k["mon"], "alert.assign", {"alert": key, "to": "hum2"})
        a = self.alert(key)["follow_up"]
        self.assertEqual((a["status"], a["by"], a["assigned_to"], a["note"]),
                         ("assigned", "mon", "hum2", None))
        # hum2 is not concerned by the transfer, but it is now assigned to it
        r3 = L.ok(k["hum2"], "alert.resolve", {"alert": key, "note": "trans answers today"})
        a = self.alert(key)["follow_up"]
        self.assertEqual((a["status"], a["by"], a["index"], a["note"], a["assigned_to"]),
                         ("resolved", "hum2", r3["index"], "trans answers today", "hum2"))
        self.assertEqual([(h["action"], h["org"], h["index"], h["to"], h["note"])
                          for h in a["history"]],
                         [("acknowledge", "trans", r1["index"], None, "checking the truck"),
                          ("assign", "mon", r2["index"], "hum2", None),
                          ("resolve", "hum2", r3["index"], None, "trans answers today")])
        # the consignment's events hold each follow-up with the alert's key
        ev = self.events_of("c1", key)
        self.assertEqual([(e["index"], e["type"], e["org"]) for e in ev],
                         [(r1["index"], "alert.acknowledge", "trans"),
                          (r2["index"], "alert.assign", "mon"),
                          (r3["index"], "alert.resolve", "hum2")])
        self.assertEqual(ev[1]["to"], "hum2")
        self.assertEqual(ev[2]["note"], "trans answers today")
        # other events of c1 carry no alert key
        self.assertNotIn("alert", L.consignment("c1")["events"][0])
        # still pending, so still an alert: reopened by an acknowledgement
        r4 = L.ok(k["cell"], "alert.acknowledge", {"alert": key})
        a = self.alert(key)["follow_up"]
        self.assertEqual((a["status"], a["by"], a["index"], a["note"], len(a["history"])),
                         ("acknowledged", "cell", r4["index"], None, 4))

    def test_3_loss_rate_touches_no_consignment(self):
        L, k = self.log, self.fx.keys
        before = L.consignment("c1")["events"]
        L.ok(k["hum"], "alert.acknowledge", {"alert": "loss_rate/hum"})
        self.assertEqual(L.consignment("c1")["events"], before)

    def test_4_not_current_then_current(self):
        """idle_holding/c1/1/trans is no alert yet (trans holds nothing):
        a follow-up is taken, and shows once the alert is current."""
        L, k, key = self.log, self.fx.keys, "idle_holding/c1/1/trans"
        self.assertNotIn(key, [a["alert"] for a in self.fx.alerts(200)])
        r = L.ok(k["trans"], "alert.acknowledge", {"alert": key, "note": "will move it"})
        L.ok(k["trans"], "custody.accept", ct.accept_body("t-p1", {1: 30}))
        a = self.alert(key, 200)
        self.assertEqual((a["follow_up"]["status"], a["follow_up"]["index"]),
                         ("acknowledged", r["index"]))

    def test_5_duplicate(self):
        L, k = self.log, self.fx.keys
        ev = ct.event("alert.acknowledge", {"alert": "loss_rate/insp"}, "insp")
        env = ct.signed(k["insp"], ev)
        first = L.post(env)
        self.assertReceipt(first)
        size = L.size()
        self.assertReceipt(L.post(env), index=first.json["index"], duplicate=True)
        self.assertEqual(L.size(), size)

    def test_6_cmcc_new(self):
        r = ct.run("new", "alert.assign", "--help")
        self.assertEqual(r.returncode, 0, r.stderr)
        for opt in ("--alert", "--to", "--note"):
            self.assertIn(opt, r.stdout)
        d = tempfile.mkdtemp()
        self.addCleanup(shutil.rmtree, d)
        pem = os.path.join(d, "mon.pem")
        ct.write_pem(self.fx.keys["mon"], pem)
        out = os.path.join(d, "ev.ndjson")
        r = ct.run("new", "alert.resolve", "--org", "mon", "--key", pem, "--out", out,
                   "--alert", "unaccounted/c1/2/insp", "--note", "counted again: 5 were found")
        self.assertEqual(r.returncode, 0, r.stderr)
        with open(out) as f:
            env = json.loads(f.read())
        r = self.log.post(ct.compact(env))
        self.assertReceipt(r)
        a = self.alert("unaccounted/c1/2/insp")["follow_up"]
        self.assertEqual((a["status"], a["by"], a["note"]),
                         ("resolved", "mon", "counted again: 5 were found"))

    def test_zz_verify_and_rebuild(self):
        """With the follow-ups in it, the log replays: `cmcc verify` passes,
        and `cmcc rebuild` gives the same alerts back."""
        L = self.log
        before = self.fx.alerts(80)
        status, out = L.stop()
        self.assertEqual(status, 0, out)
        r = ct.run("verify", L.dir, timeout=300)
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
        r = ct.run("rebuild", L.dir, timeout=300)
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
        L.start()
        self.assertEqual(self.fx.alerts(80), before)


if __name__ == "__main__":
    ct.main()
