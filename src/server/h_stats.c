/*
 * h_stats.c: GET /v1/stats, the public summary of the log:
 *
 *   {"as_of","size","supply":{"by_day":[...],"totals":{...}},
 *    "movements":{"requested","by_status","median_time_to_acknowledge_s"},
 *    "force":{...},"disarmament":{...}[,"hooks":[...]]}
 *
 * It is public and reads every table, so its last answer is kept in the
 * srv (stats, under stats_mu) with the tree's size it was made for and
 * when. That answer is served again while the tree has the same size and
 * it is less than STATS_MAX_AGE_MS old (it also depends on the time:
 * overdue benchmarks, open movements); its as_of says when it was made.
 * An answer made for a larger tree, or later, replaces the kept one.
 *
 * When the log has webhooks, "hooks" (hooks.c: each one's URL, types,
 * delivered, next, pending, failing_since, last_error) is put into every
 * answer as it is sent, never kept.
 *
 * GET /v1/stats?at=<RFC 3339> makes the answer as of that time instead of
 * now (what is overdue by then; as_of says it), never kept nor served from
 * what is kept: `cmcc verify URL` asks for one time and compares.
 */
#include "server/handlers.h"
#include "views/supply.h"

#include "common/timeutil.h"
#include "views/views.h"

#include <stdint.h>
#include <stdlib.h>

#define STATS_MAX_AGE_MS 2000

/* Appends the kept answer to r's body, if it is still good for a tree of
 * size at now. 1 if it was, else 0. */
static int stats_kept(srv *s, uint64_t size, int64_t now, srv_resp *r)
{
    pthread_mutex_lock(&s->stats_mu);
    int hit = s->stats.len && s->stats_size == size && now - s->stats_at < STATS_MAX_AGE_MS &&
              now >= s->stats_at;
    if (hit) buf_append(&r->body, s->stats.data, s->stats.len);
    pthread_mutex_unlock(&s->stats_mu);
    if (hit) r->cache = "no-cache";
    return hit;
}

/* Keeps body, made for a tree of size at now, unless what is kept is newer. */
static void stats_keep(srv *s, uint64_t size, int64_t now, const cm_buf *body)
{
    pthread_mutex_lock(&s->stats_mu);
    if (!s->stats.len || size > s->stats_size || now > s->stats_at) {
        buf_reset(&s->stats);
        buf_append(&s->stats, body->data, body->len);
        s->stats_size = size;
        s->stats_at = now;
    }
    pthread_mutex_unlock(&s->stats_mu);
}

/* Makes the answer for a tree of size at now in r. 0, or -1 with r a 503. */
static int stats_make(srv_req *q, uint64_t size, int64_t now, srv_resp *r)
{
    char t[32];
    time_format_s(now, t, sizeof t);
    buf_printf(&r->body, "{\"as_of\":\"%s\",\"size\":%llu,\"supply\":", t,
               (unsigned long long)size);
    store *rd = srv_reader(q->s);
    cm_error err;
    if (!rd || views_supply_stats_json(rd, &r->body, &err)) return srv_unavailable(r), -1;
    json_t *mv = views_movement_stats(rd);
    if (!mv) return srv_unavailable(r), -1;
    char *mvs = json_dumps(mv, EV_JSON_OUT);
    buf_printf(&r->body, ",\"movements\":%s", mvs);
    free(mvs);
    json_decref(mv);
    json_t *fs = views_force_stats(rd, now);
    if (!fs) return srv_unavailable(r), -1;
    char *fss = json_dumps(fs, EV_JSON_OUT);
    buf_printf(&r->body, ",%s\n", fss + 1); /* its members (and its closing brace) */
    free(fss);
    json_decref(fs);
    r->cache = "no-cache";
    return 0;
}

/* Puts the webhooks' state (hooks.c), which is never kept, before the
 * answer's closing brace. */
static void with_hooks(srv *s, srv_resp *r)
{
    size_t end = r->body.len;
    while (end && r->body.data[end - 1] != '}') end--;
    if (!end) return;
    cm_buf tail = CM_BUF_INIT;
    buf_append(&tail, r->body.data + end - 1, r->body.len - (end - 1));
    r->body.len = end - 1;
    srv_hooks_json(s->hooks, &r->body);
    buf_append(&r->body, tail.data, tail.len);
    buf_free(&tail);
}

int h_stats(srv_req *q, const char *path, srv_resp *r)
{
    (void)path;
    uint64_t size;
    srv_published(q->s, &size, NULL);
    int64_t now = time_now_ms(), at = INT64_MIN;
    if (srv_query_time(q, "at", &at, r)) return 0;
    if (at != INT64_MIN) return stats_make(q, size, at, r), 0;
    if (!stats_kept(q->s, size, now, r) && stats_make(q, size, now, r) == 0)
        stats_keep(q->s, size, now, &r->body);
    if (q->s->hooks && r->body.len > 2 && r->status == 0) with_hooks(q->s, r);
    return 0;
}
