/*
 * movements.c: movements as the read API shows them (GET /v1/movements,
 * /v1/movements/<id>), with what is derived when they are read, because
 * it depends on things later events change (which military orgs are
 * active, which zones are in force).
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
 * Passing near a notified site is fine (a site's own warnings are
 * deconfliction.c's).
 */
#include "views/things.h"

#include "common/mem.h"
#include "event/geo.h"
#include "event/limits.h"
#include "event/things.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define NOTICE_MS    (48LL * 3600 * 1000)
#define MAX_MILITARY 256

/* Adds to a movement (an element of views_things) "movement_status",
 * "answers", "waiting_for", "conditional", "time_to_acknowledge_s" and
 * "warnings", given the zones and the active military orgs. */
static void movement_derive(json_t *m, const json_t *zones, char (*military)[EV_ID_MAX + 1],
                            size_t nmil)
{
    const json_t *body = json_object_get(m, "body");
    const char *thing_status = json_string_value(json_object_get(m, "status"));
    int64_t requested = views_ms(m, "time", 0);
    int64_t w0 = views_ms(body, "window_start", 0), w1 = views_ms(body, "window_end", 0);

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
        int64_t t = views_ms(mine, "time", 0);
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
        views_warn(warnings, "short_notice",
                   json_pack("{s:I}", "notice_hours", (json_int_t)((w0 - requested) / 3600000)),
                   msg);
    }
    size_t nroute;
    geo_point *route = ev_points(body, "route", &nroute);
    for (size_t i = 0; i < json_array_size(zones); i++) {
        const json_t *z = json_array_get(zones, i), *zb = json_object_get(z, "body");
        const char *kind = json_string_value(json_object_get(zb, "kind"));
        if (strcmp(json_string_value(json_object_get(z, "status")), "active") != 0) continue;
        if (strcmp(kind, "closed") != 0 && strcmp(kind, "restricted") != 0) continue;
        if (!views_overlap(w0, w1, views_ms(zb, "from", 0), views_ms(zb, "until", INT64_MAX)))
            continue;
        size_t npoly;
        geo_point *poly = ev_points(zb, "polygon", &npoly);
        int enters = geo_route_enters(route, nroute, poly, npoly);
        free(poly);
        if (!enters) continue;
        const char *zid = json_string_value(json_object_get(z, "id"));
        snprintf(msg, sizeof msg, "the route enters %s zone %s, in force during the window", kind,
                 zid);
        views_warn(warnings, "zone",
                   json_pack("{s:s,s:s,s:O}", "zone", zid, "zone_kind", kind, "declared_by",
                             json_object_get(z, "org")),
                   msg);
    }
    free(route);
    json_object_set_new(m, "warnings", warnings);
    json_object_set_new(m, "movement_status", json_string(status));
    free(frozen);
}

json_t *views_movements(store *s, const char *id)
{
    json_t *ms = views_things(s, THING_MOVEMENT, id), *zones = views_things(s, THING_ZONE, NULL);
    if (!ms || !zones) {
        json_decref(ms);
        json_decref(zones);
        return NULL;
    }
    size_t nmil = 0;
    ev_view v;
    store_view(s, &v);
    char(*mil)[EV_ID_MAX + 1] = xcalloc(MAX_MILITARY, sizeof *mil);
    v.orgs_with_role(v.ctx, ROLE_MILITARY, mil, MAX_MILITARY, &nmil);
    json_t *out = json_array();
    for (size_t i = 0; i < json_array_size(ms); i++) {
        json_t *m = json_array_get(ms, i);
        movement_derive(m, zones, mil, nmil);
        json_t *o = views_flatten(m, "movement", "requested");
        const char *st = json_string_value(json_object_get(m, "status"));
        json_object_set(o, "status", json_object_get(m, "movement_status"));
        json_object_set_new(o, "outcome", strcmp(st, "requested") ? json_string(st) : json_null());
        static const char *const derived[] = {
            "answers", "waiting_for", "conditional", "time_to_acknowledge_s", "warnings", NULL};
        views_copy_keys(o, m, derived);
        json_t *report = json_null();
        const json_t *notes = json_object_get(m, "notes");
        for (size_t k = 0; k < json_array_size(notes); k++) {
            const json_t *n = json_array_get(notes, k);
            if (strcmp(json_string_value(json_object_get(n, "note")), "report") != 0) continue;
            json_decref(report);
            report = json_deep_copy(json_object_get(n, "body"));
            json_object_del(report, "movement");
            json_object_set(report, "time", json_object_get(n, "time"));
        }
        json_object_set_new(o, "report", report);
        json_array_append_new(out, o);
    }
    free(mil);
    json_decref(ms);
    json_decref(zones);
    return out;
}
