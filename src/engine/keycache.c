/*
 * keycache.c: public keys by keyid, in memory, for the pool threads that
 * check requests (item.c) and for the replay.
 *
 * A key's public bytes never change once registered (revocation is a
 * status, which the sequencer checks), so a key found once in the store can
 * be kept. Lookups that miss go to the calling thread's read connection and
 * fill the cache. The table is open-addressed, grows by doubling, and is
 * read under a read lock: many threads look keys up at once.
 */
#include "engine/engine.h"

#include "common/mem.h"

#include <pthread.h>

#include <string.h>

typedef struct {
    char keyid[LOG_KEYID_LEN + 1];
    uint8_t pub[LOG_PUBKEY_SIZE];
} slot;

struct srv_keycache {
    pthread_rwlock_t lock;
    slot *slots;
    size_t cap, n; /* cap is a power of two */
};

srv_keycache *srv_keycache_new(void)
{
    srv_keycache *c = xcalloc(1, sizeof *c);
    pthread_rwlock_init(&c->lock, NULL);
    c->cap = 1024;
    c->slots = xcalloc(c->cap, sizeof *c->slots);
    return c;
}

void srv_keycache_free(srv_keycache *c)
{
    if (!c) return;
    pthread_rwlock_destroy(&c->lock);
    free(c->slots);
    free(c);
}

static size_t hash(const char *keyid)
{
    size_t h = 0;
    for (int i = 0; i < 16 && keyid[i]; i++) h = h * 31 + (unsigned char)keyid[i];
    return h;
}

static slot *find(slot *slots, size_t cap, const char *keyid)
{
    for (size_t i = hash(keyid) & (cap - 1);; i = (i + 1) & (cap - 1))
        if (!slots[i].keyid[0] || strcmp(slots[i].keyid, keyid) == 0) return &slots[i];
}

void srv_keycache_put(srv_keycache *c, const char *keyid, const uint8_t pub[LOG_PUBKEY_SIZE])
{
    pthread_rwlock_wrlock(&c->lock);
    if ((c->n + 1) * 2 > c->cap) {
        size_t cap = c->cap * 2;
        slot *s = xcalloc(cap, sizeof *s);
        for (size_t i = 0; i < c->cap; i++)
            if (c->slots[i].keyid[0]) *find(s, cap, c->slots[i].keyid) = c->slots[i];
        free(c->slots);
        c->slots = s;
        c->cap = cap;
    }
    slot *s = find(c->slots, c->cap, keyid);
    if (!s->keyid[0]) {
        memcpy(s->keyid, keyid, LOG_KEYID_LEN + 1);
        memcpy(s->pub, pub, LOG_PUBKEY_SIZE);
        c->n++;
    }
    pthread_rwlock_unlock(&c->lock);
}

int srv_keycache_get(srv_keycache *c, store *reader, const char *keyid,
                     uint8_t pub[LOG_PUBKEY_SIZE])
{
    pthread_rwlock_rdlock(&c->lock);
    slot *s = find(c->slots, c->cap, keyid);
    int hit = s->keyid[0] != 0;
    if (hit) memcpy(pub, s->pub, LOG_PUBKEY_SIZE);
    pthread_rwlock_unlock(&c->lock);
    if (hit) return 1;
    if (!reader) return 0;
    ev_view v;
    store_view(reader, &v);
    ev_key_state ks;
    if (v.key(v.ctx, keyid, &ks) != 1) return 0;
    memcpy(pub, ks.pub, LOG_PUBKEY_SIZE);
    srv_keycache_put(c, keyid, pub);
    return 1;
}
