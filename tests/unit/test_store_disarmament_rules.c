/*
 * test_store_disarmament_rules.c: the rules of weapon records
 * (src/event/disarmament.c) judged by ev_apply against a real store in a
 * temporary file (ruleworld.h), without HTTP: a handover, its attestation
 * by a verifier of another org (never of its own), destruction only after
 * that confirmation, and a recycled serial refused as a conflict. Each
 * refusal is checked for its code and field, each acceptance for its
 * effects and the record's stored status.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "ruleworld.h"

#define VER_A 1 /* verifier */
#define VER_B 2 /* verifier of another org */
#define HUM   3 /* humanitarian */

/* The stored status of weapon record id. */
static void status_is(const char *id, const char *want)
{
    ev_view v;
    store_view(RW.s, &v);
    ev_thing_state ts;
    assert_int_equal(v.thing(v.ctx, THING_WEAPON, id, &ts), 1);
    json_decref(ts.body);
    assert_string_equal(ts.status, want);
}

static int setup(void **state)
{
    if (rw_setup(state)) return -1;
    rw_admit("vera", "[\"verifier\"]", VER_A);
    rw_admit("verb", "[\"verifier\"]", VER_B);
    rw_admit("relief", "[\"humanitarian\"]", HUM);
    rw_place("cp1", "collection_point");
    rw_place("depot1", "depot");
    rw_place("kerem", "crossing");
    return 0;
}

#define HANDOVER                                                                                   \
    "{\"record\":\"%s\",\"category\":\"small_arm\",\"description\":\"rifle\",\"quantity\":%d,"     \
    "\"place\":\"%s\",\"make\":\"AK\",\"serial\":\"%s\"}"

static void test_handover(void **state)
{
    (void)state;
    rw_refused(rw_submit(rw_key(HUM), "relief", "weapon.handover", HANDOVER, "w1", 1, "cp1", "S1"),
               CM_FORBIDDEN, "type");
    rw_refused(
        rw_submit(rw_key(VER_A), "vera", "weapon.handover", HANDOVER, "w1", 1, "kerem", "S1"),
        CM_RULE_VIOLATION, "body.place");
    rw_refused(rw_submit(rw_key(VER_A), "vera", "weapon.handover", HANDOVER, "w1", 2, "cp1", "S1"),
               CM_RULE_VIOLATION, "body.quantity");
    assert_int_equal(
        rw_submit(rw_key(VER_A), "vera", "weapon.handover", HANDOVER, "w1", 1, "cp1", "S1"), CM_OK);
    const ev_fx *f = rw_fx(FX_THING_PUT, 0);
    assert_non_null(f);
    assert_int_equal(f->u.thing.kind, THING_WEAPON);
    assert_string_equal(f->u.thing.id, "w1");
    assert_string_equal(f->u.thing.status, "registered");
    status_is("w1", "registered");
    rw_refused(rw_submit(rw_key(VER_A), "vera", "weapon.handover", HANDOVER, "w1", 1, "cp1", "S9"),
               CM_RULE_VIOLATION, "body.record");
}

static void test_recycled_serial(void **state)
{
    (void)state;
    /* the same category, make and serial under a new record id */
    rw_refused(
        rw_submit(rw_key(VER_B), "verb", "weapon.handover", HANDOVER, "w2", 1, "depot1", "S1"),
        CM_CONFLICT, "body.serial");
    assert_non_null(strstr(RW.err.message, "w1"));
    assert_int_equal(
        rw_submit(rw_key(VER_B), "verb", "weapon.handover", HANDOVER, "w2", 1, "depot1", "S2"),
        CM_OK);
}

static void test_destroy_before_confirmation(void **state)
{
    (void)state;
    const char *const destroy = "{\"record\":\"w1\",\"method\":\"cutting\",\"place\":\"depot1\"}";
    rw_refused(rw_submit(rw_key(VER_A), "vera", "weapon.destroy", "%s", destroy), CM_RULE_VIOLATION,
               "body.record");
    assert_non_null(strstr(RW.err.message, "not verified"));
    /* a discrepancy confirms nothing */
    assert_int_equal(rw_submit(rw_key(VER_B), "verb", "weapon.attest",
                               "{\"record\":\"w1\",\"stage\":\"handover\",\"result\":"
                               "\"discrepancy\",\"note\":\"serial ground off\"}"),
                     CM_OK);
    assert_int_equal(rw_fx_count(FX_THING_STATUS), 0);
    assert_int_equal(rw_fx_count(FX_THING_NOTE), 1);
    status_is("w1", "registered");
    rw_refused(rw_submit(rw_key(VER_A), "vera", "weapon.destroy", "%s", destroy), CM_RULE_VIOLATION,
               "body.record");
}

static void test_attestation(void **state)
{
    (void)state;
    const char *const attest = "{\"record\":\"w1\",\"stage\":\"%s\",\"result\":\"confirmed\"}";
    /* its own org may not attest it */
    rw_refused(rw_submit(rw_key(VER_A), "vera", "weapon.attest", attest, "handover"), CM_FORBIDDEN,
               "org");
    rw_refused(rw_submit(rw_key(VER_B), "verb", "weapon.attest", attest, "destruction"),
               CM_RULE_VIOLATION, "body.stage");
    rw_refused(rw_submit(rw_key(VER_B), "verb", "weapon.attest",
                         "{\"record\":\"w9\",\"stage\":\"handover\",\"result\":\"confirmed\"}"),
               CM_RULE_VIOLATION, "body.record");
    assert_int_equal(rw_submit(rw_key(VER_B), "verb", "weapon.attest", attest, "handover"), CM_OK);
    const ev_fx *f = rw_fx(FX_THING_STATUS, 0);
    assert_non_null(f);
    assert_string_equal(f->u.thing.status, "verified");
    assert_string_equal(rw_fx(FX_THING_NOTE, 0)->u.thing.note, "attestation");
    status_is("w1", "verified");
    /* now it may be destroyed, once, and its destruction attested */
    const char *const destroy = "{\"record\":\"w1\",\"method\":\"cutting\",\"place\":\"%s\"}";
    rw_refused(rw_submit(rw_key(VER_A), "vera", "weapon.destroy", destroy, "nowhere"),
               CM_RULE_VIOLATION, "body.place");
    assert_int_equal(rw_submit(rw_key(VER_A), "vera", "weapon.destroy", destroy, "depot1"), CM_OK);
    assert_string_equal(rw_fx(FX_THING_STATUS, 0)->u.thing.status, "destroyed");
    assert_string_equal(rw_fx(FX_THING_NOTE, 0)->u.thing.note, "destruction");
    status_is("w1", "destroyed");
    rw_refused(rw_submit(rw_key(VER_A), "vera", "weapon.destroy", destroy, "depot1"),
               CM_RULE_VIOLATION, "body.record");
    rw_refused(rw_submit(rw_key(VER_A), "vera", "weapon.move",
                         "{\"record\":\"w1\",\"to_place\":\"depot1\"}"),
               CM_RULE_VIOLATION, "body.record");
    rw_refused(rw_submit(rw_key(VER_A), "vera", "weapon.attest", attest, "destruction"),
               CM_FORBIDDEN, "org");
    assert_int_equal(rw_submit(rw_key(VER_B), "verb", "weapon.attest", attest, "destruction"),
                     CM_OK);
    status_is("w1", "decommissioned");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_handover),
        cmocka_unit_test(test_recycled_serial),
        cmocka_unit_test(test_destroy_before_confirmation),
        cmocka_unit_test(test_attestation),
    };
    return cmocka_run_group_tests(tests, setup, rw_teardown);
}
