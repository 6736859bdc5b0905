/*
 * test_engine_rules.c: the registry's rules and authority, idempotency and
 * the genesis, through the append path the sequencer runs (srv_append) on a
 * real SQLite store in a temporary file; and store_diff naming the entry
 * behind a changed row.
 */
#include "common/codec.h"
#include "common/mem.h"
#include "engine/engine.h"
#include "views/supply.h"

#include <setjmp.h>
#include <sodium.h>
#include <sqlite3.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "tmpstore.h"

#define NOW 1763630100000LL

typedef struct {
    store *s;
    log_frontier f;
    ev_effects fx;
    cm_buf scratch;
    log_key cell, k2, k3, other;
    unsigned seq;
} world;

static world W;

static void key(log_key *k, uint8_t n)
{
    uint8_t seed[32] = {n, 1, 2, 3};
    assert_int_equal(log_key_from_seed(k, seed), 0);
}

static const char *b64(const log_key *k)
{
    static char out[4][64];
    static int i;
    i = (i + 1) % 4;
    b64_encode(k->pub, 32, out[i], sizeof out[i]);
    return out[i];
}

static const char *keyid(const log_key *k)
{
    static char out[4][17];
    static int i;
    i = (i + 1) % 4;
    log_keyid(k->pub, out[i]);
    return out[i];
}

/* Submits an event (org, type, id, body JSON) signed by k. Returns the
 * error code (CM_OK when appended); *dup set for a duplicate. */
static cm_code submit_id(const log_key *k, const char *org, const char *type, const char *id,
                         const char *body, int *dup, uint64_t *index)
{
    char *json = xasprintf("{\"v\":1,\"type\":\"%s\",\"id\":\"%s\",\"org\":\"%s\",\"time\":"
                           "\"2025-11-20T09:00:00Z\",\"body\":%s}",
                           type, id, org, body);
    ev_event e;
    memset(&e, 0, sizeof e);
    ev_envelope_sign(k, json, strlen(json), &e.env);
    free(json);
    cm_error err;
    cm_error_clear(&err);
    ev_view v;
    store_view(W.s, &v);
    v.size = W.f.size;
    uint8_t pub[32];
    srv_receipt r = {0};
    int rc = ev_event_parse(&e, NOW, &err) || ev_signer_key(&v, &e, pub, &err) ||
             dsse_verify(pub, DSSE_PAYLOAD_TYPE, e.env.payload, e.env.payload_len, e.env.sig) ||
             store_begin(W.s, &err) || srv_append(W.s, &W.f, &e, NOW, &W.fx, &W.scratch, &r, &err);
    if (rc)
        store_rollback(W.s);
    else
        assert_int_equal(store_commit(W.s, &err), 0);
    if (dup) *dup = r.duplicate;
    if (index) *index = r.index;
    ev_event_free(&e);
    return rc ? err.code : CM_OK;
}

static cm_code submit(const log_key *k, const char *org, const char *type, const char *body)
{
    char id[32];
    snprintf(id, sizeof id, "e-%u", ++W.seq);
    return submit_id(k, org, type, id, body, NULL, NULL);
}

static int setup(void **state)
{
    (void)state;
    if (sodium_init() < 0) return -1;
    cm_error err;
    if (tmpstore_setup(state) || !(W.s = store_open(tmpstore_path, STORE_WRITER, &err))) return -1;
    log_frontier_init(&W.f);
    key(&W.cell, 1);
    key(&W.k2, 2);
    key(&W.k3, 3);
    key(&W.other, 4);
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    store_close(W.s);
    tmpstore_teardown(state);
    ev_effects_free(&W.fx);
    buf_free(&W.scratch);
    log_key_free(&W.cell);
    log_key_free(&W.k2);
    log_key_free(&W.k3);
    log_key_free(&W.other);
    return 0;
}

static void test_genesis(void **state)
{
    (void)state;
    char body[256];
    /* nothing before the genesis */
    assert_int_equal(submit(&W.cell, "cell", "place.define",
                            "{\"place\":\"k\",\"kind\":\"crossing\",\"name\":\"K\",\"lat\":1,"
                            "\"lon\":2}"),
                     CM_RULE_VIOLATION);
    /* signed by a key it does not admit */
    snprintf(body, sizeof body,
             "{\"org\":\"cell\",\"name\":\"Cell\",\"roles\":[\"coordinator\"],\"keys\":[{"
             "\"public_key\":\"%s\"}]}",
             b64(&W.k2));
    assert_int_equal(submit(&W.cell, "cell", "org.admit", body), CM_UNKNOWN_KEY);
    /* without the coordinator role */
    snprintf(body, sizeof body,
             "{\"org\":\"cell\",\"name\":\"Cell\",\"roles\":[\"monitor\"],\"keys\":[{"
             "\"public_key\":\"%s\"}]}",
             b64(&W.cell));
    assert_int_equal(submit(&W.cell, "cell", "org.admit", body), CM_RULE_VIOLATION);
    /* admitting an org other than the one that signs it */
    snprintf(body, sizeof body,
             "{\"org\":\"other\",\"name\":\"Other\",\"roles\":[\"coordinator\"],\"keys\":[{"
             "\"public_key\":\"%s\"}]}",
             b64(&W.cell));
    assert_int_equal(submit(&W.cell, "cell", "org.admit", body), CM_RULE_VIOLATION);
    assert_int_equal(W.f.size, 0);
    snprintf(body, sizeof body,
             "{\"org\":\"cell\",\"name\":\"Cell\",\"roles\":[\"coordinator\"],\"keys\":[{"
             "\"public_key\":\"%s\"}]}",
             b64(&W.cell));
    assert_int_equal(submit(&W.cell, "cell", "org.admit", body), CM_OK);
    assert_int_equal(W.f.size, 1);
}

static void test_admit_and_authority(void **state)
{
    (void)state;
    char body[256];
    snprintf(body, sizeof body,
             "{\"org\":\"relief\",\"name\":\"Relief\",\"roles\":[\"humanitarian\"],\"keys\":[{"
             "\"public_key\":\"%s\"}]}",
             b64(&W.k2));
    int dup = -1;
    uint64_t first = 0, again = 0;
    assert_int_equal(submit_id(&W.cell, "cell", "org.admit", "admit-relief", body, &dup, &first),
                     CM_OK);
    assert_int_equal(dup, 0);
    /* the same envelope again: its first receipt, nothing appended */
    uint64_t size = W.f.size;
    assert_int_equal(submit_id(&W.cell, "cell", "org.admit", "admit-relief", body, &dup, &again),
                     CM_OK);
    assert_int_equal(dup, 1);
    assert_int_equal(again, first);
    assert_int_equal(W.f.size, size);
    /* the same id with other bytes */
    assert_int_equal(submit_id(&W.cell, "cell", "org.admit", "admit-relief",
                               "{\"org\":\"relief2\",\"name\":\"R\",\"roles\":[\"monitor\"],"
                               "\"keys\":[{\"public_key\":\"AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"
                               "AAAAA=\"}]}",
                               NULL, NULL),
                     CM_CONFLICT);
    /* admitted twice */
    snprintf(body, sizeof body,
             "{\"org\":\"relief\",\"name\":\"Relief\",\"roles\":[\"humanitarian\"],\"keys\":[{"
             "\"public_key\":\"%s\"}]}",
             b64(&W.other));
    assert_int_equal(submit(&W.cell, "cell", "org.admit", body), CM_RULE_VIOLATION);
    /* a key already registered, or twice in one admit */
    snprintf(body, sizeof body,
             "{\"org\":\"x\",\"name\":\"X\",\"roles\":[\"monitor\"],\"keys\":[{\"public_key\":"
             "\"%s\"}]}",
             b64(&W.k2));
    assert_int_equal(submit(&W.cell, "cell", "org.admit", body), CM_CONFLICT);
    snprintf(body, sizeof body,
             "{\"org\":\"x\",\"name\":\"X\",\"roles\":[\"monitor\"],\"keys\":[{\"public_key\":"
             "\"%s\"},{\"public_key\":\"%s\"}]}",
             b64(&W.other), b64(&W.other));
    assert_int_equal(submit(&W.cell, "cell", "org.admit", body), CM_CONFLICT);
    /* the wrong role */
    assert_int_equal(submit(&W.k2, "relief", "place.define",
                            "{\"place\":\"k\",\"kind\":\"crossing\",\"name\":\"K\",\"lat\":1,"
                            "\"lon\":2}"),
                     CM_FORBIDDEN);
    /* a key of another org */
    assert_int_equal(submit(&W.k2, "cell", "place.define",
                            "{\"place\":\"k\",\"kind\":\"crossing\",\"name\":\"K\",\"lat\":1,"
                            "\"lon\":2}"),
                     CM_FORBIDDEN);
    /* an unknown key */
    assert_int_equal(submit(&W.other, "relief", "key.add",
                            "{\"org\":\"relief\",\"public_key\":"
                            "\"AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=\"}"),
                     CM_UNKNOWN_KEY);
    /* an org adds its own key, but not another org's */
    snprintf(body, sizeof body, "{\"org\":\"relief\",\"public_key\":\"%s\"}", b64(&W.k3));
    assert_int_equal(submit(&W.k2, "relief", "key.add", body), CM_OK);
    snprintf(body, sizeof body, "{\"org\":\"cell\",\"public_key\":\"%s\"}", b64(&W.other));
    assert_int_equal(submit(&W.k2, "relief", "key.add", body), CM_FORBIDDEN);
}

static void test_keys_and_suspension(void **state)
{
    (void)state;
    char body[256];
    snprintf(body, sizeof body, "{\"org\":\"relief\",\"keyid\":\"%s\",\"reason\":\"lost\"}",
             keyid(&W.k2));
    assert_int_equal(submit(&W.k3, "relief", "key.revoke", body), CM_OK);
    assert_int_equal(submit(&W.k3, "relief", "key.revoke", body), CM_RULE_VIOLATION);
    snprintf(body, sizeof body, "{\"org\":\"relief\",\"public_key\":\"%s\"}", b64(&W.other));
    assert_int_equal(submit(&W.k2, "relief", "key.add", body), CM_KEY_REVOKED);
    /* the last active key stays */
    snprintf(body, sizeof body, "{\"org\":\"relief\",\"keyid\":\"%s\",\"reason\":\"x\"}",
             keyid(&W.k3));
    assert_int_equal(submit(&W.cell, "cell", "key.revoke", body), CM_RULE_VIOLATION);
    snprintf(body, sizeof body, "{\"org\":\"relief\",\"keyid\":\"%s\",\"reason\":\"x\"}",
             keyid(&W.cell));
    assert_int_equal(submit(&W.cell, "cell", "key.revoke", body), CM_RULE_VIOLATION);
    /* suspension */
    const char *susp = "{\"org\":\"relief\",\"reason\":\"diverted a convoy\"}";
    assert_int_equal(submit(&W.cell, "cell", "org.suspend", susp), CM_OK);
    assert_int_equal(submit(&W.cell, "cell", "org.suspend", susp), CM_RULE_VIOLATION);
    snprintf(body, sizeof body, "{\"org\":\"relief\",\"public_key\":\"%s\"}", b64(&W.other));
    assert_int_equal(submit(&W.k3, "relief", "key.add", body), CM_ORG_SUSPENDED);
    assert_int_equal(submit(&W.cell, "cell", "org.suspend", "{\"org\":\"cell\",\"reason\":\"x\"}"),
                     CM_RULE_VIOLATION);
    assert_int_equal(submit(&W.cell, "cell", "org.suspend", "{\"org\":\"ghost\",\"reason\":\"x\"}"),
                     CM_RULE_VIOLATION);
    assert_int_equal(submit(&W.cell, "cell", "org.reinstate", "{\"org\":\"relief\"}"), CM_OK);
    assert_int_equal(submit(&W.cell, "cell", "org.reinstate", "{\"org\":\"relief\"}"),
                     CM_RULE_VIOLATION);
    assert_int_equal(submit(&W.k3, "relief", "key.add", body), CM_OK);
}

static void test_places(void **state)
{
    (void)state;
    const char *p = "{\"place\":\"zikim\",\"kind\":\"crossing\",\"name\":\"Zikim\",\"lat\":31.6,"
                    "\"lon\":34.52,\"sector\":\"north\"}";
    assert_int_equal(submit(&W.cell, "cell", "place.define", p), CM_OK);
    assert_int_equal(submit(&W.cell, "cell", "place.define", p), CM_RULE_VIOLATION);
    assert_int_equal(
        submit(&W.cell, "cell", "place.status", "{\"place\":\"nowhere\",\"status\":\"closed\"}"),
        CM_RULE_VIOLATION);
    assert_int_equal(submit(&W.cell, "cell", "place.status",
                            "{\"place\":\"zikim\",\"status\":\"closed\",\"reason\":\"shelling\"}"),
                     CM_OK);
    cm_buf out = CM_BUF_INIT;
    cm_error err;
    assert_int_equal(views_places_json(W.s, &out, &err), 0);
    assert_non_null(strstr(out.data, "\"place\":\"zikim\""));
    assert_non_null(strstr(out.data, "\"status\":\"closed\",\"reason\":\"shelling\""));
    buf_reset(&out);
    assert_int_equal(views_orgs_json(W.s, &out, &err), 0);
    assert_non_null(strstr(out.data, "\"org\":\"relief\""));
    assert_non_null(strstr(out.data, "\"status\":\"revoked\""));
    buf_free(&out);
}

static void test_diff_names_entry(void **state)
{
    (void)state;
    /* a copy of the store, one row of it changed by hand */
    char copy[80];
    snprintf(copy, sizeof copy, "%s.copy", tmpstore_path);
    sqlite3 *db = NULL;
    assert_int_equal(sqlite3_open(tmpstore_path, &db), SQLITE_OK);
    char *sql = xasprintf("VACUUM INTO '%s'", copy);
    assert_int_equal(sqlite3_exec(db, sql, NULL, NULL, NULL), SQLITE_OK);
    free(sql);
    sqlite3_close(db);
    cm_buf report = CM_BUF_INIT;
    cm_error err;
    assert_int_equal(store_diff(W.s, copy, 1, &report, &err), 0);
    assert_int_equal(sqlite3_open(copy, &db), SQLITE_OK);
    assert_int_equal(sqlite3_exec(db, "UPDATE places SET name='Elsewhere' WHERE place='zikim'",
                                  NULL, NULL, NULL),
                     SQLITE_OK);
    sqlite3_int64 defined = 0;
    sqlite3_stmt *st;
    sqlite3_prepare_v2(db, "SELECT updated FROM places WHERE place='zikim'", -1, &st, NULL);
    assert_int_equal(sqlite3_step(st), SQLITE_ROW);
    defined = sqlite3_column_int64(st, 0);
    sqlite3_finalize(st);
    sqlite3_close(db);
    assert_int_equal(store_diff(W.s, copy, 1, &report, &err), 2);
    char want[64];
    snprintf(want, sizeof want, "(entry %lld)", (long long)defined);
    assert_non_null(strstr(report.data, want));
    assert_non_null(strstr(report.data, "Elsewhere"));
    /* the changed row twice, the replay's first; then a row the copy lacks
     * and one only the copy has (the diff merges both in key order) */
    const char *mine = strstr(report.data, "places: the replay gives");
    const char *theirs = strstr(report.data, "places: the store has");
    assert_non_null(mine);
    assert_non_null(theirs);
    assert_true(mine < theirs);
    assert_int_equal(sqlite3_open(copy, &db), SQLITE_OK);
    assert_int_equal(sqlite3_exec(db,
                                  "DELETE FROM places WHERE place='zikim';"
                                  "INSERT INTO places(place, kind, name, lat, lon, status, "
                                  "defined, updated) VALUES('zzz-extra', 'crossing', 'Extra', 1, "
                                  "2, 'active', 0, 0)",
                                  NULL, NULL, NULL),
                     SQLITE_OK);
    sqlite3_close(db);
    buf_reset(&report);
    assert_int_equal(store_diff(W.s, copy, 1, &report, &err), 2);
    assert_non_null(strstr(report.data, "places: the replay gives (place=\"zikim\""));
    assert_non_null(strstr(report.data, "places: the store has (place=\"zzz-extra\""));
    assert_null(strstr(report.data, "Elsewhere"));
    buf_free(&report);
    unlink(copy);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_genesis),
        cmocka_unit_test(test_admit_and_authority),
        cmocka_unit_test(test_keys_and_suspension),
        cmocka_unit_test(test_places),
        cmocka_unit_test(test_diff_names_entry),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
