/*
 * test_log_note.c: signed notes, checkpoints and witness cosignatures
 * (log/note.c, log/checkpoint.c, log/cosig.c).
 *
 * Against $CMCC_SHARED_DIR/testvectors/tlog-1000, made by Go's sumdb/note: the log's
 * key from keys.txt signs checkpoint.logonly byte for byte; the witness key,
 * derived as tools/tlog-vectors/main.go derives it, cosigns it into
 * `checkpoint` byte for byte; both open with the verifier keys of keys.txt.
 * Then tampering, unknown signatures, malformed notes and key strings.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "vectors.h"

#include "log/log.h"

#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define LOG_NAME     "example.org/test-log"
#define WITNESS_NAME "example.org/test-witness"
#define TS           1700000000

/* The value of "<key> <value>" in keys.txt, copied into out. */
static void keys_line(const char *keys, const char *key, char *out, size_t cap)
{
    size_t klen = strlen(key);
    for (const char *p = keys; p && *p; p = strchr(p, '\n'), p = p ? p + 1 : NULL) {
        if (strncmp(p, key, klen) == 0 && p[klen] == ' ') {
            const char *v = p + klen + 1;
            size_t n = strcspn(v, "\n");
            assert_true(n < cap);
            memcpy(out, v, n);
            out[n] = '\0';
            return;
        }
    }
    fail_msg("no %s in keys.txt", key);
}

/* Go's detRand: the stream SHA-256(seed || uint64 BE 0), SHA-256(seed || 1),
 * ...; ed25519.GenerateKey and note.GenerateKey read the 32-byte seed
 * first, so it is the first block. */
static void det_seed(const char *origin, uint8_t seed[32])
{
    cm_buf b = CM_BUF_INIT;
    static const uint8_t zero[8] = {0};
    buf_puts(&b, origin);
    buf_append(&b, zero, 8);
    crypto_hash_sha256(seed, (const uint8_t *)b.data, b.len);
    buf_free(&b);
}

static struct {
    char *keys, *cp, *logonly;
    size_t cp_len, logonly_len;
    char signer[256], verifier[256], witness[256];
    size_t body_len; /* the checkpoint's text: body up to the blank line */
} V;

static int setup(void **state)
{
    (void)state;
    size_t n;
    V.keys = read_file(VEC "/keys.txt", &n);
    V.cp = read_file(VEC "/checkpoint", &V.cp_len);
    V.logonly = read_file(VEC "/checkpoint.logonly", &V.logonly_len);
    keys_line(V.keys, "signer", V.signer, sizeof V.signer);
    keys_line(V.keys, "verifier", V.verifier, sizeof V.verifier);
    keys_line(V.keys, "witness", V.witness, sizeof V.witness);
    char *blank = strstr(V.logonly, "\n\n");
    assert_non_null(blank);
    V.body_len = (size_t)(blank - V.logonly) + 1;
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    free(V.keys);
    free(V.cp);
    free(V.logonly);
    return 0;
}

static void test_sign_logonly(void **state)
{
    (void)state;
    log_key k;
    char name[NOTE_NAME_MAX];
    cm_error err;
    cm_buf out = CM_BUF_INIT;

    assert_int_equal(note_signer_parse(V.signer, &k, name, &err), 0);
    assert_string_equal(name, LOG_NAME);
    /* note.GenerateKey read its seed from the same stream */
    uint8_t seed[32];
    log_key k2;
    det_seed(LOG_NAME, seed);
    assert_int_equal(log_key_from_seed(&k2, seed), 0);
    assert_memory_equal(k.pub, k2.pub, 32);
    log_key_free(&k2);

    /* the verifier of the signer is keys.txt's */
    note_verifier v;
    note_verifier_from_key(&k, name, NOTE_KEY_ED25519, &v);
    note_verifier_format(&v, &out);
    assert_string_equal(out.data, V.verifier);
    buf_reset(&out);

    assert_int_equal(note_sign(V.logonly, V.body_len, &k, name, &out, &err), 0);
    assert_int_equal(out.len, V.logonly_len);
    assert_memory_equal(out.data, V.logonly, V.logonly_len);
    buf_free(&out);
    log_key_free(&k);
}

static void test_cosign(void **state)
{
    (void)state;
    uint8_t seed[32], sig[COSIG_SIG_SIZE];
    log_key w;
    note_verifier v;
    cm_buf out = CM_BUF_INIT;
    uint64_t ts = 0;

    det_seed(WITNESS_NAME, seed);
    assert_int_equal(log_key_from_seed(&w, seed), 0);
    note_verifier_from_key(&w, WITNESS_NAME, NOTE_KEY_COSIGNATURE, &v);
    note_verifier_format(&v, &out);
    assert_string_equal(out.data, V.witness);
    buf_reset(&out);

    cosig_sign(&w, TS, V.logonly, V.body_len, sig);
    assert_int_equal(cosig_verify(w.pub, V.logonly, V.body_len, sig, &ts), 0);
    assert_int_equal(ts, TS);
    buf_append(&out, V.logonly, V.logonly_len);
    note_add_sigline(&out, WITNESS_NAME, v.hash, sig, sizeof sig);
    assert_int_equal(out.len, V.cp_len);
    assert_memory_equal(out.data, V.cp, V.cp_len);
    buf_free(&out);
    log_key_free(&w);
}

static void parse_verifiers(note_verifier vs[2])
{
    cm_error err;
    assert_int_equal(note_verifier_parse(V.verifier, &vs[0], &err), 0);
    assert_int_equal(note_verifier_parse(V.witness, &vs[1], &err), 0);
}

static void test_open(void **state)
{
    (void)state;
    note_verifier vs[2];
    note_opened o;
    cm_error err;

    parse_verifiers(vs);
    assert_string_equal(vs[0].name, LOG_NAME);
    assert_int_equal(vs[0].type, NOTE_KEY_ED25519);
    assert_int_equal(vs[0].hash, 0x6352ce1f);
    assert_string_equal(vs[1].name, WITNESS_NAME);
    assert_int_equal(vs[1].type, NOTE_KEY_COSIGNATURE);
    assert_int_equal(vs[1].hash, 0xb4d3e587);

    assert_int_equal(note_open(V.cp, V.cp_len, vs, 2, &o, &err), 0);
    assert_int_equal(o.verified, 3);
    assert_int_equal(o.unknown, 0);
    assert_int_equal(o.text_len, V.body_len);
    assert_int_equal(o.cosig_time[1], TS);

    /* the log's key alone: the witness's line is unknown */
    assert_int_equal(note_open(V.cp, V.cp_len, vs, 1, &o, &err), 0);
    assert_int_equal(o.verified, 1);
    assert_int_equal(o.unknown, 1);
    /* the witness's alone */
    assert_int_equal(note_open(V.cp, V.cp_len, vs + 1, 1, &o, &err), 0);
    assert_int_equal(o.verified, 1);
    assert_int_equal(o.cosig_time[0], TS);
    /* the log-only note under both */
    assert_int_equal(note_open(V.logonly, V.logonly_len, vs, 2, &o, &err), 0);
    assert_int_equal(o.verified, 1);

    /* its text is a checkpoint */
    log_checkpoint c;
    assert_int_equal(checkpoint_parse(V.cp, o.text_len, &c, &err), 0);
    assert_string_equal(c.origin, LOG_NAME);
    assert_int_equal(c.size, 1000);
    cm_buf b = CM_BUF_INIT;
    checkpoint_body(&c, &b);
    assert_int_equal(b.len, V.body_len);
    assert_memory_equal(b.data, V.cp, V.body_len);
    buf_free(&b);
}

static void test_open_tampered(void **state)
{
    (void)state;
    note_verifier vs[2];
    note_opened o;
    cm_error err;
    char *n = malloc(V.cp_len + 1);

    parse_verifiers(vs);
    /* the size 1000 -> 1001: both signatures fail */
    memcpy(n, V.cp, V.cp_len + 1);
    char *size = strstr(n, "1000\n");
    size[3] = '1';
    assert_int_equal(note_open(n, V.cp_len, vs, 2, &o, &err), -1);
    assert_int_equal(err.code, CM_BAD_SIGNATURE);
    assert_int_equal(note_open(n, V.cp_len, vs + 1, 1, &o, &err), -1);
    assert_int_equal(err.code, CM_BAD_SIGNATURE);

    /* one base64 character of a signature changed, in each line */
    const char *lines[] = {"— " LOG_NAME " ", "— " WITNESS_NAME " "};
    for (int i = 0; i < 2; i++) {
        memcpy(n, V.cp, V.cp_len);
        char *at = strstr(n, lines[i]) + strlen(lines[i]) + 20;
        *at = *at == 'A' ? 'B' : 'A';
        assert_int_equal(note_open(n, V.cp_len, vs, 2, &o, &err), -1);
        assert_int_equal(err.code, CM_BAD_SIGNATURE);
        /* while the other key alone still opens it, counting the bad line unknown */
        assert_int_equal(note_open(n, V.cp_len, vs + (1 - i), 1, &o, &err), 0);
        assert_int_equal(o.unknown, 1);
    }
    /* the witness's timestamp changed */
    memcpy(n, V.cp, V.cp_len);
    {
        cm_buf b = CM_BUF_INIT;
        log_key w;
        uint8_t seed[32], sig[COSIG_SIG_SIZE];
        det_seed(WITNESS_NAME, seed);
        assert_int_equal(log_key_from_seed(&w, seed), 0);
        cosig_sign(&w, TS, V.logonly, V.body_len, sig);
        sig[7] ^= 1;
        buf_append(&b, V.logonly, V.logonly_len);
        note_add_sigline(&b, WITNESS_NAME, vs[1].hash, sig, sizeof sig);
        assert_int_equal(note_open(b.data, b.len, vs, 2, &o, &err), -1);
        uint64_t ts;
        assert_int_equal(cosig_verify(w.pub, V.logonly, V.body_len, sig, &ts), -1);
        buf_free(&b);
        log_key_free(&w);
    }
    free(n);
}

static void test_open_unknown_and_repeats(void **state)
{
    (void)state;
    note_verifier vs[2];
    note_opened o;
    cm_error err;
    cm_buf b = CM_BUF_INIT;
    uint8_t junk[68];

    parse_verifiers(vs);
    memset(junk, 0x5a, sizeof junk);
    buf_append(&b, V.cp, V.cp_len);
    note_add_sigline(&b, "other.example/key", 0x01020304, junk, sizeof junk);
    /* a line under the log's name with another key hash is another key */
    note_add_sigline(&b, LOG_NAME, vs[0].hash ^ 1, junk, sizeof junk);
    assert_int_equal(note_open(b.data, b.len, vs, 2, &o, &err), 0);
    assert_int_equal(o.verified, 3);
    assert_int_equal(o.unknown, 2);

    /* no known key at all */
    assert_int_equal(note_open(b.data, b.len, vs, 0, &o, &err), -1);
    assert_int_equal(err.code, CM_UNKNOWN_KEY);

    /* a repeated signature line of a known key is skipped, as Go does */
    buf_reset(&b);
    buf_append(&b, V.logonly, V.logonly_len);
    buf_append(&b, V.logonly + V.body_len + 1, V.logonly_len - V.body_len - 1);
    assert_int_equal(note_open(b.data, b.len, vs, 2, &o, &err), 0);
    assert_int_equal(o.verified, 1);
    buf_free(&b);
}

static void expect_malformed(const char *note, const note_verifier *vs, size_t nv)
{
    note_opened o;
    cm_error err;
    if (note_open(note, strlen(note), vs, nv, &o, &err) == 0) fail_msg("opened: %s", note);
    assert_int_equal(err.code, CM_BAD_REQUEST);
}

static void test_open_malformed(void **state)
{
    (void)state;
    note_verifier vs[2];
    cm_buf b = CM_BUF_INIT;
    const char *sigs = V.logonly + V.body_len + 1; /* "— example.org/test-log ...\n" */
    note_opened o;
    cm_error err;

    parse_verifiers(vs);
    expect_malformed("", vs, 2);
    expect_malformed("text\n", vs, 2);
    expect_malformed("text\n\n", vs, 2);

    /* no newline at the end */
    buf_append(&b, V.logonly, V.logonly_len - 1);
    expect_malformed(b.data, vs, 2);
    /* a signature line without the dash */
    buf_reset(&b);
    buf_append(&b, V.logonly, V.body_len + 1);
    buf_puts(&b, sigs + 4);
    expect_malformed(b.data, vs, 2);
    /* a hyphen instead of the em dash */
    buf_reset(&b);
    buf_append(&b, V.logonly, V.body_len + 1);
    buf_puts(&b, "- ");
    buf_puts(&b, sigs + 4);
    expect_malformed(b.data, vs, 2);
    /* a stray line after the signatures */
    buf_reset(&b);
    buf_append(&b, V.logonly, V.logonly_len);
    buf_puts(&b, "hello\n");
    expect_malformed(b.data, vs, 2);
    /* bad base64, an empty one, one too short for a key hash */
    expect_malformed("a\n\n— k AAAA*AAA\n", vs, 2);
    expect_malformed("a\n\n— k \n", vs, 2);
    expect_malformed("a\n\n— k\n", vs, 2);
    expect_malformed("a\n\n— k AAAAAA==\n", vs, 2);
    /* names: empty, with a "+" */
    expect_malformed("a\n\n—  AAAAAAA=\n", vs, 2);
    expect_malformed("a\n\n— a+b AAAAAAA=\n", vs, 2);
    /* control characters and bad UTF-8 anywhere */
    expect_malformed("a\tb\n\n— k AAAAAAA=\n", vs, 2);
    expect_malformed("a\r\n\n— k AAAAAAA=\n", vs, 2);
    expect_malformed("a\xff\n\n— k AAAAAAA=\n", vs, 2);
    expect_malformed("a\xc0\x80\n\n— k AAAAAAA=\n", vs, 2);     /* overlong */
    expect_malformed("a\xed\xa0\x80\n\n— k AAAAAAA=\n", vs, 2); /* surrogate */
    expect_malformed("a\xe2\x80\n\n— k AAAAAAA=\n", vs, 2);     /* cut */
    /* more than 100 signature lines */
    buf_reset(&b);
    buf_append(&b, V.logonly, V.logonly_len);
    for (int i = 0; i < 100; i++) buf_puts(&b, "— k AAAAAAA=\n");
    expect_malformed(b.data, vs, 2);
    /* a known key's signature of the wrong length fails */
    buf_reset(&b);
    buf_append(&b, V.logonly, V.body_len + 1);
    {
        uint8_t s[65] = {0};
        note_add_sigline(&b, LOG_NAME, vs[0].hash, s, sizeof s);
    }
    assert_int_equal(note_open(b.data, b.len, vs, 2, &o, &err), -1);
    assert_int_equal(err.code, CM_BAD_SIGNATURE);
    /* too many verifiers */
    note_verifier many[NOTE_MAX_SIGS + 1];
    memset(many, 0, sizeof many);
    many[0] = vs[0];
    assert_int_equal(note_open(V.logonly, V.logonly_len, many, NOTE_MAX_SIGS + 1, &o, &err), -1);
    /* text of any UTF-8 (here "é" and U+2014) with a blank-free body opens */
    log_key k;
    char name[NOTE_NAME_MAX];
    assert_int_equal(note_signer_parse(V.signer, &k, name, &err), 0);
    buf_reset(&b);
    const char *utf8 = "caf\xc3\xa9\n\xe2\x80\x94 x\n";
    assert_int_equal(note_sign(utf8, strlen(utf8), &k, name, &b, &err), 0);
    assert_int_equal(note_open(b.data, b.len, vs, 1, &o, &err), 0);
    assert_int_equal(o.text_len, 12);
    log_key_free(&k);
    buf_free(&b);
}

static void test_sign_refuses(void **state)
{
    (void)state;
    log_key k;
    char name[NOTE_NAME_MAX];
    cm_error err;
    cm_buf b = CM_BUF_INIT;
    char longname[NOTE_NAME_MAX + 1];

    assert_int_equal(note_signer_parse(V.signer, &k, name, &err), 0);
    assert_int_equal(note_sign("", 0, &k, name, &b, &err), -1);
    assert_int_equal(note_sign("no newline", 10, &k, name, &b, &err), -1);
    assert_int_equal(note_sign("a\n\nb\n", 5, &k, name, &b, &err), -1);
    assert_int_equal(note_sign("\na\n", 3, &k, name, &b, &err), -1);
    assert_int_equal(note_sign("a\tb\n", 4, &k, name, &b, &err), -1);
    assert_int_equal(note_sign("a\xff\n", 3, &k, name, &b, &err), -1);
    assert_int_equal(note_sign("a\n", 2, &k, "", &b, &err), -1);
    assert_int_equal(note_sign("a\n", 2, &k, "a b", &b, &err), -1);
    assert_int_equal(note_sign("a\n", 2, &k, "a+b", &b, &err), -1);
    assert_int_equal(note_sign("a\n", 2, &k, "a\xc2\xa0z", &b, &err), -1); /* U+00A0 */
    memset(longname, 'n', NOTE_NAME_MAX);
    longname[NOTE_NAME_MAX] = '\0';
    assert_int_equal(note_sign("a\n", 2, &k, longname, &b, &err), -1);
    assert_int_equal(b.len, 0);
    assert_int_equal(note_sign("a\n", 2, &k, "ok", &b, &err), 0);
    log_key_free(&k);
    buf_free(&b);
}

static void test_key_strings(void **state)
{
    (void)state;
    note_verifier v;
    cm_error err;
    cm_buf b = CM_BUF_INIT;

    /* round trips */
    const char *vk[] = {V.verifier, V.witness};
    for (int i = 0; i < 2; i++) {
        assert_int_equal(note_verifier_parse(vk[i], &v, &err), 0);
        note_verifier_format(&v, &b);
        assert_string_equal(b.data, vk[i]);
        buf_reset(&b);
    }
    /* upper-case hex is read, as Go's ParseUint does */
    assert_int_equal(note_verifier_parse("example.org/test-log+6352CE1F+"
                                         "AVO3qg8tQ1fa0R0zfA2APhK2bQTRbd+bg+/BhYjz0qrd",
                                         &v, &err),
                     0);

    static const char *bad[] = {
        "",
        "example.org/test-log",
        "example.org/test-log+6352ce1f",
        "example.org/test-log+6352ce1e+AVO3qg8tQ1fa0R0zfA2APhK2bQTRbd+bg+/BhYjz0qrd", /* hash */
        "example.org/test-loG+6352ce1f+AVO3qg8tQ1fa0R0zfA2APhK2bQTRbd+bg+/BhYjz0qrd", /* name */
        "example.org/test-log+6352ce1+AVO3qg8tQ1fa0R0zfA2APhK2bQTRbd+bg+/BhYjz0qrd",
        "example.org/test-log+06352ce1f+AVO3qg8tQ1fa0R0zfA2APhK2bQTRbd+bg+/BhYjz0qrd",
        "example.org/test-log+6352ce1g+AVO3qg8tQ1fa0R0zfA2APhK2bQTRbd+bg+/BhYjz0qrd",
        "example.org/test-log+6352ce1f+AVO3qg8tQ1fa0R0zfA2APhK2bQTRbd+bg+/BhYjz0qr",  /* b64 */
        "example.org/test-log+6352ce1f+AVO3qg8tQ1fa0R0zfA2APhK2bQTRbd+bg+/BhYjz0q==", /* short */
        "example.org/test-log+6352ce1f+AlO3qg8tQ1fa0R0zfA2APhK2bQTRbd+bg+/BhYjz0qrd", /* type */
        "+6352ce1f+AVO3qg8tQ1fa0R0zfA2APhK2bQTRbd+bg+/BhYjz0qrd",
        "example.org/test log+6352ce1f+AVO3qg8tQ1fa0R0zfA2APhK2bQTRbd+bg+/BhYjz0qrd",
        " example.org/test-log+6352ce1f+AVO3qg8tQ1fa0R0zfA2APhK2bQTRbd+bg+/BhYjz0qrd",
        "example.org/test-log+6352ce1f+AVO3qg8tQ1fa0R0zfA2APhK2bQTRbd+bg+/BhYjz0qrd\n",
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        if (note_verifier_parse(bad[i], &v, &err) == 0) fail_msg("accepted %s", bad[i]);
        assert_int_equal(err.code, CM_BAD_REQUEST);
        assert_true(strlen(err.message) > 0);
    }

    /* signer strings */
    log_key k;
    char name[NOTE_NAME_MAX];
    static const char *bad_signers[] = {
        "PRIVATE+KEY+example.org/test-log+6352ce1e+AcwIWAuQWn1kvA18xG5+JdK2CMaTwbNXH44uvd30wJlT",
        "PRIVATE+KEY+example.org/test-loh+6352ce1f+AcwIWAuQWn1kvA18xG5+JdK2CMaTwbNXH44uvd30wJlT",
        "PRIVATE+KEZ+example.org/test-log+6352ce1f+AcwIWAuQWn1kvA18xG5+JdK2CMaTwbNXH44uvd30wJlT",
        "PRIVATE+example.org/test-log+6352ce1f+AcwIWAuQWn1kvA18xG5+JdK2CMaTwbNXH44uvd30wJlT",
        "example.org/test-log+6352ce1f+AVO3qg8tQ1fa0R0zfA2APhK2bQTRbd+bg+/BhYjz0qrd",
        "PRIVATE+KEY+example.org/test-log+6352ce1f+AswIWAuQWn1kvA18xG5+JdK2CMaTwbNXH44uvd30wJlT",
        "PRIVATE+KEY+example.org/test-log+6352ce1f+AcwIWAuQWn1kvA18xG5+JdK2CMaTwbNXH44uvd30w",
    };
    for (size_t i = 0; i < sizeof bad_signers / sizeof bad_signers[0]; i++) {
        if (note_signer_parse(bad_signers[i], &k, name, &err) == 0)
            fail_msg("accepted %s", bad_signers[i]);
        assert_null(k.sk);
    }
    assert_int_equal(note_signer_parse(V.signer, &k, name, &err), 0);
    assert_int_equal(note_key_hash(name, NOTE_KEY_ED25519, k.pub), 0x6352ce1f);
    log_key_free(&k);

    /* a verifier made from a key with a name that is too long is cut */
    assert_int_equal(log_key_generate(&k), 0);
    char longname[400];
    memset(longname, 'x', sizeof longname - 1);
    longname[sizeof longname - 1] = '\0';
    note_verifier_from_key(&k, longname, NOTE_KEY_ED25519, &v);
    assert_int_equal(strlen(v.name), NOTE_NAME_MAX - 1);
    assert_int_equal(v.hash, note_key_hash(v.name, NOTE_KEY_ED25519, k.pub));
    log_key_free(&k);
    buf_free(&b);
}

static void test_checkpoint_parse(void **state)
{
    (void)state;
    log_checkpoint c;
    cm_error err;
    const char *root = "q/iazQ7erqRF9ZO+NoOPi2SN6xWyqP0AmvN4kMBvsXA=";
    char text[512];

    snprintf(text, sizeof text, "o\n0\n%s\n", root);
    assert_int_equal(checkpoint_parse(text, strlen(text), &c, &err), 0);
    assert_int_equal(c.size, 0);
    snprintf(text, sizeof text, "o\n18446744073709551615\n%s\next 1\next 2\n", root);
    assert_int_equal(checkpoint_parse(text, strlen(text), &c, &err), 0);
    assert_int_equal(c.size, UINT64_MAX);
    assert_string_equal(c.origin, "o");

    /* "$" stands for the root, "#" for it cut to 43 characters */
    static const char *bad[] = {
        "o\n18446744073709551616\n$\n",
        "o\n01\n$\n",
        "o\n+1\n$\n",
        "o\n-1\n$\n",
        "o\n1 \n$\n",
        "o\n\n$\n",
        "\n1\n$\n",
        "o\n1\n$",
        "o\n1\n$\n\n",
        "o\n1\n$\next",
        "o\n1\n$=\n",
        "o\n1\nAA$\n",
        "o\n1\n",
        "o\n1\n#\n",
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        size_t n = 0;
        for (const char *p = bad[i]; *p; p++) {
            if (*p == '$' || *p == '#') {
                size_t rl = *p == '$' ? strlen(root) : 43;
                memcpy(text + n, root, rl);
                n += rl;
            } else {
                text[n++] = *p;
            }
        }
        text[n] = '\0';
        if (checkpoint_parse(text, n, &c, &err) == 0) fail_msg("accepted %s", text);
        assert_int_equal(err.code, CM_BAD_REQUEST);
    }
    /* a 32-byte root that is not 44 characters: 24 bytes of base64 */
    assert_int_equal(checkpoint_parse("o\n1\nAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA\n", 36, &c, &err),
                     -1);
    /* origins up to NOTE_NAME_MAX - 1 bytes */
    memset(text, 'o', NOTE_NAME_MAX);
    snprintf(text + NOTE_NAME_MAX, sizeof text - NOTE_NAME_MAX, "\n1\n%s\n", root);
    assert_int_equal(checkpoint_parse(text, strlen(text), &c, &err), -1);
    assert_int_equal(checkpoint_parse(text + 1, strlen(text + 1), &c, &err), 0);
    assert_int_equal(strlen(c.origin), NOTE_NAME_MAX - 1);
}

static void test_cosig_roundtrip(void **state)
{
    (void)state;
    log_key k;
    uint8_t sig[COSIG_SIG_SIZE];
    uint64_t ts = 0;
    const char *body = "o\n5\nq/iazQ7erqRF9ZO+NoOPi2SN6xWyqP0AmvN4kMBvsXA=\n";
    size_t len = strlen(body);

    assert_int_equal(log_key_generate(&k), 0);
    cosig_sign(&k, UINT64_MAX, body, len, sig);
    assert_int_equal(cosig_verify(k.pub, body, len, sig, &ts), 0);
    assert_int_equal(ts, UINT64_MAX);
    assert_memory_equal(sig, "\xff\xff\xff\xff\xff\xff\xff\xff", 8);
    cosig_sign(&k, 42, body, len, sig);
    assert_int_equal(cosig_verify(k.pub, body, len, sig, NULL), 0);
    assert_memory_equal(sig, "\0\0\0\0\0\0\0\x2a", 8);
    /* the signature is over the cosignature/v1 header and the body */
    uint8_t plain[LOG_SIG_SIZE];
    const char *msg =
        "cosignature/v1\ntime 42\no\n5\nq/iazQ7erqRF9ZO+NoOPi2SN6xWyqP0AmvN4kMBvsXA=\n";
    log_sign(&k, msg, strlen(msg), plain);
    assert_memory_equal(sig + 8, plain, LOG_SIG_SIZE);

    ts = 7;
    assert_int_equal(cosig_verify(k.pub, body, len - 1, sig, &ts), -1);
    assert_int_equal(ts, 7);
    sig[7] ^= 1; /* the time */
    assert_int_equal(cosig_verify(k.pub, body, len, sig, &ts), -1);
    sig[7] ^= 1;
    sig[40] ^= 1;
    assert_int_equal(cosig_verify(k.pub, body, len, sig, &ts), -1);
    sig[40] ^= 1;
    log_key other;
    assert_int_equal(log_key_generate(&other), 0);
    assert_int_equal(cosig_verify(other.pub, body, len, sig, &ts), -1);
    log_key_free(&other);
    log_key_free(&k);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_sign_logonly),
        cmocka_unit_test(test_cosign),
        cmocka_unit_test(test_open),
        cmocka_unit_test(test_open_tampered),
        cmocka_unit_test(test_open_unknown_and_repeats),
        cmocka_unit_test(test_open_malformed),
        cmocka_unit_test(test_sign_refuses),
        cmocka_unit_test(test_key_strings),
        cmocka_unit_test(test_checkpoint_parse),
        cmocka_unit_test(test_cosig_roundtrip),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
