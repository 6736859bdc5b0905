/*
 * deconfliction.c: humanitarian notification (docs/protocol.md section 3,
 * "Deconfliction"): sites notified by humanitarian orgs, zones declared by
 * military ones, and movements requested, answered and reported.
 *
 *   site.notify       humanitarian: a new site (kind, position, radius, from..until)
 *   site.withdraw     the notifying org: the site is no longer notified
 *   zone.declare      military: a new zone, a simple polygon of 3..1000 vertices
 *   zone.lift         the declaring org
 *   movement.request  humanitarian: route of 2..1000 points, window_end after
 *                     window_start, consignments and places that exist
 *   movement.respond  military: acknowledged, denied (with a reason) or
 *                     conditional; each military org's latest answer counts
 *   movement.report   the requesting org, once: completed, impeded, aborted,
 *                     cancelled
 *
 * A movement's status and warnings, and a site's warnings, are derived
 * when read (src/views/movements.c, deconfliction.c):
 * they depend on which military orgs are active and which zones are in
 * force, which later events change.
 */
#include "event/event.h"
#include "event/geo.h"
#include "event/schema.h"
#include "event/things.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *const site_kinds[] = {
    "hospital",           "clinic",      "shelter", "school", "warehouse", "office",
    "distribution_point", "water_point", "other",   NULL};
static const char *const zone_kinds[] = {"restricted", "closed", "hazard", NULL};
static const char *const decisions[] = {"acknowledged", "denied", "conditional", NULL};
static const char *const outcomes[] = {"completed", "impeded", "aborted", "cancelled", NULL};

static const ev_field site_body[] = {
    {.name = "site", .type = FT_ID, .flags = FF_REQUIRED},
    {.name = "kind", .type = FT_ENUM, .flags = FF_REQUIRED, .values = site_kinds},
    {.name = "name", .type = FT_TEXT, .flags = FF_REQUIRED, .max = 200},
    {.name = "lat", .type = FT_LAT, .flags = FF_REQUIRED},
    {.name = "lon", .type = FT_LON, .flags = FF_REQUIRED},
    {.name = "radius_m", .type = FT_INT, .max = 100000},
    {.name = "from", .type = FT_TIME, .flags = FF_REQUIRED},
    {.name = "until", .type = FT_TIME},
    {0}};
static const ev_field site_withdraw_body[] = {{.name = "site", .type = FT_ID, .flags = FF_REQUIRED},
                                              {0}};
static const ev_field zone_body[] = {
    {.name = "zone", .type = FT_ID, .flags = FF_REQUIRED},
    {.name = "kind", .type = FT_ENUM, .flags = FF_REQUIRED, .values = zone_kinds},
    {.name = "polygon", .type = FT_POINTS, .flags = FF_REQUIRED, .min = 3, .max = 1000},
    {.name = "from", .type = FT_TIME, .flags = FF_REQUIRED},
    {.name = "until", .type = FT_TIME},
    {0}};
static const ev_field zone_lift_body[] = {{.name = "zone", .type = FT_ID, .flags = FF_REQUIRED},
                                          {0}};
static const ev_field id_item[] = {{.name = "id", .type = FT_ID}, {0}};
static const ev_field request_body[] = {
    {.name = "movement", .type = FT_ID, .flags = FF_REQUIRED},
    {.name = "purpose", .type = FT_TEXT, .flags = FF_REQUIRED},
    {.name = "route", .type = FT_POINTS, .flags = FF_REQUIRED, .min = 2, .max = 1000},
    {.name = "window_start", .type = FT_TIME, .flags = FF_REQUIRED},
    {.name = "window_end", .type = FT_TIME, .flags = FF_REQUIRED},
    {.name = "vehicles", .type = FT_INT, .flags = FF_REQUIRED, .min = 1, .max = 10000},
    {.name = "consignments", .type = FT_ARRAY, .flags = FF_UNIQUE, .max = 100, .items = id_item},
    {.name = "from_place", .type = FT_ID},
    {.name = "to_place", .type = FT_ID},
    {0}};
static const ev_field respond_body[] = {
    {.name = "movement", .type = FT_ID, .flags = FF_REQUIRED},
    {.name = "decision", .type = FT_ENUM, .flags = FF_REQUIRED, .values = decisions},
    {.name = "reason", .type = FT_TEXT},
    {.name = "conditions", .type = FT_TEXT},
    {0}};
static const ev_field report_body[] = {
    {.name = "movement", .type = FT_ID, .flags = FF_REQUIRED},
    {.name = "outcome", .type = FT_ENUM, .flags = FF_REQUIRED, .values = outcomes},
    {.name = "reason", .type = FT_TEXT},
    {.name = "incident", .type = FT_ID},
    {0}};

static int apply_site_notify(const ev_ctx *c, ev_effects *fx, cm_error *err)
{
    const json_t *b = c->ev->body;
    const char *id = ev_str(b, "site");
    if (ev_thing_new(c, THING_SITE, id, "body.site", err) || ev_time_order(b, "from", "until", err))
        return -1;
    ev_fx_thing_put(fx, THING_SITE, id, "active", b);
    return 0;
}

static int apply_site_withdraw(const ev_ctx *c, ev_effects *fx, cm_error *err)
{
    const char *id = ev_str(c->ev->body, "site");
    ev_thing_state ts;
    if (ev_thing_mine(c, THING_SITE, id, "body.site", &ts, err)) return -1;
    json_decref(ts.body);
    if (strcmp(ts.status, "withdrawn") == 0)
        return cm_fail(err, CM_RULE_VIOLATION, "body.site", "site \"%s\" is already withdrawn", id);
    ev_fx_thing_status(fx, THING_SITE, id, "withdrawn");
    return 0;
}

static int apply_zone_declare(const ev_ctx *c, ev_effects *fx, cm_error *err)
{
    const json_t *b = c->ev->body;
    const char *id = ev_str(b, "zone");
    if (ev_thing_new(c, THING_ZONE, id, "body.zone", err) || ev_time_order(b, "from", "until", err))
        return -1;
    size_t n, bad = 0;
    geo_point *poly = ev_points(b, "polygon", &n);
    int simple = geo_polygon_simple(poly, n, &bad);
    free(poly);
    if (!simple) {
        char field[CM_FIELD_MAX];
        snprintf(field, sizeof field, "body.polygon[%zu]", bad);
        return cm_fail(err, CM_BAD_REQUEST, field,
                       "the polygon is not simple: its edges cross or touch, a vertex repeats, "
                       "or it has no area (check the vertex order)");
    }
    ev_fx_thing_put(fx, THING_ZONE, id, "active", b);
    return 0;
}

static int apply_zone_lift(const ev_ctx *c, ev_effects *fx, cm_error *err)
{
    const char *id = ev_str(c->ev->body, "zone");
    ev_thing_state ts;
    if (ev_thing_mine(c, THING_ZONE, id, "body.zone", &ts, err)) return -1;
    json_decref(ts.body);
    if (strcmp(ts.status, "lifted") == 0)
        return cm_fail(err, CM_RULE_VIOLATION, "body.zone", "zone \"%s\" is already lifted", id);
    ev_fx_thing_status(fx, THING_ZONE, id, "lifted");
    return 0;
}

static int apply_movement_request(const ev_ctx *c, ev_effects *fx, cm_error *err)
{
    const json_t *b = c->ev->body;
    const char *id = ev_str(b, "movement");
    if (ev_thing_new(c, THING_MOVEMENT, id, "body.movement", err)) return -1;
    if (ev_time_order(b, "window_start", "window_end", err)) return -1;
    if (ev_need_place(c, ev_str(b, "from_place"), "body.from_place", NULL, err) ||
        ev_need_place(c, ev_str(b, "to_place"), "body.to_place", NULL, err))
        return -1;
    const json_t *cs = json_object_get(b, "consignments");
    for (size_t i = 0; i < json_array_size(cs); i++) {
        char field[CM_FIELD_MAX];
        snprintf(field, sizeof field, "body.consignments[%zu]", i);
        if (ev_need_consignment(c, json_string_value(json_array_get(cs, i)), field, NULL, err))
            return -1;
    }
    ev_fx_thing_put(fx, THING_MOVEMENT, id, "requested", b);
    return 0;
}

static int apply_movement_respond(const ev_ctx *c, ev_effects *fx, cm_error *err)
{
    const json_t *b = c->ev->body;
    const char *id = ev_str(b, "movement");
    ev_thing_state ts;
    int r = ev_thing_get(c, THING_MOVEMENT, id, &ts, err);
    if (r < 0) return -1;
    json_decref(ts.body);
    if (r == 0)
        return cm_fail(err, CM_RULE_VIOLATION, "body.movement", "no movement \"%s\" was requested",
                       id);
    if (strcmp(ts.status, "requested") != 0)
        return cm_fail(err, CM_RULE_VIOLATION, "body.movement",
                       "movement \"%s\" was already reported %s: it takes no more answers", id,
                       ts.status);
    if (strcmp(ev_str(b, "decision"), "denied") == 0 && !ev_str(b, "reason"))
        return cm_fail(err, CM_RULE_VIOLATION, "body.reason", "a denial needs a reason");
    ev_fx_thing_note(fx, THING_MOVEMENT, id, "response", b, 1);
    return 0;
}

static int apply_movement_report(const ev_ctx *c, ev_effects *fx, cm_error *err)
{
    const json_t *b = c->ev->body;
    const char *id = ev_str(b, "movement");
    ev_thing_state ts;
    if (ev_thing_mine(c, THING_MOVEMENT, id, "body.movement", &ts, err)) return -1;
    json_decref(ts.body);
    if (strcmp(ts.status, "requested") != 0)
        return cm_fail(err, CM_RULE_VIOLATION, "body.movement",
                       "movement \"%s\" was already reported %s", id, ts.status);
    ev_fx_thing_status(fx, THING_MOVEMENT, id, ev_str(b, "outcome"));
    ev_fx_thing_note(fx, THING_MOVEMENT, id, "report", b, 0);
    /* the military orgs whose answers counted, frozen with the report, so
     * that orgs admitted or suspended later do not change a closed record */
    char mil[64][EV_ID_MAX + 1];
    size_t n = 0;
    if (c->view->orgs_with_role(c->view->ctx, ROLE_MILITARY, mil, 64, &n) < 0)
        return ev_store_failed(err);
    json_t *list = json_array();
    for (size_t i = 0; i < n; i++) json_array_append_new(list, json_string(mil[i]));
    ev_fx_thing_note(fx, THING_MOVEMENT, id, "military", list, 0);
    fx->v[fx->n - 1].owned = list;
    return 0;
}

#define HUM ROLE_HUMANITARIAN
#define MIL ROLE_MILITARY

static const ev_type ev_site_notify = {"site.notify", HUM, 0, site_body, apply_site_notify};
static const ev_type ev_site_withdraw = {"site.withdraw", HUM, 0, site_withdraw_body,
                                         apply_site_withdraw};
static const ev_type ev_zone_declare = {"zone.declare", MIL, 0, zone_body, apply_zone_declare};
static const ev_type ev_zone_lift = {"zone.lift", MIL, 0, zone_lift_body, apply_zone_lift};
static const ev_type ev_movement_request = {"movement.request", HUM, 0, request_body,
                                            apply_movement_request};
static const ev_type ev_movement_respond = {"movement.respond", MIL, 0, respond_body,
                                            apply_movement_respond};
static const ev_type ev_movement_report = {"movement.report", HUM, 0, report_body,
                                           apply_movement_report};

const ev_type *const ev_deconfliction_types[] = {
    &ev_site_notify,      &ev_site_withdraw,    &ev_zone_declare,    &ev_zone_lift,
    &ev_movement_request, &ev_movement_respond, &ev_movement_report, NULL};
