/*
 * disarmament.c: disarmament verification as the read API shows it (GET
 * /v1/weapons, /v1/benchmarks). A weapon record gains its current place
 * (the last move's, else the handover's), its attestations, its
 * destruction and whether a discrepancy is open (one at a stage not since
 * confirmed at that stage); a benchmark gains the decommissioned quantity
 * in its categories, its progress (that over the target, at most 1),
 * whether it is overdue (due before now and not reached) and its
 * assessments. Derived when read, never stored.
 */
#include "views/things.h"

#include "event/schema.h"
#include "event/things.h"

#include <string.h>

void views_weapon_derive(json_t *w)
{
    const json_t *b = json_object_get(w, "body"), *notes = json_object_get(w, "notes");
    json_t *place = json_incref(json_object_get(b, "place"));
    json_t *attestations = json_array(), *destruction = json_null();
    int open[2] = {0, 0}; /* a discrepancy not since confirmed, per stage */
    for (size_t i = 0; i < json_array_size(notes); i++) {
        const json_t *n = json_array_get(notes, i), *nb = json_object_get(n, "body");
        const char *kind = json_string_value(json_object_get(n, "note"));
        if (strcmp(kind, "move") == 0) {
            json_decref(place);
            place = json_incref(json_object_get(nb, "to_place"));
        } else if (strcmp(kind, "destruction") == 0) {
            json_decref(destruction);
            destruction = json_pack("{s:O,s:O,s:O,s:O}", "method", json_object_get(nb, "method"),
                                    "place", json_object_get(nb, "place"), "org",
                                    json_object_get(n, "org"), "time", json_object_get(n, "time"));
        } else if (strcmp(kind, "attestation") == 0) {
            int st = strcmp(ev_str(nb, "stage"), "destruction") == 0;
            open[st] = strcmp(ev_str(nb, "result"), "discrepancy") == 0;
            json_t *a =
                json_pack("{s:O,s:O,s:O,s:O}", "org", json_object_get(n, "org"), "stage",
                          json_object_get(nb, "stage"), "result", json_object_get(nb, "result"),
                          "time", json_object_get(n, "time"));
            if (json_object_get(nb, "note"))
                json_object_set(a, "note", json_object_get(nb, "note"));
            json_array_append_new(attestations, a);
        }
    }
    json_object_set_new(w, "current_place", place);
    json_object_set_new(w, "attestations", attestations);
    json_object_set_new(w, "destruction", destruction);
    json_object_set_new(w, "discrepancy", json_boolean(open[0] || open[1]));
}

void views_benchmark_derive(json_t *bm, const json_t *weapons, int64_t now_ms)
{
    const json_t *b = json_object_get(bm, "body");
    const json_t *cats = json_object_get(b, "categories");
    long long done = 0;
    for (size_t i = 0; i < json_array_size(weapons); i++) {
        const json_t *w = json_array_get(weapons, i), *wb = json_object_get(w, "body");
        if (strcmp(json_string_value(json_object_get(w, "status")), "decommissioned") != 0)
            continue;
        for (size_t k = 0; k < json_array_size(cats); k++)
            if (strcmp(json_string_value(json_array_get(cats, k)), ev_str(wb, "category")) == 0)
                done += ev_int(wb, "quantity", 0);
    }
    long long target = ev_int(b, "target", 1);
    double progress = (double)done / (double)(target ? target : 1);
    json_object_set_new(bm, "decommissioned", json_integer(done));
    json_object_set_new(bm, "progress", json_real(progress > 1 ? 1 : progress));
    json_object_set_new(bm, "overdue",
                        json_boolean(done < target && ev_time_of(b, "due", INT64_MAX) < now_ms));
    json_t *assessments = json_array();
    const json_t *notes = json_object_get(bm, "notes");
    for (size_t i = 0; i < json_array_size(notes); i++) {
        const json_t *n = json_array_get(notes, i);
        json_array_append_new(assessments,
                              json_pack("{s:O,s:O,s:O}", "org", json_object_get(n, "org"), "note",
                                        json_object_get(json_object_get(n, "body"), "note"), "time",
                                        json_object_get(n, "time")));
    }
    json_object_set_new(bm, "assessments", assessments);
}

/* Derives each weapon of ws in place (views_weapon_derive), then filters. */
json_t *views_weapons_of(json_t *ws, const char *status, const char *category, const char *place)
{
    json_t *out = ws ? json_array() : NULL;
    for (size_t i = 0; out && i < json_array_size(ws); i++) {
        json_t *w = json_array_get(ws, i);
        views_weapon_derive(w);
        const json_t *b = json_object_get(w, "body");
        if ((status && strcmp(json_string_value(json_object_get(w, "status")), status)) ||
            (category && strcmp(ev_str(b, "category"), category)) ||
            (place && strcmp(json_string_value(json_object_get(w, "current_place")), place)))
            continue;
        json_t *o = views_flatten(w, "record", "handed_over");
        static const char *const derived[] = {"current_place", "attestations", "destruction",
                                              "discrepancy", NULL};
        views_copy_keys(o, w, derived);
        json_array_append_new(out, o);
    }
    return out;
}

json_t *views_benchmarks_of(json_t *bs, const json_t *ws, int64_t now_ms)
{
    json_t *out = bs && ws ? json_array() : NULL;
    for (size_t i = 0; out && i < json_array_size(bs); i++) {
        json_t *b = json_array_get(bs, i);
        views_benchmark_derive(b, ws, now_ms);
        json_t *o = views_flatten(b, "benchmark", "defined");
        static const char *const derived[] = {"decommissioned", "progress", "overdue",
                                              "assessments", NULL};
        views_copy_keys(o, b, derived);
        json_array_append_new(out, o);
    }
    return out;
}

json_t *views_weapons(store *s, const char *status, const char *category, const char *place)
{
    json_t *ws = views_things(s, THING_WEAPON, NULL);
    json_t *out = views_weapons_of(ws, status, category, place);
    json_decref(ws);
    return out;
}

json_t *views_benchmarks(store *s, int64_t now_ms)
{
    json_t *bs = views_things(s, THING_BENCHMARK, NULL), *ws = views_things(s, THING_WEAPON, NULL);
    json_t *out = views_benchmarks_of(bs, ws, now_ms);
    json_decref(bs);
    json_decref(ws);
    return out;
}
