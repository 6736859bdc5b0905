/*
 * sequencer.c: the one thread that writes the log.
 *
 * Pool threads queue jobs (one request's checked envelopes) and the
 * checkpointer queues signed checkpoints to keep. The sequencer takes every job waiting, up to
 * SEQ_BATCH events, and in one transaction judges each event in order against the state the events
 * before it left (ev_apply), appends the accepted ones with their tree nodes and effects, and
 * commits, writing the WAL without waiting for the disk; it hands the batch to the syncer
 * (syncer.c), which makes it durable and only then publishes the new tree size and root and answers
 * the jobs, while this thread goes on with the next batch. If the commit
 * fails, the batch is rolled back, the in-memory frontier is restored, and
 * every event of the batch is answered `unavailable`.
 *
 * `received` is the sequencer's clock, never going backwards.
 *
 * One writer (store_lease_take): a server that found the store's lease
 * held by another starts ENGINE_READING. Its sequencer then wakes every
 * SEQ_POLL_MS: it tries the lease again and, while another holds it,
 * publishes the store's size, root and newest checkpoint (so that reads
 * follow the other writer) and answers every event 503 with
 * ENGINE_READS_ONLY. Once it takes the lease it loads the tree's frontier
 * and the newest checkpoint from the store, as a server starting does,
 * and sequences. A writer whose batch fails and whose lease is no longer
 * held (its term was taken, or its connection, which held the lock,
 * broke) is ENGINE_DEPOSED: it answers every later event 503, saying why,
 * and appends nothing more. A writer whose connection broke
 * (ENGINE_FAILOVER: the primary database died) connects again, to
 * whichever host of its URL is the primary now, takes the lease again and
 * checks that the tree it finds holds everything it acknowledged and the
 * newest checkpoint it published (extends); only then does it go on, else
 * it refuses writes, saying why, rather than fork the log.
 */
#include "engine/engine.h"

#include "common/mem.h"
#include "common/timeutil.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define SEQ_BATCH   4096
#define SEQ_POLL_MS 250 /* a reader's tries of the lease */

int engine_submit(engine *e, job *j)
{
    pthread_mutex_lock(&e->q_mu);
    unsigned n = j->kind == JOB_EVENTS ? (unsigned)j->n : 0;
    if (n > e->max_queue) {
        pthread_mutex_unlock(&e->q_mu);
        return -2;
    }
    if (e->stopping || (n && e->q_items + n > e->max_queue)) {
        pthread_mutex_unlock(&e->q_mu);
        return -1;
    }
    j->next = NULL;
    if (e->q_tail)
        e->q_tail->next = j;
    else
        e->q_head = j;
    e->q_tail = j;
    e->q_items += n;
    pthread_cond_signal(&e->q_cv);
    pthread_mutex_unlock(&e->q_mu);
    return 0;
}

/* Takes the jobs of the next batch; NULL when stopping with nothing left
 * (*stop set), or, when timed, after SEQ_POLL_MS with none. */
static job *take(engine *e, int timed, int *stop)
{
    struct timespec until;
    clock_gettime(CLOCK_REALTIME, &until);
    until.tv_nsec += SEQ_POLL_MS * 1000000L;
    if (until.tv_nsec >= 1000000000L) until.tv_sec++, until.tv_nsec -= 1000000000L;
    pthread_mutex_lock(&e->q_mu);
    while (!e->q_head && !e->stopping)
        if (!timed)
            pthread_cond_wait(&e->q_cv, &e->q_mu);
        else if (pthread_cond_timedwait(&e->q_cv, &e->q_mu, &until))
            break;
    *stop = !e->q_head && e->stopping;
    job *first = e->q_head, *last = NULL;
    size_t events = 0;
    for (job *j = e->q_head; j; j = j->next) {
        if (last && events + j->n > SEQ_BATCH) break;
        events += j->kind == JOB_EVENTS ? j->n : 0;
        last = j;
    }
    if (last) {
        e->q_head = last->next;
        if (!e->q_head) e->q_tail = NULL;
        last->next = NULL;
        e->q_items -= (unsigned)events;
    }
    pthread_mutex_unlock(&e->q_mu);
    return first;
}

typedef struct {
    engine *e;
    log_frontier f; /* f.size is the tree's size */
    int64_t last_received;
    ev_effects fx;
    cm_buf entry;
    int registry_changed; /* the batch changes an org's status or revokes a key */
} seq;

/* Judges and, when accepted, appends one event. -1 only on a store
 * failure, which dooms the batch. */
static int one(seq *q, item *it)
{
    if (it->state == ITEM_FAILED) return 0;
    it->judged = 1;
    int64_t now = time_now_ms();
    int64_t received = now > q->last_received ? now : q->last_received;
    if (it->state == ITEM_UNKEYED) {
        ev_view v;
        store_view(q->e->writer, &v);
        v.size = q->f.size;
        if (item_finish_unkeyed(it, &v, received)) return it->err.code == CM_INTERNAL ? -1 : 0;
    }
    srv_receipt rc;
    if (srv_append(q->e->writer, &q->f, &it->ev, received, &q->fx, &q->entry, &rc, &it->err))
        return it->err.code == CM_INTERNAL ? -1 : 0;
    it->accepted = 1;
    /* an org suspended or reinstated, a key revoked: tokens are judged afresh */
    for (size_t i = 0; !rc.duplicate && i < q->fx.n; i++)
        if (q->fx.v[i].kind == FX_ORG_STATUS || q->fx.v[i].kind == FX_KEY_REVOKE)
            q->registry_changed = 1;
    it->duplicate = rc.duplicate;
    it->index = rc.index;
    it->leaf = rc.leaf;
    if (!rc.duplicate) q->last_received = received;
    return 0;
}

/* Every event that reached the sequencer in a batch that was rolled back
 * is answered `unavailable`: its outcome may have rested on rolled-back
 * writes, or it was never judged. Refusals made before the sequencer stay. */
static void fail_all(job *jobs, const char *why, const char *then)
{
    for (job *j = jobs; j; j = j->next)
        for (size_t i = 0; i < j->n; i++) {
            item *it = &j->items[i];
            if (!it->judged && it->state == ITEM_FAILED) continue;
            it->accepted = it->duplicate = 0;
            it->state = ITEM_FAILED;
            cm_fail(&it->err, CM_UNAVAILABLE, "", "%s: nothing was appended, %s", why, then);
        }
}

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

void srv_jobs_done(job *jobs)
{
    for (job *j = jobs, *next; j; j = next) {
        next = j->next;
        j->done(j, j->ctx);
    }
}

static int load(seq *q, cm_error *err);
static int extends(seq *q, cm_error *err);
static void failover(seq *q);

/* Appends a batch in one transaction and hands it to the syncer (or, if it
 * fails, answers it at once). */
static void batch(seq *q, job *jobs)
{
    engine *e = q->e;
    log_frontier saved = q->f;
    int64_t received0 = q->last_received;
    const char *note = NULL;
    uint64_t note_size = 0;
    cm_error err;
    int failed = store_begin(e->writer, &err) != 0;
    for (job *j = jobs; j && !failed; j = j->next) {
        if (j->kind == JOB_CHECKPOINT) {
            failed = store_put_checkpoint(e->writer, j->size, j->note, time_now_ms(), &err) != 0;
            note = j->note;
            note_size = j->size;
            continue;
        }
        for (size_t i = 0; i < j->n && !failed; i++) {
            failed = one(q, &j->items[i]) != 0;
            if (failed) err = j->items[i].err;
        }
    }
    if (!failed) failed = store_commit(e->writer, &err) != 0;
    if (failed) {
        fprintf(stderr, "cmcc: the batch was rolled back: %s\n", err.message);
        store_rollback(e->writer);
        q->f = saved;
        q->last_received = received0;
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
        fail_all(jobs, "the log could not be written", "send it again");
        q->registry_changed = 0;
        srv_jobs_done(jobs);
        if (held == 0) failover(q);
        return;
    }
    log_hash root;
    log_frontier_root(&q->f, &root);
    srv_syncer_hand(e, jobs, q->f.size, &root, note, note_size, q->registry_changed);
    q->registry_changed = 0;
}

/* Loads the tree's frontier and the last entry's time from the store. */
static int load(seq *q, cm_error *err)
{
    engine *e = q->e;
    uint64_t size = 0;
    if (store_size(e->writer, &size, err)) return -1;
    if (log_frontier_load(&q->f, size, store_read_hash, e->writer))
        return cm_fail(err, CM_INTERNAL, "", "the stored tree is incomplete: run `cmcc verify`");
    q->last_received = 0;
    if (size > 0) {
        char *entry = NULL;
        size_t len = 0;
        ev_envelope env;
        if (store_entry(e->writer, size - 1, &entry, &len, err) != 1 ||
            ev_entry_parse(entry, len, &env, &q->last_received, err)) {
            free(entry);
            return cm_fail(err, CM_INTERNAL, "",
                           "the last entry cannot be read: run `cmcc verify`");
        }
        ev_envelope_free(&env);
        free(entry);
    }
    return 0;
}

int seq_init(engine *e, cm_error *err)
{
    seq *q = xcalloc(1, sizeof *q);
    q->e = e;
    e->seq = q;
    if (load(q, err)) return -1;
    log_frontier_root(&q->f, &e->root);
    e->size = q->f.size;
    return 0;
}

/* A reader's turn: publishes the store as it is now, then tries the lease;
 * taken, the sequencer goes on from the store's size. */
static void standby(seq *q)
{
    engine *e = q->e;
    cm_error err;
    char *note = NULL;
    uint64_t note_size = 0;
    log_frontier before = q->f; /* the tree this server serves */
    int rc = store_read_begin(e->writer, &err) || load(q, &err) ||
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
    if (extends(q, &err) || load(q, &err)) {
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
    printf("cmcc: this server writes the log now (%llu %s, writer's term %lld)\n",
           (unsigned long long)q->f.size, q->f.size == 1 ? "entry" : "entries", (long long)term);
    fflush(stdout);
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

/* A writer whose connection broke: connects again (whichever host is the
 * primary now), takes the lease again, and goes on only if the tree it
 * finds extends what it acknowledged; else it stays ENGINE_FAILOVER (the
 * database is not back yet: tried again every SEQ_POLL_MS), becomes a
 * reader (another server took the lease) or is deposed (entries lost). */
static void failover(seq *q)
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
    if (extends(q, &err) || load(q, &err)) {
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

void *seq_main(void *arg)
{
    engine *e = arg;
    seq *q = e->seq;
    for (;;) {
        int role = engine_role(e, NULL, 0), stop = 0;
        job *jobs = take(e, role == ENGINE_READING || role == ENGINE_FAILOVER, &stop);
        if (stop) break;
        if (role == ENGINE_READING) standby(q);
        if (role == ENGINE_FAILOVER) failover(q);
        if (!jobs) continue;
        char why[sizeof e->role_why];
        role = engine_role(e, why, sizeof why);
        if (role != ENGINE_WRITING) {
            if (role == ENGINE_READING) snprintf(why, sizeof why, "%s", ENGINE_READS_ONLY);
            fail_all(jobs, why, "send it to the server that writes this log");
            srv_jobs_done(jobs);
            continue;
        }
        batch(q, jobs);
        /* the WAL is checkpointed between batches, when idle */
        pthread_mutex_lock(&e->q_mu);
        int idle = e->q_head == NULL;
        pthread_mutex_unlock(&e->q_mu);
        store_tend(e->writer, idle);
    }
    seq_free(e);
    return NULL;
}

void seq_free(engine *e)
{
    seq *q = e->seq;
    if (!q) return;
    ev_effects_free(&q->fx);
    buf_free(&q->entry);
    free(q);
    e->seq = NULL;
}
