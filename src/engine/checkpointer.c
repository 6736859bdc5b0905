/*
 * checkpointer.c: signing tree heads.
 *
 * Waits until the published tree is larger than the last one it signed,
 * signs a C2SP checkpoint of it (origin, size, base64 root) as a signed note
 * with the log key, gathers the cosignatures of the configured witnesses
 * (cosign.c), and hands it to the sequencer, which keeps it in the store;
 * the syncer serves it at /checkpoint once that is durable. Then it waits
 * out the rest of
 * the interval (checkpoint_ms, one second by default), so that a growing
 * tree gets at most one checkpoint a second. A log started with witnesses
 * whose newest checkpoint carries no cosignature (the witnesses were added
 * since, or were all down) signs that tree once more at once, so that it
 * gets them without waiting for a new entry. And while the newest
 * checkpoint lacks a witness's cosignature (one was down, or a mirror had
 * not yet caught up) and the tree does not grow, the same tree is signed
 * again after RETRY_FIRST_MS, then after twice as long each time up to
 * RETRY_MAX_MS: a quiet log still gets every cosignature once its
 * witnesses answer. A server that does not write the log (engine_role)
 * signs nothing.
 */
#include "engine/engine.h"

#include "common/mem.h"
#include "common/timeutil.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define RETRY_FIRST_MS 2000
#define RETRY_MAX_MS   60000

static void done(job *j, void *ctx)
{
    (void)ctx;
    free(j->note);
    free(j);
}

/* One wait on pub_cv of at most left ms (pub_cv runs on the monotonic
 * clock): a signal or the time, whichever comes first. */
static void wait_for(engine *e, int64_t left)
{
    struct timespec ts = time_deadline(CLOCK_MONOTONIC, left);
    pthread_cond_timedwait(&e->pub_cv, &e->pub_mu, &ts);
}

static void wait_until(engine *e, int64_t deadline_mono)
{
    for (;;) {
        int64_t left = deadline_mono - time_mono_ms();
        if (left <= 0 || e->ckpt_stop) return;
        wait_for(e, left);
    }
}

/* The signature lines of a signed note (the log's and its cosignatures). */
static int signatures(const char *note)
{
    const char *sigs = note ? strstr(note, "\n\n") : NULL;
    if (!sigs) return 0;
    int lines = 0;
    for (const char *p = sigs + 2; *p; p++) lines += *p == '\n';
    return lines;
}

/* Waits for the tree to grow past *signed_size with this server writing,
 * or for retry_at (monotonic ms; 0: never); e->pub_mu held. 1 when it is
 * the retry's time. */
static int wait_growth(engine *e, uint64_t *signed_size, int64_t retry_at)
{
    while ((e->size <= *signed_size || e->role != ENGINE_WRITING) && !e->ckpt_stop) {
        int retrying = retry_at && e->role == ENGINE_WRITING;
        int64_t left = retrying ? retry_at - time_mono_ms() : 0;
        if (retrying && left <= 0) return 1;
        if (retrying)
            wait_for(e, left);
        else
            pthread_cond_wait(&e->pub_cv, &e->pub_mu);
        if (*signed_size < e->checkpoint_size) *signed_size = e->checkpoint_size;
    }
    return 0;
}

void *ckpt_main(void *arg)
{
    engine *e = arg;
    pthread_mutex_lock(&e->pub_mu);
    uint64_t signed_size = e->checkpoint_size;
    int again = e->role == ENGINE_WRITING && e->n_peers && e->checkpoint_size > 0 &&
                e->size == e->checkpoint_size && signatures(e->checkpoint) == 1;
    int64_t retry_at = 0, retry_ms = 0; /* the same tree again, for a missing cosigner */
    while (!e->ckpt_stop) {
        /* only the writer signs (a reader's tree is another's) */
        if (!again) wait_growth(e, &signed_size, retry_at);
        again = 0;
        if (e->ckpt_stop) break;
        uint64_t size = e->size;
        log_hash root = e->root;
        pthread_mutex_unlock(&e->pub_mu);

        int64_t started = time_mono_ms();
        job *j = xcalloc(1, sizeof *j);
        j->kind = JOB_CHECKPOINT;
        j->size = size;
        j->note = srv_sign_checkpoint(&e->log_key, e->origin, size, &root);
        if (e->n_peers) {
            char *cosigned = srv_cosign(e, j->note, size);
            free(j->note);
            j->note = cosigned;
        }
        if (e->n_peers && signatures(j->note) < 1 + (int)e->n_peers) {
            retry_ms = retry_ms ? retry_ms * 2 : RETRY_FIRST_MS;
            if (retry_ms > RETRY_MAX_MS) retry_ms = RETRY_MAX_MS;
            retry_at = started + retry_ms;
        } else {
            retry_at = retry_ms = 0;
        }
        j->done = done;
        if (engine_submit(e, j) == 0)
            signed_size = size;
        else
            done(j, NULL);

        pthread_mutex_lock(&e->pub_mu);
        wait_until(e, started + e->checkpoint_ms);
    }
    pthread_mutex_unlock(&e->pub_mu);
    return NULL;
}
