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
 * shows as open (ev_weapon_derive) until a later confirmation of that stage.
 * Benchmark progress = decommissioned quantity in its categories / target.
 */
#include "event/disarmament.h"
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

/* ---- derived when read ----------------------------------------------------- */

void ev_weapon_derive(json_t *w)
{
    const json_t *b = json_object_get(w, "body"), *notes = json_object_get(w, "notes");
    json_t *place = json_incref(json_object_get(b, "place"));
    json_t *attestations = json_array(), *destruction = json_null();
    int open[2] = {0, 0}; /* a discrepancy not since confirmed, per stage */
    for (size_t i = 0; i < json_array_size(notes); i++) {
        const json_t *n = json_array_get(notes, i), *nb = json_object_get(n, "body");
        const char *kind = json_string_value(json_object_get(n, "note"));
        if (strcmp(kind, "move") == 0) {
            json_decref(place);
            place = json_incref(json_object_get(nb, "to_place"));
        } else if (strcmp(kind, "destruction") == 0) {
            json_decref(destruction);
            destruction = json_pack("{s:O,s:O,s:O,s:O}", "method", json_object_get(nb, "method"),
                                    "place", json_object_get(nb, "place"), "org",
                                    json_object_get(n, "org"), "time", json_object_get(n, "time"));
        } else if (strcmp(kind, "attestation") == 0) {
            int st = strcmp(ev_str(nb, "stage"), "destruction") == 0;
            open[st] = strcmp(ev_str(nb, "result"), "discrepancy") == 0;
            json_t *a =
                json_pack("{s:O,s:O,s:O,s:O}", "org", json_object_get(n, "org"), "stage",
                          json_object_get(nb, "stage"), "result", json_object_get(nb, "result"),
                          "time", json_object_get(n, "time"));
            if (json_object_get(nb, "note"))
                json_object_set(a, "note", json_object_get(nb, "note"));
            json_array_append_new(attestations, a);
        }
    }
    json_object_set_new(w, "current_place", place);
    json_object_set_new(w, "attestations", attestations);
    json_object_set_new(w, "destruction", destruction);
    json_object_set_new(w, "discrepancy", json_boolean(open[0] || open[1]));
}

void ev_benchmark_derive(json_t *bm, const json_t *weapons, int64_t now_ms)
{
    const json_t *b = json_object_get(bm, "body");
    const json_t *cats = json_object_get(b, "categories");
    long long done = 0;
    for (size_t i = 0; i < json_array_size(weapons); i++) {
        const json_t *w = json_array_get(weapons, i), *wb = json_object_get(w, "body");
        if (strcmp(json_string_value(json_object_get(w, "status")), "decommissioned") != 0)
            continue;
        for (size_t k = 0; k < json_array_size(cats); k++)
            if (strcmp(json_string_value(json_array_get(cats, k)), ev_str(wb, "category")) == 0)
                done += ev_int(wb, "quantity", 0);
    }
    long long target = ev_int(b, "target", 1);
    double progress = (double)done / (double)(target ? target : 1);
    json_object_set_new(bm, "decommissioned", json_integer(done));
    json_object_set_new(bm, "progress", json_real(progress > 1 ? 1 : progress));
    json_object_set_new(bm, "overdue",
                        json_boolean(done < target && ev_time_of(b, "due", INT64_MAX) < now_ms));
    json_t *assessments = json_array();
    const json_t *notes = json_object_get(bm, "notes");
    for (size_t i = 0; i < json_array_size(notes); i++) {
        const json_t *n = json_array_get(notes, i);
        json_array_append_new(assessments,
                              json_pack("{s:O,s:O,s:O}", "org", json_object_get(n, "org"), "note",
                                        json_object_get(json_object_get(n, "body"), "note"), "time",
                                        json_object_get(n, "time")));
    }
    json_object_set_new(bm, "assessments", assessments);
}

#define VER ROLE_VERIFIER

const ev_type ev_weapon_handover = {"weapon.handover", VER, 0, handover_body, apply_handover};
const ev_type ev_weapon_attest = {"weapon.attest", VER, 0, attest_body, apply_attest};
const ev_type ev_weapon_move = {"weapon.move", VER, 0, move_body, apply_move};
const ev_type ev_weapon_destroy = {"weapon.destroy", VER, 0, destroy_body, apply_destroy};
const ev_type ev_benchmark_define = {"benchmark.define", ROLE_COORDINATOR, 0, benchmark_body,
                                     apply_benchmark};
const ev_type ev_benchmark_assess = {"benchmark.assess", VER | ROLE_MONITOR, 0, assess_body,
                                     apply_assess};
