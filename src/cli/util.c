/*
 * util.c: what the subcommands share: error printing, --help detection and
 * option parsing, opening a log's store, making read tokens, reading input
 * files, and splitting input into JSON documents.
 */
#include "cli/cli.h"

#include "common/file.h"
#include "common/mem.h"
#include "common/timeutil.h"

#include <errno.h>
#include <getopt.h>
#include <sodium.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

void cli_error(const char *cmd, const cm_error *e)
{
    fprintf(stderr, "cmcc %s: %s", cmd, e->message);
    if (e->field[0]) fprintf(stderr, " [%s: %s]", cm_code_name(e->code), e->field);
    fputc('\n', stderr);
}

void cli_errorf(const char *cmd, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    fprintf(stderr, "cmcc %s: ", cmd);
    vfprintf(stderr, fmt, ap);
    fputc('\n', stderr);
    va_end(ap);
}

int cli_wants_help(int argc, char **argv)
{
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--") == 0) return 0;
        if (strcmp(argv[i], "-h") == 0 || strcmp(argv[i], "--help") == 0) return 1;
    }
    return 0;
}

/* getopt_long's value for opts[i]: above any character, so '?' and 'h' stay apart. */
#define OPT_VAL 256

int cli_options(int argc, char **argv, const cli_option *opts, const char *help)
{
    size_t n = 0;
    while (opts[n].name) n++;
    struct option *lo = xcalloc(n + 2, sizeof *lo); /* the options, "help", the end */
    for (size_t i = 0; i < n; i++)
        lo[i] = (struct option){opts[i].name, opts[i].arg ? required_argument : no_argument, NULL,
                                OPT_VAL + (int)i};
    lo[n] = (struct option){"help", no_argument, NULL, 'h'};
    int c, rc = -1;
    optind = 1;
    while (rc < 0 && (c = getopt_long(argc, argv, "h", lo, NULL)) != -1) {
        if (c == 'h') {
            fputs(help, stdout);
            rc = 0;
        } else if (c < OPT_VAL) {
            fputs(help, stderr);
            rc = 2;
        } else if (opts[c - OPT_VAL].arg) {
            *opts[c - OPT_VAL].arg = optarg;
        } else {
            *opts[c - OPT_VAL].flag = opts[c - OPT_VAL].value;
        }
    }
    free(lo);
    return rc;
}

int cli_token_add(store *s, const char *org, char token[CLI_TOKEN_MAX],
                  char id[STORE_TOKEN_ID_LEN + 1], cm_error *err)
{
    return store_token_new(s, org, NULL, 0, time_now_ms(), token, id, err);
}

int cli_number(const char *s, long min, long max, long dflt, long *out)
{
    if (!s) return *out = dflt, 0;
    char *end = NULL;
    errno = 0;
    long v = strtol(s, &end, 10);
    if (!*s || *end || errno || v < min || v > max) return -1;
    *out = v;
    return 0;
}

int cli_parse_listen(const char *s, char *host, size_t cap, unsigned *port)
{
    const char *colon = strrchr(s, ':');
    if (!colon || colon == s || (size_t)(colon - s) >= cap) return -1;
    char *end = NULL;
    unsigned long p = strtoul(colon + 1, &end, 10);
    if (!colon[1] || *end || p > 65535) return -1;
    memcpy(host, s, (size_t)(colon - s));
    host[colon - s] = '\0';
    *port = (unsigned)p;
    return 0;
}

int cli_read_input(const char *path, char **data, size_t *len, cm_error *err)
{
    if (strcmp(path, "-") != 0) return cm_read_file(path, data, len, err);
    return cm_read_stream(stdin, "the standard input", data, len, err);
}

static int blank(const char *p, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (p[i] != ' ' && p[i] != '\t' && p[i] != '\r' && p[i] != '\n') return 0;
    return 1;
}

static void trim(const char **p, size_t *n)
{
    while (*n && strchr(" \t\r\n", **p)) (*p)++, (*n)--;
    while (*n && strchr(" \t\r\n", (*p)[*n - 1])) (*n)--;
}

/* NDJSON when every non-blank line is a whole object on its own. */
static int is_ndjson(const char *data, size_t len)
{
    const char *p = data, *end = data + len;
    while (p < end) {
        const char *nl = memchr(p, '\n', (size_t)(end - p));
        const char *le = nl ? nl : end;
        const char *s = p;
        size_t n = (size_t)(le - p);
        trim(&s, &n);
        if (n && (s[0] != '{' || s[n - 1] != '}')) return 0;
        p = nl ? nl + 1 : end;
    }
    return 1;
}

int cli_each_doc(const char *data, size_t len, cli_doc_fn fn, void *ctx)
{
    if (!is_ndjson(data, len)) {
        const char *s = data;
        size_t n = len;
        trim(&s, &n);
        unsigned line = 1;
        for (const char *p = data; p < s; p++) line += *p == '\n';
        return n ? fn(ctx, s, n, line) : 0;
    }
    const char *p = data, *end = data + len;
    unsigned line = 0;
    while (p < end) {
        const char *nl = memchr(p, '\n', (size_t)(end - p));
        const char *le = nl ? nl : end;
        line++;
        if (!blank(p, (size_t)(le - p))) {
            const char *s = p;
            size_t n = (size_t)(le - p);
            trim(&s, &n);
            int rc = fn(ctx, s, n, line);
            if (rc) return rc;
        }
        p = nl ? nl + 1 : end;
    }
    return 0;
}
