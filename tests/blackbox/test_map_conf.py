#!/usr/bin/python3
"""The dashboard map's basemap in DIR/cmcc.conf (map.tiles, map.attribution),
given to the page by the public GET /v1/log as "map".

Unset: "map" is null (the page then draws only the outline it ships and
fetches nothing from elsewhere). Set: {"tiles": TEMPLATE, "attribution":
TEXT or null}, byte for byte as configured, UTF-8 included, without a
token. A bad value stops `cmcc serve` before it listens (exit 1), with the
file and line named and a sentence saying what is wanted: a template that
is not http(s), lacks {z}, {x} or {y}, holds another placeholder, a space,
a quote or an angle bracket, or is too long; an attribution with a control
character or invalid UTF-8, or empty, or too long; an attribution without
map.tiles.
"""
import os
import sys
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import cmcctest as ct  # noqa: E402

TILES = "https://tiles.example.org/{z}/{x}/{y}.png"


class MapSetting(unittest.TestCase):
    def setUp(self):
        self.log = ct.Log()
        self.conf = os.path.join(self.log.dir, "cmcc.conf")

    def tearDown(self):
        if self.log.server:
            status, _ = self.log.stop()
            self.assertEqual(status, 0)
            self.assertNotIn("runtime error", self.log_stderr())
            self.assertNotIn("Sanitizer", self.log_stderr())
        self.log.close()

    def log_stderr(self):
        with open(os.path.join(self.log.dir, "serve.stderr"), "rb") as f:
            return f.read().decode(errors="replace")

    def write(self, text):
        ct.write_conf(self.conf, text)

    def map_of_log(self):
        r = self.log.get("/v1/log", token=None)
        self.assertEqual(r.status, 200, r)
        self.assertIn("map", r.json)
        return r.json["map"]

    def refused(self, text, *says):
        self.write(text)
        r = ct.run("serve", self.log.dir, "--listen", "127.0.0.1:0", timeout=15)
        self.assertEqual(r.returncode, 1, "%r: %s" % (text, r.stdout + r.stderr))
        self.assertNotIn("serving", r.stdout)
        self.assertIn("cmcc.conf:", r.stderr)
        for s in says:
            self.assertIn(s, r.stderr, text)

    def test_unset_is_null(self):
        self.log.start()
        self.assertIsNone(self.map_of_log())

    def test_set_is_given_to_the_page_without_a_token(self):
        attribution = "Tiles © Example — خرائط"
        self.write("# the basemap\nmap.tiles = %s\nmap.attribution = %s\n" % (TILES, attribution))
        self.log.start()
        self.assertEqual(self.map_of_log(), {"tiles": TILES, "attribution": attribution})

    def test_tiles_alone_have_no_attribution(self):
        tiles = "http://{s}.tiles.example.org:8080/base/{z}/{x}/{y}{r}.png?style=plain&v=2"
        self.write("map.tiles = %s\n" % tiles)
        self.log.start()
        self.assertEqual(self.map_of_log(), {"tiles": tiles, "attribution": None})

    def test_bad_templates_stop_the_server(self):
        for bad in ("tiles.example.org/{z}/{x}/{y}.png", "ftp://tiles.example.org/{z}/{x}/{y}.png",
                    "https:///{z}/{x}/{y}.png", "https://tiles.example.org/{z}/{x}.png",
                    "https://tiles.example.org/{z}/{x}/{y}/{q}.png",
                    "https://tiles.example.org/{z}/{x}/{y}.png?a=\"b\"",
                    "https://tiles.example.org/{z}/{x}/{y} .png".replace(" .", " x."),
                    "https://tiles.example.org/<b>/{z}/{x}/{y}.png",
                    "https://tiles.example.org/{z}/{x}/{y}.png}",
                    "https://t.example.org/" + "a" * 380 + "/{z}/{x}/{y}.png", ""):
            self.refused("map.tiles = %s\n" % bad, "map.tiles must be an http:// or https:// URL template",
                         "{z}, {x} and {y}")

    def test_bad_attributions_stop_the_server(self):
        for bad in (b"map.attribution = \x01 tiles\n", b"map.attribution = \xff\xfe\n",
                    b"map.attribution = \xc0\xaf\n", b"map.attribution = \n",
                    b"map.attribution = " + b"a" * 300 + b"\n"):
            self.refused(b"map.tiles = " + TILES.encode() + b"\n" + bad,
                         "cmcc.conf:2:", "map.attribution must be 1 to 255 bytes of UTF-8")

    def test_attribution_without_tiles_stops_the_server(self):
        self.refused("map.attribution = Example\n", "map.attribution is set without map.tiles")

    def test_a_typo_in_the_key_stops_the_server(self):
        self.refused("map.tile = %s\n" % TILES, 'unknown setting "map.tile"')


if __name__ == "__main__":
    unittest.main()
