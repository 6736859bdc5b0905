/*
 * consignments.c: GET /v1/consignments and /v1/consignments/<id> (also
 * `cmcc label` and `cmcc verify`'s comparison), from the book (book.c):
 *
 *   the list    one object per consignment with lines, its status and
 *               totals, oldest first; filtered by status, crossing, or org
 *               (declared by it, consigned to it, with a balance held or
 *               unaccounted for by it, or a transfer pending to it); the
 *               selection is views_consignments_pick, which the CSV
 *               exports (csv.c) share
 *   one         with "screened", every line and its non-zero accounts (by
 *               account name, "kind:holder" as the rules name them), its
 *               transfers as opened with their lines, and the entries that
 *               concern it (an alert follow-up's with the alert, and its
 *               `to` and `note` when it has them)
 */
#include "views/book.h"

#include "common/mem.h"

#include <jansson.h>
#include <stdlib.h>
#include <string.h>

/* {"consignment":..., "time":...,"status" (, "screened"), then the caller's */
static void head(cm_buf *out, const views_consignment *c)
{
    buf_puts(out, "{\"consignment\":");
    views_str(out, c->consignment);
    views_kv_str(out, "declared_by", c->declared_by);
    views_kv_str(out, "consignee", c->consignee);
    views_kv_str(out, "crossing", c->crossing);
    views_kv_str(out, "donor", c->donor);
    views_kv_str(out, "reference", c->reference);
    buf_puts(out, ",\"time\":");
    views_time(out, c->time_ms);
    views_kv_str(out, "status", c->status);
}

/* Whether org has a positive balance held or unaccounted for on c. */
static int holds(const views_book *b, const views_consignment *c, const char *org)
{
    for (size_t i = c->first_line; i < c->first_line + c->nlines; i++) {
        const views_line *l = &b->lines[i];
        for (size_t k = l->first_account; k < l->first_account + l->naccounts; k++) {
            const views_account *a = &b->accounts[k];
            if (a->qty > 0 && strcmp(a->holder, org) == 0 &&
                (strcmp(a->kind, "held") == 0 || strcmp(a->kind, "unaccounted") == 0))
                return 1;
        }
    }
    return 0;
}

typedef struct {
    const char *org;
    char **ids; /* the consignments with a transfer pending to org */
    size_t n, cap;
} pending_to;

static int on_pending(void *ctx, const store_transfer_row *r)
{
    pending_to *p = ctx;
    if (strcmp(r->to, p->org)) return 0;
    if (p->n == p->cap)
        p->ids = xrealloc(p->ids, (p->cap = p->cap ? 2 * p->cap : 16) * sizeof *p->ids);
    p->ids[p->n++] = xstrdup(r->consignment);
    return 0;
}

static int pending_has(const pending_to *p, const char *id)
{
    for (size_t i = 0; i < p->n; i++)
        if (strcmp(p->ids[i], id) == 0) return 1;
    return 0;
}

int views_consignments_pick(store *s, const views_consignment_filter *f, views_pick_fn fn,
                            void *ctx, cm_error *err)
{
    static const views_consignment_filter any = {0};
    if (!f) f = &any;
    views_book b;
    pending_to p = {f->org, NULL, 0, 0};
    int rc = views_book_load(s, NULL, &b, err);
    if (!rc && f->org) rc = store_transfers_each(s, NULL, "pending", on_pending, &p, err);
    for (size_t i = 0; !rc && i < b.nc; i++) {
        const views_consignment *c = &b.c[i];
        if (!c->nlines || (f->status && strcmp(c->status, f->status)) ||
            (f->crossing && strcmp(c->crossing, f->crossing)))
            continue;
        if (f->org && strcmp(c->declared_by, f->org) && strcmp(c->consignee, f->org) &&
            !holds(&b, c, f->org) && !pending_has(&p, c->consignment))
            continue;
        rc = fn(ctx, &b, c);
    }
    for (size_t i = 0; i < p.n; i++) free(p.ids[i]);
    free(p.ids);
    views_book_free(&b);
    return rc < 0 ? -1 : 0;
}

typedef struct {
    views_item_fn fn;
    void *ctx;
    cm_buf one;
} as_json;

/* One consignment of the list, as its JSON, to the caller's fn. */
static int list_item(void *ctx, const views_book *b, const views_consignment *c)
{
    (void)b;
    as_json *j = ctx;
    buf_reset(&j->one);
    head(&j->one, c);
    views_kv_int(&j->one, "lines", (long long)c->nlines);
    views_totals_json(&j->one, &c->t);
    buf_putc(&j->one, '}');
    return j->fn(j->ctx, j->one.data, j->one.len);
}

/* Calls fn with each consignment the filter lets through, as its JSON. */
static int consignments_each(store *s, const views_consignment_filter *f, views_item_fn fn,
                             void *ctx, cm_error *err)
{
    as_json j = {fn, ctx, CM_BUF_INIT};
    int rc = views_consignments_pick(s, f, list_item, &j, err);
    buf_free(&j.one);
    return rc;
}

int views_consignments_json(store *s, const views_consignment_filter *f, cm_buf *out, cm_error *err)
{
    views_array a = {out, 0};
    buf_putc(out, '[');
    int rc = consignments_each(s, f, views_array_add, &a, err);
    buf_putc(out, ']');
    return rc;
}

int views_consignments_each(store *s, views_item_fn fn, void *ctx, cm_error *err)
{
    views_consignment_filter any = {0};
    return consignments_each(s, &any, fn, ctx, err);
}

typedef struct {
    char *name; /* "kind:holder", or "kind" with no holder */
    long long qty;
} named;

static int by_name(const void *x, const void *y)
{
    return strcmp(((const named *)x)->name, ((const named *)y)->name);
}

/* "accounts":{name: qty, ...}: the non-zero ones, by name */
static void accounts(cm_buf *out, const views_book *b, const views_line *l)
{
    named *a = xcalloc(l->naccounts + 1, sizeof *a);
    size_t n = 0;
    for (size_t k = l->first_account; k < l->first_account + l->naccounts; k++) {
        const views_account *x = &b->accounts[k];
        if (x->qty <= 0) continue;
        a[n].name = xasprintf("%s%s%s", x->kind, x->holder[0] ? ":" : "", x->holder);
        a[n++].qty = x->qty;
    }
    qsort(a, n, sizeof *a, by_name);
    buf_puts(out, ",\"accounts\":{");
    for (size_t i = 0; i < n; i++) {
        if (i) buf_putc(out, ',');
        views_str(out, a[i].name);
        buf_printf(out, ":%lld", a[i].qty);
        free(a[i].name);
    }
    buf_putc(out, '}');
    free(a);
}

static void line_json(cm_buf *out, const views_book *b, const views_line *l)
{
    buf_printf(out, "{\"line\":%lld", l->line);
    views_kv_str(out, "item", l->item);
    views_kv_str(out, "category", l->category);
    views_kv_str(out, "unit", l->unit);
    buf_puts(out, ",\"weight_kg\":");
    if (l->weight_kg < 0)
        buf_puts(out, "null");
    else
        views_real(out, l->weight_kg);
    views_kv_int(out, "declared", l->declared);
    if (l->approved < 0)
        buf_puts(out, ",\"approved\":null");
    else
        views_kv_int(out, "approved", l->approved);
    views_kv_str(out, "reason", l->reason);
    views_kv_int(out, "entered", l->entered);
    accounts(out, b, l);
    buf_putc(out, '}');
}

/* The transfers' lines, by transfer then line, kept as they come. */
typedef struct {
    char **transfer;
    long long (*v)[3]; /* line, sent, received (-1: null) */
    size_t n, cap;
} tlines;

static int on_tline(void *ctx, const store_transfer_line_row *r)
{
    tlines *t = ctx;
    if (t->n == t->cap) {
        t->cap = t->cap ? 2 * t->cap : 16;
        t->transfer = xrealloc(t->transfer, t->cap * sizeof *t->transfer);
        t->v = xrealloc(t->v, t->cap * sizeof *t->v);
    }
    t->transfer[t->n] = xstrdup(r->transfer);
    t->v[t->n][0] = r->line;
    t->v[t->n][1] = r->sent;
    t->v[t->n][2] = r->received;
    t->n++;
    return 0;
}

typedef struct {
    cm_buf *out;
    const tlines *tl;
    int n;
} transfers_out;

static int on_transfer(void *ctx, const store_transfer_row *r)
{
    transfers_out *t = ctx;
    cm_buf *out = t->out;
    if (t->n++) buf_putc(out, ',');
    buf_puts(out, "{\"transfer\":");
    views_str(out, r->transfer);
    views_kv_str(out, "kind", r->kind);
    views_kv_str(out, "from", r->from);
    views_kv_str(out, "to", r->to);
    views_kv_str(out, "place", r->place);
    views_kv_str(out, "status", r->status);
    views_kv_str(out, "reason", r->reason);
    buf_puts(out, ",\"time\":");
    views_time(out, r->time_ms);
    buf_puts(out, ",\"closed\":");
    if (r->closed_ms < 0)
        buf_puts(out, "null");
    else
        views_time(out, r->closed_ms);
    buf_puts(out, ",\"lines\":[");
    int n = 0;
    for (size_t i = 0; i < t->tl->n; i++) {
        if (strcmp(t->tl->transfer[i], r->transfer)) continue;
        const long long *v = t->tl->v[i];
        buf_printf(out, "%s{\"line\":%lld,\"sent\":%lld,\"received\":", n++ ? "," : "", v[0], v[1]);
        if (v[2] < 0)
            buf_puts(out, "null}");
        else
            buf_printf(out, "%lld}", v[2]);
    }
    buf_puts(out, "]}");
    return 0;
}

typedef struct {
    cm_buf *out;
    int n;
} events_out;

/* A string member of an event body, or NULL. */
static const char *body_str(const json_t *body, const char *key)
{
    return json_string_value(json_object_get(body, key));
}

static int on_event(void *ctx, const store_event_row *r)
{
    events_out *e = ctx;
    cm_buf *out = e->out;
    if (e->n++) buf_putc(out, ',');
    buf_printf(out, "{\"index\":%lld", r->index);
    views_kv_str(out, "type", r->type);
    views_kv_str(out, "org", r->org);
    views_kv_str(out, "id", r->id);
    if (r->alert) {
        /* the follow-up's alert, and its `to` and `note` when given */
        json_t *body = r->alert_body ? json_loads(r->alert_body, 0, NULL) : NULL;
        views_kv_str(out, "alert", r->alert);
        if (body_str(body, "to")) views_kv_str(out, "to", body_str(body, "to"));
        if (body_str(body, "note")) views_kv_str(out, "note", body_str(body, "note"));
        json_decref(body);
    }
    buf_putc(out, '}');
    return 0;
}

int views_consignment_json(store *s, const char *id, cm_buf *out, cm_error *err)
{
    views_book b;
    tlines tl = {0};
    int rc = views_book_load(s, id, &b, err);
    const views_consignment *c = rc ? NULL : views_book_find(&b, id);
    if (c && !c->nlines) c = NULL;
    if (c) rc = store_transfer_lines_each(s, id, on_tline, &tl, err);
    if (c && !rc) {
        head(out, c);
        buf_printf(out, ",\"screened\":%s", c->screened ? "true" : "false");
        views_totals_json(out, &c->t);
        buf_puts(out, ",\"lines\":[");
        for (size_t i = 0; i < c->nlines; i++) {
            if (i) buf_putc(out, ',');
            line_json(out, &b, &b.lines[c->first_line + i]);
        }
        buf_puts(out, "],\"transfers\":[");
        transfers_out to = {out, &tl, 0};
        rc = store_transfers_each(s, id, NULL, on_transfer, &to, err);
        buf_puts(out, "],\"events\":[");
        events_out eo = {out, 0};
        if (!rc) rc = store_consignment_events_each(s, id, on_event, &eo, err);
        buf_puts(out, "]}");
    }
    for (size_t i = 0; i < tl.n; i++) free(tl.transfer[i]);
    free(tl.transfer);
    free(tl.v);
    views_book_free(&b);
    return rc ? -1 : c != NULL;
}
