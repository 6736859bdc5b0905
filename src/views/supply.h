/*
 * supply.h: the read model of supply and of the registry: every figure
 * the read API answers about consignments (balances, statuses, totals),
 * alerts (with their sentences), the public stats, the reconciliation,
 * the CSV exports, and the orgs and places, computed in C (src/views/)
 * from the rows the store returns (store.h). The same functions serve the
 * HTTP handlers (src/server/), `cmcc report` and `cmcc verify`, so that
 * these cannot disagree.
 *
 * Each appends its answer to out as JSON (CSV for views_csv_export), reads
 * through the store it is given (inside the caller's read transaction, if
 * any), and returns 0, or -1 with err when the store cannot be read.
 * Totals add quantities across lines whatever their unit (the count of
 * things moved, for checks); per-line figures, and the stats' by_unit and
 * by_day_unit, keep the unit. Times are RFC 3339 UTC.
 */
#ifndef CMCC_VIEWS_SUPPLY_H
#define CMCC_VIEWS_SUPPLY_H

#include "common/buf.h"
#include "common/error.h"
#include "store/store.h"

#include <stdint.h>

/* Called with each element of a list, as its JSON, in the answer's order
 * (0 goes on; nonzero stops the list). The *_each functions give a list one
 * element at a time, so that one of millions is compared without holding
 * it (`cmcc verify URL`). */
typedef int (*views_item_fn)(void *ctx, const char *json, size_t len);
/* A list given one element at a time (views_orgs_each, ...). */
typedef int (*views_each_fn)(store *s, views_item_fn fn, void *ctx, cm_error *err);

/* ---- registry.c ---------------------------------------------------------- */

/* [{org, name, names, roles, country, status, reason, admitted, keys}], by org */
int views_orgs_json(store *s, cm_buf *out, cm_error *err);
/* [{place, kind, name, names, lat, lon, sector, status, reason, defined}], by place */
int views_places_json(store *s, cm_buf *out, cm_error *err);
int views_orgs_each(store *s, views_item_fn fn, void *ctx, cm_error *err);
int views_places_each(store *s, views_item_fn fn, void *ctx, cm_error *err);

/* ---- consignments.c ------------------------------------------------------ */

typedef struct {
    const char *status, *crossing, *org; /* NULL: any */
} views_consignment_filter;

/* [{consignment, ..., status, lines, totals}, ...], oldest first: the
 * consignments the filter lets through (org: declared by it, consigned to
 * it, held or unaccounted for by it, or pending to it). */
int views_consignments_json(store *s, const views_consignment_filter *f, cm_buf *out,
                            cm_error *err);
/* The unfiltered list, one element at a time. */
int views_consignments_each(store *s, views_item_fn fn, void *ctx, cm_error *err);
/* One consignment with its lines' accounts, its transfers and the entries
 * that concern it. 1 found, 0 no such consignment, -1. */
int views_consignment_json(store *s, const char *id, cm_buf *out, cm_error *err);

/* ---- alerts.c ------------------------------------------------------------ */

typedef struct {
    int64_t as_of_ms;    /* the alerts as of this time */
    int pending_hours;   /* a transfer pending longer (24) */
    int idle_hours;      /* a holding with no movement for longer (72) */
    double loss_percent; /* lost + unaccounted over this share of what was received (5) */
    int window_days;     /* ... in this many days (30) */
} views_alert_config;

/* [{alert, kind, ..., message, follow_up}, ...]: transfers pending too
 * long, unaccounted balances, holdings with no movement for too long, orgs
 * losing too much; each with the follow-ups people recorded. */
int views_alerts_json(store *s, const views_alert_config *c, cm_buf *out, cm_error *err);

/* ---- supply_stats.c, reconciliation.c ------------------------------------ */

/* The public supply aggregates {"by_day":[...], "by_day_unit":[...],
 * "by_unit":[...], "totals":{...}}: flows per day and crossing (and per
 * category and unit), and the balances (and per category and unit). */
int views_supply_stats_json(store *s, cm_buf *out, cm_error *err);
/* {"by_crossing", "by_org", "by_category", "totals"}. */
int views_reconciliation_json(store *s, cm_buf *out, cm_error *err);

/* ---- csv.c --------------------------------------------------------------- */

typedef enum { VIEWS_CSV_CONSIGNMENTS, VIEWS_CSV_RECONCILIATION } views_csv;
/* Appends a CSV export: header, HXL hashtag row, one row per line of each
 * consignment the filter (NULL: none) lets through, as the list's. */
int views_csv_export(store *s, views_csv which, const views_consignment_filter *f, cm_buf *out,
                     cm_error *err);

/* ---- ledger.c ------------------------------------------------------------ */

/* Checks the ledger's invariant on every line (entered = the sum of its
 * accounts, and no more than approved); appends one report line per line
 * that breaks it and returns how many, or -1. */
long views_check_ledger(store *s, cm_buf *report, cm_error *err);

#endif
