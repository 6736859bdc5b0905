/*
 * force.c: force generation (docs/protocol.md section 3, "Force generation"):
 * requirements the coordinator defines, pledges contributing nations offer
 * with their caveats, their deployments, and the gap analysis.
 *
 *   requirement.define  coordinator: capability, quantity, tasks, sector, needed_by
 *   pledge.offer        contributor: capability, quantity, personnel, readiness,
 *                       caveats, sectors, available_from..available_until
 *   pledge.update       the pledging org: the whole pledge again, replacing it
 *   pledge.withdraw     the pledging org, with a reason
 *   deployment.report   the pledging org: deployed (at most the pledged
 *                       quantity) in a sector, as of a time; the latest counts,
 *                       and no pledge.update may lower the quantity below it
 *
 * The vocabularies and the caveat table are here and nowhere else. The gap
 * analysis of a requirement (ev_gap_analysis) counts a pledge as eligible
 * when its capability matches, it is not withdrawn, no caveat of it
 * excludes a task or the sector of the requirement, and it is available by
 * needed_by (available_from at or before it, available_until, if any, not
 * before it). gap = required - eligible at level2 or above (level2, level3,
 * rapid: the UN PCRS levels above a bare pledge), never below zero. A
 * pledge counts toward every requirement it is eligible for; which
 * requirement it goes to is the force generators' decision.
 */
#include "event/force.h"
#include "event/event.h"
#include "event/schema.h"
#include "event/things.h"

#include <stdio.h>
#include <string.h>

const char *const ev_capabilities[] = {
    "infantry_battalion",      "infantry_company", "formed_police_unit",
    "military_police_company", "engineer_company", "eod_team",
    "medical_role1",           "medical_role2",    "logistics_company",
    "transport_company",       "aviation_utility", "signals_company",
    "staff_officers",          "liaison_team",     NULL};
const char *const ev_tasks[] = {"patrol",
                                "checkpoint_security",
                                "convoy_escort",
                                "crowd_control",
                                "site_protection",
                                "border_security",
                                "disarmament_enforcement",
                                "weapons_collection",
                                "route_clearance",
                                "medical_support",
                                "logistics_support",
                                "training",
                                NULL};
const char *const ev_readiness[] = {"level1", "level2", "level3", "rapid", NULL};

/* The caveats (docs/protocol.md), and beside each, in the same order, the tasks
 * it excludes; sector_restricted excludes requirements outside the pledge's
 * sectors instead. */
static const char *const caveat_names[] = {"no_direct_confrontation",
                                           "no_offensive_operations",
                                           "no_weapons_collection",
                                           "no_crowd_control",
                                           "static_only",
                                           "sector_restricted",
                                           NULL};
static const char *const caveat_excludes[][3] = {
    {"crowd_control", "disarmament_enforcement", NULL},
    {"disarmament_enforcement", NULL, NULL},
    {"weapons_collection", "disarmament_enforcement", NULL},
    {"crowd_control", NULL, NULL},
    {"patrol", "convoy_escort", NULL},
    {NULL, NULL, NULL},
};
#define N_CAVEATS (sizeof caveat_excludes / sizeof caveat_excludes[0])

static const ev_field task_item[] = {{.name = "task", .type = FT_ENUM, .values = ev_tasks}, {0}};
static const ev_field sector_item[] = {{.name = "sector", .type = FT_ID}, {0}};
static const ev_field caveat_item[] = {{.name = "caveat", .type = FT_ENUM, .values = caveat_names},
                                       {0}};

static const ev_field requirement_body[] = {
    {.name = "requirement", .type = FT_ID, .flags = FF_REQUIRED},
    {.name = "capability", .type = FT_ENUM, .flags = FF_REQUIRED, .values = ev_capabilities},
    {.name = "quantity", .type = FT_INT, .flags = FF_REQUIRED, .min = 1, .max = 100000},
    {.name = "tasks",
     .type = FT_ARRAY,
     .flags = FF_REQUIRED | FF_UNIQUE,
     .min = 1,
     .max = 12,
     .items = task_item},
    {.name = "sector", .type = FT_ID, .flags = FF_REQUIRED},
    {.name = "needed_by", .type = FT_TIME, .flags = FF_REQUIRED},
    {0}};
static const ev_field pledge_body[] = {
    {.name = "pledge", .type = FT_ID, .flags = FF_REQUIRED},
    {.name = "capability", .type = FT_ENUM, .flags = FF_REQUIRED, .values = ev_capabilities},
    {.name = "quantity", .type = FT_INT, .flags = FF_REQUIRED, .min = 1, .max = 100000},
    {.name = "personnel", .type = FT_INT, .flags = FF_REQUIRED, .max = 1000000},
    {.name = "readiness", .type = FT_ENUM, .flags = FF_REQUIRED, .values = ev_readiness},
    {.name = "caveats",
     .type = FT_ARRAY,
     .flags = FF_REQUIRED | FF_UNIQUE,
     .max = N_CAVEATS,
     .items = caveat_item},
    {.name = "sectors", .type = FT_ARRAY, .flags = FF_UNIQUE, .max = 100, .items = sector_item},
    {.name = "available_from", .type = FT_TIME, .flags = FF_REQUIRED},
    {.name = "available_until", .type = FT_TIME},
    {0}};
static const ev_field withdraw_body[] = {{.name = "pledge", .type = FT_ID, .flags = FF_REQUIRED},
                                         {.name = "reason", .type = FT_TEXT, .flags = FF_REQUIRED},
                                         {0}};
static const ev_field deployment_body[] = {
    {.name = "pledge", .type = FT_ID, .flags = FF_REQUIRED},
    {.name = "deployed", .type = FT_INT, .flags = FF_REQUIRED, .max = 100000},
    {.name = "sector", .type = FT_ID, .flags = FF_REQUIRED},
    {.name = "as_of", .type = FT_TIME, .flags = FF_REQUIRED},
    {0}};

static int apply_requirement(const ev_ctx *c, ev_effects *fx, cm_error *err)
{
    const char *id = ev_str(c->ev->body, "requirement");
    if (ev_thing_new(c, THING_REQUIREMENT, id, "body.requirement", err)) return -1;
    ev_fx_thing_put(fx, THING_REQUIREMENT, id, "open", c->ev->body);
    return 0;
}

static int apply_offer(const ev_ctx *c, ev_effects *fx, cm_error *err)
{
    const char *id = ev_str(c->ev->body, "pledge");
    if (ev_thing_new(c, THING_PLEDGE, id, "body.pledge", err) ||
        ev_time_order(c->ev->body, "available_from", "available_until", err))
        return -1;
    ev_fx_thing_put(fx, THING_PLEDGE, id, "offered", c->ev->body);
    return 0;
}

/* The signer's own pledge, not withdrawn. */
static int live_pledge(const ev_ctx *c, ev_thing_state *ts, cm_error *err)
{
    const char *id = ev_str(c->ev->body, "pledge");
    if (ev_thing_mine(c, THING_PLEDGE, id, "body.pledge", ts, err)) return -1;
    if (strcmp(ts->status, "withdrawn") == 0) {
        json_decref(ts->body);
        return cm_fail(err, CM_RULE_VIOLATION, "body.pledge", "pledge \"%s\" was withdrawn", id);
    }
    return 0;
}

/* An update may not take the quantity below what the latest deployment
 * report has deployed: deployed <= pledged holds at every position. */
static int update_keeps_deployed(const ev_ctx *c, const char *id, cm_error *err)
{
    json_t *last = NULL;
    int r = c->view->thing_note(c->view->ctx, THING_PLEDGE, id, "deployment", &last);
    if (r < 0) return ev_store_failed(err);
    if (r == 0) return 0;
    long long deployed = ev_int(last, "deployed", 0), quantity = ev_int(c->ev->body, "quantity", 0);
    json_decref(last);
    if (quantity < deployed)
        return cm_fail(err, CM_RULE_VIOLATION, "body.quantity",
                       "%lld are deployed under pledge \"%s\": report fewer deployed "
                       "(deployment.report) before lowering the pledge to %lld",
                       deployed, id, quantity);
    return 0;
}

static int apply_update(const ev_ctx *c, ev_effects *fx, cm_error *err)
{
    ev_thing_state ts;
    if (live_pledge(c, &ts, err)) return -1;
    json_decref(ts.body);
    if (ev_time_order(c->ev->body, "available_from", "available_until", err) ||
        update_keeps_deployed(c, ev_str(c->ev->body, "pledge"), err))
        return -1;
    ev_fx_thing_put(fx, THING_PLEDGE, ev_str(c->ev->body, "pledge"), "offered", c->ev->body);
    return 0;
}

static int apply_withdraw(const ev_ctx *c, ev_effects *fx, cm_error *err)
{
    ev_thing_state ts;
    if (live_pledge(c, &ts, err)) return -1;
    json_decref(ts.body);
    const char *id = ev_str(c->ev->body, "pledge");
    ev_fx_thing_status(fx, THING_PLEDGE, id, "withdrawn");
    ev_fx_thing_note(fx, THING_PLEDGE, id, "withdrawal", c->ev->body, 0);
    return 0;
}

static int apply_deployment(const ev_ctx *c, ev_effects *fx, cm_error *err)
{
    ev_thing_state ts;
    if (live_pledge(c, &ts, err)) return -1;
    long long pledged = ev_int(ts.body, "quantity", 0);
    json_decref(ts.body);
    long long deployed = ev_int(c->ev->body, "deployed", 0);
    if (deployed > pledged)
        return cm_fail(err, CM_RULE_VIOLATION, "body.deployed",
                       "%lld deployed is more than the %lld pledged", deployed, pledged);
    ev_fx_thing_note(fx, THING_PLEDGE, ev_str(c->ev->body, "pledge"), "deployment", c->ev->body, 1);
    return 0;
}

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
    for (size_t k = 0; k < N_CAVEATS; k++) {
        if (!in_list(cvs, caveat_names[k])) continue;
        if (strcmp(caveat_names[k], "sector_restricted") == 0) {
            const char *sector = ev_str(req, "sector");
            if (in_list(json_object_get(pledge, "sectors"), sector)) continue;
            snprintf(text, sizeof text,
                     "caveat sector_restricted: sector %s is not among its sectors", sector);
            *why = json_pack("{s:s,s:s,s:s,s:s}", "cause", "caveat", "caveat", caveat_names[k],
                             "sector", sector, "reason", text);
            return 1;
        }
        for (size_t t = 0; t < 3 && caveat_excludes[k][t]; t++)
            if (in_list(tasks, caveat_excludes[k][t])) {
                snprintf(text, sizeof text, "caveat %s excludes the task %s", caveat_names[k],
                         caveat_excludes[k][t]);
                *why = json_pack("{s:s,s:s,s:s,s:s}", "cause", "caveat", "caveat", caveat_names[k],
                                 "task", caveat_excludes[k][t], "reason", text);
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

void ev_gap_analysis(json_t *req, const json_t *pledges)
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

#define CONTRIB ROLE_CONTRIBUTOR

const ev_type ev_requirement_define = {"requirement.define", ROLE_COORDINATOR, 0, requirement_body,
                                       apply_requirement};
const ev_type ev_pledge_offer = {"pledge.offer", CONTRIB, 0, pledge_body, apply_offer};
const ev_type ev_pledge_update = {"pledge.update", CONTRIB, 0, pledge_body, apply_update};
const ev_type ev_pledge_withdraw = {"pledge.withdraw", CONTRIB, 0, withdraw_body, apply_withdraw};
const ev_type ev_deployment_report = {"deployment.report", CONTRIB, 0, deployment_body,
                                      apply_deployment};
