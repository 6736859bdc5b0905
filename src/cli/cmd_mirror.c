/*
 * cmd_mirror.c: `cmcc mirror URL DIR`, a full, verified copy of a log kept
 * up to date once or every so often (mirror.c does one run), and
 * `cmcc mirror check FILE --vkey KEY`, which checks fork evidence
 * (evidence.c) with the log's key alone.
 *
 * Exit status: 0 up to date; 1 something served was refused (nothing of it
 * stored) or evidence does not hold; 2 bad usage or a fault; 3 the log is
 * not consistent with the checkpoint held: the evidence is in
 * DIR/fork-evidence.json (for `check`: 0 when the evidence holds).
 */
#include "cli/mirror.h"

#include "common/file.h"
#include "common/mem.h"
#include "log/policy.h"

#include <getopt.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static const char help[] =
    "usage: cmcc mirror URL DIR [--vkey KEY] [--token T] [--cacert FILE] [--every DURATION]\n"
    "                           [--compare] [--proofs DIR] [--policy FILE] [--name NAME]\n"
    "       cmcc mirror check FILE --vkey KEY\n\n"
    "Keeps in DIR a full, verified copy of the log served at URL: each run checks the\n"
    "newest checkpoint with the log's key and against the one held, fetches only the\n"
    "new entry bundles, replays them through the log's rules, stores them, and cosigns\n"
    "the checkpoint with the mirror's own key (made on the first run; its verifier key\n"
    "is printed and kept in DIR/mirror.vkey). An interrupted run resumes where it\n"
    "stopped. If the log shows a checkpoint that does not extend the one held, the\n"
    "mirror stops and keeps the evidence in DIR/fork-evidence.json; `check` verifies\n"
    "such a file. Serve the copy read-only with `cmcc serve --mirror DIR`.\n\n"
    "  --vkey KEY       the log's note verifier key (needed on the first run; then\n"
    "                   DIR/log.vkey)\n"
    "  --token T        read token for the server (default: $CMCC_TOKEN, else the one\n"
    "                   kept in DIR/upstream.token by an earlier run)\n"
    "  --cacert F       trust an https server whose certificate the PEM CA in F signed\n"
    "  --every D        run again every D (e.g. 30s, 5m, 1h) until stopped; DIR is\n"
    "                   left to `cmcc serve --mirror` between runs\n"
    "  --policy F       a checkpoint is followed only with the quorum of witness (or\n"
    "                   mirror) cosignatures this C2SP tlog-policy file asks for\n"
    "  --name NAME      the cosigner's name for a new mirror key (default: "
    "mirror-<id>.<origin>)\n"
    "  --compare        once up to date, compare every read endpoint of URL with the answer\n"
    "                   the mirror's own replay gives; each difference is printed with the\n"
    "                   endpoint, the field and both values (exit 1)\n"
    "  --proofs PDIR    once up to date, check that the log still holds the entry of each\n"
    "                   proof `cmcc submit` saved in PDIR (FILE.proof beside FILE); one it\n"
    "                   dropped is evidence, written to PROOF.dropped.json (exit 1)\n\n"
    "Exit status: 0 up to date, 1 refused (nothing stored), a difference or a dropped\n"
    "entry, 2 fault, 3 fork evidence.\n";

/* how long a run waits for another (a cosigning `cmcc serve --mirror`) */
#define LOCK_WAIT_MS (2 * MIRROR_COSIGN_MS)

/* "30", "30s", "5m", "1h" into seconds (1 s to 1 day). */
static int duration(const char *s, long *out)
{
    char *end = NULL;
    long v = strtol(s, &end, 10);
    long unit = 1;
    if (end == s || v <= 0) return -1;
    if (*end == 's')
        end++;
    else if (*end == 'm')
        unit = 60, end++;
    else if (*end == 'h')
        unit = 3600, end++;
    if (*end || v > 86400 / unit) return -1;
    *out = v * unit;
    return 0;
}

/* --policy: the hook of mirror.h. */
typedef struct {
    const policy *pol;
    const char *file, *url;
    const note_verifier *log;
} policy_ctx;

static int policy_holds(void *ctx, const char *note)
{
    policy_ctx *p = ctx;
    policy_result r;
    cm_error err;
    if (policy_check(p->pol, p->log, note, strlen(note), &r, &err) == 0) return 0;
    cli_errorf("mirror",
               "the checkpoint %s serves does not count under the policy %s: %s; nothing "
               "fetched",
               p->url, p->file, err.message);
    return -1;
}

static int check_evidence(const char *file, const char *vkey)
{
    note_verifier nv;
    cm_error err;
    if (!vkey || note_verifier_parse(vkey, &nv, &err) || nv.type != NOTE_KEY_ED25519)
        return cli_errorf("mirror", "give the log's Ed25519 note verifier key with --vkey"), 2;
    char *text = NULL;
    size_t len = 0;
    if (cm_read_file(file, &text, &len, &err)) return cli_error("mirror", &err), 2;
    char why[512] = "";
    int r = lf_evidence_check(text, len, &nv, why, sizeof why, &err);
    free(text);
    if (r < 0)
        return cli_errorf("mirror", "%s cannot be read as evidence: %s", file, err.message), 2;
    if (r == 0) return printf("cmcc mirror: %s does not hold: %s\n", file, why), 1;
    printf("cmcc mirror: %s holds: %s (both signed by %s)\n", file, why, nv.name);
    return 0;
}

int cmd_mirror(int argc, char **argv)
{
    const char *vkey = NULL, *token = getenv("CMCC_TOKEN"), *cacert = getenv("CMCC_CACERT");
    const char *every = NULL, *name = NULL, *proofs = NULL, *policy_file = NULL;
    int compare = 0;
    const cli_option opts[] = {CLI_ARG("vkey", &vkey),
                               CLI_ARG("token", &token),
                               CLI_ARG("cacert", &cacert),
                               CLI_ARG("every", &every),
                               CLI_ARG("name", &name),
                               CLI_ARG("proofs", &proofs),
                               CLI_FLAG("compare", &compare, 1),
                               CLI_ARG("policy", &policy_file),
                               CLI_OPTIONS_END};
    int status = cli_options(argc, argv, opts, help);
    if (status >= 0) return status;
    if (optind != argc - 2) return fputs(help, stderr), 2;
    if (strcmp(argv[optind], "check") == 0) return check_evidence(argv[optind + 1], vkey);
    const char *url = argv[optind], *dir = argv[optind + 1];
    if (strncmp(url, "http://", 7) != 0 && strncmp(url, "https://", 8) != 0)
        return cli_errorf("mirror", "%s is not an http:// or https:// URL", url), 2;
    long period = 0;
    if (every && duration(every, &period))
        return cli_errorf("mirror", "--every must be a duration such as 30s, 5m or 1h, not \"%s\"",
                          every),
               2;
    policy *pol = NULL;
    cm_error err;
    if (policy_file && !(pol = policy_load(policy_file, &err))) return cli_error("mirror", &err), 2;
    mirror m;
    int rc = mirror_open(&m, dir, url, vkey, name, token, cacert, LOCK_WAIT_MS);
    for (int first = 1;; first = 0) {
        if (rc && first) break; /* the directory, the key or the token: said why */
        if (!rc) {
            policy_ctx pc = {pol, policy_file, url, &m.log.nv};
            if (pol) m.policy = policy_holds, m.policy_ctx = &pc;
            uint64_t before = cli_http_received(m.log.h);
            rc = mirror_run(&m);
            if (rc == 0) {
                printf("cmcc mirror: %s holds %llu %s of %s from %s, cosigned by %s (%lu entry "
                       "bundle%s fetched, %lu kept from an interrupted run; %llu bytes read)\n",
                       dir, (unsigned long long)m.size, m.size == 1 ? "entry" : "entries",
                       m.log.nv.name, url, m.me.name, m.fetched, m.fetched == 1 ? "" : "s",
                       m.from_spool, (unsigned long long)(cli_http_received(m.log.h) - before));
                fflush(stdout);
                rc = mirror_check(&m, compare, proofs);
            }
        }
        if (!period || rc == 3) break;
        /* between runs, DIR is left to `cmcc serve --mirror`, which cosigns
         * the log's checkpoints under its lock (mirror_cosign.c) */
        mirror_close(&m);
        struct timespec ts = {period, 0};
        while (nanosleep(&ts, &ts) != 0) {
        }
        rc = mirror_open(&m, dir, url, NULL, name, token, cacert, LOCK_WAIT_MS);
    }
    mirror_close(&m);
    policy_free(pol);
    return rc;
}
