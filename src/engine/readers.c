/*
 * readers.c: one read-only store connection per thread that reads (HTTP
 * threads, pool threads, the checkpointer), opened on a thread's first read
 * and closed when the server stops. The store lets them all read while the
 * sequencer writes (store.h: STORE_READER).
 *
 * A GET is answered inside a read scope: its first engine_reader begins a
 * read snapshot, and the scope's end closes it. So every figure of one
 * answer comes from the same committed state, and the store takes its read
 * locks once a request rather than once a statement. A POST (of events),
 * the pool threads and the checkpointer read outside any scope, statement
 * by statement: their reads are single lookups (a token, a key), a key
 * admitted by the last batch must be seen by the next, and a snapshot would
 * only add its BEGIN and COMMIT.
 */
#include "engine/engine.h"

#include "common/mem.h"

#include <stdio.h>

static _Thread_local int in_scope;

/* Begins the scope's snapshot on r unless one is open. */
static store *scoped(store *r)
{
    if (in_scope && !store_in_transaction(r)) {
        cm_error err;
        if (store_read_begin(r, &err)) {
            fprintf(stderr, "cmcc: a reader cannot begin a snapshot: %s\n", err.message);
            return NULL;
        }
    }
    return r;
}

void engine_read_scope_begin(void)
{
    in_scope = 1;
}

void engine_read_scope_end(engine *e)
{
    in_scope = 0;
    store *r = pthread_getspecific(e->rd_key);
    if (r) store_read_end(r);
}

store *engine_reader(engine *e)
{
    store *r = pthread_getspecific(e->rd_key);
    if (r) return scoped(r);
    cm_error err;
    r = store_open(e->db_path, STORE_READER, &err);
    if (!r) {
        fprintf(stderr, "cmcc: cannot open a reader: %s\n", err.message);
        return NULL;
    }
    pthread_setspecific(e->rd_key, r);
    pthread_mutex_lock(&e->rd_mu);
    e->readers = xrealloc(e->readers, (e->n_readers + 1) * sizeof *e->readers);
    e->readers[e->n_readers++] = r;
    pthread_mutex_unlock(&e->rd_mu);
    return scoped(r);
}

void engine_readers_close(engine *e)
{
    pthread_mutex_lock(&e->rd_mu);
    for (size_t i = 0; i < e->n_readers; i++) store_close(e->readers[i]);
    free(e->readers);
    e->readers = NULL;
    e->n_readers = 0;
    pthread_mutex_unlock(&e->rd_mu);
}

void engine_published(engine *e, uint64_t *size, log_hash *root)
{
    pthread_mutex_lock(&e->pub_mu);
    *size = e->size;
    if (root) *root = e->root;
    pthread_mutex_unlock(&e->pub_mu);
}

void engine_checkpoint(engine *e, cm_buf *out)
{
    pthread_mutex_lock(&e->pub_mu);
    if (e->checkpoint) buf_puts(out, e->checkpoint);
    pthread_mutex_unlock(&e->pub_mu);
}

void engine_checkpoint_sized(engine *e, cm_buf *out, uint64_t *size)
{
    pthread_mutex_lock(&e->pub_mu);
    *size = e->checkpoint ? e->checkpoint_size : 0;
    if (e->checkpoint) buf_puts(out, e->checkpoint);
    pthread_mutex_unlock(&e->pub_mu);
}
