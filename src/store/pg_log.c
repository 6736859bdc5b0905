/*
 * pg_log.c: the entries, the tree's stored hashes and the checkpoints on
 * PostgreSQL. hashes.key = level << 56 | index, as on SQLite (store_log.c),
 * so that the nodes of a tile are one range of the primary key. Entries and
 * hashes are read with binary results: their bytes as stored, no escaping.
 */
#include "store/pg_int.h"

#include "common/mem.h"

#include <string.h>

#define HASH_KEY(level, index) ((int64_t)(((uint64_t)(level) << 56) | (index)))

/* A big-endian int8 of a binary result. */
static int64_t be64(const char *p)
{
    uint64_t v = 0;
    for (int i = 0; i < 8; i++) v = v << 8 | (unsigned char)p[i];
    return (int64_t)v;
}

int pg_size(pg_store *p, uint64_t *size, cm_error *err)
{
    PGresult *r = pg_run(p, "SELECT coalesce(max(idx) + 1, 0) FROM entries", NULL, 0, "size", err);
    if (!r) return -1;
    *size = (uint64_t)pg_i(r, 0, 0, 0);
    PQclear(r);
    return 0;
}

int pg_append(pg_store *p, uint64_t idx, const char *entry, size_t len, const char *org,
              const char *id, const char *type, cm_error *err)
{
    pg_params a = {0};
    pg_int(&a, (int64_t)idx);
    pg_bytes(&a, entry, len);
    pg_text(&a, org);
    pg_text(&a, id);
    pg_text(&a, type);
    return pg_do(p, "INSERT INTO entries(idx, entry, org, id, type) VALUES($1, $2, $3, $4, $5)", &a,
                 "append entry", err);
}

int pg_entry(pg_store *p, uint64_t idx, char **entry, size_t *len, cm_error *err)
{
    pg_params a = {0};
    pg_int(&a, (int64_t)idx);
    PGresult *r = pg_run(p, "SELECT entry FROM entries WHERE idx = $1", &a, 1, "entry", err);
    if (!r) return -1;
    int found = PQntuples(r) > 0;
    if (found) {
        *len = (size_t)PQgetlength(r, 0, 0);
        *entry = xstrndup(PQgetvalue(r, 0, 0), *len);
    }
    PQclear(r);
    return found;
}

/* Entries are read in pages of this many, each page one statement, so that
 * a whole log is never held in memory at once. */
#define ENTRY_PAGE 2048

/* The entries of [from, from + count), or with types (a text[] literal)
 * only those of these types, page by page. */
static int entries(pg_store *p, uint64_t from, uint64_t count, const char *types, store_entry_fn fn,
                   void *ctx, cm_error *err)
{
    uint64_t end = from + count;
    for (uint64_t at = from; at < end;) {
        uint64_t to = end - at > ENTRY_PAGE ? at + ENTRY_PAGE : end;
        pg_params a = {0};
        pg_int(&a, (int64_t)at);
        pg_int(&a, (int64_t)to);
        if (types) pg_text(&a, types);
        PGresult *r = pg_run(p,
                             types ? "SELECT idx, entry FROM entries WHERE idx >= $1 AND idx < $2 "
                                     "AND type = ANY($3::text[]) ORDER BY idx"
                                   : "SELECT idx, entry FROM entries WHERE idx >= $1 AND idx < $2 "
                                     "ORDER BY idx",
                             &a, 1, "entries", err);
        if (!r) return -1;
        int n = PQntuples(r), ret = 0;
        for (int i = 0; i < n && !ret; i++)
            ret = fn(ctx, (uint64_t)be64(PQgetvalue(r, i, 0)), PQgetvalue(r, i, 1),
                     (size_t)PQgetlength(r, i, 1));
        PQclear(r);
        if (ret) return ret;
        if (n == 0 && !types) break; /* the log ends here */
        at = to;
    }
    return 0;
}

int pg_entries(pg_store *p, uint64_t from, uint64_t count, store_entry_fn fn, void *ctx,
               cm_error *err)
{
    return entries(p, from, count, NULL, fn, ctx, err);
}

int pg_entries_typed(pg_store *p, uint64_t from, uint64_t count, const char *const *types,
                     store_entry_fn fn, void *ctx, cm_error *err)
{
    cm_buf list = CM_BUF_INIT;
    buf_putc(&list, '{');
    for (size_t i = 0; types[i]; i++) {
        if (i) buf_putc(&list, ',');
        buf_putc(&list, '"');
        for (const char *c = types[i]; *c; c++) {
            if (*c == '"' || *c == '\\') buf_putc(&list, '\\');
            buf_putc(&list, *c);
        }
        buf_putc(&list, '"');
    }
    buf_putc(&list, '}');
    int rc = entries(p, from, count, list.data, fn, ctx, err);
    buf_free(&list);
    return rc;
}

int pg_put_hash(pg_store *p, int level, uint64_t index, const log_hash *h, cm_error *err)
{
    pg_params a = {0};
    pg_int(&a, HASH_KEY(level, index));
    pg_bytes(&a, h->b, LOG_HASH_SIZE);
    return pg_do(p, "INSERT INTO hashes(key, hash) VALUES($1, $2)", &a, "put hash", err);
}

int pg_read_hash(pg_store *p, int level, uint64_t index, log_hash *out)
{
    pg_params a = {0};
    pg_int(&a, HASH_KEY(level, index));
    PGresult *r = pg_run(p, "SELECT hash FROM hashes WHERE key = $1", &a, 1, "hash", NULL);
    if (!r) return -1;
    int rc = -1;
    if (PQntuples(r) == 1 && PQgetlength(r, 0, 0) == LOG_HASH_SIZE) {
        memcpy(out->b, PQgetvalue(r, 0, 0), LOG_HASH_SIZE);
        rc = 0;
    }
    PQclear(r);
    return rc;
}

int pg_read_hashes(pg_store *p, int level, uint64_t first, unsigned n, uint8_t *out)
{
    if (n == 0) return -1;
    int64_t key = HASH_KEY(level, first);
    pg_params a = {0};
    pg_int(&a, key);
    pg_int(&a, key + n - 1);
    PGresult *r = pg_run(p, "SELECT key, hash FROM hashes WHERE key BETWEEN $1 AND $2 ORDER BY key",
                         &a, 1, "hashes", NULL);
    if (!r) return -1;
    unsigned got = 0, rows = (unsigned)PQntuples(r);
    /* every key of the run, in order, each with a whole hash */
    while (got < n && got < rows && be64(PQgetvalue(r, (int)got, 0)) == key + got &&
           PQgetlength(r, (int)got, 1) == LOG_HASH_SIZE) {
        memcpy(out + (size_t)got * LOG_HASH_SIZE, PQgetvalue(r, (int)got, 1), LOG_HASH_SIZE);
        got++;
    }
    PQclear(r);
    return got == n ? 0 : -1;
}

int pg_put_checkpoint(pg_store *p, uint64_t size, const char *note, int64_t now_ms, cm_error *err)
{
    pg_params a = {0};
    pg_int(&a, (int64_t)size);
    pg_text(&a, note);
    pg_int(&a, now_ms);
    return pg_do(p,
                 "INSERT INTO checkpoints(size, note, created) VALUES($1, $2, $3) ON "
                 "CONFLICT(size) DO UPDATE SET note = excluded.note, created = excluded.created",
                 &a, "put checkpoint", err);
}

int pg_latest_checkpoint(pg_store *p, char **note, uint64_t *size, cm_error *err)
{
    PGresult *r;
    int found =
        pg_row(p, "SELECT size, note FROM checkpoints ORDER BY size DESC LIMIT 1", NULL, &r, err);
    if (found != 1) return found;
    *size = (uint64_t)pg_i(r, 0, 0, 0);
    *note = xstrdup(PQgetvalue(r, 0, 1));
    PQclear(r);
    return 1;
}

typedef struct {
    store_checkpoint_fn fn;
    void *ctx;
} ckpt_each;

static int checkpoint_row(void *ctx, const PGresult *r, int i)
{
    const ckpt_each *c = ctx;
    return c->fn(c->ctx, (uint64_t)pg_i(r, i, 0, 0), PQgetvalue(r, i, 1));
}

int pg_each_checkpoint(pg_store *p, store_checkpoint_fn fn, void *ctx, cm_error *err)
{
    ckpt_each c = {fn, ctx};
    return pg_rows(p, "SELECT size, note FROM checkpoints ORDER BY size", NULL, checkpoint_row, &c,
                   err);
}
