/*
 * things.c: what the rules of sites, zones, movements, incidents (and later
 * requirements, pledges, weapon records, benchmarks) share.
 *
 * Each of these is a "thing": an id unique within its kind, the org that
 * created it, a status, the body it was created (or last replaced) with,
 * and a history of notes (responses, reports, assessments, ...). The rules
 * read them through the view's thing lookup and change them through three
 * generic effects: put, status, note.
 */
#include "event/things.h"
#include "event/event.h"
#include "event/schema.h"

#include "common/mem.h"
#include "common/timeutil.h"

#include <string.h>

static const char *const names[THING_KINDS] = {
    [THING_SITE] = "site",
    [THING_ZONE] = "zone",
    [THING_MOVEMENT] = "movement",
    [THING_INCIDENT] = "incident",
    [THING_REQUIREMENT] = "requirement",
    [THING_PLEDGE] = "pledge",
    [THING_WEAPON] = "weapon",
    [THING_BENCHMARK] = "benchmark",
    [THING_ALERT] = "alert",
};

const char *ev_thing_name(ev_thing_kind kind)
{
    return (unsigned)kind < THING_KINDS ? names[kind] : "thing";
}

int ev_thing_get(const ev_ctx *c, ev_thing_kind kind, const char *id, ev_thing_state *out,
                 cm_error *err)
{
    memset(out, 0, sizeof *out);
    int r = c->view->thing(c->view->ctx, kind, id, out);
    if (r < 0) return ev_store_failed(err);
    return r;
}

int ev_thing_new(const ev_ctx *c, ev_thing_kind kind, const char *id, const char *field,
                 cm_error *err)
{
    ev_thing_state ts;
    int r = ev_thing_get(c, kind, id, &ts, err);
    if (r < 0) return -1;
    json_decref(ts.body);
    if (r == 1)
        return cm_fail(err, CM_RULE_VIOLATION, field, "%s \"%s\" already exists: give it a new id",
                       ev_thing_name(kind), id);
    return 0;
}

int ev_thing_mine(const ev_ctx *c, ev_thing_kind kind, const char *id, const char *field,
                  ev_thing_state *out, cm_error *err)
{
    int r = ev_thing_get(c, kind, id, out, err);
    if (r < 0) return -1;
    if (r == 0)
        return cm_fail(err, CM_RULE_VIOLATION, field, "no %s \"%s\" exists", ev_thing_name(kind),
                       id);
    if (strcmp(out->org, c->ev->org) != 0) {
        json_decref(out->body);
        out->body = NULL;
        return cm_fail(err, CM_FORBIDDEN, "org", "%s \"%s\" belongs to \"%s\": only it may do this",
                       ev_thing_name(kind), id, out->org);
    }
    return 0;
}

void ev_fx_thing_put(ev_effects *fx, ev_thing_kind kind, const char *id, const char *status,
                     const json_t *body)
{
    ev_fx *f = ev_fx_add(fx, FX_THING_PUT);
    f->u.thing.kind = kind;
    f->u.thing.id = id;
    f->u.thing.status = status;
    f->u.thing.body = body;
}

void ev_fx_thing_status(ev_effects *fx, ev_thing_kind kind, const char *id, const char *status)
{
    ev_fx *f = ev_fx_add(fx, FX_THING_STATUS);
    f->u.thing.kind = kind;
    f->u.thing.id = id;
    f->u.thing.status = status;
}

void ev_fx_thing_note(ev_effects *fx, ev_thing_kind kind, const char *id, const char *note,
                      const json_t *body, int latest_per_org)
{
    ev_fx *f = ev_fx_add(fx, FX_THING_NOTE);
    f->u.thing.kind = kind;
    f->u.thing.id = id;
    f->u.thing.note = note;
    f->u.thing.body = body;
    f->u.thing.latest_per_org = latest_per_org;
}

geo_point *ev_points(const json_t *body, const char *key, size_t *n)
{
    const json_t *a = json_object_get(body, key);
    *n = json_array_size(a);
    geo_point *p = xcalloc(*n ? *n : 1, sizeof *p);
    for (size_t i = 0; i < *n; i++) {
        const json_t *pt = json_array_get(a, i);
        p[i].lat = json_number_value(json_array_get(pt, 0));
        p[i].lon = json_number_value(json_array_get(pt, 1));
    }
    return p;
}

int64_t ev_time_of(const json_t *body, const char *key, int64_t dflt)
{
    const char *s = ev_str(body, key);
    int64_t ms;
    return s && time_parse(s, strlen(s), &ms) == 0 ? ms : dflt;
}

int ev_time_order(const json_t *body, const char *from, const char *until, cm_error *err)
{
    if (!json_object_get(body, until)) return 0;
    if (ev_time_of(body, until, 0) <= ev_time_of(body, from, 0)) {
        char field[CM_FIELD_MAX];
        snprintf(field, sizeof field, "body.%s", until);
        return cm_fail(err, CM_RULE_VIOLATION, field, "%s must come after %s", until, from);
    }
    return 0;
}
