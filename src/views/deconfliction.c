/*
 * deconfliction.c: notified sites and declared zones as the read API shows
 * them (GET /v1/sites, /v1/zones). A site not withdrawn carries a warning
 * for each active closed zone, in force during the site's time, that it
 * lies inside (docs/protocol.md section 3, "Deconfliction"); this depends
 * on zones declared and lifted later, so it is derived when read, never
 * stored.
 */
#include "views/things.h"

#include "event/geo.h"
#include "event/things.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Adds "warnings" to a site: inside an active closed zone in force. */
static void site_derive(json_t *site, const json_t *zones)
{
    const json_t *body = json_object_get(site, "body");
    geo_point p = {json_number_value(json_object_get(body, "lat")),
                   json_number_value(json_object_get(body, "lon"))};
    int64_t s0 = views_ms(body, "from", 0), s1 = views_ms(body, "until", INT64_MAX);
    json_t *warnings = json_array();
    /* a withdrawn site is no longer notified: nothing to warn about */
    const char *status = json_string_value(json_object_get(site, "status"));
    size_t nzones = status && strcmp(status, "withdrawn") == 0 ? 0 : json_array_size(zones);
    for (size_t i = 0; i < nzones; i++) {
        const json_t *z = json_array_get(zones, i), *zb = json_object_get(z, "body");
        if (strcmp(json_string_value(json_object_get(z, "status")), "active") != 0 ||
            strcmp(json_string_value(json_object_get(zb, "kind")), "closed") != 0)
            continue;
        if (!views_overlap(s0, s1, views_ms(zb, "from", 0), views_ms(zb, "until", INT64_MAX)))
            continue;
        size_t npoly;
        geo_point *poly = ev_points(zb, "polygon", &npoly);
        int inside = geo_point_in(p, poly, npoly);
        free(poly);
        if (!inside) continue;
        const char *zid = json_string_value(json_object_get(z, "id"));
        char msg[300];
        snprintf(msg, sizeof msg, "the site lies inside closed zone %s", zid);
        views_warn(warnings, "inside_closed_zone",
                   json_pack("{s:s,s:O}", "zone", zid, "declared_by", json_object_get(z, "org")),
                   msg);
    }
    json_object_set_new(site, "warnings", warnings);
}

json_t *views_sites(store *s)
{
    json_t *ss = views_things(s, THING_SITE, NULL), *zones = views_things(s, THING_ZONE, NULL);
    json_t *out = ss && zones ? json_array() : NULL;
    for (size_t i = 0; out && i < json_array_size(ss); i++) {
        json_t *t = json_array_get(ss, i);
        site_derive(t, zones);
        json_t *o = views_flatten(t, "site", "notified");
        json_object_set(o, "warnings", json_object_get(t, "warnings"));
        json_array_append_new(out, o);
    }
    json_decref(ss);
    json_decref(zones);
    return out;
}

json_t *views_zones(store *s)
{
    json_t *zs = views_things(s, THING_ZONE, NULL);
    json_t *out = zs ? json_array() : NULL;
    for (size_t i = 0; out && i < json_array_size(zs); i++)
        json_array_append_new(out, views_flatten(json_array_get(zs, i), "zone", "declared"));
    json_decref(zs);
    return out;
}
