/*
 * store_supply_rows.c: the supply ledger's rows as the tables hold them,
 * for the read model (src/views/), which computes every balance, status,
 * total, alert and message from them. Each fetch is one query whose rows
 * go one by one, as a struct of plain columns, to the caller's function
 * (store.h says the order of each); nothing here is JSON or a rule.
 */
#include "store/pg_int.h"

#include <stdint.h>

typedef struct {
    void *fn, *ctx;
} each;

static const char *text(sqlite3_stmt *st, int i)
{
    return (const char *)sqlite3_column_text(st, i);
}

/* An integer column, or dflt when it is NULL. */
static long long int_or(sqlite3_stmt *st, int i, long long dflt)
{
    return sqlite3_column_type(st, i) == SQLITE_NULL ? dflt : sqlite3_column_int64(st, i);
}

static int consignment_row(void *ctx, sqlite3_stmt *st)
{
    const each *e = ctx;
    store_consignment_row r = {text(st, 0),
                               text(st, 1),
                               text(st, 2),
                               text(st, 3),
                               text(st, 4),
                               text(st, 5),
                               sqlite3_column_int64(st, 6),
                               sqlite3_column_int(st, 7)};
    return ((store_consignment_fn)e->fn)(e->ctx, &r);
}

int store_consignments_each(store *s, const char *consignment, store_consignment_fn fn, void *ctx,
                            cm_error *err)
{
    if (s->pg) return pg_consignments_each(s->pg, consignment, fn, ctx, err);
    each e = {(void *)fn, ctx};
    store_arg args[] = {STORE_TEXT(consignment)};
#define CONSIGNMENTS                                                                               \
    "SELECT consignment, declared_by, consignee, crossing, donor, reference, time, screened "      \
    "FROM consignments "
    return store_rows(s,
                      consignment ? CONSIGNMENTS "WHERE consignment = ?1"
                                  : CONSIGNMENTS "WHERE ?1 IS NULL ORDER BY time, consignment",
                      args, 1, consignment_row, &e, err);
}

static int line_row(void *ctx, sqlite3_stmt *st)
{
    const each *e = ctx;
    store_line_row r = {text(st, 0),
                        text(st, 2),
                        text(st, 3),
                        text(st, 4),
                        text(st, 8),
                        sqlite3_column_int64(st, 1),
                        sqlite3_column_int64(st, 6),
                        int_or(st, 7, -1),
                        sqlite3_column_int64(st, 9),
                        sqlite3_column_type(st, 5) == SQLITE_NULL ? -1
                                                                  : sqlite3_column_double(st, 5)};
    return ((store_line_fn)e->fn)(e->ctx, &r);
}

int store_lines_each(store *s, const char *consignment, store_line_fn fn, void *ctx, cm_error *err)
{
    if (s->pg) return pg_lines_each(s->pg, consignment, fn, ctx, err);
    each e = {(void *)fn, ctx};
    store_arg args[] = {STORE_TEXT(consignment)};
#define LINES                                                                                      \
    "SELECT consignment, line, item, category, unit, weight_kg, declared, approved, reason, "      \
    "entered FROM lines "
    return store_rows(s,
                      consignment ? LINES "WHERE consignment = ?1 ORDER BY line"
                                  : LINES "WHERE ?1 IS NULL ORDER BY consignment, line",
                      args, 1, line_row, &e, err);
}

static int account_row(void *ctx, sqlite3_stmt *st)
{
    const each *e = ctx;
    store_account_row r = {text(st, 0),
                           text(st, 2),
                           text(st, 3),
                           sqlite3_column_int64(st, 1),
                           sqlite3_column_int64(st, 4),
                           sqlite3_column_int64(st, 5),
                           sqlite3_column_int64(st, 6)};
    return ((store_account_fn)e->fn)(e->ctx, &r);
}

int store_accounts_each(store *s, const char *consignment, store_account_fn fn, void *ctx,
                        cm_error *err)
{
    if (s->pg) return pg_accounts_each(s->pg, consignment, fn, ctx, err);
    each e = {(void *)fn, ctx};
    store_arg args[] = {STORE_TEXT(consignment)};
#define ACCOUNTS "SELECT consignment, line, kind, holder, qty, last_time, updated FROM accounts "
    /* a consignment's by its key, not by a scan of every account */
    return store_rows(s,
                      consignment ? ACCOUNTS "WHERE consignment = ?1 ORDER BY line, kind, holder"
                                  : ACCOUNTS
                          "WHERE ?1 IS NULL ORDER BY consignment, line, kind, holder",
                      args, 1, account_row, &e, err);
}

static int movement_row(void *ctx, sqlite3_stmt *st)
{
    const each *e = ctx;
    store_movement_row r = {text(st, 0),
                            text(st, 2),
                            text(st, 3),
                            text(st, 4),
                            text(st, 5),
                            text(st, 8),
                            sqlite3_column_int64(st, 1),
                            sqlite3_column_int64(st, 6),
                            sqlite3_column_int64(st, 7)};
    return ((store_movement_fn)e->fn)(e->ctx, &r);
}

int store_movements_each(store *s, int64_t after_ms, int64_t until_ms, store_movement_fn fn,
                         void *ctx, cm_error *err)
{
    if (s->pg) return pg_movements_each(s->pg, after_ms, until_ms, fn, ctx, err);
    each e = {(void *)fn, ctx};
    store_arg args[] = {STORE_INT(after_ms), STORE_INT(until_ms)};
    /* the whole journal is read in its own order; a window by its time */
    const char *sql = after_ms == INT64_MIN && until_ms == INT64_MAX
                          ? "SELECT m.consignment, m.line, m.from_kind, m.from_holder, m.to_kind, "
                            "m.to_holder, m.qty, m.time, t.from_org FROM movements m LEFT JOIN "
                            "transfers t ON m.to_kind = 'pending' AND t.transfer = m.to_holder "
                            "WHERE ?1 = ?1 AND ?2 = ?2"
                          : "SELECT m.consignment, m.line, m.from_kind, m.from_holder, m.to_kind, "
                            "m.to_holder, m.qty, m.time, t.from_org FROM movements m LEFT JOIN "
                            "transfers t ON m.to_kind = 'pending' AND t.transfer = m.to_holder "
                            "WHERE m.time > ?1 AND m.time <= ?2";
    return store_rows(s, sql, args, 2, movement_row, &e, err);
}

static int transfer_row(void *ctx, sqlite3_stmt *st)
{
    const each *e = ctx;
    store_transfer_row r = {text(st, 0),      text(st, 1), text(st, 2),
                            text(st, 3),      text(st, 4), text(st, 5),
                            text(st, 6),      text(st, 7), sqlite3_column_int64(st, 8),
                            int_or(st, 9, -1)};
    return ((store_transfer_fn)e->fn)(e->ctx, &r);
}

#define TRANSFER_COLS                                                                              \
    "SELECT transfer, consignment, from_org, to_org, kind, place, status, reason, time, "          \
    "closed_time FROM transfers "

int store_transfers_each(store *s, const char *consignment, const char *status,
                         store_transfer_fn fn, void *ctx, cm_error *err)
{
    if (s->pg) return pg_transfers_each(s->pg, consignment, status, fn, ctx, err);
    each e = {(void *)fn, ctx};
    store_arg args[] = {STORE_TEXT(consignment ? consignment : status)};
    const char *sql = consignment ? TRANSFER_COLS "WHERE consignment = ?1 ORDER BY opened"
                      : status    ? TRANSFER_COLS "WHERE status = ?1 ORDER BY transfer"
                                  : TRANSFER_COLS "WHERE ?1 IS NULL ORDER BY transfer";
    return store_rows(s, sql, args, 1, transfer_row, &e, err);
}

static int transfer_line_row(void *ctx, sqlite3_stmt *st)
{
    const each *e = ctx;
    store_transfer_line_row r = {text(st, 0), sqlite3_column_int64(st, 1),
                                 sqlite3_column_int64(st, 2), int_or(st, 3, -1)};
    return ((store_transfer_line_fn)e->fn)(e->ctx, &r);
}

int store_transfer_lines_each(store *s, const char *consignment, store_transfer_line_fn fn,
                              void *ctx, cm_error *err)
{
    if (s->pg) return pg_transfer_lines_each(s->pg, consignment, fn, ctx, err);
    each e = {(void *)fn, ctx};
    store_arg args[] = {STORE_TEXT(consignment)};
    return store_rows(s,
                      "SELECT tl.transfer, tl.line, tl.sent, tl.received FROM transfers t JOIN "
                      "transfer_lines tl ON tl.transfer = t.transfer WHERE t.consignment = ?1 "
                      "ORDER BY tl.transfer, tl.line",
                      args, 1, transfer_line_row, &e, err);
}

static int event_row(void *ctx, sqlite3_stmt *st)
{
    const each *e = ctx;
    store_event_row r = {sqlite3_column_int64(st, 0),
                         text(st, 1),
                         text(st, 2),
                         text(st, 3),
                         text(st, 4),
                         text(st, 5)};
    return ((store_event_fn)e->fn)(e->ctx, &r);
}

int store_consignment_events_each(store *s, const char *consignment, store_event_fn fn, void *ctx,
                                  cm_error *err)
{
    if (s->pg) return pg_consignment_events_each(s->pg, consignment, fn, ctx, err);
    each e = {(void *)fn, ctx};
    store_arg args[] = {STORE_TEXT(consignment)};
    /* an alert follow-up is a note of the thing of kind "alert" at the
     * entry's index (src/event/alerts.c) */
    return store_rows(s,
                      "SELECT en.idx, en.type, en.org, en.id,"
                      " (SELECT n.id FROM thing_notes n WHERE n.kind = 'alert' AND n.idx = en.idx"
                      "  ORDER BY n.id, n.seq LIMIT 1),"
                      " (SELECT n.body FROM thing_notes n WHERE n.kind = 'alert' AND n.idx = en.idx"
                      "  ORDER BY n.id, n.seq LIMIT 1)"
                      " FROM consignment_events ce JOIN entries en ON en.idx = ce.idx"
                      " WHERE ce.consignment = ?1 ORDER BY en.idx",
                      args, 1, event_row, &e, err);
}

static int alert_note_row(void *ctx, sqlite3_stmt *st)
{
    const each *e = ctx;
    store_alert_note_row r = {text(st, 0),
                              text(st, 1),
                              sqlite3_column_int64(st, 2),
                              sqlite3_column_int64(st, 3),
                              sqlite3_column_int(st, 4),
                              text(st, 5),
                              text(st, 6),
                              text(st, 7),
                              sqlite3_column_int64(st, 8)};
    return ((store_alert_note_fn)e->fn)(e->ctx, &r);
}

int store_alert_notes_each(store *s, store_alert_note_fn fn, void *ctx, cm_error *err)
{
    if (s->pg) return pg_alert_notes_each(s->pg, fn, ctx, err);
    each e = {(void *)fn, ctx};
    return store_rows(s,
                      "SELECT th.id, th.status, th.updated, n.idx, n.seq, n.org, n.note, n.body,"
                      " n.time FROM things th JOIN thing_notes n ON n.kind = th.kind"
                      " AND n.id = th.id WHERE th.kind = 'alert' ORDER BY th.id, n.idx, n.seq",
                      NULL, 0, alert_note_row, &e, err);
}
