#!/usr/bin/python3
"""Trust past one server, end to end (docs/protocol.md, "Mirrors", "A mirror
cosigns" and "Witness policy"; docs/operations.md, "Mirrors that cosign").

Real processes: a primary, two mirrors (each `cmcc serve --mirror DIR` beside
`cmcc mirror URL DIR --every 1s`) and one witness, all on their own ports.
The primary's cmcc.conf lists the witness and both mirrors as cosigners.

Shows: under a load of CMCC_TRUST_EVENTS events (10,000 by default; batches
from several clients at once) the mirrors follow; every checkpoint published
once they caught up carries both mirrors' and the witness's cosignatures
(checked here against their keys); `cmcc verify` against each mirror gives
the same figures as against the primary. A rewritten log (the same key and
origin, entry 5 different) at the same address is refused by a verifier with
no memory whose policy needs the witness. With the primary gone, a mirror
answers every read and `cmcc report` works against it; `cmcc init
--from-mirror` makes a new primary that serves on with every receipt of the
load present, and Go's tlog-verify accepts it. A wrong key for the new
primary, and the mirror's bad add-checkpoint requests, are refused.
"""
import os
import re
import shutil
import subprocess
import sys
import tempfile
import threading
import time
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import cmcctest as ct  # noqa: E402
from test_mirror import cosigned_by, rewrite  # noqa: E402
from test_witness import Witness  # noqa: E402

EVENTS = int(os.environ.get("CMCC_TRUST_EVENTS", "10000"))
CLIENTS = 4
BATCH = 250
TLOG_VERIFY = os.path.join(ct.SHARED_DIR, "tools", "tlog-verify.sh")
HAVE_GO = shutil.which("go") is not None and os.path.exists(TLOG_VERIFY)


def places(log, n, start, prefix):
    return [ct.signed(log.coord, ct.event("place.define", {
        "place": "%s-%d" % (prefix, i), "kind": "warehouse", "name": "W %d" % i,
        "lat": 31.5, "lon": 34.4}, log.org)) for i in range(start, start + n)]


class Mirror:
    """A mirror directory: its key (made by a first `cmcc mirror` run, while
    the primary is not yet up), then `serve --mirror` and `mirror --every`."""

    def __init__(self, tmp, name, vkey):
        self.dir = os.path.join(tmp, name)
        r = ct.run("mirror", "http://127.0.0.1:1", self.dir, "--vkey", vkey, "--name",
                   "mirror-%s.test" % name)
        assert r.returncode == 1, r.stdout + r.stderr  # the key is made, the log not reached
        with open(os.path.join(self.dir, "mirror.vkey")) as f:
            self.vkey = f.read().strip()
        self.server = self.loop = None

    def follow(self, url, token):
        r = ct.run("mirror", url, self.dir, "--token", token, timeout=120)
        assert r.returncode == 0, r.stdout + r.stderr
        self.server = ct.Server(self.dir, ["--mirror"])
        self.every(url)
        r = ct.run("token", "create", self.dir, "--org", ct.COORD_ORG)
        assert r.returncode == 0, r.stderr
        self.token = r.stdout.strip()

    def every(self, url):
        """`cmcc mirror URL DIR --every 1s`, its stderr kept beside DIR (a
        pipe nobody reads would stop it once full)."""
        self.stop_every()
        with open(self.dir + ".every.stderr", "ab") as err:
            self.loop = subprocess.Popen([ct.CMCC_BIN, "mirror", url, self.dir, "--every", "1s"],
                                         stdout=subprocess.DEVNULL, stderr=err)

    def stop_every(self):
        if self.loop and self.loop.poll() is None:
            self.loop.terminate()
            self.loop.wait(20)

    def report(self):
        """What the mirror said and kept, for a failing test."""
        out = []
        for path in (os.path.join(self.dir, "fork-evidence.json"), self.dir + ".every.stderr",
                     os.path.join(self.dir, "serve.stderr")):
            if os.path.exists(path):
                with open(path, errors="replace") as f:
                    out.append("---- %s\n%s" % (path, f.read()[-3000:]))
        return "\n".join(out)

    def close(self):
        self.stop_every()
        if self.server:
            self.server.kill()


class Trust(unittest.TestCase):

    def setUp(self):
        self.tmp = tempfile.mkdtemp(prefix="cmcc-trust-")
        self.addCleanup(shutil.rmtree, self.tmp, True)
        self.log = L = ct.Log()
        self.addCleanup(L.close)
        self.w = Witness()
        self.addCleanup(self.w.close)
        self.w.add_log(L.vkey_text)
        self.w.start()
        self.mirrors = [Mirror(self.tmp, n, L.vkey_text) for n in ("m1", "m2")]
        for m in self.mirrors:
            self.addCleanup(m.close)
        ct.write_conf(os.path.join(L.dir, "cmcc.conf"),
                      "witness = %s %s\n" % (self.w.url, self.w.vkey)
                      + "".join("witness = http://127.0.0.1:%d %s\n" % (0, m.vkey)
                                for m in self.mirrors))
        # the mirrors' addresses are known once they serve: the primary
        # starts with placeholders, then again with them
        L.start()
        for m in self.mirrors:
            m.follow(L.url, L.token)
        L.stop()
        ct.write_conf(os.path.join(L.dir, "cmcc.conf"),
                      "witness = %s %s\n" % (self.w.url, self.w.vkey)
                      + "".join("witness = %s %s\n" % (m.server.url, m.vkey)
                                for m in self.mirrors))
        L.start()
        for m in self.mirrors:  # the primary's new address
            m.stop_every()
            r = ct.run("mirror", L.url, m.dir, timeout=120)
            self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
            m.every(L.url)

    def all_cosigned(self, note):
        return (self.w.cosigned(note) and
                all(cosigned_by(note, m.vkey) for m in self.mirrors))

    def test_mirrors_cosign_follow_and_take_over(self):
        L = self.log
        # ---- the load, from several clients, while checkpoints are watched
        receipts, errors, seen = [], [], []
        stop = threading.Event()

        def client(c):
            per = EVENTS // CLIENTS
            for i in range(0, per, BATCH):
                lines = places(L, min(BATCH, per - i), i, "c%d" % c)
                r = L.batch(lines)
                if r.status != 200:
                    errors.append(r)
                    return
                for line, res in zip(lines, r.json["results"]):
                    if "error" in res:
                        errors.append(res)
                    else:
                        receipts.append((res["index"], res["leaf_hash"]))

        def watch():
            while not stop.is_set():
                r = L.get("/checkpoint", token=None)
                if r.status == 200 and (not seen or seen[-1] != r.body):
                    seen.append(r.body)
                time.sleep(0.2)

        w = threading.Thread(target=watch)
        w.start()
        threads = [threading.Thread(target=client, args=(c,)) for c in range(CLIENTS)]
        t0 = time.monotonic()
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        self.assertEqual(errors, [])
        self.assertEqual(len(receipts), CLIENTS * (EVENTS // CLIENTS))
        size = L.size()
        # the mirrors follow: a checkpoint of the whole log, cosigned by all three
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            note = L.get("/checkpoint", token=None).body
            if ct.open_checkpoint(note, L.vkey)[1] == size and self.all_cosigned(note):
                break
            time.sleep(0.2)
        stop.set()
        w.join()
        seen.append(note)
        self.assertEqual(ct.open_checkpoint(note, L.vkey)[1], size, note)
        self.assertTrue(self.all_cosigned(note), "the last checkpoint lacks a cosignature: %r\n%s"
                        % (note, "\n".join(m.report() for m in self.mirrors)))
        # each checkpoint published once both mirrors caught up carries all three
        first = next(i for i, n in enumerate(seen) if self.all_cosigned(n))
        late = [n for n in seen[first:] if not self.all_cosigned(n)]
        self.assertEqual(late, [], "checkpoints after the mirrors caught up, not cosigned by all")
        sys.stderr.write("test_trust: %d events in %.1f s, %d checkpoints seen, cosigned by "
                         "all from the %dth\n" % (EVENTS, time.monotonic() - t0, len(seen),
                                                  first + 1))
        for m in self.mirrors:  # the log showed older checkpoints than they held: no fork
            self.assertFalse(os.path.exists(os.path.join(m.dir, "fork-evidence.json")),
                             m.report())
            r = ct.http_request(m.server.port, "GET", "/checkpoint")
            self.assertEqual(ct.open_checkpoint(r.body, L.vkey)[1], size)
            self.assertTrue(cosigned_by(r.body, m.vkey))

        # ---- cmcc verify: the same figures from each mirror as from the primary
        vp = ct.run("verify", L.url, "--vkey", L.vkey_text, "--token", L.token,
                    "--state", os.path.join(self.tmp, "sp"), timeout=180)
        self.assertEqual(vp.returncode, 0, vp.stdout + vp.stderr)
        self.assertIn("%d entries" % size, vp.stdout)
        for i, m in enumerate(self.mirrors):
            vm = ct.run("verify", m.server.url, "--vkey", L.vkey_text, "--token", m.token,
                        "--state", os.path.join(self.tmp, "s%d" % i), timeout=180)
            self.assertEqual(vm.returncode, 0, vm.stdout + vm.stderr)
            self.assertEqual(vm.stdout.replace(m.server.url, "URL"),
                             vp.stdout.replace(L.url, "URL"))

        # ---- the mirror's add-checkpoint refuses what it must
        m = self.mirrors[0]
        r = ct.http_request(m.server.port, "POST", "/add-checkpoint", b"old 0\n\n" + note)
        self.assertEqual(r.status, 409, r)  # it holds more than 0
        self.assertEqual(r.body.strip(), str(size).encode())
        self.assertEqual(r.headers.get("content-type"), "text/x.tlog.size")
        r = ct.http_request(m.server.port, "POST", "/add-checkpoint",
                            b"old %d\n\n" % size + note)
        self.assertEqual(r.status, 200, (r, m.report()))  # the same checkpoint, held: cosigned
        self.assertTrue(cosigned_by(note.split(b"\n\n")[0] + b"\n\n" + r.body, m.vkey))
        forged = note.replace(b"\n%d\n" % size, b"\n%d\n" % (size + 1), 1)
        r = ct.http_request(m.server.port, "POST", "/add-checkpoint",
                            b"old %d\n\n" % size + forged)
        self.assertEqual(r.status, 403, r)  # not the log's signature
        r = ct.http_request(m.server.port, "POST", "/add-checkpoint", b"new 0\n\n" + note)
        self.assertEqual(r.status, 400, r)
        r = ct.http_request(m.server.port, "POST", "/add-checkpoint",
                            b"old 0\n\nother.example/log\n1\nAAAA\n\n")
        self.assertEqual(r.status, 404, r)
        r = ct.http_request(m.server.port, "POST", "/v1/events", b"{}",
                            {"Content-Type": "application/json"})
        self.assertEqual(r.status, 403, r)  # still read-only otherwise

        # ---- a rewritten log at the same address, refused by a fresh
        # verifier whose policy needs the witness (which saw the first log)
        policy = os.path.join(self.tmp, "policy.txt")
        with open(policy, "w") as f:
            f.write("log %s\nwitness W %s\nquorum W\n" % (L.vkey_text, self.w.vkey))
        port = L.server.port
        status, _ = L.stop()
        self.assertEqual(status, 0)
        if not ct.PG_STORE:  # rewrite() builds the second log in a SQLite file
            d2 = os.path.join(self.tmp, "rewritten")
            rewrite(L.dir, d2, 5)
            srv2 = ct.Server(d2, ["--listen", "127.0.0.1:%d" % port])
            self.addCleanup(srv2.kill)
            self.assertEqual(srv2.port, port)
            r = ct.http_request(port, "POST", "/v1/events",
                                b"".join(e + b"\n" for e in places(L, 20, 0, "x")),
                                {"Authorization": "Bearer " + L.token,
                                 "Content-Type": "application/x-ndjson"})
            self.assertEqual(r.status, 200, r)
            deadline = time.monotonic() + 30
            while time.monotonic() < deadline:
                r = ct.http_request(port, "GET", "/checkpoint")
                if ct.open_checkpoint(r.body, L.vkey)[1] >= 25:
                    break
                time.sleep(0.2)
            self.assertFalse(self.w.cosigned(r.body))  # the witness refused to cosign it
            v = ct.run("verify", "http://127.0.0.1:%d" % port, "--vkey", L.vkey_text, "--token",
                       L.token, "--policy", policy, "--state", os.path.join(self.tmp, "fresh"),
                       timeout=120)
            self.assertEqual(v.returncode, 1, v.stdout + v.stderr)
            self.assertIn("does not count under the policy", v.stdout + v.stderr)
            srv2.stop()

        # ---- the primary gone: the mirror answers every read
        reads = ["/checkpoint", "/v1/log", "/v1/orgs", "/v1/places", "/v1/stats",
                 "/v1/entries/0", "/v1/entries/%d" % (size - 1), "/tile/0/000",
                 "/tile/entries/000", "/v1/proof/inclusion?index=3&size=%d" % size,
                 "/v1/proof/consistency?old=3&size=%d" % size, "/v1/alerts",
                 "/v1/consignments", "/v1/movements", "/healthz"]
        for path in reads:
            r = ct.http_request(m.server.port, "GET", path,
                                headers={"Authorization": "Bearer " + m.token})
            self.assertEqual(r.status, 200, (path, r))
        rep = ct.run("report", "--server", m.server.url, "--token", m.token, "--format", "json")
        self.assertEqual(rep.returncode, 0, rep.stderr)
        self.assertIn("\"totals\"", rep.stdout)

        # ---- a new primary from the mirror, with the log's own key
        new = os.path.join(self.tmp, "new")
        bad = ct.Key()
        badpem = os.path.join(self.tmp, "bad.pem")
        ct.write_pem(bad, badpem)
        r = ct.run("init", "--from-mirror", m.dir, new, "--log-key", badpem)
        self.assertEqual(r.returncode, 1, r.stderr)
        self.assertIn("is not the key of the log", r.stderr)
        self.assertFalse(os.path.exists(new))
        r = ct.run("init", "--from-mirror", m.dir, new)
        self.assertEqual(r.returncode, 2, r.stderr)
        self.assertIn("--log-key", r.stderr)
        r = ct.run("init", "--from-mirror", m.dir, new, "--log-key",
                   os.path.join(L.dir, "log.pem"))
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertEqual(r.stdout.strip(), L.vkey_text)
        r = ct.run("init", "--from-mirror", m.dir, new, "--log-key",
                   os.path.join(L.dir, "log.pem"))
        self.assertEqual(r.returncode, 1, r.stderr)
        self.assertIn("already holds a log", r.stderr)
        srv3 = ct.Server(new)
        self.addCleanup(srv3.kill)
        self.assertEqual(srv3.start_size, size)
        L.server = srv3  # the helpers speak to the new primary, with the mirror's token
        L.token = m.token
        entries = L.entries(size)
        for index, leaf in receipts:  # every acknowledged entry, where its receipt said
            self.assertEqual(ct.b64(ct.leaf_hash(entries[index])), leaf)
        r = L.batch(places(L, 5, 0, "after"))
        self.assertEqual(r.status, 200, r)
        self.assertEqual(r.json["results"][0]["index"], size)
        c = L.wait_checkpoint(size + 5, timeout=10)
        self.assertEqual(c[1], size + 5)
        if HAVE_GO:
            r = subprocess.run(["sh", TLOG_VERIFY, "-vkey", L.vkey_text, "-token", L.token,
                                L.url], capture_output=True, text=True, timeout=300)
            self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
        L.server = None
        srv3.stop()


if __name__ == "__main__":
    unittest.main()
