/*
 * test_store_schema.c: the store's schema versions on a real SQLite file.
 * A new store is the newest version; the recycled-weapon lookup (a weapon
 * by category, make and serial) is served by the things_weapon_serial
 * index, which EXPLAIN QUERY PLAN shows, and finds the weapon; a store of
 * version 1 is upgraded by a writer, its data kept, and refused by a
 * reader with what to do; a store of version 2 (tokens bound to no key)
 * is upgraded with its tokens kept, after which a device token is bound to
 * its key and a key keeps only its newest STORE_DEVICE_TOKENS; a store
 * newer than the program, or with no version, is refused; a refusal leaves
 * the store as it was; a store of version 5 (accounts named "kind:holder")
 * is upgraded with every balance and posting kept as (kind, holder)
 * columns, which the rules' balance lookup then reads.
 */
#include "common/mem.h"
#include "store/store_int.h"

#include <setjmp.h>
#include <sodium.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "tmpstore.h"

/* Asserts that one SQL query's first column is want ("" for no row). */
static void assert_query(store *s, const char *sql, const char *want)
{
    sqlite3_stmt *st;
    assert_int_equal(sqlite3_prepare_v2(s->db, sql, -1, &st, NULL), SQLITE_OK);
    const char *got = sqlite3_step(st) == SQLITE_ROW && sqlite3_column_text(st, 0)
                          ? (const char *)sqlite3_column_text(st, 0)
                          : "";
    assert_string_equal(got, want);
    sqlite3_finalize(st);
}

/* The store at tmpstore_path, which must open. */
static store *opened(store_mode mode)
{
    cm_error err;
    store *s = store_open(tmpstore_path, mode, &err);
    assert_non_null(s);
    return s;
}

/* meta('schema') read with SQLite alone, past the store's checks. */
static const char *raw_version(void)
{
    static char out[16];
    sqlite3 *db;
    sqlite3_stmt *st;
    assert_int_equal(sqlite3_open_v2(tmpstore_path, &db, SQLITE_OPEN_READONLY, NULL), SQLITE_OK);
    assert_int_equal(
        sqlite3_prepare_v2(db, "SELECT value FROM meta WHERE key = 'schema'", -1, &st, NULL),
        SQLITE_OK);
    snprintf(out, sizeof out, "%s",
             sqlite3_step(st) == SQLITE_ROW ? (const char *)sqlite3_column_text(st, 0) : "");
    sqlite3_finalize(st);
    sqlite3_close(db);
    return out;
}

static void exec(store *s, const char *sql)
{
    cm_error err;
    assert_int_equal(store_exec(s, sql, &err), 0);
}

static void add_weapon(store *s, const char *id, const char *serial, int created)
{
    char *sql =
        xasprintf("INSERT INTO things(kind, id, org, status, body, time, created, updated) "
                  "VALUES('weapon', '%s', 'ver', 'registered', '{\"category\":\"small_arm\","
                  "\"make\":\"AK\",\"serial\":\"%s\"}', 0, %d, %d)",
                  id, serial, created, created);
    exec(s, sql);
    free(sql);
}

/* An account name of version 5 from the columns kind and holder of
 * version 6, in SQL: "kind:holder", or "kind" with no holder. */
#define NAME5(kind, holder) kind " || CASE WHEN " holder " = '' THEN '' ELSE ':' || " holder " END"

/* Takes the ledger back to what version 5 kept: an account was one name
 * ("held:h1"), and two views summed the balances (what they said does not
 * matter to the upgrade, which drops them). */
static void make_version_5(store *s)
{
    exec(s,
         "DROP INDEX movements_time;"
         "ALTER TABLE accounts RENAME TO accounts_6; ALTER TABLE movements RENAME TO movements_6;"
         "CREATE TABLE accounts(consignment TEXT NOT NULL, line INTEGER NOT NULL,"
         " account TEXT NOT NULL, qty INTEGER NOT NULL CHECK(qty >= 0),"
         " last_time INTEGER NOT NULL, updated INTEGER NOT NULL,"
         " PRIMARY KEY(consignment, line, account)) WITHOUT ROWID;"
         "CREATE TABLE movements(idx INTEGER NOT NULL, seq INTEGER NOT NULL,"
         " consignment TEXT NOT NULL, line INTEGER NOT NULL, from_account TEXT NOT NULL,"
         " to_account TEXT NOT NULL, qty INTEGER NOT NULL, time INTEGER NOT NULL,"
         " PRIMARY KEY(idx, seq)) WITHOUT ROWID;"
         "CREATE INDEX movements_time ON movements(time);"
         "INSERT INTO accounts SELECT consignment, line, " NAME5(
             "kind",
             "holder") ", qty, last_time, updated FROM accounts_6;"
                       "INSERT INTO movements SELECT idx, seq, consignment, line, " NAME5(
                           "from_kind",
                           "from_holder") ", " NAME5("to_kind",
                                                     "to_holder") ", qty, time FROM movements_6;"
                                                                  "DROP TABLE accounts_6; DROP "
                                                                  "TABLE movements_6;"
                                                                  "CREATE VIEW line_balances AS "
                                                                  "SELECT * FROM lines;"
                                                                  "CREATE VIEW consignment_summary "
                                                                  "AS SELECT * FROM consignments;"
                                                                  "UPDATE meta SET value = '5' "
                                                                  "WHERE key = 'schema'");
}

/* Takes the store back to what version 2 made: tokens had no keyid (nor,
 * as in version 4, the time of a device's request), (as in version 3)
 * orgs and places had no names, and (as in version 5) accounts were names. */
static void make_version_2(store *s)
{
    make_version_5(s);
    exec(s, "DROP INDEX tokens_keyid; ALTER TABLE tokens DROP COLUMN keyid;"
            "ALTER TABLE tokens DROP COLUMN asked;"
            "ALTER TABLE orgs DROP COLUMN names; ALTER TABLE places DROP COLUMN names;"
            "UPDATE meta SET value = '2' WHERE key = 'schema'");
}

static void test_new_store_is_newest(void **state)
{
    (void)state;
    store *s = opened(STORE_READER);
    assert_query(s, "SELECT value FROM meta WHERE key = 'schema'",
                 STORE_QUOTE(STORE_SCHEMA_VERSION));
    store_close(s);
}

static void test_serial_lookup_uses_the_index(void **state)
{
    (void)state;
    store *s = opened(STORE_WRITER);
    for (int i = 0; i < 50; i++) {
        char id[16], serial[16];
        snprintf(id, sizeof id, "w-%d", i);
        snprintf(serial, sizeof serial, "S-%d", i);
        add_weapon(s, id, serial, i);
    }
    ev_view v;
    store_view(s, &v);
    char id[EV_ID_MAX + 1] = "";
    assert_int_equal(v.weapon_by_serial(v.ctx, "small_arm", "AK", "S-42", id), 1);
    assert_string_equal(id, "w-42");
    assert_int_equal(v.weapon_by_serial(v.ctx, "small_arm", "PK", "S-42", id), 0);
    assert_int_equal(v.weapon_by_serial(v.ctx, "small_arm", NULL, "S-42", id), 0);

    sqlite3_stmt *st = s->st[SQ_WEAPON_BY_SERIAL];
    assert_non_null(st);
    char *plan_sql = xasprintf("EXPLAIN QUERY PLAN %s", sqlite3_sql(st));
    sqlite3_stmt *plan;
    assert_int_equal(sqlite3_prepare_v2(s->db, plan_sql, -1, &plan, NULL), SQLITE_OK);
    int indexed = 0;
    while (sqlite3_step(plan) == SQLITE_ROW)
        indexed |=
            strstr((const char *)sqlite3_column_text(plan, 3), "things_weapon_serial") != NULL;
    sqlite3_finalize(plan);
    free(plan_sql);
    assert_true(indexed);
    store_close(s);
}

static void test_version_1_is_upgraded_by_a_writer(void **state)
{
    (void)state;
    cm_error err;
    store *s = opened(STORE_WRITER);
    add_weapon(s, "w-old", "S-old", 1);
    make_version_2(s);
    exec(s, "DROP INDEX things_weapon_serial; UPDATE meta SET value = '1' WHERE key = 'schema'");
    store_close(s);

    /* a reader is told what to do, and changes nothing */
    assert_null(store_open(tmpstore_path, STORE_READER, &err));
    assert_int_equal(err.code, CM_INTERNAL);
    assert_non_null(strstr(err.message, "schema version 1"));
    assert_non_null(strstr(err.message, "cmcc serve"));
    assert_string_equal(raw_version(), "1");

    s = opened(STORE_WRITER);
    assert_query(s, "SELECT value FROM meta WHERE key = 'schema'",
                 STORE_QUOTE(STORE_SCHEMA_VERSION));
    assert_query(s, "SELECT name FROM sqlite_master WHERE name = 'things_weapon_serial'",
                 "things_weapon_serial");
    assert_query(s,
                 "SELECT id FROM things WHERE kind = 'weapon' AND "
                 "json_extract(body, '$.serial') = 'S-old'",
                 "w-old");
    store_close(s);

    s = opened(STORE_READER);
    store_close(s);
}

static void test_version_2_is_upgraded_with_its_tokens(void **state)
{
    (void)state;
    cm_error err;
    store *s = opened(STORE_WRITER);
    make_version_2(s);
    exec(s, "INSERT INTO tokens(id, hash, org, created) VALUES('0123456789ab', x'"
            "0000000000000000000000000000000000000000000000000000000000000001', 'ops', 5)");
    store_close(s);
    assert_null(store_open(tmpstore_path, STORE_READER, &err));
    assert_string_equal(raw_version(), "2");

    s = opened(STORE_WRITER);
    assert_query(s, "SELECT value FROM meta WHERE key = 'schema'",
                 STORE_QUOTE(STORE_SCHEMA_VERSION));
    assert_query(s, "SELECT name FROM sqlite_master WHERE name = 'tokens_keyid'", "tokens_keyid");
    uint8_t hash[32] = {0};
    hash[31] = 1;
    char org[EV_ID_MAX + 1], keyid[LOG_KEYID_LEN + 1];
    assert_int_equal(store_token_find(s, hash, org, keyid, &err), 1);
    assert_string_equal(org, "ops");
    assert_string_equal(keyid, ""); /* an operator's token */

    /* a device token is bound to its key; the key keeps its newest ones */
    char token[STORE_TOKEN_MAX], id[STORE_DEVICE_TOKENS + 2][STORE_TOKEN_ID_LEN + 1];
    for (int i = 0; i < STORE_DEVICE_TOKENS + 2; i++)
        assert_int_equal(
            store_token_new(s, "ops", "3bec125c913ed1b2", 1000 + i, 10, token, id[i], &err), 0);
    assert_int_equal(strncmp(token, "cmcc_", 5), 0);
    assert_int_equal(strlen(token), 48);
    uint8_t h[32];
    crypto_hash_sha256(h, (const unsigned char *)token, strlen(token));
    assert_int_equal(store_token_find(s, h, org, keyid, &err), 1);
    assert_string_equal(keyid, "3bec125c913ed1b2");
    assert_query(s, "SELECT count(*) FROM tokens WHERE keyid = '3bec125c913ed1b2'",
                 STORE_QUOTE(STORE_DEVICE_TOKENS));
    char *sql = xasprintf("SELECT count(*) FROM tokens WHERE id IN ('%s', '%s')", id[0], id[1]);
    assert_query(s, sql, "0"); /* the two oldest went */
    free(sql);
    char other[STORE_TOKEN_MAX], oid[STORE_TOKEN_ID_LEN + 1];
    /* a request is answered once: the same time again, or an older one, is
     * refused and stores nothing; another key is not concerned */
    assert_int_equal(store_token_new(s, "ops", "3bec125c913ed1b2", 1000 + STORE_DEVICE_TOKENS + 1,
                                     11, other, oid, &err),
                     1);
    assert_int_equal(store_token_new(s, "ops", "3bec125c913ed1b2", 999, 11, other, oid, &err), 1);
    assert_query(s, "SELECT count(*) FROM tokens WHERE created = 11", "0");
    assert_int_equal(store_token_new(s, "ops", "0000000000000001", 999, 12, other, oid, &err), 0);
    exec(s, "DELETE FROM tokens WHERE keyid = '0000000000000001'");
    assert_query(s, "SELECT count(*) FROM tokens WHERE keyid IS NULL", "1");
    store_close(s);
}

/* Every account and posting of the ledger, one row a line, as text. */
static char *ledger_rows(store *s)
{
    sqlite3_stmt *st;
    cm_buf b = CM_BUF_INIT;
    assert_int_equal(
        sqlite3_prepare_v2(s->db,
                           "SELECT consignment || '|' || line || '|' || kind || '|' || holder || "
                           "'|' || qty || '|' || last_time || '|' || updated FROM accounts "
                           "UNION ALL SELECT idx || '|' || seq || '|' || consignment || '|' || "
                           "line || '|' || from_kind || '|' || from_holder || '|' || to_kind || "
                           "'|' || to_holder || '|' || qty || '|' || time FROM movements",
                           -1, &st, NULL),
        SQLITE_OK);
    while (sqlite3_step(st) == SQLITE_ROW) buf_printf(&b, "%s\n", sqlite3_column_text(st, 0));
    sqlite3_finalize(st);
    return buf_take(&b);
}

static void test_version_5_is_upgraded_with_its_ledger(void **state)
{
    (void)state;
    store *s = opened(STORE_WRITER);
    /* every kind of account, a holder with ':' in it, and the outside ("") */
    exec(s,
         "INSERT INTO accounts VALUES('c1', 1, 'held', 'h1', 5, 1000, 3),"
         " ('c1', 1, 'pending', 'T1', 2, 1000, 3), ('c1', 1, 'distributed', '', 4, 2000, 4),"
         " ('c1', 2, 'lost', 'looted', 1, 3000, 5), ('c1', 2, 'unaccounted', 'ngo:x', 3, 3000, 5),"
         " ('c2', 1, 'held', 'ngo:x', 0, 4000, 6);"
         "INSERT INTO movements VALUES(3, 0, 'c1', 1, '', '', 'pending', 'T1', 11, 1000),"
         " (4, 0, 'c1', 1, 'pending', 'T1', 'held', 'h1', 9, 2000),"
         " (4, 1, 'c1', 2, 'pending', 'T1', 'unaccounted', 'ngo:x', 3, 2000),"
         " (5, 0, 'c1', 1, 'held', 'h1', 'distributed', '', 4, 3000),"
         " (6, 0, 'c1', 2, 'unaccounted', 'ngo:x', 'lost', 'looted', 1, 3000),"
         " (7, 0, 'c1', 1, 'pending', 'T2', '', '', 1, 4000)");
    char *before = ledger_rows(s);
    make_version_5(s);
    assert_query(s,
                 "SELECT group_concat(account, ' ') FROM (SELECT account FROM accounts "
                 "ORDER BY consignment, line, account)",
                 "distributed held:h1 pending:T1 lost:looted unaccounted:ngo:x held:ngo:x");
    store_close(s);
    assert_string_equal(raw_version(), "5");

    s = opened(STORE_WRITER);
    assert_query(s, "SELECT value FROM meta WHERE key = 'schema'",
                 STORE_QUOTE(STORE_SCHEMA_VERSION));
    char *after = ledger_rows(s);
    assert_string_equal(after, before);
    assert_query(s, "SELECT count(*) FROM sqlite_master WHERE type = 'view'", "0");
    assert_query(s, "SELECT name FROM sqlite_master WHERE name = 'movements_time'",
                 "movements_time");
    /* the balance lookup of the rules reads the columns */
    ev_view v;
    store_view(s, &v);
    long long q = -1;
    assert_int_equal(v.balance(v.ctx, "c1", 2, "unaccounted:ngo:x", &q), 1);
    assert_int_equal(q, 3);
    assert_int_equal(v.balance(v.ctx, "c1", 1, "distributed", &q), 1);
    assert_int_equal(q, 4);
    assert_int_equal(v.balance(v.ctx, "c1", 1, "held:h2", &q), 1);
    assert_int_equal(q, 0);
    free(before);
    free(after);
    store_close(s);
}

static void test_newer_bad_or_no_version_is_refused(void **state)
{
    (void)state;
    cm_error err;
    /* "1x" is not version 1: no upgrade runs on it */
    const char *set[] = {"UPDATE meta SET value = '99' WHERE key = 'schema'",
                         "UPDATE meta SET value = '1x' WHERE key = 'schema'",
                         "DELETE FROM meta WHERE key = 'schema'"};
    const char *left[] = {"99", "1x", ""};
    for (size_t i = 0; i < 3; i++) {
        store *s = opened(STORE_WRITER);
        exec(s, set[i]);
        store_close(s);
        assert_null(store_open(tmpstore_path, STORE_WRITER, &err));
        assert_non_null(strstr(err.message, "not a cmcc store of schema version"));
        assert_null(store_open(tmpstore_path, STORE_READER, &err));
        assert_non_null(strstr(err.message, "not a cmcc store of schema version"));
        assert_string_equal(raw_version(), left[i]); /* left as it was */
        tmpstore_teardown(NULL);
        assert_int_equal(tmpstore_setup(NULL), 0);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_new_store_is_newest, tmpstore_setup,
                                        tmpstore_teardown),
        cmocka_unit_test_setup_teardown(test_serial_lookup_uses_the_index, tmpstore_setup,
                                        tmpstore_teardown),
        cmocka_unit_test_setup_teardown(test_version_1_is_upgraded_by_a_writer, tmpstore_setup,
                                        tmpstore_teardown),
        cmocka_unit_test_setup_teardown(test_version_2_is_upgraded_with_its_tokens, tmpstore_setup,
                                        tmpstore_teardown),
        cmocka_unit_test_setup_teardown(test_version_5_is_upgraded_with_its_ledger, tmpstore_setup,
                                        tmpstore_teardown),
        cmocka_unit_test_setup_teardown(test_newer_bad_or_no_version_is_refused, tmpstore_setup,
                                        tmpstore_teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
