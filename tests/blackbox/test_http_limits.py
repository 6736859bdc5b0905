#!/usr/bin/python3
"""A request's head over the server's limits (docs/protocol.md, "A
request's head") is refused in the protocol's JSON: a target over 8,192
bytes 414 too_large, more than 100 header fields or more than 16,384 bytes
of them 431 too_large; a POST so refused appends nothing. The requests the
HTTP library refuses itself ("Errors libmicrohttpd answers itself") get the
status documented there, and the server keeps serving after each.
"""
import os
import sys
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import cmcctest as ct  # noqa: E402


def raw(port, data):
    """Sends data on a fresh connection: (status, head text, body bytes)."""
    return ct.raw_exchange(port, data)


def get(target=b"/healthz", headers=b""):
    return (b"GET " + target + b" HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n" +
            headers + b"\r\n")


class HeadLimits(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.L = ct.Log()
        cls.L.start()

    @classmethod
    def tearDownClass(cls):
        ct.stop_clean(cls.L)

    def assertJsonError(self, got, status, code):
        st, head, body = got
        self.assertEqual(st, status, (head, body[:200]))
        self.assertIn("application/json", head)
        err = ct.json.loads(body)["error"]
        self.assertEqual(err["code"], code, err)
        self.assertNotIn("field", err)
        self.assertTrue(err["message"])

    def test_long_target(self):
        self.assertJsonError(raw(self.L.server.port, get(b"/healthz?" + b"a" * 9000)), 414,
                             "too_large")
        st, _, _ = raw(self.L.server.port, get(b"/healthz?" + b"a" * 8000))
        self.assertEqual(st, 200)

    def test_many_headers(self):
        many = b"".join(b"X-%d: v\r\n" % i for i in range(101))
        self.assertJsonError(raw(self.L.server.port, get(headers=many)), 431, "too_large")
        some = b"".join(b"X-%d: v\r\n" % i for i in range(90))
        self.assertEqual(raw(self.L.server.port, get(headers=some))[0], 200)

    def test_long_header(self):
        self.assertJsonError(raw(self.L.server.port, get(headers=b"X-A: " + b"a" * 20000 +
                                                     b"\r\n")), 431, "too_large")
        self.assertEqual(raw(self.L.server.port, get(headers=b"X-A: " + b"a" * 15000 +
                                                     b"\r\n"))[0], 200)

    def test_post_refused_appends_nothing(self):
        before = self.L.size()
        env = ct.signed(self.L.coord, ct.event(
            "place.define", {"place": "p1", "kind": "crossing", "name": "P", "lat": 31.2,
                             "lon": 34.3}, "cell"))
        many = b"".join(b"X-%d: v\r\n" % i for i in range(101))
        req = (b"POST /v1/events HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n"
               b"Authorization: Bearer " + self.L.token.encode() + b"\r\n"
               b"Content-Type: application/json\r\nContent-Length: %d\r\n" % len(env))
        self.assertJsonError(raw(self.L.server.port, req + many + b"\r\n" + env), 431,
                             "too_large")
        self.assertEqual(self.L.size(), before)
        st, _, body = raw(self.L.server.port, req + b"\r\n" + env)
        self.assertEqual(st, 200, body)
        self.assertEqual(self.L.size(), before + 1)

    def test_library_answers_itself(self):
        port = self.L.server.port
        post = b"POST /v1/events HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n"
        cases = [
            (get(headers=b"X-A: " + b"a" * 100000 + b"\r\n"), 431),
            (get(headers=b"".join(b"X-%d: v\r\n" % i for i in range(2000))), 431),
            (get(b"/healthz?" + b"a" * 1000000), 414),
            (post + b"Content-Length: -5\r\n\r\n", 400),
            (post + b"Transfer-Encoding: chunked\r\n\r\nzz\r\n", 400),
            (post + b"Transfer-Encoding: chunked\r\n\r\nffffffffffffffffff\r\n", 413),
            (b"GET /healthz\r\n\r\n", 400),
        ]
        before = self.L.size()
        for data, status in cases:
            with self.subTest(request=data[:60], status=status):
                self.assertEqual(raw(port, data)[0], status)
                self.assertEqual(self.L.get("/healthz", token=None).status, 200)
        self.assertEqual(self.L.size(), before)


if __name__ == "__main__":
    unittest.main()
