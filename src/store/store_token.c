/*
 * store_token.c: read tokens. Only a token's SHA-256 is kept; its id (the
 * first 12 hex digits of that hash) names it for listing and revoking.
 *
 * A token is "cmcc_" and 43 characters of URL-safe base64 without padding
 * (32 random bytes), shown once to whoever asked for it. An operator's
 * token (`cmcc token create`) belongs to an org; a device token
 * (POST /v1/device/token) also names the device key it was issued to
 * (keyid), and a key keeps at most STORE_DEVICE_TOKENS of them: issuing
 * another deletes the oldest, so that a device asking again and again
 * cannot grow the table. A device token also keeps the time of the signed
 * request it answered (asked): a key's next request must be later, so that
 * a request seen on the wire cannot be sent again for a token of its own.
 */
#include "store/pg_int.h"

#include "common/codec.h"

#include <sodium.h>
#include <string.h>

/* 1 when keyid was answered a request at asked_ms or later, else 0. */
static int asked_before(store *s, const char *keyid, int64_t asked_ms, cm_error *err)
{
    sqlite3_stmt *st = store_stmt(
        s, SQ_TOKEN_ASKED, "SELECT 1 FROM tokens WHERE keyid = ? AND asked >= ? LIMIT 1", err);
    if (!st) return -1;
    sqlite3_bind_text(st, 1, keyid, -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 2, asked_ms);
    int rc = sqlite3_step(st);
    sqlite3_reset(st);
    if (rc != SQLITE_ROW && rc != SQLITE_DONE) return store_fail(s, err, "read a key's tokens");
    return rc == SQLITE_ROW;
}

/* Inserts the token's hash; with keyid, then keeps that key's newest
 * STORE_DEVICE_TOKENS only. Inside the caller's transaction. */
static int put(store *s, const uint8_t hash[32], const char *id, const char *org, const char *keyid,
               int64_t asked_ms, int64_t now_ms, cm_error *err)
{
    sqlite3_stmt *st = store_stmt(
        s, SQ_TOKEN_PUT,
        "INSERT INTO tokens(id, hash, org, created, keyid, asked) VALUES(?,?,?,?,?,?)", err);
    if (!st) return -1;
    sqlite3_bind_text(st, 1, id, -1, SQLITE_STATIC);
    sqlite3_bind_blob(st, 2, hash, 32, SQLITE_STATIC);
    sqlite3_bind_text(st, 3, org, -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 4, now_ms);
    store_bind_text(st, 5, keyid);
    if (keyid)
        sqlite3_bind_int64(st, 6, asked_ms);
    else
        sqlite3_bind_null(st, 6);
    if (store_step_done_as(s, st, "add token", err)) return -1;
    if (!keyid) return 0;
    st = store_stmt(s, SQ_TOKEN_PRUNE,
                    "DELETE FROM tokens WHERE keyid = ?1 AND id NOT IN (SELECT id FROM tokens "
                    "WHERE keyid = ?1 ORDER BY created DESC, rowid DESC LIMIT ?2)",
                    err);
    if (!st) return -1;
    sqlite3_bind_text(st, 1, keyid, -1, SQLITE_STATIC);
    sqlite3_bind_int(st, 2, STORE_DEVICE_TOKENS);
    return store_step_done_as(s, st, "prune device tokens", err);
}

int store_token_new(store *s, const char *org, const char *keyid, int64_t asked_ms, int64_t now_ms,
                    char token[STORE_TOKEN_MAX], char id[STORE_TOKEN_ID_LEN + 1], cm_error *err)
{
    uint8_t raw[32], hash[32];
    randombytes_buf(raw, sizeof raw);
    memcpy(token, "cmcc_", 5);
    sodium_bin2base64(token + 5, STORE_TOKEN_MAX - 5, raw, sizeof raw,
                      sodium_base64_VARIANT_URLSAFE_NO_PADDING);
    sodium_memzero(raw, sizeof raw);
    crypto_hash_sha256(hash, (const unsigned char *)token, strlen(token));
    char hex[65];
    hex_encode(hash, 32, hex);
    memcpy(id, hex, STORE_TOKEN_ID_LEN);
    id[STORE_TOKEN_ID_LEN] = '\0';
    if (s->pg) return pg_token_new(s->pg, hash, id, org, keyid, asked_ms, now_ms, err);
    if (store_begin(s, err)) return -1;
    int used = keyid ? asked_before(s, keyid, asked_ms, err) : 0;
    if (used) {
        store_rollback(s);
        return used;
    }
    if (put(s, hash, id, org, keyid, asked_ms, now_ms, err) || store_commit(s, err)) {
        store_rollback(s);
        return -1;
    }
    return 0;
}

int store_token_revoke(store *s, const char *id, int64_t now_ms, cm_error *err)
{
    if (s->pg) return pg_token_revoke(s->pg, id, now_ms, err);
    sqlite3_stmt *st = store_stmt(
        s, SQ_TOKEN_REVOKE, "UPDATE tokens SET revoked=? WHERE id=? AND revoked IS NULL", err);
    if (!st) return -1;
    sqlite3_bind_int64(st, 1, now_ms);
    sqlite3_bind_text(st, 2, id, -1, SQLITE_STATIC);
    if (sqlite3_step(st) != SQLITE_DONE) return store_fail(s, err, "revoke token");
    return sqlite3_changes(s->db) > 0;
}

int store_token_find(store *s, const uint8_t hash[32], char org[EV_ID_MAX + 1],
                     char keyid[LOG_KEYID_LEN + 1], cm_error *err)
{
    if (s->pg) return pg_token_find(s->pg, hash, org, keyid, err);
    sqlite3_stmt *st = store_stmt(
        s, SQ_TOKEN_ORG, "SELECT org, keyid FROM tokens WHERE hash=? AND revoked IS NULL", err);
    if (!st) return -1;
    sqlite3_bind_blob(st, 1, hash, 32, SQLITE_STATIC);
    int rc = sqlite3_step(st);
    if (rc == SQLITE_DONE) return 0;
    if (rc != SQLITE_ROW) return store_fail(s, err, "token");
    snprintf(org, EV_ID_MAX + 1, "%s", (const char *)sqlite3_column_text(st, 0));
    const unsigned char *k = sqlite3_column_text(st, 1);
    snprintf(keyid, LOG_KEYID_LEN + 1, "%s", k ? (const char *)k : "");
    sqlite3_reset(st);
    return 1;
}

int store_tokens_each(store *s, store_token_fn fn, void *ctx, cm_error *err)
{
    if (s->pg) return pg_tokens_each(s->pg, fn, ctx, err);
    sqlite3_stmt *st = store_query(
        s, "SELECT id, org, keyid, created, revoked FROM tokens ORDER BY created, rowid", NULL, 0,
        err);
    if (!st) return -1;
    int rc, stop = 0;
    while (!stop && (rc = sqlite3_step(st)) == SQLITE_ROW)
        stop = fn(ctx, (const char *)sqlite3_column_text(st, 0),
                  (const char *)sqlite3_column_text(st, 1),
                  (const char *)sqlite3_column_text(st, 2), sqlite3_column_int64(st, 3),
                  sqlite3_column_type(st, 4) == SQLITE_NULL ? -1 : sqlite3_column_int64(st, 4));
    sqlite3_finalize(st);
    if (!stop && rc != SQLITE_DONE) return store_fail(s, err, "tokens");
    return stop;
}
