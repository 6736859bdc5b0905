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
 * The vocabularies and the caveat table are here and nowhere else; the
 * gap analysis, which reads the caveat table (force.h), is derived when
 * requirements are read (src/views/force.c).
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
const char *const ev_caveats[] = {"no_direct_confrontation",
                                  "no_offensive_operations",
                                  "no_weapons_collection",
                                  "no_crowd_control",
                                  "static_only",
                                  "sector_restricted",
                                  NULL};
const char *const ev_caveat_excludes[][3] = {
    {"crowd_control", "disarmament_enforcement", NULL},
    {"disarmament_enforcement", NULL, NULL},
    {"weapons_collection", "disarmament_enforcement", NULL},
    {"crowd_control", NULL, NULL},
    {"patrol", "convoy_escort", NULL},
    {NULL, NULL, NULL},
};
#define N_CAVEATS (sizeof ev_caveat_excludes / sizeof ev_caveat_excludes[0])

static const ev_field task_item[] = {{.name = "task", .type = FT_ENUM, .values = ev_tasks}, {0}};
static const ev_field sector_item[] = {{.name = "sector", .type = FT_ID}, {0}};
static const ev_field caveat_item[] = {{.name = "caveat", .type = FT_ENUM, .values = ev_caveats},
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

#define CONTRIB ROLE_CONTRIBUTOR

static const ev_type ev_requirement_define = {"requirement.define", ROLE_COORDINATOR, 0,
                                              requirement_body, apply_requirement};
static const ev_type ev_pledge_offer = {"pledge.offer", CONTRIB, 0, pledge_body, apply_offer};
static const ev_type ev_pledge_update = {"pledge.update", CONTRIB, 0, pledge_body, apply_update};
static const ev_type ev_pledge_withdraw = {"pledge.withdraw", CONTRIB, 0, withdraw_body,
                                           apply_withdraw};
static const ev_type ev_deployment_report = {"deployment.report", CONTRIB, 0, deployment_body,
                                             apply_deployment};

const ev_type *const ev_force_types[] = {&ev_requirement_define, &ev_pledge_offer,
                                         &ev_pledge_update,      &ev_pledge_withdraw,
                                         &ev_deployment_report,  NULL};
