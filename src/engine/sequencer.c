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
 */
#include "server/srv_int.h" /* struct srv */

#include "common/mem.h"
#include "common/timeutil.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define SEQ_BATCH 4096

int seq_submit(srv *s, job *j)
{
    pthread_mutex_lock(&s->q_mu);
    unsigned n = j->kind == JOB_EVENTS ? (unsigned)j->n : 0;
    if (n > s->cfg.max_queue) {
        pthread_mutex_unlock(&s->q_mu);
        return -2;
    }
    if (s->stopping || (n && s->q_items + n > s->cfg.max_queue)) {
        pthread_mutex_unlock(&s->q_mu);
        return -1;
    }
    j->next = NULL;
    if (s->q_tail)
        s->q_tail->next = j;
    else
        s->q_head = j;
    s->q_tail = j;
    s->q_items += n;
    pthread_cond_signal(&s->q_cv);
    pthread_mutex_unlock(&s->q_mu);
    return 0;
}

/* Takes the jobs of the next batch; NULL when stopping with nothing left. */
static job *take(srv *s)
{
    pthread_mutex_lock(&s->q_mu);
    while (!s->q_head && !s->stopping) pthread_cond_wait(&s->q_cv, &s->q_mu);
    job *first = s->q_head, *last = NULL;
    size_t events = 0;
    for (job *j = s->q_head; j; j = j->next) {
        if (last && events + j->n > SEQ_BATCH) break;
        events += j->kind == JOB_EVENTS ? j->n : 0;
        last = j;
    }
    if (last) {
        s->q_head = last->next;
        if (!s->q_head) s->q_tail = NULL;
        last->next = NULL;
        s->q_items -= (unsigned)events;
    }
    pthread_mutex_unlock(&s->q_mu);
    return first;
}

typedef struct {
    srv *s;
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
        store_view(q->s->writer, &v);
        v.size = q->f.size;
        if (item_finish_unkeyed(it, &v, received)) return it->err.code == CM_INTERNAL ? -1 : 0;
    }
    srv_receipt rc;
    if (srv_append(q->s->writer, &q->f, &it->ev, received, &q->fx, &q->entry, &rc, &it->err))
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
static void fail_all(job *jobs, const char *why)
{
    for (job *j = jobs; j; j = j->next)
        for (size_t i = 0; i < j->n; i++) {
            item *it = &j->items[i];
            if (!it->judged && it->state == ITEM_FAILED) continue;
            it->accepted = it->duplicate = 0;
            it->state = ITEM_FAILED;
            cm_fail(&it->err, CM_UNAVAILABLE, "", "%s: nothing was appended, send it again", why);
        }
}

void srv_jobs_done(job *jobs)
{
    for (job *j = jobs, *next; j; j = next) {
        next = j->next;
        j->done(j, j->ctx);
    }
}

/* Appends a batch in one transaction and hands it to the syncer (or, if it
 * fails, answers it at once). */
static void batch(seq *q, job *jobs)
{
    srv *s = q->s;
    log_frontier saved = q->f;
    int64_t received0 = q->last_received;
    const char *note = NULL;
    uint64_t note_size = 0;
    cm_error err;
    int failed = store_begin(s->writer, &err) != 0;
    for (job *j = jobs; j && !failed; j = j->next) {
        if (j->kind == JOB_CHECKPOINT) {
            failed = store_put_checkpoint(s->writer, j->size, j->note, time_now_ms(), &err) != 0;
            note = j->note;
            note_size = j->size;
            continue;
        }
        for (size_t i = 0; i < j->n && !failed; i++) {
            failed = one(q, &j->items[i]) != 0;
            if (failed) err = j->items[i].err;
        }
    }
    if (!failed) failed = store_commit(s->writer, &err) != 0;
    if (failed) {
        fprintf(stderr, "cmcc: the batch was rolled back: %s\n", err.message);
        store_rollback(s->writer);
        q->f = saved;
        q->last_received = received0;
        fail_all(jobs, "the log could not be written");
        q->registry_changed = 0;
        srv_jobs_done(jobs);
        return;
    }
    log_hash root;
    log_frontier_root(&q->f, &root);
    srv_syncer_hand(s, jobs, q->f.size, &root, note, note_size, q->registry_changed);
    q->registry_changed = 0;
}

int seq_init(srv *s, cm_error *err)
{
    seq *q = xcalloc(1, sizeof *q);
    q->s = s;
    s->seq = q;
    uint64_t size = 0;
    if (store_size(s->writer, &size, err)) return -1;
    if (log_frontier_load(&q->f, size, store_read_hash, s->writer))
        return cm_fail(err, CM_INTERNAL, "", "the stored tree is incomplete: run `cmcc verify`");
    q->last_received = 0;
    if (size > 0) {
        char *entry = NULL;
        size_t len = 0;
        ev_envelope env;
        if (store_entry(s->writer, size - 1, &entry, &len, err) != 1 ||
            ev_entry_parse(entry, len, &env, &q->last_received, err)) {
            free(entry);
            return cm_fail(err, CM_INTERNAL, "",
                           "the last entry cannot be read: run `cmcc verify`");
        }
        ev_envelope_free(&env);
        free(entry);
    }
    log_frontier_root(&q->f, &s->root);
    s->size = size;
    return 0;
}

void *seq_main(void *arg)
{
    srv *s = arg;
    seq *q = s->seq;
    job *jobs;
    while ((jobs = take(s))) {
        batch(q, jobs);
        /* the WAL is checkpointed between batches, when idle */
        pthread_mutex_lock(&s->q_mu);
        int idle = s->q_head == NULL;
        pthread_mutex_unlock(&s->q_mu);
        store_wal_tend(s->writer, idle);
    }
    seq_free(s);
    return NULL;
}

void seq_free(srv *s)
{
    seq *q = s->seq;
    if (!q) return;
    ev_effects_free(&q->fx);
    buf_free(&q->entry);
    free(q);
    s->seq = NULL;
}
