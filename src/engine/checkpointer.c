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
 * gets them without waiting for a new entry. A server that does not
 * write the log (engine_role) signs nothing.
 */
#include "engine/engine.h"

#include "common/mem.h"
#include "common/timeutil.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static void done(job *j, void *ctx)
{
    (void)ctx;
    free(j->note);
    free(j);
}

static void wait_until(engine *e, int64_t deadline_mono)
{
    for (;;) {
        int64_t left = deadline_mono - time_mono_ms();
        if (left <= 0 || e->ckpt_stop) return;
        struct timespec ts;
        clock_gettime(CLOCK_MONOTONIC, &ts);
        ts.tv_sec += left / 1000;
        ts.tv_nsec += (long)(left % 1000) * 1000000L;
        if (ts.tv_nsec >= 1000000000L) ts.tv_sec++, ts.tv_nsec -= 1000000000L;
        pthread_cond_timedwait(&e->pub_cv, &e->pub_mu, &ts);
    }
}

/* Whether a signed note has only one signature line (the log's). */
static int uncosigned(const char *note)
{
    const char *sigs = note ? strstr(note, "\n\n") : NULL;
    if (!sigs) return 0;
    int lines = 0;
    for (const char *p = sigs + 2; *p; p++) lines += *p == '\n';
    return lines == 1;
}

void *ckpt_main(void *arg)
{
    engine *e = arg;
    pthread_mutex_lock(&e->pub_mu);
    uint64_t signed_size = e->checkpoint_size;
    int again = e->role == ENGINE_WRITING && e->n_peers && e->checkpoint_size > 0 &&
                e->size == e->checkpoint_size && uncosigned(e->checkpoint);
    while (!e->ckpt_stop) {
        /* only the writer signs (a reader's tree is another's) */
        while ((e->size <= signed_size || e->role != ENGINE_WRITING) && !again && !e->ckpt_stop) {
            pthread_cond_wait(&e->pub_cv, &e->pub_mu);
            if (signed_size < e->checkpoint_size) signed_size = e->checkpoint_size;
        }
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
