/*
 * store_csv.c: CSV exports for spreadsheets and HXL tools.
 *
 * Each export is a query, a header row and, under it, an HXL hashtag row
 * (the Humanitarian Exchange Language), so that HXL tools read the columns
 * by meaning: #meta+id for identifiers, #org, #loc+name, #date, #item+name,
 * #item+code (the line number), #sector (the category), and quantities as
 * #output+num with an attribute saying which (HXL keeps #value for money).
 * Fields are quoted (by libcsv) only when they need it; lines end in CRLF
 * as RFC 4180 asks.
 */
#include "store/store_int.h"

#include <csv.h>
#include <stdlib.h>
#include <string.h>

typedef struct {
    const char *header, *hxl, *sql;
} export;

#define ISO_DAY(col) "strftime('%Y-%m-%d', " col " / 1000, 'unixepoch')"

static const export exports[] = {
    [STORE_CSV_CONSIGNMENTS] =
        {"consignment,declared_by,consignee,crossing,donor,reference,date,status,line,item,"
         "category,unit,weight_kg,declared,approved,entered",
         "#meta+id,#org+declared,#org+consignee,#loc+name+crossing,#org+funder,#meta+reference,"
         "#date,#status,#item+code,#item+name,#sector,#meta+unit,#meta+weight_kg,"
         "#output+num+declared,#output+num+approved,#output+num+entered",
         "SELECT c.consignment, c.declared_by, c.consignee, c.crossing, c.donor, "
         "c.reference, " ISO_DAY(
             "c.time") ", c.status, l.line, l.item, l.category, l.unit, l.weight_kg, "
                       "l.declared, l.approved, l.entered FROM consignment_summary c JOIN lines l "
                       "ON "
                       "l.consignment = c.consignment ORDER BY c.time, c.consignment, l.line"},
    [STORE_CSV_RECONCILIATION] =
        {"consignment,org,crossing,date,line,item,category,unit,approved,entered,held,pending,"
         "distributed,lost,unaccounted",
         "#meta+id,#org,#loc+name+crossing,#date,#item+code,#item+name,#sector,#meta+unit,"
         "#output+num+approved,#output+num+entered,#output+num+held,#output+num+pending,"
         "#output+num+distributed,#output+num+lost,#output+num+unaccounted",
         "SELECT c.consignment, c.declared_by, c.crossing, " ISO_DAY(
             "c.time") ", b.line, "
                       "b.item, b.category, b.unit, b.approved, b.entered, b.held, b.pending, "
                       "b.distributed, "
                       "b.lost, b.unaccounted FROM consignments c JOIN line_balances b ON "
                       "b.consignment = "
                       "c.consignment ORDER BY c.time, c.consignment, b.line"},
};

static void field(cm_buf *out, const char *v, size_t n)
{
    int plain = 1;
    for (size_t i = 0; i < n && plain; i++)
        plain = v[i] != ',' && v[i] != '"' && v[i] != '\n' && v[i] != '\r';
    if (plain) {
        buf_append(out, v, n);
        return;
    }
    size_t need = csv_write(NULL, 0, v, n);
    buf_reserve(out, need);
    csv_write(out->data + out->len, need, v, n);
    out->len += need;
    out->data[out->len] = '\0';
}

int store_csv_export(store *s, store_csv which, cm_buf *out, cm_error *err)
{
    const export *x = &exports[which];
    buf_printf(out, "%s\r\n%s\r\n", x->header, x->hxl);
    sqlite3_stmt *st = store_query(s, x->sql, NULL, 0, err);
    if (!st) return -1;
    int rc, cols = sqlite3_column_count(st);
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        for (int i = 0; i < cols; i++) {
            if (i) buf_putc(out, ',');
            const char *v = (const char *)sqlite3_column_text(st, i);
            if (v) field(out, v, (size_t)sqlite3_column_bytes(st, i));
        }
        buf_puts(out, "\r\n");
    }
    sqlite3_finalize(st);
    return rc == SQLITE_DONE ? 0 : store_fail(s, err, "export");
}
