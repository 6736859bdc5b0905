/*
 * engine.c: a struct engine's locks. The published tree's condition waits
 * on the monotonic clock (the checkpointer's timed wait), the others are
 * plain; the key names each thread's read-only connection (readers.c).
 */
#include "engine/engine.h"

#include <time.h>

void engine_init_sync(engine *e)
{
    pthread_condattr_t ca;
    pthread_condattr_init(&ca);
    pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
    pthread_mutex_init(&e->pub_mu, NULL);
    pthread_cond_init(&e->pub_cv, &ca);
    pthread_condattr_destroy(&ca);
    pthread_mutex_init(&e->q_mu, NULL);
    pthread_cond_init(&e->q_cv, NULL);
    pthread_mutex_init(&e->rd_mu, NULL);
    pthread_mutex_init(&e->sync_mu, NULL);
    pthread_cond_init(&e->sync_cv, NULL);
    pthread_key_create(&e->rd_key, NULL);
}
