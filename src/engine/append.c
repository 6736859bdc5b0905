/*
 * append.c: judging one verified event and appending it, inside the
 * writer's open transaction. The sequencer runs it for every event;
 * `cmcc init` runs it for the genesis.
 *
 *   ev_apply      idempotency, authority, rules -> effects | duplicate | refusal
 *   entry         {"v":1,"received":...,"envelope":...}, at most 65,535 bytes
 *   store         the entry, the (org, id) key, the effects, every tree node
 *                 the new leaf completes
 */
#include "engine/engine.h"

void srv_keep_node(void *ctx, int level, uint64_t index, const log_hash *h)
{
    srv_node_sink *c = ctx;
    if (!c->failed && store_put_hash(c->store, level, index, h, NULL)) c->failed = 1;
}

int srv_append(store *w, log_frontier *f, const ev_event *e, int64_t received, ev_effects *fx,
               cm_buf *scratch, srv_receipt *out, cm_error *err)
{
    ev_view v;
    store_view(w, &v);
    v.size = f->size;
    ev_effects_reset(fx);
    out->duplicate = 0;
    if (e->time_ms > received + EV_FUTURE_MS)
        return cm_fail(err, CM_BAD_REQUEST, "time",
                       "time is more than %d s ahead of the server's clock", EV_FUTURE_MS / 1000);
    uint64_t dup = 0;
    ev_verdict verdict = ev_apply(&v, e, fx, &dup, err);
    if (verdict == EV_REFUSED) return -1;
    if (verdict == EV_DUPLICATE) {
        if (store_read_hash(w, 0, dup, &out->leaf))
            return cm_fail(err, CM_INTERNAL, "", "the stored tree is missing leaf %llu",
                           (unsigned long long)dup);
        out->duplicate = 1;
        out->index = dup;
        return 0;
    }
    buf_reset(scratch);
    ev_entry_write(&e->env, received, scratch);
    if (scratch->len > EV_ENTRY_MAX)
        return cm_fail(err, CM_TOO_LARGE, "payload",
                       "the log entry would be %zu bytes, over the %d-byte limit", scratch->len,
                       EV_ENTRY_MAX);
    log_leaf_hash(scratch->data, scratch->len, &out->leaf);
    if (store_append(w, f->size, scratch->data, scratch->len, e->org, e->id, e->type->name, err) ||
        store_apply(w, e, fx, f->size, err))
        return -1;
    srv_node_sink c = {w, 0};
    out->index = f->size;
    log_frontier_append(f, &out->leaf, srv_keep_node, &c);
    if (c.failed) return cm_fail(err, CM_INTERNAL, "", "the tree could not be stored");
    return 0;
}
