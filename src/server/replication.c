/*
 * replication.c: whether an acknowledged event is on two machines, as
 * `cmcc serve` tells it at start and in /healthz.
 *
 * On a PostgreSQL store, a commit returns (and the server answers 200)
 * once the primary has it and, with synchronous_commit at on or
 * remote_apply and a standby named in synchronous_standby_names streaming
 * as sync (or quorum), once that standby has it too. At start the server
 * asks the database (store_replication_get) and, when a commit would be
 * acknowledged on the primary alone, writes one paragraph on stderr that
 * says which setting is missing and what to set. /healthz then carries
 *   "role": "writer" | "reader" | "reconnecting" | "deposed"  ("why" unless
 *   writer)
 *   "replication": {"synchronous_commit": "on", "synchronous_standby_names":
 *     "", "synchronous_standbys": 0, "standbys": 0, "replicated": false,
 *     "warning": "..."}                      (PostgreSQL stores only)
 * A standby lost later (stopped, fallen behind, its network cut) is
 * noticed too: /healthz asks the database again when its last answer is
 * older than REPLICATION_RECHECK_MS (on the request thread's own
 * connection), and a change of "replicated" is said on stderr (the
 * warning again, or that commits are replicated again). A load balancer's
 * health check thus keeps it fresh.
 * A SQLite store has no replication: its durability is the one disk's.
 */
#include "server/srv_int.h"

#include "common/timeutil.h"

#include <stdio.h>
#include <string.h>

#define REPLICATION_RECHECK_MS 5000

/* The sentence of what is missing, or NULL when commits are replicated. */
static const char *missing(const store_replication *r, char *buf, size_t n)
{
    if (!r->known || r->replicated) return NULL;
    const char *sc = r->synchronous_commit;
    if (strcmp(sc, "off") == 0 || strcmp(sc, "local") == 0)
        snprintf(buf, n,
                 "synchronous_commit is '%s', so a commit returns before any standby has it", sc);
    else if (!r->standby_names[0])
        snprintf(buf, n,
                 "synchronous_standby_names is empty, so a commit returns once the primary "
                 "alone has it (%d standby%s streaming, none synchronous)",
                 r->standbys, r->standbys == 1 ? "" : "s");
    else
        snprintf(buf, n,
                 "synchronous_standby_names is '%s' but no standby streams as synchronous now "
                 "(pg_stat_replication), so commits wait until one does",
                 r->standby_names);
    return buf;
}

int srv_replication_check(srv *s, cm_error *err)
{
    store_replication *r = &s->eng.replication;
    if (store_replication_get(s->eng.writer, r, err)) return -1;
    s->eng.replication_at = time_mono_ms();
    char why[512];
    if (!missing(r, why, sizeof why)) return 0;
    fprintf(stderr,
            "cmcc: WARNING: an event answered 200 is not on a second machine: %s. If this "
            "database server is lost, acknowledged events are lost with it. Stream to a standby "
            "and, on the primary, set synchronous_standby_names to it and synchronous_commit to "
            "remote_apply (or on); see \"A PostgreSQL store\" in docs/operations.md. /healthz "
            "says \"replicated\": false until then.\n",
            why);
    return 0;
}

/* Asks the database again when the last answer is old; says on stderr
 * when commits stop (or start again) being replicated. Returns a copy. */
static store_replication recheck(srv *s)
{
    engine *e = &s->eng;
    pthread_mutex_lock(&e->pub_mu);
    store_replication was = e->replication;
    int due = was.known && time_mono_ms() - e->replication_at >= REPLICATION_RECHECK_MS;
    if (due) e->replication_at = time_mono_ms();
    pthread_mutex_unlock(&e->pub_mu);
    if (!due) return was;
    store_replication now;
    cm_error err;
    store *rd = engine_reader(e);
    if (!rd || store_replication_get(rd, &now, &err)) return was; /* kept as it was */
    pthread_mutex_lock(&e->pub_mu);
    e->replication = now;
    pthread_mutex_unlock(&e->pub_mu);
    char why[512];
    if (was.replicated && !now.replicated && missing(&now, why, sizeof why))
        fprintf(stderr,
                "cmcc: WARNING: commits are no longer replicated: %s. An event answered 200 "
                "from now on is on one machine only (or waits for a synchronous standby); "
                "/healthz says \"replicated\": false\n",
                why);
    else if (!was.replicated && now.replicated)
        fprintf(stderr, "cmcc: commits are replicated again (%d synchronous standby%s)\n",
                now.sync_standbys, now.sync_standbys == 1 ? "" : "s");
    return now;
}

void srv_replication_json(srv *s, cm_buf *out)
{
    char why[512];
    int role = engine_role(&s->eng, why, sizeof why);
    buf_printf(out, ",\"role\":\"%s\"",
               role == ENGINE_WRITING    ? "writer"
               : role == ENGINE_READING  ? "reader"
               : role == ENGINE_FAILOVER ? "reconnecting"
                                         : "deposed");
    if (role != ENGINE_WRITING) {
        buf_puts(out, ",\"why\":");
        buf_json_str(out, role == ENGINE_READING ? ENGINE_READS_ONLY : why);
    }
    store_replication rep = recheck(s);
    const store_replication *r = &rep;
    if (!r->known) return;
    buf_puts(out, ",\"replication\":{\"synchronous_commit\":");
    buf_json_str(out, r->synchronous_commit);
    buf_puts(out, ",\"synchronous_standby_names\":");
    buf_json_str(out, r->standby_names);
    buf_printf(out, ",\"synchronous_standbys\":%d,\"standbys\":%d,\"replicated\":%s",
               r->sync_standbys, r->standbys, r->replicated ? "true" : "false");
    if (missing(r, why, sizeof why)) {
        buf_puts(out, ",\"warning\":");
        buf_json_str(out, why);
    }
    buf_puts(out, "}");
}
