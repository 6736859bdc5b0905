/*
 * registry.c: who may write and where things are (docs/protocol.md section 3,
 * "Registry"): org.admit, org.suspend, org.reinstate, key.add, key.revoke,
 * place.define, place.status.
 *
 * State kept (through effects):
 *   org    roles, name, names (by language), country, active | suspended
 *   key    keyid -> (org, public key), active | revoked
 *   place  kind, name, names (by language), lat, lon, sector, open | closed
 *
 * Rules:
 *   org.admit      the org is new; every key is new anywhere (else conflict)
 *   org.suspend    the org exists, is active, and is not the signer's own
 *   org.reinstate  the org exists and is suspended
 *   key.add        the org exists; the key is new anywhere (else conflict)
 *   key.revoke     the key is an active key of the org, not its last one
 *   place.define   the place is new
 *   place.status   the place exists
 */
#include "event/event.h"
#include "event/schema.h"

#include "common/codec.h"

#include <stdio.h>
#include <string.h>

static const char *const role_names[] = {"coordinator", "humanitarian", "inspector",
                                         "transporter", "military",     "contributor",
                                         "verifier",    "monitor",      NULL};
static const char *const place_kinds[] = {
    "crossing", "warehouse", "distribution_point", "depot", "collection_point", "other", NULL};
static const char *const place_statuses[] = {"open", "closed", NULL};

static const ev_field role_item[] = {{.name = "role", .type = FT_ENUM, .values = role_names}, {0}};
static const ev_field key_item[] = {{.name = "public_key", .type = FT_PUBKEY, .flags = FF_REQUIRED},
                                    {0}};

static const ev_field admit_body[] = {
    {.name = "org", .type = FT_ID, .flags = FF_REQUIRED},
    {.name = "name", .type = FT_TEXT, .flags = FF_REQUIRED, .max = 200},
    {.name = "roles",
     .type = FT_ARRAY,
     .flags = FF_REQUIRED | FF_UNIQUE,
     .min = 1,
     .max = ROLE_COUNT,
     .items = role_item},
    {.name = "keys",
     .type = FT_OBJECTS,
     .flags = FF_REQUIRED,
     .min = 1,
     .max = 16,
     .items = key_item},
    {.name = "country", .type = FT_TEXT, .max = 100},
    {.name = "names", .type = FT_NAMES, .max = 200},
    {0}};
static const ev_field suspend_body[] = {{.name = "org", .type = FT_ID, .flags = FF_REQUIRED},
                                        {.name = "reason", .type = FT_TEXT, .flags = FF_REQUIRED},
                                        {0}};
static const ev_field reinstate_body[] = {{.name = "org", .type = FT_ID, .flags = FF_REQUIRED},
                                          {0}};
static const ev_field key_add_body[] = {
    {.name = "org", .type = FT_ID, .flags = FF_REQUIRED},
    {.name = "public_key", .type = FT_PUBKEY, .flags = FF_REQUIRED},
    {0}};
static const ev_field key_revoke_body[] = {
    {.name = "org", .type = FT_ID, .flags = FF_REQUIRED},
    {.name = "keyid", .type = FT_KEYID, .flags = FF_REQUIRED},
    {.name = "reason", .type = FT_TEXT, .flags = FF_REQUIRED},
    {0}};
static const ev_field place_define_body[] = {
    {.name = "place", .type = FT_ID, .flags = FF_REQUIRED},
    {.name = "kind", .type = FT_ENUM, .flags = FF_REQUIRED, .values = place_kinds},
    {.name = "name", .type = FT_TEXT, .flags = FF_REQUIRED, .max = 200},
    {.name = "lat", .type = FT_LAT, .flags = FF_REQUIRED},
    {.name = "lon", .type = FT_LON, .flags = FF_REQUIRED},
    {.name = "sector", .type = FT_ID},
    {.name = "names", .type = FT_NAMES, .max = 200},
    {0}};
static const ev_field place_status_body[] = {
    {.name = "place", .type = FT_ID, .flags = FF_REQUIRED},
    {.name = "status", .type = FT_ENUM, .flags = FF_REQUIRED, .values = place_statuses},
    {.name = "reason", .type = FT_TEXT},
    {0}};

/* Looks up body.org, failing with rule_violation when it is not admitted. */
static int need_org(const ev_ctx *c, const char *org, ev_org_state *os, cm_error *err)
{
    int r = c->view->org(c->view->ctx, org, os);
    if (r < 0) return ev_store_failed(err);
    if (r == 0)
        return cm_fail(err, CM_RULE_VIOLATION, "body.org", "no organization \"%s\" is admitted",
                       org);
    return 0;
}

/* Adds FX_KEY_ADD for a new key, refusing a keyid already registered. */
static int add_key(const ev_ctx *c, const char *org, const char *b64, const char *field,
                   ev_effects *fx, size_t first_new, cm_error *err)
{
    uint8_t pub[LOG_PUBKEY_SIZE + 3];
    if (b64_decode(b64, strlen(b64), pub, sizeof pub) != LOG_PUBKEY_SIZE)
        return cm_fail(err, CM_BAD_REQUEST, field, "not a 32-byte public key");
    char keyid[LOG_KEYID_LEN + 1];
    log_keyid(pub, keyid);
    ev_key_state ks;
    int r = c->view->key(c->view->ctx, keyid, &ks);
    if (r < 0) return ev_store_failed(err);
    if (r == 1)
        return cm_fail(err, CM_CONFLICT, field,
                       "this key (keyid %s) is already registered to \"%s\": every org needs keys "
                       "of its own",
                       keyid, ks.org);
    for (size_t i = first_new; i < fx->n; i++)
        if (fx->v[i].kind == FX_KEY_ADD && strcmp(fx->v[i].u.key_add.keyid, keyid) == 0)
            return cm_fail(err, CM_CONFLICT, field, "this key (keyid %s) is listed twice", keyid);
    ev_fx *f = ev_fx_add(fx, FX_KEY_ADD);
    f->u.key_add.org = org;
    memcpy(f->u.key_add.keyid, keyid, sizeof keyid);
    memcpy(f->u.key_add.pub, pub, LOG_PUBKEY_SIZE);
    return 0;
}

static int apply_admit(const ev_ctx *c, ev_effects *fx, cm_error *err)
{
    const json_t *b = c->ev->body;
    const char *org = ev_str(b, "org");
    ev_org_state os;
    int r = c->view->org(c->view->ctx, org, &os);
    if (r < 0) return ev_store_failed(err);
    if (r == 1)
        return cm_fail(err, CM_RULE_VIOLATION, "body.org",
                       "organization \"%s\" is already admitted", org);
    unsigned roles = 0;
    const json_t *jr = json_object_get(b, "roles");
    for (size_t i = 0; i < json_array_size(jr); i++)
        roles |= ev_role_parse(json_string_value(json_array_get(jr, i)));
    size_t first = fx->n;
    ev_fx *f = ev_fx_add(fx, FX_ORG_ADMIT);
    f->u.org_admit.org = org;
    f->u.org_admit.name = ev_str(b, "name");
    f->u.org_admit.country = ev_str(b, "country");
    f->u.org_admit.names = json_object_get(b, "names");
    f->u.org_admit.roles = roles;
    const json_t *keys = json_object_get(b, "keys");
    for (size_t i = 0; i < json_array_size(keys); i++) {
        char field[64];
        snprintf(field, sizeof field, "body.keys[%zu].public_key", i);
        if (add_key(c, org, ev_str(json_array_get(keys, i), "public_key"), field, fx, first, err))
            return -1;
    }
    return 0;
}

static int apply_suspend(const ev_ctx *c, ev_effects *fx, cm_error *err)
{
    const char *org = ev_str(c->ev->body, "org");
    ev_org_state os;
    if (need_org(c, org, &os, err)) return -1;
    if (strcmp(org, c->ev->org) == 0)
        return cm_fail(err, CM_RULE_VIOLATION, "body.org", "an organization cannot suspend itself");
    if (os.suspended)
        return cm_fail(err, CM_RULE_VIOLATION, "body.org", "\"%s\" is already suspended", org);
    ev_fx *f = ev_fx_add(fx, FX_ORG_STATUS);
    f->u.org_status.org = org;
    f->u.org_status.reason = ev_str(c->ev->body, "reason");
    f->u.org_status.suspended = 1;
    return 0;
}

static int apply_reinstate(const ev_ctx *c, ev_effects *fx, cm_error *err)
{
    const char *org = ev_str(c->ev->body, "org");
    ev_org_state os;
    if (need_org(c, org, &os, err)) return -1;
    if (!os.suspended)
        return cm_fail(err, CM_RULE_VIOLATION, "body.org",
                       "\"%s\" is not suspended, so it cannot be reinstated", org);
    ev_fx *f = ev_fx_add(fx, FX_ORG_STATUS);
    f->u.org_status.org = org;
    f->u.org_status.suspended = 0;
    return 0;
}

static int apply_key_add(const ev_ctx *c, ev_effects *fx, cm_error *err)
{
    const char *org = ev_str(c->ev->body, "org");
    ev_org_state os;
    if (need_org(c, org, &os, err)) return -1;
    return add_key(c, org, ev_str(c->ev->body, "public_key"), "body.public_key", fx, fx->n, err);
}

static int apply_key_revoke(const ev_ctx *c, ev_effects *fx, cm_error *err)
{
    const json_t *b = c->ev->body;
    const char *org = ev_str(b, "org"), *keyid = ev_str(b, "keyid");
    ev_org_state os;
    if (need_org(c, org, &os, err)) return -1;
    ev_key_state ks;
    int r = c->view->key(c->view->ctx, keyid, &ks);
    if (r < 0) return ev_store_failed(err);
    if (r == 0 || strcmp(ks.org, org) != 0)
        return cm_fail(err, CM_RULE_VIOLATION, "body.keyid", "\"%s\" has no key with keyid %s", org,
                       keyid);
    if (ks.revoked)
        return cm_fail(err, CM_RULE_VIOLATION, "body.keyid", "key %s is already revoked", keyid);
    long long active = 0;
    if (c->view->active_keys(c->view->ctx, org, &active) < 0) return ev_store_failed(err);
    if (active <= 1)
        return cm_fail(err, CM_RULE_VIOLATION, "body.keyid",
                       "key %s is the last active key of \"%s\": add another key first", keyid,
                       org);
    ev_fx *f = ev_fx_add(fx, FX_KEY_REVOKE);
    f->u.key_revoke.keyid = keyid;
    f->u.key_revoke.reason = ev_str(b, "reason");
    return 0;
}

static int apply_place_define(const ev_ctx *c, ev_effects *fx, cm_error *err)
{
    const json_t *b = c->ev->body;
    const char *place = ev_str(b, "place");
    ev_place_state ps;
    int r = c->view->place(c->view->ctx, place, &ps);
    if (r < 0) return ev_store_failed(err);
    if (r == 1)
        return cm_fail(err, CM_RULE_VIOLATION, "body.place", "place \"%s\" is already defined",
                       place);
    ev_fx *f = ev_fx_add(fx, FX_PLACE_DEFINE);
    f->u.place_define.place = place;
    f->u.place_define.kind = ev_str(b, "kind");
    f->u.place_define.name = ev_str(b, "name");
    f->u.place_define.sector = ev_str(b, "sector");
    f->u.place_define.names = json_object_get(b, "names");
    f->u.place_define.lat = ev_num(b, "lat");
    f->u.place_define.lon = ev_num(b, "lon");
    return 0;
}

static int apply_place_status(const ev_ctx *c, ev_effects *fx, cm_error *err)
{
    const json_t *b = c->ev->body;
    const char *place = ev_str(b, "place");
    if (ev_need_place(c, place, "body.place", NULL, err)) return -1;
    ev_fx *f = ev_fx_add(fx, FX_PLACE_STATUS);
    f->u.place_status.place = place;
    f->u.place_status.reason = ev_str(b, "reason");
    f->u.place_status.closed = strcmp(ev_str(b, "status"), "closed") == 0;
    return 0;
}

const ev_type ev_org_admit = {"org.admit", ROLE_COORDINATOR, 0, admit_body, apply_admit};
static const ev_type ev_org_suspend = {"org.suspend", ROLE_COORDINATOR, 0, suspend_body,
                                       apply_suspend};
static const ev_type ev_org_reinstate = {"org.reinstate", ROLE_COORDINATOR, 0, reinstate_body,
                                         apply_reinstate};
static const ev_type ev_key_add = {"key.add", ROLE_COORDINATOR, EV_AUTH_SELF, key_add_body,
                                   apply_key_add};
static const ev_type ev_key_revoke = {"key.revoke", ROLE_COORDINATOR, EV_AUTH_SELF, key_revoke_body,
                                      apply_key_revoke};
static const ev_type ev_place_define = {"place.define", ROLE_COORDINATOR, 0, place_define_body,
                                        apply_place_define};
static const ev_type ev_place_status = {"place.status", ROLE_COORDINATOR, 0, place_status_body,
                                        apply_place_status};

const ev_type *const ev_registry_types[] = {
    &ev_org_admit,  &ev_org_suspend,  &ev_org_reinstate, &ev_key_add,
    &ev_key_revoke, &ev_place_define, &ev_place_status,  NULL};
