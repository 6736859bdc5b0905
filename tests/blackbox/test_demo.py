#!/usr/bin/env python3
"""`cmcc demo DIR --listen HOST:PORT` as a newcomer runs it (`make demo`):
the primary on PORT, a witness on PORT+1 and a mirror on PORT+2. The
checkpoint the dashboard shows carries both cosignatures (checked against
the keys in DIR/witness and DIR/mirror), the mirror answers reads with its
own token (DIR/mirror-token.txt) and refuses writes, `cmcc verify` against
the mirror passes with the figures the primary gives, and one SIGINT stops
all three processes cleanly."""

import calendar
import json
import os
import shutil
import signal
import socket
import sqlite3
import subprocess
import sys
import tempfile
import time
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import cmcctest as ct  # noqa: E402
from test_mirror import cosigned_by  # noqa: E402


def three_free_ports():
    """A port p with p+1 and p+2 free too, on 127.0.0.1."""
    for _ in range(50):
        s = socket.socket()
        s.bind(("127.0.0.1", 0))
        p = s.getsockname()[1]
        s.close()
        if p > 65000:
            continue
        ok = True
        for q in (p, p + 1, p + 2):
            t = socket.socket()
            try:
                t.bind(("127.0.0.1", q))
            except OSError:
                ok = False
            finally:
                t.close()
        if ok:
            return p
    raise RuntimeError("no three free ports in a row")


def event_times(db):
    """The time of every event of the log in db, as epoch seconds."""
    c = sqlite3.connect("file:%s?mode=ro" % db, uri=True)
    try:
        rows = c.execute("SELECT entry FROM entries").fetchall()
    finally:
        c.close()
    out = []
    for (entry,) in rows:
        payload = json.loads(ct.unb64(json.loads(entry)["envelope"]["payload"]))
        out.append(calendar.timegm(time.strptime(payload["time"][:19], "%Y-%m-%dT%H:%M:%S")))
    return out


def read(path):
    with open(path) as f:
        return f.read().strip()


class Demo(unittest.TestCase):

    def test_witness_and_mirror_beside_the_primary(self):
        tmp = tempfile.mkdtemp(prefix="cmcc-bb-demo-")
        self.addCleanup(shutil.rmtree, tmp, True)
        d = os.path.join(tmp, "demo")
        port = three_free_ports()
        out = open(os.path.join(tmp, "demo.out"), "w+")
        p = subprocess.Popen([ct.CMCC_BIN, "demo", d, "--listen", "127.0.0.1:%d" % port],
                             stdout=out, stderr=subprocess.STDOUT, cwd=tmp,
                             env=dict(os.environ, XDG_STATE_HOME=ct.STATE_HOME))

        def stop():
            if p.poll() is None:
                p.kill()
                p.wait()
        self.addCleanup(stop)

        def said():
            out.flush()
            with open(out.name) as f:
                return f.read()

        primary, witness, mirror = port, port + 1, port + 2
        deadline = time.time() + 150
        note = b""
        while time.time() < deadline:
            self.assertIsNone(p.poll(), said())
            if os.path.exists(os.path.join(d, "mirror-token.txt")):
                r = ct.http_request(primary, "GET", "/checkpoint")
                if r.status == 200 and r.body.count("\u2014 ".encode()) >= 3:
                    note = r.body
                    break
            time.sleep(0.5)
        text = said()
        self.assertIn("http://127.0.0.1:%d/add-checkpoint" % witness, text)
        self.assertIn("http://127.0.0.1:%d/" % mirror, text)
        wvkey = read(os.path.join(d, "witness", "witness.vkey"))
        mvkey = read(os.path.join(d, "mirror", "mirror.vkey"))
        self.assertTrue(cosigned_by(note, wvkey), (note, text))
        self.assertTrue(cosigned_by(note, mvkey), (note, text))

        # the mirror: reads with its own token, refuses writes, verifies alike
        token = read(os.path.join(d, "mirror-token.txt"))
        vkey = read(os.path.join(d, "log.vkey"))
        r = ct.http_request(mirror, "GET", "/v1/consignments",
                            headers={"Authorization": "Bearer " + token})
        self.assertEqual(r.status, 200, r.body)
        self.assertGreater(len(r.json["consignments"]), 0)
        r = ct.http_request(mirror, "POST", "/v1/events", b"{}",
                            headers={"Authorization": "Bearer " + token})
        self.assertEqual(r.status, 403, r.body)
        self.assertIn("read-only mirror", r.error["message"])
        v = ct.run("verify", "http://127.0.0.1:%d" % mirror, "--vkey", vkey, "--token", token,
                   "--state", os.path.join(tmp, "state"), timeout=300)
        self.assertEqual(v.returncode, 0, v.stdout + v.stderr)

        # one SIGINT stops the primary, the witness and the mirror
        p.send_signal(signal.SIGINT)
        self.assertEqual(p.wait(timeout=60), 0, said())
        self.assertIn("stopped cleanly", said())
        for q in (primary, witness, mirror):
            s = socket.socket()
            try:
                self.assertNotEqual(s.connect_ex(("127.0.0.1", q)), 0, "port %d still open" % q)
            finally:
                s.close()


class StoryClock(unittest.TestCase):
    """The story's last events are at 04:00 UTC of its fifteenth day, the
    latest such hour that has passed: the demo builds at any hour, those
    just before 04:00 UTC included (faketime sets the clock of the process,
    which judges each event's time against it)."""

    # libfaketime's preloaded clock hangs the start of an ASan build; the
    # plain stage runs this (the demo's clock, no memory at stake)
    @unittest.skipIf("ASAN_OPTIONS" in os.environ, "libfaketime does not run under ASan")
    def test_builds_at_any_hour(self):
        day = time.strftime("%Y-%m-%d", time.gmtime())
        env = dict(os.environ, TZ="UTC")  # the time below is UTC
        for hour in ("00:20:00", "03:58:00", "04:12:00", "23:50:00"):
            with self.subTest(hour=hour):
                tmp = tempfile.mkdtemp(prefix="cmcc-bb-demo-clock-")
                self.addCleanup(shutil.rmtree, tmp, True)
                d = os.path.join(tmp, "demo")
                now = calendar.timegm(time.strptime(day + " " + hour, "%Y-%m-%d %H:%M:%S"))
                r = subprocess.run(["faketime", "-f", "@%s %s" % (day, hour), ct.CMCC_BIN, "demo", d,
                                    "--build-only"], capture_output=True, text=True,
                                   timeout=300, env=env)
                self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
                last = max(event_times(os.path.join(d, "cmcc.db")))
                # no event after the clock, and the story's end within a day of it
                self.assertLessEqual(last, now)
                self.assertGreater(last, now - 26 * 3600)


if __name__ == "__main__":
    unittest.main(verbosity=2)
