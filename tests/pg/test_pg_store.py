#!/usr/bin/env python3
"""The PostgreSQL store: what only it does, on the real `cmcc` and a real
cluster (run under tests/pg/with-cluster.sh, which sets CMCC_PG_URL).

- `cmcc init DIR --store URL` names the database in DIR/cmcc.conf and keeps
  no cmcc.db; a URL that is not one, a database that cannot be reached and
  one that already holds a log are refused, with nothing left behind;
- a bad `store =` line in cmcc.conf stops the server, with the line named;
- a store of an unknown schema version is refused with a sentence;
- `cmcc backup` of a PostgreSQL log is a SQLite file that is a whole log:
  the same entries, checkpoints, tokens and state, served and verified as
  it is, while the PostgreSQL log keeps serving;
- the tables' text sorts byte by byte (the "C" collation) whatever the
  database's locale, so verify's row-by-row comparison holds;
- a write the database refuses inside the writer's pipelined batch rolls
  the batch back (503, the server says why), and the next batches, the
  same event sent again once the database takes it, and verify all work.
(The black-box suite, run with CMCC_TEST_STORE=postgresql, covers the rest:
every event type, reads, tokens, verify and rebuild on PostgreSQL.)
"""

import os
import shutil
import sqlite3
import sys
import tempfile
import unittest

sys.path.insert(0, os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))),
                                "blackbox"))
os.environ.setdefault("CMCC_TEST_STORE", "postgresql")
import cmcctest as ct  # noqa: E402

HAVE_PG = "CMCC_PG_URL" in os.environ


@unittest.skipUnless(HAVE_PG, "no cluster: run under tests/pg/with-cluster.sh")
class Init(unittest.TestCase):
    def setUp(self):
        self.tmp = tempfile.mkdtemp(prefix="cmcc-pg-")
        self.addCleanup(shutil.rmtree, self.tmp, True)

    def init(self, d, *extra):
        return ct.run("init", d, "--origin", "pg.test/log", "--org", "hq", "--name", "HQ", *extra)

    def test_the_store_is_the_database(self):
        d = os.path.join(self.tmp, "log")
        url = ct.new_pg_database()
        r = self.init(d, "--store", url)
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertEqual(sorted(os.listdir(d)),
                         ["cmcc.conf", "coordinator.pem", "log.pem", "log.vkey"])
        self.assertEqual(ct.store_url(d), url)
        rows = ct.PgStore(url).execute("SELECT idx, org, id, type FROM entries").fetchall()
        self.assertEqual(rows, [(0, "hq", "genesis", "org.admit")])
        self.assertEqual(ct.PgStore(url).execute(
            "SELECT value FROM meta WHERE key = 'schema'").fetchone(), (6,))
        r = ct.run("verify", d)
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
        # a second log in the same database is refused, and this one stays
        d2 = os.path.join(self.tmp, "again")
        r = self.init(d2, "--store", url)
        self.assertEqual(r.returncode, 1)
        self.assertIn("already holds a log", r.stderr)
        self.assertFalse(os.path.exists(d2))
        self.assertEqual(ct.run("verify", d).returncode, 0)

    def test_several_hosts_reach_the_one_that_writes(self):
        """A multi-host URL: the first host is not there, the second is the
        cluster; target_session_attrs=read-write takes the writable one."""
        url = ct.new_pg_database()
        host = url.split("host=", 1)[1].split("&", 1)[0]
        multi = url.replace("host=" + host, "host=/nonexistent-dir,%s" % host) + \
            "&target_session_attrs=read-write&connect_timeout=2"
        d = os.path.join(self.tmp, "log")
        r = self.init(d, "--store", multi)
        self.assertEqual(r.returncode, 0, r.stderr)
        s = ct.Server(d)
        try:
            tok = ct.run("token", "create", d, "--org", "hq").stdout.strip()
            got = ct.http_request(s.port, "GET", "/v1/orgs",
                                  headers={"Authorization": "Bearer " + tok})
            self.assertEqual(got.status, 200)
            self.assertEqual([o["org"] for o in got.json["orgs"]], ["hq"])
        finally:
            self.assertEqual(s.stop()[0], 0)
        self.assertEqual(ct.run("verify", d).returncode, 0)

    def test_bad_stores_are_refused_and_leave_nothing(self):
        d = os.path.join(self.tmp, "log")
        base = os.environ["CMCC_PG_URL"]
        for url, says in (("/tmp/some.db", "--store must be a PostgreSQL URL"),
                          ("mysql://x/y", "--store must be a PostgreSQL URL"),
                          (base.replace("/postgres?", "/no_such_db?"), "no_such_db"),
                          ("postgresql://127.0.0.1:1/x?connect_timeout=2",
                           "cannot connect to the PostgreSQL store")):
            with self.subTest(url=url):
                r = self.init(d, "--store", url)
                self.assertNotEqual(r.returncode, 0)
                self.assertIn(says, r.stderr)
                self.assertFalse(os.path.exists(d), os.listdir(d) if os.path.isdir(d) else "")
        # in a directory that was there, with a cmcc.conf of its own: kept
        os.mkdir(d)
        ct.write_conf(os.path.join(d, "cmcc.conf"), "rate.burst = 10\n")
        r = self.init(d, "--store", base.replace("/postgres?", "/no_such_db?"))
        self.assertEqual(r.returncode, 1)
        with open(os.path.join(d, "cmcc.conf")) as f:
            self.assertTrue(f.read().startswith("rate.burst = 10\n"))

    def test_a_bad_store_line_stops_the_server(self):
        L = ct.Log()
        self.addCleanup(L.close)
        conf = os.path.join(L.dir, "cmcc.conf")
        with open(conf) as f:
            good = f.read()
        with open(conf, "w") as f:
            f.write("store = /var/lib/elsewhere.db\n")
        r = ct.run("serve", L.dir, "--listen", "127.0.0.1:0", timeout=15)
        self.assertEqual(r.returncode, 1, r.stdout + r.stderr)
        self.assertIn("cmcc.conf:1:", r.stderr)
        with open(conf, "w") as f:
            f.write(good)
        L.start()
        self.assertEqual(L.size(), 1)

    def test_an_unknown_schema_version_is_refused(self):
        L = ct.Log()
        self.addCleanup(L.close)
        db = ct.store_db(L.dir)
        db.execute("UPDATE meta SET value = '99' WHERE key = 'schema'")
        r = ct.run("verify", L.dir)
        self.assertNotEqual(r.returncode, 0)
        self.assertIn("is not a cmcc store of schema version 6 or older", r.stderr)
        db.execute("UPDATE meta SET value = '6' WHERE key = 'schema'")
        self.assertEqual(ct.run("verify", L.dir).returncode, 0)

    def test_text_sorts_byte_by_byte(self):
        L = ct.Log()
        self.addCleanup(L.close)
        rows = ct.PgStore(ct.store_url(L.dir)).execute(
            "SELECT count(*) FROM information_schema.columns WHERE table_schema = 'public' "
            "AND data_type = 'text' AND collation_name IS DISTINCT FROM 'C'").fetchone()
        self.assertEqual(rows, (0,))


@unittest.skipUnless(HAVE_PG, "no cluster: run under tests/pg/with-cluster.sh")
class Refused(unittest.TestCase):
    def test_a_refused_write_rolls_the_batch_back_and_the_writer_goes_on(self):
        L = ct.Log()
        self.addCleanup(L.close)
        db = ct.store_db(L.dir)
        db.execute("CREATE FUNCTION refuse() RETURNS trigger LANGUAGE plpgsql AS "
                   "$$BEGIN RAISE EXCEPTION 'refused by the test'; END$$")
        db.execute("CREATE TRIGGER refuse BEFORE INSERT ON places FOR EACH ROW "
                   "WHEN (NEW.place = 'p-bad') EXECUTE FUNCTION refuse()")
        L.start()
        size = L.size()
        body = {"place": "p-bad", "kind": "depot", "name": "Bad", "lat": 1, "lon": 2}
        for _ in range(2):  # again: the statements prepared before are still there
            r, _ = L.submit(L.coord, "place.define", body, id_="bad-1")
            self.assertEqual(r.status, 503, r)
            self.assertEqual(r.json["error"]["code"], "unavailable")
            self.assertIn("nothing was appended", r.json["error"]["message"])
            self.assertEqual(L.size(), size)
            good = L.define_place()
            self.assertEqual(L.size(), size + 1)
            size += 1
        with open(os.path.join(L.dir, "serve.stderr"), "rb") as f:
            self.assertIn(b"refused by the test", f.read())
        db.execute("DROP TRIGGER refuse ON places")
        r, _ = L.submit(L.coord, "place.define", body, id_="bad-1")
        self.assertEqual(r.status, 200, r)
        self.assertIn("p-bad", L.places())
        self.assertIn(good, L.places())
        status, _ = L.stop()
        self.assertEqual(status, 0)
        r = ct.run("verify", L.dir)
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)


@unittest.skipUnless(HAVE_PG, "no cluster: run under tests/pg/with-cluster.sh")
class Backup(unittest.TestCase):
    def test_backup_is_a_whole_sqlite_log(self):
        L = ct.Log()
        self.addCleanup(L.close)
        L.start()
        L.admit("relief", ["humanitarian"])
        L.define_place("kerem", kind="crossing")
        L.wait_checkpoint(L.size())
        size, orgs, places = L.size(), L.orgs(), L.places()
        tmp = tempfile.mkdtemp(prefix="cmcc-pg-backup-")
        self.addCleanup(shutil.rmtree, tmp, True)
        copy = os.path.join(tmp, "copy.db")
        r = ct.run("backup", L.dir, copy)  # while the server runs
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertIn("holds the log's %d entries" % size, r.stdout)
        c = sqlite3.connect(copy)
        self.assertEqual(c.execute("PRAGMA journal_mode").fetchone(), ("delete",))
        self.assertEqual(c.execute("SELECT count(*) FROM entries").fetchone(), (size,))
        self.assertEqual(c.execute("SELECT value FROM meta WHERE key='schema'").fetchone(),
                         ("6",))
        c.close()
        # a backup never overwrites
        r = ct.run("backup", L.dir, copy)
        self.assertEqual(r.returncode, 1)
        self.assertIn("already exists", r.stderr)
        # restored as a SQLite log: verified and served with the same state
        d = os.path.join(tmp, "restored")
        os.mkdir(d, 0o700)
        shutil.copy(copy, os.path.join(d, "cmcc.db"))
        for f in ("log.pem", "log.vkey"):
            shutil.copy(os.path.join(L.dir, f), os.path.join(d, f))
        r = ct.run("verify", d)
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
        self.assertIn("%d entries" % size, r.stdout)
        s = ct.Server(d)
        try:
            for path, key, want in (("/v1/orgs", "org", orgs), ("/v1/places", "place", places)):
                got = ct.http_request(s.port, "GET", path,
                                      headers={"Authorization": "Bearer " + L.token})
                self.assertEqual(got.status, 200)  # the copy keeps the tokens
                name = path.rsplit("/", 1)[1]
                self.assertEqual({o[key]: o for o in got.json[name]}, want)
        finally:
            self.assertEqual(s.stop()[0], 0)


if __name__ == "__main__":
    ct.main()
