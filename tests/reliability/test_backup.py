#!/usr/bin/python3
"""Backups taken while clients write: `cmcc backup DIR FILE`, five times,
while three clients keep appending (supply chains one envelope a request
and in batches, and places). Then, for each backup restored into a fresh
directory (FILE as cmcc.db, plus the log's log.pem and log.vkey):

  - `cmcc verify DIR` passes;
  - served, it holds exactly the first N entries of the final log (N as
    `cmcc backup` reported), byte for byte, and its checkpoint is signed
    by the log key and has the root of those entries;
  - the backups grow (they were taken while the log grew) and the writers
    saw no error meanwhile.

The last restored log is then served and appended to: a new chain in a
batch and a place are accepted at indexes N, N+1, ...; the new checkpoint
is consistent with the backup's; the server stops cleanly and the directory
still verifies. And a backup never overwrites a file.
"""
import os
import re
import shutil
import sys
import tempfile
import threading
import time
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import reliab as rl  # noqa: E402

ct = rl.ct

BACKUPS = 5


def entries_at(port, token, size):
    """Entries 0..size-1 of a served log, from its entry bundles."""
    out = []
    for n in range((size + 255) // 256):
        w = min(256, size - n * 256)
        path = "/tile/entries/" + ct.tile_index_path(n) + ("" if w == 256 else ".p/%d" % w)
        r = rl.request(port, "GET", path, headers=rl.auth(token))
        assert r.status == 200, (path, r)
        out.extend(ct.parse_bundle(r.body))
    return out


class Writer(threading.Thread):
    def __init__(self, L, mode, org, key, insp, insp_key, seed):
        super().__init__(daemon=True)
        self.L, self.mode, self.org, self.key = L, mode, org, key
        self.insp, self.insp_key = insp, insp_key
        self.rng = rl.random.Random(seed)
        self.stop = threading.Event()
        self.receipts, self.problems = [], []

    def chain(self):
        return rl.Chain(self.rng, self.org, self.key, self.insp, self.insp_key, "north", "dp-1")

    def run(self):
        port, token = self.L.server.port, self.L.token
        while not self.stop.is_set():
            try:
                if self.mode == "singles":
                    for env in self.chain().envs:
                        r = rl.post_one(port, token, env)
                        if r.status != 200:
                            self.problems.append(repr(r))
                            return
                        self.receipts.append((env, r.json))
                elif self.mode == "batches":
                    envs = [e for _ in range(self.rng.randint(5, 40)) for e in self.chain().envs]
                    r = rl.post_batch(port, token, envs)
                    if r.status != 200 or not all(rl.is_receipt(x) for x in r.json["results"]):
                        self.problems.append(repr(r))
                        return
                    self.receipts += list(zip(envs, r.json["results"]))
                else:
                    p = ct.new_id("pl")
                    env = ct.signed(self.L.coord, ct.event("place.define", {
                        "place": p, "kind": "warehouse", "name": "W", "lat": 1, "lon": 2},
                        "cell"))
                    r = rl.post_one(port, token, env)
                    if r.status != 200:
                        self.problems.append(repr(r))
                        return
                    self.receipts.append((env, r.json))
                    time.sleep(0.005)
            except (OSError, ct.http.client.HTTPException) as e:
                self.problems.append(repr(e))
                return


class Backups(unittest.TestCase):

    def setUp(self):
        self.L = ct.Log()
        self.addCleanup(self.L.close)
        self.tmp = tempfile.mkdtemp(prefix="cmcc-backup-")
        if not os.environ.get("CMCC_KEEP"):
            self.addCleanup(shutil.rmtree, self.tmp, True)
        self.servers = []
        self.addCleanup(self.kill_servers)

    def kill_servers(self):
        for s in self.servers:
            s.kill()

    def restore(self, backup, name):
        d = os.path.join(self.tmp, name)
        os.mkdir(d)
        shutil.copy(backup, os.path.join(d, "cmcc.db"))
        for f in ("log.pem", "log.vkey"):
            shutil.copy(os.path.join(self.L.dir, f), os.path.join(d, f))
        return d

    def serve(self, d):
        s = ct.Server(d)
        self.servers.append(s)
        return s

    def test_backups_while_writing(self):
        L = self.L
        L.start()
        insp, insp_key, hums = rl.supply_setup(L, ["relief-a", "relief-b"])
        rng = rl.rng_for("backup")
        writers = [Writer(L, "singles", "relief-a", hums["relief-a"], insp, insp_key, rng.random()),
                   Writer(L, "batches", "relief-b", hums["relief-b"], insp, insp_key, rng.random()),
                   Writer(L, "places", None, None, insp, insp_key, rng.random())]
        for w in writers:
            w.start()
        backups = []
        try:
            for i in range(BACKUPS):
                time.sleep(rng.uniform(0.3, 0.8))
                f = os.path.join(self.tmp, "b%d.db" % i)
                r = ct.run("backup", L.dir, f, timeout=120)
                self.assertEqual(r.returncode, 0, r.stderr)
                m = re.search(r"holds the log's (\d+) entr(?:y|ies)", r.stdout)
                self.assertIsNotNone(m, r.stdout)
                backups.append((f, int(m.group(1))))
            # a backup never overwrites
            r = ct.run("backup", L.dir, backups[0][0])
            self.assertNotEqual(r.returncode, 0)
        finally:
            time.sleep(0.3)
            for w in writers:
                w.stop.set()
            for w in writers:
                w.join(60)
        for w in writers:
            self.assertEqual(w.problems, [], w.mode)
        size = L.size()
        final = L.entries(size)
        for w in writers:
            for env, rc in w.receipts:
                p = rl.receipt_problem(final, env, rc)
                self.assertIsNone(p, p)
        status, out = L.stop()
        self.assertEqual(status, 0, out)
        sizes = [n for _, n in backups]
        rl.report("backup", "backups of %s entries while the log grew to %d" % (sizes, size))
        self.assertEqual(sizes, sorted(sizes))
        self.assertGreaterEqual(len(set(sizes)), 3, "the backups were not taken while writing")
        self.assertLess(sizes[-1], size)

        leaves = [ct.leaf_hash(e) for e in final]
        for i, (f, n) in enumerate(backups):
            d = self.restore(f, "r%d" % i)
            rc, out = rl.verify_dir(d)
            self.assertEqual(rc, 0, "backup %d: %s" % (i, out))
            s = self.serve(d)
            self.assertEqual(s.start_size, n)
            got = entries_at(s.port, L.token, n)
            self.assertEqual(len(got), n)
            self.assertTrue(got == final[:n], "backup %d is not a prefix of the final log" % i)
            r = rl.request(s.port, "GET", "/checkpoint")
            self.assertEqual(r.status, 200, r)
            origin, m, root, _ = ct.open_checkpoint(r.body, L.vkey)
            self.assertEqual(origin, L.origin)
            self.assertLessEqual(m, n)
            self.assertEqual(root, ct.mth(leaves[:m]), "backup %d: checkpoint root" % i)
            if i < len(backups) - 1:
                self.assertEqual(s.stop()[0], 0)
        # -- the last restored log, served, takes new events
        s = self.servers[-1]
        f, n = backups[-1]
        c = rl.Chain(rng, "relief-b", hums["relief-b"], insp, insp_key, "north", "dp-1")
        r = rl.post_batch(s.port, L.token, c.envs)
        self.assertEqual(r.status, 200, r)
        self.assertEqual([x.get("index") for x in r.json["results"]], list(range(n, n + 5)),
                         r.json)
        r = rl.post_one(s.port, L.token, ct.signed(L.coord, ct.event("place.define", {
            "place": "after-restore", "kind": "depot", "name": "D", "lat": 0, "lon": 0},
            "cell")))
        self.assertEqual(r.status, 200, r)
        self.assertEqual(r.json["index"], n + 5)
        # the restored log's state took the chain in: its totals are right
        r = rl.request(s.port, "GET", "/v1/consignments/" + c.cid, headers=rl.auth(L.token))
        self.assertEqual(r.status, 200, r)
        self.assertEqual(rl.totals_of(r.json), c.expected(5))
        # its new checkpoint extends the backup's tree
        deadline = time.monotonic() + 10
        while True:
            r = rl.request(s.port, "GET", "/checkpoint")
            _, m2, root2, _ = ct.open_checkpoint(r.body, L.vkey)
            if m2 >= n + 6 or time.monotonic() > deadline:
                break
            time.sleep(0.1)
        self.assertEqual(m2, n + 6)
        r = rl.request(s.port, "GET", "/v1/proof/consistency?old=%d&size=%d" % (n, m2),
                       headers=rl.auth(L.token))
        self.assertEqual(r.status, 200, r)
        proof = [ct.unb64(p) for p in r.json["consistency_path"]]
        self.assertTrue(ct.verify_consistency(n, m2, ct.mth(leaves[:n]), root2, proof))
        rl.stop_and_verify(self, s)


if __name__ == "__main__":
    ct.main()
