/*
 * cmd_import.c: `cmcc import manifest.csv --key K --org O --server URL`:
 * declares consignments from a CSV manifest (manifest.c reads and checks
 * it), signs them with the org's key and submits them in batches (send.c)
 * with a progress bar on a terminal, or writes the envelopes to --out to
 * submit later. Bad rows are reported by number and nothing of their
 * consignment is sent. Re-running is safe: the time of a consignment
 * without a `date` column is the manifest's modification time, so an
 * unchanged file gives the same signed bytes, answered as duplicates.
 *
 * `cmcc import --epcis FILE` reads a GS1 EPCIS 2.0 document instead
 * (epcis_in.c): one event per ObjectEvent, each id made from its eventID,
 * so a second run signs the same bytes and the log appends nothing. When
 * any event is refused, nothing is signed, written or sent.
 */
#include "cli/cli.h"

#include "common/mem.h"
#include "common/timeutil.h"
#include "log/log.h"

#include <getopt.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static const char help[] =
    "usage: cmcc import MANIFEST.csv --key PEM --org ORG (--server URL | --out FILE)\n"
    "                   [--token T] [--cacert FILE] [--batch N]\n"
    "       cmcc import --epcis FILE --key PEM --org ORG (--server URL | --out FILE)\n"
    "                   [--token T] [--cacert FILE] [--batch N]\n\n"
    "Declares consignments from a CSV manifest (one row per consignment line), signs\n"
    "them with the org's key and submits them in batches, or writes the signed\n"
    "envelopes to --out to submit later. Columns (header row, any order):\n"
    "  required  consignment, crossing, line, item, category, quantity, unit\n"
    "  optional  weight_kg, consignee, donor, reference, date (RFC 3339 or YYYY-MM-DD)\n"
    "An HXL hashtag row under the header is accepted. Bad rows are reported by number\n"
    "and nothing of their consignment is sent. Re-running is safe.\n\n"
    "With --epcis, reads a GS1 EPCIS 2.0 JSON-LD document (EPCISDocument) instead:\n"
    "each ObjectEvent becomes the org's event of its business step (docs/protocol.md,\n"
    "\"EPCIS 2.0\"). An event with no cmcc meaning is refused with a sentence, and\n"
    "then nothing is signed. Each event's id comes from its eventID: re-running is\n"
    "safe.\n\n"
    "  --epcis FILE  the EPCIS document to import (- for stdin)\n"
    "  --key PEM     the org's signing key\n"
    "  --org ORG     the signing organization (of a manifest: the declaring one)\n"
    "  --server URL  submit to this server (with --token or $CMCC_TOKEN)\n"
    "  --cacert FILE trust an https server whose certificate this PEM CA signed\n"
    "                (default: $CMCC_CACERT; else the system's CAs)\n"
    "  --out FILE    write the envelopes to FILE instead (works offline)\n"
    "  --batch N     envelopes per request (default 200)\n";

static void progress(void *ctx, size_t done, size_t total)
{
    (void)ctx;
    const int width = 30;
    int filled = total ? (int)(done * (size_t)width / total) : width;
    fprintf(stderr, "\rcmcc import: [%.*s%*s] %zu/%zu", filled, "##############################",
            width - filled, "", done, total);
    if (done == total) fputc('\n', stderr);
    fflush(stderr);
}

int cmd_import(int argc, char **argv)
{
    const char *keyfile = NULL, *org = NULL, *server = NULL, *out = NULL, *batch_s = NULL;
    const char *epcis = NULL;
    const char *token = getenv("CMCC_TOKEN"), *cacert = getenv("CMCC_CACERT");
    const cli_option opts[] = {
        CLI_ARG("key", &keyfile),   CLI_ARG("org", &org),       CLI_ARG("server", &server),
        CLI_ARG("token", &token),   CLI_ARG("cacert", &cacert), CLI_ARG("out", &out),
        CLI_ARG("batch", &batch_s), CLI_ARG("epcis", &epcis),   CLI_OPTIONS_END};
    int status = cli_options(argc, argv, opts, help);
    if (status >= 0) return status;
    long batch;
    if (optind != argc - (epcis ? 0 : 1) || !keyfile || !org || (!server == !out) ||
        cli_number(batch_s, 1, 1000, 200, &batch))
        return fputs(help, stderr), 2;
    const char *path = epcis ? epcis : argv[optind];
    cm_error err;
    char *data = NULL;
    size_t len = 0;
    if (cli_read_input(path, &data, &len, &err)) return cli_error("import", &err), 2;
    int64_t default_time = time_now_ms();
    struct stat st;
    if (strcmp(path, "-") != 0 && stat(path, &st) == 0) default_time = (int64_t)st.st_mtime * 1000;
    cli_manifest m;
    log_key k = {0};
    int rc = 2;
    if (epcis ? cli_epcis_build(data, len, org, stderr, &m, &err)
              : cli_manifest_build(data, len, org, default_time, stderr, &m, &err)) {
        cli_error("import", &err);
        free(data);
        return 2;
    }
    free(data);
    if (epcis && m.bad_rows) {
        fprintf(stderr, "cmcc import: %zu events, %u refused: nothing signed\n", m.rows,
                m.bad_rows);
        cli_manifest_free(&m);
        return 1;
    }
    const char *what = epcis ? "events" : "rows";
    if (log_key_load(keyfile, &k, &err)) {
        cli_error("import", &err);
        cli_manifest_free(&m);
        return 2;
    }
    cli_envelope *envs = xcalloc(m.n ? m.n : 1, sizeof *envs);
    size_t n = 0;
    for (size_t i = 0; i < m.n; i++) {
        ev_envelope env;
        ev_envelope_sign(&k, m.json[i], strlen(m.json[i]), &env);
        cm_buf b = CM_BUF_INIT;
        ev_envelope_write(&env, &b);
        ev_envelope_free(&env);
        envs[n].where = path;
        envs[n].line = m.row[i];
        envs[n].len = b.len;
        envs[n].text = buf_take(&b);
        n++;
    }
    cli_tally tally = {0};
    if (out) {
        FILE *f = fopen(out, "a");
        if (!f) {
            cli_errorf("import", "cannot write %s", out);
        } else {
            for (size_t i = 0; i < n; i++) fprintf(f, "%s\n", envs[i].text);
            fclose(f);
            if (epcis)
                fprintf(stderr, "cmcc import: %zu events: %zu signed into %s", m.rows, n, out);
            else
                fprintf(stderr, "cmcc import: %zu rows, %zu consignments: %zu signed into %s",
                        m.rows, m.consignments, n, out);
            rc = 0;
        }
    } else {
        cli_http *h = cli_http_new(server, token, cacert);
        cli_send_opts o = {(size_t)batch, 600, NULL, "import", isatty(2) ? progress : NULL, NULL};
        cli_send(h, envs, n, &o, &tally);
        cli_http_free(h);
        if (epcis)
            fprintf(stderr,
                    "cmcc import: %zu %s: %u appended, %u already in the log, %u refused by the "
                    "server",
                    m.rows, what, tally.appended, tally.duplicates, tally.refused);
        else
            fprintf(stderr,
                    "cmcc import: %zu %s, %zu consignments: %u declared, %u already in the log, "
                    "%u refused by the server",
                    m.rows, what, m.consignments, tally.appended, tally.duplicates, tally.refused);
        if (tally.undelivered)
            fprintf(stderr, ", %zu not delivered (run it again)", tally.undelivered);
        rc = tally.fatal || tally.undelivered ? 2 : 0;
    }
    if (m.bad_rows)
        fprintf(stderr, "; %u bad row(s): %zu consignment(s) not sent", m.bad_rows, m.skipped);
    fputc('\n', stderr);
    if (rc == 0 && (m.bad_rows || tally.refused)) rc = 1;
    for (size_t i = 0; i < n; i++) free(envs[i].text), free(envs[i].proof);
    free(envs);
    cli_manifest_free(&m);
    log_key_free(&k);
    return rc;
}
