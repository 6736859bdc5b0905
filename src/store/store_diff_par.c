/*
 * store_diff_par.c: store_diff on several threads.
 *
 * The work is a list of tasks: each table compared is one, except a large
 * one (more than SPLIT_ROWS rows in the replay's store), which is cut into
 * T ranges of its primary key (T the number of threads) of about as many
 * rows each: the keys of the rows at offsets n/T, 2n/T, ... in key order
 * bound them. A key is cut only when no row can hold NULL in it, so that
 * the ranges hold every row of either side.
 *
 * T threads, the calling one among them, take the tasks from a counter
 * under a mutex, the largest first, each with its own connection: the
 * replay's store file opened read-only (only what s has committed is seen),
 * the other store attached as the serial comparison attaches it. A task
 * merges its table or range (diff_rows) into two buffers of its own, the
 * replay's lines and the store's.
 *
 * When every thread is joined, the report is put together as one thread
 * writes it: table after table, and within a table the replay's lines of
 * each range in key order, then the store's of each range. The report and
 * the count are thus the serial ones, byte for byte. A failed task stops
 * the handing out; the result is then -1 with the error of the first
 * failed task in that order.
 */
#include "store/store_diff_int.h"

#include "common/mem.h"

#include <pthread.h>
#include <stdlib.h>
#include <unistd.h>

#define THREADS_MAX 8
#define SPLIT_ROWS  65536

static int tuned_threads;
static long tuned_split;

void store_diff_tune(int threads, long split_rows)
{
    tuned_threads = threads > 0 ? threads : 0;
    tuned_split = split_rows > 0 ? split_rows : 0;
}

int diff_threads(void)
{
    long n = tuned_threads ? tuned_threads : sysconf(_SC_NPROCESSORS_ONLN);
    return n < 1 ? 1 : n > THREADS_MAX ? THREADS_MAX : (int)n;
}

/* A table, or a range of a large table's key. */
typedef struct {
    const diff_key *key;
    long rows;                /* about how many rows of main it reads */
    sqlite3_value **lo, **hi; /* key->n values each, or NULL: no bound */
    cm_buf mine, theirs;      /* the replay's lines, the store's */
    long count;               /* how many lines, or -1 with err */
    cm_error err;
} task;

typedef struct {
    char *mine_uri; /* the replay's file, read-only */
    const char *other_path;
    task *tasks; /* table after table, a table's ranges in key order */
    size_t ntasks, cap;
    size_t *order; /* the tasks by rows, the largest first */
    size_t next;   /* the next of order to hand out */
    int failed;    /* a task failed: hand out no more */
    pthread_mutex_t lock;
} plan;

/* A thread's connection: the replay's file with the other store attached. */
static sqlite3 *conn_open(const plan *p, cm_error *err)
{
    sqlite3 *db = NULL;
    int flags = SQLITE_OPEN_READONLY | SQLITE_OPEN_NOMUTEX | SQLITE_OPEN_URI;
    if (sqlite3_open_v2(p->mine_uri, &db, flags, NULL) != SQLITE_OK) {
        diff_fail(db, err, "diff");
        sqlite3_close(db);
        return NULL;
    }
    sqlite3_busy_timeout(db, 5000);
    if (diff_attach(db, p->other_path, err)) {
        sqlite3_close(db);
        return NULL;
    }
    return db;
}

/* Copies of n values, or NULL (out of memory). */
static sqlite3_value **values_dup(sqlite3_value *const *v, int n)
{
    sqlite3_value **c = xcalloc((size_t)n, sizeof *c);
    for (int i = 0; i < n; i++)
        if (!(c[i] = sqlite3_value_dup(v[i]))) {
            while (i--) sqlite3_value_free(c[i]);
            free(c);
            return NULL;
        }
    return c;
}

static void values_free(sqlite3_value **v, int n)
{
    for (int i = 0; v && i < n; i++) sqlite3_value_free(v[i]);
    free(v);
}

static task *task_add(plan *p, const diff_key *k, long rows)
{
    if (p->ntasks == p->cap) {
        p->cap = p->cap ? 2 * p->cap : 32;
        p->tasks = xrealloc(p->tasks, p->cap * sizeof *p->tasks);
    }
    task *t = &p->tasks[p->ntasks++];
    *t = (task){.key = k, .rows = rows, .mine = CM_BUF_INIT, .theirs = CM_BUF_INIT};
    return t;
}

/* The key of the row skip rows past the key from (from NULL: the first
 * row) in main's key order, as copies into *cut; *cut NULL when there is
 * no such row. st is the query for from (see plan_table). 0 or -1. */
static int cut_seek(sqlite3 *db, sqlite3_stmt *st, const diff_key *k, sqlite3_value *const *from,
                    long skip, sqlite3_value ***cut, cm_error *err)
{
    int b = 1;
    sqlite3_reset(st);
    for (int i = 0; from && i < k->n; i++) sqlite3_bind_value(st, b++, from[i]);
    sqlite3_bind_int64(st, b, skip);
    int rc = sqlite3_step(st);
    *cut = NULL;
    if (rc == SQLITE_DONE) return 0;
    if (rc != SQLITE_ROW) return diff_fail(db, err, "diff");
    sqlite3_value *row[DIFF_KEY_MAX];
    for (int i = 0; i < k->n; i++) row[i] = sqlite3_column_value(st, i);
    *cut = values_dup(row, k->n);
    sqlite3_reset(st);
    return *cut ? 0 : cm_fail(err, CM_INTERNAL, "", "store: diff: out of memory");
}

/* Adds the tasks of table k: one, or when main holds more than split rows
 * of it and its key can be cut, parts ranges. Each cut is sought from the
 * one before (LIMIT 1 OFFSET the rows between), so that finding them all
 * reads about n keys, through the primary key. 0 or -1. */
static int plan_table(plan *p, sqlite3 *db, const diff_key *k, int parts, long split, cm_error *err)
{
    const char *t = k->table, *cols = k->cols.data;
    char *sql = xasprintf("SELECT count(*) FROM main.\"%s\"", t);
    sqlite3_stmt *st[2] = {NULL, NULL};
    int rc = sqlite3_prepare_v2(db, sql, -1, &st[0], NULL) != SQLITE_OK ||
                     sqlite3_step(st[0]) != SQLITE_ROW
                 ? diff_fail(db, err, "diff")
                 : 0;
    long n = rc ? 0 : (long)sqlite3_column_int64(st[0], 0);
    sqlite3_finalize(st[0]);
    st[0] = NULL;
    free(sql);
    if (rc || !k->cuttable || n <= split || parts < 2) {
        if (!rc) task_add(p, k, n);
        return rc;
    }
    cm_buf marks = CM_BUF_INIT;
    for (int i = 0; i < k->n; i++) buf_puts(&marks, i ? ", ?" : "?");
    char *first =
        xasprintf("SELECT %s FROM main.\"%s\" ORDER BY %s LIMIT 1 OFFSET ?", cols, t, cols);
    char *next = xasprintf("SELECT %s FROM main.\"%s\" WHERE (%s) >= (%s) ORDER BY %s LIMIT 1 "
                           "OFFSET ?",
                           cols, t, cols, marks.data, cols);
    if (sqlite3_prepare_v2(db, first, -1, &st[0], NULL) != SQLITE_OK ||
        sqlite3_prepare_v2(db, next, -1, &st[1], NULL) != SQLITE_OK)
        rc = diff_fail(db, err, "diff");
    sqlite3_value **lo = NULL; /* the range's first key, the last cut */
    long at = 0;               /* the offset of lo */
    for (int r = 1; !rc; r++) {
        sqlite3_value **hi = NULL;
        long want = (long)((long long)n * r / parts);
        if (r < parts && cut_seek(db, st[lo != NULL], k, lo, want - at, &hi, err)) {
            values_free(lo, k->n);
            rc = -1;
            break;
        }
        task *tk = task_add(p, k, n / parts);
        tk->lo = lo;
        tk->hi = hi;
        if (!hi) break; /* the last range, to the end of the table */
        at = want;
        if (!(lo = values_dup(hi, k->n)))
            rc = cm_fail(err, CM_INTERNAL, "", "store: diff: out of memory");
    }
    sqlite3_finalize(st[0]);
    sqlite3_finalize(st[1]);
    free(first);
    free(next);
    buf_free(&marks);
    return rc;
}

/* The next task to run, or NULL. */
static task *take(plan *p)
{
    pthread_mutex_lock(&p->lock);
    task *t = !p->failed && p->next < p->ntasks ? &p->tasks[p->order[p->next++]] : NULL;
    pthread_mutex_unlock(&p->lock);
    return t;
}

typedef struct {
    plan *p;
    sqlite3 *db; /* the caller's connection, or NULL: the thread opens one */
    pthread_t id;
} worker;

static void *work(void *arg)
{
    worker *w = arg;
    plan *p = w->p;
    cm_error err = {0};
    sqlite3 *db = w->db ? w->db : conn_open(p, &err);
    for (task *t; (t = take(p));) {
        if (db)
            t->count = diff_rows(db, t->key, t->lo, t->hi, &t->mine, &t->theirs, &t->err);
        else { /* the connection's error is the task's */
            t->count = -1;
            t->err = err;
        }
        if (t->count < 0) {
            pthread_mutex_lock(&p->lock);
            p->failed = 1;
            pthread_mutex_unlock(&p->lock);
        }
    }
    if (!w->db) sqlite3_close(db);
    return NULL;
}

/* The report as one thread writes it, and the count; or the first error. */
static long gather(const plan *p, cm_buf *report, cm_error *err)
{
    for (size_t i = 0; i < p->ntasks; i++)
        if (p->tasks[i].count < 0) {
            if (err) *err = p->tasks[i].err;
            return -1;
        }
    long total = 0;
    for (size_t i = 0, j; i < p->ntasks; i = j) {
        for (j = i; j < p->ntasks && p->tasks[j].key == p->tasks[i].key; j++) {
            const cm_buf *b = &p->tasks[j].mine;
            if (b->len) buf_append(report, b->data, b->len);
            total += p->tasks[j].count;
        }
        for (size_t r = i; r < j; r++) {
            const cm_buf *b = &p->tasks[r].theirs;
            if (b->len) buf_append(report, b->data, b->len);
        }
    }
    return total;
}

long diff_parallel(store *s, const char *other_path, const char *const *tables, size_t n,
                   cm_buf *report, cm_error *err)
{
    int nthreads = diff_threads();
    long split = tuned_split ? tuned_split : SPLIT_ROWS;
    plan p = {.other_path = other_path};
    pthread_mutex_init(&p.lock, NULL);
    p.mine_uri = store_read_uri(sqlite3_db_filename(s->db, "main"), 0);
    diff_key *keys = xcalloc(n, sizeof *keys);
    worker *w = xcalloc((size_t)nthreads, sizeof *w);
    long total = -1;
    /* the calling thread's connection plans the tasks, then runs some */
    w[0].p = &p;
    w[0].db = conn_open(&p, err);
    int rc = w[0].db ? 0 : -1;
    for (size_t i = 0; i < n && !rc; i++)
        rc = diff_key_of(w[0].db, tables[i], &keys[i], err) ||
                     plan_table(&p, w[0].db, &keys[i], nthreads, split, err)
                 ? -1
                 : 0;
    if (!rc) {
        /* the largest first (insertion: a few dozen tasks), ties in order */
        p.order = xcalloc(p.ntasks + 1, sizeof *p.order);
        for (size_t i = 0; i < p.ntasks; i++) {
            size_t j = i;
            for (; j > 0 && p.tasks[p.order[j - 1]].rows < p.tasks[i].rows; j--)
                p.order[j] = p.order[j - 1];
            p.order[j] = i;
        }
        int started = 1;
        for (; started < nthreads; started++) {
            w[started].p = &p;
            if (pthread_create(&w[started].id, NULL, work, &w[started])) break;
        }
        work(&w[0]);
        for (int i = 1; i < started; i++) pthread_join(w[i].id, NULL);
        total = gather(&p, report, err);
    }
    sqlite3_close(w[0].db);
    for (size_t i = 0; i < p.ntasks; i++) {
        task *t = &p.tasks[i];
        values_free(t->lo, t->key->n);
        values_free(t->hi, t->key->n);
        buf_free(&t->mine);
        buf_free(&t->theirs);
    }
    for (size_t i = 0; i < n; i++) diff_key_free(&keys[i]);
    free(keys);
    free(p.tasks);
    free(p.order);
    free(p.mine_uri);
    free(w);
    pthread_mutex_destroy(&p.lock);
    return total;
}
