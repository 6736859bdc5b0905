/*
 * run.c: `cmcc serve`: starting the server, and stopping it cleanly.
 *
 * Start: read and check the TLS certificate and key when HTTPS is asked
 * for (tls.c), take the directory's lock, load the log key and origin,
 * open the writer, say how commits are replicated (replication.c), take
 * the store's writer's lease or, when another server holds it, start as a
 * reader that takes it over later (sequencer.c), load the tree's frontier, start the pool (one
 * thread a core), the sequencer, the syncer, the checkpointer, the live feed's thread, one
 * thread a webhook and the HTTP threads, in that order.
 * Signals SIGINT and SIGTERM are blocked in every thread and taken by sigwait here.
 *
 * Stop: refuse new connections, let the sequencer finish every queued job
 * and the syncer answer it (each waiting request gets its answer), stop the
 * checkpointer, sign a last checkpoint if the tree grew since the newest
 * one, stop the webhooks' threads and end the live feed's streams
 * (feed.c, hooks.c), wait for the requests still being checked on the
 * pool, stop HTTP, then the pool.
 */
#include "server/srv_int.h"

#include "common/mem.h"
#include "common/timeutil.h"

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

void srv_config_init(srv_config *cfg)
{
    memset(cfg, 0, sizeof *cfg);
    cfg->host = "127.0.0.1";
    cfg->port = 8080;
    cfg->threads = 2 * srv_cores();
    cfg->conn_limit = 1024;
    cfg->per_ip_limit = 64;
    cfg->head_timeout_s = 5;
    cfg->timeout_s = 30;
    cfg->max_body = 64 * 1024;
    cfg->max_batch_body = 16 * 1024 * 1024;
    cfg->max_buffered = 256u * 1024 * 1024;
    cfg->max_batch_lines = 1000;
    cfg->max_queue = 20000;
    cfg->checkpoint_ms = 1000;
    cfg->alert_pending_hours = 24;
    cfg->alert_idle_hours = 72;
    cfg->alert_loss_percent = 5;
    cfg->alert_window_days = 30;
    cfg->lib_dir = SRV_LIB_DIR;
    cfg->hook_backoff_max_s = 300;
}

static int load(srv *s, cm_error *err)
{
    char *path = xasprintf("%s/%s", s->cfg.dir, SRV_LOG_KEY_FILE);
    int rc = log_key_load(path, &s->eng.log_key, err);
    free(path);
    if (rc) return -1;
    s->eng.db_path = srv_store_location(s->cfg.dir);
    if (!(s->eng.writer = store_open(s->eng.db_path, STORE_WRITER, err))) return -1;
    char *origin = NULL;
    if (store_meta_get(s->eng.writer, "origin", &origin, err) != 1)
        return cm_fail(err, CM_INTERNAL, "", "the store has no origin: is it a cmcc log?");
    snprintf(s->eng.origin, sizeof s->eng.origin, "%s", origin);
    free(origin);
    if (store_meta_get(s->eng.writer, "vkey", &s->eng.vkey, err) != 1)
        return cm_fail(err, CM_INTERNAL, "", "the store has no verifier key: is it a cmcc log?");
    if (srv_replication_check(s, err)) return -1;
    int64_t term = 0;
    int got = store_lease_take(s->eng.writer, time_now_ms(), &term, err);
    if (got < 0) return -1;
    s->eng.role = got ? ENGINE_WRITING : ENGINE_READING;
    s->eng.term = term;
    if (seq_init(&s->eng, err) || srv_cosign_init(&s->eng, err)) return -1;
    /* a shared store must hold the checkpoint this log directory published */
    s->eng.published_path = srv_published_path(s->cfg.dir, s->eng.db_path);
    cm_error why;
    if (got && srv_published_check(s->eng.published_path, s->eng.writer, &why)) {
        if (why.code != CM_UNAVAILABLE) return cm_fail(err, why.code, why.field, "%s", why.message);
        fprintf(stderr, "cmcc: %s\n", why.message);
        s->eng.role = ENGINE_DEPOSED;
        snprintf(s->eng.role_why, sizeof s->eng.role_why, "%s", why.message);
    }
    /* commits return once written: the syncer thread makes them durable */
    if (store_lazy_commits(s->eng.writer, 1, err)) return -1;
    if (store_latest_checkpoint(s->eng.writer, &s->eng.checkpoint, &s->eng.checkpoint_size, err) <
        0)
        return -1;
    return 0;
}

static void init_sync(srv *s)
{
    engine_init_sync(&s->eng);
    pthread_mutex_init(&s->stats_mu, NULL);
    pthread_mutex_init(&s->chk_mu, NULL);
    pthread_cond_init(&s->chk_cv, NULL);
}

/* The engine's hook: a batch is published; the live feed takes what its
 * entries are (feed.c). */
static void published(void *ctx, const job *jobs, uint64_t size)
{
    srv *s = ctx;
    srv_feed_published(s->feed, jobs, size);
}

/* The engine's hook: a batch changed the registry, so tokens are checked
 * afresh. */
static void registry_changed(void *ctx)
{
    srv *s = ctx;
    srv_authcache_clear(s->auth);
}

int srv_checking_begin(srv *s)
{
    pthread_mutex_lock(&s->chk_mu);
    int closing = s->closing;
    if (!closing) s->checking++;
    pthread_mutex_unlock(&s->chk_mu);
    return closing ? -1 : 0;
}

void srv_checking_end(srv *s)
{
    pthread_mutex_lock(&s->chk_mu);
    s->checking--;
    pthread_cond_broadcast(&s->chk_cv);
    pthread_mutex_unlock(&s->chk_mu);
}

void srv_checking_close(srv *s)
{
    pthread_mutex_lock(&s->chk_mu);
    s->closing = 1;
    while (s->checking) pthread_cond_wait(&s->chk_cv, &s->chk_mu);
    pthread_mutex_unlock(&s->chk_mu);
}

static void stop(srv *s)
{
    if (s->daemon) MHD_quiesce_daemon(s->daemon);
    pthread_mutex_lock(&s->eng.q_mu);
    s->eng.stopping = 1;
    pthread_cond_broadcast(&s->eng.q_cv);
    pthread_mutex_unlock(&s->eng.q_mu);
    pthread_join(s->eng.seq_thread, NULL);
    /* the syncer answers what the sequencer committed last, then ends */
    pthread_mutex_lock(&s->eng.sync_mu);
    s->eng.sync_stop = 1;
    pthread_cond_broadcast(&s->eng.sync_cv);
    pthread_mutex_unlock(&s->eng.sync_mu);
    pthread_join(s->eng.sync_thread, NULL);
    cm_error serr;
    if (store_lazy_commits(s->eng.writer, 0, &serr)) fprintf(stderr, "cmcc: %s\n", serr.message);
    pthread_mutex_lock(&s->eng.pub_mu);
    s->eng.ckpt_stop = 1;
    pthread_cond_broadcast(&s->eng.pub_cv);
    pthread_mutex_unlock(&s->eng.pub_mu);
    pthread_join(s->eng.ckpt_thread, NULL);
    if (s->eng.size > s->eng.checkpoint_size && engine_role(&s->eng, NULL, 0) == ENGINE_WRITING) {
        char *note = srv_sign_checkpoint(&s->eng.log_key, s->eng.origin, s->eng.size, &s->eng.root);
        cm_error err;
        if (store_put_checkpoint(s->eng.writer, s->eng.size, note, time_now_ms(), &err))
            fprintf(stderr, "cmcc: could not keep the last checkpoint: %s\n", err.message);
        free(note);
    }
    /* the hooks' threads end, then every feed stream (so that no
     * connection is left suspended when the daemon stops) */
    srv_hooks_stop(s->hooks);
    s->hooks = NULL;
    srv_feed_stop(s->feed);
    /* no request may still be in the pool's hands when its connection goes */
    srv_checking_close(s);
    if (s->daemon) MHD_stop_daemon(s->daemon);
    srv_pool_free(s->eng.pool);
    s->eng.pool = NULL;
    srv_feed_free(s->feed);
    s->feed = NULL;
}

static void cleanup(srv *s)
{
    engine_readers_close(&s->eng);
    store_settle(s->eng.writer);
    store_close(s->eng.writer);
    log_key_free(&s->eng.log_key);
    free(s->eng.checkpoint);
    free(s->policy);
    buf_free(&s->stats);
    free(s->eng.vkey);
    free(s->eng.db_path);
    free(s->eng.published_path);
    srv_limiter_free(s->limiter);
    srv_keycache_free(s->eng.keys);
    srv_authcache_free(s->auth);
    srv_cosign_free(&s->eng);
    seq_free(&s->eng); /* when load failed before the sequencer started */
}

int srv_run(const srv_config *cfg, cm_error *err)
{
    srv s;
    memset(&s, 0, sizeof s);
    s.cfg = *cfg;
    s.cfg.tls_cert[0] = s.cfg.tls_key[0] = '\0'; /* cmcc.conf's pair, if any, first */
    if (srv_config_load(&s.cfg, cfg->dir, err)) return -1;
    if (cfg->rate > 0) s.cfg.rate = cfg->rate; /* the command line wins */
    if (cfg->burst > 0) s.cfg.burst = cfg->burst;
    /* a body larger than the budget could never be held */
    if (s.cfg.max_batch_body > s.cfg.max_buffered) s.cfg.max_batch_body = s.cfg.max_buffered;
    if (s.cfg.max_body > s.cfg.max_buffered) s.cfg.max_body = s.cfg.max_buffered;
    if (s.cfg.rate > 0) {
        double burst = s.cfg.burst > 0 ? s.cfg.burst : (s.cfg.rate > 1000 ? s.cfg.rate : 1000);
        s.limiter = srv_limiter_new(s.cfg.rate, burst);
    }
    if (cfg->tls_cert[0]) { /* the command line's pair wins over cmcc.conf's */
        memcpy(s.cfg.tls_cert, cfg->tls_cert, sizeof s.cfg.tls_cert);
        memcpy(s.cfg.tls_key, cfg->tls_key, sizeof s.cfg.tls_key);
    }
    srv_tls tls = {0};
    int https = s.cfg.tls_cert[0] != 0;
    if (https && srv_tls_load(s.cfg.tls_cert, s.cfg.tls_key, &tls, err)) return -1;
    if (cfg->mirror) { /* read-only: no lock, no writer (mirror_serve.c) */
        int rc = srv_run_mirror(&s, cfg, https ? &tls : NULL, err);
        srv_tls_free(&tls);
        return rc;
    }
    int lock = srv_lock_dir(cfg->dir, err);
    if (lock < 0) {
        srv_tls_free(&tls);
        return -1;
    }
    s.eng.max_queue = s.cfg.max_queue;
    s.eng.checkpoint_ms = s.cfg.checkpoint_ms;
    s.eng.witnesses = s.cfg.witnesses;
    s.eng.n_witnesses = s.cfg.n_witnesses;
    s.eng.registry_changed = registry_changed;
    s.eng.published = published;
    s.eng.owner = &s;
    init_sync(&s);
    if (load(&s, err) || srv_policy_load(&s, err)) {
        cleanup(&s);
        close(lock);
        srv_tls_free(&tls);
        return -1;
    }
    sigset_t sigs;
    cm_block_stop_signals(&sigs);
    signal(SIGPIPE, SIG_IGN);
    s.eng.pool = srv_pool_new(srv_cores()); /* one thread a core */
    s.eng.keys = srv_keycache_new();
    s.auth = srv_authcache_new();
    s.feed = srv_feed_start(&s.eng, s.cfg.n_hooks > 0); /* before the syncer tells it */
    pthread_create(&s.eng.seq_thread, NULL, seq_main, &s.eng);
    pthread_create(&s.eng.sync_thread, NULL, srv_syncer_main, &s.eng);
    pthread_create(&s.eng.ckpt_thread, NULL, ckpt_main, &s.eng);
    /* names for ps, top and perf (at most 15 characters) */
    pthread_setname_np(s.eng.seq_thread, "cmcc-sequencer");
    pthread_setname_np(s.eng.sync_thread, "cmcc-syncer");
    pthread_setname_np(s.eng.ckpt_thread, "cmcc-checkpoint");
    if (s.cfg.n_hooks && !(s.hooks = srv_hooks_start(&s, err))) {
        stop(&s);
        cleanup(&s);
        close(lock);
        srv_tls_free(&tls);
        return -1;
    }
    s.daemon = srv_http_start(&s, https ? &tls : NULL, err);
    if (!s.daemon) {
        stop(&s);
        cleanup(&s);
        close(lock);
        srv_tls_free(&tls);
        return -1;
    }
    const union MHD_DaemonInfo *info = MHD_get_daemon_info(s.daemon, MHD_DAEMON_INFO_BIND_PORT);
    if (!cfg->quiet) {
        printf("cmcc: serving %s (%llu %s) at %s://%s:%u/\n", s.eng.origin,
               (unsigned long long)s.eng.size, s.eng.size == 1 ? "entry" : "entries",
               https ? "https" : "http", cfg->host, info ? info->port : cfg->port);
        if (s.eng.role == ENGINE_READING)
            printf("cmcc: %s; this server serves reads and answers writes 503, and takes over "
                   "the writer's role when that one stops\n",
                   ENGINE_READS_ONLY);
        fflush(stdout);
    }
    int sig = 0;
    sigwait(&sigs, &sig);
    stop(&s);
    cleanup(&s);
    close(lock);
    srv_tls_free(&tls);
    if (!cfg->quiet)
        printf("cmcc: stopped cleanly (%llu %s)\n", (unsigned long long)s.eng.size,
               s.eng.size == 1 ? "entry" : "entries");
    return 0;
}
