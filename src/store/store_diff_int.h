/*
 * store_diff_int.h: what the two files of store_diff share: the merge of
 * one table, or of one range of its primary key (store_diff.c), which the
 * serial comparison runs on the replay's own connection and the parallel
 * one (store_diff_par.c) on connections of its threads.
 */
#ifndef CMCC_STORE_DIFF_INT_H
#define CMCC_STORE_DIFF_INT_H

#include "store/store_int.h"

#define DIFF_KEY_MAX 16

/* A table's primary key, as main (the replay's store) declares it. */
typedef struct {
    const char *table;
    cm_buf cols; /* the key's columns in key order, quoted: "a", "b" */
    int n;       /* how many; every column of a table with no primary key */
    int cid[DIFF_KEY_MAX];
    int cuttable; /* a primary key that no row can hold NULL in: ranges of
                     it partition the table (store_diff_par.c) */
} diff_key;

/* Fills k for table t of schema main on db. 0, or -1 with err. */
int diff_key_of(sqlite3 *db, const char *t, diff_key *k, cm_error *err);
void diff_key_free(diff_key *k);

/* Compares the rows of k->table whose key is >= lo and < hi (k->n values
 * each; NULL: no bound) in main and in other (attached) on db. Appends the
 * replay's lines to mine and the store's to theirs, in key order; returns
 * how many lines, or -1 with err. */
long diff_rows(sqlite3 *db, const diff_key *k, sqlite3_value *const *lo, sqlite3_value *const *hi,
               cm_buf *mine, cm_buf *theirs, cm_error *err);

/* The SELECT of every column of k->table in schema ("main" or "other"), in
 * key order, with lo: its key >= k->n parameters, with hi: its key < k->n
 * more parameters (after lo's). malloc'ed. */
char *diff_range_sql(const char *schema, const diff_key *k, int lo, int hi);

/* ATTACHes the store file at path to db as `other`, read-only. 0 or -1. */
int diff_attach(sqlite3 *db, const char *path, cm_error *err);

/* Fills err with db's last error about what ("store: what: ..."), -1. */
int diff_fail(sqlite3 *db, cm_error *err, const char *what);

/* The number of threads store_diff would use (store_diff_tune), >= 1. */
int diff_threads(void);

/* store_diff of the tables (n of them) on diff_threads() threads, each with
 * its own read-only connection to the committed file of s. */
long diff_parallel(store *s, const char *other_path, const char *const *tables, size_t n,
                   cm_buf *report, cm_error *err);

#endif
