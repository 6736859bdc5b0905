/*
 * main.c: `cmcc`, dispatching to its subcommands.
 */
#include "cli/cli.h"

#include <sodium.h>
#include <stdio.h>
#include <string.h>

static const struct {
    const char *name;
    int (*fn)(int, char **);
    const char *what;
} cmds[] = {
    {"init", cmd_init, "make a new log in a directory"},
    {"keygen", cmd_keygen, "make an Ed25519 key (PKCS#8 PEM)"},
    {"serve", cmd_serve, "serve a log over HTTP"},
    {"token", cmd_token, "create, revoke or list read tokens"},
    {"new", cmd_new, "write an event from options, no JSON by hand (works offline)"},
    {"sign", cmd_sign, "sign events into envelopes (works offline)"},
    {"submit", cmd_submit, "send envelopes to a server, safely retrying"},
    {"verify", cmd_verify, "check a log: tiles, signatures, and a full replay"},
    {"rebuild", cmd_rebuild, "recompute the state from the entries"},
    {"backup", cmd_backup, "copy a log consistently while it is served"},
    {"import", cmd_import, "declare consignments from a CSV manifest"},
    {"report", cmd_report, "print the reconciliation (terminal, CSV or JSON)"},
    {"label", cmd_label, "print a consignment's label with its QR code (SVG)"},
    {"mirror", cmd_mirror, "keep a verified copy of a log, cosigned, and serve it"},
    {"cot", cmd_cot, "push sites, zones and movements as CoT to a TAK Server or SA multicast"},
    {"witness", cmd_witness, "run a witness that cosigns a log's checkpoints"},
    {"proof", cmd_proof, "check offline that an envelope is in a log (a tlog proof)"},
    {"demo", cmd_demo, "build a realistic scenario and serve it"},
};

static void usage(FILE *f)
{
    fprintf(f, "usage: cmcc <command> [options]   (cmcc <command> --help for more)\n\n"
               "cmcc keeps the signed, append-only log of a civil-military coordination "
               "centre.\n\ncommands:\n");
    for (size_t i = 0; i < sizeof cmds / sizeof cmds[0]; i++)
        fprintf(f, "  %-9s %s\n", cmds[i].name, cmds[i].what);
    fprintf(f, "  version   print the version\n");
}

int main(int argc, char **argv)
{
    if (sodium_init() < 0) {
        fprintf(stderr, "cmcc: libsodium cannot start\n");
        return 2;
    }
    ev_arena_setup(); /* jansson's allocator, before any thread uses it */
    if (argc < 2 || strcmp(argv[1], "help") == 0 || strcmp(argv[1], "--help") == 0 ||
        strcmp(argv[1], "-h") == 0) {
        usage(argc < 2 ? stderr : stdout);
        return argc < 2 ? 2 : 0;
    }
    if (strcmp(argv[1], "version") == 0 || strcmp(argv[1], "--version") == 0) {
        printf("cmcc %s\n", CMCC_VERSION);
        return 0;
    }
    for (size_t i = 0; i < sizeof cmds / sizeof cmds[0]; i++)
        if (strcmp(argv[1], cmds[i].name) == 0) return cmds[i].fn(argc - 1, argv + 1);
    fprintf(stderr, "cmcc: no command \"%s\"\n\n", argv[1]);
    usage(stderr);
    return 2;
}
