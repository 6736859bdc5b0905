/*
 * cmd_sign.c: `cmcc sign --key PEM [FILE...]`: events in, envelopes out.
 *
 * Works offline. Each input is one event JSON (any layout) or NDJSON, one
 * event a line. The exact bytes of each event are signed (DSSE, no
 * re-encoding) and written as one envelope a line, to stdout or --out. Each
 * event is first checked as the server will check its shape (fields, types,
 * values), so mistakes show up before the field officer is back online;
 * --no-check skips that.
 */
#include "cli/cli.h"

#include "common/mem.h"
#include "common/timeutil.h"
#include "log/log.h"

#include <getopt.h>
#include <stdlib.h>
#include <string.h>

static const char help[] =
    "usage: cmcc sign --key PEM [--out FILE] [--no-check] [FILE...]\n\n"
    "Signs events (one JSON event per file, or NDJSON: one event a line; stdin when no\n"
    "FILE) with an Ed25519 PKCS#8 PEM key and writes one DSSE envelope a line. The\n"
    "envelopes can be kept and sent later with `cmcc submit`.\n\n"
    "  --key PEM     the signing key of the event's org\n"
    "  --out FILE    append the envelopes to FILE instead of stdout\n"
    "  --no-check    sign even if an event's shape is wrong\n";

typedef struct {
    const log_key *key;
    FILE *out;
    const char *name;
    int check;
    int failed;
    unsigned count;
} sign_ctx;

static int one(void *ctx, const char *doc, size_t len, unsigned line)
{
    sign_ctx *c = ctx;
    ev_event e;
    memset(&e, 0, sizeof e);
    ev_envelope_sign(c->key, doc, len, &e.env);
    cm_error err;
    if (c->check && ev_event_parse(&e, time_now_ms(), &err)) {
        fprintf(stderr, "cmcc sign: %s:%u: %s%s%s\n", c->name, line, err.message,
                err.field[0] ? " at " : "", err.field);
        c->failed = 1;
    } else {
        cm_buf b = CM_BUF_INIT;
        ev_envelope_write(&e.env, &b);
        buf_putc(&b, '\n');
        fwrite(b.data, 1, b.len, c->out);
        buf_free(&b);
        c->count++;
    }
    ev_event_free(&e);
    return 0;
}

int cmd_sign(int argc, char **argv)
{
    const char *keyfile = NULL, *outfile = NULL;
    int check = 1;
    const cli_option opts[] = {CLI_ARG("key", &keyfile), CLI_ARG("out", &outfile),
                               CLI_FLAG("no-check", &check, 0), CLI_OPTIONS_END};
    int status = cli_options(argc, argv, opts, help);
    if (status >= 0) return status;
    if (!keyfile) return fputs(help, stderr), 2;
    log_key k = {0};
    cm_error err;
    if (log_key_load(keyfile, &k, &err)) return cli_error("sign", &err), 1;
    sign_ctx ctx = {&k, stdout, "-", check, 0, 0};
    if (outfile && !(ctx.out = fopen(outfile, "a"))) {
        log_key_free(&k);
        cli_errorf("sign", "cannot write %s", outfile);
        return 1;
    }
    int nfiles = argc - optind;
    for (int i = 0; i < (nfiles ? nfiles : 1); i++) {
        const char *path = nfiles ? argv[optind + i] : "-";
        char *data = NULL;
        size_t len = 0;
        if (cli_read_input(path, &data, &len, &err)) {
            cli_error("sign", &err);
            ctx.failed = 1;
            continue;
        }
        ctx.name = path;
        cli_each_doc(data, len, one, &ctx);
        free(data);
    }
    if (ctx.out != stdout) fclose(ctx.out);
    log_key_free(&k);
    if (ctx.failed) fprintf(stderr, "cmcc sign: signed %u; fix the events above\n", ctx.count);
    return ctx.failed ? 1 : 0;
}
