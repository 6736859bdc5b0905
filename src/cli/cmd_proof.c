/*
 * cmd_proof.c: `cmcc proof verify PROOF ENVELOPE --policy P | --vkey KEY`,
 * checking offline, with no server, that an envelope is in a log.
 *
 * PROOF is a C2SP tlog-proof (log/proof.c) as `cmcc submit` keeps it, or as
 * GET /v1/proof/entry and the receipts give it; ENVELOPE the file the
 * envelope came from (one envelope, or one a line: the proof must be of one
 * of them). In order:
 *   1. the checkpoint in the proof is signed by the log (the policy's log,
 *      or --vkey's) and cosigned by the policy's quorum (log/policy.c);
 *   2. the entry is rebuilt from the envelope and the proof's extra data,
 *      the entry's "received" time (docs/protocol.md section 4), and hashed
 *      to its leaf;
 *   3. the inclusion path leads from that leaf, at the proof's index, to
 *      the checkpoint's root.
 * Exit 0 when all holds, 1 when something does not (one sentence naming
 * the file), 2 when the check could not run (usage, a file that cannot be
 * read, a policy with a syntax error).
 */
#include "cli/cli.h"

#include "common/file.h"
#include "common/mem.h"
#include "common/timeutil.h"
#include "log/policy.h"

#include <getopt.h>
#include <stdlib.h>
#include <string.h>

static const char help[] =
    "usage: cmcc proof verify PROOF ENVELOPE --policy FILE\n"
    "       cmcc proof verify PROOF ENVELOPE --vkey KEY [--policy FILE]\n\n"
    "Checks offline that the envelope in ENVELOPE is in a log: PROOF (a C2SP\n"
    "tlog-proof, as `cmcc submit` keeps it beside the envelope) holds a checkpoint the\n"
    "policy accepts, and an inclusion path from the envelope's entry to that\n"
    "checkpoint's root. No server is asked.\n\n"
    "  --policy FILE  a C2SP tlog-policy: the log's key and the witnesses (or\n"
    "                 mirrors) whose cosignatures the checkpoint needs, e.g. the\n"
    "                 file the log serves at /policy, pinned beforehand\n"
    "  --vkey KEY     the log's note verifier key (origin+hash+base64); without\n"
    "                 --policy no cosignature is needed\n\n"
    "Exit status: 0 the proof holds, 1 it does not, 2 the check could not run.\n";

typedef struct {
    const log_proof *p;
    const log_checkpoint *cp;
    int64_t received;
    unsigned envelopes, matched_line;
    cm_error first; /* the first envelope that could not be read */
    unsigned unreadable;
} match_ctx;

/* Whether one envelope of the file is the proof's entry. */
static int try_envelope(void *ctx, const char *doc, size_t len, unsigned line)
{
    match_ctx *m = ctx;
    ev_envelope env;
    cm_error err;
    m->envelopes++;
    if (ev_envelope_parse(doc, len, &env, &err)) {
        if (!m->unreadable++) {
            m->first = err;
            cm_error_prefix(&m->first, "line %u", line);
        }
        return 0;
    }
    log_hash leaf;
    ev_entry_leaf(&env, m->received, &leaf);
    ev_envelope_free(&env);
    if (!m->matched_line && proof_check_leaf(m->p, m->cp, &leaf, &err) == 0) m->matched_line = line;
    return 0; /* on to the end: how many the file holds is part of the answer */
}

static int fail(const char *file, const char *msg)
{
    printf("cmcc proof: FAIL: %s: %s\n", file, msg);
    return 1;
}

static int verify(const char *proof_file, const char *env_file, const policy *pol,
                  const note_verifier *log)
{
    char *text = NULL, *envs = NULL;
    size_t len = 0, envs_len = 0;
    cm_error err;
    log_proof p = {0};
    policy_result r;
    int rc = 2;
    if (cm_read_file(proof_file, &text, &len, &err) ||
        cm_read_file(env_file, &envs, &envs_len, &err)) {
        cli_error("proof", &err);
        goto done;
    }
    if (proof_parse(text, len, &p, &err)) {
        rc = fail(proof_file, err.message);
        goto done;
    }
    if (policy_check(pol, log, p.note, p.note_len, &r, &err)) {
        rc = fail(proof_file, err.message);
        goto done;
    }
    match_ctx m = {&p, &r.cp, 0, 0, 0, {0}, 0};
    char t[32] = "";
    if (!p.extra || p.extra_len != TIME_RFC3339_MS_LEN ||
        time_parse((const char *)p.extra, p.extra_len, &m.received) ||
        (time_format_ms(m.received, t, sizeof t), memcmp(t, p.extra, p.extra_len) != 0)) {
        rc = fail(proof_file, "the proof carries no received time (its extra line), so the "
                              "entry cannot be rebuilt from the envelope: is it a cmcc proof?");
        goto done;
    }
    cli_each_doc(envs, envs_len, try_envelope, &m);
    if (m.matched_line) {
        cm_buf names = CM_BUF_INIT;
        policy_cosigners(pol, &r, &names);
        printf("cmcc proof: OK: %s", env_file);
        if (m.envelopes > 1) printf(":%u", m.matched_line);
        printf(" is entry %llu of %s (received %s), in its checkpoint of %llu entries",
               (unsigned long long)p.index, r.cp.origin, t, (unsigned long long)r.cp.size);
        if (pol)
            printf(", cosigned by %s: the policy's quorum is met\n", names.data);
        else
            printf(", signed by the log\n");
        buf_free(&names);
        rc = 0;
    } else if (m.envelopes == m.unreadable && m.unreadable) {
        char msg[CM_MESSAGE_MAX + 64];
        snprintf(msg, sizeof msg, "no envelope can be read: %s", m.first.message);
        rc = fail(env_file, msg);
    } else {
        char msg[CM_MESSAGE_MAX + 2048];
        snprintf(msg, sizeof msg,
                 "%s is not the proof of %s: the inclusion path from %s at index %llu "
                 "(received %s) does not lead to the root of the checkpoint of %llu entries "
                 "(another envelope, or a proof that was changed)",
                 proof_file, m.envelopes > 1 ? "any envelope of this file" : "this envelope",
                 m.envelopes > 1 ? "each" : "its entry", (unsigned long long)p.index, t,
                 (unsigned long long)r.cp.size);
        rc = fail(env_file, msg);
    }
done:
    proof_free(&p);
    free(text);
    free(envs);
    return rc;
}

int cmd_proof(int argc, char **argv)
{
    const char *policy_file = NULL, *vkey = NULL;
    const cli_option opts[] = {CLI_ARG("policy", &policy_file), CLI_ARG("vkey", &vkey),
                               CLI_OPTIONS_END};
    int status = cli_options(argc, argv, opts, help);
    if (status >= 0) return status;
    if (argc - optind != 3 || strcmp(argv[optind], "verify") != 0) return fputs(help, stderr), 2;
    if (!policy_file && !vkey)
        return cli_errorf("proof", "give the policy (--policy FILE) or the log's key (--vkey)"), 2;
    cm_error err;
    note_verifier log;
    if (vkey && (note_verifier_parse(vkey, &log, &err) || log.type != NOTE_KEY_ED25519))
        return cli_errorf("proof", "--vkey is not a log's Ed25519 note verifier key"), 2;
    policy *pol = NULL;
    if (policy_file && !(pol = policy_load(policy_file, &err))) return cli_error("proof", &err), 2;
    if (pol && !vkey && pol->n_logs == 0) {
        policy_free(pol);
        return cli_errorf("proof", "%s names no log: give the log's key with --vkey", policy_file),
               2;
    }
    int rc = verify(argv[optind + 1], argv[optind + 2], pol, vkey ? &log : NULL);
    policy_free(pol);
    return rc;
}
