/*
 * workload_supply.h: the supply workload of cmcc-bench (workload_supply.c):
 * a registry of relief agencies, an inspector, transporters and places, and
 * consignments that go through declaration, screening, entry, custody and
 * distribution (docs/protocol.md section 3, "Supply"), as event JSON in an order
 * the rules accept. cmcc-bench signs and sends what this plans.
 */
#ifndef CMCC_BENCH_WORKLOAD_SUPPLY_H
#define CMCC_BENCH_WORKLOAD_SUPPLY_H

#include "log/log.h"

#include <stddef.h>
#include <stdint.h>

/* The event types of the workload (ws_event.type). */
enum {
    WS_DECLARE,      /* consignment.declare */
    WS_SCREEN,       /* consignment.screen */
    WS_ENTER,        /* consignment.enter */
    WS_ACCEPT,       /* custody.accept */
    WS_TRANSFER,     /* custody.transfer */
    WS_REJECT,       /* custody.reject */
    WS_DISTRIBUTION, /* distribution.record */
    WS_LOSS,         /* loss.report */
    WS_REGISTRY,     /* org.admit, place.define (the setup) */
    WS_TYPES
};

typedef struct {
    char *json; /* owned: the event's JSON, NUL-terminated */
    size_t len; /* bytes of json */
    unsigned short signer;
    unsigned short type; /* WS_* */
    long long pred;      /* plan position of the event this one needs applied first, or -1 */
} ws_event;

typedef struct ws_world ws_world;

/* A new world whose ids carry `run` (unique per run); `coordinator` (of org
 * coord_org, borrowed) signs the setup. Makes one key per org. */
ws_world *ws_new(const char *run, const log_key *coordinator, const char *coord_org);
void ws_free(ws_world *w);

/* The setup: org.admit of every org with its key, place.define of every
 * place, signed by the coordinator. OUT: *n events (free with ws_plan_free). */
ws_event *ws_setup(ws_world *w, size_t *n);

/*
 * A phase's events. `slots` consignments are in flight at once: each round
 * every slot sends the next event of its consignment (a new consignment
 * once one is done), so an event's predecessor is exactly `slots` events
 * earlier. Slots start staggered (slot i begins i mod 10 rounds before
 * round 0), so that from round 0 every stretch of the plan mixes all the
 * steps of a consignment's life. The events before round 0 are the
 * prologue, sent untimed: their count is rounded up to a multiple of `per`
 * and at least min_prologue. Then `timed` events.
 * OUT: *prologue. Returns the plan, *n = *prologue + timed events.
 */
ws_event *ws_plan(ws_world *w, size_t slots, unsigned per, size_t min_prologue, size_t timed,
                  size_t *prologue, size_t *n);
void ws_plan_free(ws_event *plan, size_t n);

/* The key of signer s of a planned event. */
const log_key *ws_key(const ws_world *w, unsigned s);
/* "consignment.declare", ... for WS_*. */
const char *ws_type_name(unsigned type);
/* Consignments started so far. */
unsigned long long ws_consignments(const ws_world *w);

#endif
