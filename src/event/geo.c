/*
 * geo.c: the geometry of deconfliction, on WGS 84 coordinates.
 *
 * Zones are small next to the Earth (a few to a few hundred kilometres), so
 * polygon tests work in the plane of (lon, lat) degrees, as GeoJSON tools
 * do; distances, which must be right in metres, use the haversine formula
 * on the sphere of the Earth's mean radius (6,371,008.8 m).
 *
 *   geo_orient          sign of the turn a -> b -> c (exact for doubles:
 *                       the products are computed in long double)
 *   geo_segments_meet   whether two closed segments share a point,
 *                       collinear overlaps and touching ends included
 *   geo_point_in        point in polygon, the boundary counting as inside
 *                       (crossing number, with boundary checked first)
 *   geo_segment_enters  a route leg meets the polygon: an end inside, or it
 *                       crosses an edge (a leg can cross with no point inside)
 *   geo_polygon_simple  3+ distinct vertices, no edge meeting another except
 *                       neighbours at their shared vertex, non-zero area
 *   geo_distance_m      haversine distance in metres
 *   geo_ring_ccw        whether the ring turns counter-clockwise (GeoJSON's
 *                       right-hand rule for exterior rings)
 *
 * A polygon is n points, implicitly closed (the last joins the first); a
 * repeated closing point is allowed and ignored.
 */
#include "event/geo.h"

#include <math.h>
#include <stddef.h>

#define EARTH_RADIUS_M 6371008.8

int geo_orient(geo_point a, geo_point b, geo_point c)
{
    long double d = ((long double)b.lon - a.lon) * ((long double)c.lat - a.lat) -
                    ((long double)b.lat - a.lat) * ((long double)c.lon - a.lon);
    return d > 0 ? 1 : d < 0 ? -1 : 0;
}

/* Whether c, collinear with a-b, lies on the closed segment a-b. */
static int on_segment(geo_point a, geo_point b, geo_point c)
{
    return fmin(a.lon, b.lon) <= c.lon && c.lon <= fmax(a.lon, b.lon) &&
           fmin(a.lat, b.lat) <= c.lat && c.lat <= fmax(a.lat, b.lat);
}

int geo_segments_meet(geo_point a, geo_point b, geo_point c, geo_point d)
{
    int o1 = geo_orient(a, b, c), o2 = geo_orient(a, b, d);
    int o3 = geo_orient(c, d, a), o4 = geo_orient(c, d, b);
    if (o1 * o2 < 0 && o3 * o4 < 0) return 1; /* a proper crossing */
    /* otherwise they meet only where an end lies on the other segment */
    if (o1 == 0 && on_segment(a, b, c)) return 1;
    if (o2 == 0 && on_segment(a, b, d)) return 1;
    if (o3 == 0 && on_segment(c, d, a)) return 1;
    if (o4 == 0 && on_segment(c, d, b)) return 1;
    return 0;
}

/* The polygon without a repeated closing point. */
static size_t ring_len(const geo_point *p, size_t n)
{
    if (n > 1 && p[0].lat == p[n - 1].lat && p[0].lon == p[n - 1].lon) n--;
    return n;
}

int geo_point_in(geo_point q, const geo_point *poly, size_t n)
{
    n = ring_len(poly, n);
    if (n < 3) return 0;
    int inside = 0;
    for (size_t i = 0, j = n - 1; i < n; j = i++) {
        geo_point a = poly[j], b = poly[i];
        if (geo_orient(a, b, q) == 0 && on_segment(a, b, q)) return 1; /* on the boundary */
        /* an edge crosses the ray going east from q when it straddles q's
         * latitude (half-open, so a vertex is counted once) and meets the
         * ray east of q */
        if ((a.lat > q.lat) != (b.lat > q.lat)) {
            int side = geo_orient(a, b, q);
            if (b.lat > a.lat ? side > 0 : side < 0) inside = !inside;
        }
    }
    return inside;
}

int geo_segment_enters(geo_point a, geo_point b, const geo_point *poly, size_t n)
{
    n = ring_len(poly, n);
    if (n < 3) return 0;
    if (geo_point_in(a, poly, n) || geo_point_in(b, poly, n)) return 1;
    for (size_t i = 0, j = n - 1; i < n; j = i++)
        if (geo_segments_meet(a, b, poly[j], poly[i])) return 1;
    return 0;
}

int geo_route_enters(const geo_point *route, size_t n, const geo_point *poly, size_t m)
{
    if (n == 1) return geo_point_in(route[0], poly, m);
    for (size_t i = 0; i + 1 < n; i++)
        if (geo_segment_enters(route[i], route[i + 1], poly, m)) return 1;
    return 0;
}

static double signed_area2(const geo_point *p, size_t n)
{
    long double s = 0;
    for (size_t i = 0, j = n - 1; i < n; j = i++)
        s += (long double)p[j].lon * p[i].lat - (long double)p[i].lon * p[j].lat;
    return (double)s;
}

int geo_polygon_simple(const geo_point *poly, size_t n, size_t *bad_edge)
{
    n = ring_len(poly, n);
    if (n < 3) return 0;
    for (size_t i = 0; i < n; i++) {
        geo_point a = poly[i], b = poly[(i + 1) % n];
        if (a.lat == b.lat && a.lon == b.lon) {
            if (bad_edge) *bad_edge = i;
            return 0; /* a repeated vertex */
        }
        for (size_t k = i + 1; k < n; k++) {
            geo_point c = poly[k], d = poly[(k + 1) % n];
            int next = k == i + 1, wrap = i == 0 && k == n - 1;
            if (next || wrap) {
                /* neighbours share one vertex; they must not fold back on
                 * each other (collinear and overlapping) */
                geo_point shared = next ? b : a, other1 = next ? a : b, other2 = next ? d : c;
                if (geo_orient(other1, shared, other2) == 0 &&
                    ((other2.lon - shared.lon) * (other1.lon - shared.lon) +
                     (other2.lat - shared.lat) * (other1.lat - shared.lat)) > 0) {
                    if (bad_edge) *bad_edge = k;
                    return 0;
                }
                continue;
            }
            if (geo_segments_meet(a, b, c, d)) {
                if (bad_edge) *bad_edge = k;
                return 0;
            }
        }
    }
    if (signed_area2(poly, n) == 0) {
        if (bad_edge) *bad_edge = 0;
        return 0;
    }
    return 1;
}

int geo_ring_ccw(const geo_point *poly, size_t n)
{
    n = ring_len(poly, n);
    return n >= 3 && signed_area2(poly, n) > 0;
}

double geo_distance_m(geo_point a, geo_point b)
{
    const double rad = M_PI / 180.0;
    double dlat = (b.lat - a.lat) * rad, dlon = (b.lon - a.lon) * rad;
    double s = sin(dlat / 2) * sin(dlat / 2) +
               cos(a.lat * rad) * cos(b.lat * rad) * sin(dlon / 2) * sin(dlon / 2);
    if (s > 1) s = 1;
    return 2 * EARTH_RADIUS_M * asin(sqrt(s));
}
