/*
 * pg_token.c: read tokens on PostgreSQL, as store_token.c keeps them on
 * SQLite (only a token's SHA-256; a device key keeps its newest
 * STORE_DEVICE_TOKENS; a device's request must be later than the last it
 * was answered). store_token_new makes the token and its hash; this file
 * stores it. tokens.seq orders tokens of the same millisecond.
 */
#include "store/pg_int.h"

#include <stdio.h>
#include <string.h>

int pg_token_new(pg_store *p, const uint8_t hash[32], const char *id, const char *org,
                 const char *keyid, int64_t asked_ms, int64_t now_ms, cm_error *err)
{
    if (pg_begin(p, err)) return -1;
    if (keyid) {
        /* a lock on the key's rows, so that two requests of one key at once
         * are judged one after the other */
        pg_params k = {0};
        pg_text(&k, keyid);
        if (pg_do(p, "SELECT pg_advisory_xact_lock(hashtext($1))", &k, "lock a key's tokens", err))
            goto fail;
        pg_params a = {0};
        pg_text(&a, keyid);
        pg_int(&a, asked_ms);
        PGresult *r;
        int used =
            pg_row(p, "SELECT 1 FROM tokens WHERE keyid = $1 AND asked >= $2 LIMIT 1", &a, &r, err);
        if (used < 0) goto fail;
        if (used) {
            PQclear(r);
            pg_rollback(p);
            return 1;
        }
    }
    pg_params a = {0};
    pg_text(&a, id);
    pg_bytes(&a, hash, 32);
    pg_text(&a, org);
    pg_int(&a, now_ms);
    pg_text(&a, keyid);
    if (keyid)
        pg_int(&a, asked_ms);
    else
        pg_null(&a);
    if (pg_do(p,
              "INSERT INTO tokens(id, hash, org, created, keyid, asked) "
              "VALUES($1, $2, $3, $4, $5, $6)",
              &a, "add token", err))
        goto fail;
    if (keyid) {
        pg_params d = {0};
        pg_text(&d, keyid);
        pg_int(&d, STORE_DEVICE_TOKENS);
        if (pg_do(p,
                  "DELETE FROM tokens WHERE keyid = $1 AND id NOT IN (SELECT id FROM tokens "
                  "WHERE keyid = $1 ORDER BY created DESC, seq DESC LIMIT $2)",
                  &d, "prune device tokens", err))
            goto fail;
    }
    if (pg_commit(p, err)) goto fail;
    return 0;
fail:
    pg_rollback(p);
    return -1;
}

int pg_token_revoke(pg_store *p, const char *id, int64_t now_ms, cm_error *err)
{
    pg_params a = {0};
    pg_int(&a, now_ms);
    pg_text(&a, id);
    if (pg_do(p, "UPDATE tokens SET revoked = $1 WHERE id = $2 AND revoked IS NULL", &a,
              "revoke token", err))
        return -1;
    return p->affected > 0;
}

int pg_token_find(pg_store *p, const uint8_t hash[32], char org[EV_ID_MAX + 1],
                  char keyid[LOG_KEYID_LEN + 1], cm_error *err)
{
    pg_params a = {0};
    pg_bytes(&a, hash, 32);
    PGresult *r;
    int found =
        pg_row(p, "SELECT org, keyid FROM tokens WHERE hash = $1 AND revoked IS NULL", &a, &r, err);
    if (found != 1) return found;
    snprintf(org, EV_ID_MAX + 1, "%s", PQgetvalue(r, 0, 0));
    const char *k = pg_s(r, 0, 1);
    snprintf(keyid, LOG_KEYID_LEN + 1, "%s", k ? k : "");
    PQclear(r);
    return 1;
}

typedef struct {
    store_token_fn fn;
    void *ctx;
} token_each;

static int token_row(void *ctx, const PGresult *r, int i)
{
    const token_each *t = ctx;
    return t->fn(t->ctx, pg_s(r, i, 0), pg_s(r, i, 1), pg_s(r, i, 2), pg_i(r, i, 3, 0),
                 pg_i(r, i, 4, -1));
}

int pg_tokens_each(pg_store *p, store_token_fn fn, void *ctx, cm_error *err)
{
    token_each t = {fn, ctx};
    return pg_rows(p, "SELECT id, org, keyid, created, revoked FROM tokens ORDER BY created, seq",
                   NULL, token_row, &t, err);
}
