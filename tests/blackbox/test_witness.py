"""Witnesses: `cmcc witness` (a C2SP tlog-witness) and the log's checkpointer
gathering cosignatures from the witnesses of its cmcc.conf.

Shows: a served checkpoint carries the witness's cosignature, checked here
(cosignature/v1 over the checkpoint body) and by Go's tlog-verify -witness;
the log and the witness can each restart and cosigning goes on (the 409 path:
the log learns the witness's size); the witness answers each refusal of the
protocol (400, 403, 404, 409 with its size, 422) and cosigns nothing then;
a log whose cmcc.conf names a bad witness key does not start.
"""
import base64
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import cmcctest as ct  # noqa: E402


class Witness:
    """`cmcc witness init/add-log/serve` in a temporary directory."""

    def __init__(self, name="witness.mediators.test"):
        self.dir = tempfile.mkdtemp(prefix="cmcc-witness-")
        os.rmdir(self.dir)
        # options may come before the directory, and as --name=VALUE
        r = ct.run("witness", "init", "--name=" + name, self.dir)
        assert r.returncode == 0, r.stderr
        self.vkey = r.stdout.strip()
        self.name = name
        n, h, k = self.vkey.split("+", 2)
        raw = base64.b64decode(k)
        assert raw[0] == 4 and len(raw) == 33
        self.hash, self.pub = bytes.fromhex(h), raw[1:]
        self.proc = None

    def add_log(self, vkey):
        r = ct.run("witness", "add-log", self.dir, "--vkey", vkey)
        assert r.returncode == 0, r.stderr

    def start(self):
        self.proc = subprocess.Popen([ct.CMCC_BIN, "witness", "serve", self.dir, "--listen",
                                      "127.0.0.1:0"], stdout=subprocess.PIPE,
                                     stderr=subprocess.PIPE)
        line = self.proc.stdout.readline().decode()
        m = re.search(r"http://127\.0\.0\.1:(\d+)/add-checkpoint", line)
        assert m, line
        self.port = int(m.group(1))
        self.url = "http://127.0.0.1:%d" % self.port

    def stop(self):
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            self.proc.wait(10)
        if self.proc:
            self.proc.stdout.close()
            self.proc.stderr.close()
        self.proc = None

    def close(self):
        self.stop()
        shutil.rmtree(self.dir, ignore_errors=True)

    def post(self, body: bytes):
        return ct.http_request(self.port, "POST", "/add-checkpoint", body)

    def cosigned(self, note: bytes) -> bool:
        """Whether note carries this witness's valid cosignature/v1 line."""
        text = note.split(b"\n\n")[0] + b"\n"
        for line in note.split(b"\n\n", 1)[1].split(b"\n"):
            if not line.startswith(("\u2014 " + self.name + " ").encode()):
                continue
            raw = base64.b64decode(line.split(b" ")[-1])
            if len(raw) != 4 + 8 + 64 or raw[:4] != self.hash:
                return False
            ts = int.from_bytes(raw[4:12], "big")
            msg = b"cosignature/v1\ntime %d\n" % ts + text
            return ct.verify_sig(self.pub, msg, raw[12:])
        return False


def places(log, n, start):
    return [ct.signed(log.coord, ct.event("place.define", {
        "place": "w-%d" % i, "kind": "warehouse", "name": "W", "lat": 31.5, "lon": 34.4},
        log.org)) for i in range(start, start + n)]


class Cosigning(unittest.TestCase):
    def setUp(self):
        self.w = Witness()
        self.addCleanup(self.w.close)
        self.log = ct.Log()
        self.addCleanup(self.log.close)
        self.w.add_log(self.log.vkey_text)
        self.w.start()
        ct.write_conf(os.path.join(self.log.dir, "cmcc.conf"),
                      "witness = %s %s\n" % (self.w.url, self.w.vkey))

    def wait_cosigned(self, size, timeout=8.0):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            note = self.log.get("/checkpoint", token=None).body
            origin, csize, root, _ = ct.open_checkpoint(note, self.log.vkey)
            if csize >= size and self.w.cosigned(note):
                return note
            time.sleep(0.1)
        self.fail("no cosigned checkpoint of %d entries; have %r" % (size, note))

    def test_cosigned_and_verified_by_go(self):
        log = self.log
        log.start()
        r = log.batch(places(log, 40, 0))
        self.assertEqual(r.status, 200, r)
        self.wait_cosigned(41)
        info = log.get("/v1/log", token=None).json
        self.assertEqual([w["vkey"] for w in info["witnesses"]], [self.w.vkey])
        shared = os.environ["CMCC_SHARED_DIR"]
        r = subprocess.run(["sh", os.path.join(shared, "tools", "tlog-verify.sh"), "-vkey",
                            log.vkey_text, "-witness", self.w.vkey, "-token", log.token,
                            log.server.url], capture_output=True, text=True, timeout=300)
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
        self.assertIn("2 verified signature(s)", r.stdout)

    def test_restarts_on_both_sides(self):
        log = self.log
        log.start()
        log.batch(places(log, 10, 0))
        self.wait_cosigned(11)
        log.stop()  # the log forgets what the witness cosigned: the 409 path
        log.start()
        self.assertEqual(log.batch(places(log, 10, 10)).status, 200)
        self.wait_cosigned(21)
        self.w.stop()  # the witness keeps its state across restarts
        self.w.start()
        ct.write_conf(os.path.join(log.dir, "cmcc.conf"),
                      "witness = %s %s\n" % (self.w.url, self.w.vkey))
        log.stop()
        log.start()
        self.assertEqual(log.batch(places(log, 10, 20)).status, 200)
        self.wait_cosigned(31)
        listed = ct.run("witness", "list", self.w.dir)
        self.assertIn('"size":31', listed.stdout.replace(" ", ""))

    def test_a_witness_down_costs_only_its_cosignature(self):
        log = self.log
        self.w.stop()
        log.start()
        log.batch(places(log, 5, 0))
        note = log.wait_checkpoint(6)
        self.assertEqual(note[1], 6)
        self.assertFalse(self.w.cosigned(log.get("/checkpoint", token=None).body))
        self.assertIn("did not cosign", log.server.stderr())

    def test_bad_witness_key_stops_the_log(self):
        ct.write_conf(os.path.join(self.log.dir, "cmcc.conf"),
                      "witness = %s %s\n" % (self.w.url, self.log.vkey_text))  # a log key
        r = ct.run("serve", self.log.dir, "--listen", "127.0.0.1:0", timeout=10)
        self.assertEqual(r.returncode, 1)
        self.assertIn("cosignature", r.stderr)


class Refusals(unittest.TestCase):
    """The witness's own answers, each refusal cosigning nothing."""

    @classmethod
    def setUpClass(cls):
        cls.w = Witness()
        cls.log = ct.Log()
        cls.w.add_log(cls.log.vkey_text)
        cls.w.start()
        cls.log.start()
        cls.log.batch(places(cls.log, 20, 0))
        cls.note = cls.log.wait_checkpoint(21) and cls.log.get("/checkpoint", token=None).body

    @classmethod
    def tearDownClass(cls):
        cls.w.close()
        cls.log.close()

    def body(self, old, proof=(), note=None):
        lines = [b"old %d" % old] + [base64.b64encode(h) for h in proof]
        return b"\n".join(lines) + b"\n\n" + (note if note is not None else self.note)

    def test_order_of_answers(self):
        w = self.w
        self.assertEqual(w.post(b"nonsense").status, 400)
        self.assertEqual(w.post(self.body(22)).status, 400)  # old beyond the checkpoint
        r = w.post(self.body(5))  # the witness is at 0
        self.assertEqual(r.status, 409, r)
        self.assertEqual(r.body.strip(), b"0")
        self.assertEqual(r.headers.get("content-type"), "text/x.tlog.size")
        forged = self.note.replace(b"\n21\n", b"\n22\n")
        self.assertEqual(w.post(self.body(0, note=forged)).status, 403)
        other = ct.Log(origin="other.example/log")
        try:
            self.assertEqual(w.post(self.body(0, note=b"other.example/log\n" +
                                              self.note.split(b"\n", 1)[1])).status, 404)
        finally:
            other.close()
        self.assertEqual(w.post(self.body(0, proof=[b"\x00" * 32])).status, 422)
        r = w.post(self.body(0))  # from the empty tree: cosigned
        self.assertEqual(r.status, 200, r)
        self.assertTrue(w.cosigned(self.note + r.body))
        self.assertEqual(w.post(self.body(0)).status, 409)  # it is at 21 now
        # the same size again needs the same root
        r = w.post(self.body(21))
        self.assertEqual(r.status, 200, r)


if __name__ == "__main__":
    unittest.main(verbosity=2)
