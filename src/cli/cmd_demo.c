/*
 * cmd_demo.c: `cmcc demo [DIR]`: a realistic scenario, built on the
 * embedded store and served.
 *
 * The first run makes the log in DIR (default ./demo-log) with demo.c's
 * scenario, signed by each fictional organization with its own key (kept
 * in DIR/keys/ so more events can be signed), issues a read token for the
 * coordinator, and serves it. Later runs serve the existing log.
 */
#include "cli/cli.h"

#include "common/file.h"
#include "common/mem.h"
#include "server/server.h"

#include <getopt.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static const char help[] =
    "usage: cmcc demo [DIR] [--listen HOST:PORT] [--build-only]\n\n"
    "Builds a realistic scenario in DIR (default ./demo-log) on the first run: the\n"
    "coordination cell, relief agencies, a crossing authority, transporters and a\n"
    "military liaison, with the crossings, warehouses and distribution points they use;\n"
    "then serves it and prints the URL and a read token.\n\n"
    "  --listen HOST:PORT   where to serve (default 127.0.0.1:8080)\n"
    "  --build-only         build the log and stop\n";

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
        free(token);
        return 0;
    }
    printf("cmcc demo: open http://%s/ ; read token for the API: %s\n", listen,
           token ? token : "?");
    fflush(stdout);
    free(token);
    char *args[] = {"serve", (char *)dir, "--listen", (char *)listen, NULL};
    return cmd_serve(4, args);
}
