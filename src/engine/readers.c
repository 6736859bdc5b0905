/*
 * readers.c: one read-only store connection per thread that reads (HTTP
 * threads, pool threads, the checkpointer), opened on a thread's first read
 * and closed when the server stops. SQLite's WAL lets them all read while
 * the sequencer writes.
 *
 * A GET is answered inside a read scope: its first srv_reader begins a
 * read snapshot, and the scope's end closes it. So every figure of one
 * answer comes from the same committed state, and SQLite takes its read
 * locks once a request rather than once a statement. A POST (of events),
 * the pool threads and the checkpointer read outside any scope, statement
 * by statement: their reads are single lookups (a token, a key), a key
 * admitted by the last batch must be seen by the next, and a snapshot would
 * only add its BEGIN and COMMIT.
 */
#include "server/srv_int.h" /* struct srv */

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

void srv_read_scope_begin(void)
{
    in_scope = 1;
}

void srv_read_scope_end(srv *s)
{
    in_scope = 0;
    store *r = pthread_getspecific(s->rd_key);
    if (r) store_read_end(r);
}

store *srv_reader(srv *s)
{
    store *r = pthread_getspecific(s->rd_key);
    if (r) return scoped(r);
    cm_error err;
    r = store_open(s->db_path, STORE_READER, &err);
    if (!r) {
        fprintf(stderr, "cmcc: cannot open a reader: %s\n", err.message);
        return NULL;
    }
    pthread_setspecific(s->rd_key, r);
    pthread_mutex_lock(&s->rd_mu);
    s->readers = xrealloc(s->readers, (s->n_readers + 1) * sizeof *s->readers);
    s->readers[s->n_readers++] = r;
    pthread_mutex_unlock(&s->rd_mu);
    return scoped(r);
}

void srv_readers_close(srv *s)
{
    pthread_mutex_lock(&s->rd_mu);
    for (size_t i = 0; i < s->n_readers; i++) store_close(s->readers[i]);
    free(s->readers);
    s->readers = NULL;
    s->n_readers = 0;
    pthread_mutex_unlock(&s->rd_mu);
}

void srv_published(srv *s, uint64_t *size, log_hash *root)
{
    pthread_mutex_lock(&s->pub_mu);
    *size = s->size;
    if (root) *root = s->root;
    pthread_mutex_unlock(&s->pub_mu);
}
