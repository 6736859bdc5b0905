#!/usr/bin/python3
"""Durability and audit (docs/protocol.md 4, 6): a restarted server serves the
same log and state; `cmcc verify` (directory and URL) and Go's
tlog-verify accept a served log; a changed byte in a stored entry is found
and named; `cmcc rebuild` recomputes the state from the entries.
"""
import base64
import hashlib
import json
import os
import re
import shutil
import sqlite3
import time
import subprocess
import sys
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import cmcctest as ct  # noqa: E402

TLOG_VERIFY = os.path.join(ct.SHARED_DIR, "tools", "tlog-verify.sh")
HAVE_GO = bool(shutil.which("go")) and os.path.isdir("/usr/share/gocode/src/golang.org/x/mod/sumdb")


def populate(L):
    """A small registry: orgs with roles and keys, a suspension, a revoked
    key, places (one closed)."""
    relief = L.admit("relief", ["humanitarian"], nkeys=2)
    L.admit("trucks", ["transporter"])
    L.admit("watch", ["monitor", "verifier"])
    L.revoke_key("relief", relief[1])
    L.suspend("watch", reason="audit")
    p1 = L.define_place("kerem", kind="crossing")
    L.define_place("wh-1", kind="warehouse", sector="south")
    L.ok(L.coord, "place.status", {"place": p1, "status": "closed", "reason": "security"})
    envs = []
    for _ in range(5):
        r, env = L.submit(relief[0], "key.add", {"org": "relief", "public_key": ct.Key().pub_b64})
        assert r.status == 200, r
        envs.append(env)
    return envs


def cmcc_verify_dir(L):
    return ct.run("verify", L.dir, timeout=120)


class Restart(unittest.TestCase):

    def setUp(self):
        self.log = ct.Log()
        self.addCleanup(self.log.close)
        self.log.start()

    def test_restart_keeps_log_checkpoint_and_state(self):
        L = self.log
        envs = populate(L)
        size = L.size()
        _, csize, root, _ = L.wait_checkpoint(size)
        self.assertEqual(csize, size)
        orgs, places = L.orgs(), L.places()
        entries = L.entries()
        status, out = L.stop()
        self.assertEqual(status, 0, out)
        self.assertIn("stopped cleanly (%d entries)" % size, out)

        s = L.start()
        self.assertEqual(s.start_size, size)
        self.assertEqual(s.origin, ct.ORIGIN)
        self.assertEqual(L.size(), size)
        origin, csize2, root2, _ = L.checkpoint()
        self.assertEqual((csize2, root2), (size, root))
        self.assertEqual(L.orgs(), orgs)
        self.assertEqual(L.places(), places)
        self.assertEqual(L.entries(), entries)
        # idempotency survives: an earlier envelope is a duplicate
        first = L.get("/v1/entries/%d" % (size - 3)).json
        self.assertEqual(first["entry"]["envelope"], ct.json.loads(envs[2]))
        r = L.post(envs[2])
        self.assertEqual(r.status, 200, r)
        got = dict(r.json)  # with its proof: the checkpoint kept at the stop holds it
        self.assertTrue(got.pop("proof").startswith("c2sp.org/tlog-proof@v1\nextra "), r)
        self.assertEqual(got, {"index": size - 3, "leaf_hash": first["leaf_hash"],
                               "duplicate": True})
        self.assertEqual(L.size(), size)
        # rules survive: the suspended org, the revoked key
        r, _ = L.submit(L.keys["watch"][0], "key.add", {"org": "watch",
                                                        "public_key": ct.Key().pub_b64})
        self.assertEqual(r.json["error"]["code"], "org_suspended", r)
        r, _ = L.submit(L.keys["relief"][1], "key.add", {"org": "relief",
                                                         "public_key": ct.Key().pub_b64})
        self.assertEqual(r.json["error"]["code"], "key_revoked", r)
        # the log grows on from where it was
        r, _ = L.submit(L.coord, "place.define", {"place": "after-restart", "kind": "depot",
                                                  "name": "D", "lat": 0, "lon": 0})
        self.assertEqual(r.status, 200, r)
        self.assertEqual(r.json["index"], size)
        # its received time does not go back before the last one's
        t_before = L.get("/v1/entries/%d" % (size - 1)).json["received"]
        t_after = L.get("/v1/entries/%d" % size).json["received"]
        self.assertGreaterEqual(t_after, t_before)
        _, csize3, root3, _ = L.wait_checkpoint(size + 1)
        self.assertEqual(csize3, size + 1)
        self.assertEqual(root3, ct.mth([ct.leaf_hash(e) for e in L.entries()]))

    def test_stop_signs_a_last_checkpoint(self):
        """What was appended just before SIGTERM has a checkpoint after restart."""
        L = self.log
        L.wait_checkpoint(L.size())
        r = L.batch([ct.signed(L.coord, ct.event("place.define", {
            "place": ct.new_id("p"), "kind": "depot", "name": "D", "lat": 0, "lon": 0}, "cell"))
            for _ in range(3)])
        self.assertEqual(r.status, 200)
        size = L.size()
        status, _ = L.stop()
        self.assertEqual(status, 0)
        L.start()
        _, csize, root, _ = L.checkpoint()
        self.assertEqual(csize, size)
        self.assertEqual(root, ct.mth([ct.leaf_hash(e) for e in L.entries()]))

    def test_restart_with_tokens(self):
        L = self.log
        tok, tid = L.create_token("cell")
        L.stop()
        L.start()
        self.assertEqual(L.get("/v1/orgs", token=tok).status, 200)
        # revoked while the server runs: refused within a second (the
        # server remembers a valid token that long)
        self.assertEqual(L.revoke_token(tid).returncode, 0)
        deadline = time.monotonic() + 3
        while L.get("/v1/orgs", token=tok).status == 200 and time.monotonic() < deadline:
            time.sleep(0.1)
        self.assertEqual(L.get("/v1/orgs", token=tok).status, 401)

    def test_sigint_stops_cleanly(self):
        L = self.log
        L.admit("before-sigint", ["monitor"])
        size = L.size()
        status, out = L.stop(sig=ct.signal.SIGINT)
        self.assertEqual(status, 0, out)
        self.assertIn("stopped cleanly (%d entries)" % size, out)
        self.assertEqual(cmcc_verify_dir(L).returncode, 0)
        L.start()
        self.assertIn("before-sigint", L.orgs())

    def test_checkpoints_at_most_one_a_second(self):
        """While the tree grows steadily for ~3 s, the kept checkpoints are
        at least ~1 s apart, and the served one lags by at most ~2 s."""
        L = self.log
        deadline = ct.time.monotonic() + 3.2
        lag = 0.0
        while ct.time.monotonic() < deadline:
            r = L.post(ct.signed(L.coord, ct.event("place.define", {
                "place": ct.new_id("p"), "kind": "depot", "name": "D", "lat": 0, "lon": 0},
                "cell")))
            self.assertEqual(r.status, 200)
            ct.time.sleep(0.05)
        size = L.size()
        t0 = ct.time.monotonic()
        L.wait_checkpoint(size)
        lag = ct.time.monotonic() - t0
        self.assertLess(lag, 2.0)
        c = sqlite3.connect("file:%s?mode=ro" % L.db, uri=True)
        self.addCleanup(c.close)
        created = [t for (t,) in c.execute("SELECT created FROM checkpoints ORDER BY size")]
        sizes = [n for (n,) in c.execute("SELECT size FROM checkpoints ORDER BY size")]
        self.assertEqual(sizes[-1], size)
        recent = created[-4:]
        self.assertGreaterEqual(len(recent), 3, sizes)
        for a, b in zip(recent, recent[1:]):
            self.assertGreaterEqual(b - a, 900, "checkpoints %d ms apart" % (b - a))

    def test_two_servers_cannot_serve_one_log(self):
        L = self.log
        with self.assertRaises(RuntimeError):
            s = ct.Server(L.dir)
            s.kill()
        self.assertEqual(L.size(), 1)


class Verify(ct.LogTestCase):
    """A served log passes every verifier."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        populate(cls.log)
        cls.log.wait_checkpoint(cls.log.size())

    def test_verify_dir(self):
        r = cmcc_verify_dir(self.log)
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
        self.assertIn("OK", r.stdout)

    def test_verify_url(self):
        L = self.log
        r = ct.run("verify", L.url, "--vkey", L.vkey_text, "--token", L.token, timeout=120)
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
        self.assertIn("OK", r.stdout)
        # the token may come from the environment
        r = ct.run("verify", L.url, "--vkey", L.vkey_text, env={"CMCC_TOKEN": L.token})
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)

    def test_verify_url_needs_the_token(self):
        L = self.log
        r = ct.run("verify", L.url, "--vkey", L.vkey_text)
        self.assertNotEqual(r.returncode, 0, r.stdout)
        self.assertIn("401", r.stderr)

    def test_verify_refuses_another_logs_key(self):
        L = self.log
        other = ct.Log(origin=ct.ORIGIN)  # same origin, another key
        self.addCleanup(other.close)
        r = ct.run("verify", L.url, "--vkey", other.vkey_text, "--token", L.token)
        self.assertNotEqual(r.returncode, 0, r.stdout)
        r = ct.run("verify", L.dir, "--vkey", other.vkey_text)
        self.assertNotEqual(r.returncode, 0, r.stdout)

    @unittest.skipUnless(HAVE_GO, "needs golang-go and golang-golang-x-mod-dev")
    def test_tlog_verify(self):
        L = self.log
        r = subprocess.run(["sh", TLOG_VERIFY, "-vkey", L.vkey_text, "-token", L.token, L.url],
                           capture_output=True, text=True, timeout=300)
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)

    @unittest.skipUnless(HAVE_GO, "needs golang-go and golang-golang-x-mod-dev")
    def test_tlog_verify_consistency_with_older_tree(self):
        L = self.log
        _, old, old_root, _ = L.checkpoint()
        r = L.post(ct.signed(L.coord, ct.event("place.define", {
            "place": ct.new_id("p"), "kind": "depot", "name": "D", "lat": 0, "lon": 0}, "cell")))
        self.assertEqual(r.status, 200)
        L.wait_checkpoint(old + 1)
        r = subprocess.run(["sh", TLOG_VERIFY, "-vkey", L.vkey_text, "-token", L.token,
                            "-old", "%d:%s" % (old, ct.b64(old_root)), L.url],
                           capture_output=True, text=True, timeout=300)
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
        # and a wrong old root is caught
        r = subprocess.run(["sh", TLOG_VERIFY, "-vkey", L.vkey_text, "-token", L.token,
                            "-old", "%d:%s" % (old, ct.b64(bytes(32))), L.url],
                           capture_output=True, text=True, timeout=300)
        self.assertNotEqual(r.returncode, 0, r.stdout + r.stderr)


def flip_payload_char(entry: bytes) -> bytes:
    """Changes one base64 character in the middle of the entry's payload,
    keeping it a well-formed entry with valid base64."""
    start = entry.index(b'"payload":"') + len(b'"payload":"')
    i = start + 20
    c = entry[i:i + 1]
    new = b"B" if c != b"B" else b"C"
    return entry[:i] + new + entry[i + 1:]


class Tamper(unittest.TestCase):

    def setUp(self):
        self.log = ct.Log()
        self.addCleanup(self.log.close)
        self.log.start()
        populate(self.log)
        self.size = self.log.size()
        self.orgs, self.places = self.log.orgs(), self.log.places()
        status, _ = self.log.stop()
        self.assertEqual(status, 0)
        r = cmcc_verify_dir(self.log)
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)

    def db(self):
        c = ct.store_db(self.log.dir)
        self.addCleanup(c.close)
        return c

    def test_changed_entry_is_named(self):
        for n in (3, self.size - 1):
            with self.subTest(entry=n):
                c = self.db()
                (blob,) = c.execute("SELECT entry FROM entries WHERE idx=?", (n,)).fetchone()
                blob = bytes(blob)
                bad = flip_payload_char(blob)
                self.assertNotEqual(bad, blob)
                self.assertEqual(len(bad), len(blob))
                c.execute("UPDATE entries SET entry=? WHERE idx=?", (bad, n))
                c.commit()
                r = cmcc_verify_dir(self.log)
                self.assertEqual(r.returncode, 1, r.stdout + r.stderr)
                self.assertRegex(r.stdout + r.stderr, r"\bentry %d\b" % n)
                self.assertNotIn("OK", r.stdout)
                # rebuild refuses such a log and changes nothing
                r = ct.run("rebuild", self.log.dir)
                self.assertEqual(r.returncode, 1, r.stdout + r.stderr)
                self.assertRegex(r.stderr, r"\bentry %d\b" % n)
                # put it back: verifies again
                c.execute("UPDATE entries SET entry=? WHERE idx=?", (blob, n))
                c.commit()
                r = cmcc_verify_dir(self.log)
                self.assertEqual(r.returncode, 0, r.stdout + r.stderr)

    def test_changed_signature_is_named(self):
        c = self.db()
        n = 2
        (blob,) = c.execute("SELECT entry FROM entries WHERE idx=?", (n,)).fetchone()
        blob = bytes(blob)
        i = blob.index(b'"sig":"') + len(b'"sig":"') + 10
        bad = blob[:i] + (b"A" if blob[i:i + 1] != b"A" else b"B") + blob[i + 1:]
        c.execute("UPDATE entries SET entry=? WHERE idx=?", (bad, n))
        c.commit()
        r = cmcc_verify_dir(self.log)
        self.assertEqual(r.returncode, 1, r.stdout + r.stderr)
        self.assertRegex(r.stdout, r"\bentry %d\b" % n)

    def test_repeated_event_is_named(self):
        # a log that holds entry 2 again at its end, with a tree made to
        # match: the entry is well formed and signed, but the replay finds
        # its (org, id) taken, which the server never appends
        c = self.db()
        n = self.size
        row = c.execute("SELECT entry, org, id, type FROM entries WHERE idx=2").fetchone()
        self.append_entry(c, row)
        r = cmcc_verify_dir(self.log)
        self.assertEqual(r.returncode, 1, r.stdout + r.stderr)
        self.assertRegex(r.stdout, r"\bentry %d\b" % n)
        self.assertIn("repeat those of entry 2", r.stdout)

    def append_entry(self, c, row):
        """Appends (entry, org, id, type) at the end of the log, with a tree
        made to match, and commits."""
        c.execute("INSERT INTO entries(idx, entry, org, id, type) VALUES(?,?,?,?,?)",
                  (self.size,) + tuple(row))
        level = [ct.leaf_hash(bytes(e)) for (e,) in
                 c.execute("SELECT entry FROM entries ORDER BY idx")]
        c.execute("DELETE FROM hashes")
        height = 0
        while level:
            for i, h in enumerate(level):
                c.execute("INSERT INTO hashes(key, hash) VALUES(?,?)", (height << 56 | i, h))
            level = [ct.node_hash(level[i], level[i + 1]) for i in range(0, len(level) - 1, 2)]
            height += 1
        c.commit()

    def test_place_defined_twice_is_named(self):
        # a new event (its own id, signed by the coordinator) that defines a
        # place the log defined before: the server refuses it, so a log
        # holding it was made by hand, and the replay, which asks whether
        # the place exists through what it has made so far, refuses it too
        c = self.db()
        ev = ct.event("place.define", {"place": "wh-1", "kind": "warehouse", "name": "Again",
                                       "lat": 31.3, "lon": 34.4}, self.log.org)
        received = ct.rfc3339()[:-1] + ".000Z"  # an entry's time is in milliseconds
        entry = ct.entry_bytes(received, ct.envelope(ct.compact(ev), self.log.coord))
        self.append_entry(c, (entry, ev["org"], ev["id"], ev["type"]))
        r = cmcc_verify_dir(self.log)
        self.assertEqual(r.returncode, 1, r.stdout + r.stderr)
        self.assertRegex(r.stdout, r"\bentry %d\b" % self.size)
        self.assertIn("the rules refuse it", r.stdout)
        self.assertIn("wh-1", r.stdout)

    def test_changed_event_ids_are_named(self):
        # the replay checks the stored idempotency records against its own
        # by a digest; when they differ it replays again keeping each one,
        # and names the rows as for any other table
        c = self.db()
        rows = c.execute("SELECT org, id, idx FROM event_ids ORDER BY idx").fetchall()
        org, id_, idx = rows[3]
        cases = [
            ("UPDATE event_ids SET idx=idx+1 WHERE org=? AND id=?", (org, id_),
             ['event_ids: the replay gives (org="%s", id="%s", idx=%d) (entry %d)'
              % (org, id_, idx, idx),
              'event_ids: the store has (org="%s", id="%s", idx=%d) (entry %d)'
              % (org, id_, idx + 1, idx + 1)],
             "UPDATE event_ids SET idx=idx-1 WHERE org=? AND id=?"),
            ("DELETE FROM event_ids WHERE org=? AND id=?", (org, id_),
             ['event_ids: the replay gives (org="%s", id="%s", idx=%d) (entry %d)'
              % (org, id_, idx, idx)],
             "INSERT INTO event_ids(org, id, idx) VALUES(?, ?, %d)" % idx),
            ("INSERT INTO event_ids(org, id, idx) VALUES(?, ?||'-extra', 999)", (org, id_),
             ['event_ids: the store has (org="%s", id="%s-extra", idx=999) (entry 999)'
              % (org, id_)],
             "DELETE FROM event_ids WHERE org=? AND id=?||'-extra'"),
        ]
        for change, args, lines, undo in cases:
            with self.subTest(change=change):
                c.execute(change, args)
                c.commit()
                r = cmcc_verify_dir(self.log)
                self.assertEqual(r.returncode, 1, r.stdout + r.stderr)
                self.assertIn("the stored state differs from the replay in %d row(s)"
                              % len(lines), r.stdout)
                for line in lines:
                    self.assertIn(line, r.stdout)
                self.assertNotIn("OK", r.stdout)
                c.execute(undo, args)
                c.commit()
                r = cmcc_verify_dir(self.log)
                self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
        if ct.PG_STORE:
            return  # PostgreSQL's tables reach the comparison through a keyed copy
        # a table rewritten without its key, holding one record twice
        for sql in ("ALTER TABLE event_ids RENAME TO kept",
                    "CREATE TABLE event_ids(org TEXT, id TEXT, idx BIGINT)",
                    "INSERT INTO event_ids SELECT * FROM kept",
                    "INSERT INTO event_ids SELECT * FROM kept WHERE idx=%d" % idx):
            c.execute(sql)
        c.commit()
        r = cmcc_verify_dir(self.log)
        self.assertEqual(r.returncode, 1, r.stdout + r.stderr)
        self.assertIn('event_ids: the store has (org="%s", id="%s", idx=%d) (entry %d)'
                      % (org, id_, idx, idx), r.stdout)
        self.assertEqual(r.stdout.count("cmcc verify: FAIL:"), 1, r.stdout)
        for sql in ("DROP TABLE event_ids", "ALTER TABLE kept RENAME TO event_ids"):
            c.execute(sql)
        c.commit()
        self.assertEqual(cmcc_verify_dir(self.log).returncode, 0)

    def test_checkpoint_of_another_root_is_named(self):
        # a kept checkpoint signed by the log's key for a root the entries
        # do not make: said once, with the replay's other findings
        c = self.db()
        size, note = c.execute("SELECT size, note FROM checkpoints ORDER BY size "
                               "LIMIT 1").fetchone()
        note = note.encode() if isinstance(note, str) else bytes(note)
        text = note[:note.index(b"\n\n") + 1]
        origin, nsize, root = text.split(b"\n")[:3]
        self.assertEqual(int(nsize), size)
        key = ct.Key.from_pem(os.path.join(self.log.dir, "log.pem"))
        forged = origin + b"\n" + nsize + b"\n" + base64.b64encode(bytes(32)) + b"\n"
        h = hashlib.sha256(origin + b"\n\x01" + key.pub).digest()[:4]
        sig = key.sk.sign(forged).signature
        forged += (b"\n" + "\u2014 ".encode() + origin + b" " + base64.b64encode(h + sig)
                   + b"\n")
        c.execute("UPDATE checkpoints SET note=? WHERE size=?", (forged.decode(), size))
        c.commit()
        r = cmcc_verify_dir(self.log)
        self.assertEqual(r.returncode, 1, r.stdout + r.stderr)
        self.assertIn("the checkpoint of %d entries signs a root the entries do not make"
                      % size, r.stdout)
        self.assertEqual(r.stdout.count("cmcc verify: FAIL:"), 1, r.stdout)
        c.execute("UPDATE checkpoints SET note=? WHERE size=?", (note.decode(), size))
        c.commit()
        self.assertEqual(cmcc_verify_dir(self.log).returncode, 0)

    def test_changed_tree_node_is_named(self):
        # a stored node that the entries do not make: a level-1 node is
        # named by its place, a leaf by its entry
        for level, index, named in ((1, 0, "level 1, index 0"),
                                    (2, 1, "level 2, index 1"),
                                    (0, self.size - 1, "entry %d:" % (self.size - 1))):
            with self.subTest(level=level, index=index):
                c = self.db()
                key = level << 56 | index
                (h,) = c.execute("SELECT hash FROM hashes WHERE key=?", (key,)).fetchone()
                h = bytes(h)
                c.execute("UPDATE hashes SET hash=? WHERE key=?", (bytes(32), key))
                c.commit()
                r = cmcc_verify_dir(self.log)
                self.assertEqual(r.returncode, 1, r.stdout + r.stderr)
                self.assertIn(named, r.stdout)
                c.execute("UPDATE hashes SET hash=? WHERE key=?", (h, key))
                c.commit()
                r = cmcc_verify_dir(self.log)
                self.assertEqual(r.returncode, 0, r.stdout + r.stderr)

    def test_changed_state_is_found_and_rebuilt(self):
        c = self.db()
        c.execute("DELETE FROM orgs WHERE org != 'cell'")
        c.execute("UPDATE places SET status='open' WHERE place='kerem'")
        c.commit()
        r = cmcc_verify_dir(self.log)
        self.assertEqual(r.returncode, 1, r.stdout + r.stderr)
        self.assertIn("differs", r.stdout)
        r = ct.run("rebuild", self.log.dir)
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
        self.assertIn("%d entries" % self.size, r.stdout)
        r = cmcc_verify_dir(self.log)
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
        self.log.start()
        self.assertEqual(self.log.orgs(), self.orgs)
        self.assertEqual(self.log.places(), self.places)
        self.assertEqual(self.log.size(), self.size)

    def test_served_lists_that_differ_are_named(self):
        # verify URL compares each list element by element as it arrives:
        # a changed place, a missing org and an extra place are each named
        c = self.db()
        (name,) = c.execute("SELECT name FROM places WHERE place='kerem'").fetchone()
        c.execute("UPDATE places SET name='Elsewhere' WHERE place='kerem'")
        c.commit()
        self.log.start()
        L = self.log
        r = ct.run("verify", L.url, "--vkey", L.vkey_text, "--token", L.token, timeout=120)
        self.assertEqual(r.returncode, 1, r.stdout + r.stderr)
        self.assertIn('/v1/places differs at "kerem"', r.stdout)
        self.assertIn('places[0].name: the replay gives "Place kerem"; the server says '
                      '"Elsewhere"', r.stdout)
        self.assertNotIn("/v1/orgs differs", r.stdout)
        L.stop()
        c.execute("DELETE FROM orgs WHERE org='watch'")
        c.execute("UPDATE places SET name=? WHERE place='kerem'", (name,))
        c.execute("INSERT INTO places(place, kind, name, lat, lon, status, defined, updated) "
                  "VALUES('zz-extra', 'warehouse', 'Extra', 1, 2, 'active', 0, 0)")
        c.commit()
        L.start()
        r = ct.run("verify", L.url, "--vkey", L.vkey_text, "--token", L.token, timeout=120)
        self.assertEqual(r.returncode, 1, r.stdout + r.stderr)
        self.assertIn('/v1/orgs differs at "watch"', r.stdout)
        self.assertIn('/v1/places differs at "zz-extra": the replay gives nothing', r.stdout)

    def test_rebuild_with_every_state_table_emptied(self):
        c = self.db()
        for t in ("orgs", "keys", "places", "event_ids"):
            c.execute("DELETE FROM %s" % t)
        c.commit()
        self.assertEqual(cmcc_verify_dir(self.log).returncode, 1)
        r = ct.run("rebuild", self.log.dir)
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
        self.assertEqual(cmcc_verify_dir(self.log).returncode, 0)
        self.log.start()
        self.assertEqual(self.log.orgs(), self.orgs)
        self.assertEqual(self.log.places(), self.places)
        # the idempotency keys are back: the genesis id is taken
        r, _ = self.log.submit(self.log.coord, "place.define", {
            "place": "new-one", "kind": "depot", "name": "D", "lat": 0, "lon": 0},
            id_="genesis")
        self.assertEqual(r.status, 409, r)
        self.assertEqual(r.json["error"]["code"], "conflict")

    def test_rebuild_refuses_while_serving(self):
        self.log.start()
        r = ct.run("rebuild", self.log.dir)
        self.assertEqual(r.returncode, 1, r.stdout + r.stderr)
        self.assertEqual(self.log.size(), self.size)


FIGURES = ["/v1/orgs", "/v1/places", "/v1/consignments", "/v1/consignments/<id>",
           "/v1/consignments.csv", "/v1/reconciliation.csv", "/v1/reconciliation",
           "/v1/alerts", "/v1/stats", "/v1/sites", "/v1/sites.geojson", "/v1/zones",
           "/v1/zones.geojson", "/v1/movements", "/v1/movements.geojson", "/v1/incidents",
           "/v1/requirements", "/v1/pledges", "/v1/weapons", "/v1/benchmarks",
           "/v1/movements/<id>", "/v1/epcis/events"]


class Figures(unittest.TestCase):
    """`cmcc verify URL` compares every read endpoint's answer with the one
    the read model makes of its replay, and names each field that differs
    with both values."""

    def setUp(self):
        import tempfile
        self.tmp = tempfile.mkdtemp(prefix="cmcc-figures-")
        self.addCleanup(shutil.rmtree, self.tmp, True)
        self.d = os.path.join(self.tmp, "demo")
        r = ct.run("demo", self.d, "--build-only", timeout=120)
        self.assertEqual(r.returncode, 0, r.stderr)
        with open(os.path.join(self.d, "demo-token.txt")) as f:
            self.token = f.read().strip()
        with open(os.path.join(self.d, "log.vkey")) as f:
            self.vkey = f.read().strip()
        self.srv = None
        self.addCleanup(self.stop)

    def start(self):
        self.srv = ct.Server(self.d)

    def stop(self):
        if self.srv:
            self.srv.stop()
            self.srv = None

    def verify(self):
        return ct.run("verify", self.srv.url, "--vkey", self.vkey, "--token", self.token,
                      "--state", os.path.join(self.tmp, "state"), timeout=120)

    def test_every_endpoint_of_the_demo_is_compared(self):
        self.start()
        r = self.verify()
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
        m = re.search(r"compared (\d+) read endpoints with the replay: (.*)", r.stdout)
        self.assertTrue(m, r.stdout)
        self.assertEqual(int(m.group(1)), len(FIGURES))
        names = [re.sub(r" \(\d+\)$", "", n) for n in m.group(2).split(", ")]
        self.assertEqual(sorted(names), sorted(FIGURES))
        # each consignment and each movement by itself, all of them
        nc = len(json.loads(ct.http_request(self.srv.port, "GET", "/v1/consignments", None, {
            "Authorization": "Bearer " + self.token}).body)["consignments"])
        self.assertGreater(nc, 5)
        self.assertIn("/v1/consignments/<id> (%d)" % nc, r.stdout)
        self.assertRegex(r.stdout, r"/v1/movements/<id> \([1-9]\d*\)")
        self.assertIn("OK", r.stdout)

    def test_the_time_of_a_comparison_is_asked_for(self):
        # /v1/stats and /v1/benchmarks answer as of ?at=, as /v1/alerts does
        self.start()
        auth = {"Authorization": "Bearer " + self.token}
        for path in ("/v1/stats", "/v1/benchmarks", "/v1/alerts"):
            with self.subTest(path=path):
                r = ct.http_request(self.srv.port, "GET", path + "?at=2020-01-01T00:00:00Z",
                                    None, auth)
                self.assertEqual(r.status, 200, r)
                if path != "/v1/benchmarks":
                    self.assertEqual(r.json["as_of"], "2020-01-01T00:00:00Z")
                else:  # nothing is overdue before the deadlines
                    self.assertFalse(any(b["overdue"] for b in r.json["benchmarks"]))
                r = ct.http_request(self.srv.port, "GET", path + "?at=yesterday", None, auth)
                self.assertEqual(r.status, 400, r)
                self.assertEqual(r.json["error"]["field"], "at")
        late = ct.http_request(self.srv.port, "GET", "/v1/benchmarks?at=2100-01-01T00:00:00Z",
                               None, auth).json["benchmarks"]
        self.assertTrue(any(b["overdue"] for b in late), late)

    def test_tampered_figures_are_named_with_both_values(self):
        c = sqlite3.connect(os.path.join(self.d, "cmcc.db"))
        self.addCleanup(c.close)
        # the things as the read model orders them (oldest first)
        def ordered(kind):
            return [r[0] for r in c.execute(
                "SELECT id FROM things WHERE kind=? ORDER BY created", (kind,))]
        movements, pledges, weapons = ordered("movement"), ordered("pledge"), ordered("weapon")
        mv, pl, wp = movements[3], pledges[1], weapons[7]
        (mstatus,) = c.execute("SELECT status FROM things WHERE kind='movement' AND id=?",
                               (mv,)).fetchone()
        (pqty,) = c.execute("SELECT json_extract(body, '$.quantity') FROM things "
                            "WHERE kind='pledge' AND id=?", (pl,)).fetchone()
        (cons, line, holder, qty) = c.execute(
            "SELECT consignment, line, holder, qty FROM accounts WHERE kind='held' AND qty > 0 "
            "ORDER BY consignment, line LIMIT 1").fetchone()
        new_status = "denied" if mstatus != "denied" else "approved"
        c.execute("UPDATE things SET status=? WHERE kind='movement' AND id=?", (new_status, mv))
        c.execute("UPDATE things SET body=json_set(body, '$.quantity', ?) "
                  "WHERE kind='pledge' AND id=?", (pqty + 7, pl))
        c.execute("UPDATE things SET body=json_set(body, '$.place', 'nowhere') "
                  "WHERE kind='weapon' AND id=?", (wp,))
        c.execute("UPDATE accounts SET qty=qty+3 WHERE consignment=? AND line=? AND kind='held' "
                  "AND holder=?", (cons, line, holder))
        (tr, sender) = c.execute("SELECT transfer, from_org FROM transfers WHERE status='accepted' "
                                 "ORDER BY transfer LIMIT 1").fetchone()
        c.execute("UPDATE transfers SET from_org='someone-else' WHERE transfer=?", (tr,))
        c.commit()
        self.start()
        r = self.verify()
        self.assertEqual(r.returncode, 1, r.stdout + r.stderr)
        out = r.stdout
        self.assertIn('/v1/movements: movements[%d].status: the replay gives "%s"; the server '
                      'says "%s"' % (movements.index(mv), mstatus, new_status), out)
        self.assertIn('/v1/movements/%s: status: the replay gives "%s"; the server says "%s"'
                      % (mv, mstatus, new_status), out)
        self.assertIn("/v1/pledges: pledges[1].quantity: the replay gives %d; the server says %d"
                      % (pqty, pqty + 7), out)
        self.assertRegex(out, r'/v1/weapons: weapons\[7\]\.\w*place: the replay gives "[^"]+"; '
                              r'the server says "nowhere"')
        self.assertIn("/v1/consignments/%s: " % cons, out)
        self.assertRegex(out, r"/v1/reconciliation: \S+: the replay gives \d+; the server says \d+")
        self.assertRegex(out, r"/v1/consignments differs at \"%s\": consignments\[\d+\]\.\S+: "
                              r"the replay gives \d+; the server says \d+" % cons)
        self.assertRegex(out, r"/v1/reconciliation.csv: line \d+: the replay gives \"")
        self.assertRegex(out, r"/v1/stats: \S+: the replay gives")
        # the acceptance of the transfer, as EPCIS, names its sender as the store says
        self.assertRegex(out, r'/v1/epcis/events\?since=0&limit=10000: epcisBody\.eventList\[\d+\]'
                              r'\.sourceList\[0\]\.source: the replay gives "https://[^"]+/orgs/%s"; '
                              r'the server says "https://[^"]+/orgs/someone-else"' % sender)
        # the endpoints left alone are not named
        for quiet in ("/v1/sites:", "/v1/zones:", "/v1/incidents:", "/v1/orgs ", "/v1/places "):
            self.assertNotIn(quiet, out)
        self.assertNotIn("OK", out)


class Dropped(unittest.TestCase):
    """A proof `cmcc submit` saved, then a log without its entry (the same
    key and origin): `cmcc verify URL --proofs DIR` and `cmcc mirror
    --proofs DIR` report it as evidence; with the entry present both pass."""

    def setUp(self):
        import tempfile
        self.tmp = tempfile.mkdtemp(prefix="cmcc-dropped-")
        self.addCleanup(shutil.rmtree, self.tmp, True)
        self.log = ct.Log()
        self.addCleanup(self.log.close)
        self.log.start()
        self.proofs = os.path.join(self.tmp, "proofs")
        os.mkdir(self.proofs)

    def place(self, name):
        L = self.log
        return ct.signed(L.coord, ct.event("place.define", {
            "place": name, "kind": "warehouse", "name": "Place " + name, "lat": 31.5,
            "lon": 34.4}, L.org))

    def submit(self, name):
        path = os.path.join(self.proofs, name + ".json")
        with open(path, "wb") as f:
            f.write(self.place(name) + b"\n")
        r = ct.run("submit", "--server", self.log.url, "--token", self.log.token, path,
                   timeout=60)
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertIn("1 proof(s) saved", r.stderr)
        return path

    def verify(self, url, state):
        return ct.run("verify", url, "--vkey", self.log.vkey_text, "--token", self.log.token,
                      "--state", os.path.join(self.tmp, state), "--proofs", self.proofs,
                      timeout=120)

    def mirror(self, url, name):
        return ct.run("mirror", url, os.path.join(self.tmp, name), "--vkey", self.log.vkey_text,
                      "--token", self.log.token, "--proofs", self.proofs, "--compare",
                      timeout=120)

    @ct.sqlite_only("the log without the entry is rewritten from its SQLite file")
    def test_a_dropped_entry_is_evidence(self):
        from test_mirror import rewrite
        L = self.log
        populate(L)
        kept = self.submit("kept")
        dropped_at = L.size()
        dropped = self.submit("gone")
        for i in range(3):
            L.ok(L.coord, "place.define", {"place": "after-%d" % i, "kind": "warehouse",
                                           "name": "After", "lat": 31.5, "lon": 34.4})
        L.wait_checkpoint(L.size())
        # a proof of another envelope proves nothing: said, and no evidence
        junk = os.path.join(self.proofs, "junk.json")
        with open(junk, "wb") as f:
            f.write(self.place("never-sent") + b"\n")
        shutil.copy(kept + ".proof", junk + ".proof")
        # the entries present: both pass, and say so
        r = self.verify(L.url, "state1")
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
        self.assertIn("the log holds the entry of each of the 2 proofs in %s" % self.proofs,
                      r.stdout)
        self.assertIn("%s.proof is not the proof of an envelope of %s: skipped" % (junk, junk),
                      r.stderr)
        self.assertFalse(os.path.exists(junk + ".proof.dropped.json"))
        os.unlink(junk + ".proof")
        r = self.mirror(L.url, "m1")
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
        self.assertIn("holds the entry of each of the 2 proofs", r.stdout)
        self.assertRegex(r.stdout, r"(\d+) read endpoints of \S+ answer as this mirror's replay")
        self.assertEqual(os.listdir(self.proofs).count("gone.json.proof.dropped.json"), 0)

        # the same key and origin, without the entry, at a new address
        status, _ = L.stop()
        self.assertEqual(status, 0)
        d2 = os.path.join(self.tmp, "rewritten")
        rewrite(L.dir, d2, dropped_at)
        srv = ct.Server(d2)
        self.addCleanup(srv.kill)
        lines = [self.place("other-%d" % i) for i in range(6)]
        r = ct.http_request(srv.port, "POST", "/v1/events", b"".join(l + b"\n" for l in lines),
                            {"Authorization": "Bearer " + L.token,
                             "Content-Type": "application/x-ndjson"})
        self.assertEqual(r.status, 200, r)
        want = dropped_at + 6
        deadline = time.monotonic() + 10
        while ct.open_checkpoint(ct.http_request(srv.port, "GET", "/checkpoint").body,
                                 L.vkey)[1] < want:
            self.assertLess(time.monotonic(), deadline)
            time.sleep(0.1)

        r = self.verify(srv.url, "state2")  # a verifier with no memory of the first log
        self.assertEqual(r.returncode, 1, r.stdout + r.stderr)
        evidence = dropped + ".proof.dropped.json"
        self.assertIn("dropped entry %d (the envelope in %s), which its checkpoint of"
                      % (dropped_at, dropped), r.stderr)
        self.assertIn("the evidence is kept in %s" % evidence, r.stderr)
        self.assertIn("1 of the 2 proofs in %s are of entries the log no longer holds"
                      % self.proofs, r.stdout)
        self.assertFalse(os.path.exists(kept + ".proof.dropped.json"))
        with open(evidence) as f:
            ev = json.load(f)
        with open(dropped + ".proof") as f:
            proof = f.read()
        with open(dropped, "rb") as f:
            envelope = f.read().strip().decode()
        self.assertEqual(ev["evidence"], "cmcc.dropped/v1")
        self.assertEqual(ev["origin"], ct.ORIGIN)
        self.assertEqual(ev["index"], dropped_at)
        self.assertEqual(ev["proof"], proof)
        self.assertEqual(ev["envelope"], envelope)
        self.assertIn(ev["kind"], ("inconsistent", "same_size"))
        seen = ct.open_checkpoint(ev["seen"].encode(), L.vkey)
        self.assertGreaterEqual(seen[1], want)
        if ev["kind"] == "inconsistent":
            # the log's own consistency proof does not verify between the two roots
            held = ct.open_checkpoint(proof.split("\n\n", 1)[1].encode(), L.vkey)
            c = ev["consistency"]
            self.assertEqual((c["old"], c["size"]), (held[1], seen[1]))
            self.assertFalse(ct.verify_consistency(
                held[1], seen[1], held[2], seen[2], [base64.b64decode(h) for h in c["hashes"]]))
        os.unlink(evidence)

        # a new mirror of the log without the entry reports it too
        r = self.mirror(srv.url, "m2")
        self.assertEqual(r.returncode, 1, r.stdout + r.stderr)
        self.assertIn("dropped entry %d" % dropped_at, r.stderr)
        self.assertTrue(os.path.exists(evidence))
        self.assertIn("1 of the 2 proofs", r.stdout)


if __name__ == "__main__":
    ct.main()
