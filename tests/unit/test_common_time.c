/*
 * test_common_time.c: RFC 3339 UTC parsing and formatting and the timed
 * waits' deadlines (common/timeutil), and the error prefixing of
 * common/error.
 */
#include "common/error.h"
#include "common/timeutil.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <string.h>

#include <cmocka.h>

static int64_t parse(const char *s)
{
    int64_t ms = -1;
    return time_parse(s, strlen(s), &ms) == 0 ? ms : -1;
}

static void test_valid(void **state)
{
    (void)state;
    assert_int_equal(parse("1970-01-01T00:00:00Z"), 0);
    assert_int_equal(parse("2025-11-20T09:15:00Z"), 1763630100000LL);
    assert_int_equal(parse("2025-11-20T09:15:00.123Z"), 1763630100123LL);
    assert_int_equal(parse("2025-11-20T09:15:00.1Z"), 1763630100100LL);
    assert_int_equal(parse("2025-11-20T09:15:00.123456789Z"), 1763630100123LL);
    assert_int_equal(parse("2024-02-29T23:59:59Z"), 1709251199000LL);
    assert_int_equal(parse("2000-02-29T00:00:00Z"), 951782400000LL);
}

static void test_invalid(void **state)
{
    (void)state;
    const char *bad[] = {
        "",
        "2025-11-20",
        "2025-11-20T09:15:00",       /* no zone */
        "2025-11-20T09:15:00+00:00", /* only Z */
        "2025-11-20 09:15:00Z",
        "2025-11-20t09:15:00Z",
        "2025-11-20T09:15:00z",
        "2025-13-01T00:00:00Z",
        "2025-00-01T00:00:00Z",
        "2025-02-29T00:00:00Z", /* not a leap year */
        "1900-02-29T00:00:00Z",
        "2025-04-31T00:00:00Z",
        "2025-11-20T24:00:00Z",
        "2025-11-20T09:60:00Z",
        "2025-11-20T09:15:60Z",
        "2025-11-20T09:15:00.Z",
        "2025-11-20T09:15:00.1234567890Z",
        "2025-11-20T09:15:00ZZ",
        "20251-11-20T09:15:00Z",
        "1969-12-31T23:59:59Z",
        "2025-1a-20T09:15:00Z",
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        int64_t ms;
        if (time_parse(bad[i], strlen(bad[i]), &ms) == 0) fail_msg("accepted \"%s\"", bad[i]);
    }
}

static void test_format_round_trip(void **state)
{
    (void)state;
    char out[32];
    time_format_ms(1763630100123LL, out, sizeof out);
    assert_string_equal(out, "2025-11-20T09:15:00.123Z");
    time_format_s(1763630100123LL, out, sizeof out);
    assert_string_equal(out, "2025-11-20T09:15:00Z");
    for (int64_t ms = 0; ms < 5000LL * 86400000LL; ms += 7777777777LL) {
        time_format_ms(ms, out, sizeof out);
        assert_int_equal(strlen(out), TIME_RFC3339_MS_LEN);
        assert_int_equal(parse(out), ms);
    }
}

static int64_t ts_ms(struct timespec ts)
{
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void test_deadline(void **state)
{
    (void)state;
    const int64_t after[] = {0, 1, 999, 1000, 1001, 2500, 61999};
    for (size_t i = 0; i < sizeof after / sizeof after[0]; i++) {
        int64_t before = time_mono_ms();
        struct timespec ts = time_deadline(CLOCK_MONOTONIC, after[i]);
        int64_t later = time_mono_ms();
        assert_true(ts.tv_nsec >= 0 && ts.tv_nsec < 1000000000L);
        assert_true(ts_ms(ts) >= before + after[i]);
        assert_true(ts_ms(ts) <= later + after[i]);
    }
    struct timespec neg = time_deadline(CLOCK_MONOTONIC, -5000);
    assert_true(ts_ms(neg) <= time_mono_ms() && ts_ms(neg) >= time_mono_ms() - 1000);
    int64_t wall = time_now_ms();
    struct timespec rt = time_deadline(CLOCK_REALTIME, 250);
    assert_true(ts_ms(rt) >= wall + 250 && ts_ms(rt) < wall + 250 + 1000);
}

static void test_error_prefix(void **state)
{
    (void)state;
    cm_error e;
    cm_fail(&e, CM_BAD_REQUEST, "body.org", "no such org");
    cm_error_prefix(&e, "entry %d", 42);
    assert_string_equal(e.message, "entry 42: no such org");
    assert_string_equal(e.field, "body.org");
    assert_int_equal(e.code, CM_BAD_REQUEST);
    char long_msg[CM_MESSAGE_MAX + 50];
    memset(long_msg, 'x', sizeof long_msg - 1);
    long_msg[sizeof long_msg - 1] = '\0';
    cm_fail(&e, CM_CONFLICT, "", "%s", long_msg);
    cm_error_prefix(&e, "entry %d", 7);
    assert_int_equal(strlen(e.message), CM_MESSAGE_MAX - 1);
    assert_memory_equal(e.message, "entry 7: xxx", 12);
    assert_string_equal(cm_code_name(CM_RULE_VIOLATION), "rule_violation");
    assert_int_equal(cm_code_http(CM_TOO_LARGE), 413);
    assert_int_equal(cm_code_http(CM_UNKNOWN_KEY), 401);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_valid),
        cmocka_unit_test(test_invalid),
        cmocka_unit_test(test_format_round_trip),
        cmocka_unit_test(test_deadline),
        cmocka_unit_test(test_error_prefix),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
