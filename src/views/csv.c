/*
 * csv.c: CSV exports for spreadsheets and HXL tools (GET
 * /v1/consignments.csv and /v1/reconciliation.csv), from the book
 * (book.c), in HXL's long ("indicator") form.
 *
 * Each export is a header row and, under it, an HXL hashtag row (the
 * Humanitarian Exchange Language) made only of Released hashtags and
 * attributes of the HXL core schema, so that HXL tools read the columns by
 * meaning. The first columns are a consignment line's keys (#meta+id for
 * the consignment, #org, #loc+name, #date, #item+code for the line number,
 * #item+name, #sector for the category, ...); then each figure of the line
 * is a row of its own: #indicator+code names it (the codes of each export
 * are the tables below), #indicator+type holds its unit (the line's, or kg
 * for the weight), #indicator+num its value, an empty field when never
 * given. The rows are the lines of the consignments GET /v1/consignments
 * lists under the same filter (views_consignments_pick, consignments.c),
 * oldest first, lines in order, and a line's figures in the table's order.
 * Fields are quoted (by libcsv) only when they need it; lines end in CRLF
 * as RFC 4180 asks. docs/protocol.md, "CSV exports", is the contract.
 */
#include "views/book.h"

#include <csv.h>
#include <stdio.h>
#include <string.h>

/* The figures of a line, by code. */
typedef enum {
    FIG_DECLARED,
    FIG_APPROVED,
    FIG_ENTERED,
    FIG_WEIGHT,
    FIG_HELD,
    FIG_PENDING,
    FIG_DISTRIBUTED,
    FIG_LOST,
    FIG_UNACCOUNTED,
    FIG_END
} figure;

static const char *const codes[] = {
    [FIG_DECLARED] = "declared",
    [FIG_APPROVED] = "approved",
    [FIG_ENTERED] = "entered",
    [FIG_WEIGHT] = "weight",
    [FIG_HELD] = "held",
    [FIG_PENDING] = "pending",
    [FIG_DISTRIBUTED] = "distributed",
    [FIG_LOST] = "lost",
    [FIG_UNACCOUNTED] = "unaccounted",
};

typedef struct {
    const char *header, *hxl;    /* the key columns, then the figure's three */
    figure figures[FIG_END + 1]; /* in order, up to FIG_END */
} export;

#define FIGURE_HEADER ",figure,unit,value"
#define FIGURE_HXL    ",#indicator+code,#indicator+type,#indicator+num"

static const export exports[] = {
    [VIEWS_CSV_CONSIGNMENTS] =
        {"consignment,declared_by,consignee,donor,reference,crossing,date,status,line,item,"
         "category" FIGURE_HEADER,
         "#meta+id,#org,#org+impl,#org+funder,#meta+code,#loc+name,#date,#status,#item+code,"
         "#item+name,#sector" FIGURE_HXL,
         {FIG_DECLARED, FIG_APPROVED, FIG_ENTERED, FIG_WEIGHT, FIG_END}},
    [VIEWS_CSV_RECONCILIATION] =
        {"consignment,org,crossing,date,line,item,category" FIGURE_HEADER,
         "#meta+id,#org,#loc+name,#date,#item+code,#item+name,#sector" FIGURE_HXL,
         {FIG_APPROVED, FIG_ENTERED, FIG_HELD, FIG_PENDING, FIG_DISTRIBUTED, FIG_LOST,
          FIG_UNACCOUNTED, FIG_END}},
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

/* ",UNIT,VALUE" of a figure of line l in export x (VALUE empty when never
 * given). The consignments export has the line's own figures, the
 * reconciliation its accounts (approved 0 when never given). */
static void value(cm_buf *out, views_csv x, figure f, const views_line *l)
{
    const views_totals *t = &l->t;
    long long v;
    field(out, f == FIG_WEIGHT ? "kg" : l->unit, 0);
    buf_putc(out, ',');
    switch (f) {
    case FIG_DECLARED:
        v = l->declared;
        break;
    case FIG_APPROVED:
        v = x == VIEWS_CSV_CONSIGNMENTS ? l->approved : t->approved;
        if (v < 0) return;
        break;
    case FIG_ENTERED:
        v = x == VIEWS_CSV_CONSIGNMENTS ? l->entered : t->entered;
        break;
    case FIG_WEIGHT:
        if (l->weight_kg >= 0) views_real(out, l->weight_kg);
        return;
    case FIG_HELD:
        v = t->held;
        break;
    case FIG_PENDING:
        v = t->pending;
        break;
    case FIG_DISTRIBUTED:
        v = t->distributed;
        break;
    case FIG_LOST:
        v = t->lost;
        break;
    case FIG_UNACCOUNTED:
        v = t->unaccounted;
        break;
    default:
        return;
    }
    buf_printf(out, "%lld", v);
}

typedef struct {
    views_csv which;
    cm_buf *out;
    cm_buf keys; /* the key columns of the line being written */
} writing;

/* The key columns of line l of consignment c. */
static void line_keys(const writing *w, cm_buf *k, const views_consignment *c, const views_line *l)
{
    char day[11];
    views_day(c->time_ms, day);
    buf_reset(k);
    field(k, c->consignment, 1);
    field(k, c->declared_by, 0);
    if (w->which == VIEWS_CSV_CONSIGNMENTS) {
        field(k, c->consignee, 0);
        field(k, c->donor, 0);
        field(k, c->reference, 0);
        field(k, c->crossing, 0);
        field(k, day, 0);
        field(k, c->status, 0);
    } else {
        field(k, c->crossing, 0);
        field(k, day, 0);
    }
    buf_printf(k, ",%lld", l->line);
    field(k, l->item, 0);
    field(k, l->category, 0);
}

/* The rows of one consignment: per line, a row per figure. */
static int rows(void *ctx, const views_book *b, const views_consignment *c)
{
    writing *w = ctx;
    const export *x = &exports[w->which];
    for (size_t n = 0; n < c->nlines; n++) {
        const views_line *l = &b->lines[c->first_line + n];
        line_keys(w, &w->keys, c, l);
        for (const figure *f = x->figures; *f != FIG_END; f++) {
            buf_append(w->out, w->keys.data, w->keys.len);
            field(w->out, codes[*f], 0);
            value(w->out, w->which, *f, l);
            buf_puts(w->out, "\r\n");
        }
    }
    return 0;
}

int views_csv_export(store *s, views_csv which, const views_consignment_filter *f, cm_buf *out,
                     cm_error *err)
{
    const export *x = &exports[which];
    buf_printf(out, "%s\r\n%s\r\n", x->header, x->hxl);
    writing w = {which, out, CM_BUF_INIT};
    int rc = views_consignments_pick(s, f, rows, &w, err);
    buf_free(&w.keys);
    return rc;
}
