#!/usr/bin/env python3
"""Failover with real processes: a primary and a synchronous standby
cluster (unix sockets in one temporary directory, ports 5432 and 5433),
`cmcc serve` on a multi-host URL with target_session_attrs=read-write,
under a load of signed events from several clients; the primary's
postmaster SIGKILLed while they write; the standby promoted (pg_ctl
promote); cmcc connects to it and carries on.

It asserts: the server said replication was synchronous ("replicated":
true, no warning); every event answered 200 is in the log once (the
(org, id) pairs of the entries are distinct); a checkpoint published
before the failover is on the new primary, and the tree extends it
(`cmcc verify` checks every stored checkpoint against the tree); events
are answered 200 after the failover; `cmcc verify` passes.
(Run under tests/pg/with-cluster.sh, for CMCC_PG_BIN; its own cluster is
not used. Three rounds, each on new clusters; CMCC_FAILOVER_ROUNDS sets how many.)
"""

import os
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
import unittest

sys.path.insert(0, os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))),
                                "blackbox"))
os.environ.setdefault("CMCC_TEST_STORE", "postgresql")
import cmcctest as ct  # noqa: E402

HAVE_PG = "CMCC_PG_BIN" in os.environ
ROOT = os.geteuid() == 0


def pg(*args, check=True):
    cmd = [os.path.join(os.environ["CMCC_PG_BIN"], args[0])] + list(args[1:])
    if ROOT:
        cmd = ["runuser", "-u", "postgres", "--"] + cmd
    r = subprocess.run(cmd, capture_output=True, text=True, timeout=120)
    if check and r.returncode != 0:
        raise RuntimeError("%s: %s%s" % (" ".join(args), r.stdout, r.stderr))
    return r


def until(fn, timeout, what):
    deadline = time.monotonic() + timeout
    while True:
        got = fn()
        if got:
            return got
        if time.monotonic() > deadline:
            raise AssertionError("timed out waiting for " + what)
        time.sleep(0.1)


class Pair:
    """The two clusters."""

    def __init__(self):
        self.dir = tempfile.mkdtemp(prefix="cmcc-pgfo-")
        os.chmod(self.dir, 0o755)
        if ROOT:
            shutil.chown(self.dir, "postgres")
        self.p, self.s = os.path.join(self.dir, "p"), os.path.join(self.dir, "s")
        pg("initdb", "-D", self.p, "-U", "cmcc_test", "-A", "trust", "-E", "UTF8",
           "--locale=C.UTF-8", "--no-sync")
        self.start(self.p, 5432, "-c synchronous_standby_names=standby1 "
                   "-c synchronous_commit=remote_apply")
        pg("pg_basebackup", "-d", "host=%s port=5432 user=cmcc_test" % self.dir, "-D", self.s,
           "-R", "-X", "stream", "--no-sync")
        with open(os.path.join(self.s, "postgresql.auto.conf"), "a") as f:
            f.write("primary_conninfo = 'host=%s port=5432 user=cmcc_test "
                    "application_name=standby1'\n" % self.dir)
        self.start(self.s, 5433, "")
        self.url = "postgresql:///cmcc_log?host=%s,%s&port=5432,5433&user=cmcc_test" \
                   "&target_session_attrs=read-write&connect_timeout=2" % (self.dir, self.dir)

    def start(self, data, port, extra):
        pg("pg_ctl", "-D", data, "-l", data + ".log", "-w", "-s", "-o",
           "-c listen_addresses= -c unix_socket_directories=%s -c port=%d -c fsync=off %s"
           % (self.dir, port, extra), "start")

    def psql(self, port, sql, db="postgres"):
        r = subprocess.run([os.path.join(os.environ["CMCC_PG_BIN"], "psql"), "-qAtX",
                            "-h", self.dir, "-p", str(port), "-U", "cmcc_test", "-d", db,
                            "-c", sql], capture_output=True, text=True, timeout=60)
        if r.returncode != 0:
            raise RuntimeError(r.stderr)
        return r.stdout.strip()

    def kill_primary(self):
        with open(os.path.join(self.p, "postmaster.pid")) as f:
            pid = int(f.readline())
        os.kill(pid, signal.SIGKILL)

    def close(self):
        for d in (self.p, self.s):
            pg("pg_ctl", "-D", d, "-m", "immediate", "-w", "stop", check=False)
        shutil.rmtree(self.dir, ignore_errors=True)


@unittest.skipUnless(HAVE_PG, "no PostgreSQL: run under tests/pg/with-cluster.sh")
class Failover(unittest.TestCase):
    def round(self):
        pair = Pair()
        self.addCleanup(pair.close)
        pair.psql(5432, "CREATE DATABASE cmcc_log")
        d = tempfile.mkdtemp(prefix="cmcc-fo-log-")
        self.addCleanup(shutil.rmtree, d, True)
        log = os.path.join(d, "log")
        r = ct.run("init", log, "--origin", "fo.test/log", "--org", "hq", "--name", "HQ",
                   "--store", pair.url)
        self.assertEqual(r.returncode, 0, r.stderr)
        L = ct.Log.__new__(ct.Log)  # the directory made above, as a ct.Log
        L.dir, L.origin, L.org, L.context, L.server = log, "fo.test/log", "hq", None, None
        with open(os.path.join(log, "log.vkey")) as f:
            L.vkey = ct.Vkey(f.read().strip())
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
        self.assertEqual(L.stop()[0], 0, err)
        if os.environ.get("CMCC_FAILOVER_SAY"):
            print("\n%d acknowledged, %d before the failover\n%s" % (len(acked), before, err))
        rows = pair.psql(5433, "SELECT org || ' ' || id FROM entries", db="cmcc_log").split("\n")
        ids = [r.split(" ", 1)[1] for r in rows]
        self.assertEqual(len(ids), len(set(ids)), "an event is in the log twice")
        missing = set(acked) - set(ids)
        self.assertEqual(missing, set(), "events answered 200 are not in the log")
        first_line = published.split("\n")[1]
        self.assertEqual(pair.psql(5433, "SELECT count(*) FROM checkpoints WHERE size = %s"
                                   % first_line, db="cmcc_log"), "1")
        r = ct.run("verify", log)
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)

    def test_the_primary_dies_and_the_standby_takes_over(self):
        for _ in range(int(os.environ.get("CMCC_FAILOVER_ROUNDS", "3"))):
            with self.subTest():
                self.round()
                self.doCleanups()


if __name__ == "__main__":
    ct.main()
