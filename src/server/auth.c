/*
 * auth.c: bearer tokens for reads (docs/protocol.md section 5).
 *
 * A request names its token in "Authorization: Bearer <token>" (GET
 * /v1/feed also as ?token=, for a browser's EventSource: h_feed.c, which
 * calls srv_auth_token). The store
 * keeps only SHA-256(token); a token is valid while it is not revoked and
 * its org is not suspended, and a device token (h_device.c) while the key
 * it was issued to is not revoked either. No token or an unknown one is
 * `unauthorized`; a token of a suspended org is `forbidden`; a device
 * token whose key was revoked is `key_revoked`.
 *
 * What the store said of a valid token (its org, whether that org is
 * suspended, whether its device key is revoked) is remembered for
 * AUTH_TTL_MS in a small table indexed by the token's hash, so that a
 * client sending one event a request does not cost two store lookups a
 * request. The syncer forgets it all once a batch that suspends or
 * reinstates an org, or revokes a key, is durable, so these count from
 * their answer on; a token revoked
 * (`cmcc token revoke`, another process) may still be honoured for up to
 * AUTH_TTL_MS. An unknown token is never remembered: a new one works at
 * once.
 */
#include "server/srv_int.h"

#include "common/mem.h"
#include "common/timeutil.h"

#include <sodium.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define AUTH_TTL_MS 1000
#define AUTH_SLOTS  256

typedef struct {
    uint8_t hash[crypto_hash_sha256_BYTES];
    char org[EV_ID_MAX + 1];
    int suspended;
    int key_revoked; /* a device token whose key was revoked */
    int64_t until;   /* monotonic ms; 0 when the slot is empty */
} auth_slot;

struct srv_authcache {
    pthread_mutex_t mu;
    uint64_t clears; /* how many times it was cleared: an answer read from
                        the store before a clear is not remembered after it */
    auth_slot slot[AUTH_SLOTS];
};

srv_authcache *srv_authcache_new(void)
{
    srv_authcache *c = xcalloc(1, sizeof *c);
    pthread_mutex_init(&c->mu, NULL);
    return c;
}

void srv_authcache_free(srv_authcache *c)
{
    if (!c) return;
    pthread_mutex_destroy(&c->mu);
    free(c);
}

void srv_authcache_clear(srv_authcache *c)
{
    if (!c) return;
    pthread_mutex_lock(&c->mu);
    for (size_t i = 0; i < AUTH_SLOTS; i++) c->slot[i].until = 0;
    c->clears++;
    pthread_mutex_unlock(&c->mu);
}

/* What is known of a valid token. */
typedef struct {
    int suspended;
    int key_revoked;
} standing;

/* 1 with what was remembered of hash, 0 when nothing (or too old); OUT:
 * *clears, the count of clears so far, to give back to remember(). */
static int remembered(srv_authcache *c, const uint8_t *hash, char *org, standing *st,
                      uint64_t *clears)
{
    *clears = 0;
    if (!c) return 0;
    auth_slot *sl = &c->slot[hash[0]];
    int found = 0;
    pthread_mutex_lock(&c->mu);
    if (sl->until > time_mono_ms() && memcmp(sl->hash, hash, sizeof sl->hash) == 0) {
        memcpy(org, sl->org, sizeof sl->org);
        st->suspended = sl->suspended;
        st->key_revoked = sl->key_revoked;
        found = 1;
    }
    *clears = c->clears;
    pthread_mutex_unlock(&c->mu);
    return found;
}

/* Remembers what the store said of hash, unless the cache was cleared since
 * clears was read (a suspension or revocation made durable meanwhile). */
static void remember(srv_authcache *c, const uint8_t *hash, const char *org, const standing *st,
                     uint64_t clears)
{
    if (!c) return;
    auth_slot *sl = &c->slot[hash[0]];
    pthread_mutex_lock(&c->mu);
    if (c->clears != clears) {
        pthread_mutex_unlock(&c->mu);
        return;
    }
    memcpy(sl->hash, hash, sizeof sl->hash);
    snprintf(sl->org, sizeof sl->org, "%s", org);
    sl->suspended = st->suspended;
    sl->key_revoked = st->key_revoked;
    sl->until = time_mono_ms() + AUTH_TTL_MS;
    pthread_mutex_unlock(&c->mu);
}

/* Whom the token is for: 1 (org, st set), 0 unknown, -1 no store. */
static int lookup(srv *s, const uint8_t *hash, char *org, standing *st)
{
    uint64_t clears;
    if (remembered(s->auth, hash, org, st, &clears)) return 1;
    store *rd = srv_reader(s);
    cm_error err;
    char keyid[LOG_KEYID_LEN + 1];
    int found = rd ? store_token_find(rd, hash, org, keyid, &err) : -1;
    if (found != 1) return found;
    ev_view v;
    store_view(rd, &v);
    ev_org_state os;
    int r = v.org(v.ctx, org, &os);
    if (r < 0) return -1;
    st->suspended = r == 1 && os.suspended;
    st->key_revoked = 0;
    if (keyid[0]) {
        ev_key_state ks;
        r = v.key(v.ctx, keyid, &ks);
        if (r < 0) return -1;
        st->key_revoked = r == 0 || ks.revoked;
    }
    remember(s->auth, hash, org, st, clears);
    return 1;
}

int srv_auth(srv_req *q, srv_resp *r)
{
    const char *h = MHD_lookup_connection_value(q->conn, MHD_HEADER_KIND, "Authorization");
    if (!h || strncasecmp(h, "Bearer ", 7) != 0 || !h[7]) {
        srv_errorf(r, CM_UNAUTHORIZED, "",
                   "this needs a token: send \"Authorization: Bearer <token>\" (the operator "
                   "issues tokens with `cmcc token create`)");
        return -1;
    }
    return srv_auth_token(q, h + 7, r);
}

int srv_auth_token(srv_req *q, const char *token, srv_resp *r)
{
    uint8_t hash[crypto_hash_sha256_BYTES];
    crypto_hash_sha256(hash, (const unsigned char *)token, strlen(token));
    standing st = {0, 0};
    int found = lookup(q->s, hash, q->org, &st);
    if (found < 0) return srv_unavailable(r), -1;
    if (found == 0) {
        srv_errorf(r, CM_UNAUTHORIZED, "", "the token is unknown or revoked");
        return -1;
    }
    if (st.suspended) {
        srv_errorf(r, CM_FORBIDDEN, "", "the token's organization \"%s\" is suspended", q->org);
        return -1;
    }
    if (st.key_revoked) {
        srv_errorf(r, CM_KEY_REVOKED, "",
                   "this device's key was revoked, and its token with it: its waiting events "
                   "cannot be sent (the organization's administrator can enrol a new key)");
        return -1;
    }
    return 0;
}
