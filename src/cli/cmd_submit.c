/*
 * cmd_submit.c: `cmcc submit --server URL FILE...`: envelopes to a server.
 *
 * Envelopes (one a line, or one per file) go out in NDJSON batches through
 * send.c, which retries safely (the log is idempotent by (org, id)). Each
 * refusal is printed with its file and line. Then each accepted envelope's
 * proof is kept beside its file (submit_proofs.c).
 *
 * Exit status: 0 all appended (or already there), 1 some refused, 2 some
 * could not be delivered.
 */
#include "cli/cli.h"

#include "common/mem.h"
#include "common/timeutil.h"

#include <getopt.h>
#include <stdlib.h>
#include <string.h>

static const char help[] =
    "usage: cmcc submit --server URL [--token T] [--cacert FILE] [--batch N]\n"
    "                   [--max-wait S] [--receipts FILE] [--proof-wait S] [--no-proofs]\n"
    "                   FILE...\n\n"
    "Sends envelopes (from `cmcc sign`) to a cmcc server in batches, retrying on\n"
    "network errors, 429 and 503 without ever appending one twice. Then keeps, beside\n"
    "each file, the proof that its envelope is in the log (a C2SP tlog-proof, to check\n"
    "offline with `cmcc proof verify`): FILE.proof, or FILE.<line>.proof for a file of\n"
    "several envelopes. A new entry's proof exists once the log signs its next\n"
    "checkpoint (within a second or a few, with witnesses): submit waits for it.\n\n"
    "  --server URL      the server, e.g. http://127.0.0.1:8080\n"
    "  --token T         read token (default: $CMCC_TOKEN)\n"
    "  --cacert FILE     trust an https server whose certificate this PEM CA signed\n"
    "                    (default: $CMCC_CACERT; else the system's CAs)\n"
    "  --batch N         envelopes per request, 1..1000 (default 500)\n"
    "  --max-wait S      give up after waiting S seconds in all (default 600)\n"
    "  --receipts FILE   append one JSON line per envelope: where it came from and\n"
    "                    its receipt or error\n"
    "  --proof-wait S    wait at most S seconds for the checkpoint that holds the new\n"
    "                    entries (default 30; 0: keep only the proofs the receipts\n"
    "                    carry); those still missing come with a later run of the\n"
    "                    same submit\n"
    "  --no-proofs       keep no proofs\n";

typedef struct {
    cli_envelope *v;
    size_t n, cap;
    const char *file;
} env_list;

static int collect(void *ctx, const char *doc, size_t len, unsigned line)
{
    env_list *l = ctx;
    if (l->n == l->cap) l->v = xrealloc(l->v, (l->cap = l->cap ? 2 * l->cap : 256) * sizeof *l->v);
    l->v[l->n++] =
        (cli_envelope){.where = l->file, .line = line, .text = xstrndup(doc, len), .len = len};
    return 0;
}

int cmd_submit(int argc, char **argv)
{
    const char *server = NULL, *token = getenv("CMCC_TOKEN"), *receipts = NULL;
    const char *batch_s = NULL, *max_wait_s = NULL, *cacert = getenv("CMCC_CACERT");
    const char *proof_wait_s = NULL;
    int no_proofs = 0;
    const cli_option opts[] = {CLI_ARG("server", &server),
                               CLI_ARG("token", &token),
                               CLI_ARG("cacert", &cacert),
                               CLI_ARG("batch", &batch_s),
                               CLI_ARG("max-wait", &max_wait_s),
                               CLI_ARG("receipts", &receipts),
                               CLI_ARG("proof-wait", &proof_wait_s),
                               CLI_FLAG("no-proofs", &no_proofs, 1),
                               CLI_OPTIONS_END};
    int status = cli_options(argc, argv, opts, help);
    if (status >= 0) return status;
    long batch_n, max_wait, proof_wait;
    if (!server || optind >= argc || cli_number(batch_s, 1, 1000, 500, &batch_n) ||
        cli_number(max_wait_s, 0, 1000000000, 600, &max_wait) ||
        cli_number(proof_wait_s, 0, 86400, 30, &proof_wait))
        return fputs(help, stderr), 2;
    env_list all = {0};
    cm_error err;
    for (int i = optind; i < argc; i++) {
        char *data = NULL;
        size_t len = 0;
        if (cli_read_input(argv[i], &data, &len, &err)) return cli_error("submit", &err), 2;
        all.file = argv[i];
        cli_each_doc(data, len, collect, &all);
        free(data);
    }
    cli_send_opts o = {(size_t)batch_n, max_wait, NULL, "submit", NULL, NULL};
    if (receipts && !(o.receipts = fopen(receipts, "a")))
        return cli_errorf("submit", "cannot write %s", receipts), 2;
    cli_http *h = cli_http_new(server, token, cacert);
    cli_tally t = {0};
    cli_send(h, all.v, all.n, &o, &t);
    fprintf(stderr, "cmcc submit: %u appended, %u already in the log, %u refused", t.appended,
            t.duplicates, t.refused);
    if (t.undelivered)
        fprintf(stderr, ", %zu not delivered (send them again later)", t.undelivered);
    fputc('\n', stderr);
    if (!no_proofs && !t.fatal) cli_save_proofs(h, all.v, all.n, proof_wait);
    for (size_t i = 0; i < all.n; i++) free(all.v[i].text), free(all.v[i].proof);
    free(all.v);
    cli_http_free(h);
    if (o.receipts) fclose(o.receipts);
    return (t.fatal || t.undelivered) ? 2 : t.refused ? 1 : 0;
}
