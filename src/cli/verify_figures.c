/*
 * verify_figures.c: every figure the read API answers, compared with the
 * replay's (`cmcc verify URL`; `cmcc mirror --compare` against its source).
 *
 * The replay's answer to each read endpoint is made by the read model
 * (src/views/) from the scratch store, the same code the server answers
 * with, so any difference is a figure the server's state does not owe to
 * the log. In order:
 *
 *   /v1/orgs  /v1/places  /v1/consignments        element by element as
 *                                                  they arrive (verify_list.c)
 *   /v1/consignments/<id>                          every consignment, one
 *                                                  request each, their ids
 *                                                  spooled to a file
 *   /v1/consignments.csv  /v1/reconciliation.csv   line by line
 *   /v1/reconciliation
 *   /v1/alerts?at=T  /v1/stats?at=T  /v1/benchmarks?at=T
 *                                                  as of one time T (whole
 *                                                  seconds), given to both
 *   /v1/sites /v1/zones /v1/movements (each also .geojson), /v1/movements/<id>
 *   for every movement, /v1/incidents, /v1/requirements, /v1/pledges,
 *   /v1/weapons
 *   /v1/epcis/events                               page by page, all but the
 *                                                  creationDate
 *
 * The thresholds of the alerts are the server's configuration, not the
 * log's: they are taken from its answer. Memory: the three lists that grow
 * with the log (orgs, places, consignments) and the consignments one by one
 * are streamed (a log of a million places compares in the memory of one); the documents of the
 * things, the alerts, the stats, the reconciliation and the CSV exports are held whole on both
 * sides, as the server itself makes them (they are small in practice: thousands of things, not
 * millions, and the CSV a few rows, one per figure, per consignment line).
 *
 * Each difference is one line of f->report, "ENDPOINT: FIELD: the replay
 * gives A; the server says B" (json_diff.c), at most DIFF_MAX an endpoint.
 */
#include "cli/cli.h"
#include "views/epcis.h"
#include "views/supply.h"
#include "views/views.h"

#include "common/mem.h"
#include "common/timeutil.h"

#include <stdlib.h>
#include <string.h>

#define DIFF_MAX 10

typedef struct {
    cli_http *h;
    const char *cmd;
    store *s;
    const char *origin; /* the log's, which the EPCIS identifiers are under */
    int64_t at;
    char at_text[32];
    uint64_t size;
    cli_figures *f;
} run;

/* One endpoint compared; n its differences. */
static void tally(run *r, const char *path, size_t n)
{
    r->f->endpoints++;
    if (n) r->f->differ++;
    if (r->f->names.len) buf_puts(&r->f->names, ", ");
    buf_puts(&r->f->names, path);
}

/* GET path as JSON: 0 and *doc; 1 when it answered another status or no
 * JSON (said as a difference, *doc NULL); -1 no answer (said on stderr). */
static int get_json(run *r, const char *path, json_t **doc, long *status)
{
    cm_buf b = CM_BUF_INIT;
    cm_error err;
    *doc = NULL;
    *status = 0;
    if (cli_http_get(r->h, path, &b, status, &err)) {
        fprintf(stderr, "cmcc %s: %s: %s\n", r->cmd, path, err.message);
        buf_free(&b);
        return -1;
    }
    if (*status == 200) *doc = json_loadb(b.data ? b.data : "", b.len, 0, NULL);
    buf_free(&b);
    return *doc ? 0 : 1;
}

/* Compares the server's answer to path with mine (taken), the
 * differences said under label; *n: how many. 0, or -1 no answer. */
static int compare_doc(run *r, const char *path, const char *label, json_t *mine, size_t *n)
{
    json_t *theirs;
    long status;
    int rc = get_json(r, path, &theirs, &status);
    if (rc < 0) {
        json_decref(mine);
        return -1;
    }
    char *prefix = xasprintf("%s: ", label);
    if (!mine) {
        buf_printf(&r->f->report, "%sthe replay cannot make its answer\n", prefix);
        *n = 1;
    } else if (!theirs) {
        buf_printf(&r->f->report, "%sthe replay gives an answer; the server answers %ld\n", prefix,
                   status);
        *n = 1;
    } else {
        *n = cli_json_diff(prefix, "", mine, theirs, DIFF_MAX, &r->f->report);
    }
    free(prefix);
    json_decref(theirs);
    json_decref(mine);
    return 0;
}

/* One endpoint: compared and counted. */
static int endpoint(run *r, const char *path, const char *label, json_t *mine)
{
    size_t n;
    if (compare_doc(r, path, label, mine, &n)) return -1;
    tally(r, label, n);
    return 0;
}

static json_t *from_buf(const cm_buf *b)
{
    return json_loadb(b->data ? b->data : "", b->len, 0, NULL);
}

/* ---- the streamed lists ------------------------------------------------- */

static int list(run *r, const char *path, const char *key, views_each_fn each, const char *id)
{
    size_t before = r->f->report.len;
    int rc = cli_compare_list(r->h, path, key, r->s, each, id, DIFF_MAX, &r->f->report);
    if (rc < 0) return -1;
    tally(r, path, r->f->report.len > before);
    return 0;
}

/* Every consignment by itself: the ids are spooled first, so that no
 * request is made while the store is being read. */
static int spool_id(void *ctx, const char *json, size_t len)
{
    json_t *c = json_loadb(json, len, 0, NULL);
    const char *id = json_string_value(json_object_get(c, "consignment"));
    if (id) fprintf(ctx, "%s\n", id);
    json_decref(c);
    return 0;
}

static int each_consignment(run *r)
{
    FILE *ids = tmpfile();
    cm_error err;
    if (!ids || views_consignments_each(r->s, spool_id, ids, &err) || fflush(ids) ||
        fseek(ids, 0, SEEK_SET)) {
        if (ids) fclose(ids);
        fprintf(stderr, "cmcc %s: cannot list the replay's consignments\n", r->cmd);
        return -1;
    }
    char id[EV_ID_MAX + 2];
    unsigned count = 0, differ = 0;
    int rc = 0;
    while (rc == 0 && fgets(id, sizeof id, ids)) {
        id[strcspn(id, "\n")] = 0;
        cm_buf mine = CM_BUF_INIT;
        if (views_consignment_json(r->s, id, &mine, &err) != 1) {
            buf_free(&mine);
            rc = -1;
            break;
        }
        char *path = xasprintf("/v1/consignments/%s", id);
        size_t n = 0;
        rc = compare_doc(r, path, path, from_buf(&mine), &n);
        differ += n > 0;
        count++;
        free(path);
        buf_free(&mine);
    }
    fclose(ids);
    if (rc) return -1;
    char *label = xasprintf("/v1/consignments/<id> (%u)", count);
    tally(r, label, differ);
    free(label);
    return 0;
}

/* ---- CSV, line by line -------------------------------------------------- */

static int csv(run *r, const char *path, views_csv which)
{
    cm_buf mine = CM_BUF_INIT, theirs = CM_BUF_INIT;
    cm_error err;
    if (views_csv_export(r->s, which, NULL, &mine, &err)) {
        fprintf(stderr, "cmcc %s: %s\n", r->cmd, err.message);
        return -1;
    }
    if (cli_http_get_ok(r->h, r->cmd, path, &theirs)) {
        buf_free(&mine);
        return -1;
    }
    const char *a = mine.data ? mine.data : "", *t = theirs.data ? theirs.data : "";
    size_t n = 0;
    for (unsigned line = 1; *a || *t; line++) {
        size_t la = strcspn(a, "\n"), lt = strcspn(t, "\n");
        if (la != lt || memcmp(a, t, la) != 0) {
            size_t da = la - (la && a[la - 1] == '\r'), dt = lt - (lt && t[lt - 1] == '\r');
            if (n++ < DIFF_MAX) {
                buf_printf(&r->f->report, "%s: line %u: the replay gives ", path, line);
                if (*a)
                    buf_json_strn(&r->f->report, a, da);
                else
                    buf_puts(&r->f->report, "nothing");
                buf_puts(&r->f->report, "; the server says ");
                if (*t)
                    buf_json_strn(&r->f->report, t, dt);
                else
                    buf_puts(&r->f->report, "nothing");
                buf_putc(&r->f->report, '\n');
            }
        }
        a += la + (a[la] == '\n');
        t += lt + (t[lt] == '\n');
    }
    if (n > DIFF_MAX)
        buf_printf(&r->f->report, "%s: and %zu more lines differ\n", path, n - DIFF_MAX);
    tally(r, path, n);
    buf_free(&mine);
    buf_free(&theirs);
    return 0;
}

/* ---- the supply documents ----------------------------------------------- */

static int reconciliation(run *r)
{
    cm_buf b = CM_BUF_INIT;
    cm_error err;
    int rc = views_reconciliation_json(r->s, &b, &err);
    if (!rc) rc = endpoint(r, "/v1/reconciliation", "/v1/reconciliation", from_buf(&b));
    buf_free(&b);
    return rc;
}

/* The alerts as of T under the thresholds the server says it uses. */
static int alerts(run *r)
{
    char *path = xasprintf("/v1/alerts?at=%s", r->at_text);
    json_t *theirs;
    long status;
    int rc = get_json(r, path, &theirs, &status);
    json_t *th = json_object_get(theirs, "thresholds");
    views_alert_config c = {r->at, (int)json_integer_value(json_object_get(th, "pending_hours")),
                            (int)json_integer_value(json_object_get(th, "idle_hours")),
                            json_number_value(json_object_get(th, "loss_percent")),
                            (int)json_integer_value(json_object_get(th, "loss_window_days"))};
    json_decref(theirs);
    if (rc < 0) {
        free(path);
        return -1;
    }
    cm_buf b = CM_BUF_INIT;
    cm_error err;
    buf_printf(&b,
               "{\"as_of\":\"%s\",\"thresholds\":{\"pending_hours\":%d,\"idle_hours\":%d,"
               "\"loss_percent\":%g,\"loss_window_days\":%d},\"alerts\":",
               r->at_text, c.pending_hours, c.idle_hours, c.loss_percent, c.window_days);
    rc = views_alerts_json(r->s, &c, &b, &err);
    buf_putc(&b, '}');
    if (!rc) rc = endpoint(r, path, "/v1/alerts", from_buf(&b));
    buf_free(&b);
    free(path);
    return rc;
}

/* The stats as GET /v1/stats?at=T makes them for the tree of r->size. */
static int stats(run *r)
{
    cm_buf b = CM_BUF_INIT;
    cm_error err;
    buf_printf(&b, "{\"as_of\":\"%s\",\"size\":%llu,\"supply\":", r->at_text,
               (unsigned long long)r->size);
    if (views_supply_stats_json(r->s, &b, &err)) {
        buf_free(&b);
        return -1;
    }
    buf_putc(&b, '}');
    json_t *doc = from_buf(&b);
    buf_free(&b);
    json_t *mv = views_movement_stats(r->s), *fs = views_force_stats(r->s, r->at);
    if (!doc || !mv || !fs) {
        json_decref(doc);
        json_decref(mv);
        json_decref(fs);
        return -1;
    }
    json_object_set_new(doc, "movements", mv);
    json_object_update(doc, fs);
    json_decref(fs);
    char *path = xasprintf("/v1/stats?at=%s", r->at_text);
    int rc = endpoint(r, path, "/v1/stats", doc);
    free(path);
    return rc;
}

/* ---- the things --------------------------------------------------------- */

static int things(run *r, const char *path)
{
    json_t *doc;
    cm_error err;
    if (views_things_doc(r->s, path, NULL, r->at, &doc, &err)) return -1;
    if (strcmp(path, "/v1/benchmarks") != 0) return endpoint(r, path, path, doc);
    char *q = xasprintf("%s?at=%s", path, r->at_text);
    int rc = endpoint(r, q, path, doc);
    free(q);
    return rc;
}

/* Every movement by itself (the list is in memory: see the top). */
static int each_movement(run *r)
{
    json_t *ms = views_movements(r->s, NULL);
    if (!ms) return -1;
    size_t i, count = 0;
    unsigned differ = 0;
    json_t *m;
    int rc = 0;
    json_array_foreach(ms, i, m)
    {
        const char *id = json_string_value(json_object_get(m, "movement"));
        if (!id) continue;
        char *path = xasprintf("/v1/movements/%s", id);
        json_t *doc;
        cm_error err;
        size_t n = 0;
        rc = views_things_doc(r->s, path, NULL, r->at, &doc, &err)
                 ? -1
                 : compare_doc(r, path, path, doc, &n);
        differ += n > 0;
        count++;
        free(path);
        if (rc) break;
    }
    json_decref(ms);
    if (rc) return -1;
    char *label = xasprintf("/v1/movements/<id> (%zu)", count);
    tally(r, label, differ);
    free(label);
    return 0;
}

/* ---- EPCIS, page by page ------------------------------------------------ */

/* GET /v1/epcis/events from since=0 in pages of EPCIS_LIMIT_MAX events,
 * each compared with the replay's page but for its creationDate. */
static int epcis(run *r)
{
    const char *label = "/v1/epcis/events";
    uint64_t since = 0;
    size_t n = 0;
    for (;;) {
        cm_buf b = CM_BUF_INIT;
        cm_error err;
        epcis_page p = {r->origin, since, r->size, EPCIS_LIMIT_MAX, 0};
        if (epcis_document(r->s, &p, &b, &err)) {
            fprintf(stderr, "cmcc %s: %s\n", r->cmd, err.message);
            buf_free(&b);
            return -1;
        }
        json_t *mine = from_buf(&b), *theirs;
        buf_free(&b);
        char *path =
            xasprintf("%s?since=%llu&limit=%d", label, (unsigned long long)since, EPCIS_LIMIT_MAX);
        long status;
        int rc = get_json(r, path, &theirs, &status);
        if (rc < 0) {
            free(path);
            json_decref(mine);
            return -1;
        }
        char *prefix = xasprintf("%s: ", path);
        free(path);
        if (!theirs) {
            buf_printf(&r->f->report, "%sthe replay gives an answer; the server answers %ld\n",
                       prefix, status);
            n++;
        } else {
            json_object_del(mine, "creationDate");
            json_object_del(theirs, "creationDate");
            n += cli_json_diff(prefix, "", mine, theirs, DIFF_MAX, &r->f->report);
        }
        free(prefix);
        json_int_t next = json_integer_value(json_object_get(mine, "cmcc:next"));
        int done = !theirs || json_is_true(json_object_get(mine, "cmcc:complete")) ||
                   (uint64_t)next <= since;
        json_decref(mine);
        json_decref(theirs);
        if (done) break;
        since = (uint64_t)next;
    }
    tally(r, label, n);
    return 0;
}

int cli_compare_figures(cli_http *h, const char *cmd, store *s, const char *origin, uint64_t size,
                        int64_t at_ms, cli_figures *f)
{
    run r = {h, cmd, s, origin, at_ms - at_ms % 1000, "", size, f};
    time_format_s(r.at, r.at_text, sizeof r.at_text);
    static const char *const docs[] = {
        "/v1/sites",     "/v1/sites.geojson",     "/v1/zones",      "/v1/zones.geojson",
        "/v1/movements", "/v1/movements.geojson", "/v1/incidents",  "/v1/requirements",
        "/v1/pledges",   "/v1/weapons",           "/v1/benchmarks", NULL};
    if (list(&r, "/v1/orgs", "orgs", views_orgs_each, "org") ||
        list(&r, "/v1/places", "places", views_places_each, "place") ||
        list(&r, "/v1/consignments", "consignments", views_consignments_each, "consignment") ||
        each_consignment(&r) || csv(&r, "/v1/consignments.csv", VIEWS_CSV_CONSIGNMENTS) ||
        csv(&r, "/v1/reconciliation.csv", VIEWS_CSV_RECONCILIATION) || reconciliation(&r) ||
        alerts(&r) || stats(&r))
        return -1;
    for (const char *const *p = docs; *p; p++)
        if (things(&r, *p)) return -1;
    return each_movement(&r) || epcis(&r) ? -1 : 0;
}

void cli_figures_free(cli_figures *f)
{
    buf_free(&f->report);
    buf_free(&f->names);
    memset(f, 0, sizeof *f);
}
