#!/usr/bin/python3
"""Cursor on Target out: GET /v1/cot, GET /v1/tak/package.zip and
`cmcc cot` (docs/protocol.md, "CoT and TAK").

  - Every event of /v1/cot and of the data package is read by an
    independent parser, @tak-ps/node-cot from the npm registry
    (tests/cot/check.mjs; pinned by tests/cot/package-lock.json and
    installed with `npm ci --prefix tests/cot` when tests/cot/node_modules
    is missing): each parses, its type and uid are as mapped, its
    positions equal the GeoJSON export's, a deletion names the uid it
    deletes, the package's manifest lists every file it holds. Here, with
    Python's own zipfile, the package's layout.
  - `cmcc cot` pushes to a TCP listener of this test, which drops the
    connection in the middle of the stream and accepts again: every uid,
    in its latest state, arrives; and again after `cmcc cot` restarts.
  - `cmcc cot` follows the live feed: with --every 60s a change reaches
    the listener within seconds, a batch is one read, and after
    `cmcc serve` restarts on its port the feed resumes and what was logged
    meanwhile arrives. Behind a proxy that answers GET /v1/feed 404, and
    without a token, it says once that it polls instead; polling delivers.
  - Bad inputs: a bad --to, an unreachable host, a server without a token.

Without node, npm or the package this test fails with the reason: it never
skips (scripts/install-deps.sh installs nodejs and npm), as test_geojson.py.
"""
import gzip
import io
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time
import xml.etree.ElementTree as ET
import zipfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import cmcctest as ct  # noqa: E402
from test_mirror import mirror  # noqa: E402

def ensure_parser():
    """node and the CoT parser, installed from the lockfile if missing."""
    return ct.node_package('cot', "@tak-ps/node-cot", 'the CoT answers')


def event_lines(doc: bytes):
    """The <event> lines of a /v1/cot document."""
    return [l for l in doc.decode().split("\n") if l.startswith("<event ")]


def uid_of(line):
    return ET.fromstring(line).get("uid")


class CotAnswers(ct.LogTestCase):
    """Sites, zones and movements of every state on one log, read by
    node-cot."""

    @classmethod
    def setUpClass(cls):
        cls.node = ensure_parser()
        super().setUpClass()
        L = cls.log
        hum = L.admit("hum", ["humanitarian"])[0]
        mil = L.admit("mil", ["military"])[0]
        L.admit("mil2", ["military"])
        L.ok(hum, "site.notify", ct.site_body("s-1", 31.55, 34.45, "hospital",
                                              "Al-Quds \"H\" <&> \u00e9\nward", 300))
        L.ok(hum, "site.notify", ct.site_body("s:2", -33.85, 18.45, "school",
                                              until=ct.hours(240)))
        cls.notified, cls.withdrawn = ct.hours(-5), ct.hours(-2)
        r, _ = L.submit(hum, "site.notify", ct.site_body("s-wd", 31.2, 34.2, "other"),
                        t=cls.notified)
        assert r.status == 200, r
        r, _ = L.submit(hum, "site.withdraw", {"site": "s-wd"}, t=cls.withdrawn)
        assert r.status == 200, r
        L.ok(mil, "zone.declare", ct.zone_body("z-ccw", ct.rect(31.5, 34.4, 31.6, 34.5)))
        L.ok(mil, "zone.declare", ct.zone_body(
            "z-cw", list(reversed(ct.rect(31.7, 34.4, 31.8, 34.5))), "restricted"))
        L.ok(mil, "zone.declare", ct.zone_body(
            "z-concave", [[33.0, 34.4], [33.0, 34.7], [33.3, 34.7], [33.3, 34.6], [33.1, 34.6],
                          [33.1, 34.5], [33.3, 34.5], [33.3, 34.4]], "hazard"))
        L.ok(mil, "zone.declare", ct.zone_body("z-lifted", ct.rect(30.0, 34.0, 30.1, 34.1)))
        L.ok(mil, "zone.lift", {"zone": "z-lifted"})
        routes = {"m-pend": [[31.45, 34.30], [31.55, 34.60]],
                  "m-denied": [[31.2, 34.2], [31.25, 34.25], [31.3, 34.2]],
                  "m-done": [[31.1, 34.1], [31.15, 34.15]],
                  "m-cancel": [[31.0, 34.0], [31.05, 34.05]]}
        for mid, route in routes.items():
            L.ok(hum, "movement.request", ct.movement_body(mid, route))
        L.ok(mil, "movement.respond", ct.respond_body("m-denied", "denied", reason="closed zone"))
        L.ok(mil, "movement.respond", ct.respond_body("m-pend", "conditional",
                                                      conditions="escort at the checkpoint"))
        L.ok(hum, "movement.report", ct.report_body("m-done", "completed"))
        L.ok(hum, "movement.report", ct.report_body("m-cancel", "cancelled"))

    def fetch(self, path):
        r = self.log.get(path)
        self.assertEqual(r.status, 200, r)
        return r

    def run_check(self, cot: bytes, package: bytes):
        """(exit status, stdout, stderr) of check.mjs on the answers given
        and the log's GeoJSON exports."""
        files = [("cot", cot), ("zip", package)]
        for kind in ("sites", "zones", "movements"):
            files.append((kind, self.fetch("/v1/%s.geojson" % kind).body))
        return ct.node_run(self.node, "cot", "check.mjs", [self.log.origin], files)

    def test_node_cot_reads_every_event_as_mapped(self):
        cot = self.fetch("/v1/cot")
        self.assertEqual(cot.headers.get("content-type"), "application/xml; charset=utf-8")
        package = self.fetch("/v1/tak/package.zip")
        self.assertEqual(package.headers.get("content-type"), "application/zip")
        status, out, err = self.run_check(cot.body, package.body)
        self.assertEqual(status, 0, "node-cot disagrees:\n%s%s" % (out, err))
        self.assertEqual(err, "", "node-cot warned")
        summary = ct.json.loads(out)
        # 2 sites + 1 withdrawn, 3 zones + 1 lifted, 3 movements + 1 cancelled
        self.assertEqual(summary, {"events": 11, "package": 11, "by_type": {
            "a-n-G": 2, "u-d-f": 3, "b-m-r": 3, "t-x-d-d": 3}})

    def test_the_checker_refuses_what_is_not_as_mapped(self):
        """check.mjs really compares: a moved point, a wrong type, a deletion
        naming another uid, an event left out, a broken event are each
        refused with a line naming it."""
        doc = self.fetch("/v1/cot").body.decode()
        package = self.fetch("/v1/tak/package.zip").body
        o = self.log.origin
        lines = doc.split("\n")
        site = next(l for l in lines if ('uid="%s/site/s-1"' % o) in l)
        cases = {
            "moved": doc.replace(site, site.replace('lat="31.55"', 'lat="31.56"')),
            "type": doc.replace(site, site.replace('type="a-n-G"', 'type="a-h-G"')),
            "target": doc.replace('<link uid="%s/zone/z-lifted"' % o,
                                  '<link uid="%s/zone/z-ccw"' % o),
            "missing": doc.replace(site + "\n", ""),
            "broken": doc.replace(site, site.replace("<point ", "<pont ")),
        }
        for name, text in cases.items():
            self.assertNotEqual(text, doc, name)
            status, out, _ = self.run_check(text.encode(), package)
            self.assertEqual(status, 1, (name, out))
            self.assertTrue(out.strip(), name)

    def test_events_are_one_a_line_with_stable_uids_and_remarks(self):
        doc = self.fetch("/v1/cot").body
        root = ET.fromstring(doc)  # the whole document is XML
        self.assertEqual(root.tag, "events")
        lines = event_lines(doc)
        self.assertEqual(len(lines), len(root))
        by_uid = {uid_of(l): ET.fromstring(l) for l in lines}
        o = self.log.origin
        s1 = by_uid["%s/site/s-1" % o]
        self.assertEqual(s1.find("detail/contact").get("callsign"),
                         "Al-Quds \"H\" <&> \u00e9\nward")
        remarks = s1.find("detail/remarks").text
        for part in ("hospital", "radius 300 m", "notified by hum", "protection"):
            self.assertIn(part, remarks)
        self.assertIn("%s/site/s:2" % o, by_uid)
        m = by_uid["%s/movement/m-pend" % o]
        mremarks = m.find("detail/remarks").text
        self.assertIn("status pending", mremarks)
        self.assertIn("mil conditional", mremarks)
        self.assertIn("escort at the checkpoint", mremarks)
        self.assertIn("waiting for mil2", mremarks)
        self.assertIn("status denied", by_uid["%s/movement/m-denied" % o]
                      .find("detail/remarks").text)
        self.assertIn("reported completed", by_uid["%s/movement/m-done" % o]
                      .find("detail/remarks").text)
        # the withdrawal's time is its event's, after the notification's
        wd = by_uid["%s/site/s-wd/deleted" % o]
        self.assertEqual(wd.get("type"), "t-x-d-d")
        self.assertEqual(ct.time_ms(wd.get("time")), ct.time_ms(self.withdrawn))
        self.assertEqual(ct.time_ms(wd.get("start")), ct.time_ms(self.withdrawn))
        self.assertIsNotNone(wd.find("detail/__forcedelete"))
        # the same picture twice: the same bytes (uids and times stable)
        self.assertEqual(self.fetch("/v1/cot").body, doc)
        # XML is textual: gzip when asked
        r = self.log.request("GET", "/v1/cot", headers={"Accept-Encoding": "gzip"})
        self.assertEqual(r.headers.get("content-encoding"), "gzip")
        self.assertEqual(gzip.decompress(r.body), doc)

    def test_package_layout(self):
        """With Python's zipfile: MANIFEST/manifest.xml lists each .cot file
        once with its event's uid, each file holds one event, and the
        package is the same bytes twice (an ETag that means something)."""
        body = self.fetch("/v1/tak/package.zip").body
        z = zipfile.ZipFile(io.BytesIO(body))
        self.assertIsNone(z.testzip())
        names = z.namelist()
        self.assertEqual(names[0], "MANIFEST/manifest.xml")
        manifest = ET.fromstring(z.read("MANIFEST/manifest.xml"))
        self.assertEqual(manifest.tag, "MissionPackageManifest")
        self.assertEqual(manifest.get("version"), "2")
        params = {p.get("name"): p.get("value") for p in manifest.find("Configuration")}
        self.assertEqual(params["uid"], self.log.origin + "/tak-package")
        listed = {c.get("zipEntry"): c.find("Parameter").get("value")
                  for c in manifest.find("Contents")}
        self.assertEqual(sorted(listed), sorted(names[1:]))
        served = set(uid_of(l) for l in event_lines(self.fetch("/v1/cot").body))
        for name, uid in listed.items():
            self.assertTrue(name.startswith("cot/") and name.endswith(".cot"), name)
            self.assertNotIn(":", name)
            ev = ET.fromstring(z.read(name))
            self.assertEqual(ev.tag, "event")
            self.assertEqual(ev.get("uid"), uid)
        self.assertEqual(set(listed.values()), served)
        again = self.fetch("/v1/tak/package.zip")
        self.assertEqual(again.body, body)
        r = self.log.request("GET", "/v1/tak/package.zip",
                             headers={"If-None-Match": again.headers.get("etag")})
        self.assertEqual(r.status, 304)

    def test_reads_need_a_token(self):
        for path in ("/v1/cot", "/v1/tak/package.zip"):
            r = self.log.get(path, token=False)
            self.assertError(r, 401, "unauthorized")
            self.assertIn("token", r.error["message"])
            r = self.log.get(path, token="cmcc_" + "A" * 43)
            self.assertError(r, 401, "unauthorized")
            r = self.log.request("POST", path, body="{}", content_type="application/json")
            self.assertEqual(r.status, 405, r)

    def test_an_empty_log(self):
        L = ct.Log()
        self.addCleanup(L.close)
        L.start()
        r = L.get("/v1/cot")
        self.assertEqual(r.status, 200, r)
        self.assertEqual(r.body, b'<?xml version="1.0" encoding="UTF-8"?>\n<events>\n</events>\n')
        z = zipfile.ZipFile(io.BytesIO(L.get("/v1/tak/package.zip").body))
        self.assertEqual(z.namelist(), ["MANIFEST/manifest.xml"])
        status, out = L.stop()
        ct.check_clean_exit(status, out, "")


class Listener:
    """A TCP listener standing in for a TAK Server's input: each connection's
    lines kept in order. With drop_first, the first connection is closed as
    soon as its first line has been read, in the middle of the stream, with
    what it has not read yet lost (the kernel resets it)."""

    def __init__(self, drop_first=False):
        self.drop_first = drop_first
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(4)
        self.port = self.sock.getsockname()[1]
        self.conns = []  # [[lines]]
        self.lock = threading.Lock()
        self.stopped = False
        self.thread = threading.Thread(target=self._run, daemon=True)
        self.thread.start()

    def _run(self):
        while not self.stopped:
            try:
                c, _ = self.sock.accept()
            except OSError:
                return
            lines, buf = [], b""
            with self.lock:
                self.conns.append(lines)
            while True:
                try:
                    data = c.recv(4096)
                except OSError:
                    break
                if not data:
                    break
                buf += data
                while b"\n" in buf:
                    line, buf = buf.split(b"\n", 1)
                    with self.lock:
                        lines.append(line.decode())
                if self.drop_first and len(self.conns) == 1 and lines:
                    break
            c.close()

    def lines(self, conn=None):
        with self.lock:
            if conn is None:
                return [l for ls in self.conns for l in ls]
            return list(self.conns[conn]) if conn < len(self.conns) else []

    def close(self):
        self.stopped = True
        self.sock.close()


class CotCommand(ct.LogTestCase):
    """Running `cmcc cot` and waiting for what it sends."""

    def start_cot(self, to, *extra, every="100ms", url=None, token=True):
        errlog = tempfile.NamedTemporaryFile(prefix="cmcc-cot-", suffix=".stderr", delete=False)
        self.addCleanup(os.unlink, errlog.name)
        env = dict(os.environ)
        env.pop("CMCC_TOKEN", None)
        if token:
            env["CMCC_TOKEN"] = self.log.token if token is True else token
        p = subprocess.Popen([ct.CMCC_BIN, "cot", url or self.log.url, "--to", to, "--every", every]
                             + list(extra), stdout=subprocess.DEVNULL, stderr=errlog, env=env)
        self.addCleanup(lambda: p.poll() is None and (p.kill(), p.wait()))
        return p, errlog.name

    def wait_for(self, what, cond, timeout=20):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if cond():
                return
            time.sleep(0.05)
        self.fail("timed out waiting for " + what)

    def stderr_of(self, errfile):
        with open(errfile) as f:
            return f.read()

    def current(self):
        r = self.log.get("/v1/cot")
        self.assertEqual(r.status, 200, r)
        return event_lines(r.body)


class CotPush(CotCommand):
    """`cmcc cot URL --to tcp://...` against a listener that drops it."""

    def test_nothing_is_lost_across_a_dropped_connection_and_a_restart(self):
        L = self.log
        hum = L.admit("hum", ["humanitarian"])[0]
        mil = L.admit("mil", ["military"])[0]
        for i in range(20):
            L.ok(hum, "site.notify", ct.site_body("s-%d" % i, 31.0 + i / 100, 34.3))
        L.ok(mil, "zone.declare", ct.zone_body("z-1", ct.rect(31.5, 34.4, 31.6, 34.5)))
        lis = Listener(drop_first=True)
        self.addCleanup(lis.close)
        p, errfile = self.start_cot("tcp://127.0.0.1:%d" % lis.port)
        # the first connection is dropped after its first read, the rest of
        # the burst of 21 events unread: lost on that connection
        self.wait_for("the first event", lambda: len(lis.lines(0)) >= 1)
        # changes while the link is down and after it is back
        L.ok(hum, "site.withdraw", {"site": "s-3"})
        L.ok(hum, "movement.request", ct.movement_body("m-1", [[31.3, 34.3], [31.4, 34.35]]))
        L.ok(hum, "movement.request", ct.movement_body("m-2", [[31.1, 34.3], [31.2, 34.35]]))
        self.wait_for("a second connection", lambda: len(lis.conns) >= 2)
        L.ok(mil, "movement.respond", ct.respond_body("m-1", "acknowledged"))
        L.ok(hum, "movement.report", ct.report_body("m-2", "cancelled"))
        L.ok(mil, "zone.lift", {"zone": "z-1"})
        self.assertLess(len(lis.lines(0)), 21, "the first connection was not dropped mid-stream")
        want = self.current()
        self.assertEqual(len(want), 23)  # 19 sites, 1 withdrawn; the zone lifted; 2 movements
        self.wait_for("every event in its latest state",
                      lambda: set(want) <= set(lis.lines()), timeout=30)
        for line in lis.lines():  # each message is one whole event
            self.assertEqual(ET.fromstring(line).tag, "event", line)
        uids = set(uid_of(l) for l in lis.lines())
        o = L.origin
        for u in ("site/s-3/deleted", "movement/m-1", "movement/m-2/deleted", "zone/z-1/deleted"):
            self.assertIn("%s/%s" % (o, u), uids)
        with open(errfile) as f:
            err = f.read()
        self.assertIn("connected to tcp://127.0.0.1:%d" % lis.port, err)
        self.assertIn("opening it again", err)
        # stopped and started again: the whole picture again, on a new connection
        p.kill()
        p.wait()
        n = len(lis.conns)
        L.ok(hum, "site.notify", ct.site_body("s-late", 31.9, 34.3))
        self.start_cot("tcp://127.0.0.1:%d" % lis.port)
        want = self.current()
        self.wait_for("the whole picture after a restart",
                      lambda: set(want) <= set(lis.lines(n)), timeout=30)

    def test_once_sends_the_picture_and_exits(self):
        L = self.log
        hum = L.admit("hum-once", ["humanitarian"])[0]
        L.ok(hum, "site.notify", ct.site_body("s-once", 31.4, 34.4))
        lis = Listener()
        self.addCleanup(lis.close)
        r = ct.run("cot", L.url, "--to", "tcp://127.0.0.1:%d" % lis.port, "--once",
                   "--token", L.token)
        self.assertEqual(r.returncode, 0, r.stderr)
        want = self.current()
        self.wait_for("the picture", lambda: set(want) <= set(lis.lines()))

    def test_udp_sends_one_event_a_datagram(self):
        L = self.log
        hum = L.admit("hum-udp", ["humanitarian"])[0]
        L.ok(hum, "site.notify", ct.site_body("s-udp", 31.4, 34.4))
        s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.addCleanup(s.close)
        s.bind(("127.0.0.1", 0))
        s.settimeout(10)
        r = ct.run("cot", L.url, "--to", "udp://127.0.0.1:%d" % s.getsockname()[1], "--once",
                   "--token", L.token)
        self.assertEqual(r.returncode, 0, r.stderr)
        want = self.current()
        got = [s.recv(65536).decode() for _ in want]
        self.assertEqual(sorted(got), sorted(want))

    def test_bad_inputs(self):
        url = self.log.url
        for to in ("http://127.0.0.1:8087", "tcp://127.0.0.1", "tcp://:8087",
                   "udp://239.2.3.1:0", "tcp://127.0.0.1:70000", "tcp://127.0.0.1:80x"):
            r = ct.run("cot", url, "--to", to, "--token", self.log.token)
            self.assertEqual(r.returncode, 2, (to, r.stderr))
            self.assertIn("--to must be tcp://HOST:PORT", r.stderr, to)
            self.assertIn('not "%s"' % to, r.stderr)
        r = ct.run("cot", url, "--token", self.log.token)
        self.assertEqual(r.returncode, 2)
        self.assertIn("say where to send the events", r.stderr)
        r = ct.run("cot", "ftp://x", "--to", "tcp://127.0.0.1:8087")
        self.assertEqual(r.returncode, 2)
        self.assertIn("not an http:// or https:// URL", r.stderr)
        r = ct.run("cot", url, "--to", "tcp://127.0.0.1:8087", "--every", "soon")
        self.assertEqual(r.returncode, 2)
        self.assertIn("--every must be a duration", r.stderr)
        # unreachable: a closed port, an unknown host
        closed = socket.socket()
        closed.bind(("127.0.0.1", 0))
        port = closed.getsockname()[1]
        closed.close()
        r = ct.run("cot", url, "--to", "tcp://127.0.0.1:%d" % port, "--once",
                   "--token", self.log.token)
        self.assertEqual(r.returncode, 1, r.stderr)
        self.assertIn("cannot connect to tcp://127.0.0.1:%d" % port, r.stderr)
        r = ct.run("cot", url, "--to", "tcp://no-such-host.invalid:8087", "--once",
                   "--token", self.log.token)
        self.assertEqual(r.returncode, 1, r.stderr)
        self.assertIn('cannot find host "no-such-host.invalid"', r.stderr)
        # without --once it keeps trying, saying when
        p, errfile = self.start_cot("tcp://127.0.0.1:%d" % port)
        def said_retry():
            with open(errfile) as f:
                return "trying again in 2 s" in f.read()
        self.wait_for("a retry", said_retry, timeout=15)
        p.kill()
        p.wait()
        # the server without a token: the server's sentence
        lis = Listener()
        self.addCleanup(lis.close)
        r = ct.run("cot", url, "--to", "tcp://127.0.0.1:%d" % lis.port, "--once")
        self.assertEqual(r.returncode, 1, r.stderr)
        self.assertIn("401", r.stderr)
        self.assertIn("token", r.stderr)
        # an unreachable server
        r = ct.run("cot", "http://127.0.0.1:%d" % port, "--to",
                   "tcp://127.0.0.1:%d" % lis.port, "--once")
        self.assertEqual(r.returncode, 1, r.stderr)
        self.assertIn("cannot read the log's size", r.stderr)


class RefusingProxy:
    """An HTTP proxy in front of a cmcc server that answers GET /v1/feed
    404 as a server older than the feed would, and passes every other GET
    on: the feed refused, the rest of the server as it is."""

    def __init__(self, port):
        import http.server

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_GET(h):
                if h.path.split("?")[0] == "/v1/feed":
                    body = ct.compact({"error": {"code": "not_found",
                                                 "message": "no such path: /v1/feed"}})
                    status, ctype = 404, "application/json"
                else:
                    headers = {k: v for k, v in h.headers.items()
                               if k.lower() in ("authorization", "accept")}
                    r = ct.http_request(port, "GET", h.path, headers=headers)
                    status, body = r.status, r.body
                    ctype = r.headers.get("content-type", "application/octet-stream")
                h.send_response(status)
                h.send_header("Content-Type", ctype)
                h.send_header("Content-Length", str(len(body)))
                h.end_headers()
                h.wfile.write(body)

            def log_message(h, *args):
                pass

        self.httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = "http://127.0.0.1:%d" % self.httpd.server_address[1]
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()

    def close(self):
        self.httpd.shutdown()
        self.httpd.server_close()


class CotFeed(CotCommand):
    """`cmcc cot` follows GET /v1/feed: with --every 60s, only the feed can
    bring a change within seconds; it resumes after the server restarts;
    where the feed is refused it polls the log's size instead."""

    def uids(self, lis):
        return set(uid_of(l) for l in lis.lines())

    def test_a_change_arrives_by_the_feed_and_after_a_restart(self):
        L = self.log
        hum = L.admit("hum-feed", ["humanitarian"])[0]
        mil = L.admit("mil-feed", ["military"])[0]
        L.ok(hum, "site.notify", ct.site_body("s-first", 31.4, 34.4))
        lis = Listener()
        self.addCleanup(lis.close)
        p, errfile = self.start_cot("tcp://127.0.0.1:%d" % lis.port, every="60s")
        o = L.origin
        self.wait_for("the picture", lambda: "%s/site/s-first" % o in self.uids(lis))
        self.wait_for("the feed followed",
                      lambda: "following the live feed of %s\n" % L.url in
                      self.stderr_of(errfile), timeout=10)
        # entries that do not change the picture are read past
        L.define_place("feed-depot", kind="warehouse")
        n = len(lis.lines())
        t0 = time.monotonic()
        L.ok(hum, "site.notify", ct.site_body("s-new", 31.45, 34.4))
        self.wait_for("the new site", lambda: "%s/site/s-new" % o in self.uids(lis), timeout=10)
        self.assertLess(time.monotonic() - t0, 10)
        # a burst is one read: a movement requested and answered in one
        # batch is sent once, answered
        n = len(lis.lines())
        r = L.batch([
            ct.signed(hum, ct.event("movement.request", ct.movement_body(
                "m-feed", [[31.3, 34.3], [31.4, 34.35]]), "hum-feed")),
            ct.signed(mil, ct.event("movement.respond", ct.respond_body(
                "m-feed", "acknowledged"), "mil-feed"))])
        self.assertEqual(r.status, 200, r)
        want = self.current()
        self.wait_for("the movement's answer", lambda: set(want) <= set(lis.lines()),
                      timeout=10)
        time.sleep(0.5)
        sent = [uid_of(l) for l in lis.lines()[n:]]
        self.assertEqual(sent, ["%s/movement/m-feed" % o], sent)
        # the server stops and starts again on the same port: the feed
        # resumes after the last entry it saw and brings what was logged
        # before it reconnected
        port = L.server.port
        status, _ = L.stop()
        self.assertEqual(status, 0)
        L.start("--listen", "127.0.0.1:%d" % port)
        t0 = time.monotonic()
        L.ok(mil, "zone.declare", ct.zone_body("z-feed", ct.rect(31.5, 34.4, 31.6, 34.5)))
        L.ok(hum, "site.withdraw", {"site": "s-first"})
        want = self.current()
        self.wait_for("what was logged meanwhile", lambda: set(want) <= set(lis.lines()),
                      timeout=20)
        self.assertLess(time.monotonic() - t0, 20)
        self.assertIn("%s/site/s-first/deleted" % o, self.uids(lis))
        err = self.stderr_of(errfile)
        self.assertRegex(err, r"following the live feed of %s again, after entry \d+" % L.url)
        self.assertIn("following it again in 1 s", err)
        self.assertNotIn("looking for new entries", err)
        self.assertEqual(len(lis.conns), 1, "the TAK link was not to be opened again")
        self.assertIsNone(p.poll())

    def test_a_refused_feed_falls_back_to_polling(self):
        L = self.log
        hum = L.admit("hum-poll", ["humanitarian"])[0]
        L.ok(hum, "site.notify", ct.site_body("s-poll", 31.4, 34.4))
        proxy = RefusingProxy(L.server.port)
        self.addCleanup(proxy.close)
        lis = Listener()
        self.addCleanup(lis.close)
        p, errfile = self.start_cot("tcp://127.0.0.1:%d" % lis.port, every="200ms",
                                    url=proxy.url)
        o = L.origin
        self.wait_for("the picture", lambda: "%s/site/s-poll" % o in self.uids(lis))
        said = "looking for new entries every 200ms instead (GET /v1/log)"
        self.wait_for("the fallback said", lambda: said in self.stderr_of(errfile), timeout=10)
        for i in range(3):
            L.ok(hum, "site.notify", ct.site_body("s-poll-%d" % i, 31.5, 34.4))
            self.wait_for("a site by polling",
                          lambda: "%s/site/s-poll-%d" % (o, i) in self.uids(lis), timeout=10)
        err = self.stderr_of(errfile)
        self.assertEqual(err.count(said), 1, err)
        self.assertIn("/v1/feed answered 404: no such path", err)
        self.assertNotIn("following the live feed", err)
        self.assertIsNone(p.poll())

    def test_a_mirror_has_no_feed_and_is_polled(self):
        # `cmcc serve --mirror` answers GET /v1/feed 503 (the feed is the
        # log's own server's): cot polls the mirror, and what the mirror
        # copies afterwards arrives
        L = self.log
        hum = L.admit("hum-mirror", ["humanitarian"])[0]
        L.ok(hum, "site.notify", ct.site_body("s-m0", 31.4, 34.4))
        m = tempfile.mkdtemp(prefix="cmcc-cot-mirror-")
        self.addCleanup(shutil.rmtree, m, True)

        def copy():
            L.wait_checkpoint(L.size())
            r = mirror(L.url, os.path.join(m, "m"), vkey=L.vkey_text, token=L.token)
            self.assertEqual(r.returncode, 0, r.stderr)

        copy()
        tok = ct.run("token", "create", os.path.join(m, "m"), "--org", L.org).stdout.strip()
        srv = ct.Server(os.path.join(m, "m"), ["--mirror"])
        self.addCleanup(srv.stop)
        lis = Listener()
        self.addCleanup(lis.close)
        p, errfile = self.start_cot("tcp://127.0.0.1:%d" % lis.port, every="200ms",
                                    url="http://127.0.0.1:%d" % srv.port, token=tok)
        o = L.origin
        self.wait_for("the picture", lambda: "%s/site/s-m0" % o in self.uids(lis))
        said = "looking for new entries every 200ms instead (GET /v1/log)"
        self.wait_for("the fallback said", lambda: said in self.stderr_of(errfile), timeout=10)
        L.ok(hum, "site.notify", ct.site_body("s-m1", 31.5, 34.4))
        copy()
        self.wait_for("a site the mirror copied",
                      lambda: "%s/site/s-m1" % o in self.uids(lis), timeout=10)
        err = self.stderr_of(errfile)
        self.assertEqual(err.count(said), 1, err)
        self.assertIn("/v1/feed answered 503", err)
        self.assertIn("no live feed (a mirror)", err)
        self.assertNotIn("following the live feed", err)
        self.assertIsNone(p.poll())

    def test_no_token_the_feed_refused_once_and_each_read_said(self):
        lis = Listener()
        self.addCleanup(lis.close)
        p, errfile = self.start_cot("tcp://127.0.0.1:%d" % lis.port, every="100ms", token=False)
        said = "looking for new entries every 100ms instead"
        self.wait_for("the fallback said", lambda: said in self.stderr_of(errfile), timeout=10)
        self.wait_for("reads refused again",
                      lambda: self.stderr_of(errfile).count("GET /v1/cot answered 401") >= 3)
        err = self.stderr_of(errfile)
        self.assertEqual(err.count(said), 1, err)
        self.assertIn("/v1/feed answered 401", err)
        self.assertEqual(lis.lines(), [])


if __name__ == "__main__":
    import unittest
    unittest.main()
