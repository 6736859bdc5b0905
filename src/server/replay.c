/*
 * replay.c: recomputing the state from the entries, as `cmcc verify` and
 * `cmcc rebuild` do. Each entry goes through the same code the sequencer
 * ran when it was appended: exact entry form, payload parse with the
 * entry's `received` time as the clock, the signing key as registered at
 * that point of the log, the signature, and ev_apply, which must accept it
 * (not refuse it, nor find it a duplicate). With mirror set, the entries and
 * tree nodes are appended to the target too, making it a full copy.
 */
#include "server/server.h"

#include "store/store.h"

#include <string.h>

void srv_replay_init(srv_replay *r, store *target, int mirror)
{
    memset(r, 0, sizeof *r);
    r->target = target;
    r->mirror = mirror;
    log_frontier_init(&r->f);
}

void srv_replay_free(srv_replay *r)
{
    ev_effects_free(&r->fx);
}

static int fail_at(cm_error *err, uint64_t idx, const cm_error *why)
{
    *err = *why;
    if (err->code == CM_OK) err->code = CM_INTERNAL;
    cm_error_prefix(err, "entry %llu", (unsigned long long)idx);
    return -1;
}

int srv_replay_entry(srv_replay *r, uint64_t idx, const char *entry, size_t len, cm_error *err)
{
    cm_error why;
    cm_error_clear(&why);
    if (idx != r->next) {
        cm_fail(&why, CM_INTERNAL, "", "out of order (expected entry %llu)",
                (unsigned long long)r->next);
        return fail_at(err, idx, &why);
    }
    ev_event e;
    memset(&e, 0, sizeof e);
    int64_t received = 0;
    int rc = -1;
    if (ev_entry_parse(entry, len, &e.env, &received, &why)) goto done;
    log_hash leaf;
    log_leaf_hash(entry, len, &leaf);
    ev_view v;
    store_view(r->target, &v);
    v.size = idx;
    uint8_t pub[LOG_PUBKEY_SIZE];
    if (idx == 0 && ev_event_parse(&e, received, &why)) goto done;
    if (ev_signer_key(&v, &e, pub, &why)) goto done;
    if (dsse_verify(pub, DSSE_PAYLOAD_TYPE, e.env.payload, e.env.payload_len, e.env.sig)) {
        cm_fail(&why, CM_BAD_SIGNATURE, "signatures[0].sig", "the signature does not verify");
        goto done;
    }
    if (!e.root && ev_event_parse(&e, received, &why)) goto done;
    ev_effects_reset(&r->fx);
    uint64_t dup = 0;
    ev_verdict verdict = ev_apply(&v, &e, &r->fx, &dup, &why);
    if (verdict == EV_DUPLICATE) {
        cm_fail(&why, CM_CONFLICT, "id", "repeats the event of entry %llu",
                (unsigned long long)dup);
        goto done;
    }
    if (verdict == EV_REFUSED) {
        cm_error_prefix(&why, "the rules refuse it (%s)", cm_code_name(why.code));
        goto done;
    }
    if (r->mirror && store_append(r->target, idx, entry, len, e.org, e.id, e.type->name, &why))
        goto done;
    if (store_apply(r->target, &e, &r->fx, idx, &why)) goto done;
    srv_node_sink c = {r->target, 0};
    log_frontier_append(&r->f, &leaf, r->mirror ? srv_keep_node : NULL, &c);
    if (c.failed) {
        cm_fail(&why, CM_INTERNAL, "", "cannot store the tree");
        goto done;
    }
    r->next++;
    rc = 0;
done:
    ev_event_free(&e);
    return rc ? fail_at(err, idx, &why) : 0;
}
