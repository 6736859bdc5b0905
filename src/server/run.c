/*
 * run.c: `cmcc serve`: starting the server, and stopping it cleanly.
 *
 * Start: read and check the TLS certificate and key when HTTPS is asked
 * for (tls.c), take the directory's lock, load the log key and origin,
 * open the writer, load the tree's frontier, start the pool (one thread a
 * core), the sequencer, the syncer, the checkpointer and the HTTP threads,
 * in that order. Signals SIGINT and SIGTERM are blocked in every thread and
 * taken by sigwait here.
 *
 * Stop: refuse new connections, let the sequencer finish every queued job
 * and the syncer answer it (each waiting request gets its answer), stop the
 * checkpointer, sign a last checkpoint if the tree grew since the newest
 * one, wait for the requests still being checked on the pool, stop HTTP,
 * then the pool.
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
}

static int load(srv *s, cm_error *err)
{
    char *path = xasprintf("%s/%s", s->cfg.dir, SRV_LOG_KEY_FILE);
    int rc = log_key_load(path, &s->log_key, err);
    free(path);
    if (rc) return -1;
    s->db_path = xasprintf("%s/%s", s->cfg.dir, SRV_DB_FILE);
    if (!(s->writer = store_open(s->db_path, STORE_WRITER, err))) return -1;
    char *origin = NULL;
    if (store_meta_get(s->writer, "origin", &origin, err) != 1)
        return cm_fail(err, CM_INTERNAL, "", "the store has no origin: is it a cmcc log?");
    snprintf(s->origin, sizeof s->origin, "%s", origin);
    free(origin);
    if (store_meta_get(s->writer, "vkey", &s->vkey, err) != 1)
        return cm_fail(err, CM_INTERNAL, "", "the store has no verifier key: is it a cmcc log?");
    if (seq_init(s, err) || srv_cosign_init(s, err)) return -1;
    /* commits only write the WAL: the syncer thread syncs it */
    if (store_sync_commits(s->writer, 0, err)) return -1;
    if (store_latest_checkpoint(s->writer, &s->checkpoint, &s->checkpoint_size, err) < 0) return -1;
    return 0;
}

static void init_sync(srv *s)
{
    pthread_condattr_t ca;
    pthread_condattr_init(&ca);
    pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
    pthread_mutex_init(&s->pub_mu, NULL);
    pthread_cond_init(&s->pub_cv, &ca);
    pthread_condattr_destroy(&ca);
    pthread_mutex_init(&s->q_mu, NULL);
    pthread_cond_init(&s->q_cv, NULL);
    pthread_mutex_init(&s->rd_mu, NULL);
    pthread_mutex_init(&s->stats_mu, NULL);
    pthread_mutex_init(&s->sync_mu, NULL);
    pthread_mutex_init(&s->chk_mu, NULL);
    pthread_cond_init(&s->chk_cv, NULL);
    pthread_cond_init(&s->sync_cv, NULL);
    pthread_key_create(&s->rd_key, NULL);
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
    pthread_mutex_lock(&s->q_mu);
    s->stopping = 1;
    pthread_cond_broadcast(&s->q_cv);
    pthread_mutex_unlock(&s->q_mu);
    pthread_join(s->seq_thread, NULL);
    /* the syncer answers what the sequencer committed last, then ends */
    pthread_mutex_lock(&s->sync_mu);
    s->sync_stop = 1;
    pthread_cond_broadcast(&s->sync_cv);
    pthread_mutex_unlock(&s->sync_mu);
    pthread_join(s->sync_thread, NULL);
    cm_error serr;
    if (store_sync_commits(s->writer, 1, &serr)) fprintf(stderr, "cmcc: %s\n", serr.message);
    pthread_mutex_lock(&s->pub_mu);
    s->ckpt_stop = 1;
    pthread_cond_broadcast(&s->pub_cv);
    pthread_mutex_unlock(&s->pub_mu);
    pthread_join(s->ckpt_thread, NULL);
    if (s->size > s->checkpoint_size) {
        char *note = srv_sign_checkpoint(&s->log_key, s->origin, s->size, &s->root);
        cm_error err;
        if (store_put_checkpoint(s->writer, s->size, note, time_now_ms(), &err))
            fprintf(stderr, "cmcc: could not keep the last checkpoint: %s\n", err.message);
        free(note);
    }
    /* no request may still be in the pool's hands when its connection goes */
    srv_checking_close(s);
    if (s->daemon) MHD_stop_daemon(s->daemon);
    srv_pool_free(s->pool);
    s->pool = NULL;
}

static void cleanup(srv *s)
{
    srv_readers_close(s);
    store_wal_checkpoint(s->writer);
    store_close(s->writer);
    log_key_free(&s->log_key);
    free(s->checkpoint);
    buf_free(&s->stats);
    free(s->vkey);
    free(s->db_path);
    srv_limiter_free(s->limiter);
    srv_keycache_free(s->keys);
    srv_authcache_free(s->auth);
    srv_cosign_free(s);
    seq_free(s); /* when load failed before the sequencer started */
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
    int lock = srv_lock_dir(cfg->dir, err);
    if (lock < 0) {
        srv_tls_free(&tls);
        return -1;
    }
    init_sync(&s);
    if (load(&s, err)) {
        cleanup(&s);
        close(lock);
        srv_tls_free(&tls);
        return -1;
    }
    sigset_t sigs;
    cm_block_stop_signals(&sigs);
    signal(SIGPIPE, SIG_IGN);
    s.pool = srv_pool_new(srv_cores()); /* one thread a core */
    s.keys = srv_keycache_new();
    s.auth = srv_authcache_new();
    pthread_create(&s.seq_thread, NULL, seq_main, &s);
    pthread_create(&s.sync_thread, NULL, srv_syncer_main, &s);
    pthread_create(&s.ckpt_thread, NULL, ckpt_main, &s);
    /* names for ps, top and perf (at most 15 characters) */
    pthread_setname_np(s.seq_thread, "cmcc-sequencer");
    pthread_setname_np(s.sync_thread, "cmcc-syncer");
    pthread_setname_np(s.ckpt_thread, "cmcc-checkpoint");
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
        printf("cmcc: serving %s (%llu %s) at %s://%s:%u/\n", s.origin, (unsigned long long)s.size,
               s.size == 1 ? "entry" : "entries", https ? "https" : "http", cfg->host,
               info ? info->port : cfg->port);
        fflush(stdout);
    }
    int sig = 0;
    sigwait(&sigs, &sig);
    stop(&s);
    cleanup(&s);
    close(lock);
    srv_tls_free(&tls);
    if (!cfg->quiet)
        printf("cmcc: stopped cleanly (%llu %s)\n", (unsigned long long)s.size,
               s.size == 1 ? "entry" : "entries");
    return 0;
}
