/*
 * syncer.c: the thread that makes committed batches durable and answers
 * them.
 *
 * The sequencer's commits only write the WAL (store_lazy_commits on): it
 * hands each committed batch here and goes on with the next. This thread
 * takes every batch handed so far, syncs the WAL once (store_sync: all
 * of them are then on disk), and only then, batch by batch in order,
 * publishes the tree's new size and root (and a checkpoint the batch
 * kept, first written to DIR/published on a shared store: published.c),
 * forgets remembered tokens if the registry changed, and answers
 * the batch's jobs. So the sequencer never waits for the disk, one sync
 * covers every batch committed meanwhile, and nothing is signed or
 * acknowledged before it is durable. A sync that fails stops the server at
 * once: what is on disk is then unknown, and nobody must hear otherwise.
 */
#include "engine/engine.h"

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

void srv_syncer_hand(engine *e, job *jobs, uint64_t size, const log_hash *root, const char *note,
                     uint64_t note_size, int registry_changed)
{
    srv_synced *b = xcalloc(1, sizeof *b);
    b->jobs = jobs;
    b->size = size;
    b->root = *root;
    b->note = note;
    b->note_size = note_size;
    b->registry_changed = registry_changed;
    pthread_mutex_lock(&e->sync_mu);
    if (e->sync_tail)
        e->sync_tail->next = b;
    else
        e->sync_head = b;
    e->sync_tail = b;
    pthread_cond_signal(&e->sync_cv);
    pthread_mutex_unlock(&e->sync_mu);
}

static void publish(engine *e, srv_synced *b)
{
    cm_error err;
    if (b->note && srv_published_keep(e->published_path, b->note, &err))
        fprintf(stderr, "cmcc: %s (the checkpoint is published all the same)\n", err.message);
    pthread_mutex_lock(&e->pub_mu);
    e->size = b->size;
    e->root = b->root;
    if (b->note && b->note_size >= e->checkpoint_size) {
        free(e->checkpoint);
        e->checkpoint = xstrdup(b->note);
        e->checkpoint_size = b->note_size;
    }
    pthread_cond_broadcast(&e->pub_cv);
    pthread_mutex_unlock(&e->pub_mu);
    if (b->registry_changed)
        if (e->registry_changed) e->registry_changed(e->owner);
    if (e->published) e->published(e->owner, b->jobs, b->size);
    srv_jobs_done(b->jobs);
}

void *srv_syncer_main(void *arg)
{
    engine *e = arg;
    for (;;) {
        pthread_mutex_lock(&e->sync_mu);
        while (!e->sync_head && !e->sync_stop) pthread_cond_wait(&e->sync_cv, &e->sync_mu);
        srv_synced *b = e->sync_head;
        e->sync_head = e->sync_tail = NULL;
        pthread_mutex_unlock(&e->sync_mu);
        if (!b) break; /* stopping, and nothing left */
        cm_error err;
        if (store_sync(e->writer, &err)) {
            fprintf(stderr, "cmcc: %s: stopping, nothing more is acknowledged\n", err.message);
            _exit(1);
        }
        while (b) {
            srv_synced *next = b->next;
            publish(e, b);
            free(b);
            b = next;
        }
    }
    return NULL;
}
