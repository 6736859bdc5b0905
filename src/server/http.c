/*
 * http.c: the libmicrohttpd front: reading a request, routing it, and
 * sending the response (with an ETag and gzip where they help: wire.c).
 *
 * A path with a control byte (raw or percent-encoded) is refused before
 * anything else, from what on_uri saw of the target as written.
 *
 * Two timeouts: a connection has head_timeout_s (5 s) of silence to send a
 * request's head, and the same between requests on a kept-alive connection
 * (the daemon's timeout); once the head has arrived, on_request's first
 * call gives the connection timeout_s (30 s) for the body and the answer,
 * and on_completed takes it back. Connections that send nothing so hold a
 * place for seconds only (docs/operations.md, "Connections and timeouts").
 *
 * Routes are in router.c; answers and errors are filled by answer.c, query
 * parameters read by query.c. libmicrohttpd calls on_request several times
 * per request: once with the headers (a Content-Length over the limit is
 * answered 413 at once), once per chunk of body (accumulated up to the
 * limit; a body that keeps going past four times the limit without a
 * Content-Length is cut off), and once at the end, when the route's handler
 * runs, a GET's inside a read scope (one snapshot of the store for the whole
 * answer: engine/readers.c). All bodies held at once share a memory budget
 * (max_buffered): past it, a request is answered 503. A handler either fills
 * the response or suspends the connection (POST /v1/events waits for the
 * sequencer); the syncer's answer (or the pool's, for a request refused
 * before it reaches the sequencer) resumes it, and the next call sends it.
 */
#include "server/handlers.h"

#include "common/mem.h"
#include "common/timeutil.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

static enum MHD_Result send_response(srv_req *q)
{
    srv_resp *r = &q->resp;
    if (!r->status) r->status = 200;
    srv_wire w;
    srv_wire_prepare(q->conn, q->get, r, &w);
    size_t len = r->body.len;
    char *data = buf_take(&r->body);
    struct MHD_Response *m = MHD_create_response_from_buffer_with_free_callback(len, data, free);
    MHD_add_response_header(m, "Content-Type",
                            r->type ? r->type : "application/json; charset=utf-8");
    MHD_add_response_header(m, "X-Content-Type-Options", "nosniff");
    if (r->cache) MHD_add_response_header(m, "Cache-Control", r->cache);
    if (w.etag[0]) MHD_add_response_header(m, "ETag", w.etag);
    if (w.gzip) MHD_add_response_header(m, "Content-Encoding", "gzip");
    if (w.vary) MHD_add_response_header(m, "Vary", "Accept-Encoding");
    if (r->allow) MHD_add_response_header(m, "Allow", r->allow);
    if (r->disposition) MHD_add_response_header(m, "Content-Disposition", r->disposition);
    if (r->retry_after) {
        char ra[16];
        snprintf(ra, sizeof ra, "%d", r->retry_after);
        MHD_add_response_header(m, "Retry-After", ra);
    }
    enum MHD_Result rc = MHD_queue_response(q->conn, (unsigned)r->status, m);
    MHD_destroy_response(m);
    return rc;
}

/* 1 when the Content-Type value ct (may be NULL) is this media type,
 * compared without case, with or without parameters ("; charset=..."). */
static int media_type_is(const char *ct, const char *type)
{
    size_t n = strlen(type);
    if (!ct || strncasecmp(ct, type, n) != 0) return 0;
    return ct[n] == '\0' || ct[n] == ';' || ct[n] == ' ' || ct[n] == '\t';
}

static enum MHD_Result too_large(srv_req *q)
{
    q->body.len = 0;
    srv_errorf(&q->resp, CM_TOO_LARGE, "",
               "the request body is over %zu bytes: send smaller batches", q->limit);
    return send_response(q);
}

static int dispatch(srv_req *q, const char *url, const char *method, srv_resp *r)
{
    const srv_route *rt = NULL;
    const char *allow = NULL;
    if (srv_mirror_refuse(q, url, r)) return 0;
    switch (srv_route_find(method, url, &rt, &allow)) {
    case ROUTE_FOUND:
        if (!rt->public_ && srv_auth(q, r)) return 0;
        return rt->handler(q, url, r);
    case ROUTE_METHOD:
        srv_errorf(r, CM_BAD_REQUEST, "", "%s is not allowed on %s: use %s", method, url, allow);
        r->status = 405;
        r->allow = allow;
        return 0;
    case ROUTE_STATIC:
        return h_static(q, url, r);
    case ROUTE_NONE:
        break;
    }
    srv_errorf(r, CM_NOT_FOUND, "", "nothing at %s %s", method, url);
    return 0;
}

/* What on_uri hands on_request as its first *con_cls: an odd number, never
 * a srv_req (those are aligned), so nothing is allocated for a request
 * libmicrohttpd may still refuse on its own. BAD_PATH: the path holds a
 * control byte; otherwise (len << 1 | 1) with len the raw target's length
 * as a C string. */
#define BAD_PATH ((uintptr_t)1)

static int hex_digit(char c)
{
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}

int srv_path_has_control(const char *uri)
{
    for (const char *p = uri; *p && *p != '?'; p++) {
        unsigned char c = (unsigned char)*p;
        if (c < 0x20 || c == 0x7F) return 1;
        int hi, lo;
        if (c == '%' && (hi = hex_digit(p[1])) >= 0 && (lo = hex_digit(p[2])) >= 0) {
            int b = hi << 4 | lo;
            if (b < 0x20 || b == 0x7F) return 1;
        }
    }
    return 0;
}

/* libmicrohttpd 0.9 splits the request line in place: the target, then
 * the NUL that replaced the space before the version, then the version. */
static int lib_splits_in_place(void)
{
    const char *v = MHD_get_version();
    return v && strncmp(v, "0.9.", 4) == 0;
}

/* whether a raw NUL can be told from the version's place (set at start) */
static int splits_in_place;

/* libmicrohttpd's MHD_OPTION_URI_LOG_CALLBACK: sees the request target as
 * the client wrote it, before it is split and percent-decoded, so that a
 * path with a control byte is refused rather than cut short or decoded. */
static void *on_uri(void *cls, const char *uri, struct MHD_Connection *conn)
{
    (void)cls;
    (void)conn;
    if (!uri) return NULL;
    if (srv_path_has_control(uri)) return (void *)BAD_PATH;
    return (void *)((uintptr_t)strlen(uri) << 1 | 1);
}

/* 1 when the request's path held a control byte: marked by on_uri, or a
 * raw NUL, which ended the C string on_uri saw before the version's place:
 * the version then starts further on than just past it. */
static int bad_path(uintptr_t mark, const char *url, const char *version)
{
    if (mark == BAD_PATH) return 1;
    if (!splits_in_place) return 0;
    size_t len = mark >> 1;
    return version && version[0] && version != url + len + 1;
}

/* What a request's head may hold; past it, 431 (414 for the target) in the
 * protocol's JSON. Under libmicrohttpd's own room for a request's head
 * (about 32 KiB a connection: a bigger MHD_OPTION_CONNECTION_MEMORY_LIMIT
 * did not raise it with 0.9.75), so that a head over these limits but
 * within that room reaches on_request; a bigger one the library refuses
 * itself (docs/protocol.md, "Errors libmicrohttpd answers itself"). */
#define SRV_TARGET_MAX       8192
#define SRV_HEADERS_MAX      100
#define SRV_HEADER_BYTES_MAX 16384

typedef struct {
    size_t n, bytes;
} head_count;

static enum MHD_Result count_header(void *cls, enum MHD_ValueKind kind, const char *key,
                                    const char *value)
{
    (void)kind;
    head_count *c = cls;
    c->n++;
    c->bytes += strlen(key) + (value ? strlen(value) : 0) + 4; /* ": " and CRLF */
    return MHD_YES;
}

/* 1 (resp filled: 414 or 431) when the request's head is over the limits. */
static int head_too_large(struct MHD_Connection *conn, size_t target_len, srv_resp *r)
{
    if (target_len > SRV_TARGET_MAX) {
        srv_errorf(r, CM_TOO_LARGE, "",
                   "the request target is %zu bytes, over %d: send a shorter URL", target_len,
                   SRV_TARGET_MAX);
        r->status = 414;
        return 1;
    }
    head_count c = {0, 0};
    MHD_get_connection_values(conn, MHD_HEADER_KIND, count_header, &c);
    if (c.n <= SRV_HEADERS_MAX && c.bytes <= SRV_HEADER_BYTES_MAX) return 0;
    srv_errorf(r, CM_TOO_LARGE, "",
               "the request has %zu header fields of %zu bytes, over %d fields or %d bytes: "
               "send fewer or shorter headers",
               c.n, c.bytes, SRV_HEADERS_MAX, SRV_HEADER_BYTES_MAX);
    r->status = 431;
    return 1;
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *conn, const char *url,
                                  const char *method, const char *version, const char *upload,
                                  size_t *upload_size, void **con_cls)
{
    srv *s = cls;
    srv_req *q = *con_cls;
    if (!q || ((uintptr_t)q & 1)) {
        int refuse = q && bad_path((uintptr_t)q, url, version);
        size_t target_len = q ? (uintptr_t)q >> 1 : strlen(url);
        q = xcalloc(1, sizeof *q);
        q->s = s;
        q->conn = conn;
        *con_cls = q;
        if (s->cfg.timeout_s != s->cfg.head_timeout_s) /* the head is in: a request's time */
            MHD_set_connection_option(conn, MHD_CONNECTION_OPTION_TIMEOUT, s->cfg.timeout_s);
        const char *ct = MHD_lookup_connection_value(conn, MHD_HEADER_KIND, "Content-Type");
        q->batch = media_type_is(ct, "application/x-ndjson");
        q->json = !ct || media_type_is(ct, "application/json");
        q->get = strcmp(method, "GET") == 0 || strcmp(method, "HEAD") == 0;
        q->limit = q->batch ? s->cfg.max_batch_body : s->cfg.max_body;
        const char *cl = MHD_lookup_connection_value(conn, MHD_HEADER_KIND, "Content-Length");
        if (refuse) {
            srv_errorf(&q->resp, CM_BAD_REQUEST, "",
                       "the path holds a control character (a byte below 0x20 or 0x7F, "
                       "or %%00 to %%1F or %%7F): remove it");
            return send_response(q);
        }
        if (head_too_large(conn, target_len, &q->resp)) return send_response(q);
        if (cl && strtoull(cl, NULL, 10) > q->limit) return too_large(q);
        return MHD_YES;
    }
    if (*upload_size) {
        size_t n = *upload_size;
        *upload_size = 0;
        if (q->too_large || q->busy || q->body.len + n > q->limit) {
            if (!q->too_large && !q->busy) {
                buf_free(&q->body);
                atomic_fetch_sub(&s->buffered, q->held);
                q->held = 0;
                q->too_large = 1;
            }
            q->body.len += n; /* counts what was discarded */
            if (q->body.len > 4 * q->limit) return MHD_NO;
            return MHD_YES;
        }
        /* all bodies held at once stay within the server's memory budget */
        if (atomic_fetch_add(&s->buffered, n) + n > s->cfg.max_buffered) {
            atomic_fetch_sub(&s->buffered, n + q->held);
            q->held = 0;
            buf_free(&q->body);
            q->busy = 1;
            return MHD_YES;
        }
        q->held += n;
        buf_append(&q->body, upload, n);
        return MHD_YES;
    }
    if (q->ready) return send_response(q);
    if (q->suspended) return MHD_YES;
    if (q->busy) {
        q->body.len = 0;
        srv_errorf(&q->resp, CM_UNAVAILABLE, "",
                   "the server holds too many request bodies just now: send it again shortly");
        return send_response(q);
    }
    if (q->too_large) return too_large(q);
    if (q->get) engine_read_scope_begin(); /* one snapshot for a GET's answer: readers.c */
    int suspended = dispatch(q, url, method, &q->resp) == 1;
    if (q->get) engine_read_scope_end(&s->eng);
    if (suspended) return MHD_YES;
    return send_response(q);
}

void srv_resume(srv_req *q)
{
    q->ready = 1;
    MHD_resume_connection(q->conn);
}

static void on_completed(void *cls, struct MHD_Connection *conn, void **con_cls,
                         enum MHD_RequestTerminationCode toe)
{
    srv *s = cls;
    srv_req *q = *con_cls;
    *con_cls = NULL;
    /* NULL, or on_uri's mark of a request the library refused itself */
    if (!q || ((uintptr_t)q & 1)) return;
    /* answered: until the next request's head, the head's timeout again */
    if (toe == MHD_REQUEST_TERMINATED_COMPLETED_OK && s->cfg.timeout_s != s->cfg.head_timeout_s)
        MHD_set_connection_option(conn, MHD_CONNECTION_OPTION_TIMEOUT, s->cfg.head_timeout_s);
    for (size_t i = 0; i < q->job.n; i++) item_free(&q->job.items[i]);
    free(q->job.items);
    atomic_fetch_sub(&s->buffered, q->held);
    buf_free(&q->body);
    buf_free(&q->resp.body);
    free(q);
}

/* What libmicrohttpd says while it starts (why it cannot: a port in use, a
 * certificate GnuTLS refuses), kept for the error. Once it has started, its
 * messages (a client's failed TLS handshake, a reset connection) are
 * dropped. One daemon a process, so one record. */
static struct {
    pthread_mutex_t mu;
    int starting;
    char msg[200];
} start_log = {PTHREAD_MUTEX_INITIALIZER, 0, ""};

__attribute__((format(printf, 2, 0))) static void on_mhd_log(void *cls, const char *fmt, va_list ap)
{
    (void)cls;
    pthread_mutex_lock(&start_log.mu);
    if (start_log.starting && !start_log.msg[0]) { /* the first says most */
        vsnprintf(start_log.msg, sizeof start_log.msg, fmt, ap);
        size_t n = strlen(start_log.msg);
        while (n && (start_log.msg[n - 1] == '\n' || start_log.msg[n - 1] == '.'))
            start_log.msg[--n] = 0;
    }
    pthread_mutex_unlock(&start_log.mu);
}

/* TLS 1.2 and 1.3 only, GnuTLS's defaults otherwise */
#define SRV_TLS_PRIORITIES "NORMAL:-VERS-ALL:+VERS-TLS1.3:+VERS-TLS1.2"

struct MHD_Daemon *srv_http_start(srv *s, const srv_tls *tls, cm_error *err)
{
    struct sockaddr_in addr;
    if (cm_listen_addr(s->cfg.host, s->cfg.port, &addr, err)) return NULL;
    unsigned flags = MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_EPOLL | MHD_ALLOW_SUSPEND_RESUME |
                     MHD_USE_TURBO | MHD_USE_ERROR_LOG;
    struct MHD_OptionItem https[] = {{MHD_OPTION_HTTPS_MEM_CERT, 0, tls ? tls->cert : NULL},
                                     {MHD_OPTION_HTTPS_MEM_KEY, 0, tls ? tls->key : NULL},
                                     {MHD_OPTION_HTTPS_PRIORITIES, 0, (void *)SRV_TLS_PRIORITIES},
                                     {MHD_OPTION_END, 0, NULL}};
    if (tls)
        flags |= MHD_USE_TLS;
    else
        https[0].option = MHD_OPTION_END;
    splits_in_place = lib_splits_in_place();
    pthread_mutex_lock(&start_log.mu);
    start_log.starting = 1;
    start_log.msg[0] = 0;
    pthread_mutex_unlock(&start_log.mu);
    struct MHD_Daemon *d = MHD_start_daemon(
        flags, (uint16_t)s->cfg.port, NULL, NULL, on_request, s, MHD_OPTION_EXTERNAL_LOGGER,
        on_mhd_log, NULL, MHD_OPTION_SOCK_ADDR, (struct sockaddr *)&addr,
        MHD_OPTION_THREAD_POOL_SIZE, s->cfg.threads, MHD_OPTION_CONNECTION_LIMIT, s->cfg.conn_limit,
        MHD_OPTION_PER_IP_CONNECTION_LIMIT, s->cfg.per_ip_limit, MHD_OPTION_CONNECTION_TIMEOUT,
        s->cfg.head_timeout_s, MHD_OPTION_NOTIFY_COMPLETED, on_completed, s,
        MHD_OPTION_URI_LOG_CALLBACK, on_uri, NULL, MHD_OPTION_LISTEN_BACKLOG_SIZE, 1024u,
        MHD_OPTION_UNESCAPE_CALLBACK, srv_unescape, NULL, MHD_OPTION_ARRAY, https, MHD_OPTION_END);
    pthread_mutex_lock(&start_log.mu);
    start_log.starting = 0;
    if (!d && tls)
        cm_fail(err, CM_UNAVAILABLE, "", "cannot serve HTTPS on %s:%u: %s", s->cfg.host,
                s->cfg.port,
                start_log.msg[0] ? start_log.msg
                                 : "the port is in use or not allowed, or "
                                   "GnuTLS refused the certificate or key");
    else if (!d)
        cm_fail(err, CM_UNAVAILABLE, "", "cannot listen on %s:%u (%s)", s->cfg.host, s->cfg.port,
                start_log.msg[0] ? start_log.msg : "in use, or not allowed");
    pthread_mutex_unlock(&start_log.mu);
    return d;
}
