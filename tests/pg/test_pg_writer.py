#!/usr/bin/env python3
"""One writer on a PostgreSQL store, and what `cmcc serve` says of
replication, on the real `cmcc` and a real cluster (run under
tests/pg/with-cluster.sh, which sets CMCC_PG_URL).

- replication: on a cluster with no standby, the server warns on stderr,
  in one paragraph, that an acknowledged event is on one machine, and
  /healthz says "replicated": false with the setting that is missing;
- a second `cmcc serve` on the same database (its own log directory, the
  same store) reads only: it says so when it starts and in /healthz,
  answers events 503 `unavailable` with the sentence, serves reads (200)
  and follows the writer's tree;
- the writer SIGKILLed: the second takes the lease within a second or so,
  and appends, signs checkpoints; `cmcc verify` passes;
- the writer SIGSTOPped under a load of events (frozen: its connection,
  its lock, maybe a batch's open transaction all stay): the second takes
  over once the lease's time limit has run out (not before, and within
  a beat of it), ending the frozen writer's session; the old one, resumed
  with SIGCONT, answers no event 200, no event of its lands after the
  takeover, every 200 it gave is in the log, it becomes a reader, and
  `cmcc verify` passes;
- a writer with nothing to do renews its lease: idle past the time limit,
  it still writes and the reader still reads;
- a reader whose store lost entries it served (a standby promoted that
  lacked them) neither serves the smaller tree nor takes the store over;
- the fencing term alone: a writer whose term was taken (the row changed
  under it, its connection alive) has its next batch refused and stops
  writing;
- failover on one cluster: the writer's connection ended under it, it
  connects again, takes the lease (a new term) and goes on; when the
  database it finds lacks entries it acknowledged (as a standby promoted
  that was not synchronous would), it refuses writes with a sentence.
"""

import copy
import os
import random
import re
import shutil
import signal
import sys
import threading
import time
import unittest

sys.path.insert(0, os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))),
                                "blackbox"))
os.environ.setdefault("CMCC_TEST_STORE", "postgresql")
import cmcctest as ct  # noqa: E402

HAVE_PG = "CMCC_PG_URL" in os.environ
READS_ONLY = "this server reads only: another cmcc serve writes this log"
LEASE_LOCK = 7262  # the advisory lock of the writer's lease (src/store/pg_lease.c)
LEASE_S = 5.0  # the lease's time limit (STORE_LEASE_MS, src/store/store.h)


until = ct.until


def healthz(log):
    r = log.get("/healthz", token=None)
    assert r.status == 200, r
    return r.json


@unittest.skipUnless(HAVE_PG, "no cluster: run under tests/pg/with-cluster.sh")
class Replication(unittest.TestCase):
    def test_a_commit_on_one_machine_is_said_loudly(self):
        L = ct.Log()
        self.addCleanup(L.close)
        L.start()
        h = healthz(L)
        self.assertEqual(h["role"], "writer")
        rep = h["replication"]
        self.assertEqual(rep["replicated"], False)
        self.assertEqual(rep["synchronous_standby_names"], "")
        self.assertEqual(rep["synchronous_standbys"], 0)
        self.assertIn("synchronous_standby_names is empty", rep["warning"])
        err = L.server.stderr()
        self.assertIn("WARNING: an event answered 200 is not on a second machine", err)
        self.assertIn("synchronous_commit to remote_apply", err)
        self.assertEqual(err.count("WARNING"), 1)
        L.stop()
        # synchronous_commit off: named as the cause
        url = ct.store_url(L.dir)
        db = url.split("///", 1)[1].split("?", 1)[0]
        ct.PgStore(url).execute("ALTER DATABASE %s SET synchronous_commit = off" % db)
        L.start()
        rep = healthz(L)["replication"]
        self.assertEqual(rep["synchronous_commit"], "off")
        self.assertIn("synchronous_commit is 'off'", rep["warning"])
        self.assertIn("synchronous_commit is 'off'", L.server.stderr())


@unittest.skipUnless(HAVE_PG, "no cluster: run under tests/pg/with-cluster.sh")
class OneWriter(unittest.TestCase):
    def setUp(self):
        self.A = ct.Log()
        self.addCleanup(self.A.close)
        self.A.start()
        self.A.define_place()
        # a second log directory naming the same store, its own server
        d2 = self.A.dir + "-b"
        shutil.copytree(self.A.dir, d2,
                        ignore=shutil.ignore_patterns("serve.stderr", "cmcc.lock", "copy-*",
                                                      "published*"))
        self.B = copy.copy(self.A)
        self.B.dir, self.B.keys = d2, dict(self.A.keys)
        self.B.server = None
        self.addCleanup(self.B.close)
        self.B.start()

    def url(self):
        return ct.store_url(self.A.dir)

    def writer_backends(self):
        return ct.PgStore(self.url()).execute(
            "SELECT pid FROM pg_locks WHERE locktype = 'advisory' AND objid = %d AND granted"
            % LEASE_LOCK).fetchall()

    def place_refused(self, log, says):
        place = ct.new_id("p")
        body = {"place": place, "kind": "depot", "name": "X", "lat": 1, "lon": 2}
        r, _ = log.submit(log.coord, "place.define", body)
        self.assertEqual(r.status, 503, r)
        self.assertEqual(r.json["error"]["code"], "unavailable")
        self.assertIn(says, r.json["error"]["message"])
        return place

    def verify(self):
        r = ct.run("verify", self.A.dir)
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)

    def test_a_second_server_reads_only(self):
        A, B = self.A, self.B
        line = B.server._readline(5).decode()
        self.assertIn(READS_ONLY, line)
        self.assertIn("takes over the writer's role", line)
        h = healthz(B)
        self.assertEqual((h["role"], h["why"]), ("reader", READS_ONLY))
        self.assertEqual(healthz(A)["role"], "writer")
        self.assertEqual(len(self.writer_backends()), 1)
        size = A.size()
        refused = self.place_refused(B, READS_ONLY)
        self.assertEqual(A.size(), size)
        # reads are served, and follow the writer's tree
        r = B.get("/v1/places")
        self.assertEqual(r.status, 200)
        kept = A.define_place()
        until(lambda: B.size() == size + 1, what="the reader following the writer")
        self.assertIn(kept, B.places())
        self.assertNotIn(refused, B.places())
        self.assertEqual(B.get("/checkpoint", token=None).status, 200)
        # a reader never signs: every checkpoint was the writer's, none twice
        self.assertEqual(A.stop()[0], 0)
        self.assertEqual(B.stop()[0], 0)
        self.verify()

    def test_the_writer_killed_the_reader_takes_over(self):
        A, B = self.A, self.B
        size = A.size()
        A.server.kill()
        A.server.proc.wait()
        t0 = time.monotonic()
        until(lambda: healthz(B)["role"] == "writer", timeout=5, what="the takeover")
        self.assertLess(time.monotonic() - t0, 3)
        self.assertIn("this server writes the log now (%d entries" % size,
                      B.server._readline(5).decode() + B.server._readline(5).decode())
        B.define_place()
        self.assertEqual(B.size(), size + 1)
        B.wait_checkpoint(size + 1)
        self.assertGreaterEqual(B.checkpoint()[1], size + 1)
        term = ct.PgStore(self.url()).execute("SELECT term FROM writer_term").fetchone()
        self.assertEqual(term, (2,))
        self.assertEqual(B.stop()[0], 0)
        A.server = None
        self.verify()

    def test_a_frozen_writer_loses_its_lease_and_commits_nothing_when_resumed(self):
        A, B = self.A, self.B
        db = ct.PgStore(self.url())
        answers, stop = [], threading.Event()  # (id, status, sent after the resume)
        resumed = threading.Event()

        def client():
            i = 0
            while not stop.is_set():
                i += 1
                pid = "frozen-%d" % i
                after = resumed.is_set()
                try:
                    r, _ = A.submit(A.coord, "place.define",
                                    {"place": pid, "kind": "depot", "name": pid, "lat": 1,
                                     "lon": 2}, id_="e-" + pid)
                    answers.append(("e-" + pid, r.status, after))
                except Exception:
                    answers.append(("e-" + pid, None, after))
                if after and len([a for a in answers if a[2]]) >= 5:
                    return

        c = threading.Thread(target=client)
        c.start()
        self.addCleanup(c.join)
        self.addCleanup(stop.set)
        until(lambda: len(answers) > 20, timeout=20, what="events before the freeze")
        time.sleep(random.uniform(0, 0.3))  # a point in the load
        # only frozen: its connection, its lock and maybe a batch's
        # transaction stay open
        A.server.proc.send_signal(signal.SIGSTOP)
        self.addCleanup(lambda: A.server and A.server.proc.send_signal(signal.SIGCONT))
        t0 = time.monotonic()
        self.assertEqual(len(self.writer_backends()), 1)
        until(lambda: healthz(B)["role"] == "writer", timeout=LEASE_S + 5, what="the takeover")
        took = time.monotonic() - t0
        # not before the lease ran out (renewed at most a second before the
        # freeze), and within it and a beat
        self.assertGreater(took, LEASE_S - 1.5)
        self.assertLess(took, LEASE_S + 2.5)
        self.assertIn("the writer's lease had expired", B.server.stderr())
        line = B.server._readline(5).decode() + B.server._readline(5).decode()
        m = re.search(r"this server writes the log now \((\d+) entr", line)
        self.assertTrue(m, line)
        taken_at = int(m.group(1))
        kept = B.define_place()
        resumed.set()
        A.server.proc.send_signal(signal.SIGCONT)
        c.join(timeout=60)
        stop.set()
        after = [a for a in answers if a[2]]
        self.assertGreaterEqual(len(after), 5)
        self.assertEqual([a for a in after if a[1] == 200], [], "the resumed writer answered 200")
        # connected again, it finds the lease taken and reads only
        h = until(lambda: healthz(A) if healthz(A)["role"] == "reader" else None, what="reader")
        self.assertEqual(h["why"], READS_ONLY)
        self.place_refused(A, READS_ONLY)
        rows = db.execute("SELECT idx, id FROM entries ORDER BY idx").fetchall()
        ids = {i: idx for idx, i in rows}
        acked = [a[0] for a in answers if a[1] == 200]
        self.assertTrue(acked)
        self.assertEqual([a for a in acked if a not in ids], [], "a 200 is not in the log")
        # nothing of the old writer landed after the takeover
        late = [i for i, idx in ids.items() if i.startswith("e-frozen-") and idx >= taken_at]
        self.assertEqual(late, [], "the frozen writer committed after the takeover")
        self.assertIn(kept, B.places())
        self.assertEqual(B.stop()[0], 0)
        A.stop()
        self.verify()

    def test_a_writer_renews_its_lease_while_idle(self):
        A, B = self.A, self.B
        db = ct.PgStore(self.url())
        first = db.execute("SELECT expires FROM writer_term").fetchone()[0]
        time.sleep(LEASE_S + 1)  # idle longer than the lease
        self.assertEqual(healthz(A)["role"], "writer")
        self.assertEqual(healthz(B)["role"], "reader")
        self.assertNotEqual(db.execute("SELECT expires FROM writer_term").fetchone()[0], first)
        self.assertEqual(db.execute(
            "SELECT expires > clock_timestamp() FROM writer_term").fetchone()[0], "t")
        A.define_place()
        self.assertNotIn("lease had expired", B.server.stderr())

    def test_a_reader_never_takes_over_a_store_that_lost_entries(self):
        A, B = self.A, self.B
        A.define_place()
        size = A.size()
        until(lambda: B.size() == size, what="the reader following the writer")
        ct.PgStore(self.url()).execute("DELETE FROM entries WHERE idx = %d" % (size - 1))
        until(lambda: "fewer than the %d this server serves" % size in B.server.stderr(),
              what="the reader noticing")
        self.assertEqual(B.size(), size)  # what it serves does not go back
        A.server.kill()
        A.server.proc.wait()
        A.server = None
        h = until(lambda: healthz(B) if healthz(B)["role"] != "reader" else None,
                  what="the reader taking the lease")
        self.assertEqual(h["role"], "deposed")
        self.assertIn("would fork the log", h["why"])
        self.place_refused(B, "would fork the log")

    def test_a_writer_whose_term_was_taken_commits_nothing(self):
        A, B = self.A, self.B
        size = A.size()
        # the term moves on under the writer, its connection and lock alive
        ct.PgStore(self.url()).execute("UPDATE writer_term SET term = term + 1")
        refused = self.place_refused(A, "could not be written")
        h = healthz(A)
        self.assertEqual(h["role"], "deposed")
        self.assertIn("another cmcc serve took the writer's role", h["why"])
        self.place_refused(A, "another cmcc serve took the writer's role")
        self.assertIn("no longer writes this log", A.server.stderr())
        self.assertEqual(A.size(), size)
        self.assertNotIn(refused, B.places())
        A.stop()
        self.verify()



@unittest.skipUnless(HAVE_PG, "no cluster: run under tests/pg/with-cluster.sh")
class Reconnect(unittest.TestCase):
    def setUp(self):
        self.L = ct.Log()
        self.addCleanup(self.L.close)
        self.L.start()
        self.L.define_place()
        self.db = ct.PgStore(ct.store_url(self.L.dir))

    def end_writer_session(self):
        pids = self.db.execute(
            "SELECT pid FROM pg_locks WHERE locktype = 'advisory' AND objid = %d AND granted"
            % LEASE_LOCK).fetchall()
        self.assertEqual(len(pids), 1)
        self.db.execute("SELECT pg_terminate_backend(%d)" % pids[0][0])

    def test_the_writer_connects_again_and_goes_on(self):
        L = self.L
        L.wait_checkpoint(L.size())
        size = L.size()
        self.end_writer_session()
        place = ct.new_id("p")
        body = {"place": place, "kind": "depot", "name": "X", "lat": 1, "lon": 2}
        r, _ = L.submit(L.coord, "place.define", body, id_="again-1")
        self.assertEqual(r.status, 503, r)
        until(lambda: healthz(L)["role"] == "writer", what="connected again")
        self.assertIn("goes on writing at %d entries (writer's term 2)" % size, L.server.stderr())
        r, _ = L.submit(L.coord, "place.define", body, id_="again-1")  # sent again
        self.assertEqual(r.status, 200, r)
        self.assertEqual(L.size(), size + 1)
        L.wait_checkpoint(size + 1)
        self.assertEqual(L.stop()[0], 0)
        r = ct.run("verify", L.dir)
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)

    def test_a_database_that_lost_acknowledged_entries_is_refused(self):
        L = self.L
        kept = L.define_place()
        size = L.size()
        self.end_writer_session()
        # what a promoted asynchronous standby would hold: the last entry
        # acknowledged never reached it
        self.db.execute("DELETE FROM entries WHERE idx = %d" % (size - 1))
        r, _ = L.submit(L.coord, "place.define",
                        {"place": ct.new_id("p"), "kind": "depot", "name": "X", "lat": 1,
                         "lon": 2})
        self.assertEqual(r.status, 503, r)
        h = until(lambda: healthz(L) if healthz(L)["role"] != "reconnecting" else None,
                  what="connected again")
        self.assertEqual(h["role"], "deposed")
        says = "this server acknowledged %d entries" % size
        self.assertIn(says, h["why"])
        self.assertIn("lacks acknowledged entries", h["why"])
        r, _ = L.submit(L.coord, "place.define",
                        {"place": ct.new_id("p"), "kind": "depot", "name": "X", "lat": 1,
                         "lon": 2})
        self.assertEqual(r.status, 503, r)
        self.assertIn("would fork the log", r.json["error"]["message"])
        self.assertIn(says, L.server.stderr())
        self.assertEqual(self.db.execute("SELECT count(*) FROM entries").fetchone(),
                         (size - 1,))
        self.assertIn(kept, L.places())


if __name__ == "__main__":
    ct.main()
