/*
 * server.h: `cmcc serve`, the HTTP front of a log.
 *
 *   HTTP workers (libmicrohttpd thread pool): read the request, check the
 *     token, parse envelopes and verify signatures in parallel, answer reads
 *     from their own read-only store connection;
 *   the sequencer (one thread, the only writer): judges events in order,
 *     appends the accepted ones and their tree nodes, commits a batch with one
 *     fsync, then answers every request of the batch;
 *   the checkpointer (one thread): signs a new checkpoint at most once a
 *     second while the tree grows.
 *
 * A log directory holds cmcc.db (the store), log.pem (the log's signing key),
 * log.vkey (its note verifier key) and, when init made it, coordinator.pem.
 */
#ifndef CMCC_SERVER_H
#define CMCC_SERVER_H

#include "common/error.h"
#include "event/event.h"
#include "log/log.h"
#include "store/store.h"

#include <stddef.h>
#include <stdint.h>

#define SRV_DB_FILE      "cmcc.db"
#define SRV_LOG_KEY_FILE "log.pem"
#define SRV_VKEY_FILE    "log.vkey"
#define SRV_LOCK_FILE    "cmcc.lock"
#define SRV_LIB_DIR      "/usr/share/javascript" /* where Debian puts browser libraries */

#define SRV_PATH_MAX        1024 /* a path in srv_config */
#define SRV_WITNESS_MAX     16
#define SRV_WITNESS_URL_MAX 256

typedef struct {
    const char *dir;          /* the log directory */
    const char *host;         /* listen address, default 127.0.0.1 */
    unsigned port;            /* default 8080 */
    unsigned threads;         /* HTTP worker threads (default: 2 per core) */
    unsigned conn_limit;      /* open connections in all (default 1024) */
    unsigned per_ip_limit;    /* open connections per client address (default 64) */
    unsigned head_timeout_s;  /* seconds a connection has for a request's head, and may
                               * wait idle for its next request (default 5) */
    unsigned timeout_s;       /* seconds a request under way (its head has arrived) may go
                               * without traffic (default 30) */
    size_t max_body;          /* bytes of a single-envelope request (default 64 KiB) */
    size_t max_batch_body;    /* bytes of an NDJSON request (default 16 MiB) */
    size_t max_buffered;      /* bytes of request bodies held at once, in all (256 MiB);
                               * no body may be larger (srv_run caps the two above) */
    unsigned max_batch_lines; /* envelopes of an NDJSON request (1,000) */
    unsigned max_queue;       /* events waiting for the sequencer before 503 (default 20,000) */
    unsigned checkpoint_ms;   /* least time between checkpoints (default 1,000) */
    const char *web_dir;      /* static files served at / */
    const char *lib_dir;      /* Debian's browser libraries, served at /lib/ (SRV_LIB_DIR) */
    int quiet;                /* no start-up banner */
    /* alert thresholds (docs/protocol.md section 3, Supply) */
    int alert_pending_hours;   /* a transfer pending longer (24) */
    int alert_idle_hours;      /* a holding with no movement for longer (72) */
    double alert_loss_percent; /* lost + unaccounted over this share of receipts (5) */
    int alert_window_days;     /* ... within this many days (30) */
    double rate;               /* events a second per client address; 0 = no limit */
    double burst;              /* events a client may send at once (default max(rate, 1000)) */
    /* witnesses that cosign the checkpoints (witness = URL VKEY in cmcc.conf) */
    struct {
        char url[SRV_WITNESS_URL_MAX];
        char vkey[NOTE_NAME_MAX + 64];
    } witnesses[SRV_WITNESS_MAX];
    size_t n_witnesses;
    /* HTTPS: PEM certificate and key files, both set or both empty (HTTP);
     * --tls-cert/--tls-key, or tls.cert/tls.key in cmcc.conf (tls.c) */
    char tls_cert[SRV_PATH_MAX];
    char tls_key[SRV_PATH_MAX];
} srv_config;

/* Fills the defaults. */
void srv_config_init(srv_config *cfg);
/* Reads DIR/cmcc.conf, if there is one, over the defaults (config.c). */
int srv_config_load(srv_config *cfg, const char *dir, cm_error *err);

/* Serves the log until SIGINT or SIGTERM, then stops cleanly (no request
 * lost: what was acknowledged is on disk). Prints the listening address on
 * stdout unless quiet. -1 with err if it cannot start. */
int srv_run(const srv_config *cfg, cm_error *err);

/* ---- logdir.c: the log directory ---------------------------------------- */

/* Creates a new log in dir (docs/protocol.md section 6): the store, the log key
 * (log_key_pem, or generated), and entry 0, the org.admit of the
 * coordinator org signed with the coordinator key (coordinator_pem, or
 * generated into dir/coordinator.pem), and a first checkpoint. OUT: vkey,
 * the note verifier key (malloc'ed). */
int srv_init_log(const char *dir, const char *origin, const char *org, const char *name,
                 const char *coordinator_pem, const char *log_key_pem, char **vkey, cm_error *err);

/* Appends signed envelopes to the log in dir directly (the server must not
 * be running), in one transaction: each is judged exactly as the sequencer
 * would, and the first refusal appends none. Signs a checkpoint after. */
int srv_ingest(const char *dir, const ev_envelope *envs, size_t n, cm_error *err);

/* The store of the log in dir (dir/cmcc.db), opened in mode, for the caller
 * to store_close. NULL and err on failure. */
store *srv_open_store(const char *dir, store_mode mode, cm_error *err);

/* Takes the log directory's exclusive lock (one server or rebuild at a
 * time). Returns the lock's file descriptor, or -1 with err. */
int srv_lock_dir(const char *dir, cm_error *err);

/* ---- append.c: keeping tree nodes --------------------------------------- */

/* A log_node_fn context that stores each completed node in `store`;
 * failed is set (and later nodes skipped) if a write fails. */
typedef struct {
    struct store *store;
    int failed;
} srv_node_sink;
void srv_keep_node(void *ctx, int level, uint64_t index, const log_hash *h);

/* ---- replay.c: recomputing the state from the entries ------------------- */

typedef struct srv_pool srv_pool;         /* pool.c: a parallel for */
typedef struct srv_keycache srv_keycache; /* keycache.c */

typedef struct srv_replay_batch srv_replay_batch; /* replay.c */
typedef struct srv_replay srv_replay;
/* Called after each entry is replayed (r->f is the tree up to it). */
typedef void (*srv_replay_after_fn)(void *ctx, srv_replay *r);

struct srv_replay {
    struct store *target; /* the state (and with mirror, the log) is written here */
    int mirror;           /* also append the entries and tree nodes to target */
    log_frontier f;
    ev_effects fx;
    uint64_t next;      /* the index of the next entry to judge */
    srv_keycache *keys; /* keys seen so far, for the parallel pass */
    /* when set, every tree node the entries make is compared with the one
     * this store holds: a leaf that differs fails the replay at its entry,
     * the first other node that differs is recorded */
    struct store *check;
    int node_mismatch;
    int bad_level;
    uint64_t bad_index;
    /* the pipeline (srv_replay_stream) */
    srv_pool *pool;
    srv_replay_after_fn after;
    void *after_ctx;
    srv_replay_batch *filling, *flight;
    int failed;
    cm_error error;
};

void srv_replay_init(srv_replay *r, struct store *target, int mirror);
void srv_replay_free(srv_replay *r);
/* Entries are given in log order with srv_replay_add, and srv_replay_end
 * after the last. Each is checked and applied as the sequencer did: its
 * exact form, its signature by a key registered at that point, and the
 * rules, which must accept it again. The work is pipelined over pool
 * (which may be NULL): an entry may be judged only some calls after it was
 * added, and `after` (if set) runs once it has been. The first failure is
 * returned, with err naming the entry, by that call or a later one. */
void srv_replay_stream(srv_replay *r, srv_pool *pool, srv_replay_after_fn after, void *ctx);
int srv_replay_add(srv_replay *r, uint64_t idx, const char *entry, size_t len, cm_error *err);
int srv_replay_end(srv_replay *r, cm_error *err);
/* A pool of `threads` threads for srv_pool_for and the replay. */
srv_pool *srv_pool_new(unsigned threads);
/* The cores online (at least 1). */
unsigned srv_cores(void);
/* A pool that, with the calling thread helping, uses every core: one
 * thread fewer than the cores (none on one core). */
srv_pool *srv_pool_new_helped(void);
void srv_pool_free(srv_pool *p);
/* Starts fn(ctx, i) for i in [0, n) on the pool and returns at once;
 * srv_pool_finish helps with what is left, waits, and frees the job. */
typedef struct srv_pool_job srv_pool_job;
srv_pool_job *srv_pool_start(srv_pool *p, size_t n, void (*fn)(void *ctx, size_t i), void *ctx);
void srv_pool_finish(srv_pool *p, srv_pool_job *j);
/* Runs fn(ctx, i) for i in [0, n) on the pool's threads alone and returns
 * at once; then(ctx) runs on a pool thread once every index is done (at
 * once, on this thread, with a pool of no threads or for one index, which
 * costs less than two thread hops). */
void srv_pool_async(srv_pool *p, size_t n, void (*fn)(void *ctx, size_t i), void *ctx,
                    void (*then)(void *ctx));

/* ---- views.c: things as the read API shows them ------------------------- */

/* Each returns a new JSON array of flat objects, or NULL when the store
 * cannot be read. */
json_t *srv_view_movements(struct store *rd, const char *id);
json_t *srv_view_sites(struct store *rd);
json_t *srv_view_zones(struct store *rd);
json_t *srv_view_requirements(struct store *rd);
json_t *srv_view_pledges(struct store *rd);
/* status, category, place: filters, NULL for any */
json_t *srv_view_weapons(struct store *rd, const char *status, const char *category,
                         const char *place);
json_t *srv_view_benchmarks(struct store *rd, int64_t now_ms);

#endif
