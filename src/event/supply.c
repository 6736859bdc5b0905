/*
 * supply.c: consignments as a double-entry ledger (docs/protocol.md section 3,
 * "Supply").
 *
 * Each consignment line is an account book. Quantity enters the book once,
 * at a crossing, and afterwards only moves between accounts:
 *
 *   held:<org>          what an organization holds
 *   pending:<transfer>  sent, not yet accepted or rejected
 *   distributed         handed out at a distribution point
 *   lost:<cause>        looted, intercepted, damaged, spoiled, expired, ...
 *   unaccounted:<org>   a shortfall on acceptance, charged to the sender
 *
 * Invariant, for every line at every log position:
 *   entered = Σheld + Σpending + distributed + Σlost + Σunaccounted
 *
 * Every movement is an FX_MOVE effect (consignment, line, from, to,
 * quantity), where the empty account "" is outside the book: an entry moves
 * from "" into pending:<transfer>, and a rejected entry moves back to "",
 * which is why `entered` can fall again (back to approved-not-entered).
 * The store applies moves and checks the invariant of every line a move
 * touched; `cmcc verify` checks it for every line after a replay.
 *
 *   consignment.declare  humanitarian: new consignment at a crossing, 1..500 lines
 *   consignment.screen   inspector: once, every line, approved <= declared
 *   consignment.enter    inspector: "" -> pending:T, to a humanitarian or transporter
 *   custody.transfer     holder: held:me -> pending:T
 *   custody.accept       the `to` org: pending:T -> held:to, shortfall -> unaccounted:sender
 *                        (reason?: why less arrived, kept on the transfer)
 *   custody.reject       the `to` org: pending:T -> held:sender (or "" for an entry)
 *   distribution.record  holder: held:me -> distributed, at a distribution point
 *   loss.report          held:me or unaccounted:me (a coordinator: anyone's) -> lost:cause
 */
#include "event/event.h"
#include "event/schema.h"

#include <stdio.h>
#include <string.h>

static const char *const categories[] = {"food",      "health",    "shelter", "wash", "fuel",
                                         "education", "logistics", "other",   NULL};
static const char *const units[] = {"kg",  "tonne", "litre", "carton", "pallet", "bag",
                                    "box", "kit",   "unit",  "dose",   "parcel", NULL};
static const char *const screen_reasons[] = {"dual_use",      "damaged", "expired",
                                             "documentation", "other",   NULL};
static const char *const causes[] = {"looted",  "intercepted", "damaged", "spoiled",
                                     "expired", "returned",    "other",   NULL};
static const char *const sources[] = {"held", "unaccounted", NULL};

#define LINE_MAX_NO 100000 /* the largest line number */

/* The field every line object starts with, and a body's required array of
 * 1..EV_LINES_MAX line objects. */
#define LINE_NO                                                                                    \
    {                                                                                              \
        .name = "line", .type = FT_INT, .flags = FF_REQUIRED, .min = 1, .max = LINE_MAX_NO         \
    }
#define LINES(key, fields)                                                                         \
    {                                                                                              \
        .name = key, .type = FT_OBJECTS, .flags = FF_REQUIRED, .min = 1, .max = EV_LINES_MAX,      \
        .items = fields                                                                            \
    }

static const ev_field declare_line[] = {
    LINE_NO,
    {.name = "item", .type = FT_TEXT, .flags = FF_REQUIRED, .max = 200},
    {.name = "category", .type = FT_ENUM, .flags = FF_REQUIRED, .values = categories},
    {.name = "quantity", .type = FT_INT, .flags = FF_REQUIRED, .min = 1},
    {.name = "unit", .type = FT_ENUM, .flags = FF_REQUIRED, .values = units},
    {.name = "weight_kg", .type = FT_NUMBER},
    {0}};
static const ev_field declare_body[] = {
    {.name = "consignment", .type = FT_ID, .flags = FF_REQUIRED},
    {.name = "crossing", .type = FT_ID, .flags = FF_REQUIRED},
    {.name = "consignee", .type = FT_ID},
    {.name = "donor", .type = FT_TEXT, .max = 200},
    {.name = "reference", .type = FT_TEXT, .max = 200},
    LINES("lines", declare_line),
    {0}};
static const ev_field decision[] = {LINE_NO,
                                    {.name = "approved", .type = FT_INT, .flags = FF_REQUIRED},
                                    {.name = "reason", .type = FT_ENUM, .values = screen_reasons},
                                    {0}};
static const ev_field screen_body[] = {{.name = "consignment", .type = FT_ID, .flags = FF_REQUIRED},
                                       LINES("decisions", decision),
                                       {0}};
static const ev_field qty_line[] = {
    LINE_NO, {.name = "quantity", .type = FT_INT, .flags = FF_REQUIRED, .min = 1}, {0}};
static const ev_field enter_body[] = {{.name = "consignment", .type = FT_ID, .flags = FF_REQUIRED},
                                      {.name = "transfer", .type = FT_ID, .flags = FF_REQUIRED},
                                      {.name = "crossing", .type = FT_ID, .flags = FF_REQUIRED},
                                      {.name = "to", .type = FT_ID, .flags = FF_REQUIRED},
                                      LINES("lines", qty_line),
                                      {0}};
static const ev_field transfer_body[] = {
    {.name = "transfer", .type = FT_ID, .flags = FF_REQUIRED},
    {.name = "consignment", .type = FT_ID, .flags = FF_REQUIRED},
    {.name = "to", .type = FT_ID, .flags = FF_REQUIRED},
    {.name = "place", .type = FT_ID},
    LINES("lines", qty_line),
    {0}};
static const ev_field received_line[] = {
    LINE_NO, {.name = "received", .type = FT_INT, .flags = FF_REQUIRED}, {0}};
static const ev_field accept_body[] = {{.name = "transfer", .type = FT_ID, .flags = FF_REQUIRED},
                                       LINES("lines", received_line),
                                       {.name = "reason", .type = FT_TEXT},
                                       {0}};
static const ev_field reject_body[] = {{.name = "transfer", .type = FT_ID, .flags = FF_REQUIRED},
                                       {.name = "reason", .type = FT_TEXT, .flags = FF_REQUIRED},
                                       {0}};
static const ev_field distribution_body[] = {
    {.name = "distribution", .type = FT_ID, .flags = FF_REQUIRED},
    {.name = "consignment", .type = FT_ID, .flags = FF_REQUIRED},
    {.name = "place", .type = FT_ID, .flags = FF_REQUIRED},
    LINES("lines", qty_line),
    {.name = "households", .type = FT_INT},
    {.name = "individuals", .type = FT_INT},
    {0}};
static const ev_field loss_body[] = {
    {.name = "loss", .type = FT_ID, .flags = FF_REQUIRED},
    {.name = "consignment", .type = FT_ID, .flags = FF_REQUIRED},
    {.name = "cause", .type = FT_ENUM, .flags = FF_REQUIRED, .values = causes},
    {.name = "from", .type = FT_ENUM, .flags = FF_REQUIRED, .values = sources},
    LINES("lines", qty_line),
    {.name = "incident", .type = FT_ID},
    {.name = "org", .type = FT_ID},
    {0}};

static void account(char out[EV_ACCOUNT_MAX], const char *kind, const char *who)
{
    snprintf(out, EV_ACCOUNT_MAX, "%s%s%s", kind, who ? ":" : "", who ? who : "");
}

static ev_fx *move(ev_effects *fx, const char *consignment, long long line, long long qty,
                   const char *from_kind, const char *from_who, const char *to_kind,
                   const char *to_who)
{
    ev_fx *f = ev_fx_add(fx, FX_MOVE);
    snprintf(f->u.move.consignment, sizeof f->u.move.consignment, "%s", consignment);
    f->u.move.line = line;
    f->u.move.qty = qty;
    if (from_kind) account(f->u.move.from, from_kind, from_who);
    if (to_kind) account(f->u.move.to, to_kind, to_who);
    return f;
}

static void touch(ev_effects *fx, const char *consignment)
{
    ev_fx *f = ev_fx_add(fx, FX_TOUCH);
    snprintf(f->u.consignment.consignment, sizeof f->u.consignment.consignment, "%s", consignment);
}

/* The org may receive custody: admitted, active, humanitarian or transporter. */
static int receiver_ok(const ev_ctx *c, const char *org, const char *field, cm_error *err)
{
    ev_org_state os;
    int r = c->view->org(c->view->ctx, org, &os);
    if (r < 0) return ev_store_failed(err);
    if (r == 0)
        return cm_fail(err, CM_RULE_VIOLATION, field,
                       "\"%s\" is not an admitted organization: custody goes only to vetted "
                       "organizations",
                       org);
    if (os.suspended)
        return cm_fail(err, CM_RULE_VIOLATION, field,
                       "\"%s\" is suspended and cannot receive custody", org);
    if (!(os.roles & (ROLE_HUMANITARIAN | ROLE_TRANSPORTER)))
        return cm_fail(err, CM_RULE_VIOLATION, field,
                       "\"%s\" is neither a humanitarian organization nor a transporter, so it "
                       "cannot take custody",
                       org);
    return 0;
}

/* The field path body.<array>[i].<key>, written into field. */
static const char *item_field(char field[CM_FIELD_MAX], const char *array, size_t i,
                              const char *key)
{
    snprintf(field, CM_FIELD_MAX, "body.%s[%zu].%s", array, i, key);
    return field;
}

/* Whether a line object before lines[i] has the line number no. */
static int listed_before(const json_t *lines, size_t i, long long no)
{
    for (size_t k = 0; k < i; k++)
        if (ev_int(json_array_get(lines, k), "line", 0) == no) return 1;
    return 0;
}

/* Checks body.<array>[i].line: a line of the consignment, not listed twice.
 * OUT: *no, the line number; *ls, the line's state. */
static int line_of(const ev_ctx *c, const char *consignment, const json_t *lines, size_t i,
                   const char *array, long long *no, ev_line_state *ls, cm_error *err)
{
    char field[CM_FIELD_MAX];
    *no = ev_int(json_array_get(lines, i), "line", 0);
    if (listed_before(lines, i, *no))
        return cm_fail(err, CM_BAD_REQUEST, item_field(field, array, i, "line"),
                       "line %lld is listed twice", *no);
    int r = c->view->line(c->view->ctx, consignment, *no, ls);
    if (r < 0) return ev_store_failed(err);
    if (r == 0)
        return cm_fail(err, CM_RULE_VIOLATION, item_field(field, array, i, "line"),
                       "consignment \"%s\" has no line %lld", consignment, *no);
    return 0;
}

/* The transfer id must be new. */
static int new_transfer(const ev_ctx *c, const char *id, cm_error *err)
{
    ev_transfer_state ts;
    int r = c->view->transfer(c->view->ctx, id, &ts);
    if (r < 0) return ev_store_failed(err);
    if (r == 1)
        return cm_fail(err, CM_RULE_VIOLATION, "body.transfer",
                       "transfer \"%s\" already exists: give each transfer a new id", id);
    return 0;
}

static int apply_declare(const ev_ctx *c, ev_effects *fx, cm_error *err)
{
    const json_t *b = c->ev->body;
    const char *id = ev_str(b, "consignment"), *crossing = ev_str(b, "crossing");
    const char *consignee = ev_str(b, "consignee");
    ev_consignment_state cs;
    int r = c->view->consignment(c->view->ctx, id, &cs);
    if (r < 0) return ev_store_failed(err);
    if (r == 1)
        return cm_fail(err, CM_RULE_VIOLATION, "body.consignment",
                       "consignment \"%s\" is already declared", id);
    if (ev_need_place_kind(c, crossing, "body.crossing", "crossing", NULL, err)) return -1;
    if (consignee && receiver_ok(c, consignee, "body.consignee", err)) return -1;
    ev_fx *f = ev_fx_add(fx, FX_CONSIGNMENT_DECLARE);
    f->u.consignment_declare.consignment = id;
    f->u.consignment_declare.crossing = crossing;
    f->u.consignment_declare.consignee = consignee ? consignee : c->ev->org;
    f->u.consignment_declare.donor = ev_str(b, "donor");
    f->u.consignment_declare.reference = ev_str(b, "reference");
    const json_t *lines = json_object_get(b, "lines");
    for (size_t i = 0; i < json_array_size(lines); i++) {
        const json_t *l = json_array_get(lines, i);
        long long no = ev_int(l, "line", 0);
        if (listed_before(lines, i, no)) {
            char field[CM_FIELD_MAX];
            return cm_fail(err, CM_BAD_REQUEST, item_field(field, "lines", i, "line"),
                           "line %lld is declared twice", no);
        }
        f = ev_fx_add(fx, FX_LINE_DECLARE);
        f->u.line_declare.consignment = id;
        f->u.line_declare.line = no;
        f->u.line_declare.item = ev_str(l, "item");
        f->u.line_declare.category = ev_str(l, "category");
        f->u.line_declare.unit = ev_str(l, "unit");
        f->u.line_declare.quantity = ev_int(l, "quantity", 0);
        f->u.line_declare.weight_kg = json_object_get(l, "weight_kg") ? ev_num(l, "weight_kg") : -1;
    }
    touch(fx, id);
    return 0;
}

static int apply_screen(const ev_ctx *c, ev_effects *fx, cm_error *err)
{
    const json_t *b = c->ev->body;
    const char *id = ev_str(b, "consignment");
    ev_consignment_state cs;
    if (ev_need_consignment(c, id, "body.consignment", &cs, err)) return -1;
    if (cs.screened)
        return cm_fail(err, CM_RULE_VIOLATION, "body.consignment",
                       "consignment \"%s\" was already screened: screening happens once", id);
    const json_t *ds = json_object_get(b, "decisions");
    if ((long long)json_array_size(ds) != cs.lines)
        return cm_fail(err, CM_RULE_VIOLATION, "body.decisions",
                       "consignment \"%s\" has %lld lines and every one needs a decision, not %zu",
                       id, cs.lines, json_array_size(ds));
    for (size_t i = 0; i < json_array_size(ds); i++) {
        const json_t *d = json_array_get(ds, i);
        long long no;
        ev_line_state ls;
        if (line_of(c, id, ds, i, "decisions", &no, &ls, err)) return -1;
        long long approved = ev_int(d, "approved", 0);
        char field[CM_FIELD_MAX];
        if (approved > ls.declared)
            return cm_fail(err, CM_RULE_VIOLATION, item_field(field, "decisions", i, "approved"),
                           "%lld approved is more than the %lld declared", approved, ls.declared);
        if (approved < ls.declared && !ev_str(d, "reason"))
            return cm_fail(err, CM_RULE_VIOLATION, item_field(field, "decisions", i, "reason"),
                           "approving less than declared needs a reason: dual_use, damaged, "
                           "expired, documentation or other");
        ev_fx *f = ev_fx_add(fx, FX_LINE_SCREEN);
        f->u.line_screen.consignment = id;
        f->u.line_screen.line = no;
        f->u.line_screen.approved = approved;
        f->u.line_screen.reason = ev_str(d, "reason");
    }
    ev_fx *sf = ev_fx_add(fx, FX_CONSIGNMENT_SCREENED);
    snprintf(sf->u.consignment.consignment, sizeof sf->u.consignment.consignment, "%s", id);
    touch(fx, id);
    return 0;
}

static void open_transfer(ev_effects *fx, const char *transfer, const char *consignment,
                          const char *from, const char *to, const char *place, int entry)
{
    ev_fx *f = ev_fx_add(fx, FX_TRANSFER_OPEN);
    f->u.transfer_open.transfer = transfer;
    f->u.transfer_open.consignment = consignment;
    f->u.transfer_open.from = from;
    f->u.transfer_open.to = to;
    f->u.transfer_open.place = place;
    f->u.transfer_open.entry = entry;
}

static void transfer_line(ev_effects *fx, ev_fx_kind kind, const char *transfer, long long line,
                          long long qty)
{
    ev_fx *f = ev_fx_add(fx, kind);
    f->u.transfer_line.transfer = transfer;
    f->u.transfer_line.line = line;
    f->u.transfer_line.qty = qty;
}

static void close_transfer(ev_effects *fx, const char *transfer, const char *reason, int accepted)
{
    ev_fx *f = ev_fx_add(fx, FX_TRANSFER_CLOSE);
    f->u.transfer_close.transfer = transfer;
    f->u.transfer_close.reason = reason;
    f->u.transfer_close.accepted = accepted;
}

/* Moves every line of body.lines ({line, quantity}) of the consignment out
 * of the account (from_kind, from_who), which must hold each quantity, into
 * (to_kind, to_who), then touches the consignment. With a transfer, each
 * line is also recorded as sent on it. */
static int move_lines(const ev_ctx *c, ev_effects *fx, const char *consignment,
                      const char *transfer, const char *from_kind, const char *from_who,
                      const char *to_kind, const char *to_who, cm_error *err)
{
    char from[EV_ACCOUNT_MAX];
    account(from, from_kind, from_who);
    const json_t *lines = json_object_get(c->ev->body, "lines");
    for (size_t i = 0; i < json_array_size(lines); i++) {
        long long no, have = 0;
        ev_line_state ls;
        if (line_of(c, consignment, lines, i, "lines", &no, &ls, err)) return -1;
        long long q = ev_int(json_array_get(lines, i), "quantity", 0);
        if (c->view->balance(c->view->ctx, consignment, no, from, &have) < 0)
            return ev_store_failed(err);
        if (have < q) {
            char field[CM_FIELD_MAX];
            return cm_fail(err, CM_RULE_VIOLATION, item_field(field, "lines", i, "quantity"),
                           "%s holds %lld of line %lld of \"%s\", less than the %lld asked", from,
                           have, no, consignment, q);
        }
        if (transfer) transfer_line(fx, FX_TRANSFER_LINE, transfer, no, q);
        move(fx, consignment, no, q, from_kind, from_who, to_kind, to_who);
    }
    touch(fx, consignment);
    return 0;
}

static int apply_enter(const ev_ctx *c, ev_effects *fx, cm_error *err)
{
    const json_t *b = c->ev->body;
    const char *id = ev_str(b, "consignment"), *transfer = ev_str(b, "transfer");
    const char *crossing = ev_str(b, "crossing"), *to = ev_str(b, "to");
    ev_consignment_state cs;
    if (ev_need_consignment(c, id, "body.consignment", &cs, err)) return -1;
    if (!cs.screened)
        return cm_fail(err, CM_RULE_VIOLATION, "body.consignment",
                       "consignment \"%s\" has not been screened yet", id);
    if (strcmp(crossing, cs.crossing) != 0)
        return cm_fail(err, CM_RULE_VIOLATION, "body.crossing",
                       "consignment \"%s\" was declared for \"%s\", not \"%s\"", id, cs.crossing,
                       crossing);
    ev_place_state ps;
    int r = c->view->place(c->view->ctx, crossing, &ps);
    if (r < 0) return ev_store_failed(err);
    if (r == 1 && ps.closed)
        return cm_fail(err, CM_RULE_VIOLATION, "body.crossing",
                       "crossing \"%s\" is closed: nothing enters through it", crossing);
    if (new_transfer(c, transfer, err) || receiver_ok(c, to, "body.to", err)) return -1;
    open_transfer(fx, transfer, id, c->ev->org, to, crossing, 1);
    const json_t *lines = json_object_get(b, "lines");
    for (size_t i = 0; i < json_array_size(lines); i++) {
        long long no;
        ev_line_state ls;
        if (line_of(c, id, lines, i, "lines", &no, &ls, err)) return -1;
        long long q = ev_int(json_array_get(lines, i), "quantity", 0);
        if (ls.entered + q > ls.approved) {
            char field[CM_FIELD_MAX];
            return cm_fail(err, CM_RULE_VIOLATION, item_field(field, "lines", i, "quantity"),
                           "line %lld: %lld approved, %lld already entered, so %lld more cannot "
                           "enter",
                           no, ls.approved, ls.entered, q);
        }
        transfer_line(fx, FX_TRANSFER_LINE, transfer, no, q);
        move(fx, id, no, q, NULL, NULL, "pending", transfer);
    }
    touch(fx, id);
    return 0;
}

static int apply_transfer(const ev_ctx *c, ev_effects *fx, cm_error *err)
{
    const json_t *b = c->ev->body;
    const char *id = ev_str(b, "consignment"), *transfer = ev_str(b, "transfer");
    const char *to = ev_str(b, "to"), *place = ev_str(b, "place");
    ev_consignment_state cs;
    if (new_transfer(c, transfer, err) || ev_need_consignment(c, id, "body.consignment", &cs, err))
        return -1;
    if (strcmp(to, c->ev->org) == 0)
        return cm_fail(err, CM_RULE_VIOLATION, "body.to", "a transfer goes to another org");
    if (receiver_ok(c, to, "body.to", err)) return -1;
    if (ev_need_place(c, place, "body.place", NULL, err)) return -1;
    open_transfer(fx, transfer, id, c->ev->org, to, place, 0);
    return move_lines(c, fx, id, transfer, "held", c->ev->org, "pending", transfer, err);
}

/* The pending transfer body.transfer, which only its `to` org may close,
 * and the lines it carries. OUT: *ts, line[], sent[], *n. */
static int pending_for_me(const ev_ctx *c, ev_transfer_state *ts, long long *line, long long *sent,
                          size_t *n, cm_error *err)
{
    const char *transfer = ev_str(c->ev->body, "transfer");
    int r = c->view->transfer(c->view->ctx, transfer, ts);
    if (r < 0) return ev_store_failed(err);
    if (r == 0)
        return cm_fail(err, CM_RULE_VIOLATION, "body.transfer", "no transfer \"%s\" exists",
                       transfer);
    if (strcmp(ts->to, c->ev->org) != 0)
        return cm_fail(err, CM_FORBIDDEN, "org",
                       "transfer \"%s\" goes to \"%s\": only that org may accept or reject it",
                       transfer, ts->to);
    if (ts->status != TRANSFER_PENDING)
        return cm_fail(err, CM_RULE_VIOLATION, "body.transfer", "transfer \"%s\" was already %s",
                       transfer, ts->status == TRANSFER_ACCEPTED ? "accepted" : "rejected");
    if (c->view->transfer_lines(c->view->ctx, transfer, line, sent, EV_LINES_MAX, n) < 0)
        return ev_store_failed(err);
    return 0;
}

static int apply_accept(const ev_ctx *c, ev_effects *fx, cm_error *err)
{
    const json_t *b = c->ev->body;
    const char *transfer = ev_str(b, "transfer");
    ev_transfer_state ts;
    long long line[EV_LINES_MAX], sent[EV_LINES_MAX];
    size_t n = 0;
    if (pending_for_me(c, &ts, line, sent, &n, err)) return -1;
    const json_t *lines = json_object_get(b, "lines");
    if (json_array_size(lines) != n)
        return cm_fail(err, CM_RULE_VIOLATION, "body.lines",
                       "transfer \"%s\" carries %zu lines and each needs its received quantity",
                       transfer, n);
    close_transfer(fx, transfer, ev_str(b, "reason"), 1);
    for (size_t i = 0; i < n; i++) {
        const json_t *l = json_array_get(lines, i);
        long long no = ev_int(l, "line", 0), received = ev_int(l, "received", 0);
        char field[CM_FIELD_MAX];
        size_t k = 0;
        while (k < n && line[k] != no) k++;
        if (k == n)
            return cm_fail(err, CM_RULE_VIOLATION, item_field(field, "lines", i, "line"),
                           "transfer \"%s\" carries no line %lld", transfer, no);
        if (sent[k] < 0)
            return cm_fail(err, CM_BAD_REQUEST, item_field(field, "lines", i, "line"),
                           "line %lld is listed twice", no);
        if (received > sent[k])
            return cm_fail(err, CM_RULE_VIOLATION, item_field(field, "lines", i, "received"),
                           "%lld received is more than the %lld sent", received, sent[k]);
        transfer_line(fx, FX_TRANSFER_RECEIVED, transfer, no, received);
        if (received) move(fx, ts.consignment, no, received, "pending", transfer, "held", ts.to);
        if (sent[k] > received)
            move(fx, ts.consignment, no, sent[k] - received, "pending", transfer, "unaccounted",
                 ts.from);
        sent[k] = -1; /* seen */
    }
    touch(fx, ts.consignment);
    return 0;
}

static int apply_reject(const ev_ctx *c, ev_effects *fx, cm_error *err)
{
    const char *transfer = ev_str(c->ev->body, "transfer");
    ev_transfer_state ts;
    long long line[EV_LINES_MAX], sent[EV_LINES_MAX];
    size_t n = 0;
    if (pending_for_me(c, &ts, line, sent, &n, err)) return -1;
    close_transfer(fx, transfer, ev_str(c->ev->body, "reason"), 0);
    for (size_t i = 0; i < n; i++) {
        if (ts.entry)
            move(fx, ts.consignment, line[i], sent[i], "pending", transfer, NULL, NULL);
        else
            move(fx, ts.consignment, line[i], sent[i], "pending", transfer, "held", ts.from);
    }
    touch(fx, ts.consignment);
    return 0;
}

static int apply_distribution(const ev_ctx *c, ev_effects *fx, cm_error *err)
{
    const json_t *b = c->ev->body;
    const char *id = ev_str(b, "consignment"), *dist = ev_str(b, "distribution");
    const char *place = ev_str(b, "place");
    int r = c->view->distribution(c->view->ctx, dist);
    if (r < 0) return ev_store_failed(err);
    if (r == 1)
        return cm_fail(err, CM_RULE_VIOLATION, "body.distribution",
                       "distribution \"%s\" is already recorded", dist);
    ev_consignment_state cs;
    if (ev_need_consignment(c, id, "body.consignment", &cs, err) ||
        ev_need_place_kind(c, place, "body.place", "distribution_point", NULL, err))
        return -1;
    ev_fx *f = ev_fx_add(fx, FX_DISTRIBUTION);
    f->u.distribution.distribution = dist;
    f->u.distribution.consignment = id;
    f->u.distribution.place = place;
    f->u.distribution.households = ev_int(b, "households", -1);
    f->u.distribution.individuals = ev_int(b, "individuals", -1);
    return move_lines(c, fx, id, NULL, "held", c->ev->org, "distributed", NULL, err);
}

static int apply_loss(const ev_ctx *c, ev_effects *fx, cm_error *err)
{
    const json_t *b = c->ev->body;
    const char *id = ev_str(b, "consignment"), *loss = ev_str(b, "loss");
    const char *cause = ev_str(b, "cause"), *source = ev_str(b, "from");
    const char *whose = ev_str(b, "org") ? ev_str(b, "org") : c->ev->org;
    int r = c->view->loss(c->view->ctx, loss);
    if (r < 0) return ev_store_failed(err);
    if (r == 1)
        return cm_fail(err, CM_RULE_VIOLATION, "body.loss", "loss \"%s\" is already reported",
                       loss);
    if (strcmp(whose, c->ev->org) != 0) {
        if (!(c->signer_roles & ROLE_COORDINATOR) || strcmp(source, "unaccounted") != 0)
            return cm_fail(err, CM_FORBIDDEN, "body.org",
                           "only a coordinator may settle another org's unaccounted quantity");
    }
    ev_consignment_state cs;
    if (ev_need_consignment(c, id, "body.consignment", &cs, err)) return -1;
    ev_fx *f = ev_fx_add(fx, FX_LOSS);
    f->u.loss.loss = loss;
    f->u.loss.consignment = id;
    f->u.loss.cause = cause;
    f->u.loss.source = source;
    f->u.loss.org = whose;
    f->u.loss.incident = ev_str(b, "incident");
    return move_lines(c, fx, id, NULL, source, whose, "lost", cause, err);
}

#define HUM   ROLE_HUMANITARIAN
#define TRANS ROLE_TRANSPORTER

static const ev_type ev_consignment_declare = {"consignment.declare", HUM, 0, declare_body,
                                               apply_declare};
static const ev_type ev_consignment_screen = {"consignment.screen", ROLE_INSPECTOR, 0, screen_body,
                                              apply_screen};
static const ev_type ev_consignment_enter = {"consignment.enter", ROLE_INSPECTOR, 0, enter_body,
                                             apply_enter};
static const ev_type ev_custody_transfer = {"custody.transfer", HUM | TRANS, 0, transfer_body,
                                            apply_transfer};
static const ev_type ev_custody_accept = {"custody.accept", HUM | TRANS, 0, accept_body,
                                          apply_accept};
static const ev_type ev_custody_reject = {"custody.reject", HUM | TRANS, 0, reject_body,
                                          apply_reject};
static const ev_type ev_distribution_record = {"distribution.record", HUM, 0, distribution_body,
                                               apply_distribution};
static const ev_type ev_loss_report = {"loss.report", HUM | TRANS | ROLE_COORDINATOR, 0, loss_body,
                                       apply_loss};

const ev_type *const ev_supply_types[] = {
    &ev_consignment_declare, &ev_consignment_screen, &ev_consignment_enter,
    &ev_custody_transfer,    &ev_custody_accept,     &ev_custody_reject,
    &ev_distribution_record, &ev_loss_report,        NULL};
