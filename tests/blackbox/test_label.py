#!/usr/bin/python3
"""`cmcc label ID (DIR | --server URL)` (src/cli/cmd_label.c, docs/protocol.md
"Consignment labels"):

  - the label is SVG that parses as XML, 100 x 50 mm, naming the
    consignment, its crossing, the org that declared it and its number of
    lines;
  - its QR code, drawn as a PNG by rsvg-convert (librsvg) and read by
    zbarimg (zbar), tools that share nothing with cmcc, says exactly `cmcc:consignment:<id>`, for a short id and for the longest one
    (64 characters, with ':');
  - the code has a quiet zone of 4 modules and as many modules as its
    version says (17 + 4v);
  - the label is the same read from the log directory or from the server,
    and --out writes it to a file;
  - refused: an unknown consignment (1, from the directory or a 404 from
    the server, with a sentence), a malformed id, missing or extra
    arguments (2), no token for the server (1, 401).
"""
import os
import re
import shutil
import subprocess
import sys
import tempfile
import unittest
import xml.etree.ElementTree as ET

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import cmcctest as ct  # noqa: E402

SVG = "{http://www.w3.org/2000/svg}"
LONG_ID = "lot:2026:" + "a" * 55  # 64 characters, the most an id may have


def decode_qr(svg: bytes, workdir) -> str:
    """The text of the QR code in svg, read by zbarimg from a PNG that
    rsvg-convert draws."""
    for tool, pkg in (("rsvg-convert", "librsvg2-bin"), ("zbarimg", "zbar-tools")):
        if not shutil.which(tool):
            raise AssertionError("%s is missing: install the Debian package %s "
                                 "(scripts/install-deps.sh)" % (tool, pkg))
    src, png = os.path.join(workdir, "label.svg"), os.path.join(workdir, "label.png")
    with open(src, "wb") as f:
        f.write(svg)
    subprocess.run(["rsvg-convert", "--width", "1000", "--background-color", "white",
                    "-o", png, src], check=True, capture_output=True)
    r = subprocess.run(["zbarimg", "--quiet", "--raw", "-Sdisable", "-Sqrcode.enable", png],
                       capture_output=True)
    if r.returncode != 0:
        raise AssertionError("zbarimg found no QR code (%d): %s" % (r.returncode, r.stderr))
    return r.stdout.decode("utf-8").rstrip("\n")


class Label(ct.LogTestCase):

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        L = cls.log
        cls.tmp = tempfile.mkdtemp(prefix="cmcc-label-")
        cls.addClassCleanup(shutil.rmtree, cls.tmp, True)
        cls.hum = L.admit("relief-a", ["humanitarian"])[0]
        L.define_place("kerem-shalom", "crossing")
        L.ok(cls.hum, "consignment.declare",
             ct.declare_body("c-lab-1", "kerem-shalom", {1: 100, 2: 40, 3: 7}), org="relief-a")
        L.ok(cls.hum, "consignment.declare", ct.declare_body(LONG_ID, "kerem-shalom", {1: 5}),
             org="relief-a")

    def label(self, *args, env=None):
        return subprocess.run([ct.CMCC_BIN, "label"] + [str(a) for a in args],
                              capture_output=True, timeout=60,
                              env=dict(os.environ, **(env or {})))

    def from_dir(self, cid, *args):
        return self.label(cid, self.log.dir, *args)

    def from_server(self, cid, *args, token=True):
        extra = ("--token", self.log.token) if token else ()
        return self.label(cid, "--server", self.log.url, *extra, *args, env={"CMCC_TOKEN": ""})

    def check_label(self, svg: bytes, cid, lines):
        root = ET.fromstring(svg)
        self.assertEqual(root.tag, SVG + "svg")
        self.assertEqual((root.get("width"), root.get("height")), ("100mm", "50mm"))
        self.assertEqual(root.get("role"), "img")
        self.assertIn(cid, root.get("aria-label"))
        texts = ["".join(t.itertext()) for t in root.iter(SVG + "text")]
        for want in (cid, "kerem-shalom", "relief-a", str(lines), "cmcc:consignment:" + cid):
            self.assertIn(want, texts, svg[:2000])
        code = root.find(SVG + "svg")
        n, v = int(code.get("data-modules")), int(code.get("data-version"))
        self.assertEqual(n, 17 + 4 * v)
        self.assertEqual(code.get("viewBox"), "0 0 %d %d" % (n + 8, n + 8))
        # every dark module lies inside the grid, none in the quiet zone
        path = code.find(SVG + "path").get("d")
        runs = re.findall(r"M(\d+) (\d+)h(\d+)v1h-(\d+)z", path)
        self.assertEqual("".join("M%s %sh%sv1h-%sz" % r for r in runs), path)
        for x, y, w, _ in runs:
            self.assertTrue(4 <= int(x) and int(x) + int(w) <= n + 4 and 4 <= int(y) < n + 4)
        self.assertEqual(decode_qr(svg, self.tmp), "cmcc:consignment:" + cid)

    def test_label_from_the_log_directory(self):
        r = self.from_dir("c-lab-1")
        self.assertEqual(r.returncode, 0, r.stderr)
        self.check_label(r.stdout, "c-lab-1", 3)

    def test_label_from_the_server_is_the_same(self):
        here = self.from_dir("c-lab-1")
        r = self.from_server("c-lab-1")
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertEqual(r.stdout, here.stdout)

    def test_longest_id(self):
        r = self.from_server(LONG_ID)
        self.assertEqual(r.returncode, 0, r.stderr)
        self.check_label(r.stdout, LONG_ID, 1)

    def test_out_file(self):
        out = os.path.join(self.tmp, "c-lab-1.svg")
        r = self.from_dir("c-lab-1", "--out", out)
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertEqual(r.stdout, b"")
        with open(out, "rb") as f:
            self.assertEqual(f.read(), self.from_dir("c-lab-1").stdout)
        r = self.from_dir("c-lab-1", "--out", os.path.join(self.tmp, "no", "such", "dir.svg"))
        self.assertEqual(r.returncode, 1)
        self.assertIn(b"cannot write", r.stderr)

    def test_unknown_consignment(self):
        r = self.from_dir("c-nope")
        self.assertEqual(r.returncode, 1, r.stderr)
        self.assertEqual(r.stdout, b"")
        self.assertIn(b'no consignment "c-nope" was declared', r.stderr)
        r = self.from_server("c-nope")
        self.assertEqual(r.returncode, 1, r.stderr)
        self.assertEqual(r.stdout, b"")
        self.assertIn(b"404", r.stderr)
        self.assertIn(b'no consignment "c-nope" was declared', r.stderr)

    def test_no_token(self):
        r = self.from_server("c-lab-1", token=False)
        self.assertEqual(r.returncode, 1, r.stderr)
        self.assertIn(b"401", r.stderr)
        self.assertEqual(r.stdout, b"")

    def test_bad_usage(self):
        d = self.log.dir
        for args in ((), ("c-lab-1",), ("c-lab-1", d, d), ("c-lab-1", d, "--server", self.log.url),
                     ("--server", self.log.url), ("c-lab-1", d, "--colour"),
                     ("a/b", d), ("../c-lab-1", d), ("-x", d), ("x" * 65, d), ("", d)):
            with self.subTest(args=args):
                r = self.label(*args)
                self.assertEqual(r.returncode, 2, r.stderr)
                self.assertEqual(r.stdout, b"")
                self.assertTrue(r.stderr)
        self.assertIn(b"is not a consignment id", self.label("a/b", d).stderr)

    def test_help(self):
        r = self.label("--help")
        self.assertEqual(r.returncode, 0)
        self.assertIn(b"cmcc:consignment:ID", r.stdout)
        r = ct.run("--help")
        self.assertIn("label", r.stdout)


if __name__ == "__main__":
    ct.main()
