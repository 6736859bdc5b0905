/*
 * store_diff_par.c: store_diff on several threads.
 *
 * T threads (T the number of online cores, at most 8; the calling thread
 * is one) each open their own connection: the replay's store file
 * read-only (so only what s has committed is seen), the other store
 * attached as the serial comparison attaches it. They work in two rounds,
 * each taking jobs from a counter under a mutex:
 *
 * 1. Each table is counted in the replay's store; one of more than
 *    SPLIT_ROWS rows is cut into T ranges of its primary key, of about as
 *    many rows each: the keys of the rows at offsets n/T, 2n/T, ... in key
 *    order, each sought from the one before (LIMIT 1 OFFSET the rows
 *    between), which reads about n keys through the primary key. A key is
 *    cut only when no row can hold NULL in it, so that the ranges hold
 *    every row of either side.
 * 2. Each table not cut, and each range of one that is, is a task: the
 *    merge of its rows (diff_rows) into two buffers of its own, the
 *    replay's lines and the store's. The largest tasks are taken first.
 *
 * When every thread is joined, the report is put together as one thread
 * writes it: table after table, and within a table the replay's lines of
 * each range in key order, then the store's of each range. The report and
 * the count are thus the serial ones, byte for byte. A failed job stops the
 * handing out; the result is then -1 with the error of the first failed
 * job, by table and range.
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

/* A table compared, and how it is cut. */
typedef struct {
    diff_key key;
    long rows;                        /* in the replay's store */
    int parts;                        /* its ranges, 1 when not cut */
    sqlite3_value **cut[THREADS_MAX]; /* the first key of ranges 1 .. parts - 1 */
    int failed;                       /* counting or cutting it failed: err */
    cm_error err;
} table;

/* A table not cut, or one range of one. */
typedef struct {
    const table *tb;
    int part;
    cm_buf mine, theirs; /* the replay's lines, the store's */
    long count;          /* how many lines, or -1 with err */
    cm_error err;
} task;

typedef struct {
    char *mine_uri; /* the replay's file, read-only */
    const char *other_path;
    int nthreads;
    long split;
    table *tables;
    size_t ntables;
    task *tasks; /* table after table, a table's ranges in key order */
    size_t ntasks;
    size_t *order; /* the tasks by rows, the largest first */
    size_t next;   /* the next job of the round to hand out */
    int failed;    /* a job failed: hand out no more */
    pthread_mutex_t lock;
} plan;

typedef struct {
    plan *p;
    sqlite3 *db; /* its connection, opened on its first job */
    int tried;
    cm_error err; /* why db could not be opened */
    pthread_t id;
} worker;

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
    /* each page is read once, in key order: a small cache does */
    sqlite3_exec(db, "PRAGMA main.cache_size=-512; PRAGMA other.cache_size=-512", NULL, NULL, NULL);
    return db;
}

/* The worker's connection, or NULL with its error in err. */
static sqlite3 *conn(worker *w, cm_error *err)
{
    if (!w->tried) w->db = conn_open(w->p, &w->err);
    w->tried = 1;
    if (!w->db) *err = w->err;
    return w->db;
}

/* The index of the next job of a round of n, or -1: none left, or a job
 * failed (failed set: this one). */
static long take(plan *p, size_t n, int failed)
{
    pthread_mutex_lock(&p->lock);
    p->failed |= failed;
    long i = !p->failed && p->next < n ? (long)p->next++ : -1;
    pthread_mutex_unlock(&p->lock);
    return i;
}

static void values_free(sqlite3_value **v, int n)
{
    for (int i = 0; v && i < n; i++) sqlite3_value_free(v[i]);
    free(v);
}

/* The key of the row skip rows past the key from (from NULL: the first
 * row) in the replay's key order, as copies into *cut; *cut NULL when
 * there is no such row. st is the query for from (see cut_table). 0/-1. */
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
    *cut = xcalloc((size_t)k->n, sizeof **cut);
    for (int i = 0; i < k->n; i++)
        if (!((*cut)[i] = sqlite3_value_dup(sqlite3_column_value(st, i)))) {
            values_free(*cut, i);
            *cut = NULL;
            return cm_fail(err, CM_INTERNAL, "", "store: diff: out of memory");
        }
    sqlite3_reset(st);
    return 0;
}

/* Counts tb in the replay's store and, when it has more than split rows
 * and a key that can be cut, cuts it into parts ranges. 0 or -1. */
static int cut_table(sqlite3 *db, table *tb, int parts, long split, cm_error *err)
{
    const diff_key *k = &tb->key;
    const char *t = k->table, *cols = k->cols.data;
    char *sql = xasprintf("SELECT count(*) FROM main.\"%s\"", t);
    sqlite3_stmt *st[2] = {NULL, NULL};
    int rc = sqlite3_prepare_v2(db, sql, -1, &st[0], NULL) != SQLITE_OK ||
                     sqlite3_step(st[0]) != SQLITE_ROW
                 ? diff_fail(db, err, "diff")
                 : 0;
    tb->rows = rc ? 0 : (long)sqlite3_column_int64(st[0], 0);
    sqlite3_finalize(st[0]);
    st[0] = NULL;
    free(sql);
    tb->parts = 1;
    if (rc || !k->cuttable || tb->rows <= split) return rc;
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
    long at = 0; /* the offset of the last cut */
    for (int r = 1; r < parts && !rc; r++) {
        long want = (long)((long long)tb->rows * r / parts);
        sqlite3_value **from = r > 1 ? tb->cut[r - 2] : NULL;
        rc = cut_seek(db, st[from != NULL], k, from, want - at, &tb->cut[r - 1], err);
        if (rc || !tb->cut[r - 1]) break; /* no such row: fewer ranges */
        tb->parts = r + 1;
        at = want;
    }
    sqlite3_finalize(st[0]);
    sqlite3_finalize(st[1]);
    free(first);
    free(next);
    buf_free(&marks);
    return rc;
}

/* Round 1: counting and cutting the tables. */
static void *cut_round(void *arg)
{
    worker *w = arg;
    plan *p = w->p;
    for (long i, failed = 0; (i = take(p, p->ntables, (int)failed)) >= 0;) {
        table *tb = &p->tables[i];
        sqlite3 *db = conn(w, &tb->err);
        tb->failed = !db || cut_table(db, tb, p->nthreads, p->split, &tb->err);
        failed = tb->failed;
    }
    return NULL;
}

/* Round 2: comparing the tables and ranges. */
static void *diff_round(void *arg)
{
    worker *w = arg;
    plan *p = w->p;
    for (long i, failed = 0; (i = take(p, p->ntasks, (int)failed)) >= 0;) {
        task *t = &p->tasks[p->order[i]];
        const table *tb = t->tb;
        sqlite3 *db = conn(w, &t->err);
        sqlite3_value *const *lo = t->part ? tb->cut[t->part - 1] : NULL;
        sqlite3_value *const *hi = t->part < tb->parts - 1 ? tb->cut[t->part] : NULL;
        t->count = db ? diff_rows(db, &tb->key, lo, hi, &t->mine, &t->theirs, &t->err) : -1;
        failed = t->count < 0;
    }
    return NULL;
}

/* Runs a round on the workers: w[0] is the calling thread. */
static void run_round(plan *p, worker *w, void *(*round)(void *))
{
    int started = 1;
    p->next = 0;
    for (; started < p->nthreads; started++)
        if (pthread_create(&w[started].id, NULL, round, &w[started])) break;
    round(&w[0]);
    for (int i = 1; i < started; i++) pthread_join(w[i].id, NULL);
}

/* The tasks, table after table, and their order, the largest first. */
static void make_tasks(plan *p)
{
    size_t n = 0;
    for (size_t i = 0; i < p->ntables; i++) n += (size_t)p->tables[i].parts;
    p->tasks = xcalloc(n, sizeof *p->tasks);
    p->order = xcalloc(n, sizeof *p->order);
    for (size_t i = 0; i < p->ntables; i++)
        for (int r = 0; r < p->tables[i].parts; r++) {
            task *t = &p->tasks[p->ntasks];
            t->tb = &p->tables[i];
            t->part = r;
            /* insertion by rows (a few dozen tasks), ties in task order */
            long rows = t->tb->rows / t->tb->parts;
            size_t j = p->ntasks++;
            for (; j > 0; j--) {
                const task *o = &p->tasks[p->order[j - 1]];
                if (o->tb->rows / o->tb->parts >= rows) break;
                p->order[j] = p->order[j - 1];
            }
            p->order[j] = p->ntasks - 1;
        }
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
        for (j = i; j < p->ntasks && p->tasks[j].tb == p->tasks[i].tb; j++) {
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
    plan p = {.other_path = other_path, .nthreads = diff_threads(), .ntables = n};
    p.split = tuned_split ? tuned_split : SPLIT_ROWS;
    p.mine_uri = store_read_uri(sqlite3_db_filename(s->db, "main"), 0);
    p.tables = xcalloc(n, sizeof *p.tables);
    pthread_mutex_init(&p.lock, NULL);
    worker *w = xcalloc((size_t)p.nthreads, sizeof *w);
    for (int i = 0; i < p.nthreads; i++) w[i].p = &p;
    long total = -1;
    /* the keys, on the calling thread's connection, in the serial order */
    sqlite3 *db = conn(&w[0], err);
    int rc = db ? 0 : -1;
    for (size_t i = 0; i < n && !rc; i++) rc = diff_key_of(db, tables[i], &p.tables[i].key, err);
    if (!rc) run_round(&p, w, cut_round);
    for (size_t i = 0; i < n && !rc; i++)
        if (p.tables[i].failed) {
            if (err) *err = p.tables[i].err;
            rc = -1;
        }
    if (!rc) {
        make_tasks(&p);
        run_round(&p, w, diff_round);
        total = gather(&p, report, err);
    }
    for (int i = 0; i < p.nthreads; i++) sqlite3_close(w[i].db);
    for (size_t i = 0; i < p.ntasks; i++) {
        buf_free(&p.tasks[i].mine);
        buf_free(&p.tasks[i].theirs);
    }
    for (size_t i = 0; i < n; i++) {
        for (int r = 0; r < THREADS_MAX; r++) values_free(p.tables[i].cut[r], p.tables[i].key.n);
        diff_key_free(&p.tables[i].key);
    }
    free(p.tables);
    free(p.tasks);
    free(p.order);
    free(p.mine_uri);
    free(w);
    pthread_mutex_destroy(&p.lock);
    return total;
}
