/*
 * h_events.c: POST /v1/events, the one way to write.
 *
 * Content-Type application/json: one envelope; the answer is its receipt
 *   {"index":N,"leaf_hash":"<b64>","duplicate":false} or its error; a
 *   receipt of an entry the newest published checkpoint already holds (a
 *   duplicate, mostly) also carries "proof", its C2SP tlog-proof (h_proof.c).
 * Content-Type application/x-ndjson: up to 1,000 envelopes, one a line
 *   (blank lines skipped); the answer is 200 {"results":[...]}, one receipt
 *   or {"error":{...}} per envelope, in order. Every valid line is appended
 *   even when others fail.
 *
 * The HTTP worker suspends the request and hands its envelopes to the pool
 * (pool.c), whose threads check them (item.c) on every core and queue the
 * request for the sequencer; the syncer answers once the batch holding it
 * is durable. So the HTTP threads only move bytes, and an answer never
 * waits behind another request's signatures. A single envelope is the
 * exception: the HTTP worker checks it itself, as one signature costs less
 * than the two thread hops to the pool and back. A full queue is answered 503
 * with Retry-After.
 */
#include "server/handlers.h"

#include "common/mem.h"
#include "common/timeutil.h"

#include <string.h>

/* The newest published checkpoint, read once an answer (h_proof.c). */
typedef struct {
    cm_buf note;
    uint64_t size;
    cm_buf proof;
} ckpt;

static void receipt(srv *s, ckpt *c, cm_buf *out, const item *it)
{
    buf_printf(out, "{\"index\":%llu,\"leaf_hash\":\"", (unsigned long long)it->index);
    buf_b64(out, it->leaf.b, LOG_HASH_SIZE);
    buf_printf(out, "\",\"duplicate\":%s", it->duplicate ? "true" : "false");
    buf_reset(&c->proof);
    if (it->index < c->size && srv_entry_proof(s, &c->note, c->size, it->index, &c->proof) == 1) {
        buf_puts(out, ",\"proof\":");
        buf_json_strn(out, c->proof.data, c->proof.len);
    }
    buf_putc(out, '}');
}

/* Builds the answer of a request whose items all have their outcome. */
static void answer(srv_req *q)
{
    srv_resp *r = &q->resp;
    buf_reset(&r->body);
    r->status = 200;
    r->cache = "no-store";
    ckpt c = {CM_BUF_INIT, 0, CM_BUF_INIT};
    engine_checkpoint_sized(&q->s->eng, &c.note, &c.size);
    if (!q->batch) {
        const item *it = &q->job.items[0];
        if (it->accepted) {
            receipt(q->s, &c, &r->body, it);
            buf_putc(&r->body, '\n');
        } else {
            srv_error(r, &it->err);
        }
        buf_free(&c.note);
        buf_free(&c.proof);
        return;
    }
    buf_puts(&r->body, "{\"results\":[");
    int unavailable = 0;
    for (size_t i = 0; i < q->job.n; i++) {
        const item *it = &q->job.items[i];
        if (i) buf_putc(&r->body, ',');
        if (it->accepted) {
            receipt(q->s, &c, &r->body, it);
        } else {
            buf_puts(&r->body, "{\"error\":");
            srv_error_json(&r->body, &it->err);
            buf_putc(&r->body, '}');
            unavailable |= it->err.code == CM_UNAVAILABLE;
        }
    }
    buf_puts(&r->body, "]}\n");
    if (unavailable) r->retry_after = 1;
    buf_free(&c.note);
    buf_free(&c.proof);
}

static void done(job *j, void *ctx)
{
    (void)j;
    srv_req *q = ctx;
    answer(q);
    srv_resume(q);
}

/* The envelopes of a request, checked on the pool (item_prepare). */
typedef struct {
    srv_req *q;
    const char **line;
    size_t *len;
    int64_t now;
} prepare_ctx;

static void prepare_ctx_free(prepare_ctx *c)
{
    free(c->line);
    free(c->len);
    free(c);
}

/* Gives up a request before any envelope was handed on; r holds why. */
static int refuse(srv_req *q, prepare_ctx *c)
{
    prepare_ctx_free(c);
    q->job.n = 0;
    return 0;
}

static void prepare_one(void *ctx, size_t i)
{
    prepare_ctx *c = ctx;
    srv_req *q = c->q;
    item_prepare(&q->job.items[i], q->s->eng.keys, srv_reader(q->s), c->line[i], c->len[i], c->now);
}

/* Queues a checked request for the sequencer, or answers it at once if
 * none of its envelopes is left to append or the queue is full. */
static void enqueue(srv_req *q)
{
    int pending = 0;
    for (size_t i = 0; i < q->job.n; i++) pending |= q->job.items[i].state != ITEM_FAILED;
    if (!pending) {
        answer(q);
        srv_resume(q);
        return;
    }
    q->job.kind = JOB_EVENTS;
    q->job.done = done;
    q->job.ctx = q;
    int queued = engine_submit(&q->s->eng, &q->job);
    if (queued == -2) {
        srv_errorf(&q->resp, CM_TOO_LARGE, "", "this server takes at most %u events at a time",
                   q->s->cfg.max_queue);
        srv_resume(q);
    } else if (queued < 0) {
        srv_errorf(&q->resp, CM_UNAVAILABLE, "",
                   "the server is busy (or stopping): nothing was appended, send it again");
        srv_resume(q);
    }
}

/* Runs on a pool thread once every envelope is checked; the connection is
 * suspended meanwhile. */
static void prepared(void *ctx)
{
    prepare_ctx *c = ctx;
    srv_req *q = c->q;
    prepare_ctx_free(c);
    srv *s = q->s; /* q may be gone once enqueued */
    enqueue(q);
    srv_checking_end(s);
}

/* Splits the body into envelopes (an NDJSON body a line each, blank lines
 * skipped). -1 with r filled when it has too many. */
static int split(srv_req *q, prepare_ctx *c, srv_resp *r)
{
    char *p = q->body.data ? q->body.data : "", *end = p + q->body.len;
    size_t n = 0, cap = q->batch ? 16 : 1;
    c->line = xcalloc(cap, sizeof *c->line);
    c->len = xcalloc(cap, sizeof *c->len);
    if (!q->batch) {
        c->line[0] = p;
        c->len[0] = q->body.len;
        q->job.n = 1;
        return 0;
    }
    while (p < end) {
        char *nl = memchr(p, '\n', (size_t)(end - p));
        char *line_end = nl ? nl : end;
        size_t len = (size_t)(line_end - p);
        if (len && p[len - 1] == '\r') len--;
        int blank = 1;
        for (size_t i = 0; i < len && blank; i++) blank = p[i] == ' ' || p[i] == '\t';
        if (!blank) {
            if (n == q->s->cfg.max_batch_lines) {
                srv_errorf(r, CM_TOO_LARGE, "", "a batch holds at most %u envelopes",
                           q->s->cfg.max_batch_lines);
                return -1;
            }
            if (n == cap) {
                cap *= 2;
                c->line = xrealloc(c->line, cap * sizeof *c->line);
                c->len = xrealloc(c->len, cap * sizeof *c->len);
            }
            c->line[n] = p;
            c->len[n++] = len;
        }
        p = nl ? nl + 1 : end;
    }
    if (n == 0) {
        srv_errorf(r, CM_BAD_REQUEST, "", "the batch holds no envelope");
        return -1;
    }
    q->job.n = n;
    return 0;
}

int h_events(srv_req *q, const char *path, srv_resp *r)
{
    (void)path;
    if (!q->batch && !q->json) {
        srv_errorf(r, CM_BAD_REQUEST, "",
                   "Content-Type must be application/json (one envelope) or "
                   "application/x-ndjson (one envelope a line)");
        return 0;
    }
    prepare_ctx *c = xcalloc(1, sizeof *c);
    c->q = q;
    c->now = time_now_ms();
    if (split(q, c, r)) return refuse(q, c);
    /* the rate is checked before any signature is: refusing is cheap */
    int retry = 0;
    const union MHD_ConnectionInfo *ci =
        MHD_get_connection_info(q->conn, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
    if (srv_limiter_take(q->s->limiter, ci ? ci->client_addr : NULL, (unsigned)q->job.n, &retry)) {
        srv_errorf(r, CM_RATE_LIMITED, "",
                   "over the rate of %g events a second from one address: nothing was "
                   "appended, send it again after %d s",
                   q->s->cfg.rate, retry);
        r->retry_after = retry;
        return refuse(q, c);
    }
    if (srv_checking_begin(q->s)) {
        srv_errorf(r, CM_UNAVAILABLE, "", "the server is stopping: nothing was appended");
        return refuse(q, c);
    }
    q->job.items = xcalloc(q->job.n, sizeof *q->job.items);
    /* the pool checks the envelopes; the connection waits, suspended */
    MHD_suspend_connection(q->conn);
    q->suspended = 1;
    srv_pool_async(q->s->eng.pool, q->job.n, prepare_one, c, prepared);
    return 1;
}
