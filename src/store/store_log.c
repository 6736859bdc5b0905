/*
 * store_log.c: the entries, the tree's stored hashes and the checkpoints.
 *
 * hashes.key = level << 56 | index: one integer key, so that a node is one
 * B-tree lookup and the nodes of a tile (same level, consecutive indexes)
 * are adjacent rows.
 */
#include "store/pg_int.h"

#include "common/mem.h"

#include <string.h>

#define HASH_KEY(level, index) ((sqlite3_int64)(((uint64_t)(level) << 56) | (index)))

int store_size(store *s, uint64_t *size, cm_error *err)
{
    if (s->pg) return pg_size(s->pg, size, err);
    sqlite3_stmt *st = store_stmt(s, SQ_SIZE, "SELECT coalesce(max(idx) + 1, 0) FROM entries", err);
    if (!st) return -1;
    if (sqlite3_step(st) != SQLITE_ROW) return store_fail(s, err, "size");
    *size = (uint64_t)sqlite3_column_int64(st, 0);
    sqlite3_reset(st);
    return 0;
}

int store_append(store *s, uint64_t idx, const char *entry, size_t len, const char *org,
                 const char *id, const char *type, cm_error *err)
{
    if (s->pg) return pg_append(s->pg, idx, entry, len, org, id, type, err);
    sqlite3_stmt *st = store_stmt(
        s, SQ_ENTRY_PUT, "INSERT INTO entries(idx, entry, org, id, type) VALUES(?,?,?,?,?)", err);
    if (!st) return -1;
    sqlite3_bind_int64(st, 1, (sqlite3_int64)idx);
    sqlite3_bind_blob(st, 2, entry, (int)len, SQLITE_STATIC);
    sqlite3_bind_text(st, 3, org, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 4, id, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 5, type, -1, SQLITE_STATIC);
    if (sqlite3_step(st) != SQLITE_DONE) return store_fail(s, err, "append entry");
    return 0;
}

int store_entry(store *s, uint64_t idx, char **entry, size_t *len, cm_error *err)
{
    if (s->pg) return pg_entry(s->pg, idx, entry, len, err);
    sqlite3_stmt *st = store_stmt(s, SQ_ENTRY_GET, "SELECT entry FROM entries WHERE idx=?", err);
    if (!st) return -1;
    sqlite3_bind_int64(st, 1, (sqlite3_int64)idx);
    int rc = sqlite3_step(st);
    if (rc == SQLITE_DONE) return 0;
    if (rc != SQLITE_ROW) return store_fail(s, err, "entry");
    *len = (size_t)sqlite3_column_bytes(st, 0);
    *entry = xstrndup(sqlite3_column_blob(st, 0), *len);
    sqlite3_reset(st);
    return 1;
}

/* Runs st, whose rows are (idx, entry) with the range [from, from +
 * count) bound first and, when types is set, the types as a JSON array
 * third; fn for each row, as store_entries. */
static int each_entry(store *s, sqlite3_stmt *st, uint64_t from, uint64_t count,
                      const cm_buf *types, store_entry_fn fn, void *ctx, cm_error *err)
{
    if (!st) return -1;
    sqlite3_bind_int64(st, 1, (sqlite3_int64)from);
    sqlite3_bind_int64(st, 2, (sqlite3_int64)(from + count));
    if (types) sqlite3_bind_text(st, 3, types->data, (int)types->len, SQLITE_STATIC);
    int rc, ret = 0;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        ret = fn(ctx, (uint64_t)sqlite3_column_int64(st, 0), sqlite3_column_blob(st, 1),
                 (size_t)sqlite3_column_bytes(st, 1));
        if (ret) break;
    }
    if (!ret && rc != SQLITE_DONE) ret = store_fail(s, err, "entries");
    sqlite3_reset(st);
    if (types) sqlite3_clear_bindings(st);
    return ret;
}

int store_entries(store *s, uint64_t from, uint64_t count, store_entry_fn fn, void *ctx,
                  cm_error *err)
{
    if (s->pg) return pg_entries(s->pg, from, count, fn, ctx, err);
    sqlite3_stmt *st =
        store_stmt(s, SQ_ENTRIES,
                   "SELECT idx, entry FROM entries WHERE idx >= ? AND idx < ? ORDER BY idx", err);
    return each_entry(s, st, from, count, NULL, fn, ctx, err);
}

int store_entries_typed(store *s, uint64_t from, uint64_t count, const char *const *types,
                        store_entry_fn fn, void *ctx, cm_error *err)
{
    if (s->pg) return pg_entries_typed(s->pg, from, count, types, fn, ctx, err);
    cm_buf list = CM_BUF_INIT; /* the types as a JSON array, for json_each */
    buf_putc(&list, '[');
    for (size_t i = 0; types[i]; i++) {
        if (i) buf_putc(&list, ',');
        buf_json_str(&list, types[i]);
    }
    buf_putc(&list, ']');
    sqlite3_stmt *st = store_stmt(s, SQ_ENTRIES_TYPED,
                                  "SELECT idx, entry FROM entries WHERE idx >= ? AND idx < ? AND "
                                  "type IN (SELECT value FROM json_each(?)) ORDER BY idx",
                                  err);
    int ret = each_entry(s, st, from, count, &list, fn, ctx, err);
    buf_free(&list);
    return ret;
}

int store_put_hash(store *s, int level, uint64_t index, const log_hash *h, cm_error *err)
{
    if (s->pg) return pg_put_hash(s->pg, level, index, h, err);
    sqlite3_stmt *st = store_stmt(s, SQ_HASH_PUT, "INSERT INTO hashes(key, hash) VALUES(?,?)", err);
    if (!st) return -1;
    sqlite3_bind_int64(st, 1, HASH_KEY(level, index));
    sqlite3_bind_blob(st, 2, h->b, LOG_HASH_SIZE, SQLITE_STATIC);
    if (sqlite3_step(st) != SQLITE_DONE) return store_fail(s, err, "put hash");
    return 0;
}

int store_read_hash(void *ctx, int level, uint64_t index, log_hash *out)
{
    if (((store *)ctx)->pg) return pg_read_hash(((store *)ctx)->pg, level, index, out);
    store *s = ctx;
    sqlite3_stmt *st = store_stmt(s, SQ_HASH_GET, "SELECT hash FROM hashes WHERE key=?", NULL);
    if (!st) return -1;
    sqlite3_bind_int64(st, 1, HASH_KEY(level, index));
    int rc = -1;
    if (sqlite3_step(st) == SQLITE_ROW && sqlite3_column_bytes(st, 0) == LOG_HASH_SIZE) {
        memcpy(out->b, sqlite3_column_blob(st, 0), LOG_HASH_SIZE);
        rc = 0;
    }
    sqlite3_reset(st);
    return rc;
}

int store_read_hashes(void *ctx, int level, uint64_t first, unsigned n, uint8_t *out)
{
    if (((store *)ctx)->pg) return pg_read_hashes(((store *)ctx)->pg, level, first, n, out);
    store *s = ctx;
    sqlite3_stmt *st =
        store_stmt(s, SQ_HASH_RUN,
                   "SELECT key, hash FROM hashes WHERE key BETWEEN ? AND ? ORDER BY key", NULL);
    if (!st || n == 0) return -1;
    sqlite3_int64 key = HASH_KEY(level, first);
    sqlite3_bind_int64(st, 1, key);
    sqlite3_bind_int64(st, 2, key + n - 1);
    unsigned got = 0;
    /* every key of the run, in order, each with a whole hash */
    while (got < n && sqlite3_step(st) == SQLITE_ROW && sqlite3_column_int64(st, 0) == key + got &&
           sqlite3_column_bytes(st, 1) == LOG_HASH_SIZE) {
        memcpy(out + (size_t)got * LOG_HASH_SIZE, sqlite3_column_blob(st, 1), LOG_HASH_SIZE);
        got++;
    }
    sqlite3_reset(st);
    return got == n ? 0 : -1;
}

int store_put_checkpoint(store *s, uint64_t size, const char *note, int64_t now_ms, cm_error *err)
{
    if (s->pg) return pg_put_checkpoint(s->pg, size, note, now_ms, err);
    sqlite3_stmt *st =
        store_stmt(s, SQ_CKPT_PUT,
                   "INSERT OR REPLACE INTO checkpoints(size, note, created) VALUES(?,?,?)", err);
    if (!st) return -1;
    sqlite3_bind_int64(st, 1, (sqlite3_int64)size);
    sqlite3_bind_text(st, 2, note, -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 3, now_ms);
    if (sqlite3_step(st) != SQLITE_DONE) return store_fail(s, err, "put checkpoint");
    return 0;
}

int store_latest_checkpoint(store *s, char **note, uint64_t *size, cm_error *err)
{
    if (s->pg) return pg_latest_checkpoint(s->pg, note, size, err);
    sqlite3_stmt *st = store_stmt(
        s, SQ_CKPT_LATEST, "SELECT size, note FROM checkpoints ORDER BY size DESC LIMIT 1", err);
    if (!st) return -1;
    int rc = sqlite3_step(st);
    if (rc == SQLITE_DONE) return 0;
    if (rc != SQLITE_ROW) return store_fail(s, err, "checkpoint");
    *size = (uint64_t)sqlite3_column_int64(st, 0);
    *note = xstrdup((const char *)sqlite3_column_text(st, 1));
    sqlite3_reset(st);
    return 1;
}

int store_each_checkpoint(store *s, store_checkpoint_fn fn, void *ctx, cm_error *err)
{
    if (s->pg) return pg_each_checkpoint(s->pg, fn, ctx, err);
    sqlite3_stmt *st = NULL;
    if (sqlite3_prepare_v2(s->db, "SELECT size, note FROM checkpoints ORDER BY size", -1, &st,
                           NULL) != SQLITE_OK)
        return store_fail(s, err, "checkpoints");
    int rc, ret = 0;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        ret = fn(ctx, (uint64_t)sqlite3_column_int64(st, 0),
                 (const char *)sqlite3_column_text(st, 1));
        if (ret) break;
    }
    if (!ret && rc != SQLITE_DONE) ret = store_fail(s, err, "checkpoints");
    sqlite3_finalize(st);
    return ret;
}
