/*
 * things_doc.c: the whole document the read API answers for each things
 * endpoint, by its path, so that the HTTP handlers (src/server/
 * h_deconfliction.c, h_force.c) and anything else holding a store (`cmcc
 * verify`, `cmcc report`) make the same bytes:
 *
 *   /v1/sites[.geojson]  /v1/zones[.geojson]  /v1/movements[.geojson]
 *   /v1/movements/<id>   /v1/incidents  /v1/requirements  /v1/pledges
 *   /v1/weapons          /v1/benchmarks
 *
 * A list is {"<name>": [...]}, a .geojson path a FeatureCollection, one
 * movement the flat movement itself. The query's filters come checked.
 */
#include "views/things.h"

#include "event/schema.h"

#include <stdlib.h>
#include <string.h>

#define MOVEMENT_PREFIX "/v1/movements/"

/* {"<key>": list}, or NULL when the list could not be read. */
static json_t *wrap(const char *key, json_t *list)
{
    return list ? json_pack("{s:o}", key, list) : NULL;
}

/* One movement, or NULL with *absent set when there is none by that id. */
static json_t *one_movement(store *s, const char *id, int *absent)
{
    json_t *ms = ev_is_id(id) ? views_movements(s, id) : json_array();
    if (!ms) return NULL;
    json_t *m = json_incref(json_array_get(ms, 0));
    json_decref(ms);
    *absent = !m;
    return m;
}

int views_things_doc(store *s, const char *path, const views_query *q, int64_t now_ms, json_t **doc,
                     cm_error *err)
{
    static const views_query any = {NULL, NULL, NULL, NULL, INT64_MIN, INT64_MAX};
    if (!q) q = &any;
    *doc = NULL;
    int absent = 0;
    if (strcmp(path, "/v1/sites") == 0)
        *doc = wrap("sites", views_sites(s));
    else if (strcmp(path, "/v1/sites.geojson") == 0)
        *doc = views_geojson(views_sites(s), "site");
    else if (strcmp(path, "/v1/zones") == 0)
        *doc = wrap("zones", views_zones(s));
    else if (strcmp(path, "/v1/zones.geojson") == 0)
        *doc = views_geojson(views_zones(s), "zone");
    else if (strcmp(path, "/v1/movements") == 0)
        *doc = wrap("movements", views_movements(s, NULL));
    else if (strcmp(path, "/v1/movements.geojson") == 0)
        *doc = views_geojson(views_movements(s, NULL), "movement");
    else if (strncmp(path, MOVEMENT_PREFIX, strlen(MOVEMENT_PREFIX)) == 0)
        *doc = one_movement(s, path + strlen(MOVEMENT_PREFIX), &absent);
    else if (strcmp(path, "/v1/incidents") == 0) {
        views_incident_filter f = {q->category, q->severity, q->status, q->since, q->until};
        *doc = wrap("incidents", views_incidents(s, &f));
    } else if (strcmp(path, "/v1/requirements") == 0)
        *doc = wrap("requirements", views_requirements(s));
    else if (strcmp(path, "/v1/pledges") == 0)
        *doc = wrap("pledges", views_pledges(s));
    else if (strcmp(path, "/v1/weapons") == 0)
        *doc = wrap("weapons", views_weapons(s, q->status, q->category, q->place));
    else if (strcmp(path, "/v1/benchmarks") == 0)
        *doc = wrap("benchmarks", views_benchmarks(s, now_ms));
    else
        absent = 1;
    if (absent) return 1;
    if (!*doc)
        return cm_fail(err, CM_UNAVAILABLE, "", "the store cannot be read just now: try again");
    return 0;
}

int views_things_json(store *s, const char *path, const views_query *q, int64_t now_ms, cm_buf *out,
                      cm_error *err)
{
    json_t *doc;
    int rc = views_things_doc(s, path, q, now_ms, &doc, err);
    if (rc) return rc;
    char *text = json_dumps(doc, EV_JSON_OUT);
    buf_puts(out, text);
    buf_putc(out, '\n');
    free(text);
    json_decref(doc);
    return 0;
}
