#!/usr/bin/python3
"""What GET answers cost on the wire (src/server/wire.c, docs/protocol.md
"Conditional requests and gzip"):

  - a 200 GET answer that may be kept has a weak ETag naming its content,
    the same whether it is sent compressed or not, and a new one when the
    content changes;
  - If-None-Match with that tag (weak or not, alone or in a list, or "*")
    is answered 304 with no body; another tag gets the whole answer;
  - a textual answer of 1 KiB or more is gzip-compressed when
    Accept-Encoding accepts gzip, and decompresses to exactly the plain
    answer; Accept-Encoding that refuses gzip (q=0, identity only, nothing)
    gets it plain; both carry Vary: Accept-Encoding;
  - answers that may not be kept (no-store), errors and POST answers get no
    ETag and are never 304, whatever the request says.
"""
import gzip
import os
import re
import sys
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import cmcctest as ct  # noqa: E402

WEAK_TAG = re.compile(r'^W/"[0-9a-f]{32}"$')


class Wire(ct.LogTestCase):

    def get(self, path, **headers):
        return self.log.request("GET", path, headers=headers)

    def test_static_file_is_gzipped_when_accepted(self):
        plain = self.get("/app.css")
        self.assertEqual(plain.status, 200, plain)
        self.assertGreater(len(plain.body), 1024)
        self.assertNotIn("content-encoding", plain.headers)
        self.assertEqual(plain.headers.get("vary"), "Accept-Encoding")
        for ae in ("gzip", "gzip, deflate, br", "GZIP", "x-gzip", "deflate, gzip;q=0.5",
                   "*", "br;q=1, *;q=0.1"):
            with self.subTest(accept_encoding=ae):
                z = self.get("/app.css", **{"Accept-Encoding": ae})
                self.assertEqual(z.status, 200, z)
                self.assertEqual(z.headers.get("content-encoding"), "gzip")
                self.assertEqual(z.headers.get("vary"), "Accept-Encoding")
                self.assertLess(len(z.body), len(plain.body))
                self.assertEqual(gzip.decompress(z.body), plain.body)
                self.assertEqual(z.headers.get("etag"), plain.headers.get("etag"))
                self.assertEqual(z.headers.get("content-type"), plain.headers.get("content-type"))

    def test_gzip_refused_gives_the_plain_answer(self):
        plain = self.get("/js/app.js")
        self.assertEqual(plain.status, 200, plain)
        for ae in ("gzip;q=0", "identity", "gzip;q=0, *", "*;q=0", "deflate, br", "",
                   "gzipx", "gzip;q=0.000"):
            with self.subTest(accept_encoding=ae):
                r = self.get("/js/app.js", **{"Accept-Encoding": ae})
                self.assertEqual(r.status, 200, r)
                self.assertNotIn("content-encoding", r.headers)
                self.assertEqual(r.body, plain.body)
                self.assertEqual(r.headers.get("vary"), "Accept-Encoding")

    def test_small_answers_are_sent_plain(self):
        r = self.get("/favicon.svg", **{"Accept-Encoding": "gzip"})
        self.assertEqual(r.status, 200, r)
        self.assertLess(len(r.body), 1024)
        self.assertNotIn("content-encoding", r.headers)
        self.assertNotIn("vary", r.headers)
        self.assertTrue(WEAK_TAG.match(r.headers.get("etag", "")), r.headers)
        r = self.log.get("/v1/orgs")
        self.assertEqual(r.status, 200, r)
        self.assertLess(len(r.body), 1024)
        r = self.log.request("GET", "/v1/orgs", headers={"Accept-Encoding": "gzip"})
        self.assertNotIn("content-encoding", r.headers)
        self.assertTrue(WEAK_TAG.match(r.headers.get("etag", "")), r.headers)

    def test_if_none_match(self):
        first = self.get("/")
        tag = first.headers.get("etag", "")
        self.assertTrue(WEAK_TAG.match(tag), first.headers)
        strong = tag[2:]
        for inm in (tag, strong, '"nope", ' + tag, '*', ' %s , "x"' % strong):
            with self.subTest(if_none_match=inm):
                r = self.get("/", **{"If-None-Match": inm, "Accept-Encoding": "gzip"})
                self.assertEqual(r.status, 304, r)
                self.assertEqual(r.body, b"")
                self.assertEqual(r.headers.get("etag"), tag)
        for inm in ('"nope"', 'W/"0000"', tag[:-2] + '"', ""):
            with self.subTest(if_none_match=inm):
                r = self.get("/", **{"If-None-Match": inm})
                self.assertEqual(r.status, 200, r)
                self.assertEqual(r.body, first.body)

    def test_tag_follows_the_content(self):
        L = self.log
        before = L.get("/v1/places")
        self.assertEqual(before.status, 200, before)
        tag = before.headers["etag"]
        again = L.request("GET", "/v1/places", headers={"If-None-Match": tag})
        self.assertEqual(again.status, 304, again)
        L.define_place(ct.new_id("p"), kind="warehouse")
        after = L.request("GET", "/v1/places", headers={"If-None-Match": tag})
        self.assertEqual(after.status, 200, after)
        self.assertNotEqual(after.headers["etag"], tag)
        self.assertGreater(len(after.json["places"]), len(before.json["places"]))

    def test_no_tag_where_nothing_may_be_kept(self):
        L = self.log
        h = L.request("GET", "/healthz", token=None, headers={"If-None-Match": "*"})
        self.assertEqual(h.status, 200, h)
        self.assertEqual(h.headers.get("cache-control"), "no-store")
        self.assertNotIn("etag", h.headers)
        e = L.request("GET", "/no-such-file.js", headers={"If-None-Match": "*"})
        self.assertEqual(e.status, 404, e)
        self.assertNotIn("etag", e.headers)
        self.assertEqual(e.json["error"]["code"], "not_found")
        r, env = L.submit(L.coord, "place.define", {
            "place": ct.new_id("p"), "kind": "depot", "name": "D", "lat": 31.4, "lon": 34.4})
        self.assertEqual(r.status, 200, r)
        self.assertNotIn("etag", r.headers)
        again = L.request("POST", "/v1/events", env, content_type="application/json",
                          headers={"If-None-Match": "*", "Accept-Encoding": "gzip"})
        self.assertEqual(again.status, 200, again)
        self.assertTrue(again.json["duplicate"])
        self.assertNotIn("content-encoding", again.headers)


if __name__ == "__main__":
    ct.main()
