/*
 * pg_state.c: the state events are judged against, on PostgreSQL: the
 * lookups of an ev_view and the writes of an accepted event's effects, on
 * one connection, inside the writer's open transaction (as store_state.c
 * on SQLite). The same table of appliers decides which code writes each
 * kind of effect; a new kind needs its row here and in store_state.c.
 * The registry's lookups are kept for the rest of the writer's transaction
 * (pg_cache.c), and forgotten when it writes to the registry.
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
    int kept = pg_cache_get(PG(ctx), PG_CACHE_ORG, org, out);
    if (kept >= 0) return kept;
    pg_params a = {0};
    pg_text(&a, org);
    PGresult *r;
    int found = pg_row(PG(ctx), "SELECT role_bits, status FROM orgs WHERE org = $1", &a, &r, NULL);
    if (found == 1) {
        out->roles = (unsigned)pg_i(r, 0, 0, 0);
        out->suspended = strcmp(PQgetvalue(r, 0, 1), "suspended") == 0;
        PQclear(r);
    }
    if (found >= 0) pg_cache_put(PG(ctx), PG_CACHE_ORG, org, found, out);
    return found;
}

static int v_key(void *ctx, const char *keyid, ev_key_state *out)
{
    int kept = pg_cache_get(PG(ctx), PG_CACHE_KEY, keyid, out);
    if (kept >= 0) return kept;
    pg_params a = {0};
    pg_text(&a, keyid);
    PGresult *r;
    int found =
        pg_row(PG(ctx), "SELECT org, public_key, status FROM keys WHERE keyid = $1", &a, &r, NULL);
    if (found == 0) pg_cache_put(PG(ctx), PG_CACHE_KEY, keyid, 0, NULL);
    if (found != 1) return found;
    snprintf(out->org, sizeof out->org, "%s", PQgetvalue(r, 0, 0));
    const char *b64 = PQgetvalue(r, 0, 1);
    uint8_t k[LOG_PUBKEY_SIZE + 3];
    int rc = b64_decode(b64, strlen(b64), k, sizeof k) == LOG_PUBKEY_SIZE ? 1 : -1;
    memcpy(out->pub, k, LOG_PUBKEY_SIZE);
    out->revoked = strcmp(PQgetvalue(r, 0, 2), "revoked") == 0;
    PQclear(r);
    if (rc == 1) pg_cache_put(PG(ctx), PG_CACHE_KEY, keyid, 1, out);
    return rc;
}

static int v_active_keys(void *ctx, const char *org, long long *count)
{
    pg_params a = {0};
    pg_text(&a, org);
    PGresult *r;
    if (pg_row(PG(ctx), "SELECT count(*) FROM keys WHERE org = $1 AND status = 'active'", &a, &r,
               NULL) != 1)
        return -1;
    *count = pg_i(r, 0, 0, 0);
    PQclear(r);
    return 1;
}

static int v_place(void *ctx, const char *place, ev_place_state *out)
{
    int kept = pg_cache_get(PG(ctx), PG_CACHE_PLACE, place, out);
    if (kept >= 0) return kept;
    pg_params a = {0};
    pg_text(&a, place);
    PGresult *r;
    int found = pg_row(PG(ctx), "SELECT kind, status FROM places WHERE place = $1", &a, &r, NULL);
    if (found == 1) {
        snprintf(out->kind, sizeof out->kind, "%s", PQgetvalue(r, 0, 0));
        out->closed = strcmp(PQgetvalue(r, 0, 1), "closed") == 0;
        PQclear(r);
    }
    if (found >= 0) pg_cache_put(PG(ctx), PG_CACHE_PLACE, place, found, out);
    return found;
}

int pg_event_index(pg_store *p, const char *org, const char *id, uint64_t *index)
{
    int known = pg_ids_get(p, org, id, index);
    if (known >= 0) return known;
    pg_params a = {0};
    pg_text(&a, org);
    pg_text(&a, id);
    PGresult *r;
    int found = pg_row(p, "SELECT idx FROM event_ids WHERE org = $1 AND id = $2", &a, &r, NULL);
    if (found != 1) return found;
    *index = (uint64_t)pg_i(r, 0, 0, 0);
    PQclear(r);
    return 1;
}

static int v_event_id(void *ctx, const char *org, const char *id, uint64_t *index, ev_envelope *env)
{
    memset(env, 0, sizeof *env);
    int r = pg_event_index(PG(ctx), org, id, index);
    if (r != 1) return r;
    char *entry = NULL;
    size_t len = 0;
    int64_t received;
    if (pg_entry(PG(ctx), *index, &entry, &len, NULL) != 1) return -1; /* its entry must be there */
    r = ev_entry_parse(entry, len, env, &received, NULL) ? -1 : 1;
    free(entry);
    return r;
}

void pg_view(store *s, ev_view *v)
{
    memset(v, 0, sizeof *v);
    v->ctx = s;
    v->org = v_org;
    v->key = v_key;
    v->active_keys = v_active_keys;
    v->place = v_place;
    v->event_id = v_event_id;
    pg_supply_view(v);
    pg_things_view(v);
}

/* An org's or place's names by language as JSON text with sorted keys, or
 * NULL (malloc'ed). */
static char *names_text(const json_t *names)
{
    return names ? json_dumps(names, JSON_COMPACT | JSON_SORT_KEYS) : NULL;
}

static int apply_registry(pg_store *p, const ev_fx *f, const ev_event *e, uint64_t idx, int seq,
                          cm_error *err)
{
    (void)e, (void)seq;
    pg_params a = {0};
    int64_t at = (int64_t)idx;
    pg_cache_clear(p); /* the registry changes: what was looked up is looked up again */
    switch (f->kind) {
    case FX_ORG_ADMIT: {
        cm_buf roles = CM_BUF_INIT;
        ev_roles_json(f->u.org_admit.roles, &roles);
        char *names = names_text(f->u.org_admit.names);
        pg_text(&a, f->u.org_admit.org);
        pg_text(&a, f->u.org_admit.name);
        pg_text(&a, roles.data);
        pg_int(&a, (int64_t)f->u.org_admit.roles);
        pg_text(&a, f->u.org_admit.country);
        pg_int(&a, at);
        pg_text(&a, names);
        int rc = pg_do(p,
                       "INSERT INTO orgs(org, name, roles, role_bits, country, status, admitted, "
                       "updated, names) VALUES($1, $2, $3, $4, $5, 'active', $6, $6, $7)",
                       &a, "apply", err);
        buf_free(&roles);
        free(names);
        return rc;
    }
    case FX_ORG_STATUS:
        pg_text(&a, f->u.org_status.suspended ? "suspended" : "active");
        pg_text(&a, f->u.org_status.reason);
        pg_int(&a, at);
        pg_text(&a, f->u.org_status.org);
        return pg_do(p, "UPDATE orgs SET status = $1, reason = $2, updated = $3 WHERE org = $4", &a,
                     "apply", err);
    case FX_KEY_ADD: {
        char b64[B64_LEN(LOG_PUBKEY_SIZE) + 1];
        b64_encode(f->u.key_add.pub, LOG_PUBKEY_SIZE, b64, sizeof b64);
        pg_text(&a, f->u.key_add.keyid);
        pg_text(&a, f->u.key_add.org);
        pg_text(&a, b64);
        pg_int(&a, at);
        return pg_do(p,
                     "INSERT INTO keys(keyid, org, public_key, status, added, updated) "
                     "VALUES($1, $2, $3, 'active', $4, $4)",
                     &a, "apply", err);
    }
    case FX_KEY_REVOKE:
        pg_text(&a, f->u.key_revoke.reason);
        pg_int(&a, at);
        pg_text(&a, f->u.key_revoke.keyid);
        return pg_do(
            p, "UPDATE keys SET status = 'revoked', reason = $1, updated = $2 WHERE keyid = $3", &a,
            "apply", err);
    case FX_PLACE_DEFINE: {
        char *names = names_text(f->u.place_define.names);
        pg_text(&a, f->u.place_define.place);
        pg_text(&a, f->u.place_define.kind);
        pg_text(&a, f->u.place_define.name);
        pg_real(&a, f->u.place_define.lat);
        pg_real(&a, f->u.place_define.lon);
        pg_text(&a, f->u.place_define.sector);
        pg_int(&a, at);
        pg_text(&a, names);
        int rc = pg_do(p,
                       "INSERT INTO places(place, kind, name, lat, lon, sector, status, defined, "
                       "updated, names) VALUES($1, $2, $3, $4, $5, $6, 'open', $7, $7, $8)",
                       &a, "apply", err);
        free(names);
        return rc;
    }
    case FX_PLACE_STATUS:
        pg_text(&a, f->u.place_status.closed ? "closed" : "open");
        pg_text(&a, f->u.place_status.reason);
        pg_int(&a, at);
        pg_text(&a, f->u.place_status.place);
        return pg_do(p, "UPDATE places SET status = $1, reason = $2, updated = $3 WHERE place = $4",
                     &a, "apply", err);
    default:
        return cm_fail(err, CM_INTERNAL, "", "store: not a registry effect (%d)", (int)f->kind);
    }
}

/* Which code writes each kind of effect, and whether it takes a number in
 * the event's sequence of moves and notes (as store_state.c). */
typedef struct {
    int (*apply)(pg_store *p, const ev_fx *f, const ev_event *e, uint64_t idx, int seq,
                 cm_error *err);
    int numbered;
} fx_applier;

static const fx_applier appliers[] = {
    [FX_ORG_ADMIT] = {apply_registry, 0},
    [FX_ORG_STATUS] = {apply_registry, 0},
    [FX_KEY_ADD] = {apply_registry, 0},
    [FX_KEY_REVOKE] = {apply_registry, 0},
    [FX_PLACE_DEFINE] = {apply_registry, 0},
    [FX_PLACE_STATUS] = {apply_registry, 0},
    [FX_CONSIGNMENT_DECLARE] = {pg_supply_apply, 0},
    [FX_LINE_DECLARE] = {pg_supply_apply, 0},
    [FX_LINE_SCREEN] = {pg_supply_apply, 0},
    [FX_CONSIGNMENT_SCREENED] = {pg_supply_apply, 0},
    [FX_TRANSFER_OPEN] = {pg_supply_apply, 0},
    [FX_TRANSFER_LINE] = {pg_supply_apply, 0},
    [FX_TRANSFER_RECEIVED] = {pg_supply_apply, 0},
    [FX_TRANSFER_CLOSE] = {pg_supply_apply, 0},
    [FX_MOVE] = {pg_supply_apply, 1},
    [FX_DISTRIBUTION] = {pg_supply_apply, 0},
    [FX_LOSS] = {pg_supply_apply, 0},
    [FX_TOUCH] = {pg_supply_apply, 0},
    [FX_THING_PUT] = {pg_things_apply, 0},
    [FX_THING_STATUS] = {pg_things_apply, 0},
    [FX_THING_NOTE] = {pg_things_apply, 1},
};

int pg_apply(pg_store *p, const ev_event *e, const ev_effects *fx, uint64_t idx, cm_error *err)
{
    pg_params a = {0};
    pg_text(&a, e->org);
    pg_text(&a, e->id);
    pg_int(&a, (int64_t)idx);
    if (pg_do(p, "INSERT INTO event_ids(org, id, idx) VALUES($1, $2, $3)", &a, "apply", err))
        return -1;
    pg_ids_put(p, e->org, e->id, 1, idx); /* a repeat later in the batch is one */
    int seq = 0;
    for (size_t i = 0; i < fx->n; i++) {
        const ev_fx *f = &fx->v[i];
        size_t k = (size_t)f->kind;
        if (k >= sizeof appliers / sizeof *appliers || !appliers[k].apply)
            return cm_fail(err, CM_INTERNAL, "", "store: no applier for effect %zu", k);
        if (appliers[k].apply(p, f, e, idx, seq, err)) return -1;
        seq += appliers[k].numbered;
    }
    for (size_t i = 0; i < fx->n; i++) {
        const ev_fx *f = &fx->v[i];
        if (ev_fx_first_move(fx, i) &&
            pg_line_invariant(p, f->u.move.consignment, f->u.move.line, err))
            return -1;
    }
    return 0;
}

int pg_clear_state(pg_store *p, cm_error *err)
{
    pg_caches_clear(p); /* event_ids is emptied too */
    cm_buf sql = CM_BUF_INIT;
    buf_puts(&sql, "TRUNCATE ");
    for (size_t i = 0; store_state_tables[i]; i++)
        buf_printf(&sql, "%s%s", i ? ", " : "", store_state_tables[i]);
    int rc = pg_exec(p, sql.data, err);
    buf_free(&sql);
    return rc;
}
