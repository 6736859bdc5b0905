/*
 * pg_int.h: what the PostgreSQL files of the store share (pg_*.c): the
 * connection, its prepared statements, and the helpers to run them. Not
 * part of the store's interface (store.h), which dispatches to these
 * functions when a store was opened from a postgresql:// location.
 *
 * Statements are prepared once per connection, on first use, named after
 * the address of their SQL text: every statement run through pg_run is a
 * string literal, so its address names it for the life of the process.
 * Parameters go as text, bytea as binary; results come as text, except
 * where a caller asks for binary (entries and tree nodes, read as bytes).
 *
 * The hot path: a write transaction of the writer (STORE_WRITER, or a
 * replay's STORE_SCRATCH) runs in libpq's pipeline mode. pg_do sends a
 * write and returns at once, so an event's writes (its entry, tree nodes,
 * idempotency key, effects, the ledger's check) cost no round trip; a read
 * (an ev_view lookup) sends its query with a flush and reads every result
 * before its own; the commit syncs and reads the rest. A write that fails
 * is reported by the next read or by the commit, and the whole batch is
 * rolled back, as the sequencer does with any failure. The writes whose
 * outcome the backend must check (an account's balance taken, the ledger's
 * invariant) check it in SQL and fail as a statement.
 */
#ifndef CMCC_PG_INT_H
#define CMCC_PG_INT_H

#include "store/store_int.h"

#include <libpq-fe.h>

#define PG_PREPARED_MAX 256 /* slots of the prepared-statement set (a power of 2) */
#define PG_PARAMS_MAX   12

struct pg_store {
    PGconn *conn;
    store_mode mode;
    const char *prepared[PG_PREPARED_MAX]; /* the SQL texts prepared so far */
    long long affected;                    /* rows the last pg_do changed (not pipelined) */
    /* the writer's transaction, pipelined: its writes are sent without
     * waiting, their results read before the next read's or at commit */
    int pipeline; /* in pipeline mode */
    int pending;  /* results of commands sent and not read yet */
    int failed;   /* a command of this transaction failed: why */
    char why[512];
    struct pg_cache *cache; /* the registry\'s rows it looked up (pg_cache.c) */
    struct pg_ids *ids;     /* the batch's event ids, looked up at once (pg_ids.c) */
    struct pg_sc *sc;       /* the batch's supply rows, looked up at once (pg_supply_cache.c) */
    /* the writer's lease (pg_lease.c): its term (0: none taken), and
     * whether a batch found the term taken by another writer */
    int64_t term;
    int deposed;
    int64_t renewed_ms; /* when it last renewed the lease (time_mono_ms) */
    int ended_expired;  /* taking it ended a writer whose lease expired */
};

/* The values bound to a statement's $1, $2, ... in order. */
typedef struct {
    int n;
    const char *v[PG_PARAMS_MAX];
    int len[PG_PARAMS_MAX], fmt[PG_PARAMS_MAX];
    char num[PG_PARAMS_MAX][32];
} pg_params;

void pg_text(pg_params *a, const char *s); /* NULL binds NULL */
void pg_textn(pg_params *a, const char *s, size_t n);
void pg_int(pg_params *a, int64_t i);
void pg_real(pg_params *a, double d);
void pg_null(pg_params *a);
void pg_bytes(pg_params *a, const void *b, size_t n);

/* Fills err with the connection's last error about what; returns -1. */
int pg_fail(pg_store *p, cm_error *err, const char *what);
/* Runs sql (one or more statements, no parameters, no rows). */
int pg_exec(pg_store *p, const char *sql, cm_error *err);
/* Runs the prepared statement of sql (a string literal) with a (NULL: no
 * parameters); binary asks for binary results. The result when it is rows
 * or a command's completion (the caller PQclear()s it), else NULL and err
 * about what. */
PGresult *pg_run(pg_store *p, const char *sql, const pg_params *a, int binary, const char *what,
                 cm_error *err);
/* pg_run of a statement with no rows: 0 (p->affected set), or -1; inside
 * a pipelined transaction, sent only (0), its failure reported later. */
int pg_do(pg_store *p, const char *sql, const pg_params *a, const char *what, cm_error *err);
/* Runs sql once, unprepared (SQL made at run time). */
PGresult *pg_query(pg_store *p, const char *sql, const pg_params *a, const char *what,
                   cm_error *err);
/* A lookup of at most one row: 1 with *res on it (caller clears), 0 none, -1. */
int pg_row(pg_store *p, const char *sql, const pg_params *a, PGresult **res, cm_error *err);
/* Runs sql (once, unprepared) and calls fn with each row of its result;
 * stops when fn returns nonzero and returns that. 0, or -1 with err. The
 * result is whole before fn is called, so fn may use the connection. */
typedef int (*pg_row_fn)(void *ctx, const PGresult *res, int row);
int pg_rows(pg_store *p, const char *sql, const pg_params *a, pg_row_fn fn, void *ctx,
            cm_error *err);

/* Column values: text (NULL when NULL), integer (dflt when NULL), real. */
static inline const char *pg_s(const PGresult *r, int row, int col)
{
    return PQgetisnull(r, row, col) ? NULL : PQgetvalue(r, row, col);
}
long long pg_i(const PGresult *r, int row, int col, long long dflt);
double pg_d(const PGresult *r, int row, int col, double dflt);
/* A bytea column of a text result, decoded (malloc'ed, NUL-terminated). */
char *pg_bytea(const PGresult *r, int row, int col, size_t *len);

/* The registry's rows looked up in the writer's transaction (pg_cache.c):
 * 1 found (*out filled), 0 known not to be there, -1 not kept. */
enum { PG_CACHE_ORG = 1, PG_CACHE_KEY, PG_CACHE_PLACE };
int pg_cache_get(pg_store *p, int kind, const char *key, void *out);
void pg_cache_put(pg_store *p, int kind, const char *key, int found, const void *val);
void pg_cache_clear(pg_store *p);

/* The batch's event ids (pg_ids.c), looked up at once in the writer's
 * transaction: pg_ids_get 1 found (*idx), 0 known not to be there, -1 not
 * kept; pg_prefetch_ids asks for n of them in one statement. */
int pg_ids_get(pg_store *p, const char *org, const char *id, uint64_t *idx);
void pg_ids_put(pg_store *p, const char *org, const char *id, int found, uint64_t idx);
void pg_ids_clear(pg_store *p);
void pg_ids_free(pg_store *p);
int pg_prefetch_ids(pg_store *p, size_t n, const char *const *orgs, const char *const *ids,
                    cm_error *err);

/* The supply rows of a batch (pg_supply_cache.c), looked up at once in
 * the writer's transaction by pg_prefetch_supply: the lookups answer 1
 * found, 0 not there, -1 not kept (pg_sc_balance and
 * pg_sc_transfer_lines 1 when kept); pg_sc_effect applies a written
 * effect to what is kept. */
int pg_prefetch_supply(pg_store *p, size_t n, const ev_event *const *evs, cm_error *err);
int pg_sc_consignment(pg_store *p, const char *id, ev_consignment_state *out);
int pg_sc_line(pg_store *p, const char *consignment, long long line, ev_line_state *out);
int pg_sc_balance(pg_store *p, const char *consignment, long long line, const char *account,
                  long long *qty);
int pg_sc_transfer(pg_store *p, const char *id, ev_transfer_state *out);
int pg_sc_transfer_lines(pg_store *p, const char *transfer, long long *line, long long *sent,
                         size_t cap, size_t *n);
int pg_sc_taken(pg_store *p, int loss, const char *id);
void pg_sc_effect(pg_store *p, const ev_fx *f, const ev_event *ev);
void pg_sc_clear(pg_store *p);
void pg_sc_free(pg_store *p);

/* Empties every cache of the writer's transaction (registry rows, event
 * ids, supply rows): when it begins and ends, when the connection is made
 * again, and when the state is emptied (pg_cache.c). */
void pg_caches_clear(pg_store *p);

/* The writer's lease and replication (pg_lease.c): what store.h says of
 * store_lease_take, store_lease_held and store_replication_get. pg_fence sends,
 * in the writer's pipelined transaction, the check that its term is the
 * store's; a lost lease fails it with PG_FENCE_SENTENCE. */
#define PG_FENCE_SENTENCE                                                                          \
    "this server no longer writes this log: another cmcc serve took the writer''s role"
int pg_lease_take(pg_store *p, int64_t now_ms, int64_t *term, cm_error *err);
int pg_lease_held(pg_store *p);
int pg_lease_keep(pg_store *p, cm_error *err);
int pg_lease_ended_expired(pg_store *p);
int pg_reconnect(pg_store *p, cm_error *err);
int pg_fence(pg_store *p, cm_error *err);
int pg_replication(pg_store *p, store_replication *out, cm_error *err);

/* 1 when location is a PostgreSQL connection URL. */
int pg_is_url(const char *location);

/* The schema (pg_schema.c): the DDL of a new store, its upgrades
 * (pg_upgrades[i] takes version i + 1 to i + 2; NULL where there is none),
 * and every table cmcc makes, for store_destroy. */
extern const char pg_schema_sql[];
extern const char *const pg_upgrades[];
extern const char *const pg_tables[];

/* ---- the backend's side of each store.h function ---------------------- */
int pg_store_create(const char *url, cm_error *err);
int pg_store_exists(const char *url, cm_error *err);
void pg_store_destroy(const char *url);
store *pg_store_open(const char *url, store_mode mode, cm_error *err);
void pg_store_close(pg_store *p);
int pg_begin(pg_store *p, cm_error *err);
int pg_commit(pg_store *p, cm_error *err);
void pg_rollback(pg_store *p);
int pg_read_begin(pg_store *p, cm_error *err);
void pg_read_end(pg_store *p);
int pg_in_transaction(pg_store *p);
int pg_meta_get(pg_store *p, const char *key, char **value, cm_error *err);
int pg_meta_set(pg_store *p, const char *key, const char *value, cm_error *err);

int pg_size(pg_store *p, uint64_t *size, cm_error *err);
int pg_append(pg_store *p, uint64_t idx, const char *entry, size_t len, const char *org,
              const char *id, const char *type, cm_error *err);
int pg_entry(pg_store *p, uint64_t idx, char **entry, size_t *len, cm_error *err);
int pg_entries(pg_store *p, uint64_t from, uint64_t count, store_entry_fn fn, void *ctx,
               cm_error *err);
int pg_entries_typed(pg_store *p, uint64_t from, uint64_t count, const char *const *types,
                     store_entry_fn fn, void *ctx, cm_error *err);
int pg_put_hash(pg_store *p, int level, uint64_t index, const log_hash *h, cm_error *err);
int pg_read_hash(pg_store *p, int level, uint64_t index, log_hash *out);
int pg_read_hashes(pg_store *p, int level, uint64_t first, unsigned n, uint8_t *out);
int pg_put_checkpoint(pg_store *p, uint64_t size, const char *note, int64_t now_ms, cm_error *err);
int pg_latest_checkpoint(pg_store *p, char **note, uint64_t *size, cm_error *err);
int pg_each_checkpoint(pg_store *p, store_checkpoint_fn fn, void *ctx, cm_error *err);

int pg_token_new(pg_store *p, const uint8_t hash[32], const char *id, const char *org,
                 const char *keyid, int64_t asked_ms, int64_t now_ms, cm_error *err);
int pg_token_revoke(pg_store *p, const char *id, int64_t now_ms, cm_error *err);
int pg_token_find(pg_store *p, const uint8_t hash[32], char org[EV_ID_MAX + 1],
                  char keyid[LOG_KEYID_LEN + 1], cm_error *err);
int pg_tokens_each(pg_store *p, store_token_fn fn, void *ctx, cm_error *err);

/* The lookups of an ev_view: v->ctx is the store (callers of a view may
 * replace a lookup with their own over the same ctx), PG(ctx) its
 * connection. */
#define PG(ctx) (((store *)(ctx))->pg)
void pg_view(store *s, ev_view *v);
void pg_supply_view(ev_view *v);
void pg_things_view(ev_view *v);
int pg_event_index(pg_store *p, const char *org, const char *id, uint64_t *index);
int pg_apply(pg_store *p, const ev_event *e, const ev_effects *fx, uint64_t idx, cm_error *err);
int pg_supply_apply(pg_store *p, const ev_fx *f, const ev_event *e, uint64_t idx, int seq,
                    cm_error *err);
int pg_things_apply(pg_store *p, const ev_fx *f, const ev_event *e, uint64_t idx, int seq,
                    cm_error *err);
int pg_line_invariant(pg_store *p, const char *consignment, long long line, cm_error *err);
int pg_clear_state(pg_store *p, cm_error *err);

int pg_orgs_each(pg_store *p, store_org_fn fn, void *ctx, cm_error *err);
int pg_keys_each(pg_store *p, store_key_fn fn, void *ctx, cm_error *err);
int pg_places_each(pg_store *p, store_place_fn fn, void *ctx, cm_error *err);
int pg_consignments_each(pg_store *p, const char *consignment, store_consignment_fn fn, void *ctx,
                         cm_error *err);
int pg_lines_each(pg_store *p, const char *consignment, store_line_fn fn, void *ctx, cm_error *err);
int pg_accounts_each(pg_store *p, const char *consignment, store_account_fn fn, void *ctx,
                     cm_error *err);
int pg_movements_each(pg_store *p, int64_t after_ms, int64_t until_ms, store_movement_fn fn,
                      void *ctx, cm_error *err);
int pg_transfers_each(pg_store *p, const char *consignment, const char *status,
                      store_transfer_fn fn, void *ctx, cm_error *err);
int pg_transfer_lines_each(pg_store *p, const char *consignment, store_transfer_line_fn fn,
                           void *ctx, cm_error *err);
int pg_consignment_events_each(pg_store *p, const char *consignment, store_event_fn fn, void *ctx,
                               cm_error *err);
int pg_alert_notes_each(pg_store *p, store_alert_note_fn fn, void *ctx, cm_error *err);
long pg_things_each(pg_store *p, ev_thing_kind kind, const char *id, store_thing_fn fn, void *ctx,
                    cm_error *err);

/* Copies the tables of the open SQLite store dst names (every table of
 * its schema; with tables set, only those) from p, as of one snapshot,
 * row by row (pg_copy.c). */
int pg_copy_to_sqlite(pg_store *p, sqlite3 *dst, const char *const *tables, cm_error *err);

#endif
