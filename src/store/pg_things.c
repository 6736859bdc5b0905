/*
 * pg_things.c: sites, zones, movements, incidents and the other things on
 * PostgreSQL, as store_things.c keeps them on SQLite: one row per thing in
 * `things` (the body of the event that made or last replaced it, compact
 * JSON text), its history in `thing_notes`, an org's earlier note of a kind
 * losing its `latest` flag when the rules keep only its latest.
 */
#include "store/pg_int.h"

#include "event/effects.h"

#include "common/mem.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int v_thing(void *ctx, ev_thing_kind kind, const char *id, ev_thing_state *out)
{
    pg_params a = {0};
    pg_text(&a, ev_thing_name(kind));
    pg_text(&a, id);
    PGresult *r;
    int found =
        pg_row(PG(ctx), "SELECT org, status, body, time FROM things WHERE kind = $1 AND id = $2",
               &a, &r, NULL);
    if (found != 1) return found;
    snprintf(out->org, sizeof out->org, "%s", PQgetvalue(r, 0, 0));
    snprintf(out->status, sizeof out->status, "%s", PQgetvalue(r, 0, 1));
    out->body = json_loadb(PQgetvalue(r, 0, 2), (size_t)PQgetlength(r, 0, 2), 0, NULL);
    out->time = pg_i(r, 0, 3, 0);
    PQclear(r);
    return 1;
}

static int v_thing_note(void *ctx, ev_thing_kind kind, const char *id, const char *note,
                        json_t **body)
{
    pg_params a = {0};
    pg_text(&a, ev_thing_name(kind));
    pg_text(&a, id);
    pg_text(&a, note);
    PGresult *r;
    int found = pg_row(PG(ctx),
                       "SELECT body FROM thing_notes WHERE kind = $1 AND id = $2 AND note = $3 "
                       "AND latest = 1 ORDER BY idx DESC, seq DESC LIMIT 1",
                       &a, &r, NULL);
    if (found != 1) return found;
    *body = json_loadb(PQgetvalue(r, 0, 0), (size_t)PQgetlength(r, 0, 0), 0, NULL);
    PQclear(r);
    return *body ? 1 : -1;
}

/* The first weapon record (by creation) with this category, make and
 * serial, read with the expression things_weapon_serial indexes. */
static int v_weapon_by_serial(void *ctx, const char *category, const char *make, const char *serial,
                              char id[EV_ID_MAX + 1])
{
    pg_params a = {0};
    pg_text(&a, serial);
    pg_text(&a, category);
    pg_text(&a, make);
    PGresult *r;
    int found = pg_row(PG(ctx),
                       "SELECT id FROM things WHERE kind = 'weapon' "
                       "AND ((body::jsonb) ->> 'serial') = $1 "
                       "AND ((body::jsonb) ->> 'category') IS NOT DISTINCT FROM $2 "
                       "AND ((body::jsonb) ->> 'make') IS NOT DISTINCT FROM $3 "
                       "ORDER BY created LIMIT 1",
                       &a, &r, NULL);
    if (found != 1) return found;
    snprintf(id, EV_ID_MAX + 1, "%s", PQgetvalue(r, 0, 0));
    PQclear(r);
    return 1;
}

static int v_orgs_with_role(void *ctx, unsigned role, char (*ids)[EV_ID_MAX + 1], size_t cap,
                            size_t *n)
{
    pg_params a = {0};
    pg_int(&a, (int64_t)role);
    PGresult *r = pg_run(PG(ctx),
                         "SELECT org FROM orgs WHERE (role_bits & $1) != 0 AND status = 'active' "
                         "ORDER BY org",
                         &a, 0, "read", NULL);
    if (!r) return -1;
    *n = 0;
    for (int i = 0; i < PQntuples(r) && *n < cap; i++)
        snprintf(ids[(*n)++], EV_ID_MAX + 1, "%s", PQgetvalue(r, i, 0));
    PQclear(r);
    return 1;
}

void pg_things_view(ev_view *v)
{
    v->thing = v_thing;
    v->thing_note = v_thing_note;
    v->weapon_by_serial = v_weapon_by_serial;
    v->orgs_with_role = v_orgs_with_role;
}

int pg_things_apply(pg_store *p, const ev_fx *f, const ev_event *e, uint64_t idx, int seq,
                    cm_error *err)
{
    const char *kind = ev_thing_name(f->u.thing.kind);
    int64_t at = (int64_t)idx;
    char *body = f->u.thing.body ? json_dumps(f->u.thing.body, EV_JSON_OUT) : NULL;
    pg_params a = {0};
    int rc = -1;
    switch (f->kind) {
    case FX_THING_PUT:
        pg_text(&a, kind);
        pg_text(&a, f->u.thing.id);
        pg_text(&a, e->org);
        pg_text(&a, f->u.thing.status);
        pg_text(&a, body ? body : "{}");
        pg_int(&a, e->time_ms);
        pg_int(&a, at);
        rc = pg_do(p,
                   "INSERT INTO things(kind, id, org, status, body, time, created, updated) "
                   "VALUES($1, $2, $3, $4, $5, $6, $7, $7) ON CONFLICT(kind, id) DO UPDATE "
                   "SET status = excluded.status, body = excluded.body, updated = excluded.updated",
                   &a, "apply", err);
        break;
    case FX_THING_STATUS:
        pg_text(&a, f->u.thing.status);
        pg_int(&a, at);
        pg_text(&a, kind);
        pg_text(&a, f->u.thing.id);
        rc = pg_do(p, "UPDATE things SET status = $1, updated = $2 WHERE kind = $3 AND id = $4", &a,
                   "apply", err);
        break;
    case FX_THING_NOTE:
        if (f->u.thing.latest_per_org) {
            pg_params u = {0};
            pg_text(&u, kind);
            pg_text(&u, f->u.thing.id);
            pg_text(&u, e->org);
            pg_text(&u, f->u.thing.note);
            if (pg_do(p,
                      "UPDATE thing_notes SET latest = 0 WHERE kind = $1 AND id = $2 AND "
                      "org = $3 AND note = $4 AND latest = 1",
                      &u, "apply", err))
                break;
        }
        pg_text(&a, kind);
        pg_text(&a, f->u.thing.id);
        pg_int(&a, at);
        pg_int(&a, seq);
        pg_text(&a, e->org);
        pg_text(&a, f->u.thing.note);
        pg_text(&a, body ? body : "{}");
        pg_int(&a, e->time_ms);
        rc = pg_do(p,
                   "INSERT INTO thing_notes(kind, id, idx, seq, org, note, body, time, latest) "
                   "VALUES($1, $2, $3, $4, $5, $6, $7, $8, 1)",
                   &a, "apply", err);
        break;
    default:
        cm_fail(err, CM_INTERNAL, "", "store: not a thing effect (%d)", (int)f->kind);
    }
    free(body);
    return rc;
}
