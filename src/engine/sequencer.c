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
 * One writer: who writes, and what a reader, a deposed writer and a
 * writer whose database failed over do instead, is writer_role.c.
 */
#include "engine/seq_int.h"

#include "common/mem.h"
#include "common/timeutil.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define SEQ_BATCH 4096

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
 * (*stop set), or, when timed, after SEQ_POLL_MS with none (a writer's
 * beat renews its lease; a reader's tries to take it). Untimed when the
 * store's lease needs no beat (SQLite): it sleeps until there is work. */
static job *take(engine *e, int timed, int *stop)
{
    struct timespec until = time_deadline(CLOCK_REALTIME, SEQ_POLL_MS);
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

void srv_jobs_done(job *jobs)
{
    for (job *j = jobs, *next; j; j = next) {
        next = j->next;
        j->done(j, j->ctx);
    }
}

/* Names the batch's event ids and parsed events to the store, which may
 * look up the ids, and the supply rows the events' rules will read, in
 * one round trip each (store_prefetch_ids, store_prefetch_supply:
 * PostgreSQL) rather than one an event. Events whose key is not known yet
 * are not parsed: their lookups are asked alone. */
static int prefetch(seq *q, job *jobs, cm_error *err)
{
    size_t n = 0, k = 0;
    for (job *j = jobs; j; j = j->next) n += j->kind == JOB_EVENTS ? j->n : 0;
    if (!n) return 0;
    const char **orgs = xmalloc(n * sizeof *orgs), **ids = xmalloc(n * sizeof *ids);
    const ev_event **evs = xmalloc(n * sizeof *evs);
    for (job *j = jobs; j; j = j->next)
        for (size_t i = 0; j->kind == JOB_EVENTS && i < j->n; i++) {
            const item *it = &j->items[i];
            if (it->state != ITEM_VERIFIED || !it->ev.org || !it->ev.id) continue;
            evs[k] = &it->ev;
            orgs[k] = it->ev.org;
            ids[k++] = it->ev.id;
        }
    int rc = store_prefetch_ids(q->e->writer, k, orgs, ids, err);
    if (!rc) rc = store_prefetch_supply(q->e->writer, k, evs, err);
    free(orgs);
    free(ids);
    free(evs);
    return rc;
}

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
    int failed = store_begin(e->writer, &err) != 0 || prefetch(q, jobs, &err) != 0;
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
        int held = seq_lost_lease(q);
        fail_all(jobs, "the log could not be written", "send it again");
        q->registry_changed = 0;
        srv_jobs_done(jobs);
        if (held == 0) seq_failover(q);
        return;
    }
    log_hash root;
    log_frontier_root(&q->f, &root);
    srv_syncer_hand(e, jobs, q->f.size, &root, note, note_size, q->registry_changed);
    q->registry_changed = 0;
}

/* Loads the tree's frontier and the last entry's time from the store. */
int seq_load(seq *q, cm_error *err)
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
    if (seq_load(q, err)) return -1;
    log_frontier_root(&q->f, &e->root);
    e->size = q->f.size;
    return 0;
}

void *seq_main(void *arg)
{
    engine *e = arg;
    seq *q = e->seq;
    for (;;) {
        int role = engine_role(e, NULL, 0), stop = 0;
        job *jobs = take(e, store_lease_beats(e->writer), &stop);
        if (stop) break;
        if (role == ENGINE_READING) seq_standby(q);
        if (role == ENGINE_FAILOVER) seq_failover(q);
        if (role == ENGINE_WRITING) seq_keep(q);
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
        if (engine_role(e, NULL, 0) == ENGINE_WRITING) seq_keep(q);
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
