#!/usr/bin/python3
"""The files anyone may read (src/server/h_public.c, docs/protocol.md
"Static files and browser libraries"):

  - GET /lib/<name>/<file> serves a browser library from where Debian's
    package installs it (/usr/share/javascript/<name>/, or `serve --lib
    DIR`): the file's exact bytes, its media type, Cache-Control: no-cache
    and an ETag like any static file; the package's symlinks are followed;
  - only the libraries on the list are served (qrcode-generator, leaflet):
    another name is 404 JSON, even when its directory exists;
  - a library file that is missing is 404 JSON naming the Debian package
    to install;
  - `..`, `%2e%2e`, `%2f`, `%00`, a hidden file, a directory: 404 (or 400)
    JSON, never the bytes of a file outside the directory; a raw NUL ends
    the path as libmicrohttpd reads it, so nothing after it is reached;
  - a web app manifest is application/manifest+json; a service worker
    script (/sw.js) is JavaScript with Cache-Control: no-cache, so that the
    browser revalidates it.
"""
import os
import re
import shutil
import sys
import tempfile
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import cmcctest as ct  # noqa: E402

DEBIAN_QRCODE = "/usr/share/javascript/qrcode-generator/qrcode.js"
JS = "text/javascript; charset=utf-8"
WEAK_TAG = re.compile(r'^W/"[0-9a-f]{32}"$')
SECRET = b"secret outside every served directory\n"
SW = b"self.addEventListener('fetch', () => {});\n"
MANIFEST = b'{"name":"CMCC","start_url":"/","display":"standalone"}\n'


def raw_get(port, target: bytes):
    """GET target written as given (any byte) on a fresh connection:
    (status, body)."""
    status, _, body = ct.raw_exchange(
        port, b"GET " + target + b" HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n")
    return status, body


class DebianLibrary(ct.LogTestCase):
    """The default --lib: what Debian's node-qrcode-generator installed."""

    def test_qrcode_generator_is_served_from_debian(self):
        self.assertTrue(os.path.exists(DEBIAN_QRCODE),
                        "install the Debian package node-qrcode-generator (scripts/install-deps.sh)")
        with open(DEBIAN_QRCODE, "rb") as f:
            want = f.read()
        r = self.log.request("GET", "/lib/qrcode-generator/qrcode.js", token=False)
        self.assertEqual(r.status, 200, r)
        self.assertEqual(r.body, want)
        self.assertEqual(r.headers.get("content-type"), JS)
        self.assertEqual(r.headers.get("cache-control"), "no-cache")
        self.assertTrue(WEAK_TAG.match(r.headers.get("etag", "")), r.headers)
        again = self.log.request("GET", "/lib/qrcode-generator/qrcode.js", token=False,
                                 headers={"If-None-Match": r.headers["etag"]})
        self.assertEqual(again.status, 304)
        self.assertEqual(again.body, b"")
        head = self.log.request("HEAD", "/lib/qrcode-generator/qrcode.js", token=False)
        self.assertEqual(head.status, 200, head)
        self.assertEqual(head.headers.get("content-type"), JS)


class Static(ct.LogTestCase):
    """A server whose --web and --lib are directories made here."""

    @classmethod
    def setUpClass(cls):
        cls.tmp = tempfile.mkdtemp(prefix="cmcc-static-")
        cls.addClassCleanup(shutil.rmtree, cls.tmp, True)
        web = os.path.join(cls.tmp, "web")
        lib = os.path.join(cls.tmp, "lib")
        os.makedirs(os.path.join(web, "js"))
        for name, data in (("index.html", b"<!doctype html><title>t</title>\n"),
                           ("sw.js", SW), ("app.webmanifest", MANIFEST),
                           (".hidden", SECRET), ("js/a.js", b"export const a = 1;\n")):
            with open(os.path.join(web, name), "wb") as f:
                f.write(data)
        with open(os.path.join(cls.tmp, "secret.txt"), "wb") as f:
            f.write(SECRET)
        # a library laid out as Debian does: its file a symlink into another tree
        os.makedirs(os.path.join(cls.tmp, "nodejs", "qrcode-generator"))
        cls.lib_js = b"var qrcode = function () { return 'stand-in'; }();\n"
        with open(os.path.join(cls.tmp, "nodejs", "qrcode-generator", "qrcode.js"), "wb") as f:
            f.write(cls.lib_js)
        os.makedirs(os.path.join(lib, "qrcode-generator", "sub"))
        os.symlink("../../nodejs/qrcode-generator/qrcode.js",
                   os.path.join(lib, "qrcode-generator", "qrcode.js"))
        with open(os.path.join(lib, "qrcode-generator", "sub", "x.css"), "wb") as f:
            f.write(b"p{}\n")
        # on disk, but not a library the server serves
        os.makedirs(os.path.join(lib, "jquery"))
        with open(os.path.join(lib, "jquery", "jquery.js"), "wb") as f:
            f.write(SECRET)
        # leaflet: not installed at all
        cls.log = ct.Log()
        cls.addClassCleanup(cls.log.close)
        cls.log.start("--web", web, "--lib", lib)

    def get(self, path, **headers):
        return self.log.request("GET", path, token=False, headers=headers)

    def assertNothing(self, r, *words):
        self.assertIn(r.status, (400, 404), r)
        self.assertEqual(r.headers.get("content-type"), "application/json; charset=utf-8", r)
        self.assertIn(r.error["code"], ("bad_request", "not_found"), r)
        self.assertNotIn(SECRET.strip(), r.body)
        for w in words:
            self.assertIn(w, r.error["message"], r)

    def test_library_file_through_its_symlink(self):
        r = self.get("/lib/qrcode-generator/qrcode.js")
        self.assertEqual(r.status, 200, r)
        self.assertEqual(r.body, self.lib_js)
        self.assertEqual(r.headers.get("content-type"), JS)
        self.assertEqual(r.headers.get("cache-control"), "no-cache")
        self.assertTrue(WEAK_TAG.match(r.headers.get("etag", "")), r.headers)
        r = self.get("/lib/qrcode-generator/sub/x.css")
        self.assertEqual(r.status, 200, r)
        self.assertEqual(r.headers.get("content-type"), "text/css; charset=utf-8")

    def test_library_not_on_the_list(self):
        for path in ("/lib/jquery/jquery.js", "/lib/qrcode/qrcode.js", "/lib/QRCODE-GENERATOR/qrcode.js",
                     "/lib/qrcode-generatorx/qrcode.js", "/lib/", "/lib/x"):
            with self.subTest(path=path):
                self.assertNothing(self.get(path))
        self.assertNothing(self.get("/lib/jquery/jquery.js"), "qrcode-generator", "leaflet")

    def test_missing_library_names_its_debian_package(self):
        r = self.get("/lib/leaflet/leaflet.js")
        self.assertEqual(r.status, 404, r)
        self.assertNothing(r, "libjs-leaflet", "apt-get install libjs-leaflet")
        r = self.get("/lib/qrcode-generator/qrcode.min.js")
        self.assertEqual(r.status, 404, r)
        self.assertNothing(r, "node-qrcode-generator", "qrcode.min.js")

    def test_no_way_out(self):
        for path in ("/lib/qrcode-generator/../secret.txt",
                     "/lib/qrcode-generator/../../secret.txt",
                     "/lib/qrcode-generator/%2e%2e/%2e%2e/secret.txt",
                     "/lib/qrcode-generator/%2E%2E/%2E%2E/secret.txt",
                     "/lib/qrcode-generator/..%2f..%2fsecret.txt",
                     "/lib/%2e%2e/secret.txt",
                     "/lib/../secret.txt",
                     "/lib/qrcode-generator/%2f" + os.path.join(self.tmp, "secret.txt").lstrip("/"),
                     "/lib/qrcode-generator//qrcode.js",
                     "/lib/qrcode-generator/qrcode.js%00.css",
                     "/lib/qrcode-generator/%00/../../secret.txt",
                     "/lib/qrcode-generator/",
                     "/lib/qrcode-generator",
                     "/lib/qrcode-generator/sub",
                     "/lib/qrcode-generator/sub/",
                     "/lib/qrcode-generator/.hidden",
                     "/../secret.txt",
                     "/%2e%2e/secret.txt",
                     "/js/%2e%2e/%2e%2e/secret.txt",
                     "/.hidden",
                     "/js",
                     "/js/",
                     "/sw.js%00.png"):
            with self.subTest(path=path):
                self.assertNothing(self.get(path))

    def test_raw_nul_ends_the_path(self):
        for target in (b"/lib/qrcode-generator/\x00../../secret.txt", b"/lib/\x00../secret.txt",
                       b"/\x00../secret.txt", b"/lib/qrcode-generator/qrcode.js\x00/../../../secret.txt"):
            with self.subTest(target=target):
                status, body = raw_get(self.log.server.port, target)
                self.assertNotIn(SECRET.strip(), body)
                before = target.split(b"\x00")[0].decode()
                if status == 200:  # the file the path names before the NUL, nothing else
                    self.assertEqual(body, self.get(before).body)
                else:
                    self.assertIn(status, (400, 404))
        status, _ = raw_get(self.log.server.port, b"/lib/\x00../secret.txt")
        self.assertEqual(status, 400)  # a control byte in the path: test_url_control

    def test_query_nul_is_not_cut_short(self):
        # %00 in a query stays as written: no identifier holds it
        r = self.log.get("/v1/consignments?crossing=kerem%00shalom")
        self.assertError(r, 400, "bad_request", "crossing")

    def test_web_app_manifest(self):
        r = self.get("/app.webmanifest")
        self.assertEqual(r.status, 200, r)
        self.assertEqual(r.body, MANIFEST)
        self.assertEqual(r.headers.get("content-type"), "application/manifest+json")

    def test_service_worker_revalidates(self):
        r = self.get("/sw.js")
        self.assertEqual(r.status, 200, r)
        self.assertEqual(r.body, SW)
        self.assertEqual(r.headers.get("content-type"), JS)
        self.assertEqual(r.headers.get("cache-control"), "no-cache")
        tag = r.headers.get("etag", "")
        self.assertTrue(WEAK_TAG.match(tag), r.headers)
        again = self.get("/sw.js", **{"If-None-Match": tag})
        self.assertEqual(again.status, 304)


if __name__ == "__main__":
    ct.main()
