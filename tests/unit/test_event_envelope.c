/*
 * test_event_envelope.c: strict JSON, identifiers, the DSSE envelope, the
 * log entry form, and the common fields and body schema of an event.
 */
#include "common/buf.h"
#include "common/codec.h"
#include "event/event.h"

#include <setjmp.h>
#include <sodium.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#define NOW 1763630100000LL /* 2025-11-20T09:15:00Z */

static log_key key;

static int setup(void **state)
{
    (void)state;
    uint8_t seed[32] = {7};
    return log_key_from_seed(&key, seed);
}

static int teardown(void **state)
{
    (void)state;
    log_key_free(&key);
    return 0;
}

static int json_code(const char *s, char *field_out)
{
    cm_error e;
    cm_error_clear(&e);
    json_t *j = ev_json_parse(s, strlen(s), "payload", &e);
    if (j) json_decref(j);
    if (field_out) strcpy(field_out, e.field);
    return j ? CM_OK : (int)e.code;
}

static void test_strict_json(void **state)
{
    (void)state;
    assert_int_equal(json_code("{\"a\":1}", NULL), CM_OK);
    assert_int_equal(json_code("{\"a\":1,\"a\":2}", NULL), CM_BAD_REQUEST);
    assert_int_equal(json_code("{\"a\":{\"b\":1,\"b\":1}}", NULL), CM_BAD_REQUEST);
    assert_int_equal(json_code("{\"a\":\"x\\u0000y\"}", NULL), CM_BAD_REQUEST);
    assert_int_equal(json_code("{\"a\":\"\xff\"}", NULL), CM_BAD_REQUEST);
    assert_int_equal(json_code("[1]", NULL), CM_BAD_REQUEST);
    assert_int_equal(json_code("{\"a\":1", NULL), CM_BAD_REQUEST);
    char field[CM_FIELD_MAX];
    assert_int_equal(json_code("{\"a\":1} x", field), CM_BAD_REQUEST);
    assert_string_equal(field, "payload");
    /* 16 levels of nesting pass, 17 do not */
    cm_buf b = CM_BUF_INIT;
    for (int depth = 16; depth <= 17; depth++) {
        buf_reset(&b);
        for (int i = 0; i < depth; i++) buf_puts(&b, i ? "[" : "{\"a\":");
        for (int i = depth - 1; i > 0; i--) buf_puts(&b, "]");
        buf_puts(&b, "}");
        assert_int_equal(json_code(b.data, NULL), depth == 16 ? CM_OK : CM_BAD_REQUEST);
    }
    buf_free(&b);
    /* a raw NUL byte inside the data */
    cm_error e;
    json_t *j = ev_json_parse("{\"a\":1}\0", 8, "payload", &e);
    assert_null(j);
}

static void test_ids(void **state)
{
    (void)state;
    assert_true(ev_is_id("a"));
    assert_true(ev_is_id("t-2025-11-20-0042"));
    assert_true(ev_is_id("A.b_c:d-e"));
    char max[65];
    memset(max, 'x', 64);
    max[64] = '\0';
    assert_true(ev_is_id(max));
    char over[66];
    memset(over, 'x', 65);
    over[65] = '\0';
    assert_false(ev_is_id(over));
    assert_false(ev_is_id(""));
    assert_false(ev_is_id("-a"));
    assert_false(ev_is_id(".a"));
    assert_false(ev_is_id("a b"));
    assert_false(ev_is_id("a/b"));
    assert_false(ev_is_id("é"));
}

/* A valid envelope of payload p, as JSON. */
static char *envelope_json(const char *p)
{
    ev_envelope env;
    ev_envelope_sign(&key, p, strlen(p), &env);
    cm_buf b = CM_BUF_INIT;
    ev_envelope_write(&env, &b);
    ev_envelope_free(&env);
    return buf_take(&b);
}

static void expect_envelope(const char *json, cm_code code, const char *field)
{
    ev_envelope env;
    cm_error e;
    cm_error_clear(&e);
    int rc = ev_envelope_parse(json, strlen(json), &env, &e);
    if (code == CM_OK) {
        if (rc) fail_msg("refused %s: %s", json, e.message);
        ev_envelope_free(&env);
        return;
    }
    if (rc == 0) fail_msg("accepted %s", json);
    assert_int_equal(e.code, code);
    assert_string_equal(e.field, field);
}

static void test_envelope(void **state)
{
    (void)state;
    const char *p = "{\"v\":1}";
    char *ok = envelope_json(p);
    expect_envelope(ok, CM_OK, "");
    ev_envelope env;
    cm_error e;
    assert_int_equal(ev_envelope_parse(ok, strlen(ok), &env, &e), 0);
    assert_int_equal(env.payload_len, strlen(p));
    assert_memory_equal(env.payload, p, strlen(p));
    assert_int_equal(dsse_verify(key.pub, DSSE_PAYLOAD_TYPE, env.payload, env.payload_len, env.sig),
                     0);
    char keyid[17];
    log_keyid(key.pub, keyid);
    assert_string_equal(env.keyid, keyid);
    ev_envelope_free(&env);

    char sig[100];
    {
        const char *s = strstr(ok, "\"sig\":\"") + 7;
        size_t n = (size_t)(strchr(s, '"') - s);
        memcpy(sig, s, n);
        sig[n] = '\0';
    }
    char buf[1024];
#define ENV(pt, pl, sigs)                                                                          \
    (snprintf(buf, sizeof buf, "{\"payloadType\":%s,\"payload\":%s,\"signatures\":%s}", pt, pl,    \
              sigs),                                                                               \
     buf)
    char one[300];
    snprintf(one, sizeof one, "[{\"keyid\":\"%s\",\"sig\":\"%s\"}]", keyid, sig);
    const char *pt = "\"application/vnd.cmcc.event+json\"", *pl = "\"eyJ2IjoxfQ==\"";
    expect_envelope(ENV(pt, pl, one), CM_OK, "");
    expect_envelope(ENV("\"text/plain\"", pl, one), CM_BAD_REQUEST, "payloadType");
    expect_envelope(ENV(pt, "\"eyJ2IjoxfQ\"", one), CM_BAD_REQUEST, "payload");
    expect_envelope(ENV(pt, "\"eyJ2Ijox fQ==\"", one), CM_BAD_REQUEST, "payload");
    expect_envelope(ENV(pt, "\"eyJ2IjoxfR==\"", one), CM_BAD_REQUEST,
                    "payload"); /* not canonical */
    expect_envelope(ENV(pt, "\"\"", one), CM_BAD_REQUEST, "payload");
    expect_envelope(ENV(pt, "42", one), CM_BAD_REQUEST, "payload");
    expect_envelope(ENV(pt, pl, "[]"), CM_BAD_REQUEST, "signatures");
    char two[600];
    snprintf(two, sizeof two,
             "[{\"keyid\":\"%s\",\"sig\":\"%s\"},{\"keyid\":\"%s\",\"sig\":\"%s\"}]", keyid, sig,
             keyid, sig);
    expect_envelope(ENV(pt, pl, two), CM_BAD_REQUEST, "signatures");
    char badid[300];
    snprintf(badid, sizeof badid, "[{\"keyid\":\"%.15sZ\",\"sig\":\"%s\"}]", keyid, sig);
    expect_envelope(ENV(pt, pl, badid), CM_BAD_REQUEST, "signatures[0].keyid");
    char shortsig[300];
    snprintf(shortsig, sizeof shortsig, "[{\"keyid\":\"%s\",\"sig\":\"AAAA\"}]", keyid);
    expect_envelope(ENV(pt, pl, shortsig), CM_BAD_REQUEST, "signatures[0].sig");
    char extra[400];
    snprintf(extra, sizeof extra, "[{\"keyid\":\"%s\",\"sig\":\"%s\",\"x\":1}]", keyid, sig);
    expect_envelope(ENV(pt, pl, extra), CM_BAD_REQUEST, "signatures[0].x");
    snprintf(buf, sizeof buf, "{\"payloadType\":%s,\"payload\":%s,\"signatures\":%s,\"y\":1}", pt,
             pl, one);
    expect_envelope(buf, CM_BAD_REQUEST, "y");
    snprintf(buf, sizeof buf, "{\"payload\":%s,\"signatures\":%s}", pl, one);
    expect_envelope(buf, CM_BAD_REQUEST, "payloadType");
    snprintf(buf, sizeof buf, "{\"payloadType\":%s,\"signatures\":%s}", pt, one);
    expect_envelope(buf, CM_BAD_REQUEST, "payload");
#undef ENV
    free(ok);

    /* a payload over 32,768 bytes is too large */
    char *big = malloc(EV_PAYLOAD_MAX + 2);
    memset(big, ' ', EV_PAYLOAD_MAX + 1);
    big[0] = '{';
    big[EV_PAYLOAD_MAX] = '}';
    big[EV_PAYLOAD_MAX + 1] = '\0';
    char *bigenv = envelope_json(big);
    expect_envelope(bigenv, CM_TOO_LARGE, "payload");
    free(bigenv);
    big[EV_PAYLOAD_MAX - 1] = '}';
    big[EV_PAYLOAD_MAX] = '\0';
    bigenv = envelope_json(big);
    expect_envelope(bigenv, CM_OK, "");
    free(bigenv);
    free(big);
}

/* Parses json as given (the compact form is taken by its fast path) and
 * with a space after its first brace (the general parser): the outcomes
 * must be the same, field for field. */
static void expect_same_both_ways(const char *json)
{
    size_t n = strlen(json);
    char *spaced = malloc(n + 2);
    spaced[0] = json[0];
    spaced[1] = ' ';
    memcpy(spaced + 2, json + 1, n);
    ev_envelope a, b;
    cm_error ea, eb;
    cm_error_clear(&ea);
    cm_error_clear(&eb);
    int ra = ev_envelope_parse(json, n, &a, &ea);
    int rb = ev_envelope_parse(spaced, n + 1, &b, &eb);
    if (ra != rb)
        fail_msg("%s: compact %d, spaced %d (%s%s)", json, ra, rb, ea.message, eb.message);
    if (ra == 0) {
        assert_true(ev_envelope_same(&a, &b));
        assert_int_equal(a.payload_b64_len, b.payload_b64_len);
        assert_memory_equal(a.payload_b64, b.payload_b64, a.payload_b64_len);
        ev_envelope_free(&a);
        ev_envelope_free(&b);
    } else {
        assert_int_equal(ea.code, eb.code);
        assert_string_equal(ea.field, eb.field);
        if (!strstr(ea.message, "not valid JSON")) /* those name a column */
            assert_string_equal(ea.message, eb.message);
    }
    free(spaced);
}

static void test_compact_form_fast_path(void **state)
{
    (void)state;
    char keyid[17];
    log_keyid(key.pub, keyid);
    char *ok = envelope_json("{\"v\":1,\"type\":\"org.admit\"}");
    expect_same_both_ways(ok);
    const char *sig = strstr(ok, "\"sig\":\"") + 7;
    const char *pt = "application/vnd.cmcc.event+json";
    char buf[1024];
#define COMPACT(type, payload, kid, sg)                                                            \
    (snprintf(buf, sizeof buf,                                                                     \
              "{\"payloadType\":\"%s\",\"payload\":\"%s\",\"signatures\":[{\"keyid\":\"%s\","      \
              "\"sig\":\"%.88s\"}]}",                                                              \
              type, payload, kid, sg),                                                             \
     buf)
    expect_same_both_ways(COMPACT(pt, "eyJ2IjoxfQ==", keyid, sig));
    expect_same_both_ways(COMPACT("text/plain", "eyJ2IjoxfQ==", keyid, sig));
    expect_same_both_ways(COMPACT(pt, "eyJ2IjoxfR==", keyid, sig)); /* not canonical */
    expect_same_both_ways(COMPACT(pt, "eyJ2IjoxfQ", keyid, sig));   /* no padding */
    expect_same_both_ways(COMPACT(pt, "ey=2IjoxfQ==", keyid, sig));
    expect_same_both_ways(COMPACT(pt, "", keyid, sig));
    expect_same_both_ways(COMPACT(pt, "eyJ2IjoxfQ==", "ABCDEF0123456789", sig));
    expect_same_both_ways(COMPACT(pt, "eyJ2IjoxfQ==", "0123", sig));
    expect_same_both_ways(COMPACT(pt, "eyJ2IjoxfQ==", keyid, "AAAA"));
    char badsig[89];
    memcpy(badsig, sig, 88);
    badsig[88] = '\0';
    badsig[85] = 'B'; /* the last character's spare bits set: not canonical */
    expect_same_both_ways(COMPACT(pt, "eyJ2IjoxfQ==", keyid, badsig));
    badsig[86] = 'A'; /* "==" is the padding of 64 bytes */
    expect_same_both_ways(COMPACT(pt, "eyJ2IjoxfQ==", keyid, badsig));
#undef COMPACT
    /* a payload over the limit, in compact form */
    char *big = malloc(EV_PAYLOAD_MAX + 2);
    memset(big, ' ', EV_PAYLOAD_MAX + 1);
    big[0] = '{';
    big[EV_PAYLOAD_MAX] = '}';
    big[EV_PAYLOAD_MAX + 1] = '\0';
    char *bigenv = envelope_json(big);
    expect_same_both_ways(bigenv);
    free(bigenv);
    free(big);
    /* cut short anywhere */
    size_t n = strlen(ok);
    for (size_t cut = 1; cut < n; cut += 7) {
        char *c = strndup(ok, cut);
        expect_same_both_ways(c);
        free(c);
    }
    free(ok);
}

static void test_entry_form(void **state)
{
    (void)state;
    const char *p = "{\"v\":1,\"type\":\"org.suspend\"}";
    ev_envelope env, back;
    ev_envelope_sign(&key, p, strlen(p), &env);
    cm_buf entry = CM_BUF_INIT;
    ev_entry_write(&env, NOW + 123, &entry);
    const char *head = "{\"v\":1,\"received\":\"2025-11-20T09:15:00.123Z\",\"envelope\":{"
                       "\"payloadType\":\"application/vnd.cmcc.event+json\",\"payload\":\"";
    assert_memory_equal(entry.data, head, strlen(head));
    int64_t received;
    cm_error e;
    assert_int_equal(ev_entry_parse(entry.data, entry.len, &back, &received, &e), 0);
    assert_int_equal(received, NOW + 123);
    assert_true(ev_envelope_same(&env, &back));
    ev_envelope_free(&back);
    /* a space anywhere makes it not the written form */
    cm_buf spaced = CM_BUF_INIT;
    buf_append(&spaced, entry.data, 6);
    buf_putc(&spaced, ' ');
    buf_append(&spaced, entry.data + 6, entry.len - 6);
    assert_int_not_equal(ev_entry_parse(spaced.data, spaced.len, &back, &received, &e), 0);
    /* another payload is another envelope */
    ev_envelope other;
    ev_envelope_sign(&key, "{\"v\":2}", 7, &other);
    assert_false(ev_envelope_same(&env, &other));
    ev_envelope_free(&other);
    ev_envelope_free(&env);
    buf_free(&entry);
    buf_free(&spaced);
}

static void expect_event(const char *payload, int64_t now, cm_code code, const char *field)
{
    ev_event ev;
    memset(&ev, 0, sizeof ev);
    ev_envelope_sign(&key, payload, strlen(payload), &ev.env);
    cm_error e;
    cm_error_clear(&e);
    int rc = ev_event_parse(&ev, now, &e);
    if (code == CM_OK && rc) fail_msg("refused %s: %s", payload, e.message);
    if (code != CM_OK) {
        if (rc == 0) fail_msg("accepted %s", payload);
        assert_int_equal(e.code, code);
        if (strcmp(e.field, field) != 0) fail_msg("%s: field %s, not %s", payload, e.field, field);
    }
    ev_event_free(&ev);
}

#define HEAD "\"v\":1,\"type\":\"place.define\",\"id\":\"p-1\",\"org\":\"cell\","
#define BODY                                                                                       \
    "\"body\":{\"place\":\"k\",\"kind\":\"crossing\",\"name\":\"K\",\"lat\":31.2,\"lon\":34.2}"

static void test_event_fields(void **state)
{
    (void)state;
    expect_event("{" HEAD "\"time\":\"2025-11-20T09:15:00Z\"," BODY "}", NOW, CM_OK, "");
    /* days old is fine; 200 s ahead is fine; 301 s ahead is not */
    expect_event("{" HEAD "\"time\":\"2025-11-02T09:15:00Z\"," BODY "}", NOW, CM_OK, "");
    expect_event("{" HEAD "\"time\":\"2025-11-20T09:18:20Z\"," BODY "}", NOW, CM_OK, "");
    expect_event("{" HEAD "\"time\":\"2025-11-20T09:20:01Z\"," BODY "}", NOW, CM_BAD_REQUEST,
                 "time");
    expect_event("{" HEAD "\"time\":\"2025-11-20T09:15:00+01:00\"," BODY "}", NOW, CM_BAD_REQUEST,
                 "time");
    expect_event("{\"v\":2,\"type\":\"place.define\",\"id\":\"p\",\"org\":\"c\",\"time\":\"2025-"
                 "11-20T09:15:00Z\"," BODY "}",
                 NOW, CM_BAD_REQUEST, "v");
    expect_event("{\"v\":1,\"type\":\"place.nope\",\"id\":\"p\",\"org\":\"c\",\"time\":\"2025-"
                 "11-20T09:15:00Z\"," BODY "}",
                 NOW, CM_BAD_REQUEST, "type");
    expect_event("{\"v\":1,\"type\":\"place.define\",\"id\":\"-p\",\"org\":\"c\",\"time\":\"2025-"
                 "11-20T09:15:00Z\"," BODY "}",
                 NOW, CM_BAD_REQUEST, "id");
    expect_event("{\"v\":1,\"type\":\"place.define\",\"org\":\"c\",\"time\":\"2025-"
                 "11-20T09:15:00Z\"," BODY "}",
                 NOW, CM_BAD_REQUEST, "id");
    expect_event("{" HEAD "\"time\":\"2025-11-20T09:15:00Z\"," BODY ",\"extra\":1}", NOW,
                 CM_BAD_REQUEST, "extra");
    expect_event("{" HEAD "\"time\":\"2025-11-20T09:15:00Z\"}", NOW, CM_BAD_REQUEST, "body");
    expect_event("{" HEAD "\"time\":\"2025-11-20T09:15:00Z\",\"body\":[]}", NOW, CM_BAD_REQUEST,
                 "body");
    /* body schema */
    const char *T = "{" HEAD "\"time\":\"2025-11-20T09:15:00Z\",\"body\":";
    char b[512];
#define BODYCASE(body, code, field)                                                                \
    snprintf(b, sizeof b, "%s%s}", T, body);                                                       \
    expect_event(b, NOW, code, field)
    BODYCASE("{\"place\":\"k\",\"kind\":\"crossing\",\"name\":\"K\",\"lat\":31.2,\"lon\":34.2,"
             "\"sector\":\"south\"}",
             CM_OK, "");
    BODYCASE("{\"place\":\"k\",\"kind\":\"crossing\",\"name\":\"K\",\"lat\":31.2}", CM_BAD_REQUEST,
             "body.lon");
    BODYCASE("{\"place\":\"k\",\"kind\":\"port\",\"name\":\"K\",\"lat\":31.2,\"lon\":34.2}",
             CM_BAD_REQUEST, "body.kind");
    BODYCASE("{\"place\":\"k\",\"kind\":\"crossing\",\"name\":\"K\",\"lat\":91,\"lon\":34.2}",
             CM_BAD_REQUEST, "body.lat");
    BODYCASE("{\"place\":\"k\",\"kind\":\"crossing\",\"name\":\"K\",\"lat\":31,\"lon\":-180.5}",
             CM_BAD_REQUEST, "body.lon");
    BODYCASE("{\"place\":\"k\",\"kind\":\"crossing\",\"name\":\"K\",\"lat\":\"31\",\"lon\":34}",
             CM_BAD_REQUEST, "body.lat");
    BODYCASE("{\"place\":\"k\",\"kind\":\"crossing\",\"name\":\"\",\"lat\":31,\"lon\":34}",
             CM_BAD_REQUEST, "body.name");
    BODYCASE("{\"place\":\"k\",\"kind\":\"crossing\",\"name\":\"K\",\"lat\":31,\"lon\":34,"
             "\"colour\":\"red\"}",
             CM_BAD_REQUEST, "body.colour");
    BODYCASE("{\"place\":\"k\",\"kind\":\"crossing\",\"name\":\"K\",\"lat\":31,\"lon\":34,"
             "\"sector\":null}",
             CM_BAD_REQUEST, "body.sector");
#undef BODYCASE
    /* arrays of objects and of enums */
    const char *A = "{\"v\":1,\"type\":\"org.admit\",\"id\":\"a\",\"org\":\"cell\",\"time\":"
                    "\"2025-11-20T09:15:00Z\",\"body\":";
    char pub[64];
    b64_encode(key.pub, 32, pub, sizeof pub);
#define ADMIT(roles, keys, code, field)                                                            \
    snprintf(b, sizeof b, "%s{\"org\":\"x\",\"name\":\"X\",\"roles\":%s,\"keys\":%s}}", A, roles,  \
             keys);                                                                                \
    expect_event(b, NOW, code, field)
    char keys[128];
    snprintf(keys, sizeof keys, "[{\"public_key\":\"%s\"}]", pub);
    ADMIT("[\"humanitarian\",\"transporter\"]", keys, CM_OK, "");
    ADMIT("[]", keys, CM_BAD_REQUEST, "body.roles");
    ADMIT("[\"humanitarian\",\"pilot\"]", keys, CM_BAD_REQUEST, "body.roles[1]");
    ADMIT("[\"humanitarian\",\"humanitarian\"]", keys, CM_BAD_REQUEST, "body.roles[1]");
    ADMIT("[\"humanitarian\"]", "[{\"public_key\":\"AAAA\"}]", CM_BAD_REQUEST,
          "body.keys[0].public_key");
    ADMIT("[\"humanitarian\"]", "[{}]", CM_BAD_REQUEST, "body.keys[0].public_key");
    ADMIT("[\"humanitarian\"]", "[1]", CM_BAD_REQUEST, "body.keys[0]");
#undef ADMIT
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_strict_json),  cmocka_unit_test(test_ids),
        cmocka_unit_test(test_envelope),     cmocka_unit_test(test_entry_form),
        cmocka_unit_test(test_event_fields), cmocka_unit_test(test_compact_form_fast_path),
    };
    if (sodium_init() < 0) return 1;
    return cmocka_run_group_tests(tests, setup, teardown);
}
