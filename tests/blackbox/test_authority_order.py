#!/usr/bin/python3
"""The order of checks (docs/protocol.md): the signer's right to speak for
the event's org comes before idempotency, and its standing (org active, key
active) after it.

So a signer of org A that claims `org: "B"` gets 403 forbidden on `org`
whether or not B has used the id: it learns nothing of B's ids. An org
whose roles may not write the type gets forbidden on `type`, also whatever
its own ids. And B's own client, retrying an event after its key was
revoked or its org suspended, still gets the first receipt. Each refusal
appends nothing.
"""
import os
import sys
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import cmcctest as ct  # noqa: E402


class AuthorityBeforeIdempotency(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.L = ct.Log()
        L = cls.L
        L.start()
        cls.a = L.admit("alpha", ["humanitarian"])[0]
        cls.b, cls.b2 = L.admit("bravo", ["humanitarian"], nkeys=2)
        cls.m = L.admit("mil", ["military"])[0]
        # bravo's used id, and the exact envelope that used it
        cls.used = ct.new_id("used")
        ev = ct.event("incident.report", ct.incident_body(cls.used), "bravo", cls.used)
        cls.used_env = ct.signed(cls.b, ev)
        r = L.post(cls.used_env)
        assert r.status == 200, r
        cls.used_receipt = r.json

    @classmethod
    def tearDownClass(cls):
        ct.stop_clean(cls.L)

    def refused(self, key, type_, body, org, id_, status, code, field):
        L = self.L
        before = L.size()
        r = L.post(ct.signed(key, ct.event(type_, body, org, id_)))
        self.assertEqual(r.status, status, r)
        self.assertEqual(r.error["code"], code, r)
        self.assertEqual(r.error.get("field", ""), field, r)
        self.assertTrue(r.error["message"], r)
        self.assertEqual(L.size(), before, "a refused event was appended")
        return r.error

    def test_other_orgs_used_id_and_fresh_id_answer_alike(self):
        # alpha's key claims bravo's org: a used id of bravo's and a fresh one
        used = self.refused(self.a, "incident.report", ct.incident_body("x1"), "bravo", self.used,
                            403, "forbidden", "org")
        fresh = self.refused(self.a, "incident.report", ct.incident_body("x2"), "bravo",
                             ct.new_id("fresh"), 403, "forbidden", "org")
        self.assertEqual(used["message"], fresh["message"])

    def test_unadmitted_org_answers_like_an_admitted_one(self):
        # the message names the key's org and the claimed one, nothing more
        self.refused(self.a, "incident.report", ct.incident_body("x3"), "nobody",
                     ct.new_id("n"), 403, "forbidden", "org")

    def test_role_checked_before_idempotency(self):
        # mil (military) may not write movement.request (humanitarian):
        # forbidden on type, for an id mil never used and for one it used
        mine = ct.new_id("mine")
        self.L.ok(self.m, "incident.report", ct.incident_body(mine), id_=mine)
        body = {"movement": "mv", "purpose": "p", "route": [[31.0, 34.0], [31.1, 34.1]],
                "window_start": ct.hours(72), "window_end": ct.hours(80), "vehicles": 1}
        self.refused(self.m, "movement.request", body, "mil", mine, 403, "forbidden", "type")
        self.refused(self.m, "movement.request", body, "mil", ct.new_id("mv"), 403, "forbidden",
                     "type")

    def test_own_org_conflict_still_answered(self):
        # the same org with another event under a used id: conflict on id
        self.refused(self.b2, "incident.report", ct.incident_body("other"), "bravo", self.used,
                     409, "conflict", "id")

    def test_zz_retry_after_revocation_gets_first_receipt(self):
        # runs last (zz): bravo's first key is revoked, then the very same
        # envelope is sent again: its first receipt, nothing appended
        L = self.L
        L.revoke_key("bravo", self.b, signer=self.b2)
        before = L.size()
        r = L.post(self.used_env)
        self.assertEqual(r.status, 200, r)
        self.assertTrue(r.json["duplicate"])
        self.assertEqual(r.json["index"], self.used_receipt["index"])
        self.assertEqual(r.json["leaf_hash"], self.used_receipt["leaf_hash"])
        self.assertEqual(L.size(), before)
        # a new event by the revoked key is key_revoked, not a receipt
        self.refused(self.b, "incident.report", ct.incident_body("late"), "bravo",
                     ct.new_id("late"), 403, "key_revoked", "signatures[0].keyid")
        # and alpha replaying bravo's id after that still gets forbidden on org
        self.refused(self.a, "incident.report", ct.incident_body("x4"), "bravo", self.used,
                     403, "forbidden", "org")


if __name__ == "__main__":
    unittest.main()
