/*
 * store.h: where the log and its state are kept, and what a backend must
 * do to keep them.
 *
 * One interface for the entries, the stored hashes of the tree, the signed
 * checkpoints, the read tokens, the projections (the state every event is
 * judged against and the rows every figure is computed from, by
 * src/views/), and a witness's own state. Everything above this header
 * sees only store_*; there are two backends, chosen by the location a store
 * is opened at: SQLite (store_sqlite.c and its siblings, sharing
 * store_int.h) and PostgreSQL (pg_*.c, sharing pg_int.h; each public
 * function of the SQLite files hands a PostgreSQL store to its pg_
 * counterpart). What a backend must give:
 *
 *   - transactions: one writer (STORE_WRITER) appends a batch of entries
 *     with their effects between store_begin and store_commit, atomically;
 *     readers (STORE_READER) see committed data only, and a read snapshot
 *     (store_read_begin/_end) spans the reads of one answer;
 *   - durability: a commit is durable when it returns, or, with lazy
 *     commits, once store_sync returns (from another thread);
 *   - entries by index, tree nodes by (level, index) and runs of them (a
 *     tile), checkpoints by size;
 *   - the lookups of an ev_view (store_view) and the writes of each effect
 *     (store_apply), the ledger's invariant, and rows for the read model;
 *   - tokens, metadata, a schema it creates and upgrades itself.
 *
 * Connections: a process has at most one STORE_WRITER on a log. It alone
 * appends, applies effects and tends the store (store_tend); its commits
 * are durable when they return unless lazy. STORE_ADMIN is for short
 * operator writes (tokens) while a server may be running: it writes but
 * never tends. STORE_SCRATCH is a writer for a temporary store that need
 * not survive a crash (the copy a verification replays into).
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

/* A store's location is a file path (SQLite) or a PostgreSQL connection
 * URL, postgresql://... or postgres://... (the PostgreSQL backend, pg_*.c:
 * the database must exist; the store is its tables). 1 when location is
 * such a URL. */
int store_is_url(const char *location);
/* 1 when a store is at location, 0 when none, -1 (err) when it cannot be
 * told (a database that cannot be reached). */
int store_exists(const char *location, cm_error *err);
/* Creates a new, empty store at path (which must not exist). */
int store_create(const char *path, cm_error *err);
/* The same, for a store to be opened in mode (STORE_SCRATCH: no WAL). */
int store_create_mode(const char *path, store_mode mode, cm_error *err);
/* Deletes the store at path, which must be closed (a creation undone). */
void store_destroy(const char *path);
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
/* Durability. By default store_commit returns once the commit is durable.
 * With lazy commits on (the server's writer), a commit returns once it is
 * written, and store_sync, callable from any thread while the writer goes
 * on, makes every commit before the call durable (SQLite: one fdatasync of
 * the WAL). A backend whose commits are always durable makes store_sync a
 * no-op. */
int store_lazy_commits(store *s, int lazy, cm_error *err);
int store_sync(store *s, cm_error *err);
/* The writer's housekeeping, called after each batch (idle: nothing is
 * queued). SQLite: checkpoint the WAL when idle and it holds over ~4 MiB,
 * or whatever the load past ~256 MiB. */
void store_tend(store *s, int idle);
/* The same housekeeping now, whatever the load (a server stopping). */
void store_settle(store *s);

/* Metadata: origin, the log's verifier key, the schema version. */
int store_meta_get(store *s, const char *key, char **value, cm_error *err);
int store_meta_set(store *s, const char *key, const char *value, cm_error *err);

/* ---- store_lease.c: one writer, and replication ------------------------- */

/* The writer's lease: several servers may open a store as STORE_WRITER
 * (PostgreSQL: each in its own log directory, naming the same database);
 * only the one holding the lease may append. store_lease_take tries to
 * take it without waiting: 1 taken (*term, this writer's fencing term,
 * larger than every earlier writer's), 0 another writer holds it, -1 err.
 * From then on, every transaction of this writer first checks that its
 * term is still the store's, and fails if another writer has taken the
 * lease since. store_lease_held: 1 while it is held, 0 once the
 * connection that held it broke, -1 once a batch found its term taken by
 * another writer. SQLite: the
 * log directory's lock is the lease (1, term 1; always held). */
int store_lease_take(store *s, int64_t now_ms, int64_t *term, cm_error *err);
int store_lease_held(store *s);
/* The lease's time limit (PostgreSQL): a writer renews it at least every
 * STORE_LEASE_RENEW_MS, between batches and when idle (store_lease_keep:
 * 0, or -1 when the connection broke or the term was taken, and then
 * store_lease_held says which); a server finding the lease held but not
 * renewed for STORE_LEASE_MS ends the holder's session and takes it (a
 * frozen writer). store_lease_ended_expired: whether the last
 * store_lease_take did that (said once). SQLite: nothing to renew. */
#define STORE_LEASE_MS       5000
#define STORE_LEASE_RENEW_MS 1000
int store_lease_keep(store *s, cm_error *err);
int store_lease_ended_expired(store *s);
/* Whether the lease must be renewed on a beat (1, PostgreSQL) or lasts as
 * long as the process (0, SQLite: its sequencer sleeps until there is
 * work). */
int store_lease_beats(store *s);
/* The writer's connection, broken, made again to the same location (a
 * multi-host URL: whichever host is the primary now), without the lease,
 * which the caller takes again. SQLite: nothing to do. */
int store_reconnect(store *s, cm_error *err);

/* When a commit returns, as the database sees it now. known is 0 for a
 * store with no replication (SQLite). replicated: a commit waits for a
 * synchronous standby (synchronous_commit neither off nor local, some
 * synchronous_standby_names, and a standby streaming as sync or quorum). */
typedef struct {
    int known;
    char synchronous_commit[32];
    char standby_names[256];
    int sync_standbys; /* streaming as sync or quorum */
    int standbys;      /* streaming at all */
    int replicated;
} store_replication;
int store_replication_get(store *s, store_replication *out, cm_error *err);

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
/* store_entries, for the entries of [from, from + count) whose type is
 * one of types (a NULL-terminated list) alone. */
int store_entries_typed(store *s, uint64_t from, uint64_t count, const char *const *types,
                        store_entry_fn fn, void *ctx, cm_error *err);
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
/* Calls fn for every token, oldest first: its id, org, the device key it
 * is bound to (NULL for an operator's token), when it was made and when
 * revoked (-1 while active), in ms since the epoch. Stops when fn returns
 * nonzero (and returns that). */
typedef int (*store_token_fn)(void *ctx, const char *id, const char *org, const char *keyid,
                              int64_t created_ms, int64_t revoked_ms);
int store_tokens_each(store *s, store_token_fn fn, void *ctx, cm_error *err);

/* ---- store_state.c: the state events are judged against ----------------- */

/* Fills *v with lookups on this store; v->size is set to the store's size
 * as the caller knows it (the sequencer tracks it). */
void store_view(store *s, ev_view *v);
/* The log index of the event (org, id): 1, 0 when there is none, -1. */
int store_event_index(store *s, const char *org, const char *id, uint64_t *index);
/* A hint, inside the writer's transaction: the events (orgs[i], ids[i])
 * are about to be judged. PostgreSQL looks all their ids up in one round
 * trip and keeps the answers for the transaction (pg_ids.c); SQLite, whose
 * lookups cost no round trip, does nothing. 0, or -1 (the transaction is
 * then doomed, as with any failed statement). */
int store_prefetch_ids(store *s, size_t n, const char *const *orgs, const char *const *ids,
                       cm_error *err);
/* A hint, as store_prefetch_ids: the parsed events evs are about to be
 * judged. PostgreSQL loads the supply rows their rules will read (the
 * consignments, transfers, distribution and loss ids their bodies name) in
 * one round trip and keeps them for the transaction (pg_supply_cache.c);
 * SQLite does nothing. 0, or -1 (the transaction is then doomed). */
int store_prefetch_supply(store *s, size_t n, const ev_event *const *evs, cm_error *err);
/* Applies the accepted event e (entry idx): records (org, id) -> idx for
 * idempotency and writes its effects; then checks the ledger's invariant
 * on every line the event moved (CM_INTERNAL if it does not hold). */
int store_apply(store *s, const ev_event *e, const ev_effects *fx, uint64_t idx, cm_error *err);
/* store_apply without the idempotency record: the effects and the ledger's
 * check only. For a SQLite replay whose ids are checked another way
 * (`cmcc verify`, id_digest.c); CM_INTERNAL on PostgreSQL. */
int store_apply_state(store *s, const ev_event *e, const ev_effects *fx, uint64_t idx,
                      cm_error *err);
/* Calls fn for every row of the idempotency records, in the order of
 * (org, id) as SQLite's BINARY collation sorts them (bytes), with the
 * lengths of org and id; stops when fn returns nonzero (and returns that
 * value). A row whose idx is not an integer is given as UINT64_MAX. SQLite
 * only (CM_INTERNAL on PostgreSQL). */
typedef int (*store_event_id_fn)(void *ctx, const char *org, size_t org_len, const char *id,
                                 size_t id_len, uint64_t idx);
int store_each_event_id(store *s, store_event_id_fn fn, void *ctx, cm_error *err);
/* Empties every projection (for a rebuild). */
int store_clear_state(store *s, cm_error *err);

/* ---- store_read.c: the registry's rows, for the read model (src/views/) - */

/* Each fetch calls fn once per row, in the order it says, with the row's
 * columns (strings valid during the call only; NULL for a value never
 * given); it stops when fn returns nonzero and returns that value. 0, or
 * -1 with err when the store cannot be read. */

typedef struct {
    const char *org, *name, *names, *roles, *country, *status, *reason; /* names, roles: JSON */
    long long admitted;
} store_org_row;
typedef int (*store_org_fn)(void *ctx, const store_org_row *r);
/* Every org, by org. */
int store_orgs_each(store *s, store_org_fn fn, void *ctx, cm_error *err);

typedef struct {
    const char *org, *keyid, *public_key, *status;
} store_key_row;
typedef int (*store_key_fn)(void *ctx, const store_key_row *r);
/* Every key, by org, then as added (then by keyid). */
int store_keys_each(store *s, store_key_fn fn, void *ctx, cm_error *err);

typedef struct {
    const char *place, *kind, *name, *names, *sector, *status, *reason; /* names: JSON */
    double lat, lon;
    long long defined;
} store_place_row;
typedef int (*store_place_fn)(void *ctx, const store_place_row *r);
/* Every place, by place. */
int store_places_each(store *s, store_place_fn fn, void *ctx, cm_error *err);

/* ---- store_supply_rows.c: the supply ledger's rows, for the read model -- */

/* The same conventions as the registry's rows; consignment NULL: every
 * consignment's rows. Times are milliseconds since 1970. */

typedef struct {
    const char *consignment, *declared_by, *consignee, *crossing, *donor, *reference;
    int64_t time_ms;
    int screened;
} store_consignment_row;
typedef int (*store_consignment_fn)(void *ctx, const store_consignment_row *r);
/* By time, then consignment. */
int store_consignments_each(store *s, const char *consignment, store_consignment_fn fn, void *ctx,
                            cm_error *err);

typedef struct {
    const char *consignment, *item, *category, *unit, *reason;
    long long line, declared, approved, entered; /* approved: -1 before screening */
    double weight_kg;                            /* < 0 when not given */
} store_line_row;
typedef int (*store_line_fn)(void *ctx, const store_line_row *r);
/* By consignment, then line. */
int store_lines_each(store *s, const char *consignment, store_line_fn fn, void *ctx, cm_error *err);

typedef struct {
    const char *consignment, *kind, *holder; /* holder "" for distributed */
    long long line, qty;
    int64_t last_time_ms;
    long long updated; /* the entry that last moved it */
} store_account_row;
typedef int (*store_account_fn)(void *ctx, const store_account_row *r);
/* Every account, empty ones too, by consignment, line, kind, holder. */
int store_accounts_each(store *s, const char *consignment, store_account_fn fn, void *ctx,
                        cm_error *err);

typedef struct {
    const char *consignment, *from_kind, *from_holder, *to_kind, *to_holder; /* "": outside */
    const char *to_sender; /* into a pending account: the transfer's `from` org; else NULL */
    long long line, qty;
    int64_t time_ms;
} store_movement_row;
typedef int (*store_movement_fn)(void *ctx, const store_movement_row *r);
/* The journal's postings of after_ms < time <= until_ms, in log order. */
int store_movements_each(store *s, int64_t after_ms, int64_t until_ms, store_movement_fn fn,
                         void *ctx, cm_error *err);

typedef struct {
    const char *transfer, *consignment, *from, *to, *kind, *place, *status, *reason;
    int64_t time_ms, closed_ms; /* closed_ms: -1 while pending */
} store_transfer_row;
typedef int (*store_transfer_fn)(void *ctx, const store_transfer_row *r);
/* A consignment's transfers as opened; with consignment NULL, the
 * transfers of status (NULL: any) by transfer. */
int store_transfers_each(store *s, const char *consignment, const char *status,
                         store_transfer_fn fn, void *ctx, cm_error *err);

typedef struct {
    const char *transfer;
    long long line, sent, received; /* received: -1 until closed */
} store_transfer_line_row;
typedef int (*store_transfer_line_fn)(void *ctx, const store_transfer_line_row *r);
/* The lines of a consignment's transfers, by transfer, then line. */
int store_transfer_lines_each(store *s, const char *consignment, store_transfer_line_fn fn,
                              void *ctx, cm_error *err);

typedef struct {
    long long index;
    const char *type, *org, *id;
    const char *alert, *alert_body; /* an alert follow-up's key and body (JSON); else NULL */
} store_event_row;
typedef int (*store_event_fn)(void *ctx, const store_event_row *r);
/* The entries that concern a consignment, in log order. */
int store_consignment_events_each(store *s, const char *consignment, store_event_fn fn, void *ctx,
                                  cm_error *err);

typedef struct {
    const char *alert, *status; /* the alert's key and its status */
    long long updated;          /* the entry of its latest follow-up */
    long long index;            /* this follow-up's entry */
    int seq;
    const char *org, *note, *body; /* who, which (acknowledge, assign, resolve), body JSON */
    int64_t time_ms;
} store_alert_note_row;
typedef int (*store_alert_note_fn)(void *ctx, const store_alert_note_row *r);
/* Every follow-up of every alert, by alert, then in log order. */
int store_alert_notes_each(store *s, store_alert_note_fn fn, void *ctx, cm_error *err);

/* ---- store_things_read.c: the rows of things for the read model -------- */

/* A note of a thing: the signer's org, the note's kind, the time of its
 * event (ms), whether it is the latest of its kind from that org, the
 * entry that added it, and its body as stored JSON text. */
typedef struct {
    const char *org, *note;
    int64_t time_ms;
    int latest;
    int64_t index;
    const char *body;
} store_thing_note;

/* A thing: its id, owning org, status, the time of the event that made it
 * (ms), the entry that made it (index) and last changed it (updated), its
 * body as stored JSON text, and its notes in log order. */
typedef struct {
    const char *id, *org, *status;
    int64_t time_ms, index, updated;
    const char *body;
    const store_thing_note *notes;
    size_t nnotes;
} store_thing_row;

/* Called for each thing; the row is valid during the call only. Nonzero
 * (with err) stops the walk. */
typedef int (*store_thing_fn)(void *ctx, const store_thing_row *t, cm_error *err);

/* Calls fn for each thing of kind (only `id` when not NULL), oldest first.
 * How many there were, or -1 with err. */
long store_things_each(store *s, ev_thing_kind kind, const char *id, store_thing_fn fn, void *ctx,
                       cm_error *err);

/* ---- store_diff.c: comparing the state of two stores -------------------- */

/* Compares every projection of s (and with STORE_DIFF_LOG, the tree's
 * nodes too; with STORE_DIFF_NO_IDS, not the idempotency records) with the
 * store file at other_path, row by row. Appends one line per difference to
 * report, naming the entry that last wrote the row (or the tree node), and
 * returns how many there were, or -1. */
enum { STORE_DIFF_LOG = 1, STORE_DIFF_NO_IDS = 2 };
long store_diff(store *s, const char *other_path, int flags, cm_buf *report, cm_error *err);
/* The tables are compared on as many threads as there are cores online (at
 * most 8), a table of more than 65536 rows cut into as many ranges of its
 * key; the report is the same, byte for byte, as one thread's. For tests:
 * sets the number of threads and the rows past which a table is cut (0:
 * these defaults). Not thread-safe: call before any store_diff. */
void store_diff_tune(int threads, long split_rows);

/* ---- store_witness.c: a witness's own state ----------------------------- */

/* A witness keeps, in a store of its own (not a log's), the logs it
 * witnesses and for each the newest checkpoint it cosigned. */
int store_witness_create(const char *path, cm_error *err);
store *store_witness_open(const char *path, cm_error *err);
/* Adds (or re-keys) a log to witness, by its origin and note verifier key. */
int store_witness_add_log(store *s, const char *origin, const char *vkey, cm_error *err);
/* The log of origin: its vkey (malloc'ed), the size and root last cosigned.
 * 1 found, 0 not witnessed. */
int store_witness_get(store *s, const char *origin, char **vkey, uint64_t *size, log_hash *root,
                      cm_error *err);
/* Records a newly cosigned checkpoint, if the stored size is still
 * old_size (else CM_CONFLICT): durable when it returns. */
int store_witness_advance(store *s, const char *origin, uint64_t old_size, uint64_t size,
                          const log_hash *root, const char *note, int64_t now_ms, cm_error *err);
/* Calls fn for each log witnessed, by origin; stops when fn returns
 * nonzero (and returns that). */
typedef int (*store_witness_fn)(void *ctx, const char *origin, const char *vkey, uint64_t size);
int store_witness_each(store *s, store_witness_fn fn, void *ctx, cm_error *err);

#endif
