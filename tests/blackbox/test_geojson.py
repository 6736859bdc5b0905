#!/usr/bin/python3
"""The GeoJSON exports (GET /v1/sites.geojson, /v1/zones.geojson,
/v1/movements.geojson) against RFC 7946, checked twice:

  - by an independent validator, @placemarkio/check-geojson from the npm
    registry, run by node on each export (tests/geojson/validate.mjs; the
    package is pinned by tests/geojson/package-lock.json and installed with
    `npm ci --prefix tests/geojson` when tests/geojson/node_modules is
    missing);
  - here, for what that validator leaves out: positions are [lon, lat] (the
    reverse of the events' [lat, lon]) and equal to what was declared,
    polygon rings are closed and turn counter-clockwise (the right-hand
    rule) whatever order the zone was given in, a concave zone keeps its
    shape, each Feature's id is the thing's id, the properties are the
    thing as the list shows it less its geometry.

Without node, npm or the package this test fails with the reason: it never
skips (scripts/install-deps.sh installs nodejs and npm).
"""
import json
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import cmcctest as ct  # noqa: E402

def ensure_validator():
    """node and the GeoJSON validator, installed from the lockfile if missing."""
    return ct.node_package('geojson', "@placemarkio/check-geojson", 'the GeoJSON exports')


def validate(node, data: bytes, name):
    """(exit status, messages) of validate.mjs on data."""
    status, out, err = ct.node_run(node, "geojson", "validate.mjs",
                                   files=[(name + ".geojson", data)])
    return status, (out + err).strip()


def cyclic_equal(a, b):
    """Whether ring b (open, no closing position) is ring a rotated."""
    if len(a) != len(b):
        return False
    return any(a[i:] + a[:i] == b for i in range(len(a)))


class GeoJSONExports(ct.LogTestCase):
    """Sites, zones and movements of every shape on one log."""

    ZONES = {
        # id: (kind, polygon as declared, [lat, lon])
        "z-ccw": ("closed", ct.rect(31.50, 34.40, 31.60, 34.50)),
        "z-cw": ("restricted", list(reversed(ct.rect(31.70, 34.40, 31.80, 34.50)))),
        "z-cw-closed": ("hazard", [[32.0, 34.4], [32.0, 34.5], [31.9, 34.5], [31.9, 34.4],
                                   [32.0, 34.4]]),
        "z-ccw-closed": ("closed", ct.rect(32.1, 34.4, 32.2, 34.5) + [[32.1, 34.4]]),
        "z-concave": ("closed", [[33.00, 34.40], [33.00, 34.70], [33.30, 34.70],
                                 [33.30, 34.60], [33.10, 34.60], [33.10, 34.50],
                                 [33.30, 34.50], [33.30, 34.40]]),
        "z-concave-cw": ("closed", list(reversed([[34.00, 34.40], [34.00, 34.70],
                                                  [34.30, 34.70], [34.30, 34.60],
                                                  [34.10, 34.60], [34.10, 34.50],
                                                  [34.30, 34.50], [34.30, 34.40]]))),
        "z-triangle": ("closed", [[-33.9, 18.4], [-33.8, 18.6], [-33.7, 18.3]]),
        "z-west": ("restricted", ct.rect(40.0, -74.1, 40.1, -73.9)),
        "z-many": ("closed", ct.circle(35.0, 36.0, 0.3, 500)),
        "z-lifted": ("closed", ct.rect(30.0, 34.0, 30.1, 34.1)),
    }

    @classmethod
    def setUpClass(cls):
        cls.node = ensure_validator()
        super().setUpClass()
        L = cls.log
        hum = L.admit("hum", ["humanitarian"])[0]
        mil = L.admit("mil", ["military"])[0]
        L.admit("mil2", ["military"])
        L.define_place("wh1", "warehouse")
        cls.sites = {
            "s-1": ct.site_body("s-1", 31.55, 34.45, "hospital", "Al-Quds \"H\" \u00e9", 300),
            "s-2": ct.site_body("s-2", -33.85, 18.45, "school", until=ct.hours(24 * 10)),
            "s-3": ct.site_body("s-3", 0.0, -0.0001, "water_point"),
            "s-wd": ct.site_body("s-wd", 89.9, 179.9, "other"),
        }
        for b in cls.sites.values():
            L.ok(hum, "site.notify", b)
        L.ok(hum, "site.withdraw", {"site": "s-wd"})
        for zid, (kind, poly) in cls.ZONES.items():
            L.ok(mil, "zone.declare", ct.zone_body(zid, poly, kind))
        L.ok(mil, "zone.lift", {"zone": "z-lifted"})
        cls.routes = {
            "m-1": [[31.45, 34.30], [31.55, 34.60]],
            "m-2": [[31.2, 34.2], [31.25, 34.25], [31.3, 34.2], [31.2, 34.2]],
            "m-3": [[-33.95, 18.35], [-33.6, 18.7]],
            "m-4": [[10.0, -179.9], [10.1, 179.9]],
        }
        for mid, route in cls.routes.items():
            L.ok(hum, "movement.request", ct.movement_body(mid, route, from_place="wh1"))
        L.ok(mil, "movement.respond", ct.respond_body("m-1", "denied", reason="closed zone"))
        L.ok(hum, "movement.report", ct.report_body("m-3", "cancelled"))

    def export(self, kind):
        r = self.log.get("/v1/%s.geojson" % kind)
        self.assertEqual(r.status, 200, r)
        self.assertEqual(r.headers.get("content-type"), "application/geo+json", r.headers)
        return r

    def check_valid(self, kind, body):
        status, messages = validate(self.node, body, kind)
        self.assertEqual(status, 0, "%s.geojson is not valid GeoJSON:\n%s" % (kind, messages))

    def check_collection(self, kind, key):
        """The export is a FeatureCollection of one Feature per thing of the
        list, in the same order, each with the thing's id, its properties
        the thing as listed less its geometry."""
        doc = json.loads(self.export(kind).body)
        self.assertEqual(sorted(doc), ["features", "type"])
        self.assertEqual(doc["type"], "FeatureCollection")
        listed = self.log.things(kind)
        self.assertEqual([f["id"] for f in doc["features"]], [t[key] for t in listed])
        geometry_key = {"sites": None, "zones": "polygon", "movements": "route"}[kind]
        for f, t in zip(doc["features"], listed):
            self.assertEqual(sorted(f), ["geometry", "id", "properties", "type"], f)
            self.assertEqual(f["type"], "Feature")
            self.assertIsInstance(f["id"], str)
            want = dict(t)
            if geometry_key:
                del want[geometry_key]
            self.assertEqual(f["properties"], want)
        return doc["features"], listed

    # -- the independent validator

    def test_validator_runs_and_rejects_invalid_geojson(self):
        """validate.mjs really checks: an open ring, a position of one
        number and a bad type are each refused; a good document passes."""
        good = {"type": "FeatureCollection", "features": [
            {"type": "Feature", "id": "a", "properties": {},
             "geometry": {"type": "Polygon",
                          "coordinates": [[[0, 0], [1, 0], [1, 1], [0, 0]]]}}]}
        self.assertEqual(validate(self.node, ct.compact(good), "good")[0], 0)
        bad_ring = json.loads(json.dumps(good))
        bad_ring["features"][0]["geometry"]["coordinates"][0].pop()
        bad_pos = json.loads(json.dumps(good))
        bad_pos["features"][0]["geometry"] = {"type": "Point", "coordinates": [1]}
        bad_type = json.loads(json.dumps(good))
        bad_type["features"][0]["geometry"]["type"] = "Polygone"
        for name, doc in (("open-ring", bad_ring), ("short-position", bad_pos),
                          ("bad-type", bad_type)):
            status, messages = validate(self.node, ct.compact(doc), name)
            self.assertEqual(status, 1, (name, messages))
            self.assertTrue(messages, name)
        self.assertEqual(validate(self.node, b"{not json", "broken")[0], 1)

    def test_exports_pass_the_validator(self):
        for kind in ("sites", "zones", "movements"):
            self.check_valid(kind, self.export(kind).body)

    def test_empty_exports_pass_the_validator(self):
        L = ct.Log()
        self.addCleanup(L.close)
        L.start()
        for kind in ("sites", "zones", "movements"):
            r = L.get("/v1/%s.geojson" % kind)
            self.assertEqual(r.status, 200, r)
            self.assertEqual(r.json, {"type": "FeatureCollection", "features": []})
            self.check_valid(kind, r.body)
        status, out = L.stop()
        ct.check_clean_exit(status, out, "")

    # -- what the validator leaves out

    def test_sites_are_points_lon_lat(self):
        features, listed = self.check_collection("sites", "site")
        self.assertEqual([f["id"] for f in features], list(self.sites))
        for f in features:
            b = self.sites[f["id"]]
            self.assertEqual(f["geometry"], {"type": "Point", "coordinates": [b["lon"], b["lat"]]})
        self.assertEqual(features[0]["properties"]["name"], "Al-Quds \"H\" \u00e9")
        self.assertEqual(features[-1]["properties"]["status"], "withdrawn")

    def test_zones_are_closed_counter_clockwise_rings(self):
        features, listed = self.check_collection("zones", "zone")
        self.assertEqual([f["id"] for f in features], list(self.ZONES))
        for f in features:
            zid = f["id"]
            declared = self.ZONES[zid][1]
            g = f["geometry"]
            self.assertEqual(g["type"], "Polygon", zid)
            self.assertEqual(len(g["coordinates"]), 1, "one exterior ring, no holes: %s" % zid)
            ring = g["coordinates"][0]
            for p in ring:
                self.assertEqual(len(p), 2, zid)
                self.assertTrue(-180 <= p[0] <= 180 and -90 <= p[1] <= 90, (zid, p))
            self.assertEqual(ring[0], ring[-1], "ring not closed: %s" % zid)
            self.assertGreater(ct.ring_area2(ring), 0, "ring turns clockwise: %s %r"
                               % (zid, ring))
            # the same vertices as declared, [lat, lon] -> [lon, lat], in the
            # declared order or its reverse, each once
            open_decl = declared[:-1] if declared[0] == declared[-1] else declared
            want = [[p[1], p[0]] for p in open_decl]
            got = ring[:-1]
            self.assertEqual(len(got), len(want), zid)
            self.assertTrue(cyclic_equal(want, got) or cyclic_equal(want[::-1], got),
                            "%s: %r is not the declared ring %r" % (zid, got, want))
            # counter-clockwise input is kept in its order, clockwise reversed
            ccw_input = ct.ring_area2([[p[1], p[0]] for p in open_decl]) > 0
            self.assertTrue(cyclic_equal(want if ccw_input else want[::-1], got), zid)
        props = {f["id"]: f["properties"] for f in features}
        self.assertEqual(props["z-lifted"]["status"], "lifted")
        self.assertNotIn("polygon", props["z-ccw"])

    def test_concave_zone_keeps_its_shape(self):
        """The U keeps its notch: every declared vertex in order, including
        the two reflex ones, and the same area as declared."""
        features, _ = self.check_collection("zones", "zone")
        for zid in ("z-concave", "z-concave-cw"):
            ring = [f for f in features if f["id"] == zid][0]["geometry"]["coordinates"][0]
            declared = [[p[1], p[0]] for p in self.ZONES[zid][1]]
            self.assertAlmostEqual(abs(ct.ring_area2(ring)), abs(ct.ring_area2(declared)))
            self.assertAlmostEqual(ct.ring_area2(ring) / 2, 0.3 * 0.3 - 0.1 * 0.2)

    def test_movements_are_linestrings_lon_lat(self):
        features, listed = self.check_collection("movements", "movement")
        self.assertEqual([f["id"] for f in features], list(self.routes))
        for f in features:
            self.assertEqual(f["geometry"], {"type": "LineString",
                                             "coordinates": [[p[1], p[0]]
                                                             for p in self.routes[f["id"]]]})
        props = {f["id"]: f["properties"] for f in features}
        self.assertEqual(props["m-1"]["status"], "denied")
        self.assertEqual(props["m-3"]["outcome"], "cancelled")
        self.assertNotIn("route", props["m-1"])
        self.assertEqual([w["kind"] for w in props["m-1"]["warnings"]], ["zone"])

    def test_exports_need_a_token(self):
        for kind in ("sites", "zones", "movements"):
            self.assertError(self.log.get("/v1/%s.geojson" % kind, token=None), 401,
                             "unauthorized")


if __name__ == "__main__":
    ct.main()
