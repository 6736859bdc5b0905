/*
 * ruleworld.h: what the unit tests of the rules share: a temporary store
 * (tmpstore.h) with a genesis, and rw_submit, which signs an event, parses
 * it and judges it with ev_apply against the store's ev_view; an accepted
 * event is appended and its effects applied (store_append, store_apply) in
 * one transaction, as the sequencer does. The last event and its effects
 * stay in RW (RW.ev, RW.fx, RW.err) until the next submission, so that a
 * test can look at them. Include after cmocka.h.
 */
#ifndef TEST_RULEWORLD_H
#define TEST_RULEWORLD_H

#include "common/codec.h"
#include "common/mem.h"
#include "event/event.h"
#include "store/store.h"

#include <sodium.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "tmpstore.h"

#define RW_NOW 1763630100000LL /* 2025-11-20T09:15:00Z */

typedef struct {
    store *s;
    uint64_t size;
    ev_event ev; /* the last event submitted */
    ev_effects fx;
    cm_error err;
    cm_buf entry;
    unsigned seq;
    log_key keys[8];
} rw_world;

static rw_world RW;

/* The key of org number n (0: the coordinating cell). */
static inline const log_key *rw_key(int n)
{
    return &RW.keys[n];
}

/* Submits {type, org, body} signed by k: CM_OK when accepted, else the
 * refusal's code (RW.err says more). */
__attribute__((format(printf, 4, 5))) static inline cm_code
rw_submit(const log_key *k, const char *org, const char *type, const char *fmt, ...)
{
    char body[4096];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(body, sizeof body, fmt, ap);
    va_end(ap);
    ev_event_free(&RW.ev);
    memset(&RW.ev, 0, sizeof RW.ev);
    ev_effects_reset(&RW.fx);
    cm_error_clear(&RW.err);
    char *json = xasprintf("{\"v\":1,\"type\":\"%s\",\"id\":\"e-%u\",\"org\":\"%s\",\"time\":"
                           "\"2025-11-20T09:00:00Z\",\"body\":%s}",
                           type, ++RW.seq, org, body);
    ev_envelope_sign(k, json, strlen(json), &RW.ev.env);
    free(json);
    if (ev_event_parse(&RW.ev, RW_NOW, &RW.err)) return RW.err.code;
    ev_view v;
    store_view(RW.s, &v);
    v.size = RW.size;
    uint64_t dup = 0;
    ev_verdict verdict = ev_apply(&v, &RW.ev, &RW.fx, &dup, &RW.err);
    if (verdict == EV_REFUSED) return RW.err.code;
    assert_int_equal(verdict, EV_ACCEPTED);
    buf_reset(&RW.entry);
    ev_entry_write(&RW.ev.env, RW_NOW, &RW.entry);
    cm_error err;
    assert_int_equal(store_begin(RW.s, &err), 0);
    if (store_append(RW.s, RW.size, RW.entry.data, RW.entry.len, RW.ev.org, RW.ev.id,
                     RW.ev.type->name, &err) ||
        store_apply(RW.s, &RW.ev, &RW.fx, RW.size, &err)) {
        store_rollback(RW.s);
        fail_msg("store: %s (%s)", err.message, err.field);
    }
    assert_int_equal(store_commit(RW.s, &err), 0);
    RW.size++;
    return CM_OK;
}

/* Asserts that the last submission was refused with code on field. */
#define rw_refused(call, code_, field_)                                                            \
    do {                                                                                           \
        assert_int_equal((call), (code_));                                                         \
        assert_string_equal(RW.err.field, (field_));                                               \
        assert_true(RW.err.message[0] != '\0');                                                    \
    } while (0)

/* The number of effects of kind in RW.fx, and the nth of them (or NULL). */
static inline size_t rw_fx_count(ev_fx_kind kind)
{
    size_t n = 0;
    for (size_t i = 0; i < RW.fx.n; i++) n += RW.fx.v[i].kind == kind;
    return n;
}

static inline const ev_fx *rw_fx(ev_fx_kind kind, size_t nth)
{
    for (size_t i = 0; i < RW.fx.n; i++)
        if (RW.fx.v[i].kind == kind && nth-- == 0) return &RW.fx.v[i];
    return NULL;
}

/* Admits org (by the cell) with roles (a JSON array) and the key n. */
static inline void rw_admit(const char *org, const char *roles, int n)
{
    char pub[64];
    b64_encode(RW.keys[n].pub, 32, pub, sizeof pub);
    assert_int_equal(rw_submit(rw_key(0), "cell", "org.admit",
                               "{\"org\":\"%s\",\"name\":\"%s\",\"roles\":%s,\"keys\":[{"
                               "\"public_key\":\"%s\"}]}",
                               org, org, roles, pub),
                     CM_OK);
}

/* Defines a place (by the cell). */
static inline void rw_place(const char *place, const char *kind)
{
    assert_int_equal(rw_submit(rw_key(0), "cell", "place.define",
                               "{\"place\":\"%s\",\"kind\":\"%s\",\"name\":\"%s\",\"lat\":31.5,"
                               "\"lon\":34.5}",
                               place, kind, place),
                     CM_OK);
}

/* cmocka group setup: a fresh store holding the genesis (the cell, a
 * coordinator, with key 0). */
static inline int rw_setup(void **state)
{
    if (sodium_init() < 0) return -1;
    cm_error err;
    if (tmpstore_setup(state) || !(RW.s = store_open(tmpstore_path, STORE_WRITER, &err))) return -1;
    for (uint8_t i = 0; i < 8; i++) {
        uint8_t seed[32] = {i, 7, 7, 7};
        if (log_key_from_seed(&RW.keys[i], seed)) return -1;
    }
    char pub[64];
    b64_encode(RW.keys[0].pub, 32, pub, sizeof pub);
    return rw_submit(rw_key(0), "cell", "org.admit",
                     "{\"org\":\"cell\",\"name\":\"Cell\",\"roles\":[\"coordinator\"],\"keys\":[{"
                     "\"public_key\":\"%s\"}]}",
                     pub) == CM_OK
               ? 0
               : -1;
}

static inline int rw_teardown(void **state)
{
    store_close(RW.s);
    tmpstore_teardown(state);
    ev_event_free(&RW.ev);
    ev_effects_free(&RW.fx);
    buf_free(&RW.entry);
    for (int i = 0; i < 8; i++) log_key_free(&RW.keys[i]);
    return 0;
}

#endif
