/*
 * disarmament.c: disarmament verification (docs/protocol.md section 3,
 * "Disarmament verification"): weapon records, their attestations by a
 * second organization, their destruction, and benchmarks.
 *
 *   weapon.handover   verifier: a new record at a collection point or depot;
 *                     a serialized item has quantity 1; the same (category,
 *                     make, serial) twice is a recycled weapon: conflict
 *   weapon.attest     a verifier of another org than the record's: handover
 *                     or destruction, confirmed or a discrepancy
 *   weapon.move       verifier: to a depot (not once destroyed)
 *   weapon.destroy    verifier: once the handover is confirmed
 *   benchmark.define  coordinator: categories, target, due
 *   benchmark.assess  verifier or monitor: a note
 *
 * A record's status moves only in weapon_next (one place):
 *
 *   registered --attest handover confirmed--> verified --destroy--> destroyed
 *   destroyed --attest destruction confirmed--> decommissioned
 *
 * A discrepancy changes no status: it holds the record where it is, and
 * shows as open until a later confirmation of that stage. What is derived
 * when records and benchmarks are read (a record's place, attestations and
 * open discrepancy; a benchmark's progress) is src/views/disarmament.c's.
 */
#include "event/event.h"
#include "event/schema.h"
#include "event/things.h"

#include <stdio.h>
#include <string.h>

const char *const ev_weapon_categories[] = {
    "small_arm", "light_weapon", "heavy_weapon", "ammunition", "explosive",
    "rocket",    "launcher",     "uav",          "other",      NULL};
static const char *const stages[] = {"handover", "destruction", NULL};
static const char *const results[] = {"confirmed", "discrepancy", NULL};
static const char *const methods[] = {"cutting",    "crushing", "burning",
                                      "detonation", "other",    NULL};

static const ev_field handover_body[] = {
    {.name = "record", .type = FT_ID, .flags = FF_REQUIRED},
    {.name = "category", .type = FT_ENUM, .flags = FF_REQUIRED, .values = ev_weapon_categories},
    {.name = "description", .type = FT_TEXT, .flags = FF_REQUIRED},
    {.name = "quantity", .type = FT_INT, .flags = FF_REQUIRED, .min = 1},
    {.name = "place", .type = FT_ID, .flags = FF_REQUIRED},
    {.name = "make", .type = FT_TEXT, .max = 100},
    {.name = "model", .type = FT_TEXT, .max = 100},
    {.name = "calibre", .type = FT_TEXT, .max = 100},
    {.name = "serial", .type = FT_TEXT, .max = 100},
    {.name = "lot", .type = FT_TEXT, .max = 100},
    {0}};
static const ev_field attest_body[] = {
    {.name = "record", .type = FT_ID, .flags = FF_REQUIRED},
    {.name = "stage", .type = FT_ENUM, .flags = FF_REQUIRED, .values = stages},
    {.name = "result", .type = FT_ENUM, .flags = FF_REQUIRED, .values = results},
    {.name = "note", .type = FT_TEXT},
    {0}};
static const ev_field move_body[] = {{.name = "record", .type = FT_ID, .flags = FF_REQUIRED},
                                     {.name = "to_place", .type = FT_ID, .flags = FF_REQUIRED},
                                     {0}};
static const ev_field destroy_body[] = {
    {.name = "record", .type = FT_ID, .flags = FF_REQUIRED},
    {.name = "method", .type = FT_ENUM, .flags = FF_REQUIRED, .values = methods},
    {.name = "place", .type = FT_ID, .flags = FF_REQUIRED},
    {0}};
static const ev_field category_item[] = {
    {.name = "category", .type = FT_ENUM, .values = ev_weapon_categories}, {0}};
static const ev_field benchmark_body[] = {
    {.name = "benchmark", .type = FT_ID, .flags = FF_REQUIRED},
    {.name = "description", .type = FT_TEXT, .flags = FF_REQUIRED},
    {.name = "categories",
     .type = FT_ARRAY,
     .flags = FF_REQUIRED | FF_UNIQUE,
     .min = 1,
     .max = 9,
     .items = category_item},
    {.name = "target", .type = FT_INT, .flags = FF_REQUIRED, .min = 1},
    {.name = "due", .type = FT_TIME, .flags = FF_REQUIRED},
    {0}};
static const ev_field assess_body[] = {
    {.name = "benchmark", .type = FT_ID, .flags = FF_REQUIRED},
    {.name = "note", .type = FT_TEXT, .flags = FF_REQUIRED, .max = 4000},
    {0}};

/* The status a record moves to on an event ("destroy", or an attestation
 * "handover"/"destruction" confirmed), or NULL when the event does not
 * move it. The one place where a record's status changes. */
static const char *weapon_next(const char *status, const char *event)
{
    if (strcmp(event, "handover") == 0 && strcmp(status, "registered") == 0) return "verified";
    if (strcmp(event, "destroy") == 0 && strcmp(status, "verified") == 0) return "destroyed";
    if (strcmp(event, "destruction") == 0 && strcmp(status, "destroyed") == 0)
        return "decommissioned";
    return NULL;
}

static int apply_handover(const ev_ctx *c, ev_effects *fx, cm_error *err)
{
    const json_t *b = c->ev->body;
    const char *id = ev_str(b, "record"), *serial = ev_str(b, "serial");
    if (ev_thing_new(c, THING_WEAPON, id, "body.record", err) ||
        ev_need_place_kind(c, ev_str(b, "place"), "body.place", "collection_point", "depot", err))
        return -1;
    if (serial) {
        if (ev_int(b, "quantity", 0) != 1)
            return cm_fail(err, CM_RULE_VIOLATION, "body.quantity",
                           "a serialized item is one item: quantity must be 1");
        const char *category = ev_str(b, "category"), *make = ev_str(b, "make");
        char other[EV_ID_MAX + 1];
        int r = c->view->weapon_by_serial(c->view->ctx, category, make, serial, other);
        if (r < 0) return ev_store_failed(err);
        if (r == 1)
            return cm_fail(err, CM_CONFLICT, "body.serial",
                           "this %s (make %s, serial %s) was already handed over as record %s: a "
                           "recycled weapon",
                           category, make ? make : "unknown", serial, other);
    }
    ev_fx_thing_put(fx, THING_WEAPON, id, "registered", b);
    return 0;
}

static int record_of(const ev_ctx *c, ev_thing_state *ts, cm_error *err)
{
    const char *id = ev_str(c->ev->body, "record");
    int r = ev_thing_get(c, THING_WEAPON, id, ts, err);
    if (r < 0) return -1;
    if (r == 0)
        return cm_fail(err, CM_RULE_VIOLATION, "body.record", "no weapon record \"%s\" exists", id);
    return 0;
}

static int apply_attest(const ev_ctx *c, ev_effects *fx, cm_error *err)
{
    const json_t *b = c->ev->body;
    const char *id = ev_str(b, "record"), *stage = ev_str(b, "stage");
    ev_thing_state ts;
    if (record_of(c, &ts, err)) return -1;
    json_decref(ts.body);
    if (strcmp(ts.org, c->ev->org) == 0)
        return cm_fail(err, CM_FORBIDDEN, "org",
                       "record \"%s\" was registered by \"%s\": a verifier of another org must "
                       "attest it",
                       id, ts.org);
    if (strcmp(stage, "destruction") == 0 && strcmp(ts.status, "destroyed") != 0 &&
        strcmp(ts.status, "decommissioned") != 0)
        return cm_fail(err, CM_RULE_VIOLATION, "body.stage",
                       "record \"%s\" is %s: there is no destruction to attest yet", id, ts.status);
    const char *next =
        strcmp(ev_str(b, "result"), "confirmed") == 0 ? weapon_next(ts.status, stage) : NULL;
    if (next) ev_fx_thing_status(fx, THING_WEAPON, id, next);
    ev_fx_thing_note(fx, THING_WEAPON, id, "attestation", b, 0);
    return 0;
}

static int apply_move(const ev_ctx *c, ev_effects *fx, cm_error *err)
{
    const json_t *b = c->ev->body;
    ev_thing_state ts;
    if (record_of(c, &ts, err)) return -1;
    json_decref(ts.body);
    if (strcmp(ts.status, "destroyed") == 0 || strcmp(ts.status, "decommissioned") == 0)
        return cm_fail(err, CM_RULE_VIOLATION, "body.record", "record \"%s\" was destroyed",
                       ev_str(b, "record"));
    if (ev_need_place_kind(c, ev_str(b, "to_place"), "body.to_place", "depot", NULL, err))
        return -1;
    ev_fx_thing_note(fx, THING_WEAPON, ev_str(b, "record"), "move", b, 0);
    return 0;
}

static int apply_destroy(const ev_ctx *c, ev_effects *fx, cm_error *err)
{
    const json_t *b = c->ev->body;
    const char *id = ev_str(b, "record");
    ev_thing_state ts;
    if (record_of(c, &ts, err)) return -1;
    json_decref(ts.body);
    const char *next = weapon_next(ts.status, "destroy");
    if (!next && strcmp(ts.status, "registered") == 0)
        return cm_fail(err, CM_RULE_VIOLATION, "body.record",
                       "record \"%s\" is not verified: another org must confirm the handover "
                       "before destruction",
                       id);
    if (!next)
        return cm_fail(err, CM_RULE_VIOLATION, "body.record", "record \"%s\" was already %s", id,
                       ts.status);
    if (ev_need_place(c, ev_str(b, "place"), "body.place", NULL, err)) return -1;
    ev_fx_thing_status(fx, THING_WEAPON, id, next);
    ev_fx_thing_note(fx, THING_WEAPON, id, "destruction", b, 0);
    return 0;
}

static int apply_benchmark(const ev_ctx *c, ev_effects *fx, cm_error *err)
{
    const char *id = ev_str(c->ev->body, "benchmark");
    if (ev_thing_new(c, THING_BENCHMARK, id, "body.benchmark", err)) return -1;
    ev_fx_thing_put(fx, THING_BENCHMARK, id, "defined", c->ev->body);
    return 0;
}

static int apply_assess(const ev_ctx *c, ev_effects *fx, cm_error *err)
{
    const char *id = ev_str(c->ev->body, "benchmark");
    ev_thing_state ts;
    int r = ev_thing_get(c, THING_BENCHMARK, id, &ts, err);
    if (r < 0) return -1;
    json_decref(ts.body);
    if (!r)
        return cm_fail(err, CM_RULE_VIOLATION, "body.benchmark", "no benchmark \"%s\" is defined",
                       id);
    ev_fx_thing_note(fx, THING_BENCHMARK, id, "assessment", c->ev->body, 0);
    return 0;
}

#define VER ROLE_VERIFIER

static const ev_type ev_weapon_handover = {"weapon.handover", VER, 0, handover_body,
                                           apply_handover};
static const ev_type ev_weapon_attest = {"weapon.attest", VER, 0, attest_body, apply_attest};
static const ev_type ev_weapon_move = {"weapon.move", VER, 0, move_body, apply_move};
static const ev_type ev_weapon_destroy = {"weapon.destroy", VER, 0, destroy_body, apply_destroy};
static const ev_type ev_benchmark_define = {"benchmark.define", ROLE_COORDINATOR, 0, benchmark_body,
                                            apply_benchmark};
static const ev_type ev_benchmark_assess = {"benchmark.assess", VER | ROLE_MONITOR, 0, assess_body,
                                            apply_assess};

const ev_type *const ev_disarmament_types[] = {&ev_weapon_handover,
                                               &ev_weapon_attest,
                                               &ev_weapon_move,
                                               &ev_weapon_destroy,
                                               &ev_benchmark_define,
                                               &ev_benchmark_assess,
                                               NULL};
