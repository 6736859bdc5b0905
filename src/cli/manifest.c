/*
 * manifest.c: a CSV manifest (one row per consignment line) made into
 * consignment.declare events, ready to sign; `cmcc import` sends them.
 *
 * The header row names the columns, in any order (case does not matter):
 *
 *   consignment, crossing, line, item, category, quantity, unit  required
 *   weight_kg, consignee, donor, reference, date                  optional
 *
 * An HXL hashtag row under the header is recognised and skipped, and a
 * column whose name is not one of these is mapped by its hashtag instead
 * (#meta+id, #loc (#loc+name), #item+code, #item+name, #sector,
 * #output+num, #meta+unit, #meta+weight_kg, #org+consignee or the core
 * #org+impl, #org+funder, #meta+reference or the core #meta+code, #date),
 * so that HXL-tagged files read as they are, with the tags of cmcc's CSV
 * exports for the same columns. Rows of one consignment must agree on its
 * crossing, consignee, donor, reference and date.
 *
 * Each row is checked on its own (the same field checks the server makes),
 * so every bad row is named with its number; a consignment with a bad row
 * yields no event. A consignment's event id is derived from its identifier
 * and its time comes from the `date` column (else the caller's default), so
 * an unchanged consignment is the same bytes every time.
 */
#include "cli/cli.h"

#include "common/mem.h"
#include "common/timeutil.h"

#include <csv.h>
#include <sodium.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

enum {
    COL_CONSIGNMENT,
    COL_CROSSING,
    COL_LINE,
    COL_ITEM,
    COL_CATEGORY,
    COL_QUANTITY,
    COL_UNIT,
    COL_WEIGHT,
    COL_CONSIGNEE,
    COL_DONOR,
    COL_REFERENCE,
    COL_DATE,
    N_COLS
};

/* tags: the HXL hashtag-and-attributes a column may carry (each tag's
 * attributes must all be present), the first the one errors name; a
 * second is the HXL core schema's, as the CSV exports use it. */
static const struct {
    const char *name, *tags[3];
    int required;
} columns[N_COLS] = {
    [COL_CONSIGNMENT] = {"consignment", {"#meta+id"}, 1},
    [COL_CROSSING] = {"crossing", {"#loc"}, 1},
    [COL_LINE] = {"line", {"#item+code"}, 1},
    [COL_ITEM] = {"item", {"#item+name"}, 1},
    [COL_CATEGORY] = {"category", {"#sector"}, 1},
    [COL_QUANTITY] = {"quantity", {"#output+num"}, 1},
    [COL_UNIT] = {"unit", {"#meta+unit"}, 1},
    [COL_WEIGHT] = {"weight_kg", {"#meta+weight_kg"}, 0},
    [COL_CONSIGNEE] = {"consignee", {"#org+consignee", "#org+impl"}, 0},
    [COL_DONOR] = {"donor", {"#org+funder"}, 0},
    [COL_REFERENCE] = {"reference", {"#meta+reference", "#meta+code"}, 0},
    [COL_DATE] = {"date", {"#date"}, 0},
};

/* ---- reading the CSV with libcsv ---------------------------------------- */

typedef struct {
    char **f;
    size_t n;
} record;

typedef struct {
    record *r;
    size_t n, cap;
    record cur;
} table;

static void on_field(void *s, size_t len, void *ctx)
{
    table *t = ctx;
    t->cur.f = xrealloc(t->cur.f, (t->cur.n + 1) * sizeof *t->cur.f);
    t->cur.f[t->cur.n++] = xstrndup(s ? s : "", s ? len : 0);
}

static void on_record(int c, void *ctx)
{
    (void)c;
    table *t = ctx;
    if (t->n == t->cap) t->r = xrealloc(t->r, (t->cap = t->cap ? 2 * t->cap : 64) * sizeof *t->r);
    t->r[t->n++] = t->cur;
    t->cur = (record){NULL, 0};
}

static void free_table(table *t)
{
    for (size_t i = 0; i < t->n; i++) {
        for (size_t k = 0; k < t->r[i].n; k++) free(t->r[i].f[k]);
        free(t->r[i].f);
    }
    for (size_t k = 0; k < t->cur.n; k++) free(t->cur.f[k]);
    free(t->cur.f);
    free(t->r);
}

static int read_csv(const char *data, size_t len, table *t, cm_error *err)
{
    struct csv_parser p;
    if (csv_init(&p, CSV_STRICT | CSV_STRICT_FINI | CSV_APPEND_NULL) != 0)
        return cm_fail(err, CM_INTERNAL, "", "cannot start the CSV parser");
    size_t done = csv_parse(&p, data, len, on_field, on_record, t);
    int rc = 0;
    if (done != len || csv_fini(&p, on_field, on_record, t) != 0) {
        unsigned row = (unsigned)t->n + 1;
        rc = cm_fail(err, CM_BAD_REQUEST, "", "row %u: %s", row, csv_strerror(csv_error(&p)));
    }
    csv_free(&p);
    return rc;
}

/* ---- mapping columns ------------------------------------------------------ */

/* Whether an HXL tag has the hashtag and every attribute of want. */
static int tag_matches(const char *tag, const char *want)
{
    char t[128], w[128];
    snprintf(t, sizeof t, "%s", tag);
    snprintf(w, sizeof w, "%s", want);
    for (char *p = t; *p; p++) *p = (char)(*p == ' ' ? '+' : *p);
    char *save = NULL, *part = strtok_r(w, "+", &save);
    size_t hl = strcspn(t, "+");
    if (strlen(part) != hl || strncasecmp(t, part, hl) != 0) return 0;
    while ((part = strtok_r(NULL, "+", &save))) {
        char needle[64];
        snprintf(needle, sizeof needle, "+%s", part);
        const char *at = strcasestr(t, needle);
        if (!at || (at[strlen(needle)] && at[strlen(needle)] != '+')) return 0;
    }
    return 1;
}

static int is_hxl_row(const record *r)
{
    for (size_t i = 0; i < r->n; i++)
        if (r->f[i][0]) return r->f[i][0] == '#';
    return 0;
}

/* col[c] = the CSV column of field c, or -1. */
static int map_columns(const table *t, int hxl, int col[N_COLS], cm_error *err)
{
    for (int c = 0; c < N_COLS; c++) col[c] = -1;
    const record *h = &t->r[0];
    for (size_t i = 0; i < h->n; i++) {
        char name[64];
        snprintf(name, sizeof name, "%s", h->f[i]);
        char *s = name;
        while (*s == ' ') s++;
        for (char *e = s + strlen(s); e > s && e[-1] == ' ';) *--e = '\0';
        for (int c = 0; c < N_COLS; c++)
            if (col[c] < 0 && strcasecmp(s, columns[c].name) == 0) col[c] = (int)i;
    }
    if (hxl) {
        const record *tags = &t->r[1];
        for (int c = 0; c < N_COLS; c++)
            for (size_t i = 0; i < tags->n && col[c] < 0; i++) {
                int taken = 0;
                for (int k = 0; k < N_COLS; k++) taken |= col[k] == (int)i;
                for (size_t k = 0; !taken && col[c] < 0 && columns[c].tags[k]; k++)
                    if (tag_matches(tags->f[i], columns[c].tags[k])) col[c] = (int)i;
            }
    }
    for (int c = 0; c < N_COLS; c++)
        if (columns[c].required && col[c] < 0)
            return cm_fail(err, CM_BAD_REQUEST, "",
                           "row 1: the manifest has no \"%s\" column (nor an HXL %s column)",
                           columns[c].name, columns[c].tags[0]);
    return 0;
}

/* ---- building consignments ------------------------------------------------ */

typedef struct {
    char *id;
    unsigned first_row;
    const record *head; /* the first row, for the consignment's fields */
    json_t *lines;
    unsigned *rows; /* the row of each line */
    size_t n;
    int bad;
} consignment;

typedef struct {
    const table *t;
    const int *col;
    consignment *c;
    size_t n, cap;
    unsigned bad_rows;
    FILE *errs;
} manifest;

static const char *cell(const manifest *m, const record *r, int c)
{
    int i = m->col[c];
    return i >= 0 && (size_t)i < r->n && r->f[i][0] ? r->f[i] : NULL;
}

static void row_error(manifest *m, unsigned row, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static void row_error(manifest *m, unsigned row, const char *fmt, ...)
{
    m->bad_rows++;
    if (!m->errs) return;
    va_list ap;
    va_start(ap, fmt);
    fprintf(m->errs, "cmcc import: row %u: ", row);
    vfprintf(m->errs, fmt, ap);
    fputc('\n', m->errs);
    va_end(ap);
}

static int whole(const char *s, long long *out)
{
    char *end = NULL;
    if (!s) return -1;
    long long v = strtoll(s, &end, 10);
    if (*end || end == s) return -1;
    *out = v;
    return 0;
}

static consignment *find(manifest *m, const char *id)
{
    for (size_t i = 0; i < m->n; i++)
        if (strcmp(m->c[i].id, id) == 0) return &m->c[i];
    return NULL;
}

/* A line object from one row, or NULL (the row is reported). */
static json_t *line_of_row(manifest *m, const record *r, unsigned row)
{
    long long line, qty;
    if (whole(cell(m, r, COL_LINE), &line)) {
        row_error(m, row, "line \"%s\" is not a whole number",
                  cell(m, r, COL_LINE) ? cell(m, r, COL_LINE) : "");
        return NULL;
    }
    if (whole(cell(m, r, COL_QUANTITY), &qty)) {
        row_error(m, row, "quantity \"%s\" is not a whole number",
                  cell(m, r, COL_QUANTITY) ? cell(m, r, COL_QUANTITY) : "");
        return NULL;
    }
    json_t *l = json_object();
    json_object_set_new(l, "line", json_integer(line));
    json_object_set_new(l, "item", json_string(cell(m, r, COL_ITEM) ? cell(m, r, COL_ITEM) : ""));
    json_object_set_new(l, "category",
                        json_string(cell(m, r, COL_CATEGORY) ? cell(m, r, COL_CATEGORY) : ""));
    json_object_set_new(l, "quantity", json_integer(qty));
    json_object_set_new(l, "unit", json_string(cell(m, r, COL_UNIT) ? cell(m, r, COL_UNIT) : ""));
    const char *w = cell(m, r, COL_WEIGHT);
    if (w) {
        char *end = NULL;
        double d = strtod(w, &end);
        if (*end || end == w) {
            row_error(m, row, "weight_kg \"%s\" is not a number", w);
            json_decref(l);
            return NULL;
        }
        json_object_set_new(l, "weight_kg", json_real(d));
    }
    return l;
}

static int same(const char *a, const char *b)
{
    return (!a && !b) || (a && b && strcmp(a, b) == 0);
}

static void add_row(manifest *m, const record *r, unsigned row)
{
    const char *id = cell(m, r, COL_CONSIGNMENT);
    if (!id || !ev_is_id(id)) {
        row_error(m, row,
                  "consignment \"%s\" is not an identifier (1 to 64 letters, digits, '.', "
                  "'_', ':' or '-')",
                  id ? id : "");
        return;
    }
    consignment *c = find(m, id);
    if (!c) {
        if (m->n == m->cap)
            m->c = xrealloc(m->c, (m->cap = m->cap ? 2 * m->cap : 32) * sizeof *m->c);
        c = &m->c[m->n++];
        *c = (consignment){xstrdup(id), row, r, json_array(), NULL, 0, 0};
    }
    static const int shared[] = {COL_CROSSING, COL_CONSIGNEE, COL_DONOR, COL_REFERENCE, COL_DATE};
    for (size_t k = 0; k < sizeof shared / sizeof shared[0]; k++)
        if (!same(cell(m, r, shared[k]), cell(m, c->head, shared[k]))) {
            row_error(m, row, "%s differs from row %u of the same consignment %s",
                      columns[shared[k]].name, c->first_row, id);
            c->bad = 1;
            return;
        }
    json_t *l = line_of_row(m, r, row);
    if (!l) {
        c->bad = 1;
        return;
    }
    for (size_t i = 0; i < c->n; i++)
        if (json_integer_value(json_object_get(json_array_get(c->lines, i), "line")) ==
            json_integer_value(json_object_get(l, "line"))) {
            row_error(m, row, "line %lld of %s is already on row %u",
                      (long long)json_integer_value(json_object_get(l, "line")), id, c->rows[i]);
            json_decref(l);
            c->bad = 1;
            return;
        }
    json_array_append_new(c->lines, l);
    c->rows = xrealloc(c->rows, (c->n + 1) * sizeof *c->rows);
    c->rows[c->n++] = row;
}

/* The payload of c's consignment.declare event. */
static char *declare_event(const manifest *m, const consignment *c, const char *org,
                           int64_t default_time, cm_error *err)
{
    int64_t t = default_time;
    const char *date = cell(m, c->head, COL_DATE);
    if (date) {
        char buf[40];
        snprintf(buf, sizeof buf, strlen(date) == 10 ? "%sT00:00:00Z" : "%s", date);
        if (time_parse(buf, strlen(buf), &t)) {
            cm_fail(err, CM_BAD_REQUEST, "", "date \"%s\" is not YYYY-MM-DD nor RFC 3339 UTC",
                    date);
            return NULL;
        }
    }
    char ts[32], id[EV_ID_MAX + 1];
    time_format_s(t, ts, sizeof ts);
    if (strlen(c->id) + 8 <= EV_ID_MAX) {
        snprintf(id, sizeof id, "declare-%s", c->id);
    } else {
        uint8_t h[32];
        crypto_hash_sha256(h, (const unsigned char *)c->id, strlen(c->id));
        snprintf(id, sizeof id, "declare-%02x%02x%02x%02x%02x%02x%02x%02x%02x%02x", h[0], h[1],
                 h[2], h[3], h[4], h[5], h[6], h[7], h[8], h[9]);
    }
    json_t *body = json_object();
    json_object_set_new(body, "consignment", json_string(c->id));
    json_object_set_new(body, "crossing", json_string(cell(m, c->head, COL_CROSSING)));
    static const int opt[] = {COL_CONSIGNEE, COL_DONOR, COL_REFERENCE};
    for (size_t k = 0; k < 3; k++)
        if (cell(m, c->head, opt[k]))
            json_object_set_new(body, columns[opt[k]].name, json_string(cell(m, c->head, opt[k])));
    json_object_set(body, "lines", c->lines);
    return cli_event_json("consignment.declare", id, org, ts, body);
}

/* Checks an event as the server will; a line's fault names its row. */
static int check(manifest *m, const consignment *c, const char *json, cm_error *err)
{
    if (!cli_event_check(json, err)) return 0;
    unsigned row = c->first_row;
    size_t i;
    if (sscanf(err->field, "body.lines[%zu]", &i) == 1 && i < c->n) row = c->rows[i];
    const char *dot = strrchr(err->field, '.');
    row_error(m, row, "%s (consignment %s%s%s)", err->message, c->id, dot ? ", column " : "",
              dot ? dot + 1 : "");
    return -1;
}

int cli_manifest_build(const char *data, size_t len, const char *org, int64_t default_time,
                       FILE *errs, cli_manifest *out, cm_error *err)
{
    memset(out, 0, sizeof *out);
    table t = {0};
    manifest m = {&t, NULL, NULL, 0, 0, 0, errs};
    int col[N_COLS];
    int rc = -1;
    if (read_csv(data, len, &t, err)) goto done;
    if (t.n == 0) {
        cm_fail(err, CM_BAD_REQUEST, "", "the manifest is empty");
        goto done;
    }
    int hxl = t.n > 1 && is_hxl_row(&t.r[1]);
    if (map_columns(&t, hxl, col, err)) goto done;
    m.col = col;
    for (size_t i = hxl ? 2 : 1; i < t.n; i++) {
        int empty = 1;
        for (size_t f = 0; f < t.r[i].n && empty; f++) empty = !t.r[i].f[f][0];
        if (empty) continue;
        out->rows++;
        add_row(&m, &t.r[i], (unsigned)i + 1);
    }
    out->consignments = m.n;
    out->json = xcalloc(m.n ? m.n : 1, sizeof *out->json);
    out->row = xcalloc(m.n ? m.n : 1, sizeof *out->row);
    for (size_t i = 0; i < m.n; i++) {
        consignment *cn = &m.c[i];
        cm_error e;
        char *json = cn->bad ? NULL : declare_event(&m, cn, org, default_time, &e);
        if (!cn->bad && !json) row_error(&m, cn->first_row, "%s", e.message);
        if (!json || check(&m, cn, json, &e)) {
            out->skipped++;
            free(json);
            continue;
        }
        out->json[out->n] = json;
        out->row[out->n++] = cn->first_row;
    }
    out->bad_rows = m.bad_rows;
    rc = 0;
done:
    for (size_t i = 0; i < m.n; i++) {
        free(m.c[i].id);
        free(m.c[i].rows);
        json_decref(m.c[i].lines);
    }
    free(m.c);
    free_table(&t);
    return rc;
}

void cli_manifest_free(cli_manifest *m)
{
    for (size_t i = 0; i < m->n; i++) free(m->json[i]);
    free(m->json);
    free(m->row);
    memset(m, 0, sizeof *m);
}
