/*
 * store_supply.c: the supply ledger on SQLite (the accounts and invariant
 * are described in src/event/supply.c).
 *
 * A move (FX_MOVE) is one posting: qty out of `from`, into `to`, recorded in
 * the journal (movements) and in the balances (accounts); the empty account
 * "" stands outside the book, so a move from "" raises the line's `entered`
 * and a move to "" lowers it. The rules name an account "kind:holder"
 * (src/event/supply.c); the tables keep the kind and the holder as two
 * columns (bind_account splits the name where it is bound, copying nothing). Balances can never go
 * negative (a CHECK on the table), and after an event the store checks, for each line it moved,
 *   entered = the sum of the line's accounts.
 */
#include "store/store_int.h"

#include "event/effects.h"

#include <stdio.h>
#include <string.h>

static void copy_col(sqlite3_stmt *st, int col, char *out, size_t cap)
{
    const unsigned char *t = sqlite3_column_text(st, col);
    snprintf(out, cap, "%s", t ? (const char *)t : "");
}

static int v_consignment(void *ctx, const char *id, ev_consignment_state *out)
{
    store *s = ctx;
    sqlite3_stmt *st =
        store_stmt(s, SQ_CONSIGNMENT_GET,
                   "SELECT crossing, declared_by, screened, (SELECT count(*) FROM lines l WHERE "
                   "l.consignment = c.consignment) FROM consignments c WHERE consignment=?",
                   NULL);
    if (!st) return -1;
    sqlite3_bind_text(st, 1, id, -1, SQLITE_STATIC);
    int r = store_step_row(st);
    if (r != 1) return r;
    copy_col(st, 0, out->crossing, sizeof out->crossing);
    copy_col(st, 1, out->declared_by, sizeof out->declared_by);
    out->screened = sqlite3_column_int(st, 2);
    out->lines = sqlite3_column_int64(st, 3);
    sqlite3_reset(st);
    return 1;
}

static int v_line(void *ctx, const char *consignment, long long line, ev_line_state *out)
{
    store *s = ctx;
    sqlite3_stmt *st = store_stmt(
        s, SQ_LINE_GET,
        "SELECT declared, coalesce(approved, -1), entered FROM lines WHERE consignment=? AND "
        "line=?",
        NULL);
    if (!st) return -1;
    sqlite3_bind_text(st, 1, consignment, -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 2, line);
    int r = store_step_row(st);
    if (r != 1) return r;
    out->declared = sqlite3_column_int64(st, 0);
    out->approved = sqlite3_column_int64(st, 1);
    out->entered = sqlite3_column_int64(st, 2);
    sqlite3_reset(st);
    return 1;
}

/* Binds the account name a ("kind:holder", "kind" or "") as its kind at
 * column col and its holder at col + 1 ("" when it has none). */
static void bind_account(sqlite3_stmt *st, int col, const char *a)
{
    const char *holder;
    size_t kind = store_account_split(a, &holder);
    sqlite3_bind_text(st, col, a, (int)kind, SQLITE_STATIC);
    sqlite3_bind_text(st, col + 1, holder, -1, SQLITE_STATIC);
}

static int v_balance(void *ctx, const char *consignment, long long line, const char *account,
                     long long *qty)
{
    store *s = ctx;
    sqlite3_stmt *st = store_stmt(
        s, SQ_BALANCE_GET,
        "SELECT qty FROM accounts WHERE consignment=? AND line=? AND kind=? AND holder=?", NULL);
    if (!st) return -1;
    sqlite3_bind_text(st, 1, consignment, -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 2, line);
    bind_account(st, 3, account);
    int r = store_step_row(st);
    if (r < 0) return -1;
    *qty = r ? sqlite3_column_int64(st, 0) : 0;
    sqlite3_reset(st);
    return 1;
}

static int v_transfer(void *ctx, const char *id, ev_transfer_state *out)
{
    store *s = ctx;
    sqlite3_stmt *st = store_stmt(
        s, SQ_TRANSFER_GET,
        "SELECT consignment, from_org, to_org, kind, status FROM transfers WHERE transfer=?", NULL);
    if (!st) return -1;
    sqlite3_bind_text(st, 1, id, -1, SQLITE_STATIC);
    int r = store_step_row(st);
    if (r != 1) return r;
    copy_col(st, 0, out->consignment, sizeof out->consignment);
    copy_col(st, 1, out->from, sizeof out->from);
    copy_col(st, 2, out->to, sizeof out->to);
    out->entry = strcmp((const char *)sqlite3_column_text(st, 3), "entry") == 0;
    const char *status = (const char *)sqlite3_column_text(st, 4);
    out->status = strcmp(status, "pending") == 0    ? TRANSFER_PENDING
                  : strcmp(status, "accepted") == 0 ? TRANSFER_ACCEPTED
                                                    : TRANSFER_REJECTED;
    sqlite3_reset(st);
    return 1;
}

static int v_transfer_lines(void *ctx, const char *transfer, long long *line, long long *sent,
                            size_t cap, size_t *n)
{
    store *s = ctx;
    sqlite3_stmt *st =
        store_stmt(s, SQ_TRANSFER_LINES,
                   "SELECT line, sent FROM transfer_lines WHERE transfer=? ORDER BY line", NULL);
    if (!st) return -1;
    sqlite3_bind_text(st, 1, transfer, -1, SQLITE_STATIC);
    int r;
    *n = 0;
    while ((r = store_step_row(st)) == 1 && *n < cap) {
        line[*n] = sqlite3_column_int64(st, 0);
        sent[*n] = sqlite3_column_int64(st, 1);
        (*n)++;
    }
    sqlite3_reset(st);
    return r < 0 ? -1 : 1;
}

static int exists(store *s, int slot, const char *sql, const char *id)
{
    sqlite3_stmt *st = store_stmt(s, slot, sql, NULL);
    if (!st) return -1;
    sqlite3_bind_text(st, 1, id, -1, SQLITE_STATIC);
    int r = store_step_row(st);
    if (r == 1) sqlite3_reset(st);
    return r;
}

static int v_distribution(void *ctx, const char *id)
{
    return exists(ctx, SQ_DISTRIBUTION_GET, "SELECT 1 FROM distributions WHERE distribution=?", id);
}

static int v_loss(void *ctx, const char *id)
{
    return exists(ctx, SQ_LOSS_GET, "SELECT 1 FROM losses WHERE loss=?", id);
}

void store_supply_view(store *s, ev_view *v)
{
    (void)s;
    v->consignment = v_consignment;
    v->line = v_line;
    v->balance = v_balance;
    v->transfer = v_transfer;
    v->transfer_lines = v_transfer_lines;
    v->distribution = v_distribution;
    v->loss = v_loss;
}

/* Takes qty from an account, which must hold it (the CHECK on qty). */
static int account_take(store *s, const char *consignment, long long line, const char *account,
                        long long qty, uint64_t idx, int64_t time_ms, cm_error *err)
{
    sqlite3_stmt *st = store_stmt(
        s, SQ_ACCOUNT_TAKE,
        "UPDATE accounts SET qty = qty - ?5, last_time = max(last_time, ?6), updated = ?7 "
        "WHERE consignment = ?1 AND line = ?2 AND kind = ?3 AND holder = ?4",
        err);
    if (!st) return -1;
    sqlite3_bind_text(st, 1, consignment, -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 2, line);
    bind_account(st, 3, account);
    sqlite3_bind_int64(st, 5, qty);
    sqlite3_bind_int64(st, 6, time_ms);
    sqlite3_bind_int64(st, 7, (sqlite3_int64)idx);
    if (store_step_done(s, st, err)) return -1;
    if (sqlite3_changes(s->db) != 1)
        return cm_fail(err, CM_INTERNAL, "", "ledger: account %s of line %lld of %s is empty",
                       account, line, consignment);
    return 0;
}

/* Adds qty to an account, opening it if need be. */
static int account_add(store *s, const char *consignment, long long line, const char *account,
                       long long delta, uint64_t idx, int64_t time_ms, cm_error *err)
{
    sqlite3_stmt *st = store_stmt(
        s, SQ_ACCOUNT_ADD,
        "INSERT INTO accounts(consignment, line, kind, holder, qty, last_time, updated) "
        "VALUES(?1, ?2, ?3, ?4, ?5, ?6, ?7) ON CONFLICT(consignment, line, kind, holder) DO "
        "UPDATE SET qty = qty + excluded.qty, last_time = max(last_time, excluded.last_time), "
        "updated = excluded.updated",
        err);
    if (!st) return -1;
    sqlite3_bind_text(st, 1, consignment, -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 2, line);
    bind_account(st, 3, account);
    sqlite3_bind_int64(st, 5, delta);
    sqlite3_bind_int64(st, 6, time_ms);
    sqlite3_bind_int64(st, 7, (sqlite3_int64)idx);
    return store_step_done(s, st, err);
}

static int apply_move(store *s, const ev_fx *f, uint64_t idx, int64_t time_ms, int seq,
                      cm_error *err)
{
    const char *c = f->u.move.consignment;
    long long line = f->u.move.line, q = f->u.move.qty;
    sqlite3_stmt *st = store_stmt(
        s, SQ_MOVEMENT_PUT,
        "INSERT INTO movements(idx, seq, consignment, line, from_kind, from_holder, to_kind, "
        "to_holder, qty, time) VALUES(?,?,?,?,?,?,?,?,?,?)",
        err);
    if (!st) return -1;
    sqlite3_bind_int64(st, 1, (sqlite3_int64)idx);
    sqlite3_bind_int(st, 2, seq);
    sqlite3_bind_text(st, 3, c, -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 4, line);
    bind_account(st, 5, f->u.move.from);
    bind_account(st, 7, f->u.move.to);
    sqlite3_bind_int64(st, 9, q);
    sqlite3_bind_int64(st, 10, time_ms);
    if (store_step_done(s, st, err)) return -1;
    /* the outside of the book is `entered` */
    long long entered = (f->u.move.from[0] ? 0 : q) - (f->u.move.to[0] ? 0 : q);
    if (entered) {
        st = store_stmt(s, SQ_ENTERED_ADD,
                        "UPDATE lines SET entered = entered + ?, updated = ? WHERE "
                        "consignment = ? AND line = ?",
                        err);
        if (!st) return -1;
        sqlite3_bind_int64(st, 1, entered);
        sqlite3_bind_int64(st, 2, (sqlite3_int64)idx);
        sqlite3_bind_text(st, 3, c, -1, SQLITE_STATIC);
        sqlite3_bind_int64(st, 4, line);
        if (store_step_done(s, st, err)) return -1;
    }
    if (f->u.move.from[0] && account_take(s, c, line, f->u.move.from, q, idx, time_ms, err))
        return -1;
    if (f->u.move.to[0] && account_add(s, c, line, f->u.move.to, q, idx, time_ms, err)) return -1;
    return 0;
}

int store_line_invariant(store *s, const char *consignment, long long line, cm_error *err)
{
    sqlite3_stmt *st = store_stmt(
        s, SQ_INVARIANT,
        "SELECT entered, (SELECT coalesce(sum(qty), 0) FROM accounts a WHERE a.consignment = "
        "l.consignment AND a.line = l.line) FROM lines l WHERE consignment=? AND line=?",
        err);
    if (!st) return -1;
    sqlite3_bind_text(st, 1, consignment, -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 2, line);
    int r = store_step_row(st);
    if (r < 0) return store_fail(s, err, "invariant");
    if (r == 0) return cm_fail(err, CM_INTERNAL, "", "no line %lld of %s", line, consignment);
    long long entered = sqlite3_column_int64(st, 0), sum = sqlite3_column_int64(st, 1);
    sqlite3_reset(st);
    if (entered != sum)
        return cm_fail(err, CM_INTERNAL, "",
                       "ledger invariant broken on line %lld of %s: entered %lld, accounts %lld",
                       line, consignment, entered, sum);
    return 0;
}

int store_supply_apply(store *s, const ev_fx *f, const ev_event *e, uint64_t idx, int seq,
                       cm_error *err)
{
    sqlite3_stmt *st;
    sqlite3_int64 at = (sqlite3_int64)idx;
    switch (f->kind) {
    case FX_CONSIGNMENT_DECLARE:
        st = store_stmt(s, SQ_CONSIGNMENT_PUT,
                        "INSERT INTO consignments(consignment, declared_by, consignee, crossing, "
                        "donor, reference, time, first_entry, updated) VALUES(?,?,?,?,?,?,?,?,?)",
                        err);
        if (!st) return -1;
        store_bind_text(st, 1, f->u.consignment_declare.consignment);
        store_bind_text(st, 2, e->org);
        store_bind_text(st, 3, f->u.consignment_declare.consignee);
        store_bind_text(st, 4, f->u.consignment_declare.crossing);
        store_bind_text(st, 5, f->u.consignment_declare.donor);
        store_bind_text(st, 6, f->u.consignment_declare.reference);
        sqlite3_bind_int64(st, 7, e->time_ms);
        sqlite3_bind_int64(st, 8, at);
        sqlite3_bind_int64(st, 9, at);
        return store_step_done(s, st, err);
    case FX_LINE_DECLARE:
        st = store_stmt(s, SQ_LINE_PUT,
                        "INSERT INTO lines(consignment, line, item, category, unit, weight_kg, "
                        "declared, updated) VALUES(?,?,?,?,?,?,?,?)",
                        err);
        if (!st) return -1;
        store_bind_text(st, 1, f->u.line_declare.consignment);
        sqlite3_bind_int64(st, 2, f->u.line_declare.line);
        store_bind_text(st, 3, f->u.line_declare.item);
        store_bind_text(st, 4, f->u.line_declare.category);
        store_bind_text(st, 5, f->u.line_declare.unit);
        if (f->u.line_declare.weight_kg >= 0)
            sqlite3_bind_double(st, 6, f->u.line_declare.weight_kg);
        else
            sqlite3_bind_null(st, 6);
        sqlite3_bind_int64(st, 7, f->u.line_declare.quantity);
        sqlite3_bind_int64(st, 8, at);
        return store_step_done(s, st, err);
    case FX_LINE_SCREEN:
        st = store_stmt(s, SQ_LINE_SCREEN,
                        "UPDATE lines SET approved=?, reason=?, updated=? WHERE consignment=? "
                        "AND line=?",
                        err);
        if (!st) return -1;
        sqlite3_bind_int64(st, 1, f->u.line_screen.approved);
        store_bind_text(st, 2, f->u.line_screen.reason);
        sqlite3_bind_int64(st, 3, at);
        store_bind_text(st, 4, f->u.line_screen.consignment);
        sqlite3_bind_int64(st, 5, f->u.line_screen.line);
        return store_step_done(s, st, err);
    case FX_CONSIGNMENT_SCREENED:
        st = store_stmt(s, SQ_CONSIGNMENT_SCREENED,
                        "UPDATE consignments SET screened=1, updated=? WHERE consignment=?", err);
        if (!st) return -1;
        sqlite3_bind_int64(st, 1, at);
        store_bind_text(st, 2, f->u.consignment.consignment);
        return store_step_done(s, st, err);
    case FX_TRANSFER_OPEN:
        st = store_stmt(s, SQ_TRANSFER_PUT,
                        "INSERT INTO transfers(transfer, consignment, from_org, to_org, kind, "
                        "place, status, time, opened, updated) "
                        "VALUES(?,?,?,?,?,?,'pending',?,?,?)",
                        err);
        if (!st) return -1;
        store_bind_text(st, 1, f->u.transfer_open.transfer);
        store_bind_text(st, 2, f->u.transfer_open.consignment);
        store_bind_text(st, 3, f->u.transfer_open.from);
        store_bind_text(st, 4, f->u.transfer_open.to);
        store_bind_text(st, 5, f->u.transfer_open.entry ? "entry" : "custody");
        store_bind_text(st, 6, f->u.transfer_open.place);
        sqlite3_bind_int64(st, 7, e->time_ms);
        sqlite3_bind_int64(st, 8, at);
        sqlite3_bind_int64(st, 9, at);
        return store_step_done(s, st, err);
    case FX_TRANSFER_LINE:
        st = store_stmt(s, SQ_TRANSFER_LINE_PUT,
                        "INSERT INTO transfer_lines(transfer, line, sent, updated) VALUES(?,?,?,?)",
                        err);
        if (!st) return -1;
        store_bind_text(st, 1, f->u.transfer_line.transfer);
        sqlite3_bind_int64(st, 2, f->u.transfer_line.line);
        sqlite3_bind_int64(st, 3, f->u.transfer_line.qty);
        sqlite3_bind_int64(st, 4, at);
        return store_step_done(s, st, err);
    case FX_TRANSFER_RECEIVED:
        st = store_stmt(s, SQ_TRANSFER_RECEIVED,
                        "UPDATE transfer_lines SET received=?, updated=? WHERE transfer=? AND "
                        "line=?",
                        err);
        if (!st) return -1;
        sqlite3_bind_int64(st, 1, f->u.transfer_line.qty);
        sqlite3_bind_int64(st, 2, at);
        store_bind_text(st, 3, f->u.transfer_line.transfer);
        sqlite3_bind_int64(st, 4, f->u.transfer_line.line);
        return store_step_done(s, st, err);
    case FX_TRANSFER_CLOSE:
        st = store_stmt(s, SQ_TRANSFER_CLOSE,
                        "UPDATE transfers SET status=?, reason=?, closed_time=?, updated=? WHERE "
                        "transfer=?",
                        err);
        if (!st) return -1;
        store_bind_text(st, 1, f->u.transfer_close.accepted ? "accepted" : "rejected");
        store_bind_text(st, 2, f->u.transfer_close.reason);
        sqlite3_bind_int64(st, 3, e->time_ms);
        sqlite3_bind_int64(st, 4, at);
        store_bind_text(st, 5, f->u.transfer_close.transfer);
        return store_step_done(s, st, err);
    case FX_MOVE:
        return apply_move(s, f, idx, e->time_ms, seq, err);
    case FX_DISTRIBUTION:
        st = store_stmt(s, SQ_DISTRIBUTION_PUT,
                        "INSERT INTO distributions(distribution, consignment, place, org, "
                        "households, individuals, time, updated) VALUES(?,?,?,?,?,?,?,?)",
                        err);
        if (!st) return -1;
        store_bind_text(st, 1, f->u.distribution.distribution);
        store_bind_text(st, 2, f->u.distribution.consignment);
        store_bind_text(st, 3, f->u.distribution.place);
        store_bind_text(st, 4, e->org);
        if (f->u.distribution.households >= 0)
            sqlite3_bind_int64(st, 5, f->u.distribution.households);
        if (f->u.distribution.individuals >= 0)
            sqlite3_bind_int64(st, 6, f->u.distribution.individuals);
        sqlite3_bind_int64(st, 7, e->time_ms);
        sqlite3_bind_int64(st, 8, at);
        return store_step_done(s, st, err);
    case FX_LOSS:
        st = store_stmt(s, SQ_LOSS_PUT,
                        "INSERT INTO losses(loss, consignment, cause, source, org, incident, "
                        "reported_by, time, updated) VALUES(?,?,?,?,?,?,?,?,?)",
                        err);
        if (!st) return -1;
        store_bind_text(st, 1, f->u.loss.loss);
        store_bind_text(st, 2, f->u.loss.consignment);
        store_bind_text(st, 3, f->u.loss.cause);
        store_bind_text(st, 4, f->u.loss.source);
        store_bind_text(st, 5, f->u.loss.org);
        store_bind_text(st, 6, f->u.loss.incident);
        store_bind_text(st, 7, e->org);
        sqlite3_bind_int64(st, 8, e->time_ms);
        sqlite3_bind_int64(st, 9, at);
        return store_step_done(s, st, err);
    case FX_TOUCH:
        st = store_stmt(s, SQ_TOUCH,
                        "INSERT OR IGNORE INTO consignment_events(consignment, idx) VALUES(?,?)",
                        err);
        if (!st) return -1;
        store_bind_text(st, 1, f->u.consignment.consignment);
        sqlite3_bind_int64(st, 2, at);
        return store_step_done(s, st, err);
    default:
        return cm_fail(err, CM_INTERNAL, "", "store: not a supply effect (%d)", (int)f->kind);
    }
}
