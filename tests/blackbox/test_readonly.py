#!/usr/bin/python3
"""Reading a log directory that cannot be written (a mounted backup, a
CD): `cmcc verify DIR`, `cmcc report DIR` and `cmcc token list DIR` work on
a read-only copy of a cleanly stopped log (SQLite opens it immutable, with
no -shm file to make); on a copy whose WAL still holds commits they say so
and how to make a readable copy; `cmcc serve` refuses in one sentence
naming the fix.

The directory is made read-only by a read-only bind mount inside a user
and mount namespace (`unshare -rm`), since chmod does not stop root. The
test is skipped where namespaces are not allowed.
"""
import os
import shutil
import signal
import subprocess
import sys
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import cmcctest as ct  # noqa: E402


def read_only(directory, *commands):
    """Runs each `cmcc ARGS` with directory bind-mounted read-only over
    itself: [(exit status, stdout, stderr)], or None without namespaces."""
    script = "mount --bind -o ro \"$1\" \"$1\" || exit 99\nshift\n"
    for i, args in enumerate(commands):
        quoted = " ".join("'%s'" % a for a in [ct.CMCC_BIN] + list(args))
        script += ("%s >\"$OUT.%d\" 2>\"$ERR.%d\"; echo $? >\"$RC.%d\"\n"
                   % (quoted, i, i, i))
    tmp = ct.tempfile.mkdtemp(prefix="cmcc-ro-out-")
    env = dict(os.environ, OUT=tmp + "/out", ERR=tmp + "/err", RC=tmp + "/rc")
    try:
        p = subprocess.run(["unshare", "-rm", "sh", "-c", script, "sh", directory],
                           capture_output=True, text=True, timeout=120, env=env)
        if p.returncode == 99 or not os.path.exists(tmp + "/rc.0"):
            return None
        out = []
        for i in range(len(commands)):
            def rd(name):
                with open("%s/%s.%d" % (tmp, name, i)) as f:
                    return f.read()
            out.append((int(rd("rc")), rd("out"), rd("err")))
        return out
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


@ct.sqlite_only("a read-only copy of the directory holds the SQLite store and its WAL")
class ReadOnlyDirectory(unittest.TestCase):
    def setUp(self):
        if not shutil.which("unshare"):
            self.skipTest("no unshare")
        self.L = ct.Log()

    def tearDown(self):
        self.L.close()

    def fill(self):
        L = self.L
        L.start()
        org = ct.new_id("o")
        key = L.admit(org, ["humanitarian"])[0]
        L.define_place("kerem")
        L.ok(key, "consignment.declare", ct.declare_body("c1", "kerem", {1: 5}))
        size = L.size()
        return size

    def test_clean_copy_is_read(self):
        size = self.fill()
        status, _ = self.L.stop()
        self.assertEqual(status, 0)
        self.assertFalse(os.path.exists(self.L.db + "-wal") and
                         os.path.getsize(self.L.db + "-wal") > 0)
        before = {n: os.path.getsize(os.path.join(self.L.dir, n)) for n in os.listdir(self.L.dir)}
        got = read_only(self.L.dir, ["verify", self.L.dir], ["report", self.L.dir],
                        ["token", "list", self.L.dir], ["serve", self.L.dir, "--listen",
                                                       "127.0.0.1:0"])
        if got is None:
            self.skipTest("no user and mount namespaces here")
        (vrc, vout, verr), (rrc, rout, rerr), (trc, tout, terr), (src, sout, serr) = got
        self.assertEqual(vrc, 0, verr)
        self.assertIn("OK: %d entries" % size, vout + verr)
        self.assertEqual(rrc, 0, rerr)
        self.assertIn("By crossing", rout)
        self.assertIn("kerem", rout)
        self.assertEqual(trc, 0, terr)
        self.assertIn(self.L.token_id, tout)
        # serve refuses, in one sentence naming the fix
        self.assertNotEqual(src, 0)
        self.assertIn("cannot be written", serr)
        self.assertIn("writable copy", serr)
        self.assertEqual(len(serr.strip().splitlines()), 1, serr)
        # nothing was written: no file appeared or changed size
        after = {n: os.path.getsize(os.path.join(self.L.dir, n)) for n in os.listdir(self.L.dir)}
        self.assertEqual(before, after)

    def test_copy_with_commits_in_its_wal_says_so(self):
        self.fill()
        self.L.stop(sig=signal.SIGKILL)  # the WAL keeps the commits
        self.assertGreater(os.path.getsize(self.L.db + "-wal"), 0)
        os.remove(self.L.db + "-shm") if os.path.exists(self.L.db + "-shm") else None
        got = read_only(self.L.dir, ["verify", self.L.dir], ["report", self.L.dir])
        if got is None:
            self.skipTest("no user and mount namespaces here")
        for rc, out, err in got:
            self.assertNotEqual(rc, 0, out)
            self.assertIn("WAL", err)
            self.assertIn("copy the directory somewhere writable", err)
        # the same directory, writable, verifies
        r = ct.run("verify", self.L.dir)
        self.assertEqual(r.returncode, 0, r.stderr)


if __name__ == "__main__":
    unittest.main()
