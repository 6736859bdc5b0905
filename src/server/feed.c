/*
 * feed.c: the entries as they are published, for GET /v1/feed (h_feed.c)
 * and the webhooks (hooks.c).
 *
 * The ring holds the type, org and id of the newest FEED_RING entries
 * [lo, hi). The syncer fills it (srv_feed_published, the engine's
 * `published` hook) once a batch is published: after the fsync that made
 * it durable, when its writers are answered, and usually before a
 * checkpoint covers it (the checkpointer signs at most once a second); so
 * nothing is read back or decoded for the feed. Entries published that the
 * syncer did not tell of (a server reading another's writes) are read from
 * the store by the feed's thread (cmcc-feed) after FEED_GAP_MS. Neither
 * ever waits for a client: the syncer only takes the feed's lock for the
 * time of a copy. With no client and no hook (eager) nothing is kept, so a
 * server nobody follows pays nothing for the feed.
 *
 * A client of the feed is a connection with a cursor (the next index it
 * wants) and a buffer of events not yet sent. libmicrohttpd asks its
 * content reader (srv_feed_read) for bytes whenever the socket can take
 * them; the reader fills the buffer from the ring (or, for a client behind
 * the ring, from the store, on the HTTP thread, FEED_CHUNK entries at a
 * time; the ring keeps each entry's bytes on the wire, made once when its
 * slot is filled, so twenty clients cost one formatting and twenty copies
 * and hold the lock the syncer also takes only for the copies), and when
 * there is nothing to send it suspends the connection and
 * marks the client parked, both under the feed's lock. The feed's thread
 * resumes every parked client when the ring grows (it is told by the
 * ring's condition variable), and once FEED_BEAT_MS
 * passed without anything sent (the client then sends a comment line, the
 * heartbeat). So no thread waits for a client, a slow client only fills its
 * own socket, and clients cost no thread each.
 *
 * An event on the wire (text/event-stream):
 *
 *   id: 42
 *   data: {"index":42,"type":"consignment.transfer","org":"wfp","id":"t-1"}
 *   <blank line>
 */
#include "server/srv_int.h"

#include "common/mem.h"
#include "common/timeutil.h"

#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#define FEED_RING    8192  /* entries kept in memory */
#define FEED_CHUNK   256   /* entries a client's buffer takes at once */
#define FEED_READ    1024  /* entries the feed's thread reads at once */
#define FEED_BEAT_MS 15000 /* a heartbeat after this long without a byte */
#define FEED_WIRE    384   /* bytes of an event on the wire, at most (ids are short) */

struct srv_feed_client {
    srv_feed *f;
    struct MHD_Connection *conn;
    uint64_t next; /* the next entry to send */
    cm_buf out;    /* bytes to send, from off */
    size_t off;
    int parked;      /* its connection is suspended, waiting for entries */
    int64_t sent_ms; /* when it last sent a byte (monotonic) */
    srv_feed_client *prev, *nxt;
};

struct srv_feed {
    engine *eng;
    pthread_t thread;
    pthread_mutex_t mu;
    pthread_cond_t cv;    /* broadcast when hi grows, and on stop */
    srv_feed_entry *ring; /* entry i at ring[i % FEED_RING], for lo <= i < hi */
    /* each slot's event as sent (srv_feed_event's bytes), written once when
     * the slot is filled so that clients only copy it; 0 bytes when it did
     * not fit, and a client writes it itself */
    char (*wire)[FEED_WIRE];
    unsigned short *wire_len;
    uint64_t lo, hi;
    int stop;
    int eager; /* keep the ring even with no client: the hooks read it */
    srv_feed_client *clients;
    size_t n_clients;
};

int srv_feed_decode(const char *entry, size_t len, uint64_t idx, srv_feed_entry *out)
{
    memset(out, 0, sizeof *out);
    out->index = idx;
    ev_envelope env;
    int64_t received;
    cm_error err;
    if (ev_entry_parse(entry, len, &env, &received, &err)) return -1;
    json_t *root = json_loadb((const char *)env.payload, env.payload_len, 0, NULL);
    ev_envelope_free(&env);
    if (!root) return -1;
    const char *t = json_string_value(json_object_get(root, "type"));
    const char *o = json_string_value(json_object_get(root, "org"));
    const char *i = json_string_value(json_object_get(root, "id"));
    snprintf(out->type, sizeof out->type, "%s", t ? t : "");
    snprintf(out->org, sizeof out->org, "%s", o ? o : "");
    snprintf(out->id, sizeof out->id, "%s", i ? i : "");
    json_decref(root);
    return t && o && i ? 0 : -1;
}

void srv_feed_event(const srv_feed_entry *e, cm_buf *out)
{
    buf_printf(out, "id: %llu\ndata: {\"index\":%llu,\"type\":", (unsigned long long)e->index,
               (unsigned long long)e->index);
    buf_json_str(out, e->type);
    buf_puts(out, ",\"org\":");
    buf_json_str(out, e->org);
    buf_puts(out, ",\"id\":");
    buf_json_str(out, e->id);
    buf_puts(out, "}\n\n");
}

/* ---- reading entries from the store -------------------------------------- */

typedef struct {
    srv_feed_entry *out;
    size_t n;
    int with_entry;
} read_ctx;

static int read_one(void *ctx, uint64_t idx, const char *entry, size_t len)
{
    read_ctx *c = ctx;
    srv_feed_entry *e = &c->out[c->n++];
    srv_feed_decode(entry, len, idx, e); /* an entry it cannot read tells its index only */
    if (c->with_entry) {
        e->entry = xmalloc(len + 1);
        memcpy(e->entry, entry, len);
        e->entry[len] = 0;
        e->len = len;
    }
    return 0;
}

/* Reads entries [from, from + count) into out, on the calling thread's
 * reader: the number read, or -1. */
static long read_entries(engine *eng, uint64_t from, uint64_t count, int with_entry,
                         srv_feed_entry *out)
{
    store *rd = engine_reader(eng);
    if (!rd) return -1;
    read_ctx c = {out, 0, with_entry};
    cm_error err;
    if (store_entries(rd, from, count, read_one, &c, &err) < 0) {
        for (size_t i = 0; i < c.n; i++) free(out[i].entry);
        return -1;
    }
    return (long)c.n;
}

/* ---- the feed's thread ---------------------------------------------------- */

/* Resumes every parked client, and those due a heartbeat (f->mu held). */
static void wake(srv_feed *f, int all, int64_t now)
{
    for (srv_feed_client *c = f->clients; c; c = c->nxt) {
        if (!c->parked || (!all && now - c->sent_ms < FEED_BEAT_MS)) continue;
        c->parked = 0;
        MHD_resume_connection(c->conn);
    }
}

/* Puts e in its slot, with its bytes on the wire (f->mu held). */
static void put(srv_feed *f, const srv_feed_entry *e)
{
    size_t k = e->index % FEED_RING;
    f->ring[k] = *e;
    cm_buf b = CM_BUF_INIT;
    srv_feed_event(e, &b);
    f->wire_len[k] = b.len <= FEED_WIRE ? (unsigned short)b.len : 0;
    if (f->wire_len[k]) memcpy(f->wire[k], b.data, b.len);
    buf_free(&b);
}

/* Advances hi past the slots that hold their index, up to size (f->mu held). */
static void advance(srv_feed *f, uint64_t size)
{
    uint64_t hi = f->hi;
    while (hi < size && f->ring[hi % FEED_RING].index == hi) hi++;
    if (hi == f->hi) return;
    f->hi = hi;
    if (f->hi - f->lo > FEED_RING) f->lo = f->hi - FEED_RING;
    pthread_cond_broadcast(&f->cv);
}

void srv_feed_published(srv_feed *f, const job *jobs, uint64_t size)
{
    if (!f) return;
    pthread_mutex_lock(&f->mu);
    if (!f->eager && !f->n_clients) { /* nobody reads the ring */
        pthread_mutex_unlock(&f->mu);
        return;
    }
    for (const job *j = jobs; j; j = j->next) {
        for (size_t i = 0; j->kind == JOB_EVENTS && i < j->n; i++) {
            const item *it = &j->items[i];
            if (!it->judged || !it->accepted || it->duplicate || !it->ev.type) continue;
            if (it->index < f->hi || it->index >= size || it->index >= f->hi + FEED_RING) continue;
            srv_feed_entry e;
            memset(&e, 0, sizeof e);
            e.index = it->index;
            snprintf(e.type, sizeof e.type, "%s", it->ev.type->name);
            snprintf(e.org, sizeof e.org, "%s", it->ev.org ? it->ev.org : "");
            snprintf(e.id, sizeof e.id, "%s", it->ev.id ? it->ev.id : "");
            put(f, &e);
        }
    }
    advance(f, size);
    pthread_mutex_unlock(&f->mu);
}

/* How long entries published but not told by the syncer (a server that
 * reads another's writes, entries appended otherwise) wait before the
 * feed's thread reads them from the store itself. */
#define FEED_GAP_MS 200

static void *feed_main(void *arg)
{
    srv_feed *f = arg;
    engine *e = f->eng;
    srv_feed_entry *batch = xcalloc(FEED_READ, sizeof *batch);
    uint64_t woke = 0;  /* hi when the clients were last woken */
    int64_t gap_at = 0; /* since when size > hi, or 0 */
    for (;;) {
        pthread_mutex_lock(&f->mu);
        if (!f->stop && f->hi == woke) {
            struct timespec ts = time_deadline(CLOCK_MONOTONIC, 100);
            pthread_cond_timedwait(&f->cv, &f->mu, &ts);
        }
        int stop = f->stop;
        uint64_t hi = f->hi;
        int64_t now = time_mono_ms();
        wake(f, hi != woke, now); /* new entries for all, or heartbeats due */
        woke = hi;
        pthread_mutex_unlock(&f->mu);
        if (stop) break;
        uint64_t size;
        engine_published(e, &size, NULL);
        if (size <= hi) {
            gap_at = 0;
            continue;
        }
        if (!f->eager && !srv_feed_clients(f)) { /* nobody reads the ring: read nothing */
            pthread_mutex_lock(&f->mu);
            if (f->hi < size) f->lo = f->hi = size;
            pthread_cond_broadcast(&f->cv);
            pthread_mutex_unlock(&f->mu);
            continue;
        }
        if (!gap_at) gap_at = now;
        if (now - gap_at < FEED_GAP_MS) continue; /* the syncer tells it, mostly */
        uint64_t n = size - hi < FEED_READ ? size - hi : FEED_READ;
        long got = read_entries(e, hi, n, 0, batch);
        if (got <= 0) { /* the store cannot be read just now: again shortly */
            struct timespec pause = {0, 200 * 1000 * 1000};
            nanosleep(&pause, NULL);
            continue;
        }
        pthread_mutex_lock(&f->mu);
        for (long i = 0; i < got; i++)
            if (batch[i].index >= f->hi) put(f, &batch[i]);
        advance(f, size);
        pthread_mutex_unlock(&f->mu);
        gap_at = 0;
    }
    free(batch);
    return NULL;
}

srv_feed *srv_feed_start(engine *e, int eager)
{
    srv_feed *f = xcalloc(1, sizeof *f);
    f->eng = e;
    f->eager = eager;
    f->ring = xcalloc(FEED_RING, sizeof *f->ring);
    f->wire = xcalloc(FEED_RING, sizeof *f->wire);
    f->wire_len = xcalloc(FEED_RING, sizeof *f->wire_len);
    for (size_t i = 0; i < FEED_RING; i++) f->ring[i].index = UINT64_MAX; /* empty */
    pthread_mutex_init(&f->mu, NULL);
    pthread_condattr_t ca;
    pthread_condattr_init(&ca);
    pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
    pthread_cond_init(&f->cv, &ca);
    pthread_condattr_destroy(&ca);
    uint64_t size;
    log_hash root;
    engine_published(e, &size, &root);
    f->lo = f->hi = size;
    pthread_create(&f->thread, NULL, feed_main, f);
    pthread_setname_np(f->thread, "cmcc-feed");
    return f;
}

void srv_feed_stop(srv_feed *f)
{
    if (!f) return;
    pthread_mutex_lock(&f->mu);
    f->stop = 1;
    pthread_cond_broadcast(&f->cv);
    wake(f, 1, 0);
    pthread_mutex_unlock(&f->mu);
    pthread_mutex_lock(&f->eng->pub_mu);
    pthread_cond_broadcast(&f->eng->pub_cv);
    pthread_mutex_unlock(&f->eng->pub_mu);
    pthread_join(f->thread, NULL);
}

void srv_feed_free(srv_feed *f)
{
    if (!f) return;
    for (size_t i = 0; i < FEED_RING; i++) free(f->ring[i].entry);
    free(f->ring);
    free(f->wire);
    free(f->wire_len);
    pthread_mutex_destroy(&f->mu);
    pthread_cond_destroy(&f->cv);
    free(f);
}

int srv_feed_get(srv_feed *f, uint64_t idx, int with_entry, srv_feed_entry *out, int wait_ms)
{
    struct timespec ts = time_deadline(CLOCK_MONOTONIC, wait_ms);
    pthread_mutex_lock(&f->mu);
    while (idx >= f->hi && !f->stop) {
        if (pthread_cond_timedwait(&f->cv, &f->mu, &ts)) break;
    }
    if (idx >= f->hi || f->stop) {
        pthread_mutex_unlock(&f->mu);
        return 0;
    }
    if (idx >= f->lo) {
        *out = f->ring[idx % FEED_RING];
        out->entry = NULL;
        out->len = 0;
        pthread_mutex_unlock(&f->mu);
        if (!with_entry) return 1;
        store *rd = engine_reader(f->eng);
        cm_error err;
        return rd && store_entry(rd, idx, &out->entry, &out->len, &err) == 1 ? 1 : -1;
    }
    pthread_mutex_unlock(&f->mu);
    return read_entries(f->eng, idx, 1, with_entry, out) == 1 ? 1 : -1;
}

/* ---- the clients of GET /v1/feed ----------------------------------------- */

srv_feed_client *srv_feed_join(srv_feed *f, struct MHD_Connection *conn, uint64_t next)
{
    srv_feed_client *c = xcalloc(1, sizeof *c);
    c->f = f;
    c->conn = conn;
    c->next = next;
    c->sent_ms = time_mono_ms();
    buf_puts(&c->out, "retry: 2000\n\n"); /* a browser reconnects after 2 s */
    pthread_mutex_lock(&f->mu);
    c->nxt = f->clients;
    if (f->clients) f->clients->prev = c;
    f->clients = c;
    f->n_clients++;
    pthread_mutex_unlock(&f->mu);
    return c;
}

void srv_feed_leave(void *cls)
{
    srv_feed_client *c = cls;
    srv_feed *f = c->f;
    pthread_mutex_lock(&f->mu);
    if (c->prev)
        c->prev->nxt = c->nxt;
    else
        f->clients = c->nxt;
    if (c->nxt) c->nxt->prev = c->prev;
    f->n_clients--;
    pthread_mutex_unlock(&f->mu);
    buf_free(&c->out);
    free(c);
}

size_t srv_feed_clients(srv_feed *f)
{
    if (!f) return 0;
    pthread_mutex_lock(&f->mu);
    size_t n = f->n_clients;
    pthread_mutex_unlock(&f->mu);
    return n;
}

/* Fills c's buffer from the store with entries [c->next, upto). -1 when
 * the store cannot be read. */
static int fill_from_store(srv_feed_client *c, uint64_t upto)
{
    uint64_t n = upto - c->next < FEED_CHUNK ? upto - c->next : FEED_CHUNK;
    srv_feed_entry *got = xcalloc(FEED_CHUNK, sizeof *got);
    long k = read_entries(c->f->eng, c->next, n, 0, got);
    for (long i = 0; i < k; i++) srv_feed_event(&got[i], &c->out);
    free(got);
    if (k <= 0) return -1;
    c->next += (uint64_t)k;
    return 0;
}

ssize_t srv_feed_read(void *cls, uint64_t pos, char *buf, size_t max)
{
    (void)pos;
    srv_feed_client *c = cls;
    srv_feed *f = c->f;
    if (c->off == c->out.len) {
        buf_reset(&c->out);
        c->off = 0;
        uint64_t behind_to = 0;
        pthread_mutex_lock(&f->mu);
        if (f->stop) {
            pthread_mutex_unlock(&f->mu);
            return MHD_CONTENT_READER_END_OF_STREAM;
        }
        int64_t now = time_mono_ms();
        if (c->next < f->lo) {
            behind_to = f->lo; /* read from the store, without the lock */
        } else if (c->next < f->hi) {
            for (unsigned i = 0; i < FEED_CHUNK && c->next < f->hi; i++, c->next++) {
                size_t k = c->next % FEED_RING;
                if (f->wire_len[k])
                    buf_append(&c->out, f->wire[k], f->wire_len[k]);
                else
                    srv_feed_event(&f->ring[k], &c->out);
            }
        } else if (now - c->sent_ms >= FEED_BEAT_MS) {
            buf_puts(&c->out, ": heartbeat\n\n");
        } else {
            c->parked = 1;
            MHD_suspend_connection(c->conn);
            pthread_mutex_unlock(&f->mu);
            return 0;
        }
        pthread_mutex_unlock(&f->mu);
        if (behind_to && fill_from_store(c, behind_to)) return MHD_CONTENT_READER_END_WITH_ERROR;
    }
    size_t n = c->out.len - c->off < max ? c->out.len - c->off : max;
    memcpy(buf, c->out.data + c->off, n);
    c->off += n;
    c->sent_ms = time_mono_ms();
    return (ssize_t)n;
}
