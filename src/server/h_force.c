/*
 * h_force.c: force generation and disarmament over HTTP.
 *
 *   GET /v1/requirements   each with its gap analysis
 *   GET /v1/pledges        each with its latest deployment
 *   GET /v1/weapons[?status=&category=&place=]   the register
 *   GET /v1/benchmarks     progress, overdue flag, assessments
 */
#include "server/srv_int.h"

#include "common/timeutil.h"

#include <stdlib.h>
#include <string.h>

static const char *const weapon_statuses[] = {"registered", "verified", "destroyed",
                                              "decommissioned", NULL};

int h_requirements(srv_req *q, const char *path, srv_resp *r)
{
    (void)path;
    return srv_answer_list(r, "requirements", srv_view_requirements(srv_reader(q->s)));
}

int h_pledges(srv_req *q, const char *path, srv_resp *r)
{
    (void)path;
    return srv_answer_list(r, "pledges", srv_view_pledges(srv_reader(q->s)));
}

int h_weapons(srv_req *q, const char *path, srv_resp *r)
{
    (void)path;
    const char *status, *category, *place;
    if (srv_query_choice(q, "status", weapon_statuses, &status, r) ||
        srv_query_choice(q, "category", ev_weapon_categories, &category, r) ||
        srv_query_choice(q, "place", NULL, &place, r))
        return 0;
    return srv_answer_list(r, "weapons",
                           srv_view_weapons(srv_reader(q->s), status, category, place));
}

int h_benchmarks(srv_req *q, const char *path, srv_resp *r)
{
    (void)path;
    return srv_answer_list(r, "benchmarks", srv_view_benchmarks(srv_reader(q->s), time_now_ms()));
}

json_t *srv_force_stats(store *rd, int64_t now_ms)
{
    srv_force_views v;
    if (srv_view_force(rd, now_ms, &v)) return NULL;
    const json_t *reqs = v.requirements, *pledges = v.pledges, *weapons = v.weapons,
                 *bms = v.benchmarks;
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
    json_t *out =
        json_pack("{s:{s:I,s:I,s:I,s:I,s:I,s:I},s:{s:I,s:o,s:I,s:o}}", "force", "requirements",
                  (json_int_t)json_array_size(reqs), "covered", (json_int_t)covered, "required",
                  (json_int_t)required, "gap", (json_int_t)gap, "pledges", (json_int_t)offered,
                  "deployed", (json_int_t)deployed, "disarmament", "records",
                  (json_int_t)json_array_size(weapons), "by_status", by_status,
                  "decommissioned_quantity", (json_int_t)decommissioned, "benchmarks", progress);
    srv_force_views_free(&v);
    return out;
}
