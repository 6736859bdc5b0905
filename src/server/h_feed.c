/*
 * h_feed.c: GET /v1/feed, the log's new entries as Server-Sent Events
 * (docs/protocol.md, "The live feed"), with a read token.
 *
 * The token comes in the Authorization header, or as ?token= for a
 * browser's EventSource, which cannot send headers. Where the stream
 * starts, the first that is given of:
 *
 *   Last-Event-ID: N   (header; a browser sends it when it reconnects)
 *   ?since=N           the last entry the client has seen: from N + 1
 *   ?from=N            the first entry wanted: from N
 *   (none)             from the log's size now: only entries to come
 *
 * N past the log's last entry is refused (bad_request, naming the field):
 * a client that saw entry N of this log cannot be ahead of it. The stream
 * itself is feed.c's: this file checks the request and queues a response
 * whose content reader is srv_feed_read.
 */
#include "server/handlers.h"

/* The first entry to send: 0, or -1 with r filled. */
static int start_at(srv_req *q, uint64_t size, uint64_t *next, srv_resp *r)
{
    const char *h = MHD_lookup_connection_value(q->conn, MHD_HEADER_KIND, "Last-Event-ID");
    const char *since = MHD_lookup_connection_value(q->conn, MHD_GET_ARGUMENT_KIND, "since");
    const char *from = MHD_lookup_connection_value(q->conn, MHD_GET_ARGUMENT_KIND, "from");
    const char *field = h ? "Last-Event-ID" : since ? "since" : "from";
    const char *v = h ? h : since ? since : from;
    uint64_t n;
    if (!v) {
        *next = size;
        return 0;
    }
    if (srv_parse_u64(v, field, "an entry's index", &n, r) < 0) return -1;
    if (v != from) { /* the last entry seen */
        if (n >= size) {
            srv_errorf(r, CM_BAD_REQUEST, field,
                       "%s %llu is past the log's last entry (the log has %llu): was it "
                       "seen on another log?",
                       field, (unsigned long long)n, (unsigned long long)size);
            return -1;
        }
        n++;
    } else if (n > size) {
        srv_errorf(r, CM_BAD_REQUEST, field,
                   "from %llu is past the log's end (the log has %llu entries): ask for %llu "
                   "at most",
                   (unsigned long long)n, (unsigned long long)size, (unsigned long long)size);
        return -1;
    }
    *next = n;
    return 0;
}

int h_feed(srv_req *q, const char *path, srv_resp *r)
{
    (void)path;
    srv *s = q->s;
    const char *h = MHD_lookup_connection_value(q->conn, MHD_HEADER_KIND, "Authorization");
    const char *tok = MHD_lookup_connection_value(q->conn, MHD_GET_ARGUMENT_KIND, "token");
    if (h || !tok) {
        if (srv_auth(q, r)) return 0;
    } else if (!*tok) {
        srv_errorf(r, CM_UNAUTHORIZED, "token",
                   "the token is empty: send \"Authorization: Bearer <token>\" or ?token=<token>");
        return 0;
    } else if (srv_auth_token(q, tok, r)) {
        return 0;
    }
    if (!s->feed) {
        srv_errorf(r, CM_UNAVAILABLE, "",
                   "this server has no live feed (a mirror): ask the log's own server");
        return 0;
    }
    uint64_t size, next;
    log_hash root;
    srv_published(s, &size, &root);
    if (start_at(q, size, &next, r)) return 0;
    srv_feed_client *c = srv_feed_join(s->feed, q->conn, next);
    struct MHD_Response *m = MHD_create_response_from_callback(MHD_SIZE_UNKNOWN, 16384,
                                                               srv_feed_read, c, srv_feed_leave);
    if (!m) {
        srv_feed_leave(c);
        srv_errorf(r, CM_UNAVAILABLE, "", "the server cannot start a stream just now: try again");
        return 0;
    }
    MHD_add_response_header(m, "Content-Type", "text/event-stream; charset=utf-8");
    MHD_add_response_header(m, "Cache-Control", "no-store");
    MHD_add_response_header(m, "X-Content-Type-Options", "nosniff");
    MHD_add_response_header(m, "X-Accel-Buffering", "no"); /* a proxy must not hold it back */
    enum MHD_Result rc = MHD_queue_response(q->conn, 200, m);
    MHD_destroy_response(m);
    if (rc != MHD_YES) return 0; /* the connection is closing; r is not sent */
    return 1;                    /* queued: http.c sends nothing more */
}
