/*
 * srv_int.h: what the files of the server share: the server's state, the
 * request being answered, and the jobs the HTTP workers hand to the
 * sequencer. Not part of the server's interface (server.h).
 */
#ifndef CMCC_SRV_INT_H
#define CMCC_SRV_INT_H

#include "common/buf.h"
#include "common/mem.h"
#include "common/net.h"
#include "engine/engine.h"
#include "event/event.h"
#include "log/log.h"
#include "server/server.h"
#include "store/store.h"

#include <microhttpd.h>
#include <netinet/in.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>

typedef struct srv srv;
typedef struct srv_feed srv_feed;   /* feed.c */
typedef struct srv_hooks srv_hooks; /* hooks.c */

/* ---- ratelimit.c: events per second per client address ------------------ */

typedef struct srv_limiter srv_limiter;
srv_limiter *srv_limiter_new(double rate, double burst);
void srv_limiter_free(srv_limiter *l);
/* Takes n events' worth from the address's bucket: 0, or -1 when over the
 * rate, with *retry_after the seconds until it would pass. */
int srv_limiter_take(srv_limiter *l, const struct sockaddr *addr, unsigned n, int *retry_after);

/* ---- auth.c: tokens ----------------------------------------------------- */

typedef struct srv_authcache srv_authcache; /* valid tokens, remembered briefly */
srv_authcache *srv_authcache_new(void);
void srv_authcache_free(srv_authcache *c);
void srv_authcache_clear(srv_authcache *c); /* after a change of the registry */

/* ---- the server --------------------------------------------------------- */

struct srv {
    srv_config cfg;
    struct MHD_Daemon *daemon;
    engine eng;             /* the log's engine (engine/engine.h) */
    srv_limiter *limiter;   /* NULL when no rate is configured */
    atomic_size_t buffered; /* bytes of request bodies held in memory, in all */
    srv_authcache *auth;    /* valid tokens (auth.c) */

    /* requests whose envelopes the pool is checking (h_events.c); none
     * starts once closing is set */
    pthread_mutex_t chk_mu;
    pthread_cond_t chk_cv;
    unsigned checking;
    int closing;

    /* the policy file's text served at GET /policy (h_proof.c), or NULL */
    char *policy;
    size_t policy_len;

    /* the last answer of the public GET /v1/stats (h_stats.c) */
    pthread_mutex_t stats_mu;
    cm_buf stats;        /* its body; empty until the first */
    uint64_t stats_size; /* the tree's size it was made for */
    int64_t stats_at;    /* when it was made, ms */

    /* serve --mirror (mirror_serve.c): the URL of the log mirrored (NULL
     * when serving a log), the mirror's cosigner key, its reader */
    char *mirror_of;
    char *mirror_vkey;
    store *mirror_rd;

    srv_feed *feed;   /* GET /v1/feed (feed.c); NULL when serving a mirror */
    srv_hooks *hooks; /* the webhooks (hooks.c), or NULL */
};

/* The engine's read side, as the handlers use it (engine/readers.c): the
 * calling thread's read-only connection, in the request's snapshot, and
 * the published tree. */
static inline store *srv_reader(srv *s)
{
    return engine_reader(&s->eng);
}
static inline void srv_published(srv *s, uint64_t *size, log_hash *root)
{
    engine_published(&s->eng, size, root);
}

/* replication.c: asks the store how its commits are replicated and, when
 * an acknowledged event would be on one machine only, says so on stderr
 * (one paragraph); srv_replication_json appends what /healthz tells of it
 * and of the writer's role. */
int srv_replication_check(srv *s, cm_error *err);
void srv_replication_json(srv *s, cm_buf *out);

/* ---- feed.c: the entries as they are published (GET /v1/feed, hooks) ---- */

#define SRV_FEED_TYPE_MAX 64 /* characters of an event type's name, and more */

/* What the feed tells of an entry, and (for the hooks) the entry itself. */
typedef struct {
    uint64_t index;
    char type[SRV_FEED_TYPE_MAX + 1];
    char org[EV_ID_MAX + 1];
    char id[EV_ID_MAX + 1];
    char *entry; /* the entry as logged (malloc'ed), or NULL when not asked */
    size_t len;
} srv_feed_entry;

typedef struct srv_feed_client srv_feed_client;

/* Starts the feed: a ring of the newest entries' type, org and id, filled
 * by the syncer (srv_feed_published), and its thread (cmcc-feed), which
 * wakes the clients and reads from the store what the syncer did not
 * tell; the feed's clients and the hooks read from the ring, or from the
 * store when they are further behind. eager: keep the ring even while no
 * client is connected (there are hooks). */
srv_feed *srv_feed_start(engine *e, int eager);
/* Ends every client's stream and the thread (before the HTTP daemon
 * stops); srv_feed_free frees it after the daemon stopped. */
void srv_feed_stop(srv_feed *f);
/* The syncer's word (engine.published): jobs' accepted entries are in a
 * published tree of size entries. Puts their type, org and id in the ring,
 * so that the feed's thread need not read them back. */
void srv_feed_published(srv_feed *f, const job *jobs, uint64_t size);
void srv_feed_free(srv_feed *f);
/* Waits up to wait_ms for entry idx to be published and read, then fills
 * *out (with the entry's text when with_entry). 1, 0 when it is not there
 * yet (or the feed is stopping), -1 when the store cannot be read. */
int srv_feed_get(srv_feed *f, uint64_t idx, int with_entry, srv_feed_entry *out, int wait_ms);
/* The type, org and id of the logged entry text (index idx): 0, or -1
 * when it is not an entry. */
int srv_feed_decode(const char *entry, size_t len, uint64_t idx, srv_feed_entry *out);
/* Appends one Server-Sent Event of e ("id: N" and its JSON data). */
void srv_feed_event(const srv_feed_entry *e, cm_buf *out);
/* A client of GET /v1/feed whose stream starts at entry next; its
 * connection is suspended while it has nothing to send (h_feed.c). */
srv_feed_client *srv_feed_join(srv_feed *f, struct MHD_Connection *conn, uint64_t next);
/* libmicrohttpd's content reader and its free callback for a client. */
ssize_t srv_feed_read(void *cls, uint64_t pos, char *buf, size_t max);
void srv_feed_leave(void *cls);
/* The clients connected now. */
size_t srv_feed_clients(srv_feed *f);

/* ---- hooks.c: webhooks, each delivered by a thread of its own ----------- */

/* Starts a thread per hook of the settings, each from its cursor in
 * DIR/hooks/ (or from the log's size when it has none). NULL when there
 * are none. */
srv_hooks *srv_hooks_start(srv *s, cm_error *err);
void srv_hooks_stop(srv_hooks *h);
/* Appends ,"hooks":[...] (each hook's state) to a JSON object's members. */
void srv_hooks_json(srv_hooks *h, cm_buf *out);

/* ---- requests and responses --------------------------------------------- */

typedef struct {
    int status;
    cm_buf body;
    const char *type;        /* Content-Type; JSON by default */
    const char *cache;       /* Cache-Control, or NULL */
    int retry_after;         /* seconds, or 0 */
    const char *allow;       /* Allow, for 405 */
    const char *disposition; /* Content-Disposition, for downloads */
} srv_resp;

/* ---- wire.c: ETag, 304 and gzip for GET answers ------------------------ */

typedef struct {
    char etag[40]; /* W/"<32 hex>", or "" for none */
    int gzip;      /* the body is now gzip: Content-Encoding: gzip */
    int vary;      /* Vary: Accept-Encoding */
} srv_wire;

/* Gives a 200 answer to a GET (get != 0) that may be kept its ETag; turns
 * it into a 304 without body when If-None-Match lists it, or compresses its
 * body when Accept-Encoding allows gzip and it pays. */
void srv_wire_prepare(struct MHD_Connection *conn, int get, srv_resp *r, srv_wire *w);
/* 1 when an If-None-Match value lists tag (W/"..."), compared weakly, or is
 * "*". */
int srv_tag_listed(const char *if_none_match, const char *tag);
/* 1 when an Accept-Encoding value accepts gzip: by name (the last naming
 * wins) or by "*", with a q-value above 0. */
int srv_accepts_gzip(const char *accept_encoding);

typedef struct srv_req srv_req;
struct srv_req {
    srv *s;
    struct MHD_Connection *conn;
    cm_buf body;
    int too_large;
    int busy;    /* refused for the server's memory budget of bodies */
    size_t held; /* bytes of this body counted in srv.buffered */
    int suspended;
    int ready;    /* resp is complete: queue it */
    int batch;    /* an NDJSON body (Content-Type application/x-ndjson) */
    int json;     /* Content-Type application/json, or none */
    int get;      /* a GET or HEAD: its answer may get an ETag and gzip */
    size_t limit; /* the most bytes its body may have */
    srv_resp resp;
    char org[EV_ID_MAX + 1]; /* the token's org, once checked */
    job job;
};

/* ---- answer.c: errors and answers -------------------------------------- */

/* Fills resp with {"error":{...}} and the code's HTTP status. */
void srv_error(srv_resp *r, const cm_error *e);
void srv_errorf(srv_resp *r, cm_code code, const char *field, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
/* Appends the error object {"code","message","field"} to out. */
void srv_error_json(cm_buf *out, const cm_error *e);

/* Fills r with 503 unavailable (the store cannot be read); returns 0, for
 * a handler to return. */
int srv_unavailable(srv_resp *r);
/* Answers doc as JSON and a newline, not to be cached without asking. */
void srv_answer_json(srv_resp *r, const json_t *doc);
/* Answers {"<key>": items}, taking items; 503 when items is NULL (the
 * store could not be read). Returns 0, for a handler to return. */
int srv_answer_list(srv_resp *r, const char *key, json_t *items);

/* ---- things_answer.c: the things endpoints' documents ------------------- */

struct views_query;
/* Answers the read model's document for GET path (views_things_doc) with
 * the query's filters (NULL: none), GeoJSON's media type for a .geojson
 * path; a 503 when the store cannot be read. 0, or 1 (r untouched) when
 * path names no movement, for h_movement to answer not_found. */
int srv_answer_things(srv_req *q, const char *path, const struct views_query *vq, srv_resp *r);

/* ---- query.c: query parameters ------------------------------------------ */

/* v as an unsigned integer (decimal, no sign, no leading zeros, 19 digits
 * at most): 1, or -1 with r filled with bad_request naming field, the
 * sentence "FIELD must be [WHAT, ]a whole number without leading zeros"
 * (what may be NULL, e.g. "an entry's index"). */
int srv_parse_u64(const char *v, const char *field, const char *what, uint64_t *out, srv_resp *r);
/* Query parameter as an unsigned integer: 1 found and valid, 0 absent,
 * -1 malformed (r filled with bad_request, srv_parse_u64's sentence). */
int srv_query_u64(srv_req *q, const char *name, uint64_t *out, srv_resp *r);
/* An optional query parameter, *out NULL when absent: 0, or -1 (r filled
 * with bad_request) when it is not an identifier (ev_is_id). */
int srv_query_id(srv_req *q, const char *name, const char **out, srv_resp *r);
/* The same, with -1 when it is not one of values (a NULL-terminated list). */
int srv_query_choice(srv_req *q, const char *name, const char *const *values, const char **out,
                     srv_resp *r);
/* An optional RFC 3339 UTC time parameter into *out (left as it is when
 * absent): 0, or -1 (r filled with bad_request) when malformed. */
int srv_query_time(srv_req *q, const char *name, int64_t *out, srv_resp *r);

/* ---- http.c, auth.c: the request's way ---------------------------------- */

/* Counts a request handed to the pool (-1: the server is closing, hand
 * nothing), and its return; srv_checking_close waits for none left. */
int srv_checking_begin(srv *s);
void srv_checking_end(srv *s);
void srv_checking_close(srv *s);

/* Checks the bearer token; on failure fills resp and returns -1. */
int srv_auth(srv_req *q, srv_resp *r);
/* The same for a token given otherwise (GET /v1/feed's ?token=). */
int srv_auth_token(srv_req *q, const char *token, srv_resp *r);

/* ---- h_proof.c: receipts that are proofs --------------------------------- */

/* Appends the C2SP tlog-proof of entry index against the checkpoint note
 * (the newest published one, of tree size `size`, engine_checkpoint_sized):
 * 1, 0 when that checkpoint does not hold the entry yet, -1 when the store
 * cannot be read. */
int srv_entry_proof(srv *s, const cm_buf *note, uint64_t size, uint64_t index, cm_buf *out);
/* Reads and checks the policy file of the settings, if any, into s->policy:
 * 0, or -1 with err naming the file (and the line at fault). */
int srv_policy_load(srv *s, cm_error *err);

/* ---- url.c, http.c: the request target --------------------------------- */

/* Percent-decodes s (a path, or a query's name or value) in place, leaving
 * %00 as written; returns its new length (url.c). libmicrohttpd's
 * MHD_OPTION_UNESCAPE_CALLBACK; cls and conn are not used. */
size_t srv_unescape(void *cls, struct MHD_Connection *conn, char *s);
/* 1 when a raw request target's path (before '?') holds a control byte,
 * as it is or percent-encoded (http.c). */
int srv_path_has_control(const char *uri);
/* ---- tls.c: the certificate and key of HTTPS ---------------------------- */

typedef struct {
    char *cert; /* PEM text, NUL-terminated */
    char *key;  /* PEM text, wiped when freed */
} srv_tls;

/* Reads and checks the PEM certificate and key files (the key is the
 * certificate's); warns on stderr about a key others may read and a
 * certificate out of its validity period. 0, or -1 with err naming the
 * file at fault. */
int srv_tls_load(const char *cert_path, const char *key_path, srv_tls *t, cm_error *err);
void srv_tls_free(srv_tls *t);

/* Starts libmicrohttpd on the configured address (http.c), speaking HTTPS
 * with tls when it is not NULL. */
struct MHD_Daemon *srv_http_start(srv *s, const srv_tls *tls, cm_error *err);

/* ---- mirror_serve.c: `cmcc serve --mirror DIR` ---------------------------- */

/* Serves a mirror's directory read-only until SIGINT or SIGTERM. */
int srv_run_mirror(srv *s, const srv_config *cfg, srv_tls *tls, cm_error *err);
/* When serving a mirror, fills r and returns 1 for a request that is not a
 * read (403), or that reads the state while the mirror stores entries past
 * its checkpoint (503); else 0, having published the newest checkpoint the
 * request's snapshot holds. */
int srv_mirror_refuse(srv_req *q, const char *url, srv_resp *r);

/* Answers a suspended request: queues its response and resumes it. */
void srv_resume(srv_req *q);

#endif
