/*
 * writer_role.c: which server writes a log kept in a shared store
 * (PostgreSQL), and what the others do.
 *
 * One writer (store_lease_take): a server that found the store's lease
 * held by another starts ENGINE_READING. Its sequencer then wakes every
 * SEQ_POLL_MS: it tries the lease again and, while another holds it,
 * publishes the store's size, root and newest checkpoint (so that reads
 * follow the other writer) and answers every event 503 with
 * ENGINE_READS_ONLY (seq_standby). Once it takes the lease it loads the
 * tree's frontier and the newest checkpoint from the store, as a server
 * starting does, and sequences. A writer whose batch fails and whose lease
 * is no longer held (its term was taken, or its connection, which held the
 * lock, broke) is ENGINE_DEPOSED: it answers every later event 503, saying
 * why, and appends nothing more (seq_lost_lease). A writer whose connection
 * broke (ENGINE_FAILOVER: the primary database died) connects again, to
 * whichever host of its URL is the primary now, takes the lease again and
 * checks that the tree it finds holds everything it acknowledged and the
 * newest checkpoint it published (extends); only then does it go on, else
 * it refuses writes, saying why, rather than fork the log (seq_failover).
 * The writer renews its lease's time limit on its beat (seq_keep: every
 * SEQ_POLL_MS when idle, and after each batch; the store renews at most
 * every STORE_LEASE_RENEW_MS); a reader that finds the lease not renewed
 * for STORE_LEASE_MS (a frozen writer) ends the old writer's session as it
 * takes the lease, so the old one, resumed, finds its connection gone and
 * commits nothing. A SQLite store's writer always holds the lease.
 */
#include "engine/seq_int.h"

#include "common/timeutil.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int engine_role(engine *e, char *why, size_t n)
{
    pthread_mutex_lock(&e->pub_mu);
    int role = e->role;
    if (why && n) snprintf(why, n, "%s", e->role_why);
    pthread_mutex_unlock(&e->pub_mu);
    return role;
}

static void set_role(engine *e, int role, const char *why)
{
    pthread_mutex_lock(&e->pub_mu);
    e->role = role;
    snprintf(e->role_why, sizeof e->role_why, "%s", why ? why : "");
    pthread_cond_broadcast(&e->pub_cv);
    pthread_mutex_unlock(&e->pub_mu);
}

int seq_lost_lease(seq *q)
{
    engine *e = q->e;
    int held = store_lease_held(e->writer);
    if (held != 1) {
        char why[sizeof e->role_why];
        if (held < 0) {
            snprintf(why, sizeof why,
                     "this server no longer writes this log: another cmcc serve took the "
                     "writer's role (its lease and term)");
            fprintf(stderr,
                    "cmcc: %s; it appends nothing more and answers writes 503 until "
                    "it is restarted\n",
                    why);
            set_role(e, ENGINE_DEPOSED, why);
        } else {
            snprintf(why, sizeof why,
                     "this server lost its connection to the database, which held the "
                     "writer's lease, and is connecting again");
            fprintf(stderr, "cmcc: %s\n", why);
            set_role(e, ENGINE_FAILOVER, why);
        }
    }
    return held;
}

void seq_keep(seq *q)
{
    cm_error err;
    if (!store_lease_keep(q->e->writer, &err)) return;
    fprintf(stderr, "cmcc: the writer's lease could not be renewed: %s\n", err.message);
    if (seq_lost_lease(q) == 0) seq_failover(q);
}

/* Whether the store the writer reconnected to holds everything this
 * server committed (q->f: its size and root, answered or being answered
 * 200) and the newest checkpoint it published: 0, or -1 with err saying
 * what is missing. */
static int extends(seq *q, cm_error *err)
{
    engine *e = q->e;
    uint64_t size = 0, ckpt = 0;
    char *note = NULL;
    log_frontier f;
    log_hash root, mine;
    int rc = store_read_begin(e->writer, err) || store_size(e->writer, &size, err) ||
             store_latest_checkpoint(e->writer, &note, &ckpt, err) < 0;
    free(note);
    if (!rc && size >= q->f.size && log_frontier_load(&f, q->f.size, store_read_hash, e->writer))
        rc = cm_fail(err, CM_INTERNAL, "", "the stored tree is incomplete: run `cmcc verify`");
    store_read_end(e->writer);
    if (rc) return -1;
    pthread_mutex_lock(&e->pub_mu);
    uint64_t published = e->checkpoint_size;
    pthread_mutex_unlock(&e->pub_mu);
    if (size < q->f.size || ckpt < published)
        return cm_fail(err, CM_UNAVAILABLE, "",
                       "this server refuses writes: the database it reconnected to holds %llu "
                       "entries and a newest checkpoint of %llu, but this server acknowledged "
                       "%llu entries and published a checkpoint of %llu; it lacks acknowledged "
                       "entries (a standby that was not synchronous was promoted?), and "
                       "appending to it would fork the log",
                       (unsigned long long)size, (unsigned long long)ckpt,
                       (unsigned long long)q->f.size, (unsigned long long)published);
    log_frontier_root(&f, &root);
    log_frontier_root(&q->f, &mine);
    if (memcmp(root.b, mine.b, sizeof root.b) != 0)
        return cm_fail(err, CM_UNAVAILABLE, "",
                       "this server refuses writes: the tree of the database it reconnected "
                       "to differs, at %llu entries, from the one this server acknowledged; "
                       "appending to it would fork the log",
                       (unsigned long long)q->f.size);
    return 0;
}

/* A reader's turn: publishes the store as it is now, then tries the lease;
 * taken, the sequencer goes on from the store's size. */
void seq_standby(seq *q)
{
    engine *e = q->e;
    cm_error err;
    char *note = NULL;
    uint64_t note_size = 0;
    log_frontier before = q->f; /* the tree this server serves */
    int rc = store_read_begin(e->writer, &err) || seq_load(q, &err) ||
             store_latest_checkpoint(e->writer, &note, &note_size, &err) < 0;
    store_read_end(e->writer);
    static int64_t said; /* once a minute */
    if (rc) {
        q->f = before;
        if (!said || time_mono_ms() - said > 60000) {
            fprintf(stderr, "cmcc: the store cannot be read: %s\n", err.message);
            said = time_mono_ms();
        }
        free(note);
        store_reconnect(e->writer, &err); /* the database may be back, or another host */
        return;
    }
    if (q->f.size < before.size) {
        /* not served; and should this server take the lease, extends
         * refuses to write on it */
        if (!said || time_mono_ms() - said > 60000) {
            fprintf(stderr,
                    "cmcc: the store holds %llu entries, fewer than the %llu this server "
                    "serves (a standby promoted without them?): this server does not serve "
                    "that tree\n",
                    (unsigned long long)q->f.size, (unsigned long long)before.size);
            said = time_mono_ms();
        }
        q->f = before;
        free(note);
        note = NULL;
    }
    pthread_mutex_lock(&e->pub_mu);
    log_frontier_root(&q->f, &e->root);
    e->size = q->f.size;
    if (note && note_size >= e->checkpoint_size) {
        free(e->checkpoint);
        e->checkpoint = note;
        e->checkpoint_size = note_size;
        note = NULL;
    }
    pthread_cond_broadcast(&e->pub_cv);
    pthread_mutex_unlock(&e->pub_mu);
    free(note);
    int64_t term = 0;
    int got = store_lease_take(e->writer, time_now_ms(), &term, &err);
    if (got <= 0) return;
    /* the old writer's session is gone: the store's tree is final; it must
     * hold what this server published (a promoted standby might not) */
    if (extends(q, &err) || seq_load(q, &err)) {
        char why[sizeof e->role_why];
        snprintf(why, sizeof why, "%s", err.message);
        fprintf(stderr, "cmcc: %s\n", why);
        set_role(e, ENGINE_DEPOSED, why);
        return;
    }
    pthread_mutex_lock(&e->pub_mu);
    log_frontier_root(&q->f, &e->root);
    e->size = q->f.size;
    e->term = term;
    pthread_mutex_unlock(&e->pub_mu);
    set_role(e, ENGINE_WRITING, NULL);
    if (store_lease_ended_expired(e->writer))
        fprintf(stderr,
                "cmcc: the writer's lease had expired (not renewed for %d ms: a frozen or "
                "unreachable writer): its session was ended\n",
                STORE_LEASE_MS);
    printf("cmcc: this server writes the log now (%llu %s, writer's term %lld)\n",
           (unsigned long long)q->f.size, q->f.size == 1 ? "entry" : "entries", (long long)term);
    fflush(stdout);
}

/* A writer whose connection broke: connects again (whichever host is the
 * primary now), takes the lease again, and goes on only if the tree it
 * finds extends what it acknowledged; else it stays ENGINE_FAILOVER (the
 * database is not back yet: tried again every SEQ_POLL_MS), becomes a
 * reader (another server took the lease) or is deposed (entries lost). */
void seq_failover(seq *q)
{
    engine *e = q->e;
    cm_error err;
    int64_t term = 0;
    int got = store_reconnect(e->writer, &err)
                  ? -1
                  : store_lease_take(e->writer, time_now_ms(), &term, &err);
    if (got < 0) { /* not yet: said once a minute */
        static int64_t said;
        if (!said || time_mono_ms() - said > 60000) {
            fprintf(stderr, "cmcc: %s (trying again)\n", err.message);
            said = time_mono_ms();
        }
        return;
    }
    if (got == 0) {
        fprintf(stderr, "cmcc: connected again, but another cmcc serve writes this log now: "
                        "this server reads only\n");
        set_role(e, ENGINE_READING, NULL);
        return;
    }
    if (extends(q, &err) || seq_load(q, &err)) {
        fprintf(stderr, "cmcc: %s\n", err.message);
        set_role(e, ENGINE_DEPOSED, err.message);
        return;
    }
    pthread_mutex_lock(&e->pub_mu);
    e->term = term;
    pthread_mutex_unlock(&e->pub_mu);
    set_role(e, ENGINE_WRITING, NULL);
    fprintf(stderr,
            "cmcc: connected again; the database holds every acknowledged entry: this server "
            "goes on writing at %llu entries (writer's term %lld)\n",
            (unsigned long long)q->f.size, (long long)term);
}
