/*
 * store.h: where the log and its state are kept.
 *
 * One interface for the entries, the stored hashes of the tree, the signed
 * checkpoints, the read tokens and the projections (the state every event
 * is judged against and every read is answered from). The implementation is
 * SQLite (store_sqlite*.c); everything above this header sees only store_*.
 *
 * Connections: a process has at most one STORE_WRITER on a log. It alone
 * appends, applies effects and checkpoints the WAL; writes happen between
 * store_begin (BEGIN IMMEDIATE) and store_commit, which is durable when it
 * returns (WAL, synchronous=FULL). STORE_READER connections see committed
 * data only and never write. STORE_ADMIN is for short operator writes
 * (tokens) while a server may be running: it writes but never checkpoints.
 * STORE_SCRATCH is a writer for a temporary store that need not survive a
 * crash (the copy a verification replays into).
 *
 * Lookups return 1 (found), 0 (not found) or -1 (failure, with err).
 * Strings returned through OUT parameters are the caller's to free.
 */
#ifndef CMCC_STORE_H
#define CMCC_STORE_H

#include "common/buf.h"
#include "common/error.h"
#include "event/event.h"
#include "log/log.h"

#include <stdint.h>

typedef struct store store;

typedef enum {
    STORE_WRITER,
    STORE_READER,
    STORE_ADMIN,
    STORE_SCRATCH /* a throw-away copy (replays): a writer with no fsync */
} store_mode;

/* ---- store_sqlite.c: opening, transactions, metadata -------------------- */

/* Creates a new, empty store at path (which must not exist). */
int store_create(const char *path, cm_error *err);
/* The same, for a store to be opened in mode (STORE_SCRATCH: no WAL). */
int store_create_mode(const char *path, store_mode mode, cm_error *err);
/* Opens an existing store. NULL and err on failure. */
store *store_open(const char *path, store_mode mode, cm_error *err);
void store_close(store *s);

int store_begin(store *s, cm_error *err); /* BEGIN IMMEDIATE */
int store_commit(store *s, cm_error *err);
void store_rollback(store *s);
/* A read snapshot: every read between store_read_begin and store_read_end
 * sees the store as of the first of them, and takes SQLite's read locks
 * once instead of once per statement. Not on a connection that is inside a
 * write transaction. */
int store_read_begin(store *s, cm_error *err);
void store_read_end(store *s);
/* 1 while a transaction (read or write) is open on s. */
int store_in_transaction(store *s);
/* Runs a PASSIVE checkpoint of the WAL (writer only). */
void store_wal_checkpoint(store *s);
/* The writer's commits sync the WAL (on, the default) or only write it
 * (off): then store_sync_wal, callable from any thread while the writer
 * goes on, makes every commit before the call durable. */
int store_sync_commits(store *s, int on, cm_error *err);
int store_sync_wal(store *s, cm_error *err);
/* The writer's WAL policy, called after each commit: checkpoint when idle
 * and the WAL holds over ~4 MiB, or whatever the load past ~256 MiB. */
void store_wal_tend(store *s, int idle);

/* Metadata: origin, the log's verifier key, the schema version. */
int store_meta_get(store *s, const char *key, char **value, cm_error *err);
int store_meta_set(store *s, const char *key, const char *value, cm_error *err);

/* ---- store_backup.c: online backups ------------------------------------- */

/* Copies the store at src_path, as of one commit, to the new file
 * dst_path, while a server may be writing. OUT: *size, its entries. */
int store_backup(const char *src_path, const char *dst_path, uint64_t *size, cm_error *err);

/* ---- store_log.c: entries, hashes, checkpoints -------------------------- */

/* The number of entries. */
int store_size(store *s, uint64_t *size, cm_error *err);
/* Appends entry idx (which must be the current size) with the event's org,
 * id and type. */
int store_append(store *s, uint64_t idx, const char *entry, size_t len, const char *org,
                 const char *id, const char *type, cm_error *err);
/* Reads entry idx. OUT: *entry (malloc'ed, NUL-terminated), *len. */
int store_entry(store *s, uint64_t idx, char **entry, size_t *len, cm_error *err);
/* Calls fn for entries [from, from + count) in order; stops when fn
 * returns nonzero (and returns that value). */
typedef int (*store_entry_fn)(void *ctx, uint64_t idx, const char *entry, size_t len);
int store_entries(store *s, uint64_t from, uint64_t count, store_entry_fn fn, void *ctx,
                  cm_error *err);
/* Stores a complete node of the tree. */
int store_put_hash(store *s, int level, uint64_t index, const log_hash *h, cm_error *err);
/* A log_read_fn over this store (ctx is the store). */
int store_read_hash(void *ctx, int level, uint64_t index, log_hash *out);
/* A log_read_run_fn over this store: one query for the whole run. */
int store_read_hashes(void *ctx, int level, uint64_t first, unsigned n, uint8_t *out);

/* Keeps a signed checkpoint (the note text) of a tree size. */
int store_put_checkpoint(store *s, uint64_t size, const char *note, int64_t now_ms, cm_error *err);
/* The newest checkpoint. OUT: *note, *size. 0 when there is none. */
int store_latest_checkpoint(store *s, char **note, uint64_t *size, cm_error *err);
/* Calls fn for every kept checkpoint, smallest tree first; stops when fn
 * returns nonzero (and returns that). */
typedef int (*store_checkpoint_fn)(void *ctx, uint64_t size, const char *note);
int store_each_checkpoint(store *s, store_checkpoint_fn fn, void *ctx, cm_error *err);

/* ---- store_token.c: read tokens ----------------------------------------- */

#define STORE_TOKEN_ID_LEN  12
#define STORE_TOKEN_MAX     64 /* room for a token: "cmcc_" + 43 + NUL */
#define STORE_DEVICE_TOKENS 4  /* live device tokens a key keeps; a new one replaces the oldest */

/* Makes a new token for org, bound to the device key keyid (NULL for an
 * operator's token), and records its SHA-256 in one transaction; a device
 * key's tokens past its newest STORE_DEVICE_TOKENS are deleted. asked_ms is
 * the time of the device's signed request: it must be later than that of
 * every request the key was answered before (a request replayed, or one
 * older than the last, is refused: returns 1, nothing stored). OUT: token
 * (to show once), id (STORE_TOKEN_ID_LEN hex digits of the hash), the
 * name it is listed and revoked by. 0 made, 1 refused, -1 error. */
int store_token_new(store *s, const char *org, const char *keyid, int64_t asked_ms, int64_t now_ms,
                    char token[STORE_TOKEN_MAX], char id[STORE_TOKEN_ID_LEN + 1], cm_error *err);
/* Revokes the token with this id. 1 revoked, 0 no such active token. */
int store_token_revoke(store *s, const char *id, int64_t now_ms, cm_error *err);
/* The org of an active token with this hash, and the device key it is
 * bound to ("" for an operator's token). OUT: org, keyid. */
int store_token_find(store *s, const uint8_t hash[32], char org[EV_ID_MAX + 1],
                     char keyid[LOG_KEYID_LEN + 1], cm_error *err);
/* Appends the tokens as a JSON array (id, org, keyid, created, revoked; the
 * times RFC 3339 UTC with milliseconds, revoked null while active). */
int store_tokens_json(store *s, cm_buf *out, cm_error *err);

/* ---- store_state.c: the state events are judged against ----------------- */

/* Fills *v with lookups on this store; v->size is set to the store's size
 * as the caller knows it (the sequencer tracks it). */
void store_view(store *s, ev_view *v);
/* The log index of the event (org, id): 1, 0 when there is none, -1. */
int store_event_index(store *s, const char *org, const char *id, uint64_t *index);
/* Applies the accepted event e (entry idx): records (org, id) -> idx for
 * idempotency and writes its effects; then checks the ledger's invariant
 * on every line the event moved (CM_INTERNAL if it does not hold). */
int store_apply(store *s, const ev_event *e, const ev_effects *fx, uint64_t idx, cm_error *err);
/* Empties every projection (for a rebuild). */
int store_clear_state(store *s, cm_error *err);

/* ---- store_read.c: projections as JSON for the read API ----------------- */

int store_orgs_json(store *s, cm_buf *out, cm_error *err);
int store_places_json(store *s, cm_buf *out, cm_error *err);

/* The elements of a list the read API answers (/v1/orgs, /v1/places,
 * /v1/consignments unfiltered), one at a time in the answer's order, so
 * that a list of millions is compared without holding it (cmcc verify).
 * store_items_next gives the next element's JSON (valid until the next
 * call), or NULL at the end, with err set if the read failed. */
typedef enum { STORE_LIST_ORGS, STORE_LIST_PLACES, STORE_LIST_CONSIGNMENTS } store_list;
typedef struct store_items store_items;
store_items *store_items_open(store *s, store_list which, cm_error *err);
const char *store_items_next(store_items *it, size_t *len, cm_error *err);
void store_items_close(store_items *it);

/* ---- store_supply_read.c, store_csv.c: the supply picture --------------- */

typedef struct {
    const char *status, *crossing, *org; /* NULL: any */
} store_consignment_filter;

/* Appends [{consignment, totals, status}, ...] (oldest first). */
int store_consignments_json(store *s, const store_consignment_filter *f, cm_buf *out,
                            cm_error *err);
/* Appends one consignment with its lines' accounts, transfers and events.
 * 1 found, 0 no such consignment. */
int store_consignment_json(store *s, const char *id, cm_buf *out, cm_error *err);

typedef struct {
    int64_t as_of_ms;    /* the alerts as of this time */
    int pending_hours;   /* a transfer pending longer (24) */
    int idle_hours;      /* a holding with no movement for longer (72) */
    double loss_percent; /* lost + unaccounted over this share of what was received (5) */
    int window_days;     /* ... in this many days (30) */
} store_alert_config;

int store_alerts_json(store *s, const store_alert_config *c, cm_buf *out, cm_error *err);
/* The public supply aggregates {"by_day":[...], "by_day_unit":[...],
 * "by_unit":[...], "totals":{...}}: flows per day and crossing (and per
 * category and unit), and the balances (and per category and unit). */
int store_stats_json(store *s, cm_buf *out, cm_error *err);
/* By crossing, by org and by category. */
int store_reconciliation_json(store *s, cm_buf *out, cm_error *err);

typedef enum { STORE_CSV_CONSIGNMENTS, STORE_CSV_RECONCILIATION } store_csv;
/* Appends a CSV export: header, HXL hashtag row, one row per line. */
int store_csv_export(store *s, store_csv which, cm_buf *out, cm_error *err);

/* Checks the ledger's invariant on every line; appends one report line per
 * line that breaks it and returns how many, or -1. */
long store_check_ledger(store *s, cm_buf *report, cm_error *err);

/* ---- store_things_read.c: sites, zones, movements, incidents, ... ------- */

/* Appends the things of kind (only `id` when not NULL) as a JSON array:
 * [{"id","org","status","time","index","updated","body":{...},
 *   "notes":[{"org","note","time","latest","index","body":{...}}]}]. */
int store_things_json(store *s, ev_thing_kind kind, const char *id, cm_buf *out, cm_error *err);

/* ---- store_diff.c: comparing the state of two stores -------------------- */

/* Compares every projection of s (and with log set, the tree's nodes too)
 * with the store file at other_path, row by row. Appends one
 * line per difference to report, naming the entry that last wrote the row
 * (or the tree node), and returns how many there were, or -1. */
long store_diff(store *s, const char *other_path, int log, cm_buf *report, cm_error *err);

#endif
