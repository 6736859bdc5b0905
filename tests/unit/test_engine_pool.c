/*
 * test_engine_pool.c: the parallel for (engine/pool.c) under stress: many
 * threads run loops of every size at once; every index of every loop must
 * run exactly once, and a loop's memory (the caller's stack) must be free
 * to go when srv_pool_for returns (ASan catches a thread still using it).
 * Loops left to the pool (srv_pool_async) from several threads at once:
 * each continuation runs exactly once, after every index of its loop, and
 * the pool frees each loop only once no thread holds it.
 */
#include "engine/engine.h"

#include <pthread.h>
#include <sched.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdlib.h>

#include <cmocka.h>

#define CALLERS 6
#define ROUNDS  400

typedef struct {
    atomic_int *hits;
} loop_ctx;

static void hit(void *ctx, size_t i)
{
    loop_ctx *c = ctx;
    atomic_fetch_add(&c->hits[i], 1);
}

static srv_pool *pool;
static atomic_int failures;

static void *caller(void *arg)
{
    unsigned seed = (unsigned)(size_t)arg;
    for (int r = 0; r < ROUNDS; r++) {
        seed = seed * 1103515245u + 12345u;
        size_t n = (seed >> 8) % 300;
        atomic_int hits[300];
        for (size_t i = 0; i < n; i++) atomic_init(&hits[i], 0);
        loop_ctx c = {hits};
        srv_pool_for(pool, n, hit, &c);
        for (size_t i = 0; i < n; i++)
            if (atomic_load(&hits[i]) != 1) atomic_fetch_add(&failures, 1);
    }
    return NULL;
}

static void test_every_index_once(void **state)
{
    (void)state;
    pool = srv_pool_new(3);
    pthread_t t[CALLERS];
    for (size_t i = 0; i < CALLERS; i++) pthread_create(&t[i], NULL, caller, (void *)(i + 1));
    for (size_t i = 0; i < CALLERS; i++) pthread_join(t[i], NULL);
    srv_pool_free(pool);
    assert_int_equal(atomic_load(&failures), 0);
}

typedef struct {
    atomic_int hits[40];
    size_t n;
} async_ctx;

static atomic_int thens;

static void async_then(void *ctx)
{
    async_ctx *c = ctx;
    for (size_t i = 0; i < c->n; i++)
        if (atomic_load(&c->hits[i]) != 1) atomic_fetch_add(&failures, 1);
    free(c);
    atomic_fetch_add(&thens, 1);
}

static void async_hit(void *ctx, size_t i)
{
    async_ctx *c = ctx;
    atomic_fetch_add(&c->hits[i], 1);
}

static void *async_caller(void *arg)
{
    unsigned seed = (unsigned)(size_t)arg;
    for (int r = 0; r < ROUNDS; r++) {
        seed = seed * 1103515245u + 12345u;
        async_ctx *c = calloc(1, sizeof *c);
        c->n = 1 + (seed >> 8) % 40; /* a few chunks: threads meet at the end */
        srv_pool_async(pool, c->n, async_hit, c, async_then);
    }
    return NULL;
}

static void test_async_loops(void **state)
{
    (void)state;
    atomic_store(&failures, 0);
    pool = srv_pool_new(3);
    pthread_t t[CALLERS];
    for (size_t i = 0; i < CALLERS; i++) pthread_create(&t[i], NULL, async_caller, (void *)(i + 1));
    for (size_t i = 0; i < CALLERS; i++) pthread_join(t[i], NULL);
    while (atomic_load(&thens) < CALLERS * ROUNDS) sched_yield();
    srv_pool_free(pool);
    assert_int_equal(atomic_load(&thens), CALLERS * ROUNDS);
    assert_int_equal(atomic_load(&failures), 0);
}

static void test_without_threads(void **state)
{
    (void)state;
    atomic_int hits[50];
    for (size_t i = 0; i < 50; i++) atomic_init(&hits[i], 0);
    loop_ctx c = {hits};
    srv_pool_for(NULL, 50, hit, &c);
    for (size_t i = 0; i < 50; i++) assert_int_equal(atomic_load(&hits[i]), 1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_every_index_once),
        cmocka_unit_test(test_async_loops),
        cmocka_unit_test(test_without_threads),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
