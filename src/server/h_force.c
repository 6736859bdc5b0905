/*
 * h_force.c: force generation and disarmament over HTTP.
 *
 *   GET /v1/requirements   each with its gap analysis
 *   GET /v1/pledges        each with its latest deployment
 *   GET /v1/weapons[?status=&category=&place=]   the register
 *   GET /v1/benchmarks     progress, overdue flag, assessments
 */
#include "server/handlers.h"

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
        srv_query_id(q, "place", &place, r))
        return 0;
    return srv_answer_list(r, "weapons",
                           srv_view_weapons(srv_reader(q->s), status, category, place));
}

int h_benchmarks(srv_req *q, const char *path, srv_resp *r)
{
    (void)path;
    return srv_answer_list(r, "benchmarks", srv_view_benchmarks(srv_reader(q->s), time_now_ms()));
}
