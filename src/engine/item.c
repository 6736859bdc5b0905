/*
 * item.c: one envelope from the wire to the sequencer's door.
 *
 * The pool's threads (pool.c) do all they can in parallel: parse
 * the envelope, find the key's public key among registered keys (the key
 * cache, else a read connection), verify the signature, parse the payload. A key the reader
 * does not know yet (say, added earlier in the same batch) leaves the item
 * ITEM_UNKEYED; the sequencer, which sees every earlier write, finishes it.
 * That keeps the protocol's order of checks: envelope, key and signature,
 * payload, then (in the sequencer) authority and rules.
 */
#include "engine/engine.h"

#include "common/mem.h"

#include <string.h>

static void check_signature(item *it, const uint8_t pub[LOG_PUBKEY_SIZE], int64_t now_ms)
{
    const ev_envelope *e = &it->ev.env;
    if (dsse_verify(pub, DSSE_PAYLOAD_TYPE, e->payload, e->payload_len, e->sig) != 0) {
        cm_fail(&it->err, CM_BAD_SIGNATURE, "signatures[0].sig",
                "the signature does not verify with key %s: sign the exact payload bytes "
                "(DSSE PAE) with that key",
                e->keyid);
        it->state = ITEM_FAILED;
        return;
    }
    if (!it->ev.root && ev_event_parse(&it->ev, now_ms, &it->err)) {
        it->state = ITEM_FAILED;
        return;
    }
    it->state = ITEM_VERIFIED;
}

void item_prepare(item *it, srv_keycache *keys, store *reader, const char *json, size_t len,
                  int64_t now_ms)
{
    memset(it, 0, sizeof *it);
    if (ev_envelope_parse(json, len, &it->ev.env, &it->err)) {
        it->state = ITEM_FAILED;
        return;
    }
    uint8_t pub[LOG_PUBKEY_SIZE];
    if (srv_keycache_get(keys, reader, it->ev.env.keyid, pub) == 1)
        check_signature(it, pub, now_ms);
    else
        it->state = ITEM_UNKEYED;
}

int item_finish_unkeyed(item *it, const ev_view *v, int64_t now_ms)
{
    uint8_t pub[LOG_PUBKEY_SIZE];
    if (v->size == 0) {
        /* the genesis names its own key: parse first */
        if (ev_event_parse(&it->ev, now_ms, &it->err)) goto fail;
    }
    if (ev_signer_key(v, &it->ev, pub, &it->err)) goto fail;
    check_signature(it, pub, now_ms);
    return it->state == ITEM_VERIFIED ? 0 : -1;
fail:
    it->state = ITEM_FAILED;
    return -1;
}

void item_free(item *it)
{
    ev_event_free(&it->ev);
}
