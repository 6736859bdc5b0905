/*
 * store_state.c: the state events are judged against, on SQLite.
 *
 * The lookups of an ev_view (store_view) and the writes of an accepted
 * event's effects (store_apply) work on the same connection, so that inside
 * the writer's open transaction each event of a batch sees the effects of
 * the ones before it. Every projection row records `updated`, the entry that
 * last wrote it, so that a difference found by a replay names an entry.
 */
#include "store/pg_int.h"

#include "event/effects.h"

#include "common/codec.h"
#include "common/mem.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int v_org(void *ctx, const char *org, ev_org_state *out)
{
    store *s = ctx;
    sqlite3_stmt *st =
        store_stmt(s, SQ_ORG_GET, "SELECT role_bits, status FROM orgs WHERE org=?", NULL);
    if (!st) return -1;
    sqlite3_bind_text(st, 1, org, -1, SQLITE_STATIC);
    int r = store_step_row(st);
    if (r != 1) return r;
    out->roles = (unsigned)sqlite3_column_int(st, 0);
    out->suspended = strcmp((const char *)sqlite3_column_text(st, 1), "suspended") == 0;
    sqlite3_reset(st);
    return 1;
}

static int v_key(void *ctx, const char *keyid, ev_key_state *out)
{
    store *s = ctx;
    sqlite3_stmt *st =
        store_stmt(s, SQ_KEY_GET, "SELECT org, public_key, status FROM keys WHERE keyid=?", NULL);
    if (!st) return -1;
    sqlite3_bind_text(st, 1, keyid, -1, SQLITE_STATIC);
    int r = store_step_row(st);
    if (r != 1) return r;
    snprintf(out->org, sizeof out->org, "%s", (const char *)sqlite3_column_text(st, 0));
    const char *b64 = (const char *)sqlite3_column_text(st, 1);
    uint8_t k[LOG_PUBKEY_SIZE + 3];
    r = b64_decode(b64, strlen(b64), k, sizeof k) == LOG_PUBKEY_SIZE ? 1 : -1;
    memcpy(out->pub, k, LOG_PUBKEY_SIZE);
    out->revoked = strcmp((const char *)sqlite3_column_text(st, 2), "revoked") == 0;
    sqlite3_reset(st);
    return r;
}

static int v_active_keys(void *ctx, const char *org, long long *count)
{
    store *s = ctx;
    sqlite3_stmt *st = store_stmt(
        s, SQ_KEYS_ACTIVE, "SELECT count(*) FROM keys WHERE org=? AND status='active'", NULL);
    if (!st) return -1;
    sqlite3_bind_text(st, 1, org, -1, SQLITE_STATIC);
    int r = store_step_row(st);
    if (r != 1) return -1;
    *count = sqlite3_column_int64(st, 0);
    sqlite3_reset(st);
    return 1;
}

static int v_place(void *ctx, const char *place, ev_place_state *out)
{
    store *s = ctx;
    sqlite3_stmt *st =
        store_stmt(s, SQ_PLACE_GET, "SELECT kind, status FROM places WHERE place=?", NULL);
    if (!st) return -1;
    sqlite3_bind_text(st, 1, place, -1, SQLITE_STATIC);
    int r = store_step_row(st);
    if (r != 1) return r;
    snprintf(out->kind, sizeof out->kind, "%s", (const char *)sqlite3_column_text(st, 0));
    out->closed = strcmp((const char *)sqlite3_column_text(st, 1), "closed") == 0;
    sqlite3_reset(st);
    return 1;
}

int store_event_index(store *s, const char *org, const char *id, uint64_t *index)
{
    if (s->pg) return pg_event_index(s->pg, org, id, index);
    sqlite3_stmt *st =
        store_stmt(s, SQ_EVID_GET, "SELECT idx FROM event_ids WHERE org=? AND id=?", NULL);
    if (!st) return -1;
    sqlite3_bind_text(st, 1, org, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 2, id, -1, SQLITE_STATIC);
    int r = store_step_row(st);
    if (r != 1) return r;
    *index = (uint64_t)sqlite3_column_int64(st, 0);
    sqlite3_reset(st);
    return 1;
}

int store_prefetch_ids(store *s, size_t n, const char *const *orgs, const char *const *ids,
                       cm_error *err)
{
    return s->pg ? pg_prefetch_ids(s->pg, n, orgs, ids, err) : 0;
}

int store_prefetch_supply(store *s, size_t n, const ev_event *const *evs, cm_error *err)
{
    return s->pg ? pg_prefetch_supply(s->pg, n, evs, err) : 0;
}

static int v_event_id(void *ctx, const char *org, const char *id, uint64_t *index, ev_envelope *env)
{
    store *s = ctx;
    memset(env, 0, sizeof *env);
    int r = store_event_index(s, org, id, index);
    if (r != 1) return r;
    char *entry = NULL;
    size_t len = 0;
    int64_t received;
    if (store_entry(s, *index, &entry, &len, NULL) != 1) return -1; /* its entry must be there */
    r = ev_entry_parse(entry, len, env, &received, NULL) ? -1 : 1;
    free(entry);
    return r;
}

void store_view(store *s, ev_view *v)
{
    if (s->pg) {
        pg_view(s, v);
        return;
    }
    memset(v, 0, sizeof *v);
    v->ctx = s;
    v->org = v_org;
    v->key = v_key;
    v->active_keys = v_active_keys;
    v->place = v_place;
    v->event_id = v_event_id;
    store_supply_view(s, v);
    store_things_view(s, v);
}

/* Binds an org's or place's names by language (a JSON object, or NULL) as
 * JSON text with sorted keys, or NULL. 0, or -1 when it cannot. */
static int bind_names(sqlite3_stmt *st, int col, const json_t *names)
{
    if (!names) return sqlite3_bind_null(st, col) == SQLITE_OK ? 0 : -1;
    char *text = json_dumps(names, JSON_COMPACT | JSON_SORT_KEYS);
    if (!text) return -1;
    return sqlite3_bind_text(st, col, text, -1, free) == SQLITE_OK ? 0 : -1;
}

static int apply_one(store *s, const ev_fx *f, uint64_t idx, cm_error *err)
{
    sqlite3_stmt *st;
    sqlite3_int64 at = (sqlite3_int64)idx;
    switch (f->kind) {
    case FX_ORG_ADMIT: {
        st = store_stmt(s, SQ_ORG_ADMIT,
                        "INSERT INTO orgs(org, name, roles, role_bits, country, status, admitted, "
                        "updated, names) VALUES(?,?,?,?,?,'active',?,?,?)",
                        err);
        if (!st) return -1;
        cm_buf roles = CM_BUF_INIT;
        ev_roles_json(f->u.org_admit.roles, &roles);
        store_bind_text(st, 1, f->u.org_admit.org);
        store_bind_text(st, 2, f->u.org_admit.name);
        sqlite3_bind_text(st, 3, roles.data, (int)roles.len, SQLITE_TRANSIENT);
        sqlite3_bind_int(st, 4, (int)f->u.org_admit.roles);
        store_bind_text(st, 5, f->u.org_admit.country);
        sqlite3_bind_int64(st, 6, at);
        sqlite3_bind_int64(st, 7, at);
        buf_free(&roles);
        int rc = bind_names(st, 8, f->u.org_admit.names);
        return rc ? store_fail(s, err, "org names") : store_step_done(s, st, err);
    }
    case FX_ORG_STATUS:
        st = store_stmt(s, SQ_ORG_STATUS,
                        "UPDATE orgs SET status=?, reason=?, updated=? WHERE org=?", err);
        if (!st) return -1;
        store_bind_text(st, 1, f->u.org_status.suspended ? "suspended" : "active");
        store_bind_text(st, 2, f->u.org_status.reason);
        sqlite3_bind_int64(st, 3, at);
        store_bind_text(st, 4, f->u.org_status.org);
        return store_step_done(s, st, err);
    case FX_KEY_ADD: {
        st = store_stmt(s, SQ_KEY_ADD,
                        "INSERT INTO keys(keyid, org, public_key, status, added, updated) "
                        "VALUES(?,?,?,'active',?,?)",
                        err);
        if (!st) return -1;
        char b64[B64_LEN(LOG_PUBKEY_SIZE) + 1];
        b64_encode(f->u.key_add.pub, LOG_PUBKEY_SIZE, b64, sizeof b64);
        store_bind_text(st, 1, f->u.key_add.keyid);
        store_bind_text(st, 2, f->u.key_add.org);
        sqlite3_bind_text(st, 3, b64, -1, SQLITE_TRANSIENT);
        sqlite3_bind_int64(st, 4, at);
        sqlite3_bind_int64(st, 5, at);
        return store_step_done(s, st, err);
    }
    case FX_KEY_REVOKE:
        st = store_stmt(s, SQ_KEY_REVOKE,
                        "UPDATE keys SET status='revoked', reason=?, updated=? WHERE keyid=?", err);
        if (!st) return -1;
        store_bind_text(st, 1, f->u.key_revoke.reason);
        sqlite3_bind_int64(st, 2, at);
        store_bind_text(st, 3, f->u.key_revoke.keyid);
        return store_step_done(s, st, err);
    case FX_PLACE_DEFINE:
        st = store_stmt(s, SQ_PLACE_DEFINE,
                        "INSERT INTO places(place, kind, name, lat, lon, sector, status, defined, "
                        "updated, names) VALUES(?,?,?,?,?,?,'open',?,?,?)",
                        err);
        if (!st) return -1;
        store_bind_text(st, 1, f->u.place_define.place);
        store_bind_text(st, 2, f->u.place_define.kind);
        store_bind_text(st, 3, f->u.place_define.name);
        sqlite3_bind_double(st, 4, f->u.place_define.lat);
        sqlite3_bind_double(st, 5, f->u.place_define.lon);
        store_bind_text(st, 6, f->u.place_define.sector);
        sqlite3_bind_int64(st, 7, at);
        sqlite3_bind_int64(st, 8, at);
        if (bind_names(st, 9, f->u.place_define.names)) return store_fail(s, err, "place names");
        return store_step_done(s, st, err);
    case FX_PLACE_STATUS:
        st = store_stmt(s, SQ_PLACE_STATUS,
                        "UPDATE places SET status=?, reason=?, updated=? WHERE place=?", err);
        if (!st) return -1;
        store_bind_text(st, 1, f->u.place_status.closed ? "closed" : "open");
        store_bind_text(st, 2, f->u.place_status.reason);
        sqlite3_bind_int64(st, 3, at);
        store_bind_text(st, 4, f->u.place_status.place);
        return store_step_done(s, st, err);
    default:
        return cm_fail(err, CM_INTERNAL, "", "store: not a registry effect (%d)", (int)f->kind);
    }
}

/* A registry effect, with the appliers' common signature. */
static int apply_registry(store *s, const ev_fx *f, const ev_event *e, uint64_t idx, int seq,
                          cm_error *err)
{
    (void)e, (void)seq;
    return apply_one(s, f, idx, err);
}

/* Which code writes each kind of effect, and whether it takes a number in
 * the event's sequence of moves and notes (seq: their order within one
 * entry). A new kind gets its row here; one without is refused. */
typedef struct {
    int (*apply)(store *s, const ev_fx *f, const ev_event *e, uint64_t idx, int seq, cm_error *err);
    int numbered;
} fx_applier;

static const fx_applier appliers[] = {
    [FX_ORG_ADMIT] = {apply_registry, 0},
    [FX_ORG_STATUS] = {apply_registry, 0},
    [FX_KEY_ADD] = {apply_registry, 0},
    [FX_KEY_REVOKE] = {apply_registry, 0},
    [FX_PLACE_DEFINE] = {apply_registry, 0},
    [FX_PLACE_STATUS] = {apply_registry, 0},
    [FX_CONSIGNMENT_DECLARE] = {store_supply_apply, 0},
    [FX_LINE_DECLARE] = {store_supply_apply, 0},
    [FX_LINE_SCREEN] = {store_supply_apply, 0},
    [FX_CONSIGNMENT_SCREENED] = {store_supply_apply, 0},
    [FX_TRANSFER_OPEN] = {store_supply_apply, 0},
    [FX_TRANSFER_LINE] = {store_supply_apply, 0},
    [FX_TRANSFER_RECEIVED] = {store_supply_apply, 0},
    [FX_TRANSFER_CLOSE] = {store_supply_apply, 0},
    [FX_MOVE] = {store_supply_apply, 1},
    [FX_DISTRIBUTION] = {store_supply_apply, 0},
    [FX_LOSS] = {store_supply_apply, 0},
    [FX_TOUCH] = {store_supply_apply, 0},
    [FX_THING_PUT] = {store_things_apply, 0},
    [FX_THING_STATUS] = {store_things_apply, 0},
    [FX_THING_NOTE] = {store_things_apply, 1},
};

int store_apply(store *s, const ev_event *e, const ev_effects *fx, uint64_t idx, cm_error *err)
{
    if (s->pg) return pg_apply(s->pg, e, fx, idx, err);
    const char *org = e->org, *id = e->id;
    sqlite3_stmt *st =
        store_stmt(s, SQ_EVID_PUT, "INSERT INTO event_ids(org, id, idx) VALUES(?,?,?)", err);
    if (!st) return -1;
    sqlite3_bind_text(st, 1, org, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 2, id, -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 3, (sqlite3_int64)idx);
    if (store_step_done(s, st, err)) return -1;
    return store_apply_state(s, e, fx, idx, err);
}

int store_apply_state(store *s, const ev_event *e, const ev_effects *fx, uint64_t idx,
                      cm_error *err)
{
    if (s->pg) return cm_fail(err, CM_INTERNAL, "", "store: a state without ids is SQLite's only");
    int seq = 0;
    for (size_t i = 0; i < fx->n; i++) {
        const ev_fx *f = &fx->v[i];
        size_t k = (size_t)f->kind;
        if (k >= sizeof appliers / sizeof *appliers || !appliers[k].apply)
            return cm_fail(err, CM_INTERNAL, "", "store: no applier for effect %zu", k);
        if (appliers[k].apply(s, f, e, idx, seq, err)) return -1;
        seq += appliers[k].numbered;
    }
    for (size_t i = 0; i < fx->n; i++) {
        const ev_fx *f = &fx->v[i];
        if (ev_fx_first_move(fx, i) &&
            store_line_invariant(s, f->u.move.consignment, f->u.move.line, err))
            return -1;
    }
    return 0;
}

int store_each_event_id(store *s, store_event_id_fn fn, void *ctx, cm_error *err)
{
    if (s->pg) return cm_fail(err, CM_INTERNAL, "", "store: the ids in order are SQLite's only");
    sqlite3_stmt *st = NULL;
    if (sqlite3_prepare_v2(s->db, "SELECT org, id, idx FROM event_ids ORDER BY org, id", -1, &st,
                           NULL) != SQLITE_OK)
        return store_fail(s, err, "event ids");
    int rc, r = 0;
    while (r == 0 && (rc = sqlite3_step(st)) == SQLITE_ROW) {
        const char *org = (const char *)sqlite3_column_text(st, 0);
        size_t ol = (size_t)sqlite3_column_bytes(st, 0);
        const char *id = (const char *)sqlite3_column_text(st, 1);
        size_t il = (size_t)sqlite3_column_bytes(st, 1);
        uint64_t idx = sqlite3_column_type(st, 2) == SQLITE_INTEGER
                           ? (uint64_t)sqlite3_column_int64(st, 2)
                           : UINT64_MAX;
        r = fn(ctx, org ? org : "", org ? ol : 0, id ? id : "", id ? il : 0, idx);
    }
    if (r == 0 && rc != SQLITE_DONE) r = store_fail(s, err, "event ids");
    sqlite3_finalize(st);
    return r;
}

int store_clear_state(store *s, cm_error *err)
{
    if (s->pg) return pg_clear_state(s->pg, err);
    for (size_t i = 0; store_state_tables[i]; i++) {
        char sql[96];
        snprintf(sql, sizeof sql, "DELETE FROM %s", store_state_tables[i]);
        if (store_exec(s, sql, err)) return -1;
    }
    return 0;
}
