/*
 * store_backup.c: a consistent copy of a live store, with SQLite's online
 * backup API. The copy is made in one step inside one read transaction, so
 * it is the store exactly as of one commit, whatever the writer does
 * meanwhile (in WAL mode a reader never blocks the writer). The copy is
 * written to a new file, synced, and left in rollback-journal mode: a
 * restore copies it back as DIR/cmcc.db.
 *
 * A PostgreSQL store is copied the same way into a new SQLite file, as of
 * one snapshot of the database (pg_copy.c): a whole log that can be served
 * or verified as it is. (The database's own tools, pg_dump and base
 * backups, are the other way: docs/operations.md.)
 */
#include "store/pg_int.h"

#include <unistd.h>

/* The copy of a PostgreSQL store into the new SQLite file dst_path. */
static int pg_backup(const char *url, const char *dst_path, uint64_t *size, cm_error *err)
{
    store *src = store_open(url, STORE_READER, err);
    if (!src) return -1;
    store *dst = NULL;
    int made = store_create(dst_path, err) == 0;
    int rc = made && (dst = store_open(dst_path, STORE_WRITER, err)) && !store_begin(dst, err) &&
                     !pg_copy_to_sqlite(src->pg, dst->db, NULL, err) && !store_commit(dst, err) &&
                     !store_size(dst, size, err) &&
                     !store_exec(dst, "PRAGMA journal_mode=DELETE", err)
                 ? 0
                 : -1;
    if (dst && rc) store_rollback(dst);
    store_close(dst);
    store_close(src);
    if (rc && made) store_destroy(dst_path);
    return rc;
}

int store_backup(const char *src_path, const char *dst_path, uint64_t *size, cm_error *err)
{
    if (access(dst_path, F_OK) == 0)
        return cm_fail(err, CM_CONFLICT, "", "%s already exists: a backup never overwrites",
                       dst_path);
    if (pg_is_url(dst_path))
        return cm_fail(err, CM_BAD_REQUEST, "",
                       "a backup is a new SQLite file; to copy into PostgreSQL use pg_dump");
    if (pg_is_url(src_path)) return pg_backup(src_path, dst_path, size, err);
    store *src = store_open(src_path, STORE_READER, err);
    if (!src) return -1;
    sqlite3 *dst = NULL;
    int rc = -1;
    if (sqlite3_open_v2(dst_path, &dst, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, NULL) !=
        SQLITE_OK) {
        cm_fail(err, CM_INTERNAL, "", "cannot create %s: %s", dst_path,
                dst ? sqlite3_errmsg(dst) : "out of memory");
        goto done;
    }
    sqlite3_backup *b = sqlite3_backup_init(dst, "main", src->db, "main");
    if (!b) {
        cm_fail(err, CM_INTERNAL, "", "cannot start the backup: %s", sqlite3_errmsg(dst));
        goto done;
    }
    int step = sqlite3_backup_step(b, -1);
    sqlite3_backup_finish(b);
    if (step != SQLITE_DONE) {
        cm_fail(err, CM_INTERNAL, "", "the backup failed: %s", sqlite3_errstr(step));
        goto done;
    }
    if (sqlite3_exec(dst, "PRAGMA journal_mode=DELETE", NULL, NULL, NULL) != SQLITE_OK) {
        cm_fail(err, CM_INTERNAL, "", "cannot finish the backup: %s", sqlite3_errmsg(dst));
        goto done;
    }
    store copy = {.db = dst, .mode = STORE_READER, .wal_fd = -1};
    int sized = store_size(&copy, size, err);
    /* the statement store_size prepared, else dst cannot close */
    for (int i = 0; i < SQ_COUNT; i++) sqlite3_finalize(copy.st[i]);
    if (sized) goto done;
    rc = 0;
done:
    sqlite3_close(dst);
    store_close(src);
    if (rc) unlink(dst_path);
    return rc;
}
