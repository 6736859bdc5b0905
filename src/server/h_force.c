/*
 * h_force.c: force generation and disarmament over HTTP.
 *
 *   GET /v1/requirements   each with its gap analysis
 *   GET /v1/pledges        each with its latest deployment
 *   GET /v1/weapons[?status=&category=&place=]   the register
 *   GET /v1/benchmarks[?at=<RFC 3339>]   progress, overdue flag (as of now,
 *                          or as of at), assessments
 *
 * The documents are the read model's (src/views/force.c, disarmament.c);
 * here only the query is checked.
 */
#include "server/handlers.h"

#include "views/views.h"

#include <stdint.h>

static const char *const weapon_statuses[] = {"registered", "verified", "destroyed",
                                              "decommissioned", NULL};

int h_requirements(srv_req *q, const char *path, srv_resp *r)
{
    return srv_answer_things(q, path, NULL, r);
}

int h_pledges(srv_req *q, const char *path, srv_resp *r)
{
    return srv_answer_things(q, path, NULL, r);
}

int h_weapons(srv_req *q, const char *path, srv_resp *r)
{
    views_query vq = {NULL, NULL, NULL, NULL, INT64_MIN, INT64_MAX};
    if (srv_query_choice(q, "status", weapon_statuses, &vq.status, r) ||
        srv_query_choice(q, "category", ev_weapon_categories, &vq.category, r) ||
        srv_query_id(q, "place", &vq.place, r))
        return 0;
    return srv_answer_things(q, path, &vq, r);
}

int h_benchmarks(srv_req *q, const char *path, srv_resp *r)
{
    int64_t at = INT64_MIN;
    if (srv_query_time(q, "at", &at, r)) return 0;
    if (at == INT64_MIN) return srv_answer_things(q, path, NULL, r);
    json_t *doc;
    cm_error err;
    if (views_things_doc(srv_reader(q->s), path, NULL, at, &doc, &err)) return srv_unavailable(r);
    srv_answer_json(r, doc);
    json_decref(doc);
    return 0;
}
