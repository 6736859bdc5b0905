/*
 * send.c: sending envelopes to a server, safely, for `cmcc submit` and
 * `cmcc import`.
 *
 * Envelopes go out as NDJSON batches (at most `batch` envelopes and 8 MiB a
 * request). Retrying is safe because the log is idempotent by (org, id): an
 * envelope sent twice is answered with its first receipt and never
 * appended twice. So on a network error, 429 or 503 the batch is sent again
 * after Retry-After (or a pause that doubles up to 30 s), and envelopes
 * answered `unavailable` go out again, until max_wait seconds have been
 * spent waiting. Any other HTTP status stops the sending (a wrong token, a
 * wrong URL), and so does a TLS certificate that does not verify. Each
 * refusal is printed with where the envelope came from.
 */
#include "cli/cli.h"

#include "common/mem.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>

#define SEND_MAX_BODY (8u << 20) /* under the server's 16 MiB per request */

static void pause_ms(long ms)
{
    struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
    nanosleep(&ts, NULL);
}

/* Reads one batch's results. Returns how many were answered unavailable. */
static size_t results(const cm_buf *body, cli_envelope **batch, size_t n, const cli_send_opts *o,
                      cli_tally *t)
{
    json_error_t je;
    json_t *j = json_loadb(body->data, body->len, 0, &je);
    json_t *res = json_object_get(j, "results");
    size_t again = 0;
    for (size_t i = 0; i < n; i++) {
        json_t *r = json_array_get(res, i);
        json_t *e = json_object_get(r, "error");
        cli_envelope *el = batch[i];
        const char *code = json_string_value(json_object_get(e, "code"));
        if (!r || (e && code && strcmp(code, "unavailable") == 0)) {
            again++;
            continue;
        }
        el->done = 1;
        if (e) {
            const char *field = json_string_value(json_object_get(e, "field"));
            fprintf(stderr, "cmcc %s: %s:%u: %s%s%s: %s\n", o->cmd, el->where, el->line,
                    code ? code : "?", field ? " at " : "", field ? field : "",
                    json_string_value(json_object_get(e, "message")));
            t->refused++;
        } else {
            el->accepted = 1;
            el->index = (uint64_t)json_integer_value(json_object_get(r, "index"));
            const char *proof = json_string_value(json_object_get(r, "proof"));
            if (proof && !el->proof) el->proof = xstrdup(proof);
            if (json_is_true(json_object_get(r, "duplicate")))
                t->duplicates++;
            else
                t->appended++;
        }
        if (o->receipts) {
            char *rs = json_dumps(r, EV_JSON_OUT);
            fprintf(o->receipts, "{\"file\":\"%s\",\"line\":%u,\"result\":%s}\n", el->where,
                    el->line, rs ? rs : "null");
            free(rs);
        }
    }
    json_decref(j);
    return again;
}

void cli_send(cli_http *h, cli_envelope *v, size_t total, const cli_send_opts *o, cli_tally *t)
{
    cli_envelope **batch = xcalloc(o->batch, sizeof *batch);
    cm_buf body = CM_BUF_INIT, resp = CM_BUF_INIT;
    long waited = 0, pause = 500;
    cm_error err;
    for (;;) {
        size_t n = 0;
        buf_reset(&body);
        for (size_t k = 0; k < total && n < o->batch; k++) {
            if (v[k].done) continue;
            if (n && body.len + v[k].len + 1 > SEND_MAX_BODY) break;
            batch[n++] = &v[k];
            buf_append(&body, v[k].text, v[k].len);
            buf_putc(&body, '\n');
        }
        if (n == 0) break;
        long status = 0, retry = 0;
        size_t again = n;
        if (cli_http_post(h, "/v1/events", "application/x-ndjson", body.data, body.len, &resp,
                          &status, &retry, &err) == 0) {
            if (status == 200) {
                again = results(&resp, batch, n, o, t);
            } else if (status != 429 && status != 503) {
                fprintf(stderr, "cmcc %s: the server answered %ld: %.*s", o->cmd, status,
                        (int)resp.len, resp.data);
                t->fatal = 1;
                break;
            }
        } else if (err.code != CM_UNAVAILABLE) { /* a certificate no retry mends */
            fprintf(stderr, "cmcc %s: %s\n", o->cmd, err.message);
            t->fatal = 1;
            break;
        } else {
            fprintf(stderr, "cmcc %s: %s (will retry)\n", o->cmd, err.message);
        }
        if (o->progress) {
            size_t done = 0;
            for (size_t k = 0; k < total; k++) done += v[k].done;
            o->progress(o->ctx, done, total);
        }
        if (again == 0) {
            pause = 500;
            continue;
        }
        long ms = retry > 0 ? retry * 1000 : pause;
        if (waited + ms > o->max_wait_s * 1000) break;
        pause_ms(ms);
        waited += ms;
        pause = pause * 2 > 30000 ? 30000 : pause * 2;
    }
    t->undelivered = 0;
    for (size_t k = 0; k < total; k++) t->undelivered += !v[k].done;
    free(batch);
    buf_free(&body);
    buf_free(&resp);
}
