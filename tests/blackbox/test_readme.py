#!/usr/bin/python3
"""The README's walk-through, run as written, so that it cannot drift from
the code.

Every ```sh block of README.md is taken in order and run by one bash
(`set -e`: the first command that fails fails the test, and `-x` shows
which), from a temporary directory that holds a link `docs` to the
repository's docs/ (the walk-through reads docs/examples/), with `cmcc` on
the PATH (the binary under test) and CMCC_TOKEN and CMCC_CACERT unset, so
that every command must carry its own token and CA.

The text is changed in these places only, each for what must differ on a
test machine:

  /srv/cmcc               -> TMP/srv-cmcc     (the log directory)
  /backups                -> TMP/backups      (the backup directory)
  0.0.0.0:8443            -> 127.0.0.1:PORT   (a free port, on loopback)
  cmcc.example.org:8443   -> localhost:PORT   (the certificate the
                                               walk-through makes names
                                               localhost too)

and these blocks are handled as follows:

  - the first block (`make demo`, `make check`) is not run: `make demo`
    serves until stopped, and `make check` is what runs this test; the
    test checks that the block holds nothing else;
  - the block that is only `cmcc serve ...` ("in a terminal of its own") is
    run in the background; the script waits for its start line;
  - before the block holding `cmcc rebuild` ("with the server stopped"),
    the server is sent SIGTERM, as Ctrl-C would, and must exit 0.

Afterwards the test reads what the walk-through says it did: the server
started on a log of 1 entry, verify said OK, the reconciliation CSV has its
HXL row, the label was written, and, served again, the consignment c-0001
has the accounts the README describes (400 bags entered, 4 unaccounted for
by the crossing, 250 distributed; 100 kits approved of 120), the manifest's
consignments and the movement exist, and the crossing's token is revoked.
"""
import base64
import csv
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import cmcctest as ct  # noqa: E402

README = os.path.join(ct.REPO, "README.md")


def sh_blocks(text):
    """The ```sh blocks of a Markdown text, in order."""
    return re.findall(r"^```sh\n(.*?)^```$", text, flags=re.S | re.M)


def commands(block):
    """The commands of a block: lines joined at a trailing backslash,
    comments and blank lines left out."""
    out, cur = [], ""
    for line in block.splitlines():
        code = line.split(" #")[0].rstrip() if not line.lstrip().startswith("#") else ""
        if not cur and not code:
            continue
        cur += code
        if cur.endswith("\\"):
            cur = cur[:-1]
            continue
        out.append(" ".join(cur.split()))
        cur = ""
    return out


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


class Readme(unittest.TestCase):

    def setUp(self):
        self.tmp = tempfile.mkdtemp(prefix="cmcc-bb-readme-")
        if not os.environ.get("CMCC_KEEP"):
            self.addCleanup(shutil.rmtree, self.tmp, True)
        self.work = os.path.join(self.tmp, "work")
        os.makedirs(self.work)
        os.symlink(os.path.join(ct.REPO, "docs"), os.path.join(self.work, "docs"))
        self.bin = os.path.join(self.tmp, "bin")
        os.makedirs(self.bin)
        os.symlink(os.path.abspath(ct.CMCC_BIN), os.path.join(self.bin, "cmcc"))
        self.dir = os.path.join(self.tmp, "srv-cmcc")
        self.port = free_port()

    def substitute(self, block):
        for old, new in (("/srv/cmcc", self.dir),
                         ("/backups", os.path.join(self.tmp, "backups")),
                         ("0.0.0.0:8443", "127.0.0.1:%d" % self.port),
                         ("cmcc.example.org:8443", "localhost:%d" % self.port)):
            block = block.replace(old, new)
        return block

    def script(self, blocks):
        """The bash script of the blocks, as the docstring says."""
        out = ["set -ex", "trap '[ -z \"$SERVE_PID\" ] || kill $SERVE_PID 2>/dev/null' EXIT"]
        served = stopped = False
        for b in blocks:
            cmds = commands(b)
            if len(cmds) == 1 and cmds[0].startswith("cmcc serve "):
                out += ["%s > serve.out 2>&1 &" % self.substitute(b).rstrip(),
                        "SERVE_PID=$!",
                        "for i in $(seq 150); do grep -q '^cmcc: serving' serve.out && break; "
                        "sleep 0.1; done",
                        "grep '^cmcc: serving' serve.out"]
                served = True
                continue
            if any(c.startswith("cmcc rebuild") for c in cmds):
                self.assertTrue(served, "cmcc rebuild before cmcc serve")
                out += ["kill -TERM $SERVE_PID", "wait $SERVE_PID", "SERVE_PID="]
                stopped = True
            out.append(self.substitute(b))
        self.assertTrue(served and stopped, "the README no longer serves, then rebuilds")
        return "\n".join(out) + "\n"

    def test_walk_through(self):
        with open(README) as f:
            blocks = sh_blocks(f.read())
        self.assertGreaterEqual(len(blocks), 4)
        # the first block is `make demo` and `make check`, and only them
        self.assertEqual([c.split()[:2] for c in commands(blocks[0])],
                         [["make", "demo"], ["make", "check"]])
        script = self.script(blocks[1:])
        with open(os.path.join(self.tmp, "readme.sh"), "w") as f:
            f.write(script)
        env = {k: v for k, v in os.environ.items() if k not in ("CMCC_TOKEN", "CMCC_CACERT")}
        env["PATH"] = self.bin + ":/usr/bin:/bin"
        p = subprocess.Popen(["bash", os.path.join(self.tmp, "readme.sh")], cwd=self.work,
                             env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                             start_new_session=True)
        try:
            out, err = p.communicate(timeout=300)
        except subprocess.TimeoutExpired:
            os.killpg(p.pid, signal.SIGKILL)
            out, err = p.communicate()
            self.fail("the walk-through did not finish in 300 s:\n" + err[-4000:])
        self.assertEqual(p.returncode, 0, "a README command failed (last is the one):\n"
                         + err[-6000:] + "\nstdout:\n" + out[-2000:])
        self.check_outputs(out)
        self.check_state()

    def check_outputs(self, out):
        with open(os.path.join(self.work, "serve.out")) as f:
            served = f.read()
        self.assertIn("cmcc: serving cmcc.example.org/log (1 entry) at https://127.0.0.1:%d/"
                      % self.port, served)
        self.assertRegex(served, r"cmcc: stopped cleanly \(\d+ entries\)")
        self.assertEqual(len(re.findall(r"^cmcc verify: OK: ", out, flags=re.M)), 2, out)
        self.assertRegex(out, r"cmcc rebuild: the state was recomputed from \d+ entries")
        with open(os.path.join(self.work, "reconciliation.csv"), newline="") as f:
            rows = f.read().split("\r\n")
        self.assertEqual(rows[0], "table,name,figure,value", rows[:2])
        self.assertEqual(rows[1], "#meta+type,#meta+name,#indicator+code,#indicator+num",
                         rows[:2])
        with open(os.path.join(self.work, "c-0001.svg")) as f:
            self.assertIn("<svg", f.read())
        backups = os.listdir(os.path.join(self.tmp, "backups"))
        self.assertEqual(len(backups), 1)
        self.assertRegex(backups[0], r"^cmcc-\d{4}-\d\d-\d\d\.db$")

    def check_state(self):
        tokens = json.loads(ct.run("token", "list", self.dir).stdout)
        crossing = [t for t in tokens if t["org"] == "crossing-auth"]
        self.assertEqual(len(crossing), 1)
        self.assertIsNotNone(crossing[0]["revoked"])
        token = ct.run("token", "create", self.dir, "--org", "cmcc-cell").stdout.strip()
        s = ct.Server(self.dir)
        try:
            def get(path):
                r = ct.http_request(s.port, "GET", path,
                                    headers={"Authorization": "Bearer " + token})
                self.assertEqual(r.status, 200, r)
                return r.json
            c = get("/v1/consignments/c-0001")
            lines = {x["line"]: x for x in c["lines"]}
            self.assertEqual((lines[1]["declared"], lines[1]["approved"], lines[1]["entered"]),
                             (400, 400, 400))
            self.assertEqual(lines[1]["accounts"], {"held:relief-a": 146, "distributed": 250,
                                                    "unaccounted:crossing-auth": 4})
            self.assertEqual((lines[2]["declared"], lines[2]["approved"], lines[2]["entered"]),
                             (120, 100, 100))
            self.assertEqual(lines[2]["accounts"], {"held:relief-a": 40, "distributed": 60})
            for cid, n in (("c-0002", 2), ("c-0003", 2)):
                self.assertEqual(len(get("/v1/consignments/" + cid)["lines"]), n)
            orgs = {o["org"]: o for o in get("/v1/orgs")["orgs"]}
            self.assertEqual(orgs["relief-a"]["roles"], ["humanitarian"])
            self.assertEqual(orgs["crossing-auth"]["roles"], ["inspector"])
            self.assertEqual(get("/v1/movements/mv-12")["org"], "relief-a")
        finally:
            status, out = s.stop()
            self.assertEqual(status, 0, out)


class ManifestTags(unittest.TestCase):
    """The README's manifest import (docs/examples/manifest.csv) reads a
    column by its HXL tag when its heading is no column name, and takes for
    the consignee, the reference and the crossing the core tags the CSV
    exports use (#org+impl, #meta+code, #loc+name) as well as its own
    (#org+consignee, #meta+reference): the same consignments, signed into
    the same bytes, whichever a partner's file carries; a tag without the
    attribute (#org alone) names no consignee."""

    ROWS = [("c-10", "kerem-shalom", "1", "rice", "food", "800", "bag", "relief-b", "WFP",
             "RA-1", "2025-11-21T07:30:00Z"),
            ("c-10", "kerem-shalom", "2", "oil, cooking", "food", "300", "litre", "relief-b",
             "WFP", "RA-1", "2025-11-21T07:30:00Z"),
            ("c-11", "kissufim", "1", "tarpaulin", "shelter", "250", "unit", "relief-c",
             "UNHCR", "RA-2", "2025-11-21")]
    NAMES = ("consignment", "crossing", "line", "item", "category", "quantity", "unit",
             "consignee", "donor", "reference", "date")
    # headings a partner's file might have: none is a column name
    HEADINGS = ("Consignment no", "Border point", "Line no", "Goods", "Cluster", "Qty",
                "Pack", "Receiving partner", "Funded by", "Our ref", "Day")

    def setUp(self):
        self.tmp = tempfile.mkdtemp(prefix="cmcc-bb-manifest-")
        self.addCleanup(shutil.rmtree, self.tmp, True)
        self.key = os.path.join(self.tmp, "k.pem")
        self.assertEqual(ct.run("keygen", self.key).returncode, 0)

    def signed(self, name, header, tags=None, order=None):
        """The envelopes `cmcc import` writes for ROWS under these
        headings (and tag row), the columns in order."""
        order = order or range(len(header))
        lines = [[header[i] for i in order]] + ([[tags[i] for i in order]] if tags else [])
        lines += [[row[i] for i in order] for row in self.ROWS]
        path = os.path.join(self.tmp, name + ".csv")
        with open(path, "w", newline="") as f:
            csv.writer(f, lineterminator="\r\n").writerows(lines)
        out = os.path.join(self.tmp, name + ".ndjson")
        r = ct.run("import", path, "--key", self.key, "--org", "relief-a", "--out", out)
        self.assertEqual(r.returncode, 0, r.stderr)
        with open(out, "rb") as f:
            return f.read()

    def bodies(self, signed):
        return [json.loads(base64.b64decode(json.loads(l)["payload"]))["body"]
                for l in signed.splitlines()]

    def test_core_tags(self):
        plain = self.signed("plain", self.NAMES)
        bodies = self.bodies(plain)
        self.assertEqual([(b["consignment"], b["crossing"], b["consignee"], b["reference"])
                          for b in bodies],
                         [("c-10", "kerem-shalom", "relief-b", "RA-1"),
                          ("c-11", "kissufim", "relief-c", "RA-2")])
        self.assertEqual(bodies[0]["lines"][1]["item"], "oil, cooking")
        ours = ("#meta+id", "#loc+name+crossing", "#item+code", "#item+name", "#sector",
                "#output+num", "#meta+unit", "#org+consignee", "#org+funder",
                "#meta+reference", "#date")
        core = ("#meta+id", "#loc+name", "#item+code", "#item+name", "#sector", "#output+num",
                "#meta+unit", "#org+impl", "#org+funder", "#meta+code", "#date")
        shuffled = (9, 7, 0, 10, 1, 6, 2, 5, 8, 3, 4)
        self.assertEqual(self.signed("ours", self.HEADINGS, ours), plain)
        self.assertEqual(self.signed("core", self.HEADINGS, core), plain)
        self.assertEqual(self.signed("core-shuffled", self.HEADINGS, core, shuffled), plain)
        # spaces and case in a tag, as HXL allows
        spaced = tuple(t.replace("+", " +").upper() for t in core)
        self.assertEqual(self.signed("spaced", self.HEADINGS, spaced), plain)
        # #org alone is no consignee (nor the donor: #org+funder is)
        bare = tuple("#org" if t == "#org+impl" else t for t in core)
        for b in self.bodies(self.signed("bare", self.HEADINGS, bare)):
            self.assertNotIn("consignee", b)
            self.assertIn(b["reference"], ("RA-1", "RA-2"))
        # without the tag row, the headings name no column: refused, saying which
        path = os.path.join(self.tmp, "untagged.csv")
        with open(path, "w") as f:
            f.write(",".join(self.HEADINGS) + "\n" + ",".join(self.ROWS[0]).replace(
                "oil, cooking", "oil") + "\n")
        r = ct.run("import", path, "--key", self.key, "--org", "relief-a", "--out",
                   os.path.join(self.tmp, "untagged.ndjson"))
        self.assertNotEqual(r.returncode, 0)
        self.assertIn('the manifest has no "consignment" column (nor an HXL #meta+id column)',
                      r.stderr)


if __name__ == "__main__":
    unittest.main(verbosity=2)
