/*
 * node_check.c: comparing the tree nodes a replay computes with those the
 * verified store holds, a run of nodes at a time.
 *
 * As the replay appends leaves, the frontier completes nodes above them;
 * each is compared with the node the store keeps at its (level, index),
 * the one the log serves in its tiles. Asking the store for each node
 * alone is a query per entry; instead each level gathers the nodes it
 * completes while their indexes follow one another, and a run is compared
 * in one query (store_read_hashes) when it breaks, when it is full, or
 * when the replay settles a batch. The first node that differs (or that
 * the store lacks) is recorded in the replay; later ones are not looked at.
 */
#include "engine/engine.h"

#include "common/mem.h"

#include <string.h>

#define RUN 1024 /* nodes compared in one query at most */

struct srv_node_check {
    struct level_run {
        uint64_t first;
        unsigned n;
        uint8_t *mine; /* RUN hashes, allocated on first use */
    } level[64];
    uint8_t stored[RUN * LOG_HASH_SIZE];
};

srv_node_check *srv_node_check_new(void)
{
    return xcalloc(1, sizeof(srv_node_check));
}

void srv_node_check_free(srv_node_check *c)
{
    if (!c) return;
    for (int l = 0; l < 64; l++) free(c->level[l].mine);
    free(c);
}

static void mismatch(srv_replay *r, int level, uint64_t index)
{
    r->node_mismatch = 1;
    r->bad_level = level;
    r->bad_index = index;
}

/* Compares one level's gathered run with the store, and empties it. */
static void flush_level(srv_replay *r, int level)
{
    struct level_run *run = &r->nodes->level[level];
    unsigned n = run->n;
    run->n = 0;
    if (n == 0 || r->node_mismatch) return;
    uint8_t *stored = r->nodes->stored;
    if (store_read_hashes(r->check, level, run->first, n, stored) != 0) {
        /* some node is missing: find the first, one at a time */
        for (unsigned i = 0; i < n; i++) {
            log_hash h;
            if (store_read_hash(r->check, level, run->first + i, &h) ||
                memcmp(h.b, run->mine + (size_t)i * LOG_HASH_SIZE, LOG_HASH_SIZE) != 0) {
                mismatch(r, level, run->first + i);
                return;
            }
        }
        return;
    }
    for (unsigned i = 0; i < n; i++)
        if (memcmp(stored + (size_t)i * LOG_HASH_SIZE, run->mine + (size_t)i * LOG_HASH_SIZE,
                   LOG_HASH_SIZE) != 0) {
            mismatch(r, level, run->first + i);
            return;
        }
}

void srv_node_check_add(void *ctx, int level, uint64_t index, const log_hash *h)
{
    srv_replay *r = ctx;
    if (r->node_mismatch || level <= 0 || level >= 64) return;
    if (!r->nodes) r->nodes = srv_node_check_new();
    struct level_run *run = &r->nodes->level[level];
    if (run->n && (index != run->first + run->n || run->n == RUN)) flush_level(r, level);
    if (!run->mine) run->mine = xmalloc(RUN * LOG_HASH_SIZE);
    if (run->n == 0) run->first = index;
    memcpy(run->mine + (size_t)run->n * LOG_HASH_SIZE, h->b, LOG_HASH_SIZE);
    run->n++;
}

void srv_node_check_flush(srv_replay *r)
{
    if (!r->nodes) return;
    for (int l = 1; l < 64; l++) flush_level(r, l);
}
