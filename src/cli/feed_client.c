/*
 * feed_client.c: GET /v1/feed followed on a libcurl multi handle (see
 * feed_client.h).
 *
 * The stream's bytes go to a write callback that reads them as
 * text/event-stream (sse.c): each event with data is given to the caller,
 * a comment is the server's heartbeat, and the last event id is kept. A
 * line longer than SSE_LINE_MAX ends the stream: that is no feed of a
 * cmcc server.
 *
 * The first bytes tell what answered: 200 with Content-Type
 * text/event-stream is the stream (it is then open); anything else is a
 * refusal, whose body (64 KiB at most) is kept for the protocol's error
 * sentence and field.
 */
#include "cli/feed_client.h"
#include "cli/sse.h"

#include "common/buf.h"
#include "common/mem.h"
#include "common/timeutil.h"

#include <curl/curl.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define FEED_OTHER_MAX 65536 /* bytes of a refusal's body kept */
#define FEED_SILENT_MS 45000 /* three heartbeats missed: the stream is dead */

struct cli_feed {
    CURLM *multi;
    CURL *easy;
    char *url;
    char *auth; /* "Authorization: Bearer ..." or NULL */
    char *cacert;
    struct curl_slist *headers;
    char why[CURL_ERROR_SIZE];
    int running; /* the easy handle is in the multi handle */
    int done;    /* ... and its transfer ended with rc, not yet told */
    CURLcode rc;
    int checked;      /* the answer's status and type were looked at */
    int stream;       /* ... and it is the event stream */
    int opened;       /* it became open since cli_feed_opened last asked */
    int too_long;     /* a line was longer than SSE_LINE_MAX */
    long refused;     /* the status of the last answer that was no stream */
    int64_t heard_ms; /* when the last byte came (monotonic) */
    sse_reader sse;   /* the stream read so far, and the last event id */
    cm_buf other;     /* a refusal's body */
    cli_feed_fn fn;
    void *ctx;
    int given; /* events given to fn in this pump */
};

cli_feed *cli_feed_new(const char *base, const char *token, const char *cacert)
{
    static int inited;
    if (!inited) curl_global_init(CURL_GLOBAL_DEFAULT), inited = 1;
    cli_feed *f = xcalloc(1, sizeof *f);
    size_t n = strlen(base);
    while (n && base[n - 1] == '/') n--;
    f->url = xasprintf("%.*s/v1/feed", (int)n, base);
    if (token) f->auth = xasprintf("Authorization: Bearer %s", token);
    if (cacert && *cacert) f->cacert = xstrdup(cacert);
    f->multi = curl_multi_init();
    if (!f->multi) {
        fprintf(stderr, "cmcc: libcurl cannot start\n");
        abort();
    }
    return f;
}

static void stop(cli_feed *f)
{
    if (f->easy) {
        if (f->running) curl_multi_remove_handle(f->multi, f->easy);
        curl_easy_cleanup(f->easy);
        f->easy = NULL;
    }
    curl_slist_free_all(f->headers);
    f->headers = NULL;
    f->running = f->done = 0;
}

void cli_feed_free(cli_feed *f)
{
    if (!f) return;
    stop(f);
    curl_multi_cleanup(f->multi);
    sse_free(&f->sse);
    buf_free(&f->other);
    free(f->url);
    free(f->auth);
    free(f->cacert);
    free(f);
}

/* An event of the stream, to the caller. */
static void event(void *ctx, const char *id, const char *data, size_t len)
{
    cli_feed *f = ctx;
    if (f->fn) f->fn(f->ctx, id, data, len);
    f->given++;
}

/* The stream's bytes, as they come. */
static size_t on_bytes(char *data, size_t size, size_t n, void *ctx)
{
    cli_feed *f = ctx;
    size_t len = size * n;
    f->heard_ms = time_mono_ms();
    if (!f->checked) {
        long status = 0;
        char *type = NULL;
        curl_easy_getinfo(f->easy, CURLINFO_RESPONSE_CODE, &status);
        curl_easy_getinfo(f->easy, CURLINFO_CONTENT_TYPE, &type);
        f->checked = 1;
        f->stream = status == 200 && type && strncasecmp(type, "text/event-stream", 17) == 0;
        if (f->stream)
            f->opened = 1;
        else
            f->refused = status;
    }
    if (!f->stream) {
        if (f->other.len < FEED_OTHER_MAX) buf_append(&f->other, data, len);
        return len;
    }
    if (sse_read(&f->sse, data, len, event, f)) {
        f->too_long = 1;
        return 0; /* ends the transfer */
    }
    return len;
}

void cli_feed_start(cli_feed *f)
{
    stop(f);
    f->easy = curl_easy_init();
    if (!f->easy) {
        fprintf(stderr, "cmcc: libcurl cannot start\n");
        abort();
    }
    f->checked = f->stream = f->too_long = 0;
    f->refused = 0;
    sse_restart(&f->sse);
    buf_reset(&f->other);
    f->headers = curl_slist_append(NULL, "Accept: text/event-stream");
    if (f->auth) f->headers = curl_slist_append(f->headers, f->auth);
    if (f->sse.id[0]) {
        char h[32 + SSE_ID_MAX];
        snprintf(h, sizeof h, "Last-Event-ID: %s", f->sse.id);
        f->headers = curl_slist_append(f->headers, h);
    }
    CURL *c = f->easy;
    curl_easy_setopt(c, CURLOPT_URL, f->url);
    curl_easy_setopt(c, CURLOPT_HTTPHEADER, f->headers);
    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_bytes);
    curl_easy_setopt(c, CURLOPT_WRITEDATA, f);
    curl_easy_setopt(c, CURLOPT_ERRORBUFFER, f->why);
    curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT, 10L);
    curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(c, CURLOPT_TCP_KEEPALIVE, 1L);
    if (f->cacert) {
        curl_easy_setopt(c, CURLOPT_CAINFO, f->cacert);
        curl_easy_setopt(c, CURLOPT_CAPATH, NULL);
    }
    f->why[0] = '\0';
    f->heard_ms = time_mono_ms();
    curl_multi_add_handle(f->multi, c);
    f->running = 1;
}

int cli_feed_running(const cli_feed *f)
{
    return f->running;
}

/* Why the transfer ended with rc, into err; the stream stopped. */
static int ended(cli_feed *f, CURLcode rc, cm_error *err)
{
    if (f->checked && !f->stream) {
        json_t *doc = json_loadb(f->other.data ? f->other.data : "", f->other.len, 0, NULL);
        const json_t *e = json_object_get(doc, "error");
        const char *msg = json_string_value(json_object_get(e, "message"));
        const char *field = json_string_value(json_object_get(e, "field"));
        if (msg)
            cm_fail(err, CM_UNAVAILABLE, field ? field : "", "GET %s answered %ld: %s", f->url,
                    f->refused, msg);
        else
            cm_fail(err, CM_UNAVAILABLE, "", "GET %s answered %ld, not an event stream", f->url,
                    f->refused);
        json_decref(doc);
    } else if (f->too_long)
        cm_fail(err, CM_UNAVAILABLE, "", "%s sent a line of more than %d bytes: not a cmcc feed",
                f->url, SSE_LINE_MAX);
    else if (rc == CURLE_OK)
        cm_fail(err, CM_UNAVAILABLE, "", "%s ended the stream", f->url);
    else
        cm_fail(err, CM_UNAVAILABLE, "", "%s: %s", f->url,
                f->why[0] ? f->why : curl_easy_strerror(rc));
    stop(f);
    return -1;
}

int cli_feed_pump(cli_feed *f, long ms, cli_feed_fn fn, void *ctx, cm_error *err)
{
    if (!f->running) return cm_fail(err, CM_UNAVAILABLE, "", "the feed is not started");
    if (f->done) return ended(f, f->rc, err);
    int64_t end = time_mono_ms() + (ms > 0 ? ms : 0);
    f->fn = fn;
    f->ctx = ctx;
    f->given = 0;
    for (;;) {
        int still = 0, left = 0;
        curl_multi_perform(f->multi, &still);
        CURLMsg *m;
        while ((m = curl_multi_info_read(f->multi, &left)))
            if (m->msg == CURLMSG_DONE && m->easy_handle == f->easy) {
                f->done = 1;
                f->rc = m->data.result;
            }
        int64_t now = time_mono_ms();
        if (f->given || f->done || now >= end) break;
        if (f->stream && now - f->heard_ms > FEED_SILENT_MS) {
            stop(f);
            return cm_fail(err, CM_UNAVAILABLE, "",
                           "%s sent nothing for %d s, not even a heartbeat", f->url,
                           FEED_SILENT_MS / 1000);
        }
        long wait = (long)(end - now);
        curl_multi_poll(f->multi, NULL, 0, wait > 1000 ? 1000 : (int)wait, NULL);
    }
    f->fn = NULL;
    /* the events that came first; an end is told by the next pump */
    if (f->done && !f->given) return ended(f, f->rc, err);
    return f->given;
}

int cli_feed_opened(cli_feed *f)
{
    int o = f->opened;
    f->opened = 0;
    return o;
}

long cli_feed_refused(const cli_feed *f)
{
    return f->refused;
}

const char *cli_feed_last_id(const cli_feed *f)
{
    return f->sse.id;
}

void cli_feed_forget(cli_feed *f)
{
    f->sse.id[0] = '\0';
}
