/*
 * engine.h: the engine of a log, apart from HTTP: the log directory
 * (logdir.c), judging and appending events (item.c, append.c), the write
 * pipeline (sequencer.c, syncer.c, checkpointer.c, cosign.c), the readers
 * of the published state (readers.c), the replay of `cmcc verify` and
 * `cmcc rebuild` (replay.c), and the thread pool and key cache they share
 * (pool.c, keycache.c).
 *
 * It is its own library (cmcc_engine), which knows nothing of HTTP:
 * `cmcc init`, `verify`, `rebuild` and the benchmarks use its first part
 * (the log directory, append, replay) directly; `cmcc serve` runs a
 * struct engine (the second part: the queue, the published tree and the
 * durability state) and reaches it through engine_submit, engine_reader,
 * engine_published and engine_checkpoint.
 *
 * A log directory holds cmcc.db (the store), log.pem (the log's signing key),
 * log.vkey (its note verifier key) and, when init made it, coordinator.pem.
 */
#ifndef CMCC_ENGINE_H
#define CMCC_ENGINE_H

#include "common/buf.h"
#include "common/error.h"
#include "event/event.h"
#include "log/log.h"
#include "store/store.h"

#include <pthread.h>
#include <stddef.h>
#include <stdint.h>

#define SRV_DB_FILE      "cmcc.db"
#define SRV_LOG_KEY_FILE "log.pem"
#define SRV_VKEY_FILE    "log.vkey"
#define SRV_LOCK_FILE    "cmcc.lock"

/* ---- location.c: where a log directory's store is ------------------------ */

/* The store of the log in dir: DIR/cmcc.conf's `store = URL` (PostgreSQL),
 * else the file DIR/cmcc.db. malloc'ed. */
char *srv_store_location(const char *dir);
/* Writes `store = location` (a PostgreSQL URL) into DIR/cmcc.conf, unless
 * it already says so (another store named there: CM_CONFLICT). */
int srv_store_set_location(const char *dir, const char *location, cm_error *err);

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

/* The registry's answers kept between the replay's entries (view_cache.c):
 * wrap a store's view, and tell it each event's effects once applied. */
#define SRV_VIEW_CACHE_SLOTS 16
typedef struct {
    ev_view under;
    struct srv_view_cache_org {
        char name[EV_ID_MAX + 1];
        int known, found;
        ev_org_state state;
    } orgs[SRV_VIEW_CACHE_SLOTS];
    struct srv_view_cache_key {
        char keyid[LOG_KEYID_LEN + 1];
        int known, found;
        ev_key_state state;
    } keys[SRV_VIEW_CACHE_SLOTS];
} srv_view_cache;
void srv_view_cache_wrap(srv_view_cache *c, const ev_view *under, ev_view *out);
void srv_view_cache_applied(srv_view_cache *c, const ev_effects *fx);

/* ---- id_digest.c: a log's idempotency records as one order-free digest -- */

typedef struct {
    uint8_t key[16]; /* drawn at random by srv_id_digest_init */
    uint64_t n;      /* the records added */
    uint64_t lo, hi; /* the sum of their keyed terms, modulo 2^128 */
} srv_id_digest;
/* An empty digest, keyed as key_of, or (NULL) with a new random key. */
void srv_id_digest_init(srv_id_digest *d, const srv_id_digest *key_of);
void srv_id_digest_add(srv_id_digest *d, const char *org, size_t org_len, const char *id,
                       size_t id_len, uint64_t idx);
/* The same records (two digests of one key). */
int srv_id_digest_equal(const srv_id_digest *a, const srv_id_digest *b);
/* Adds every record of s's event_ids (SQLite), which must come in strictly
 * increasing (org, id): 0; 1 when one does not (they repeat, or are out of
 * order), d then incomplete; -1 with err. */
int srv_id_digest_store(struct store *s, srv_id_digest *d, cm_error *err);

typedef struct srv_replay_batch srv_replay_batch; /* replay.c */
typedef struct srv_node_check srv_node_check;
typedef struct srv_replay srv_replay;
/* Called after each entry is replayed (r->f is the tree up to it). */
typedef void (*srv_replay_after_fn)(void *ctx, srv_replay *r);

struct srv_replay {
    struct store *target; /* the state (and with mirror, the log) is written here */
    int mirror;           /* also append the entries and tree nodes to target */
    log_frontier f;
    ev_effects fx;
    srv_view_cache cache;
    uint64_t next;      /* the index of the next entry to judge */
    srv_keycache *keys; /* keys seen so far, for the parallel pass */
    /* set before the first entry when the target's state is empty, to
     * about the number of entries to replay: the (org, id) of each event
     * applied, and the name of each place, consignment, transfer,
     * distribution, loss and thing made, are kept in a Bloom filter, which
     * answers most lookups of them without the store (replay_filter.c) */
    uint64_t filter_size;
    uint64_t *filter, filter_bits;
    /* set before the first entry, for a SQLite target whose state is
     * empty: no idempotency record is kept or asked for; each event's
     * (org, id, index) is added to ids_seen instead, and the caller must
     * then find the same digest in the log's own event_ids, whose distinct
     * ids mean no lookup would have found anything (id_digest.c). Unless
     * it does, the outcome means nothing, and the replay must be run
     * again without it */
    int ids_later;
    srv_id_digest ids_seen;
    /* when set, every tree node the entries make is compared with the one
     * this store holds: a leaf that differs fails the replay at its entry,
     * the first other node that differs is recorded */
    struct store *check;
    srv_node_check *nodes; /* the runs of nodes not yet compared (node_check.c) */
    int node_mismatch;
    int bad_level;
    uint64_t bad_index;
    /* the pipeline (srv_replay_stream) */
    srv_pool *pool;
    srv_replay_after_fn after;
    void *after_ctx;
    srv_replay_batch *filling, *flight;
    size_t batch; /* the entries of the batch being filled */
    int failed;
    cm_error error;
};

void srv_replay_init(srv_replay *r, struct store *target, int mirror);
/* node_check.c: the replay's tree nodes compared with r->check's, a run at
 * a time: srv_node_check_add is a log_node_fn (ctx the replay); flush
 * compares what is gathered. */
srv_node_check *srv_node_check_new(void);
void srv_node_check_free(srv_node_check *c);
void srv_node_check_add(void *ctx, int level, uint64_t index, const log_hash *h);
void srv_node_check_flush(srv_replay *r);
/* replay_filter.c: with r->filter_size, the lookups of v (judging entry
 * idx) of what may not exist yet go through the filter (made at entry 0);
 * each applied event and its effects are added to it. */
void srv_replay_filter_view(srv_replay *r, uint64_t idx, ev_view *v);
void srv_replay_filter_add(srv_replay *r, const ev_event *e, const ev_effects *fx);
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

/* ---- one envelope on its way through the sequencer ---------------------- */

typedef enum {
    ITEM_FAILED,   /* refused before the sequencer: err says why */
    ITEM_VERIFIED, /* parsed, signature checked: the sequencer judges it */
    ITEM_UNKEYED,  /* envelope parsed, key not yet known: the sequencer
                      looks the key up, verifies and parses */
} item_state;

typedef struct {
    item_state state;
    ev_event ev;
    cm_error err;
    /* the outcome, set by the sequencer */
    int judged;   /* the sequencer looked at it */
    int accepted; /* 1 with a receipt, 0 with err */
    int duplicate;
    uint64_t index;
    log_hash leaf;
} item;

/* Checks one envelope as far as a worker can without the sequencer: its
 * shape, the key (from the key cache, or the reader's registry), the
 * signature and the payload. Leaves it ITEM_FAILED, ITEM_VERIFIED or
 * ITEM_UNKEYED. */
void item_prepare(item *it, srv_keycache *keys, store *reader, const char *json, size_t len,
                  int64_t now_ms);
/* Finishes an ITEM_UNKEYED item against the sequencer's view. 0 or -1. */
int item_finish_unkeyed(item *it, const ev_view *v, int64_t now_ms);
void item_free(item *it);

/* ---- append.c: judging and appending one event ------------------------- */

typedef struct {
    uint64_t index;
    log_hash leaf;
    int duplicate;
} srv_receipt;

/* Judges the verified event e against the writer's state (in an open
 * transaction) and appends it at f->size with `received` as its time, or
 * finds it a duplicate. f advances past an appended entry. -1 with err
 * when refused; err->code CM_INTERNAL means the store failed. */
int srv_append(store *w, log_frontier *f, const ev_event *e, int64_t received, ev_effects *fx,
               cm_buf *scratch, srv_receipt *out, cm_error *err);

/* ---- pool.c: a parallel for -------------------------------------------- */

/* Runs fn(ctx, i) for every i in [0, n) on the pool and the calling thread,
 * and returns when all are done. */
void srv_pool_for(srv_pool *p, size_t n, void (*fn)(void *ctx, size_t i), void *ctx);

/* ---- keycache.c: public keys by keyid ------------------------------------ */

srv_keycache *srv_keycache_new(void);
void srv_keycache_free(srv_keycache *c);
/* The public key of keyid: from memory, else from reader (and then kept).
 * 1 found, 0 not registered (as far as reader sees). */
int srv_keycache_get(srv_keycache *c, store *reader, const char *keyid,
                     uint8_t pub[LOG_PUBKEY_SIZE]);
/* Records a key found elsewhere. */
void srv_keycache_put(srv_keycache *c, const char *keyid, const uint8_t pub[LOG_PUBKEY_SIZE]);

/* ---- published.c: the newest checkpoint published, for a shared store --- */

/* DIR/published when location is a PostgreSQL store (malloc'ed), else NULL:
 * a SQLite store's newest checkpoint is the one published. */
char *srv_published_path(const char *dir, const char *location);
/* Writes note (a checkpoint about to be published) to path, synced and
 * renamed over the old one; nothing when path is NULL. */
int srv_published_keep(const char *path, const char *note, cm_error *err);
/* Whether the store holds the tree of the checkpoint at path (its size, and
 * its root at that size): 0 (also when there is none), or -1 with err
 * naming the checkpoint's size and the store's (CM_UNAVAILABLE: writing
 * would fork the log). */
int srv_published_check(const char *path, store *s, cm_error *err);

/* ---- checkpoint_sign.c: a checkpoint signed ----------------------------- */

/* A checkpoint of (size, root) signed with the log key (malloc'ed). */
char *srv_sign_checkpoint(const log_key *k, const char *origin, uint64_t size,
                          const log_hash *root);

/* ==== the write pipeline and the readers: struct engine ================= */

#define SRV_WITNESS_MAX     16
#define SRV_WITNESS_URL_MAX 256

/* A witness that cosigns the checkpoints (witness = URL VKEY in cmcc.conf). */
typedef struct {
    char url[SRV_WITNESS_URL_MAX];
    char vkey[NOTE_NAME_MAX + 64];
} srv_witness_cfg;

/* ---- jobs: what the workers queue for the sequencer ----------------------- */

typedef enum { JOB_EVENTS, JOB_CHECKPOINT } job_kind;

typedef struct job job;
struct job {
    job *next;
    job_kind kind;
    item *items; /* JOB_EVENTS */
    size_t n;
    char *note; /* JOB_CHECKPOINT: the signed note of tree size `size` */
    uint64_t size;
    /* called (by the syncer) once the job's outcome is durable */
    void (*done)(job *j, void *ctx);
    void *ctx;
};

typedef struct srv_synced srv_synced;             /* syncer.c */
typedef struct srv_witness_peer srv_witness_peer; /* cosign.c */

/* The engine of a running log: its writer, its queue, the published tree
 * and what makes batches durable. The owner (the HTTP server, run.c) fills
 * the settings, opens the writer and starts the threads; the HTTP side
 * reaches the rest only through the functions below (engine_submit,
 * engine_reader, engine_published, engine_checkpoint). */
typedef struct engine {
    /* settings */
    unsigned max_queue;     /* events waiting for the sequencer before 503 */
    unsigned checkpoint_ms; /* least time between checkpoints */
    const srv_witness_cfg *witnesses;
    size_t n_witnesses;
    /* called by the syncer after a published batch changed the registry */
    void (*registry_changed)(void *ctx);
    /* called by the syncer once a batch is published (the tree has size
     * entries), before its jobs are answered: the live feed (or NULL) */
    void (*published)(void *ctx, const job *jobs, uint64_t size);
    void *owner;

    char *db_path;
    char *published_path; /* DIR/published on a shared store (published.c), or NULL */
    store *writer;        /* the sequencer's */
    void *seq;            /* the sequencer's own state (sequencer.c) */
    log_key log_key;
    char origin[NOTE_NAME_MAX];
    char *vkey;              /* the log's note verifier key */
    srv_pool *pool;          /* checks a request's envelopes on every core */
    srv_keycache *keys;      /* public keys by keyid */
    srv_witness_peer *peers; /* the witnesses (cosign.c) */
    size_t n_peers;

    /* what readers may rely on: committed size and root, newest checkpoint */
    pthread_mutex_t pub_mu;
    pthread_cond_t pub_cv; /* signalled when the tree grows or on stop */
    uint64_t size;
    log_hash root;
    char *checkpoint; /* the signed note served at /checkpoint */
    uint64_t checkpoint_size;
    int ckpt_stop;

    /* the writer's role (sequencer.c), under pub_mu: only a server that
     * holds the store's lease (store_lease_take) sequences. ENGINE_READING
     * serves reads, answers writes 503 and takes the lease when it is free;
     * ENGINE_DEPOSED lost it and writes nothing more (role_why says why);
     * ENGINE_FAILOVER lost its connection and connects again */
    int role;
    int64_t term;
    char role_why[512];
    /* what the database said of replication (store_replication_get), at
     * start and again at most every few seconds on /healthz (replication.c),
     * under pub_mu; replication_at: when (time_mono_ms) */
    store_replication replication;
    int64_t replication_at;

    /* the sequencer's queue */
    pthread_mutex_t q_mu;
    pthread_cond_t q_cv;
    job *q_head, *q_tail;
    unsigned q_items;
    int stopping;
    pthread_t seq_thread, ckpt_thread, sync_thread;

    /* committed batches waiting for the syncer */
    pthread_mutex_t sync_mu;
    pthread_cond_t sync_cv;
    srv_synced *sync_head, *sync_tail;
    int sync_stop;

    /* read-only store connections, one per thread that reads */
    pthread_mutex_t rd_mu;
    store **readers;
    size_t n_readers;
    pthread_key_t rd_key;
} engine;

enum { ENGINE_WRITING, ENGINE_READING, ENGINE_DEPOSED, ENGINE_FAILOVER };
#define ENGINE_READS_ONLY "this server reads only: another cmcc serve writes this log"

/* The role, and (why, when not NULL) the sentence that says why this
 * server does not write. */
int engine_role(engine *e, char *why, size_t n);

/* Initialises the engine's locks (engine.c). */
void engine_init_sync(engine *e);

/* Calls each job's done, in order (the jobs may be freed by it). */
void srv_jobs_done(job *jobs);
/* Queues a job. -1 when the queue is full or the server is stopping (try
 * again), -2 when the job alone holds more events than the queue can. */
int engine_submit(engine *e, job *j);
/* Loads the tree's frontier and last entry time from the writer. */
int seq_init(engine *e, cm_error *err);
/* Frees what seq_init made, when the sequencer never ran. */
void seq_free(engine *e);
void *seq_main(void *arg);

/* syncer.c: makes committed batches durable, then publishes and answers
 * them. The sequencer hands each batch it committed: its jobs, the tree's
 * size and root after it, the checkpoint note it kept (or NULL). */
void srv_syncer_hand(engine *e, job *jobs, uint64_t size, const log_hash *root, const char *note,
                     uint64_t note_size, int registry_changed);
void *srv_syncer_main(void *arg);
void *ckpt_main(void *arg);

/* ---- cosign.c: gathering witness cosignatures ------------------------------ */

/* Prepares the witnesses of the settings. */
int srv_cosign_init(engine *e, cm_error *err);
void srv_cosign_free(engine *e);
/* The signed note of a checkpoint of size, with every witness's checked
 * cosignature line appended (malloc'ed). */
char *srv_cosign(engine *e, const char *note, uint64_t size);

/* ---- readers.c: read-only connections and the published tree ----------- */

/* The calling thread's read-only connection (opened on first use). Inside
 * a read scope it is in a read snapshot, begun by the first engine_reader. */
store *engine_reader(engine *e);
void engine_readers_close(engine *e);
/* A read scope on the calling thread: every engine_reader between the two
 * calls reads one snapshot (the HTTP request's), ended by the second. */
void engine_read_scope_begin(void);
void engine_read_scope_end(engine *e);

/* A snapshot of the published tree. */
void engine_published(engine *e, uint64_t *size, log_hash *root);
/* Appends the newest published checkpoint, if there is one, to out. */
void engine_checkpoint(engine *e, cm_buf *out);
/* The same, and the tree size it signs in *size (0 when there is none). */
void engine_checkpoint_sized(engine *e, cm_buf *out, uint64_t *size);

#endif
