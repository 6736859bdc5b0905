/*
 * store_sqlite.c: opening a SQLite store and the helpers the other store
 * files share.
 *
 * Every pragma is set explicitly when a connection opens:
 *   journal_mode=WAL      readers never block the writer, nor it them
 *   synchronous=FULL      a commit is on disk when it returns; or, for the
 *                         server's writer (store_lazy_commits on), NORMAL:
 *                         a commit only writes the WAL, and the server makes
 *                         it durable with store_sync on another thread
 *                         before anyone hears of it; checkpoints still sync
 *                         the WAL before copying it and the database after
 *   busy_timeout=5000     short waits on the write lock instead of errors
 *   foreign_keys=OFF, temp_store=MEMORY, cache_size per role
 *   wal_autocheckpoint    never: the writer checkpoints itself (store_tend),
 *                         when it is idle, so no commit waits for one, and
 *                         regardless once the WAL passes 64,000 frames
 *                         (about 256 MiB)
 * A scratch store (a replay's throw-away copy) keeps its journal in memory,
 * never syncs, and has pages of 64 KiB (the default is 4 KiB): a replay
 * writes its tables and the comparison reads them whole, and with larger
 * pages the kernel is asked for a sixteenth of the reads and writes. On a
 * million place definitions, the work of `cmcc verify` beside its
 * signature checks went from 8.5 s to 7.9 s of CPU (the mean of four
 * alternating runs each), most of it the system's.
 * Process-wide, before the first connection: SQLite keeps no count of the
 * memory it holds (SQLITE_CONFIG_MEMSTATUS off), which nothing here reads
 * and which takes a global mutex on every allocation of every connection.
 * Readers and admin connections also skip the checkpoint SQLite would run
 * when the last connection closes: only the writer checkpoints the WAL.
 *
 * A reader of a log it cannot write (a read-only mount of a backup): SQLite
 * cannot make the -shm file that reading a WAL database takes, so when the
 * first read fails and the WAL is absent or empty (the log was stopped
 * cleanly: every commit is in the database file), the reader opens the
 * file again as immutable (file:PATH?immutable=1), which needs no -shm and
 * takes no lock. A WAL that still holds commits is not skipped: the reader
 * says so and how to make a copy it can read.
 */
#include "store/pg_int.h"

#include "common/mem.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

int store_fail(store *s, cm_error *err, const char *what)
{
    return cm_fail(err, CM_INTERNAL, "", "store: %s: %s", what,
                   s && s->db ? sqlite3_errmsg(s->db) : "not open");
}

int store_exec(store *s, const char *sql, cm_error *err)
{
    char *msg = NULL;
    if (sqlite3_exec(s->db, sql, NULL, NULL, &msg) != SQLITE_OK) {
        cm_fail(err, CM_INTERNAL, "", "store: %s", msg ? msg : sqlite3_errmsg(s->db));
        sqlite3_free(msg);
        return -1;
    }
    return 0;
}

sqlite3_stmt *store_stmt(store *s, int slot, const char *sql, cm_error *err)
{
    sqlite3_stmt *st = s->st[slot];
    if (st) {
        sqlite3_reset(st);
        sqlite3_clear_bindings(st);
        return st;
    }
    if (sqlite3_prepare_v3(s->db, sql, -1, SQLITE_PREPARE_PERSISTENT, &s->st[slot], NULL) !=
        SQLITE_OK) {
        store_fail(s, err, "prepare");
        return NULL;
    }
    return s->st[slot];
}

void store_bind_text(sqlite3_stmt *st, int i, const char *s)
{
    if (s)
        sqlite3_bind_text(st, i, s, -1, SQLITE_STATIC);
    else
        sqlite3_bind_null(st, i);
}

static int on_wal(void *ctx, sqlite3 *db, const char *name, int frames)
{
    (void)db;
    (void)name;
    ((store *)ctx)->wal_frames = frames;
    return SQLITE_OK;
}

static int pragmas(store *s, cm_error *err)
{
    const char *common = "PRAGMA synchronous=FULL; PRAGMA foreign_keys=OFF;"
                         "PRAGMA temp_store=MEMORY;";
    if (store_exec(s, common, err)) return -1;
    sqlite3_busy_timeout(s->db, 5000);
    if (s->mode == STORE_SCRATCH)
        return store_exec(s,
                          "PRAGMA page_size=65536; PRAGMA journal_mode=MEMORY;"
                          "PRAGMA synchronous=OFF; PRAGMA cache_size=-32768;",
                          err);
    if (s->mode == STORE_WRITER) {
        /* the hook replaces automatic checkpoints: the writer tends the WAL */
        if (store_exec(s, "PRAGMA journal_mode=WAL; PRAGMA cache_size=-32768;", err)) return -1;
        sqlite3_wal_hook(s->db, on_wal, s);
        return 0;
    }
    int on = 1;
    sqlite3_db_config(s->db, SQLITE_DBCONFIG_NO_CKPT_ON_CLOSE, 1, &on);
    return store_exec(s, "PRAGMA wal_autocheckpoint=0; PRAGMA cache_size=-8192;", err);
}

static void configure(void)
{
    sqlite3_config(SQLITE_CONFIG_MEMSTATUS, 0); /* before SQLite initializes */
}

static store *open_db(const char *path, store_mode mode, int flags, cm_error *err)
{
    static pthread_once_t once = PTHREAD_ONCE_INIT;
    pthread_once(&once, configure);
    store *s = xcalloc(1, sizeof *s);
    s->mode = mode;
    s->wal_fd = -1;
    if (sqlite3_open_v2(path, &s->db, flags | SQLITE_OPEN_NOMUTEX | SQLITE_OPEN_URI, NULL) !=
        SQLITE_OK) {
        store_fail(s, err, path);
        store_close(s);
        return NULL;
    }
    sqlite3_extended_result_codes(s->db, 1);
    if (pragmas(s, err)) {
        store_close(s);
        return NULL;
    }
    return s;
}

int store_create(const char *path, cm_error *err)
{
    return store_create_mode(path, STORE_WRITER, err);
}

int store_create_mode(const char *path, store_mode mode, cm_error *err)
{
    if (pg_is_url(path)) return pg_store_create(path, err);
    if (access(path, F_OK) == 0)
        return cm_fail(err, CM_CONFLICT, "", "%s already exists: a log is never overwritten", path);
    store *s = open_db(path, mode, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, err);
    if (!s) return -1;
    int rc = store_begin(s, err);
    if (!rc) rc = store_exec(s, store_schema_sql, err);
    if (!rc) rc = store_commit(s, err);
    store_close(s);
    return rc;
}

/* Brings a store of an older schema version up to date in one
 * transaction; a reader is only told to. 0 or -1. */
static int upgrade(store *s, const char *path, int from, cm_error *err)
{
    int to = STORE_SCHEMA_VERSION;
    if (s->mode == STORE_READER)
        return cm_fail(err, CM_INTERNAL, "",
                       "%s has schema version %d: open it once with `cmcc serve` (or any "
                       "command that writes) to upgrade it to version %d",
                       path, from, to);
    int rc = store_begin(s, err);
    for (int v = from; v < to && !rc; v++)
        rc = store_upgrades[v - 1]
                 ? store_exec(s, store_upgrades[v - 1], err)
                 : cm_fail(err, CM_INTERNAL, "", "no upgrade of the schema from version %d", v);
    if (!rc) rc = store_meta_set(s, "schema", STORE_QUOTE(STORE_SCHEMA_VERSION), err);
    if (!rc) return store_commit(s, err);
    store_rollback(s);
    return -1;
}

/* The schema version meta('schema') holds: a positive number, else 0. */
static int schema_version(const char *v)
{
    char *end = NULL;
    long n = v ? strtol(v, &end, 10) : 0;
    return v && *v && *end == '\0' && n > 0 && n <= 1000 ? (int)n : 0;
}

/* 1 when path's WAL is absent or empty: the database file holds it all. */
static int wal_empty(const char *path)
{
    char *wal = xasprintf("%s-wal", path);
    struct stat st;
    int r = stat(wal, &st);
    free(wal);
    return r != 0 ? errno == ENOENT : st.st_size == 0;
}

/* 1 when the directory of path may not be written (a read-only mount). */
static int dir_unwritable(const char *path)
{
    char *dir = xstrdup(path);
    char *slash = strrchr(dir, '/');
    if (slash)
        slash[slash == dir ? 1 : 0] = '\0';
    else
        strcpy(dir, ".");
    int r = access(dir, W_OK) != 0;
    free(dir);
    return r;
}

int store_immutable(const char *path)
{
    return dir_unwritable(path) && wal_empty(path);
}

char *store_read_uri(const char *path, int immutable)
{
    cm_buf uri = CM_BUF_INIT;
    buf_puts(&uri, "file:");
    for (const unsigned char *p = (const unsigned char *)path; *p; p++) {
        if ((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9') ||
            strchr("/._-~", *p))
            buf_putc(&uri, (char)*p);
        else
            buf_printf(&uri, "%%%02X", *p);
    }
    buf_puts(&uri, immutable ? "?mode=ro&immutable=1" : "?mode=ro");
    return buf_take(&uri);
}

void store_destroy(const char *path)
{
    if (pg_is_url(path)) {
        pg_store_destroy(path);
        return;
    }
    const char *const sfx[] = {"", "-wal", "-shm", "-journal"};
    for (size_t i = 0; i < sizeof sfx / sizeof sfx[0]; i++) {
        char *p = xasprintf("%s%s", path, sfx[i]);
        unlink(p);
        free(p);
    }
}

int store_is_url(const char *location)
{
    return pg_is_url(location);
}

int store_exists(const char *location, cm_error *err)
{
    if (pg_is_url(location)) return pg_store_exists(location, err);
    return access(location, F_OK) == 0;
}

store *store_open(const char *path, store_mode mode, cm_error *err)
{
    if (pg_is_url(path)) return pg_store_open(path, mode, err);
    if (access(path, F_OK) != 0) {
        cm_fail(err, CM_NOT_FOUND, "", "no store at %s: make a log with `cmcc init` first", path);
        return NULL;
    }
    int flags = mode == STORE_READER ? SQLITE_OPEN_READONLY : SQLITE_OPEN_READWRITE;
    store *s = open_db(path, mode, flags, err);
    char *v = NULL;
    int r = s ? store_meta_get(s, "schema", &v, err) : -1;
    if (r < 0 && mode == STORE_READER && dir_unwritable(path)) {
        if (wal_empty(path)) { /* a read-only copy of a cleanly stopped log */
            store_close(s);
            char *uri = store_read_uri(path, 1);
            s = open_db(uri, STORE_READER, SQLITE_OPEN_READONLY, err);
            free(uri);
            r = s ? store_meta_get(s, "schema", &v, err) : -1;
        } else {
            cm_fail(err, CM_INTERNAL, "",
                    "%s cannot be read where it is: its directory is read-only and its WAL "
                    "(%s-wal) holds commits not yet in the database: copy the directory "
                    "somewhere writable and read the copy, or stop its server cleanly before "
                    "copying it",
                    path, path);
        }
    }
    if (!s) return NULL;
    int version = r == 1 ? schema_version(v) : 0, current = STORE_SCHEMA_VERSION;
    free(v);
    if (r >= 0 && (version < 1 || version > current))
        r = cm_fail(err, CM_INTERNAL, "", "%s is not a cmcc store of schema version %d or older",
                    path, current);
    else if (r >= 0 && version < current)
        r = upgrade(s, path, version, err);
    if (r < 0) {
        store_close(s);
        return NULL;
    }
    return s;
}

void store_close(store *s)
{
    if (s && s->pg) {
        pg_store_close(s->pg);
        free(s);
        return;
    }
    if (!s) return;
    for (int i = 0; i < SQ_COUNT; i++) sqlite3_finalize(s->st[i]);
    sqlite3_close(s->db);
    if (s->wal_fd >= 0) close(s->wal_fd);
    free(s);
}

int store_lazy_commits(store *s, int lazy, cm_error *err)
{
    if (s->pg) return 0; /* every commit is durable when it returns */
    return store_exec(s, lazy ? "PRAGMA synchronous=NORMAL" : "PRAGMA synchronous=FULL", err);
}

int store_sync(store *s, cm_error *err)
{
    if (s->pg) return 0;
    if (s->wal_fd < 0) {
        const char *db = sqlite3_db_filename(s->db, "main");
        char *wal = xasprintf("%s-wal", db ? db : "");
        s->wal_fd = open(wal, O_RDONLY | O_CLOEXEC);
        free(wal);
        if (s->wal_fd < 0) {
            if (errno == ENOENT) return 0; /* nothing written yet */
            return cm_fail(err, CM_INTERNAL, "", "store: cannot open the WAL: %s", strerror(errno));
        }
    }
    if (fdatasync(s->wal_fd) != 0)
        return cm_fail(err, CM_INTERNAL, "", "store: cannot sync the WAL: %s", strerror(errno));
    return 0;
}

/* One step of the kept statement of slot, which returns no row; an error
 * names the statement ("store: COMMIT: ..."). */
static int step_once(store *s, int slot, const char *sql, cm_error *err)
{
    sqlite3_stmt *st = store_stmt(s, slot, sql, err);
    return st ? store_step_done_as(s, st, sql, err) : -1;
}

int store_begin(store *s, cm_error *err)
{
    if (s->pg) return pg_begin(s->pg, err);
    return step_once(s, SQ_BEGIN, "BEGIN IMMEDIATE", err);
}

int store_commit(store *s, cm_error *err)
{
    if (s->pg) return pg_commit(s->pg, err);
    return step_once(s, SQ_COMMIT, "COMMIT", err);
}

void store_rollback(store *s)
{
    if (s->pg) {
        pg_rollback(s->pg);
        return;
    }
    if (store_in_transaction(s)) sqlite3_exec(s->db, "ROLLBACK", NULL, NULL, NULL);
}

/* A deferred BEGIN: the snapshot is taken by the first read after it. */
int store_read_begin(store *s, cm_error *err)
{
    if (s->pg) return pg_read_begin(s->pg, err);
    return step_once(s, SQ_READ_BEGIN, "BEGIN", err);
}

void store_read_end(store *s)
{
    if (s->pg) {
        pg_read_end(s->pg);
        return;
    }
    if (store_in_transaction(s) && step_once(s, SQ_READ_END, "COMMIT", NULL)) store_rollback(s);
}

int store_in_transaction(store *s)
{
    if (s->pg) return pg_in_transaction(s->pg);
    return !sqlite3_get_autocommit(s->db);
}

void store_settle(store *s)
{
    if (s->pg) return; /* the server vacuums its own tables */
    sqlite3_wal_checkpoint_v2(s->db, NULL, SQLITE_CHECKPOINT_PASSIVE, NULL, NULL);
    s->wal_frames = 0;
}

#define WAL_IDLE_FRAMES  1000  /* checkpoint when idle past this (~4 MiB) */
#define WAL_FORCE_FRAMES 64000 /* and regardless past this (~256 MiB) */

void store_tend(store *s, int idle)
{
    if (s->pg) return;
    if (s->wal_frames > WAL_FORCE_FRAMES || (idle && s->wal_frames > WAL_IDLE_FRAMES))
        store_settle(s);
}

int store_meta_get(store *s, const char *key, char **value, cm_error *err)
{
    if (s->pg) return pg_meta_get(s->pg, key, value, err);
    sqlite3_stmt *st = store_stmt(s, SQ_META_GET, "SELECT value FROM meta WHERE key=?", err);
    if (!st) return -1;
    sqlite3_bind_text(st, 1, key, -1, SQLITE_STATIC);
    int rc = sqlite3_step(st);
    if (rc == SQLITE_DONE) return 0;
    if (rc != SQLITE_ROW) return store_fail(s, err, "meta");
    *value = xstrdup((const char *)sqlite3_column_text(st, 0));
    sqlite3_reset(st);
    return 1;
}

int store_meta_set(store *s, const char *key, const char *value, cm_error *err)
{
    if (s->pg) return pg_meta_set(s->pg, key, value, err);
    sqlite3_stmt *st =
        store_stmt(s, SQ_META_SET, "INSERT OR REPLACE INTO meta(key, value) VALUES(?, ?)", err);
    if (!st) return -1;
    sqlite3_bind_text(st, 1, key, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 2, value, -1, SQLITE_STATIC);
    if (sqlite3_step(st) != SQLITE_DONE) return store_fail(s, err, "meta");
    return 0;
}
