/*
 * movements.c: what is derived about movements and sites when they are
 * read, because it depends on things later events change (which military
 * orgs are active, which zones are in force). Pure functions over the JSON
 * the store gives (store_things_json).
 *
 * A movement's status (docs/protocol.md section 3): its reported outcome once
 * reported; otherwise "denied" if any active military org's latest answer
 * denies it, "pending" until every active military org has answered, and
 * then "acknowledged". Once reported, the military orgs that count are those
 * of the time of the report (frozen in a "military" note), so later
 * admissions or suspensions do not change a closed record. Time to
 * acknowledge: from the request's time to the last of those answers.
 *
 * Warnings on a movement: its route enters an active closed or restricted
 * zone whose time overlaps its window (a leg crossing a zone with no route
 * point inside counts); it was requested less than 48 h before its window.
 * Passing near a notified site is fine. A warning on a site (not withdrawn):
 * it lies inside an active closed zone that overlaps its time.
 */
#include "event/movements.h"
#include "event/event.h"
#include "event/geo.h"
#include "event/schema.h"
#include "event/things.h"

#include "common/mem.h"
#include "common/timeutil.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define NOTICE_MS (48LL * 3600 * 1000)

static int64_t ms(const json_t *obj, const char *key, int64_t dflt)
{
    return ev_time_of(obj, key, dflt);
}

/* Whether [a0, a1) and [b0, b1) overlap; an absent end is open. */
static int overlap(int64_t a0, int64_t a1, int64_t b0, int64_t b1)
{
    return a0 < b1 && b0 < a1;
}

static void warn(json_t *list, const char *kind, json_t *fields, const char *message)
{
    json_object_set_new(fields, "kind", json_string(kind));
    json_object_set_new(fields, "message", json_string(message));
    json_array_append_new(list, fields);
}

void ev_movement_derive(json_t *m, const json_t *zones, char (*military)[EV_ID_MAX + 1],
                        size_t nmil)
{
    const json_t *body = json_object_get(m, "body");
    const char *thing_status = json_string_value(json_object_get(m, "status"));
    int64_t requested = ms(m, "time", 0);
    int64_t w0 = ms(body, "window_start", 0), w1 = ms(body, "window_end", 0);

    /* a reported movement is judged by the military orgs of its report */
    const json_t *notes_all = json_object_get(m, "notes");
    char(*frozen)[EV_ID_MAX + 1] = NULL;
    for (size_t i = 0; i < json_array_size(notes_all); i++) {
        const json_t *n = json_array_get(notes_all, i);
        if (strcmp(json_string_value(json_object_get(n, "note")), "military") != 0) continue;
        const json_t *list = json_object_get(n, "body");
        free(frozen);
        nmil = json_array_size(list);
        frozen = xcalloc(nmil ? nmil : 1, sizeof *frozen);
        for (size_t k = 0; k < nmil; k++)
            snprintf(frozen[k], EV_ID_MAX + 1, "%s", json_string_value(json_array_get(list, k)));
        military = frozen;
    }
    /* answers: each military org's latest */
    json_t *answers = json_array(), *waiting = json_array();
    int denied = 0, conditional = 0;
    size_t answered = 0;
    int64_t last = 0;
    const json_t *notes = json_object_get(m, "notes");
    for (size_t k = 0; k < nmil; k++) {
        const json_t *mine = NULL;
        for (size_t i = 0; i < json_array_size(notes); i++) {
            const json_t *n = json_array_get(notes, i);
            if (json_integer_value(json_object_get(n, "latest")) == 1 &&
                strcmp(json_string_value(json_object_get(n, "note")), "response") == 0 &&
                strcmp(json_string_value(json_object_get(n, "org")), military[k]) == 0)
                mine = n;
        }
        if (!mine) {
            json_array_append_new(waiting, json_string(military[k]));
            continue;
        }
        const json_t *nb = json_object_get(mine, "body");
        const char *d = json_string_value(json_object_get(nb, "decision"));
        denied |= strcmp(d, "denied") == 0;
        conditional |= strcmp(d, "conditional") == 0;
        answered++;
        int64_t t = ms(mine, "time", 0);
        if (t > last) last = t;
        json_t *a = json_pack("{s:O,s:s,s:O}", "org", json_object_get(mine, "org"), "decision", d,
                              "time", json_object_get(mine, "time"));
        if (json_object_get(nb, "reason"))
            json_object_set(a, "reason", json_object_get(nb, "reason"));
        if (json_object_get(nb, "conditions"))
            json_object_set(a, "conditions", json_object_get(nb, "conditions"));
        json_array_append_new(answers, a);
    }
    const char *status;
    if (strcmp(thing_status, "requested") != 0)
        status = thing_status;
    else if (denied)
        status = "denied";
    else if (answered < nmil || nmil == 0)
        status = "pending";
    else
        status = "acknowledged";
    json_object_set_new(m, "answers", answers);
    json_object_set_new(m, "waiting_for", waiting);
    json_object_set_new(m, "conditional", json_boolean(conditional));
    if (!denied && nmil && answered == nmil)
        json_object_set_new(m, "time_to_acknowledge_s", json_integer((last - requested) / 1000));
    else
        json_object_set_new(m, "time_to_acknowledge_s", json_null());

    /* warnings */
    json_t *warnings = json_array();
    char msg[400];
    if (w0 - requested < NOTICE_MS) {
        snprintf(msg, sizeof msg, "requested %lld h before its window: less than the 48 h notice",
                 (long long)((w0 - requested) / 3600000));
        warn(warnings, "short_notice",
             json_pack("{s:I}", "notice_hours", (json_int_t)((w0 - requested) / 3600000)), msg);
    }
    size_t nroute;
    geo_point *route = ev_points(body, "route", &nroute);
    for (size_t i = 0; i < json_array_size(zones); i++) {
        const json_t *z = json_array_get(zones, i), *zb = json_object_get(z, "body");
        const char *kind = json_string_value(json_object_get(zb, "kind"));
        if (strcmp(json_string_value(json_object_get(z, "status")), "active") != 0) continue;
        if (strcmp(kind, "closed") != 0 && strcmp(kind, "restricted") != 0) continue;
        if (!overlap(w0, w1, ms(zb, "from", 0), ms(zb, "until", INT64_MAX))) continue;
        size_t npoly;
        geo_point *poly = ev_points(zb, "polygon", &npoly);
        int enters = geo_route_enters(route, nroute, poly, npoly);
        free(poly);
        if (!enters) continue;
        const char *zid = json_string_value(json_object_get(z, "id"));
        snprintf(msg, sizeof msg, "the route enters %s zone %s, in force during the window", kind,
                 zid);
        warn(warnings, "zone",
             json_pack("{s:s,s:s,s:O}", "zone", zid, "zone_kind", kind, "declared_by",
                       json_object_get(z, "org")),
             msg);
    }
    free(route);
    json_object_set_new(m, "warnings", warnings);
    json_object_set_new(m, "movement_status", json_string(status));
    free(frozen);
}

void ev_site_derive(json_t *site, const json_t *zones)
{
    const json_t *body = json_object_get(site, "body");
    geo_point p = {json_number_value(json_object_get(body, "lat")),
                   json_number_value(json_object_get(body, "lon"))};
    int64_t s0 = ms(body, "from", 0), s1 = ms(body, "until", INT64_MAX);
    json_t *warnings = json_array();
    /* a withdrawn site is no longer notified: nothing to warn about */
    const char *status = json_string_value(json_object_get(site, "status"));
    size_t nzones = status && strcmp(status, "withdrawn") == 0 ? 0 : json_array_size(zones);
    for (size_t i = 0; i < nzones; i++) {
        const json_t *z = json_array_get(zones, i), *zb = json_object_get(z, "body");
        if (strcmp(json_string_value(json_object_get(z, "status")), "active") != 0 ||
            strcmp(json_string_value(json_object_get(zb, "kind")), "closed") != 0)
            continue;
        if (!overlap(s0, s1, ms(zb, "from", 0), ms(zb, "until", INT64_MAX))) continue;
        size_t npoly;
        geo_point *poly = ev_points(zb, "polygon", &npoly);
        int inside = geo_point_in(p, poly, npoly);
        free(poly);
        if (!inside) continue;
        const char *zid = json_string_value(json_object_get(z, "id"));
        char msg[300];
        snprintf(msg, sizeof msg, "the site lies inside closed zone %s", zid);
        warn(warnings, "inside_closed_zone",
             json_pack("{s:s,s:O}", "zone", zid, "declared_by", json_object_get(z, "org")), msg);
    }
    json_object_set_new(site, "warnings", warnings);
}
