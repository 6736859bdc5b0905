/*
 * cmcc-bench.c: how fast a cmcc server ingests signed events over HTTP, next
 * to how fast libsodium verifies Ed25519 signatures on the same machine.
 *
 *   cmcc-bench verify [--seconds S] [--threads N]
 *   cmcc-bench ingest --url URL --token T --key PEM --org ORG [options]
 *
 * verify: signs 256 typical events (the place.define events `ingest` sends,
 *   payloads of about 250 to 450 bytes) and builds their DSSE PAE with the
 *   project's own code, then calls crypto_sign_verify_detached over them in
 *   a loop for S seconds on one thread, then for S seconds on N threads at
 *   once (default: one per core). Every verification is checked.
 *
 * ingest: for each phase ("single", or a batch size such as 500), first
 *   generates and signs every event of the phase (on every core), writes the
 *   request bodies, and only then starts the clock. Two workloads:
 *   registry (the default): place.define events by the coordinator org,
 *     unique place ids, always accepted;
 *   supply: after an untimed setup of orgs (each with a key made here) and
 *     places, consignments from declaration through screening, entry,
 *     custody and distribution, each event signed by its org
 *     (workload_supply.c plans them), many consignments interleaved.
 *   One thread drives a libcurl multi handle that keeps C requests in flight
 *   over C keep-alive connections: single-envelope POSTs (application/json)
 *   or NDJSON batches of B (application/x-ndjson). Untimed requests first
 *   open the connections (for supply: the consignments' staggered start).
 *   A request goes out only once the requests holding its events'
 *   predecessors are answered (supply events need them applied first).
 *   Each answer is checked: 200, and one fresh receipt ("duplicate":false)
 *   per envelope; anything else is an error, and any error makes the run
 *   invalid (exit status 1). Reported per phase: events per second, request
 *   latency p50/p99/max, errors, the client's own CPU time (getrusage) and,
 *   with --server-pid, the server's (/proc/PID/stat). With --perf-ctl FIFO,
 *   "enable" and "disable" go to perf's control FIFO around the timed part.
 *
 * Besides readable text, each measurement prints one line
 *   result <name> key=value ...
 * that bench/run.sh collects into its table.
 */
#include "bench_util.h"
#include "common/buf.h"
#include "common/error.h"
#include "common/mem.h"
#include "common/timeutil.h"
#include "engine/engine.h"
#include "event/event.h"
#include "log/log.h"
#include "workload_supply.h"

#include <curl/curl.h>
#include <dirent.h>
#include <getopt.h>
#include <pthread.h>
#include <sodium.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

/* ---- clocks and CPU time ------------------------------------------------ */

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* CPU seconds (user + system) this process has used so far. */
static double self_cpu_s(void)
{
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    return (double)ru.ru_utime.tv_sec + (double)ru.ru_utime.tv_usec / 1e6 +
           (double)ru.ru_stime.tv_sec + (double)ru.ru_stime.tv_usec / 1e6;
}

/* CPU seconds the whole machine has been busy so far, every process and
 * the kernel (/proc/stat: user, nice, system, irq, softirq; not idle,
 * iowait or steal). -1 if unknown. What the bench and the server did not
 * use of it during a measurement is other processes' load. */
static double machine_busy_s(void)
{
    unsigned long long v[7] = {0};
    FILE *f = fopen("/proc/stat", "r");
    if (!f) return -1;
    int n = fscanf(f, "cpu %llu %llu %llu %llu %llu %llu %llu", &v[0], &v[1], &v[2], &v[3], &v[4],
                   &v[5], &v[6]);
    fclose(f);
    if (n != 7) return -1;
    long hz = sysconf(_SC_CLK_TCK);
    return (double)(v[0] + v[1] + v[2] + v[5] + v[6]) / (double)(hz > 0 ? hz : 100);
}

/* Reads /proc/PID/stat or /proc/PID/task/TID/stat. OUT: comm (the thread's
 * name) and CPU seconds (user + system: fields 14 and 15, after the
 * parenthesized name). 0, or -1 if unknown. */
static int stat_cpu(const char *path, char comm[32], double *cpu)
{
    char line[1024];
    FILE *f = fopen(path, "r");
    if (!f) return -1;
    size_t n = fread(line, 1, sizeof line - 1, f);
    fclose(f);
    line[n] = 0;
    char *a = strchr(line, '('), *p = strrchr(line, ')');
    if (!a || !p || p < a) return -1;
    snprintf(comm, 32, "%.*s", (int)(p - a - 1), a + 1);
    unsigned long long ut = 0, st = 0;
    /* after ") ": state ppid pgrp session tty_nr tpgid flags minflt cminflt
     * majflt cmajflt utime stime */
    if (sscanf(p + 2, "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %llu %llu", &ut, &st) != 2)
        return -1;
    long hz = sysconf(_SC_CLK_TCK);
    *cpu = (double)(ut + st) / (double)(hz > 0 ? hz : 100);
    return 0;
}

/* CPU time of a process and of each of its threads, from /proc. */
#define MAX_THREADS 256
typedef struct {
    double total; /* -1 if unknown */
    size_t n;
    long tid[MAX_THREADS];
    char comm[MAX_THREADS][32];
    double cpu[MAX_THREADS];
} proc_cpu;

static void proc_cpu_read(long pid, proc_cpu *out)
{
    char path[96], comm[32];
    out->total = -1;
    out->n = 0;
    if (pid <= 0) return;
    snprintf(path, sizeof path, "/proc/%ld/stat", pid);
    if (stat_cpu(path, comm, &out->total)) return;
    snprintf(path, sizeof path, "/proc/%ld/task", pid);
    DIR *d = opendir(path);
    if (!d) return;
    for (struct dirent *e; (e = readdir(d)) && out->n < MAX_THREADS;) {
        long tid = strtol(e->d_name, NULL, 10);
        if (tid <= 0) continue;
        snprintf(path, sizeof path, "/proc/%ld/task/%ld/stat", pid, tid);
        if (stat_cpu(path, out->comm[out->n], &out->cpu[out->n]) == 0) out->tid[out->n++] = tid;
    }
    closedir(d);
}

/* Prints each server thread's CPU seconds between a and b (busiest first)
 * into out, as "name:seconds,..."; returns how many HTTP worker threads
 * ("MHD-worker") used at least 5% of the wall time. */
static unsigned proc_cpu_diff(const proc_cpu *a, const proc_cpu *b, double wall, char *out,
                              size_t cap)
{
    double d[MAX_THREADS];
    unsigned used = 0;
    for (size_t i = 0; i < b->n; i++) {
        d[i] = b->cpu[i];
        for (size_t j = 0; j < a->n; j++)
            if (a->tid[j] == b->tid[i]) d[i] -= a->cpu[j];
        used += strcmp(b->comm[i], "MHD-worker") == 0 && d[i] >= 0.05 * wall;
    }
    size_t len = 0;
    out[0] = 0;
    for (;;) { /* selection by descending CPU, threads that used any */
        size_t best = SIZE_MAX;
        for (size_t i = 0; i < b->n; i++)
            if (d[i] >= 0.005 && (best == SIZE_MAX || d[i] > d[best])) best = i;
        if (best == SIZE_MAX || len + 48 > cap) break;
        len += (size_t)snprintf(out + len, cap - len, "%s%s:%.2f", len ? "," : "", b->comm[best],
                                d[best]);
        d[best] = -1;
    }
    return used;
}

/* ---- typical events ------------------------------------------------------ */

/*
 * place.define by the coordinator: always accepted while the place id is
 * new. Fields vary (kind, name and its length, coordinates, an optional
 * sector) so that payloads range over about 250..450 bytes, like real ones.
 */
static const char *const kinds[] = {"crossing", "warehouse",        "distribution_point",
                                    "depot",    "collection_point", "other"};
static const char *const kind_words[] = {"crossing",   "warehouse",        "distribution point",
                                         "fuel depot", "collection point", "field kitchen"};
static const char *const towns[] = {"Rafah",    "Khan Younis", "Deir al-Balah", "Gaza City",
                                    "Nuseirat", "Jabalia",     "Beit Lahia",    "Al-Mawasi"};
static const char *const notes[] = {
    "",
    " (north gate)",
    " (shared with the municipality; trucks by the coastal road only)",
    " (UNRWA school compound, entrance on the eastern side, open 07:00-15:00)",
    (" (former cold store; generator on site, 40 pallet places, loading ramp for two trucks "
     "at once, access from Salah al-Din road after the second checkpoint)"),
};

/* Appends event i of run `run` (a short tag that makes ids unique). */
static void event_json(cm_buf *out, const char *run, uint64_t i, const char *org, const char *when)
{
    uint64_t r = bench_mix64(i * 0x9e3779b97f4a7c15ULL + 1);
    size_t k = (size_t)(r % 6), t = (size_t)((r >> 8) % 8), n = (size_t)((r >> 16) % 5);
    double lat = 31.22 + (double)((r >> 24) % 34000) / 1e5; /* 31.22 .. 31.56 */
    double lon = 34.22 + (double)((r >> 40) % 30000) / 1e5; /* 34.22 .. 34.52 */
    buf_printf(out, "{\"v\":1,\"type\":\"place.define\",\"id\":\"pd-%s-%llu\",\"org\":", run,
               (unsigned long long)i);
    buf_json_str(out, org);
    buf_printf(out,
               ",\"time\":\"%s\",\"body\":{\"place\":\"%.3s-%s-%llu\",\"kind\":\"%s\","
               "\"name\":\"%s %s %llu%s\",\"lat\":%.5f,\"lon\":%.5f",
               when, kinds[k], run, (unsigned long long)i, kinds[k], towns[t], kind_words[k],
               (unsigned long long)(i % 1000), notes[n], lat, lon);
    if (r >> 60 & 1) buf_printf(out, ",\"sector\":\"sector-%u\"", (unsigned)((r >> 56) % 12));
    buf_puts(out, "}}");
}

/* ---- verify ------------------------------------------------------------- */

#define VERIFY_SET 256

typedef struct {
    uint8_t pub[LOG_PUBKEY_SIZE];
    cm_buf pae[VERIFY_SET];
    uint8_t sig[VERIFY_SET][LOG_SIG_SIZE];
} verify_set;

typedef struct {
    const verify_set *set;
    double seconds;
    unsigned long long done, failed;
    pthread_barrier_t *start;
} verify_job;

static void *verify_loop(void *arg)
{
    verify_job *j = arg;
    if (j->start) pthread_barrier_wait(j->start);
    double end = now_s() + j->seconds;
    unsigned long long done = 0, failed = 0;
    for (size_t i = 0;; i = (i + 1) % VERIFY_SET) {
        const cm_buf *m = &j->set->pae[i];
        if (crypto_sign_verify_detached(j->set->sig[i], (const unsigned char *)m->data, m->len,
                                        j->set->pub) != 0)
            failed++;
        done++;
        if (done % 64 == 0 && now_s() >= end) break;
    }
    j->done = done;
    j->failed = failed;
    return NULL;
}

/* Runs `threads` verifying threads for `seconds`. OUT: verifications/s,
 * and the CPU other processes used meanwhile, as a share of all cores. */
static int verify_rate(const verify_set *set, unsigned threads, double seconds, double *rate,
                       double *others)
{
    double busy0 = machine_busy_s(), self0 = self_cpu_s();
    verify_job *jobs = xcalloc(threads, sizeof *jobs);
    pthread_t *tid = xcalloc(threads, sizeof *tid);
    pthread_barrier_t start;
    pthread_barrier_init(&start, NULL, threads + 1);
    for (unsigned i = 0; i < threads; i++) {
        jobs[i] = (verify_job){set, seconds, 0, 0, &start};
        pthread_create(&tid[i], NULL, verify_loop, &jobs[i]);
    }
    pthread_barrier_wait(&start);
    double t0 = now_s();
    unsigned long long done = 0, failed = 0;
    for (unsigned i = 0; i < threads; i++) {
        pthread_join(tid[i], NULL);
        done += jobs[i].done;
        failed += jobs[i].failed;
    }
    double wall = now_s() - t0;
    double busy = machine_busy_s() - busy0, self = self_cpu_s() - self0;
    *others = busy0 >= 0 ? (busy - self) / (wall * srv_cores()) : -1;
    pthread_barrier_destroy(&start);
    free(jobs);
    free(tid);
    *rate = (double)done / wall;
    if (failed) fprintf(stderr, "cmcc-bench: %llu verifications failed\n", failed);
    return failed ? -1 : 0;
}

static int cmd_verify(int argc, char **argv)
{
    static const struct option opts[] = {{"seconds", required_argument, 0, 's'},
                                         {"threads", required_argument, 0, 't'},
                                         {0, 0, 0, 0}};
    double seconds = 3;
    unsigned threads = srv_cores();
    int c;
    while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
        switch (c) {
        case 's':
            seconds = strtod(optarg, NULL);
            break;
        case 't':
            threads = (unsigned)strtoul(optarg, NULL, 10);
            break;
        default:
            return 2;
        }
    }
    if (seconds <= 0 || threads == 0) return 2;

    log_key k = {0};
    if (log_key_generate(&k)) return fputs("cmcc-bench: cannot make a key\n", stderr), 1;
    verify_set *set = xcalloc(1, sizeof *set);
    memcpy(set->pub, k.pub, sizeof set->pub);
    char when[32];
    time_format_s(time_now_ms(), when, sizeof when);
    size_t min = SIZE_MAX, max = 0, sum = 0;
    for (size_t i = 0; i < VERIFY_SET; i++) {
        cm_buf ev = CM_BUF_INIT;
        event_json(&ev, "verify", i, "cell", when);
        dsse_pae(DSSE_PAYLOAD_TYPE, ev.data, ev.len, &set->pae[i]);
        dsse_sign(&k, DSSE_PAYLOAD_TYPE, ev.data, ev.len, set->sig[i]);
        size_t n = set->pae[i].len;
        min = n < min ? n : min;
        max = n > max ? n : max;
        sum += n;
        buf_free(&ev);
    }
    log_key_free(&k);
    printf("verify: crypto_sign_verify_detached over %d DSSE PAEs of %zu..%zu bytes "
           "(mean %zu), %.1f s per measurement\n",
           VERIFY_SET, min, max, sum / VERIFY_SET, seconds);

    double one = 0, all = 0, o1 = 0, oa = 0;
    int bad = verify_rate(set, 1, seconds, &one, &o1);
    printf("  1 thread:   %10.0f verifications/s (other processes: %.0f%% of the cores' time)\n",
           one, 100 * o1);
    printf("result verify.1 threads=1 per_s=%.0f pae_mean=%zu other_cpu=%.3f\n", one,
           sum / VERIFY_SET, o1);
    bad |= verify_rate(set, threads, seconds, &all, &oa);
    printf("  %u threads: %10.0f verifications/s (%.2fx one thread; other processes: %.0f%%)\n",
           threads, all, all / one, 100 * oa);
    printf("result verify.all threads=%u per_s=%.0f pae_mean=%zu other_cpu=%.3f\n", threads, all,
           sum / VERIFY_SET, oa);
    for (size_t i = 0; i < VERIFY_SET; i++) buf_free(&set->pae[i]);
    free(set);
    return bad ? 1 : 0;
}

/* ---- ingest: the requests of a phase --------------------------------------- */

typedef struct {
    char *body; /* owned */
    size_t len;
    unsigned events;
    long dep; /* a request that must be answered before this one goes out, or -1 */
    int done; /* answered */
} request;

/* Where a phase's events come from: appends event i's JSON to out and
 * returns the key that signs it. */
typedef struct {
    const log_key *(*make)(void *ctx, uint64_t i, cm_buf *out);
    void *ctx;
} ev_source;

/* The registry workload: place.define by the coordinator, made on the fly. */
typedef struct {
    const log_key *key;
    const char *org, *run;
    char when[32];
} registry_src;

static const log_key *registry_make(void *ctx, uint64_t i, cm_buf *out)
{
    registry_src *r = ctx;
    event_json(out, r->run, i, r->org, r->when);
    return r->key;
}

/* The supply workload: events planned by workload_supply.c. */
typedef struct {
    const ws_world *w;
    const ws_event *plan;
} supply_src;

static const log_key *supply_make(void *ctx, uint64_t i, cm_buf *out)
{
    supply_src *s = ctx;
    const ws_event *e = &s->plan[i];
    buf_append(out, e->json, e->len);
    return ws_key(s->w, e->signer);
}

typedef struct {
    const ev_source *src;
    request *reqs;
    size_t nreq;
    unsigned per_req; /* 0: single envelopes */
    uint64_t first;   /* event number of reqs[0]'s first event */
    atomic_size_t next;
    atomic_int bad;
    cm_error err; /* the first refusal, written by the thread that set bad */
} gen_ctx;

/* Makes one request: its events, signed, checked as the server will. */
static void gen_request(gen_ctx *g, size_t r)
{
    unsigned n = g->per_req ? g->per_req : 1;
    cm_buf body = CM_BUF_INIT, ev = CM_BUF_INIT;
    for (unsigned i = 0; i < n; i++) {
        buf_reset(&ev);
        const log_key *key = g->src->make(g->src->ctx, g->first + r * n + i, &ev);
        ev_event e;
        memset(&e, 0, sizeof e);
        ev_envelope_sign(key, ev.data, ev.len, &e.env);
        cm_error err;
        if (ev_event_parse(&e, time_now_ms(), &err) && atomic_exchange(&g->bad, 1) == 0)
            g->err = err;
        ev_envelope_write(&e.env, &body);
        if (g->per_req) buf_putc(&body, '\n');
        ev_event_free(&e);
    }
    buf_free(&ev);
    g->reqs[r].len = body.len;
    g->reqs[r].events = n;
    g->reqs[r].dep = -1;
    g->reqs[r].body = buf_take(&body);
}

static void *gen_loop(void *arg)
{
    gen_ctx *g = arg;
    for (size_t r; (r = atomic_fetch_add(&g->next, 1)) < g->nreq;) gen_request(g, r);
    return NULL;
}

/* Generates nreq requests of per_req events (0: single), events first..,
 * on every core. */
static request *gen_requests(const ev_source *src, uint64_t first, size_t nreq, unsigned per_req)
{
    gen_ctx g = {.src = src, .nreq = nreq, .per_req = per_req, .first = first};
    atomic_init(&g.next, 0);
    atomic_init(&g.bad, 0);
    g.reqs = xcalloc(nreq, sizeof *g.reqs);
    unsigned nt = srv_cores();
    pthread_t *tid = xcalloc(nt, sizeof *tid);
    for (unsigned i = 0; i < nt; i++) pthread_create(&tid[i], NULL, gen_loop, &g);
    for (unsigned i = 0; i < nt; i++) pthread_join(tid[i], NULL);
    free(tid);
    if (atomic_load(&g.bad)) {
        fprintf(stderr, "cmcc-bench: a generated event is refused: %s%s%s\n", g.err.message,
                g.err.field[0] ? " at " : "", g.err.field);
        exit(1);
    }
    return g.reqs;
}

static void free_requests(request *reqs, size_t n)
{
    for (size_t i = 0; i < n; i++) free(reqs[i].body);
    free(reqs);
}

/* ---- ingest: sending them -------------------------------------------------- */

typedef struct {
    CURL *h;
    cm_buf resp;
    size_t req;
    double t0;
    int busy;
} slot;

/* C keep-alive connections driven by one libcurl multi handle. */
typedef struct {
    CURLM *m;
    slot *slots;
    unsigned n;
    char *url, *auth;
    struct curl_slist *hdr;
} client;

typedef struct {
    unsigned long long errors, events_ok;
    long connects;           /* new connections opened (keep-alive: none after the warm-up) */
    unsigned long dep_waits; /* requests held back until an earlier one was answered */
    char first_error[300];
    double *lat; /* seconds, one per request */
} tally;

typedef struct {
    const char *url, *token, *org, *run;
    const log_key *key;
    long server_pid;
    ws_world *supply;     /* NULL: the registry workload */
    size_t slots;         /* supply: consignments in flight, at least */
    const char *perf_ctl; /* perf's control FIFO: enabled while timed */
} ingest_opts;

/* Sends a command ("enable", "disable") to `perf record --control fifo:F`. */
static void perf_command(const char *fifo, const char *cmd)
{
    if (!fifo) return;
    FILE *f = fopen(fifo, "w");
    if (!f) {
        fprintf(stderr, "cmcc-bench: cannot open %s\n", fifo);
        return;
    }
    fprintf(f, "%s\n", cmd);
    fclose(f);
}

static void client_open(client *c, const ingest_opts *o, unsigned n, int batch)
{
    c->m = curl_multi_init();
    c->n = n;
    curl_multi_setopt(c->m, CURLMOPT_MAXCONNECTS, (long)n * 2);
    c->slots = xcalloc(n, sizeof *c->slots);
    c->url = xasprintf("%s%sv1/events", o->url,
                       o->url[0] && o->url[strlen(o->url) - 1] == '/' ? "" : "/");
    c->auth = xasprintf("Authorization: Bearer %s", o->token);
    c->hdr = curl_slist_append(NULL, c->auth);
    c->hdr = curl_slist_append(c->hdr, batch ? "Content-Type: application/x-ndjson"
                                             : "Content-Type: application/json");
    c->hdr = curl_slist_append(c->hdr, "Expect:");
    for (unsigned i = 0; i < n; i++) {
        CURL *h = c->slots[i].h = curl_easy_init();
        curl_easy_setopt(h, CURLOPT_URL, c->url);
        curl_easy_setopt(h, CURLOPT_POST, 1L);
        curl_easy_setopt(h, CURLOPT_HTTPHEADER, c->hdr);
        curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, buf_sink);
        curl_easy_setopt(h, CURLOPT_WRITEDATA, &c->slots[i].resp);
        curl_easy_setopt(h, CURLOPT_PRIVATE, &c->slots[i]);
        curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
        curl_easy_setopt(h, CURLOPT_TIMEOUT, 120L);
    }
}

static void client_close(client *c)
{
    for (unsigned i = 0; i < c->n; i++) {
        curl_easy_cleanup(c->slots[i].h);
        buf_free(&c->slots[i].resp);
    }
    curl_multi_cleanup(c->m);
    curl_slist_free_all(c->hdr);
    free(c->slots);
    free(c->url);
    free(c->auth);
}

static size_t count(const char *hay, size_t len, const char *needle)
{
    size_t c = 0, nl = strlen(needle);
    for (const char *p = hay; (p = memmem(p, len - (size_t)(p - hay), needle, nl)); p += nl) c++;
    return c;
}

/* Checks one answer: 200 and a fresh receipt for each envelope. */
static void check(tally *t, const request *rq, size_t r, CURLcode rc, long status,
                  const cm_buf *resp)
{
    size_t ok = 0;
    if (rc == CURLE_OK && status == 200 && resp->data)
        ok = count(resp->data, resp->len, "\"duplicate\":false}");
    if (ok > rq->events) ok = rq->events;
    t->events_ok += ok;
    if (ok == rq->events) return;
    t->errors += rq->events - ok;
    if (t->first_error[0]) return;
    if (rc != CURLE_OK) {
        snprintf(t->first_error, sizeof t->first_error, "%s", curl_easy_strerror(rc));
        return;
    }
    /* in a batch, the first line refused (its place in the request) */
    const char *e = resp->data ? memmem(resp->data, resp->len, "{\"error\":", 9) : NULL;
    size_t line = e ? count(resp->data, (size_t)(e - resp->data), "\"duplicate\":") : 0;
    snprintf(t->first_error, sizeof t->first_error, "HTTP %ld, request %zu line %zu: %.200s",
             status, r, line,
             e            ? e
             : resp->data ? resp->data
                          : "");
}

static void start(CURLM *m, slot *s, const request *reqs, size_t i)
{
    buf_reset(&s->resp);
    s->req = i;
    s->busy = 1;
    curl_easy_setopt(s->h, CURLOPT_POSTFIELDS, reqs[i].body);
    curl_easy_setopt(s->h, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)reqs[i].len);
    s->t0 = now_s();
    curl_multi_add_handle(m, s->h);
}

/* Sends reqs[from, from + n) in order, keeping up to c->n in flight, and
 * tallies the answers. A request whose `dep` is not answered yet waits
 * (the events it holds need that one's applied first). */
static void drive(client *c, request *reqs, size_t from, size_t n, tally *t)
{
    size_t next = from, end = from + n, inflight = 0;
    int held = 0; /* the next request is being held back */
    for (;;) {
        for (unsigned i = 0; i < c->n && next < end; i++) {
            if (c->slots[i].busy) continue;
            long d = reqs[next].dep;
            if (d >= 0 && !reqs[d].done) {
                t->dep_waits += !held;
                held = 1;
                break;
            }
            held = 0;
            start(c->m, &c->slots[i], reqs, next++);
            inflight++;
        }
        if (!inflight) break; /* all sent (a dependency is always sent first) */
        int running = 0, left = 0;
        curl_multi_perform(c->m, &running);
        CURLMsg *msg;
        while ((msg = curl_multi_info_read(c->m, &left))) {
            if (msg->msg != CURLMSG_DONE) continue;
            CURL *h = msg->easy_handle;
            CURLcode rc = msg->data.result;
            slot *s = NULL;
            long status = 0, connects = 0;
            curl_easy_getinfo(h, CURLINFO_PRIVATE, (char **)&s);
            curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &status);
            curl_easy_getinfo(h, CURLINFO_NUM_CONNECTS, &connects);
            t->connects += connects;
            if (t->lat) t->lat[s->req - from] = now_s() - s->t0;
            check(t, &reqs[s->req], s->req, rc, status, &s->resp);
            reqs[s->req].done = 1;
            curl_multi_remove_handle(c->m, h);
            s->busy = 0;
            inflight--;
        }
        if (inflight) curl_multi_poll(c->m, NULL, 0, 1000, NULL);
    }
}

/* The supply plan's order in requests of per events: each request waits
 * for the latest request holding a predecessor of one of its events (one
 * in the same request is applied before it anyway). */
static void supply_deps(request *reqs, size_t nreq, unsigned per, const ws_event *plan)
{
    for (size_t r = 0; r < nreq; r++)
        for (size_t i = r * per; i < (r + 1) * per; i++) {
            long long p = plan[i].pred;
            if (p >= 0 && (size_t)p / per != r && (long)((size_t)p / per) > reqs[r].dep)
                reqs[r].dep = (long)((size_t)p / per);
        }
}

/* The timed part's share of each event type, printed and as "type:count,..." */
static void supply_mix(const ws_event *plan, size_t from, size_t to, char *out, size_t cap)
{
    size_t n[WS_TYPES] = {0}, bytes = 0, len = 0;
    for (size_t i = from; i < to; i++) {
        n[plan[i].type]++;
        bytes += plan[i].len;
    }
    printf("  mix of the timed events (mean %zu bytes of event JSON):", bytes / (to - from));
    out[0] = 0;
    for (unsigned t = 0; t < WS_TYPES; t++) {
        if (!n[t]) continue;
        printf("%s %s %.1f%%", len ? "," : "", ws_type_name(t),
               100.0 * (double)n[t] / (double)(to - from));
        len += (size_t)snprintf(out + len, cap - len, "%s%s:%zu", len ? "," : "", ws_type_name(t),
                                n[t]);
        if (len >= cap) break;
    }
    printf("\n");
}

/*
 * One phase: per_req 0 sends single envelopes, else NDJSON batches of
 * per_req. `events` events in all (rounded up to whole requests) over
 * `clients` connections, after untimed ones (one request per connection;
 * for supply, the plan's prologue). *sent counts every event sent; for the
 * registry workload it is also the next unused event number.
 */
static int phase(const ingest_opts *o, unsigned per_req, size_t events, unsigned clients,
                 unsigned long long *sent)
{
    unsigned per = per_req ? per_req : 1;
    size_t nreq = (events + per - 1) / per;
    size_t warm = clients; /* untimed requests */
    const char *wl = o->supply ? "supply" : "registry";
    char name[32];
    if (per_req)
        snprintf(name, sizeof name, "batch%u", per_req);
    else
        snprintf(name, sizeof name, "single");

    double g0 = now_s();
    registry_src rs = {.key = o->key, .org = o->org, .run = o->run};
    bench_minute_ago(rs.when, sizeof rs.when);
    supply_src ss = {0};
    ev_source src = {registry_make, &rs};
    uint64_t first = *sent;
    ws_event *plan = NULL;
    size_t nplan = 0, slots = 0, prologue = 0;
    if (o->supply) {
        slots = (clients + 2) * (size_t)per;
        slots = slots > o->slots ? slots : o->slots;
        plan = ws_plan(o->supply, slots, per, (size_t)clients * per, nreq * per, &prologue, &nplan);
        warm = prologue / per;
        ss = (supply_src){o->supply, plan};
        src = (ev_source){supply_make, &ss};
        first = 0;
    }
    request *reqs = gen_requests(&src, first, warm + nreq, per_req);
    if (plan) supply_deps(reqs, warm + nreq, per, plan);
    *sent += (warm + nreq) * per;
    size_t bytes = 0;
    for (size_t i = warm; i < warm + nreq; i++) bytes += reqs[i].len;
    printf("ingest %s %s: %zu requests of %u envelope%s (%.0f bytes a request), %u clients "
           "(generated and signed in %.1f s)\n",
           wl, name, nreq, per, per > 1 ? "s" : "", (double)bytes / (double)nreq, clients,
           now_s() - g0);
    char mix[400] = "-";
    if (plan) {
        printf("  %zu consignments in flight; %zu untimed events first (the staggered start)\n",
               slots, prologue);
        supply_mix(plan, prologue, nplan, mix, sizeof mix);
    }
    fflush(stdout);

    client c;
    client_open(&c, o, clients, per_req != 0);
    tally warmt = {0};
    drive(&c, reqs, 0, warm, &warmt);

    tally t = {0};
    t.lat = xcalloc(nreq, sizeof *t.lat);
    proc_cpu *srv0 = xcalloc(2, sizeof *srv0), *srv1 = srv0 + 1;
    perf_command(o->perf_ctl, "enable");
    proc_cpu_read(o->server_pid, srv0);
    double cpu0 = self_cpu_s(), busy0 = machine_busy_s(), t0 = now_s();
    drive(&c, reqs, warm, nreq, &t);
    double wall = now_s() - t0, cpu = self_cpu_s() - cpu0, busy = machine_busy_s() - busy0;
    perf_command(o->perf_ctl, "disable");
    proc_cpu_read(o->server_pid, srv1);
    double srv = srv0->total >= 0 && srv1->total >= 0 ? srv1->total - srv0->total : -1;
    /* what neither this bench nor the server used: other processes' load */
    double others = busy0 >= 0 && srv >= 0 ? busy - cpu - srv : -1;
    char threads[600];
    unsigned workers = proc_cpu_diff(srv0, srv1, wall, threads, sizeof threads);
    free(srv0);

    bench_sort(t.lat, nreq);
    double p50 = bench_quantile(t.lat, nreq, 0.50) * 1e3,
           p99 = bench_quantile(t.lat, nreq, 0.99) * 1e3;
    double max = t.lat[nreq - 1] * 1e3;
    size_t nev = nreq * per;
    double eps = (double)t.events_ok / wall;
    unsigned long long errors = t.errors + warmt.errors;
    unsigned nc = srv_cores();
    printf("  %10.0f events/s  %8.1f requests/s  in %.2f s\n", eps, (double)nreq / wall, wall);
    printf("  latency per request: p50 %.1f ms, p99 %.1f ms, max %.1f ms; connections opened: "
           "%ld, then %ld while timed\n",
           p50, p99, max, warmt.connects, t.connects);
    if (plan)
        printf("  requests held back until an earlier one was answered: %lu untimed, %lu timed\n",
               warmt.dep_waits, t.dep_waits);
    printf("  client CPU %.2f s (%.0f%% of the %u cores' time)", cpu, 100 * cpu / (wall * nc), nc);
    if (srv >= 0)
        printf(", server CPU %.2f s (%.0f%%, %.1f us an event)", srv, 100 * srv / (wall * nc),
               srv * 1e6 / (double)nev);
    if (srv >= 0)
        printf("\n  server threads, CPU s: %s (%u HTTP worker%s busy)", threads, workers,
               workers == 1 ? "" : "s");
    if (others >= 0)
        printf("\n  other processes' CPU %.2f s (%.0f%% of the cores' time)", others,
               100 * others / (wall * nc));
    printf("\n  errors: %llu%s%s\n", errors, errors ? ", first: " : "",
           warmt.first_error[0] ? warmt.first_error : t.first_error);
    printf("result ingest.%s workload=%s events=%zu requests=%zu per_request=%u clients=%u "
           "seconds=%.3f events_per_s=%.0f p50_ms=%.2f p99_ms=%.2f max_ms=%.2f errors=%llu "
           "client_cpu_s=%.2f server_cpu_s=%.2f busy_workers=%u new_connections=%ld "
           "other_cpu_s=%.2f dep_waits=%lu untimed_events=%zu server_threads=%s mix=%s\n",
           name, wl, nev, nreq, per, clients, wall, eps, p50, p99, max, errors, cpu, srv, workers,
           t.connects, others, t.dep_waits, warm * per, srv >= 0 ? threads : "-", mix);
    fflush(stdout);

    client_close(&c);
    free(t.lat);
    free_requests(reqs, warm + nreq);
    ws_plan_free(plan, nplan);
    return errors ? -1 : 0;
}

/* The supply workload's registry: orgs with their keys, and places, in one
 * untimed batch signed by the coordinator. */
static int supply_setup(const ingest_opts *o, unsigned long long *sent)
{
    size_t n = 0;
    ws_event *ev = ws_setup(o->supply, &n);
    supply_src ss = {o->supply, ev};
    ev_source src = {supply_make, &ss};
    request *reqs = gen_requests(&src, 0, 1, (unsigned)n);
    client c;
    client_open(&c, o, 1, 1);
    tally t = {0};
    drive(&c, reqs, 0, 1, &t);
    client_close(&c);
    *sent += n;
    printf("ingest supply setup: %zu events (org.admit of 4 relief agencies, an inspector and 3 "
           "transporters, each with its key; place.define of 3 crossings, 4 warehouses, 12 "
           "distribution points), errors: %llu%s%s\n",
           n, t.errors, t.errors ? ", first: " : "", t.first_error);
    free_requests(reqs, 1);
    ws_plan_free(ev, n);
    return t.errors ? -1 : 0;
}

static int cmd_ingest(int argc, char **argv)
{
    static const struct option opts[] = {
        {"url", required_argument, 0, 'u'},          {"token", required_argument, 0, 't'},
        {"key", required_argument, 0, 'k'},          {"org", required_argument, 0, 'o'},
        {"workload", required_argument, 0, 'w'},     {"phases", required_argument, 0, 'p'},
        {"events", required_argument, 0, 'n'},       {"batch-events", required_argument, 0, 'N'},
        {"clients", required_argument, 0, 'c'},      {"batch-clients", required_argument, 0, 'C'},
        {"consignments", required_argument, 0, 'K'}, {"server-pid", required_argument, 0, 's'},
        {"perf-ctl", required_argument, 0, 'P'},     {0, 0, 0, 0}};
    ingest_opts o = {.slots = 6000};
    const char *keyfile = NULL, *phases = "single,100,500,1000", *workload = "registry";
    size_t events = 30000, batch_events = 100000;
    unsigned clients = 32, batch_clients = 4;
    int c;
    while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
        switch (c) {
        case 'u':
            o.url = optarg;
            break;
        case 't':
            o.token = optarg;
            break;
        case 'k':
            keyfile = optarg;
            break;
        case 'o':
            o.org = optarg;
            break;
        case 'w':
            workload = optarg;
            break;
        case 'p':
            phases = optarg;
            break;
        case 'n':
            events = strtoul(optarg, NULL, 10);
            break;
        case 'N':
            batch_events = strtoul(optarg, NULL, 10);
            break;
        case 'c':
            clients = (unsigned)strtoul(optarg, NULL, 10);
            break;
        case 'C':
            batch_clients = (unsigned)strtoul(optarg, NULL, 10);
            break;
        case 'K':
            o.slots = strtoul(optarg, NULL, 10);
            break;
        case 's':
            o.server_pid = strtol(optarg, NULL, 10);
            break;
        case 'P':
            o.perf_ctl = optarg;
            break;
        default:
            return 2;
        }
    }
    if (!o.url || !o.token || !keyfile || !o.org || !events || !batch_events || !clients ||
        !batch_clients)
        return fputs("cmcc-bench ingest: --url, --token, --key and --org are needed\n", stderr), 2;
    int supply = strcmp(workload, "supply") == 0;
    if (!supply && strcmp(workload, "registry") != 0)
        return fputs("cmcc-bench ingest: --workload is registry or supply\n", stderr), 2;
    log_key k = {0};
    cm_error err;
    if (log_key_load(keyfile, &k, &err)) return fprintf(stderr, "cmcc-bench: %s\n", err.message), 1;
    o.key = &k;
    /* ids unique across runs against the same log */
    char run[24];
    snprintf(run, sizeof run, "%llx", (unsigned long long)time_now_ms());
    o.run = run;

    int bad = 0;
    unsigned long long sent = 0;
    if (supply) {
        o.supply = ws_new(run, &k, o.org);
        bad = supply_setup(&o, &sent) != 0;
    }
    char *list = xstrdup(phases), *save = NULL;
    for (char *p = strtok_r(list, ",", &save); p && !bad; p = strtok_r(NULL, ",", &save)) {
        if (strcmp(p, "single") == 0) {
            bad |= phase(&o, 0, events, clients, &sent);
            continue;
        }
        char *end = NULL;
        unsigned long b = strtoul(p, &end, 10);
        if (*end || b < 1 || b > 1000) {
            fprintf(stderr, "cmcc-bench: phase %s: \"single\" or a batch size 1..1000\n", p);
            bad = 1;
            continue;
        }
        bad |= phase(&o, (unsigned)b, batch_events, batch_clients, &sent);
    }
    free(list);
    if (supply) printf("ingest supply: %llu consignments started\n", ws_consignments(o.supply));
    ws_free(o.supply);
    log_key_free(&k);
    /* every event sent, untimed ones included: the log should have grown by this */
    printf("result ingest.total workload=%s events=%llu\n", workload, sent);
    if (bad) printf("INVALID: some events were not appended (see errors above)\n");
    return bad ? 1 : 0;
}

int main(int argc, char **argv)
{
    static const char usage[] =
        "usage: cmcc-bench verify [--seconds S] [--threads N]\n"
        "       cmcc-bench ingest --url URL --token T --key PEM --org ORG\n"
        "                  [--workload registry|supply] [--phases single,100,500,1000]\n"
        "                  [--events N] [--batch-events N] [--clients C] [--batch-clients C]\n"
        "                  [--consignments K] [--server-pid PID] [--perf-ctl FIFO]\n";
    if (argc < 2) return fputs(usage, stderr), 2;
    if (sodium_init() < 0) return fputs("cmcc-bench: libsodium cannot start\n", stderr), 1;
    setvbuf(stdout, NULL, _IOLBF, 0);
    int rc = 2;
    if (strcmp(argv[1], "verify") == 0) {
        rc = cmd_verify(argc - 1, argv + 1);
    } else if (strcmp(argv[1], "ingest") == 0) {
        curl_global_init(CURL_GLOBAL_DEFAULT);
        rc = cmd_ingest(argc - 1, argv + 1);
        curl_global_cleanup();
    }
    if (rc == 2) fputs(usage, stderr);
    return rc;
}
