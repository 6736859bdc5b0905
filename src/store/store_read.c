/*
 * store_read.c: the registry's projections as the JSON the read API
 * answers, built by SQLite's JSON functions in one query each; the same
 * lists one element at a time (store_items, for comparing a list of any
 * size in constant memory); and the helpers every store_*_read file
 * shares. Optional fields that were never given are null.
 */
#include "store/store_int.h"

#include "common/mem.h"

#include <stdlib.h>

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

int store_json(store *s, const char *sql, const store_arg *args, int n, cm_buf *out, cm_error *err)
{
    sqlite3_stmt *st = store_query(s, sql, args, n, err);
    if (!st) return -1;
    int rc = sqlite3_step(st);
    if (rc == SQLITE_ROW && sqlite3_column_type(st, 0) != SQLITE_NULL)
        buf_puts(out, (const char *)sqlite3_column_text(st, 0));
    sqlite3_finalize(st);
    return rc == SQLITE_ROW || rc == SQLITE_DONE ? 0 : store_fail(s, err, "read");
}

/* Each list the read API answers is the array of the rows of one query,
 * each row one element (column o); its JSON is that query wrapped in
 * LIST_OF, or its rows one at a time (store_items). */
#define LIST_OF(items) "SELECT coalesce(json_group_array(json(o)), '[]') FROM (" items ")"

#define ORG_ITEMS                                                                                  \
    " SELECT json_object('org', org, 'name', name, 'names', json(names), 'roles',"                 \
    "  json(roles), 'country', country,"                                                           \
    "  'status', status, 'reason', reason, 'admitted', admitted, 'keys', json(("                   \
    "   SELECT json_group_array(json_object('keyid', keyid, 'public_key', public_key,"             \
    "    'status', status)) FROM (SELECT * FROM keys k WHERE k.org = orgs.org"                     \
    "    ORDER BY added, keyid)))) AS o"                                                           \
    " FROM orgs ORDER BY org"

#define PLACE_ITEMS                                                                                \
    " SELECT json_object('place', place, 'kind', kind, 'name', name,"                              \
    "  'names', json(names), 'lat', lat,"                                                          \
    "  'lon', lon, 'sector', sector, 'status', status, 'reason', reason,"                          \
    "  'defined', defined) AS o FROM places ORDER BY place"

int store_orgs_json(store *s, cm_buf *out, cm_error *err)
{
    return store_json(s, LIST_OF(ORG_ITEMS), NULL, 0, out, err);
}

int store_places_json(store *s, cm_buf *out, cm_error *err)
{
    return store_json(s, LIST_OF(PLACE_ITEMS), NULL, 0, out, err);
}

struct store_items {
    store *s;
    sqlite3_stmt *st;
};

store_items *store_items_open(store *s, store_list which, cm_error *err)
{
    const char *sql = which == STORE_LIST_ORGS     ? ORG_ITEMS
                      : which == STORE_LIST_PLACES ? PLACE_ITEMS
                                                   : store_consignment_items_sql;
    store_items *it = xcalloc(1, sizeof *it);
    it->s = s;
    if (!(it->st = store_query(s, sql, NULL, 0, err))) {
        free(it);
        return NULL;
    }
    return it;
}

const char *store_items_next(store_items *it, size_t *len, cm_error *err)
{
    int rc = sqlite3_step(it->st);
    if (rc == SQLITE_ROW) {
        const char *o = (const char *)sqlite3_column_text(it->st, 0);
        *len = (size_t)sqlite3_column_bytes(it->st, 0);
        return o ? o : "null";
    }
    cm_error_clear(err);
    if (rc != SQLITE_DONE) store_fail(it->s, err, "read");
    return NULL;
}

void store_items_close(store_items *it)
{
    if (!it) return;
    sqlite3_finalize(it->st);
    free(it);
}
