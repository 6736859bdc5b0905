#!/usr/bin/env python3
"""Failover with real processes: a primary and a synchronous standby
cluster (pgpair.py; rounds in turn over TCP, host=127.0.0.1,127.0.0.1 on
two free ports, and over unix sockets in one temporary directory),
`cmcc serve` on a multi-host URL with target_session_attrs=read-write,
under a load of signed events from several clients; the primary's
postmaster SIGKILLed while they write; the standby promoted (pg_ctl
promote); cmcc connects to it and carries on.

It asserts: the server said replication was synchronous ("replicated":
true, no warning); every event answered 200 is in the log once (the
(org, id) pairs of the entries are distinct); a checkpoint published
before the failover is on the new primary, and the tree extends it
(`cmcc verify` checks every stored checkpoint against the tree); events
are answered 200 after the failover; `cmcc verify` and Go's tlog-verify
(when go is installed) pass.
(Run under tests/pg/with-cluster.sh, for CMCC_PG_BIN; its own cluster is
not used. Twenty rounds, each on new clusters; CMCC_FAILOVER_ROUNDS sets how many.)
"""

import os
import shutil
import subprocess
import sys
import tempfile
import threading
import time
import unittest

sys.path.insert(0, os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))),
                                "blackbox"))
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
os.environ.setdefault("CMCC_TEST_STORE", "postgresql")
import cmcctest as ct  # noqa: E402

HAVE_PG = "CMCC_PG_BIN" in os.environ
TLOG_VERIFY = os.path.join(ct.SHARED_DIR, "tools", "tlog-verify.sh")
HAVE_GO = shutil.which("go") is not None and os.path.exists(TLOG_VERIFY)
if HAVE_PG:
    from pgpair import Pair, pg  # noqa: E402


until = ct.until


@unittest.skipUnless(HAVE_PG, "no PostgreSQL: run under tests/pg/with-cluster.sh")
class Failover(unittest.TestCase):
    def round(self, tcp):
        pair = Pair(sync=True, tcp=tcp)
        self.addCleanup(pair.close)
        pair.psql(pair.ports[0], "CREATE DATABASE cmcc_log")
        d = tempfile.mkdtemp(prefix="cmcc-fo-log-")
        self.addCleanup(shutil.rmtree, d, True)
        log = os.path.join(d, "log")
        r = ct.run("init", log, "--origin", "fo.test/log", "--org", "hq", "--name", "HQ",
                   "--store", pair.url())
        self.assertEqual(r.returncode, 0, r.stderr)
        L = ct.Log.__new__(ct.Log)  # the directory made above, as a ct.Log
        L.dir, L.origin, L.org, L.context, L.server = log, "fo.test/log", "hq", None, None
        with open(os.path.join(log, "log.vkey")) as f:
            L.vkey_text = f.read().strip()
        L.vkey = ct.Vkey(L.vkey_text)
        L.coord = ct.Key.from_pem(os.path.join(log, "coordinator.pem"))
        L.keys = {"hq": [L.coord]}
        L.token, L.token_id = L.create_token("hq")
        L.start()
        self.addCleanup(lambda: L.server and L.server.kill())
        rep = L.get("/healthz", token=None).json["replication"]
        self.assertEqual(rep["replicated"], True, rep)
        self.assertNotIn("warning", rep)
        self.assertNotIn("WARNING", L.server.stderr())

        acked, lock, stop = [], threading.Lock(), threading.Event()
        last = {}  # each client's last answer that was not 200

        def client(n):
            i = 0
            while not stop.is_set():
                i += 1
                pid = "p-%d-%d" % (n, i)
                try:
                    r, _ = L.submit(L.coord, "place.define",
                                    {"place": pid, "kind": "depot", "name": pid, "lat": 1,
                                     "lon": 2}, id_="e-" + pid)
                except Exception as x:
                    last[n] = repr(x)
                    time.sleep(0.05)
                    continue
                if r.status == 200:
                    with lock:
                        acked.append("e-" + pid)
                else:
                    last[n] = "%d %s" % (r.status, r.body[:300])
                    time.sleep(0.05)

        clients = [threading.Thread(target=client, args=(n,)) for n in range(4)]
        for c in clients:
            c.start()
        try:
            until(lambda: len(acked) > 50, 30, "events before the failover")
            size = L.size()
            L.wait_checkpoint(size, timeout=10)
            published = L.get("/checkpoint", token=None).body.decode()
            before = len(acked)
            time.sleep(0.3 + (hash(time.time()) % 5) / 10)  # a point in the load
            pair.kill_primary()
            until(lambda: L.get("/healthz", token=None).json["role"] != "writer", 10,
                  "the writer noticing")
            pg("pg_ctl", "-D", pair.s, "-w", "promote")
            until(lambda: L.get("/healthz", token=None).json["role"] == "writer", 20,
                  "the writer on the new primary")
            n = len(acked)
            try:
                until(lambda: len(acked) > n + 20, 20, "events after the failover")
            except AssertionError:
                if os.environ.get("CMCC_FAILOVER_SAY") and shutil.which("gdb"):
                    print(subprocess.run(["gdb", "-p", str(L.server.proc.pid), "-batch", "-ex",
                                          "thread apply all bt"], capture_output=True,
                                         text=True).stdout[-12000:])
                raise AssertionError("no events after the failover (%d acknowledged; the "
                                     "clients last got %r); "
                                     "/healthz: %s; the server said:\n%s" % (
                                         len(acked), last, L.get("/healthz", token=None).body,
                                         L.server.stderr()[-3000:]))
        finally:
            stop.set()
            for c in clients:
                c.join()
        self.assertGreater(len(acked), before)
        err = L.server.stderr()
        self.assertIn("goes on writing at", err)
        if HAVE_GO:  # Go's own tlog code reads the served log: every tile, every entry
            L.wait_checkpoint(L.size(), timeout=20)
            r = subprocess.run(["sh", TLOG_VERIFY, "-vkey", L.vkey_text, "-token", L.token,
                                L.url], capture_output=True, text=True, timeout=300)
            self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
        self.assertEqual(L.stop()[0], 0, err)
        if os.environ.get("CMCC_FAILOVER_SAY"):
            print("\n%d acknowledged, %d before the failover\n%s" % (len(acked), before, err))
        rows = pair.psql(pair.ports[1], "SELECT org || ' ' || id FROM entries",
                         db="cmcc_log").split("\n")
        ids = [r.split(" ", 1)[1] for r in rows]
        self.assertEqual(len(ids), len(set(ids)), "an event is in the log twice")
        missing = set(acked) - set(ids)
        self.assertEqual(missing, set(), "events answered 200 are not in the log")
        first_line = published.split("\n")[1]
        self.assertEqual(pair.psql(pair.ports[1], "SELECT count(*) FROM checkpoints WHERE "
                                   "size = %s" % first_line, db="cmcc_log"), "1")
        r = ct.run("verify", log)
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)

    def test_the_primary_dies_and_the_standby_takes_over(self):
        # over TCP (host=127.0.0.1,127.0.0.1 port=P1,P2) and unix sockets in turn
        for i in range(int(os.environ.get("CMCC_FAILOVER_ROUNDS", "20"))):
            tcp = i % 2 == 0
            with self.subTest(round=i, tcp=tcp):
                self.round(tcp)
                self.doCleanups()


if __name__ == "__main__":
    ct.main()
