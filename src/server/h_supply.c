/*
 * h_supply.c: the supply picture over HTTP.
 *
 *   GET /v1/consignments[?status=&crossing=&org=]  {"consignments":[...]}
 *   GET /v1/consignments.csv                        one row per line, HXL-tagged
 *   GET /v1/consignments/<id>                       lines, accounts, transfers, events
 *   GET /v1/alerts[?at=<RFC 3339>]                  {"as_of","thresholds","alerts":[...]}
 *   GET /v1/reconciliation                          by crossing, org and category
 *   GET /v1/reconciliation.csv                      one row per line, HXL-tagged
 *   GET /v1/stats                                   public: {"as_of","size","supply":{...},
 *                                                   "movements","force","disarmament"}
 *
 * /v1/stats is public and reads every table, so its answer is kept and
 * served again while the tree has the same size and the answer is less
 * than STATS_MAX_AGE_MS old (it also depends on the time: overdue
 * benchmarks, open movements); its as_of says when it was made.
 */
#include "server/srv_int.h"

#include "common/timeutil.h"

#include <stdlib.h>
#include <string.h>

static const char *const statuses[] = {"declared",   "screened", "refused",   "in_transit",
                                       "in_custody", "entering", "completed", NULL};

int h_consignments(srv_req *q, const char *path, srv_resp *r)
{
    (void)path;
    store_consignment_filter f = {0};
    if (srv_query_id(q, "crossing", &f.crossing, r) || srv_query_id(q, "org", &f.org, r) ||
        srv_query_choice(q, "status", statuses, &f.status, r))
        return 0;
    store *rd = srv_reader(q->s);
    cm_error err;
    buf_puts(&r->body, "{\"consignments\":");
    if (!rd || store_consignments_json(rd, &f, &r->body, &err)) return srv_unavailable(r);
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
    int found = rd ? store_consignment_json(rd, id, &r->body, &err) : -1;
    if (found < 0) return srv_unavailable(r);
    if (!found) {
        srv_errorf(r, CM_NOT_FOUND, "", "no consignment \"%s\" was declared", id);
        return 0;
    }
    buf_putc(&r->body, '\n');
    r->cache = "no-cache";
    return 0;
}

static int csv(srv_req *q, store_csv which, const char *name, srv_resp *r)
{
    store *rd = srv_reader(q->s);
    cm_error err;
    if (!rd || store_csv_export(rd, which, &r->body, &err)) return srv_unavailable(r);
    r->type = "text/csv; charset=utf-8";
    r->cache = "no-cache";
    r->disposition = name;
    return 0;
}

int h_consignments_csv(srv_req *q, const char *path, srv_resp *r)
{
    (void)path;
    return csv(q, STORE_CSV_CONSIGNMENTS, "attachment; filename=\"consignments.csv\"", r);
}

int h_reconciliation_csv(srv_req *q, const char *path, srv_resp *r)
{
    (void)path;
    return csv(q, STORE_CSV_RECONCILIATION, "attachment; filename=\"reconciliation.csv\"", r);
}

int h_reconciliation(srv_req *q, const char *path, srv_resp *r)
{
    (void)path;
    store *rd = srv_reader(q->s);
    cm_error err;
    if (!rd || store_reconciliation_json(rd, &r->body, &err)) return srv_unavailable(r);
    buf_putc(&r->body, '\n');
    r->cache = "no-cache";
    return 0;
}

int h_alerts(srv_req *q, const char *path, srv_resp *r)
{
    (void)path;
    const srv_config *c = &q->s->cfg;
    store_alert_config ac = {time_now_ms(), c->alert_pending_hours, c->alert_idle_hours,
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
    if (!rd || store_alerts_json(rd, &ac, &r->body, &err)) return srv_unavailable(r);
    buf_puts(&r->body, "}\n");
    r->cache = "no-store";
    return 0;
}

static int cmp_ll(const void *a, const void *b);

#define STATS_MAX_AGE_MS 2000

/* The kept answer, if it is still good for a tree of size at now. */
static int stats_kept(srv *s, uint64_t size, int64_t now, srv_resp *r)
{
    pthread_mutex_lock(&s->stats_mu);
    int hit = s->stats && s->stats_size == size && now - s->stats_at < STATS_MAX_AGE_MS &&
              now >= s->stats_at;
    if (hit) buf_append(&r->body, s->stats, s->stats_len);
    pthread_mutex_unlock(&s->stats_mu);
    if (hit) r->cache = "no-cache";
    return hit;
}

static void stats_keep(srv *s, uint64_t size, int64_t now, const cm_buf *body)
{
    pthread_mutex_lock(&s->stats_mu);
    if (!s->stats || size > s->stats_size || now > s->stats_at) {
        free(s->stats);
        s->stats = xmalloc(body->len);
        memcpy(s->stats, body->data, body->len);
        s->stats_len = body->len;
        s->stats_size = size;
        s->stats_at = now;
    }
    pthread_mutex_unlock(&s->stats_mu);
}

static int stats_make(srv_req *q, uint64_t size, int64_t now, srv_resp *r);

int h_stats(srv_req *q, const char *path, srv_resp *r)
{
    (void)path;
    uint64_t size;
    srv_published(q->s, &size, NULL);
    int64_t now = time_now_ms();
    if (stats_kept(q->s, size, now, r)) return 0;
    stats_make(q, size, now, r);
    if (r->status == 0) stats_keep(q->s, size, now, &r->body); /* not an error */
    return 0;
}

static int stats_make(srv_req *q, uint64_t size, int64_t now, srv_resp *r)
{
    char t[32];
    time_format_s(now, t, sizeof t);
    buf_printf(&r->body, "{\"as_of\":\"%s\",\"size\":%llu,\"supply\":", t,
               (unsigned long long)size);
    store *rd = srv_reader(q->s);
    cm_error err;
    if (!rd || store_stats_json(rd, &r->body, &err)) return srv_unavailable(r);
    json_t *ms = srv_view_movements(rd, NULL);
    if (!ms) return srv_unavailable(r);
    json_t *by = json_object();
    long long *ack = xcalloc(json_array_size(ms) + 1, sizeof *ack);
    size_t nack = 0;
    for (size_t i = 0; i < json_array_size(ms); i++) {
        const json_t *m = json_array_get(ms, i);
        const char *st = json_string_value(json_object_get(m, "status"));
        json_object_set_new(by, st, json_integer(json_integer_value(json_object_get(by, st)) + 1));
        const json_t *tta = json_object_get(m, "time_to_acknowledge_s");
        if (json_is_integer(tta)) ack[nack++] = json_integer_value(tta);
    }
    qsort(ack, nack, sizeof *ack, cmp_ll);
    json_t *mv =
        json_pack("{s:I,s:o}", "requested", (json_int_t)json_array_size(ms), "by_status", by);
    json_object_set_new(
        mv, "median_time_to_acknowledge_s",
        nack ? json_integer(nack % 2 ? ack[nack / 2] : (ack[nack / 2 - 1] + ack[nack / 2]) / 2)
             : json_null());
    char *mvs = json_dumps(mv, EV_JSON_OUT);
    buf_printf(&r->body, ",\"movements\":%s", mvs);
    free(mvs);
    json_t *fs = srv_force_stats(rd, now);
    if (!fs) {
        free(ack);
        json_decref(mv);
        json_decref(ms);
        return srv_unavailable(r);
    }
    char *fss = json_dumps(fs, EV_JSON_OUT);
    buf_printf(&r->body, ",%s\n", fss + 1); /* its members (and its closing brace) */
    free(fss);
    json_decref(fs);
    free(ack);
    json_decref(mv);
    json_decref(ms);
    r->cache = "no-cache";
    return 0;
}

static int cmp_ll(const void *a, const void *b)
{
    long long x = *(const long long *)a, y = *(const long long *)b;
    return x < y ? -1 : x > y;
}
