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
 * tree gets at most one checkpoint a second.
 */
#include "server/srv_int.h" /* struct srv */

#include "common/mem.h"
#include "common/timeutil.h"

#include <errno.h>
#include <stdlib.h>
#include <time.h>

static void done(job *j, void *ctx)
{
    (void)ctx;
    free(j->note);
    free(j);
}

static void wait_until(srv *s, int64_t deadline_mono)
{
    for (;;) {
        int64_t left = deadline_mono - time_mono_ms();
        if (left <= 0 || s->ckpt_stop) return;
        struct timespec ts;
        clock_gettime(CLOCK_MONOTONIC, &ts);
        ts.tv_sec += left / 1000;
        ts.tv_nsec += (long)(left % 1000) * 1000000L;
        if (ts.tv_nsec >= 1000000000L) ts.tv_sec++, ts.tv_nsec -= 1000000000L;
        pthread_cond_timedwait(&s->pub_cv, &s->pub_mu, &ts);
    }
}

void *ckpt_main(void *arg)
{
    srv *s = arg;
    pthread_mutex_lock(&s->pub_mu);
    uint64_t signed_size = s->checkpoint_size;
    while (!s->ckpt_stop) {
        while (s->size <= signed_size && !s->ckpt_stop) pthread_cond_wait(&s->pub_cv, &s->pub_mu);
        if (s->ckpt_stop) break;
        uint64_t size = s->size;
        log_hash root = s->root;
        pthread_mutex_unlock(&s->pub_mu);

        int64_t started = time_mono_ms();
        job *j = xcalloc(1, sizeof *j);
        j->kind = JOB_CHECKPOINT;
        j->size = size;
        j->note = srv_sign_checkpoint(&s->log_key, s->origin, size, &root);
        if (s->n_peers) {
            char *cosigned = srv_cosign(s, j->note, size);
            free(j->note);
            j->note = cosigned;
        }
        j->done = done;
        if (seq_submit(s, j) == 0)
            signed_size = size;
        else
            done(j, NULL);

        pthread_mutex_lock(&s->pub_mu);
        wait_until(s, started + s->cfg.checkpoint_ms);
    }
    pthread_mutex_unlock(&s->pub_mu);
    return NULL;
}
