/*
 * csv.c: CSV exports for spreadsheets and HXL tools (GET
 * /v1/consignments.csv and /v1/reconciliation.csv), one row per line of
 * every consignment, oldest consignment first, from the book (book.c).
 *
 * Each export is a header row and, under it, an HXL hashtag row (the
 * Humanitarian Exchange Language), so that HXL tools read the columns by
 * meaning: #meta+id for identifiers, #org, #loc+name, #date, #item+name,
 * #item+code (the line number), #sector (the category), and quantities as
 * #output+num with an attribute saying which (HXL keeps #value for money).
 * The rows are the lines of the consignments GET /v1/consignments lists
 * under the same filter (views_consignments_pick, consignments.c), oldest
 * first, lines in order. A value never given is an empty field. Fields are
 * quoted (by libcsv) only when they need it; lines end in CRLF as RFC 4180
 * asks.
 */
#include "views/book.h"

#include <csv.h>
#include <stdio.h>
#include <string.h>

typedef struct {
    const char *header, *hxl;
} export;

static const export exports[] = {
    [VIEWS_CSV_CONSIGNMENTS] =
        {"consignment,declared_by,consignee,crossing,donor,reference,date,status,line,item,"
         "category,unit,weight_kg,declared,approved,entered",
         "#meta+id,#org+declared,#org+consignee,#loc+name+crossing,#org+funder,#meta+reference,"
         "#date,#status,#item+code,#item+name,#sector,#meta+unit,#meta+weight_kg,"
         "#output+num+declared,#output+num+approved,#output+num+entered"},
    [VIEWS_CSV_RECONCILIATION] =
        {"consignment,org,crossing,date,line,item,category,unit,approved,entered,held,pending,"
         "distributed,lost,unaccounted",
         "#meta+id,#org,#loc+name+crossing,#date,#item+code,#item+name,#sector,#meta+unit,"
         "#output+num+approved,#output+num+entered,#output+num+held,#output+num+pending,"
         "#output+num+distributed,#output+num+lost,#output+num+unaccounted"},
};

/* A field, after a comma unless first; nothing for NULL. */
static void field(cm_buf *out, const char *v, int first)
{
    if (!first) buf_putc(out, ',');
    if (!v) return;
    size_t n = strlen(v);
    if (!strpbrk(v, ",\"\n\r")) {
        buf_append(out, v, n);
        return;
    }
    size_t need = csv_write(NULL, 0, v, n);
    buf_reserve(out, need);
    csv_write(out->data + out->len, need, v, n);
    out->len += need;
    out->data[out->len] = '\0';
}

static void num(cm_buf *out, long long v)
{
    buf_printf(out, ",%lld", v);
}

typedef struct {
    views_csv which;
    cm_buf *out;
} writing;

/* The rows of one consignment, a row per line. */
static int rows(void *ctx, const views_book *b, const views_consignment *c)
{
    const writing *w = ctx;
    cm_buf *out = w->out;
    char day[11];
    views_day(c->time_ms, day);
    for (size_t k = 0; k < c->nlines; k++) {
        const views_line *l = &b->lines[c->first_line + k];
        field(out, c->consignment, 1);
        field(out, c->declared_by, 0);
        if (w->which == VIEWS_CSV_CONSIGNMENTS) {
            field(out, c->consignee, 0);
            field(out, c->crossing, 0);
            field(out, c->donor, 0);
            field(out, c->reference, 0);
            field(out, day, 0);
            field(out, c->status, 0);
        } else {
            field(out, c->crossing, 0);
            field(out, day, 0);
        }
        num(out, l->line);
        field(out, l->item, 0);
        field(out, l->category, 0);
        field(out, l->unit, 0);
        if (w->which == VIEWS_CSV_CONSIGNMENTS) {
            buf_putc(out, ',');
            if (l->weight_kg >= 0) views_real(out, l->weight_kg);
            num(out, l->declared);
            if (l->approved >= 0)
                num(out, l->approved);
            else
                buf_putc(out, ',');
            num(out, l->entered);
        } else {
            const views_totals *t = &l->t;
            buf_printf(out, ",%lld,%lld,%lld,%lld,%lld,%lld,%lld", t->approved, t->entered, t->held,
                       t->pending, t->distributed, t->lost, t->unaccounted);
        }
        buf_puts(out, "\r\n");
    }
    return 0;
}

int views_csv_export(store *s, views_csv which, const views_consignment_filter *f, cm_buf *out,
                     cm_error *err)
{
    const export *x = &exports[which];
    buf_printf(out, "%s\r\n%s\r\n", x->header, x->hxl);
    writing w = {which, out};
    return views_consignments_pick(s, f, rows, &w, err);
}
