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
#include "engine/engine.h"
#include "event/event.h"
#include "log/log.h"
#include "store/store.h"

#include <stddef.h>
#include <stdint.h>

#define SRV_LIB_DIR "/usr/share/javascript" /* where Debian puts browser libraries */

#define SRV_PATH_MAX      1024 /* a path in srv_config */
#define SRV_MAP_TILES_MAX 384  /* map.tiles: a tile URL template */
#define SRV_MAP_ATTR_MAX  256  /* map.attribution: its credit line */

#define SRV_HOOK_MAX        16  /* webhooks of a log */
#define SRV_HOOK_URL_MAX    512 /* a hook's URL */
#define SRV_HOOK_SECRET_MAX 128 /* its secret */
#define SRV_HOOK_TYPES_MAX  512 /* its list of event types */

/* A webhook (hook = URL TYPES SECRET in cmcc.conf: hook_conf.c). */
typedef struct {
    char url[SRV_HOOK_URL_MAX];
    char types[SRV_HOOK_TYPES_MAX]; /* "*", or names joined by commas */
    char secret[SRV_HOOK_SECRET_MAX];
} srv_hook_cfg;

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
    int mirror;               /* dir is a mirror (`cmcc mirror`): serve it read-only */
    /* serve --mirror: answers POST /add-checkpoint (the mirror cosigns a
     * checkpoint of the log once it holds it: cli/mirror_cosign.c) with an
     * HTTP status and its text; NULL: refused like any write */
    int (*mirror_cosign)(const char *dir, const char *body, size_t len, cm_buf *out);
    /* alert thresholds (docs/protocol.md section 3, Supply) */
    int alert_pending_hours;   /* a transfer pending longer (24) */
    int alert_idle_hours;      /* a holding with no movement for longer (72) */
    double alert_loss_percent; /* lost + unaccounted over this share of receipts (5) */
    int alert_window_days;     /* ... within this many days (30) */
    double rate;               /* events a second per client address; 0 = no limit */
    double burst;              /* events a client may send at once (default max(rate, 1000)) */
    /* witnesses that cosign the checkpoints (witness = URL VKEY in cmcc.conf) */
    srv_witness_cfg witnesses[SRV_WITNESS_MAX];
    size_t n_witnesses;
    /* HTTPS: PEM certificate and key files, both set or both empty (HTTP);
     * --tls-cert/--tls-key, or tls.cert/tls.key in cmcc.conf (tls.c) */
    char tls_cert[SRV_PATH_MAX];
    char tls_key[SRV_PATH_MAX];
    /* the dashboard map's basemap (map.tiles, map.attribution in cmcc.conf):
     * empty, none; given to the page by GET /v1/log */
    char map_tiles[SRV_MAP_TILES_MAX];
    char map_attribution[SRV_MAP_ATTR_MAX];
    /* the C2SP tlog-policy file served at GET /policy (policy = FILE in
     * cmcc.conf, relative to DIR), or empty for none */
    char policy[SRV_PATH_MAX];
    /* webhooks (hook = URL TYPES SECRET), and the longest wait between two
     * tries of a failing one (hook.backoff_max_s, default 300) */
    srv_hook_cfg hooks[SRV_HOOK_MAX];
    size_t n_hooks;
    unsigned hook_backoff_max_s;
} srv_config;

/* Fills the defaults. */
void srv_config_init(srv_config *cfg);
/* Reads DIR/cmcc.conf, if there is one, over the defaults (config.c). */
int srv_config_load(srv_config *cfg, const char *dir, cm_error *err);

/* A map.* setting of cmcc.conf (mapconf.c): 0 when key is one and val is
 * good, -1 with a sentence in why when val is bad, 1 when key is no map
 * setting. */
int srv_map_setting(srv_config *cfg, const char *key, const char *val, char *why, size_t whylen);

/* A hook setting of cmcc.conf (hook_conf.c): 0 when key is one and val is
 * good, -1 with a sentence in why when val is bad, 1 when key is no hook
 * setting. */
int srv_hook_setting(srv_config *cfg, const char *key, const char *val, char *why, size_t whylen);

/* Serves the log until SIGINT or SIGTERM, then stops cleanly (no request
 * lost: what was acknowledged is on disk). Prints the listening address on
 * stdout unless quiet. -1 with err if it cannot start. */
int srv_run(const srv_config *cfg, cm_error *err);

#endif
