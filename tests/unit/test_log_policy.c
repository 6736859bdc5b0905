/*
 * test_log_policy.c: C2SP tlog-policy files and checkpoints checked against
 * them (log/policy.c), and C2SP tlog-proof (log/proof.c).
 *
 * Keys are made from fixed seeds; checkpoints are signed by the log key
 * (note_sign) and cosigned (cosig_sign, as a witness or a mirror does). A
 * policy of three witnesses needing two shows the quorum met and not met, a
 * cosignature copied from another checkpoint counting for nothing, a line
 * of an unknown key ignored; each malformed policy is refused with its file
 * and line; proofs round-trip and refuse a changed path or leaf.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "log/policy.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define ORIGIN "example.org/policy-log"

static log_key logk, other, wk[4];
static note_verifier logv, otherv, wv[4];
static char logvs[300], wvs[4][300], otherws[300];

static void key(log_key *k, uint8_t seed, const char *name, uint8_t type, note_verifier *v,
                char *vs)
{
    uint8_t s[32];
    memset(s, seed, sizeof s);
    assert_int_equal(log_key_from_seed(k, s), 0);
    note_verifier_from_key(k, name, type, v);
    if (vs) {
        cm_buf b = CM_BUF_INIT;
        note_verifier_format(v, &b);
        snprintf(vs, 300, "%s", b.data);
        buf_free(&b);
    }
}

static int setup(void **state)
{
    (void)state;
    key(&logk, 1, ORIGIN, NOTE_KEY_ED25519, &logv, logvs);
    key(&other, 2, ORIGIN, NOTE_KEY_ED25519, &otherv, NULL);
    char name[64];
    for (int i = 0; i < 4; i++) {
        snprintf(name, sizeof name, "w%d.example", i);
        key(&wk[i], (uint8_t)(10 + i), name, NOTE_KEY_COSIGNATURE, &wv[i], wvs[i]);
    }
    note_verifier ow;
    log_key ok;
    key(&ok, 30, "w0.example", NOTE_KEY_ED25519, &ow, otherws); /* a note key, not a cosigner */
    log_key_free(&ok);
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    log_key_free(&logk);
    log_key_free(&other);
    for (int i = 0; i < 4; i++) log_key_free(&wk[i]);
    return 0;
}

/* A checkpoint of (size, root byte r) signed by k under origin. */
static void signed_cp(const log_key *k, const char *origin, uint64_t size, uint8_t r, cm_buf *out)
{
    log_checkpoint c;
    snprintf(c.origin, sizeof c.origin, "%s", origin);
    c.size = size;
    memset(c.root.b, r, LOG_HASH_SIZE);
    cm_buf body = CM_BUF_INIT;
    checkpoint_body(&c, &body);
    cm_error err;
    assert_int_equal(note_sign(body.data, body.len, k, origin, out, &err), 0);
    buf_free(&body);
}

/* Appends witness i's cosignature line over the note's body. */
static void cosign(cm_buf *note, int i)
{
    const char *blank = strstr(note->data, "\n\n");
    size_t body = (size_t)(blank - note->data) + 1;
    uint8_t sig[COSIG_SIG_SIZE];
    cosig_sign(&wk[i], 1700000000 + (uint64_t)i, note->data, body, sig);
    note_add_sigline(note, wv[i].name, wv[i].hash, sig, sizeof sig);
}

/* The policy: the log, three witnesses of which two must cosign. */
static policy *two_of_three(void)
{
    char text[2048];
    snprintf(text, sizeof text,
             "# the log and its witnesses\n"
             "log %s https://log.example/\n"
             "\n"
             "witness A %s\n"
             "  witness\tB %s https://b.example/  \n"
             "witness C %s\n"
             "group two 2 A B C\n"
             "quorum two\n",
             logvs, wvs[0], wvs[1], wvs[2]);
    cm_error err;
    policy *p = policy_parse(text, strlen(text), "p.policy", &err);
    if (!p) fail_msg("%s", err.message);
    return p;
}

static void test_parse_good(void **state)
{
    (void)state;
    policy *p = two_of_three();
    assert_int_equal(p->n_logs, 1);
    assert_string_equal(p->logs[0].v.name, ORIGIN);
    assert_string_equal(p->logs[0].url, "https://log.example/");
    assert_int_equal(p->n_witnesses, 3);
    assert_int_equal(p->n_groups, 1);
    assert_string_equal(p->names[1].name, "B");
    assert_string_equal(p->names[1].url, "https://b.example/");
    assert_int_equal(p->names[3].k, 2);
    assert_int_equal(p->names[3].members, 7);
    assert_int_equal(p->quorum, 3);
    policy_free(p);

    /* the specification's example shape: groups of groups, all and any */
    char text[4096];
    snprintf(text, sizeof text,
             "log %s\nwitness X1 %s\nwitness X2 %s\ngroup X any X1 X2\n"
             "witness Y1 %s\ngroup Y all Y1\ngroup XY all X Y\nquorum XY",
             logvs, wvs[0], wvs[1], wvs[2]);
    cm_error err;
    p = policy_parse(text, strlen(text), "q", &err);
    assert_non_null(p);
    assert_int_equal(p->names[2].k, 1);
    assert_int_equal(p->names[4].k, 1);
    assert_int_equal(p->names[5].k, 2);
    policy_free(p);

    p = policy_parse("quorum none\n", 12, "n", &err);
    assert_non_null(p);
    assert_int_equal(p->quorum, -1);
    assert_int_equal(p->n_logs, 0);
    policy_free(p);
}

static void test_parse_bad(void **state)
{
    (void)state;
    char w0[400], w1[400], lg[400], wlog[400];
    snprintf(w0, sizeof w0, "witness A %s\n", wvs[0]);
    snprintf(w1, sizeof w1, "witness B %s\n", wvs[1]);
    snprintf(lg, sizeof lg, "log %s\n", logvs);
    snprintf(wlog, sizeof wlog, "witness L %s\n", logvs);
    struct {
        const char *lines[4];
        const char *want;
    } cases[] = {
        {{lg, "frobnicate x\n", "quorum none\n"}, "bad.policy:2: unknown line \"frobnicate\""},
        {{"log ", wvs[0], "\nquorum none\n"}, "bad.policy:1: the log's key is a cosignature/v1"},
        {{wlog, "quorum none\n"}, "bad.policy:1: witness L's key is an Ed25519 note key"},
        {{w0, "witness A ", wvs[1], "\n"}, "bad.policy:2: the name \"A\" is already defined"},
        {{w0, "witness Z ", wvs[0], "\n"}, "bad.policy:2: witness Z has the same public key"},
        {{lg, lg, "quorum none\n"}, "bad.policy:2: the log " ORIGIN " has the same public key"},
        {{w0, "group g any A B\n"}, "bad.policy:2: group g names \"B\", which no line above"},
        {{w0, "group g any A A\n"}, "bad.policy:2: group g names \"A\" twice"},
        {{w0, "group g 0 A\n"}, "bad.policy:2: group g's threshold \"0\" is not all, any"},
        {{w0, w1, "group g 3 A B\n"}, "bad.policy:3: group g's threshold \"3\""},
        {{w0, w1, "group g 01 A B\n"}, "bad.policy:3: group g's threshold \"01\""},
        {{w0, "group g any none\n"}, "bad.policy:2: \"none\" cannot be a member"},
        {{w0, "group g any\n"}, "bad.policy:2: a group line is"},
        {{w0, "quorum B\n"}, "bad.policy:2: the quorum names \"B\", which no line above"},
        {{"quorum none\n", w0, "quorum A\n"}, "bad.policy:3: a second quorum line"},
        {{w0, "# no quorum\n"}, "bad.policy: no quorum line"},
        {{"quorum none\r\n"}, "bad.policy:1: byte 0x0d (a control character) at column 12"},
        {{"witness none ", wvs[0], "\nquorum none\n"}, "bad.policy:1: \"none\" is reserved"},
        {{"log ", logvs, " http://x/ extra\nquorum none\n"}, "bad.policy:1: a log line is"},
        {{"witness A w+00000000+AAAA\nquorum A\n"}, "bad.policy:1: witness A's key is not a "},
        {{"quorum\n"}, "bad.policy:1: a quorum line is"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        cm_buf t = CM_BUF_INIT;
        for (int k = 0; k < 4 && cases[i].lines[k]; k++) buf_puts(&t, cases[i].lines[k]);
        cm_error err;
        policy *p = policy_parse(t.data, t.len, "bad.policy", &err);
        if (p) fail_msg("case %zu was accepted:\n%s", i, t.data);
        if (!strstr(err.message, cases[i].want))
            fail_msg("case %zu: \"%s\" does not hold \"%s\"", i, err.message, cases[i].want);
        assert_int_equal(err.code, CM_BAD_REQUEST);
        buf_free(&t);
    }
}

static void test_quorum(void **state)
{
    (void)state;
    policy *p = two_of_three();
    policy_result r;
    cm_error err;
    cm_buf n = CM_BUF_INIT;
    signed_cp(&logk, ORIGIN, 10, 0xaa, &n);

    /* the log alone: signed, but no quorum */
    assert_int_equal(policy_check(p, NULL, n.data, n.len, &r, &err), -1);
    assert_int_equal(r.log, 0);
    assert_int_equal(r.cp.size, 10);
    assert_false(r.quorum_met);
    assert_non_null(
        strstr(err.message, "lacks the policy's quorum \"two\": cosigned by 0 of its 3"));

    cosign(&n, 1);
    assert_int_equal(policy_check(p, NULL, n.data, n.len, &r, &err), -1);
    assert_non_null(strstr(err.message, "cosigned by 1 of its 3 witness(es) (B)"));

    cosign(&n, 3); /* a cosigner the policy does not name: ignored */
    assert_int_equal(policy_check(p, NULL, n.data, n.len, &r, &err), -1);
    assert_int_equal(r.cosigned, 1);

    cosign(&n, 2);
    assert_int_equal(policy_check(p, NULL, n.data, n.len, &r, &err), 0);
    assert_true(r.quorum_met);
    assert_int_equal(r.cosigned, 2);
    assert_int_equal(r.bad, 0);
    cm_buf names = CM_BUF_INIT;
    policy_cosigners(p, &r, &names);
    assert_string_equal(names.data, "B, C");
    buf_free(&names);

    /* the log given by the caller, the same checkpoint */
    assert_int_equal(policy_check(p, &logv, n.data, n.len, &r, &err), 0);
    assert_int_equal(r.log, -1);
    /* no policy: the log's signature is enough */
    assert_int_equal(policy_check(NULL, &logv, n.data, n.len, &r, &err), 0);
    /* another key of the same name is not the log */
    assert_int_equal(policy_check(p, &otherv, n.data, n.len, &r, &err), -1);
    assert_non_null(strstr(err.message, "not signed by the log"));
    buf_free(&n);

    /* signed by another key: none of the policy's logs */
    signed_cp(&other, ORIGIN, 10, 0xaa, &n);
    cosign(&n, 0);
    cosign(&n, 1);
    assert_int_equal(policy_check(p, NULL, n.data, n.len, &r, &err), -1);
    assert_non_null(strstr(err.message, "signed by none of the policy's 1 log(s)"));
    buf_free(&n);
    policy_free(p);
}

static void test_cosignature_of_another_checkpoint(void **state)
{
    (void)state;
    policy *p = two_of_three();
    cm_buf a = CM_BUF_INIT, b = CM_BUF_INIT;
    signed_cp(&logk, ORIGIN, 10, 0xaa, &a);
    cosign(&a, 0);
    signed_cp(&logk, ORIGIN, 11, 0xbb, &b);
    cosign(&b, 1);
    /* A's line for checkpoint 10 pasted under checkpoint 11 */
    const char *line = strstr(a.data, "\xe2\x80\x94 w0.example ");
    assert_non_null(line);
    buf_puts(&b, line);
    policy_result r;
    cm_error err;
    assert_int_equal(policy_check(p, NULL, b.data, b.len, &r, &err), -1);
    assert_int_equal(r.cosigned, 1);
    assert_int_equal(r.bad, 1);
    assert_non_null(strstr(err.message, "does not verify over this checkpoint"));
    buf_free(&a);
    buf_free(&b);
    policy_free(p);
}

static void test_origin_must_be_the_key_name(void **state)
{
    (void)state;
    log_key k;
    note_verifier v;
    key(&k, 40, "other.example/log", NOTE_KEY_ED25519, &v, NULL);
    cm_buf n = CM_BUF_INIT;
    log_checkpoint c = {.size = 1};
    snprintf(c.origin, sizeof c.origin, "%s", ORIGIN);
    cm_buf body = CM_BUF_INIT;
    checkpoint_body(&c, &body);
    cm_error err;
    assert_int_equal(note_sign(body.data, body.len, &k, "other.example/log", &n, &err), 0);
    policy_result r;
    assert_int_equal(policy_check(NULL, &v, n.data, n.len, &r, &err), -1);
    assert_non_null(strstr(err.message, "is not the name of the key"));
    buf_free(&n);
    buf_free(&body);
    log_key_free(&k);
}

/* ---- proofs over a small tree kept in memory ------------------------------ */

static log_hash nodes[8][64];

static void keep(void *ctx, int level, uint64_t index, const log_hash *h)
{
    (void)ctx;
    nodes[level][index] = *h;
}

static int rd(void *ctx, int level, uint64_t index, log_hash *out)
{
    (void)ctx;
    *out = nodes[level][index];
    return 0;
}

static void test_proof(void **state)
{
    (void)state;
    log_frontier f;
    log_frontier_init(&f);
    char entry[32];
    for (int i = 0; i < 13; i++) {
        log_hash h;
        int n = snprintf(entry, sizeof entry, "entry %d", i);
        log_leaf_hash(entry, (size_t)n, &h);
        log_frontier_append(&f, &h, keep, NULL);
    }
    log_checkpoint c = {.size = 13};
    snprintf(c.origin, sizeof c.origin, "%s", ORIGIN);
    log_frontier_root(&f, &c.root);
    cm_buf body = CM_BUF_INIT, note = CM_BUF_INIT, text = CM_BUF_INIT;
    checkpoint_body(&c, &body);
    cm_error err;
    assert_int_equal(note_sign(body.data, body.len, &logk, ORIGIN, &note, &err), 0);
    cosign(&note, 0);

    log_hash path[LOG_MAX_PROOF];
    size_t n;
    assert_int_equal(log_prove_inclusion(6, 13, rd, NULL, path, &n), 0);
    proof_format(6, path, n, "2025-01-01T00:00:00.000Z", 24, note.data, note.len, &text);
    assert_true(strncmp(text.data,
                        "c2sp.org/tlog-proof@v1\nextra MjAyNS0wMS0wMVQwMDowMDowMC4wMDBa\n"
                        "index 6\n",
                        70) == 0);

    log_proof p;
    assert_int_equal(proof_parse(text.data, text.len, &p, &err), 0);
    assert_int_equal(p.index, 6);
    assert_int_equal(p.n, n);
    assert_int_equal(p.extra_len, 24);
    assert_memory_equal(p.extra, "2025-01-01T00:00:00.000Z", 24);
    assert_int_equal(p.note_len, note.len);
    assert_memory_equal(p.note, note.data, note.len);
    policy_result r;
    assert_int_equal(policy_check(NULL, &logv, p.note, p.note_len, &r, &err), 0);
    log_hash leaf;
    log_leaf_hash("entry 6", 7, &leaf);
    assert_int_equal(proof_check_leaf(&p, &r.cp, &leaf, &err), 0);
    log_leaf_hash("entry 7", 7, &leaf);
    assert_int_equal(proof_check_leaf(&p, &r.cp, &leaf, &err), -1);
    assert_non_null(strstr(err.message, "does not lead from entry 6"));
    log_leaf_hash("entry 6", 7, &leaf);
    p.path[1].b[0] ^= 1;
    assert_int_equal(proof_check_leaf(&p, &r.cp, &leaf, &err), -1);
    p.index = 13;
    assert_int_equal(proof_check_leaf(&p, &r.cp, &leaf, &err), -1);
    assert_non_null(strstr(err.message, "not below the checkpoint's size 13"));
    proof_free(&p);

    /* without extra; index 0 */
    buf_reset(&text);
    assert_int_equal(log_prove_inclusion(0, 13, rd, NULL, path, &n), 0);
    proof_format(0, path, n, NULL, 0, note.data, note.len, &text);
    assert_int_equal(proof_parse(text.data, text.len, &p, &err), 0);
    assert_null(p.extra);
    log_leaf_hash("entry 0", 7, &leaf);
    assert_int_equal(proof_check_leaf(&p, &r.cp, &leaf, &err), 0);
    proof_free(&p);

    struct {
        const char *text, *want;
    } bad[] = {
        {"c2sp.org/tlog-proof@v2\nindex 0\n\nx\n", "line 1 is not"},
        {"c2sp.org/tlog-proof@v1\n", "ends after its first line"},
        {"c2sp.org/tlog-proof@v1\nindex 01\n\nx\n", "line 2 is not \"index <n>\""},
        {"c2sp.org/tlog-proof@v1\nextra !!\nindex 0\n\nx\n", "not standard padded base64"},
        {"c2sp.org/tlog-proof@v1\nextra AA==\nindex x\n\nx\n", "line 3 is not \"index"},
        {"c2sp.org/tlog-proof@v1\nindex 0\nAAAA\n\nx\n", "line 3 is not the base64 of a 32-byte"},
        {"c2sp.org/tlog-proof@v1\nindex 0\n", "no blank line before the checkpoint"},
        {"c2sp.org/tlog-proof@v1\nindex 0\n\n", "holds no checkpoint"},
        {"c2sp.org/tlog-proof@v1\nindex 18446744073709551616\n\nx\n", "line 2 is not"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        if (proof_parse(bad[i].text, strlen(bad[i].text), &p, &err) == 0)
            fail_msg("bad proof %zu was accepted", i);
        if (!strstr(err.message, bad[i].want))
            fail_msg("bad proof %zu: \"%s\" does not hold \"%s\"", i, err.message, bad[i].want);
    }
    buf_free(&body);
    buf_free(&note);
    buf_free(&text);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_parse_good),
        cmocka_unit_test(test_parse_bad),
        cmocka_unit_test(test_quorum),
        cmocka_unit_test(test_cosignature_of_another_checkpoint),
        cmocka_unit_test(test_origin_must_be_the_key_name),
        cmocka_unit_test(test_proof),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
