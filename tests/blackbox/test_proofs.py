"""Receipts that are proofs, and the log's witness policy (docs/protocol.md,
"Receipts that are proofs" and "Witness policy").

A real `cmcc serve` whose cmcc.conf names a real `cmcc witness serve` and a
C2SP tlog-policy file. Shows: GET /policy serves the file; a duplicate's
receipt and GET /v1/proof/entry carry a C2SP tlog-proof whose checkpoint the
witness cosigned and whose inclusion path is checked here, in Python, from
the envelope and the proof's received time; `cmcc submit` keeps FILE.proof
(FILE.<line>.proof for a file of several) and `cmcc proof verify` accepts
it, offline; it refuses a proof with one byte changed, the wrong envelope,
a policy whose quorum is not met, another log's key, and a policy file with
a syntax error (naming the file and the line); `cmcc verify URL --policy`
counts the checkpoint only with its quorum; before a checkpoint holds an
entry, /v1/proof/entry is 409 with Retry-After and submit waits for it; a
server whose policy file is malformed, or lists another log, does not start.
"""
import base64
import http.server
import json
import os
import shutil
import sys
import tempfile
import threading
import time
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import cmcctest as ct  # noqa: E402
from test_witness import Witness  # noqa: E402


def place_event(log, n):
    return ct.event("place.define", {"place": "pp-%s" % n, "kind": "warehouse", "name": "W",
                                     "lat": 31.5, "lon": 34.4}, log.org)


def parse_proof(text):
    """c2sp.org/tlog-proof@v1 -> (extra bytes or None, index, path, note bytes)."""
    head, sep, note = text.partition(b"\n\n")
    assert sep, text
    lines = head.split(b"\n")
    assert lines[0] == b"c2sp.org/tlog-proof@v1", lines[0]
    extra = None
    i = 1
    if lines[i].startswith(b"extra "):
        extra = base64.b64decode(lines[i][6:], validate=True)
        i += 1
    assert lines[i].startswith(b"index "), lines[i]
    index = int(lines[i][6:])
    path = [base64.b64decode(h, validate=True) for h in lines[i + 1:]]
    return extra, index, path, note


class Proofs(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.tmp = tempfile.mkdtemp(prefix="cmcc-proofs-")
        cls.w = Witness()
        cls.log = ct.Log()
        cls.w.add_log(cls.log.vkey_text)
        cls.w.start()
        cls.policy = cls.write("policy.txt", "# the log and its one witness\nlog %s\n"
                                             "witness W %s\nquorum W\n"
                               % (cls.log.vkey_text, cls.w.vkey))
        ct.write_conf(os.path.join(cls.log.dir, "cmcc.conf"),
                      "witness = %s %s\npolicy = %s\n" % (cls.w.url, cls.w.vkey, cls.policy))
        cls.log.start()
        cls.n = 0

    @classmethod
    def tearDownClass(cls):
        cls.log.close()
        cls.w.close()
        shutil.rmtree(cls.tmp, ignore_errors=True)

    @classmethod
    def write(cls, name, data):
        path = os.path.join(cls.tmp, name)
        with open(path, "wb") as f:
            f.write(data.encode() if isinstance(data, str) else data)
        return path

    def envelope(self):
        Proofs.n += 1
        return ct.signed(self.log.coord, place_event(self.log, "%d-%d" % (os.getpid(), self.n)))

    def wait_cosigned(self, size):
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            note = self.log.get("/checkpoint", token=None).body
            if ct.open_checkpoint(note, self.log.vkey)[1] >= size and self.w.cosigned(note):
                return note
            time.sleep(0.1)
        self.fail("no cosigned checkpoint of %d entries" % size)

    def check_proof(self, proof: bytes, env: bytes, index):
        """The proof checked here from the protocol alone: the witness's
        cosignature, the log's signature, the entry rebuilt from the
        envelope and the received time, its inclusion path."""
        extra, pindex, path, note = parse_proof(proof)
        self.assertEqual(pindex, index)
        self.assertTrue(self.w.cosigned(note), note)
        origin, size, root, _ = ct.open_checkpoint(note, self.log.vkey)
        received = extra.decode()
        self.assertRegex(received, r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$")
        leaf = ct.leaf_hash(ct.entry_bytes(received, json.loads(env)))
        self.assertTrue(ct.verify_inclusion(index, size, leaf, path, root))
        got = self.log.get("/v1/entries/%d" % index).json
        self.assertEqual(got["received"], received)

    def verify(self, proof, env, *args):
        return ct.run("proof", "verify", proof, env, *args)

    # -- the server
    def test_policy_is_served(self):
        r = self.log.get("/policy", token=None)
        self.assertEqual(r.status, 200, r)
        self.assertTrue(r.headers["content-type"].startswith("text/plain"), r.headers)
        with open(self.policy, "rb") as f:
            self.assertEqual(r.body, f.read())

    def test_duplicate_receipt_and_endpoint_carry_the_proof(self):
        L = self.log
        env = self.envelope()
        r = L.post(env)
        first = r.json
        self.assertEqual(r.status, 200, r)
        self.wait_cosigned(first["index"] + 1)
        again = L.post(env).json
        self.assertTrue(again["duplicate"])
        self.check_proof(again["proof"].encode(), env, first["index"])
        ev = json.loads(base64.b64decode(json.loads(env)["payload"]))
        r = L.get("/v1/proof/entry?org=%s&id=%s" % (ev["org"], ev["id"]))
        self.assertEqual(r.status, 200, r)
        self.assertEqual(sorted(r.json), ["index", "leaf_hash", "proof"])
        self.assertEqual(r.json["index"], first["index"])
        self.assertEqual(r.json["leaf_hash"], first["leaf_hash"])
        self.check_proof(r.json["proof"].encode(), env, first["index"])

    def test_proof_entry_refusals(self):
        L = self.log
        r = L.get("/v1/proof/entry?org=%s&id=no-such-event" % L.org)
        self.assertEqual((r.status, r.error["code"]), (404, "not_found"), r)
        self.assertIn("no-such-event", r.error["message"])
        r = L.get("/v1/proof/entry?org=%s" % L.org)
        self.assertEqual((r.status, r.error["code"], r.error["field"]), (400, "bad_request", "id"))
        r = L.get("/v1/proof/entry?org=bad%20org&id=x")
        self.assertEqual((r.status, r.error["field"]), (400, "org"), r)
        r = L.get("/v1/proof/entry?org=%s&id=x" % L.org, token=None)
        self.assertEqual((r.status, r.error["code"]), (401, "unauthorized"), r)

    # -- cmcc submit and cmcc proof verify
    def test_submit_keeps_proofs_that_verify_offline(self):
        one = self.write("one.json", self.envelope())
        several = self.write("several.ndjson", self.envelope() + b"\n" + self.envelope() + b"\n")
        r = ct.run("submit", "--server", self.log.url, "--token", self.log.token, one, several,
                   timeout=60)
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertIn("3 proof(s) saved", r.stderr)
        for proof, envfile, line in ((one + ".proof", one, 1), (several + ".1.proof", several, 1),
                                     (several + ".2.proof", several, 2)):
            with open(proof, "rb") as f:
                text = f.read()
            with open(envfile, "rb") as f:
                env = f.read().split(b"\n")[line - 1]
            index = parse_proof(text)[1]
            self.check_proof(text, env, index)
            v = self.verify(proof, envfile, "--policy", self.policy)
            self.assertEqual(v.returncode, 0, v.stdout + v.stderr)
            self.assertIn("OK: %s%s is entry %d of %s" % (
                envfile, ":%d" % line if envfile == several else "", index, ct.ORIGIN), v.stdout)
            self.assertIn("cosigned by W: the policy's quorum is met", v.stdout)
        # the log's key alone: no cosignature needed
        v = self.verify(one + ".proof", one, "--vkey", self.log.vkey_text)
        self.assertEqual(v.returncode, 0, v.stdout + v.stderr)
        self.assertIn("signed by the log", v.stdout)

        # -- refusals, each exit 1 and one sentence naming the file
        with open(one + ".proof", "rb") as f:
            good = f.read()
        lines = good.split(b"\n")
        path_line = next(i for i, l in enumerate(lines) if l.startswith(b"index ")) + 1
        # one byte of the inclusion path changed (still valid base64)
        h = bytearray(base64.b64decode(lines[path_line]))
        h[0] ^= 1
        bad = b"\n".join(lines[:path_line] + [base64.b64encode(bytes(h))] + lines[path_line + 1:])
        v = self.verify(self.write("bad-path.proof", bad), one, "--policy", self.policy)
        self.assertEqual(v.returncode, 1, v.stdout + v.stderr)
        self.assertIn("FAIL: %s: " % one, v.stdout)
        self.assertIn("bad-path.proof is not the proof of this envelope", v.stdout)
        # one byte of the checkpoint changed: its signature fails
        i = good.index(b"\n\n") + 2 + len(ct.ORIGIN) + 1
        bad = good[:i] + bytes([good[i] ^ 1]) + good[i + 1:]
        v = self.verify(self.write("bad-note.proof", bad), one, "--policy", self.policy)
        self.assertEqual(v.returncode, 1, v.stdout + v.stderr)
        self.assertIn("FAIL: %s: " % os.path.join(self.tmp, "bad-note.proof"), v.stdout)
        self.assertIn("does not verify", v.stdout)
        # one byte of the header
        v = self.verify(self.write("bad-head.proof", b"C" + good[1:]), one, "--policy",
                        self.policy)
        self.assertEqual(v.returncode, 1, v.stdout + v.stderr)
        self.assertIn("bad-head.proof: line 1 is not", v.stdout)
        # the wrong envelope
        other = self.write("other.json", self.envelope())
        v = self.verify(one + ".proof", other, "--policy", self.policy)
        self.assertEqual(v.returncode, 1, v.stdout + v.stderr)
        self.assertIn("FAIL: %s: %s.proof is not the proof of this envelope" % (other, one),
                      v.stdout)
        # a policy whose quorum is not met: W and a second witness that never cosigned
        w2 = ct.run("witness", "init", "--name", "w2.test", os.path.join(self.tmp, "w2"))
        self.assertEqual(w2.returncode, 0, w2.stderr)
        both = self.write("both.txt", "log %s\nwitness W %s\nwitness W2 %s\n"
                                      "group both all W W2\nquorum both\n"
                          % (self.log.vkey_text, self.w.vkey, w2.stdout.strip()))
        v = self.verify(one + ".proof", one, "--policy", both)
        self.assertEqual(v.returncode, 1, v.stdout + v.stderr)
        self.assertIn("lacks the policy's quorum \"both\": cosigned by 1 of its 2 witness(es) (W)",
                      v.stdout)
        # another log's key
        stranger = ct.Log()
        self.addCleanup(stranger.close)
        v = self.verify(one + ".proof", one, "--vkey", stranger.vkey_text)
        self.assertEqual(v.returncode, 1, v.stdout + v.stderr)
        self.assertIn("not signed by the log", v.stdout)
        # a policy with a syntax error: the file and the line, exit 2
        typo = self.write("typo.txt", "log %s\nwitnes W %s\nquorum W\n"
                          % (self.log.vkey_text, self.w.vkey))
        v = self.verify(one + ".proof", one, "--policy", typo)
        self.assertEqual(v.returncode, 2, v.stdout + v.stderr)
        self.assertIn("%s:2: unknown line \"witnes\"" % typo, v.stderr)
        # usage
        v = self.verify(one + ".proof", one)
        self.assertEqual(v.returncode, 2, v.stdout + v.stderr)
        v = self.verify(os.path.join(self.tmp, "missing.proof"), one, "--policy", self.policy)
        self.assertEqual(v.returncode, 2, v.stdout + v.stderr)
        self.assertIn("missing.proof", v.stderr)

    # -- cmcc verify URL --policy
    def test_verify_url_counts_the_quorum(self):
        L = self.log
        L.post(self.envelope())
        self.wait_cosigned(L.size())
        r = ct.run("verify", L.url, "--policy", self.policy, "--token", L.token, timeout=120)
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
        w2 = ct.run("witness", "init", "--name", "w3.test", os.path.join(self.tmp, "w3"))
        needs_two = self.write("two.txt", "witness W %s\nwitness W3 %s\ngroup g 2 W W3\n"
                               "quorum g\n" % (self.w.vkey, w2.stdout.strip()))
        r = ct.run("verify", L.url, "--vkey", L.vkey_text, "--policy", needs_two, "--token",
                   L.token, timeout=120)
        self.assertEqual(r.returncode, 1, r.stdout + r.stderr)
        self.assertIn("does not count under the policy %s" % needs_two, r.stdout)
        self.assertIn("quorum \"g\"", r.stdout)
        typo = self.write("typo2.txt", "quorum none\nquorum none\n")
        r = ct.run("verify", L.url, "--vkey", L.vkey_text, "--policy", typo)
        self.assertEqual(r.returncode, 2, r.stdout + r.stderr)
        self.assertIn("%s:2: a second quorum line" % typo, r.stderr)


class SlowWitness(http.server.BaseHTTPRequestHandler):
    """A witness that takes 2 s to refuse: checkpoints come slowly."""

    def do_POST(self):
        self.rfile.read(int(self.headers.get("Content-Length", "0")))
        time.sleep(2)
        self.send_response(500)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, *args):
        pass


class NotYetInACheckpoint(unittest.TestCase):
    def setUp(self):
        self.httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), SlowWitness)
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()
        self.addCleanup(self.httpd.server_close)
        self.addCleanup(self.httpd.shutdown)
        self.log = ct.Log()
        self.addCleanup(self.log.close)
        self.tmp = tempfile.mkdtemp(prefix="cmcc-proofs-")
        self.addCleanup(shutil.rmtree, self.tmp, True)
        w = Witness("slow.test")  # only for a well-formed cosignature/v1 key
        w.close()
        ct.write_conf(os.path.join(self.log.dir, "cmcc.conf"),
                      "witness = http://127.0.0.1:%d %s\n" % (self.httpd.server_address[1], w.vkey))
        self.log.start()

    def test_409_then_the_proof(self):
        L = self.log
        ev = place_event(L, "late-1")
        env = ct.signed(L.coord, ev)
        self.assertEqual(L.post(env).status, 200)
        r = L.get("/v1/proof/entry?org=%s&id=%s" % (ev["org"], ev["id"]))
        self.assertEqual((r.status, r.error["code"]), (409, "conflict"), r)
        self.assertEqual(r.headers.get("retry-after"), "1")
        self.assertIn("no signed checkpoint holds yet", r.error["message"])
        deadline = time.monotonic() + 15
        while r.status == 409 and time.monotonic() < deadline:
            time.sleep(0.3)
            r = L.get("/v1/proof/entry?org=%s&id=%s" % (ev["org"], ev["id"]))
        self.assertEqual(r.status, 200, r)
        self.assertTrue(r.json["proof"].startswith("c2sp.org/tlog-proof@v1\n"))

    def test_submit_waits_for_the_checkpoint(self):
        L = self.log
        f = os.path.join(self.tmp, "late.json")
        with open(f, "wb") as out:
            out.write(ct.signed(L.coord, place_event(L, "late-2")))
        r = ct.run("submit", "--server", L.url, "--token", L.token, "--proof-wait", "0", f)
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertIn("0 proof(s) saved", r.stderr)
        self.assertIn("1 entry is in no signed checkpoint after 0 s", r.stderr)
        self.assertFalse(os.path.exists(f + ".proof"))
        # the same submit again: a duplicate, whose proof comes in time
        r = ct.run("submit", "--server", L.url, "--token", L.token, f, timeout=60)
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertIn("0 appended, 1 already in the log", r.stderr)
        self.assertIn("1 proof(s) saved", r.stderr)
        v = ct.run("proof", "verify", f + ".proof", f, "--vkey", L.vkey_text)
        self.assertEqual(v.returncode, 0, v.stdout + v.stderr)


class PolicyConfig(unittest.TestCase):
    def setUp(self):
        self.log = ct.Log()
        self.addCleanup(self.log.close)

    def serve_fails(self, policy_text):
        path = os.path.join(self.log.dir, "policy.txt")
        with open(path, "w") as f:
            f.write(policy_text)
        ct.write_conf(os.path.join(self.log.dir, "cmcc.conf"), "policy = policy.txt\n")
        r = ct.run("serve", self.log.dir, "--listen", "127.0.0.1:0", timeout=10)
        self.assertEqual(r.returncode, 1, r.stderr)
        return path, r.stderr

    def test_a_malformed_policy_stops_the_server(self):
        path, err = self.serve_fails("log %s\nquorum someone\n" % self.log.vkey_text)
        self.assertIn("%s:2: the quorum names \"someone\", which no line above defines" % path,
                      err)

    def test_a_policy_of_another_log_stops_the_server(self):
        other = ct.Log()
        self.addCleanup(other.close)
        path, err = self.serve_fails("log %s\nquorum none\n" % other.vkey_text)
        self.assertIn("the policy lists logs, but not this one", err)
        self.assertIn(self.log.vkey_text, err)

    def test_no_policy_is_404(self):
        self.log.start()
        r = self.log.get("/policy", token=None)
        self.assertEqual((r.status, r.error["code"]), (404, "not_found"), r)


if __name__ == "__main__":
    ct.main()
