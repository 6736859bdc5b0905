/*
 * reconciliation.c: GET /v1/reconciliation and `cmcc report supply`:
 *
 *   by_crossing  per crossing: consignments and the totals of their lines
 *   by_org       per org that ever received, sent or was charged: what it
 *                received (into its holding), sent (out of its holding into
 *                a transfer, and what it let enter as an inspector),
 *                distributed and lost (out of its holding, and what it was
 *                charged with and then wrote off), and what it holds and is
 *                charged with now
 *   by_category  per category: lines and their totals
 *   totals       over every consignment
 *
 * each ordered by its key.
 */
#include "views/book.h"

#include "common/mem.h"

#include <stdlib.h>
#include <string.h>

typedef struct {
    char *org;
    long long received, sent, distributed, lost;
} flow;

typedef struct {
    flow *f;
    size_t n, cap;
} flows;

static void add(flows *fs, const char *org, long long received, long long sent,
                long long distributed, long long lost)
{
    if (fs->n == fs->cap)
        fs->f = xrealloc(fs->f, (fs->cap = fs->cap ? 2 * fs->cap : 256) * sizeof *fs->f);
    fs->f[fs->n++] = (flow){xstrdup(org), received, sent, distributed, lost};
}

static int on_move(void *ctx, const store_movement_row *r)
{
    flows *fs = ctx;
    const char *to = r->to_kind;
    if (strcmp(to, "held") == 0) add(fs, r->to_holder, r->qty, 0, 0, 0);
    if (strcmp(r->from_kind, "held") == 0)
        add(fs, r->from_holder, 0, strcmp(to, "pending") == 0 ? r->qty : 0,
            strcmp(to, "distributed") == 0 ? r->qty : 0, strcmp(to, "lost") == 0 ? r->qty : 0);
    if (strcmp(r->from_kind, "unaccounted") == 0 && strcmp(to, "lost") == 0)
        add(fs, r->from_holder, 0, 0, 0, r->qty);
    if (!r->from_kind[0] && r->to_sender) add(fs, r->to_sender, 0, r->qty, 0, 0); /* an entry */
    if (strcmp(to, "unaccounted") == 0) add(fs, r->to_holder, 0, 0, 0, 0);
    return 0;
}

static int by_org(const void *x, const void *y)
{
    return strcmp(((const flow *)x)->org, ((const flow *)y)->org);
}

/* What org has in accounts of kind now, over every line. */
static long long balance(const views_book *b, const char *kind, const char *org)
{
    long long q = 0;
    for (size_t i = 0; i < b->naccounts; i++)
        if (strcmp(b->accounts[i].holder, org) == 0 && strcmp(b->accounts[i].kind, kind) == 0)
            q += b->accounts[i].qty;
    return q;
}

static void orgs(cm_buf *out, const views_book *b, flows *fs)
{
    if (fs->n) qsort(fs->f, fs->n, sizeof *fs->f, by_org);
    buf_putc(out, '[');
    for (size_t i = 0; i < fs->n;) {
        flow t = {fs->f[i].org, 0, 0, 0, 0};
        size_t j = i;
        for (; j < fs->n && strcmp(fs->f[j].org, t.org) == 0; j++) {
            t.received += fs->f[j].received;
            t.sent += fs->f[j].sent;
            t.distributed += fs->f[j].distributed;
            t.lost += fs->f[j].lost;
        }
        buf_puts(out, i ? ",{\"org\":" : "{\"org\":");
        views_str(out, t.org);
        buf_printf(out,
                   ",\"received\":%lld,\"sent\":%lld,\"held\":%lld,\"distributed\":%lld,"
                   "\"lost\":%lld,\"unaccounted\":%lld}",
                   t.received, t.sent, balance(b, "held", t.org), t.distributed, t.lost,
                   balance(b, "unaccounted", t.org));
        i = j;
    }
    buf_putc(out, ']');
}

/* Groups of consignments (by crossing) or of lines (by category). */
typedef struct {
    const char *key;
    const views_totals *t;
} keyed;

static int by_key(const void *x, const void *y)
{
    return strcmp(((const keyed *)x)->key, ((const keyed *)y)->key);
}

/* [{name: key, count: n, totals...}] of the n items, grouped by key */
static void groups(cm_buf *out, keyed *k, size_t n, const char *name, const char *count)
{
    qsort(k, n, sizeof *k, by_key);
    buf_putc(out, '[');
    for (size_t i = 0; i < n;) {
        views_totals t = {0};
        size_t j = i;
        for (; j < n && strcmp(k[j].key, k[i].key) == 0; j++) views_totals_add(&t, k[j].t);
        buf_printf(out, "%s{\"%s\":", i ? "," : "", name);
        views_str(out, k[i].key);
        views_kv_int(out, count, (long long)(j - i));
        views_totals_json(out, &t);
        buf_putc(out, '}');
        i = j;
    }
    buf_putc(out, ']');
}

int views_reconciliation_json(store *s, cm_buf *out, cm_error *err)
{
    views_book b;
    flows fs = {0};
    int rc = views_book_load(s, NULL, &b, err);
    if (!rc) rc = store_movements_each(s, INT64_MIN, INT64_MAX, on_move, &fs, err);
    if (!rc) {
        keyed *k = xcalloc(b.nc + b.nlines + 1, sizeof *k);
        size_t n = 0;
        for (size_t i = 0; i < b.nc; i++)
            if (b.c[i].nlines) k[n++] = (keyed){b.c[i].crossing, &b.c[i].t};
        buf_puts(out, "{\"by_crossing\":");
        groups(out, k, n, "crossing", "consignments");
        buf_puts(out, ",\"by_org\":");
        orgs(out, &b, &fs);
        n = 0;
        for (size_t i = 0; i < b.nlines; i++) k[n++] = (keyed){b.lines[i].category, &b.lines[i].t};
        buf_puts(out, ",\"by_category\":");
        groups(out, k, n, "category", "lines");
        buf_puts(out, ",\"totals\":");
        views_all_totals(out, &b);
        buf_putc(out, '}');
        free(k);
    }
    for (size_t i = 0; i < fs.n; i++) free(fs.f[i].org);
    free(fs.f);
    views_book_free(&b);
    return rc;
}
