/*
 * store_witness.c: a witness's own store (not a log's): the logs it
 * witnesses and, for each, the newest checkpoint it cosigned.
 *
 *   witness_logs(origin, vkey, size, root, note, updated)
 *
 * The witness keeps its promise only while this survives: it never cosigns
 * a checkpoint that is not a consistent extension of the one recorded here,
 * and records the new one (synchronously, in a transaction with the check)
 * before answering.
 */
#include "store/store_int.h"

#include "common/mem.h"

#include <string.h>
#include <unistd.h>

static const char schema[] =
    "CREATE TABLE meta(key TEXT PRIMARY KEY, value TEXT NOT NULL) WITHOUT ROWID;\n"
    "CREATE TABLE witness_logs(origin TEXT PRIMARY KEY, vkey TEXT NOT NULL,\n"
    "  size INTEGER NOT NULL DEFAULT 0, root BLOB, note TEXT, updated INTEGER)\n"
    "  WITHOUT ROWID;\n"
    "INSERT INTO meta VALUES('schema', 'witness-1');\n";

int store_witness_create(const char *path, cm_error *err)
{
    if (access(path, F_OK) == 0) return cm_fail(err, CM_CONFLICT, "", "%s already exists", path);
    sqlite3 *db = NULL;
    int rc = sqlite3_open_v2(path, &db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, NULL);
    if (rc == SQLITE_OK)
        rc =
            sqlite3_exec(db, "PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL;", NULL, NULL, NULL);
    if (rc == SQLITE_OK) rc = sqlite3_exec(db, schema, NULL, NULL, NULL);
    if (rc != SQLITE_OK)
        cm_fail(err, CM_INTERNAL, "", "cannot create %s: %s", path,
                db ? sqlite3_errmsg(db) : "out of memory");
    sqlite3_close(db);
    return rc == SQLITE_OK ? 0 : -1;
}

store *store_witness_open(const char *path, cm_error *err)
{
    if (access(path, F_OK) != 0) {
        cm_fail(err, CM_NOT_FOUND, "", "no witness store at %s: run `cmcc witness init`", path);
        return NULL;
    }
    store *s = xcalloc(1, sizeof *s);
    s->mode = STORE_ADMIN;
    if (sqlite3_open_v2(path, &s->db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX, NULL) !=
            SQLITE_OK ||
        store_exec(s, "PRAGMA synchronous=FULL; PRAGMA journal_mode=WAL;", err)) {
        if (err && err->code == CM_OK) store_fail(s, err, path);
        store_close(s);
        return NULL;
    }
    sqlite3_busy_timeout(s->db, 5000);
    return s;
}

int store_witness_add_log(store *s, const char *origin, const char *vkey, cm_error *err)
{
    store_arg args[] = {STORE_TEXT(origin), STORE_TEXT(vkey)};
    sqlite3_stmt *st = store_query(
        s,
        "INSERT INTO witness_logs(origin, vkey) VALUES(?1, ?2) ON CONFLICT(origin) DO UPDATE "
        "SET vkey = excluded.vkey",
        args, 2, err);
    if (!st) return -1;
    int rc = sqlite3_step(st);
    sqlite3_finalize(st);
    return rc == SQLITE_DONE ? 0 : store_fail(s, err, "add log");
}

int store_witness_get(store *s, const char *origin, char **vkey, uint64_t *size, log_hash *root,
                      cm_error *err)
{
    store_arg args[] = {STORE_TEXT(origin)};
    sqlite3_stmt *st =
        store_query(s, "SELECT vkey, size, root FROM witness_logs WHERE origin = ?1", args, 1, err);
    if (!st) return -1;
    int rc = sqlite3_step(st), found = 0;
    if (rc == SQLITE_ROW) {
        *vkey = xstrdup((const char *)sqlite3_column_text(st, 0));
        *size = (uint64_t)sqlite3_column_int64(st, 1);
        if (sqlite3_column_bytes(st, 2) == LOG_HASH_SIZE)
            memcpy(root->b, sqlite3_column_blob(st, 2), LOG_HASH_SIZE);
        else
            log_empty_root(root);
        found = 1;
    }
    sqlite3_finalize(st);
    if (rc != SQLITE_ROW && rc != SQLITE_DONE) return store_fail(s, err, "witness log");
    return found;
}

int store_witness_advance(store *s, const char *origin, uint64_t old_size, uint64_t size,
                          const log_hash *root, const char *note, int64_t now_ms, cm_error *err)
{
    store_arg args[] = {STORE_INT((int64_t)size), STORE_TEXT(note), STORE_INT(now_ms),
                        STORE_TEXT(origin), STORE_INT((int64_t)old_size)};
    sqlite3_stmt *st = store_query(s,
                                   "UPDATE witness_logs SET size = ?1, root = ?6, note = ?2, "
                                   "updated = ?3 WHERE origin = ?4 AND size = ?5",
                                   args, 5, err);
    if (!st) return -1;
    sqlite3_bind_blob(st, 6, root->b, LOG_HASH_SIZE, SQLITE_STATIC);
    int rc = sqlite3_step(st);
    sqlite3_finalize(st);
    if (rc != SQLITE_DONE) return store_fail(s, err, "advance");
    return sqlite3_changes(s->db) == 1 ? 0 : cm_fail(err, CM_CONFLICT, "", "the witness moved on");
}

int store_witness_each(store *s, store_witness_fn fn, void *ctx, cm_error *err)
{
    sqlite3_stmt *st =
        store_query(s, "SELECT origin, vkey, size FROM witness_logs ORDER BY origin", NULL, 0, err);
    if (!st) return -1;
    int rc, stop = 0;
    while (!stop && (rc = sqlite3_step(st)) == SQLITE_ROW)
        stop = fn(ctx, (const char *)sqlite3_column_text(st, 0),
                  (const char *)sqlite3_column_text(st, 1), (uint64_t)sqlite3_column_int64(st, 2));
    sqlite3_finalize(st);
    if (!stop && rc != SQLITE_DONE) return store_fail(s, err, "witness logs");
    return stop;
}
