#!/usr/bin/python3
"""A path holding a control byte is 400 bad_request (docs/protocol.md,
"Control bytes in a path"), never answered as if the bytes from it on were
absent: `%00` (which libmicrohttpd would otherwise cut the path at), the
other percent-encoded control bytes, and the raw bytes, a NUL included.
Each answer is the protocol's JSON, without `field`, and a POST so refused
appends nothing.
"""
import os
import sys
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import cmcctest as ct  # noqa: E402


def raw(port, method, target: bytes, body=b"", token=None):
    """One request with the target written byte for byte: (status, headers
    text, body)."""
    auth = b"Authorization: Bearer %s\r\n" % token.encode() if token else b""
    return ct.raw_exchange(port, method + b" " + target + b" HTTP/1.1\r\nHost: 127.0.0.1\r\n" +
                           auth + b"Connection: close\r\nContent-Length: %d\r\n\r\n" % len(body) +
                           body)


class ControlBytesInPath(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.L = ct.Log()
        cls.L.start()

    @classmethod
    def tearDownClass(cls):
        ct.stop_clean(cls.L)

    def assertRefused(self, status, head, body):
        self.assertEqual(status, 400, (head, body))
        self.assertIn("application/json", head)
        err = ct.json.loads(body)["error"]
        self.assertEqual(err["code"], "bad_request", err)
        self.assertNotIn("field", err)
        self.assertIn("control", err["message"])

    def test_percent_encoded(self):
        for path in ("/checkpoint%00x", "/v1/orgs%00", "/index.html%00.js", "/tile/0/000.p/1%00",
                     "/healthz%00", "/v1/log%0a", "/checkpoint%0D%0A", "/v1/stats%1f",
                     "/v1/stats%1F", "/v1/orgs%7f", "/v1/orgs%7F", "/lib/leaflet/leaflet.js%00",
                     "/%00", "/v1/entries/0%09", "/checkpoint%00?x=1"):
            with self.subTest(path=path):
                self.assertRefused(*raw(self.L.server.port, b"GET", path.encode()))

    def test_raw_bytes(self):
        for target in (b"/checkpoint\x00x", b"/v1/orgs\x00", b"/checkpoint\x01", b"/check\tpoint",
                       b"/v1/orgs\x7f", b"/lib/\x00../secret.txt", b"/checkpoint\x00HTTP/1.1"):
            with self.subTest(target=target):
                self.assertRefused(*raw(self.L.server.port, b"GET", target))

    def test_post_refused_appends_nothing(self):
        before = self.L.size()
        env = ct.signed(self.L.coord, ct.event(
            "place.define", {"place": "p1", "kind": "crossing", "name": "P", "lat": 31.2,
                             "lon": 34.3}, "cell"))
        for target in (b"/v1/events%00", b"/v1/events%00x", b"/v1/events\x00"):
            with self.subTest(target=target):
                self.assertRefused(*raw(self.L.server.port, b"POST", target, env, self.L.token))
        self.assertEqual(self.L.size(), before)
        # the same request at /v1/events is accepted: only the path was wrong
        status, head, body = raw(self.L.server.port, b"POST", b"/v1/events", env, self.L.token)
        self.assertEqual(status, 200, body)
        self.assertEqual(self.L.size(), before + 1)

    def test_not_refused(self):
        # %2500 is "%00" as text, a query's %00 is the parameter's to judge,
        # and the paths without the suffix still answer
        status, head, body = raw(self.L.server.port, b"GET", b"/checkpoint%2500")
        self.assertEqual(status, 404, body)
        self.assertEqual(ct.json.loads(body)["error"]["code"], "not_found")
        r = self.L.get("/v1/consignments?crossing=kerem%00shalom")
        self.assertEqual(r.status, 400, r)
        self.assertEqual(r.error["field"], "crossing")
        self.assertEqual(self.L.get("/checkpoint", token=None).status, 200)
        self.assertEqual(self.L.get("/v1/orgs").status, 200)
        self.assertEqual(self.L.get("/check%70oint", token=None).status, 200)


if __name__ == "__main__":
    unittest.main()
