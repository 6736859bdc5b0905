#!/usr/bin/python3
"""Webhooks (docs/operations.md "Webhooks", docs/protocol.md "Webhooks"):
`hook = URL TYPES SECRET` lines of cmcc.conf; the server POSTs each entry
of those types, signed (X-Cmcc-Signature: sha256=HMAC-SHA256(secret,
body)), in log order, retried with backoff.

A receiver (http.server in this test) takes a first run of entries, then
is down for CMCC_HOOK_OUTAGE_S seconds (60 by default) while entries keep
being logged: /v1/stats shows the hook failing (failing_since,
last_error, pending) and serve's log says so; once the receiver is back it
gets every entry, in order, each exactly once and each signature valid,
and the log says the hook delivers again. A second hook that wants a type
never logged gets nothing and has nothing pending. After a restart the
hook carries on from its cursor: nothing is posted twice. A bad hook line
(no http(s) URL, an unknown type, a short secret, missing words) stops the
server at start with a sentence naming the line.
"""
import hashlib
import hmac
import http.server
import json
import os
import socket
import sys
import threading
import time
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import cmcctest as ct  # noqa: E402

SECRET = "s3cret-for-the-hook-0123456789"
OUTAGE_S = float(os.environ.get("CMCC_HOOK_OUTAGE_S", "60"))


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


class Receiver:
    """An HTTP server on port that records each POST (path, headers, body);
    up() and down() start and stop it."""

    def __init__(self, port):
        self.port = port
        self.got = []
        self.lock = threading.Lock()
        self.httpd = None

    def up(self):
        rec = self

        class H(http.server.BaseHTTPRequestHandler):
            def do_POST(self):
                n = int(self.headers.get("Content-Length", "0"))
                body = self.rfile.read(n)
                with rec.lock:
                    rec.got.append((self.path, {k.lower(): v for k, v in self.headers.items()},
                                    body))
                self.send_response(204)
                self.end_headers()

            def log_message(self, *a):
                pass

        http.server.ThreadingHTTPServer.allow_reuse_address = True
        self.httpd = http.server.ThreadingHTTPServer(("127.0.0.1", self.port), H)
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()

    def down(self):
        if self.httpd:
            self.httpd.shutdown()
            self.httpd.server_close()
            self.httpd = None

    def count(self):
        with self.lock:
            return len(self.got)


def place_event(i):
    return ct.event("place.define", {"place": "hp-%d" % i, "kind": "depot", "name": "Depot %d" % i,
                                     "lat": 10.0, "lon": 20.0}, ct.COORD_ORG, id_="hook-%d" % i)


class Hooks(unittest.TestCase):

    def setUp(self):
        self.log = ct.Log()
        self.addCleanup(self.log.close)

    def wait_for(self, cond, timeout, what):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if cond():
                return
            time.sleep(0.2)
        self.fail("waited %d s for %s" % (timeout, what))

    def post_events(self, first, n):
        L = self.log
        idx = []
        for i in range(first, first + n):
            r = L.post(ct.signed(L.coord, place_event(i)))
            self.assertEqual(r.status, 200, r)
            idx.append(r.json["index"])
        return idx

    def hook_stats(self):
        r = self.log.get("/v1/stats", token=None)
        self.assertEqual(r.status, 200, r)
        return {h["url"]: h for h in r.json["hooks"]}

    def check_deliveries(self, got, indices):
        """got holds one signed POST of each index, in order."""
        self.assertEqual([json.loads(b)["index"] for _, _, b in got], indices)
        for path, headers, body in got:
            self.assertEqual(path, "/in?k=v")
            want = "sha256=" + hmac.new(SECRET.encode(), body, hashlib.sha256).hexdigest()
            self.assertEqual(headers["x-cmcc-signature"], want)
            doc = json.loads(body)
            self.assertEqual(headers["x-cmcc-index"], str(doc["index"]))
            self.assertEqual(doc["log"], self.log.origin)
            self.assertEqual((doc["type"], doc["org"]), ("place.define", ct.COORD_ORG))
            payload = json.loads(ct.unb64(doc["entry"]["envelope"]["payload"]))
            self.assertEqual(payload["id"], doc["id"])
            self.assertEqual(payload["type"], "place.define")

    def test_outage_then_every_entry_in_order(self):
        L = self.log
        port = free_port()
        rec = Receiver(port)
        rec.up()
        self.addCleanup(rec.down)
        url = "http://127.0.0.1:%d/in" % port
        quiet = "http://127.0.0.1:%d/never" % port
        ct.write_conf(os.path.join(L.dir, "cmcc.conf"),
                      "hook = %s?k=v place.define %s\n"
                      "hook = %s org.suspend %s\n"
                      "hook.backoff_max_s = 4\n" % (url, SECRET, quiet, SECRET))
        L.start()
        first = self.post_events(0, 20)
        self.wait_for(lambda: rec.count() >= 20, 30, "the first 20 entries")
        stats = self.hook_stats()
        self.assertEqual(sorted(stats), sorted([url, quiet]))  # the query is not shown
        self.assertIsNone(stats[url]["failing_since"])
        self.assertEqual(stats[url]["delivered"], 20)

        rec.down()
        t0 = time.monotonic()
        during = []
        while time.monotonic() - t0 < OUTAGE_S:
            during += self.post_events(len(first) + len(during), 10)
            time.sleep(min(5, max(0, OUTAGE_S - (time.monotonic() - t0))))
        self.assertEqual(rec.count(), 20)
        stats = self.hook_stats()
        self.assertIsNotNone(stats[url]["failing_since"], stats)
        self.assertTrue(stats[url]["last_error"], stats)
        self.assertEqual(stats[url]["pending"], L.size() - first[-1] - 1, stats)
        self.assertEqual(stats[quiet]["pending"], 0, stats)
        self.assertIsNone(stats[quiet]["failing_since"], stats)
        self.assertIn("cmcc: hook %s fails at entry %d" % (url, first[-1] + 1), L.server.stderr())

        rec.up()
        every = first + during
        self.wait_for(lambda: rec.count() >= len(every), 30, "the entries logged meanwhile")
        time.sleep(1)  # nothing more comes
        self.check_deliveries(list(rec.got), every)
        stats = self.hook_stats()
        self.assertIsNone(stats[url]["failing_since"], stats)
        self.assertIsNone(stats[url]["last_error"], stats)
        self.assertEqual((stats[url]["delivered"], stats[url]["pending"]), (len(every), 0))
        self.assertEqual(stats[quiet]["delivered"], 0)
        self.assertIn("cmcc: hook %s delivers again" % url, L.server.stderr())

        # a restart carries on from the kept cursor
        status, out = L.stop()
        self.assertEqual(status, 0, out)
        L.start()
        more = self.post_events(1000, 3)
        self.wait_for(lambda: rec.count() >= len(every) + 3, 30, "the entries after a restart")
        time.sleep(1)
        self.check_deliveries(list(rec.got), every + more)

    def test_bad_hook_lines_refused_at_start(self):
        L = self.log
        cases = [
            ("hook = ftp://127.0.0.1/in * %s" % SECRET, "http:// or https://"),
            ("hook = not-a-url * %s" % SECRET, "is not a URL with a host"),
            ("hook = http://127.0.0.1:9/in place.nonesuch %s" % SECRET,
             "\"place.nonesuch\" is not an event type"),
            ("hook = http://127.0.0.1:9/in place.define,,org.admit %s" % SECRET, "joined by commas"),
            ("hook = http://127.0.0.1:9/in * short", "give it 16 or more"),
            ("hook = http://127.0.0.1:9/in *", "three words"),
            ("hook = http://127.0.0.1:9/in * %s\nhook = http://127.0.0.1:9/in * %s"
             % (SECRET, SECRET), "listed twice"),
            ("hook.backoff_max_s = 0", "from 1 to 86400"),
        ]
        conf = os.path.join(L.dir, "cmcc.conf")
        for text, sentence in cases:
            with self.subTest(text=text):
                ct.write_conf(conf, text + "\n")
                r = ct.run("serve", L.dir, "--listen", "127.0.0.1:0", timeout=20)
                self.assertNotEqual(r.returncode, 0, r.stdout)
                self.assertIn("cmcc.conf:", r.stderr)
                self.assertIn(sentence, r.stderr)


if __name__ == "__main__":
    unittest.main()
