/*
 * store_diff.c: comparing the projections of two stores, for `cmcc verify`.
 *
 * The other store is attached read-only; for each projection table, rows
 * present on one side and not the other are written as one line each, with
 * the entry that last wrote the row (column `updated`, or `idx` for event
 * ids and entries), so that a difference names an entry; a tree node is
 * named by its level and index. A row whose key both sides hold but whose
 * other columns differ is written twice, as the replay gives it and as the
 * store has it.
 *
 * Both sides are read in the order of the table's primary key, which is the
 * order they are stored in, and merged like two sorted lists: one pass over
 * each, no temporary copy, so the memory used does not grow with the log
 * (SQL EXCEPT, used before, kept a whole table in a temporary B-tree). Keys
 * are ordered as SQLite orders them with the BINARY collation (NULL, then
 * numbers, then text, then blobs), which every key column of the schema
 * uses.
 *
 * When the other store is a PostgreSQL database, the tables compared are
 * first copied, as of one snapshot, into a temporary SQLite file beside s
 * (pg_copy.c), which is then compared as above and removed.
 */
#include "store/pg_int.h"

#include "common/mem.h"

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

/* SQLite's order of two values with the BINARY collation. */
static int value_cmp(sqlite3_stmt *a, sqlite3_stmt *b, int col)
{
    int ta = sqlite3_column_type(a, col), tb = sqlite3_column_type(b, col);
    int ra = ta == SQLITE_NULL ? 0 : ta == SQLITE_TEXT ? 2 : ta == SQLITE_BLOB ? 3 : 1;
    int rb = tb == SQLITE_NULL ? 0 : tb == SQLITE_TEXT ? 2 : tb == SQLITE_BLOB ? 3 : 1;
    if (ra != rb) return ra < rb ? -1 : 1;
    if (ra == 0) return 0;
    if (ra == 1) {
        if (ta == SQLITE_INTEGER && tb == SQLITE_INTEGER) {
            sqlite3_int64 x = sqlite3_column_int64(a, col), y = sqlite3_column_int64(b, col);
            return x < y ? -1 : x > y;
        }
        double x = sqlite3_column_double(a, col), y = sqlite3_column_double(b, col);
        return x < y ? -1 : x > y;
    }
    const void *pa =
        ra == 2 ? (const void *)sqlite3_column_text(a, col) : sqlite3_column_blob(a, col);
    const void *pb =
        rb == 2 ? (const void *)sqlite3_column_text(b, col) : sqlite3_column_blob(b, col);
    int la = sqlite3_column_bytes(a, col), lb = sqlite3_column_bytes(b, col);
    int c = memcmp(pa, pb, (size_t)(la < lb ? la : lb));
    return c ? c : (la < lb ? -1 : la > lb);
}

/* One table's rows ordered by its primary key, from schema db. */
typedef struct {
    sqlite3_stmt *st;
    int row; /* st is on a row */
} side;

#define KEY_MAX 16

/* The primary key's columns of table t, in key order: their names as
 * "a", "b" in cols, their positions in cid; every column when it has none.
 * The number of columns, or -1. */
static int key_columns(store *s, const char *t, cm_buf *cols, int *cid, cm_error *err)
{
    static const char *const sql[] = {
        "SELECT name, cid FROM pragma_table_info(?, 'main') WHERE pk > 0 ORDER BY pk",
        "SELECT name, cid FROM pragma_table_info(?, 'main') ORDER BY cid"};
    int n = 0;
    for (int k = 0; k < 2 && n == 0; k++) {
        sqlite3_stmt *st = NULL;
        if (sqlite3_prepare_v2(s->db, sql[k], -1, &st, NULL) != SQLITE_OK)
            return store_fail(s, err, "diff");
        sqlite3_bind_text(st, 1, t, -1, SQLITE_STATIC);
        int rc;
        while ((rc = sqlite3_step(st)) == SQLITE_ROW && n < KEY_MAX) {
            buf_printf(cols, "%s\"%s\"", n ? ", " : "", (const char *)sqlite3_column_text(st, 0));
            cid[n++] = sqlite3_column_int(st, 1);
        }
        sqlite3_finalize(st);
        if (rc != SQLITE_DONE && rc != SQLITE_ROW) return store_fail(s, err, "diff");
    }
    return n ? n : cm_fail(err, CM_INTERNAL, "", "store: diff: no table %s", t);
}

static int side_open(store *s, side *d, const char *db, const char *t, const char *order,
                     cm_error *err)
{
    char *sql = xasprintf("SELECT * FROM %s.\"%s\" ORDER BY %s", db, t, order);
    int rc = sqlite3_prepare_v2(s->db, sql, -1, &d->st, NULL);
    free(sql);
    if (rc != SQLITE_OK) return store_fail(s, err, "diff");
    return 0;
}

static int side_step(store *s, side *d, cm_error *err)
{
    int rc = sqlite3_step(d->st);
    d->row = rc == SQLITE_ROW;
    if (rc != SQLITE_ROW && rc != SQLITE_DONE) return store_fail(s, err, "diff");
    return 0;
}

static void put_row(cm_buf *out, const char *t, const char *what, sqlite3_stmt *st)
{
    long long entry;
    cm_buf row = CM_BUF_INIT;
    row_text(st, &row, &entry);
    buf_printf(out, "%s: %s %s", t, what, row.data);
    if (entry >= 0) buf_printf(out, " (entry %lld)", entry);
    buf_putc(out, '\n');
    buf_free(&row);
}

/* Rows of one table on one side only, or different on the two: the
 * replay's lines first, then the store's. */
static long table(store *s, const char *t, cm_buf *report, cm_error *err)
{
    cm_buf cols = CM_BUF_INIT, mine = CM_BUF_INIT, theirs = CM_BUF_INIT;
    side a = {0}, b = {0};
    uint8_t *is_key = NULL; /* by column: part of the primary key */
    long count = -1;
    int cid[KEY_MAX];
    int nkey = key_columns(s, t, &cols, cid, err);
    if (nkey < 0) goto done;
    if (side_open(s, &a, "main", t, cols.data, err) ||
        side_open(s, &b, "other", t, cols.data, err) || side_step(s, &a, err) ||
        side_step(s, &b, err))
        goto done;
    int ncol = sqlite3_column_count(a.st);
    is_key = xcalloc((size_t)ncol + 1, 1);
    for (int i = 0; i < nkey; i++)
        if (cid[i] < ncol) is_key[cid[i]] = 1;
    count = 0;
    while (a.row || b.row) {
        int c = !a.row ? 1 : !b.row ? -1 : 0;
        for (int i = 0; i < nkey && c == 0; i++) c = value_cmp(a.st, b.st, cid[i]);
        /* the same key: the other columns */
        for (int i = 0; i < ncol && c == 0; i++)
            if (!is_key[i]) c = value_cmp(a.st, b.st, i) != 0;
        if (c == 0) {
            if (side_step(s, &a, err) || side_step(s, &b, err)) goto fail;
            continue;
        }
        /* a row of the same key, differing elsewhere, is on both sides */
        int same_key = a.row && b.row;
        for (int i = 0; same_key && i < nkey; i++) same_key = value_cmp(a.st, b.st, cid[i]) == 0;
        if (c < 0 || same_key) {
            put_row(&mine, t, "the replay gives", a.st);
            count++;
            if (side_step(s, &a, err)) goto fail;
        }
        if (c > 0 || same_key) {
            put_row(&theirs, t, "the store has", b.st);
            count++;
            if (side_step(s, &b, err)) goto fail;
        }
    }
    if (mine.len) buf_append(report, mine.data, mine.len);
    if (theirs.len) buf_append(report, theirs.data, theirs.len);
    goto done;
fail:
    count = -1;
done:
    free(is_key);
    sqlite3_finalize(a.st);
    sqlite3_finalize(b.st);
    buf_free(&cols);
    buf_free(&mine);
    buf_free(&theirs);
    return count;
}

/* store_diff against a PostgreSQL store: through a SQLite copy of it. */
static long diff_pg(store *s, const char *url, int flags, cm_buf *report, cm_error *err)
{
    const char *mine = s->db ? sqlite3_db_filename(s->db, "main") : NULL;
    if (!mine || !*mine)
        return cm_fail(err, CM_INTERNAL, "", "store: diff: the replay's store has no file");
    char *copy = xasprintf("%s-live", mine);
    store_destroy(copy);
    store *live = store_open(url, STORE_READER, err), *c = NULL;
    static const char *const with_log[] = {"hashes", NULL};
    long total = -1;
    if (live && !store_create_mode(copy, STORE_SCRATCH, err) &&
        (c = store_open(copy, STORE_SCRATCH, err)) && !store_begin(c, err) &&
        !pg_read_begin(live->pg, err) &&
        !((flags & STORE_DIFF_LOG) && pg_copy_to_sqlite(live->pg, c->db, with_log, err)) &&
        !pg_copy_to_sqlite(live->pg, c->db, store_state_tables, err) && !store_commit(c, err)) {
        store_close(c);
        c = NULL;
        total = store_diff(s, copy, flags, report, err);
    }
    if (c) store_rollback(c);
    store_close(c);
    store_close(live);
    store_destroy(copy);
    free(copy);
    return total;
}

long store_diff(store *s, const char *other_path, int flags, cm_buf *report, cm_error *err)
{
    if (s->pg)
        return cm_fail(err, CM_INTERNAL, "", "store: diff: the replay's store must be SQLite");
    if (pg_is_url(other_path)) return diff_pg(s, other_path, flags, report, err);
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
    for (size_t i = 0; (flags & STORE_DIFF_LOG) && log_tables[i] && total >= 0; i++) {
        long n = table(s, log_tables[i], report, err);
        total = n < 0 ? -1 : total + n;
    }
    for (size_t i = 0; store_state_tables[i] && total >= 0; i++) {
        if ((flags & STORE_DIFF_NO_IDS) && strcmp(store_state_tables[i], "event_ids") == 0)
            continue;
        long n = table(s, store_state_tables[i], report, err);
        total = n < 0 ? -1 : total + n;
    }
    sqlite3_exec(s->db, "DETACH other", NULL, NULL, NULL);
    return total;
}
