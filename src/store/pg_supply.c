/*
 * pg_supply.c: the supply ledger on PostgreSQL, as store_supply.c keeps it
 * on SQLite: a move is one posting in the journal (movements) and in the
 * balances (accounts), "" the outside of the book (`entered`); an account
 * named "kind:holder" by the rules is two columns; a balance never goes
 * negative (CHECK), and after an event each line it moved must hold
 * entered = the sum of its accounts. The lookups answer first from the
 * rows a batch of the writer loaded at once (pg_supply_cache.c), and each
 * effect written is applied to those rows too.
 */
#include "store/pg_int.h"

#include "event/effects.h"

#include <stdio.h>
#include <string.h>

static void copy_col(const PGresult *r, int col, char *out, size_t cap)
{
    const char *t = pg_s(r, 0, col);
    snprintf(out, cap, "%s", t ? t : "");
}

static int v_consignment(void *ctx, const char *id, ev_consignment_state *out)
{
    int kept = pg_sc_consignment(PG(ctx), id, out);
    if (kept >= 0) return kept;
    pg_params a = {0};
    pg_text(&a, id);
    PGresult *r;
    int found = pg_row(PG(ctx),
                       "SELECT crossing, declared_by, screened, (SELECT count(*) FROM lines l "
                       "WHERE l.consignment = c.consignment) FROM consignments c WHERE "
                       "consignment = $1",
                       &a, &r, NULL);
    if (found != 1) return found;
    copy_col(r, 0, out->crossing, sizeof out->crossing);
    copy_col(r, 1, out->declared_by, sizeof out->declared_by);
    out->screened = (int)pg_i(r, 0, 2, 0);
    out->lines = pg_i(r, 0, 3, 0);
    PQclear(r);
    return 1;
}

static int v_line(void *ctx, const char *consignment, long long line, ev_line_state *out)
{
    int kept = pg_sc_line(PG(ctx), consignment, line, out);
    if (kept >= 0) return kept;
    pg_params a = {0};
    pg_text(&a, consignment);
    pg_int(&a, line);
    PGresult *r;
    int found = pg_row(PG(ctx),
                       "SELECT declared, coalesce(approved, -1), entered FROM lines WHERE "
                       "consignment = $1 AND line = $2",
                       &a, &r, NULL);
    if (found != 1) return found;
    out->declared = pg_i(r, 0, 0, 0);
    out->approved = pg_i(r, 0, 1, -1);
    out->entered = pg_i(r, 0, 2, 0);
    PQclear(r);
    return 1;
}

/* Binds the account name a ("kind:holder", "kind" or "") as its kind and
 * its holder ("" when it has none). */
static void bind_account(pg_params *a, const char *name)
{
    const char *holder;
    size_t kind = store_account_split(name, &holder);
    if (name[kind])
        pg_textn(a, name, kind);
    else
        pg_text(a, name); /* the whole name, however long */
    pg_text(a, holder);
}

static int v_balance(void *ctx, const char *consignment, long long line, const char *account,
                     long long *qty)
{
    if (pg_sc_balance(PG(ctx), consignment, line, account, qty) >= 0) return 1;
    pg_params a = {0};
    pg_text(&a, consignment);
    pg_int(&a, line);
    bind_account(&a, account);
    PGresult *r;
    int found = pg_row(PG(ctx),
                       "SELECT qty FROM accounts WHERE consignment = $1 AND line = $2 AND "
                       "kind = $3 AND holder = $4",
                       &a, &r, NULL);
    if (found < 0) return -1;
    *qty = found ? pg_i(r, 0, 0, 0) : 0;
    if (found) PQclear(r);
    return 1;
}

static int v_transfer(void *ctx, const char *id, ev_transfer_state *out)
{
    int kept = pg_sc_transfer(PG(ctx), id, out);
    if (kept >= 0) return kept;
    pg_params a = {0};
    pg_text(&a, id);
    PGresult *r;
    int found = pg_row(PG(ctx),
                       "SELECT consignment, from_org, to_org, kind, status FROM transfers WHERE "
                       "transfer = $1",
                       &a, &r, NULL);
    if (found != 1) return found;
    copy_col(r, 0, out->consignment, sizeof out->consignment);
    copy_col(r, 1, out->from, sizeof out->from);
    copy_col(r, 2, out->to, sizeof out->to);
    out->entry = strcmp(PQgetvalue(r, 0, 3), "entry") == 0;
    const char *status = PQgetvalue(r, 0, 4);
    out->status = strcmp(status, "pending") == 0    ? TRANSFER_PENDING
                  : strcmp(status, "accepted") == 0 ? TRANSFER_ACCEPTED
                                                    : TRANSFER_REJECTED;
    PQclear(r);
    return 1;
}

static int v_transfer_lines(void *ctx, const char *transfer, long long *line, long long *sent,
                            size_t cap, size_t *n)
{
    if (pg_sc_transfer_lines(PG(ctx), transfer, line, sent, cap, n) >= 0) return 1;
    pg_params a = {0};
    pg_text(&a, transfer);
    PGresult *r =
        pg_run(PG(ctx), "SELECT line, sent FROM transfer_lines WHERE transfer = $1 ORDER BY line",
               &a, 0, "read", NULL);
    if (!r) return -1;
    *n = 0;
    for (int i = 0; i < PQntuples(r) && *n < cap; i++) {
        line[*n] = pg_i(r, i, 0, 0);
        sent[*n] = pg_i(r, i, 1, 0);
        (*n)++;
    }
    PQclear(r);
    return 1;
}

static int exists(void *ctx, const char *sql, const char *id)
{
    pg_params a = {0};
    pg_text(&a, id);
    PGresult *r;
    int found = pg_row(PG(ctx), sql, &a, &r, NULL);
    if (found == 1) PQclear(r);
    return found;
}

static int v_distribution(void *ctx, const char *id)
{
    int kept = pg_sc_taken(PG(ctx), 0, id);
    if (kept >= 0) return kept;
    return exists(ctx, "SELECT 1 FROM distributions WHERE distribution = $1", id);
}

static int v_loss(void *ctx, const char *id)
{
    int kept = pg_sc_taken(PG(ctx), 1, id);
    if (kept >= 0) return kept;
    return exists(ctx, "SELECT 1 FROM losses WHERE loss = $1", id);
}

void pg_supply_view(ev_view *v)
{
    v->consignment = v_consignment;
    v->line = v_line;
    v->balance = v_balance;
    v->transfer = v_transfer;
    v->transfer_lines = v_transfer_lines;
    v->distribution = v_distribution;
    v->loss = v_loss;
}

static int apply_move(pg_store *p, const ev_fx *f, uint64_t idx, int64_t time_ms, int seq,
                      cm_error *err)
{
    const char *c = f->u.move.consignment;
    long long line = f->u.move.line, q = f->u.move.qty;
    pg_params m = {0};
    pg_int(&m, (int64_t)idx);
    pg_int(&m, seq);
    pg_text(&m, c);
    pg_int(&m, line);
    bind_account(&m, f->u.move.from);
    bind_account(&m, f->u.move.to);
    pg_int(&m, q);
    pg_int(&m, time_ms);
    if (pg_do(p,
              "INSERT INTO movements(idx, seq, consignment, line, from_kind, from_holder, "
              "to_kind, to_holder, qty, time) VALUES($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)",
              &m, "apply", err))
        return -1;
    /* the outside of the book is `entered` */
    long long entered = (f->u.move.from[0] ? 0 : q) - (f->u.move.to[0] ? 0 : q);
    if (entered) {
        pg_params a = {0};
        pg_int(&a, entered);
        pg_int(&a, (int64_t)idx);
        pg_text(&a, c);
        pg_int(&a, line);
        if (pg_do(p,
                  "UPDATE lines SET entered = entered + $1, updated = $2 WHERE consignment = $3 "
                  "AND line = $4",
                  &a, "apply", err))
            return -1;
    }
    if (f->u.move.from[0]) {
        pg_params a = {0};
        pg_text(&a, c);
        pg_int(&a, line);
        bind_account(&a, f->u.move.from);
        pg_int(&a, q);
        pg_int(&a, time_ms);
        pg_int(&a, (int64_t)idx);
        /* an account that is not there fails the statement (the text is
         * no integer): a pipelined write checks itself. Each sentence
         * includes a value of a row, so that it is not a constant the
         * planner would evaluate (and fail on) whatever the CASE. */
        if (pg_do(p,
                  "WITH t AS (UPDATE accounts SET qty = qty - $5::bigint, last_time = "
                  "greatest(last_time, $6::bigint), updated = $7::bigint WHERE consignment = "
                  "$1::text AND line = $2::bigint "
                  "AND kind = $3::text AND holder = $4::text RETURNING 1) SELECT CASE WHEN "
                  "count(*) = 1 "
                  "THEN 1 ELSE ('ledger: account ' || $3::text || ':' || $4::text || ' of line ' "
                  "|| $2::bigint || "
                  "' of ' || $1::text || ' is empty' || left(count(*)::text, 0))::int END FROM t",
                  &a, "apply", err))
            return -1;
    }
    if (f->u.move.to[0]) {
        pg_params a = {0};
        pg_text(&a, c);
        pg_int(&a, line);
        bind_account(&a, f->u.move.to);
        pg_int(&a, q);
        pg_int(&a, time_ms);
        pg_int(&a, (int64_t)idx);
        if (pg_do(p,
                  "INSERT INTO accounts(consignment, line, kind, holder, qty, last_time, updated) "
                  "VALUES($1, $2, $3, $4, $5, $6, $7) ON CONFLICT(consignment, line, kind, "
                  "holder) DO UPDATE SET qty = accounts.qty + excluded.qty, last_time = "
                  "greatest(accounts.last_time, excluded.last_time), updated = excluded.updated",
                  &a, "apply", err))
            return -1;
    }
    return 0;
}

int pg_line_invariant(pg_store *p, const char *consignment, long long line, cm_error *err)
{
    pg_params a = {0};
    pg_text(&a, consignment);
    pg_int(&a, line);
    /* a broken invariant fails the statement, with its sentence (the text
     * is no integer): pipelined with the event's writes */
    return pg_do(
        p,
        "SELECT CASE WHEN e.entered IS NULL THEN ('no line ' || $2::bigint || ' of ' || "
        "$1::text || coalesce(e.entered::text, ''))::int "
        "WHEN e.entered = e.total THEN 1 ELSE ('ledger invariant broken on line ' || "
        "$2::bigint || ' of ' || $1::text || ': entered ' || e.entered || ', accounts ' || "
        "e.total)::int END FROM (SELECT (SELECT entered FROM lines WHERE "
        "consignment = $1::text AND line = $2::bigint) AS entered, (SELECT coalesce(sum(qty), 0) "
        "FROM accounts WHERE consignment = $1::text AND line = $2::bigint) AS total) e",
        &a, "invariant", err);
}

int pg_supply_apply(pg_store *p, const ev_fx *f, const ev_event *e, uint64_t idx, int seq,
                    cm_error *err)
{
    pg_params a = {0};
    int64_t at = (int64_t)idx;
    pg_sc_effect(p, f, e); /* the rows kept for the batch follow its writes */
    switch (f->kind) {
    case FX_CONSIGNMENT_DECLARE:
        pg_text(&a, f->u.consignment_declare.consignment);
        pg_text(&a, e->org);
        pg_text(&a, f->u.consignment_declare.consignee);
        pg_text(&a, f->u.consignment_declare.crossing);
        pg_text(&a, f->u.consignment_declare.donor);
        pg_text(&a, f->u.consignment_declare.reference);
        pg_int(&a, e->time_ms);
        pg_int(&a, at);
        return pg_do(p,
                     "INSERT INTO consignments(consignment, declared_by, consignee, crossing, "
                     "donor, reference, time, first_entry, updated) "
                     "VALUES($1, $2, $3, $4, $5, $6, $7, $8, $8)",
                     &a, "apply", err);
    case FX_LINE_DECLARE:
        pg_text(&a, f->u.line_declare.consignment);
        pg_int(&a, f->u.line_declare.line);
        pg_text(&a, f->u.line_declare.item);
        pg_text(&a, f->u.line_declare.category);
        pg_text(&a, f->u.line_declare.unit);
        if (f->u.line_declare.weight_kg >= 0)
            pg_real(&a, f->u.line_declare.weight_kg);
        else
            pg_null(&a);
        pg_int(&a, f->u.line_declare.quantity);
        pg_int(&a, at);
        return pg_do(p,
                     "INSERT INTO lines(consignment, line, item, category, unit, weight_kg, "
                     "declared, updated) VALUES($1, $2, $3, $4, $5, $6, $7, $8)",
                     &a, "apply", err);
    case FX_LINE_SCREEN:
        pg_int(&a, f->u.line_screen.approved);
        pg_text(&a, f->u.line_screen.reason);
        pg_int(&a, at);
        pg_text(&a, f->u.line_screen.consignment);
        pg_int(&a, f->u.line_screen.line);
        return pg_do(p,
                     "UPDATE lines SET approved = $1, reason = $2, updated = $3 WHERE "
                     "consignment = $4 AND line = $5",
                     &a, "apply", err);
    case FX_CONSIGNMENT_SCREENED:
        pg_int(&a, at);
        pg_text(&a, f->u.consignment.consignment);
        return pg_do(p, "UPDATE consignments SET screened = 1, updated = $1 WHERE consignment = $2",
                     &a, "apply", err);
    case FX_TRANSFER_OPEN:
        pg_text(&a, f->u.transfer_open.transfer);
        pg_text(&a, f->u.transfer_open.consignment);
        pg_text(&a, f->u.transfer_open.from);
        pg_text(&a, f->u.transfer_open.to);
        pg_text(&a, f->u.transfer_open.entry ? "entry" : "custody");
        pg_text(&a, f->u.transfer_open.place);
        pg_int(&a, e->time_ms);
        pg_int(&a, at);
        return pg_do(p,
                     "INSERT INTO transfers(transfer, consignment, from_org, to_org, kind, place, "
                     "status, time, opened, updated) "
                     "VALUES($1, $2, $3, $4, $5, $6, 'pending', $7, $8, $8)",
                     &a, "apply", err);
    case FX_TRANSFER_LINE:
        pg_text(&a, f->u.transfer_line.transfer);
        pg_int(&a, f->u.transfer_line.line);
        pg_int(&a, f->u.transfer_line.qty);
        pg_int(&a, at);
        return pg_do(p,
                     "INSERT INTO transfer_lines(transfer, line, sent, updated) "
                     "VALUES($1, $2, $3, $4)",
                     &a, "apply", err);
    case FX_TRANSFER_RECEIVED:
        pg_int(&a, f->u.transfer_line.qty);
        pg_int(&a, at);
        pg_text(&a, f->u.transfer_line.transfer);
        pg_int(&a, f->u.transfer_line.line);
        return pg_do(p,
                     "UPDATE transfer_lines SET received = $1, updated = $2 WHERE transfer = $3 "
                     "AND line = $4",
                     &a, "apply", err);
    case FX_TRANSFER_CLOSE:
        pg_text(&a, f->u.transfer_close.accepted ? "accepted" : "rejected");
        pg_text(&a, f->u.transfer_close.reason);
        pg_int(&a, e->time_ms);
        pg_int(&a, at);
        pg_text(&a, f->u.transfer_close.transfer);
        return pg_do(p,
                     "UPDATE transfers SET status = $1, reason = $2, closed_time = $3, "
                     "updated = $4 WHERE transfer = $5",
                     &a, "apply", err);
    case FX_MOVE:
        return apply_move(p, f, idx, e->time_ms, seq, err);
    case FX_DISTRIBUTION:
        pg_text(&a, f->u.distribution.distribution);
        pg_text(&a, f->u.distribution.consignment);
        pg_text(&a, f->u.distribution.place);
        pg_text(&a, e->org);
        if (f->u.distribution.households >= 0)
            pg_int(&a, f->u.distribution.households);
        else
            pg_null(&a);
        if (f->u.distribution.individuals >= 0)
            pg_int(&a, f->u.distribution.individuals);
        else
            pg_null(&a);
        pg_int(&a, e->time_ms);
        pg_int(&a, at);
        return pg_do(p,
                     "INSERT INTO distributions(distribution, consignment, place, org, "
                     "households, individuals, time, updated) "
                     "VALUES($1, $2, $3, $4, $5, $6, $7, $8)",
                     &a, "apply", err);
    case FX_LOSS:
        pg_text(&a, f->u.loss.loss);
        pg_text(&a, f->u.loss.consignment);
        pg_text(&a, f->u.loss.cause);
        pg_text(&a, f->u.loss.source);
        pg_text(&a, f->u.loss.org);
        pg_text(&a, f->u.loss.incident);
        pg_text(&a, e->org);
        pg_int(&a, e->time_ms);
        pg_int(&a, at);
        return pg_do(p,
                     "INSERT INTO losses(loss, consignment, cause, source, org, incident, "
                     "reported_by, time, updated) VALUES($1, $2, $3, $4, $5, $6, $7, $8, $9)",
                     &a, "apply", err);
    case FX_TOUCH:
        pg_text(&a, f->u.consignment.consignment);
        pg_int(&a, at);
        return pg_do(p,
                     "INSERT INTO consignment_events(consignment, idx) VALUES($1, $2) "
                     "ON CONFLICT DO NOTHING",
                     &a, "apply", err);
    default:
        return cm_fail(err, CM_INTERNAL, "", "store: not a supply effect (%d)", (int)f->kind);
    }
}
