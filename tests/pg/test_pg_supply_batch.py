#!/usr/bin/env python3
"""A batch of supply events judged on PostgreSQL as on SQLite (run under
tests/pg/with-cluster.sh, which sets CMCC_PG_URL).

On PostgreSQL the writer loads, before judging a batch, the supply rows
its events will read (consignments with their lines and balances,
transfers with their lines, taken distribution and loss ids) in one
statement, and applies each effect it writes to them (pg_supply_cache.c).
Here two logs, one on each store, with the same orgs, keys and places,
take the same NDJSON batches (the same bytes): the whole life of a new
consignment in one request (declare, screen, enter, accept, custody
transfers accepted and rejected, distributions, a loss), events on a
consignment and a transfer made by an earlier request (read from the
database into the batch's rows), and refusals that only the rows written
earlier in the same batch explain (an id taken, a balance spent, a
transfer closed, a repeat). Every line's answer (receipt index, duplicate,
or error code, field and sentence), every consignment and transfer served,
the reconciliation and the log's size must be the same on both, and
`cmcc verify` (which rebuilds the state and compares it row by row) must
pass on both.
"""

import os
import sys
import unittest

sys.path.insert(0, os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))),
                                "blackbox"))
os.environ.setdefault("CMCC_TEST_STORE", "postgresql")
import cmcctest as ct  # noqa: E402

HAVE_PG = "CMCC_PG_URL" in os.environ
HA, HB, TR, GATE = "relief-a", "relief-b", "trucks", "gate"


def sqlite_log():
    """A log on SQLite, whatever CMCC_TEST_STORE says."""
    saved = ct.PG_STORE
    ct.PG_STORE = False
    try:
        return ct.Log()
    finally:
        ct.PG_STORE = saved


@unittest.skipUnless(HAVE_PG, "no cluster: run under tests/pg/with-cluster.sh")
class SameAnswers(unittest.TestCase):

    @classmethod
    def setUpClass(cls):
        cls.keys = {org: ct.Key() for org in (HA, HB, TR, GATE)}
        cls.logs = {"sqlite": sqlite_log(), "postgresql": ct.Log()}
        for name, L in cls.logs.items():
            cls.addClassCleanup(L.close)
            L.start()
            for org, roles in ((HA, "humanitarian"), (HB, "humanitarian"),
                               (TR, "transporter"), (GATE, "inspector")):
                L.admit(org, [roles], keys=[cls.keys[org]])
            for p, kind in (("north", "crossing"), ("wh-a", "warehouse"),
                            ("dp-1", "distribution_point"), ("dp-2", "distribution_point")):
                L.define_place(p, kind)
        cls.n = 0

    @classmethod
    def tearDownClass(cls):
        for L in cls.logs.values():
            if L.server:
                err = L.server.stderr
                status, out = L.stop()
                ct.check_clean_exit(status, out, err())

    def env(self, org, type_, body):
        """One signed envelope (bytes), with an event time that orders the
        events as they are listed."""
        self.__class__.n += 1
        t = ct.rfc3339(1700000000 + self.n * 60)
        return ct.signed(self.keys[org], ct.event(type_, body, org, t=t))

    def both(self, lines):
        """Posts the batch to both logs; checks that the answers are the
        same and returns them (the leaf hashes differ: the entries'
        received times do)."""
        got = {}
        for name, L in self.logs.items():
            r = L.batch(lines)
            self.assertEqual(r.status, 200, (name, r))
            res = r.json["results"]
            self.assertEqual(len(res), len(lines), (name, res))
            got[name] = [{k: v for k, v in x.items() if k not in ("leaf_hash", "proof")}
                         for x in res]
        self.assertEqual(got["postgresql"], got["sqlite"])
        return got["sqlite"]

    def same_reads(self, *paths):
        for path in paths:
            got = {}
            for name, L in self.logs.items():
                r = L.get(path)
                self.assertEqual(r.status, 200, (name, path, r))
                got[name] = r.json
            self.assertEqual(got["postgresql"], got["sqlite"], path)
        return got["sqlite"]

    def assertRefused(self, res, code, field=None):
        self.assertEqual(list(res), ["error"], res)
        self.assertEqual(res["error"]["code"], code, res)
        self.assertTrue(res["error"].get("message"), res)
        if field is not None:
            self.assertEqual(res["error"].get("field"), field, res)

    def assertAccepted(self, res):
        self.assertIn("index", res, res)
        self.assertIs(res["duplicate"], False, res)

    def test_1_a_whole_life_in_one_batch(self):
        e = self.env
        # c-old and its transfer e-old come from an earlier request: the
        # batch reads them from the database
        before = [
            e(HA, "consignment.declare", ct.declare_body("c-old", "north", {1: 100, 2: 50})),
            e(GATE, "consignment.screen", ct.screen_body("c-old", {1: 100, 2: 40}, {2: "damaged"})),
            e(GATE, "consignment.enter", ct.enter_body("c-old", "e-old", "north", TR,
                                                       {1: 100, 2: 40})),
        ]
        for res in self.both(before):
            self.assertAccepted(res)
        repeat = e(HA, "distribution.record", ct.distribution_body("d-1", "c-new", "dp-1",
                                                                   {1: 10}))
        # (what each line must get: ok, the error's code, or the answer of line i
        # again, as a repeat)
        lines = [
            # the old consignment: its transfer named alone, then moves
            ("ok", e(TR, "custody.accept", ct.accept_body("e-old", {1: 95, 2: 40}))),
            ("ok", e(TR, "custody.transfer", ct.transfer_body("t-old", "c-old", HA, {1: 90},
                                                              place="wh-a"))),
            ("ok", e(HA, "custody.accept", ct.accept_body("t-old", {1: 90}))),
            ("ok", e(HA, "distribution.record", ct.distribution_body("d-old", "c-old", "dp-2",
                                                                     {1: 60}))),
            # spent by the line before: 30 held, 31 asked
            ("rule_violation", e(HA, "distribution.record", ct.distribution_body("d-over", "c-old", "dp-2",
                                                                        {1: 31}))),
            ("ok", e(TR, "loss.report", ct.loss_body("l-old", "c-old", "looted", "held",
                                                     {2: 40}))),
            # the new consignment, from declaration on
            ("ok", e(HA, "consignment.declare", ct.declare_body("c-new", "north",
                                                                {1: 500, 2: 80}))),
            ("rule_violation", e(HB, "consignment.declare", ct.declare_body("c-new", "north", {1: 1}))),
            ("ok", e(GATE, "consignment.screen", ct.screen_body("c-new", {1: 500, 2: 60},
                                                                {2: "expired"}))),
            ("ok", e(GATE, "consignment.enter", ct.enter_body("c-new", "e-1", "north", TR,
                                                              {1: 300, 2: 60}))),
            # more than approved is left
            ("rule_violation", e(GATE, "consignment.enter", ct.enter_body("c-new", "e-2", "north", TR,
                                                                 {1: 201}))),
            ("ok", e(TR, "custody.accept", ct.accept_body("e-1", {1: 290, 2: 60}))),
            ("rule_violation", e(TR, "custody.accept", ct.accept_body("e-1", {1: 290, 2: 60}))),
            ("ok", e(TR, "custody.transfer", ct.transfer_body("t-1", "c-new", HA,
                                                              {1: 200, 2: 60}, place="wh-a"))),
            ("ok", e(TR, "custody.transfer", ct.transfer_body("t-2", "c-new", HB, {1: 89}))),
            ("ok", e(TR, "custody.transfer", ct.transfer_body("t-3", "c-new", HB, {1: 1}))),
            # trucks holds nothing more
            ("rule_violation", e(TR, "custody.transfer", ct.transfer_body("t-4", "c-new", HB, {1: 1}))),
            ("ok", e(HA, "custody.accept", ct.accept_body("t-1", {1: 200, 2: 55}))),
            ("ok", e(HB, "custody.reject", ct.reject_body("t-2"))),
            ("rule_violation", e(HB, "custody.accept", ct.accept_body("t-2", {1: 89}))),
            ("ok", repeat),
            ("rule_violation", e(HA, "distribution.record", ct.distribution_body("d-1", "c-new", "dp-2",
                                                                           {1: 1}))),
            (20, repeat),
            ("ok", e(HA, "loss.report", ct.loss_body("l-1", "c-new", "spoiled", "held",
                                                     {2: 5}))),
            ("rule_violation", e(HA, "loss.report", ct.loss_body("l-1", "c-new", "spoiled", "held",
                                                           {2: 1}))),
            ("ok", e(HA, "distribution.record", ct.distribution_body("d-2", "c-new", "dp-1",
                                                                     {1: 190, 2: 50}))),
        ]
        self.expect(lines)
        self.same_reads("/v1/consignments/c-new", "/v1/consignments/c-old",
                        "/v1/reconciliation")
        c = self.logs["postgresql"].consignment("c-new")
        self.assertEqual(ct.ledger_problems(c), [], c)
        self.assertEqual(ct.balances(c), {
            1: {"distributed": 200, "held:" + TR: 89, "pending:t-3": 1,
                "unaccounted:" + GATE: 10},
            2: {"distributed": 50, "lost:spoiled": 5, "unaccounted:" + TR: 5}})
        c = self.logs["postgresql"].consignment("c-old")
        self.assertEqual(ct.ledger_problems(c), [], c)
        self.assertEqual(ct.balances(c), {
            1: {"distributed": 60, "held:" + HA: 30, "held:" + TR: 5,
                "unaccounted:" + GATE: 5},
            2: {"lost:looted": 40}})

    def test_2_the_next_batch_reads_what_the_first_wrote(self):
        e = self.env
        d3 = e(HB, "distribution.record", ct.distribution_body("d-3", "c-new", "dp-1", {1: 1}))
        lines = [
            ("ok", e(HB, "custody.accept", ct.accept_body("t-3", {1: 1}))),
            ("rule_violation", e(HB, "custody.accept", ct.accept_body("t-3", {1: 1}))),
            ("rule_violation", e(HA, "distribution.record", ct.distribution_body("d-2", "c-new", "dp-1",
                                                                           {1: 1}))),
            ("ok", d3),
            (3, d3),
            ("rule_violation", e(HB, "distribution.record", ct.distribution_body("d-4", "c-new", "dp-1",
                                                                        {1: 1}))),
            ("rule_violation", e(HA, "loss.report", ct.loss_body("l-1", "c-old", "looted", "held",
                                                           {1: 1}))),
            ("ok", e(HA, "loss.report", ct.loss_body("l-2", "c-old", "looted", "held", {1: 30}))),
        ]
        self.expect(lines)
        self.same_reads("/v1/consignments/c-new", "/v1/consignments/c-old", "/v1/reconciliation",
                        "/v1/consignments")
        sizes = {name: L.size() for name, L in self.logs.items()}
        self.assertEqual(sizes["postgresql"], sizes["sqlite"])

    def expect(self, lines):
        res = self.both([env for _, env in lines])
        for i, ((want, _), r) in enumerate(zip(lines, res)):
            with self.subTest(line=i):
                if want == "ok":
                    self.assertAccepted(r)
                elif isinstance(want, int):
                    self.assertEqual(r, dict(res[want], duplicate=True))
                else:
                    self.assertRefused(r, want)
        return res

    def test_3_verify_passes_on_both(self):
        for name, L in self.logs.items():
            r = ct.run("verify", L.dir)
            self.assertEqual(r.returncode, 0, (name, r.stdout + r.stderr))


if __name__ == "__main__":
    unittest.main(verbosity=2)
