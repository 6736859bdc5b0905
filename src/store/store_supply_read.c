/*
 * store_supply_read.c: the supply picture as the read API answers it,
 * built by SQLite from the ledger's tables and two views (line_balances,
 * consignment_summary; see store_schema.c).
 *
 *   consignments   one object per consignment: totals over its lines and
 *                  its status (declared, screened, refused, in_transit,
 *                  in_custody, entering, completed)
 *   consignment    one, with every line's non-zero accounts, its transfers
 *                  and the entries that concern it
 *   alerts         transfers pending too long, unaccounted balances, holdings
 *                  with no movement for too long, orgs losing too much
 *   stats          public flows per day and crossing, and the balances; the
 *                  same per commodity (category) and unit, which are never
 *                  added together
 *   reconciliation by crossing, by org and by category
 *
 * Totals add quantities across lines whatever their unit (the count of
 * things moved, for checks); per-line figures, and the stats' by_unit and
 * by_day_unit, keep the unit. Times are RFC 3339 UTC.
 */
#include "store/store_int.h"

#include <string.h>

#define TOTALS                                                                                     \
    "'declared', declared, 'approved', approved, 'entered', entered, 'held', held, 'pending', "    \
    "pending, 'distributed', distributed, 'lost', lost, 'unaccounted', unaccounted"
/* The columns TOTALS names, summed over a group of lines or consignments. */
#define SUMS                                                                                       \
    "sum(declared) AS declared, sum(approved) AS approved, sum(entered) AS entered, sum(held) "    \
    "AS held, sum(pending) AS pending, sum(distributed) AS distributed, sum(lost) AS lost, "       \
    "sum(unaccounted) AS unaccounted"
/* A subquery: the object of the totals over every consignment (0 when there
 * are none). */
#define ALL_TOTALS                                                                                 \
    "(SELECT json_object('consignments', count(*), 'declared', coalesce(sum(declared), 0), "       \
    "'approved', coalesce(sum(approved), 0), 'entered', coalesce(sum(entered), 0), "               \
    "'held', coalesce(sum(held), 0), 'pending', coalesce(sum(pending), 0), "                       \
    "'distributed', coalesce(sum(distributed), 0), 'lost', coalesce(sum(lost), 0), "               \
    "'unaccounted', coalesce(sum(unaccounted), 0)) FROM consignment_summary)"

/* A consignment of the list (column o), those filter ?1..?3 keeps. */
#define CONSIGNMENT_ITEMS                                                                          \
    " SELECT json_object('consignment', consignment, 'declared_by', declared_by,"                  \
    "  'consignee', consignee, 'crossing', crossing, 'donor', donor, 'reference', reference,"      \
    "  'time', " ISO(                                                                              \
        "time") ", 'status', status, 'lines', lines, " TOTALS ") AS o"                             \
                " FROM consignment_summary c"                                                      \
                " WHERE (?1 IS NULL OR status = ?1) AND (?2 IS NULL OR crossing = ?2)"             \
                "  AND (?3 IS NULL OR declared_by = ?3 OR consignee = ?3 OR EXISTS ("              \
                "   SELECT 1 FROM accounts a WHERE a.consignment = c.consignment"                  \
                "   AND a.account IN ('held:' || ?3, 'unaccounted:' || ?3) AND a.qty > 0)"         \
                "  OR c.consignment IN (SELECT consignment FROM transfers"                         \
                "   WHERE to_org = ?3 AND status = 'pending'))"                                    \
                " ORDER BY time, consignment"

const char store_consignment_items_sql[] = CONSIGNMENT_ITEMS;

int store_consignments_json(store *s, const store_consignment_filter *f, cm_buf *out, cm_error *err)
{
    store_arg args[] = {STORE_TEXT(f->status), STORE_TEXT(f->crossing), STORE_TEXT(f->org)};
    return store_json(
        s, "SELECT coalesce(json_group_array(json(o)), '[]') FROM (" CONSIGNMENT_ITEMS ")", args, 3,
        out, err);
}

/* One of a consignment's events (the entries row E): its index, type, org
 * and id; for an alert's follow-up (src/event/alerts.c) also the alert's
 * key and the follow-up's `to` and `note` when it has them. */
#define EVENT_OF(E)                                                                                \
    "json_patch(json_object('index', " E ".idx, 'type', " E ".type, 'org', " E ".org, 'id', " E    \
    ".id), coalesce((SELECT json_object('alert', n.id, 'to', json_extract(n.body, '$.to'),"        \
    " 'note', json_extract(n.body, '$.note')) FROM thing_notes n WHERE n.kind = 'alert'"           \
    " AND n.idx = " E ".idx), '{}'))"

int store_consignment_json(store *s, const char *id, cm_buf *out, cm_error *err)
{
    store_arg args[] = {STORE_TEXT(id)};
    size_t before = out->len;
    int rc = store_json(
        s,
        "SELECT json_object('consignment', c.consignment, 'declared_by', c.declared_by,"
        " 'consignee', c.consignee, 'crossing', c.crossing, 'donor', c.donor,"
        " 'reference', c.reference, 'time', " ISO(
            "c.time") ", 'status', c.status,"
                      " 'screened', json(CASE WHEN c.screened THEN 'true' ELSE 'false' "
                      "END), " TOTALS ","
                      " 'lines', json((SELECT json_group_array(json(lo)) FROM ("
                      "  SELECT json_object('line', b.line, 'item', b.item, 'category', b.category,"
                      "   'unit', b.unit, 'weight_kg', b.weight_kg, 'declared', b.declared,"
                      "   'approved', (SELECT approved FROM lines l WHERE l.consignment = "
                      "b.consignment"
                      "    AND l.line = b.line), 'reason', b.reason, 'entered', b.entered,"
                      "   'accounts', json((SELECT json_group_object(account, qty) FROM ("
                      "    SELECT account, qty FROM accounts a WHERE a.consignment = b.consignment"
                      "    AND a.line = b.line AND a.qty > 0 ORDER BY account)))) AS lo"
                      "  FROM line_balances b WHERE b.consignment = c.consignment ORDER BY "
                      "b.line))),"
                      " 'transfers', json((SELECT coalesce(json_group_array(json(tr)), '[]') FROM ("
                      "  SELECT json_object('transfer', t.transfer, 'kind', t.kind, 'from', "
                      "t.from_org,"
                      "   'to', t.to_org, 'place', t.place, 'status', t.status, 'reason', t.reason,"
                      "   'time', " ISO("t.time") ", 'closed', " ISO(
                          "t.closed_time") ","
                                           "   'lines', json((SELECT "
                                           "json_group_array(json_object('line', tl.line, 'sent', "
                                           "tl.sent,"
                                           "    'received', tl.received)) FROM (SELECT * FROM "
                                           "transfer_lines tl"
                                           "    WHERE tl.transfer = t.transfer ORDER BY tl.line) "
                                           "tl))) AS tr"
                                           "  FROM transfers t WHERE t.consignment = c.consignment "
                                           "ORDER BY t.opened))),"
                                           " 'events', json((SELECT "
                                           "coalesce(json_group_array(" EVENT_OF(
                                               "e") "), '[]') "
                                                    "FROM ("
                                                    "  SELECT en.idx, en.type, en.org, en.id FROM "
                                                    "consignment_events ce"
                                                    "  JOIN entries en ON en.idx = ce.idx WHERE "
                                                    "ce.consignment = c.consignment"
                                                    "  ORDER BY en.idx) e)))"
                                                    " FROM consignment_summary c WHERE "
                                                    "c.consignment = ?1",
        args, 1, out, err);
    if (rc) return -1;
    return out->len > before;
}

/* The SQL of the alerts, written as SQL: clang-format would break these
 * strings at every macro it meets. */
/* clang-format off */

/* Times as RFC 3339, for the queries below. */
#define T_TIME ISO("time")
#define T_LAST ISO("last_time")
#define T_NOTE ISO("n.time")
#define T_HIST ISO("h.time")

/* The follow-up of the alert whose key is the column `key` (alert
 * follow-up, src/event/alerts.c): its status, who did the latest follow-up,
 * when, in which entry, with what note, the org it was last assigned to,
 * and every follow-up in log order; status "open" and nulls when there is
 * none. */
#define FOLLOW_UP                                                                   \
    "coalesce((SELECT json_object('status', th.status, 'by', n.org,"                \
    "   'time', " T_NOTE ", 'index', n.idx, 'note', json_extract(n.body, '$.note'),"\
    "   'assigned_to', (SELECT json_extract(x.body, '$.to') FROM thing_notes x"     \
    "     WHERE x.kind = 'alert' AND x.id = th.id AND x.note = 'assign'"            \
    "     ORDER BY x.idx DESC LIMIT 1),"                                            \
    "   'history', json((SELECT json_group_array(json_object('action', h.note,"     \
    "     'org', h.org, 'time', " T_HIST ", 'index', h.idx,"                        \
    "     'to', json_extract(h.body, '$.to'), 'note', json_extract(h.body, '$.note')))" \
    "     FROM (SELECT * FROM thing_notes h WHERE h.kind = 'alert' AND h.id = th.id" \
    "       ORDER BY h.idx, h.seq) h)))"                                            \
    "  FROM things th JOIN thing_notes n ON n.kind = th.kind AND n.id = th.id"       \
    "   AND n.idx = th.updated WHERE th.kind = 'alert' AND th.id = key),"           \
    " json_object('status', 'open', 'by', NULL, 'time', NULL, 'index', NULL,"        \
    "  'note', NULL, 'assigned_to', NULL, 'history', json('[]')))"

/* The keys of the alerts of accounts: kind/consignment/line/org. */
#define UNACCOUNTED_KEY "'unaccounted/' || consignment || '/' || line || '/' || substr(account, 13)"
#define IDLE_KEY        "'idle_holding/' || consignment || '/' || line || '/' || substr(account, 6)"

/* The alerts as rows (key, a, k, t), each object with its key first
 * (`alert`): k orders the kinds, t the alerts of a kind. In turn: transfers
 * pending too long; every unaccounted balance; holdings that have not
 * moved; orgs whose losses and shortfalls exceed a share of what they
 * received (what an inspector let enter counting as what it received). */
#define ALERTS                                                                      \
    " SELECT 'transfer_pending/' || transfer AS key, json_object("                  \
    "   'alert', 'transfer_pending/' || transfer, 'kind', 'transfer_pending',"      \
    "   'transfer', transfer, 'consignment', consignment, 'from', from_org, 'to', to_org," \
    "   'since', " T_TIME ", 'hours', (?1 - time) / 3600000,"                       \
    "   'message', printf('transfer %s from %s to %s has been pending for %d hours',"\
    "     transfer, from_org, to_org, (?1 - time) / 3600000)) AS a, 1 AS k, time AS t" \
    " FROM transfers WHERE status = 'pending' AND time < ?1 - ?2"                   \
    " UNION ALL"                                                                    \
    " SELECT " UNACCOUNTED_KEY ", json_object('alert', " UNACCOUNTED_KEY ","        \
    "   'kind', 'unaccounted', 'consignment', consignment, 'line', line,"           \
    "   'org', substr(account, 13), 'quantity', qty, 'since', " T_LAST ","          \
    "   'message', printf('%d of line %d of %s are unaccounted for by %s', qty, line," \
    "     consignment, substr(account, 13))), 2, last_time"                         \
    " FROM accounts WHERE substr(account, 1, 12) = 'unaccounted:' AND qty > 0"      \
    " UNION ALL"                                                                    \
    " SELECT " IDLE_KEY ", json_object('alert', " IDLE_KEY ","                      \
    "   'kind', 'idle_holding', 'consignment', consignment, 'line', line,"          \
    "   'org', substr(account, 6), 'quantity', qty, 'since', " T_LAST ","           \
    "   'hours', (?1 - last_time) / 3600000,"                                       \
    "   'message', printf('%s has held %d of line %d of %s without movement for %d hours'," \
    "     substr(account, 6), qty, line, consignment, (?1 - last_time) / 3600000)),"\
    "   3, last_time"                                                               \
    " FROM accounts WHERE substr(account, 1, 5) = 'held:' AND qty > 0"              \
    "  AND last_time < ?1 - ?3"                                                     \
    " UNION ALL"                                                                    \
    " SELECT 'loss_rate/' || org, json_object('alert', 'loss_rate/' || org,"         \
    "   'kind', 'loss_rate', 'org', org, 'received', r, 'lost', l,"                 \
    "   'percent', round(CASE WHEN r > 0 THEN l * 100.0 / r END, 1),"               \
    "   'message', printf('%s lost or left unaccounted %d of the %d it received in the window'," \
    "     org, l, r)), 4, 0"                                                        \
    " FROM (SELECT org, sum(recv) AS r, sum(lost) AS l FROM ("                      \
    "   SELECT substr(to_account, 6) AS org, qty AS recv, 0 AS lost FROM movements" \
    "   WHERE substr(to_account, 1, 5) = 'held:' AND time > ?1 - ?5 AND time <= ?1" \
    "   UNION ALL SELECT t.from_org, m.qty, 0 FROM movements m JOIN transfers t"    \
    "   ON t.transfer = substr(m.to_account, 9) WHERE m.from_account = ''"          \
    "   AND m.time > ?1 - ?5 AND m.time <= ?1"                                      \
    "   UNION ALL SELECT substr(from_account, 6), 0, qty FROM movements"            \
    "   WHERE substr(from_account, 1, 5) = 'held:' AND substr(to_account, 1, 5) = 'lost:'" \
    "   AND time > ?1 - ?5 AND time <= ?1"                                          \
    "   UNION ALL SELECT substr(to_account, 13), 0, qty FROM movements"             \
    "   WHERE substr(to_account, 1, 12) = 'unaccounted:' AND time > ?1 - ?5 AND time <= ?1)" \
    "  GROUP BY org) WHERE l > 0 AND l * 100.0 > ?4 * r"

int store_alerts_json(store *s, const store_alert_config *c, cm_buf *out, cm_error *err)
{
    store_arg args[] = {STORE_INT(c->as_of_ms), STORE_INT((int64_t)c->pending_hours * 3600000),
                        STORE_INT((int64_t)c->idle_hours * 3600000), STORE_REAL(c->loss_percent),
                        STORE_INT((int64_t)c->window_days * 86400000)};
    return store_json(s,
                      "SELECT coalesce(json_group_array(json(o)), '[]') FROM ("
                      " SELECT json_set(a, '$.follow_up', json(" FOLLOW_UP ")) AS o"
                      " FROM (" ALERTS ") ORDER BY k, t)",
                      args, 5, out, err);
}

/* clang-format on */

int store_stats_json(store *s, cm_buf *out, cm_error *err)
{
    return store_json(
        s,
        "WITH flows AS ("
        "  SELECT date(m.time / 1000, 'unixepoch') AS day, c.crossing AS crossing,"
        "   0 AS consignments,"
        "   CASE WHEN m.from_account = '' THEN m.qty WHEN m.to_account = '' THEN -m.qty"
        "    ELSE 0 END AS entered,"
        "   CASE WHEN m.to_account = 'distributed' THEN m.qty ELSE 0 END AS distributed,"
        "   CASE WHEN substr(m.to_account, 1, 5) = 'lost:' THEN m.qty ELSE 0 END AS lost,"
        "   CASE WHEN substr(m.to_account, 1, 12) = 'unaccounted:' THEN m.qty ELSE 0 END"
        "    AS unaccounted"
        "  FROM movements m JOIN consignments c ON c.consignment = m.consignment"
        "  UNION ALL SELECT date(time / 1000, 'unixepoch'), crossing, 1, 0, 0, 0, 0"
        "  FROM consignments),"
        " days AS (SELECT day, crossing, sum(consignments) AS consignments,"
        "  sum(entered) AS entered, sum(distributed) AS distributed, sum(lost) AS lost,"
        "  sum(unaccounted) AS unaccounted FROM flows GROUP BY day, crossing),"
        /* the same flows per commodity and unit: a line's category and unit */
        " unit_days AS (SELECT date(m.time / 1000, 'unixepoch') AS day, c.crossing AS crossing,"
        "  l.category AS category, l.unit AS unit,"
        "  sum(CASE WHEN m.from_account = '' THEN m.qty WHEN m.to_account = '' THEN -m.qty"
        "   ELSE 0 END) AS entered,"
        "  sum(CASE WHEN m.to_account = 'distributed' THEN m.qty ELSE 0 END) AS distributed,"
        "  sum(CASE WHEN substr(m.to_account, 1, 5) = 'lost:' THEN m.qty ELSE 0 END) AS lost,"
        "  sum(CASE WHEN substr(m.to_account, 1, 12) = 'unaccounted:' THEN m.qty ELSE 0 END)"
        "   AS unaccounted"
        "  FROM movements m JOIN consignments c ON c.consignment = m.consignment"
        "  JOIN lines l ON l.consignment = m.consignment AND l.line = m.line"
        "  GROUP BY day, crossing, category, unit)"
        "SELECT json_object("
        " 'by_day', json((SELECT coalesce(json_group_array(json_object('day', day,"
        "  'crossing', crossing, 'consignments', consignments, 'entered', entered,"
        "  'distributed', distributed, 'lost', lost, 'unaccounted', unaccounted)), '[]')"
        "  FROM (SELECT * FROM days ORDER BY day, crossing))),"
        " 'by_day_unit', json((SELECT coalesce(json_group_array(json_object('day', day,"
        "  'crossing', crossing, 'category', category, 'unit', unit, 'entered', entered,"
        "  'distributed', distributed, 'lost', lost, 'unaccounted', unaccounted)), '[]')"
        "  FROM (SELECT * FROM unit_days WHERE entered != 0 OR distributed != 0 OR lost != 0"
        "   OR unaccounted != 0 ORDER BY day, crossing, category, unit))),"
        " 'by_unit', json((SELECT coalesce(json_group_array(json_object('category', category,"
        "  'unit', unit, 'consignments', nc, 'lines', n, " TOTALS ")), '[]') FROM ("
        "  SELECT category, unit, count(DISTINCT consignment) AS nc, count(*) AS n, " SUMS
        "  FROM line_balances GROUP BY category, unit ORDER BY category, unit))),"
        " 'totals', json(" ALL_TOTALS "))",
        NULL, 0, out, err);
}

int store_reconciliation_json(store *s, cm_buf *out, cm_error *err)
{
    return store_json(
        s,
        "WITH org_flows AS ("
        "  SELECT substr(to_account, 6) AS org, qty AS received, 0 AS distributed, 0 AS lost,"
        "   0 AS sent FROM movements WHERE substr(to_account, 1, 5) = 'held:'"
        "  UNION ALL SELECT substr(from_account, 6), 0,"
        "   CASE WHEN to_account = 'distributed' THEN qty ELSE 0 END,"
        "   CASE WHEN substr(to_account, 1, 5) = 'lost:' THEN qty ELSE 0 END,"
        "   CASE WHEN substr(to_account, 1, 8) = 'pending:' THEN qty ELSE 0 END"
        "   FROM movements WHERE substr(from_account, 1, 5) = 'held:'"
        "  UNION ALL SELECT substr(from_account, 13), 0, 0, qty, 0 FROM movements"
        "   WHERE substr(from_account, 1, 12) = 'unaccounted:'"
        "   AND substr(to_account, 1, 5) = 'lost:'"
        /* an inspector sends what it lets enter (an entry moves "" -> pending:<transfer>;
           joined on the transfer's key, not on a concatenation, which would scan) */
        "  UNION ALL SELECT t.from_org, 0, 0, 0, m.qty FROM movements m JOIN transfers t"
        "   ON t.transfer = substr(m.to_account, 9) WHERE m.from_account = ''"
        "  UNION ALL SELECT substr(to_account, 13), 0, 0, 0, 0 FROM movements"
        "   WHERE substr(to_account, 1, 12) = 'unaccounted:'),"
        " orgs AS (SELECT org, sum(received) AS received, sum(distributed) AS distributed,"
        "  sum(lost) AS lost, sum(sent) AS sent,"
        "  (SELECT coalesce(sum(qty), 0) FROM accounts WHERE account = 'held:' || org) AS held,"
        "  (SELECT coalesce(sum(qty), 0) FROM accounts WHERE account = 'unaccounted:' || org)"
        "   AS unaccounted FROM org_flows GROUP BY org)"
        "SELECT json_object("
        " 'by_crossing', json((SELECT coalesce(json_group_array(json_object('crossing', crossing,"
        "  'consignments', n, " TOTALS ")), '[]') FROM (SELECT crossing, count(*) AS n,"
        " " SUMS " FROM consignment_summary"
        "  GROUP BY crossing ORDER BY crossing))),"
        " 'by_org', json((SELECT coalesce(json_group_array(json_object('org', org,"
        "  'received', received, 'sent', sent, 'held', held, 'distributed', distributed,"
        "  'lost', lost, 'unaccounted', unaccounted)), '[]') FROM (SELECT * FROM orgs"
        "  ORDER BY org))),"
        " 'by_category', json((SELECT coalesce(json_group_array(json_object('category',"
        "  category, 'lines', n, " TOTALS ")), '[]') FROM (SELECT category, count(*) AS n,"
        " " SUMS " FROM line_balances"
        "  GROUP BY category ORDER BY category))),"
        " 'totals', json(" ALL_TOTALS "))",
        NULL, 0, out, err);
}

long store_check_ledger(store *s, cm_buf *report, cm_error *err)
{
    sqlite3_stmt *st = NULL;
    const char *sql =
        "SELECT consignment, line, entered, held + pending + distributed + lost + unaccounted,"
        " (SELECT max(updated) FROM accounts a WHERE a.consignment = b.consignment"
        "  AND a.line = b.line) FROM line_balances b"
        " WHERE entered != held + pending + distributed + lost + unaccounted"
        " OR entered > approved";
    if (sqlite3_prepare_v2(s->db, sql, -1, &st, NULL) != SQLITE_OK)
        return store_fail(s, err, "ledger check");
    long bad = 0;
    int rc;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        buf_printf(report,
                   "line %lld of %s: entered %lld, but its accounts hold %lld (entry %lld last "
                   "moved it)\n",
                   (long long)sqlite3_column_int64(st, 1), sqlite3_column_text(st, 0),
                   (long long)sqlite3_column_int64(st, 2), (long long)sqlite3_column_int64(st, 3),
                   (long long)sqlite3_column_int64(st, 4));
        bad++;
    }
    sqlite3_finalize(st);
    return rc == SQLITE_DONE ? bad : store_fail(s, err, "ledger check");
}
