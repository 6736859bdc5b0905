/*
 * book.c: the supply ledger as the views read it: the consignments, their
 * lines and the lines' accounts, each fetched from the store in one pass
 * (store_consignments_each, store_lines_each, store_accounts_each) into
 * arrays, and what the answers derive from them:
 *
 *   a line's balances     its accounts summed by kind (held, pending,
 *                         distributed, lost, unaccounted)
 *   a consignment's totals its lines' figures summed
 *   its status            declared (not screened), refused (nothing
 *                         approved), screened (nothing entered yet),
 *                         in_transit (something pending), in_custody
 *                         (something held), entering (less entered than
 *                         approved), else completed: the first that holds
 *
 * Lines and accounts come in key order, so each line's accounts are a run
 * of the accounts array and each consignment's lines a run of the lines.
 */
#include "views/book.h"

#include "common/mem.h"

#include <stdlib.h>
#include <string.h>

static char *dup(const char *s)
{
    return s ? xstrdup(s) : NULL;
}

/* Grows an array of n elements of size sz to hold one more. */
static void *grow(void *a, size_t n, size_t *cap, size_t sz)
{
    if (n < *cap) return a;
    *cap = *cap ? *cap * 2 : 64;
    return xrealloc(a, *cap * sz);
}

typedef struct {
    views_book *b;
    size_t cap_c, cap_l, cap_a, line; /* line: the line the next account may be of */
} loader;

static int on_consignment(void *ctx, const store_consignment_row *r)
{
    loader *ld = ctx;
    views_book *b = ld->b;
    b->c = grow(b->c, b->nc, &ld->cap_c, sizeof *b->c);
    views_consignment *c = &b->c[b->nc++];
    memset(c, 0, sizeof *c);
    c->consignment = dup(r->consignment);
    c->declared_by = dup(r->declared_by);
    c->consignee = dup(r->consignee);
    c->crossing = dup(r->crossing);
    c->donor = dup(r->donor);
    c->reference = dup(r->reference);
    c->time_ms = r->time_ms;
    c->screened = r->screened;
    return 0;
}

static int on_line(void *ctx, const store_line_row *r)
{
    loader *ld = ctx;
    views_book *b = ld->b;
    b->lines = grow(b->lines, b->nlines, &ld->cap_l, sizeof *b->lines);
    views_line *l = &b->lines[b->nlines++];
    memset(l, 0, sizeof *l);
    l->consignment = dup(r->consignment);
    l->item = dup(r->item);
    l->category = dup(r->category);
    l->unit = dup(r->unit);
    l->reason = dup(r->reason);
    l->line = r->line;
    l->declared = r->declared;
    l->approved = r->approved;
    l->entered = r->entered;
    l->weight_kg = r->weight_kg;
    l->t.declared = r->declared;
    l->t.approved = r->approved < 0 ? 0 : r->approved;
    l->t.entered = r->entered;
    return 0;
}

/* -1, 0, 1 as (consignment, line) of the line is before, at or after the key */
static int line_cmp(const views_line *l, const char *consignment, long long line)
{
    int c = strcmp(l->consignment, consignment);
    if (c) return c;
    return l->line < line ? -1 : l->line > line;
}

static int on_account(void *ctx, const store_account_row *r)
{
    loader *ld = ctx;
    views_book *b = ld->b;
    /* both come in key order: the account's line is this one or a later one */
    while (ld->line < b->nlines && line_cmp(&b->lines[ld->line], r->consignment, r->line) < 0)
        ld->line++;
    if (ld->line == b->nlines || line_cmp(&b->lines[ld->line], r->consignment, r->line))
        return 0; /* an account of no line: in no answer */
    views_line *l = &b->lines[ld->line];
    b->accounts = grow(b->accounts, b->naccounts, &ld->cap_a, sizeof *b->accounts);
    if (!l->naccounts) l->first_account = b->naccounts;
    l->naccounts++;
    views_account *a = &b->accounts[b->naccounts++];
    a->kind = xstrdup(r->kind);
    a->holder = xstrdup(r->holder);
    a->qty = r->qty;
    a->updated = r->updated;
    a->last_time_ms = r->last_time_ms;
    if (r->updated > l->last_moved) l->last_moved = r->updated;
    long long *k = strcmp(r->kind, "held") == 0          ? &l->t.held
                   : strcmp(r->kind, "pending") == 0     ? &l->t.pending
                   : strcmp(r->kind, "distributed") == 0 ? &l->t.distributed
                   : strcmp(r->kind, "lost") == 0        ? &l->t.lost
                   : strcmp(r->kind, "unaccounted") == 0 ? &l->t.unaccounted
                                                         : NULL;
    if (k) *k += r->qty;
    return 0;
}

void views_totals_add(views_totals *t, const views_totals *u)
{
    t->declared += u->declared;
    t->approved += u->approved;
    t->entered += u->entered;
    t->held += u->held;
    t->pending += u->pending;
    t->distributed += u->distributed;
    t->lost += u->lost;
    t->unaccounted += u->unaccounted;
}

/* The status of a consignment from its totals: the first that holds. */
static const char *status_of(const views_consignment *c)
{
    const views_totals *t = &c->t;
    if (!c->screened) return "declared";
    if (t->approved == 0) return "refused";
    if (t->entered == 0) return "screened";
    if (t->pending > 0) return "in_transit";
    if (t->held > 0) return "in_custody";
    if (t->entered < t->approved) return "entering";
    return "completed";
}

static int by_id(const void *x, const void *y, void *ctx)
{
    const views_book *b = ctx;
    return strcmp(b->c[*(const size_t *)x].consignment, b->c[*(const size_t *)y].consignment);
}

/* The first line of consignment id (lines are by consignment), or nlines. */
static size_t first_line_of(const views_book *b, const char *id)
{
    size_t lo = 0, hi = b->nlines;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (strcmp(b->lines[mid].consignment, id) < 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo;
}

int views_book_load(store *s, const char *consignment, views_book *b, cm_error *err)
{
    memset(b, 0, sizeof *b);
    loader ld = {b, 0, 0, 0, 0};
    if (store_consignments_each(s, consignment, on_consignment, &ld, err) ||
        store_lines_each(s, consignment, on_line, &ld, err) ||
        store_accounts_each(s, consignment, on_account, &ld, err))
        return -1;
    for (size_t i = 0; i < b->nc; i++) {
        views_consignment *c = &b->c[i];
        c->first_line = first_line_of(b, c->consignment);
        for (size_t k = c->first_line;
             k < b->nlines && strcmp(b->lines[k].consignment, c->consignment) == 0; k++) {
            views_totals_add(&c->t, &b->lines[k].t);
            c->nlines++;
        }
        c->status = status_of(c);
    }
    b->by_id = xcalloc(b->nc + 1, sizeof *b->by_id);
    for (size_t i = 0; i < b->nc; i++) b->by_id[i] = i;
    qsort_r(b->by_id, b->nc, sizeof *b->by_id, by_id, b);
    return 0;
}

const views_consignment *views_book_find(const views_book *b, const char *id)
{
    size_t lo = 0, hi = b->nc;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        int c = strcmp(b->c[b->by_id[mid]].consignment, id);
        if (c == 0) return &b->c[b->by_id[mid]];
        if (c < 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    return NULL;
}

const views_line *views_book_line(const views_book *b, const char *consignment, long long line)
{
    size_t lo = 0, hi = b->nlines;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        int c = line_cmp(&b->lines[mid], consignment, line);
        if (c == 0) return &b->lines[mid];
        if (c < 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    return NULL;
}

void views_book_free(views_book *b)
{
    for (size_t i = 0; i < b->nc; i++) {
        views_consignment *c = &b->c[i];
        free(c->consignment);
        free(c->declared_by);
        free(c->consignee);
        free(c->crossing);
        free(c->donor);
        free(c->reference);
    }
    for (size_t i = 0; i < b->nlines; i++) {
        views_line *l = &b->lines[i];
        free(l->consignment);
        free(l->item);
        free(l->category);
        free(l->unit);
        free(l->reason);
    }
    for (size_t i = 0; i < b->naccounts; i++) {
        free(b->accounts[i].kind);
        free(b->accounts[i].holder);
    }
    free(b->c);
    free(b->lines);
    free(b->accounts);
    free(b->by_id);
    memset(b, 0, sizeof *b);
}
