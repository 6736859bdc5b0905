/*
 * test_views_supply.c: the values the supply and registry views write
 * (src/views/out.c) are the bytes SQLite's JSON functions wrote for the
 * same values before the read model moved to C: strings (every control
 * character, quotes, backslashes, UTF-8) against json_quote(), reals
 * against json_object() of a REAL (whole numbers, fractions, large and
 * small ones in exponent form, negative ones), times in whole seconds.
 */
#include "common/mem.h"
#include "views/book.h"

#include <setjmp.h>
#include <sqlite3.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

static sqlite3 *db;

static int setup(void **state)
{
    (void)state;
    return sqlite3_open(":memory:", &db) == SQLITE_OK ? 0 : -1;
}

static int teardown(void **state)
{
    (void)state;
    sqlite3_close(db);
    return 0;
}

/* What SQLite's sql gives with ?1 bound to text or to a real. */
static char *sqlite_says(const char *sql, const char *text, double real)
{
    sqlite3_stmt *st;
    assert_int_equal(sqlite3_prepare_v2(db, sql, -1, &st, NULL), SQLITE_OK);
    if (text)
        sqlite3_bind_text(st, 1, text, -1, SQLITE_STATIC);
    else
        sqlite3_bind_double(st, 1, real);
    assert_int_equal(sqlite3_step(st), SQLITE_ROW);
    char *out = xstrdup((const char *)sqlite3_column_text(st, 0));
    sqlite3_finalize(st);
    return out;
}

static void test_strings_as_sqlite_wrote_them(void **state)
{
    (void)state;
    char all[40];
    for (int c = 1; c < 32; c++) all[c - 1] = (char)c;
    all[31] = '\0';
    const char *cases[] = {"",
                           "plain",
                           "a \"quoted\" \\ back/slash",
                           all,
                           "caf\xc3\xa9 \xd8\xa7",
                           "tab\there\nnew\rline\bback\fform",
                           "\x7f del"};
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        cm_buf b = CM_BUF_INIT;
        views_str(&b, cases[i]);
        char *want = sqlite_says("SELECT json_quote(?1)", cases[i], 0);
        assert_string_equal(b.data, want);
        free(want);
        buf_free(&b);
    }
    cm_buf b = CM_BUF_INIT;
    views_str(&b, NULL);
    assert_string_equal(b.data, "null");
    buf_free(&b);
}

static void test_reals_as_sqlite_wrote_them(void **state)
{
    (void)state;
    const double cases[] = {0,       25,      0.5,     12.25, 1e20,  1.5e-7, -31.5,
                            34.4667, 1.0 / 3, 2.0 / 3, 100,   1e14,  1e15,   123456789012345.6,
                            1e-4,    1e-5,    -0.0001, 99.95, 1e300, 5e-324, 31.523456789012345};
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        cm_buf b = CM_BUF_INIT;
        buf_putc(&b, '[');
        views_real(&b, cases[i]);
        buf_putc(&b, ']');
        char *want = sqlite_says("SELECT json_array(?1)", NULL, cases[i]);
        assert_string_equal(b.data, want);
        free(want);
        buf_free(&b);
    }
}

static void test_times_in_whole_seconds(void **state)
{
    (void)state;
    cm_buf b = CM_BUF_INIT;
    views_time(&b, 1767225599999LL);
    assert_string_equal(b.data, "\"2025-12-31T23:59:59Z\"");
    char day[11];
    views_day(1767225600000LL, day);
    assert_string_equal(day, "2026-01-01");
    buf_free(&b);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_strings_as_sqlite_wrote_them),
        cmocka_unit_test(test_reals_as_sqlite_wrote_them),
        cmocka_unit_test(test_times_in_whole_seconds),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
