/*
 * incidents.c: incidents (docs/protocol.md section 3, "Incidents").
 *
 *   incident.report  any admitted org: what happened (category, severity,
 *                    when, a description), where (lat and lon together, or
 *                    a place), and what it touched (a consignment, a
 *                    movement, a site), each of which must exist
 *   incident.assess  coordinator, monitor or verifier: verified, unverified,
 *                    disputed or closed, with a note; the latest assessment
 *                    is the incident's status ("reported" until the first)
 */
#include "event/event.h"
#include "event/schema.h"
#include "event/things.h"

#include <stdio.h>
#include <string.h>

const char *const ev_incident_categories[] = {"convoy_attack",
                                              "looting",
                                              "interception",
                                              "access_denial",
                                              "ceasefire_violation",
                                              "uxo",
                                              "attack_on_site",
                                              "other",
                                              NULL};
const char *const ev_incident_severities[] = {"low", "medium", "high", "critical", NULL};
/* an incident's statuses: "reported" until incident.assess sets one of the
 * others (its body's "status" is one of ev_incident_statuses + 1) */
const char *const ev_incident_statuses[] = {"reported", "verified", "unverified",
                                            "disputed", "closed",   NULL};

static const ev_field report_body[] = {
    {.name = "incident", .type = FT_ID, .flags = FF_REQUIRED},
    {.name = "category", .type = FT_ENUM, .flags = FF_REQUIRED, .values = ev_incident_categories},
    {.name = "occurred", .type = FT_TIME, .flags = FF_REQUIRED},
    {.name = "severity", .type = FT_ENUM, .flags = FF_REQUIRED, .values = ev_incident_severities},
    {.name = "description", .type = FT_TEXT, .flags = FF_REQUIRED, .max = 4000},
    {.name = "lat", .type = FT_LAT},
    {.name = "lon", .type = FT_LON},
    {.name = "place", .type = FT_ID},
    {.name = "consignment", .type = FT_ID},
    {.name = "movement", .type = FT_ID},
    {.name = "site", .type = FT_ID},
    {0}};
static const ev_field assess_body[] = {
    {.name = "incident", .type = FT_ID, .flags = FF_REQUIRED},
    {.name = "status", .type = FT_ENUM, .flags = FF_REQUIRED, .values = ev_incident_statuses + 1},
    {.name = "note", .type = FT_TEXT, .max = 4000},
    {0}};

static int apply_report(const ev_ctx *c, ev_effects *fx, cm_error *err)
{
    const json_t *b = c->ev->body;
    const char *id = ev_str(b, "incident");
    if (ev_thing_new(c, THING_INCIDENT, id, "body.incident", err)) return -1;
    if (!json_object_get(b, "lat") != !json_object_get(b, "lon"))
        return cm_fail(err, CM_BAD_REQUEST, json_object_get(b, "lat") ? "body.lon" : "body.lat",
                       "give lat and lon together, or neither");
    if (ev_need_place(c, ev_str(b, "place"), "body.place", NULL, err) ||
        ev_need_consignment(c, ev_str(b, "consignment"), "body.consignment", NULL, err))
        return -1;
    static const struct {
        const char *key;
        ev_thing_kind kind;
    } refs[] = {{"movement", THING_MOVEMENT}, {"site", THING_SITE}};
    for (size_t i = 0; i < 2; i++) {
        const char *ref = ev_str(b, refs[i].key);
        if (!ref) continue;
        ev_thing_state ts;
        int r = ev_thing_get(c, refs[i].kind, ref, &ts, err);
        if (r < 0) return -1;
        json_decref(ts.body);
        if (!r) {
            char field[CM_FIELD_MAX];
            snprintf(field, sizeof field, "body.%s", refs[i].key);
            return cm_fail(err, CM_RULE_VIOLATION, field, "no %s \"%s\" exists", refs[i].key, ref);
        }
    }
    ev_fx_thing_put(fx, THING_INCIDENT, id, "reported", b);
    return 0;
}

static int apply_assess(const ev_ctx *c, ev_effects *fx, cm_error *err)
{
    const json_t *b = c->ev->body;
    const char *id = ev_str(b, "incident");
    ev_thing_state ts;
    int r = ev_thing_get(c, THING_INCIDENT, id, &ts, err);
    if (r < 0) return -1;
    json_decref(ts.body);
    if (!r)
        return cm_fail(err, CM_RULE_VIOLATION, "body.incident", "no incident \"%s\" was reported",
                       id);
    ev_fx_thing_status(fx, THING_INCIDENT, id, ev_str(b, "status"));
    ev_fx_thing_note(fx, THING_INCIDENT, id, "assessment", b, 0);
    return 0;
}

static const ev_type ev_incident_report = {"incident.report", 0, EV_AUTH_ANY, report_body,
                                           apply_report};
static const ev_type ev_incident_assess = {"incident.assess",
                                           ROLE_COORDINATOR | ROLE_MONITOR | ROLE_VERIFIER, 0,
                                           assess_body, apply_assess};

const ev_type *const ev_incidents_types[] = {&ev_incident_report, &ev_incident_assess, NULL};
