#!/usr/bin/python3
"""Crash safety: SIGKILL at random moments under sustained ingest.

Four clients write at once, each keeping a record of every envelope it sent
and every receipt it got:

  singles-0, singles-1  supply chains advanced one envelope a request
                        (declare -> screen -> enter -> accept -> distribute,
                        each step refused without the one before), plus
                        independent consignments and places
  batches               NDJSON batches of 1..6 whole chains, interleaved,
                        each chain with one line meant to be refused (a second
                        accept of the same transfer: rule_violation)
  big                   NDJSON batches of 40..100 chains (200..500 lines)

The server is killed with SIGKILL at random moments (CMCC_CRASH_KILLS, 24 by
default) and restarted on the same directory each time. At each restart,
before any client sees the new server:
  - the recovered tree holds every entry any client had a receipt for;
  - the checkpoint seen just before the kill and the new one are consistent
    (RFC 6962 consistency proof, checked by the harness), as is every
    checkpoint observed against the one before it.
At the end, on a last restart:
  - every envelope whose request failed (refused connection, reset, cut
    answer) is sent again: the answer must be a receipt (duplicate or not);
    a batch's lines must be found in the log as a prefix (nothing after a
    line that is missing);
  - every envelope ever acknowledged, sent again, is a duplicate with the
    same index and leaf hash;
  - every receipt's entry holds exactly the bytes sent, and hashes to the
    receipt's leaf hash; the log holds every envelope sent (but the ones
    meant to be refused) exactly once, and nothing else;
  - each consignment's totals and status are what its acknowledged steps
    give, and nothing refused left a trace;
  - the server stops cleanly and `cmcc verify DIR` (a replay of every entry
    and a comparison of every projection) passes.
"""
import os
import signal
import sys
import threading
import time
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import reliab as rl  # noqa: E402

ct = rl.ct

KILLS = int(os.environ.get("CMCC_CRASH_KILLS", "24"))
UP_MIN, UP_MAX = 0.15, 1.6  # seconds of load between a restart and the next kill


class Endpoint:
    """The port of the server now up (None while down); gen counts servers."""

    def __init__(self):
        self.cv = threading.Condition()
        self.port, self.gen, self.done = None, 0, False

    def up(self, port):
        with self.cv:
            self.port, self.gen = port, self.gen + 1
            self.cv.notify_all()

    def down(self):
        with self.cv:
            self.port = None

    def finish(self):
        with self.cv:
            self.done = True
            self.cv.notify_all()

    def get(self, after=0):
        """(port, gen) of a server with gen > after; None once finished."""
        with self.cv:
            while not self.done and (self.port is None or self.gen <= after):
                self.cv.wait(0.5)
            return None if self.done else (self.port, self.gen)


class Client(threading.Thread):
    """One writer. Everything it learns is kept: receipts (envelope bytes,
    receipt), unknowns (requests that got no answer), refusals."""

    def __init__(self, name, mode, ep, token, rng, hum, hum_key, insp, insp_key, coord,
                 crossing, dp):
        super().__init__(name=name, daemon=True)
        self.mode, self.ep, self.token, self.rng = mode, ep, token, rng
        self.hum, self.hum_key, self.insp, self.insp_key = hum, hum_key, insp, insp_key
        self.coord, self.crossing, self.dp = coord, crossing, dp
        self.stop = threading.Event()
        self.receipts = []   # (env, receipt)
        self.unknown = []    # ("one", env, chain or None) | ("batch", envs, bad set, chains)
        self.refused = []    # envelopes refused as meant (rule_violation)
        self.chains = []     # [chain, steps acknowledged, step unknown or None]
        self.places = []     # (place id, env) of place.define sent
        self.problems = []
        self.max_index = -1
        self.requests = self.errors = 0
        self.open = []       # chains advanced one step a request

    def new_chain(self):
        c = rl.Chain(self.rng, self.hum, self.hum_key, self.insp, self.insp_key, self.crossing,
                     self.dp)
        rec = [c, 0, None]
        self.chains.append(rec)
        return rec

    def got(self, env, rc):
        self.receipts.append((env, rc))
        if rc["index"] > self.max_index:
            self.max_index = rc["index"]

    # -- one request -----------------------------------------------------------
    def send(self, kind, envs):
        """Sends until answered (503 is retried). Returns the decoded answer,
        or None when the connection failed (the outcome is unknown)."""
        after = 0
        while not self.stop.is_set():
            got = self.ep.get(after)
            if got is None:
                return None
            port, gen = got
            self.requests += 1
            try:
                if kind == "one":
                    r = rl.post_one(port, self.token, envs[0], timeout=30)
                else:
                    r = rl.post_batch(port, self.token, envs, timeout=60)
            except (OSError, ct.http.client.HTTPException):
                self.errors += 1
                return None
            if r.status == 503:
                time.sleep(0.05)
                after = 0
                continue
            try:
                return r.status, r.json
            except ValueError:
                self.problems.append("not JSON: %r" % r)
                return None
        return None

    def step_single(self):
        if len(self.open) < 3:
            self.open.append(self.new_chain())
        rec = self.rng.choice(self.open)
        c, k = rec[0], rec[1]
        env = c.envs[k]
        a = self.send("one", [env])
        if a is None:
            rec[2] = k
            self.unknown.append(("one", env, rec))
            self.open.remove(rec)
            self.wait_new_server()
            return
        status, j = a
        if status != 200 or not rl.is_receipt(j) or j["duplicate"]:
            self.problems.append("%s step %d: %d %r" % (c.cid, k, status, j))
            self.open.remove(rec)
            return
        self.got(env, j)
        rec[1] = k + 1
        if rec[1] == len(c.envs):
            self.open.remove(rec)

    def independent(self):
        if self.rng.random() < 0.5:
            rec = self.new_chain()
            env = rec[0].envs[0]
            a = self.send("one", [env])
            if a is None:
                rec[2] = 0
                self.unknown.append(("one", env, rec))
                self.wait_new_server()
                return
            status, j = a
            if status == 200 and rl.is_receipt(j) and not j["duplicate"]:
                self.got(env, j)
                rec[1] = 1
            else:
                self.problems.append("declare %s: %d %r" % (rec[0].cid, status, j))
        else:
            place = ct.new_id("pl")
            env = ct.signed(self.coord, ct.event("place.define", {
                "place": place, "kind": "warehouse", "name": "W " + place, "lat": 31.5,
                "lon": 34.45}, "cell"))
            self.places.append((place, env))
            a = self.send("one", [env])
            if a is None:
                self.unknown.append(("one", env, None))
                self.wait_new_server()
                return
            status, j = a
            if status == 200 and rl.is_receipt(j) and not j["duplicate"]:
                self.got(env, j)
            else:
                self.problems.append("place %s: %d %r" % (place, status, j))

    def batch(self, nchains):
        recs = [self.new_chain() for _ in range(nchains)]
        bad = set()
        per = []
        for rec in recs:
            c = rec[0]
            steps = list(c.envs)
            if self.mode == "batches":
                # a second accept of the same transfer, right after the first
                again = ct.signed(self.hum_key, ct.event("custody.accept", ct.accept_body(
                    c.tid, {1: 1, 2: 1}), self.hum))
                bad.add(again)
                steps.insert(4, again)
            per.append(steps)
        envs = []
        # interleave the chains, each in its own order
        while any(per):
            for steps in per:
                if steps:
                    envs.append(steps.pop(0))
        a = self.send("batch", envs)
        if a is None:
            for rec in recs:
                rec[2] = 0
            self.unknown.append(("batch", envs, bad, recs))
            self.wait_new_server()
            return
        status, j = a
        res = j.get("results") if isinstance(j, dict) else None
        if status != 200 or not isinstance(res, list) or len(res) != len(envs):
            self.problems.append("batch: %d %r" % (status, str(j)[:300]))
            return
        ok = True
        for env, x in zip(envs, res):
            if env in bad:
                if rl.error_code(x) != "rule_violation":
                    self.problems.append("a second accept was answered %r" % x)
                    ok = False
                else:
                    self.refused.append(env)
            elif rl.is_receipt(x) and not x["duplicate"]:
                self.got(env, x)
            else:
                self.problems.append("batch line answered %r" % x)
                ok = False
        if ok:
            for rec in recs:
                rec[1] = len(rec[0].envs)

    def wait_new_server(self):
        with self.ep.cv:
            gen = self.ep.gen
        self.ep.get(gen)

    def run(self):
        try:
            while not self.stop.is_set():
                if self.mode == "singles":
                    if self.rng.random() < 0.7:
                        self.step_single()
                    else:
                        self.independent()
                    time.sleep(self.rng.uniform(0, 0.004))
                elif self.mode == "batches":
                    self.batch(self.rng.randint(1, 6))
                    time.sleep(self.rng.uniform(0, 0.01))
                else:
                    self.batch(self.rng.randint(40, 100))
                    time.sleep(self.rng.uniform(0.02, 0.1))
        except Exception as e:  # a bug of the test: make it visible
            self.problems.append("client crashed: %r" % e)
            raise


class CrashSafety(unittest.TestCase):

    def setUp(self):
        self.L = ct.Log()
        self.addCleanup(self.L.close)

    def test_sigkill_under_load(self):
        L = self.L
        rng = rl.rng_for("crash")
        L.start()
        insp, insp_key, hums = rl.supply_setup(L, ["relief-%d" % i for i in range(4)])
        setup_size = L.size()
        ep = Endpoint()
        modes = ["singles", "singles", "batches", "big"]
        clients = []
        for i, (h, k) in enumerate(sorted(hums.items())):
            clients.append(Client("%s-%d" % (modes[i], i), modes[i], ep, L.token,
                                  rl.random.Random(rng.random()), h, k, insp, insp_key,
                                  L.coord, "north", "dp-1"))
        seen = [L.checkpoint()]  # every checkpoint observed, in order
        problems = []

        def observe(cp, when):
            prev = seen[-1]
            if cp[0] != prev[0]:
                problems.append("%s: origin %r, was %r" % (when, cp[0], prev[0]))
            p = rl.consistency_problem(L, prev[1], prev[2], cp[1], cp[2])
            if p:
                problems.append("%s: %s" % (when, p))
            seen.append(cp)

        ep.up(L.server.port)
        for c in clients:
            c.start()
        t0 = time.monotonic()
        sizes = []
        try:
            for k in range(KILLS):
                time.sleep(rng.uniform(UP_MIN, UP_MAX))
                observe(L.checkpoint(), "before kill %d" % (k + 1))
                acked = max(c.max_index for c in clients)
                ep.down()
                L.stop(sig=signal.SIGKILL)
                L.start()
                size = L.server.start_size  # what it recovered, as it says on start
                sizes.append(size)
                if size <= acked:
                    problems.append("restart %d: the log has %d entries, but a client had a "
                                    "receipt for index %d" % (k + 1, size, acked))
                cp = L.wait_checkpoint(size, timeout=10)
                if cp[1] < size:
                    problems.append("restart %d: no checkpoint of the %d recovered entries "
                                    "(newest %d)" % (k + 1, size, cp[1]))
                observe(cp, "after restart %d" % (k + 1))
                ep.up(L.server.port)
        finally:
            for c in clients:
                c.stop.set()
            ep.finish()
            for c in clients:
                c.join(60)
        load_s = time.monotonic() - t0
        self.assertEqual(problems, [])
        for c in clients:
            self.assertFalse(c.is_alive(), c.name)
            self.assertEqual(c.problems, [], c.name)

        # -- after the last restart: resolve every unknown outcome
        ep2_port = L.server.port
        nunknown = sum(len(c.unknown) for c in clients)
        batch_shapes = {"all": 0, "none": 0, "partial": 0}
        for c in clients:
            for u in c.unknown:
                if u[0] == "one":
                    _, env, rec = u
                    r = rl.post_one(ep2_port, L.token, env)
                    self.assertEqual(r.status, 200, (c.name, r))
                    self.assertTrue(rl.is_receipt(r.json), r)
                    c.got(env, r.json)
                    if rec is not None:
                        rec[1] = rec[2] + 1
                else:
                    _, envs, bad, recs = u
                    r = rl.post_batch(ep2_port, L.token, envs)
                    self.assertEqual(r.status, 200, r)
                    res = r.json["results"]
                    self.assertEqual(len(res), len(envs))
                    dups = []
                    for env, x in zip(envs, res):
                        if env in bad:
                            self.assertEqual(rl.error_code(x), "rule_violation", x)
                            c.refused.append(env)
                            continue
                        self.assertTrue(rl.is_receipt(x), x)
                        c.got(env, x)
                        dups.append(x["duplicate"])
                    # what the log held of the batch is a prefix of it
                    first_new = dups.index(False) if False in dups else len(dups)
                    self.assertNotIn(True, dups[first_new:],
                                     "a batch's later line is in the log without an earlier one")
                    batch_shapes["all" if first_new == len(dups) else
                                 "none" if first_new == 0 else "partial"] += 1
                    for rec in recs:
                        rec[1] = len(rec[0].envs)

        # -- every acknowledged envelope, sent again, is its own duplicate
        receipts = [(env, rc) for c in clients for env, rc in c.receipts]
        for i in range(0, len(receipts), 1000):
            part = receipts[i:i + 1000]
            r = rl.post_batch(ep2_port, L.token, [env for env, _ in part])
            self.assertEqual(r.status, 200, r)
            for (env, rc), x in zip(part, r.json["results"]):
                self.assertTrue(rl.is_receipt(x), x)
                self.assertTrue(x["duplicate"], x)
                self.assertEqual((x["index"], x["leaf_hash"]), (rc["index"], rc["leaf_hash"]))

        # -- the log against the receipts
        entries = L.entries()
        size = len(entries)
        for env, rc in receipts:
            p = rl.receipt_problem(entries, env, rc)
            self.assertIsNone(p, p)
        sent = {env for env, _ in receipts}
        refused = {env for c in clients for env in c.refused}
        self.assertEqual(len(sent), len(receipts), "two receipts for one envelope")
        held = [rl.entry_envelope(e) for e in entries[setup_size:]]
        self.assertEqual(len(held), len(set(held)), "an envelope is in the log twice")
        self.assertEqual(set(held) - sent, set(), "the log holds envelopes no client sent")
        self.assertEqual(sent - set(held), set())
        self.assertEqual(refused & set(held), set(), "a refused envelope is in the log")
        self.assertEqual(size, setup_size + len(sent))

        # -- the state against the acknowledged steps
        listed = {c["consignment"]: c for c in L.consignments()}
        nchains = 0
        for c in clients:
            for chain, n, _ in c.chains:
                if n == 0:
                    self.assertNotIn(chain.cid, listed)
                    continue
                nchains += 1
                self.assertIn(chain.cid, listed)
                self.assertEqual(rl.totals_of(listed[chain.cid]), chain.expected(n), chain.cid)
        self.assertEqual(len(listed), nchains)
        places = L.places()
        for c in clients:
            for place, env in c.places:
                self.assertEqual(place in places, env in sent, place)

        cp = L.wait_checkpoint(size, timeout=10)
        observe(cp, "at the end")
        self.assertEqual(problems, [])
        rl.stop_and_verify(self, L)

        rl.report("crash", "%d kills in %.1f s of load; log of %d entries (%d setup); sizes at "
                  "restarts %s" % (KILLS, load_s, size, setup_size, sizes))
        rl.report("crash", "%d requests, %d failed by the kills; %d unknown outcomes resolved "
                  "(batches found whole/absent/partial: %d/%d/%d); %d refusals kept out; %d "
                  "chains checked" % (sum(c.requests for c in clients),
                                      sum(c.errors for c in clients), nunknown,
                                      batch_shapes["all"], batch_shapes["none"],
                                      batch_shapes["partial"], len(refused), nchains))


if __name__ == "__main__":
    ct.main()
