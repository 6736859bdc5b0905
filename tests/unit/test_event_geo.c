/*
 * test_event_geo.c: the geometry of deconfliction (event/geo.c) on
 * hand-worked cases: orientation, segments meeting (crossing, touching,
 * collinear), points in convex and concave polygons (inside, outside, on an
 * edge, on a vertex, level with a vertex), route legs that cross a zone with
 * no point inside it, polygon simplicity, winding, tiny and large polygons,
 * and haversine distances.
 */
#include "event/event.h"
#include "event/geo.h"

#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>

#include <cmocka.h>

#define P(lat, lon) ((geo_point){(lat), (lon)})

/* the square lat 0..10, lon 0..10, counter-clockwise in (lon, lat) */
static const geo_point square[] = {{0, 0}, {0, 10}, {10, 10}, {10, 0}};
/* a U: the notch lat 3..10, lon 3..7 is outside */
static const geo_point u_shape[] = {{0, 0}, {0, 10}, {10, 10}, {10, 7},
                                    {3, 7}, {3, 3},  {10, 3},  {10, 0}};
/* a diamond whose left and right vertices are at lat 5 */
static const geo_point diamond[] = {{0, 5}, {5, 10}, {10, 5}, {5, 0}};

static void test_orient(void **state)
{
    (void)state;
    assert_int_equal(geo_orient(P(0, 0), P(0, 1), P(1, 1)), 1);   /* east then north: left */
    assert_int_equal(geo_orient(P(0, 0), P(0, 1), P(-1, 1)), -1); /* east then south */
    assert_int_equal(geo_orient(P(0, 0), P(1, 1), P(2, 2)), 0);
    assert_int_equal(geo_orient(P(0.1, 0.1), P(0.2, 0.2), P(0.3, 0.3)), 0);
}

static void test_segments(void **state)
{
    (void)state;
    /* an X */
    assert_true(geo_segments_meet(P(0, 0), P(2, 2), P(0, 2), P(2, 0)));
    /* touching at an end */
    assert_true(geo_segments_meet(P(0, 0), P(1, 1), P(1, 1), P(2, 0)));
    /* a T: one end on the other's middle */
    assert_true(geo_segments_meet(P(0, 0), P(0, 2), P(0, 1), P(1, 1)));
    /* collinear, overlapping */
    assert_true(geo_segments_meet(P(0, 0), P(0, 2), P(0, 1), P(0, 3)));
    /* collinear, apart */
    assert_false(geo_segments_meet(P(0, 0), P(0, 1), P(0, 2), P(0, 3)));
    /* parallel */
    assert_false(geo_segments_meet(P(0, 0), P(0, 2), P(1, 0), P(1, 2)));
    /* on the same line as the other, beyond its end */
    assert_false(geo_segments_meet(P(0, 0), P(1, 1), P(2, 2), P(3, 0)));
    /* nearly touching */
    assert_false(geo_segments_meet(P(0, 0), P(1, 1), P(1.000001, 1), P(2, 0)));
}

static void test_point_in(void **state)
{
    (void)state;
    assert_true(geo_point_in(P(5, 5), square, 4));
    assert_false(geo_point_in(P(11, 5), square, 4));
    assert_false(geo_point_in(P(-0.0001, 5), square, 4));
    assert_true(geo_point_in(P(0, 5), square, 4));   /* on an edge */
    assert_true(geo_point_in(P(10, 10), square, 4)); /* on a vertex */
    /* level with a vertex: the ray passes through it and must count once */
    assert_true(geo_point_in(P(5, 3), diamond, 4));
    assert_false(geo_point_in(P(5, -1), diamond, 4));
    assert_false(geo_point_in(P(5, 11), diamond, 4));
    assert_true(geo_point_in(P(5, 0), diamond, 4)); /* the vertex itself */
    /* concave: the notch is outside, the arms inside */
    assert_false(geo_point_in(P(6, 5), u_shape, 8));
    assert_true(geo_point_in(P(6, 1.5), u_shape, 8));
    assert_true(geo_point_in(P(6, 8.5), u_shape, 8));
    assert_true(geo_point_in(P(1, 5), u_shape, 8));
    assert_true(geo_point_in(P(3, 5), u_shape, 8)); /* the notch's floor is boundary */
    /* level with the notch's inner corners (lat 3) */
    assert_false(geo_point_in(P(3, 11), u_shape, 8));
    /* a repeated closing point changes nothing */
    const geo_point closed[] = {{0, 0}, {0, 10}, {10, 10}, {10, 0}, {0, 0}};
    assert_true(geo_point_in(P(5, 5), closed, 5));
    assert_false(geo_point_in(P(15, 5), closed, 5));
}

static void test_route_legs(void **state)
{
    (void)state;
    /* a leg straight through the square, both ends outside */
    assert_true(geo_segment_enters(P(5, -5), P(5, 15), square, 4));
    /* a leg passing by */
    assert_false(geo_segment_enters(P(-1, -5), P(-1, 15), square, 4));
    /* grazing a corner */
    assert_true(geo_segment_enters(P(-1, 9), P(1, 11), square, 4));
    /* along an edge */
    assert_true(geo_segment_enters(P(10, -5), P(10, 15), square, 4));
    /* concave: across the notch only, touching no arm */
    assert_false(geo_segment_enters(P(8, 4), P(8, 6), u_shape, 8));
    /* across both arms, ends outside, middle in the notch */
    assert_true(geo_segment_enters(P(8, -1), P(8, 11), u_shape, 8));
    /* a route whose points are all outside but a leg cuts the bottom corner
     * (at lat 1 the diamond spans lon 4..6) */
    const geo_point route[] = {{1, 3}, {1, 7}, {-3, 7}};
    assert_false(geo_point_in(route[0], diamond, 4));
    assert_false(geo_point_in(route[1], diamond, 4));
    assert_true(geo_route_enters(route, 3, diamond, 4));
    /* parallel to an edge, just outside it */
    const geo_point beside[] = {{-2, 5}, {5, -2}};
    assert_false(geo_route_enters(beside, 2, diamond, 4));
    const geo_point around[] = {{-2, -2}, {-2, 12}, {12, 12}};
    assert_false(geo_route_enters(around, 3, square, 4));
}

static void test_tiny_and_large(void **state)
{
    (void)state;
    const double e = 1e-7; /* about a centimetre */
    const geo_point tiny[] = {
        {31.5, 34.4}, {31.5, 34.4 + e}, {31.5 + e, 34.4 + e}, {31.5 + e, 34.4}};
    assert_true(geo_polygon_simple(tiny, 4, NULL));
    assert_true(geo_point_in(P(31.5 + e / 2, 34.4 + e / 2), tiny, 4));
    assert_false(geo_point_in(P(31.5 + 2 * e, 34.4 + e / 2), tiny, 4));
    assert_true(geo_segment_enters(P(31.5 + e / 2, 34.3), P(31.5 + e / 2, 34.5), tiny, 4));
    const geo_point large[] = {{-60, -170}, {-60, 170}, {70, 170}, {70, -170}};
    assert_true(geo_polygon_simple(large, 4, NULL));
    assert_true(geo_point_in(P(31.5, 34.4), large, 4));
    assert_false(geo_point_in(P(80, 0), large, 4));
}

static void test_simple(void **state)
{
    (void)state;
    size_t bad = 99;
    assert_true(geo_polygon_simple(square, 4, &bad));
    assert_true(geo_polygon_simple(u_shape, 8, NULL));
    const geo_point bowtie[] = {{0, 0}, {10, 10}, {0, 10}, {10, 0}};
    assert_false(geo_polygon_simple(bowtie, 4, &bad));
    const geo_point repeated[] = {{0, 0}, {0, 10}, {0, 10}, {10, 10}};
    assert_false(geo_polygon_simple(repeated, 4, NULL));
    const geo_point spike[] = {{0, 0}, {0, 10}, {0, 5}, {10, 5}}; /* folds back on itself */
    assert_false(geo_polygon_simple(spike, 4, NULL));
    const geo_point flat[] = {{0, 0}, {1, 1}, {2, 2}};
    assert_false(geo_polygon_simple(flat, 3, NULL));
    const geo_point two[] = {{0, 0}, {1, 1}};
    assert_false(geo_polygon_simple(two, 2, NULL));
    const geo_point closed[] = {{0, 0}, {0, 10}, {10, 10}, {10, 0}, {0, 0}};
    assert_true(geo_polygon_simple(closed, 5, NULL));
    /* a vertex touching a non-neighbouring edge */
    const geo_point touch[] = {{0, 0}, {0, 10}, {10, 10}, {0, 5}};
    assert_false(geo_polygon_simple(touch, 4, NULL));
}

static void test_winding(void **state)
{
    (void)state;
    assert_true(geo_ring_ccw(square, 4));
    const geo_point cw[] = {{0, 0}, {10, 0}, {10, 10}, {0, 10}};
    assert_false(geo_ring_ccw(cw, 4));
}

static void test_distance(void **state)
{
    (void)state;
    const double deg = M_PI / 180.0 * 6371008.8; /* one degree of a great circle */
    assert_true(fabs(geo_distance_m(P(0, 0), P(1, 0)) - deg) < 0.01);
    assert_true(fabs(geo_distance_m(P(0, 0), P(0, 1)) - deg) < 0.01);
    assert_true(fabs(geo_distance_m(P(60, 0), P(60, 1)) - deg * 0.5) < 1.0); /* cos 60 */
    assert_true(geo_distance_m(P(31.5, 34.4), P(31.5, 34.4)) == 0);
    assert_true(fabs(geo_distance_m(P(0, 0), P(0, 180)) - M_PI * 6371008.8) < 0.01);
    /* Kerem Shalom to Zikim crossing: about 42 km */
    double d = geo_distance_m(P(31.2286, 34.2847), P(31.6010, 34.5240));
    assert_true(d > 40000 && d < 48000);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_orient),         cmocka_unit_test(test_segments),
        cmocka_unit_test(test_point_in),       cmocka_unit_test(test_route_legs),
        cmocka_unit_test(test_tiny_and_large), cmocka_unit_test(test_simple),
        cmocka_unit_test(test_winding),        cmocka_unit_test(test_distance),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
