/*
 * replay.c: recomputing the state from the entries, as `cmcc verify` and
 * `cmcc rebuild` do. Each entry goes through the same code the sequencer
 * ran when it was appended: exact entry form, payload parse with the
 * entry's `received` time as the clock, the signing key as registered at
 * that point of the log, the signature, and ev_apply, which must accept it
 * (not refuse it, nor find it a duplicate). With mirror set, the entries and
 * tree nodes are appended to the target too, making it a full copy.
 *
 * Entries are replayed in batches, each in two passes: first every entry on
 * its own, on all cores (form, payload, leaf hash, and the signature with
 * the key a cache holds for its keyid), then each in log order, which
 * confirms the key was the one registered at that point (verifying again
 * only when it was not) and applies the rules. Signature checks, the bulk
 * of the work, so run in parallel while the outcome stays that of the
 * one-by-one replay; and the first pass of one batch overlaps the second
 * pass of the batch before it.
 *
 * With ids_later (`cmcc verify DIR`), no idempotency record is kept or
 * asked for: each event's (org, id, index) is added to a digest instead,
 * which the caller compares with the one of the log's own records
 * (id_digest.c).
 */
#include "engine/engine.h"

#include "common/mem.h"

#include <pthread.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void srv_replay_init(srv_replay *r, store *target, int mirror)
{
    memset(r, 0, sizeof *r);
    ev_arena_setup();
    r->target = target;
    r->mirror = mirror;
    log_frontier_init(&r->f);
}

static int fail_at(cm_error *err, uint64_t idx, const cm_error *why)
{
    *err = *why;
    if (err->code == CM_OK) err->code = CM_INTERNAL;
    cm_error_prefix(err, "entry %llu", (unsigned long long)idx);
    return -1;
}

/* The replay's idempotency lookup: the index alone. A log never holds an
 * (org, id) twice, so a repeat is named whatever its envelope, and the
 * target (a state-only copy for `cmcc verify`) need keep no entries. */
static int id_only(void *ctx, const char *org, const char *id, uint64_t *index, ev_envelope *env)
{
    memset(env, 0, sizeof *env);
    return store_event_index(ctx, org, id, index);
}

/* The lookup of a replay with ids_later: nothing is there (an event found
 * would fail the replay, and the digest compared afterwards shows none
 * could have been). */
static int id_none(void *ctx, const char *org, const char *id, uint64_t *index, ev_envelope *env)
{
    (void)ctx, (void)org, (void)id, (void)index;
    memset(env, 0, sizeof *env);
    return 0;
}

/* What can be checked of an entry on its own, in any order and in
 * parallel: its form, its payload, its leaf hash, and its signature with
 * the key the cache knows for its keyid (a guess the in-order pass
 * confirms, since only that pass knows which key was registered when). */
typedef struct {
    ev_event e;
    int64_t received;
    log_hash leaf;
    int form_ok, payload_ok;
    int checked_sig; /* verified with `pub` */
    uint8_t pub[LOG_PUBKEY_SIZE];
    /* set when form_ok or payload_ok is not (only cleared before: an
     * entry's worth of zeros is most of the struct) */
    cm_error form_err, payload_err;
    ev_arena arena; /* e's payload tree, dropped whole once judged */
} prepared;

/* The key the cache knows for keyid, through the last one this thread
 * found: consecutive entries are mostly signed by one key, and the cache's
 * lock, taken by both threads for every entry, costs more than the lookup.
 * A guess only (the in-order pass checks it), so it may be stale. */
static int guess_key(srv_keycache *keys, const char *keyid, uint8_t pub[LOG_PUBKEY_SIZE])
{
    static _Thread_local struct {
        srv_keycache *keys;
        char keyid[LOG_KEYID_LEN + 1];
        uint8_t pub[LOG_PUBKEY_SIZE];
    } last;
    if (last.keys != keys || strcmp(last.keyid, keyid) != 0) {
        uint8_t found[LOG_PUBKEY_SIZE];
        if (srv_keycache_get(keys, NULL, keyid, found) != 1) return 0;
        last.keys = keys;
        snprintf(last.keyid, sizeof last.keyid, "%s", keyid);
        memcpy(last.pub, found, LOG_PUBKEY_SIZE);
    }
    memcpy(pub, last.pub, LOG_PUBKEY_SIZE);
    return 1;
}

/* The form, payload and leaf hash of an entry. */
static void prepare_form(prepared *p, const char *entry, size_t len)
{
    memset(p, 0, offsetof(prepared, form_err));
    cm_error_clear(&p->form_err);
    cm_error_clear(&p->payload_err);
    ev_arena_init(&p->arena);
    log_leaf_hash(entry, len, &p->leaf);
    ev_arena_use(&p->arena); /* the payload's bytes and tree */
    if (ev_entry_parse(entry, len, &p->e.env, &p->received, &p->form_err) == 0) {
        p->form_ok = 1;
        p->payload_ok = ev_event_parse(&p->e, p->received, &p->payload_err) == 0;
    }
    ev_arena_use(NULL);
}

/* Its signature, with the key the cache knows for its keyid. */
static void prepare_sig(prepared *p, srv_keycache *keys)
{
    if (p->form_ok && keys && guess_key(keys, p->e.env.keyid, p->pub) &&
        dsse_verify(p->pub, DSSE_PAYLOAD_TYPE, p->e.env.payload, p->e.env.payload_len,
                    p->e.env.sig) == 0)
        p->checked_sig = 1;
}

/* Judges a prepared entry in log order against the replayed state;
 * stored is the leaf r->check holds for it, when read already. */
static int finish(srv_replay *r, uint64_t idx, prepared *p, const char *entry, size_t len,
                  const uint8_t *stored, cm_error *err)
{
    cm_error why;
    cm_error_clear(&why);
    if (idx != r->next) {
        cm_fail(&why, CM_INTERNAL, "", "out of order (expected entry %llu)",
                (unsigned long long)r->next);
        return fail_at(err, idx, &why);
    }
    log_hash one;
    if (r->check && !stored) stored = store_read_hash(r->check, 0, idx, &one) ? NULL : one.b;
    if (r->check && (!stored || memcmp(stored, p->leaf.b, LOG_HASH_SIZE) != 0)) {
        cm_fail(&why, CM_CONFLICT, "",
                "its bytes do not hash to the leaf the tree holds for it (the entry was changed "
                "after it was appended)");
        return fail_at(err, idx, &why);
    }
    if (!p->form_ok) return fail_at(err, idx, &p->form_err);
    ev_view under, v;
    store_view(r->target, &under);
    under.size = idx;
    under.event_id = r->ids_later ? id_none : id_only;
    srv_view_cache_wrap(&r->cache, &under, &v);
    srv_replay_filter_view(r, idx, &v);
    uint8_t pub[LOG_PUBKEY_SIZE];
    if (idx == 0 && !p->payload_ok) return fail_at(err, idx, &p->payload_err);
    if (ev_signer_key(&v, &p->e, pub, &why)) return fail_at(err, idx, &why);
    if (!(p->checked_sig && memcmp(pub, p->pub, LOG_PUBKEY_SIZE) == 0) &&
        dsse_verify(pub, DSSE_PAYLOAD_TYPE, p->e.env.payload, p->e.env.payload_len, p->e.env.sig)) {
        cm_fail(&why, CM_BAD_SIGNATURE, "signatures[0].sig", "the signature does not verify");
        return fail_at(err, idx, &why);
    }
    if (r->keys) srv_keycache_put(r->keys, p->e.env.keyid, pub);
    if (!p->payload_ok) return fail_at(err, idx, &p->payload_err);
    ev_event *e = &p->e;
    ev_effects_reset(&r->fx);
    uint64_t dup = 0;
    ev_verdict verdict = ev_apply(&v, e, &r->fx, &dup, &why);
    if (verdict == EV_DUPLICATE) {
        cm_fail(&why, CM_CONFLICT, "id",
                "its org and id repeat those of entry %llu: the log holds that event twice",
                (unsigned long long)dup);
        return fail_at(err, idx, &why);
    }
    if (verdict == EV_REFUSED) {
        cm_error_prefix(&why, "the rules refuse it (%s)", cm_code_name(why.code));
        return fail_at(err, idx, &why);
    }
    if ((r->mirror &&
         store_append(r->target, idx, entry, len, e->org, e->id, e->type->name, &why)) ||
        (r->ids_later ? store_apply_state(r->target, e, &r->fx, idx, &why)
                      : store_apply(r->target, e, &r->fx, idx, &why)))
        return fail_at(err, idx, &why);
    if (r->ids_later)
        srv_id_digest_add(&r->ids_seen, e->org, strlen(e->org), e->id, strlen(e->id), idx);
    srv_view_cache_applied(&r->cache, &r->fx);
    srv_replay_filter_add(r, e, &r->fx);
    srv_node_sink c = {r->target, 0};
    if (r->mirror)
        log_frontier_append(&r->f, &p->leaf, srv_keep_node, &c);
    else
        log_frontier_append(&r->f, &p->leaf, r->check ? srv_node_check_add : NULL, r);
    if (c.failed) {
        cm_fail(&why, CM_INTERNAL, "", "cannot store the tree");
        return fail_at(err, idx, &why);
    }
    r->next++;
    return 0;
}

/* ---- the pipeline ---------------------------------------------------------
 *
 * Entries are gathered into batches of BATCH (their bytes copied into one
 * buffer); the first batches are smaller (FIRST_BATCH, then four times as
 * many each time up to BATCH), since the first two are prepared before any
 * key is known and so have their signatures checked again in order. A full
 * batch is handed to the pool to prepare; then the batch before it,
 * prepared meanwhile, is finished: its preparation completed (the caller
 * helps), and each entry judged in order. So while this thread judges
 * batch k, the pool's threads already prepare batch k+1. When the tree is
 * checked, a batch's stored leaves are read in one query.
 */

#define BATCH       2048
#define FIRST_BATCH 16
#define GROUP       16 /* the entries a pool thread prepares at a time */

struct srv_replay_batch {
    cm_buf bytes;
    size_t off[BATCH], len[BATCH];
    uint8_t leaves[BATCH * LOG_HASH_SIZE]; /* the leaves r->check holds for them */
    size_t n;
    uint64_t first;
    prepared p[BATCH];
    srv_keycache *keys;
    srv_pool_job *job;
};

/* Prepares group g of the batch: the forms of its entries, then their
 * signatures. Each step of all of them in turn keeps its code and tables
 * in the core's first-level caches, which one step of each entry after the
 * other does not: the signature check alone fills them. */
static void prepare_group(void *ctx, size_t g)
{
    srv_replay_batch *b = ctx;
    size_t end = (g + 1) * GROUP < b->n ? (g + 1) * GROUP : b->n;
    for (size_t i = g * GROUP; i < end; i++)
        prepare_form(&b->p[i], b->bytes.data + b->off[i], b->len[i]);
    for (size_t i = g * GROUP; i < end; i++) prepare_sig(&b->p[i], b->keys);
}

void srv_replay_stream(srv_replay *r, srv_pool *pool, srv_replay_after_fn after, void *ctx)
{
    r->pool = pool;
    r->after = after;
    r->after_ctx = ctx;
    if (!r->keys) r->keys = srv_keycache_new();
}

static srv_replay_batch *batch_new(srv_replay *r)
{
    srv_replay_batch *b = xcalloc(1, sizeof *b);
    b->keys = r->keys;
    return b;
}

/* Drops the batch's events: each payload tree with its arena. */
static void drop_events(srv_replay_batch *b)
{
    for (size_t i = 0; i < b->n; i++) {
        b->p[i].e.root = NULL;
        ev_event_free(&b->p[i].e);
        ev_arena_reset(&b->p[i].arena);
    }
    b->n = 0;
}

static void batch_free(srv_replay_batch *b)
{
    if (!b) return;
    buf_free(&b->bytes);
    free(b);
}

/* Completes a started batch's preparation and judges it in order; the
 * batch is empty again afterwards. */
static int settle(srv_replay *r, srv_replay_batch *b, cm_error *err)
{
    if (b->job) srv_pool_finish(r->pool, b->job);
    b->job = NULL;
    int rc = 0;
    /* the stored leaves in one query; if some is missing, each entry
     * reads its own and the first without one is named */
    int bulk = r->check && b->n &&
               store_read_hashes(r->check, 0, b->first, (unsigned)b->n, b->leaves) == 0;
    for (size_t i = 0; i < b->n && !rc; i++) {
        rc = finish(r, b->first + i, &b->p[i], b->bytes.data + b->off[i], b->len[i],
                    bulk ? b->leaves + i * LOG_HASH_SIZE : NULL, err);
        if (!rc && r->after) r->after(r->after_ctx, r);
    }
    drop_events(b);
    buf_reset(&b->bytes);
    srv_node_check_flush(r);
    return rc;
}

/* Starts the filling batch on the pool, then settles the one in flight. */
static int rotate(srv_replay *r, cm_error *err)
{
    srv_replay_batch *b = r->filling;
    b->job = srv_pool_start(r->pool, (b->n + GROUP - 1) / GROUP, prepare_group, b);
    r->filling = r->flight;
    r->flight = b;
    if (r->filling && r->filling->job) return settle(r, r->filling, err);
    return 0;
}

int srv_replay_add(srv_replay *r, uint64_t idx, const char *entry, size_t len, cm_error *err)
{
    if (r->failed) {
        *err = r->error;
        return -1;
    }
    if (!r->filling) r->filling = batch_new(r);
    srv_replay_batch *b = r->filling;
    if (b->n == 0) b->first = idx;
    if (idx != b->first + b->n) {
        cm_error why;
        cm_fail(&why, CM_INTERNAL, "", "out of order (expected entry %llu)",
                (unsigned long long)(b->first + b->n));
        r->failed = 1;
        fail_at(&r->error, idx, &why);
        *err = r->error;
        return -1;
    }
    b->off[b->n] = b->bytes.len;
    b->len[b->n++] = len;
    buf_append(&b->bytes, entry, len);
    if (r->batch < FIRST_BATCH) r->batch = FIRST_BATCH;
    if (b->n < r->batch) return 0;
    if (r->batch < BATCH) r->batch = r->batch * 4 < BATCH ? r->batch * 4 : BATCH;
    if (rotate(r, &r->error)) {
        r->failed = 1;
        *err = r->error;
        return -1;
    }
    return 0;
}

int srv_replay_end(srv_replay *r, cm_error *err)
{
    int rc = r->failed ? -1 : 0;
    if (!rc && r->filling && r->filling->n) rc = rotate(r, &r->error);
    /* whatever is still in flight is settled (or, after a failure, waited
     * for and dropped) */
    srv_replay_batch *b = r->flight;
    if (b && b->job) {
        if (!rc)
            rc = settle(r, b, &r->error);
        else {
            srv_pool_finish(r->pool, b->job);
            b->job = NULL;
            drop_events(b);
        }
    }
    if (rc) {
        r->failed = 1;
        *err = r->error;
    }
    return rc;
}

void srv_replay_free(srv_replay *r)
{
    cm_error ignored;
    srv_replay_end(r, &ignored); /* no job may outlive the batches */
    batch_free(r->filling);
    batch_free(r->flight);
    r->filling = r->flight = NULL;
    ev_effects_free(&r->fx);
    srv_node_check_free(r->nodes);
    r->nodes = NULL;
    srv_keycache_free(r->keys);
    r->keys = NULL;
    free(r->filter);
    r->filter = NULL;
}
