/*
 * store_things.c: sites, zones, movements, incidents and the other
 * "things" (src/event/things.c) on SQLite: one row per thing in `things`
 * (its body is the event body that made or last replaced it, as compact
 * JSON), and its history in `thing_notes`. A note that is "latest per org"
 * (a military org's answer to a movement) clears that org's earlier note's
 * `latest` flag, so both the history and the answer that counts are kept.
 */
#include "store/store_int.h"

#include "event/effects.h"

#include "common/mem.h"

#include <stdio.h>

static int v_thing(void *ctx, ev_thing_kind kind, const char *id, ev_thing_state *out)
{
    store *s = ctx;
    sqlite3_stmt *st = store_stmt(
        s, SQ_THING_GET, "SELECT org, status, body, time FROM things WHERE kind=? AND id=?", NULL);
    if (!st) return -1;
    sqlite3_bind_text(st, 1, ev_thing_name(kind), -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 2, id, -1, SQLITE_STATIC);
    int r = store_step_row(st);
    if (r != 1) return r;
    snprintf(out->org, sizeof out->org, "%s", (const char *)sqlite3_column_text(st, 0));
    snprintf(out->status, sizeof out->status, "%s", (const char *)sqlite3_column_text(st, 1));
    out->body = json_loadb((const char *)sqlite3_column_text(st, 2),
                           (size_t)sqlite3_column_bytes(st, 2), 0, NULL);
    out->time = sqlite3_column_int64(st, 3);
    sqlite3_reset(st);
    return 1;
}

static int v_thing_note(void *ctx, ev_thing_kind kind, const char *id, const char *note,
                        json_t **body)
{
    store *s = ctx;
    sqlite3_stmt *st = store_stmt(s, SQ_THING_NOTE_LATEST,
                                  "SELECT body FROM thing_notes WHERE kind=? AND id=? AND note=? "
                                  "AND latest=1 ORDER BY idx DESC, seq DESC LIMIT 1",
                                  NULL);
    if (!st) return -1;
    sqlite3_bind_text(st, 1, ev_thing_name(kind), -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 2, id, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 3, note, -1, SQLITE_STATIC);
    int r = store_step_row(st);
    if (r != 1) return r;
    *body = json_loadb((const char *)sqlite3_column_text(st, 0),
                       (size_t)sqlite3_column_bytes(st, 0), 0, NULL);
    sqlite3_reset(st);
    return *body ? 1 : -1;
}

/* The first weapon record (by creation) with this category, make and
 * serial. The kind is written into the SQL, not bound, and the serial read
 * with the very expression of things_weapon_serial (store_schema.c), so that
 * this partial index serves the lookup; make may be NULL, hence IS. */
static int v_weapon_by_serial(void *ctx, const char *category, const char *make, const char *serial,
                              char id[EV_ID_MAX + 1])
{
    store *s = ctx;
    sqlite3_stmt *st = store_stmt(s, SQ_WEAPON_BY_SERIAL,
                                  "SELECT id FROM things WHERE kind = 'weapon' "
                                  "AND json_extract(body, '$.serial') = ?1 "
                                  "AND json_extract(body, '$.category') IS ?2 "
                                  "AND json_extract(body, '$.make') IS ?3 "
                                  "ORDER BY created LIMIT 1",
                                  NULL);
    if (!st) return -1;
    store_bind_text(st, 1, serial);
    store_bind_text(st, 2, category);
    store_bind_text(st, 3, make);
    int r = store_step_row(st);
    if (r != 1) return r;
    snprintf(id, EV_ID_MAX + 1, "%s", (const char *)sqlite3_column_text(st, 0));
    sqlite3_reset(st);
    return 1;
}

static int v_orgs_with_role(void *ctx, unsigned role, char (*ids)[EV_ID_MAX + 1], size_t cap,
                            size_t *n)
{
    store *s = ctx;
    sqlite3_stmt *st = store_stmt(
        s, SQ_ORGS_ROLE,
        "SELECT org FROM orgs WHERE (role_bits & ?) != 0 AND status = 'active' ORDER BY org", NULL);
    if (!st) return -1;
    sqlite3_bind_int(st, 1, (int)role);
    int r;
    *n = 0;
    while ((r = store_step_row(st)) == 1 && *n < cap)
        snprintf(ids[(*n)++], EV_ID_MAX + 1, "%s", (const char *)sqlite3_column_text(st, 0));
    sqlite3_reset(st);
    return r < 0 ? -1 : 1;
}

void store_things_view(store *s, ev_view *v)
{
    (void)s;
    v->thing = v_thing;
    v->thing_note = v_thing_note;
    v->weapon_by_serial = v_weapon_by_serial;
    v->orgs_with_role = v_orgs_with_role;
}

int store_things_apply(store *s, const ev_fx *f, const ev_event *e, uint64_t idx, int seq,
                       cm_error *err)
{
    const char *kind = ev_thing_name(f->u.thing.kind);
    sqlite3_int64 at = (sqlite3_int64)idx;
    sqlite3_stmt *st;
    char *body = f->u.thing.body ? json_dumps(f->u.thing.body, EV_JSON_OUT) : NULL;
    int rc = -1;
    switch (f->kind) {
    case FX_THING_PUT:
        st = store_stmt(s, SQ_THING_PUT,
                        "INSERT INTO things(kind, id, org, status, body, time, created, updated) "
                        "VALUES(?1, ?2, ?3, ?4, ?5, ?6, ?7, ?7) ON CONFLICT(kind, id) DO UPDATE "
                        "SET status = excluded.status, body = excluded.body, "
                        "updated = excluded.updated",
                        err);
        if (!st) break;
        sqlite3_bind_text(st, 1, kind, -1, SQLITE_STATIC);
        store_bind_text(st, 2, f->u.thing.id);
        store_bind_text(st, 3, e->org);
        store_bind_text(st, 4, f->u.thing.status);
        store_bind_text(st, 5, body ? body : "{}");
        sqlite3_bind_int64(st, 6, e->time_ms);
        sqlite3_bind_int64(st, 7, at);
        rc = store_step_done(s, st, err);
        break;
    case FX_THING_STATUS:
        st = store_stmt(s, SQ_THING_STATUS,
                        "UPDATE things SET status=?, updated=? WHERE kind=? AND id=?", err);
        if (!st) break;
        store_bind_text(st, 1, f->u.thing.status);
        sqlite3_bind_int64(st, 2, at);
        sqlite3_bind_text(st, 3, kind, -1, SQLITE_STATIC);
        store_bind_text(st, 4, f->u.thing.id);
        rc = store_step_done(s, st, err);
        break;
    case FX_THING_NOTE:
        if (f->u.thing.latest_per_org) {
            st = store_stmt(s, SQ_THING_UNLATEST,
                            "UPDATE thing_notes SET latest=0 WHERE kind=? AND id=? AND org=? AND "
                            "note=? AND latest=1",
                            err);
            if (!st) break;
            sqlite3_bind_text(st, 1, kind, -1, SQLITE_STATIC);
            store_bind_text(st, 2, f->u.thing.id);
            store_bind_text(st, 3, e->org);
            store_bind_text(st, 4, f->u.thing.note);
            if (store_step_done(s, st, err)) break;
        }
        st = store_stmt(s, SQ_THING_NOTE,
                        "INSERT INTO thing_notes(kind, id, idx, seq, org, note, body, time, "
                        "latest) VALUES(?,?,?,?,?,?,?,?,1)",
                        err);
        if (!st) break;
        sqlite3_bind_text(st, 1, kind, -1, SQLITE_STATIC);
        store_bind_text(st, 2, f->u.thing.id);
        sqlite3_bind_int64(st, 3, at);
        sqlite3_bind_int(st, 4, seq);
        store_bind_text(st, 5, e->org);
        store_bind_text(st, 6, f->u.thing.note);
        store_bind_text(st, 7, body ? body : "{}");
        sqlite3_bind_int64(st, 8, e->time_ms);
        rc = store_step_done(s, st, err);
        break;
    default:
        cm_fail(err, CM_INTERNAL, "", "store: not a thing effect (%d)", (int)f->kind);
    }
    free(body);
    return rc;
}
