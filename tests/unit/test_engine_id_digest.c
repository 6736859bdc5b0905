/*
 * test_engine_id_digest.c: the order-free digest of a log's idempotency
 * records (id_digest.c). Equal for the same records in any order, unequal
 * for a changed, missing, extra or repeated record, or for one whose org
 * and id are cut elsewhere; and a store's records are read in (org, id)
 * order, refused when two repeat or come out of order, whatever the
 * table's schema says.
 */
#include "engine/engine.h"

#include <setjmp.h>
#include <sqlite3.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "tmpstore.h"

typedef struct {
    const char *org, *id;
    uint64_t idx;
} rec;

static const rec base[] = {{"coord", "genesis", 0}, {"coord", "p1", 1}, {"unrwa", "c-1", 2},
                           {"unrwa", "c-2", 3},     {"wfp", "c-1", 4},  {"coord", "p2", 5}};
#define NBASE (sizeof base / sizeof *base)

static void add_all(srv_id_digest *d, const rec *r, size_t n)
{
    for (size_t i = 0; i < n; i++)
        srv_id_digest_add(d, r[i].org, strlen(r[i].org), r[i].id, strlen(r[i].id), r[i].idx);
}

static void test_order_free_and_changes_seen(void **state)
{
    (void)state;
    srv_id_digest a, b;
    srv_id_digest_init(&a, NULL);
    add_all(&a, base, NBASE);
    /* the same records backwards */
    srv_id_digest_init(&b, &a);
    for (size_t i = NBASE; i-- > 0;) add_all(&b, &base[i], 1);
    assert_true(srv_id_digest_equal(&a, &b));
    assert_int_equal(a.n, NBASE);
    /* another key: another sum */
    srv_id_digest c;
    srv_id_digest_init(&c, NULL);
    add_all(&c, base, NBASE);
    assert_false(a.lo == c.lo && a.hi == c.hi);

    rec v[NBASE + 1];
    for (int change = 0; change < 6; change++) {
        memcpy(v, base, sizeof base);
        size_t n = NBASE;
        switch (change) {
        case 0:
            v[2].idx = 7;
            break; /* another entry */
        case 1:
            v[3].id = "c-3";
            break; /* another id */
        case 2:
            v[4].org = "wfp2";
            break; /* another org */
        case 3:
            n--;
            break; /* one missing */
        case 4:
            v[n++] = (rec){"wfp", "c-9", 6};
            break; /* one more */
        case 5:
            v[n++] = base[1];
            break; /* one twice */
        }
        srv_id_digest d;
        srv_id_digest_init(&d, &a);
        add_all(&d, v, n);
        assert_false(srv_id_digest_equal(&a, &d));
    }
    /* the cut between org and id is part of the record */
    srv_id_digest x, y;
    srv_id_digest_init(&x, NULL);
    srv_id_digest_init(&y, &x);
    srv_id_digest_add(&x, "ab", 2, "c", 1, 9);
    srv_id_digest_add(&y, "a", 1, "bc", 2, 9);
    assert_false(srv_id_digest_equal(&x, &y));
    /* a repeat does not cancel out: twice one, and twice another */
    srv_id_digest_init(&x, NULL);
    srv_id_digest_init(&y, &x);
    add_all(&x, &base[0], 1);
    add_all(&x, &base[0], 1);
    add_all(&y, &base[1], 1);
    add_all(&y, &base[1], 1);
    assert_false(srv_id_digest_equal(&x, &y));
    /* a record longer than the buffer on the stack */
    char longid[600];
    memset(longid, 'x', sizeof longid);
    srv_id_digest_init(&x, NULL);
    srv_id_digest_init(&y, &x);
    srv_id_digest_add(&x, "o", 1, longid, sizeof longid, 1);
    srv_id_digest_add(&y, "o", 1, longid, sizeof longid - 1, 1);
    assert_false(srv_id_digest_equal(&x, &y));
}

static void exec(const char *sql)
{
    sqlite3 *db;
    assert_int_equal(sqlite3_open(tmpstore_path, &db), SQLITE_OK);
    char *msg = NULL;
    int rc = sqlite3_exec(db, sql, NULL, NULL, &msg);
    if (rc != SQLITE_OK) fail_msg("%s: %s", sql, msg);
    sqlite3_close(db);
}

/* The store's digest: 0 and the digest, or srv_id_digest_store's 1/-1. */
static int store_digest(srv_id_digest *d)
{
    cm_error err;
    store *s = store_open(tmpstore_path, STORE_READER, &err);
    assert_non_null(s);
    int rc = srv_id_digest_store(s, d, &err);
    store_close(s);
    return rc;
}

static void test_store_records(void **state)
{
    (void)state;
    exec("INSERT INTO event_ids(org, id, idx) VALUES('wfp', 'c-1', 4), ('coord', 'p2', 5),"
         "('coord', 'genesis', 0), ('unrwa', 'c-2', 3), ('coord', 'p1', 1), ('unrwa', 'c-1', 2)");
    srv_id_digest want, got;
    srv_id_digest_init(&want, NULL);
    add_all(&want, base, NBASE);
    srv_id_digest_init(&got, &want);
    assert_int_equal(store_digest(&got), 0);
    assert_true(srv_id_digest_equal(&want, &got));

    /* a changed index is another digest */
    exec("UPDATE event_ids SET idx = 9 WHERE org = 'wfp'");
    srv_id_digest_init(&got, &want);
    assert_int_equal(store_digest(&got), 0);
    assert_false(srv_id_digest_equal(&want, &got));
    exec("UPDATE event_ids SET idx = 4 WHERE org = 'wfp'");

    /* a table rewritten without its key, holding a record twice: refused,
     * as is a text index (given as no entry) made into another digest */
    exec("ALTER TABLE event_ids RENAME TO old_ids;"
         "CREATE TABLE event_ids(org TEXT, id TEXT, idx);"
         "INSERT INTO event_ids SELECT * FROM old_ids; DROP TABLE old_ids;"
         "INSERT INTO event_ids VALUES('unrwa', 'c-2', 3)");
    srv_id_digest_init(&got, &want);
    assert_int_equal(store_digest(&got), 1);
    exec("DELETE FROM event_ids WHERE rowid = (SELECT max(rowid) FROM event_ids);"
         "UPDATE event_ids SET idx = '4' WHERE org = 'wfp'");
    srv_id_digest_init(&got, &want);
    assert_int_equal(store_digest(&got), 0);
    assert_false(srv_id_digest_equal(&want, &got));
    exec("UPDATE event_ids SET idx = 4 WHERE org = 'wfp'");
    srv_id_digest_init(&got, &want);
    assert_int_equal(store_digest(&got), 0);
    assert_true(srv_id_digest_equal(&want, &got));

    /* no such table: an error */
    exec("DROP TABLE event_ids");
    srv_id_digest_init(&got, &want);
    assert_int_equal(store_digest(&got), -1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_order_free_and_changes_seen),
        cmocka_unit_test_setup_teardown(test_store_records, tmpstore_setup, tmpstore_teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
