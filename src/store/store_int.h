/*
 * store_int.h: what the SQLite files of the store share: the connection,
 * its cache of prepared statements, and the helpers to use them. Not part
 * of the store's interface (store.h).
 */
#ifndef CMCC_STORE_INT_H
#define CMCC_STORE_INT_H

#include "store/store.h"

#include <sqlite3.h>
#include <string.h>

/* One slot per prepared statement, so each is prepared once per connection. */
enum {
    SQ_READ_BEGIN,
    SQ_READ_END,
    SQ_BEGIN,
    SQ_COMMIT,
    SQ_META_GET,
    SQ_META_SET,
    SQ_SIZE,
    SQ_ENTRY_PUT,
    SQ_EVID_PUT,
    SQ_ENTRY_GET,
    SQ_ENTRIES,
    SQ_ENTRIES_TYPED,
    SQ_HASH_PUT,
    SQ_HASH_GET,
    SQ_HASH_RUN,
    SQ_CKPT_PUT,
    SQ_CKPT_LATEST,
    SQ_TOKEN_PUT,
    SQ_TOKEN_REVOKE,
    SQ_TOKEN_ORG,
    SQ_TOKEN_PRUNE,
    SQ_TOKEN_ASKED,
    SQ_ORG_GET,
    SQ_KEY_GET,
    SQ_KEYS_ACTIVE,
    SQ_PLACE_GET,
    SQ_EVID_GET,
    SQ_ORG_ADMIT,
    SQ_ORG_STATUS,
    SQ_KEY_ADD,
    SQ_KEY_REVOKE,
    SQ_PLACE_DEFINE,
    SQ_PLACE_STATUS,
    SQ_CONSIGNMENT_GET,
    SQ_LINE_GET,
    SQ_BALANCE_GET,
    SQ_TRANSFER_GET,
    SQ_TRANSFER_LINES,
    SQ_DISTRIBUTION_GET,
    SQ_LOSS_GET,
    SQ_CONSIGNMENT_PUT,
    SQ_LINE_PUT,
    SQ_LINE_SCREEN,
    SQ_CONSIGNMENT_SCREENED,
    SQ_TRANSFER_PUT,
    SQ_TRANSFER_LINE_PUT,
    SQ_TRANSFER_RECEIVED,
    SQ_TRANSFER_CLOSE,
    SQ_ACCOUNT_ADD,
    SQ_ACCOUNT_TAKE,
    SQ_ENTERED_ADD,
    SQ_MOVEMENT_PUT,
    SQ_DISTRIBUTION_PUT,
    SQ_LOSS_PUT,
    SQ_TOUCH,
    SQ_INVARIANT,
    SQ_THING_GET,
    SQ_THING_NOTE_LATEST,
    SQ_THING_PUT,
    SQ_THING_STATUS,
    SQ_THING_UNLATEST,
    SQ_THING_NOTE,
    SQ_ORGS_ROLE,
    SQ_WEAPON_BY_SERIAL,
    SQ_COUNT
};

/* the PostgreSQL backend's connection (pg_int.h) */
typedef struct pg_store pg_store;

struct store {
    pg_store *pg; /* set: a PostgreSQL store, and every function goes to pg_*.c */
    sqlite3 *db;
    store_mode mode;
    sqlite3_stmt *st[SQ_COUNT];
    int wal_frames; /* the writer's WAL length after its last commit */
    int wal_fd;     /* the writer's own descriptor of its WAL, for store_sync; -1 */
};

/* The statement of slot, prepared from sql on first use, reset and with
 * its bindings cleared. NULL (and err) if it cannot be prepared. */
sqlite3_stmt *store_stmt(store *s, int slot, const char *sql, cm_error *err);
/* Fills err with the connection's last error about what, returns -1. */
int store_fail(store *s, cm_error *err, const char *what);
/* Runs SQL with no result rows. */
int store_exec(store *s, const char *sql, cm_error *err);
/* Binds text, or NULL when s is NULL. */
void store_bind_text(sqlite3_stmt *st, int i, const char *s);

/* Steps a cached statement of a lookup: 1 with a row to read (the caller
 * resets st after reading it), 0 for no row, -1 on an error (st reset).
 * Inline: the sequencer runs these for every event. */
/* An account's name ("kind:holder", "kind" or "") as the store keeps it,
 * in two columns: the length of its kind, and *holder ("" when it has
 * none), both pointing into name. */
static inline size_t store_account_split(const char *name, const char **holder)
{
    const char *colon = strchr(name, ':');
    *holder = colon ? colon + 1 : "";
    return colon ? (size_t)(colon - name) : strlen(name);
}

static inline int store_step_row(sqlite3_stmt *st)
{
    int rc = sqlite3_step(st);
    if (rc == SQLITE_ROW) return 1;
    sqlite3_reset(st);
    return rc == SQLITE_DONE ? 0 : -1;
}
/* Steps a cached statement that returns no rows and resets it: 0, or -1
 * with err about what (store_fail's what). */
static inline int store_step_done_as(store *s, sqlite3_stmt *st, const char *what, cm_error *err)
{
    int rc = sqlite3_step(st);
    sqlite3_reset(st);
    return rc == SQLITE_DONE ? 0 : store_fail(s, err, what);
}
/* The same for the writes of an effect, whose errors are about an "apply". */
static inline int store_step_done(store *s, sqlite3_stmt *st, cm_error *err)
{
    return store_step_done_as(s, st, "apply", err);
}

/* SQL for a column of milliseconds since 1970 as an RFC 3339 UTC time. */
#define ISO(col) "strftime('%Y-%m-%dT%H:%M:%SZ', " col " / 1000, 'unixepoch')"

/* A value bound to a query's ?N (text NULL binds NULL). */
typedef struct {
    int kind; /* 1 text, 2 integer, 3 real */
    const char *s;
    int64_t i;
    double d;
} store_arg;
#define STORE_TEXT(x)                                                                              \
    {                                                                                              \
        1, (x), 0, 0                                                                               \
    }
#define STORE_INT(x)                                                                               \
    {                                                                                              \
        2, NULL, (x), 0                                                                            \
    }
#define STORE_REAL(x)                                                                              \
    {                                                                                              \
        3, NULL, 0, (x)                                                                            \
    }

/* Prepares sql and binds args (a statement the caller finalizes). */
sqlite3_stmt *store_query(store *s, const char *sql, const store_arg *args, int n, cm_error *err);
/* Runs a query and calls fn with the statement on each row; stops when fn
 * returns nonzero (and returns that). 0, or -1 with err. */
typedef int (*store_row_fn)(void *ctx, sqlite3_stmt *st);
int store_rows(store *s, const char *sql, const store_arg *args, int n, store_row_fn fn, void *ctx,
               cm_error *err);

/* The supply ledger (store_supply.c): its lookups for an ev_view, and
 * applying one of its effects. */
void store_supply_view(store *s, ev_view *v);
int store_supply_apply(store *s, const ev_fx *f, const ev_event *e, uint64_t idx, int seq,
                       cm_error *err);
/* Things (store_things.c): their lookups for an ev_view, and applying
 * FX_THING_* effects; seq orders several notes of one event. */
void store_things_view(store *s, ev_view *v);
int store_things_apply(store *s, const ev_fx *f, const ev_event *e, uint64_t idx, int seq,
                       cm_error *err);

/* Checks entered = the sum of the accounts for one line. */
int store_line_invariant(store *s, const char *consignment, long long line, cm_error *err);

/* The schema of a new store (store_schema.c). */
#define STORE_SCHEMA_VERSION 6
/* the version as SQL text: STORE_QUOTE(STORE_SCHEMA_VERSION) is "6" */
#define STORE_QUOTE_(x) #x
#define STORE_QUOTE(x)  STORE_QUOTE_(x)
extern const char store_schema_sql[];
/* store_upgrades[i] takes a store of schema version i + 1 to i + 2; the
 * caller records the new version */
extern const char *const store_upgrades[];
/* The projection tables, which a rebuild empties and a diff compares. */
extern const char *const store_state_tables[];

/* The URI that opens path read-only ("file:...?mode=ro", the path
 * percent-encoded), with immutable=1 when immutable is set. malloc'ed. */
char *store_read_uri(const char *path, int immutable);
/* 1 when path can be read only as an immutable file: its directory may not
 * be written, and its WAL is absent or empty (store_sqlite.c). */
int store_immutable(const char *path);

#endif
