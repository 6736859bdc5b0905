/*
 * cmd_submit.c: `cmcc submit --server URL FILE...`: envelopes to a server.
 *
 * Envelopes (one a line, or one per file) go out in NDJSON batches. Safe to
 * repeat: the log is idempotent by (org, id), so an envelope sent twice is
 * answered with its first receipt and never appended twice. That is what
 * makes retrying safe: on a network error, 429 or 503 the same batch is sent
 * again after Retry-After (or a growing pause), and envelopes answered
 * `unavailable` are sent again, until --max-wait seconds have been spent
 * waiting. Each refusal is printed with its file and line.
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
#include <time.h>

static const char help[] =
    "usage: cmcc submit --server URL [--token T] [--batch N] [--max-wait S]\n"
    "                   [--receipts FILE] FILE...\n\n"
    "Sends envelopes (from `cmcc sign`) to a cmcc server in batches, retrying on\n"
    "network errors, 429 and 503 without ever appending one twice.\n\n"
    "  --server URL      the server, e.g. http://127.0.0.1:8080\n"
    "  --token T         read token (default: $CMCC_TOKEN)\n"
    "  --batch N         envelopes per request, 1..1000 (default 500)\n"
    "  --max-wait S      give up after waiting S seconds in all (default 600)\n"
    "  --receipts FILE   append one JSON line per envelope: where it came from and\n"
    "                    its receipt or error\n";

#define SUBMIT_MAX_BODY (8u << 20) /* bytes of one batch request */

typedef struct {
    const char *file;
    unsigned line;
    char *text;
    size_t len;
    int done;
} env_line;

typedef struct {
    env_line *v;
    size_t n, cap;
    const char *file;
} env_list;

static int collect(void *ctx, const char *doc, size_t len, unsigned line)
{
    env_list *l = ctx;
    if (l->n == l->cap) l->v = xrealloc(l->v, (l->cap = l->cap ? 2 * l->cap : 256) * sizeof *l->v);
    l->v[l->n++] = (env_line){l->file, line, xstrndup(doc, len), len, 0};
    return 0;
}

typedef struct {
    unsigned appended, duplicates, refused;
    FILE *receipts;
} tally;

static void pause_ms(long ms)
{
    struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
    nanosleep(&ts, NULL);
}

/* Reads one batch's results. Returns how many were answered unavailable. */
static size_t results(const cm_buf *body, env_line **batch, size_t n, tally *t)
{
    json_error_t je;
    json_t *j = json_loadb(body->data, body->len, 0, &je);
    json_t *res = json_object_get(j, "results");
    size_t again = 0;
    for (size_t i = 0; i < n; i++) {
        json_t *r = json_array_get(res, i);
        json_t *e = json_object_get(r, "error");
        env_line *el = batch[i];
        if (!r) {
            again++;
            continue;
        }
        const char *code = json_string_value(json_object_get(e, "code"));
        if (e && code && strcmp(code, "unavailable") == 0) {
            again++;
            continue;
        }
        el->done = 1;
        if (e) {
            const char *field = json_string_value(json_object_get(e, "field"));
            fprintf(stderr, "cmcc submit: %s:%u: %s%s%s: %s\n", el->file, el->line, code,
                    field ? " at " : "", field ? field : "",
                    json_string_value(json_object_get(e, "message")));
            t->refused++;
        } else if (json_is_true(json_object_get(r, "duplicate"))) {
            t->duplicates++;
        } else {
            t->appended++;
        }
        if (t->receipts) {
            char *rs = json_dumps(r, JSON_COMPACT);
            fprintf(t->receipts, "{\"file\":\"%s\",\"line\":%u,\"result\":%s}\n", el->file,
                    el->line, rs ? rs : "null");
            free(rs);
        }
    }
    json_decref(j);
    return again;
}

int cmd_submit(int argc, char **argv)
{
    static const struct option opts[] = {{"server", required_argument, 0, 's'},
                                         {"token", required_argument, 0, 't'},
                                         {"batch", required_argument, 0, 'b'},
                                         {"max-wait", required_argument, 0, 'w'},
                                         {"receipts", required_argument, 0, 'r'},
                                         {"help", no_argument, 0, 'h'},
                                         {0, 0, 0, 0}};
    const char *server = NULL, *token = getenv("CMCC_TOKEN"), *receipts = NULL;
    long batch_n = 500, max_wait = 600;
    int c;
    optind = 1;
    while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
        switch (c) {
        case 's':
            server = optarg;
            break;
        case 't':
            token = optarg;
            break;
        case 'b':
            batch_n = strtol(optarg, NULL, 10);
            break;
        case 'w':
            max_wait = strtol(optarg, NULL, 10);
            break;
        case 'r':
            receipts = optarg;
            break;
        case 'h':
            fputs(help, stdout);
            return 0;
        default:
            fputs(help, stderr);
            return 2;
        }
    }
    if (!server || optind >= argc || batch_n < 1 || batch_n > 1000 || max_wait < 0)
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
    tally t = {0, 0, 0, NULL};
    if (receipts && !(t.receipts = fopen(receipts, "a")))
        return cli_errorf("submit", "cannot write %s", receipts), 2;
    cli_http *h = cli_http_new(server, token);
    env_line **batch = xcalloc((size_t)batch_n, sizeof *batch);
    cm_buf body = CM_BUF_INIT, resp = CM_BUF_INIT;
    long waited = 0, pause = 500;
    int fatal = 0;
    size_t next = 0;
    for (;;) {
        size_t n = 0;
        buf_reset(&body);
        for (size_t i = 0; i < all.n && n < (size_t)batch_n; i++) {
            size_t k = (next + i) % all.n;
            if (all.v[k].done) continue;
            /* the server takes at most 16 MiB a request: large envelopes
             * make smaller batches (one envelope is at most ~64 KiB) */
            if (n && body.len + all.v[k].len + 1 > SUBMIT_MAX_BODY) break;
            batch[n++] = &all.v[k];
            buf_append(&body, all.v[k].text, all.v[k].len);
            buf_putc(&body, '\n');
        }
        if (n == 0) break;
        long status = 0, retry = 0;
        size_t again = n;
        if (cli_http_post(h, "/v1/events", "application/x-ndjson", body.data, body.len, &resp,
                          &status, &retry, &err) == 0) {
            if (status == 200) {
                again = results(&resp, batch, n, &t);
            } else if (status != 429 && status != 503) {
                fprintf(stderr, "cmcc submit: the server answered %ld: %.*s", status, (int)resp.len,
                        resp.data);
                fatal = 1;
                break;
            }
        } else {
            fprintf(stderr, "cmcc submit: %s (will retry)\n", err.message);
        }
        if (again == 0) {
            pause = 500;
            continue;
        }
        long ms = retry > 0 ? retry * 1000 : pause;
        if (waited + ms > max_wait * 1000) break;
        pause_ms(ms);
        waited += ms;
        pause = pause * 2 > 30000 ? 30000 : pause * 2;
    }
    size_t undelivered = 0;
    for (size_t i = 0; i < all.n; i++) undelivered += !all.v[i].done;
    fprintf(stderr, "cmcc submit: %u appended, %u already in the log, %u refused", t.appended,
            t.duplicates, t.refused);
    if (undelivered) fprintf(stderr, ", %zu not delivered (send them again later)", undelivered);
    fputc('\n', stderr);
    for (size_t i = 0; i < all.n; i++) free(all.v[i].text);
    free(all.v);
    free(batch);
    buf_free(&body);
    buf_free(&resp);
    cli_http_free(h);
    if (t.receipts) fclose(t.receipts);
    return (fatal || undelivered) ? 2 : t.refused ? 1 : 0;
}
