/*
 * cmd_report.c: `cmcc report [supply] (DIR | --server URL)`: the
 * reconciliation of the supply ledger, by crossing, by organization and by
 * category, as a terminal table (lost and unaccounted quantities stand out
 * in colour on a terminal), CSV or JSON.
 *
 * The figures come from the log directory's store (the server may be
 * running) or from a server's GET /v1/reconciliation: the same code
 * (src/views/reconciliation.c) either way. Each table is described below
 * as a list of columns for the text form. CSV, like the server's CSV
 * exports, is HXL's long form (report_csv.c): a row per figure, the table
 * (crossing, org or category) and the row's name, then the figure's code
 * and value (docs/protocol.md, "CSV exports"). `report force` and
 * `report disarmament` are in report_force.c.
 */
#include "cli/cli.h"
#include "views/supply.h"

#include <getopt.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static const char help[] =
    "usage: cmcc report [supply|force|disarmament] (DIR | --server URL [--token T])\n"
    "                   [--cacert FILE] [--format text|csv|json]\n\n"
    "supply (the default): the reconciliation of the supply ledger by crossing, by\n"
    "organization and by category: what was declared, approved, entered, is held or\n"
    "pending, was distributed, lost or is unaccounted for (lost and unaccounted stand\n"
    "out on a terminal).\n"
    "force: every requirement's gap analysis, and why each pledge that does not count\n"
    "does not.\n"
    "disarmament: weapon records by category and status, and benchmark progress.\n\n"
    "  --server URL   read from a server (token from --token or $CMCC_TOKEN)\n"
    "  --cacert FILE  trust an https server whose certificate this PEM CA signed\n"
    "                 (default: $CMCC_CACERT; else the system's CAs)\n"
    "  --format F     text (default), csv or json\n"
    "  --color, --no-color   force colour on or off\n";

typedef struct {
    const char *key, *title;
    int alarm; /* highlighted when not zero */
} column;

typedef struct {
    const char *section, *title, *name_key;
    const column *cols;
} table;

static const column crossing_cols[] = {{"consignments", "consignments", 0},
                                       {"declared", "declared", 0},
                                       {"approved", "approved", 0},
                                       {"entered", "entered", 0},
                                       {"held", "held", 0},
                                       {"pending", "pending", 0},
                                       {"distributed", "distributed", 0},
                                       {"lost", "lost", 1},
                                       {"unaccounted", "unaccounted", 1},
                                       {NULL, NULL, 0}};
static const column org_cols[] = {{"received", "received", 0},
                                  {"sent", "sent", 0},
                                  {"held", "held", 0},
                                  {"distributed", "distributed", 0},
                                  {"lost", "lost", 1},
                                  {"unaccounted", "unaccounted", 1},
                                  {NULL, NULL, 0}};
static const column category_cols[] = {{"lines", "lines", 0},
                                       {"declared", "declared", 0},
                                       {"approved", "approved", 0},
                                       {"entered", "entered", 0},
                                       {"held", "held", 0},
                                       {"pending", "pending", 0},
                                       {"distributed", "distributed", 0},
                                       {"lost", "lost", 1},
                                       {"unaccounted", "unaccounted", 1},
                                       {NULL, NULL, 0}};

static const table tables[] = {
    {"by_crossing", "By crossing", "crossing", crossing_cols},
    {"by_org", "By organization", "org", org_cols},
    {"by_category", "By category", "category", category_cols},
};

static void print_text(const json_t *rec, int color)
{
    for (size_t t = 0; t < sizeof tables / sizeof tables[0]; t++) {
        const table *tb = &tables[t];
        const json_t *rows = json_object_get(rec, tb->section);
        printf("%s%s%s\n", color ? "\033[1m" : "", tb->title, color ? "\033[0m" : "");
        int w0 = (int)strlen(tb->name_key);
        for (size_t i = 0; i < json_array_size(rows); i++) {
            int l = (int)strlen(
                json_string_value(json_object_get(json_array_get(rows, i), tb->name_key)));
            if (l > w0) w0 = l;
        }
        printf("  %-*s", w0, tb->name_key);
        for (const column *c = tb->cols; c->key; c++) printf("  %12s", c->title);
        putchar('\n');
        for (size_t i = 0; i < json_array_size(rows); i++) {
            const json_t *r = json_array_get(rows, i);
            printf("  %-*s", w0, json_string_value(json_object_get(r, tb->name_key)));
            for (const column *c = tb->cols; c->key; c++) {
                long long v = json_integer_value(json_object_get(r, c->key));
                int hot = color && c->alarm && v != 0;
                printf("  %s%12lld%s", hot ? "\033[1;31m" : "", v, hot ? "\033[0m" : "");
            }
            putchar('\n');
        }
        if (!json_array_size(rows)) printf("  (nothing yet)\n");
        putchar('\n');
    }
    const json_t *tot = json_object_get(rec, "totals");
    long long lost = json_integer_value(json_object_get(tot, "lost"));
    long long unacc = json_integer_value(json_object_get(tot, "unaccounted"));
    printf("Totals: %lld entered, %lld distributed, %lld held, %lld pending; %s%lld lost%s, "
           "%s%lld unaccounted for%s\n",
           (long long)json_integer_value(json_object_get(tot, "entered")),
           (long long)json_integer_value(json_object_get(tot, "distributed")),
           (long long)json_integer_value(json_object_get(tot, "held")),
           (long long)json_integer_value(json_object_get(tot, "pending")),
           color && lost ? "\033[1;31m" : "", lost, color && lost ? "\033[0m" : "",
           color && unacc ? "\033[1;31m" : "", unacc, color && unacc ? "\033[0m" : "");
}

/* The figure codes of the CSV form, in their order; a row has those its
 * table has (docs/protocol.md, "CSV exports"). */
static const char *const figure_codes[] = {
    "consignments", "lines",   "declared",    "approved", "entered",     "received", "sent",
    "held",         "pending", "distributed", "lost",     "unaccounted", NULL};

static void print_csv(const json_t *rec)
{
    static const char *const head[] = {"table", "name", "figure", "value"};
    static const char *const hxl[] = {"#meta+type", "#meta+name", "#indicator+code",
                                      "#indicator+num"};
    report_csv_row(head, 4);
    report_csv_row(hxl, 4);
    for (size_t t = 0; t < sizeof tables / sizeof tables[0]; t++) {
        const json_t *rows = json_object_get(rec, tables[t].section);
        for (size_t i = 0; i < json_array_size(rows); i++) {
            const json_t *r = json_array_get(rows, i);
            const char *keys[] = {tables[t].name_key,
                                  json_string_value(json_object_get(r, tables[t].name_key))};
            for (size_t k = 0; figure_codes[k]; k++) {
                const json_t *v = json_object_get(r, figure_codes[k]);
                char n[REPORT_CSV_NUM];
                if (v)
                    report_csv_figure(keys, 2, figure_codes[k],
                                      report_csv_int(json_integer_value(v), n));
            }
        }
    }
}

/* GET /v1/reconciliation's answer, from the log's store. */
static json_t *reconciliation(store *s, const void *ctx, cm_error *err)
{
    (void)ctx;
    cm_buf b = CM_BUF_INIT;
    json_t *rec = NULL;
    if (views_reconciliation_json(s, &b, err) == 0) {
        rec = json_loadb(b.data, b.len, 0, NULL);
        if (!rec) cm_fail(err, CM_INTERNAL, "", "the reconciliation cannot be read");
    }
    buf_free(&b);
    return rec;
}

int cmd_report(int argc, char **argv)
{
    const char *server = NULL, *token = getenv("CMCC_TOKEN"), *format = "text";
    const char *cacert = getenv("CMCC_CACERT");
    int color = isatty(1);
    const cli_option opts[] = {CLI_ARG("server", &server),
                               CLI_ARG("token", &token),
                               CLI_ARG("cacert", &cacert),
                               CLI_ARG("format", &format),
                               CLI_FLAG("color", &color, 1),
                               CLI_FLAG("no-color", &color, 0),
                               CLI_OPTIONS_END};
    int status = cli_options(argc, argv, opts, help);
    if (status >= 0) return status;
    int rest = argc - optind;
    const char *what = "supply", *dir = NULL;
    if (rest > 0 && (strcmp(argv[optind], "supply") == 0 || strcmp(argv[optind], "force") == 0 ||
                     strcmp(argv[optind], "disarmament") == 0))
        what = argv[optind++], rest--;
    if (rest == 1) dir = argv[optind];
    if ((!dir == !server) || rest > 1 ||
        (strcmp(format, "text") && strcmp(format, "csv") && strcmp(format, "json")))
        return fputs(help, stderr), 2;
    report_source src = {dir, server, token, cacert, "report"};
    if (strcmp(what, "force") == 0) return report_force(&src, format, color);
    if (strcmp(what, "disarmament") == 0) return report_disarmament(&src, format, color);
    json_t *rec;
    if (report_fetch(&src, "/v1/reconciliation", reconciliation, NULL, &rec)) return 1;
    if (!json_is_object(rec)) {
        json_decref(rec);
        return cli_errorf("report", "the reconciliation cannot be read"), 1;
    }
    if (strcmp(format, "json") == 0) {
        char *s = json_dumps(rec, JSON_INDENT(2));
        printf("%s\n", s);
        free(s);
    } else if (strcmp(format, "csv") == 0) {
        print_csv(rec);
    } else {
        print_text(rec, color);
    }
    json_decref(rec);
    return 0;
}
