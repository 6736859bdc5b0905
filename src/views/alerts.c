/*
 * alerts.c: GET /v1/alerts: what needs someone's attention as of a time,
 * derived when read, never stored (docs/protocol.md, "Alerts"). In turn:
 *
 *   transfer_pending  a transfer pending for longer than pending_hours
 *   unaccounted       every unaccounted balance (a shortfall on acceptance)
 *   idle_holding      a balance held with no movement for longer than
 *                     idle_hours
 *   loss_rate         an org that, in the window_days before, lost or left
 *                     unaccounted (as sender) more than loss_percent of what
 *                     it received (what an inspector let enter counting as
 *                     what it received)
 *
 * each kind ordered by its time (since; loss rates by org), ties in the
 * order of the store's keys; each alert is {"alert": its key (src/event/
 * alerts.c), "kind", its figures, "message": a sentence, "follow_up"}:
 * the status people gave it, who did the latest follow-up, when, in which
 * entry, with what note, the org it was last assigned to, and every
 * follow-up in log order ("open" and nulls when there is none).
 */
#include "views/book.h"

#include "common/mem.h"

#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#define HOUR_MS 3600000LL

/* One alert before it is written: its text so far (without follow_up),
 * what orders it, and its key. */
typedef struct {
    int kind;
    int64_t t;
    size_t seq; /* ties keep the order they were found in */
    char *key;
    cm_buf text;
} alert;

typedef struct {
    alert *a;
    size_t n, cap;
} alerts;

static alert *add(alerts *as, int kind, int64_t t, char *key)
{
    if (as->n == as->cap)
        as->a = xrealloc(as->a, (as->cap = as->cap ? 2 * as->cap : 32) * sizeof *as->a);
    alert *a = &as->a[as->n];
    a->kind = kind;
    a->t = t;
    a->seq = as->n++;
    a->key = key;
    a->text = (cm_buf)CM_BUF_INIT;
    buf_puts(&a->text, "{\"alert\":");
    views_str(&a->text, key);
    return a;
}

static int by_order(const void *x, const void *y)
{
    const alert *a = x, *b = y;
    if (a->kind != b->kind) return a->kind < b->kind ? -1 : 1;
    if (a->t != b->t) return a->t < b->t ? -1 : 1;
    return a->seq < b->seq ? -1 : a->seq > b->seq;
}

typedef struct {
    alerts *as;
    const views_alert_config *c;
} pending_ctx;

static int on_pending(void *ctx, const store_transfer_row *r)
{
    pending_ctx *p = ctx;
    int64_t now = p->c->as_of_ms;
    if (!(r->time_ms < now - (int64_t)p->c->pending_hours * HOUR_MS)) return 0;
    long long hours = (now - r->time_ms) / HOUR_MS;
    alert *a = add(p->as, 1, r->time_ms, xasprintf("transfer_pending/%s", r->transfer));
    cm_buf *o = &a->text;
    views_kv_str(o, "kind", "transfer_pending");
    views_kv_str(o, "transfer", r->transfer);
    views_kv_str(o, "consignment", r->consignment);
    views_kv_str(o, "from", r->from);
    views_kv_str(o, "to", r->to);
    buf_puts(o, ",\"since\":");
    views_time(o, r->time_ms);
    views_kv_int(o, "hours", hours);
    char *m = xasprintf("transfer %s from %s to %s has been pending for %lld hours", r->transfer,
                        r->from, r->to, hours);
    views_kv_str(o, "message", m);
    free(m);
    return 0;
}

/* The unaccounted balances and the idle holdings of the book. */
static void balances(alerts *as, const views_book *b, const views_alert_config *c)
{
    int64_t now = c->as_of_ms, idle = (int64_t)c->idle_hours * HOUR_MS;
    for (int pass = 2; pass <= 3; pass++)
        for (size_t i = 0; i < b->nlines; i++) {
            const views_line *l = &b->lines[i];
            for (size_t k = l->first_account; k < l->first_account + l->naccounts; k++) {
                const views_account *x = &b->accounts[k];
                if (x->qty <= 0) continue;
                char *m;
                alert *a;
                if (pass == 2 && strcmp(x->kind, "unaccounted") == 0) {
                    a = add(
                        as, 2, x->last_time_ms,
                        xasprintf("unaccounted/%s/%lld/%s", l->consignment, l->line, x->holder));
                    m = xasprintf("%lld of line %lld of %s are unaccounted for by %s", x->qty,
                                  l->line, l->consignment, x->holder);
                    views_kv_str(&a->text, "kind", "unaccounted");
                } else if (pass == 3 && strcmp(x->kind, "held") == 0 &&
                           x->last_time_ms < now - idle) {
                    long long hours = (now - x->last_time_ms) / HOUR_MS;
                    a = add(
                        as, 3, x->last_time_ms,
                        xasprintf("idle_holding/%s/%lld/%s", l->consignment, l->line, x->holder));
                    m = xasprintf("%s has held %lld of line %lld of %s without movement for %lld "
                                  "hours",
                                  x->holder, x->qty, l->line, l->consignment, hours);
                    views_kv_str(&a->text, "kind", "idle_holding");
                } else
                    continue;
                cm_buf *o = &a->text;
                views_kv_str(o, "consignment", l->consignment);
                views_kv_int(o, "line", l->line);
                views_kv_str(o, "org", x->holder);
                views_kv_int(o, "quantity", x->qty);
                buf_puts(o, ",\"since\":");
                views_time(o, x->last_time_ms);
                if (pass == 3) views_kv_int(o, "hours", (now - x->last_time_ms) / HOUR_MS);
                views_kv_str(o, "message", m);
                free(m);
            }
        }
}

/* What an org received and lost in the window. */
typedef struct {
    char *org;
    long long received, lost;
} flow;

typedef struct {
    flow *f;
    size_t n, cap;
} flows;

static void flow_add(flows *fs, const char *org, long long received, long long lost)
{
    if (fs->n == fs->cap)
        fs->f = xrealloc(fs->f, (fs->cap = fs->cap ? 2 * fs->cap : 64) * sizeof *fs->f);
    fs->f[fs->n++] = (flow){xstrdup(org), received, lost};
}

static int on_window(void *ctx, const store_movement_row *r)
{
    flows *fs = ctx;
    if (strcmp(r->to_kind, "held") == 0) flow_add(fs, r->to_holder, r->qty, 0);
    if (!r->from_kind[0] && r->to_sender) flow_add(fs, r->to_sender, r->qty, 0); /* an entry */
    if (strcmp(r->from_kind, "held") == 0 && strcmp(r->to_kind, "lost") == 0)
        flow_add(fs, r->from_holder, 0, r->qty);
    if (strcmp(r->to_kind, "unaccounted") == 0) flow_add(fs, r->to_holder, 0, r->qty);
    return 0;
}

static int by_org(const void *x, const void *y)
{
    return strcmp(((const flow *)x)->org, ((const flow *)y)->org);
}

static int loss_rates(store *s, alerts *as, const views_alert_config *c, cm_error *err)
{
    flows fs = {0};
    int64_t now = c->as_of_ms;
    int rc = store_movements_each(s, now - (int64_t)c->window_days * 86400000LL, now, on_window,
                                  &fs, err);
    if (fs.n) qsort(fs.f, fs.n, sizeof *fs.f, by_org);
    for (size_t i = 0; !rc && i < fs.n;) {
        long long r = 0, l = 0;
        size_t j = i;
        for (; j < fs.n && strcmp(fs.f[j].org, fs.f[i].org) == 0; j++) {
            r += fs.f[j].received;
            l += fs.f[j].lost;
        }
        const char *org = fs.f[i].org;
        i = j;
        if (!(l > 0 && (double)l * 100.0 > c->loss_percent * (double)r)) continue;
        alert *a = add(as, 4, 0, xasprintf("loss_rate/%s", org));
        cm_buf *o = &a->text;
        views_kv_str(o, "kind", "loss_rate");
        views_kv_str(o, "org", org);
        views_kv_int(o, "received", r);
        views_kv_int(o, "lost", l);
        /* the share to one decimal, halves rounded up */
        if (r > 0) {
            long long p10 = (l * 2000 + r) / (2 * r);
            buf_printf(o, ",\"percent\":%lld.%lld", p10 / 10, p10 % 10);
        } else
            buf_puts(o, ",\"percent\":null");
        char *m = xasprintf(
            "%s lost or left unaccounted %lld of the %lld it received in the window", org, l, r);
        views_kv_str(o, "message", m);
        free(m);
    }
    for (size_t i = 0; i < fs.n; i++) free(fs.f[i].org);
    free(fs.f);
    return rc;
}

/* Every follow-up of every alert, by alert then in log order. */
typedef struct {
    char *alert, *status, *org, *note, *to, *text;
    long long updated, index;
    int64_t time_ms;
} note;

typedef struct {
    note *n;
    size_t len, cap;
} notes;

static char *body_str(const json_t *body, const char *key)
{
    const char *v = json_string_value(json_object_get(body, key));
    return v ? xstrdup(v) : NULL;
}

static int on_note(void *ctx, const store_alert_note_row *r)
{
    notes *ns = ctx;
    if (ns->len == ns->cap)
        ns->n = xrealloc(ns->n, (ns->cap = ns->cap ? 2 * ns->cap : 32) * sizeof *ns->n);
    note *n = &ns->n[ns->len++];
    json_t *body = r->body ? json_loads(r->body, 0, NULL) : NULL;
    *n = (note){xstrdup(r->alert),
                xstrdup(r->status),
                xstrdup(r->org),
                xstrdup(r->note),
                body_str(body, "to"),
                body_str(body, "note"),
                r->updated,
                r->index,
                r->time_ms};
    json_decref(body);
    return 0;
}

/* ,"follow_up":{...} of the alert key, from its notes [first, end) */
static void follow_up(cm_buf *o, const notes *ns, const char *key)
{
    size_t lo = 0, hi = ns->len;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (strcmp(ns->n[mid].alert, key) < 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    size_t end = lo;
    while (end < ns->len && strcmp(ns->n[end].alert, key) == 0) end++;
    const note *latest = NULL, *assign = NULL;
    for (size_t i = lo; i < end; i++) {
        if (!latest && ns->n[i].index == ns->n[i].updated) latest = &ns->n[i];
        if (strcmp(ns->n[i].note, "assign") == 0) assign = &ns->n[i];
    }
    if (!latest) {
        buf_puts(o, ",\"follow_up\":{\"status\":\"open\",\"by\":null,\"time\":null,\"index\":null,"
                    "\"note\":null,\"assigned_to\":null,\"history\":[]}");
        return;
    }
    buf_puts(o, ",\"follow_up\":{\"status\":");
    views_str(o, latest->status);
    views_kv_str(o, "by", latest->org);
    buf_puts(o, ",\"time\":");
    views_time(o, latest->time_ms);
    views_kv_int(o, "index", latest->index);
    views_kv_str(o, "note", latest->text);
    views_kv_str(o, "assigned_to", assign ? assign->to : NULL);
    buf_puts(o, ",\"history\":[");
    for (size_t i = lo; i < end; i++) {
        const note *n = &ns->n[i];
        buf_puts(o, i > lo ? ",{\"action\":" : "{\"action\":");
        views_str(o, n->note);
        views_kv_str(o, "org", n->org);
        buf_puts(o, ",\"time\":");
        views_time(o, n->time_ms);
        views_kv_int(o, "index", n->index);
        views_kv_str(o, "to", n->to);
        views_kv_str(o, "note", n->text);
        buf_putc(o, '}');
    }
    buf_puts(o, "]}");
}

int views_alerts_json(store *s, const views_alert_config *c, cm_buf *out, cm_error *err)
{
    alerts as = {0};
    notes ns = {0};
    views_book b = {0};
    pending_ctx pc = {&as, c};
    int rc = store_transfers_each(s, NULL, "pending", on_pending, &pc, err);
    if (!rc) rc = views_book_load(s, NULL, &b, err);
    if (!rc) balances(&as, &b, c);
    views_book_free(&b);
    if (!rc) rc = loss_rates(s, &as, c, err);
    if (!rc) rc = store_alert_notes_each(s, on_note, &ns, err);
    if (!rc) {
        if (as.n) qsort(as.a, as.n, sizeof *as.a, by_order);
        buf_putc(out, '[');
        for (size_t i = 0; i < as.n; i++) {
            if (i) buf_putc(out, ',');
            follow_up(&as.a[i].text, &ns, as.a[i].key);
            buf_append(out, as.a[i].text.data, as.a[i].text.len);
            buf_putc(out, '}');
        }
        buf_putc(out, ']');
    }
    for (size_t i = 0; i < as.n; i++) {
        free(as.a[i].key);
        buf_free(&as.a[i].text);
    }
    free(as.a);
    for (size_t i = 0; i < ns.len; i++) {
        note *n = &ns.n[i];
        free(n->alert);
        free(n->status);
        free(n->org);
        free(n->note);
        free(n->to);
        free(n->text);
    }
    free(ns.n);
    return rc;
}
