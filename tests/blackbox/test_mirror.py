#!/usr/bin/python3
"""Mirrors (docs/protocol.md, "Mirrors" and "Fork evidence"): `cmcc mirror URL
DIR` keeps a full, verified copy of a log and cosigns its checkpoints;
`cmcc serve --mirror DIR` serves it read-only; a log that shows a checkpoint
not extending the one held (a rewritten past) is refused by the mirror and by
`cmcc verify` with remembered state, with evidence any party can check.

The mirror reads the primary through a small proxy of this test's own, which
counts every entry bundle fetched and can damage what it forwards (a bundle
cut short, a byte changed, a checkpoint signed by another key), and whose
upstream can be switched to another log at the same address.
"""
import base64
import hashlib
import http.client
import http.server
import os
import random
import shutil
import signal
import sqlite3
import subprocess
import sys
import tempfile
import threading
import time
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import cmcctest as ct  # noqa: E402


class Proxy:
    """GET forwarded to 127.0.0.1:upstream; counts entry bundles by path,
    and the bytes of every body forwarded."""

    def __init__(self, upstream):
        self.upstream = upstream
        self.mode = None  # None, "truncate", "flip", "badkey"
        self.checkpoint = None  # when set, served for /checkpoint (an older one)
        self.from_bundle = 0  # bundles below this index are never damaged
        self.counts = {}
        self.run = 0  # set by a test: the mirror run each fetch is counted to
        self.runs = {}  # path -> the runs that fetched it, in order
        self.bytes = 0  # of the bodies forwarded, every path
        self.lock = threading.Lock()
        proxy = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def log_message(self, *a):
                pass

            def do_GET(self):
                # counted to the run that asked: a run killed while this
                # was read from upstream is not the next one
                run = proxy.run
                c = http.client.HTTPConnection("127.0.0.1", proxy.upstream, timeout=60)
                hdrs = {}
                if self.headers.get("Authorization"):
                    hdrs["Authorization"] = self.headers["Authorization"]
                c.request("GET", self.path, headers=hdrs)
                r = c.getresponse()
                body = r.read()
                ctype = r.getheader("Content-Type") or "application/octet-stream"
                c.close()
                path = self.path
                if path.startswith("/tile/entries/"):
                    with proxy.lock:
                        proxy.counts[path] = proxy.counts.get(path, 0) + 1
                        proxy.runs.setdefault(path, []).append(run)
                    n = int(path[len("/tile/entries/"):].split(".p/")[0].replace("x", "")
                            .replace("/", ""))
                    if n < proxy.from_bundle:
                        pass
                    elif r.status == 200 and proxy.mode == "truncate":
                        body = body[:len(body) - 7]
                    elif r.status == 200 and proxy.mode == "flip":
                        i = 2 + 60  # inside the first entry's bytes
                        body = body[:i] + bytes([body[i] ^ 0x01]) + body[i + 1:]
                if path == "/checkpoint" and r.status == 200 and proxy.mode == "badkey":
                    body = resign(body, ct.Key())
                if path == "/checkpoint" and proxy.checkpoint:
                    body = proxy.checkpoint
                with proxy.lock:
                    proxy.bytes += len(body)
                try:
                    self.send_response(r.status)
                    self.send_header("Content-Type", ctype)
                    self.send_header("Content-Length", str(len(body)))
                    self.end_headers()
                    self.wfile.write(body)
                except (BrokenPipeError, ConnectionResetError):
                    pass  # the mirror was killed meanwhile

        self.httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.httpd.daemon_threads = True
        self.port = self.httpd.server_address[1]
        self.url = "http://127.0.0.1:%d" % self.port
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)
        self.thread.start()

    def close(self):
        self.httpd.shutdown()
        self.httpd.server_close()


def resign(note: bytes, key) -> bytes:
    """The checkpoint's text signed by another key under the log's name."""
    text = note[:note.index(b"\n\n") + 1]
    origin = text.split(b"\n")[0]
    h = hashlib.sha256(origin + b"\n\x01" + key.pub).digest()[:4]
    sig = key.sk.sign(text).signature
    return text + b"\n" + "\u2014 ".encode() + origin + b" " + base64.b64encode(h + sig) + b"\n"


def places(log, n, start, prefix="w"):
    return [ct.signed(log.coord, ct.event("place.define", {
        "place": "%s-%d" % (prefix, i), "kind": "warehouse", "name": "W %d" % i,
        "lat": 31.5, "lon": 34.4}, log.org)) for i in range(start, start + n)]


def load(log, n, start, prefix="w"):
    for i in range(start, start + n, 1000):
        r = log.batch(places(log, min(1000, start + n - i), i, prefix))
        assert r.status == 200, r


def mirror(url, d, *args, vkey=None, token=None, timeout=120):
    extra = []
    if vkey:
        extra += ["--vkey", vkey]
    return ct.run("mirror", url, d, *extra, *args, env={"CMCC_TOKEN": token} if token else None,
                  timeout=timeout)


def held(d):
    """(size, note) of the newest checkpoint the mirror holds, and its entries."""
    db = sqlite3.connect("file:%s?mode=ro" % os.path.join(d, "cmcc.db"), uri=True)
    try:
        row = db.execute("SELECT size, note FROM checkpoints ORDER BY size DESC LIMIT 1").fetchone()
        n = db.execute("SELECT count(*) FROM entries").fetchone()[0]
    finally:
        db.close()
    return (row[0], row[1].encode()) if row else (0, None), n


def cosigned_by(note: bytes, vkey_text: str) -> bool:
    """Whether note carries a valid cosignature/v1 of the key vkey_text."""
    name, h, key = vkey_text.strip().split("+", 2)
    raw = base64.b64decode(key)
    assert raw[0] == 4, "not a cosignature/v1 key"
    pub = raw[1:]
    text = note[:note.index(b"\n\n") + 1]
    for line in note[note.index(b"\n\n") + 2:].split(b"\n"):
        if not line.startswith("\u2014 ".encode()):
            continue
        lname, sig = line[4:].decode().split(" ")
        sig = base64.b64decode(sig)
        if lname != name or sig[:4].hex() != h:
            continue
        ts = int.from_bytes(sig[4:12], "big")
        msg = b"cosignature/v1\ntime %d\n" % ts + text
        return ct.verify_sig(pub, msg, sig[12:])
    return False


class Base(unittest.TestCase):
    def setUp(self):
        self.tmp = tempfile.mkdtemp(prefix="cmcc-bb-mirror-")
        self.addCleanup(shutil.rmtree, self.tmp, True)
        self.log = ct.Log()
        self.addCleanup(self.log.close)
        self.log.start()
        self.proxy = Proxy(self.log.server.port)
        self.addCleanup(self.proxy.close)
        self.m = os.path.join(self.tmp, "m")

    def run_mirror(self, d=None, **kw):
        return mirror(self.proxy.url, d or self.m, vkey=self.log.vkey_text,
                      token=self.log.token, **kw)

    def sync(self, d=None):
        r = self.run_mirror(d)
        self.assertEqual(r.returncode, 0, r.stderr)
        return r

    def over_twice(self):
        return {p: n for p, n in self.proxy.counts.items() if n > 2}


class Follow(Base):

    def test_follows_under_load_serves_and_verifies_alike(self):
        L = self.log
        L.admit("relief", ["humanitarian"])
        first = self.run_mirror()
        self.assertEqual(first.returncode, 0, first.stderr)
        self.assertIn("its verifier key", first.stdout)
        with open(os.path.join(self.m, "mirror.vkey")) as f:
            mvkey = f.read().strip()
        self.assertIn(mvkey, first.stdout)
        # the mirror follows every second while the primary takes events
        env = dict(os.environ, CMCC_TOKEN=L.token, XDG_STATE_HOME=ct.STATE_HOME)
        follower = subprocess.Popen(
            [ct.CMCC_BIN, "mirror", self.proxy.url, self.m, "--every", "1s"],
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env, text=True)
        try:
            n = 0
            for k in range(12):
                load(L, 250, n)
                n += 250
                time.sleep(0.25)
            size = L.size()
            L.wait_checkpoint(size)
            deadline = time.monotonic() + 30
            while held(self.m)[0][0] < size and time.monotonic() < deadline:
                time.sleep(0.2)
        finally:
            follower.send_signal(signal.SIGTERM)
            out, err = follower.communicate(timeout=20)
        self.assertGreaterEqual(out.count("holds"), 2, out + err)
        (hsize, note), entries = held(self.m)
        self.assertEqual(hsize, size, err)
        self.assertEqual(entries, size)
        # the same tree as the primary's, cosigned by the mirror
        _, csize, root, _ = L.checkpoint()
        self.assertEqual(ct.open_checkpoint(note, L.vkey)[1:3], (csize, root))
        self.assertTrue(cosigned_by(note, mvkey))
        self.assertEqual(self.over_twice(), {})

        # served read-only, with its own read token
        tok = ct.run("token", "create", self.m, "--org", "cell")
        self.assertEqual(tok.returncode, 0, tok.stderr)
        mtoken = tok.stdout.strip()
        srv = ct.Server(self.m, ["--mirror"])
        try:
            self.assertIn("read-only mirror of " + self.proxy.url, srv.start_line)

            def get(path, token=mtoken):
                h = {"Authorization": "Bearer " + token} if token else {}
                return ct.http_request(srv.port, "GET", path, headers=h)

            ck = get("/checkpoint", None)
            self.assertEqual(ck.status, 200)
            self.assertTrue(cosigned_by(ck.body, mvkey))
            self.assertEqual(ct.open_checkpoint(ck.body, L.vkey)[1:3], (csize, root))
            info = get("/v1/log", None).json
            self.assertEqual(info["mirror"], {"of": self.proxy.url, "vkey": mvkey})
            self.assertEqual(info["size"], size)
            last = "/tile/entries/" + ct.tile_index_path(size // 256) + (
                ".p/%d" % (size % 256) if size % 256 else "")
            for path in ("/v1/orgs", "/v1/places", "/v1/consignments", "/v1/sites",
                         "/v1/reconciliation", "/tile/0/000", "/tile/entries/000", last,
                         "/v1/entries/7", "/v1/proof/consistency?old=5&size=%d" % size):
                with self.subTest(path=path):
                    a, b = get(path), L.get(path)
                    self.assertEqual(a.status, 200, a)
                    self.assertEqual(a.body, b.body)
            # every write is refused, naming the log mirrored
            env1 = ct.signed(L.coord, ct.event("place.define", {
                "place": "late", "kind": "warehouse", "name": "Late", "lat": 31.5,
                "lon": 34.4}, L.org))
            for path in ("/v1/events", "/v1/device/token"):
                r = ct.http_request(srv.port, "POST", path, env1,
                                    {"Authorization": "Bearer " + mtoken,
                                     "Content-Type": "application/json"})
                self.assertEqual(r.status, 403, r)
                self.assertEqual(r.error["code"], "forbidden")
                self.assertIn("read-only mirror of " + self.proxy.url, r.error["message"])
            # cmcc verify gives the same figures against the mirror as against the primary
            vm = ct.run("verify", srv.url, "--vkey", L.vkey_text, "--token", mtoken,
                        "--state", os.path.join(self.tmp, "s1"), timeout=120)
            vp = ct.run("verify", L.url, "--vkey", L.vkey_text, "--token", L.token,
                        "--state", os.path.join(self.tmp, "s2"), timeout=120)
            self.assertEqual(vm.returncode, 0, vm.stdout + vm.stderr)
            self.assertEqual(vp.returncode, 0, vp.stdout + vp.stderr)
            self.assertEqual(vm.stdout.replace(srv.url, "URL"), vp.stdout.replace(L.url, "URL"))
            self.assertIn("%d entries" % size, vm.stdout)
            # and cmcc report reads it
            rep = ct.run("report", "--server", srv.url, "--token", mtoken, "--format", "json")
            rep_p = ct.run("report", "--server", L.url, "--token", L.token, "--format", "json")
            self.assertEqual(rep.returncode, 0, rep.stderr)
            self.assertEqual(rep.stdout, rep_p.stdout)
        finally:
            srv.stop()
        # the directory itself verifies as a log
        v = ct.run("verify", self.m, timeout=120)
        self.assertEqual(v.returncode, 0, v.stdout + v.stderr)

    def test_a_served_mirror_keeps_its_wal_bounded(self):
        # with `cmcc serve --mirror` reading, closing the store is no
        # checkpoint: the mirror checkpoints its WAL itself at each run's end
        L = self.log
        load(L, 2000, 0)
        L.wait_checkpoint(L.size())
        self.sync()
        srv = ct.Server(self.m, ["--mirror"])
        self.addCleanup(srv.stop)
        wal, db = [], []
        for k in range(3):
            load(L, 6000, 2000 + 6000 * k)
            L.wait_checkpoint(L.size())
            r = self.sync()
            self.assertIn("holds %d entries" % L.size(), r.stdout)
            wal.append(os.path.getsize(os.path.join(self.m, "cmcc.db-wal")))
            db.append(os.path.getsize(os.path.join(self.m, "cmcc.db")))
        # each run writes about as much to the WAL as the one before; the
        # file is reused, not grown, and the entries reach the database
        self.assertLess(wal[2], wal[0] * 1.5, (wal, db))
        self.assertGreater(db[2], db[0] + 3 * 1024 * 1024, (wal, db))
        self.assertEqual(held(self.m)[1], L.size())

    def test_sigkill_anywhere_resumes(self):
        L = self.log
        rng = random.Random(22)
        self.sync()
        env = dict(os.environ, CMCC_TOKEN=L.token, XDG_STATE_HOME=ct.STATE_HOME)
        # 20 runs killed at random points (the delay adapts so that about half
        # the runs are killed and half complete), the log growing meanwhile
        n, kills, runs, longest = 0, 0, 0, 0.5
        killed = set()
        while kills < 20 and runs < 60:
            runs += 1
            load(L, rng.choice((300, 700, 1500)), n)
            n = L.size()
            L.wait_checkpoint(n)
            self.proxy.run = runs
            p = subprocess.Popen([ct.CMCC_BIN, "mirror", self.proxy.url, self.m],
                                 stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, env=env)
            time.sleep(rng.uniform(0.02, longest))
            if p.poll() is None:
                p.kill()
                kills += 1
                killed.add(runs)
                longest *= 1.3
            else:
                longest *= 0.7
            p.communicate()
        self.assertEqual(kills, 20)
        self.proxy.run = runs + 1
        progress = held(self.m)[1]
        self.assertGreater(progress, 1)  # ... and yet got on between interruptions
        r = self.sync()
        size = L.size()
        self.assertIn("holds %d entries" % size, r.stdout)
        (hsize, note), entries = held(self.m)
        self.assertEqual((hsize, entries), (size, size))
        _, csize, root, _ = L.checkpoint()
        self.assertEqual(ct.open_checkpoint(note, L.vkey)[1:3], (csize, root))
        # a bundle is fetched again only by the run after one killed while
        # it was fetching it (before it was kept), never twice in one run nor
        # after a run that ended: so at most twice, unless two kills in a
        # row caught the same bundle
        again = {p: r for p, r in self.proxy.runs.items()
                 if len(set(r)) != len(r) or any(x not in killed for x in r[:-1])}
        self.assertEqual(again, {}, "killed runs: %s" % sorted(killed))
        self.assertEqual(os.listdir(os.path.join(self.m, "fetched")), [])
        v = ct.run("verify", self.m, timeout=120)
        self.assertEqual(v.returncode, 0, v.stdout + v.stderr)


class BadInput(Base):

    def test_damaged_answers_are_refused_naming_the_url(self):
        L = self.log
        load(L, 300, 0)
        L.wait_checkpoint(L.size())
        r = self.sync()
        # the bytes it says it read are those the proxy forwarded
        self.assertIn("; %d bytes read)" % self.proxy.bytes, r.stdout)
        self.assertGreater(self.proxy.bytes, 300 * 200)
        before = held(self.m)
        load(L, 600, 300)
        L.wait_checkpoint(L.size())
        for mode, words in (("truncate", "cut short"), ("flip", "refused"),
                            ("badkey", "not a checkpoint signed by the log's key")):
            with self.subTest(mode=mode):
                self.proxy.mode = mode
                r = self.run_mirror()
                self.proxy.mode = None
                self.assertEqual(r.returncode, 1, r.stdout + r.stderr)
                self.assertIn(self.proxy.url, r.stderr)
                self.assertIn(words, r.stderr)
                self.assertIn("nothing", r.stderr)
                self.assertEqual(len(r.stderr.strip().splitlines()), 1, r.stderr)
                self.assertEqual(held(self.m), before)
                self.assertEqual(os.listdir(os.path.join(self.m, "fetched")), [])
        r = self.sync()
        self.assertIn("holds %d entries" % L.size(), r.stdout)

    def test_a_kept_bundle_cut_short_is_fetched_again(self):
        # the bundles kept in DIR/fetched are a cache written without fsync:
        # one a crash of the machine cut short is fetched, not refused
        L = self.log
        self.sync()
        load(L, 300, 0)
        L.wait_checkpoint(L.size())
        with open(os.path.join(self.m, "fetched", "0.256"), "wb") as f:
            f.write(b"\x01\x00" + b"{" * 40)  # an entry of 256 bytes, cut short
        r = self.sync()
        self.assertIn("holds %d entries" % L.size(), r.stdout)
        self.assertIn("(2 entry bundles fetched, 0 kept from an interrupted run", r.stdout)
        self.assertEqual(held(self.m)[1], L.size())
        self.assertEqual(os.listdir(os.path.join(self.m, "fetched")), [])

    def test_state_is_not_served_between_steps(self):
        """A catch-up is stored in steps of 64 bundles; between two steps the
        mirror's state is ahead of its checkpoint, and is not served."""
        L = self.log
        self.sync()
        load(L, 64 * 256 + 600, 0)
        size = L.size()
        L.wait_checkpoint(size)
        self.proxy.mode, self.proxy.from_bundle = "truncate", 64
        r = self.run_mirror()
        self.proxy.mode = None
        self.assertEqual(r.returncode, 1, r.stderr)
        self.assertIn("tile/entries/064", r.stderr)
        (hsize, _), entries = held(self.m)
        self.assertEqual((hsize, entries), (1, 64 * 256))
        tok = ct.run("token", "create", self.m, "--org", "cell").stdout.strip()
        srv = ct.Server(self.m, ["--mirror"])
        try:
            def get(path):
                return ct.http_request(srv.port, "GET", path,
                                       headers={"Authorization": "Bearer " + tok})

            self.assertEqual(get("/healthz").json["size"], 1)
            self.assertEqual(ct.open_checkpoint(get("/checkpoint").body, L.vkey)[1], 1)
            for path in ("/v1/places", "/v1/orgs", "/v1/stats"):
                r = get(path)
                self.assertEqual(r.status, 503, r)
                self.assertEqual(r.error["code"], "unavailable")
                self.assertIn("past its checkpoint of 1", r.error["message"])
                self.assertIn("retry-after", r.headers)
            self.assertEqual(get("/v1/entries/0").status, 200)
            self.sync()  # the rest, while being served
            self.assertEqual(get("/healthz").json["size"], size)
            r = get("/v1/places")
            self.assertEqual(r.status, 200, r)
            self.assertEqual(r.body, L.get("/v1/places").body)
        finally:
            srv.stop()

    def test_bad_usage(self):
        r = ct.run("mirror", "ftp://x", self.m)
        self.assertEqual(r.returncode, 2)
        self.assertIn("not an http", r.stderr)
        r = ct.run("mirror", self.proxy.url, self.m)
        self.assertEqual(r.returncode, 2)
        self.assertIn("--vkey", r.stderr)
        r = ct.run("mirror", self.proxy.url, self.m, "--vkey", self.log.vkey_text,
                   "--every", "soon")
        self.assertEqual(r.returncode, 2)
        self.assertIn("--every", r.stderr)
        other = ct.Log(origin="other.test/log")
        self.addCleanup(other.close)
        self.sync()
        r = ct.run("mirror", self.proxy.url, self.m, "--vkey", other.vkey_text)
        self.assertEqual(r.returncode, 2)
        self.assertIn("not the one --vkey names", r.stderr)


class Policy(Base):
    """`cmcc mirror --policy FILE`: a checkpoint counts only with the
    policy's quorum; a policy with a syntax error is refused naming the file
    and the line, and in both cases nothing is stored."""

    def write(self, name, text):
        path = os.path.join(self.tmp, name)
        with open(path, "w") as f:
            f.write(text)
        return path

    def test_quorum_and_syntax(self):
        L = self.log
        load(L, 20, 0)
        L.wait_checkpoint(L.size())
        wdir = os.path.join(self.tmp, "w")
        r = ct.run("witness", "init", wdir, "--name", "absent.witness.test")
        self.assertEqual(r.returncode, 0, r.stderr)
        with open(os.path.join(wdir, "witness.vkey")) as f:
            wvkey = f.read().strip()

        bad = self.write("bad.policy", "log %s\nwitnes absent %s\nquorum none\n"
                         % (L.vkey_text, wvkey))
        r = mirror(self.proxy.url, self.m, "--policy", bad, vkey=L.vkey_text, token=L.token)
        self.assertEqual(r.returncode, 2, r.stdout + r.stderr)
        self.assertIn("bad.policy:2:", r.stderr)
        self.assertFalse(os.path.exists(os.path.join(self.m, "cmcc.db")))

        unmet = self.write("unmet.policy", "log %s\nwitness absent %s\nquorum absent\n"
                           % (L.vkey_text, wvkey))
        r = mirror(self.proxy.url, self.m, "--policy", unmet, vkey=L.vkey_text, token=L.token)
        self.assertEqual(r.returncode, 1, r.stdout + r.stderr)
        self.assertIn("does not count under the policy " + unmet, r.stderr)
        self.assertIn(self.proxy.url, r.stderr)
        if os.path.exists(os.path.join(self.m, "cmcc.db")):
            (hs, _), entries = held(self.m)
            self.assertEqual((hs, entries), (0, 0))

        none = self.write("none.policy", "log %s\nquorum none\n" % L.vkey_text)
        r = mirror(self.proxy.url, self.m, "--policy", none, vkey=L.vkey_text, token=L.token)
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
        self.assertEqual(held(self.m)[0][0], L.size())


def pending(d):
    """The checkpoint the mirror in d is fetching towards (b"" when none)."""
    db = sqlite3.connect("file:%s?mode=ro" % os.path.join(d, "cmcc.db"), uri=True)
    try:
        row = db.execute("SELECT value FROM meta WHERE key = 'mirror.pending'").fetchone()
    finally:
        db.close()
    return row[0].encode() if row else b""


class Older(Base):
    """A mirror cosigns a checkpoint while its log gathers cosignatures, so
    the log may still serve an older one: a checkpoint older than the one
    held (or pending) that is a prefix of it is no fork. Neither `cmcc
    mirror` nor add-checkpoint keeps evidence of it; the cosigning path
    cosigns it (catching up to it first) and leaves the pending one."""

    def grow(self, n, start):
        load(self.log, n, start)
        size = self.log.size()
        self.log.wait_checkpoint(size)
        note = self.log.get("/checkpoint", token=None).body
        self.assertEqual(ct.open_checkpoint(note, self.log.vkey)[1], size)
        return size, note

    def cosign(self, port, old, note, proof=()):
        body = b"old %d\n" % old + b"".join(p.encode() + b"\n" for p in proof) + b"\n" + note
        return ct.http_request(port, "POST", "/add-checkpoint", body)

    def test_verify_remembers_but_an_older_checkpoint_is_no_fork(self):
        """`cmcc verify URL` remembers the newest checkpoint it verified; a
        server that then shows an older one (as a log does while a mirror
        already shows the checkpoint it cosigned) passes when it proves that
        the remembered tree extends it, and no evidence is written."""
        L = self.log
        state = os.path.join(self.tmp, "state")
        s1, n1 = self.grow(30, 0)
        s2, n2 = self.grow(50, 30)
        args = ("verify", self.proxy.url, "--vkey", L.vkey_text, "--token", L.token,
                "--state", state)
        v = ct.run(*args, timeout=120)
        self.assertEqual(v.returncode, 0, v.stdout + v.stderr)
        self.proxy.checkpoint = n1
        v = ct.run(*args, timeout=120)
        self.proxy.checkpoint = None
        self.assertEqual(v.returncode, 0, v.stdout + v.stderr)
        self.assertIn("older than the one of %d entries remembered" % s2, v.stderr)
        self.assertEqual([f for f in os.listdir(state) if f.endswith(".fork.json")], [])
        # the remembered checkpoint stays the newer one
        remembered = [f for f in os.listdir(state) if not f.endswith(".fork.json")]
        self.assertEqual(len(remembered), 1, remembered)
        with open(os.path.join(state, remembered[0]), "rb") as f:
            self.assertEqual(ct.open_checkpoint(f.read(), L.vkey)[1], s2)

    def test_an_older_checkpoint_is_no_fork(self):
        L = self.log
        evidence = os.path.join(self.m, "fork-evidence.json")
        s1, n1 = self.grow(40, 0)
        self.sync()
        s2, n2 = self.grow(600, 40)
        self.sync()
        self.assertEqual(held(self.m)[0][0], s2)

        # the log serves an older checkpoint than the one held
        self.proxy.checkpoint = n1
        r = self.run_mirror()
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
        self.assertFalse(os.path.exists(evidence), r.stderr)
        (hs, _), entries = held(self.m)
        self.assertEqual((hs, entries), (s2, s2))
        self.proxy.checkpoint = None

        # a run towards s4 refused at its first step: s4 stays pending
        s3, n3 = self.grow(600, 640)
        s4, n4 = self.grow(600, 1240)
        self.proxy.mode = "truncate"
        r = self.run_mirror()
        self.proxy.mode = None
        self.assertEqual(r.returncode, 1, r.stdout + r.stderr)
        self.assertEqual(held(self.m)[0][0], s2)
        self.assertEqual(pending(self.m), n4)

        srv = ct.Server(self.m, ["--mirror"])
        try:
            # the checkpoint held, asked again while a newer one is pending
            r = self.cosign(srv.port, s2, n2)
            self.assertEqual(r.status, 200, (r, srv.stderr()))
            self.assertTrue(cosigned_by(n2.split(b"\n\n")[0] + b"\n\n" + r.body,
                                        held_vkey(self.m)))
            # one between the held and the pending one: fetched, cosigned
            proof = L.get("/v1/proof/consistency?old=%d&size=%d" % (s2, s3)).json
            r = self.cosign(srv.port, s2, n3, proof["consistency_path"])
            self.assertEqual(r.status, 200, (r, srv.stderr()))
            (hs, hnote), entries = held(self.m)
            self.assertEqual((hs, entries), (s3, s3))
            self.assertTrue(cosigned_by(hnote, held_vkey(self.m)))
            self.assertEqual(pending(self.m), n4)
            # an older one than held: 400 (old is larger) or 409, never evidence
            r = self.cosign(srv.port, s3, n2)
            self.assertEqual(r.status, 400, r)
            r = self.cosign(srv.port, s2, n2)
            self.assertEqual(r.status, 409, r)
            self.assertEqual(r.body.strip(), str(s3).encode())
        finally:
            srv.stop()
        self.assertFalse(os.path.exists(evidence))

        # the log still serves s2: the run goes on to the pending s4
        self.proxy.checkpoint = n2
        r = self.run_mirror()
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
        self.assertFalse(os.path.exists(evidence), r.stderr)
        (hs, hnote), entries = held(self.m)
        self.assertEqual((hs, entries), (s4, s4))
        self.assertEqual(hnote.split(b"\n\n")[0], n4.split(b"\n\n")[0])
        self.assertEqual(pending(self.m), b"")
        self.proxy.checkpoint = None
        r = self.sync()
        self.assertIn("holds %d entries" % s4, r.stdout)


def held_vkey(d):
    with open(os.path.join(d, "mirror.vkey")) as f:
        return f.read().strip()


def rewrite(src, dst, keep):
    """A copy of the stopped log in src whose entries from `keep` on are gone
    (the state rebuilt), so that what is appended next rewrites its past."""
    shutil.copytree(src, dst)
    for f in ("cmcc.lock", "serve.stderr"):
        if os.path.exists(os.path.join(dst, f)):
            os.unlink(os.path.join(dst, f))
    db = sqlite3.connect(os.path.join(dst, "cmcc.db"))
    db.execute("DELETE FROM entries WHERE idx >= ?", (keep,))
    db.execute("DELETE FROM event_ids WHERE idx >= ?", (keep,))
    db.execute("DELETE FROM checkpoints WHERE size > ?", (keep,))
    for (key,) in db.execute("SELECT key FROM hashes").fetchall():
        level, index = key >> 56, key & ((1 << 56) - 1)
        if (index + 1) << level > keep:
            db.execute("DELETE FROM hashes WHERE key = ?", (key,))
    db.commit()
    db.close()
    r = ct.run("rebuild", dst, timeout=120)
    assert r.returncode == 0, r.stderr


class Rewritten(Base):

    @ct.sqlite_only("the log is rewritten from its SQLite file")
    def test_mirror_and_verify_refuse_a_rewritten_past(self):
        L = self.log
        load(L, 40, 0)
        size1 = L.size()
        L.wait_checkpoint(size1)
        self.sync()
        state = os.path.join(self.tmp, "state")
        v = ct.run("verify", self.proxy.url, "--vkey", L.vkey_text, "--token", L.token,
                   "--state", state, timeout=120)
        self.assertEqual(v.returncode, 0, v.stdout + v.stderr)
        remembered = [f for f in os.listdir(state) if f.endswith(".checkpoint")]
        self.assertEqual(len(remembered), 1)
        small, same = os.path.join(self.tmp, "m-small"), os.path.join(self.tmp, "m-same")
        for d in (small, same):
            shutil.copytree(self.m, d)
            os.unlink(os.path.join(d, "cmcc.lock"))
        status, _ = L.stop()
        self.assertEqual(status, 0)

        # the same key and origin, entry 5 on different, at the same address
        d2 = os.path.join(self.tmp, "rewritten")
        rewrite(L.dir, d2, 5)
        srv2 = ct.Server(d2)
        self.addCleanup(srv2.kill)
        self.proxy.upstream = srv2.port
        tok2 = L.token  # the copy keeps the tokens

        def post(lines):
            body = b"".join(l + b"\n" for l in lines)
            r = ct.http_request(srv2.port, "POST", "/v1/events", body,
                                {"Authorization": "Bearer " + tok2,
                                 "Content-Type": "application/x-ndjson"})
            self.assertEqual(r.status, 200, r)

        def checkpointed(n):
            deadline = time.monotonic() + 10
            while time.monotonic() < deadline:
                r = ct.http_request(srv2.port, "GET", "/checkpoint")
                if ct.open_checkpoint(r.body, L.vkey)[1] >= n:
                    return
                time.sleep(0.1)
            self.fail("no checkpoint of %d entries" % n)

        post(places(L, 3, 0, prefix="x"))
        checkpointed(8)  # a tree of 8, smaller than the one held

        # a smaller tree whose first entries differ
        r = mirror(self.proxy.url, small, token=L.token)
        self.assertEqual(r.returncode, 3, r.stdout + r.stderr)
        self.assertIn("smaller than the tree of %d entries" % size1, r.stderr)
        self.assertIn("their first entries differ", r.stderr)
        self.check_evidence(os.path.join(small, "fork-evidence.json"), "smaller")

        # the same size as the tree held, another root
        post(places(L, size1 - 8, 10, prefix="x"))
        checkpointed(size1)
        r = mirror(self.proxy.url, same, token=L.token)
        self.assertEqual(r.returncode, 3, r.stdout + r.stderr)
        self.assertIn("two different trees of %d entries" % size1, r.stderr)
        self.check_evidence(os.path.join(same, "fork-evidence.json"), "same_size")

        post(places(L, 60, 100, prefix="x"))
        size2 = ct.http_request(srv2.port, "GET", "/healthz").json["size"]
        checkpointed(size2)  # now larger than the one held
        self.assertGreater(size2, size1)
        r = self.run_mirror()
        self.assertEqual(r.returncode, 3, r.stdout + r.stderr)
        lines = r.stderr.strip().splitlines()
        self.assertEqual(len(lines), 1, r.stderr)
        self.assertIn(self.proxy.url, lines[0])
        self.assertIn("cannot prove", lines[0])
        ev = os.path.join(self.m, "fork-evidence.json")
        self.assertIn(ev, lines[0])
        self.check_evidence(ev, "inconsistent")
        self.assertEqual(held(self.m)[0][0], size1)  # it did not advance
        # and it stays stopped
        r = self.run_mirror()
        self.assertEqual(r.returncode, 3)
        self.assertIn("does not advance", r.stderr)
        self.assertEqual(held(self.m)[0][0], size1)

        # cmcc verify, which remembers the first log, refuses it too
        v = ct.run("verify", self.proxy.url, "--vkey", L.vkey_text, "--token", tok2,
                   "--state", state, timeout=120)
        self.assertEqual(v.returncode, 1, v.stdout + v.stderr)
        self.assertIn("cannot prove", v.stderr)
        evs = [f for f in os.listdir(state) if f.endswith(".fork.json")]
        self.assertEqual(len(evs), 1)
        self.check_evidence(os.path.join(state, evs[0]), "inconsistent")
        # a verifier with no memory of it sees a log that checks
        v = ct.run("verify", self.proxy.url, "--vkey", L.vkey_text, "--token", tok2,
                   "--state", os.path.join(self.tmp, "fresh"), timeout=120)
        self.assertEqual(v.returncode, 0, v.stdout + v.stderr)

    def check_evidence(self, path, kind):
        with open(path) as f:
            doc = ct.json.load(f)
        self.assertEqual(doc["evidence"], "cmcc.fork/v1")
        self.assertEqual(doc["kind"], kind)
        self.assertEqual(doc["url"], self.proxy.url)
        _, hs, hr, _ = ct.open_checkpoint(doc["held"].encode(), self.log.vkey)
        _, ss, sr, _ = ct.open_checkpoint(doc["seen"].encode(), self.log.vkey)
        p = doc["proof"]
        hashes = [base64.b64decode(h) for h in p["hashes"]] if p else None
        if kind == "same_size":
            self.assertEqual(hs, ss)
            self.assertNotEqual(hr, sr)
            self.assertIsNone(p)
        elif kind == "inconsistent":
            self.assertLess(hs, ss)
            self.assertFalse(ct.verify_consistency(hs, ss, hr, sr, hashes))
        else:
            self.assertLess(ss, hs)
            self.assertFalse(ct.verify_consistency(ss, hs, sr, hr, hashes))
        r = ct.run("mirror", "check", path, "--vkey", self.log.vkey_text)
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
        self.assertIn("holds", r.stdout)
        # a changed file does not hold
        doc["seen"] = doc["held"]
        bad = path + ".bad"
        with open(bad, "w") as f:
            ct.json.dump(doc, f)
        r = ct.run("mirror", "check", bad, "--vkey", self.log.vkey_text)
        self.assertEqual(r.returncode, 1, r.stdout + r.stderr)
        self.assertIn("does not hold", r.stdout)


if __name__ == "__main__":
    unittest.main(verbosity=2)
