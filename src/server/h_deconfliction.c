/*
 * h_deconfliction.c: the deconfliction picture and incidents over HTTP.
 *
 *   GET /v1/sites[.geojson]        notified sites, with warnings
 *   GET /v1/zones[.geojson]        declared zones
 *   GET /v1/movements[.geojson]    movements: status, every military org's
 *   GET /v1/movements/<id>         answer, time to acknowledge, warnings,
 *                                  outcome
 *   GET /v1/incidents[?category=&severity=&status=&since=&until=]
 *
 * Each thing is answered flat: its id under its kind's name, "org",
 * "status", its body's fields, and what is derived (movements.c). GeoJSON
 * follows RFC 7946: positions are [lon, lat], polygons are closed rings
 * turning counter-clockwise (the right-hand rule), one Feature per thing.
 */
#include "server/handlers.h"

#include "event/geo.h"
#include "event/schema.h"
#include "event/things.h"

#include <stdlib.h>
#include <string.h>

/* ---- GeoJSON (RFC 7946) --------------------------------------------------- */

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

/* {"<key>": items}, or with to_feature a GeoJSON FeatureCollection of them. */
static int list(srv_resp *r, const char *key, json_t *items, json_t *(*to_feature)(json_t *))
{
    if (!items || !to_feature) return srv_answer_list(r, key, items);
    json_t *features = json_array();
    for (size_t i = 0; i < json_array_size(items); i++)
        json_array_append_new(features, to_feature(json_incref(json_array_get(items, i))));
    json_t *doc = json_pack("{s:s,s:o}", "type", "FeatureCollection", "features", features);
    r->type = "application/geo+json";
    srv_answer_json(r, doc);
    json_decref(doc);
    json_decref(items);
    return 0;
}

int h_sites(srv_req *q, const char *path, srv_resp *r)
{
    int geo = strstr(path, ".geojson") != NULL;
    return list(r, "sites", srv_view_sites(srv_reader(q->s)), geo ? site_feature : NULL);
}

int h_zones(srv_req *q, const char *path, srv_resp *r)
{
    int geo = strstr(path, ".geojson") != NULL;
    return list(r, "zones", srv_view_zones(srv_reader(q->s)), geo ? zone_feature : NULL);
}

int h_movements(srv_req *q, const char *path, srv_resp *r)
{
    int geo = strstr(path, ".geojson") != NULL;
    return list(r, "movements", srv_view_movements(srv_reader(q->s), NULL),
                geo ? movement_feature : NULL);
}

int h_movement(srv_req *q, const char *path, srv_resp *r)
{
    const char *id = path + strlen("/v1/movements/");
    json_t *ms = ev_is_id(id) ? srv_view_movements(srv_reader(q->s), id) : json_array();
    if (!ms) return srv_unavailable(r);
    if (json_array_size(ms) == 0) {
        json_decref(ms);
        srv_errorf(r, CM_NOT_FOUND, "", "no movement \"%s\" was requested", id);
        return 0;
    }
    srv_answer_json(r, json_array_get(ms, 0));
    json_decref(ms);
    return 0;
}

int h_incidents(srv_req *q, const char *path, srv_resp *r)
{
    (void)path;
    const char *category, *severity, *status;
    int64_t since = INT64_MIN, until = INT64_MAX;
    if (srv_query_choice(q, "category", ev_incident_categories, &category, r) ||
        srv_query_choice(q, "severity", ev_incident_severities, &severity, r) ||
        srv_query_choice(q, "status", ev_incident_statuses, &status, r) ||
        srv_query_time(q, "since", &since, r) || srv_query_time(q, "until", &until, r))
        return 0;
    json_t *all = srv_view_load(srv_reader(q->s), THING_INCIDENT, NULL);
    if (!all) return srv_unavailable(r);
    json_t *out = json_array();
    for (size_t i = 0; i < json_array_size(all); i++) {
        json_t *t = json_array_get(all, i);
        const json_t *b = json_object_get(t, "body");
        int64_t occurred = ev_time_of(b, "occurred", 0);
        if ((category && strcmp(ev_str(b, "category"), category)) ||
            (severity && strcmp(ev_str(b, "severity"), severity)) ||
            (status && strcmp(json_string_value(json_object_get(t, "status")), status)) ||
            occurred < since || occurred > until)
            continue;
        json_t *o = srv_view_flatten(t, "incident", "reported");
        json_t *assessments = json_array();
        const json_t *notes = json_object_get(t, "notes");
        for (size_t k = 0; k < json_array_size(notes); k++) {
            const json_t *n = json_array_get(notes, k), *nb = json_object_get(n, "body");
            json_t *a =
                json_pack("{s:O,s:O,s:O}", "org", json_object_get(n, "org"), "status",
                          json_object_get(nb, "status"), "time", json_object_get(n, "time"));
            if (json_object_get(nb, "note"))
                json_object_set(a, "note", json_object_get(nb, "note"));
            json_array_append_new(assessments, a);
        }
        json_object_set_new(o, "assessments", assessments);
        json_array_append_new(out, o);
    }
    json_decref(all);
    return list(r, "incidents", out, NULL);
}
