/*
 * test_event_json_fast.c: json_fast.c's parse against jansson's.
 *
 * Whatever ev_json_parse_plain makes of an input, json_loadb (with
 * JSON_REJECT_DUPLICATES) must make too, the same tree with its keys in the
 * same order and its numbers of the same kind (compared as their compact
 * dumps, reals to 17 digits); and what json_loadb refuses it must give up
 * on. Checked on a list of inputs at the edges of the grammar, on every
 * one-byte change and every cut of a payload, and on random strings of
 * JSON's characters. It must also take the plain inputs, or the replay
 * gains nothing.
 */
#include "event/event.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

static char *dump(const json_t *j)
{
    return json_dumps(j, JSON_COMPACT | JSON_ENCODE_ANY | JSON_REAL_PRECISION(17));
}

/* The property on one input; 1 when the quick parse took it. */
static int same_as_jansson(const char *s, size_t len)
{
    json_t *plain = ev_json_parse_plain(s, len);
    json_error_t je;
    json_t *full = json_loadb(s, len, JSON_REJECT_DUPLICATES, &je);
    if (plain) {
        if (!full) fail_msg("taken quickly, refused by jansson (%s): %.*s", je.text, (int)len, s);
        char *a = dump(plain), *b = dump(full);
        if (strcmp(a, b) != 0) fail_msg("%.*s: quick %s, jansson %s", (int)len, s, a, b);
        free(a);
        free(b);
    }
    json_decref(plain);
    json_decref(full);
    return plain != NULL;
}

static void plain_inputs_taken(void **state)
{
    (void)state;
    static const char *const ok[] = {
        "{}",
        " { } ",
        "{\"v\":1,\"type\":\"place.define\",\"id\":\"b-99\",\"org\":\"cell\",\"time\":"
        "\"2026-12-07T11:26:44Z\",\"body\":{\"place\":\"site-99\",\"kind\":\"warehouse\","
        "\"name\":\"Warehouse 99\",\"lat\":31.2099,\"lon\":34.2099}}",
        "{\"a\": [1, 2.5, -0, -0.0, 1e3, 1E-2, 2e+2, true, false, null, \"\", [], {}]}",
        "{\r\n\t\"z\" : \"last\" , \"a\" : \"first\"\n}\n",
        "{\"big\":9223372036854775807,\"small\":-9223372036854775808}",
        "{\"tiny\":1e-400}",
        "{\"r\":[0.1,0.2,0.3,-0.0,31.2099,34.2099,-90.0,179.999999,0.000000000001,"
        "1.7976931348623,123456789012345.6,12345678901234.5,9007199254740993.0,"
        "0.30000000000000004,2.2250738585072014e-308,1e22,1e23]}",
        "{\"\":0,\"k\":{\"\":[[[]]]}}",
    };
    for (size_t i = 0; i < sizeof ok / sizeof *ok; i++)
        if (!same_as_jansson(ok[i], strlen(ok[i]))) fail_msg("not taken quickly: %s", ok[i]);
}

static void others_given_up(void **state)
{
    (void)state;
    static const char *const no[] = {
        "",
        "[]",
        "1",
        "{\"a\":1,}",
        "{\"a\":1,\"a\":2}",
        "{\"a\" 1}",
        "{\"a\":01}",
        "{\"a\":1.}",
        "{\"a\":.5}",
        "{\"a\":-}",
        "{\"a\":1e}",
        "{\"a\":+1}",
        "{\"a\":9223372036854775808}",
        "{\"a\":-9223372036854775809}",
        "{\"a\":1e400}",
        "{\"a\":tru}",
        "{\"a\":truex}",
        "{\"a\":nul}",
        "{\"a\":\"\\n\"}",
        "{\"a\":\"\\u00e9\"}",
        "{\"a\":\"caf\xc3\xa9\"}",
        "{\"a\":\"\xff\"}",
        "{\"a\":\"tab\there\"}",
        "{\"a\":\"open}",
        "{\"a\":1} x",
        "{\"a\":1}{}",
        "{\"a\":[1,]}",
        "{\"a\":[1 2]}",
        "{a:1}",
        "{\"a\":1",
        "{\"a\":0x10}",
        "{\"a\":NaN}",
        "{\"a\":Infinity}",
        "{\"a\":1}\x0b",
    };
    for (size_t i = 0; i < sizeof no / sizeof *no; i++)
        if (same_as_jansson(no[i], strlen(no[i]))) fail_msg("taken quickly: %s", no[i]);
}

/* Past 16 keys an object's repeats are found another way: both ways hold. */
static void many_keys(void **state)
{
    (void)state;
    char s[512];
    size_t n = 0;
    s[n++] = '{';
    for (int i = 0; i < 24; i++)
        n += (size_t)snprintf(s + n, sizeof s - n, "%s\"k%d\":%d", i ? "," : "", i, i);
    s[n++] = '}';
    assert_true(same_as_jansson(s, n));
    for (int dup = 1; dup < 24; dup++) { /* key k0 again as the dup-th key */
        size_t m = 0;
        s[m++] = '{';
        for (int i = 0; i < 24; i++)
            m += (size_t)snprintf(s + m, sizeof s - m, "%s\"k%d\":%d", i ? "," : "",
                                  i == dup ? 0 : i, i);
        s[m++] = '}';
        assert_false(same_as_jansson(s, m));
    }
}

static void deep_nesting_given_up(void **state)
{
    (void)state;
    char s[256] = "{\"a\":";
    size_t n = strlen(s);
    for (int i = 0; i < 40; i++) s[n++] = '[';
    for (int i = 0; i < 40; i++) s[n++] = ']';
    s[n++] = '}';
    assert_false(same_as_jansson(s, n));
}

/* Every one-byte change of a payload to each of JSON's characters, and
 * every cut of it: the property holds on all. */
static void changes_and_cuts(void **state)
{
    (void)state;
    static const char base[] =
        "{\"v\":1,\"type\":\"x.y\",\"id\":\"a-1\",\"n\":[-12,0.5,3e2,true,null],"
        "\"body\":{\"s\":\"t u\",\"f\":false}}";
    static const char alphabet[] = "{}[]:,\"\\ 0123456789-+.eEtrufalsn\t\n\x01\x7f\x80";
    size_t len = sizeof base - 1;
    char s[sizeof base];
    unsigned taken = 0;
    for (size_t i = 0; i < len; i++) {
        for (size_t k = 0; k < sizeof alphabet - 1; k++) {
            memcpy(s, base, len);
            s[i] = alphabet[k];
            taken += (unsigned)same_as_jansson(s, len);
        }
        taken += (unsigned)same_as_jansson(base, i);
    }
    assert_true(taken > 0);
}

/* Random decimals of 1 to 17 digits: each the same double both ways. */
static void random_decimals(void **state)
{
    (void)state;
    uint64_t x = 88172645463325252ULL;
    for (int round = 0; round < 200000; round++) {
        x ^= x << 13, x ^= x >> 7, x ^= x << 17;
        int digits = 1 + (int)(x % 17), point = (int)((x >> 8) % (uint64_t)digits);
        char s[64] = "{\"d\":";
        size_t n = strlen(s);
        if (x >> 63) s[n++] = '-';
        uint64_t y = x;
        for (int i = 0; i < digits; i++) {
            if (i == point && i) s[n++] = '.';
            y = y * 6364136223846793005ULL + 1442695040888963407ULL;
            s[n++] = (char)('0' + (i == 0 ? 1 + (y >> 60) % 9 : (y >> 60) % 10));
        }
        if (point == 0) memcpy(s + n, ".5", 2), n += 2;
        s[n++] = '}';
        assert_true(same_as_jansson(s, n));
    }
}

/* Random strings of JSON's characters, mostly refused, some not. */
static void random_strings(void **state)
{
    (void)state;
    static const char *const parts[] = {"{",     "}",     "[",        "]",    ":",   ",",
                                        "\"a\"", "\"b\"", "1",        "-2.5", "1e9", "true",
                                        "null",  " ",     "\"\\\"\"", "0"};
    uint32_t x = 12345;
    char s[128];
    for (int round = 0; round < 200000; round++) {
        size_t n = 0;
        s[n++] = '{';
        int parts_n = (int)(x % 12);
        for (int p = 0; p < parts_n; p++) {
            x = x * 1664525u + 1013904223u;
            const char *part = parts[(x >> 16) % (sizeof parts / sizeof *parts)];
            size_t l = strlen(part);
            if (n + l >= sizeof s) break;
            memcpy(s + n, part, l);
            n += l;
        }
        if (x & 0x100) s[n++] = '}';
        x = x * 1664525u + 1013904223u;
        same_as_jansson(s, n);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(plain_inputs_taken), cmocka_unit_test(others_given_up),
        cmocka_unit_test(many_keys),          cmocka_unit_test(deep_nesting_given_up),
        cmocka_unit_test(changes_and_cuts),   cmocka_unit_test(random_decimals),
        cmocka_unit_test(random_strings),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
