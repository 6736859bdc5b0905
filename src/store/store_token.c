/*
 * store_token.c: read tokens. Only a token's SHA-256 is kept; its id (the
 * first 12 hex digits of that hash) names it for listing and revoking.
 */
#include "store/store_int.h"

#include "common/codec.h"

#include <string.h>

int store_token_add(store *s, const uint8_t hash[32], const char *org, int64_t now_ms,
                    char id[STORE_TOKEN_ID_LEN + 1], cm_error *err)
{
    char hex[65];
    hex_encode(hash, 32, hex);
    memcpy(id, hex, STORE_TOKEN_ID_LEN);
    id[STORE_TOKEN_ID_LEN] = '\0';
    sqlite3_stmt *st = store_stmt(
        s, SQ_TOKEN_PUT, "INSERT INTO tokens(id, hash, org, created) VALUES(?,?,?,?)", err);
    if (!st) return -1;
    sqlite3_bind_text(st, 1, id, -1, SQLITE_STATIC);
    sqlite3_bind_blob(st, 2, hash, 32, SQLITE_STATIC);
    sqlite3_bind_text(st, 3, org, -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 4, now_ms);
    if (sqlite3_step(st) != SQLITE_DONE) return store_fail(s, err, "add token");
    return 0;
}

int store_token_revoke(store *s, const char *id, int64_t now_ms, cm_error *err)
{
    sqlite3_stmt *st = store_stmt(
        s, SQ_TOKEN_REVOKE, "UPDATE tokens SET revoked=? WHERE id=? AND revoked IS NULL", err);
    if (!st) return -1;
    sqlite3_bind_int64(st, 1, now_ms);
    sqlite3_bind_text(st, 2, id, -1, SQLITE_STATIC);
    if (sqlite3_step(st) != SQLITE_DONE) return store_fail(s, err, "revoke token");
    return sqlite3_changes(s->db) > 0;
}

int store_token_org(store *s, const uint8_t hash[32], char org[EV_ID_MAX + 1], cm_error *err)
{
    sqlite3_stmt *st =
        store_stmt(s, SQ_TOKEN_ORG, "SELECT org FROM tokens WHERE hash=? AND revoked IS NULL", err);
    if (!st) return -1;
    sqlite3_bind_blob(st, 1, hash, 32, SQLITE_STATIC);
    int rc = sqlite3_step(st);
    if (rc == SQLITE_DONE) return 0;
    if (rc != SQLITE_ROW) return store_fail(s, err, "token");
    snprintf(org, EV_ID_MAX + 1, "%s", (const char *)sqlite3_column_text(st, 0));
    sqlite3_reset(st);
    return 1;
}

int store_tokens_json(store *s, cm_buf *out, cm_error *err)
{
    return store_json(s,
                      "SELECT json_group_array(json_object('id', id, 'org', org, 'created', "
                      "created, 'revoked', revoked)) FROM (SELECT * FROM tokens ORDER BY created)",
                      NULL, 0, out, err);
}
