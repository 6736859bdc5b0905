/*
 * force.c: force generation as the read API shows it (GET
 * /v1/requirements, /v1/pledges): each requirement with its gap analysis,
 * each pledge with its latest deployment and its withdrawal.
 *
 * The gap analysis of a requirement counts a pledge as eligible when its
 * capability matches, it is not withdrawn, no caveat of it excludes a task
 * or the sector of the requirement (the caveat table is the rules',
 * event/force.h), and it is available by needed_by (available_from at or
 * before it, available_until, if any, not before it). gap = required -
 * eligible at level2 or above (level2, level3, rapid: the UN PCRS levels
 * above a bare pledge), never below zero. A pledge counts toward every
 * requirement it is eligible for; which requirement it goes to is the
 * force generators' decision. Derived when read, never stored.
 */
#include "views/things.h"

#include "event/force.h"
#include "event/schema.h"
#include "event/things.h"

#include <stdio.h>
#include <string.h>

/* ---- the gap analysis ------------------------------------------------------ */

static int in_list(const json_t *list, const char *s)
{
    for (size_t i = 0; i < json_array_size(list); i++)
        if (strcmp(json_string_value(json_array_get(list, i)), s) == 0) return 1;
    return 0;
}

/* Whether a pledge counts toward a requirement: -1 for another capability,
 * 0 when it counts, 1 when it does not, with *why set to why: {"cause",
 * its particulars, "reason" (the same in an English sentence)}. Causes:
 * withdrawn; caveat (with "caveat" and the "task" it excludes, or "sector"
 * for sector_restricted); available_from and available_until (with "date"). */
static int exclusion(const json_t *req, const json_t *pledge_status, const json_t *pledge,
                     json_t **why)
{
    if (strcmp(ev_str(pledge, "capability"), ev_str(req, "capability")) != 0) return -1;
    if (strcmp(json_string_value(pledge_status), "withdrawn") == 0) {
        *why = json_pack("{s:s,s:s}", "cause", "withdrawn", "reason", "withdrawn");
        return 1;
    }
    const json_t *tasks = json_object_get(req, "tasks");
    const json_t *cvs = json_object_get(pledge, "caveats");
    char text[200];
    for (size_t k = 0; ev_caveats[k]; k++) {
        if (!in_list(cvs, ev_caveats[k])) continue;
        if (strcmp(ev_caveats[k], "sector_restricted") == 0) {
            const char *sector = ev_str(req, "sector");
            if (in_list(json_object_get(pledge, "sectors"), sector)) continue;
            snprintf(text, sizeof text,
                     "caveat sector_restricted: sector %s is not among its sectors", sector);
            *why = json_pack("{s:s,s:s,s:s,s:s}", "cause", "caveat", "caveat", ev_caveats[k],
                             "sector", sector, "reason", text);
            return 1;
        }
        for (size_t t = 0; t < 3 && ev_caveat_excludes[k][t]; t++)
            if (in_list(tasks, ev_caveat_excludes[k][t])) {
                snprintf(text, sizeof text, "caveat %s excludes the task %s", ev_caveats[k],
                         ev_caveat_excludes[k][t]);
                *why = json_pack("{s:s,s:s,s:s,s:s}", "cause", "caveat", "caveat", ev_caveats[k],
                                 "task", ev_caveat_excludes[k][t], "reason", text);
                return 1;
            }
    }
    int64_t needed = ev_time_of(req, "needed_by", 0);
    const char *field, *date;
    if (ev_time_of(pledge, "available_from", 0) > needed) {
        field = "available_from";
        date = ev_str(pledge, field);
        snprintf(text, sizeof text, "available only from %s, after needed_by", date);
    } else if (ev_time_of(pledge, "available_until", INT64_MAX) < needed) {
        field = "available_until";
        date = ev_str(pledge, field);
        snprintf(text, sizeof text, "available only until %s, before needed_by", date);
    } else {
        return 0;
    }
    *why = json_pack("{s:s,s:s,s:s}", "cause", field, "date", date, "reason", text);
    return 1;
}

void views_gap_analysis(json_t *req, const json_t *pledges)
{
    const json_t *rb = json_object_get(req, "body");
    long long pledged = 0, deployed = 0, by_level[4] = {0};
    json_t *counted = json_array(), *excluded = json_array();
    for (size_t i = 0; i < json_array_size(pledges); i++) {
        const json_t *p = json_array_get(pledges, i), *pb = json_object_get(p, "body");
        json_t *why = NULL;
        int ex = exclusion(rb, json_object_get(p, "status"), pb, &why);
        if (ex < 0) continue; /* another capability */
        long long q = ev_int(pb, "quantity", 0);
        if (strcmp(json_string_value(json_object_get(p, "status")), "withdrawn") != 0) pledged += q;
        if (ex) {
            json_t *x = json_pack("{s:O,s:O}", "pledge", json_object_get(p, "id"), "org",
                                  json_object_get(p, "org"));
            json_object_update(x, why);
            json_decref(why);
            json_array_append_new(excluded, x);
            continue;
        }
        for (size_t l = 0; ev_readiness[l]; l++)
            if (strcmp(ev_str(pb, "readiness"), ev_readiness[l]) == 0) by_level[l] += q;
        json_array_append(counted, json_object_get(p, "id"));
        const json_t *notes = json_object_get(p, "notes");
        for (size_t k = 0; k < json_array_size(notes); k++) {
            const json_t *n = json_array_get(notes, k);
            if (json_integer_value(json_object_get(n, "latest")) == 1 &&
                strcmp(json_string_value(json_object_get(n, "note")), "deployment") == 0 &&
                strcmp(ev_str(json_object_get(n, "body"), "sector"), ev_str(rb, "sector")) == 0)
                deployed += ev_int(json_object_get(n, "body"), "deployed", 0);
        }
    }
    long long required = ev_int(rb, "quantity", 0);
    long long ready = by_level[1] + by_level[2] + by_level[3];
    json_object_set_new(req, "pledged", json_integer(pledged));
    json_object_set_new(req, "eligible",
                        json_pack("{s:I,s:I,s:I,s:I}", "level1", (json_int_t)by_level[0], "level2",
                                  (json_int_t)by_level[1], "level3", (json_int_t)by_level[2],
                                  "rapid", (json_int_t)by_level[3]));
    json_object_set_new(req, "eligible_level2_or_above", json_integer(ready));
    json_object_set_new(req, "deployed", json_integer(deployed));
    json_object_set_new(req, "gap", json_integer(required > ready ? required - ready : 0));
    json_object_set_new(req, "counted", counted);
    json_object_set_new(req, "excluded", excluded);
}

json_t *views_requirements_of(json_t *rs, const json_t *ps)
{
    json_t *out = rs && ps ? json_array() : NULL;
    for (size_t i = 0; out && i < json_array_size(rs); i++) {
        json_t *r = json_array_get(rs, i);
        views_gap_analysis(r, ps);
        json_t *o = views_flatten(r, "requirement", "defined");
        static const char *const derived[] = {"pledged",  "eligible", "eligible_level2_or_above",
                                              "deployed", "gap",      "counted",
                                              "excluded", NULL};
        views_copy_keys(o, r, derived);
        json_array_append_new(out, o);
    }
    return out;
}

json_t *views_pledges_of(const json_t *ps)
{
    json_t *out = ps ? json_array() : NULL;
    for (size_t i = 0; out && i < json_array_size(ps); i++) {
        const json_t *p = json_array_get(ps, i), *notes = json_object_get(p, "notes");
        json_t *o = views_flatten(p, "pledge", "offered");
        json_t *deployment = json_null(), *withdrawal = json_null();
        for (size_t k = 0; k < json_array_size(notes); k++) {
            const json_t *n = json_array_get(notes, k), *nb = json_object_get(n, "body");
            const char *kind = json_string_value(json_object_get(n, "note"));
            if (strcmp(kind, "deployment") == 0 &&
                json_integer_value(json_object_get(n, "latest"))) {
                json_decref(deployment);
                deployment = json_pack("{s:O,s:O,s:O}", "deployed", json_object_get(nb, "deployed"),
                                       "sector", json_object_get(nb, "sector"), "as_of",
                                       json_object_get(nb, "as_of"));
            } else if (strcmp(kind, "withdrawal") == 0) {
                json_decref(withdrawal);
                withdrawal = json_pack("{s:O,s:O}", "reason", json_object_get(nb, "reason"), "time",
                                       json_object_get(n, "time"));
            }
        }
        json_object_set_new(o, "deployment", deployment);
        json_object_set_new(o, "withdrawal", withdrawal);
        json_array_append_new(out, o);
    }
    return out;
}

json_t *views_requirements(store *s)
{
    json_t *rs = views_things(s, THING_REQUIREMENT, NULL),
           *ps = views_things(s, THING_PLEDGE, NULL);
    json_t *out = views_requirements_of(rs, ps);
    json_decref(rs);
    json_decref(ps);
    return out;
}

json_t *views_pledges(store *s)
{
    json_t *ps = views_things(s, THING_PLEDGE, NULL);
    json_t *out = views_pledges_of(ps);
    json_decref(ps);
    return out;
}
