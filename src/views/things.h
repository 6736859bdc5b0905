/*
 * things.h: what the views of things share (things.c): the things of a
 * kind as JSON made from the store's rows, a thing made flat as the read
 * API shows it, and the small helpers of the derivations. Internal to
 * src/views/; what the rest of the program calls is in views.h.
 */
#ifndef CMCC_VIEWS_THINGS_H
#define CMCC_VIEWS_THINGS_H

#include "views/views.h"

/* The things of kind (only id, if not NULL), oldest first, each
 *   {"id","org","status","time","index","updated","body":{...},
 *    "notes":[{"org","note","time","latest","index","body":...}]}
 * with times as RFC 3339 UTC in whole seconds; NULL when the store cannot
 * be read. */
json_t *views_things(store *s, ev_thing_kind kind, const char *id);

/* {<idkey>: id, "org", "status", <when>: time, "index", body fields...},
 * the optional body fields never given as null. */
json_t *views_flatten(const json_t *thing, const char *idkey, const char *when);

/* Sets to[key] = from[key] for each key of the NULL-ended keys. */
void views_copy_keys(json_t *to, const json_t *from, const char *const *keys);

/* A time field of a JSON object in ms; dflt when absent. */
int64_t views_ms(const json_t *obj, const char *key, int64_t dflt);
/* Whether [a0, a1) and [b0, b1) overlap. */
int views_overlap(int64_t a0, int64_t a1, int64_t b0, int64_t b1);
/* Appends fields (taken) with "kind" and "message" to the list of warnings. */
void views_warn(json_t *list, const char *kind, json_t *fields, const char *message);

/* The lists of force.c and disarmament.c from things already read
 * (views_things), so that views_force_stats reads each kind once.
 * weapons_of derives each weapon of ws in place before filtering. */
json_t *views_requirements_of(json_t *requirements, const json_t *pledges);
json_t *views_pledges_of(const json_t *pledges);
json_t *views_weapons_of(json_t *weapons, const char *status, const char *category,
                         const char *place);
json_t *views_benchmarks_of(json_t *benchmarks, const json_t *weapons, int64_t now_ms);

#endif
