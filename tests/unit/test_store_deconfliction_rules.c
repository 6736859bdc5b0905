/*
 * test_store_deconfliction_rules.c: the rules of sites, zones and
 * movements (src/event/deconfliction.c) judged by ev_apply against a real
 * store in a temporary file (ruleworld.h), without HTTP: a site withdrawn
 * only by the org that notified it, a zone refused for a self-crossing
 * polygon, and a movement requested, answered by the military, reported,
 * and then closed to answers. Each refusal is checked for its code and
 * field, each acceptance for its effects and the stored state.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "ruleworld.h"

#define HUM_A 1 /* humanitarian */
#define HUM_B 2 /* another humanitarian */
#define MIL   3 /* military */
#define MIL2  4 /* another military */

/* The stored status of a thing. */
static void status_is(ev_thing_kind kind, const char *id, const char *want)
{
    ev_view v;
    store_view(RW.s, &v);
    ev_thing_state ts;
    assert_int_equal(v.thing(v.ctx, kind, id, &ts), 1);
    json_decref(ts.body);
    assert_string_equal(ts.status, want);
}

static int setup(void **state)
{
    if (rw_setup(state)) return -1;
    rw_admit("relief", "[\"humanitarian\"]", HUM_A);
    rw_admit("aid", "[\"humanitarian\"]", HUM_B);
    rw_admit("army", "[\"military\"]", MIL);
    rw_admit("navy", "[\"military\"]", MIL2);
    return 0;
}

static void test_site(void **state)
{
    (void)state;
    const char *const site =
        "{\"site\":\"s1\",\"kind\":\"clinic\",\"name\":\"Clinic\",\"lat\":31.5,"
        "\"lon\":34.45,\"from\":\"2025-11-20T00:00:00Z\"%s}";
    rw_refused(rw_submit(rw_key(MIL), "army", "site.notify", site, ""), CM_FORBIDDEN, "type");
    rw_refused(rw_submit(rw_key(HUM_A), "relief", "site.notify", site,
                         ",\"until\":\"2025-11-19T00:00:00Z\""),
               CM_RULE_VIOLATION, "body.until");
    assert_int_equal(rw_submit(rw_key(HUM_A), "relief", "site.notify", site, ""), CM_OK);
    assert_string_equal(rw_fx(FX_THING_PUT, 0)->u.thing.status, "active");
    status_is(THING_SITE, "s1", "active");
    rw_refused(rw_submit(rw_key(HUM_A), "relief", "site.notify", site, ""), CM_RULE_VIOLATION,
               "body.site");
    /* withdrawn by another org: forbidden */
    rw_refused(rw_submit(rw_key(HUM_B), "aid", "site.withdraw", "{\"site\":\"s1\"}"), CM_FORBIDDEN,
               "org");
    status_is(THING_SITE, "s1", "active");
    assert_int_equal(rw_submit(rw_key(HUM_A), "relief", "site.withdraw", "{\"site\":\"s1\"}"),
                     CM_OK);
    assert_string_equal(rw_fx(FX_THING_STATUS, 0)->u.thing.status, "withdrawn");
    status_is(THING_SITE, "s1", "withdrawn");
    rw_refused(rw_submit(rw_key(HUM_A), "relief", "site.withdraw", "{\"site\":\"s1\"}"),
               CM_RULE_VIOLATION, "body.site");
}

static void test_zone(void **state)
{
    (void)state;
    const char *const zone = "{\"zone\":\"%s\",\"kind\":\"closed\",\"polygon\":%s,"
                             "\"from\":\"2025-11-20T00:00:00Z\"}";
    /* a bow tie: its edges cross */
    assert_int_equal(rw_submit(rw_key(MIL), "army", "zone.declare", zone, "z1",
                               "[[31.0,34.0],[31.1,34.1],[31.0,34.1],[31.1,34.0]]"),
                     CM_BAD_REQUEST);
    assert_int_equal(strncmp(RW.err.field, "body.polygon[", 13), 0);
    assert_non_null(strstr(RW.err.message, "not simple"));
    rw_refused(rw_submit(rw_key(HUM_A), "relief", "zone.declare", zone, "z1",
                         "[[31.0,34.0],[31.0,34.1],[31.1,34.1],[31.1,34.0]]"),
               CM_FORBIDDEN, "type");
    assert_int_equal(rw_submit(rw_key(MIL), "army", "zone.declare", zone, "z1",
                               "[[31.0,34.0],[31.0,34.1],[31.1,34.1],[31.1,34.0]]"),
                     CM_OK);
    status_is(THING_ZONE, "z1", "active");
    rw_refused(rw_submit(rw_key(MIL2), "navy", "zone.lift", "{\"zone\":\"z1\"}"), CM_FORBIDDEN,
               "org");
    assert_int_equal(rw_submit(rw_key(MIL), "army", "zone.lift", "{\"zone\":\"z1\"}"), CM_OK);
    status_is(THING_ZONE, "z1", "lifted");
}

static void test_movement(void **state)
{
    (void)state;
    const char *const request = "{\"movement\":\"m1\",\"purpose\":\"water\",\"route\":[[31.0,34.0],"
                                "[31.2,34.2]],\"window_start\":\"2025-11-23T06:00:00Z\","
                                "\"window_end\":\"%s\",\"vehicles\":4%s}";
    rw_refused(
        rw_submit(rw_key(HUM_A), "relief", "movement.request", request, "2025-11-23T05:00:00Z", ""),
        CM_RULE_VIOLATION, "body.window_end");
    rw_refused(rw_submit(rw_key(HUM_A), "relief", "movement.request", request,
                         "2025-11-23T10:00:00Z", ",\"consignments\":[\"nope\"]"),
               CM_RULE_VIOLATION, "body.consignments[0]");
    rw_refused(rw_submit(rw_key(HUM_A), "relief", "movement.request", request,
                         "2025-11-23T10:00:00Z", ",\"to_place\":\"nowhere\""),
               CM_RULE_VIOLATION, "body.to_place");
    assert_int_equal(
        rw_submit(rw_key(HUM_A), "relief", "movement.request", request, "2025-11-23T10:00:00Z", ""),
        CM_OK);
    assert_string_equal(rw_fx(FX_THING_PUT, 0)->u.thing.status, "requested");
    status_is(THING_MOVEMENT, "m1", "requested");

    const char *const respond = "{\"movement\":\"%s\",\"decision\":\"%s\"%s}";
    rw_refused(
        rw_submit(rw_key(HUM_B), "aid", "movement.respond", respond, "m1", "acknowledged", ""),
        CM_FORBIDDEN, "type");
    rw_refused(
        rw_submit(rw_key(MIL), "army", "movement.respond", respond, "m9", "acknowledged", ""),
        CM_RULE_VIOLATION, "body.movement");
    rw_refused(rw_submit(rw_key(MIL), "army", "movement.respond", respond, "m1", "denied", ""),
               CM_RULE_VIOLATION, "body.reason");
    assert_int_equal(
        rw_submit(rw_key(MIL), "army", "movement.respond", respond, "m1", "acknowledged", ""),
        CM_OK);
    const ev_fx *f = rw_fx(FX_THING_NOTE, 0);
    assert_non_null(f);
    assert_string_equal(f->u.thing.note, "response");
    assert_true(f->u.thing.latest_per_org);
    assert_int_equal(rw_fx_count(FX_THING_STATUS), 0);
    status_is(THING_MOVEMENT, "m1", "requested");

    const char *const report = "{\"movement\":\"m1\",\"outcome\":\"completed\"}";
    rw_refused(rw_submit(rw_key(HUM_B), "aid", "movement.report", "%s", report), CM_FORBIDDEN,
               "org");
    assert_int_equal(rw_submit(rw_key(HUM_A), "relief", "movement.report", "%s", report), CM_OK);
    assert_string_equal(rw_fx(FX_THING_STATUS, 0)->u.thing.status, "completed");
    assert_string_equal(rw_fx(FX_THING_NOTE, 0)->u.thing.note, "report");
    /* the military orgs whose answers counted, frozen with the report */
    f = rw_fx(FX_THING_NOTE, 1);
    assert_string_equal(f->u.thing.note, "military");
    assert_int_equal(json_array_size(f->u.thing.body), 2);
    status_is(THING_MOVEMENT, "m1", "completed");

    /* after the report: no more answers, no second report */
    rw_refused(rw_submit(rw_key(MIL2), "navy", "movement.respond", respond, "m1", "denied",
                         ",\"reason\":\"late\""),
               CM_RULE_VIOLATION, "body.movement");
    rw_refused(rw_submit(rw_key(HUM_A), "relief", "movement.report", "%s", report),
               CM_RULE_VIOLATION, "body.movement");
    status_is(THING_MOVEMENT, "m1", "completed");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_site),
        cmocka_unit_test(test_zone),
        cmocka_unit_test(test_movement),
    };
    return cmocka_run_group_tests(tests, setup, rw_teardown);
}
