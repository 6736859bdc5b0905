/*
 * json_arena.c: jansson values allocated from an arena, for the replay.
 *
 * Replaying parses every entry's payload into a jansson tree on a pool
 * thread and drops it on another once the entry is judged. With the C
 * library's allocator each of the tree's dozens of small blocks is taken
 * by one thread and returned by another, and that costs about as much as
 * parsing. An arena instead hands out blocks by moving an offset through
 * chunks it owns, and forgets them all at once when it is reset.
 *
 * jansson has one allocator for the whole process (json_set_alloc_funcs),
 * installed once here. While a thread has an arena in use (ev_arena_use),
 * its jansson allocations come from it; otherwise they come from malloc as
 * before. A block is given back by jansson only while its tree is being
 * built (a lexer buffer outgrown, a hash table grown) or when the last
 * reference to a tree goes: the first happens on the parsing thread with
 * its arena in use, so a block inside that arena is simply forgotten; the
 * second must not happen to an arena's tree, whose owner drops the tree by
 * resetting the arena instead (ev_arena_reset). Anything else is malloc's.
 *
 * Other bytes with the same life may be taken from the arena in use too
 * (ev_arena_take): an entry's decoded payload, for one.
 *
 * The format of an arena: a first chunk held inline, then chunks from
 * malloc of at least EV_ARENA_CHUNK bytes, each block aligned to 16.
 */
#include "event/event.h"

#include "common/mem.h"

#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

struct ev_arena_chunk {
    struct ev_arena_chunk *next;
    size_t cap;
    _Alignas(16) char data[];
};

static _Thread_local ev_arena *in_use;

static int owns(const ev_arena *a, const void *p)
{
    const char *c = p;
    if (c >= a->first && c < a->first + sizeof a->first) return 1;
    for (const struct ev_arena_chunk *k = a->more; k; k = k->next)
        if (c >= k->data && c < k->data + k->cap) return 1;
    return 0;
}

static void *take(ev_arena *a, size_t n)
{
    n = (n + 15) & ~(size_t)15;
    if (a->used + n <= a->cap) {
        void *p = a->at + a->used;
        a->used += n;
        return p;
    }
    size_t cap = n > EV_ARENA_CHUNK ? n : EV_ARENA_CHUNK;
    struct ev_arena_chunk *k = malloc(sizeof *k + cap);
    if (!k) return NULL;
    k->next = a->more;
    k->cap = cap;
    a->more = k;
    a->at = k->data;
    a->cap = cap;
    a->used = n;
    return k->data;
}

static void *arena_malloc(size_t n)
{
    return in_use ? take(in_use, n) : malloc(n);
}

static void arena_free(void *p)
{
    if (p && in_use && owns(in_use, p)) return;
    free(p);
}

static void install(void)
{
    json_set_alloc_funcs(arena_malloc, arena_free);
}

void ev_arena_setup(void)
{
    static pthread_once_t once = PTHREAD_ONCE_INIT;
    pthread_once(&once, install);
}

void ev_arena_init(ev_arena *a)
{
    a->more = NULL;
    a->at = a->first;
    a->cap = sizeof a->first;
    a->used = 0;
}

void ev_arena_use(ev_arena *a)
{
    in_use = a;
}

void *ev_arena_take(size_t n)
{
    return in_use ? take(in_use, n) : NULL;
}

void ev_arena_reset(ev_arena *a)
{
    while (a->more) {
        struct ev_arena_chunk *k = a->more;
        a->more = k->next;
        free(k);
    }
    ev_arena_init(a);
}
