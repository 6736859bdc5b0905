/*
 * pg_cache.c: the registry's rows (an org, a key, a place) that the
 * writer's transaction has looked up, kept for the rest of it, so that the
 * events of a batch signed by the same few keys of the same few orgs cost
 * one round trip for each of those rows rather than one for each event.
 *
 * Only inside the writer's pipelined transaction (p->pipeline); emptied
 * when it begins and ends (commit or rollback), whenever the transaction
 * writes to the registry (apply_registry in pg_state.c) and when the state
 * is emptied (a rebuild): a row kept is always the row the database would
 * give, since only this connection writes the registry meanwhile. A row
 * not found is kept too. Open addressing in a table of PG_CACHE_SLOTS; a
 * full table is emptied and filled again.
 */
#include "store/pg_int.h"

#include "common/mem.h"

#include <string.h>

#define PG_CACHE_SLOTS  1024 /* a power of 2 */
#define PG_CACHE_KEYLEN 80

typedef struct {
    int kind; /* PG_CACHE_ORG, _KEY, _PLACE; 0: a free slot */
    int found;
    char key[PG_CACHE_KEYLEN];
    union {
        ev_org_state org;
        ev_key_state key;
        ev_place_state place;
    } v;
} slot;

struct pg_cache {
    size_t used;
    slot s[PG_CACHE_SLOTS];
};

static size_t hash(int kind, const char *key)
{
    size_t h = (size_t)kind * 16777619u;
    for (const unsigned char *p = (const unsigned char *)key; *p; p++) h = (h ^ *p) * 16777619u;
    return h & (PG_CACHE_SLOTS - 1);
}

static size_t size_of(int kind)
{
    return kind == PG_CACHE_ORG   ? sizeof(ev_org_state)
           : kind == PG_CACHE_KEY ? sizeof(ev_key_state)
                                  : sizeof(ev_place_state);
}

int pg_cache_get(pg_store *p, int kind, const char *key, void *out)
{
    if (!p->pipeline || !p->cache || strlen(key) >= PG_CACHE_KEYLEN) return -1;
    for (size_t i = 0, h = hash(kind, key); i < PG_CACHE_SLOTS;
         i++, h = (h + 1) & (PG_CACHE_SLOTS - 1)) {
        const slot *s = &p->cache->s[h];
        if (!s->kind) return -1;
        if (s->kind != kind || strcmp(s->key, key) != 0) continue;
        if (s->found) memcpy(out, &s->v, size_of(kind));
        return s->found;
    }
    return -1;
}

void pg_cache_put(pg_store *p, int kind, const char *key, int found, const void *val)
{
    if (!p->pipeline || strlen(key) >= PG_CACHE_KEYLEN) return;
    if (!p->cache) p->cache = xcalloc(1, sizeof *p->cache);
    if (p->cache->used >= PG_CACHE_SLOTS / 2) pg_cache_clear(p);
    size_t h = hash(kind, key);
    while (p->cache->s[h].kind) h = (h + 1) & (PG_CACHE_SLOTS - 1);
    slot *s = &p->cache->s[h];
    s->kind = kind;
    s->found = found;
    memcpy(s->key, key, strlen(key) + 1);
    if (found) memcpy(&s->v, val, size_of(kind));
    p->cache->used++;
}

void pg_cache_clear(pg_store *p)
{
    if (!p->cache || !p->cache->used) return;
    memset(p->cache, 0, sizeof *p->cache);
}

void pg_caches_clear(pg_store *p)
{
    pg_cache_clear(p);
    pg_ids_clear(p);
    pg_sc_clear(p);
}
