#!/usr/bin/python3
"""Durability and audit (docs/protocol.md 4, 6): a restarted server serves the
same log and state; `cmcc verify` (directory and URL) and Go's
tlog-verify accept a served log; a changed byte in a stored entry is found
and named; `cmcc rebuild` recomputes the state from the entries.
"""
import os
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
        c.execute("INSERT INTO entries(idx, entry, org, id, type) VALUES(?,?,?,?,?)",
                  (n,) + tuple(row))
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
        r = cmcc_verify_dir(self.log)
        self.assertEqual(r.returncode, 1, r.stdout + r.stderr)
        self.assertRegex(r.stdout, r"\bentry %d\b" % n)
        self.assertIn("repeat those of entry 2", r.stdout)

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
        self.assertIn("Elsewhere", r.stdout)
        self.assertNotIn("/v1/orgs", r.stdout)
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


if __name__ == "__main__":
    ct.main()
