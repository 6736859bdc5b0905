/*
 * tree.c: roots, inclusion and consistency proofs, and appends, for RFC 6962
 * Merkle trees whose complete nodes are stored by the caller.
 *
 * Stored hashes. The tree of S leaves is split the RFC 6962 way: a range of
 * n > 1 leaves [lo, hi) is split at k, the largest power of two below n, into
 * [lo, lo + k) and [lo + k, hi). Every range this produces either is a
 * complete subtree (k a power of two, lo a multiple of k) or ends at S. A
 * complete subtree of 2^L leaves starting at leaf N << L is the stored node
 * (level L, index N), one read. A range [lo, S) that is not complete is the
 * right part of the tree's frontier: the complete subtrees that the binary
 * digits of S cut the tree into, largest first,
 *
 *   S = 13 = 0b1101:  [0, 8) at level 3, [8, 12) at level 2, [12, 13) at level 0
 *
 * and its hash folds those subtrees from the right. The prover reads the
 * frontier once (popcount(S) reads) and keeps every suffix fold, so a proof
 * costs at most one read per path element plus popcount(S): O(log S).
 *
 * Proof layouts are RFC 6962's PATH and SUBPROOF, which are exactly what
 * Go's golang.org/x/mod/sumdb/tlog ProveRecord and ProveTree return: the
 * recursion descends towards the leaf (or the old size) and each level
 * appends the hash of the sibling range after the deeper ones, so the path
 * runs from the leaf side up to the root. The checks run the same recursion
 * over the proof from its end, as tlog's CheckRecord and CheckTree do, and
 * refuse proofs with missing or extra hashes.
 *
 * The frontier (log_frontier) keeps node[l] = stored hash (level l, index
 * (size >> l) - 1) for every bit l set in size. Appending a leaf is a binary
 * increment: the carry chain of set low bits merges into one new node.
 */
#include "log/log.h"

#include <string.h>

/* The largest power of two strictly below n (n >= 2). */
static uint64_t maxpow2(uint64_t n)
{
    return (uint64_t)1 << (63 - __builtin_clzll(n - 1));
}

static int is_complete(uint64_t lo, uint64_t n)
{
    return (n & (n - 1)) == 0 && (lo & (n - 1)) == 0;
}

/* Reads stored hashes for one tree size, caching the suffix folds of its
 * frontier. */
typedef struct {
    log_read_fn rd;
    void *ctx;
    uint64_t size;
    int loaded;
    int count;           /* subtrees in the frontier */
    uint64_t start[64];  /* first leaf of frontier subtree j, largest first */
    log_hash suffix[64]; /* hash of the leaves [start[j], size) */
} prover;

static void prover_init(prover *p, uint64_t size, log_read_fn rd, void *ctx)
{
    p->rd = rd;
    p->ctx = ctx;
    p->size = size;
    p->loaded = 0;
    p->count = 0;
}

static int prover_load(prover *p)
{
    uint64_t pos = 0;
    int j = 0;
    for (int l = 63; l >= 0; l--) {
        if (!((p->size >> l) & 1)) continue;
        p->start[j] = pos;
        if (p->rd(p->ctx, l, pos >> l, &p->suffix[j]) != 0) return -1;
        pos += (uint64_t)1 << l;
        j++;
    }
    p->count = j;
    for (j = p->count - 2; j >= 0; j--)
        log_node_hash(&p->suffix[j], &p->suffix[j + 1], &p->suffix[j]);
    p->loaded = 1;
    return 0;
}

/* The hash of the leaves [lo, hi), hi > lo. */
static int subtree(prover *p, uint64_t lo, uint64_t hi, log_hash *out)
{
    uint64_t n = hi - lo;
    if (is_complete(lo, n)) {
        int level = __builtin_ctzll(n);
        return p->rd(p->ctx, level, lo >> level, out);
    }
    if (hi == p->size) {
        if (!p->loaded && prover_load(p) != 0) return -1;
        for (int j = 0; j < p->count; j++) {
            if (p->start[j] == lo) {
                *out = p->suffix[j];
                return 0;
            }
        }
    }
    /* Not reached by the proofs below; kept correct for any range. */
    log_hash left, right;
    uint64_t k = maxpow2(n);
    if (subtree(p, lo, lo + k, &left) != 0 || subtree(p, lo + k, hi, &right) != 0) return -1;
    log_node_hash(&left, &right, out);
    return 0;
}

int log_tree_root(uint64_t size, log_read_fn rd, void *ctx, log_hash *out)
{
    if (size == 0) {
        log_empty_root(out);
        return 0;
    }
    prover p;
    prover_init(&p, size, rd, ctx);
    return subtree(&p, 0, size, out);
}

static int push(prover *p, uint64_t lo, uint64_t hi, log_hash *path, size_t *n)
{
    if (*n >= LOG_MAX_PROOF) return -1;
    return subtree(p, lo, hi, &path[(*n)++]);
}

/* RFC 6962 PATH(m, D[lo:hi]), tlog's leafProof. */
static int leaf_proof(prover *p, uint64_t lo, uint64_t hi, uint64_t m, log_hash *path, size_t *n)
{
    if (hi - lo == 1) return 0;
    uint64_t k = maxpow2(hi - lo);
    if (m < lo + k) {
        if (leaf_proof(p, lo, lo + k, m, path, n) != 0) return -1;
        return push(p, lo + k, hi, path, n);
    }
    if (leaf_proof(p, lo + k, hi, m, path, n) != 0) return -1;
    return push(p, lo, lo + k, path, n);
}

int log_prove_inclusion(uint64_t index, uint64_t size, log_read_fn rd, void *ctx,
                        log_hash path[LOG_MAX_PROOF], size_t *n)
{
    *n = 0;
    if (index >= size) return -1;
    prover p;
    prover_init(&p, size, rd, ctx);
    return leaf_proof(&p, 0, size, index, path, n);
}

/* Runs an inclusion proof path[0..n) for leaf m of [lo, hi): OUT the root. */
static int run_leaf_proof(const log_hash *path, size_t n, uint64_t lo, uint64_t hi, uint64_t m,
                          const log_hash *leaf, log_hash *out)
{
    if (hi - lo == 1) {
        if (n != 0) return -1; /* no unneeded hashes */
        *out = *leaf;
        return 0;
    }
    if (n == 0) return -1;
    uint64_t k = maxpow2(hi - lo);
    log_hash h;
    if (m < lo + k) {
        if (run_leaf_proof(path, n - 1, lo, lo + k, m, leaf, &h) != 0) return -1;
        log_node_hash(&h, &path[n - 1], out);
    } else {
        if (run_leaf_proof(path, n - 1, lo + k, hi, m, leaf, &h) != 0) return -1;
        log_node_hash(&path[n - 1], &h, out);
    }
    return 0;
}

int log_check_inclusion(uint64_t index, uint64_t size, const log_hash *leaf, const log_hash *path,
                        size_t n, const log_hash *root)
{
    log_hash got;
    if (index >= size || n > LOG_MAX_PROOF) return -1;
    if (run_leaf_proof(path, n, 0, size, index, leaf, &got) != 0) return -1;
    return memcmp(got.b, root->b, LOG_HASH_SIZE) == 0 ? 0 : -1;
}

/* RFC 6962 SUBPROOF(m, D[lo:hi], lo == 0), tlog's treeProof. */
static int tree_proof(prover *p, uint64_t lo, uint64_t hi, uint64_t m, log_hash *path, size_t *n)
{
    if (m == hi) {
        if (lo == 0) return 0;
        return push(p, lo, hi, path, n);
    }
    uint64_t k = maxpow2(hi - lo);
    if (m <= lo + k) {
        if (tree_proof(p, lo, lo + k, m, path, n) != 0) return -1;
        return push(p, lo + k, hi, path, n);
    }
    if (tree_proof(p, lo + k, hi, m, path, n) != 0) return -1;
    return push(p, lo, lo + k, path, n);
}

int log_prove_consistency(uint64_t old, uint64_t size, log_read_fn rd, void *ctx,
                          log_hash path[LOG_MAX_PROOF], size_t *n)
{
    *n = 0;
    if (old == 0 || old > size) return -1;
    prover p;
    prover_init(&p, size, rd, ctx);
    return tree_proof(&p, 0, size, old, path, n);
}

/* Runs a consistency proof path[0..n) from m leaves within [lo, hi): OUT the
 * hash of [lo, m) and the hash of [lo, hi). */
static int run_tree_proof(const log_hash *path, size_t n, uint64_t lo, uint64_t hi, uint64_t m,
                          const log_hash *old, log_hash *old_out, log_hash *new_out)
{
    if (m == hi) {
        if (lo == 0) {
            if (n != 0) return -1;
            *old_out = *new_out = *old;
            return 0;
        }
        if (n != 1) return -1;
        *old_out = *new_out = path[0];
        return 0;
    }
    if (n == 0) return -1;
    uint64_t k = maxpow2(hi - lo);
    log_hash oh, nh;
    const log_hash *last = &path[n - 1];
    if (m <= lo + k) {
        if (run_tree_proof(path, n - 1, lo, lo + k, m, old, &oh, &nh) != 0) return -1;
        *old_out = oh;
        log_node_hash(&nh, last, new_out);
    } else {
        if (run_tree_proof(path, n - 1, lo + k, hi, m, old, &oh, &nh) != 0) return -1;
        log_node_hash(last, &oh, old_out);
        log_node_hash(last, &nh, new_out);
    }
    return 0;
}

int log_check_consistency(uint64_t old, uint64_t size, const log_hash *old_root,
                          const log_hash *new_root, const log_hash *path, size_t n)
{
    log_hash oh, nh;
    if (old == 0 || old > size || n > LOG_MAX_PROOF) return -1;
    if (run_tree_proof(path, n, 0, size, old, old_root, &oh, &nh) != 0) return -1;
    if (memcmp(oh.b, old_root->b, LOG_HASH_SIZE) != 0) return -1;
    return memcmp(nh.b, new_root->b, LOG_HASH_SIZE) == 0 ? 0 : -1;
}

void log_frontier_init(log_frontier *f)
{
    memset(f, 0, sizeof *f);
}

int log_frontier_load(log_frontier *f, uint64_t size, log_read_fn rd, void *ctx)
{
    log_frontier_init(f);
    for (int l = 0; l < 64; l++) {
        if (!((size >> l) & 1)) continue;
        if (rd(ctx, l, (size >> l) - 1, &f->node[l]) != 0) return -1;
    }
    f->size = size;
    return 0;
}

void log_frontier_append(log_frontier *f, const log_hash *leaf, log_node_fn emit, void *ctx)
{
    uint64_t old = f->size;
    if (old == UINT64_MAX) return; /* a uint64 counts no more leaves */
    uint64_t size = old + 1;
    log_hash h = *leaf;
    int l = 0;
    if (emit) emit(ctx, 0, old, &h);
    while ((old >> l) & 1) {
        log_node_hash(&f->node[l], &h, &h);
        l++;
        if (emit) emit(ctx, l, (size >> l) - 1, &h);
    }
    f->node[l] = h;
    f->size = size;
}

void log_frontier_root(const log_frontier *f, log_hash *out)
{
    int have = 0;
    if (f->size == 0) {
        log_empty_root(out);
        return;
    }
    for (int l = 0; l < 64; l++) {
        if (!((f->size >> l) & 1)) continue;
        if (!have) {
            *out = f->node[l];
            have = 1;
        } else {
            log_node_hash(&f->node[l], out, out);
        }
    }
}
