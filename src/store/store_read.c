/*
 * store_read.c: the registry's projections as the JSON the read API
 * answers, built by SQLite's JSON functions in one query each. Optional
 * fields that were never given are null.
 */
#include "store/store_int.h"

static int one_json(store *s, const char *sql, cm_buf *out, cm_error *err)
{
    sqlite3_stmt *st = NULL;
    if (sqlite3_prepare_v2(s->db, sql, -1, &st, NULL) != SQLITE_OK)
        return store_fail(s, err, "read");
    int rc = sqlite3_step(st);
    if (rc == SQLITE_ROW) {
        const char *t = (const char *)sqlite3_column_text(st, 0);
        buf_puts(out, t ? t : "[]");
    }
    sqlite3_finalize(st);
    return rc == SQLITE_ROW ? 0 : store_fail(s, err, "read");
}

int store_orgs_json(store *s, cm_buf *out, cm_error *err)
{
    return one_json(
        s,
        "SELECT coalesce(json_group_array(json(o)), '[]') FROM ("
        " SELECT json_object('org', org, 'name', name, 'roles', json(roles), 'country', country,"
        "  'status', status, 'reason', reason, 'admitted', admitted, 'keys', json(("
        "   SELECT json_group_array(json_object('keyid', keyid, 'public_key', public_key,"
        "    'status', status)) FROM (SELECT * FROM keys k WHERE k.org = orgs.org"
        "    ORDER BY added, keyid)))) AS o"
        " FROM orgs ORDER BY org)",
        out, err);
}

int store_places_json(store *s, cm_buf *out, cm_error *err)
{
    return one_json(s,
                    "SELECT coalesce(json_group_array(json(p)), '[]') FROM ("
                    " SELECT json_object('place', place, 'kind', kind, 'name', name, 'lat', lat,"
                    "  'lon', lon, 'sector', sector, 'status', status, 'reason', reason,"
                    "  'defined', defined) AS p FROM places ORDER BY place)",
                    out, err);
}
