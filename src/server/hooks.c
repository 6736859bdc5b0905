/*
 * hooks.c: the webhooks of cmcc.conf (hook_conf.c reads them), each
 * delivered by a thread of its own (cmcc-hook).
 *
 * A hook's thread keeps a cursor, the next entry of the log it has to
 * consider, in DIR/hooks/<first 16 hex digits of SHA-256(URL)>.next (a
 * hook new to the log starts at the log's size when the server starts). It
 * takes the entries in order from the live feed's ring (feed.c), or from
 * the store when it is further behind; it passes over the entries whose
 * type it does not want, and POSTs each other one, one at a time:
 *
 *   POST URL
 *   Content-Type: application/json
 *   X-Cmcc-Index: 42
 *   X-Cmcc-Signature: sha256=<hex of HMAC-SHA256(secret, body)>
 *
 *   {"log":ORIGIN,"index":42,"type":T,"org":O,"id":I,"entry":ENTRY}
 *
 * where ENTRY is the log entry as logged (docs/protocol.md, "Webhooks").
 * A 2xx answer delivers it: the cursor moves past it and is written (with
 * a rename, not synced: after a crash of the machine an entry may be
 * posted again, and a receiver knows entries by index). Anything else
 * (no connection, a timeout, another status) is tried again after 1 s,
 * then 2, 4, ... up to hook.backoff_max_s, and the entries behind it wait:
 * a hook gets its entries in log order. The threads read only what is
 * published, so the sequencer never waits for a hook; they run under
 * SCHED_IDLE (a core only when nothing else wants it), so that while the
 * log ingests as fast as the machine allows the hooks fall behind and
 * catch up after, rather than slow it down. On a machine that is never
 * idle they wait: /v1/stats shows how far behind ("pending").
 *
 * Each hook's state is shown in GET /v1/stats ("hooks") and a failing hook
 * in serve's log (stderr): when it starts failing, once a minute while it
 * fails, and when it delivers again.
 */
#include "server/srv_int.h"

#include "common/file.h"
#include "common/mem.h"
#include "common/timeutil.h"

#include <curl/curl.h>
#include <errno.h>
#include <sched.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#define HOOK_LOG_EVERY_MS 60000 /* a failing hook is said again this often */

typedef struct {
    srv_hooks *all;
    srv_hook_cfg cfg;
    char shown[SRV_HOOK_URL_MAX]; /* the URL without its query or user: for /v1/stats */
    char *state;                  /* its cursor's file */
    pthread_t thread;
    /* under all->mu */
    uint64_t next;
    uint64_t delivered;
    int64_t failing_since; /* ms since the epoch, or 0 */
    char last_error[256];
} hook;

struct srv_hooks {
    srv *s;
    pthread_mutex_t mu;
    pthread_cond_t cv; /* broadcast on stop */
    int stop;
    size_t n;
    hook *h;
};

/* ---- the cursor's file ---------------------------------------------------- */

static char *state_path(const char *dir, const char *url)
{
    uint8_t d[crypto_hash_sha256_BYTES];
    crypto_hash_sha256(d, (const unsigned char *)url, strlen(url));
    char hex[17];
    sodium_bin2hex(hex, sizeof hex, d, 8);
    return xasprintf("%s/hooks/%s.next", dir, hex);
}

static int state_read(const char *path, uint64_t *next)
{
    FILE *f = fopen(path, "r");
    if (!f) return 0;
    unsigned long long n;
    int ok = fscanf(f, "%llu", &n) == 1;
    fclose(f);
    if (ok) *next = n;
    return ok;
}

static void state_write(hook *h, uint64_t next)
{
    char *tmp = xasprintf("%s.tmp", h->state);
    FILE *f = fopen(tmp, "w");
    int ok = f && fprintf(f, "%llu\n%s\n", (unsigned long long)next, h->shown) > 0;
    if (f && fclose(f)) ok = 0;
    if (!ok || rename(tmp, h->state))
        fprintf(stderr, "cmcc: hook %s: cannot keep its cursor in %s: %s\n", h->shown, h->state,
                strerror(errno));
    free(tmp);
}

/* ---- one delivery ------------------------------------------------------------ */

static int wanted(const char *types, const char *type)
{
    if (strcmp(types, "*") == 0) return 1;
    size_t n = strlen(type);
    for (const char *p = types; *p;) {
        const char *c = strchr(p, ',');
        size_t len = c ? (size_t)(c - p) : strlen(p);
        if (len == n && strncmp(p, type, n) == 0) return 1;
        p += len + (c ? 1 : 0);
    }
    return 0;
}

static void body_of(const char *origin, const srv_feed_entry *e, cm_buf *out)
{
    buf_puts(out, "{\"log\":");
    buf_json_str(out, origin);
    buf_printf(out, ",\"index\":%llu,\"type\":", (unsigned long long)e->index);
    buf_json_str(out, e->type);
    buf_puts(out, ",\"org\":");
    buf_json_str(out, e->org);
    buf_puts(out, ",\"id\":");
    buf_json_str(out, e->id);
    buf_puts(out, ",\"entry\":");
    buf_append(out, e->entry, e->len);
    buf_puts(out, "}");
}

static size_t discard(char *p, size_t size, size_t n, void *ctx)
{
    (void)p;
    (void)ctx;
    return size * n;
}

/* POSTs body signed: 0 when answered 2xx, else -1 with why. */
static int post(CURL *c, hook *h, const srv_feed_entry *e, const cm_buf *body, char *why, size_t n)
{
    uint8_t mac[crypto_auth_hmacsha256_BYTES];
    crypto_auth_hmacsha256_state st;
    crypto_auth_hmacsha256_init(&st, (const unsigned char *)h->cfg.secret, strlen(h->cfg.secret));
    crypto_auth_hmacsha256_update(&st, (const unsigned char *)body->data, body->len);
    crypto_auth_hmacsha256_final(&st, mac);
    char hex[2 * sizeof mac + 1];
    sodium_bin2hex(hex, sizeof hex, mac, sizeof mac);
    char sig[128], idx[64];
    snprintf(sig, sizeof sig, "X-Cmcc-Signature: sha256=%s", hex);
    snprintf(idx, sizeof idx, "X-Cmcc-Index: %llu", (unsigned long long)e->index);
    struct curl_slist *hd = curl_slist_append(NULL, "Content-Type: application/json");
    hd = curl_slist_append(hd, sig);
    hd = curl_slist_append(hd, idx);
    hd = curl_slist_append(hd, "Expect:");
    curl_easy_reset(c);
    curl_easy_setopt(c, CURLOPT_URL, h->cfg.url);
    curl_easy_setopt(c, CURLOPT_POST, 1L);
    curl_easy_setopt(c, CURLOPT_POSTFIELDS, body->data);
    curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)body->len);
    curl_easy_setopt(c, CURLOPT_HTTPHEADER, hd);
    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, discard);
    curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT, 5L);
    curl_easy_setopt(c, CURLOPT_TIMEOUT, 15L);
    curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http,https");
    CURLcode rc = curl_easy_perform(c);
    long status = 0;
    if (rc == CURLE_OK) curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &status);
    curl_slist_free_all(hd);
    if (rc != CURLE_OK) {
        snprintf(why, n, "%s", curl_easy_strerror(rc));
        return -1;
    }
    if (status < 200 || status > 299) {
        snprintf(why, n, "answered HTTP %ld", status);
        return -1;
    }
    return 0;
}

/* ---- a hook's thread ----------------------------------------------------------- */

/* Waits ms or until stop: 1 when stopping. */
static int pause_ms(srv_hooks *all, int64_t ms)
{
    struct timespec ts = time_deadline(CLOCK_MONOTONIC, ms);
    pthread_mutex_lock(&all->mu);
    while (!all->stop && pthread_cond_timedwait(&all->cv, &all->mu, &ts) == 0) {
    }
    int stop = all->stop;
    pthread_mutex_unlock(&all->mu);
    return stop;
}

static void *hook_main(void *arg)
{
    hook *h = arg;
    srv_hooks *all = h->all;
    srv *s = all->s;
    /* Linux's SCHED_IDLE: a core only when nothing else wants it; failing
     * it changes nothing */
    struct sched_param idle = {0};
    (void)pthread_setschedparam(pthread_self(), SCHED_IDLE, &idle);
    CURL *c = curl_easy_init();
    cm_buf body = CM_BUF_INIT;
    int64_t backoff = 1000, said = 0;
    uint64_t next = h->next, kept = h->next;
    char why[256];
    for (;;) {
        pthread_mutex_lock(&all->mu);
        int stop = all->stop;
        pthread_mutex_unlock(&all->mu);
        if (stop) break;
        srv_feed_entry e;
        int got = srv_feed_get(s->feed, next, 1, &e, 1000);
        if (got <= 0) {
            if (next != kept) state_write(h, kept = next); /* idle: keep what was passed over */
            if (got < 0 && pause_ms(all, 1000)) break;
            continue;
        }
        if (!wanted(h->cfg.types, e.type)) {
            free(e.entry);
            next++;
            pthread_mutex_lock(&all->mu);
            h->next = next;
            pthread_mutex_unlock(&all->mu);
            continue;
        }
        buf_reset(&body);
        body_of(s->eng.origin, &e, &body);
        int rc = post(c, h, &e, &body, why, sizeof why);
        free(e.entry);
        int64_t now = time_now_ms();
        pthread_mutex_lock(&all->mu);
        int64_t since = h->failing_since;
        if (rc == 0) {
            h->delivered++;
            h->next = ++next;
            h->failing_since = 0;
            h->last_error[0] = 0;
        } else {
            if (!since) h->failing_since = now;
            snprintf(h->last_error, sizeof h->last_error, "%s", why);
        }
        pthread_mutex_unlock(&all->mu);
        if (rc == 0) {
            state_write(h, kept = next);
            if (since) {
                char t[40];
                time_format_ms(since, t, sizeof t);
                fprintf(stderr, "cmcc: hook %s delivers again (it failed from %s on)\n", h->shown,
                        t);
            }
            backoff = 1000;
            continue;
        }
        if (!since || time_mono_ms() - said >= HOOK_LOG_EVERY_MS) {
            fprintf(stderr,
                    "cmcc: hook %s fails at entry %llu: %s; trying again in %lld s, and the "
                    "entries after it wait\n",
                    h->shown, (unsigned long long)e.index, why, (long long)(backoff / 1000));
            said = time_mono_ms();
        }
        if (pause_ms(all, backoff)) break;
        int64_t cap = (int64_t)s->cfg.hook_backoff_max_s * 1000;
        backoff = backoff * 2 < cap ? backoff * 2 : cap;
    }
    if (next != kept) state_write(h, next);
    buf_free(&body);
    curl_easy_cleanup(c);
    return NULL;
}

/* The URL without its query, fragment, user or password, for what anyone
 * may read (/v1/stats, the log). */
static void shown_url(const char *url, char *out, size_t n)
{
    CURLU *u = curl_url();
    char *s = NULL;
    if (u && curl_url_set(u, CURLUPART_URL, url, 0) == CURLUE_OK) {
        curl_url_set(u, CURLUPART_QUERY, NULL, 0);
        curl_url_set(u, CURLUPART_FRAGMENT, NULL, 0);
        curl_url_set(u, CURLUPART_USER, NULL, 0);
        curl_url_set(u, CURLUPART_PASSWORD, NULL, 0);
        curl_url_get(u, CURLUPART_URL, &s, 0);
    }
    snprintf(out, n, "%s", s ? s : "(a URL)");
    curl_free(s);
    curl_url_cleanup(u);
}

srv_hooks *srv_hooks_start(srv *s, cm_error *err)
{
    char *dir = xasprintf("%s/hooks", s->cfg.dir);
    if (mkdir(dir, 0700) && errno != EEXIST) {
        cm_fail(err, CM_INTERNAL, "", "cannot make %s for the hooks' cursors: %s", dir,
                strerror(errno));
        free(dir);
        return NULL;
    }
    free(dir);
    curl_global_init(CURL_GLOBAL_DEFAULT);
    srv_hooks *all = xcalloc(1, sizeof *all);
    all->s = s;
    pthread_mutex_init(&all->mu, NULL);
    pthread_condattr_t ca;
    pthread_condattr_init(&ca);
    pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
    pthread_cond_init(&all->cv, &ca);
    pthread_condattr_destroy(&ca);
    all->n = s->cfg.n_hooks;
    all->h = xcalloc(all->n, sizeof *all->h);
    uint64_t size;
    log_hash root;
    engine_published(&s->eng, &size, &root);
    for (size_t i = 0; i < all->n; i++) {
        hook *h = &all->h[i];
        h->all = all;
        h->cfg = s->cfg.hooks[i];
        shown_url(h->cfg.url, h->shown, sizeof h->shown);
        h->state = state_path(s->cfg.dir, h->cfg.url);
        h->next = size;
        if (!state_read(h->state, &h->next) || h->next > size) {
            h->next = size;
            state_write(h, size);
        }
    }
    for (size_t i = 0; i < all->n; i++) {
        pthread_create(&all->h[i].thread, NULL, hook_main, &all->h[i]);
        pthread_setname_np(all->h[i].thread, "cmcc-hook");
    }
    return all;
}

void srv_hooks_stop(srv_hooks *all)
{
    if (!all) return;
    pthread_mutex_lock(&all->mu);
    all->stop = 1;
    pthread_cond_broadcast(&all->cv);
    pthread_mutex_unlock(&all->mu);
    for (size_t i = 0; i < all->n; i++) pthread_join(all->h[i].thread, NULL);
    for (size_t i = 0; i < all->n; i++) free(all->h[i].state);
    free(all->h);
    pthread_mutex_destroy(&all->mu);
    pthread_cond_destroy(&all->cv);
    free(all);
}

void srv_hooks_json(srv_hooks *all, cm_buf *out)
{
    buf_puts(out, ",\"hooks\":[");
    if (!all) {
        buf_puts(out, "]");
        return;
    }
    uint64_t size;
    log_hash root;
    engine_published(&all->s->eng, &size, &root);
    pthread_mutex_lock(&all->mu);
    for (size_t i = 0; i < all->n; i++) {
        hook *h = &all->h[i];
        buf_puts(out, i ? ",{\"url\":" : "{\"url\":");
        buf_json_str(out, h->shown);
        buf_puts(out, ",\"types\":");
        buf_json_str(out, h->cfg.types);
        buf_printf(out, ",\"delivered\":%llu,\"next\":%llu,\"pending\":%llu,\"failing_since\":",
                   (unsigned long long)h->delivered, (unsigned long long)h->next,
                   (unsigned long long)(size > h->next ? size - h->next : 0));
        if (h->failing_since) {
            char t[40];
            time_format_ms(h->failing_since, t, sizeof t);
            buf_json_str(out, t);
        } else {
            buf_puts(out, "null");
        }
        buf_puts(out, ",\"last_error\":");
        if (h->last_error[0])
            buf_json_str(out, h->last_error);
        else
            buf_puts(out, "null");
        buf_puts(out, "}");
    }
    pthread_mutex_unlock(&all->mu);
    buf_puts(out, "]");
}
