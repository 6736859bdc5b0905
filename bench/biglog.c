/*
 * biglog.c: `cmcc-biglog`, the large-log measurements of the benchmark.
 *
 *   cmcc-biglog build DIR N     a new log of N entries built through the
 *                               store directly: signed place.define events
 *                               (signed on every core), judged and appended
 *                               by the server's own append path (srv_append)
 *                               in transactions of 50,000, with a checkpoint
 *   cmcc-biglog sigs DIR        the signature checks alone of every entry of
 *                               the log in DIR, as many threads as `cmcc
 *                               verify` uses (the pool of every core): the
 *                               floor of `cmcc verify`'s time. The entries
 *                               are read and their envelopes decoded in
 *                               chunks of 50,000 off the clock; timed is
 *                               only dsse_verify (PAE and Ed25519) of each
 *                               chunk, with the coordinator's key
 *   cmcc-biglog proofs URL TOKEN COUNT
 *                               COUNT inclusion proofs of random entries
 *                               against the current size, over one keep-alive
 *                               connection; prints the median, p90 and p99
 *                               latency, and checks every proof against the
 *                               root of the served checkpoint
 *
 * bench/run-large.sh runs them, then measures the server's resident memory
 * and `cmcc verify` of the log beside `sigs` of the same log.
 */
#include "engine/engine.h"

#include "bench_util.h"

#include "common/codec.h"
#include "common/mem.h"
#include "common/timeutil.h"

#include <curl/curl.h>
#include <sodium.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

#define CHUNK 50000

typedef struct {
    const log_key *k;
    ev_envelope *envs;
    uint64_t first;
    int64_t t;
} sign_ctx;

static void sign_one(void *ctx, size_t i)
{
    sign_ctx *c = ctx;
    char json[400], ts[32];
    uint64_t n = c->first + i;
    time_format_s(c->t, ts, sizeof ts);
    snprintf(json, sizeof json,
             "{\"v\":1,\"type\":\"place.define\",\"id\":\"b-%llu\",\"org\":\"cell\",\"time\":"
             "\"%s\",\"body\":{\"place\":\"site-%llu\",\"kind\":\"warehouse\",\"name\":"
             "\"Warehouse %llu\",\"lat\":%.4f,\"lon\":%.4f}}",
             (unsigned long long)n, ts, (unsigned long long)n, (unsigned long long)n,
             31.2 + (double)(n % 4000) / 10000.0, 34.2 + (double)(n % 3000) / 10000.0);
    ev_envelope_sign(c->k, json, strlen(json), &c->envs[i]);
}

static int build(const char *dir, uint64_t n)
{
    cm_error err;
    char *vkey = NULL;
    if (srv_init_log(dir, "big.cmcc.test/log", "cell", "Coordination Cell", NULL, NULL, &vkey,
                     &err)) {
        fprintf(stderr, "biglog: %s\n", err.message);
        return 1;
    }
    free(vkey);
    char *cpath = xasprintf("%s/coordinator.pem", dir), *lpath = xasprintf("%s/log.pem", dir);
    log_key coord = {0}, logk = {0};
    store *w = NULL;
    if (log_key_load(cpath, &coord, &err) || log_key_load(lpath, &logk, &err) ||
        !(w = srv_open_store(dir, STORE_WRITER, &err))) {
        fprintf(stderr, "biglog: %s\n", err.message);
        return 1;
    }
    srv_pool *pool = srv_pool_new_helped();
    log_frontier f;
    uint64_t size = 0;
    if (store_size(w, &size, &err) || log_frontier_load(&f, size, store_read_hash, w)) return 1;
    ev_envelope *envs = xcalloc(CHUNK, sizeof *envs);
    ev_effects fx = {0};
    cm_buf scratch = CM_BUF_INIT;
    int64_t t0 = time_mono_ms(), now = time_now_ms();
    for (uint64_t done = 0; done < n;) {
        size_t m = n - done < CHUNK ? (size_t)(n - done) : CHUNK;
        sign_ctx sc = {&coord, envs, done, now};
        srv_pool_for(pool, m, sign_one, &sc);
        if (store_begin(w, &err)) return 1;
        for (size_t i = 0; i < m; i++) {
            ev_event e;
            memset(&e, 0, sizeof e);
            e.env = envs[i];
            srv_receipt r;
            if (ev_event_parse(&e, now, &err) ||
                srv_append(w, &f, &e, now, &fx, &scratch, &r, &err)) {
                fprintf(stderr, "biglog: entry %llu: %s\n", (unsigned long long)f.size,
                        err.message);
                return 1;
            }
            json_decref(e.root);
            ev_envelope_free(&envs[i]);
        }
        log_hash root;
        log_frontier_root(&f, &root);
        char *note = srv_sign_checkpoint(&logk, "big.cmcc.test/log", f.size, &root);
        if (store_put_checkpoint(w, f.size, note, time_now_ms(), &err) || store_commit(w, &err))
            return 1;
        free(note);
        store_tend(w, 1);
        done += m;
        int64_t el = time_mono_ms() - t0;
        fprintf(stderr, "\rbiglog: %llu entries, %.0f/s   ", (unsigned long long)f.size,
                (double)done * 1000.0 / (double)(el ? el : 1));
    }
    fprintf(stderr, "\n");
    printf("built %llu entries in %.1f s\n", (unsigned long long)f.size,
           (double)(time_mono_ms() - t0) / 1000.0);
    store_settle(w);
    store_close(w);
    srv_pool_free(pool);
    ev_effects_free(&fx);
    buf_free(&scratch);
    free(envs);
    log_key_free(&coord);
    log_key_free(&logk);
    free(cpath);
    free(lpath);
    return 0;
}

/* ---- sigs: the signature checks alone ---------------------------------- */

typedef struct {
    ev_envelope *envs;
    size_t n;
    const uint8_t *pub;
    atomic_size_t bad;
} sigs_ctx;

static int sigs_entry(void *ctx, uint64_t idx, const char *entry, size_t len)
{
    sigs_ctx *c = ctx;
    int64_t received;
    cm_error err;
    if (ev_entry_parse(entry, len, &c->envs[c->n], &received, &err)) {
        fprintf(stderr, "biglog: entry %llu: %s\n", (unsigned long long)idx, err.message);
        return -1;
    }
    c->n++;
    return 0;
}

static void sigs_one(void *ctx, size_t i)
{
    sigs_ctx *c = ctx;
    const ev_envelope *e = &c->envs[i];
    if (dsse_verify(c->pub, DSSE_PAYLOAD_TYPE, e->payload, e->payload_len, e->sig))
        atomic_fetch_add(&c->bad, 1);
}

/* CPU time of the whole process (every thread), user and system. */
static double cpu_seconds(void)
{
    struct rusage u;
    getrusage(RUSAGE_SELF, &u);
    return (double)(u.ru_utime.tv_sec + u.ru_stime.tv_sec) +
           (double)(u.ru_utime.tv_usec + u.ru_stime.tv_usec) / 1e6;
}

static int sigs(const char *dir)
{
    cm_error err;
    char *cpath = xasprintf("%s/coordinator.pem", dir);
    log_key coord = {0};
    store *s = NULL;
    uint64_t size = 0;
    if (log_key_load(cpath, &coord, &err) || !(s = srv_open_store(dir, STORE_READER, &err)) ||
        store_size(s, &size, &err)) {
        fprintf(stderr, "biglog: %s\n", err.message);
        return 1;
    }
    srv_pool *pool = srv_pool_new_helped();
    sigs_ctx c = {xcalloc(CHUNK, sizeof(ev_envelope)), 0, coord.pub, 0};
    double secs = 0, cpu = 0;
    uint64_t checked = 0;
    /* entry 0 is the genesis, signed by the log's founding key, not the
     * coordinator's: it is left out */
    for (uint64_t from = 1; from < size;) {
        uint64_t m = size - from < CHUNK ? size - from : CHUNK;
        c.n = 0;
        if (store_entries(s, from, m, sigs_entry, &c, &err) < 0 || c.n != m) {
            fprintf(stderr, "biglog: cannot read entries from %llu\n", (unsigned long long)from);
            return 1;
        }
        struct timespec a, b;
        double c0 = cpu_seconds();
        clock_gettime(CLOCK_MONOTONIC, &a);
        srv_pool_for(pool, c.n, sigs_one, &c);
        clock_gettime(CLOCK_MONOTONIC, &b);
        cpu += cpu_seconds() - c0;
        secs += (double)(b.tv_sec - a.tv_sec) + (double)(b.tv_nsec - a.tv_nsec) / 1e9;
        for (size_t i = 0; i < c.n; i++) ev_envelope_free(&c.envs[i]);
        checked += c.n;
        from += m;
    }
    printf("sigs:    %llu signatures alone: %.2f s wall, %.2f s CPU on %ld threads (%.0f/s), "
           "%zu failed\n",
           (unsigned long long)checked, secs, cpu, sysconf(_SC_NPROCESSORS_ONLN),
           secs > 0 ? (double)checked / secs : 0.0, (size_t)c.bad);
    srv_pool_free(pool);
    store_close(s);
    free(c.envs);
    log_key_free(&coord);
    free(cpath);
    return c.bad ? 1 : 0;
}

/* Whether a /v1/proof/inclusion answer proves entry idx in the tree of
 * `size` leaves whose root is `root`. */
static int proof_holds(json_t *j, uint64_t idx, uint64_t size, const log_hash *root)
{
    log_hash leaf, path[LOG_MAX_PROOF];
    const char *lh = json_string_value(json_object_get(j, "leaf_hash"));
    json_t *arr = json_object_get(j, "inclusion_path");
    size_t n = json_array_size(arr);
    if (!lh || n > LOG_MAX_PROOF ||
        b64_decode(lh, strlen(lh), leaf.b, sizeof leaf.b) != LOG_HASH_SIZE)
        return 0;
    for (size_t i = 0; i < n; i++) {
        const char *h = json_string_value(json_array_get(arr, i));
        if (!h || b64_decode(h, strlen(h), path[i].b, sizeof path[i].b) != LOG_HASH_SIZE) return 0;
    }
    return log_check_inclusion(idx, size, &leaf, path, n, root) == 0;
}

static int proofs(const char *url, const char *token, int count)
{
    CURL *c = curl_easy_init();
    cm_buf body = CM_BUF_INIT;
    char *auth = xasprintf("Authorization: Bearer %s", token);
    struct curl_slist *h = curl_slist_append(NULL, auth);
    curl_easy_setopt(c, CURLOPT_HTTPHEADER, h);
    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, buf_sink);
    curl_easy_setopt(c, CURLOPT_WRITEDATA, &body);
    /* the checkpoint: origin, size, root (base64), blank line, signatures */
    char *u = xasprintf("%s/checkpoint", url);
    curl_easy_setopt(c, CURLOPT_URL, u);
    free(u);
    if (curl_easy_perform(c) != CURLE_OK) return fprintf(stderr, "biglog: no server\n"), 1;
    buf_putc(&body, '\0');
    /* its body ends at the blank line before the signatures */
    const char *sigs = strstr(body.data, "\n\n");
    log_checkpoint cp;
    cm_error err;
    if (!sigs || checkpoint_parse(body.data, (size_t)(sigs + 1 - body.data), &cp, &err) ||
        cp.size == 0)
        return fprintf(stderr, "biglog: no checkpoint\n"), 1;
    uint64_t size = cp.size;
    log_hash root = cp.root;
    double *ms = xcalloc((size_t)count, sizeof *ms);
    uint64_t seed = 0x9e3779b97f4a7c15ULL;
    int bad = 0;
    for (int i = 0; i < count; i++) {
        seed ^= seed << 13, seed ^= seed >> 7, seed ^= seed << 17;
        uint64_t idx = seed % size;
        u = xasprintf("%s/v1/proof/inclusion?index=%llu&size=%llu", url, (unsigned long long)idx,
                      (unsigned long long)size);
        curl_easy_setopt(c, CURLOPT_URL, u);
        free(u);
        buf_reset(&body);
        struct timespec a, b;
        clock_gettime(CLOCK_MONOTONIC, &a);
        CURLcode rc = curl_easy_perform(c);
        clock_gettime(CLOCK_MONOTONIC, &b);
        ms[i] = (double)(b.tv_sec - a.tv_sec) * 1e3 + (double)(b.tv_nsec - a.tv_nsec) / 1e6;
        long status = 0;
        curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &status);
        json_t *j =
            rc == CURLE_OK && status == 200 ? json_loadb(body.data, body.len, 0, NULL) : NULL;
        if (!j || !proof_holds(j, idx, size, &root)) bad++;
        json_decref(j);
    }
    size_t n = (size_t)count;
    bench_sort(ms, n);
    printf("inclusion proofs on a log of %llu entries: %d requests, median %.3f ms, p90 %.3f "
           "ms, p99 %.3f ms, %d failed\n",
           (unsigned long long)size, count, bench_quantile(ms, n, 0.5), bench_quantile(ms, n, 0.9),
           bench_quantile(ms, n, 0.99), bad);
    free(ms);
    free(auth);
    curl_slist_free_all(h);
    curl_easy_cleanup(c);
    buf_free(&body);
    return bad ? 1 : 0;
}

int main(int argc, char **argv)
{
    if (sodium_init() < 0) return 2;
    if (argc == 4 && strcmp(argv[1], "build") == 0)
        return build(argv[2], strtoull(argv[3], NULL, 10));
    if (argc == 3 && strcmp(argv[1], "sigs") == 0) return sigs(argv[2]);
    if (argc == 5 && strcmp(argv[1], "proofs") == 0) return proofs(argv[2], argv[3], atoi(argv[4]));
    fprintf(stderr, "usage: cmcc-biglog build DIR N | sigs DIR | proofs URL TOKEN COUNT\n");
    return 2;
}
