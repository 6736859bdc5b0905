/*
 * mirror_serve.c: `cmcc serve --mirror DIR`, a mirror's copy served
 * read-only (DIR is what `cmcc mirror` keeps: cli/mirror.h).
 *
 * Every read is answered as the log itself answers it, from the mirror's
 * own store: the checkpoint it holds (the log's signature, any witness's
 * and the mirror's cosignature), tiles, entry bundles, proofs and the read
 * API computed by its own replay. Nothing is written: no writer, sequencer
 * or checkpointer runs, and no lock is taken, so `cmcc mirror --every` may
 * go on updating DIR; the newest checkpoint held is published every half
 * second (by the main thread) and before each request is answered (from
 * the request's own snapshot, so that no answer is newer than the
 * checkpoint served). While the mirror stores a catch-up in several steps,
 * its entries and state run ahead of its checkpoint: reads of the state
 * then answer 503 unavailable until the step that stores the checkpoint.
 * Every other method than GET and HEAD is refused (403 forbidden, "this is
 * a read-only mirror of URL"), but POST /add-checkpoint: the log asks the
 * mirror to cosign a checkpoint (C2SP tlog-witness), and cfg.mirror_cosign
 * (cli/mirror_cosign.c) catches up to it, under DIR's lock, and answers.
 * Read tokens are the mirror's own (`cmcc token create DIR --org ORG`).
 * A mirror that holds no checkpoint yet is served all the same: its
 * /checkpoint and state answer 503 until it holds one.
 */
#include "server/srv_int.h"

#include "common/mem.h"

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* Publishes the newest checkpoint rd sees, if it is newer than the one
 * published. OUT: *size, that checkpoint's size (0 when there is none). */
static void refresh(srv *s, store *rd, uint64_t *held)
{
    char *note = NULL;
    uint64_t size = 0;
    cm_error err;
    *held = 0;
    if (store_latest_checkpoint(rd, &note, &size, &err) != 1) return;
    *held = size;
    pthread_mutex_lock(&s->eng.pub_mu);
    int old = s->eng.checkpoint && size <= s->eng.checkpoint_size;
    pthread_mutex_unlock(&s->eng.pub_mu);
    if (old) {
        free(note);
        return;
    }
    const char *end = strstr(note, "\n\n");
    log_checkpoint c;
    if (!end || checkpoint_parse(note, (size_t)(end - note) + 1, &c, &err) || c.size != size) {
        free(note);
        return;
    }
    pthread_mutex_lock(&s->eng.pub_mu);
    if (s->eng.checkpoint && size <= s->eng.checkpoint_size) { /* another thread was first */
        pthread_mutex_unlock(&s->eng.pub_mu);
        free(note);
        return;
    }
    free(s->eng.checkpoint);
    s->eng.checkpoint = note;
    s->eng.checkpoint_size = size;
    s->eng.size = size;
    s->eng.root = c.root;
    pthread_cond_broadcast(&s->eng.pub_cv);
    pthread_mutex_unlock(&s->eng.pub_mu);
}

static int load(srv *s, cm_error *err)
{
    s->eng.db_path = srv_store_location(s->cfg.dir);
    if (!(s->mirror_rd = store_open(s->eng.db_path, STORE_READER, err))) return -1;
    char *origin = NULL;
    if (store_meta_get(s->mirror_rd, "mirror.url", &s->mirror_of, err) != 1 ||
        store_meta_get(s->mirror_rd, "origin", &origin, err) != 1 ||
        store_meta_get(s->mirror_rd, "vkey", &s->eng.vkey, err) != 1) {
        free(origin);
        return cm_fail(err, CM_NOT_FOUND, "",
                       "%s is not a mirror made by `cmcc mirror URL %s` (or it has not run yet)",
                       s->cfg.dir, s->cfg.dir);
    }
    snprintf(s->eng.origin, sizeof s->eng.origin, "%s", origin);
    free(origin);
    if (store_meta_get(s->mirror_rd, "mirror.vkey", &s->mirror_vkey, err) < 0) return -1;
    uint64_t held;
    refresh(s, s->mirror_rd, &held);
    return 0;
}

/* Reads of the state: the read API but the log's own (its description,
 * entries and proofs, answered up to the published checkpoint). */
static int state_read(const char *url)
{
    return strncmp(url, "/v1/", 4) == 0 && strcmp(url, "/v1/log") != 0 &&
           strncmp(url, "/v1/entries/", 12) != 0 && strncmp(url, "/v1/proof/", 10) != 0;
}

int srv_mirror_refuse(srv_req *q, const char *url, srv_resp *r)
{
    srv *s = q->s;
    if (!s->mirror_of) return 0;
    if (!q->get && s->cfg.mirror_cosign && strcmp(url, "/add-checkpoint") == 0) {
        r->status = s->cfg.mirror_cosign(s->cfg.dir, q->body.data ? q->body.data : "", q->body.len,
                                         &r->body);
        r->type = r->status == 409 ? "text/x.tlog.size" : "text/plain; charset=utf-8";
        return 1;
    }
    if (!q->get) {
        srv_errorf(r, CM_FORBIDDEN, "",
                   "this is a read-only mirror of %s: send events and requests that write to "
                   "the log itself",
                   s->mirror_of);
        return 1;
    }
    /* the request's snapshot (begun here, kept by its handler): the
     * checkpoint it holds is published before anything is answered, and
     * while `cmcc mirror` is between two steps of a catch-up (its entries
     * and state ahead of its newest checkpoint), the state is not served */
    store *rd = srv_reader(s);
    uint64_t held = 0, size = 0;
    cm_error err;
    if (!rd) return 0; /* the handler says the store cannot be read */
    refresh(s, rd, &held);
    if (!state_read(url) || store_size(rd, &size, &err) || size == held) return 0;
    srv_errorf(r, CM_UNAVAILABLE, "",
               "this mirror of %s is storing the log's entries past its checkpoint of %llu: "
               "its figures are served again once it holds the next checkpoint; ask again "
               "shortly",
               s->mirror_of, (unsigned long long)held);
    r->retry_after = 2;
    return 1;
}

static void cleanup(srv *s)
{
    engine_readers_close(&s->eng);
    store_close(s->mirror_rd);
    free(s->eng.checkpoint);
    buf_free(&s->stats);
    free(s->eng.vkey);
    free(s->eng.db_path);
    free(s->mirror_of);
    free(s->mirror_vkey);
    srv_limiter_free(s->limiter);
    srv_authcache_free(s->auth);
}

int srv_run_mirror(srv *s, const srv_config *cfg, srv_tls *tls, cm_error *err)
{
    engine_init_sync(&s->eng);
    pthread_mutex_init(&s->stats_mu, NULL);
    pthread_mutex_init(&s->chk_mu, NULL);
    pthread_cond_init(&s->chk_cv, NULL);
    if (load(s, err)) {
        cleanup(s);
        return -1;
    }
    sigset_t sigs;
    cm_block_stop_signals(&sigs);
    signal(SIGPIPE, SIG_IGN);
    s->auth = srv_authcache_new();
    int https = tls != NULL;
    s->daemon = srv_http_start(s, tls, err);
    if (!s->daemon) {
        cleanup(s);
        return -1;
    }
    const union MHD_DaemonInfo *info = MHD_get_daemon_info(s->daemon, MHD_DAEMON_INFO_BIND_PORT);
    if (!cfg->quiet) {
        printf("cmcc: serving %s (%llu %s) at %s://%s:%u/ (a read-only mirror of %s)\n",
               s->eng.origin, (unsigned long long)s->eng.size,
               s->eng.size == 1 ? "entry" : "entries", https ? "https" : "http", cfg->host,
               info ? info->port : cfg->port, s->mirror_of);
        fflush(stdout);
    }
    for (;;) {
        struct timespec ts = {0, 500000000L};
        int sig = sigtimedwait(&sigs, NULL, &ts);
        if (sig > 0) break;
        if (sig < 0 && errno != EAGAIN && errno != EINTR) break;
        uint64_t held;
        refresh(s, s->mirror_rd, &held);
    }
    MHD_quiesce_daemon(s->daemon);
    MHD_stop_daemon(s->daemon);
    cleanup(s);
    if (!cfg->quiet)
        printf("cmcc: stopped cleanly (%llu %s)\n", (unsigned long long)s->eng.size,
               s->eng.size == 1 ? "entry" : "entries");
    return 0;
}
