/*
 * store_read.c: the registry's rows (orgs, keys, places) for the read
 * model (src/views/registry.c), and the helpers every reading file of the
 * store shares: a query with bound arguments, and a query whose rows go
 * one by one to a function.
 */
#include "store/pg_int.h"

sqlite3_stmt *store_query(store *s, const char *sql, const store_arg *args, int n, cm_error *err)
{
    sqlite3_stmt *st = NULL;
    if (sqlite3_prepare_v2(s->db, sql, -1, &st, NULL) != SQLITE_OK) {
        store_fail(s, err, "read");
        return NULL;
    }
    for (int i = 0; i < n; i++) {
        const store_arg *a = &args[i];
        if (a->kind == 1)
            store_bind_text(st, i + 1, a->s);
        else if (a->kind == 2)
            sqlite3_bind_int64(st, i + 1, a->i);
        else
            sqlite3_bind_double(st, i + 1, a->d);
    }
    return st;
}

/* The text of column i, or NULL. */
static const char *text(sqlite3_stmt *st, int i)
{
    return (const char *)sqlite3_column_text(st, i);
}

int store_rows(store *s, const char *sql, const store_arg *args, int n, store_row_fn fn, void *ctx,
               cm_error *err)
{
    sqlite3_stmt *st = store_query(s, sql, args, n, err);
    if (!st) return -1;
    int rc, stop = 0;
    while (!stop && (rc = sqlite3_step(st)) == SQLITE_ROW) stop = fn(ctx, st);
    sqlite3_finalize(st);
    if (stop) return stop;
    return rc == SQLITE_DONE ? 0 : store_fail(s, err, "read");
}

typedef struct {
    void *fn, *ctx;
} each;

static int org_row(void *ctx, sqlite3_stmt *st)
{
    const each *e = ctx;
    store_org_row r = {text(st, 0), text(st, 1), text(st, 2), text(st, 3),
                       text(st, 4), text(st, 5), text(st, 6), sqlite3_column_int64(st, 7)};
    return ((store_org_fn)e->fn)(e->ctx, &r);
}

int store_orgs_each(store *s, store_org_fn fn, void *ctx, cm_error *err)
{
    if (s->pg) return pg_orgs_each(s->pg, fn, ctx, err);
    each e = {(void *)fn, ctx};
    return store_rows(s,
                      "SELECT org, name, names, roles, country, status, reason, admitted FROM orgs "
                      "ORDER BY org",
                      NULL, 0, org_row, &e, err);
}

static int key_row(void *ctx, sqlite3_stmt *st)
{
    const each *e = ctx;
    store_key_row r = {text(st, 0), text(st, 1), text(st, 2), text(st, 3)};
    return ((store_key_fn)e->fn)(e->ctx, &r);
}

int store_keys_each(store *s, store_key_fn fn, void *ctx, cm_error *err)
{
    if (s->pg) return pg_keys_each(s->pg, fn, ctx, err);
    each e = {(void *)fn, ctx};
    return store_rows(s,
                      "SELECT org, keyid, public_key, status FROM keys ORDER BY org, added, keyid",
                      NULL, 0, key_row, &e, err);
}

static int place_row(void *ctx, sqlite3_stmt *st)
{
    const each *e = ctx;
    store_place_row r = {text(st, 0),
                         text(st, 1),
                         text(st, 2),
                         text(st, 3),
                         text(st, 4),
                         text(st, 5),
                         text(st, 6),
                         sqlite3_column_double(st, 7),
                         sqlite3_column_double(st, 8),
                         sqlite3_column_int64(st, 9)};
    return ((store_place_fn)e->fn)(e->ctx, &r);
}

int store_places_each(store *s, store_place_fn fn, void *ctx, cm_error *err)
{
    if (s->pg) return pg_places_each(s->pg, fn, ctx, err);
    each e = {(void *)fn, ctx};
    return store_rows(s,
                      "SELECT place, kind, name, names, sector, status, reason, lat, lon, defined "
                      "FROM places ORDER BY place",
                      NULL, 0, place_row, &e, err);
}
