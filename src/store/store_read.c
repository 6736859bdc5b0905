/*
 * store_read.c: the registry's projections as the JSON the read API
 * answers, built by SQLite's JSON functions in one query each; and the
 * helpers every store_*_read file shares. Optional fields that were never
 * given are null.
 */
#include "store/store_int.h"

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

int store_orgs_json(store *s, cm_buf *out, cm_error *err)
{
    return store_json(
        s,
        "SELECT coalesce(json_group_array(json(o)), '[]') FROM ("
        " SELECT json_object('org', org, 'name', name, 'names', json(names), 'roles',"
        "  json(roles), 'country', country,"
        "  'status', status, 'reason', reason, 'admitted', admitted, 'keys', json(("
        "   SELECT json_group_array(json_object('keyid', keyid, 'public_key', public_key,"
        "    'status', status)) FROM (SELECT * FROM keys k WHERE k.org = orgs.org"
        "    ORDER BY added, keyid)))) AS o"
        " FROM orgs ORDER BY org)",
        NULL, 0, out, err);
}

int store_places_json(store *s, cm_buf *out, cm_error *err)
{
    return store_json(s,
                      "SELECT coalesce(json_group_array(json(p)), '[]') FROM ("
                      " SELECT json_object('place', place, 'kind', kind, 'name', name,"
                      "  'names', json(names), 'lat', lat,"
                      "  'lon', lon, 'sector', sector, 'status', status, 'reason', reason,"
                      "  'defined', defined) AS p FROM places ORDER BY place)",
                      NULL, 0, out, err);
}
