/*
 * fuzz_policy.c: C2SP tlog-policy files and C2SP tlog-proofs (log/policy.c,
 * log/proof.c): what `cmcc proof verify`, `cmcc verify --policy` and
 * `cmcc serve` read from files others wrote.
 *
 * The same input is given to each reader:
 *   - policy_parse; properties: every group's members come before it, its
 *     threshold is 1..members, the quorum is none or a defined name, and
 *     the counts agree with the names;
 *   - proof_parse; property: a parsed proof formatted again (proof_format)
 *     is the input, byte for byte (every part has one spelling); its note is
 *     then checked (policy_check) against a policy of the test vectors'
 *     log and witness keys, and a result that counts is a parsed checkpoint.
 *
 * Seeds (corpus/policy/): policies of the test vectors' keys, with groups
 * and comments, and a proof whose note is the vectors' cosigned checkpoint.
 */
#include "fuzz.h"

#include "common/buf.h"
#include "log/policy.h"

#include <string.h>

static const char policy_text[] =
    "log example.org/test-log+6352ce1f+AVO3qg8tQ1fa0R0zfA2APhK2bQTRbd+bg+/BhYjz0qrd\n"
    "witness W example.org/test-witness+b4d3e587+BDLEXABrMldgFYC5OkhSUb9OeNBgwNJ5NLN6ibQ6rMLj\n"
    "quorum W\n";

static void parse_policy(const char *text, size_t size)
{
    cm_error err;
    policy *p = policy_parse(text, size, "fuzz", &err);
    if (!p) return;
    FUZZ_CHECK(p->n_names == p->n_witnesses + p->n_groups);
    FUZZ_CHECK(p->quorum >= -1 && p->quorum < (int)p->n_names);
    for (size_t i = 0; i < p->n_names; i++) {
        const policy_name *g = &p->names[i];
        if (!g->group) continue;
        unsigned n = (unsigned)__builtin_popcountll(g->members);
        FUZZ_CHECK(n >= 1 && g->k >= 1 && g->k <= n);
        FUZZ_CHECK((g->members >> i) == 0); /* members come before */
    }
    policy_free(p);
}

static void parse_proof(const char *text, size_t size)
{
    static policy *pol;
    cm_error err;
    if (!pol) FUZZ_CHECK((pol = policy_parse(policy_text, strlen(policy_text), "p", &err)));
    log_proof p;
    if (proof_parse(text, size, &p, &err)) return;
    cm_buf b = CM_BUF_INIT;
    proof_format(p.index, p.path, p.n, p.extra, p.extra_len, p.note, p.note_len, &b);
    FUZZ_CHECK(b.len == size && memcmp(b.data, text, size) == 0);
    buf_free(&b);
    policy_result r;
    if (policy_check(pol, NULL, p.note, p.note_len, &r, &err) == 0) {
        FUZZ_CHECK(r.quorum_met && r.log == 0 && r.cosigned == 1);
        log_hash leaf = {{0}};
        FUZZ_CHECK(proof_check_leaf(&p, &r.cp, &leaf, &err) != 0); /* no preimage of it */
    }
    proof_free(&p);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char *text = (const char *)data;
    parse_policy(text, size);
    parse_proof(text, size);
    return 0;
}
