#!/usr/bin/python3
"""The log over HTTP (docs/protocol.md 4, 5): the signed checkpoint, hash tiles,
entry bundles, /v1/entries, inclusion and consistency proofs; the public
/v1/stats kept while the log does not grow.

Everything is checked against a Merkle tree the test computes itself from
the entry bundles (RFC 6962), and the checkpoint against the log's
verifier key printed by `cmcc init`.
"""
import os
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import cmcctest as ct  # noqa: E402


def place_env(L):
    ev = ct.event("place.define", {"place": ct.new_id("p"), "kind": "depot", "name": "D",
                                   "lat": 1.0, "lon": 2.0}, "cell")
    return ct.signed(L.coord, ev)


class Checkpoints(ct.LogTestCase):

    def test_checkpoint_is_public_text_and_verifies(self):
        L = self.log
        r = L.get("/checkpoint", token=None)
        self.assertEqual(r.status, 200, r)
        self.assertTrue(r.headers["content-type"].startswith("text/plain"), r.headers)
        origin, size, root, extra = ct.open_checkpoint(r.body, L.vkey)
        self.assertEqual(origin, ct.ORIGIN)
        self.assertEqual(L.vkey.name, ct.ORIGIN)
        self.assertGreaterEqual(size, 1)
        self.assertEqual(extra, [])
        # the body is exactly origin, size, root; then a blank line and signature lines
        text = r.body.decode()
        self.assertTrue(text.startswith("%s\n%d\n%s\n\n\u2014 %s " % (
            ct.ORIGIN, size, ct.b64(root), ct.ORIGIN)), text)
        self.assertTrue(text.endswith("\n"))

    def test_checkpoint_signature_is_checked(self):
        """The Python verifier refuses a changed checkpoint (so the check above can fail)."""
        L = self.log
        body = L.get("/checkpoint", token=None).body
        origin, size, root, _ = ct.open_checkpoint(body, L.vkey)
        forged = body.replace(b"\n%d\n" % size, b"\n%d\n" % (size + 1), 1)
        with self.assertRaises(ValueError):
            ct.open_checkpoint(forged, L.vkey)
        other = ct.Log()
        self.addCleanup(other.close)
        with self.assertRaises(ValueError):
            ct.open_checkpoint(body, other.vkey)

    def test_checkpoint_follows_growth(self):
        L = self.log
        before = L.size()
        t0 = time.monotonic()
        r = L.batch([place_env(L) for _ in range(3)])
        self.assertEqual(r.status, 200, r)
        size = L.size()
        self.assertEqual(size, before + 3)
        origin, csize, root, _ = L.wait_checkpoint(size, timeout=5)
        self.assertEqual(csize, size, "no checkpoint of the new size within 5 s")
        self.assertLess(time.monotonic() - t0, 2.5, "checkpoint took longer than ~2 s")
        leaves = [ct.leaf_hash(e) for e in L.entries(size)]
        self.assertEqual(root, ct.mth(leaves))

    def test_checkpoint_root_matches_entries_over_many_sizes(self):
        L = self.log
        for _ in range(3):
            L.post(place_env(L))
            size = L.size()
            _, csize, root, _ = L.wait_checkpoint(size)
            self.assertEqual(csize, size)
            leaves = [ct.leaf_hash(e) for e in L.entries(size)]
            self.assertEqual(root, ct.mth(leaves))


class Tiles(ct.LogTestCase):
    """A log of more than 256 entries: a full level-0 tile, a level-1 tile."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        L = cls.log
        r = L.batch([place_env(L) for _ in range(299)])
        assert r.status == 200, r
        cls.size = L.size()
        assert cls.size == 300, cls.size
        L.wait_checkpoint(cls.size)
        cls.entries = L.entries(cls.size)
        cls.leaves = [ct.leaf_hash(e) for e in cls.entries]

    def test_entry_bundles(self):
        L = self.log
        full = L.get("/tile/entries/000")
        self.assertEqual(full.status, 200, full)
        self.assertEqual(full.headers["content-type"], "application/octet-stream")
        got = ct.parse_bundle(full.body)
        self.assertEqual(len(got), 256)
        part = L.get("/tile/entries/001.p/44")
        self.assertEqual(part.status, 200, part)
        self.assertEqual(len(ct.parse_bundle(part.body)), 44)
        # a narrower partial bundle is a prefix
        p10 = L.get("/tile/entries/001.p/10")
        self.assertEqual(ct.parse_bundle(p10.body), ct.parse_bundle(part.body)[:10])
        # entries are the ones /v1/entries serves
        for i in (0, 1, 255, 256, 299):
            e = L.get("/v1/entries/%d" % i).json
            self.assertEqual(ct.compact(e["entry"]), self.entries[i])
            self.assertEqual(e["leaf_hash"], ct.b64(self.leaves[i]))
        # full tiles are immutable
        self.assertIn("immutable", full.headers.get("cache-control", ""))

    def test_entry_bundles_need_a_token(self):
        L = self.log
        for path in ("/tile/entries/000", "/tile/entries/001.p/44"):
            self.assertError(L.get(path, token=None), 401, "unauthorized")

    def test_hash_tiles_are_public_and_right(self):
        L = self.log
        t0 = L.get("/tile/0/000", token=None)
        self.assertEqual(t0.status, 200, t0)
        self.assertEqual(t0.body, b"".join(self.leaves[:256]))
        t0b = L.get("/tile/0/001.p/44", token=None)
        self.assertEqual(t0b.status, 200, t0b)
        self.assertEqual(t0b.body, b"".join(self.leaves[256:300]))
        # level 1 holds the roots of the full 256-leaf subtrees at tree level 8
        t1 = L.get("/tile/1/000.p/1", token=None)
        self.assertEqual(t1.status, 200, t1)
        self.assertEqual(t1.body, ct.mth(self.leaves[:256]))

    def test_tiles_beyond_the_tree(self):
        L = self.log
        for path in ("/tile/0/001", "/tile/0/001.p/45", "/tile/0/002.p/1", "/tile/1/000.p/2",
                     "/tile/2/000.p/1", "/tile/entries/001", "/tile/entries/002.p/1"):
            self.assertError(L.get(path), 404, "not_found")

    def test_tile_paths_are_strict(self):
        L = self.log
        for path in ("/tile/0/0", "/tile/0/0000", "/tile/0/000.p/256", "/tile/0/000.p/01",
                     "/tile/00/000", "/tile/0/x000/000", "/tile/0/001.p/", "/tile/entries/",
                     "/tile/0/000/", "/tile/-1/000"):
            self.assertError(L.get(path), 404, "not_found")

    def test_checkpoint_root(self):
        _, size, root, _ = self.log.checkpoint()
        self.assertEqual(size, self.size)
        self.assertEqual(root, ct.mth(self.leaves))

    def test_inclusion_proofs(self):
        L = self.log
        _, size, root, _ = L.checkpoint()
        for index in list(range(0, size, 7)) + [size - 1, 255, 256]:
            r = L.get("/v1/proof/inclusion?index=%d&size=%d" % (index, size))
            self.assertEqual(r.status, 200, r)
            j = r.json
            self.assertEqual(j["leaf_index"], index)
            self.assertEqual(j["tree_size"], size)
            path = [ct.unb64(h) for h in j["inclusion_path"]]
            self.assertTrue(ct.verify_inclusion(index, size, self.leaves[index], path, root),
                            "inclusion proof of %d in %d does not verify" % (index, size))
            # and a wrong leaf does not
            self.assertFalse(ct.verify_inclusion(index, size, self.leaves[index - 1], path,
                                                 root))

    def test_inclusion_proofs_in_older_trees(self):
        L = self.log
        for size in (1, 2, 3, 7, 8, 9, 100, 256, 257):
            root = ct.mth(self.leaves[:size])
            for index in {0, size // 2, size - 1}:
                j = L.get("/v1/proof/inclusion?index=%d&size=%d" % (index, size)).json
                path = [ct.unb64(h) for h in j["inclusion_path"]]
                self.assertTrue(ct.verify_inclusion(index, size, self.leaves[index], path, root),
                                (index, size))

    def test_consistency_proofs(self):
        L = self.log
        _, size, root, _ = L.checkpoint()
        for old in list(range(1, 20)) + [31, 32, 33, 127, 128, 255, 256, 257, 299, 300]:
            r = L.get("/v1/proof/consistency?old=%d&size=%d" % (old, size))
            self.assertEqual(r.status, 200, r)
            j = r.json
            self.assertEqual(j["old_size"], old)
            self.assertEqual(j["tree_size"], size)
            path = [ct.unb64(h) for h in j["consistency_path"]]
            old_root = ct.mth(self.leaves[:old])
            self.assertTrue(ct.verify_consistency(old, size, old_root, root, path),
                            "consistency proof %d -> %d does not verify" % (old, size))
            if old < size:
                self.assertFalse(ct.verify_consistency(old, size, ct.mth(self.leaves[1:old + 1]),
                                                       root, path))

    def test_consistency_between_older_trees(self):
        L = self.log
        for old, size in ((1, 2), (2, 3), (3, 7), (4, 8), (5, 256), (200, 257), (6, 6)):
            j = L.get("/v1/proof/consistency?old=%d&size=%d" % (old, size)).json
            path = [ct.unb64(h) for h in j["consistency_path"]]
            self.assertTrue(ct.verify_consistency(old, size, ct.mth(self.leaves[:old]),
                                                  ct.mth(self.leaves[:size]), path), (old, size))

    def test_proof_errors(self):
        L = self.log
        size = self.size
        cases = [
            ("/v1/proof/inclusion?index=%d&size=%d" % (size, size), "index"),
            ("/v1/proof/inclusion?index=5&size=5", "index"),
            ("/v1/proof/inclusion?index=0&size=0", "index"),
            ("/v1/proof/inclusion?index=0&size=%d" % (size + 1), "size"),
            ("/v1/proof/inclusion?index=0&size=99999999", "size"),
            ("/v1/proof/inclusion?index=0", "size"),
            ("/v1/proof/inclusion?size=5", "index"),
            ("/v1/proof/inclusion", None),
            ("/v1/proof/inclusion?index=x&size=5", "index"),
            ("/v1/proof/inclusion?index=-1&size=5", "index"),
            ("/v1/proof/inclusion?index=01&size=5", "index"),
            ("/v1/proof/inclusion?index=1&size=5.0", "size"),
            ("/v1/proof/inclusion?index=1&size=", "size"),
            ("/v1/proof/inclusion?index=0&size=99999999999999999999", "size"),
            ("/v1/proof/consistency?old=0&size=5", "old"),
            ("/v1/proof/consistency?old=6&size=5", "old"),
            ("/v1/proof/consistency?old=1&size=%d" % (size + 1), "size"),
            ("/v1/proof/consistency?old=1", "size"),
            ("/v1/proof/consistency?size=5", "old"),
            ("/v1/proof/consistency", None),
            ("/v1/proof/consistency?old=a&size=5", "old"),
        ]
        for path, field in cases:
            r = L.get(path)
            self.assertError(r, 400, "bad_request", field)

    def test_proofs_need_a_token(self):
        L = self.log
        self.assertError(L.get("/v1/proof/inclusion?index=0&size=1", token=None), 401,
                         "unauthorized")
        self.assertError(L.get("/v1/proof/consistency?old=1&size=2", token=None), 401,
                         "unauthorized")


class Entries(ct.LogTestCase):

    def test_entries_beyond_the_log(self):
        L = self.log
        size = L.size()
        self.assertEqual(L.get("/v1/entries/%d" % (size - 1)).status, 200)
        for i in (size, size + 1, 10 ** 9):
            self.assertError(L.get("/v1/entries/%d" % i), 404, "not_found")

    def test_entry_shape(self):
        L = self.log
        j = L.get("/v1/entries/0").json
        self.assertEqual(sorted(j), ["entry", "event", "index", "leaf_hash", "received"])
        self.assertEqual(list(j["entry"]), ["v", "received", "envelope"])
        self.assertEqual(list(j["entry"]["envelope"]), ["payloadType", "payload", "signatures"])
        self.assertEqual(j["entry"]["v"], 1)
        self.assertEqual(j["entry"]["envelope"]["payloadType"], ct.PAYLOAD_TYPE)
        self.assertRegex(j["received"], ct.RECEIVED_RE)

    def test_healthz(self):
        L = self.log
        r = L.get("/healthz", token=None)
        self.assertEqual(r.status, 200)
        self.assertEqual(r.json["status"], "ok")
        size = r.json["size"]
        self.assertEqual(L.post(place_env(L)).status, 200)
        self.assertEqual(L.size(), size + 1)


class Stats(ct.LogTestCase):

    def test_stats_are_kept_while_the_log_does_not_grow(self):
        """/v1/stats is public and reads every table: its answer is served
        again (as_of included) while the tree keeps its size, for at most
        2 s; an appended event, or the time, makes it anew."""
        L = self.log
        first = L.stats()
        time.sleep(1.1)
        self.assertEqual(L.stats(), first)
        self.assertEqual(L.post(place_env(L)).status, 200)
        grown = L.stats()
        self.assertEqual(grown["size"], first["size"] + 1)
        time.sleep(2.1)
        later = L.stats()
        self.assertEqual(later["size"], grown["size"])
        self.assertGreater(ct.time_ms(later["as_of"]), ct.time_ms(grown["as_of"]))


if __name__ == "__main__":
    ct.main()
