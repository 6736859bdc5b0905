/*
 * test_views_force.c: the gap analysis of force generation (views/force.c)
 * on hand-worked tables: every caveat against the tasks it excludes (and
 * does not), sector restriction, readiness levels (only level2, level3 and
 * rapid close the gap), availability dates against needed_by, withdrawn
 * pledges, other capabilities ignored, latest deployments in the sector;
 * and the weapon record's derived discrepancy and benchmark progress.
 */
#include "views/views.h"

#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <string.h>

#include <cmocka.h>

static json_t *requirement(const char *capability, const char *tasks, const char *sector,
                           int quantity)
{
    json_error_t je;
    json_t *t = json_loads(tasks, 0, &je);
    return json_pack("{s:s,s:{s:s,s:i,s:o,s:s,s:s}}", "id", "req", "body", "capability", capability,
                     "quantity", quantity, "tasks", t, "sector", sector, "needed_by",
                     "2025-12-01T00:00:00Z");
}

static json_t *pledge(const char *id, const char *capability, int quantity, const char *readiness,
                      const char *caveats, const char *sectors, const char *from, const char *until,
                      const char *status)
{
    json_error_t je;
    json_t *b = json_pack("{s:s,s:i,s:s,s:o,s:s}", "capability", capability, "quantity", quantity,
                          "readiness", readiness, "caveats", json_loads(caveats, 0, &je),
                          "available_from", from);
    if (sectors) json_object_set_new(b, "sectors", json_loads(sectors, 0, &je));
    if (until) json_object_set_new(b, "available_until", json_string(until));
    return json_pack("{s:s,s:s,s:s,s:o,s:[]}", "id", id, "org", "nation", "status", status, "body",
                     b, "notes");
}

#define EARLY "2025-11-01T00:00:00Z"

static long long get(const json_t *r, const char *key)
{
    return json_integer_value(json_object_get(r, key));
}

static const char *why(const json_t *r, const char *pledge_id)
{
    const json_t *ex = json_object_get(r, "excluded");
    for (size_t i = 0; i < json_array_size(ex); i++)
        if (strcmp(json_string_value(json_object_get(json_array_get(ex, i), "pledge")),
                   pledge_id) == 0)
            return json_string_value(json_object_get(json_array_get(ex, i), "reason"));
    return NULL;
}

/* Each caveat against a requirement of one task: excluded or not. */
static void test_caveats(void **state)
{
    (void)state;
    static const struct {
        const char *caveat, *task;
        int excluded;
    } table[] = {
        {"no_direct_confrontation", "crowd_control", 1},
        {"no_direct_confrontation", "disarmament_enforcement", 1},
        {"no_direct_confrontation", "patrol", 0},
        {"no_direct_confrontation", "convoy_escort", 0},
        {"no_offensive_operations", "disarmament_enforcement", 1},
        {"no_offensive_operations", "crowd_control", 0},
        {"no_weapons_collection", "weapons_collection", 1},
        {"no_weapons_collection", "disarmament_enforcement", 1},
        {"no_weapons_collection", "route_clearance", 0},
        {"no_crowd_control", "crowd_control", 1},
        {"no_crowd_control", "site_protection", 0},
        {"static_only", "patrol", 1},
        {"static_only", "convoy_escort", 1},
        {"static_only", "checkpoint_security", 0},
    };
    for (size_t i = 0; i < sizeof table / sizeof table[0]; i++) {
        char tasks[64], caveats[64];
        snprintf(tasks, sizeof tasks, "[\"%s\"]", table[i].task);
        snprintf(caveats, sizeof caveats, "[\"%s\"]", table[i].caveat);
        json_t *r = requirement("infantry_company", tasks, "south", 1);
        json_t *ps = json_pack("[o]", pledge("p", "infantry_company", 1, "level2", caveats, NULL,
                                             EARLY, NULL, "offered"));
        views_gap_analysis(r, ps);
        if (table[i].excluded) {
            if (!why(r, "p")) fail_msg("%s should exclude %s", table[i].caveat, table[i].task);
            assert_non_null(strstr(why(r, "p"), table[i].caveat));
            assert_int_equal(get(r, "gap"), 1);
        } else {
            if (why(r, "p")) fail_msg("%s should not exclude %s", table[i].caveat, table[i].task);
            assert_int_equal(get(r, "gap"), 0);
        }
        assert_int_equal(get(r, "pledged"), 1); /* pledged counts any pledge of the capability */
        json_decref(r);
        json_decref(ps);
    }
}

static void test_sectors(void **state)
{
    (void)state;
    json_t *r = requirement("infantry_company", "[\"patrol\"]", "north", 3);
    json_t *ps = json_pack("[o,o,o]",
                           pledge("in", "infantry_company", 1, "level2", "[\"sector_restricted\"]",
                                  "[\"north\",\"south\"]", EARLY, NULL, "offered"),
                           pledge("out", "infantry_company", 1, "level2", "[\"sector_restricted\"]",
                                  "[\"south\"]", EARLY, NULL, "offered"),
                           pledge("none", "infantry_company", 1, "level2",
                                  "[\"sector_restricted\"]", NULL, EARLY, NULL, "offered"));
    views_gap_analysis(r, ps);
    assert_null(why(r, "in"));
    assert_non_null(strstr(why(r, "out"), "sector_restricted"));
    assert_non_null(why(r, "none"));
    assert_int_equal(get(r, "eligible_level2_or_above"), 1);
    assert_int_equal(get(r, "gap"), 2);
    json_decref(r);
    json_decref(ps);
}

static void test_readiness(void **state)
{
    (void)state;
    json_t *r = requirement("medical_role1", "[\"medical_support\"]", "middle", 10);
    json_t *ps = json_pack(
        "[o,o,o,o]", pledge("a", "medical_role1", 1, "level1", "[]", NULL, EARLY, NULL, "offered"),
        pledge("b", "medical_role1", 2, "level2", "[]", NULL, EARLY, NULL, "offered"),
        pledge("c", "medical_role1", 3, "level3", "[]", NULL, EARLY, NULL, "offered"),
        pledge("d", "medical_role1", 4, "rapid", "[]", NULL, EARLY, NULL, "offered"));
    views_gap_analysis(r, ps);
    const json_t *e = json_object_get(r, "eligible");
    assert_int_equal(get(e, "level1"), 1);
    assert_int_equal(get(e, "level2"), 2);
    assert_int_equal(get(e, "level3"), 3);
    assert_int_equal(get(e, "rapid"), 4);
    assert_int_equal(get(r, "eligible_level2_or_above"), 9);
    assert_int_equal(get(r, "gap"), 1); /* 10 - (2 + 3 + 4): level1 does not close the gap */
    assert_int_equal(get(r, "pledged"), 10);
    json_decref(r);
    json_decref(ps);
}

static void test_dates_withdrawal_capability(void **state)
{
    (void)state;
    json_t *r = requirement("eod_team", "[\"route_clearance\"]", "south", 5);
    json_t *ps = json_pack(
        "[o,o,o,o,o,o]",
        pledge("on-time", "eod_team", 1, "level2", "[]", NULL, "2025-12-01T00:00:00Z", NULL,
               "offered"),
        pledge("late", "eod_team", 1, "level2", "[]", NULL, "2025-12-01T00:00:01Z", NULL,
               "offered"),
        pledge("gone", "eod_team", 1, "level2", "[]", NULL, EARLY, "2025-11-30T00:00:00Z",
               "offered"),
        pledge("until-then", "eod_team", 1, "level2", "[]", NULL, EARLY, "2025-12-01T00:00:00Z",
               "offered"),
        pledge("withdrawn", "eod_team", 1, "rapid", "[]", NULL, EARLY, NULL, "withdrawn"),
        pledge("other", "engineer_company", 9, "rapid", "[]", NULL, EARLY, NULL, "offered"));
    views_gap_analysis(r, ps);
    assert_null(why(r, "on-time"));
    assert_non_null(strstr(why(r, "late"), "after needed_by"));
    assert_non_null(strstr(why(r, "gone"), "before needed_by"));
    assert_null(why(r, "until-then"));
    assert_string_equal(why(r, "withdrawn"), "withdrawn");
    assert_null(why(r, "other"));           /* another capability is not listed at all */
    assert_int_equal(get(r, "pledged"), 4); /* withdrawn and other capability not counted */
    assert_int_equal(get(r, "eligible_level2_or_above"), 2);
    assert_int_equal(get(r, "gap"), 3);
    assert_int_equal(json_array_size(json_object_get(r, "counted")), 2);
    json_decref(r);
    json_decref(ps);
}

static void test_deployed(void **state)
{
    (void)state;
    json_t *r = requirement("infantry_company", "[\"patrol\"]", "south", 2);
    json_t *p = pledge("p", "infantry_company", 3, "level3", "[]", NULL, EARLY, NULL, "offered");
    json_t *notes = json_object_get(p, "notes");
    json_array_append_new(notes, json_pack("{s:s,s:i,s:{s:i,s:s}}", "note", "deployment", "latest",
                                           0, "body", "deployed", 1, "sector", "south"));
    json_array_append_new(notes, json_pack("{s:s,s:i,s:{s:i,s:s}}", "note", "deployment", "latest",
                                           1, "body", "deployed", 2, "sector", "south"));
    json_t *ps = json_pack("[o]", p);
    views_gap_analysis(r, ps);
    assert_int_equal(get(r, "deployed"), 2); /* the latest report counts */
    assert_int_equal(get(r, "gap"), 0);
    json_decref(r);
    json_decref(ps);
}

static void test_weapons_and_benchmarks(void **state)
{
    (void)state;
    json_t *w =
        json_pack("{s:s,s:{s:s,s:i,s:s},s:[{s:s,s:{s:s,s:s,s:s}},{s:s,s:{s:s}}]}", "status",
                  "registered", "body", "category", "small_arm", "quantity", 1, "place", "cp-1",
                  "notes", "note", "attestation", "body", "stage", "handover", "result",
                  "discrepancy", "record", "w", "note", "move", "body", "to_place", "depot-1");
    views_weapon_derive(w);
    assert_true(json_is_true(json_object_get(w, "discrepancy")));
    assert_string_equal(json_string_value(json_object_get(w, "current_place")), "depot-1");
    json_decref(w);

    json_t *ws = json_pack("[{s:s,s:{s:s,s:i}},{s:s,s:{s:s,s:i}},{s:s,s:{s:s,s:i}}]", "status",
                           "decommissioned", "body", "category", "small_arm", "quantity", 30,
                           "status", "destroyed", "body", "category", "small_arm", "quantity", 50,
                           "status", "decommissioned", "body", "category", "rocket", "quantity", 7);
    json_t *bm = json_pack("{s:{s:[s],s:i,s:s},s:[]}", "body", "categories", "small_arm", "target",
                           60, "due", "2025-12-01T00:00:00Z", "notes");
    views_benchmark_derive(bm, ws, 1767225600000LL); /* 2026-01-01: past due */
    assert_int_equal(get(bm, "decommissioned"), 30);
    assert_true(fabs(json_real_value(json_object_get(bm, "progress")) - 0.5) < 1e-9);
    assert_true(json_is_true(json_object_get(bm, "overdue")));
    json_decref(bm);
    json_decref(ws);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_caveats),   cmocka_unit_test(test_sectors),
        cmocka_unit_test(test_readiness), cmocka_unit_test(test_dates_withdrawal_capability),
        cmocka_unit_test(test_deployed),  cmocka_unit_test(test_weapons_and_benchmarks),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
