/*
 * cmd_demo.c: `cmcc demo [DIR]`: a realistic scenario, built on the
 * embedded store and served.
 *
 * The first run makes the log in DIR (default ./demo-log) with demo.c's
 * scenario, signed by each fictional organization with its own key (kept
 * in DIR/keys/ so more events can be signed), issues a read token for the
 * coordinator, and serves it. Later runs serve the existing log. Either
 * way it prints how to record from the field: the Record page for one of
 * the scenario's relief agencies, and the two commands with which that
 * agency's administrator enrols the device the page made.
 *
 * While it serves, a witness and a mirror run beside the log, on the next
 * two ports (demo_trust.c): each checkpoint carries their cosignatures, and
 * the mirror serves a read-only copy. All three stop on Ctrl-C.
 */
#include "cli/cli.h"
#include "cli/demo_trust.h"

#include "common/file.h"
#include "common/mem.h"
#include "engine/engine.h"

#include <getopt.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static const char help[] =
    "usage: cmcc demo [DIR] [--listen HOST:PORT] [--build-only]\n\n"
    "Builds a realistic scenario in DIR (default ./demo-log) on the first run: the\n"
    "coordination cell, relief agencies, a crossing authority, transporters and a\n"
    "military liaison, with the crossings, warehouses and distribution points they use;\n"
    "then serves it and prints the URL and a read token. A witness and a mirror run\n"
    "beside it on the next two ports and cosign each of its checkpoints.\n\n"
    "  --listen HOST:PORT   where to serve (default 127.0.0.1:8080)\n"
    "  --build-only         build the log and stop\n";

/* the relief agency whose field device the printed walk-through enrols */
#define FIELD_ORG "coastal-relief"

static void record_hint(const char *dir, const char *listen, const char *token)
{
    char self[4096];
    const char *bin = "cmcc";
    ssize_t n = readlink("/proc/self/exe", self, sizeof self - 1);
    if (n > 0) {
        self[n] = '\0';
        bin = self;
    }
    printf("cmcc demo: record from the field at http://%s/#/record?org=" FIELD_ORG "\n"
           "  (a secure context on this computer; phones need HTTPS: serve --tls-cert and\n"
           "  --tls-key, docs/operations.md). The page makes its device's key and shows it;\n"
           "  enrol it as " FIELD_ORG "'s administrator, with KEY the key the page shows:\n"
           "  %s new key.add --org " FIELD_ORG " --key %s/keys/" FIELD_ORG
           ".pem --body-org " FIELD_ORG " --public-key KEY --out enrol.ndjson\n"
           "  %s submit --server http://%s --token %s enrol.ndjson\n",
           listen, bin, dir, bin, listen, token ? token : "?");
}

int cmd_demo(int argc, char **argv)
{
    const char *listen = "127.0.0.1:8080";
    int build_only = 0;
    const cli_option opts[] = {CLI_ARG("listen", &listen), CLI_FLAG("build-only", &build_only, 1),
                               CLI_OPTIONS_END};
    int status = cli_options(argc, argv, opts, help);
    if (status >= 0) return status;
    if (argc - optind > 1) return fputs(help, stderr), 2;
    const char *dir = optind < argc ? argv[optind] : "demo-log";
    char *db = xasprintf("%s/%s", dir, SRV_DB_FILE);
    int exists = access(db, F_OK) == 0;
    free(db);
    cm_error err;
    if (!exists && demo_build(dir, &err)) {
        cli_error("demo", &err);
        return 1;
    }
    char *tokpath = xasprintf("%s/demo-token.txt", dir);
    char *token = NULL;
    cm_read_line_file(tokpath, &token, &err);
    free(tokpath);
    if (build_only) {
        printf("cmcc demo: built %s; read token: %s\n", dir, token ? token : "?");
        record_hint(dir, listen, token);
        free(token);
        return 0;
    }
    printf("cmcc demo: open http://%s/ ; read token for the API: %s\n", listen,
           token ? token : "?");
    record_hint(dir, listen, token);
    demo_trust t;
    if (demo_trust_start(dir, listen, &t) == 0)
        printf("cmcc demo: a witness cosigns each checkpoint at %s/add-checkpoint, and a mirror\n"
               "  holds a verified copy, cosigns it too and serves it read-only at %s/\n"
               "  (the dashboard's checkpoint shows both cosignatures; its read token is in\n"
               "  %s/mirror-token.txt once it holds the log: cmcc verify %s\n"
               "  --vkey \"$(cat %s/log.vkey)\" --token \"$(cat %s/mirror-token.txt)\")\n",
               t.witness, t.mirror, dir, t.mirror, dir, dir);
    else
        printf("cmcc demo: no witness or mirror beside the log (give --listen HOST:PORT with a "
               "port, see %s/trust.log)\n",
               dir);
    fflush(stdout);
    free(token);
    char *args[] = {"serve", (char *)dir, "--listen", (char *)listen, NULL};
    int rc = cmd_serve(4, args);
    demo_trust_stop(&t);
    return rc;
}
