#!/usr/bin/python3
"""The `cmcc` command line (docs/protocol.md 6): --help of every subcommand,
keys (cmcc keygen and openssl's), init, tokens, and the offline path
`cmcc sign` then `cmcc submit` against a running server.
"""
import json
import os
import re
import shutil
import stat
import subprocess
import sys
import tempfile
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import cmcctest as ct  # noqa: E402

SUBCOMMANDS = ["init", "keygen", "serve", "token", "sign", "submit", "verify", "rebuild", "demo",
               "mirror", "cot"]
OPENSSL = shutil.which("openssl")


def openssl_key(path):
    subprocess.run([OPENSSL, "genpkey", "-algorithm", "ed25519", "-out", path], check=True,
                   capture_output=True)


class TempDir(unittest.TestCase):
    def setUp(self):
        self.tmp = tempfile.mkdtemp(prefix="cmcc-bb-cli-")
        self.addCleanup(shutil.rmtree, self.tmp, True)

    def path(self, name):
        return os.path.join(self.tmp, name)


class Help(unittest.TestCase):

    def test_every_subcommand_has_help(self):
        for cmd in SUBCOMMANDS:
            for flag in ("--help", "-h"):
                with self.subTest(cmd=cmd, flag=flag):
                    r = ct.run(cmd, flag)
                    self.assertEqual(r.returncode, 0, r.stderr)
                    self.assertTrue(r.stdout.startswith("usage: cmcc %s" % cmd), r.stdout)

    def test_help_after_other_arguments(self):
        for args in (["token", "create", "--help"], ["rebuild", "somedir", "--help"],
                     ["verify", "somedir", "--help"], ["sign", "--key", "x.pem", "--help"]):
            with self.subTest(args=args):
                r = ct.run(*args)
                self.assertEqual(r.returncode, 0, r.stderr)
                self.assertIn("usage: cmcc %s" % args[0], r.stdout)

    def test_top_level(self):
        r = ct.run("--help")
        self.assertEqual(r.returncode, 0)
        self.assertIn("usage: cmcc", r.stdout)
        for cmd in SUBCOMMANDS:
            self.assertRegex(r.stdout, r"\n  %s " % cmd)
        r = ct.run()
        self.assertEqual(r.returncode, 2)
        self.assertIn("usage: cmcc", r.stderr)
        r = ct.run("frobnicate")
        self.assertEqual(r.returncode, 2)
        self.assertIn("frobnicate", r.stderr)
        r = ct.run("version")
        self.assertEqual(r.returncode, 0)
        self.assertRegex(r.stdout, r"^cmcc \d+\.\d+\.\d+")

    def test_bad_usage_exits_2(self):
        for args in (["init"], ["init", "x"], ["serve"], ["token"], ["token", "create", "x"],
                     ["sign"], ["submit"], ["verify"], ["rebuild"], ["keygen"],
                     ["serve", "x", "--listen", "nocolon"], ["submit", "--server", "http://x",
                                                            "--batch", "0", "f"],
                     ["serve", "x", "--bogus", "-h"], ["serve", "x", "--threads", "0", "-h"],
                     ["serve", "x", "--max-buffered", "0", "-h"],
                     ["serve", "x", "--max-buffered", "lots", "-h"],
                     ["verify", "--bogus", "-h"], ["witness", "init"],
                     ["witness", "list", "w", "extra"], ["witness", "init", "w", "--name"],
                     ["witness", "init", "w", "--bogus", "x"], ["witness", "frobnicate", "w"],
                     ["witness", "init", "w", "--bogus", "-h"],
                     ["submit", "--server", "http://x", "--batch", "10x", "f"],
                     ["submit", "--server", "http://x", "--max-wait", "-1", "f"],
                     ["import", "--key", "k", "--org", "o", "--out", "x", "--batch", "5x", "f"]):
            with self.subTest(args=args):
                r = ct.run(*args)
                self.assertEqual(r.returncode, 2, (r.stdout, r.stderr))
                self.assertIn("usage:", r.stderr)


class Keys(TempDir):

    def test_keygen(self):
        p = self.path("k.pem")
        r = ct.run("keygen", p)
        self.assertEqual(r.returncode, 0, r.stderr)
        m = re.fullmatch(r"public_key (\S+)\nkeyid ([0-9a-f]{16})\n", r.stdout)
        self.assertTrue(m, r.stdout)
        self.assertEqual(stat.S_IMODE(os.stat(p).st_mode), 0o600)
        with open(p) as f:
            text = f.read()
        self.assertTrue(text.startswith("-----BEGIN PRIVATE KEY-----\n"), text)
        self.assertTrue(text.endswith("-----END PRIVATE KEY-----\n"), text)
        k = ct.Key.from_pem(p)
        self.assertEqual(m.group(1), k.pub_b64)
        self.assertEqual(m.group(2), k.keyid)
        # --show prints the same
        r = ct.run("keygen", "--show", p)
        self.assertEqual(r.returncode, 0)
        self.assertEqual(r.stdout, "public_key %s\nkeyid %s\n" % (k.pub_b64, k.keyid))
        # never overwrites a key
        r = ct.run("keygen", p)
        self.assertEqual(r.returncode, 1)
        with open(p) as f:
            self.assertEqual(f.read(), text)

    @unittest.skipUnless(OPENSSL, "openssl not installed")
    def test_keygen_writes_what_openssl_reads(self):
        p = self.path("k.pem")
        ct.run("keygen", p)
        r = subprocess.run([OPENSSL, "pkey", "-in", p, "-pubout", "-outform", "DER"],
                           capture_output=True)
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertEqual(r.stdout[-32:], ct.Key.from_pem(p).pub)

    @unittest.skipUnless(OPENSSL, "openssl not installed")
    def test_show_openssl_key(self):
        p = self.path("o.pem")
        openssl_key(p)
        r = ct.run("keygen", "--show", p)
        self.assertEqual(r.returncode, 0, r.stderr)
        k = ct.Key.from_pem(p)
        self.assertEqual(r.stdout, "public_key %s\nkeyid %s\n" % (k.pub_b64, k.keyid))

    def test_show_rejects_a_non_key(self):
        p = self.path("junk.pem")
        with open(p, "w") as f:
            f.write("-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n")
        self.assertEqual(ct.run("keygen", "--show", p).returncode, 1)
        self.assertEqual(ct.run("keygen", "--show", self.path("missing.pem")).returncode, 1)


class Init(TempDir):

    def test_init_prints_and_writes_the_vkey(self):
        d = self.path("log")
        r = ct.run("init", d, "--origin", "init.test/log", "--org", "hq", "--name", "HQ")
        self.assertEqual(r.returncode, 0, r.stderr)
        vkey = r.stdout.strip()
        self.assertEqual(r.stdout, vkey + "\n")
        v = ct.Vkey(vkey)
        self.assertEqual(v.name, "init.test/log")
        with open(os.path.join(d, "log.vkey")) as f:
            self.assertEqual(f.read().strip(), vkey)
        self.assertEqual(stat.S_IMODE(os.stat(os.path.join(d, "coordinator.pem")).st_mode), 0o600)
        # a second init of the same directory fails and leaves it alone
        db_path = os.path.join(d, "cmcc.db")
        db = None
        if not ct.PG_STORE:
            with open(db_path, "rb") as f:
                db = f.read()
        r = ct.run("init", d, "--origin", "other/log", "--org", "x", "--name", "X")
        self.assertNotEqual(r.returncode, 0)
        if db is not None:
            with open(db_path, "rb") as f:
                self.assertEqual(f.read(), db)
        self.assertEqual(ct.run("verify", d).returncode, 0)
        with open(os.path.join(d, "log.vkey")) as f:
            self.assertEqual(f.read().strip(), vkey)

    def test_init_refuses_bad_arguments_and_leaves_nothing(self):
        d = self.path("log")
        bad = [
            ["--origin", "o/log", "--org", "bad org", "--name", "N"],
            ["--origin", "with space", "--org", "hq", "--name", "N"],
            ["--origin", "with+plus", "--org", "hq", "--name", "N"],
            ["--origin", "", "--org", "hq", "--name", "N"],
            ["--origin", "o/log", "--org", "hq", "--name", ""],
            ["--origin", "o/log", "--org", "hq", "--name", "n" * 201],
            ["--origin", "o/log", "--org", "hq", "--name", "bad \udcff utf-8"],
            ["--origin", "o/log", "--org", "hq", "--name", "N",
             "--log-key", self.path("missing.pem")],
            ["--origin", "o/log", "--org", "hq", "--name", "N",
             "--coordinator-key", self.path("missing.pem")],
        ]
        for args in bad:
            with self.subTest(args=args):
                r = ct.run("init", d, *args)
                self.assertEqual(r.returncode, 1, r.stderr)
                self.assertEqual(r.stdout, "")
                # nothing half-made is left behind
                self.assertFalse(os.path.exists(d), os.listdir(d) if os.path.isdir(d) else "")
        # nor in a directory that was there before, whose files stay
        os.mkdir(d)
        with open(os.path.join(d, "notes.txt"), "w") as f:
            f.write("mine")
        for args in bad:
            with self.subTest(args=args, existing_dir=True):
                self.assertEqual(ct.run("init", d, *args).returncode, 1)
                self.assertEqual(os.listdir(d), ["notes.txt"])
        # so a good init of the same directory then works
        r = ct.run("init", d, "--origin", "o/log", "--org", "hq", "--name", "n" * 200)
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertEqual(ct.run("verify", d).returncode, 0)

    @unittest.skipUnless(OPENSSL, "openssl not installed")
    def test_init_with_given_keys(self):
        ck, lk = self.path("coord.pem"), self.path("logkey.pem")
        openssl_key(ck)
        openssl_key(lk)
        d = self.path("log")
        r = ct.run("init", d, "--origin", "given.test/log", "--org", "hq", "--name", "HQ",
                   "--coordinator-key", ck, "--log-key", lk)
        self.assertEqual(r.returncode, 0, r.stderr)
        v = ct.Vkey(r.stdout)
        self.assertEqual(v.pub, ct.Key.from_pem(lk).pub)
        s = ct.Server(d)
        try:
            tok = ct.run("token", "create", d, "--org", "hq").stdout.strip()
            e = ct.http_request(s.port, "GET", "/v1/entries/0",
                                headers={"Authorization": "Bearer " + tok})
            ev = e.json["event"]
            self.assertEqual(ev["body"]["keys"], [{"public_key": ct.Key.from_pem(ck).pub_b64}])
            self.assertEqual(e.json["entry"]["envelope"]["signatures"][0]["keyid"],
                             ct.Key.from_pem(ck).keyid)
            cp = ct.http_request(s.port, "GET", "/checkpoint")
            ct.open_checkpoint(cp.body, v)
        finally:
            self.assertEqual(s.stop()[0], 0)


class Serve(TempDir):

    def test_fresh_log_verifies(self):
        d = self.path("log")
        self.assertEqual(ct.run("init", d, "--origin", "o/log", "--org", "hq",
                                "--name", "HQ").returncode, 0)
        r = ct.run("verify", d)
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)

    def test_demo_build_only(self):
        d = self.path("demo")
        r = ct.run("demo", d, "--build-only", timeout=120)
        self.assertEqual(r.returncode, 0, r.stderr)
        m = re.search(r"read token: (cmcc_\S+)", r.stdout)
        self.assertTrue(m, r.stdout)
        v = ct.run("verify", d, timeout=120)
        self.assertEqual(v.returncode, 0, v.stdout + v.stderr)
        # a second run keeps the log it made
        r = ct.run("demo", d, "--build-only", timeout=120)
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertIn(m.group(1), r.stdout)
        # it says how to record from the field: the Record page, and the two
        # commands that enrol the page's device key, which run as printed
        self.assertIn("/#/record?org=coastal-relief", r.stdout)
        cmds = [ln.strip().split() for ln in r.stdout.splitlines()
                if ln.strip().startswith(ct.CMCC_BIN + " ")]
        self.assertEqual([c[1] for c in cmds], ["new", "submit"], r.stdout)
        device = ct.Key()
        s = ct.Server(d)
        try:
            o = ct.http_request(s.port, "GET", "/v1/orgs",
                                headers={"Authorization": "Bearer " + m.group(1)})
            self.assertEqual(o.status, 200, o)
            self.assertGreater(len(o.json["orgs"]), 1)
            for c in cmds:
                args = [device.pub_b64 if a == "KEY" else a for a in c[1:]]
                if "--server" in args:
                    args[args.index("--server") + 1] = s.url
                run = subprocess.run([ct.CMCC_BIN] + args, capture_output=True, text=True,
                                     timeout=60, cwd=self.tmp)
                self.assertEqual(run.returncode, 0, (c, run.stdout, run.stderr))
            o = ct.http_request(s.port, "GET", "/v1/orgs",
                                headers={"Authorization": "Bearer " + m.group(1)})
            relief = [x for x in o.json["orgs"] if x["org"] == "coastal-relief"][0]
            self.assertIn(device.keyid, [k["keyid"] for k in relief["keys"]])
        finally:
            status, out = s.stop()
            self.assertEqual(status, 0, out)

    def test_server_threads_are_named(self):
        """ps, top -H and perf tell the server's threads apart by name."""
        d = self.path("log")
        ct.run("init", d, "--origin", "o/log", "--org", "hq", "--name", "HQ")
        s = ct.Server(d)
        try:
            task = "/proc/%d/task" % s.proc.pid
            names = []
            for tid in os.listdir(task):
                with open(os.path.join(task, tid, "comm")) as f:
                    names.append(f.read().strip())
            for one in ("cmcc-sequencer", "cmcc-syncer", "cmcc-checkpoint"):
                self.assertEqual(names.count(one), 1, names)
            self.assertEqual(names.count("cmcc-pool"), os.cpu_count(), names)
        finally:
            status, out = s.stop()
            self.assertEqual(status, 0, out)

    def test_serve_says_entry_or_entries(self):
        """A fresh log has one entry: the start and stop lines say "1 entry";
        later, "N entries"."""
        d = self.path("log")
        ct.run("init", d, "--origin", "o/log", "--org", "hq", "--name", "HQ")
        s = ct.Server(d)
        self.assertIn("(1 entry) at http://", s.start_line)
        status, out = s.stop()
        self.assertEqual(status, 0, out)
        self.assertIn("stopped cleanly (1 entry)", out)
        r = ct.run("verify", d)
        self.assertIn("OK: 1 entry;", r.stdout)
        d = self.path("demo")
        self.assertEqual(ct.run("demo", d, "--build-only", timeout=120).returncode, 0)
        s = ct.Server(d)
        self.assertRegex(s.start_line, r"\((\d\d+) entries\) at http://")
        status, out = s.stop()
        self.assertEqual(status, 0, out)

    def test_report_csv_has_the_hxl_row(self):
        """`cmcc report DIR --format csv`: a header row, the HXL hashtag row,
        then, per crossing, org and category, a row per figure (HXL's long
        form), the figures of --format json."""
        d = self.path("demo")
        self.assertEqual(ct.run("demo", d, "--build-only", timeout=120).returncode, 0)
        r = ct.run("report", d, "--format", "csv")
        self.assertEqual(r.returncode, 0, r.stderr)
        header, hxl, records = ct.csv_long(r.stdout)
        self.assertEqual(header, ["table", "name", "figure", "value"])
        self.assertEqual(hxl, ["#meta+type", "#meta+name", "#indicator+code", "#indicator+num"])
        rec = json.loads(ct.run("report", d, "--format", "json").stdout)
        want = {}
        for section, key in (("by_crossing", "crossing"), ("by_org", "org"),
                             ("by_category", "category")):
            for x in rec[section]:
                want[(key, x[key])] = {k: str(v) for k, v in x.items() if k != key}
        got = {(k["table"], k["name"]): f for k, f, _ in records}
        self.assertEqual(got, want)
        self.assertGreater(len(got), 5)

    def test_serve_a_missing_directory(self):
        r = ct.run("serve", self.path("nothing"), "--listen", "127.0.0.1:0", timeout=20)
        self.assertEqual(r.returncode, 1, r.stdout + r.stderr)
        self.assertIn("cmcc serve", r.stderr)

    def test_serve_on_a_port_in_use(self):
        import socket
        d = self.path("log")
        ct.run("init", d, "--origin", "o/log", "--org", "hq", "--name", "HQ")
        s = socket.socket()
        self.addCleanup(s.close)
        s.bind(("127.0.0.1", 0))
        s.listen(1)
        port = s.getsockname()[1]
        r = ct.run("serve", d, "--listen", "127.0.0.1:%d" % port, timeout=20)
        self.assertEqual(r.returncode, 1, r.stdout + r.stderr)
        self.assertIn(str(port), r.stderr)


class Tokens(unittest.TestCase):

    @classmethod
    def setUpClass(cls):
        cls.log = ct.Log()
        cls.addClassCleanup(cls.log.close)

    def test_create_list_revoke(self):
        L = self.log
        r = ct.run("token", "create", L.dir, "--org", "cell")
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertRegex(r.stdout, r"^cmcc_[A-Za-z0-9_-]{43}\n$")
        m = re.search(r"created token (\S+) for \"cell\"", r.stderr)
        self.assertTrue(m, r.stderr)
        tid = m.group(1)
        lst = ct.run("token", "list", L.dir)
        self.assertEqual(lst.returncode, 0)
        mine = [t for t in json.loads(lst.stdout) if t["id"] == tid]
        self.assertEqual(len(mine), 1)
        self.assertEqual(mine[0]["org"], "cell")
        self.assertIsNone(mine[0]["revoked"])
        self.assertNotIn(r.stdout.strip(), lst.stdout)  # only hashes are kept
        r = ct.run("token", "revoke", L.dir, tid)
        self.assertEqual(r.returncode, 0, r.stderr)
        mine = [t for t in json.loads(ct.run("token", "list", L.dir).stdout) if t["id"] == tid]
        self.assertIsNotNone(mine[0]["revoked"])
        # twice, or an unknown id: refused
        self.assertEqual(ct.run("token", "revoke", L.dir, tid).returncode, 1)
        self.assertEqual(ct.run("token", "revoke", L.dir, "nosuchid").returncode, 1)

    def test_list_shows_rfc3339_times(self):
        """`cmcc token list`: created and revoked are RFC 3339 UTC times with
        milliseconds (not epoch numbers); revoked is null while active."""
        L = self.log
        before = ct.time_ms(ct.rfc3339())
        r = ct.run("token", "create", L.dir, "--org", "cell")
        tid = re.search(r"created token (\S+)", r.stderr).group(1)
        mine = [t for t in json.loads(ct.run("token", "list", L.dir).stdout) if t["id"] == tid][0]
        self.assertRegex(mine["created"], ct.RECEIVED_RE)
        self.assertLessEqual(before, ct.time_ms(mine["created"]))
        self.assertLess(ct.time_ms(mine["created"]) - before, 60000)
        self.assertIsNone(mine["revoked"])
        ct.run("token", "revoke", L.dir, tid)
        mine = [t for t in json.loads(ct.run("token", "list", L.dir).stdout) if t["id"] == tid][0]
        self.assertRegex(mine["revoked"], ct.RECEIVED_RE)
        self.assertGreaterEqual(ct.time_ms(mine["revoked"]), ct.time_ms(mine["created"]))

    def test_revoke_by_the_token_itself(self):
        """`cmcc token revoke DIR TOKEN` revokes the token given (its id is
        the first 12 hex digits of its SHA-256), which list shows revoked;
        an unknown or already revoked token is status 1."""
        import hashlib
        L = self.log
        token = ct.run("token", "create", L.dir, "--org", "cell").stdout.strip()
        tid = hashlib.sha256(token.encode()).hexdigest()[:12]
        r = ct.run("token", "revoke", L.dir, token)
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertIn("revoked %s" % tid, r.stderr)
        self.assertNotIn(token, r.stderr + r.stdout)
        mine = [t for t in json.loads(ct.run("token", "list", L.dir).stdout) if t["id"] == tid]
        self.assertIsNotNone(mine[0]["revoked"])
        r = ct.run("token", "revoke", L.dir, token)
        self.assertEqual(r.returncode, 1)
        self.assertIn("no active token has id %s" % tid, r.stderr)
        r = ct.run("token", "revoke", L.dir, "cmcc_" + "A" * 43)
        self.assertEqual(r.returncode, 1)

    def test_create_for_unknown_org(self):
        r = ct.run("token", "create", self.log.dir, "--org", "nobody")
        self.assertEqual(r.returncode, 1)
        self.assertEqual(r.stdout, "")

    def test_tokens_differ(self):
        a = ct.run("token", "create", self.log.dir, "--org", "cell").stdout
        b = ct.run("token", "create", self.log.dir, "--org", "cell").stdout
        self.assertNotEqual(a, b)


class SignAndSubmit(ct.LogTestCase):
    """Offline signing with an openssl key, then submission."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.tmp = tempfile.mkdtemp(prefix="cmcc-bb-sign-")
        cls.addClassCleanup(shutil.rmtree, cls.tmp, True)
        cls.pem = os.path.join(cls.tmp, "field.pem")
        if OPENSSL:
            openssl_key(cls.pem)
        else:
            ct.run("keygen", cls.pem)
        r = ct.run("keygen", "--show", cls.pem)
        m = re.fullmatch(r"public_key (\S+)\nkeyid ([0-9a-f]{16})\n", r.stdout)
        cls.pub_b64, cls.keyid = m.group(1), m.group(2)
        cls.key = ct.Key.from_pem(cls.pem)
        assert cls.key.pub_b64 == cls.pub_b64 and cls.key.keyid == cls.keyid
        cls.log.admit("field-team", ["humanitarian"], keys=[cls.key])

    def file(self, name, data):
        p = os.path.join(self.tmp, name)
        with open(p, "wb") as f:
            f.write(data if isinstance(data, bytes) else data.encode())
        return p

    def key_add_event(self):
        return ct.event("key.add", {"org": "field-team", "public_key": ct.Key().pub_b64},
                        "field-team")

    def sign(self, *files, args=(), input=None):
        return ct.run("sign", "--key", self.pem, *args, *files, input=input)

    def submit(self, *files, token=True, args=()):
        t = self.log.token if token is True else token
        extra = ["--token", t] if t else []
        return ct.run("submit", "--server", self.log.url, *extra, *args, *files)

    def test_sign_then_submit_twice(self):
        L = self.log
        ev = self.key_add_event()
        src = self.file("event.json", ct.compact(ev) + b"\n")
        r = self.sign(src)
        self.assertEqual(r.returncode, 0, r.stderr)
        lines = r.stdout.splitlines()
        self.assertEqual(len(lines), 1, r.stdout)
        env = json.loads(lines[0])
        self.assertEqual(env["payloadType"], ct.PAYLOAD_TYPE)
        payload = ct.unb64(env["payload"])
        self.assertEqual(payload, ct.compact(ev))
        sig = env["signatures"]
        self.assertEqual(len(sig), 1)
        self.assertEqual(sig[0]["keyid"], self.keyid)
        self.assertTrue(ct.verify_sig(self.key.pub, ct.pae(ct.PAYLOAD_TYPE, payload),
                                      ct.unb64(sig[0]["sig"])))
        envfile = self.file("envelopes.ndjson", r.stdout)
        receipts = os.path.join(self.tmp, "receipts.jsonl")
        size = L.size()
        r = self.submit(envfile, args=("--receipts", receipts))
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertIn("1 appended, 0 already in the log, 0 refused", r.stderr)
        self.assertEqual(L.size(), size + 1)
        e = L.get("/v1/entries/%d" % size).json
        self.assertEqual(ct.compact(e["event"]), ct.compact(ev))
        self.assertEqual(e["entry"]["envelope"], env)
        with open(receipts) as f:
            rec = [json.loads(l) for l in f]
        self.assertEqual(len(rec), 1)
        self.assertEqual(rec[0]["result"]["index"], size)
        self.assertIs(rec[0]["result"]["duplicate"], False)
        # again: a duplicate, nothing appended
        r = self.submit(envfile)
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertIn("0 appended, 1 already in the log, 0 refused", r.stderr)
        self.assertEqual(L.size(), size + 1)

    def test_sign_pretty_printed_event_keeps_its_bytes(self):
        L = self.log
        ev = self.key_add_event()
        text = json.dumps(ev, indent=4)
        src = self.file("pretty.json", "\n" + text + "\n\n")
        r = self.sign(src)
        self.assertEqual(r.returncode, 0, r.stderr)
        env = json.loads(r.stdout)
        self.assertEqual(ct.unb64(env["payload"]), text.encode())
        size = L.size()
        self.assertEqual(L.post(r.stdout.encode()).status, 200)
        self.assertEqual(L.size(), size + 1)

    def test_sign_ndjson_and_stdin(self):
        L = self.log
        evs = [self.key_add_event() for _ in range(3)]
        data = b"".join(ct.compact(e) + b"\n" for e in evs)
        r = self.sign(input=data.decode())
        self.assertEqual(r.returncode, 0, r.stderr)
        envs = [json.loads(l) for l in r.stdout.splitlines()]
        self.assertEqual([ct.unb64(e["payload"]) for e in envs], [ct.compact(e) for e in evs])
        # --out appends
        out = os.path.join(self.tmp, "out.ndjson")
        self.assertEqual(self.sign("-", args=("--out", out), input=data.decode()).returncode, 0)
        self.assertEqual(self.sign("-", args=("--out", out), input=data.decode()).returncode, 0)
        with open(out) as f:
            self.assertEqual(len(f.read().splitlines()), 6)
        size = L.size()
        r = self.submit(out)
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertIn("3 appended, 3 already in the log, 0 refused", r.stderr)
        self.assertEqual(L.size(), size + 3)

    def test_sign_refuses_a_malformed_event(self):
        bad = [
            ("not json", b"{\"v\":1,"),
            ("unknown field", ct.compact(dict(self.key_add_event(), colour="red"))),
            ("bad type", ct.compact(dict(self.key_add_event(), type="nope"))),
            ("missing body field", ct.compact(dict(self.key_add_event(),
                                                   body={"org": "field-team"}))),
            ("duplicate key", b'{"v":1,"v":1,"type":"key.add","id":"x","org":"field-team",'
                              b'"time":"2025-01-01T00:00:00Z","body":{}}'),
        ]
        for name, data in bad:
            with self.subTest(name):
                r = self.sign(self.file("bad.json", data))
                self.assertEqual(r.returncode, 1, r.stderr)
                self.assertEqual(r.stdout, "")
                self.assertIn("cmcc sign", r.stderr)

    def test_sign_no_check_then_submit_refused(self):
        L = self.log
        ev = dict(self.key_add_event(), colour="red")
        r = self.sign(self.file("bad.json", ct.compact(ev)), args=("--no-check",))
        self.assertEqual(r.returncode, 0, r.stderr)
        envfile = self.file("bad.ndjson", r.stdout)
        size = L.size()
        r = self.submit(envfile)
        self.assertEqual(r.returncode, 1, r.stderr)
        self.assertIn("bad.ndjson:1: bad_request at colour", r.stderr)
        self.assertIn("0 appended, 0 already in the log, 1 refused", r.stderr)
        self.assertEqual(L.size(), size)

    def test_submit_mixed(self):
        L = self.log
        good = ct.signed(self.key, self.key_add_event())
        forbidden = ct.signed(self.key, ct.event("place.define", {
            "place": ct.new_id("p"), "kind": "depot", "name": "D", "lat": 0, "lon": 0},
            "field-team"))
        f = self.file("mixed.ndjson", good + b"\n" + forbidden + b"\n")
        size = L.size()
        r = self.submit(f, args=("--batch", "1"))
        self.assertEqual(r.returncode, 1, r.stderr)
        self.assertIn("mixed.ndjson:2: forbidden", r.stderr)
        self.assertIn("1 appended, 0 already in the log, 1 refused", r.stderr)
        self.assertEqual(L.size(), size + 1)

    def test_submit_large_envelopes(self):
        """450 envelopes of ~43 KB (payloads near the 32 KiB limit) are more
        than the server takes in one request (16 MiB): submit must still
        deliver them all with its default batch size."""
        L = self.log
        lines = []
        for _ in range(450):
            p = ct.compact(self.key_add_event())
            lines.append(ct.signed(self.key, p + b" " * (32000 - len(p))))
        f = self.file("large.ndjson", b"\n".join(lines) + b"\n")
        self.assertGreater(os.path.getsize(f), 16 << 20)
        size = L.size()
        r = self.submit(f, args=("--max-wait", "5"))
        self.assertEqual(r.returncode, 0, r.stderr[-2000:])
        self.assertIn("450 appended, 0 already in the log, 0 refused", r.stderr)
        self.assertEqual(L.size(), size + 450)

    def test_submit_without_a_valid_token(self):
        L = self.log
        f = self.file("notoken.ndjson", ct.signed(self.key, self.key_add_event()) + b"\n")
        size = L.size()
        for tok in (None, "cmcc_" + "B" * 43):
            r = self.submit(f, token=tok)
            self.assertEqual(r.returncode, 2, r.stderr)
            self.assertIn("401", r.stderr)
        self.assertEqual(L.size(), size)

    def test_submit_to_a_dead_server(self):
        f = self.file("dead.ndjson", ct.signed(self.key, self.key_add_event()) + b"\n")
        import socket
        s = socket.socket()
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
        s.close()
        r = ct.run("submit", "--server", "http://127.0.0.1:%d" % port, "--token", "x",
                   "--max-wait", "1", f, timeout=30)
        self.assertEqual(r.returncode, 2, r.stderr)
        self.assertIn("1 not delivered", r.stderr)


class ReportFromAStrangeServer(unittest.TestCase):
    """`cmcc report --server` against a server whose answers are 200 but not
    what a cmcc server sends: each report exits 1 saying what was wrong with
    the answer, and prints no figures."""

    ANSWERS = {
        "/v1/reconciliation": b"<html>maintenance</html>",
        "/v1/requirements": b"not json at all",
        "/v1/weapons": b'{"weapons": 5}',
        "/v1/benchmarks": b'{"benchmarks": []}',
    }

    @classmethod
    def setUpClass(cls):
        import http.server
        import threading
        answers = cls.ANSWERS

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_GET(self):
                body = answers.get(self.path.split("?")[0], b"{}")
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args):
                pass

        cls.httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        cls.url = "http://127.0.0.1:%d" % cls.httpd.server_address[1]
        threading.Thread(target=cls.httpd.serve_forever, daemon=True).start()
        cls.addClassCleanup(cls.httpd.shutdown)

    def report(self, what):
        r = ct.run("report", what, "--server", self.url, "--token", "cmcc_x", "--format", "json")
        self.assertEqual(r.returncode, 1, r)
        self.assertEqual(r.stdout, "", r)
        return r.stderr

    def test_an_answer_that_is_not_json(self):
        for what, path in (("supply", "/v1/reconciliation"), ("force", "/v1/requirements")):
            with self.subTest(report=what):
                err = self.report(what)
                self.assertIn("GET %s" % path, err)
                self.assertIn("not JSON", err)

    def test_an_answer_without_its_list(self):
        err = self.report("disarmament")
        self.assertIn('GET /v1/weapons has no "weapons" list', err)


if __name__ == "__main__":
    ct.main()
