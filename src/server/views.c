/*
 * views.c: things as the read API shows them, shared by the HTTP handlers
 * and `cmcc report`. Each thing is flat: its id under its kind's name,
 * "org", "status", the time it was made, its body's fields, and what is
 * derived when read (event/movements.c, force.c, disarmament.c): movement
 * status and warnings, site warnings, the gap analysis of requirements,
 * weapon locations and discrepancies, benchmark progress.
 */
#include "server/srv_int.h"

#include "event/disarmament.h"
#include "event/force.h"
#include "event/movements.h"
#include "event/schema.h"

#include "common/timeutil.h"

#include <stdlib.h>
#include <string.h>

#define MAX_MILITARY 256

/* The things of kind (one, with id) as parsed JSON, or NULL. */
json_t *srv_view_load(store *rd, ev_thing_kind kind, const char *id)
{
    cm_buf b = CM_BUF_INIT;
    cm_error err;
    json_t *j = NULL;
    if (rd && store_things_json(rd, kind, id, &b, &err) >= 0)
        j = json_loadb(b.data ? b.data : "[]", b.len ? b.len : 2, 0, NULL);
    buf_free(&b);
    return j;
}

/* The event type whose body a thing keyed idkey carries, when its optional
 * fields never given are to read as null (docs/protocol.md, HTTP: Lists). */
static const ev_type *body_type(const char *idkey)
{
    static const char *const types[][2] = {{"site", "site.notify"},
                                           {"zone", "zone.declare"},
                                           {"movement", "movement.request"},
                                           {"incident", "incident.report"},
                                           {"requirement", "requirement.define"},
                                           {"pledge", "pledge.offer"},
                                           {"record", "weapon.handover"},
                                           {"benchmark", "benchmark.define"}};
    for (size_t i = 0; i < sizeof types / sizeof types[0]; i++)
        if (strcmp(types[i][0], idkey) == 0) return ev_type_find(types[i][1]);
    return NULL;
}

/* {<kind>: id, "org", "status", "time" (as `when`), body fields...} */
json_t *srv_view_flatten(const json_t *t, const char *idkey, const char *when)
{
    json_t *o = json_object();
    json_object_set(o, idkey, json_object_get(t, "id"));
    json_object_set(o, "org", json_object_get(t, "org"));
    json_object_set(o, "status", json_object_get(t, "status"));
    json_object_set(o, when, json_object_get(t, "time"));
    json_object_set(o, "index", json_object_get(t, "index"));
    json_object_update_missing(o, json_object_get(t, "body"));
    const ev_type *ty = body_type(idkey);
    for (const ev_field *f = ty ? ty->body : NULL; f && f->name; f++)
        if (!json_object_get(o, f->name)) json_object_set_new(o, f->name, json_null());
    return o;
}

/* Sets to[key] = from[key] for each key of the NULL-ended keys. */
static void copy_keys(json_t *to, const json_t *from, const char *const *keys)
{
    for (size_t k = 0; keys[k]; k++) json_object_set(to, keys[k], json_object_get(from, keys[k]));
}

json_t *srv_view_movements(store *rd, const char *id)
{
    json_t *ms = srv_view_load(rd, THING_MOVEMENT, id),
           *zones = srv_view_load(rd, THING_ZONE, NULL);
    if (!ms || !zones) {
        json_decref(ms);
        json_decref(zones);
        return NULL;
    }
    size_t nmil = 0;
    ev_view v;
    store_view(rd, &v);
    char(*mil)[EV_ID_MAX + 1] = xcalloc(MAX_MILITARY, sizeof *mil);
    v.orgs_with_role(v.ctx, ROLE_MILITARY, mil, MAX_MILITARY, &nmil);
    json_t *out = json_array();
    for (size_t i = 0; i < json_array_size(ms); i++) {
        json_t *m = json_array_get(ms, i);
        ev_movement_derive(m, zones, mil, nmil);
        json_t *o = srv_view_flatten(m, "movement", "requested");
        const char *st = json_string_value(json_object_get(m, "status"));
        json_object_set(o, "status", json_object_get(m, "movement_status"));
        json_object_set_new(o, "outcome", strcmp(st, "requested") ? json_string(st) : json_null());
        static const char *const derived[] = {
            "answers", "waiting_for", "conditional", "time_to_acknowledge_s", "warnings", NULL};
        copy_keys(o, m, derived);
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

json_t *srv_view_sites(store *rd)
{
    json_t *ss = srv_view_load(rd, THING_SITE, NULL), *zones = srv_view_load(rd, THING_ZONE, NULL);
    json_t *out = ss && zones ? json_array() : NULL;
    for (size_t i = 0; out && i < json_array_size(ss); i++) {
        json_t *t = json_array_get(ss, i);
        ev_site_derive(t, zones);
        json_t *o = srv_view_flatten(t, "site", "notified");
        json_object_set(o, "warnings", json_object_get(t, "warnings"));
        json_array_append_new(out, o);
    }
    json_decref(ss);
    json_decref(zones);
    return out;
}

json_t *srv_view_zones(store *rd)
{
    json_t *zs = srv_view_load(rd, THING_ZONE, NULL);
    json_t *out = zs ? json_array() : NULL;
    for (size_t i = 0; out && i < json_array_size(zs); i++)
        json_array_append_new(out, srv_view_flatten(json_array_get(zs, i), "zone", "declared"));
    json_decref(zs);
    return out;
}

/* The views below derive from loaded things (srv_view_load); each leaves
 * what it reads loaded, so that srv_view_force loads every kind once. */

static json_t *requirements_of(json_t *rs, const json_t *ps)
{
    json_t *out = rs && ps ? json_array() : NULL;
    for (size_t i = 0; out && i < json_array_size(rs); i++) {
        json_t *r = json_array_get(rs, i);
        ev_gap_analysis(r, ps);
        json_t *o = srv_view_flatten(r, "requirement", "defined");
        static const char *const derived[] = {"pledged",  "eligible", "eligible_level2_or_above",
                                              "deployed", "gap",      "counted",
                                              "excluded", NULL};
        copy_keys(o, r, derived);
        json_array_append_new(out, o);
    }
    return out;
}

static json_t *pledges_of(const json_t *ps)
{
    json_t *out = ps ? json_array() : NULL;
    for (size_t i = 0; out && i < json_array_size(ps); i++) {
        const json_t *p = json_array_get(ps, i), *notes = json_object_get(p, "notes");
        json_t *o = srv_view_flatten(p, "pledge", "offered");
        json_t *deployment = json_null(), *withdrawal = json_null();
        for (size_t k = 0; k < json_array_size(notes); k++) {
            const json_t *n = json_array_get(notes, k), *nb = json_object_get(n, "body");
            const char *kind = json_string_value(json_object_get(n, "note"));
            if (strcmp(kind, "deployment") == 0 &&
                json_integer_value(json_object_get(n, "latest"))) {
                json_decref(deployment);
                deployment = json_pack("{s:O,s:O,s:O}", "deployed", json_object_get(nb, "deployed"),
                                       "sector", json_object_get(nb, "sector"), "as_of",
                                       json_object_get(nb, "as_of"));
            } else if (strcmp(kind, "withdrawal") == 0) {
                json_decref(withdrawal);
                withdrawal = json_pack("{s:O,s:O}", "reason", json_object_get(nb, "reason"), "time",
                                       json_object_get(n, "time"));
            }
        }
        json_object_set_new(o, "deployment", deployment);
        json_object_set_new(o, "withdrawal", withdrawal);
        json_array_append_new(out, o);
    }
    return out;
}

/* Derives each weapon of ws in place (ev_weapon_derive), then filters. */
static json_t *weapons_of(json_t *ws, const char *status, const char *category, const char *place)
{
    json_t *out = ws ? json_array() : NULL;
    for (size_t i = 0; out && i < json_array_size(ws); i++) {
        json_t *w = json_array_get(ws, i);
        ev_weapon_derive(w);
        const json_t *b = json_object_get(w, "body");
        if ((status && strcmp(json_string_value(json_object_get(w, "status")), status)) ||
            (category && strcmp(ev_str(b, "category"), category)) ||
            (place && strcmp(json_string_value(json_object_get(w, "current_place")), place)))
            continue;
        json_t *o = srv_view_flatten(w, "record", "handed_over");
        static const char *const derived[] = {"current_place", "attestations", "destruction",
                                              "discrepancy", NULL};
        copy_keys(o, w, derived);
        json_array_append_new(out, o);
    }
    return out;
}

static json_t *benchmarks_of(json_t *bs, const json_t *ws, int64_t now_ms)
{
    json_t *out = bs && ws ? json_array() : NULL;
    for (size_t i = 0; out && i < json_array_size(bs); i++) {
        json_t *b = json_array_get(bs, i);
        ev_benchmark_derive(b, ws, now_ms);
        json_t *o = srv_view_flatten(b, "benchmark", "defined");
        static const char *const derived[] = {"decommissioned", "progress", "overdue",
                                              "assessments", NULL};
        copy_keys(o, b, derived);
        json_array_append_new(out, o);
    }
    return out;
}

json_t *srv_view_requirements(store *rd)
{
    json_t *rs = srv_view_load(rd, THING_REQUIREMENT, NULL),
           *ps = srv_view_load(rd, THING_PLEDGE, NULL);
    json_t *out = requirements_of(rs, ps);
    json_decref(rs);
    json_decref(ps);
    return out;
}

json_t *srv_view_pledges(store *rd)
{
    json_t *ps = srv_view_load(rd, THING_PLEDGE, NULL);
    json_t *out = pledges_of(ps);
    json_decref(ps);
    return out;
}

json_t *srv_view_weapons(store *rd, const char *status, const char *category, const char *place)
{
    json_t *ws = srv_view_load(rd, THING_WEAPON, NULL);
    json_t *out = weapons_of(ws, status, category, place);
    json_decref(ws);
    return out;
}

json_t *srv_view_benchmarks(store *rd, int64_t now_ms)
{
    json_t *bs = srv_view_load(rd, THING_BENCHMARK, NULL),
           *ws = srv_view_load(rd, THING_WEAPON, NULL);
    json_t *out = benchmarks_of(bs, ws, now_ms);
    json_decref(bs);
    json_decref(ws);
    return out;
}

/* The force and disarmament summaries of /v1/stats, each kind of thing
 * loaded once. */
json_t *srv_force_stats(store *rd, int64_t now_ms)
{
    json_t *rs = srv_view_load(rd, THING_REQUIREMENT, NULL),
           *ps = srv_view_load(rd, THING_PLEDGE, NULL), *ws = srv_view_load(rd, THING_WEAPON, NULL),
           *bs = srv_view_load(rd, THING_BENCHMARK, NULL);
    json_t *reqs = requirements_of(rs, ps), *pledges = pledges_of(ps);
    /* the benchmarks read the weapons as loaded, before weapons_of derives them */
    json_t *bms = benchmarks_of(bs, ws, now_ms), *weapons = weapons_of(ws, NULL, NULL, NULL);
    json_decref(rs);
    json_decref(ps);
    json_decref(ws);
    json_decref(bs);
    json_t *out = NULL;
    if (!reqs || !pledges || !weapons || !bms) goto done;
    long long required = 0, gap = 0, covered = 0, offered = 0, deployed = 0;
    for (size_t i = 0; i < json_array_size(reqs); i++) {
        const json_t *x = json_array_get(reqs, i);
        required += json_integer_value(json_object_get(x, "quantity"));
        gap += json_integer_value(json_object_get(x, "gap"));
        covered += json_integer_value(json_object_get(x, "gap")) == 0;
    }
    for (size_t i = 0; i < json_array_size(pledges); i++) {
        const json_t *p = json_array_get(pledges, i);
        if (strcmp(json_string_value(json_object_get(p, "status")), "withdrawn") == 0) continue;
        offered++;
        deployed +=
            json_integer_value(json_object_get(json_object_get(p, "deployment"), "deployed"));
    }
    json_t *by_status = json_object();
    long long decommissioned = 0;
    for (size_t i = 0; i < json_array_size(weapons); i++) {
        const json_t *w = json_array_get(weapons, i);
        const char *st = json_string_value(json_object_get(w, "status"));
        json_object_set_new(by_status, st,
                            json_integer(json_integer_value(json_object_get(by_status, st)) + 1));
        if (strcmp(st, "decommissioned") == 0)
            decommissioned += json_integer_value(json_object_get(w, "quantity"));
    }
    json_t *progress = json_array();
    for (size_t i = 0; i < json_array_size(bms); i++) {
        const json_t *b = json_array_get(bms, i);
        json_array_append_new(progress, json_pack("{s:O,s:O,s:O,s:O}", "benchmark",
                                                  json_object_get(b, "benchmark"), "progress",
                                                  json_object_get(b, "progress"), "due",
                                                  json_object_get(b, "due"), "overdue",
                                                  json_object_get(b, "overdue")));
    }
    out = json_pack("{s:{s:I,s:I,s:I,s:I,s:I,s:I},s:{s:I,s:o,s:I,s:o}}", "force", "requirements",
                    (json_int_t)json_array_size(reqs), "covered", (json_int_t)covered, "required",
                    (json_int_t)required, "gap", (json_int_t)gap, "pledges", (json_int_t)offered,
                    "deployed", (json_int_t)deployed, "disarmament", "records",
                    (json_int_t)json_array_size(weapons), "by_status", by_status,
                    "decommissioned_quantity", (json_int_t)decommissioned, "benchmarks", progress);
done:
    json_decref(reqs);
    json_decref(pledges);
    json_decref(weapons);
    json_decref(bms);
    return out;
}
