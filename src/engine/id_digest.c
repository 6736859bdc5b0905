/*
 * id_digest.c: the idempotency records of a log as one order-free digest,
 * so that `cmcc verify DIR` can check a store's event_ids table against
 * the entries without keeping a copy of it.
 *
 * Each record (org, id, idx) is a term: SipHash-2-4 with a 128-bit output
 * (libsodium's crypto_shorthash_siphashx24), keyed with a key drawn at
 * random for the run, of
 *
 *     u32 len(org) || org || u32 len(id) || id || u64 idx     (little-endian)
 *
 * and the digest is the number of records and the sum of their terms
 * modulo 2^128. Two digests of the same key are equal when the two sets of
 * records are, and otherwise only by chance (about 2^-127): nobody who
 * wrote a store knows the key its terms will be computed with, so none can
 * pick rows to match a sum.
 *
 * The store's side (srv_id_digest_store) reads its records in the order of
 * (org, id) and requires each to sort strictly after the one before, by
 * bytes: so the (org, id) it holds are distinct whatever the file's schema
 * says. Equal digests then mean that the log's events carry distinct
 * (org, id), each recorded with its own entry: what a replay keeping every
 * id would have found, entry by entry.
 */
#include "engine/engine.h"

#include "common/mem.h"

#include <sodium.h>
#include <stdlib.h>
#include <string.h>

void srv_id_digest_init(srv_id_digest *d, const srv_id_digest *key_of)
{
    memset(d, 0, sizeof *d);
    if (key_of)
        memcpy(d->key, key_of->key, sizeof d->key);
    else
        randombytes_buf(d->key, sizeof d->key);
}

static void put_le(uint8_t *p, uint64_t v, int n)
{
    for (int i = 0; i < n; i++) p[i] = (uint8_t)(v >> (8 * i));
}

void srv_id_digest_add(srv_id_digest *d, const char *org, size_t org_len, const char *id,
                       size_t id_len, uint64_t idx)
{
    uint8_t small[256], *m = small;
    size_t n = 4 + org_len + 4 + id_len + 8;
    if (n > sizeof small) m = xmalloc(n);
    put_le(m, org_len, 4);
    memcpy(m + 4, org, org_len);
    put_le(m + 4 + org_len, id_len, 4);
    memcpy(m + 8 + org_len, id, id_len);
    put_le(m + 8 + org_len + id_len, idx, 8);
    uint8_t t[crypto_shorthash_siphashx24_BYTES];
    crypto_shorthash_siphashx24(t, m, n, d->key);
    if (m != small) free(m);
    uint64_t lo = 0, hi = 0;
    for (int i = 7; i >= 0; i--) {
        lo = lo << 8 | t[i];
        hi = hi << 8 | t[8 + i];
    }
    d->lo += lo;
    d->hi += hi + (d->lo < lo); /* the carry */
    d->n++;
}

int srv_id_digest_equal(const srv_id_digest *a, const srv_id_digest *b)
{
    return a->n == b->n && a->lo == b->lo && a->hi == b->hi;
}

/* ---- a store's records -------------------------------------------------- */

typedef struct {
    srv_id_digest *d;
    cm_buf prev; /* org, a 0 byte, id: the record before */
    size_t prev_org;
    int any;
} store_walk;

/* The order of (org, id) against the record before: bytes, then length. */
static int after_prev(const store_walk *w, const char *org, size_t ol, const char *id, size_t il)
{
    const char *po = w->prev.data, *pi = w->prev.data + w->prev_org + 1;
    size_t pol = w->prev_org, pil = w->prev.len - w->prev_org - 1;
    int c = memcmp(po, org, pol < ol ? pol : ol);
    if (c == 0 && pol != ol) return pol < ol;
    if (c) return c < 0;
    c = memcmp(pi, id, pil < il ? pil : il);
    if (c == 0) return pil < il;
    return c < 0;
}

static int walk_one(void *ctx, const char *org, size_t ol, const char *id, size_t il, uint64_t idx)
{
    store_walk *w = ctx;
    if (w->any && !after_prev(w, org, ol, id, il)) return 1;
    buf_reset(&w->prev);
    buf_append(&w->prev, org, ol);
    buf_putc(&w->prev, '\0');
    buf_append(&w->prev, id, il);
    w->prev_org = ol;
    w->any = 1;
    srv_id_digest_add(w->d, org, ol, id, il, idx);
    return 0;
}

int srv_id_digest_store(struct store *s, srv_id_digest *d, cm_error *err)
{
    store_walk w = {d, CM_BUF_INIT, 0, 0};
    int rc = store_each_event_id(s, walk_one, &w, err);
    buf_free(&w.prev);
    return rc;
}
