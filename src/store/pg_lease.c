/*
 * pg_lease.c: the writer's lease on a PostgreSQL store, and what the
 * database says about replication.
 *
 * One writer. Several `cmcc serve` may run against one database (each in
 * its own log directory, naming the same store); only the one holding
 * the lease sequences. The lease is two things:
 *   - a session-level advisory lock (PG_LEASE_LOCK) held by the writer's
 *     connection: taken with pg_try_advisory_lock, so a second server
 *     learns at once that another writes, and released by the database
 *     when that connection ends (the process died, or an operator ended
 *     its backend with pg_terminate_backend);
 *   - a fencing term, the one row of writer_term, incremented by each
 *     writer that takes the lock. Every batch of the writer checks, first
 *     in its pipelined transaction, that the row still holds its term
 *     (pg_fence): a statement that fails otherwise, so that a writer whose
 *     lock was lost and taken by another commits nothing more, even if its
 *     connection were to come back. The check reads the row FOR SHARE: a
 *     new writer's increment waits for a batch in flight to end.
 * writer_term is made on first use (CREATE TABLE IF NOT EXISTS, under the
 * lock): it is no part of the log, and neither a backup nor verify
 * looks at it.
 *
 * Replication: the settings that decide when a commit returns
 * (synchronous_commit, synchronous_standby_names) and the standbys that
 * stream from this server now (pg_stat_replication), for `cmcc serve` to
 * say whether an acknowledged event is on a second machine.
 */
#include "store/pg_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define PG_LEASE_LOCK 7262 /* the advisory lock of the writer's lease */

int pg_lease_take(pg_store *p, int64_t now_ms, int64_t *term, cm_error *err)
{
    PGresult *r = pg_query(p, "SELECT pg_try_advisory_lock(7262)", NULL, "lease", err);
    if (!r) return -1;
    int got = strcmp(PQgetvalue(r, 0, 0), "t") == 0;
    PQclear(r);
    if (!got) return 0;
    if (pg_exec(p,
                "CREATE TABLE IF NOT EXISTS writer_term(id int PRIMARY KEY CHECK (id = 1), "
                "term bigint NOT NULL, since bigint NOT NULL)",
                err))
        goto undo;
    pg_params a = {0};
    pg_int(&a, now_ms);
    r = pg_query(p,
                 "INSERT INTO writer_term(id, term, since) VALUES (1, 1, $1) ON CONFLICT (id) "
                 "DO UPDATE SET term = writer_term.term + 1, since = excluded.since "
                 "RETURNING term",
                 &a, "lease", err);
    if (!r) goto undo;
    p->term = pg_i(r, 0, 0, 0);
    PQclear(r);
    *term = p->term;
    p->deposed = 0;
    return 1;
undo:
    pg_exec(p, "SELECT pg_advisory_unlock(7262)", NULL);
    return -1;
}

int pg_fence(pg_store *p, cm_error *err)
{
    if (!p->term) return 0;
    pg_params a = {0};
    pg_int(&a, p->term);
    /* the sentence of a lost lease is the statement's failure (the text
     * is no integer), pipelined with the batch's writes */
    return pg_do(p,
                 "SELECT CASE WHEN t.term = $1::bigint THEN 1 ELSE ('" PG_FENCE_SENTENCE
                 " (its term ' || $1::bigint || ', the store''s ' || coalesce(t.term::text, "
                 "'none') || ')')::int END FROM (SELECT (SELECT term FROM writer_term WHERE id = "
                 "1 FOR SHARE) AS term) t",
                 &a, "fence", err);
}

int pg_lease_held(pg_store *p)
{
    if (p->deposed) return -1;
    return p->term && PQstatus(p->conn) == CONNECTION_OK;
}

int pg_reconnect(pg_store *p, cm_error *err)
{
    /* the same connection string: with several hosts and
     * target_session_attrs=read-write, whichever is the primary now */
    PQreset(p->conn);
    memset(p->prepared, 0, sizeof p->prepared);
    p->pipeline = p->pending = p->failed = 0;
    p->term = 0; /* the lease went with the old session */
    p->deposed = 0;
    pg_cache_clear(p);
    /* (PQreset keeps the connection's notice processor) */
    return PQstatus(p->conn) == CONNECTION_OK ? 0 : pg_fail(p, err, "reconnect");
}

int pg_replication(pg_store *p, store_replication *out, cm_error *err)
{
    memset(out, 0, sizeof *out);
    PGresult *r = pg_query(p,
                           "SELECT current_setting('synchronous_commit'), "
                           "current_setting('synchronous_standby_names'), "
                           "(SELECT count(*) FROM pg_stat_replication WHERE sync_state IN "
                           "('sync', 'quorum')), (SELECT count(*) FROM pg_stat_replication), "
                           "pg_is_in_recovery()",
                           NULL, "replication", err);
    if (!r) return -1;
    out->known = 1;
    snprintf(out->synchronous_commit, sizeof out->synchronous_commit, "%s", PQgetvalue(r, 0, 0));
    snprintf(out->standby_names, sizeof out->standby_names, "%s", PQgetvalue(r, 0, 1));
    out->sync_standbys = (int)pg_i(r, 0, 2, 0);
    out->standbys = (int)pg_i(r, 0, 3, 0);
    PQclear(r);
    const char *sc = out->synchronous_commit;
    int waits = strcmp(sc, "off") != 0 && strcmp(sc, "local") != 0;
    out->replicated = waits && out->standby_names[0] && out->sync_standbys > 0;
    return 0;
}
