/*
 * store_diff.c: comparing the projections of two stores, for `cmcc verify`.
 *
 * The other store is attached read-only; for each projection table, rows
 * present on one side and not the other are written as one line each, with
 * the entry that last wrote the row (column `updated`, or `idx` for event
 * ids and entries), so that a difference names an entry; a tree node is
 * named by its level and index. A row whose key both sides hold but whose
 * other columns differ is written twice, as the replay gives it and as the
 * store has it. Within a table, every line of the replay comes first, then
 * every line of the store, each in key order.
 *
 * Both sides are read in the order of the table's primary key, which is the
 * order they are stored in, and merged like two sorted lists: one pass over
 * each, no temporary copy, so the memory used does not grow with the log
 * (SQL EXCEPT, used before, kept a whole table in a temporary B-tree). Keys
 * are ordered as SQLite orders them with the BINARY collation (NULL, then
 * numbers, then text, then blobs), which every key column of the schema
 * uses. The merge may be limited to a range of the key, [lo, hi), read on
 * both sides through the primary key with a row-value condition: the
 * parallel comparison cuts a large table into such ranges.
 *
 * The tables are compared on several threads at once (store_diff_par.c),
 * each with its own read-only connections, when s's file is committed (no
 * open transaction) and more than one core is online; else one after the
 * other on s's own connection, as here. Both give the same report, byte
 * for byte.
 *
 * When the other store is a PostgreSQL database, the tables compared are
 * first copied, as of one snapshot, into a temporary SQLite file beside s
 * (pg_copy.c), which is then compared as above and removed.
 */
#include "store/pg_int.h"
#include "store/store_diff_int.h"

#include "common/mem.h"

#include <stdio.h>
#include <string.h>
#include <strings.h>

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

int diff_fail(sqlite3 *db, cm_error *err, const char *what)
{
    return cm_fail(err, CM_INTERNAL, "", "store: %s: %s", what,
                   db ? sqlite3_errmsg(db) : "not open");
}

int diff_key_of(sqlite3 *db, const char *t, diff_key *k, cm_error *err)
{
    static const char *const sql[] = {
        "SELECT name, cid, \"notnull\", type FROM pragma_table_info(?, 'main') WHERE pk > 0 "
        "ORDER BY pk",
        "SELECT name, cid, 0, '' FROM pragma_table_info(?, 'main') ORDER BY cid"};
    *k = (diff_key){.table = t, .cols = CM_BUF_INIT};
    for (int q = 0; q < 2 && k->n == 0; q++) {
        sqlite3_stmt *st = NULL;
        if (sqlite3_prepare_v2(db, sql[q], -1, &st, NULL) != SQLITE_OK)
            return diff_fail(db, err, "diff");
        sqlite3_bind_text(st, 1, t, -1, SQLITE_STATIC);
        int rc, notnull = 0, integer = 0;
        while ((rc = sqlite3_step(st)) == SQLITE_ROW && k->n < DIFF_KEY_MAX) {
            buf_printf(&k->cols, "%s\"%s\"", k->n ? ", " : "",
                       (const char *)sqlite3_column_text(st, 0));
            k->cid[k->n++] = sqlite3_column_int(st, 1);
            notnull += sqlite3_column_int(st, 2) != 0;
            integer = strcasecmp((const char *)sqlite3_column_text(st, 3), "INTEGER") == 0;
        }
        sqlite3_finalize(st);
        if (rc != SQLITE_DONE && rc != SQLITE_ROW) return diff_fail(db, err, "diff");
        /* NOT NULL (as every key of a WITHOUT ROWID table), or the rowid */
        k->cuttable = q == 0 && rc == SQLITE_DONE && (notnull == k->n || (k->n == 1 && integer));
    }
    return k->n ? 0 : cm_fail(err, CM_INTERNAL, "", "store: diff: no table %s", t);
}

void diff_key_free(diff_key *k)
{
    buf_free(&k->cols);
}

/* One side's rows of a table (or of a range of its key), in key order. */
typedef struct {
    sqlite3_stmt *st;
    int row; /* st is on a row */
} side;

char *diff_range_sql(const char *schema, const diff_key *k, int lo, int hi)
{
    cm_buf sql = CM_BUF_INIT;
    buf_printf(&sql, "SELECT * FROM %s.\"%s\"", schema, k->table);
    for (int b = 0; b < 2; b++) {
        if (!(b ? hi : lo)) continue;
        buf_printf(&sql, " %s (%s) %s (", b && lo ? "AND" : "WHERE", k->cols.data, b ? "<" : ">=");
        for (int i = 0; i < k->n; i++) buf_puts(&sql, i ? ", ?" : "?");
        buf_putc(&sql, ')');
    }
    buf_printf(&sql, " ORDER BY %s", k->cols.data);
    return buf_take(&sql);
}

static int side_open(sqlite3 *db, side *d, const char *schema, const diff_key *k,
                     sqlite3_value *const *lo, sqlite3_value *const *hi, cm_error *err)
{
    char *sql = diff_range_sql(schema, k, lo != NULL, hi != NULL);
    int rc = sqlite3_prepare_v2(db, sql, -1, &d->st, NULL);
    free(sql);
    if (rc != SQLITE_OK) return diff_fail(db, err, "diff");
    int p = 1;
    for (int i = 0; lo && i < k->n; i++) sqlite3_bind_value(d->st, p++, lo[i]);
    for (int i = 0; hi && i < k->n; i++) sqlite3_bind_value(d->st, p++, hi[i]);
    return 0;
}

static int side_step(sqlite3 *db, side *d, cm_error *err)
{
    int rc = sqlite3_step(d->st);
    d->row = rc == SQLITE_ROW;
    if (rc != SQLITE_ROW && rc != SQLITE_DONE) return diff_fail(db, err, "diff");
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

long diff_rows(sqlite3 *db, const diff_key *k, sqlite3_value *const *lo, sqlite3_value *const *hi,
               cm_buf *mine, cm_buf *theirs, cm_error *err)
{
    const char *t = k->table;
    const int nkey = k->n, *cid = k->cid;
    side a = {0}, b = {0};
    uint8_t *is_key = NULL; /* by column: part of the primary key */
    long count = -1;
    if (side_open(db, &a, "main", k, lo, hi, err) || side_open(db, &b, "other", k, lo, hi, err) ||
        side_step(db, &a, err) || side_step(db, &b, err))
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
            if (side_step(db, &a, err) || side_step(db, &b, err)) goto fail;
            continue;
        }
        /* a row of the same key, differing elsewhere, is on both sides */
        int same_key = a.row && b.row;
        for (int i = 0; same_key && i < nkey; i++) same_key = value_cmp(a.st, b.st, cid[i]) == 0;
        if (c < 0 || same_key) {
            put_row(mine, t, "the replay gives", a.st);
            count++;
            if (side_step(db, &a, err)) goto fail;
        }
        if (c > 0 || same_key) {
            put_row(theirs, t, "the store has", b.st);
            count++;
            if (side_step(db, &b, err)) goto fail;
        }
    }
    goto done;
fail:
    count = -1;
done:
    free(is_key);
    sqlite3_finalize(a.st);
    sqlite3_finalize(b.st);
    return count;
}

int diff_attach(sqlite3 *db, const char *path, cm_error *err)
{
    sqlite3_stmt *st = NULL;
    if (sqlite3_prepare_v2(db, "ATTACH ? AS other", -1, &st, NULL) != SQLITE_OK)
        return diff_fail(db, err, "attach");
    /* immutable for a read-only copy of a cleanly stopped log (store_open) */
    char *uri = store_read_uri(path, store_immutable(path));
    sqlite3_bind_text(st, 1, uri, -1, SQLITE_STATIC);
    int rc = sqlite3_step(st);
    sqlite3_finalize(st);
    free(uri);
    return rc == SQLITE_DONE ? 0 : diff_fail(db, err, "attach");
}

/* Compares the tables one after the other on s's own connection. */
static long diff_serial(store *s, const char *other_path, const char *const *tables, size_t n,
                        cm_buf *report, cm_error *err)
{
    if (diff_attach(s->db, other_path, err)) return -1;
    long total = 0;
    for (size_t i = 0; i < n && total >= 0; i++) {
        diff_key k;
        cm_buf mine = CM_BUF_INIT, theirs = CM_BUF_INIT;
        long c = diff_key_of(s->db, tables[i], &k, err)
                     ? -1
                     : diff_rows(s->db, &k, NULL, NULL, &mine, &theirs, err);
        if (c > 0) {
            buf_append(report, mine.data, mine.len);
            buf_append(report, theirs.data, theirs.len);
        }
        total = c < 0 ? -1 : total + c;
        diff_key_free(&k);
        buf_free(&mine);
        buf_free(&theirs);
    }
    sqlite3_exec(s->db, "DETACH other", NULL, NULL, NULL);
    return total;
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
    /* the log's tables, then the projections */
    size_t n = 0, m = 0;
    while (store_state_tables[m]) m++;
    const char **tables = xcalloc(m + 2, sizeof *tables);
    if (flags & STORE_DIFF_LOG) tables[n++] = "hashes";
    for (size_t i = 0; i < m; i++)
        if (!(flags & STORE_DIFF_NO_IDS) || strcmp(store_state_tables[i], "event_ids") != 0)
            tables[n++] = store_state_tables[i];
    /* other connections see only what s has committed */
    const char *file = sqlite3_db_filename(s->db, "main");
    long total = diff_threads() > 1 && file && *file && sqlite3_get_autocommit(s->db)
                     ? diff_parallel(s, other_path, tables, n, report, err)
                     : diff_serial(s, other_path, tables, n, report, err);
    free(tables);
    return total;
}
