/*
 * things.h: what the rules of things share (things.c): looking a thing up,
 * requiring it new or the signer's own, the effects that create it, change
 * its status or add a note, and reading points and times out of a body.
 */
#ifndef CMCC_EVENT_THINGS_H
#define CMCC_EVENT_THINGS_H

#include "event/event.h"
#include "event/geo.h"

/* Looks a thing up: 1 found (release out->body), 0 absent, -1 with err. */
int ev_thing_get(const ev_ctx *c, ev_thing_kind kind, const char *id, ev_thing_state *out,
                 cm_error *err);
/* Fails with rule_violation on `field` unless the thing is new. */
int ev_thing_new(const ev_ctx *c, ev_thing_kind kind, const char *id, const char *field,
                 cm_error *err);
/* The thing must exist (rule_violation) and belong to the signer's org
 * (forbidden: "the notifying org", "the declaring org", ...). */
int ev_thing_mine(const ev_ctx *c, ev_thing_kind kind, const char *id, const char *field,
                  ev_thing_state *out, cm_error *err);
void ev_fx_thing_put(ev_effects *fx, ev_thing_kind kind, const char *id, const char *status,
                     const json_t *body);
void ev_fx_thing_status(ev_effects *fx, ev_thing_kind kind, const char *id, const char *status);
void ev_fx_thing_note(ev_effects *fx, ev_thing_kind kind, const char *id, const char *note,
                      const json_t *body, int latest_per_org);
/* Parses body[key] (an array of [lat, lon]) into points (malloc'ed). */
geo_point *ev_points(const json_t *body, const char *key, size_t *n);
/* Checks optional "from"/"until" style times: until after from. */
int ev_time_order(const json_t *body, const char *from, const char *until, cm_error *err);
/* A time field in ms (it was checked by the schema); dflt when absent. */
int64_t ev_time_of(const json_t *body, const char *key, int64_t dflt);

#endif
