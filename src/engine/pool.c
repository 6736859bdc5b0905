/*
 * pool.c: a parallel for, so that the envelopes of one request are checked
 * on every core.
 *
 * A caller of srv_pool_for hands the loop to the pool and works on it too:
 * every thread takes the next chunk of indexes from a shared counter until
 * none is left, and the caller returns once every index is done and no pool
 * thread holds the loop any more. Loops from several callers queue and are
 * served in turn. A loop can also be started and finished later
 * (srv_pool_start, srv_pool_finish), so that the caller does other work
 * meanwhile: the replay's pipeline. Or it can be left to the pool
 * altogether (srv_pool_async): the pool thread that leaves it last, every
 * index done, calls its continuation and frees it. The server checks
 * requests so, leaving its HTTP threads free for the network (libmicrohttpd
 * binds a connection to one thread, which would otherwise verify a batch of
 * a thousand envelopes alone).
 *
 * Pool threads run at a lower priority (nice +5) than the rest of the
 * process. The work they feed is serial (the server's sequencer, the
 * verifier's tree), so it is the pipeline's critical path: when both are
 * ready on a loaded machine, the kernel gives the serial thread its core
 * and the pool the rest. Measured on two cores with batches of 500 supply
 * events: the server went from 73% to about 90% busy.
 */
#include "engine/engine.h"

#include "common/mem.h"

#include <pthread.h>

#include <stdatomic.h>
#include <sys/resource.h>
#include <unistd.h>

#define CHUNK     8
#define POOL_NICE 5

typedef struct task task;
struct task {
    task *next;
    void (*fn)(void *ctx, size_t i);
    void *ctx;
    size_t n;
    atomic_size_t next_i;
    atomic_size_t done;
    pthread_mutex_t mu;
    pthread_cond_t cv;       /* the caller waits for done == n and users == 0 */
    unsigned users;          /* pool threads working on it (under mu) */
    void (*then)(void *ctx); /* srv_pool_async: run once all is done */
};

struct srv_pool {
    pthread_mutex_t mu;
    pthread_cond_t cv;
    task *head, *tail;
    int stop;
    pthread_t *threads;
    unsigned n;
};

/* Works on t until its indexes run out. */
static void work(task *t)
{
    for (;;) {
        size_t i = atomic_fetch_add(&t->next_i, CHUNK);
        if (i >= t->n) return;
        size_t end = i + CHUNK < t->n ? i + CHUNK : t->n;
        for (size_t k = i; k < end; k++) t->fn(t->ctx, k);
        atomic_fetch_add(&t->done, end - i);
    }
}

/* Takes t off the queue, if it is still there; p->mu held. */
static void unlink_locked(srv_pool *p, task *t)
{
    task **pp = &p->head, *prev = NULL;
    while (*pp && *pp != t) prev = *pp, pp = &(*pp)->next;
    if (*pp) {
        *pp = t->next;
        if (p->tail == t) p->tail = prev;
    }
}

static void unlink_task(srv_pool *p, task *t)
{
    pthread_mutex_lock(&p->mu);
    unlink_locked(p, t);
    pthread_mutex_unlock(&p->mu);
}

/* Frees a loop no thread holds or can find; mem is the allocation that
 * holds it. */
static void task_free(task *t, void *mem)
{
    pthread_mutex_destroy(&t->mu);
    pthread_cond_destroy(&t->cv);
    free(mem);
}

/* Frees an async loop no thread holds or can find, then runs its
 * continuation. */
static void end_async(task *t)
{
    void (*then)(void *) = t->then;
    void *ctx = t->ctx;
    task_free(t, t);
    then(ctx);
}

static void *worker(void *arg)
{
    srv_pool *p = arg;
    /* Linux: a nice value is a thread's own; failing it changes nothing */
    (void)setpriority(PRIO_PROCESS, (id_t)gettid(), POOL_NICE);
    pthread_mutex_lock(&p->mu);
    for (;;) {
        while (!p->head && !p->stop) pthread_cond_wait(&p->cv, &p->mu);
        if (!p->head) break;
        task *t = p->head;
        if (atomic_load(&t->next_i) >= t->n) { /* all handed out: drop it */
            p->head = t->next;
            if (!p->head) p->tail = NULL;
            continue;
        }
        pthread_mutex_lock(&t->mu); /* t stays alive while it has users */
        t->users++;
        pthread_mutex_unlock(&t->mu);
        pthread_mutex_unlock(&p->mu);
        work(t);
        /* the last to leave an async loop with every index done ends it.
         * Threads take a loop up under p->mu, so deciding under p->mu too,
         * and taking the loop off the queue there, leaves none that could
         * still take it up once it is freed. */
        pthread_mutex_lock(&p->mu);
        pthread_mutex_lock(&t->mu);
        t->users--;
        int end = t->then && t->users == 0 && atomic_load(&t->done) == t->n;
        if (end) unlink_locked(p, t);
        pthread_cond_signal(&t->cv);
        pthread_mutex_unlock(&t->mu);
        if (end) {
            pthread_mutex_unlock(&p->mu);
            end_async(t);
            pthread_mutex_lock(&p->mu);
        }
    }
    pthread_mutex_unlock(&p->mu);
    return NULL;
}

srv_pool *srv_pool_new(unsigned threads)
{
    srv_pool *p = xcalloc(1, sizeof *p);
    pthread_mutex_init(&p->mu, NULL);
    pthread_cond_init(&p->cv, NULL);
    p->threads = xcalloc(threads ? threads : 1, sizeof *p->threads);
    for (unsigned i = 0; i < threads; i++)
        if (pthread_create(&p->threads[p->n], NULL, worker, p) == 0)
            pthread_setname_np(p->threads[p->n++], "cmcc-pool");
    return p;
}

unsigned srv_cores(void)
{
    long cpus = sysconf(_SC_NPROCESSORS_ONLN);
    return cpus > 1 ? (unsigned)cpus : 1;
}

srv_pool *srv_pool_new_helped(void)
{
    return srv_pool_new(srv_cores() - 1);
}

void srv_pool_free(srv_pool *p)
{
    if (!p) return;
    pthread_mutex_lock(&p->mu);
    p->stop = 1;
    pthread_cond_broadcast(&p->cv);
    pthread_mutex_unlock(&p->mu);
    for (unsigned i = 0; i < p->n; i++) pthread_join(p->threads[i], NULL);
    pthread_mutex_destroy(&p->mu);
    pthread_cond_destroy(&p->cv);
    free(p->threads);
    free(p);
}

struct srv_pool_job {
    task t;
};

/* Sets up t for n indexes of fn(ctx, i). */
static void task_init(task *t, size_t n, void (*fn)(void *ctx, size_t i), void *ctx)
{
    t->fn = fn;
    t->ctx = ctx;
    t->n = n;
    atomic_init(&t->next_i, 0);
    atomic_init(&t->done, 0);
    pthread_mutex_init(&t->mu, NULL);
    pthread_cond_init(&t->cv, NULL);
}

/* Puts t at the end of the queue and wakes the pool's threads. */
static void enqueue(srv_pool *p, task *t)
{
    pthread_mutex_lock(&p->mu);
    if (p->tail)
        p->tail->next = t;
    else
        p->head = t;
    p->tail = t;
    pthread_cond_broadcast(&p->cv);
    pthread_mutex_unlock(&p->mu);
}

srv_pool_job *srv_pool_start(srv_pool *p, size_t n, void (*fn)(void *ctx, size_t i), void *ctx)
{
    srv_pool_job *j = xcalloc(1, sizeof *j);
    task_init(&j->t, n, fn, ctx);
    if (p && p->n) enqueue(p, &j->t); /* else the caller does it all in srv_pool_finish */
    return j;
}

void srv_pool_finish(srv_pool *p, srv_pool_job *j)
{
    task *t = &j->t;
    work(t); /* the caller helps with what is left */
    /* off the queue, so no new thread picks it up; then wait for the work
     * and for the threads still holding it, before its memory goes */
    if (p && p->n) unlink_task(p, t);
    pthread_mutex_lock(&t->mu);
    while (atomic_load(&t->done) < t->n || t->users) pthread_cond_wait(&t->cv, &t->mu);
    pthread_mutex_unlock(&t->mu);
    task_free(t, j);
}

void srv_pool_for(srv_pool *p, size_t n, void (*fn)(void *ctx, size_t i), void *ctx)
{
    if (!p || p->n == 0 || n <= CHUNK) {
        for (size_t i = 0; i < n; i++) fn(ctx, i);
        return;
    }
    srv_pool_finish(p, srv_pool_start(p, n, fn, ctx));
}

void srv_pool_async(srv_pool *p, size_t n, void (*fn)(void *ctx, size_t i), void *ctx,
                    void (*then)(void *ctx))
{
    if (!p || p->n == 0 || n <= 1) { /* one index: a hop there and back costs more */
        for (size_t i = 0; i < n; i++) fn(ctx, i);
        then(ctx);
        return;
    }
    task *t = xcalloc(1, sizeof *t);
    task_init(t, n, fn, ctx);
    t->then = then;
    enqueue(p, t);
}
