/*
 * geo.h: geometry on WGS 84 coordinates (geo.c): orientation, segments
 * meeting, a point or a route inside a polygon, whether a polygon is
 * simple, ring orientation and great-circle distance. Pure functions on
 * geo_point values; the deconfliction rules and the movement warnings use
 * them.
 */
#ifndef CMCC_EVENT_GEO_H
#define CMCC_EVENT_GEO_H

#include <stddef.h>

typedef struct {
    double lat, lon;
} geo_point;

/* 1 when a -> b -> c turns left (counter-clockwise), -1 right, 0 collinear. */
int geo_orient(geo_point a, geo_point b, geo_point c);
/* Whether the closed segments a-b and c-d share a point. */
int geo_segments_meet(geo_point a, geo_point b, geo_point c, geo_point d);
/* Whether q is inside the polygon of n points or on its boundary. */
int geo_point_in(geo_point q, const geo_point *poly, size_t n);
/* Whether the segment a-b has a point inside the polygon or on it. */
int geo_segment_enters(geo_point a, geo_point b, const geo_point *poly, size_t n);
/* Whether a route of n points (n-1 legs) has a point inside the polygon. */
int geo_route_enters(const geo_point *route, size_t n, const geo_point *poly, size_t m);
/* Whether the polygon is simple: 3+ vertices, no repeated vertex, no edge
 * meeting another but its neighbours at their shared vertex, some area.
 * OUT: *bad_edge, an edge at fault. */
int geo_polygon_simple(const geo_point *poly, size_t n, size_t *bad_edge);
/* Whether the ring turns counter-clockwise in (lon, lat). */
int geo_ring_ccw(const geo_point *poly, size_t n);
/* The great-circle distance in metres (haversine, mean Earth radius). */
double geo_distance_m(geo_point a, geo_point b);

#endif
