/*
 * test_store_diff.c: store_diff on several threads gives the report of one
 * thread, byte for byte, on two real SQLite stores of the real schema.
 *
 * The replay's store ("mine", a scratch store as `cmcc verify` makes) and
 * the other ("theirs", a log's store) are filled alike with a few thousand
 * places (a one-column key), event ids (a two-column key), tree nodes (the
 * rowid) and thing notes (a four-column key), then made to differ. Each
 * comparison is run with one thread and with 2, 3 and 4, a table of more
 * than 500 rows cut into as many ranges (store_diff_tune), and each must
 * give the same report and count: with no difference; with a row changed
 * exactly at each cut key, rows missing on the other side just before and
 * just after it and rows only there just before and after it; rows on one
 * side only at the very start and end; differences in several tables; a
 * table empty on one side; a whole large table missing on one side; the
 * idempotency records left out (STORE_DIFF_NO_IDS).
 *
 * The reads of a range go through the primary key (EXPLAIN QUERY PLAN: a
 * SEARCH, no temporary B-tree for the order). A replay with a transaction
 * open is compared on its own connection, its uncommitted rows included.
 * A failure (the other store lacks a table, is missing, or is not a
 * database) is -1 with the same error on any number of threads.
 */
#include "common/mem.h"
#include "store/store_diff_int.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#define CUT 500 /* the rows past which a table is cut, in these tests */

static char mine[64], theirs[80];

/* Runs SQL on the store file at path, with the replay's store attached as
 * `a` (for the other's changes made relative to it). */
static void run_sql(const char *path, const char *sql)
{
    sqlite3 *db = NULL;
    assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
    char *attach = xasprintf("ATTACH '%s' AS a", mine);
    assert_int_equal(sqlite3_exec(db, attach, NULL, NULL, NULL), SQLITE_OK);
    free(attach);
    char *msg = NULL;
    if (sqlite3_exec(db, sql, NULL, NULL, &msg) != SQLITE_OK) fail_msg("%s: %s", sql, msg);
    sqlite3_close(db);
}

static long count_rows(const char *path, const char *table)
{
    sqlite3 *db = NULL;
    sqlite3_stmt *st = NULL;
    assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
    char *sql = xasprintf("SELECT count(*) FROM %s", table);
    assert_int_equal(sqlite3_prepare_v2(db, sql, -1, &st, NULL), SQLITE_OK);
    assert_int_equal(sqlite3_step(st), SQLITE_ROW);
    long n = (long)sqlite3_column_int64(st, 0);
    sqlite3_finalize(st);
    sqlite3_close(db);
    free(sql);
    return n;
}

/* The same rows in both stores. */
static const char fill_sql[] =
    "BEGIN;"
    "WITH RECURSIVE n(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM n WHERE i < 2999)"
    " INSERT INTO places SELECT printf('p%05d', i), 'crossing', printf('Place %d', i),"
    " 31.0 + i / 1000.0, 34.25, NULL, 'active', NULL, i, i, NULL FROM n;"
    "WITH RECURSIVE n(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM n WHERE i < 2999)"
    " INSERT INTO event_ids SELECT printf('org%d', i % 3), printf('e%04d', i / 3), i FROM n;"
    "WITH RECURSIVE n(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM n WHERE i < 1999)"
    " INSERT INTO hashes SELECT i, CAST(printf('h%07d', i) AS BLOB) FROM n;"
    "WITH RECURSIVE n(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM n WHERE i < 799)"
    " INSERT INTO thing_notes SELECT 'incident', printf('i%03d', i / 4), i, i % 2, 'relief',"
    " 'report', '{}', i, 1 FROM n;"
    "INSERT INTO orgs VALUES('coord', 'Coordination', 'coordinator', 1, NULL, 'active', NULL,"
    " 0, 0, NULL), ('relief', 'Relief', 'donor', 2, 'XX', 'active', NULL, 1, 1, NULL);"
    "COMMIT;";

static int setup(void **state)
{
    (void)state;
    snprintf(mine, sizeof mine, "/tmp/cmcc-diff-XXXXXX");
    int fd = mkstemp(mine);
    if (fd < 0) return -1;
    close(fd);
    unlink(mine);
    snprintf(theirs, sizeof theirs, "%s.theirs", mine);
    cm_error err;
    if (store_create_mode(mine, STORE_SCRATCH, &err) || store_create(theirs, &err)) return -1;
    run_sql(mine, fill_sql);
    run_sql(theirs, fill_sql);
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    store_destroy(mine);
    store_destroy(theirs);
    store_diff_tune(0, 0);
    return 0;
}

/* store_diff of mine against theirs on threads, with flags (STORE_DIFF_*). */
static long diff_on(int threads, int flags, cm_buf *report, cm_error *err)
{
    cm_error e;
    store *s = store_open(mine, STORE_SCRATCH, &e);
    assert_non_null(s);
    store_diff_tune(threads, CUT);
    long n = store_diff(s, theirs, flags, report, err);
    store_diff_tune(0, 0);
    store_close(s);
    return n;
}

/* The count, after checking that 2, 3 and 4 threads give one thread's
 * report and count; the report in *report. */
static long same_on_all(int flags, cm_buf *report)
{
    cm_error err;
    long n = diff_on(1, flags, report, &err);
    if (n < 0) fail_msg("%s", err.message);
    for (int t = 2; t <= 4; t++) {
        cm_buf b = CM_BUF_INIT;
        assert_int_equal(diff_on(t, flags, &b, &err), n);
        assert_int_equal(b.len, report->len);
        if (b.len) assert_memory_equal(b.data, report->data, b.len);
        buf_free(&b);
    }
    return n;
}

static void test_no_difference(void **state)
{
    (void)state;
    cm_buf report = CM_BUF_INIT;
    assert_int_equal(same_on_all(STORE_DIFF_LOG, &report), 0);
    assert_int_equal(report.len, 0);
    buf_free(&report);
}

/* For each key cut of table (key columns cols) at 2, 3 and 4 threads, in
 * theirs: the row at the cut changed (set), the rows before and after it
 * deleted, rows put just after the one before and just after the cut (the
 * key's last column with "~" added, which sorts right after it). How many
 * lines of difference that makes. */
static long around_cuts(const char *table, const char *cols, const char *last, const char *set)
{
    long n = count_rows(mine, table), cuts[16], ncut = 0;
    for (int t = 2; t <= 4; t++)
        for (int r = 1; r < t; r++) {
            long at = n * r / t, seen = 0;
            for (long i = 0; i < ncut; i++) seen |= cuts[i] == at;
            if (!seen) cuts[ncut++] = at;
        }
    for (long i = 0; i < ncut; i++) {
        long at = cuts[i];
        char *sql = xasprintf(
            "UPDATE %1$s SET %4$s WHERE (%2$s) = (SELECT %2$s FROM a.%1$s ORDER BY %2$s LIMIT 1 "
            "OFFSET %5$ld);"
            "CREATE TEMP TABLE near AS SELECT * FROM a.%1$s ORDER BY %2$s LIMIT 2 OFFSET %6$ld;"
            "UPDATE near SET %3$s = %3$s || '~';"
            "INSERT INTO %1$s SELECT * FROM near;"
            "DELETE FROM %1$s WHERE (%2$s) IN (SELECT %2$s FROM a.%1$s ORDER BY %2$s LIMIT 1 "
            "OFFSET %6$ld) OR (%2$s) IN (SELECT %2$s FROM a.%1$s ORDER BY %2$s LIMIT 1 "
            "OFFSET %7$ld);",
            table, cols, last, set, at, at - 1, at + 1);
        run_sql(theirs, sql);
        free(sql);
    }
    return 6 * ncut;
}

static void test_around_the_cuts(void **state)
{
    (void)state;
    /* only in mine at the very start and the very end */
    run_sql(mine, "INSERT INTO places SELECT 'a-first', kind, name, lat, lon, sector, status, "
                  "reason, defined, updated, names FROM places WHERE place = 'p00000';"
                  "INSERT INTO places SELECT 'zz-last', kind, name, lat, lon, sector, status, "
                  "reason, defined, updated, names FROM places WHERE place = 'p00000';"
                  "INSERT INTO event_ids VALUES('aaa', 'x', 7), ('zzz', 'y', 8)");
    /* only in theirs at the very start and the very end */
    run_sql(theirs, "INSERT INTO event_ids VALUES('a', 'a', 1), ('zzzz', 'z', 2);"
                    "INSERT INTO thing_notes VALUES('incident', 'i999', 1, 0, 'x', 'y', '{}', "
                    "0, 0)");
    long want = 2 + 4 + 1;
    want += around_cuts("places", "place", "place", "name = 'Elsewhere'");
    want += around_cuts("event_ids", "org, id", "id", "idx = idx + 100000");
    want += around_cuts("thing_notes", "kind, id, idx, seq", "seq", "latest = 0");
    /* hashes: a node changed at the cut of 2 and 4 threads, one missing */
    run_sql(theirs, "UPDATE hashes SET hash = x'00' WHERE key = 1000; DELETE FROM hashes WHERE "
                    "key = 1999");
    want += 3;
    cm_buf report = CM_BUF_INIT;
    assert_int_equal(same_on_all(STORE_DIFF_LOG, &report), want);
    /* the tree first; within a table the replay's lines, then the store's */
    const char *tree = "hashes: the replay gives (key=level 0 index 1000, hash=";
    assert_true(strncmp(report.data, tree, strlen(tree)) == 0);
    const char *changed = strstr(report.data, "places: the replay gives (place=\"p01500\"");
    const char *first = strstr(report.data, "places: the replay gives (place=\"a-first\"");
    const char *theirs_first = strstr(report.data, "places: the store has (place=\"p00748~\"");
    assert_non_null(changed);
    assert_non_null(first);
    assert_non_null(theirs_first);
    assert_true(first < changed && changed < theirs_first);
    assert_non_null(strstr(report.data, "places: the store has (place=\"p01500\", kind=\"crossing"
                                        "\", name=\"Elsewhere\""));
    assert_non_null(strstr(report.data, "event_ids: the store has (org=\"zzzz\", id=\"z\""));
    assert_non_null(strstr(report.data, "event_ids: the replay gives (org=\"aaa\", id=\"x\""));
    buf_free(&report);
}

static void test_several_tables_and_empty_sides(void **state)
{
    (void)state;
    /* keys only in mine, things only in theirs, an org changed */
    run_sql(mine, "INSERT INTO keys VALUES('k1', 'coord', 'pk1', 'active', NULL, 0, 0),"
                  "('k2', 'relief', 'pk2', 'active', NULL, 1, 1)");
    run_sql(theirs, "INSERT INTO things VALUES('site', 's1', 'relief', 'open', '{}', 0, 0, 5),"
                    "('site', 's2', 'relief', 'open', '{}', 0, 0, 6),"
                    "('zone', 'z1', 'coord', 'open', '{}', 0, 0, 7);"
                    "UPDATE orgs SET name = 'Relief Org' WHERE org = 'relief'");
    cm_buf report = CM_BUF_INIT;
    assert_int_equal(same_on_all(STORE_DIFF_LOG, &report), 2 + 3 + 2);
    assert_non_null(strstr(report.data, "things: the store has (kind=\"zone\", id=\"z1\""));
    assert_non_null(strstr(report.data, "(entry 7)"));
    buf_reset(&report);
    /* a large table empty in theirs, then in mine */
    run_sql(theirs, "DELETE FROM places");
    assert_int_equal(same_on_all(STORE_DIFF_LOG, &report), 7 + 3000);
    buf_reset(&report);
    run_sql(theirs, "INSERT INTO places SELECT * FROM a.places");
    run_sql(mine, "DELETE FROM event_ids");
    assert_int_equal(same_on_all(STORE_DIFF_LOG, &report), 7 + 3000);
    assert_null(strstr(report.data, "event_ids: the replay gives"));
    /* the idempotency records left out, and the tree's nodes */
    buf_reset(&report);
    assert_int_equal(same_on_all(STORE_DIFF_NO_IDS, &report), 7);
    assert_null(strstr(report.data, "event_ids:"));
    buf_free(&report);
}

/* EXPLAIN QUERY PLAN of a range read of table: through its primary key. */
static void assert_range_plan(sqlite3 *db, const char *table, int lo, int hi)
{
    diff_key k;
    cm_error err;
    assert_int_equal(diff_key_of(db, table, &k, &err), 0);
    assert_true(k.cuttable);
    char *range = diff_range_sql("main", &k, lo, hi);
    char *sql = xasprintf("EXPLAIN QUERY PLAN %s", range);
    sqlite3_stmt *st = NULL;
    assert_int_equal(sqlite3_prepare_v2(db, sql, -1, &st, NULL), SQLITE_OK);
    for (int i = 1; i <= 2 * k.n; i++) sqlite3_bind_text(st, i, "m", -1, SQLITE_STATIC);
    cm_buf plan = CM_BUF_INIT;
    while (sqlite3_step(st) == SQLITE_ROW) {
        buf_puts(&plan, (const char *)sqlite3_column_text(st, 3));
        buf_putc(&plan, '\n');
    }
    sqlite3_finalize(st);
    if (!strstr(plan.data, "SEARCH") || !strstr(plan.data, "USING PRIMARY KEY") ||
        strstr(plan.data, "TEMP B-TREE"))
        fail_msg("%s:\n%s", range, plan.data);
    buf_free(&plan);
    free(sql);
    free(range);
    diff_key_free(&k);
}

static void test_ranges_read_by_key(void **state)
{
    (void)state;
    sqlite3 *db = NULL;
    assert_int_equal(sqlite3_open(mine, &db), SQLITE_OK);
    for (int b = 1; b < 4; b++) {
        assert_range_plan(db, "event_ids", b & 1, b & 2);
        assert_range_plan(db, "places", b & 1, b & 2);
        assert_range_plan(db, "thing_notes", b & 1, b & 2);
    }
    diff_key k;
    cm_error err;
    assert_int_equal(diff_key_of(db, "event_ids", &k, &err), 0);
    assert_int_equal(k.n, 2);
    assert_string_equal(k.cols.data, "\"org\", \"id\"");
    char *sql = diff_range_sql("other", &k, 1, 1);
    assert_string_equal(sql, "SELECT * FROM other.\"event_ids\" WHERE (\"org\", \"id\") >= (?, ?) "
                             "AND (\"org\", \"id\") < (?, ?) ORDER BY \"org\", \"id\"");
    free(sql);
    diff_key_free(&k);
    sqlite3_close(db);
}

static void test_open_transaction(void **state)
{
    (void)state;
    cm_error err;
    store *s = store_open(mine, STORE_SCRATCH, &err);
    assert_non_null(s);
    assert_int_equal(store_begin(s, &err), 0);
    assert_int_equal(store_exec(s,
                                "INSERT INTO places SELECT 'p01500x', kind, name, lat, lon, "
                                "sector, status, reason, defined, updated, names FROM places "
                                "WHERE place = 'p00000'",
                                &err),
                     0);
    store_diff_tune(4, CUT);
    cm_buf report = CM_BUF_INIT;
    /* the uncommitted row is seen: the comparison ran on s's connection */
    assert_int_equal(store_diff(s, theirs, 0, &report, &err), 1);
    assert_non_null(strstr(report.data, "places: the replay gives (place=\"p01500x\""));
    store_rollback(s);
    store_close(s);
    buf_free(&report);
}

/* Every thread count fails alike, with the error of the serial run. */
static void assert_fails(const char *want)
{
    cm_error one, err;
    cm_buf report = CM_BUF_INIT;
    assert_int_equal(diff_on(1, STORE_DIFF_LOG, &report, &one), -1);
    if (!strstr(one.message, want)) fail_msg("%s", one.message);
    for (int t = 2; t <= 4; t++) {
        assert_int_equal(diff_on(t, STORE_DIFF_LOG, &report, &err), -1);
        assert_string_equal(err.message, one.message);
    }
    buf_free(&report);
}

static void test_failures(void **state)
{
    (void)state;
    /* a large table (cut into ranges) and a small one missing */
    run_sql(theirs, "DROP TABLE event_ids; DROP TABLE orgs");
    assert_fails("no such table: other.event_ids");
    run_sql(theirs, "CREATE TABLE event_ids(org TEXT, id TEXT, idx INTEGER, PRIMARY KEY(org, id))"
                    " WITHOUT ROWID");
    assert_fails("no such table: other.orgs");
    /* no store there; not a database */
    store_destroy(theirs);
    assert_fails("store: attach: unable to open");
    FILE *f = fopen(theirs, "w");
    assert_non_null(f);
    for (int i = 0; i < 512; i++) fputs("not a database. ", f);
    fclose(f);
    assert_fails("file is not a database");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_no_difference, setup, teardown),
        cmocka_unit_test_setup_teardown(test_around_the_cuts, setup, teardown),
        cmocka_unit_test_setup_teardown(test_several_tables_and_empty_sides, setup, teardown),
        cmocka_unit_test_setup_teardown(test_ranges_read_by_key, setup, teardown),
        cmocka_unit_test_setup_teardown(test_open_transaction, setup, teardown),
        cmocka_unit_test_setup_teardown(test_failures, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
