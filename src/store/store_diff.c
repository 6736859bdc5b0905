/*
 * store_diff.c: comparing the projections of two stores, for `cmcc verify`.
 *
 * The other store is attached read-only; for each projection table, rows
 * present on one side and not the other (SQL EXCEPT, both ways) are written
 * as one line each, with the entry that last wrote the row (column
 * `updated`, or `idx` for event ids and entries), so that a difference
 * names an entry; a tree node is named by its level and index.
 */
#include "store/store_int.h"

#include <stdio.h>
#include <string.h>

static void row_text(sqlite3_stmt *st, cm_buf *out, long long *entry)
{
    int n = sqlite3_column_count(st);
    *entry = -1;
    buf_putc(out, '(');
    for (int i = 0; i < n; i++) {
        const char *name = sqlite3_column_name(st, i);
        if (i) buf_puts(out, ", ");
        buf_printf(out, "%s=", name);
        switch (sqlite3_column_type(st, i)) {
        case SQLITE_NULL:
            buf_puts(out, "null");
            break;
        case SQLITE_INTEGER:
            if (strcmp(name, "key") == 0) { /* hashes.key = level << 56 | index */
                uint64_t k = (uint64_t)sqlite3_column_int64(st, i);
                buf_printf(out, "level %llu index %llu", (unsigned long long)(k >> 56),
                           (unsigned long long)(k & ((1ULL << 56) - 1)));
                break;
            }
            buf_printf(out, "%lld", (long long)sqlite3_column_int64(st, i));
            if (strcmp(name, "updated") == 0 || strcmp(name, "idx") == 0)
                *entry = sqlite3_column_int64(st, i);
            break;
        case SQLITE_FLOAT:
            buf_printf(out, "%.17g", sqlite3_column_double(st, i));
            break;
        case SQLITE_BLOB:
            buf_b64(out, sqlite3_column_blob(st, i), (size_t)sqlite3_column_bytes(st, i));
            break;
        default:
            buf_json_str(out, (const char *)sqlite3_column_text(st, i));
        }
    }
    buf_putc(out, ')');
}

static long one_way(store *s, const char *table, const char *a, const char *b, const char *what,
                    cm_buf *report, cm_error *err)
{
    char sql[256];
    snprintf(sql, sizeof sql, "SELECT * FROM %s.%s EXCEPT SELECT * FROM %s.%s", a, table, b, table);
    sqlite3_stmt *st = NULL;
    if (sqlite3_prepare_v2(s->db, sql, -1, &st, NULL) != SQLITE_OK)
        return store_fail(s, err, "diff");
    long count = 0;
    int rc;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        long long entry;
        cm_buf row = CM_BUF_INIT;
        row_text(st, &row, &entry);
        buf_printf(report, "%s: %s %s", table, what, row.data);
        if (entry >= 0) buf_printf(report, " (entry %lld)", entry);
        buf_putc(report, '\n');
        buf_free(&row);
        count++;
    }
    sqlite3_finalize(st);
    if (rc != SQLITE_DONE) return store_fail(s, err, "diff");
    return count;
}

static long table(store *s, const char *t, cm_buf *report, cm_error *err)
{
    long a = one_way(s, t, "main", "other", "the replay gives", report, err);
    long b = a < 0 ? -1 : one_way(s, t, "other", "main", "the store has", report, err);
    return (a < 0 || b < 0) ? -1 : a + b;
}

long store_diff(store *s, const char *other_path, int log, cm_buf *report, cm_error *err)
{
    sqlite3_stmt *st = NULL;
    if (sqlite3_prepare_v2(s->db, "ATTACH ? AS other", -1, &st, NULL) != SQLITE_OK)
        return store_fail(s, err, "attach");
    /* immutable for a read-only copy of a cleanly stopped log (store_open) */
    char *uri = store_read_uri(other_path, store_immutable(other_path));
    sqlite3_bind_text(st, 1, uri, -1, SQLITE_STATIC);
    int rc = sqlite3_step(st);
    sqlite3_finalize(st);
    free(uri);
    if (rc != SQLITE_DONE) return store_fail(s, err, "attach");
    long total = 0;
    static const char *const log_tables[] = {"hashes", NULL};
    for (size_t i = 0; log && log_tables[i] && total >= 0; i++) {
        long n = table(s, log_tables[i], report, err);
        total = n < 0 ? -1 : total + n;
    }
    for (size_t i = 0; store_state_tables[i] && total >= 0; i++) {
        long n = table(s, store_state_tables[i], report, err);
        total = n < 0 ? -1 : total + n;
    }
    sqlite3_exec(s->db, "DETACH other", NULL, NULL, NULL);
    return total;
}
