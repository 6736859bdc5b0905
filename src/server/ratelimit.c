/*
 * ratelimit.c: a configured rate of events per second per client address
 * (serve --rate, or rate.events_per_second in cmcc.conf), answered 429
 * rate_limited with Retry-After past it.
 *
 * A token bucket per address: it refills at `rate` tokens a second up to
 * `burst`, and a request of n events takes n tokens or is refused whole.
 * A request of more events than `burst` is taken once the bucket is full,
 * leaving it in debt (else it would be told to retry after a wait that can
 * never be enough).
 * Buckets live in a fixed table of 4,096 slots hashed by address; a slot
 * taken by another address is reclaimed once that bucket is full again
 * (its client idle), else the two addresses share it, which only ever makes
 * the limit stricter. Memory stays fixed whatever the number of clients.
 */
#include "server/srv_int.h"

#include "common/timeutil.h"

#include <arpa/inet.h>
#include <math.h>
#include <netinet/in.h>
#include <string.h>

#define SLOTS 4096

typedef struct {
    uint8_t addr[16];
    int used;
    double tokens;
    int64_t last_ms;
} bucket;

struct srv_limiter {
    pthread_mutex_t mu;
    double rate, burst;
    bucket slots[SLOTS];
};

srv_limiter *srv_limiter_new(double rate, double burst)
{
    srv_limiter *l = xcalloc(1, sizeof *l);
    pthread_mutex_init(&l->mu, NULL);
    l->rate = rate;
    l->burst = burst;
    return l;
}

void srv_limiter_free(srv_limiter *l)
{
    if (!l) return;
    pthread_mutex_destroy(&l->mu);
    free(l);
}

static void key_of(const struct sockaddr *sa, uint8_t key[16])
{
    memset(key, 0, 16);
    if (sa && sa->sa_family == AF_INET)
        memcpy(key, &((const struct sockaddr_in *)sa)->sin_addr, 4);
    else if (sa && sa->sa_family == AF_INET6)
        memcpy(key, &((const struct sockaddr_in6 *)sa)->sin6_addr, 16);
}

int srv_limiter_take(srv_limiter *l, const struct sockaddr *sa, unsigned n, int *retry_after)
{
    if (!l || l->rate <= 0) return 0;
    uint8_t key[16];
    key_of(sa, key);
    uint32_t h = 2166136261u; /* FNV-1a */
    for (int i = 0; i < 16; i++) h = (h ^ key[i]) * 16777619u;
    int64_t now = time_mono_ms();
    pthread_mutex_lock(&l->mu);
    bucket *b = &l->slots[h % SLOTS];
    double tokens = b->used ? b->tokens + (double)(now - b->last_ms) * l->rate / 1000.0 : l->burst;
    if (tokens > l->burst) tokens = l->burst;
    if (b->used && memcmp(b->addr, key, 16) != 0 && tokens >= l->burst) b->used = 0;
    if (!b->used) {
        memcpy(b->addr, key, 16);
        b->used = 1;
        tokens = l->burst;
    }
    b->last_ms = now;
    double need = (double)n > l->burst ? l->burst : (double)n;
    int ok = tokens >= need;
    if (ok) tokens -= (double)n;
    b->tokens = tokens;
    pthread_mutex_unlock(&l->mu);
    if (!ok && retry_after) {
        *retry_after = (int)ceil((need - tokens) / l->rate);
        if (*retry_after < 1) *retry_after = 1;
    }
    return ok ? 0 : -1;
}
