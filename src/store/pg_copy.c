/*
 * pg_copy.c: copying a PostgreSQL store into a SQLite one, table by table,
 * as of one snapshot (REPEATABLE READ): `cmcc backup` of a PostgreSQL log
 * makes a SQLite file that is a whole log of its own (restorable as
 * DIR/cmcc.db, or served as it is), and `cmcc verify` compares its replay
 * with a copy of the projections (store_diff).
 *
 * The columns copied are the SQLite table's, by name, so that a column
 * PostgreSQL alone has (tokens.seq) stays behind. Rows are streamed from
 * the server (single-row mode) and inserted with one prepared statement a
 * table, so memory does not grow with the log. Values keep their kind:
 * integers, reals, bytea as blobs, the rest as text.
 */
#include "store/pg_int.h"

#include "common/mem.h"

#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define OID_INT8   20
#define OID_INT2   21
#define OID_INT4   23
#define OID_FLOAT4 700
#define OID_FLOAT8 701
#define OID_BYTEA  17

/* The columns of dst's table t as "a", "b" (SQL), and as ?, ? (n of them). */
static int columns(sqlite3 *dst, const char *t, cm_buf *cols, cm_buf *marks, cm_error *err)
{
    sqlite3_stmt *st = NULL;
    if (sqlite3_prepare_v2(dst, "SELECT name FROM pragma_table_info(?) ORDER BY cid", -1, &st,
                           NULL) != SQLITE_OK)
        return cm_fail(err, CM_INTERNAL, "", "copy: %s", sqlite3_errmsg(dst));
    sqlite3_bind_text(st, 1, t, -1, SQLITE_STATIC);
    int n = 0;
    while (sqlite3_step(st) == SQLITE_ROW) {
        buf_printf(cols, "%s\"%s\"", n ? ", " : "", (const char *)sqlite3_column_text(st, 0));
        buf_puts(marks, n ? ", ?" : "?");
        n++;
    }
    sqlite3_finalize(st);
    return n ? n : cm_fail(err, CM_INTERNAL, "", "copy: no table %s in the copy", t);
}

/* Binds column c of the one-row result r to st's parameter c + 1. */
static void bind_value(sqlite3_stmt *st, const PGresult *r, int c)
{
    if (PQgetisnull(r, 0, c)) {
        sqlite3_bind_null(st, c + 1);
        return;
    }
    const char *v = PQgetvalue(r, 0, c);
    switch (PQftype(r, c)) {
    case OID_INT8:
    case OID_INT2:
    case OID_INT4:
        sqlite3_bind_int64(st, c + 1, strtoll(v, NULL, 10));
        break;
    case OID_FLOAT4:
    case OID_FLOAT8:
        sqlite3_bind_double(st, c + 1, strtod(v, NULL));
        break;
    case OID_BYTEA: {
        size_t n = 0;
        unsigned char *b = PQunescapeBytea((const unsigned char *)v, &n);
        sqlite3_bind_blob(st, c + 1, b ? (const void *)b : "", (int)n, SQLITE_TRANSIENT);
        PQfreemem(b);
        break;
    }
    default:
        sqlite3_bind_text(st, c + 1, v, PQgetlength(r, 0, c), SQLITE_TRANSIENT);
    }
}

static int copy_table(pg_store *p, sqlite3 *dst, const char *t, cm_error *err)
{
    cm_buf cols = CM_BUF_INIT, marks = CM_BUF_INIT;
    int n = columns(dst, t, &cols, &marks, err);
    sqlite3_stmt *ins = NULL;
    int rc = -1;
    if (n < 0) goto done;
    char *sql = xasprintf("INSERT OR REPLACE INTO \"%s\"(%s) VALUES(%s)", t, cols.data, marks.data);
    int prep = sqlite3_prepare_v2(dst, sql, -1, &ins, NULL);
    free(sql);
    if (prep != SQLITE_OK) {
        cm_fail(err, CM_INTERNAL, "", "copy %s: %s", t, sqlite3_errmsg(dst));
        goto done;
    }
    sql = xasprintf("SELECT %s FROM %s", cols.data, t);
    int sent = PQsendQueryParams(p->conn, sql, 0, NULL, NULL, NULL, NULL, 0);
    free(sql);
    if (!sent) {
        pg_fail(p, err, "copy");
        goto done;
    }
    PQsetSingleRowMode(p->conn);
    PGresult *r;
    int failed = 0;
    /* every result is read, even after a failure, so that the connection
     * is ready for the next statement */
    while ((r = PQgetResult(p->conn))) {
        ExecStatusType st = PQresultStatus(r);
        if (st == PGRES_SINGLE_TUPLE && !failed) {
            for (int c = 0; c < n && c < PQnfields(r); c++) bind_value(ins, r, c);
            if (sqlite3_step(ins) != SQLITE_DONE)
                failed = cm_fail(err, CM_INTERNAL, "", "copy %s: %s", t, sqlite3_errmsg(dst));
            sqlite3_reset(ins);
            sqlite3_clear_bindings(ins);
        } else if (st != PGRES_SINGLE_TUPLE && st != PGRES_TUPLES_OK && !failed) {
            failed = cm_fail(err, CM_INTERNAL, "", "copy %s: %s", t, PQresultErrorMessage(r));
        }
        PQclear(r);
    }
    rc = failed ? -1 : 0;
done:
    sqlite3_finalize(ins);
    buf_free(&cols);
    buf_free(&marks);
    return rc;
}

int pg_copy_to_sqlite(pg_store *p, sqlite3 *dst, const char *const *tables, cm_error *err)
{
    if (!tables) tables = pg_tables;
    int own = !pg_in_transaction(p);
    if (own && pg_read_begin(p, err)) return -1;
    int rc = 0;
    for (size_t i = 0; tables[i] && !rc; i++) rc = copy_table(p, dst, tables[i], err);
    if (own) pg_read_end(p);
    return rc;
}
