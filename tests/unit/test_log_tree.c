/*
 * test_log_tree.c: RFC 6962 hashes, roots, proofs and appends (log/tree.c).
 *
 * Against $CMCC_SHARED_DIR/testvectors/tlog-1000, made by Go's sumdb/tlog: the tree
 * built by log_frontier_append from entries.txt has the checkpoint's root,
 * and every proof of proofs.json is reproduced byte for byte and checks.
 * Against a naive RFC 6962 MTH/PATH/SUBPROOF written here: every inclusion
 * and consistency proof of the trees of 1..300 leaves. And a 10-million-leaf
 * tree read through a counting reader: proofs read O(log n) hashes.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "vectors.h"

#include "common/codec.h"
#include "log/log.h"

#include <jansson.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define NAIVE_MAX 300

/* ---- helpers ------------------------------------------------------------ */

static void b64_hash(const char *s, log_hash *h)
{
    assert_int_equal(b64_decode(s, strlen(s), h->b, sizeof h->b), LOG_HASH_SIZE);
}

/* Every stored node of a tree, by level, in index order. */
typedef struct {
    log_hash *lv[64];
    uint64_t n[64];
    uint64_t cap[64];
} store;

/* A view of a store as the tree of `size` leaves: nodes past it do not
 * exist yet. */
typedef struct {
    const store *s;
    uint64_t size;
    unsigned long reads;
} view;

static void store_emit(void *ctx, int level, uint64_t index, const log_hash *h)
{
    store *s = ctx;
    assert_true(level >= 0 && level < 64);
    assert_int_equal(index, s->n[level]); /* each node once, in order */
    if (s->n[level] == s->cap[level]) {
        s->cap[level] = s->cap[level] ? 2 * s->cap[level] : 16;
        s->lv[level] = realloc(s->lv[level], s->cap[level] * sizeof(log_hash));
    }
    s->lv[level][s->n[level]++] = *h;
}

static int view_read(void *ctx, int level, uint64_t index, log_hash *out)
{
    view *v = ctx;
    v->reads++;
    if (level < 0 || level > 63) return -1;
    if (((index + 1) << level) > v->size || index >= v->s->n[level]) return -1;
    *out = v->s->lv[level][index];
    return 0;
}

static void store_free(store *s)
{
    for (int l = 0; l < 64; l++) free(s->lv[l]);
    memset(s, 0, sizeof *s);
}

/* The vectors' tree, built once. */
static struct {
    store st;
    log_frontier f;
    uint64_t size;
    log_hash *leaves;
    log_hash root; /* the checkpoint's */
    log_hash frontier_roots[NAIVE_MAX + 1];
} T;

static int setup_vectors(void **state)
{
    (void)state;
    size_t len, clen;
    char *text = read_file(VEC "/entries.txt", &len);
    char *cp = read_file(VEC "/checkpoint.logonly", &clen);

    memset(&T, 0, sizeof T);
    log_frontier_init(&T.f);
    log_frontier_root(&T.f, &T.frontier_roots[0]);
    for (char *p = text; p < text + len;) {
        char *nl = memchr(p, '\n', (size_t)(text + len - p));
        assert_non_null(nl);
        log_hash leaf;
        log_leaf_hash(p, (size_t)(nl - p), &leaf);
        T.leaves = realloc(T.leaves, (T.size + 1) * sizeof(log_hash));
        T.leaves[T.size++] = leaf;
        log_frontier_append(&T.f, &leaf, store_emit, &T.st);
        if (T.size <= NAIVE_MAX) log_frontier_root(&T.f, &T.frontier_roots[T.size]);
        p = nl + 1;
    }
    /* the checkpoint body ends at the blank line */
    char *blank = strstr(cp, "\n\n");
    assert_non_null(blank);
    log_checkpoint c;
    cm_error err;
    assert_int_equal(checkpoint_parse(cp, (size_t)(blank - cp) + 1, &c, &err), 0);
    assert_int_equal(c.size, 1000);
    T.root = c.root;
    free(text);
    free(cp);
    return 0;
}

static int teardown_vectors(void **state)
{
    (void)state;
    store_free(&T.st);
    free(T.leaves);
    return 0;
}

/* ---- naive RFC 6962, from the leaf hashes ------------------------------- */

static uint64_t split_point(uint64_t n) /* largest power of two < n */
{
    uint64_t k = 1;
    while (k * 2 < n) k *= 2;
    return k;
}

static log_hash *memo;
static unsigned char *memo_set;

static void mth(uint64_t lo, uint64_t hi, log_hash *out)
{
    size_t at = (size_t)lo * (NAIVE_MAX + 1) + hi;
    if (memo_set[at]) {
        *out = memo[at];
        return;
    }
    if (hi - lo == 1) {
        *out = T.leaves[lo];
    } else {
        uint64_t k = split_point(hi - lo);
        log_hash l, r;
        mth(lo, lo + k, &l);
        mth(lo + k, hi, &r);
        log_node_hash(&l, &r, out);
    }
    memo[at] = *out;
    memo_set[at] = 1;
}

/* PATH(m, D[lo:hi]) */
static void naive_path(uint64_t m, uint64_t lo, uint64_t hi, log_hash *p, size_t *n)
{
    if (hi - lo <= 1) return;
    uint64_t k = split_point(hi - lo);
    if (m < k) {
        naive_path(m, lo, lo + k, p, n);
        mth(lo + k, hi, &p[(*n)++]);
    } else {
        naive_path(m - k, lo + k, hi, p, n);
        mth(lo, lo + k, &p[(*n)++]);
    }
}

/* SUBPROOF(m, D[lo:hi], b) */
static void naive_subproof(uint64_t m, uint64_t lo, uint64_t hi, int b, log_hash *p, size_t *n)
{
    uint64_t size = hi - lo;
    if (m == size) {
        if (!b) mth(lo, hi, &p[(*n)++]);
        return;
    }
    uint64_t k = split_point(size);
    if (m <= k) {
        naive_subproof(m, lo, lo + k, b, p, n);
        mth(lo + k, hi, &p[(*n)++]);
    } else {
        naive_subproof(m - k, lo + k, hi, 0, p, n);
        mth(lo, lo + k, &p[(*n)++]);
    }
}

static int setup_naive(void **state)
{
    setup_vectors(state);
    memo = calloc((NAIVE_MAX + 1) * (NAIVE_MAX + 1), sizeof(log_hash));
    memo_set = calloc((NAIVE_MAX + 1) * (NAIVE_MAX + 1), 1);
    return 0;
}

static int teardown_naive(void **state)
{
    free(memo);
    free(memo_set);
    return teardown_vectors(state);
}

/* ---- tests ---------------------------------------------------------------- */

static void hex_hash(const log_hash *h, char out[65])
{
    hex_encode(h->b, LOG_HASH_SIZE, out);
}

static void test_hashes(void **state)
{
    (void)state;
    log_hash h, a, b;
    char hex[65];

    log_empty_root(&h);
    hex_hash(&h, hex);
    assert_string_equal(hex, "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
    /* RFC 6962's empty leaf: SHA-256(0x00) */
    log_leaf_hash("", 0, &h);
    hex_hash(&h, hex);
    assert_string_equal(hex, "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d");
    /* node = SHA-256(0x01 || l || r), checked against a plain SHA-256 */
    log_leaf_hash("a", 1, &a);
    log_leaf_hash("b", 1, &b);
    log_node_hash(&a, &b, &h);
    uint8_t in[65];
    in[0] = 1;
    memcpy(in + 1, a.b, 32);
    memcpy(in + 33, b.b, 32);
    log_hash want;
    crypto_hash_sha256(want.b, in, sizeof in);
    assert_memory_equal(h.b, want.b, 32);
    /* the output may alias an input */
    log_node_hash(&a, &b, &a);
    assert_memory_equal(a.b, want.b, 32);
}

static void test_empty_tree(void **state)
{
    (void)state;
    log_hash h, e;
    log_frontier f;
    view v = {&T.st, 0, 0};
    log_empty_root(&e);
    assert_int_equal(log_tree_root(0, view_read, &v, &h), 0);
    assert_memory_equal(h.b, e.b, 32);
    assert_int_equal(v.reads, 0);
    log_frontier_init(&f);
    log_frontier_root(&f, &h);
    assert_memory_equal(h.b, e.b, 32);
    assert_int_equal(log_frontier_load(&f, 0, view_read, &v), 0);
    assert_int_equal(f.size, 0);
}

static void test_vectors_root(void **state)
{
    (void)state;
    log_hash h;
    view v = {&T.st, 1000, 0};

    assert_int_equal(T.size, 1000);
    /* every complete node was emitted: 1000 >> L nodes at level L */
    for (int l = 0; l < 64; l++) assert_int_equal(T.st.n[l], (uint64_t)1000 >> l);
    log_frontier_root(&T.f, &h);
    assert_memory_equal(h.b, T.root.b, 32);
    assert_int_equal(log_tree_root(1000, view_read, &v, &h), 0);
    assert_memory_equal(h.b, T.root.b, 32);
    assert_int_equal(v.reads, 6); /* popcount(1000) */

    /* the frontier loaded from the store is the appended one */
    log_frontier f;
    assert_int_equal(log_frontier_load(&f, 1000, view_read, &v), 0);
    assert_int_equal(f.size, 1000);
    for (int l = 0; l < 64; l++)
        if (((uint64_t)1000 >> l) & 1) assert_memory_equal(f.node[l].b, T.f.node[l].b, 32);
    log_frontier_root(&f, &h);
    assert_memory_equal(h.b, T.root.b, 32);

    /* a failing read is reported */
    v.size = 999;
    assert_int_equal(log_tree_root(1000, view_read, &v, &h), -1);
    assert_int_equal(log_frontier_load(&f, 1000, view_read, &v), -1);
}

static size_t json_path(json_t *arr, log_hash *out)
{
    size_t n = 0;
    if (json_is_null(arr)) return 0;
    assert_true(json_is_array(arr));
    assert_true(json_array_size(arr) <= LOG_MAX_PROOF);
    for (n = 0; n < json_array_size(arr); n++)
        b64_hash(json_string_value(json_array_get(arr, n)), &out[n]);
    return n;
}

static void test_vectors_proofs(void **state)
{
    (void)state;
    json_error_t jerr;
    json_t *doc = json_load_file(VEC "/proofs.json", 0, &jerr);
    assert_non_null(doc);
    json_t *incl = json_object_get(doc, "inclusion");
    json_t *cons = json_object_get(doc, "consistency");
    assert_true(json_array_size(incl) > 50);
    assert_true(json_array_size(cons) > 50);

    for (size_t i = 0; i < json_array_size(incl); i++) {
        json_t *o = json_array_get(incl, i);
        uint64_t index = (uint64_t)json_integer_value(json_object_get(o, "leaf_index"));
        uint64_t size = (uint64_t)json_integer_value(json_object_get(o, "tree_size"));
        log_hash leaf, root, want[LOG_MAX_PROOF], got[LOG_MAX_PROOF], r;
        size_t nwant, ngot;
        view v = {&T.st, size, 0};

        b64_hash(json_string_value(json_object_get(o, "leaf_hash")), &leaf);
        b64_hash(json_string_value(json_object_get(o, "root_hash")), &root);
        nwant = json_path(json_object_get(o, "inclusion_path"), want);
        assert_memory_equal(leaf.b, T.leaves[index].b, 32);
        assert_int_equal(log_tree_root(size, view_read, &v, &r), 0);
        assert_memory_equal(r.b, root.b, 32);

        assert_int_equal(log_prove_inclusion(index, size, view_read, &v, got, &ngot), 0);
        assert_int_equal(ngot, nwant);
        if (nwant) assert_memory_equal(got, want, nwant * sizeof(log_hash));
        assert_int_equal(log_check_inclusion(index, size, &leaf, want, nwant, &root), 0);
        /* any flipped bit fails */
        for (size_t k = 0; k < nwant; k++) {
            got[k].b[k % 32] ^= 0x40;
            assert_int_equal(log_check_inclusion(index, size, &leaf, got, nwant, &root), -1);
            got[k].b[k % 32] ^= 0x40;
        }
        leaf.b[31] ^= 1;
        assert_int_equal(log_check_inclusion(index, size, &leaf, got, nwant, &root), -1);
        leaf.b[31] ^= 1;
        root.b[0] ^= 1;
        assert_int_equal(log_check_inclusion(index, size, &leaf, got, nwant, &root), -1);
        root.b[0] ^= 1;
        /* a missing or an extra hash fails */
        if (nwant)
            assert_int_equal(log_check_inclusion(index, size, &leaf, got, nwant - 1, &root), -1);
        got[nwant] = root;
        assert_int_equal(log_check_inclusion(index, size, &leaf, got, nwant + 1, &root), -1);
        /* another leaf's index fails */
        if (size > 1)
            assert_int_equal(log_check_inclusion(index ^ 1, size, &leaf, want, nwant, &root), -1);
        assert_int_equal(log_check_inclusion(size, size, &leaf, want, nwant, &root), -1);
    }

    for (size_t i = 0; i < json_array_size(cons); i++) {
        json_t *o = json_array_get(cons, i);
        uint64_t old = (uint64_t)json_integer_value(json_object_get(o, "old_size"));
        uint64_t size = (uint64_t)json_integer_value(json_object_get(o, "new_size"));
        log_hash oroot, nroot, want[LOG_MAX_PROOF], got[LOG_MAX_PROOF];
        size_t nwant, ngot;
        view v = {&T.st, size, 0};

        b64_hash(json_string_value(json_object_get(o, "old_root")), &oroot);
        b64_hash(json_string_value(json_object_get(o, "new_root")), &nroot);
        nwant = json_path(json_object_get(o, "consistency_path"), want);
        assert_int_equal(log_prove_consistency(old, size, view_read, &v, got, &ngot), 0);
        assert_int_equal(ngot, nwant);
        if (nwant) assert_memory_equal(got, want, nwant * sizeof(log_hash));
        assert_int_equal(log_check_consistency(old, size, &oroot, &nroot, want, nwant), 0);
        if (old == size) assert_int_equal(nwant, 0);
        for (size_t k = 0; k < nwant; k++) {
            got[k].b[(k * 7) % 32] ^= 0x02;
            assert_int_equal(log_check_consistency(old, size, &oroot, &nroot, got, nwant), -1);
            got[k].b[(k * 7) % 32] ^= 0x02;
        }
        oroot.b[5] ^= 0x80;
        assert_int_equal(log_check_consistency(old, size, &oroot, &nroot, got, nwant), -1);
        oroot.b[5] ^= 0x80;
        nroot.b[9] ^= 0x80;
        assert_int_equal(log_check_consistency(old, size, &oroot, &nroot, got, nwant), -1);
        nroot.b[9] ^= 0x80;
        got[nwant] = nroot;
        assert_int_equal(log_check_consistency(old, size, &oroot, &nroot, got, nwant + 1), -1);
        if (nwant)
            assert_int_equal(log_check_consistency(old, size, &oroot, &nroot, got, nwant - 1), -1);
        assert_int_equal(log_check_consistency(0, size, &oroot, &nroot, got, nwant), -1);
        assert_int_equal(log_check_consistency(size + 1, size, &oroot, &nroot, got, nwant), -1);
    }
    json_decref(doc);
}

static void test_bad_inputs(void **state)
{
    (void)state;
    log_hash p[LOG_MAX_PROOF];
    size_t n = 99;
    view v = {&T.st, 1000, 0};
    assert_int_equal(log_prove_inclusion(5, 5, view_read, &v, p, &n), -1);
    assert_int_equal(log_prove_inclusion(0, 0, view_read, &v, p, &n), -1);
    assert_int_equal(log_prove_consistency(0, 5, view_read, &v, p, &n), -1);
    assert_int_equal(log_prove_consistency(6, 5, view_read, &v, p, &n), -1);
    /* a store that lacks a node makes the proof fail, not lie */
    v.size = 500;
    assert_int_equal(log_prove_inclusion(3, 1000, view_read, &v, p, &n), -1);
    assert_int_equal(log_prove_consistency(3, 1000, view_read, &v, p, &n), -1);
}

static void test_naive_all(void **state)
{
    (void)state;
    log_hash want[LOG_MAX_PROOF], got[LOG_MAX_PROOF], root, oroot, leaf;
    size_t nwant, ngot;

    for (uint64_t size = 1; size <= NAIVE_MAX; size++) {
        view v = {&T.st, size, 0};
        log_hash r;
        mth(0, size, &root);
        assert_memory_equal(T.frontier_roots[size].b, root.b, 32);
        assert_int_equal(log_tree_root(size, view_read, &v, &r), 0);
        assert_memory_equal(r.b, root.b, 32);

        for (uint64_t i = 0; i < size; i++) {
            nwant = 0;
            naive_path(i, 0, size, want, &nwant);
            v.reads = 0;
            assert_int_equal(log_prove_inclusion(i, size, view_read, &v, got, &ngot), 0);
            assert_int_equal(ngot, nwant);
            if (nwant) assert_memory_equal(got, want, nwant * sizeof(log_hash));
            assert_true(v.reads <= ngot + (unsigned long)__builtin_popcountll(size));
            leaf = T.leaves[i];
            assert_int_equal(log_check_inclusion(i, size, &leaf, got, ngot, &root), 0);
            if (ngot) {
                got[ngot - 1].b[3] ^= 8;
                assert_int_equal(log_check_inclusion(i, size, &leaf, got, ngot, &root), -1);
            }
        }
        for (uint64_t old = 1; old <= size; old++) {
            nwant = 0;
            naive_subproof(old, 0, size, 1, want, &nwant);
            v.reads = 0;
            assert_int_equal(log_prove_consistency(old, size, view_read, &v, got, &ngot), 0);
            assert_int_equal(ngot, nwant);
            if (nwant) assert_memory_equal(got, want, nwant * sizeof(log_hash));
            assert_true(v.reads <= ngot + (unsigned long)__builtin_popcountll(size));
            mth(0, old, &oroot);
            assert_int_equal(log_check_consistency(old, size, &oroot, &root, got, ngot), 0);
            if (old == size) assert_int_equal(ngot, 0);
            if (ngot) {
                got[0].b[31] ^= 1;
                assert_int_equal(log_check_consistency(old, size, &oroot, &root, got, ngot), -1);
            }
        }
    }
}

/* A tree whose leaves all hash to the same value has one hash per level, so
 * a 10-million-leaf (or 2^40-leaf) tree needs no storage. */
typedef struct {
    log_hash level[64];
    uint64_t size;
    unsigned long reads;
} uniform;

static int uniform_read(void *ctx, int level, uint64_t index, log_hash *out)
{
    uniform *u = ctx;
    u->reads++;
    if (level < 0 || level > 63 || ((index + 1) << level) > u->size) return -1;
    *out = u->level[level];
    return 0;
}

static void test_big_tree(void **state)
{
    (void)state;
    static const uint64_t sizes[] = {10000000, 10000001, (uint64_t)1 << 24,
                                     ((uint64_t)1 << 40) - 3};
    uniform u;
    log_hash path[LOG_MAX_PROOF], root, oroot;
    size_t n;

    log_leaf_hash("same", 4, &u.level[0]);
    for (int l = 1; l < 64; l++) log_node_hash(&u.level[l - 1], &u.level[l - 1], &u.level[l]);
    for (size_t s = 0; s < sizeof sizes / sizeof sizes[0]; s++) {
        u.size = sizes[s];
        assert_int_equal(log_tree_root(u.size, uniform_read, &u, &root), 0);
        clock_t t0 = clock();
        unsigned long proofs = 0, max_reads = 0;
        for (uint64_t i = 0; i < u.size; i += u.size / 997 + 1) {
            u.reads = 0;
            assert_int_equal(log_prove_inclusion(i, u.size, uniform_read, &u, path, &n), 0);
            if (u.reads > max_reads) max_reads = u.reads;
            assert_true(u.reads <= n + (unsigned long)__builtin_popcountll(u.size));
            assert_int_equal(log_check_inclusion(i, u.size, &u.level[0], path, n, &root), 0);

            uint64_t old = i + 1;
            u.reads = 0;
            assert_int_equal(log_prove_consistency(old, u.size, uniform_read, &u, path, &n), 0);
            assert_true(u.reads <= n + (unsigned long)__builtin_popcountll(u.size));
            u.size = old;
            assert_int_equal(log_tree_root(old, uniform_read, &u, &oroot), 0);
            u.size = sizes[s];
            assert_int_equal(log_check_consistency(old, u.size, &oroot, &root, path, n), 0);
            proofs++;
        }
        double us = (double)(clock() - t0) * 1e6 / CLOCKS_PER_SEC / (double)proofs;
        print_message("size %llu: %lu inclusion+consistency rounds, at most %lu reads per proof, "
                      "%.1f us per round\n",
                      (unsigned long long)u.size, proofs, max_reads, us);
        assert_true(max_reads <= 2 * 64);
    }
}

static void test_frontier_emit(void **state)
{
    (void)state;
    log_frontier f;
    log_hash h, r;
    store s;

    /* seven leaves, then an eighth: it completes levels 1, 2 and 3 */
    memset(&s, 0, sizeof s);
    log_frontier_init(&f);
    log_leaf_hash("x", 1, &h);
    for (int i = 0; i < 7; i++) log_frontier_append(&f, &h, store_emit, &s);
    assert_int_equal(s.n[0], 7);
    assert_int_equal(s.n[1], 3);
    assert_int_equal(s.n[2], 1);
    assert_int_equal(s.n[3], 0);
    log_frontier_append(&f, &h, store_emit, &s); /* store_emit asserts the order */
    assert_int_equal(s.n[0], 8);
    assert_int_equal(s.n[1], 4);
    assert_int_equal(s.n[2], 2);
    assert_int_equal(s.n[3], 1);
    assert_int_equal(f.size, 8);
    log_frontier_root(&f, &r);
    assert_memory_equal(r.b, s.lv[3][0].b, 32);
    /* a NULL emit is allowed */
    log_frontier_append(&f, &h, NULL, NULL);
    assert_int_equal(f.size, 9);
    store_free(&s);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_hashes),       cmocka_unit_test(test_empty_tree),
        cmocka_unit_test(test_vectors_root), cmocka_unit_test(test_vectors_proofs),
        cmocka_unit_test(test_bad_inputs),   cmocka_unit_test(test_naive_all),
        cmocka_unit_test(test_big_tree),     cmocka_unit_test(test_frontier_emit),
    };
    return cmocka_run_group_tests(tests, setup_naive, teardown_naive);
}
