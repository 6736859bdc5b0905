/*
 * replay_filter.c: what a replay into an empty state has made, kept in a
 * Bloom filter, so that most lookups of something new skip the store.
 *
 * Nearly every lookup of an event's (org, id), and every lookup a rule
 * makes before it creates something (the place a place.define names, the
 * consignment of a declaration, a transfer, a distribution, a loss, a
 * thing), finds nothing, and asking the state store costs a B-tree search
 * each time. The filter holds a key for each of these applied since entry
 * 0:
 *
 *   (org, id)            of every event (not with ids_later, whose
 *                        lookups of ids find nothing anyway)
 *   (tag, name)          of every row an effect makes (ev_fx_made,
 *                        effects.h): a place, a consignment, a transfer,
 *                        a distribution, a loss, a thing; the tag is
 *                        "\1" and a letter for the kind of row (and one
 *                        for the kind of thing)
 *
 * These effects are the only makers of the rows the lookups read, and a
 * tag cannot be an org (which starts with a letter or digit), so a key with
 * any of its bits clear was never made, and is answered "not there" at
 * once; one with all set (there, or a false positive) is asked of the store
 * as before.
 *
 * Each key sets FILTER_K bits of one 64-byte block (one cache line read a
 * lookup), found from one 64-bit FNV-1a hash of its two parts with a byte
 * 0xff between them. The filter has about 8 bits for each entry the replay
 * expects (filter_size), a power of two from 128 KiB to 8 MiB: about one
 * lookup in thirty is a false positive up to 8 million entries, more past
 * that. Smaller is quicker: one of 4 MiB, past the core's 2 MiB cache, cost
 * more than the lookups it saved on 250,000 entries. It is used only by a
 * replay that judges entry 0 into an empty state (`cmcc verify`'s scratch
 * store, a mirror's first run), so it misses nothing: its keys are only
 * ever added, and a key added for nothing (an entry a failed run did not
 * keep) can only send a lookup to the store.
 */
#include "engine/engine.h"

#include "common/mem.h"

#include <stddef.h>
#include <string.h>

#define FILTER_MIN ((uint64_t)1 << 20) /* bits */
#define FILTER_MAX ((uint64_t)1 << 26)
#define FILTER_K   3

static uint64_t key_hash(const char *a, const char *b)
{
    uint64_t h = 14695981039346656037ULL;
    for (const char *s = a; *s; s++) h = (h ^ (uint8_t)*s) * 1099511628211ULL;
    h = (h ^ 0xffu) * 1099511628211ULL; /* between the two: a byte neither holds */
    for (const char *s = b; *s; s++) h = (h ^ (uint8_t)*s) * 1099511628211ULL;
    /* every bit of it on every other (FNV's low bits see little of the
     * high ones): MurmurHash3's finalizer */
    h ^= h >> 33;
    h *= 0xff51afd7ed558ccdULL;
    h ^= h >> 33;
    h *= 0xc4ceb9fe1a85ec53ULL;
    return h ^ (h >> 33);
}

/* Sets (add) or tests the bits of (a, b); 1 when all were set. Its
 * FILTER_K bits are in one block of 512 (a cache line), chosen by the
 * hash's low bits; each bit by 9 more of them. */
static int key_bits(const srv_replay *r, const char *a, const char *b, int add)
{
    uint64_t h = key_hash(a, b);
    uint64_t *block = r->filter + (h & (r->filter_bits / 512 - 1)) * 8;
    h >>= 20;
    int all = 1;
    for (int i = 0; i < FILTER_K; i++, h >>= 9) {
        uint64_t m = (uint64_t)1 << (h & 63);
        all &= (block[(h >> 6) & 7] & m) != 0;
        if (add) block[(h >> 6) & 7] |= m;
    }
    return all;
}

/* The key of a row made (ev_fx_made): the tag "\1" and a letter for the
 * kind of row (and one for a thing's kind), then its name. */
static int made_bits(const srv_replay *r, ev_made made, ev_thing_kind kind, const char *name,
                     int add)
{
    char tag[4] = {'\1', (char)('a' + (int)made), 0, 0};
    if (made == EV_MADE_THING) tag[2] = (char)('a' + (int)kind);
    return key_bits(r, tag, name, add);
}

/* The replay of a wrapped view's context (its view cache). */
static srv_replay *replay_of(void *ctx)
{
    return (srv_replay *)((char *)ctx - offsetof(srv_replay, cache));
}

/* The replay of ctx to ask; NULL when the filter shows that the row (made,
 * kind, name) was never made, and the lookup answers "not there" at once. */
static srv_replay *ask(void *ctx, ev_made made, ev_thing_kind kind, const char *name)
{
    srv_replay *r = replay_of(ctx);
    return made_bits(r, made, kind, name, 0) ? r : NULL;
}

/* ---- the lookups through the filter ------------------------------------- */

static int f_event_id(void *ctx, const char *org, const char *id, uint64_t *index, ev_envelope *env)
{
    srv_replay *r = replay_of(ctx);
    if (!key_bits(r, org, id, 0)) {
        memset(env, 0, sizeof *env);
        return 0;
    }
    return r->cache.under.event_id(r->cache.under.ctx, org, id, index, env);
}

static int f_place(void *ctx, const char *place, ev_place_state *out)
{
    srv_replay *r = ask(ctx, EV_MADE_PLACE, 0, place);
    return r ? r->cache.under.place(r->cache.under.ctx, place, out) : 0;
}

static int f_consignment(void *ctx, const char *id, ev_consignment_state *out)
{
    srv_replay *r = ask(ctx, EV_MADE_CONSIGNMENT, 0, id);
    return r ? r->cache.under.consignment(r->cache.under.ctx, id, out) : 0;
}

static int f_transfer(void *ctx, const char *id, ev_transfer_state *out)
{
    srv_replay *r = ask(ctx, EV_MADE_TRANSFER, 0, id);
    return r ? r->cache.under.transfer(r->cache.under.ctx, id, out) : 0;
}

static int f_distribution(void *ctx, const char *id)
{
    srv_replay *r = ask(ctx, EV_MADE_DISTRIBUTION, 0, id);
    return r ? r->cache.under.distribution(r->cache.under.ctx, id) : 0;
}

static int f_loss(void *ctx, const char *id)
{
    srv_replay *r = ask(ctx, EV_MADE_LOSS, 0, id);
    return r ? r->cache.under.loss(r->cache.under.ctx, id) : 0;
}

static int f_thing(void *ctx, ev_thing_kind kind, const char *id, ev_thing_state *out)
{
    srv_replay *r = ask(ctx, EV_MADE_THING, kind, id);
    return r ? r->cache.under.thing(r->cache.under.ctx, kind, id, out) : 0;
}

/* ---- the interface -------------------------------------------------------- */

void srv_replay_filter_view(srv_replay *r, uint64_t idx, ev_view *v)
{
    if (idx == 0 && r->filter_size && !r->filter) {
        for (r->filter_bits = FILTER_MIN;
             r->filter_bits < FILTER_MAX && r->filter_bits < r->filter_size * 8;)
            r->filter_bits *= 2;
        r->filter = xcalloc(r->filter_bits / 64, sizeof *r->filter);
    }
    if (!r->filter) return;
    if (!r->ids_later) v->event_id = f_event_id;
    v->place = f_place;
    v->consignment = f_consignment;
    v->transfer = f_transfer;
    v->distribution = f_distribution;
    v->loss = f_loss;
    v->thing = f_thing;
}

void srv_replay_filter_add(srv_replay *r, const ev_event *e, const ev_effects *fx)
{
    if (!r->filter) return;
    if (!r->ids_later) key_bits(r, e->org, e->id, 1);
    for (size_t i = 0; i < fx->n; i++) {
        const char *name = NULL;
        ev_thing_kind kind = 0;
        ev_made made = ev_fx_made(&fx->v[i], &name, &kind);
        if (made != EV_MADE_NONE) made_bits(r, made, kind, name, 1);
    }
}
