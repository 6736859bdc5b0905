/*
 * h_supply.c: the supply picture over HTTP.
 *
 *   GET /v1/consignments[?status=&crossing=&org=]      {"consignments":[...]}
 *   GET /v1/consignments.csv[?status=&crossing=&org=]  one row per line, HXL-tagged
 *   GET /v1/consignments/<id>                          lines, accounts, transfers, events
 *   GET /v1/alerts[?at=<RFC 3339>]                     {"as_of","thresholds","alerts":[...]}
 *   GET /v1/reconciliation                             by crossing, org and category
 *   GET /v1/reconciliation.csv[?status=&crossing=&org=]  one row per line, HXL-tagged
 *
 * GET /v1/stats, the public summary of supply and the rest, is in h_stats.c.
 */
#include "server/handlers.h"
#include "views/supply.h"

#include "common/timeutil.h"

#include <string.h>

static const char *const statuses[] = {"declared",   "screened", "refused",   "in_transit",
                                       "in_custody", "entering", "completed", NULL};

int h_consignments(srv_req *q, const char *path, srv_resp *r)
{
    (void)path;
    views_consignment_filter f = {0};
    if (srv_query_id(q, "crossing", &f.crossing, r) || srv_query_id(q, "org", &f.org, r) ||
        srv_query_choice(q, "status", statuses, &f.status, r))
        return 0;
    store *rd = srv_reader(q->s);
    cm_error err;
    buf_puts(&r->body, "{\"consignments\":");
    if (!rd || views_consignments_json(rd, &f, &r->body, &err)) return srv_unavailable(r);
    buf_puts(&r->body, "}\n");
    r->cache = "no-cache";
    return 0;
}

int h_consignment(srv_req *q, const char *path, srv_resp *r)
{
    const char *id = path + strlen("/v1/consignments/");
    if (!ev_is_id(id)) {
        srv_errorf(r, CM_NOT_FOUND, "", "no consignment \"%s\"", id);
        return 0;
    }
    store *rd = srv_reader(q->s);
    cm_error err;
    int found = rd ? views_consignment_json(rd, id, &r->body, &err) : -1;
    if (found < 0) return srv_unavailable(r);
    if (!found) {
        srv_errorf(r, CM_NOT_FOUND, "", "no consignment \"%s\" was declared", id);
        return 0;
    }
    buf_putc(&r->body, '\n');
    r->cache = "no-cache";
    return 0;
}

/* Both CSV exports take the list's filters, refused as the list refuses them. */
static int csv(srv_req *q, views_csv which, const char *name, srv_resp *r)
{
    views_consignment_filter f = {0};
    if (srv_query_id(q, "crossing", &f.crossing, r) || srv_query_id(q, "org", &f.org, r) ||
        srv_query_choice(q, "status", statuses, &f.status, r))
        return 0;
    store *rd = srv_reader(q->s);
    cm_error err;
    if (!rd || views_csv_export(rd, which, &f, &r->body, &err)) return srv_unavailable(r);
    r->type = "text/csv; charset=utf-8";
    r->cache = "no-cache";
    r->disposition = name;
    return 0;
}

int h_consignments_csv(srv_req *q, const char *path, srv_resp *r)
{
    (void)path;
    return csv(q, VIEWS_CSV_CONSIGNMENTS, "attachment; filename=\"consignments.csv\"", r);
}

int h_reconciliation_csv(srv_req *q, const char *path, srv_resp *r)
{
    (void)path;
    return csv(q, VIEWS_CSV_RECONCILIATION, "attachment; filename=\"reconciliation.csv\"", r);
}

int h_reconciliation(srv_req *q, const char *path, srv_resp *r)
{
    (void)path;
    store *rd = srv_reader(q->s);
    cm_error err;
    if (!rd || views_reconciliation_json(rd, &r->body, &err)) return srv_unavailable(r);
    buf_putc(&r->body, '\n');
    r->cache = "no-cache";
    return 0;
}

int h_alerts(srv_req *q, const char *path, srv_resp *r)
{
    (void)path;
    const srv_config *c = &q->s->cfg;
    views_alert_config ac = {time_now_ms(), c->alert_pending_hours, c->alert_idle_hours,
                             c->alert_loss_percent, c->alert_window_days};
    if (srv_query_time(q, "at", &ac.as_of_ms, r)) return 0;
    char t[32];
    time_format_s(ac.as_of_ms, t, sizeof t);
    buf_printf(&r->body,
               "{\"as_of\":\"%s\",\"thresholds\":{\"pending_hours\":%d,\"idle_hours\":%d,"
               "\"loss_percent\":%g,\"loss_window_days\":%d},\"alerts\":",
               t, ac.pending_hours, ac.idle_hours, ac.loss_percent, ac.window_days);
    store *rd = srv_reader(q->s);
    cm_error err;
    if (!rd || views_alerts_json(rd, &ac, &r->body, &err)) return srv_unavailable(r);
    buf_puts(&r->body, "}\n");
    r->cache = "no-store";
    return 0;
}
