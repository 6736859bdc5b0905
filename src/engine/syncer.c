/*
 * syncer.c: the thread that makes committed batches durable and answers
 * them.
 *
 * The sequencer's commits only write the WAL (store_sync_commits off): it
 * hands each committed batch here and goes on with the next. This thread
 * takes every batch handed so far, syncs the WAL once (store_sync_wal: all
 * of them are then on disk), and only then, batch by batch in order,
 * publishes the tree's new size and root (and a checkpoint the batch
 * kept), forgets remembered tokens if the registry changed, and answers
 * the batch's jobs. So the sequencer never waits for the disk, one sync
 * covers every batch committed meanwhile, and nothing is signed or
 * acknowledged before it is durable. A sync that fails stops the server at
 * once: what is on disk is then unknown, and nobody must hear otherwise.
 */
#include "server/srv_int.h" /* struct srv */

#include "common/mem.h"

#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

struct srv_synced {
    srv_synced *next;
    job *jobs;
    uint64_t size;
    log_hash root;
    const char *note; /* a checkpoint the batch kept (its job's), or NULL */
    uint64_t note_size;
    int registry_changed;
};

void srv_syncer_hand(srv *s, job *jobs, uint64_t size, const log_hash *root, const char *note,
                     uint64_t note_size, int registry_changed)
{
    srv_synced *b = xcalloc(1, sizeof *b);
    b->jobs = jobs;
    b->size = size;
    b->root = *root;
    b->note = note;
    b->note_size = note_size;
    b->registry_changed = registry_changed;
    pthread_mutex_lock(&s->sync_mu);
    if (s->sync_tail)
        s->sync_tail->next = b;
    else
        s->sync_head = b;
    s->sync_tail = b;
    pthread_cond_signal(&s->sync_cv);
    pthread_mutex_unlock(&s->sync_mu);
}

static void publish(srv *s, srv_synced *b)
{
    pthread_mutex_lock(&s->pub_mu);
    s->size = b->size;
    s->root = b->root;
    if (b->note && b->note_size >= s->checkpoint_size) {
        free(s->checkpoint);
        s->checkpoint = xstrdup(b->note);
        s->checkpoint_size = b->note_size;
    }
    pthread_cond_broadcast(&s->pub_cv);
    pthread_mutex_unlock(&s->pub_mu);
    if (b->registry_changed) srv_authcache_clear(s->auth);
    srv_jobs_done(b->jobs);
}

void *srv_syncer_main(void *arg)
{
    srv *s = arg;
    for (;;) {
        pthread_mutex_lock(&s->sync_mu);
        while (!s->sync_head && !s->sync_stop) pthread_cond_wait(&s->sync_cv, &s->sync_mu);
        srv_synced *b = s->sync_head;
        s->sync_head = s->sync_tail = NULL;
        pthread_mutex_unlock(&s->sync_mu);
        if (!b) break; /* stopping, and nothing left */
        cm_error err;
        if (store_sync_wal(s->writer, &err)) {
            fprintf(stderr, "cmcc: %s: stopping, nothing more is acknowledged\n", err.message);
            _exit(1);
        }
        while (b) {
            srv_synced *next = b->next;
            publish(s, b);
            free(b);
            b = next;
        }
    }
    return NULL;
}
