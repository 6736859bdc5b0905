/*
 * readers.c: one read-only store connection per thread that reads (HTTP
 * threads, pool threads, the checkpointer), opened on a thread's first read and closed when the
 * server stops. SQLite's WAL lets them all read while the sequencer writes.
 */
#include "server/srv_int.h"

#include "common/mem.h"

#include <stdio.h>

store *srv_reader(srv *s)
{
    store *r = pthread_getspecific(s->rd_key);
    if (r) return r;
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
    return r;
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
