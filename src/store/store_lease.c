/*
 * store_lease.c: the writer's lease and replication, for both backends.
 *
 * PostgreSQL does the work (pg_lease.c). A SQLite store has one writer by
 * construction (the log directory's lock, and SQLite's own write lock)
 * and no replication: the lease is always held, at term 1.
 */
#include "store/pg_int.h"

#include <string.h>

int store_lease_take(store *s, int64_t now_ms, int64_t *term, cm_error *err)
{
    if (s->pg) return pg_lease_take(s->pg, now_ms, term, err);
    *term = 1;
    return 1;
}

int store_lease_held(store *s)
{
    return s->pg ? pg_lease_held(s->pg) : 1;
}

int store_lease_keep(store *s, cm_error *err)
{
    return s->pg ? pg_lease_keep(s->pg, err) : 0;
}

int store_lease_beats(store *s)
{
    return s->pg != NULL;
}

int store_lease_ended_expired(store *s)
{
    return s->pg ? pg_lease_ended_expired(s->pg) : 0;
}

int store_reconnect(store *s, cm_error *err)
{
    return s->pg ? pg_reconnect(s->pg, err) : 0;
}

int store_replication_get(store *s, store_replication *out, cm_error *err)
{
    if (s->pg) return pg_replication(s->pg, out, err);
    memset(out, 0, sizeof *out);
    return 0;
}
