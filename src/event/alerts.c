/*
 * alerts.c: following up alerts (docs/protocol.md section 3, "Alert
 * follow-up").
 *
 * Alerts are derived when read, never stored; what people do about them is
 * stored, as signed events naming the alert by its key, the kind and the
 * subject joined by "/" (a character no identifier holds, so a key is read
 * back without doubt):
 *
 *   transfer_pending/<transfer>
 *   unaccounted/<consignment>/<line>/<org>
 *   idle_holding/<consignment>/<line>/<org>
 *   loss_rate/<org>
 *
 *   alert.acknowledge  {alert, note?}      someone is on it
 *   alert.assign       {alert, to, note?}  coordinator or monitor: `to` (an
 *                                          active org) is to deal with it
 *   alert.resolve      {alert, note}       it is dealt with, and how
 *
 * A key that is not of this form is bad_request on body.alert; a subject
 * that does not exist (no such transfer, consignment line or org) is
 * rule_violation. Whether the alert is current is not checked: that depends
 * on the clock and on thresholds that are configuration, and a rule must be
 * a function of the log alone (and a device may sign offline).
 *
 * Who: a coordinator or monitor may follow up any alert; acknowledge and
 * resolve also the orgs the alert concerns (the transfer's sender and
 * receiver; the org of an unaccounted balance, a holding or a loss rate)
 * and the org it is assigned to; anyone else is forbidden (field org).
 *
 * State: a thing of kind "alert" per key (its status: acknowledged,
 * assigned or resolved; "open" when there is none), with each follow-up a
 * note ("acknowledge", "assign", "resolve") in its history. A follow-up of
 * an alert about a consignment is also one of the consignment's events.
 * Acknowledging an acknowledged alert, assigning it to the org it is
 * already assigned to, or resolving a resolved one is rule_violation; an
 * acknowledgement or assignment of a resolved alert reopens it.
 */
#include "event/event.h"
#include "event/schema.h"
#include "event/things.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

const char *const ev_alert_kinds[] = {"transfer_pending", "unaccounted", "idle_holding",
                                      "loss_rate", NULL};

static const ev_field acknowledge_body[] = {
    {.name = "alert", .type = FT_TEXT, .flags = FF_REQUIRED},
    {.name = "note", .type = FT_TEXT},
    {0}};
static const ev_field assign_body[] = {{.name = "alert", .type = FT_TEXT, .flags = FF_REQUIRED},
                                       {.name = "to", .type = FT_ID, .flags = FF_REQUIRED},
                                       {.name = "note", .type = FT_TEXT},
                                       {0}};
static const ev_field resolve_body[] = {{.name = "alert", .type = FT_TEXT, .flags = FF_REQUIRED},
                                        {.name = "note", .type = FT_TEXT, .flags = FF_REQUIRED},
                                        {0}};

/* The parts of a key: how many each kind has, kind included. */
static const int parts_of[] = {2, 4, 4, 2};

#define KEY_FORMS                                                                                  \
    "transfer_pending/TRANSFER, unaccounted/CONSIGNMENT/LINE/ORG, "                                \
    "idle_holding/CONSIGNMENT/LINE/ORG or loss_rate/ORG"

static int bad_key(cm_error *err, const char *key, const char *why)
{
    return cm_fail(err, CM_BAD_REQUEST, "body.alert",
                   "\"%.200s\" is not an alert key (%s): give %s", key, why, KEY_FORMS);
}

/* A line number as a key writes it: 1..100000, no sign, no leading zero. */
static int line_of(const char *s, long long *line)
{
    size_t n = strlen(s);
    if (n == 0 || n > 6 || s[0] == '0' || strspn(s, "0123456789") != n) return -1;
    *line = strtoll(s, NULL, 10);
    return *line <= 100000 ? 0 : -1;
}

int ev_alert_key_parse(const char *key, ev_alert_key *out, cm_error *err)
{
    memset(out, 0, sizeof *out);
    char part[4][EV_ID_MAX + 1];
    int n = 0;
    for (const char *p = key;; n++) {
        size_t len = strcspn(p, "/");
        if (n == 4) return bad_key(err, key, "too many parts");
        if (len > EV_ID_MAX) return bad_key(err, key, "a part is longer than 64 characters");
        memcpy(part[n], p, len);
        part[n][len] = '\0';
        if (!p[len]) {
            n++;
            break;
        }
        p += len + 1;
    }
    out->kind = -1;
    for (int i = 0; ev_alert_kinds[i]; i++)
        if (strcmp(part[0], ev_alert_kinds[i]) == 0) out->kind = i;
    if (out->kind < 0) return bad_key(err, key, "no alert is of that kind");
    if (n != parts_of[out->kind]) return bad_key(err, key, "the wrong number of parts");
    for (int i = 1; i < n; i++)
        if (!(n == 4 && i == 2) && !ev_is_id(part[i]))
            return bad_key(err, key, "a part is not an identifier");
    if (n == 2) {
        snprintf(out->subject, sizeof out->subject, "%s", part[1]);
        if (out->kind == EV_ALERT_LOSS_RATE) snprintf(out->org, sizeof out->org, "%s", part[1]);
        return 0;
    }
    if (line_of(part[2], &out->line))
        return bad_key(err, key, "the line is not a number from 1 to 100000");
    snprintf(out->subject, sizeof out->subject, "%s", part[1]);
    snprintf(out->org, sizeof out->org, "%s", part[3]);
    return 0;
}

/* The alert's subject exists; fills the orgs it concerns and its
 * consignment (empty when it has none). */
typedef struct {
    char org[2][EV_ID_MAX + 1];
    char consignment[EV_ID_MAX + 1];
} concern;

static int need_org(const ev_ctx *c, const char *org, cm_error *err)
{
    ev_org_state os;
    int r = c->view->org(c->view->ctx, org, &os);
    if (r < 0) return ev_store_failed(err);
    if (r == 0)
        return cm_fail(err, CM_RULE_VIOLATION, "body.alert",
                       "no organization \"%s\" is admitted, so it has no such alert", org);
    return 0;
}

static int subject(const ev_ctx *c, const ev_alert_key *k, concern *out, cm_error *err)
{
    memset(out, 0, sizeof *out);
    if (k->kind == EV_ALERT_TRANSFER_PENDING) {
        ev_transfer_state ts;
        int r = c->view->transfer(c->view->ctx, k->subject, &ts);
        if (r < 0) return ev_store_failed(err);
        if (r == 0)
            return cm_fail(err, CM_RULE_VIOLATION, "body.alert", "no transfer \"%s\" was opened",
                           k->subject);
        snprintf(out->org[0], sizeof out->org[0], "%s", ts.from);
        snprintf(out->org[1], sizeof out->org[1], "%s", ts.to);
        snprintf(out->consignment, sizeof out->consignment, "%s", ts.consignment);
        return 0;
    }
    if (k->kind != EV_ALERT_LOSS_RATE) {
        if (ev_need_consignment(c, k->subject, "body.alert", NULL, err)) return -1;
        ev_line_state ls;
        int r = c->view->line(c->view->ctx, k->subject, k->line, &ls);
        if (r < 0) return ev_store_failed(err);
        if (r == 0)
            return cm_fail(err, CM_RULE_VIOLATION, "body.alert",
                           "consignment \"%s\" has no line %lld", k->subject, k->line);
        snprintf(out->consignment, sizeof out->consignment, "%s", k->subject);
    }
    if (need_org(c, k->org, err)) return -1;
    snprintf(out->org[0], sizeof out->org[0], "%s", k->org);
    return 0;
}

/* The org the alert was last assigned to, into to ("" for none). */
static int assignee(const ev_ctx *c, const char *key, char to[EV_ID_MAX + 1], cm_error *err)
{
    json_t *body = NULL;
    to[0] = '\0';
    int r = c->view->thing_note(c->view->ctx, THING_ALERT, key, "assign", &body);
    if (r < 0) return ev_store_failed(err);
    if (r == 1) {
        const char *s = ev_str(body, "to");
        snprintf(to, EV_ID_MAX + 1, "%s", s ? s : "");
    }
    json_decref(body);
    return 0;
}

/* Everything the three types share: the key, the subject, the alert's
 * status ("open" when never followed up) and its assignee; with
 * any_concerned, the signer must be a coordinator, a monitor, an org the
 * alert concerns or its assignee. */
typedef struct {
    const char *key;
    concern who;
    char status[32], to[EV_ID_MAX + 1];
} follow;

static int prepare(const ev_ctx *c, follow *f, int any_concerned, cm_error *err)
{
    ev_alert_key k;
    f->key = ev_str(c->ev->body, "alert");
    if (ev_alert_key_parse(f->key, &k, err) || subject(c, &k, &f->who, err)) return -1;
    ev_thing_state ts;
    int r = ev_thing_get(c, THING_ALERT, f->key, &ts, err);
    if (r < 0) return -1;
    json_decref(ts.body);
    snprintf(f->status, sizeof f->status, "%s", r ? ts.status : "open");
    if (assignee(c, f->key, f->to, err)) return -1;
    if (!any_concerned || (c->signer_roles & (ROLE_COORDINATOR | ROLE_MONITOR))) return 0;
    const char *me = c->ev->org;
    if (strcmp(me, f->who.org[0]) == 0 || strcmp(me, f->who.org[1]) == 0 || strcmp(me, f->to) == 0)
        return 0;
    return cm_fail(err, CM_FORBIDDEN, "org",
                   "alert %s does not concern \"%s\": only a coordinator, a monitor, the "
                   "organizations it concerns or the one it is assigned to may follow it up",
                   f->key, me);
}

static void effects(const ev_ctx *c, const follow *f, ev_effects *fx, const char *status,
                    const char *note)
{
    ev_fx_thing_put(fx, THING_ALERT, f->key, status, c->ev->body);
    ev_fx_thing_note(fx, THING_ALERT, f->key, note, c->ev->body, 0);
    if (f->who.consignment[0]) {
        ev_fx *t = ev_fx_add(fx, FX_TOUCH);
        snprintf(t->u.consignment.consignment, sizeof t->u.consignment.consignment, "%s",
                 f->who.consignment);
    }
}

static int apply_acknowledge(const ev_ctx *c, ev_effects *fx, cm_error *err)
{
    follow f;
    if (prepare(c, &f, 1, err)) return -1;
    if (strcmp(f.status, "acknowledged") == 0)
        return cm_fail(err, CM_RULE_VIOLATION, "body.alert",
                       "alert %s is already acknowledged: assign or resolve it", f.key);
    effects(c, &f, fx, "acknowledged", "acknowledge");
    return 0;
}

static int apply_assign(const ev_ctx *c, ev_effects *fx, cm_error *err)
{
    follow f;
    if (prepare(c, &f, 0, err)) return -1;
    const char *to = ev_str(c->ev->body, "to");
    ev_org_state os;
    int r = c->view->org(c->view->ctx, to, &os);
    if (r < 0) return ev_store_failed(err);
    if (r == 0)
        return cm_fail(err, CM_RULE_VIOLATION, "body.to", "\"%s\" is not an admitted organization",
                       to);
    if (os.suspended)
        return cm_fail(err, CM_RULE_VIOLATION, "body.to",
                       "\"%s\" is suspended: assign the alert to an active organization", to);
    if (strcmp(f.status, "resolved") != 0 && strcmp(f.to, to) == 0)
        return cm_fail(err, CM_RULE_VIOLATION, "body.to", "alert %s is already assigned to \"%s\"",
                       f.key, to);
    effects(c, &f, fx, "assigned", "assign");
    return 0;
}

static int apply_resolve(const ev_ctx *c, ev_effects *fx, cm_error *err)
{
    follow f;
    if (prepare(c, &f, 1, err)) return -1;
    if (strcmp(f.status, "resolved") == 0)
        return cm_fail(err, CM_RULE_VIOLATION, "body.alert",
                       "alert %s is already resolved: acknowledge it to reopen it", f.key);
    effects(c, &f, fx, "resolved", "resolve");
    return 0;
}

static const ev_type ev_alert_acknowledge = {"alert.acknowledge", 0, EV_AUTH_ANY, acknowledge_body,
                                             apply_acknowledge};
static const ev_type ev_alert_assign = {"alert.assign", ROLE_COORDINATOR | ROLE_MONITOR, 0,
                                        assign_body, apply_assign};
static const ev_type ev_alert_resolve = {"alert.resolve", 0, EV_AUTH_ANY, resolve_body,
                                         apply_resolve};

const ev_type *const ev_alerts_types[] = {&ev_alert_acknowledge, &ev_alert_assign,
                                          &ev_alert_resolve, NULL};
