/*
 * pg_conn.c: opening a PostgreSQL store, its transactions and metadata,
 * and the helpers the other pg_*.c files share.
 *
 * A location is a libpq connection URL (postgresql://... or postgres://...;
 * several hosts with target_session_attrs=read-write reach whichever is the
 * primary). Each store_open is one connection: the server's writer, each of
 * its readers, an operator's command. Every connection sets, when it opens:
 *   client_encoding=UTF8, DateStyle and the like left alone (no dates are
 *   kept: times are integers of milliseconds), and
 *   application_name=cmcc-<role>, so that pg_stat_activity says who is who.
 * Writes are BEGIN ... COMMIT at READ COMMITTED (the one writer appends);
 * a read snapshot is REPEATABLE READ, READ ONLY. A commit returns once the
 * server has made it durable (and, with synchronous_commit and a
 * synchronous standby, replicated), so lazy commits change nothing and
 * store_sync has nothing to do; the housekeeping of SQLite's WAL
 * (store_tend) is the server's own autovacuum here.
 */
#include "store/pg_int.h"

#include "common/mem.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int pg_is_url(const char *location)
{
    return location && (strncmp(location, "postgresql://", 13) == 0 ||
                        strncmp(location, "postgres://", 11) == 0);
}

/* ---- parameters and results --------------------------------------------- */

static void put(pg_params *a, const char *v, int len, int fmt)
{
    if (a->n >= PG_PARAMS_MAX) return; /* the statements here bind fewer */
    a->v[a->n] = v;
    a->len[a->n] = len;
    a->fmt[a->n] = fmt;
    a->n++;
}

void pg_text(pg_params *a, const char *s)
{
    put(a, s, 0, 0);
}

void pg_textn(pg_params *a, const char *s, size_t n)
{
    /* a text parameter must end in NUL: the slice is copied into num when
     * it fits, else the caller passes a NUL-terminated string */
    if (a->n < PG_PARAMS_MAX && n < sizeof a->num[0]) {
        memcpy(a->num[a->n], s, n);
        a->num[a->n][n] = '\0';
        put(a, a->num[a->n], 0, 0);
    }
}

void pg_int(pg_params *a, int64_t i)
{
    if (a->n >= PG_PARAMS_MAX) return;
    snprintf(a->num[a->n], sizeof a->num[0], "%lld", (long long)i);
    put(a, a->num[a->n], 0, 0);
}

void pg_real(pg_params *a, double d)
{
    if (a->n >= PG_PARAMS_MAX) return;
    snprintf(a->num[a->n], sizeof a->num[0], "%.17g", d);
    put(a, a->num[a->n], 0, 0);
}

void pg_null(pg_params *a)
{
    put(a, NULL, 0, 0);
}

void pg_bytes(pg_params *a, const void *b, size_t n)
{
    put(a, b, (int)n, 1);
}

long long pg_i(const PGresult *r, int row, int col, long long dflt)
{
    return PQgetisnull(r, row, col) ? dflt : strtoll(PQgetvalue(r, row, col), NULL, 10);
}

double pg_d(const PGresult *r, int row, int col, double dflt)
{
    return PQgetisnull(r, row, col) ? dflt : strtod(PQgetvalue(r, row, col), NULL);
}

char *pg_bytea(const PGresult *r, int row, int col, size_t *len)
{
    size_t n = 0;
    unsigned char *raw = PQunescapeBytea((const unsigned char *)PQgetvalue(r, row, col), &n);
    char *out = xmalloc(n + 1);
    if (raw) memcpy(out, raw, n);
    out[raw ? n : 0] = '\0';
    PQfreemem(raw);
    *len = raw ? n : 0;
    return out;
}

/* ---- running statements ------------------------------------------------- */

int pg_fail(pg_store *p, cm_error *err, const char *what)
{
    const char *m = p && p->conn ? PQerrorMessage(p->conn) : "not connected";
    size_t n = strlen(m);
    while (n && (m[n - 1] == '\n' || m[n - 1] == ' ')) n--;
    return cm_fail(err, CM_INTERNAL, "", "store: %s: %.*s", what, (int)n, m);
}

static int result_ok(PGresult *r)
{
    ExecStatusType st = PQresultStatus(r);
    return st == PGRES_TUPLES_OK || st == PGRES_COMMAND_OK;
}

/* Fails with the result's error message. */
static int result_fail(PGresult *r, cm_error *err, const char *what)
{
    const char *m = r ? PQresultErrorMessage(r) : "";
    size_t n = strlen(m);
    while (n && (m[n - 1] == '\n' || m[n - 1] == ' ')) n--;
    return cm_fail(err, CM_INTERNAL, "", "store: %s: %.*s", what, (int)n, n ? m : "failed");
}

/* A reader whose connection broke (the server restarted, a standby
 * promoted) connects again, to the same URL, before its next read, in a
 * snapshot (pg_read_begin) or alone (pg_run, pg_query: a POST's lookups).
 * The writer does not: it connects again only through pg_reconnect
 * (pg_lease.c), which its caller follows by taking the lease and checking
 * the tree. 0, or -1 when the connection is still broken. */
static int revive(pg_store *p)
{
    if (p->mode != STORE_READER || PQstatus(p->conn) == CONNECTION_OK) return 0;
    PQreset(p->conn);
    memset(p->prepared, 0, sizeof p->prepared);
    return PQstatus(p->conn) == CONNECTION_OK ? 0 : -1;
}

/* Whether a reader's next statement runs alone (outside a snapshot, or
 * is the BEGIN of one): the connection found broken by that statement
 * (libpq learns it only then: the first statement after a failover) is
 * made again and the statement run once more, so that the first read
 * after a failover is answered rather than refused. Inside a snapshot, it
 * is not: the snapshot went with the old connection. */
static int read_alone(pg_store *p)
{
    return p->mode == STORE_READER && PQtransactionStatus(p->conn) == PQTRANS_IDLE;
}

/* ---- the pipeline ---------------------------------------------------------- */

/* Notes the first failure of the pipelined transaction. */
static void pipe_failed(pg_store *p, const PGresult *r)
{
    if (p->failed) return;
    const char *m = r ? PQresultErrorMessage(r) : PQerrorMessage(p->conn);
    size_t n = strlen(m);
    while (n && (m[n - 1] == '\n' || m[n - 1] == ' ')) n--;
    snprintf(p->why, sizeof p->why, "%.*s", (int)n, n ? m : "failed");
    p->failed = 1;
    if (strstr(p->why, "no longer writes this log")) p->deposed = 1; /* pg_fence */
}

/* Reads the results of one command sent, noting a failure. */
static void pipe_read_one(pg_store *p)
{
    PGresult *r;
    while ((r = PQgetResult(p->conn))) {
        ExecStatusType st = PQresultStatus(r);
        if (st == PGRES_FATAL_ERROR || st == PGRES_PIPELINE_ABORTED || st == PGRES_BAD_RESPONSE)
            pipe_failed(p, r);
        PQclear(r);
    }
}

/* Sends what is queued and asks the server for the results so far. */
static int pipe_flush(pg_store *p)
{
    if (!PQsendFlushRequest(p->conn) || PQflush(p->conn) != 0) {
        pipe_failed(p, NULL);
        return -1;
    }
    return 0;
}

/* Every result not read yet. */
static void pipe_drain(pg_store *p)
{
    for (; p->pending > 0; p->pending--) pipe_read_one(p);
}

static int pipe_fail(pg_store *p, cm_error *err, const char *what)
{
    return cm_fail(err, CM_INTERNAL, "", "store: %s: %s", what, p->why);
}

/* Leaves the pipeline: a sync, every result read. 0, or -1 when a command
 * of the transaction failed (p->why). */
static int pipe_end(pg_store *p)
{
    if (!p->pipeline) return 0;
    if (!PQpipelineSync(p->conn)) pipe_failed(p, NULL);
    pipe_drain(p);
    PGresult *r; /* up to the sync's own result */
    while ((r = PQgetResult(p->conn))) {
        ExecStatusType st = PQresultStatus(r);
        PQclear(r);
        if (st == PGRES_PIPELINE_SYNC) break;
        if (st == PGRES_FATAL_ERROR || st == PGRES_PIPELINE_ABORTED) pipe_failed(p, r);
    }
    PQexitPipelineMode(p->conn);
    p->pipeline = 0;
    pg_caches_clear(p);
    int failed = p->failed;
    if (failed) {
        if (PQtransactionStatus(p->conn) != PQTRANS_IDLE) {
            PGresult *rb = PQexec(p->conn, "ROLLBACK");
            PQclear(rb);
        }
        /* statements prepared in the failed pipeline may not exist: all
         * are prepared again */
        memset(p->prepared, 0, sizeof p->prepared);
        PGresult *d = PQexec(p->conn, "DEALLOCATE ALL");
        PQclear(d);
    }
    return failed ? -1 : 0;
}

int pg_exec(pg_store *p, const char *sql, cm_error *err)
{
    if (p->pipeline) { /* one statement, sent */
        if (!PQsendQueryParams(p->conn, sql, 0, NULL, NULL, NULL, NULL, 0)) pipe_failed(p, NULL);
        p->pending++;
        return 0;
    }
    PGresult *r = PQexec(p->conn, sql);
    int rc = result_ok(r) ? 0 : (r ? result_fail(r, err, "exec") : pg_fail(p, err, "exec"));
    PQclear(r);
    return rc;
}

/* The statement name of sql, prepared on this connection if need be (in
 * a pipeline, the preparation is sent). */
static int prepared(pg_store *p, const char *sql, char name[24], cm_error *err)
{
    snprintf(name, 24, "q%lx", (unsigned long)(uintptr_t)sql);
    size_t h = ((uintptr_t)sql >> 3) & (PG_PREPARED_MAX - 1);
    for (size_t i = 0; i < PG_PREPARED_MAX; i++, h = (h + 1) & (PG_PREPARED_MAX - 1)) {
        if (p->prepared[h] == sql) return 0;
        if (p->prepared[h]) continue;
        if (p->pipeline) {
            if (!PQsendPrepare(p->conn, name, sql, 0, NULL)) pipe_failed(p, NULL);
            p->pending++;
            p->prepared[h] = sql;
            return 0;
        }
        PGresult *r = PQprepare(p->conn, name, sql, 0, NULL);
        int rc = PQresultStatus(r) == PGRES_COMMAND_OK ? 0 : result_fail(r, err, "prepare");
        PQclear(r);
        if (!rc) p->prepared[h] = sql;
        return rc;
    }
    return 0; /* the set is full: run it unnamed-prepared every time (never here) */
}

/* A read inside the pipeline: the statement (prepared name, or sql run
 * once) is sent with a flush; every earlier result is read, then its own. */
static PGresult *pipe_read(pg_store *p, const char *name, const char *sql, const pg_params *a,
                           int binary, const char *what, cm_error *err)
{
    int sent = name ? PQsendQueryPrepared(p->conn, name, a->n, a->v, a->len, a->fmt, binary)
                    : PQsendQueryParams(p->conn, sql, a->n, NULL, a->v, a->len, a->fmt, binary);
    if (!sent) pipe_failed(p, NULL);
    if (sent) pipe_flush(p);
    pipe_drain(p);
    PGresult *r = sent ? PQgetResult(p->conn) : NULL, *more;
    if (sent)
        while ((more = PQgetResult(p->conn))) PQclear(more); /* up to its end */
    if (!p->failed && result_ok(r)) return r;
    if (r && !result_ok(r)) pipe_failed(p, r);
    PQclear(r);
    pipe_fail(p, err, what);
    return NULL;
}

PGresult *pg_run(pg_store *p, const char *sql, const pg_params *a, int binary, const char *what,
                 cm_error *err)
{
    char name[24];
    if (revive(p)) {
        pg_fail(p, err, "reconnect");
        return NULL;
    }
    int alone = !p->pipeline && read_alone(p);
    if (prepared(p, sql, name, err)) {
        /* the PREPARE may be what finds the connection broken */
        if (!alone || PQstatus(p->conn) == CONNECTION_OK || revive(p) ||
            prepared(p, sql, name, err))
            return NULL;
        alone = 0; /* made again already: no second try below */
    }
    static const pg_params none;
    if (!a) a = &none;
    if (p->pipeline) return pipe_read(p, name, NULL, a, binary, what, err);
    PGresult *r = PQexecPrepared(p->conn, name, a->n, a->v, a->len, a->fmt, binary);
    if (!result_ok(r) && alone && PQstatus(p->conn) != CONNECTION_OK) {
        PQclear(r);
        r = NULL;
        if (!revive(p) && !prepared(p, sql, name, err))
            r = PQexecPrepared(p->conn, name, a->n, a->v, a->len, a->fmt, binary);
    }
    if (result_ok(r)) return r;
    if (r)
        result_fail(r, err, what);
    else
        pg_fail(p, err, what);
    PQclear(r);
    return NULL;
}

int pg_do(pg_store *p, const char *sql, const pg_params *a, const char *what, cm_error *err)
{
    if (p->pipeline) {
        char name[24];
        prepared(p, sql, name, err);
        static const pg_params none;
        if (!a) a = &none;
        if (!PQsendQueryPrepared(p->conn, name, a->n, a->v, a->len, a->fmt, 0))
            pipe_failed(p, NULL);
        p->pending++;
        p->affected = -1; /* not known until its result is read */
        return 0;
    }
    PGresult *r = pg_run(p, sql, a, 0, what, err);
    if (!r) return -1;
    const char *n = PQcmdTuples(r);
    p->affected = n && *n ? strtoll(n, NULL, 10) : 0;
    PQclear(r);
    return 0;
}

PGresult *pg_query(pg_store *p, const char *sql, const pg_params *a, const char *what,
                   cm_error *err)
{
    static const pg_params none;
    if (!a) a = &none;
    if (p->pipeline) return pipe_read(p, NULL, sql, a, 0, what, err);
    if (revive(p)) {
        pg_fail(p, err, "reconnect");
        return NULL;
    }
    int alone = read_alone(p);
    PGresult *r = PQexecParams(p->conn, sql, a->n, NULL, a->v, a->len, a->fmt, 0);
    if (!result_ok(r) && alone && PQstatus(p->conn) != CONNECTION_OK) {
        PQclear(r);
        r = revive(p) ? NULL : PQexecParams(p->conn, sql, a->n, NULL, a->v, a->len, a->fmt, 0);
    }
    if (result_ok(r)) return r;
    if (r)
        result_fail(r, err, what);
    else
        pg_fail(p, err, what);
    PQclear(r);
    return NULL;
}

int pg_row(pg_store *p, const char *sql, const pg_params *a, PGresult **res, cm_error *err)
{
    PGresult *r = pg_run(p, sql, a, 0, "read", err);
    if (!r) return -1;
    if (PQntuples(r) == 0) {
        PQclear(r);
        return 0;
    }
    *res = r;
    return 1;
}

int pg_rows(pg_store *p, const char *sql, const pg_params *a, pg_row_fn fn, void *ctx,
            cm_error *err)
{
    PGresult *r = pg_query(p, sql, a, "read", err);
    if (!r) return -1;
    int stop = 0, n = PQntuples(r);
    for (int i = 0; i < n && !stop; i++) stop = fn(ctx, r, i);
    PQclear(r);
    return stop;
}

/* ---- opening ------------------------------------------------------------ */

static const char *role_name(store_mode mode)
{
    return mode == STORE_WRITER   ? "cmcc-writer"
           : mode == STORE_READER ? "cmcc-reader"
           : mode == STORE_ADMIN  ? "cmcc-admin"
                                  : "cmcc-scratch";
}

static void no_notice(void *arg, const char *message)
{
    (void)arg;
    (void)message;
}

/* A connection to url, or NULL and err. */
static pg_store *connect_to(const char *url, store_mode mode, cm_error *err)
{
    pg_store *p = xcalloc(1, sizeof *p);
    p->mode = mode;
    const char *keys[] = {"dbname", "application_name", "client_encoding", NULL};
    const char *vals[] = {url, role_name(mode), "UTF8", NULL};
    p->conn = PQconnectdbParams(keys, vals, 1);
    if (!p->conn || PQstatus(p->conn) != CONNECTION_OK) {
        pg_fail(p, err, "cannot connect to the PostgreSQL store");
        pg_store_close(p);
        return NULL;
    }
    /* no notices on stderr (nothing in src/store prints): a processor that
     * drops them (a NULL one would leave libpq's, which prints) */
    PQsetNoticeProcessor(p->conn, no_notice, NULL);
    const char *setup = mode == STORE_SCRATCH ? "SET synchronous_commit = off" : NULL;
    if (setup && pg_exec(p, setup, err)) {
        pg_store_close(p);
        return NULL;
    }
    return p;
}

void pg_store_close(pg_store *p)
{
    if (!p) return;
    if (p->conn) PQfinish(p->conn);
    free(p->cache);
    pg_ids_free(p);
    pg_sc_free(p);
    free(p);
}

/* 1 when the database holds a cmcc store (its meta table), 0, or -1. */
static int has_store(pg_store *p, cm_error *err)
{
    PGresult *r = pg_query(p, "SELECT to_regclass('meta') IS NOT NULL", NULL, "look", err);
    if (!r) return -1;
    int has = strcmp(PQgetvalue(r, 0, 0), "t") == 0;
    PQclear(r);
    return has;
}

int pg_store_exists(const char *url, cm_error *err)
{
    pg_store *p = connect_to(url, STORE_ADMIN, err);
    if (!p) return -1;
    int has = has_store(p, err);
    pg_store_close(p);
    return has;
}

int pg_store_create(const char *url, cm_error *err)
{
    pg_store *p = connect_to(url, STORE_WRITER, err);
    if (!p) return -1;
    int rc = pg_exec(p, "BEGIN", err);
    /* a lock, so that two cmcc init at once do not both make the tables */
    if (!rc) rc = pg_exec(p, "SELECT pg_advisory_xact_lock(7261)", err);
    int has = rc ? -1 : has_store(p, err);
    if (has == 1)
        rc = cm_fail(err, CM_CONFLICT, "",
                     "the database of %s already holds a log: a log is never overwritten", url);
    else if (has < 0)
        rc = -1;
    if (!rc) rc = pg_exec(p, pg_schema_sql, err);
    if (!rc) rc = pg_exec(p, "COMMIT", err);
    pg_store_close(p);
    return rc;
}

void pg_store_destroy(const char *url)
{
    pg_store *p = connect_to(url, STORE_WRITER, NULL);
    if (!p) return;
    cm_buf sql = CM_BUF_INIT;
    buf_puts(&sql, "DROP TABLE IF EXISTS ");
    for (size_t i = 0; pg_tables[i]; i++) buf_printf(&sql, "%s%s", i ? ", " : "", pg_tables[i]);
    buf_puts(&sql, ", writer_term CASCADE"); /* the lease's (pg_lease.c) */
    pg_exec(p, sql.data, NULL);
    buf_free(&sql);
    pg_store_close(p);
}

/* The schema version meta('schema') holds: a positive number, else 0. */
static int version_of(const char *v)
{
    char *end = NULL;
    long n = v ? strtol(v, &end, 10) : 0;
    return v && *v && *end == '\0' && n > 0 && n <= 1000 ? (int)n : 0;
}

/* Brings an older schema up to date in one transaction. */
static int upgrade(pg_store *p, int from, cm_error *err)
{
    if (p->mode == STORE_READER)
        return cm_fail(err, CM_INTERNAL, "",
                       "the PostgreSQL store has schema version %d: open it once with `cmcc "
                       "serve` (or any command that writes) to upgrade it to version %d",
                       from, STORE_SCHEMA_VERSION);
    int rc = pg_exec(p, "BEGIN", err); /* DDL of several statements: not pipelined */
    for (int v = from; v < STORE_SCHEMA_VERSION && !rc; v++)
        rc = pg_upgrades[v - 1]
                 ? pg_exec(p, pg_upgrades[v - 1], err)
                 : cm_fail(err, CM_INTERNAL, "", "no upgrade of the schema from version %d", v);
    if (!rc) rc = pg_meta_set(p, "schema", STORE_QUOTE(STORE_SCHEMA_VERSION), err);
    if (!rc) return pg_commit(p, err);
    pg_rollback(p);
    return -1;
}

store *pg_store_open(const char *url, store_mode mode, cm_error *err)
{
    pg_store *p = connect_to(url, mode, err);
    if (!p) return NULL;
    int has = has_store(p, err);
    char *v = NULL;
    int r = has == 1 ? pg_meta_get(p, "schema", &v, err) : has;
    if (has == 0)
        r = cm_fail(err, CM_NOT_FOUND, "",
                    "no store in the database of %s: make a log with `cmcc init DIR --store "
                    "URL` first",
                    url);
    int version = r == 1 ? version_of(v) : 0;
    free(v);
    if (r >= 0 && (version < 1 || version > STORE_SCHEMA_VERSION))
        r = cm_fail(err, CM_INTERNAL, "",
                    "the database of %s is not a cmcc store of schema version %d or older", url,
                    STORE_SCHEMA_VERSION);
    else if (r >= 0 && version < STORE_SCHEMA_VERSION)
        r = upgrade(p, version, err);
    if (r < 0) {
        pg_store_close(p);
        return NULL;
    }
    store *s = xcalloc(1, sizeof *s);
    s->pg = p;
    s->mode = mode;
    s->wal_fd = -1;
    return s;
}

/* ---- transactions and metadata ------------------------------------------ */

int pg_begin(pg_store *p, cm_error *err)
{
    if (p->mode != STORE_WRITER && p->mode != STORE_SCRATCH)
        return pg_do(p, "BEGIN", NULL, "BEGIN", err);
    if (!PQenterPipelineMode(p->conn)) return pg_fail(p, err, "BEGIN");
    p->pipeline = 1;
    p->pending = 0;
    p->failed = 0;
    pg_caches_clear(p);
    int rc = pg_exec(p, "BEGIN", err);
    /* the writer's term first: a lost lease fails the whole batch */
    if (!rc && p->mode == STORE_WRITER) rc = pg_fence(p, err);
    return rc;
}

int pg_commit(pg_store *p, cm_error *err)
{
    if (p->pipeline) {
        pg_exec(p, "COMMIT", err);
        if (pipe_end(p)) {
            pipe_fail(p, err, "the batch");
            pg_rollback(p);
            return -1;
        }
        if (PQtransactionStatus(p->conn) != PQTRANS_IDLE) return pg_fail(p, err, "COMMIT");
        return 0;
    }
    if (pg_do(p, "COMMIT", NULL, "COMMIT", err)) return -1;
    /* a transaction that failed is ended by COMMIT as a rollback */
    if (PQtransactionStatus(p->conn) != PQTRANS_IDLE) return pg_fail(p, err, "COMMIT");
    return 0;
}

void pg_rollback(pg_store *p)
{
    pipe_end(p);
    if (pg_in_transaction(p)) pg_exec(p, "ROLLBACK", NULL);
}

int pg_read_begin(pg_store *p, cm_error *err)
{
    if (revive(p)) return pg_fail(p, err, "reconnect");
    return pg_do(p, "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY", NULL, "BEGIN", err);
}

void pg_read_end(pg_store *p)
{
    if (pg_in_transaction(p) && pg_do(p, "COMMIT", NULL, "COMMIT", NULL)) pg_rollback(p);
}

int pg_in_transaction(pg_store *p)
{
    if (p->pipeline) return 1;
    PGTransactionStatusType t = PQtransactionStatus(p->conn);
    return t == PQTRANS_INTRANS || t == PQTRANS_INERROR || t == PQTRANS_ACTIVE;
}

int pg_meta_get(pg_store *p, const char *key, char **value, cm_error *err)
{
    pg_params a = {0};
    pg_text(&a, key);
    PGresult *r;
    int found = pg_row(p, "SELECT value FROM meta WHERE key = $1", &a, &r, err);
    if (found != 1) return found;
    *value = xstrdup(PQgetvalue(r, 0, 0));
    PQclear(r);
    return 1;
}

int pg_meta_set(pg_store *p, const char *key, const char *value, cm_error *err)
{
    pg_params a = {0};
    pg_text(&a, key);
    pg_text(&a, value);
    return pg_do(p,
                 "INSERT INTO meta(key, value) VALUES($1, $2) ON CONFLICT(key) DO UPDATE SET "
                 "value = excluded.value",
                 &a, "meta", err);
}
