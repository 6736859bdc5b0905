/*
 * http.c: the client side of HTTP and HTTPS, on libcurl. One easy handle
 * per client, so that successive requests reuse the connection
 * (keep-alive).
 *
 * An https:// server's certificate is checked against the system's CAs
 * (/etc/ssl/certs), or only against the PEM CA certificates of the file
 * given with --cacert (or $CMCC_CACERT): a closed deployment's own CA. A
 * certificate that does not verify, or a CA file that cannot be read, is
 * an error no retry mends (bad_request); a failed connection is one worth
 * retrying (unavailable).
 */
#include "cli/cli.h"

#include "common/mem.h"

#include <curl/curl.h>
#include <stdlib.h>
#include <string.h>

struct cli_http {
    CURL *curl;
    char *base;
    struct curl_slist *auth;
    char *cacert;
    char why[CURL_ERROR_SIZE]; /* libcurl's own words on the last failure */
    uint64_t received;         /* bytes of answers' bodies, all requests */
};

cli_http *cli_http_new(const char *base, const char *token, const char *cacert)
{
    static int inited;
    if (!inited) curl_global_init(CURL_GLOBAL_DEFAULT), inited = 1;
    cli_http *h = xcalloc(1, sizeof *h);
    h->curl = curl_easy_init();
    if (!h->curl) {
        fprintf(stderr, "cmcc: libcurl cannot start\n");
        abort();
    }
    size_t n = strlen(base);
    while (n && base[n - 1] == '/') n--;
    h->base = xstrndup(base, n);
    if (cacert && *cacert) {
        h->cacert = xstrdup(cacert);
        curl_easy_setopt(h->curl, CURLOPT_CAINFO, h->cacert);
        curl_easy_setopt(h->curl, CURLOPT_CAPATH, NULL); /* that CA alone */
    }
    curl_easy_setopt(h->curl, CURLOPT_ERRORBUFFER, h->why);
    if (token) {
        char *hdr = xasprintf("Authorization: Bearer %s", token);
        h->auth = curl_slist_append(NULL, hdr);
        free(hdr);
    }
    return h;
}

uint64_t cli_http_received(const cli_http *h)
{
    return h->received;
}

void cli_http_free(cli_http *h)
{
    if (!h) return;
    curl_easy_cleanup(h->curl);
    curl_slist_free_all(h->auth);
    free(h->cacert);
    free(h->base);
    free(h);
}

/* The error of a request that got no answer: rc, in libcurl's words. */
static int failed(const cli_http *h, const char *path, CURLcode rc, cm_error *err)
{
    const char *why = h->why[0] ? h->why : curl_easy_strerror(rc);
    if (rc == CURLE_PEER_FAILED_VERIFICATION)
        return cm_fail(err, CM_BAD_REQUEST, "",
                       "%s%s: the server's TLS certificate is not trusted (%s): if a CA of your "
                       "own signed it, give that CA's certificate with --cacert FILE (or "
                       "$CMCC_CACERT)",
                       h->base, path, why);
    if (rc == CURLE_SSL_CACERT_BADFILE)
        return cm_fail(err, CM_BAD_REQUEST, "",
                       "the CA file %s cannot be read as PEM certificates (%s)",
                       h->cacert ? h->cacert : "(the system's)", why);
    return cm_fail(err, CM_UNAVAILABLE, "", "%s%s: %s", h->base, path, why);
}

typedef size_t (*sink_fn)(char *data, size_t size, size_t n, void *ctx);

/* A request whose answer goes to sink(ctx) as it arrives. */
static int perform_to(cli_http *h, const char *path, struct curl_slist *headers, sink_fn sink,
                      void *ctx, long *status, long *retry_after, cm_error *err)
{
    char *url = xasprintf("%s%s", h->base, path);
    CURL *c = h->curl;
    curl_easy_setopt(c, CURLOPT_URL, url);
    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, sink);
    curl_easy_setopt(c, CURLOPT_WRITEDATA, ctx);
    curl_easy_setopt(c, CURLOPT_HTTPHEADER, headers);
    curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT, 10L);
    curl_easy_setopt(c, CURLOPT_TIMEOUT, 300L);
    curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
    h->why[0] = '\0';
    CURLcode rc = curl_easy_perform(c);
    free(url);
    curl_off_t got = 0;
    if (curl_easy_getinfo(c, CURLINFO_SIZE_DOWNLOAD_T, &got) == CURLE_OK && got > 0)
        h->received += (uint64_t)got;
    if (rc != CURLE_OK) return failed(h, path, rc, err);
    curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, status);
    if (retry_after) {
        curl_off_t ra = 0;
        curl_easy_getinfo(c, CURLINFO_RETRY_AFTER, &ra);
        *retry_after = (long)ra;
    }
    return 0;
}

static int perform(cli_http *h, const char *path, struct curl_slist *headers, cm_buf *body,
                   long *status, long *retry_after, cm_error *err)
{
    buf_reset(body);
    return perform_to(h, path, headers, buf_sink, body, status, retry_after, err);
}

int cli_http_get(cli_http *h, const char *path, cm_buf *body, long *status, cm_error *err)
{
    curl_easy_setopt(h->curl, CURLOPT_HTTPGET, 1L);
    return perform(h, path, h->auth, body, status, NULL, err);
}

/* Says on stderr, as command cmd, that GET path answered status and body. */
static void answer_error(const char *cmd, const char *path, long status, const cm_buf *body)
{
    /* the protocol's error says it in a sentence: that, else the whole answer */
    json_t *doc = body->len ? json_loadb(body->data, body->len, 0, NULL) : NULL;
    const char *msg = json_string_value(json_object_get(json_object_get(doc, "error"), "message"));
    const char *hint = status == 401 ? " (give a read token: --token or CMCC_TOKEN)" : "";
    if (msg)
        cli_errorf(cmd, "GET %s answered %ld%s: %s", path, status, hint, msg);
    else
        cli_errorf(cmd, "GET %s answered %ld%s: %.*s", path, status, hint, (int)body->len,
                   body->data ? body->data : "");
    json_decref(doc);
}

int cli_http_get_ok(cli_http *h, const char *cmd, const char *path, cm_buf *body)
{
    long status = 0;
    cm_error err;
    if (cli_http_get(h, path, body, &status, &err)) return cli_error(cmd, &err), -1;
    if (status == 200) return 0;
    answer_error(cmd, path, status, body);
    return -1;
}

/* cli_http_get_each's sink: a 200 answer goes to the caller's function, any
 * other is kept (up to 64 KiB) for its error. */
typedef struct {
    CURL *c;
    size_t (*fn)(void *ctx, const char *data, size_t len);
    void *ctx;
    cm_buf other;
} each_sink;

static size_t each_write(char *data, size_t size, size_t n, void *ctx)
{
    each_sink *e = ctx;
    long status = 0;
    curl_easy_getinfo(e->c, CURLINFO_RESPONSE_CODE, &status);
    if (status == 200) return e->fn(e->ctx, data, size * n) == size * n ? size * n : 0;
    if (e->other.len < 65536) buf_append(&e->other, data, size * n);
    return size * n;
}

int cli_http_get_each(cli_http *h, const char *cmd, const char *path,
                      size_t (*fn)(void *ctx, const char *data, size_t len), void *ctx)
{
    long status = 0;
    cm_error err;
    each_sink e = {h->curl, fn, ctx, CM_BUF_INIT};
    curl_easy_setopt(h->curl, CURLOPT_HTTPGET, 1L);
    int rc = perform_to(h, path, h->auth, each_write, &e, &status, NULL, &err);
    if (rc)
        cli_error(cmd, &err);
    else if (status != 200) {
        answer_error(cmd, path, status, &e.other);
        rc = -1;
    }
    buf_free(&e.other);
    return rc;
}

int cli_http_post(cli_http *h, const char *path, const char *type, const char *data, size_t len,
                  cm_buf *body, long *status, long *retry_after, cm_error *err)
{
    char *ct = xasprintf("Content-Type: %s", type);
    struct curl_slist *headers = NULL;
    for (struct curl_slist *a = h->auth; a; a = a->next)
        headers = curl_slist_append(headers, a->data);
    headers = curl_slist_append(headers, ct);
    headers = curl_slist_append(headers, "Expect:");
    free(ct);
    curl_easy_setopt(h->curl, CURLOPT_POST, 1L);
    curl_easy_setopt(h->curl, CURLOPT_POSTFIELDS, data);
    curl_easy_setopt(h->curl, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)len);
    int rc = perform(h, path, headers, body, status, retry_after, err);
    curl_slist_free_all(headers);
    return rc;
}
