/*
 * pg_read.c: the rows the read model (src/views/) reads, on PostgreSQL:
 * the registry, the supply ledger and the things, in the order store.h
 * gives for each (the same queries as store_read.c, store_supply_rows.c
 * and store_things_read.c). Each fetch is one statement whose rows go one
 * by one, as a struct of plain columns, to the caller's function; things
 * are two (the things, then all their notes, matched by id).
 */
#include "store/pg_int.h"

#include "common/mem.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

typedef struct {
    void *fn, *ctx;
} each;

#define S(c)      pg_s(r, i, c)
#define N(c)      pg_i(r, i, c, 0)
#define NOR(c, d) pg_i(r, i, c, d)

static int org_row(void *ctx, const PGresult *r, int i)
{
    const each *e = ctx;
    store_org_row o = {S(0), S(1), S(2), S(3), S(4), S(5), S(6), N(7)};
    return ((store_org_fn)e->fn)(e->ctx, &o);
}

int pg_orgs_each(pg_store *p, store_org_fn fn, void *ctx, cm_error *err)
{
    each e = {(void *)fn, ctx};
    return pg_rows(p,
                   "SELECT org, name, names, roles, country, status, reason, admitted FROM orgs "
                   "ORDER BY org",
                   NULL, org_row, &e, err);
}

static int key_row(void *ctx, const PGresult *r, int i)
{
    const each *e = ctx;
    store_key_row k = {S(0), S(1), S(2), S(3)};
    return ((store_key_fn)e->fn)(e->ctx, &k);
}

int pg_keys_each(pg_store *p, store_key_fn fn, void *ctx, cm_error *err)
{
    each e = {(void *)fn, ctx};
    return pg_rows(p, "SELECT org, keyid, public_key, status FROM keys ORDER BY org, added, keyid",
                   NULL, key_row, &e, err);
}

static int place_row(void *ctx, const PGresult *r, int i)
{
    const each *e = ctx;
    store_place_row pl = {
        S(0), S(1), S(2), S(3), S(4), S(5), S(6), pg_d(r, i, 7, 0), pg_d(r, i, 8, 0), N(9)};
    return ((store_place_fn)e->fn)(e->ctx, &pl);
}

int pg_places_each(pg_store *p, store_place_fn fn, void *ctx, cm_error *err)
{
    each e = {(void *)fn, ctx};
    return pg_rows(p,
                   "SELECT place, kind, name, names, sector, status, reason, lat, lon, defined "
                   "FROM places ORDER BY place",
                   NULL, place_row, &e, err);
}

static int consignment_row(void *ctx, const PGresult *r, int i)
{
    const each *e = ctx;
    store_consignment_row c = {S(0), S(1), S(2), S(3), S(4), S(5), N(6), (int)N(7)};
    return ((store_consignment_fn)e->fn)(e->ctx, &c);
}

int pg_consignments_each(pg_store *p, const char *consignment, store_consignment_fn fn, void *ctx,
                         cm_error *err)
{
    each e = {(void *)fn, ctx};
    pg_params a = {0};
    pg_text(&a, consignment);
#define CONSIGNMENTS                                                                               \
    "SELECT consignment, declared_by, consignee, crossing, donor, reference, time, screened "      \
    "FROM consignments "
    return pg_rows(p,
                   consignment ? CONSIGNMENTS "WHERE consignment = $1"
                               : CONSIGNMENTS "WHERE $1::text IS NULL ORDER BY time, consignment",
                   &a, consignment_row, &e, err);
}

static int line_row(void *ctx, const PGresult *r, int i)
{
    const each *e = ctx;
    store_line_row l = {S(0), S(2), S(3),       S(4), S(8),
                        N(1), N(6), NOR(7, -1), N(9), pg_d(r, i, 5, -1)};
    return ((store_line_fn)e->fn)(e->ctx, &l);
}

int pg_lines_each(pg_store *p, const char *consignment, store_line_fn fn, void *ctx, cm_error *err)
{
    each e = {(void *)fn, ctx};
    pg_params a = {0};
    pg_text(&a, consignment);
#define LINES                                                                                      \
    "SELECT consignment, line, item, category, unit, weight_kg, declared, approved, reason, "      \
    "entered FROM lines "
    return pg_rows(p,
                   consignment ? LINES "WHERE consignment = $1 ORDER BY line"
                               : LINES "WHERE $1::text IS NULL ORDER BY consignment, line",
                   &a, line_row, &e, err);
}

static int account_row(void *ctx, const PGresult *r, int i)
{
    const each *e = ctx;
    store_account_row ac = {S(0), S(2), S(3), N(1), N(4), N(5), N(6)};
    return ((store_account_fn)e->fn)(e->ctx, &ac);
}

int pg_accounts_each(pg_store *p, const char *consignment, store_account_fn fn, void *ctx,
                     cm_error *err)
{
    each e = {(void *)fn, ctx};
    pg_params a = {0};
    pg_text(&a, consignment);
#define ACCOUNTS "SELECT consignment, line, kind, holder, qty, last_time, updated FROM accounts "
    return pg_rows(p,
                   consignment ? ACCOUNTS "WHERE consignment = $1 ORDER BY line, kind, holder"
                               : ACCOUNTS
                       "WHERE $1::text IS NULL ORDER BY consignment, line, kind, holder",
                   &a, account_row, &e, err);
}

static int movement_row(void *ctx, const PGresult *r, int i)
{
    const each *e = ctx;
    store_movement_row m = {S(0), S(2), S(3), S(4), S(5), S(8), N(1), N(6), N(7)};
    return ((store_movement_fn)e->fn)(e->ctx, &m);
}

int pg_movements_each(pg_store *p, int64_t after_ms, int64_t until_ms, store_movement_fn fn,
                      void *ctx, cm_error *err)
{
    each e = {(void *)fn, ctx};
    pg_params a = {0};
    pg_int(&a, after_ms);
    pg_int(&a, until_ms);
    /* the whole journal in its key's order (the log's), a window in the
     * order of its time index, as SQLite reads them */
#define MOVEMENTS                                                                                  \
    "SELECT m.consignment, m.line, m.from_kind, m.from_holder, m.to_kind, m.to_holder, m.qty, "    \
    "m.time, t.from_org FROM movements m LEFT JOIN transfers t ON m.to_kind = 'pending' AND "      \
    "t.transfer = m.to_holder WHERE m.time > $1 AND m.time <= $2 "
    return pg_rows(p,
                   after_ms == INT64_MIN && until_ms == INT64_MAX
                       ? MOVEMENTS "ORDER BY m.idx, m.seq"
                       : MOVEMENTS "ORDER BY m.time, m.idx, m.seq",
                   &a, movement_row, &e, err);
}

static int transfer_row(void *ctx, const PGresult *r, int i)
{
    const each *e = ctx;
    store_transfer_row t = {S(0), S(1), S(2), S(3), S(4), S(5), S(6), S(7), N(8), NOR(9, -1)};
    return ((store_transfer_fn)e->fn)(e->ctx, &t);
}

#define TRANSFER_COLS                                                                              \
    "SELECT transfer, consignment, from_org, to_org, kind, place, status, reason, time, "          \
    "closed_time FROM transfers "

int pg_transfers_each(pg_store *p, const char *consignment, const char *status,
                      store_transfer_fn fn, void *ctx, cm_error *err)
{
    each e = {(void *)fn, ctx};
    pg_params a = {0};
    pg_text(&a, consignment ? consignment : status);
    const char *sql = consignment ? TRANSFER_COLS "WHERE consignment = $1 ORDER BY opened"
                      : status    ? TRANSFER_COLS "WHERE status = $1 ORDER BY transfer"
                                  : TRANSFER_COLS "WHERE $1::text IS NULL ORDER BY transfer";
    return pg_rows(p, sql, &a, transfer_row, &e, err);
}

static int transfer_line_row(void *ctx, const PGresult *r, int i)
{
    const each *e = ctx;
    store_transfer_line_row t = {S(0), N(1), N(2), NOR(3, -1)};
    return ((store_transfer_line_fn)e->fn)(e->ctx, &t);
}

int pg_transfer_lines_each(pg_store *p, const char *consignment, store_transfer_line_fn fn,
                           void *ctx, cm_error *err)
{
    each e = {(void *)fn, ctx};
    pg_params a = {0};
    pg_text(&a, consignment);
    return pg_rows(p,
                   "SELECT tl.transfer, tl.line, tl.sent, tl.received FROM transfers t JOIN "
                   "transfer_lines tl ON tl.transfer = t.transfer WHERE t.consignment = $1 "
                   "ORDER BY tl.transfer, tl.line",
                   &a, transfer_line_row, &e, err);
}

static int event_row(void *ctx, const PGresult *r, int i)
{
    const each *e = ctx;
    store_event_row ev = {N(0), S(1), S(2), S(3), S(4), S(5)};
    return ((store_event_fn)e->fn)(e->ctx, &ev);
}

int pg_consignment_events_each(pg_store *p, const char *consignment, store_event_fn fn, void *ctx,
                               cm_error *err)
{
    each e = {(void *)fn, ctx};
    pg_params a = {0};
    pg_text(&a, consignment);
    return pg_rows(p,
                   "SELECT en.idx, en.type, en.org, en.id, n.id, n.body"
                   " FROM consignment_events ce JOIN entries en ON en.idx = ce.idx"
                   " LEFT JOIN LATERAL (SELECT id, body FROM thing_notes x WHERE x.kind = 'alert'"
                   "  AND x.idx = en.idx ORDER BY x.id, x.seq LIMIT 1) n ON true"
                   " WHERE ce.consignment = $1 ORDER BY en.idx",
                   &a, event_row, &e, err);
}

static int alert_note_row(void *ctx, const PGresult *r, int i)
{
    const each *e = ctx;
    store_alert_note_row n = {S(0), S(1), N(2), N(3), (int)N(4), S(5), S(6), S(7), N(8)};
    return ((store_alert_note_fn)e->fn)(e->ctx, &n);
}

int pg_alert_notes_each(pg_store *p, store_alert_note_fn fn, void *ctx, cm_error *err)
{
    each e = {(void *)fn, ctx};
    return pg_rows(p,
                   "SELECT th.id, th.status, th.updated, n.idx, n.seq, n.org, n.note, n.body,"
                   " n.time FROM things th JOIN thing_notes n ON n.kind = th.kind"
                   " AND n.id = th.id WHERE th.kind = 'alert' ORDER BY th.id, n.idx, n.seq",
                   NULL, alert_note_row, &e, err);
}

/* ---- things ------------------------------------------------------------- */

long pg_things_each(pg_store *p, ev_thing_kind kind, const char *id, store_thing_fn fn, void *ctx,
                    cm_error *err)
{
    pg_params a = {0};
    pg_text(&a, ev_thing_name(kind));
    pg_text(&a, id);
    PGresult *r = pg_query(p,
                           "SELECT id, org, status, time, created, updated, body FROM things"
                           " WHERE kind = $1 AND ($2::text IS NULL OR id = $2)"
                           " ORDER BY created, id",
                           &a, "read", err);
    if (!r) return -1;
    /* every note of those things, by id (byte order: the "C" collation),
     * then in log order; each thing's are a run found by binary search */
    PGresult *nr = pg_query(p,
                            "SELECT id, org, note, time, latest, idx, body FROM thing_notes"
                            " WHERE kind = $1 AND ($2::text IS NULL OR id = $2)"
                            " ORDER BY id, idx, seq",
                            &a, "read", err);
    if (!nr) {
        PQclear(r);
        return -1;
    }
    int n = PQntuples(r), nn = PQntuples(nr), failed = 0;
    store_thing_note *notes = NULL;
    size_t cap = 0;
    long count = 0;
    for (int i = 0; i < n && !failed; i++) {
        const char *tid = PQgetvalue(r, i, 0);
        int lo = 0, hi = nn;
        while (lo < hi) {
            int mid = lo + (hi - lo) / 2;
            if (strcmp(PQgetvalue(nr, mid, 0), tid) < 0)
                lo = mid + 1;
            else
                hi = mid;
        }
        size_t k = 0;
        for (int j = lo; j < nn && strcmp(PQgetvalue(nr, j, 0), tid) == 0; j++, k++) {
            if (k == cap) {
                cap = cap ? cap * 2 : 8;
                notes = xrealloc(notes, cap * sizeof *notes);
            }
            notes[k] = (store_thing_note){.org = PQgetvalue(nr, j, 1),
                                          .note = PQgetvalue(nr, j, 2),
                                          .time_ms = pg_i(nr, j, 3, 0),
                                          .latest = (int)pg_i(nr, j, 4, 0),
                                          .index = pg_i(nr, j, 5, 0),
                                          .body = PQgetvalue(nr, j, 6)};
        }
        store_thing_row t = {.id = tid,
                             .org = S(1),
                             .status = S(2),
                             .time_ms = N(3),
                             .index = N(4),
                             .updated = N(5),
                             .body = S(6),
                             .notes = notes,
                             .nnotes = k};
        failed = fn(ctx, &t, err) != 0;
        count++;
    }
    free(notes);
    PQclear(nr);
    PQclear(r);
    return failed ? -1 : count;
}
