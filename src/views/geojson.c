/*
 * geojson.c: sites, zones and movements as GeoJSON (RFC 7946), for GET
 * /v1/sites.geojson, /v1/zones.geojson and /v1/movements.geojson: a
 * FeatureCollection with one Feature per thing, its id the thing's, its
 * properties the flat thing as the list shows it, less the geometry.
 * Positions are [lon, lat] (the API's are [lat, lon]); a zone's polygon
 * is a closed ring turning counter-clockwise (the right-hand rule).
 */
#include "views/things.h"

#include "event/geo.h"
#include "event/things.h"

#include <stdlib.h>
#include <string.h>

static json_t *position(const json_t *latlon)
{
    return json_pack("[O,O]", json_array_get(latlon, 1), json_array_get(latlon, 0));
}

static json_t *feature(json_t *props, const char *idkey, json_t *geometry)
{
    json_t *f = json_pack("{s:s,s:O,s:o}", "type", "Feature", "id", json_object_get(props, idkey),
                          "geometry", geometry);
    json_object_set_new(f, "properties", props);
    return f;
}

static json_t *site_feature(json_t *site)
{
    json_t *g = json_pack("{s:s,s:[O,O]}", "type", "Point", "coordinates",
                          json_object_get(site, "lon"), json_object_get(site, "lat"));
    return feature(site, "site", g);
}

static json_t *zone_feature(json_t *zone)
{
    const json_t *poly = json_object_get(zone, "polygon");
    size_t n;
    geo_point *pts = ev_points(zone, "polygon", &n);
    if (n > 1 && pts[0].lat == pts[n - 1].lat && pts[0].lon == pts[n - 1].lon) n--;
    int ccw = geo_ring_ccw(pts, n);
    free(pts);
    json_t *ring = json_array();
    for (size_t i = 0; i < n; i++)
        json_array_append_new(ring, position(json_array_get(poly, ccw ? i : n - 1 - i)));
    json_array_append_new(ring, position(json_array_get(poly, ccw ? 0 : n - 1)));
    json_t *g = json_pack("{s:s,s:[o]}", "type", "Polygon", "coordinates", ring);
    json_object_del(zone, "polygon");
    return feature(zone, "zone", g);
}

static json_t *movement_feature(json_t *m)
{
    json_t *line = json_array();
    const json_t *route = json_object_get(m, "route");
    for (size_t i = 0; i < json_array_size(route); i++)
        json_array_append_new(line, position(json_array_get(route, i)));
    json_t *g = json_pack("{s:s,s:o}", "type", "LineString", "coordinates", line);
    json_object_del(m, "route");
    return feature(m, "movement", g);
}

json_t *views_geojson(json_t *list, const char *idkey)
{
    if (!list) return NULL;
    json_t *(*to_feature)(json_t *) = strcmp(idkey, "site") == 0   ? site_feature
                                      : strcmp(idkey, "zone") == 0 ? zone_feature
                                                                   : movement_feature;
    json_t *features = json_array();
    for (size_t i = 0; i < json_array_size(list); i++)
        json_array_append_new(features, to_feature(json_incref(json_array_get(list, i))));
    json_decref(list);
    return json_pack("{s:s,s:o}", "type", "FeatureCollection", "features", features);
}
