/*
 * epcis_in.c: a partner's EPCIS 2.0 document into cmcc events, the
 * inverse of GET /v1/epcis/events (docs/protocol.md, "EPCIS 2.0"; the
 * table of steps is src/views/epcis_vocab.c's), for `cmcc import --epcis`.
 *
 * Each ObjectEvent of epcisBody.eventList becomes one event of the
 * importing org, by its CBV business step:
 *
 *   commissioning (ADD)  consignment.declare  bizLocation the crossing;
 *                        ilmd cmcc:lines [{line, item, category, unit?}]
 *   inspecting           consignment.screen   quantities approved;
 *                        cmcc:refused [{line, reason}]
 *   arriving             consignment.enter    readPoint the crossing; the
 *                        destination (possessing_party) the receiver
 *   shipping             custody.transfer     the destination the receiver;
 *                        bizLocation the place, if any
 *   receiving            custody.accept       quantities received; cmcc:reason
 *   void_shipping        custody.reject       cmcc:reason
 *   dispensing           distribution.record  bizLocation the place;
 *                        cmcc:households, cmcc:individuals
 *   other                loss.report          the cause from cmcc:cause or
 *                        the disposition; cmcc:account (held, unaccounted);
 *                        the source (possessing_party) when not the signer
 *
 * Identifiers are read from the last segments of HTTP URIs, whatever the
 * host: .../consignments/<c>/lines/<n> (epcClass), .../places/<p>,
 * .../orgs/<o>, .../transfers/<t> (a bizTransaction of any type). The
 * event's id is "epcis-" and 32 hex digits of the SHA-256 of its eventID
 * (a distribution's or loss's id too, unless cmcc:distribution or
 * cmcc:loss names one), its time the eventTime in UTC, so the same
 * document gives the same events, and the same signed bytes, each time.
 *
 * What has no cmcc meaning (another event type, an unknown business step,
 * epcList, a quantity missing or not whole, a location that is no place,
 * no transfer, ...) is refused with one sentence naming the event; the
 * caller then signs nothing.
 */
#include "cli/cli.h"

#include "common/mem.h"
#include "common/timeutil.h"
#include "event/schema.h"
#include "views/epcis.h"

#include <sodium.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

typedef struct {
    FILE *errs;
    size_t pos; /* the event's position in eventList, from 1 */
    const char *event_id;
    unsigned bad;
} reader;

static int refuse(reader *r, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static int refuse(reader *r, const char *fmt, ...)
{
    r->bad++;
    if (!r->errs) return -1;
    fprintf(r->errs, "cmcc import: event %zu", r->pos);
    if (r->event_id) fprintf(r->errs, " (%s)", r->event_id);
    fputs(": ", r->errs);
    va_list ap;
    va_start(ap, fmt);
    vfprintf(r->errs, fmt, ap);
    va_end(ap);
    fputc('\n', r->errs);
    return -1;
}

/* The id after the last `seg` of an http(s) URI (seg like "/places/"),
 * with nothing after it. 0 and out, or -1. */
static int uri_id(const char *uri, const char *seg, char out[EV_ID_MAX + 1])
{
    if (!uri || (strncmp(uri, "https://", 8) != 0 && strncmp(uri, "http://", 7) != 0)) return -1;
    const char *at = NULL;
    for (const char *p = strstr(uri, seg); p; p = strstr(p + 1, seg)) at = p;
    if (!at) return -1;
    const char *id = at + strlen(seg);
    if (strlen(id) > EV_ID_MAX || !ev_is_id(id)) return -1;
    memcpy(out, id, strlen(id) + 1);
    return 0;
}

/* A class URI .../consignments/<c>/lines/<n>: 0 with c and *line, or -1. */
static int class_of(const char *uri, char c[EV_ID_MAX + 1], long long *line)
{
    char tail[EV_ID_MAX + 1];
    const char *lines = uri ? strstr(uri, "/lines/") : NULL;
    if (!lines || strchr(lines + 7, '/')) return -1;
    char *end = NULL;
    long long n = strtoll(lines + 7, &end, 10);
    if (*end || n < 1 || n > 100000 || lines[7] == '0' || lines[7] == '+') return -1;
    char *head = xstrndup(uri, (size_t)(lines - uri));
    int rc = uri_id(head, EPCIS_PATH_LINE, tail);
    free(head);
    if (rc) return -1;
    memcpy(c, tail, strlen(tail) + 1);
    *line = n;
    return 0;
}

/* eventTime, with any offset (Z or +HH:MM / -HH:MM), as ms since the
 * epoch: 0, or -1. */
static int event_time(const char *s, int64_t *ms)
{
    size_t n = s ? strlen(s) : 0;
    if (n > 1 && s[n - 1] == 'Z') return time_parse(s, n, ms);
    if (n < 7) return -1;
    const char *o = s + n - 6; /* the offset, "+HH:MM" */
    if ((o[0] != '+' && o[0] != '-') || o[3] != ':') return -1;
    for (int i = 1; i < 6; i++)
        if (i != 3 && (o[i] < '0' || o[i] > '9')) return -1;
    int hh = (o[1] - '0') * 10 + (o[2] - '0'), mm = (o[4] - '0') * 10 + (o[5] - '0');
    if (hh > 23 || mm > 59) return -1;
    size_t len = n - 6 + 1; /* the time before the offset, and "Z" */
    char *utc = xmalloc(len + 1);
    memcpy(utc, s, n - 6);
    utc[n - 6] = 'Z';
    utc[len] = 0;
    int rc = time_parse(utc, len, ms);
    free(utc);
    int64_t off = ((int64_t)hh * 60 + mm) * 60000;
    if (rc == 0) *ms += o[0] == '+' ? -off : off;
    return rc;
}

/* The place of a location object (readPoint, bizLocation) when given:
 * 1 with out, 0 when absent, -1 refused. */
static int location(reader *r, const json_t *ev, const char *key, char out[EV_ID_MAX + 1])
{
    const json_t *l = json_object_get(ev, key);
    if (!l) return 0;
    const char *id = ev_str(l, "id");
    if (uri_id(id, EPCIS_PATH_PLACE, out) == 0) return 1;
    return refuse(r,
                  "%s \"%s\" is no place: cmcc knows a place as an http(s) URI ending in "
                  "/places/<place>",
                  key, id ? id : "(no id)");
}

/* The org of the first party of `type` in list (sourceList or
 * destinationList, whose URI is under field): 1 with out, 0 none, -1. */
static int party(reader *r, const json_t *ev, const char *list, const char *field, const char *type,
                 char out[EV_ID_MAX + 1])
{
    const json_t *l = json_object_get(ev, list);
    for (size_t i = 0; i < json_array_size(l); i++) {
        const json_t *p = json_array_get(l, i);
        const char *t = ev_str(p, "type"), *uri = ev_str(p, field);
        if (!t || (strcmp(t, type) != 0 && !strstr(t, type))) continue;
        if (uri_id(uri, EPCIS_PATH_ORG, out) == 0) return 1;
        return refuse(r,
                      "%s[%zu] \"%s\" is no organization: cmcc knows one as an http(s) URI "
                      "ending in /orgs/<org>",
                      list, i, uri ? uri : "");
    }
    return 0;
}

/* The transfer of bizTransactionList: 1 with out, 0 none. */
static int transfer_of(const json_t *ev, char out[EV_ID_MAX + 1])
{
    const json_t *l = json_object_get(ev, "bizTransactionList");
    for (size_t i = 0; i < json_array_size(l); i++)
        if (uri_id(ev_str(json_array_get(l, i), "bizTransaction"), EPCIS_PATH_TRANSFER, out) == 0)
            return 1;
    return 0;
}

/* quantityList as body lines [{line, <field>}] of one consignment; the
 * units the uoms say in units {"<n>": unit}. NULL when refused. */
static json_t *lines_of(reader *r, const json_t *ev, const char *field, long long min,
                        char c[EV_ID_MAX + 1], json_t *units)
{
    const json_t *ql = json_object_get(ev, "quantityList");
    if (json_array_size(json_object_get(ev, "epcList")))
        return refuse(r, "epcList names single objects, which cmcc does not track: give "
                         "quantityList by class"),
               NULL;
    if (!json_array_size(ql))
        return refuse(r, "it has no quantityList: cmcc records what moves as quantities of "
                         "consignment lines"),
               NULL;
    json_t *lines = json_array();
    c[0] = 0;
    for (size_t i = 0; i < json_array_size(ql); i++) {
        const json_t *q = json_array_get(ql, i);
        const char *cls = ev_str(q, "epcClass");
        char ci[EV_ID_MAX + 1];
        long long no;
        const json_t *qty = json_object_get(q, "quantity");
        const char *uom = ev_str(q, "uom");
        const char *unit = uom ? epcis_unit_of_uom(uom) : NULL;
        int bad = -1;
        if (class_of(cls, ci, &no))
            refuse(r,
                   "quantityList[%zu]: the class \"%s\" is no consignment line: cmcc knows one "
                   "as an http(s) URI ending in /consignments/<consignment>/lines/<line>",
                   i, cls ? cls : "");
        else if (c[0] && strcmp(c, ci) != 0)
            refuse(r,
                   "quantityList[%zu] is of consignment \"%s\" and an earlier one of \"%s\": "
                   "an event moves one consignment",
                   i, ci, c);
        else if (!qty)
            refuse(r, "quantityList[%zu] (line %lld) has no quantity: cmcc counts what moves", i,
                   no);
        else if (!json_is_integer(qty) &&
                 !(json_is_real(qty) &&
                   json_real_value(qty) == (double)(long long)json_real_value(qty)))
            refuse(r, "quantityList[%zu] (line %lld): the quantity must be a whole number", i, no);
        else if ((long long)json_number_value(qty) < min ||
                 json_number_value(qty) > 9007199254740992.0)
            refuse(r, "quantityList[%zu] (line %lld): the quantity must be from %lld to 2^53", i,
                   no, min);
        else if (uom && !unit)
            refuse(r,
                   "quantityList[%zu] (line %lld): the uom \"%s\" is not a unit cmcc knows "
                   "(KGM, TNE, LTR, or none for a count)",
                   i, no, uom);
        else
            bad = 0;
        if (bad) return json_decref(lines), NULL;
        memcpy(c, ci, strlen(ci) + 1);
        json_array_append_new(lines, json_pack("{s:I,s:I}", "line", (json_int_t)no, field,
                                               (json_int_t)json_number_value(qty)));
        if (unit && units) {
            char k[24];
            snprintf(k, sizeof k, "%lld", no);
            json_object_set_new(units, k, json_string(unit));
        }
    }
    return lines;
}

/* The declaration's lines: quantities with ilmd cmcc:lines's item,
 * category, unit and weight. 0, or -1 refused. */
static int declare_lines(reader *r, const json_t *ev, json_t *lines, const json_t *units)
{
    const json_t *ml = json_object_get(json_object_get(ev, "ilmd"), "cmcc:lines");
    for (size_t i = 0; i < json_array_size(lines); i++) {
        json_t *l = json_array_get(lines, i);
        long long no = ev_int(l, "line", 0);
        const json_t *m = NULL;
        for (size_t k = 0; k < json_array_size(ml) && !m; k++)
            if (ev_int(json_array_get(ml, k), "line", 0) == no) m = json_array_get(ml, k);
        char key[24];
        snprintf(key, sizeof key, "%lld", no);
        const char *unit =
            ev_str(m, "unit") ? ev_str(m, "unit") : json_string_value(json_object_get(units, key));
        if (!m || !ev_str(m, "item") || !ev_str(m, "category") || !unit)
            return refuse(r,
                          "line %lld has no item, category and unit: give them in ilmd "
                          "cmcc:lines [{\"line\",\"item\",\"category\",\"unit\"}] (a uom "
                          "gives the unit)",
                          no);
        json_t *q = json_object_get(l, "quantity");
        json_incref(q);
        json_object_del(l, "quantity");
        json_object_set_new(l, "item", json_string(ev_str(m, "item")));
        json_object_set_new(l, "category", json_string(ev_str(m, "category")));
        json_object_set_new(l, "quantity", q);
        json_object_set_new(l, "unit", json_string(unit));
        if (json_object_get(m, "weight_kg"))
            json_object_set(l, "weight_kg", json_object_get(m, "weight_kg"));
    }
    return 0;
}

static void copy(json_t *body, const char *field, const json_t *from, const char *key)
{
    json_t *v = json_object_get(from, key);
    if (v) json_object_set(body, field, v);
}

/* The body of one ObjectEvent of step st, signed by org, whose event id
 * is id. NULL when refused. */
static json_t *body_of(reader *r, const json_t *ev, const epcis_step *st, const char *org,
                       const char *id)
{
    char c[EV_ID_MAX + 1], t[EV_ID_MAX + 1], p[EV_ID_MAX + 1], rp[EV_ID_MAX + 1],
        who[EV_ID_MAX + 1];
    int has_p = location(r, ev, "bizLocation", p), has_rp = location(r, ev, "readPoint", rp);
    if (has_p < 0 || has_rp < 0) return NULL;
    if (!has_p && has_rp) memcpy(p, rp, sizeof p), has_p = 1;
    int has_t = transfer_of(ev, t);
    const char *s = st->type;
    int needs_t = !strcmp(s, "consignment.enter") || !strcmp(s, "custody.transfer") ||
                  !strcmp(s, "custody.accept") || !strcmp(s, "custody.reject");
    if (needs_t && !has_t)
        return refuse(r,
                      "a %s event names its transfer: give a bizTransaction whose URI ends in "
                      "/transfers/<transfer>",
                      st->biz_step),
               NULL;
    json_t *b = json_object(), *units = json_object(), *lines = NULL;

    if (!strcmp(s, "custody.reject")) {
        const char *reason = ev_str(ev, "cmcc:reason");
        if (!reason) {
            refuse(r, "a void_shipping event is a rejection, which needs a reason: give "
                      "cmcc:reason");
            goto refused;
        }
        json_object_set_new(b, "transfer", json_string(t));
        json_object_set_new(b, "reason", json_string(reason));
        goto done;
    }
    const char *field = !strcmp(s, "consignment.screen") ? "approved"
                        : !strcmp(s, "custody.accept")   ? "received"
                                                         : "quantity";
    long long min = !strcmp(s, "consignment.screen") || !strcmp(s, "custody.accept") ? 0 : 1;
    lines = lines_of(r, ev, field, min, c, units);
    if (!lines) goto refused;

    if (!strcmp(s, "consignment.declare")) {
        if (!has_p) {
            refuse(r, "a commissioning event is a declaration at a crossing: give bizLocation, "
                      "an http(s) URI ending in /places/<crossing>");
            goto refused;
        }
        if (declare_lines(r, ev, lines, units)) goto refused;
        const json_t *m = json_object_get(ev, "ilmd");
        int to = party(r, ev, "destinationList", "destination", "owning_party", who);
        if (to < 0) goto refused;
        json_object_set_new(b, "consignment", json_string(c));
        json_object_set_new(b, "crossing", json_string(p));
        if (to && strcmp(who, org) != 0) json_object_set_new(b, "consignee", json_string(who));
        copy(b, "donor", m, "cmcc:donor");
        copy(b, "reference", m, "cmcc:reference");
        json_object_set(b, "lines", lines);
    } else if (!strcmp(s, "consignment.screen")) {
        const json_t *refused = json_object_get(ev, "cmcc:refused");
        for (size_t i = 0; i < json_array_size(lines); i++) {
            json_t *l = json_array_get(lines, i);
            for (size_t k = 0; k < json_array_size(refused); k++) {
                const json_t *x = json_array_get(refused, k);
                if (ev_int(x, "line", 0) == ev_int(l, "line", 0) && ev_str(x, "reason"))
                    json_object_set_new(l, "reason", json_string(ev_str(x, "reason")));
            }
        }
        json_object_set_new(b, "consignment", json_string(c));
        json_object_set(b, "decisions", lines);
    } else if (!strcmp(s, "consignment.enter") || !strcmp(s, "custody.transfer")) {
        int to = party(r, ev, "destinationList", "destination", "possessing_party", who);
        if (to < 0) goto refused;
        if (!to) {
            refuse(r,
                   "a %s event hands custody to someone: give a destination of type "
                   "possessing_party, an http(s) URI ending in /orgs/<org>",
                   st->biz_step);
            goto refused;
        }
        if (!strcmp(s, "consignment.enter")) {
            if (!has_p) {
                refuse(r, "an arriving event is an entry at a crossing: give readPoint, an "
                          "http(s) URI ending in /places/<crossing>");
                goto refused;
            }
            json_object_set_new(b, "consignment", json_string(c));
            json_object_set_new(b, "transfer", json_string(t));
            json_object_set_new(b, "crossing", json_string(p));
            json_object_set_new(b, "to", json_string(who));
        } else {
            json_object_set_new(b, "transfer", json_string(t));
            json_object_set_new(b, "consignment", json_string(c));
            json_object_set_new(b, "to", json_string(who));
            if (has_p) json_object_set_new(b, "place", json_string(p));
        }
        json_object_set(b, "lines", lines);
    } else if (!strcmp(s, "custody.accept")) {
        json_object_set_new(b, "transfer", json_string(t));
        json_object_set(b, "lines", lines);
        copy(b, "reason", ev, "cmcc:reason");
    } else if (!strcmp(s, "distribution.record")) {
        if (!has_p) {
            refuse(r, "a dispensing event is a distribution at a place: give bizLocation, an "
                      "http(s) URI ending in /places/<distribution point>");
            goto refused;
        }
        const char *d = ev_str(ev, "cmcc:distribution");
        json_object_set_new(b, "distribution", json_string(d ? d : id));
        json_object_set_new(b, "consignment", json_string(c));
        json_object_set_new(b, "place", json_string(p));
        json_object_set(b, "lines", lines);
        copy(b, "households", ev, "cmcc:households");
        copy(b, "individuals", ev, "cmcc:individuals");
    } else { /* loss.report */
        const char *cause = ev_str(ev, "cmcc:cause"), *disp = ev_str(ev, "disposition");
        const char *word = disp ? epcis_cbv_word(disp, "Disp") : NULL;
        if (!cause && word) cause = epcis_cause_of_disposition(word);
        if (!cause) {
            refuse(r,
                   "an event of business step other is read as a loss, whose cause the "
                   "disposition gives (stolen, damaged, destroyed, expired, returned, unknown) "
                   "or cmcc:cause; \"%s\" is neither",
                   disp ? disp : "(none)");
            goto refused;
        }
        const char *l = ev_str(ev, "cmcc:loss");
        const char *from = ev_str(ev, "cmcc:account");
        int src = party(r, ev, "sourceList", "source", "possessing_party", who);
        if (src < 0) goto refused;
        json_object_set_new(b, "loss", json_string(l ? l : id));
        json_object_set_new(b, "consignment", json_string(c));
        json_object_set_new(b, "cause", json_string(cause));
        json_object_set_new(b, "from", json_string(from ? from : "held"));
        json_object_set(b, "lines", lines);
        copy(b, "incident", ev, "cmcc:incident");
        if (src && strcmp(who, org) != 0) json_object_set_new(b, "org", json_string(who));
    }
done:
    json_decref(lines);
    json_decref(units);
    return b;
refused:
    json_decref(lines);
    json_decref(units);
    json_decref(b);
    return NULL;
}

/* The event of one ObjectEvent, as the bytes to sign; NULL when refused. */
static char *event_of(reader *r, const json_t *ev, const char *org)
{
    const char *type = ev_str(ev, "type");
    if (!type || strcmp(type, "ObjectEvent") != 0)
        return refuse(r, "the event type %s has no cmcc meaning: cmcc reads ObjectEvents only",
                      type ? type : "event without a type"),
               NULL;
    if (!r->event_id)
        return refuse(r, "it has no eventID, by which cmcc signs each event once only"), NULL;
    int64_t ms;
    if (event_time(ev_str(ev, "eventTime"), &ms))
        return refuse(r, "its eventTime \"%s\" is not an RFC 3339 time",
                      ev_str(ev, "eventTime") ? ev_str(ev, "eventTime") : ""),
               NULL;
    const char *bs = ev_str(ev, "bizStep");
    const char *word = bs ? epcis_cbv_word(bs, "BizStep") : NULL;
    const epcis_step *st = word ? epcis_step_of_biz_step(word) : NULL;
    if (!st)
        return refuse(r,
                      "the business step \"%s\" has no cmcc meaning: cmcc reads "
                      "commissioning, inspecting, arriving, shipping, receiving, void_shipping, "
                      "dispensing and other (a loss)",
                      bs ? bs : "(none)"),
               NULL;
    const char *action = ev_str(ev, "action");
    if (!action || strcmp(action, st->action) != 0)
        return refuse(r, "a %s event has action %s in cmcc, not %s", st->biz_step, st->action,
                      action ? action : "(none)"),
               NULL;
    uint8_t h[32];
    crypto_hash_sha256(h, (const unsigned char *)r->event_id, strlen(r->event_id));
    char id[EV_ID_MAX + 1] = "epcis-";
    for (size_t i = 0; i < 16; i++) snprintf(id + 6 + 2 * i, 3, "%02x", h[i]);
    json_t *body = body_of(r, ev, st, org, id);
    if (!body) return NULL;
    char ts[32];
    if (ms % 1000)
        time_format_ms(ms, ts, sizeof ts);
    else
        time_format_s(ms, ts, sizeof ts);
    char *json = cli_event_json(st->type, id, org, ts, body);
    cm_error err;
    if (cli_event_check(json, &err)) {
        refuse(r, "as a %s it is refused: %s (%s)", st->type, err.message, err.field);
        free(json);
        return NULL;
    }
    return json;
}

int cli_epcis_build(const char *data, size_t len, const char *org, FILE *errs, cli_manifest *out,
                    cm_error *err)
{
    memset(out, 0, sizeof *out);
    json_t *doc = ev_json_parse(data, len, "", err);
    if (!doc) return -1;
    const char *type = ev_str(doc, "type");
    const json_t *list = json_object_get(json_object_get(doc, "epcisBody"), "eventList");
    if (!type || strcmp(type, "EPCISDocument") != 0 || !json_is_array(list)) {
        json_decref(doc);
        return cm_fail(err, CM_BAD_REQUEST, "",
                       "this is no EPCIS document: it needs type EPCISDocument and "
                       "epcisBody.eventList");
    }
    size_t n = json_array_size(list);
    out->json = xcalloc(n ? n : 1, sizeof *out->json);
    out->row = xcalloc(n ? n : 1, sizeof *out->row);
    reader r = {errs, 0, NULL, 0};
    for (size_t i = 0; i < n; i++) {
        const json_t *ev = json_array_get(list, i);
        r.pos = i + 1;
        r.event_id = ev_str(ev, "eventID");
        out->rows++;
        size_t twin = 0;
        for (size_t k = 0; k < i && r.event_id && !twin; k++)
            if (ev_str(json_array_get(list, k), "eventID") &&
                strcmp(ev_str(json_array_get(list, k), "eventID"), r.event_id) == 0)
                twin = k + 1;
        if (twin) {
            refuse(&r, "its eventID is also event %zu's: each event needs its own", twin);
            continue;
        }
        char *json = event_of(&r, ev, org);
        if (!json) continue;
        out->json[out->n] = json;
        out->row[out->n++] = (unsigned)(i + 1);
    }
    out->bad_rows = (unsigned)(n - out->n);
    json_decref(doc);
    return 0;
}
