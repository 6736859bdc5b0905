/*
 * things_stats.c: the public summaries of the things in GET /v1/stats
 * (docs/protocol.md): movements by status with the median time to
 * acknowledge; force generation (requirements, how many are covered, the
 * quantity required and uncovered, pledges not withdrawn and what they
 * have deployed); disarmament (records by status, the decommissioned
 * quantity, each benchmark's progress). Made from the same lists the read
 * API answers, so the figures agree with them.
 */
#include "views/things.h"

#include "common/mem.h"

#include <stdlib.h>
#include <string.h>

static int cmp_ll(const void *a, const void *b)
{
    const long long x = *(const long long *)a, y = *(const long long *)b;
    return x < y ? -1 : x > y;
}

json_t *views_movement_stats(store *s)
{
    json_t *ms = views_movements(s, NULL);
    if (!ms) return NULL;
    json_t *by = json_object();
    long long *ack = xcalloc(json_array_size(ms) + 1, sizeof *ack);
    size_t nack = 0;
    for (size_t i = 0; i < json_array_size(ms); i++) {
        const json_t *m = json_array_get(ms, i);
        const char *st = json_string_value(json_object_get(m, "status"));
        json_object_set_new(by, st, json_integer(json_integer_value(json_object_get(by, st)) + 1));
        const json_t *tta = json_object_get(m, "time_to_acknowledge_s");
        if (json_is_integer(tta)) ack[nack++] = json_integer_value(tta);
    }
    qsort(ack, nack, sizeof *ack, cmp_ll);
    json_t *mv =
        json_pack("{s:I,s:o}", "requested", (json_int_t)json_array_size(ms), "by_status", by);
    json_object_set_new(
        mv, "median_time_to_acknowledge_s",
        nack ? json_integer(nack % 2 ? ack[nack / 2] : (ack[nack / 2 - 1] + ack[nack / 2]) / 2)
             : json_null());
    free(ack);
    json_decref(ms);
    return mv;
}

json_t *views_force_stats(store *s, int64_t now_ms)
{
    json_t *rs = views_things(s, THING_REQUIREMENT, NULL),
           *ps = views_things(s, THING_PLEDGE, NULL), *ws = views_things(s, THING_WEAPON, NULL),
           *bs = views_things(s, THING_BENCHMARK, NULL);
    json_t *reqs = views_requirements_of(rs, ps), *pledges = views_pledges_of(ps);
    /* the benchmarks read the weapons as loaded, before weapons_of derives them */
    json_t *bms = views_benchmarks_of(bs, ws, now_ms),
           *weapons = views_weapons_of(ws, NULL, NULL, NULL);
    json_decref(rs);
    json_decref(ps);
    json_decref(ws);
    json_decref(bs);
    json_t *out = NULL;
    if (!reqs || !pledges || !weapons || !bms) goto done;
    long long required = 0, gap = 0, covered = 0, offered = 0, deployed = 0;
    for (size_t i = 0; i < json_array_size(reqs); i++) {
        const json_t *x = json_array_get(reqs, i);
        required += json_integer_value(json_object_get(x, "quantity"));
        gap += json_integer_value(json_object_get(x, "gap"));
        covered += json_integer_value(json_object_get(x, "gap")) == 0;
    }
    for (size_t i = 0; i < json_array_size(pledges); i++) {
        const json_t *p = json_array_get(pledges, i);
        if (strcmp(json_string_value(json_object_get(p, "status")), "withdrawn") == 0) continue;
        offered++;
        deployed +=
            json_integer_value(json_object_get(json_object_get(p, "deployment"), "deployed"));
    }
    json_t *by_status = json_object();
    long long decommissioned = 0;
    for (size_t i = 0; i < json_array_size(weapons); i++) {
        const json_t *w = json_array_get(weapons, i);
        const char *st = json_string_value(json_object_get(w, "status"));
        json_object_set_new(by_status, st,
                            json_integer(json_integer_value(json_object_get(by_status, st)) + 1));
        if (strcmp(st, "decommissioned") == 0)
            decommissioned += json_integer_value(json_object_get(w, "quantity"));
    }
    json_t *progress = json_array();
    for (size_t i = 0; i < json_array_size(bms); i++) {
        const json_t *b = json_array_get(bms, i);
        json_array_append_new(progress, json_pack("{s:O,s:O,s:O,s:O}", "benchmark",
                                                  json_object_get(b, "benchmark"), "progress",
                                                  json_object_get(b, "progress"), "due",
                                                  json_object_get(b, "due"), "overdue",
                                                  json_object_get(b, "overdue")));
    }
    out = json_pack("{s:{s:I,s:I,s:I,s:I,s:I,s:I},s:{s:I,s:o,s:I,s:o}}", "force", "requirements",
                    (json_int_t)json_array_size(reqs), "covered", (json_int_t)covered, "required",
                    (json_int_t)required, "gap", (json_int_t)gap, "pledges", (json_int_t)offered,
                    "deployed", (json_int_t)deployed, "disarmament", "records",
                    (json_int_t)json_array_size(weapons), "by_status", by_status,
                    "decommissioned_quantity", (json_int_t)decommissioned, "benchmarks", progress);
done:
    json_decref(reqs);
    json_decref(pledges);
    json_decref(weapons);
    json_decref(bms);
    return out;
}
