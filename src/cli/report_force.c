/*
 * report_force.c: `cmcc report force` and `cmcc report disarmament`, in
 * the terminal, as CSV or as JSON.
 *
 *   force        every requirement with its gap analysis (required, pledged,
 *                eligible by readiness, deployed, gap), and under each the
 *                pledges that do not count and why (the caveat, sector,
 *                date or withdrawal); gaps stand out in colour
 *   disarmament  weapon records by category and status (quantities, and
 *                open discrepancies), and benchmark progress with overdue
 *                ones standing out
 *
 * The figures come from a server (GET /v1/requirements, /v1/weapons,
 * /v1/benchmarks) or from a log directory through the same views
 * (src/views/), so both give the same answer. CSV is HXL's long form
 * (report_csv.c): a row per figure, under the requirement's, category's
 * or benchmark's key columns (docs/protocol.md, "CSV exports").
 */
#include "cli/cli.h"

#include "common/timeutil.h"
#include "views/views.h"

#include <stdlib.h>
#include <string.h>

/* The document the server answers at the path (ctx), made from the log's
 * store by the same read model. */
static json_t *local_doc(store *s, const void *ctx, cm_error *err)
{
    json_t *doc;
    if (views_things_doc(s, ctx, NULL, time_now_ms(), &doc, err) == 0) return doc;
    cm_fail(err, CM_INTERNAL, "", "the log cannot be read");
    return NULL;
}

/* The list under key in the document at path, from the server or the log. */
static json_t *fetch_list(const report_source *src, const char *path, const char *key)
{
    json_t *doc;
    if (report_fetch(src, path, local_doc, path, &doc)) return NULL;
    json_t *list = json_incref(json_object_get(doc, key));
    json_decref(doc);
    if (!json_is_array(list)) {
        cm_error err;
        cm_fail(&err, CM_INTERNAL, "", "the answer to GET %s has no \"%s\" list", path, key);
        cli_error("report", &err);
        json_decref(list);
        return NULL;
    }
    return list;
}

static long long num(const json_t *o, const char *key)
{
    return json_integer_value(json_object_get(o, key));
}

static const char *str(const json_t *o, const char *key)
{
    const char *s = json_string_value(json_object_get(o, key));
    return s ? s : "";
}

static void dump(json_t *doc)
{
    char *s = json_dumps(doc, JSON_INDENT(2) | JSON_REAL_PRECISION(15));
    printf("%s\n", s);
    free(s);
}

/* The CSV form (report_csv.c): per requirement, a row per figure, the
 * codes in this order. */
static void force_csv(const json_t *reqs)
{
    static const char *const head[] = {"requirement", "capability", "sector",
                                       "needed_by",   "figure",     "value"};
    static const char *const hxl[] = {"#meta+id", "#capacity+type",  "#loc+name",
                                      "#date",    "#indicator+code", "#indicator+num"};
    report_csv_row(head, 6);
    report_csv_row(hxl, 6);
    for (size_t i = 0; i < json_array_size(reqs); i++) {
        const json_t *r = json_array_get(reqs, i), *e = json_object_get(r, "eligible");
        const char *keys[] = {str(r, "requirement"), str(r, "capability"), str(r, "sector"),
                              str(r, "needed_by")};
        const struct {
            const char *code;
            long long v;
        } figures[] = {{"required", num(r, "quantity")},
                       {"pledged", num(r, "pledged")},
                       {"level1", num(e, "level1")},
                       {"level2", num(e, "level2")},
                       {"level3", num(e, "level3")},
                       {"rapid", num(e, "rapid")},
                       {"eligible", num(r, "eligible_level2_or_above")},
                       {"deployed", num(r, "deployed")},
                       {"gap", num(r, "gap")}};
        for (size_t k = 0; k < sizeof figures / sizeof figures[0]; k++) {
            char n[REPORT_CSV_NUM];
            report_csv_figure(keys, 4, figures[k].code, report_csv_int(figures[k].v, n));
        }
    }
}

int report_force(const report_source *src, const char *format, int color)
{
    json_t *reqs = fetch_list(src, "/v1/requirements", "requirements");
    if (!reqs) return 1;
    if (strcmp(format, "json") == 0) {
        json_t *doc = json_pack("{s:o}", "requirements", reqs);
        dump(doc);
        json_decref(doc);
        return 0;
    }
    if (strcmp(format, "csv") == 0) {
        force_csv(reqs);
        json_decref(reqs);
        return 0;
    }
    printf("%sRequirements%s (gap = required - eligible at level2 or above)\n",
           color ? "\033[1m" : "", color ? "\033[0m" : "");
    printf("  %-24s %-24s %-10s %-10s %8s %8s %8s %8s %6s\n", "requirement", "capability", "sector",
           "needed by", "required", "pledged", "L2+", "deployed", "gap");
    long long gaps = 0;
    for (size_t i = 0; i < json_array_size(reqs); i++) {
        const json_t *r = json_array_get(reqs, i);
        long long gap = num(r, "gap");
        gaps += gap;
        printf("  %-24s %-24s %-10s %-10.10s %8lld %8lld %8lld %8lld %s%6lld%s\n",
               str(r, "requirement"), str(r, "capability"), str(r, "sector"), str(r, "needed_by"),
               num(r, "quantity"), num(r, "pledged"), num(r, "eligible_level2_or_above"),
               num(r, "deployed"), color && gap ? "\033[1;31m" : "", gap,
               color && gap ? "\033[0m" : "");
        const json_t *ex = json_object_get(r, "excluded");
        for (size_t k = 0; k < json_array_size(ex); k++) {
            const json_t *x = json_array_get(ex, k);
            printf("      not counted: %s (%s): %s\n", str(x, "pledge"), str(x, "org"),
                   str(x, "reason"));
        }
    }
    if (!json_array_size(reqs)) printf("  (no requirements yet)\n");
    printf("\nUncovered: %s%lld%s unit(s) in all\n", color && gaps ? "\033[1;31m" : "", gaps,
           color && gaps ? "\033[0m" : "");
    json_decref(reqs);
    return 0;
}

static const char *const statuses[] = {"registered", "verified", "destroyed", "decommissioned"};

/* A benchmark's state, a word: met (its target reached), overdue (as the
 * JSON's overdue says: due and not met), else open. */
static const char *benchmark_state(const json_t *b)
{
    if (num(b, "decommissioned") >= num(b, "target")) return "met";
    return json_is_true(json_object_get(b, "overdue")) ? "overdue" : "open";
}

/* The CSV form (report_csv.c): a row per figure of each category (by, in
 * the order of first appearance), then of each benchmark. */
static void disarmament_csv(json_t *by, const json_t *bs)
{
    static const char *const head[] = {"table", "name", "due", "state", "figure", "value"};
    static const char *const hxl[] = {"#meta+type", "#meta+name",      "#date",
                                      "#status",    "#indicator+code", "#indicator+num"};
    static const char *const cat_codes[] = {"registered", "verified", "destroyed", "decommissioned",
                                            "discrepancies"};
    report_csv_row(head, 6);
    report_csv_row(hxl, 6);
    char n[REPORT_CSV_NUM];
    const char *cat;
    json_t *row;
    json_object_foreach(by, cat, row)
    {
        const char *keys[] = {"category", cat, NULL, NULL};
        for (size_t k = 0; k < sizeof cat_codes / sizeof cat_codes[0]; k++)
            report_csv_figure(keys, 4, cat_codes[k], report_csv_int(num(row, cat_codes[k]), n));
    }
    for (size_t i = 0; i < json_array_size(bs); i++) {
        const json_t *b = json_array_get(bs, i);
        const char *keys[] = {"benchmark", str(b, "benchmark"), str(b, "due"), benchmark_state(b)};
        report_csv_figure(keys, 4, "decommissioned", report_csv_int(num(b, "decommissioned"), n));
        report_csv_figure(keys, 4, "target", report_csv_int(num(b, "target"), n));
        report_csv_figure(keys, 4, "progress",
                          report_csv_real(json_number_value(json_object_get(b, "progress")), n));
    }
}

static void disarmament_text(json_t *by, const json_t *bs, int color)
{
    printf("%sWeapon records%s (quantities by status)\n  %-14s %10s %10s %10s %14s %13s\n",
           color ? "\033[1m" : "", color ? "\033[0m" : "", "category", statuses[0], statuses[1],
           statuses[2], statuses[3], "discrepancies");
    const char *cat;
    json_t *row;
    json_object_foreach(by, cat, row)
    {
        printf("  %-14s %10lld %10lld %10lld %14lld %s%13lld%s\n", cat, num(row, statuses[0]),
               num(row, statuses[1]), num(row, statuses[2]), num(row, statuses[3]),
               color && num(row, "discrepancies") ? "\033[1;33m" : "", num(row, "discrepancies"),
               color && num(row, "discrepancies") ? "\033[0m" : "");
    }
    printf("\n%sBenchmarks%s\n  %-24s %8s %14s %9s  %-10s\n", color ? "\033[1m" : "",
           color ? "\033[0m" : "", "benchmark", "target", "decommissioned", "progress", "due");
    for (size_t i = 0; i < json_array_size(bs); i++) {
        const json_t *b = json_array_get(bs, i);
        int overdue = json_is_true(json_object_get(b, "overdue"));
        double p = json_number_value(json_object_get(b, "progress")) * 100;
        printf("  %-24s %8lld %14lld %8.1f%%  %-10.10s%s%s%s\n", str(b, "benchmark"),
               num(b, "target"), num(b, "decommissioned"), p, str(b, "due"),
               overdue && color ? " \033[1;31m" : (overdue ? " " : ""), overdue ? "OVERDUE" : "",
               overdue && color ? "\033[0m" : "");
    }
}

int report_disarmament(const report_source *src, const char *format, int color)
{
    json_t *ws = fetch_list(src, "/v1/weapons", "weapons");
    json_t *bs = ws ? fetch_list(src, "/v1/benchmarks", "benchmarks") : NULL;
    if (!ws || !bs) {
        json_decref(ws);
        return 1;
    }
    if (strcmp(format, "json") == 0) {
        json_t *doc = json_pack("{s:o,s:o}", "weapons", ws, "benchmarks", bs);
        dump(doc);
        json_decref(doc);
        return 0;
    }
    /* quantities by category and status, and open discrepancies */
    json_t *by = json_object();
    for (size_t i = 0; i < json_array_size(ws); i++) {
        const json_t *w = json_array_get(ws, i);
        json_t *row = json_object_get(by, str(w, "category"));
        if (!row) {
            row = json_pack("{s:i,s:i,s:i,s:i,s:i}", "registered", 0, "verified", 0, "destroyed", 0,
                            "decommissioned", 0, "discrepancies", 0);
            json_object_set_new(by, str(w, "category"), row);
        }
        const char *st = str(w, "status");
        json_object_set_new(row, st, json_integer(num(row, st) + num(w, "quantity")));
        if (json_is_true(json_object_get(w, "discrepancy")))
            json_object_set_new(row, "discrepancies", json_integer(num(row, "discrepancies") + 1));
    }
    if (strcmp(format, "csv") == 0)
        disarmament_csv(by, bs);
    else
        disarmament_text(by, bs, color);
    json_decref(by);
    json_decref(ws);
    json_decref(bs);
    return 0;
}
