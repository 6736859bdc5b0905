/*
 * supply_stats.c: the "supply" member of GET /v1/stats, public figures:
 *
 *   by_day       per day and crossing: consignments declared, and the
 *                quantities that entered (an entry rejected counts back
 *                out), were distributed, lost or left unaccounted for
 *   by_day_unit  the same flows per commodity (category) and unit, the
 *                rows with some flow only
 *   by_unit      per category and unit: consignments, lines and the
 *                balances' totals (quantities of one unit only are added)
 *   totals       over every consignment
 *
 * A movement's day is that of its event's time (UTC); its crossing,
 * category and unit those of its consignment and line. Rows are ordered
 * by their keys.
 */
#include "views/book.h"

#include "common/mem.h"

#include <stdlib.h>
#include <string.h>

/* One flow of a day: its keys and figures (consignments only by_day). */
typedef struct {
    char day[11];
    const char *crossing, *category, *unit; /* the book's strings */
    long long consignments, entered, distributed, lost, unaccounted;
} flow;

typedef struct {
    flow *f;
    size_t n, cap;
} flows;

static flow *flow_add(flows *fs)
{
    if (fs->n == fs->cap)
        fs->f = xrealloc(fs->f, (fs->cap = fs->cap ? 2 * fs->cap : 256) * sizeof *fs->f);
    flow *f = &fs->f[fs->n++];
    memset(f, 0, sizeof *f);
    return f;
}

typedef struct {
    const views_book *b;
    flows days, units;
} ctx_t;

static int on_move(void *ctx, const store_movement_row *r)
{
    ctx_t *x = ctx;
    const views_line *l = views_book_line(x->b, r->consignment, r->line);
    const views_consignment *c = views_book_find(x->b, r->consignment);
    if (!c) return 0;
    flow v = {{0}, c->crossing, NULL, NULL, 0, 0, 0, 0, 0};
    views_day(r->time_ms, v.day);
    v.entered = !r->from_kind[0] ? r->qty : !r->to_kind[0] ? -r->qty : 0;
    v.distributed = strcmp(r->to_kind, "distributed") == 0 ? r->qty : 0;
    v.lost = strcmp(r->to_kind, "lost") == 0 ? r->qty : 0;
    v.unaccounted = strcmp(r->to_kind, "unaccounted") == 0 ? r->qty : 0;
    *flow_add(&x->days) = v;
    if (!l) return 0;
    v.category = l->category;
    v.unit = l->unit;
    *flow_add(&x->units) = v;
    return 0;
}

static int str_cmp(const char *a, const char *b)
{
    return a == b ? 0 : !a ? -1 : !b ? 1 : strcmp(a, b);
}

static int by_keys(const void *x, const void *y)
{
    const flow *a = x, *b = y;
    int c = strcmp(a->day, b->day);
    if (!c) c = strcmp(a->crossing, b->crossing);
    if (!c) c = str_cmp(a->category, b->category);
    if (!c) c = str_cmp(a->unit, b->unit);
    return c;
}

/* Sorts fs and adds up the flows of equal keys into the first of each. */
static size_t merge(flows *fs)
{
    if (fs->n) qsort(fs->f, fs->n, sizeof *fs->f, by_keys);
    size_t n = 0;
    for (size_t i = 0; i < fs->n; i++) {
        if (n && by_keys(&fs->f[n - 1], &fs->f[i]) == 0) {
            flow *t = &fs->f[n - 1];
            t->consignments += fs->f[i].consignments;
            t->entered += fs->f[i].entered;
            t->distributed += fs->f[i].distributed;
            t->lost += fs->f[i].lost;
            t->unaccounted += fs->f[i].unaccounted;
        } else
            fs->f[n++] = fs->f[i];
    }
    return fs->n = n;
}

static void flow_json(cm_buf *out, const flow *f, int units)
{
    buf_printf(out, "{\"day\":\"%s\"", f->day);
    views_kv_str(out, "crossing", f->crossing);
    if (units) {
        views_kv_str(out, "category", f->category);
        views_kv_str(out, "unit", f->unit);
    } else
        views_kv_int(out, "consignments", f->consignments);
    buf_printf(out, ",\"entered\":%lld,\"distributed\":%lld,\"lost\":%lld,\"unaccounted\":%lld}",
               f->entered, f->distributed, f->lost, f->unaccounted);
}

/* Lines grouped by category and unit. */
typedef struct {
    const views_line *l;
    size_t c; /* its consignment's index in the book */
} line_ref;

static int by_unit(const void *x, const void *y)
{
    const line_ref *a = x, *b = y;
    int c = strcmp(a->l->category, b->l->category);
    if (!c) c = strcmp(a->l->unit, b->l->unit);
    return c;
}

static int by_index(const void *x, const void *y)
{
    size_t a = *(const size_t *)x, b = *(const size_t *)y;
    return a < b ? -1 : a > b;
}

static void units(cm_buf *out, const views_book *b)
{
    line_ref *r = xcalloc(b->nlines + 1, sizeof *r);
    size_t n = 0;
    for (size_t i = 0; i < b->nc; i++)
        for (size_t k = 0; k < b->c[i].nlines; k++)
            r[n++] = (line_ref){&b->lines[b->c[i].first_line + k], i};
    qsort(r, n, sizeof *r, by_unit);
    size_t *cs = xcalloc(n + 1, sizeof *cs);
    buf_puts(out, "[");
    for (size_t i = 0; i < n;) {
        views_totals t = {0};
        size_t j = i;
        for (; j < n && by_unit(&r[i], &r[j]) == 0; j++) {
            views_totals_add(&t, &r[j].l->t);
            cs[j - i] = r[j].c;
        }
        qsort(cs, j - i, sizeof *cs, by_index);
        long long distinct = 0;
        for (size_t k = 0; k < j - i; k++) distinct += !k || cs[k] != cs[k - 1];
        buf_puts(out, i ? ",{\"category\":" : "{\"category\":");
        views_str(out, r[i].l->category);
        views_kv_str(out, "unit", r[i].l->unit);
        views_kv_int(out, "consignments", distinct);
        views_kv_int(out, "lines", (long long)(j - i));
        views_totals_json(out, &t);
        buf_putc(out, '}');
        i = j;
    }
    buf_puts(out, "]");
    free(cs);
    free(r);
}

void views_all_totals(cm_buf *out, const views_book *b)
{
    views_totals t = {0};
    long long n = 0;
    for (size_t i = 0; i < b->nc; i++)
        if (b->c[i].nlines) {
            views_totals_add(&t, &b->c[i].t);
            n++;
        }
    buf_printf(out, "{\"consignments\":%lld", n);
    views_totals_json(out, &t);
    buf_putc(out, '}');
}

int views_supply_stats_json(store *s, cm_buf *out, cm_error *err)
{
    views_book b;
    ctx_t x = {&b, {0}, {0}};
    int rc = views_book_load(s, NULL, &b, err);
    if (!rc) rc = store_movements_each(s, INT64_MIN, INT64_MAX, on_move, &x, err);
    if (!rc) {
        for (size_t i = 0; i < b.nc; i++) {
            flow *f = flow_add(&x.days);
            views_day(b.c[i].time_ms, f->day);
            f->crossing = b.c[i].crossing;
            f->consignments = 1;
        }
        merge(&x.days);
        merge(&x.units);
        buf_puts(out, "{\"by_day\":[");
        for (size_t i = 0; i < x.days.n; i++) {
            if (i) buf_putc(out, ',');
            flow_json(out, &x.days.f[i], 0);
        }
        buf_puts(out, "],\"by_day_unit\":[");
        int n = 0;
        for (size_t i = 0; i < x.units.n; i++) {
            const flow *f = &x.units.f[i];
            if (!f->entered && !f->distributed && !f->lost && !f->unaccounted) continue;
            if (n++) buf_putc(out, ',');
            flow_json(out, f, 1);
        }
        buf_puts(out, "],\"by_unit\":");
        units(out, &b);
        buf_puts(out, ",\"totals\":");
        views_all_totals(out, &b);
        buf_putc(out, '}');
    }
    free(x.days.f);
    free(x.units.f);
    views_book_free(&b);
    return rc;
}
