/*
 * pg_lease.c: the writer's lease on a PostgreSQL store, and what the
 * database says about replication.
 *
 * One writer. Several `cmcc serve` may run against one database (each in
 * its own log directory, naming the same store); only the one holding
 * the lease sequences. The lease is three things:
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
 *     new writer's increment waits for a batch in flight to end;
 *   - a time limit: the row's `expires`, STORE_LEASE_MS after the database's
 *     clock when the writer last renewed it (pg_lease_keep, at most every
 *     STORE_LEASE_RENEW_MS, between batches and when idle). A frozen writer
 *     (SIGSTOP, a paused VM) keeps its connection, and so its lock, and
 *     may even be frozen inside a batch's transaction, where no
 *     server-side timeout applies; but it renews nothing. A server that
 *     finds the lock held and the lease expired ends the holder's session
 *     (pg_terminate_backend, waiting for it to go: its open transaction is
 *     rolled back, its lock dropped), then takes the lock. A writer waiting
 *     for its synchronous standby (wait event SyncRep) is not frozen and
 *     is left alone. The renewal commits with synchronous_commit local: it
 *     is no part of the log and must not wait for a standby. Ending
 *     another session needs the same role (or pg_signal_backend).
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

#include "common/timeutil.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define PG_LEASE_LOCK 7262 /* the advisory lock of the writer's lease */

/* Ends the session of a writer whose lease expired (one that holds the
 * lock, renewed nothing for STORE_LEASE_MS and is not waiting for its
 * standby), waiting up to a second for it to go: 1 one was ended, 0 none
 * (an error, as with a table made by an older cmcc, is none). */
static int end_expired(pg_store *p)
{
    PGresult *r = PQexec(
        p->conn, "SELECT count(*) FILTER (WHERE pg_terminate_backend(l.pid, 1000)) FROM pg_locks l "
                 "WHERE l.locktype = 'advisory' AND l.objid = 7262 AND l.granted AND l.pid <> "
                 "pg_backend_pid() AND to_regclass('writer_term') IS NOT NULL AND EXISTS "
                 "(SELECT 1 FROM writer_term t WHERE t.id = 1 AND t.expires < clock_timestamp()) "
                 "AND NOT EXISTS (SELECT 1 FROM pg_stat_activity a WHERE a.pid = l.pid AND "
                 "a.wait_event = 'SyncRep')");
    int ended = PQresultStatus(r) == PGRES_TUPLES_OK && PQntuples(r) == 1 &&
                strcmp(PQgetvalue(r, 0, 0), "0") != 0;
    PQclear(r);
    return ended;
}

int pg_lease_take(pg_store *p, int64_t now_ms, int64_t *term, cm_error *err)
{
    PGresult *r = pg_query(p, "SELECT pg_try_advisory_lock(7262)", NULL, "lease", err);
    if (!r) return -1;
    int got = strcmp(PQgetvalue(r, 0, 0), "t") == 0;
    PQclear(r);
    if (!got && end_expired(p)) {
        p->ended_expired = 1;
        r = pg_query(p, "SELECT pg_try_advisory_lock(7262)", NULL, "lease", err);
        if (!r) return -1;
        got = strcmp(PQgetvalue(r, 0, 0), "t") == 0;
        PQclear(r);
    }
    if (!got) return 0;
    if (pg_exec(p,
                "CREATE TABLE IF NOT EXISTS writer_term(id int PRIMARY KEY CHECK (id = 1), "
                "term bigint NOT NULL, since bigint NOT NULL); "
                "ALTER TABLE writer_term ADD COLUMN IF NOT EXISTS expires timestamptz",
                err))
        goto undo;
    pg_params a = {0};
    pg_int(&a, now_ms);
    pg_int(&a, STORE_LEASE_MS);
    r = pg_query(p,
                 "INSERT INTO writer_term(id, term, since, expires) VALUES (1, 1, $1, "
                 "clock_timestamp() + $2::bigint * interval '1 millisecond') ON CONFLICT (id) "
                 "DO UPDATE SET term = writer_term.term + 1, since = excluded.since, "
                 "expires = excluded.expires RETURNING term",
                 &a, "lease", err);
    if (!r) goto undo;
    p->term = pg_i(r, 0, 0, 0);
    PQclear(r);
    *term = p->term;
    p->deposed = 0;
    p->renewed_ms = time_mono_ms();
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

int pg_lease_keep(pg_store *p, cm_error *err)
{
    if (!p->term || p->pipeline || p->deposed) return 0;
    int64_t now = time_mono_ms();
    if (now - p->renewed_ms < STORE_LEASE_RENEW_MS) return 0;
    pg_params a = {0};
    pg_int(&a, p->term);
    pg_int(&a, STORE_LEASE_MS);
    /* one statement: set_config(..., true) holds until its own commit */
    PGresult *r =
        pg_run(p,
               "WITH c AS (SELECT set_config('synchronous_commit', 'local', true)), "
               "u AS (UPDATE writer_term SET expires = clock_timestamp() + "
               "$2::bigint * interval '1 millisecond' WHERE id = 1 AND term = $1 "
               "RETURNING term) SELECT (SELECT count(*) FROM u), (SELECT count(*) FROM c)",
               &a, 0, "lease", err);
    if (!r) return -1;
    long long kept = pg_i(r, 0, 0, 0);
    PQclear(r);
    if (!kept) {
        p->deposed = 1;
        return cm_fail(err, CM_UNAVAILABLE, "",
                       "this server no longer writes this log: another cmcc serve took the "
                       "writer's role (its term)");
    }
    p->renewed_ms = now;
    return 0;
}

int pg_lease_ended_expired(pg_store *p)
{
    int ended = p->ended_expired;
    p->ended_expired = 0;
    return ended;
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
    pg_caches_clear(p);
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
