/*
 * epcis_event.c: one logged supply event as an EPCIS 2.0 ObjectEvent
 * (docs/protocol.md, "EPCIS 2.0"; the table of steps is epcis_vocab.c's):
 *
 *   {"type":"ObjectEvent","eventID":B/events/<org>/<id>,
 *    "eventTime":<the event's time>,"eventTimeZoneOffset":"+00:00",
 *    "recordTime":<the entry's received>,"action","bizStep","disposition",
 *    "readPoint":{"id":B/places/<p>},"bizLocation":{"id":B/places/<p>},
 *    "bizTransactionList":[{"type":"desadv","bizTransaction":B/transfers/<t>}],
 *    "quantityList":[{"epcClass":B/consignments/<c>/lines/<n>,"quantity",
 *                     "uom"?}],
 *    "sourceList":[{"type":"possessing_party","source":B/orgs/<org>}],
 *    "destinationList":[...], "ilmd":{...} (a declaration's lines),
 *    "cmcc:index","cmcc:entryHash","cmcc:type","cmcc:org","cmcc:id", ...}
 *
 * B is https://<origin>. cmcc:index and cmcc:entryHash (the entry's RFC
 * 6962 leaf hash, base64) let a reader check the event against the log
 * (GET /v1/entries/<index>, or an inclusion proof); cmcc:type, cmcc:org and
 * cmcc:id name the signed event. What the body holds that EPCIS has no
 * field for is carried as cmcc:<field> (a screening's refusals, a loss's
 * cause and account, a rejection's reason, a distribution's counts).
 */
#include "views/epcis.h"

#include "common/timeutil.h"
#include "event/schema.h"

#include <stdio.h>
#include <string.h>

/* A new string: B + path + a (+ "/lines/" + line when line > 0). */
static json_t *uri(const epcis_ctx *c, const char *path, const char *a, long long line)
{
    cm_buf b = CM_BUF_INIT;
    epcis_base(&b, c->origin);
    buf_puts(&b, path);
    buf_puts(&b, a);
    if (line > 0) buf_printf(&b, "/lines/%lld", line);
    json_t *s = json_stringn(b.data, b.len);
    buf_free(&b);
    return s;
}

static json_t *party(const epcis_ctx *c, const char *key, const char *org)
{
    json_t *l = json_array();
    json_array_append_new(
        l, json_pack("{s:s,s:o}", "type", "possessing_party", key, uri(c, EPCIS_PATH_ORG, org, 0)));
    return l;
}

static int line_row(void *ctx, const store_line_row *r)
{
    char n[24];
    snprintf(n, sizeof n, "%lld", r->line);
    json_object_set_new(ctx, n, json_pack("[s,I]", r->unit, (json_int_t)r->declared));
    return 0;
}

static int consignment_row(void *ctx, const store_consignment_row *r)
{
    json_object_set_new(ctx, "crossing", json_string(r->crossing));
    return 0;
}

/* The cached facts of a consignment, read once: NULL with err on a failure. */
static json_t *consignment(epcis_ctx *c, const char *id, cm_error *err)
{
    json_t *k = json_object_get(c->consignments, id);
    if (k) return k;
    k = json_object();
    json_t *lines = json_object();
    json_object_set_new(k, "lines", lines);
    if (store_consignments_each(c->s, id, consignment_row, k, err) ||
        store_lines_each(c->s, id, line_row, lines, err)) {
        json_decref(k);
        return NULL;
    }
    json_object_set_new(c->consignments, id, k);
    return k;
}

/* The line's [unit, declared], or NULL. */
static const json_t *line_facts(const json_t *k, long long line)
{
    char n[24];
    snprintf(n, sizeof n, "%lld", line);
    return json_object_get(json_object_get(k, "lines"), n);
}

/* quantityList of body lines {line, <field>} of consignment k (id). */
static json_t *quantities(const epcis_ctx *c, const char *id, const json_t *k, const json_t *lines,
                          const char *field)
{
    json_t *l = json_array();
    for (size_t i = 0; i < json_array_size(lines); i++) {
        const json_t *ln = json_array_get(lines, i);
        long long no = ev_int(ln, "line", 0);
        json_t *q = json_pack("{s:o,s:I}", "epcClass", uri(c, EPCIS_PATH_LINE, id, no), "quantity",
                              (json_int_t)ev_int(ln, field, 0));
        const char *unit = ev_str(ln, "unit");
        if (!unit) unit = json_string_value(json_array_get(line_facts(k, no), 0));
        const char *uom = unit ? epcis_uom_of_unit(unit) : NULL;
        if (uom) json_object_set_new(q, "uom", json_string(uom));
        json_array_append_new(l, q);
    }
    return l;
}

/* The lines a transfer carried [{line, quantity}] (what a rejection sends
 * back), or NULL when the store cannot be read. */
static json_t *sent_lines(const epcis_ctx *c, const char *transfer)
{
    long long line[EV_LINES_MAX], sent[EV_LINES_MAX];
    size_t n = 0;
    if (c->view.transfer_lines(c->view.ctx, transfer, line, sent, EV_LINES_MAX, &n) < 0)
        return NULL;
    json_t *l = json_array();
    for (size_t i = 0; i < n; i++)
        json_array_append_new(l, json_pack("{s:I,s:I}", "line", (json_int_t)line[i], "quantity",
                                           (json_int_t)sent[i]));
    return l;
}

static void place(const epcis_ctx *c, json_t *o, const char *p)
{
    if (!p) return;
    json_object_set_new(o, "readPoint", json_pack("{s:o}", "id", uri(c, EPCIS_PATH_PLACE, p, 0)));
    json_object_set_new(o, "bizLocation", json_pack("{s:o}", "id", uri(c, EPCIS_PATH_PLACE, p, 0)));
}

static void transfer(const epcis_ctx *c, json_t *o, const char *t)
{
    json_object_set_new(o, "bizTransactionList",
                        json_pack("[{s:s,s:o}]", "type", "desadv", "bizTransaction",
                                  uri(c, EPCIS_PATH_TRANSFER, t, 0)));
}

static void copy(json_t *o, const json_t *body, const char *field, const char *ext)
{
    json_t *v = json_object_get(body, field);
    if (v) json_object_set(o, ext, v);
}

/* The declaration's lines as master data: ilmd {"cmcc:lines":[{line,
 * item, category, unit, weight_kg?}], "cmcc:consignee"?, ...}. */
static json_t *ilmd(const json_t *body)
{
    json_t *lines = json_array(), *m = json_object();
    const json_t *ls = json_object_get(body, "lines");
    for (size_t i = 0; i < json_array_size(ls); i++) {
        json_t *l = json_deep_copy(json_array_get(ls, i));
        json_object_del(l, "quantity");
        json_array_append_new(lines, l);
    }
    json_object_set_new(m, "cmcc:lines", lines);
    copy(m, body, "consignee", "cmcc:consignee");
    copy(m, body, "donor", "cmcc:donor");
    copy(m, body, "reference", "cmcc:reference");
    return m;
}

/* A screening's disposition and its refusals [{line, refused, reason}]. */
static const char *screening(const json_t *k, const json_t *body, json_t **refused)
{
    const json_t *ds = json_object_get(body, "decisions");
    *refused = json_array();
    for (size_t i = 0; i < json_array_size(ds); i++) {
        const json_t *d = json_array_get(ds, i);
        long long no = ev_int(d, "line", 0), approved = ev_int(d, "approved", 0);
        long long declared = json_integer_value(json_array_get(line_facts(k, no), 1));
        if (approved >= declared) continue;
        json_t *r = json_pack("{s:I,s:I}", "line", (json_int_t)no, "refused",
                              (json_int_t)(declared - approved));
        if (ev_str(d, "reason")) json_object_set_new(r, "reason", json_string(ev_str(d, "reason")));
        json_array_append_new(*refused, r);
    }
    return json_array_size(*refused) ? "non_conformant" : "conformant";
}

int epcis_event(epcis_ctx *c, const json_t *event, uint64_t idx, int64_t received_ms,
                const log_hash *leaf, json_t **out, cm_error *err)
{
    const char *type = ev_str(event, "type"), *org = ev_str(event, "org");
    const char *id = ev_str(event, "id"), *time = ev_str(event, "time");
    const json_t *b = json_object_get(event, "body");
    const epcis_step *st = type ? epcis_step_of_type(type) : NULL;
    if (!st || !org || !id || !time || !json_is_object(b)) return 0;

    /* the consignment and, for an answer to a transfer, the transfer */
    const char *cid = ev_str(b, "consignment"), *tid = ev_str(b, "transfer");
    ev_transfer_state ts = {0};
    if (!cid && tid) {
        int found = c->view.transfer(c->view.ctx, tid, &ts);
        if (found < 0) return cm_fail(err, CM_INTERNAL, "", "the store cannot be read");
        if (!found) return 0;
        cid = ts.consignment;
    }
    if (!cid) return 0;
    const json_t *k = consignment(c, cid, err);
    if (!k) return -1;

    json_t *o = json_object();
    char rt[32];
    time_format_ms(received_ms, rt, sizeof rt);
    json_object_set_new(o, "type", json_string("ObjectEvent"));
    cm_buf eid = CM_BUF_INIT;
    buf_printf(&eid, "%s/%s", org, id);
    json_object_set_new(o, "eventID", uri(c, EPCIS_PATH_EVENT, eid.data, 0));
    buf_free(&eid);
    json_object_set_new(o, "eventTime", json_string(time));
    json_object_set_new(o, "eventTimeZoneOffset", json_string("+00:00"));
    json_object_set_new(o, "recordTime", json_string(rt));
    json_object_set_new(o, "action", json_string(st->action));
    json_object_set_new(o, "bizStep", json_string(st->biz_step));
    json_object_set_new(o, "disposition", json_null()); /* its place; set below */
    const char *disposition = st->disposition;
    json_t *extra = json_object(), *refused = NULL;

    if (strcmp(type, "consignment.declare") == 0) {
        json_object_set_new(
            o, "bizLocation",
            json_pack("{s:o}", "id", uri(c, EPCIS_PATH_PLACE, ev_str(b, "crossing"), 0)));
        json_object_set_new(o, "quantityList",
                            quantities(c, cid, k, json_object_get(b, "lines"), "quantity"));
        const char *to = ev_str(b, "consignee") ? ev_str(b, "consignee") : org;
        json_object_set_new(o, "destinationList",
                            json_pack("[{s:s,s:o}]", "type", "owning_party", "destination",
                                      uri(c, EPCIS_PATH_ORG, to, 0)));
        json_object_set_new(o, "ilmd", ilmd(b));
    } else if (strcmp(type, "consignment.screen") == 0) {
        disposition = screening(k, b, &refused);
        place(c, o, json_string_value(json_object_get(k, "crossing")));
        json_t *ds = json_deep_copy(json_object_get(b, "decisions"));
        json_object_set_new(o, "quantityList", quantities(c, cid, k, ds, "approved"));
        json_decref(ds);
        json_object_set_new(extra, "cmcc:refused", refused);
    } else if (strcmp(type, "consignment.enter") == 0 || strcmp(type, "custody.transfer") == 0) {
        place(c, o, ev_str(b, strcmp(type, "consignment.enter") == 0 ? "crossing" : "place"));
        transfer(c, o, tid);
        json_object_set_new(o, "quantityList",
                            quantities(c, cid, k, json_object_get(b, "lines"), "quantity"));
        json_object_set_new(o, "sourceList", party(c, "source", org));
        json_object_set_new(o, "destinationList", party(c, "destination", ev_str(b, "to")));
    } else if (strcmp(type, "custody.accept") == 0) {
        transfer(c, o, tid);
        json_object_set_new(o, "quantityList",
                            quantities(c, cid, k, json_object_get(b, "lines"), "received"));
        json_object_set_new(o, "sourceList", party(c, "source", ts.from));
        json_object_set_new(o, "destinationList", party(c, "destination", org));
        copy(extra, b, "reason", "cmcc:reason");
    } else if (strcmp(type, "custody.reject") == 0) {
        transfer(c, o, tid);
        json_t *sent = sent_lines(c, tid);
        if (!sent) {
            json_decref(o), json_decref(extra);
            return cm_fail(err, CM_INTERNAL, "", "the store cannot be read");
        }
        json_object_set_new(o, "quantityList", quantities(c, cid, k, sent, "quantity"));
        json_decref(sent);
        json_object_set_new(o, "sourceList", party(c, "source", org));
        json_object_set_new(o, "destinationList", party(c, "destination", ts.from));
        copy(extra, b, "reason", "cmcc:reason");
    } else if (strcmp(type, "distribution.record") == 0) {
        place(c, o, ev_str(b, "place"));
        json_object_set_new(o, "quantityList",
                            quantities(c, cid, k, json_object_get(b, "lines"), "quantity"));
        json_object_set_new(o, "sourceList", party(c, "source", org));
        copy(extra, b, "distribution", "cmcc:distribution");
        copy(extra, b, "households", "cmcc:households");
        copy(extra, b, "individuals", "cmcc:individuals");
    } else { /* loss.report */
        const char *cause = ev_str(b, "cause");
        disposition = cause ? epcis_disposition_of_cause(cause) : NULL;
        json_object_set_new(o, "quantityList",
                            quantities(c, cid, k, json_object_get(b, "lines"), "quantity"));
        const char *from = ev_str(b, "org") ? ev_str(b, "org") : org;
        json_object_set_new(o, "sourceList", party(c, "source", from));
        copy(extra, b, "loss", "cmcc:loss");
        copy(extra, b, "cause", "cmcc:cause");
        copy(extra, b, "from", "cmcc:account");
        copy(extra, b, "incident", "cmcc:incident");
    }
    if (disposition)
        json_object_set_new(o, "disposition", json_string(disposition));
    else
        json_object_del(o, "disposition");

    json_object_set_new(o, "cmcc:index", json_integer((json_int_t)idx));
    cm_buf h = CM_BUF_INIT;
    buf_b64(&h, leaf->b, LOG_HASH_SIZE);
    json_object_set_new(o, "cmcc:entryHash", json_stringn(h.data, h.len));
    buf_free(&h);
    json_object_set_new(o, "cmcc:type", json_string(type));
    json_object_set_new(o, "cmcc:org", json_string(org));
    json_object_set_new(o, "cmcc:id", json_string(id));
    json_object_update(o, extra);
    json_decref(extra);
    *out = o;
    return 1;
}
