#!/usr/bin/env python3
"""A misconfigured deployment, for real: the standby is asynchronous, and is
promoted after losing entries cmcc acknowledged.

A primary and an asynchronous streaming standby (pgpair.py, over TCP on
loopback); `cmcc serve` on the multi-host URL with
target_session_attrs=read-write. Events are written and the standby
catches up; then the standby is stopped, more events are acknowledged (200)
and a checkpoint of them is published; the primary's postmaster is
SIGKILLed, the standby started again and promoted: it lacks the entries of
the last checkpoint. It asserts:

- the server warned at start that commits are not replicated;
- the writer, connecting again to the promoted standby, refuses writes
  (/healthz "role": "deposed", and every event 503 `unavailable`) with a
  sentence naming the entries it acknowledged, the checkpoint it published
  and what it found; the promoted database gets no entry and no checkpoint
  from it;
- a `cmcc serve` started afresh on the same log directory refuses writes
  too, saying it signed and published a checkpoint of N entries and the
  store holds M, in /healthz and on stderr; reads are served (200), and it
  signs no checkpoint.

And a synchronous standby lost while the server runs: /healthz, asked
again, says "replicated": false with the reason within seconds, and
stderr warns once; with the standby back, "replicated": true again.
(Run under tests/pg/with-cluster.sh, for CMCC_PG_BIN; its own cluster is
not used.)
"""

import os
import shutil
import sys
import tempfile
import time
import unittest

sys.path.insert(0, os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))),
                                "blackbox"))
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
os.environ.setdefault("CMCC_TEST_STORE", "postgresql")
import cmcctest as ct  # noqa: E402

HAVE_PG = "CMCC_PG_BIN" in os.environ
if HAVE_PG:
    from pgpair import Pair, pg  # noqa: E402


until = ct.until


def log_on(test, url, origin):
    """A new log whose store is url, served; a ct.Log."""
    d = tempfile.mkdtemp(prefix="cmcc-async-log-")
    test.addCleanup(shutil.rmtree, d, True)
    log = os.path.join(d, "log")
    r = ct.run("init", log, "--origin", origin, "--org", "hq", "--name", "HQ", "--store", url)
    test.assertEqual(r.returncode, 0, r.stderr)
    L = ct.Log.__new__(ct.Log)  # the directory made above, as a ct.Log
    L.dir, L.origin, L.org, L.context, L.server = log, origin, "hq", None, None
    with open(os.path.join(log, "log.vkey")) as f:
        L.vkey = ct.Vkey(f.read().strip())
    L.coord = ct.Key.from_pem(os.path.join(log, "coordinator.pem"))
    L.keys = {"hq": [L.coord]}
    L.token, L.token_id = L.create_token("hq")
    L.start()
    test.addCleanup(lambda: L.server and L.server.kill())
    return L


def place(L):
    pid = ct.new_id("p")
    return L.submit(L.coord, "place.define",
                    {"place": pid, "kind": "depot", "name": pid, "lat": 1, "lon": 2})[0]


@unittest.skipUnless(HAVE_PG, "no PostgreSQL: run under tests/pg/with-cluster.sh")
class AsyncStandbyLostEntries(unittest.TestCase):
    def test_a_promoted_standby_that_lost_acknowledged_entries_is_refused(self):
        pair = Pair(sync=False, tcp=True)
        self.addCleanup(pair.close)
        P, S = pair.ports
        pair.psql(P, "CREATE DATABASE cmcc_log")
        L = log_on(self, pair.url(), "async.test/log")
        log = L.dir
        rep = L.get("/healthz", token=None).json["replication"]
        self.assertEqual(rep["replicated"], False)
        self.assertIn("WARNING: an event answered 200 is not on a second machine",
                      L.server.stderr())

        # the standby has these
        for _ in range(5):
            self.assertEqual(place(L).status, 200)
        L.wait_checkpoint(L.size())
        pair.caught_up()
        kept = L.size()
        self.assertEqual(pair.psql(S, "SELECT count(*) FROM entries", db="cmcc_log"), str(kept))

        # and not these: acknowledged, and a checkpoint of them published
        pair.stop(pair.s)
        for _ in range(8):
            self.assertEqual(place(L).status, 200)
        acked = L.size()
        L.wait_checkpoint(acked)
        published = L.checkpoint()[1]
        self.assertEqual(published, acked)
        with open(os.path.join(log, "published")) as f:
            self.assertEqual(f.read().split("\n")[1], str(acked))

        pair.kill_primary()
        pair.start(pair.s, S)
        pg("pg_ctl", "-D", pair.s, "-w", "promote")
        self.assertEqual(pair.psql(S, "SELECT count(*) FROM entries", db="cmcc_log"), str(kept))
        checkpoints = pair.psql(S, "SELECT count(*) FROM checkpoints", db="cmcc_log")

        # the writer connects again, and refuses
        self.assertNotEqual(place(L).status, 200)
        h = until(lambda: (lambda h: h if h["role"] == "deposed" else None)(
            L.get("/healthz", token=None).json), 30, "the writer refusing the promoted standby")
        self.assertIn("holds %d entries" % kept, h["why"])
        self.assertIn("acknowledged %d entries and published a checkpoint of %d"
                      % (acked, published), h["why"])
        self.assertIn("would fork the log", h["why"])
        r = place(L)
        self.assertEqual(r.status, 503, r)
        self.assertEqual(r.json["error"]["code"], "unavailable")
        self.assertIn("would fork the log", r.json["error"]["message"])
        self.assertIn("this server acknowledged %d entries" % acked, L.server.stderr())
        L.stop()
        L.server = None
        self.assertEqual(pair.psql(S, "SELECT count(*) FROM entries", db="cmcc_log"), str(kept))
        self.assertEqual(pair.psql(S, "SELECT count(*) FROM checkpoints", db="cmcc_log"),
                         checkpoints)

        # a server started afresh on the same log directory refuses too
        L.start()
        says = ("it signed and published a checkpoint of %d entries (%s/published), but the "
                "store holds %d entries" % (acked, log, kept))
        h = L.get("/healthz", token=None).json
        self.assertEqual(h["role"], "deposed")
        self.assertIn(says, h["why"])
        self.assertIn("would fork the log", h["why"])
        self.assertIn(says, L.server.stderr())
        r = place(L)
        self.assertEqual(r.status, 503, r)
        self.assertIn(says, r.json["error"]["message"])
        self.assertEqual(L.get("/v1/places").status, 200)  # reads are served
        time.sleep(2.5)  # two checkpoint intervals: it signs nothing
        self.assertEqual(pair.psql(S, "SELECT count(*) FROM entries", db="cmcc_log"), str(kept))
        self.assertEqual(pair.psql(S, "SELECT count(*) FROM checkpoints", db="cmcc_log"),
                         checkpoints)
        self.assertEqual(L.stop()[0], 0)


@unittest.skipUnless(HAVE_PG, "no PostgreSQL: run under tests/pg/with-cluster.sh")
class StandbyLostLater(unittest.TestCase):
    def test_healthz_says_when_the_synchronous_standby_is_gone_and_back(self):
        pair = Pair(sync=True, tcp=False)
        self.addCleanup(pair.close)
        pair.psql(pair.ports[0], "CREATE DATABASE cmcc_log")
        L = log_on(self, pair.url(), "lost.test/log")

        def rep():
            return L.get("/healthz", token=None).json["replication"]

        self.assertEqual(rep()["replicated"], True)
        self.assertEqual(place(L).status, 200)
        pair.stop(pair.s)
        r = until(lambda: (lambda r: r if not r["replicated"] else None)(rep()), 15,
                  "/healthz noticing the standby gone")
        self.assertEqual(r["synchronous_standbys"], 0)
        self.assertIn("no standby streams as synchronous now", r["warning"])
        err = L.server.stderr()
        self.assertIn("WARNING: commits are no longer replicated", err)
        self.assertEqual(err.count("no longer replicated"), 1)
        pair.start(pair.s, pair.ports[1])
        r = until(lambda: (lambda r: r if r["replicated"] else None)(rep()), 30,
                  "/healthz noticing the standby back")
        self.assertNotIn("warning", r)
        self.assertIn("commits are replicated again (1 synchronous standby)", L.server.stderr())
        self.assertEqual(place(L).status, 200)
        self.assertEqual(L.stop()[0], 0)


if __name__ == "__main__":
    ct.main()
