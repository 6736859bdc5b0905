/*
 * apply.c: judging a signed, parsed event against the current state.
 *
 * Order (docs/protocol.md, "Order of checks"): the caller has checked the
 * envelope, the signature (with ev_signer_key) and the payload; here come
 * the signer's right to speak (the key is the event's org's, the org's
 * roles may write the type), idempotency by (org, id), the signer's
 * standing (the org is active, the key is active), then the type's rules.
 * The first failure answers. The right to speak comes before idempotency so
 * that a signer of another org learns nothing of the ids an org has used;
 * standing comes after it, so that the org's own client retrying after a
 * lost answer gets its receipt even once its key is revoked or its org
 * suspended. Nothing here writes: an accepted event returns effects.
 *
 * Genesis: entry 0 is the coordinator's org.admit, signed by one of the keys
 * it admits; before it, nothing else is accepted.
 */
#include "event/event.h"
#include "event/schema.h"

#include "common/codec.h"

#include <string.h>

int ev_store_failed(cm_error *err)
{
    return cm_fail(err, CM_INTERNAL, "", "the store could not be read");
}

int ev_need_place(const ev_ctx *c, const char *place, const char *field, ev_place_state *out,
                  cm_error *err)
{
    ev_place_state ps;
    if (!place) return 0;
    int r = c->view->place(c->view->ctx, place, out ? out : &ps);
    if (r < 0) return ev_store_failed(err);
    if (r == 0) return cm_fail(err, CM_RULE_VIOLATION, field, "no place \"%s\" is defined", place);
    return 0;
}

int ev_need_place_kind(const ev_ctx *c, const char *place, const char *field, const char *k1,
                       const char *k2, cm_error *err)
{
    ev_place_state ps;
    if (ev_need_place(c, place, field, &ps, err)) return -1;
    if (strcmp(ps.kind, k1) != 0 && (!k2 || strcmp(ps.kind, k2) != 0))
        return cm_fail(err, CM_RULE_VIOLATION, field, "\"%s\" is a %s, not a %s%s%s", place,
                       ps.kind, k1, k2 ? " or a " : "", k2 ? k2 : "");
    return 0;
}

int ev_need_consignment(const ev_ctx *c, const char *id, const char *field,
                        ev_consignment_state *out, cm_error *err)
{
    ev_consignment_state cs;
    if (!id) return 0;
    int r = c->view->consignment(c->view->ctx, id, out ? out : &cs);
    if (r < 0) return ev_store_failed(err);
    if (r == 0)
        return cm_fail(err, CM_RULE_VIOLATION, field, "no consignment \"%s\" was declared", id);
    return 0;
}

int ev_signer_key(const ev_view *v, const ev_event *e, uint8_t pub[LOG_PUBKEY_SIZE], cm_error *err)
{
    if (v->size == 0) {
        if (e->type != &ev_org_admit)
            return cm_fail(err, CM_RULE_VIOLATION, "type",
                           "the log is empty: its first entry must be the coordinator's "
                           "org.admit");
        const json_t *keys = json_object_get(e->body, "keys");
        for (size_t i = 0; i < json_array_size(keys); i++) {
            const char *b64 = ev_str(json_array_get(keys, i), "public_key");
            uint8_t k[LOG_PUBKEY_SIZE + 3];
            char id[LOG_KEYID_LEN + 1];
            if (b64_decode(b64, strlen(b64), k, sizeof k) != LOG_PUBKEY_SIZE) continue;
            log_keyid(k, id);
            if (strcmp(id, e->env.keyid) == 0) {
                memcpy(pub, k, LOG_PUBKEY_SIZE);
                return 0;
            }
        }
        return cm_fail(err, CM_UNKNOWN_KEY, "signatures[0].keyid",
                       "the first org.admit must be signed by one of the keys it admits");
    }
    ev_key_state ks;
    int r = v->key(v->ctx, e->env.keyid, &ks);
    if (r < 0) return ev_store_failed(err);
    if (r == 0)
        return cm_fail(err, CM_UNKNOWN_KEY, "signatures[0].keyid",
                       "no registered key has keyid %s: the coordinator must admit it first "
                       "(org.admit or key.add)",
                       e->env.keyid);
    memcpy(pub, ks.pub, LOG_PUBKEY_SIZE);
    return 0;
}

static int genesis(const ev_view *v, const ev_event *e, ev_effects *fx, cm_error *err)
{
    if (e->type != &ev_org_admit)
        return cm_fail(err, CM_RULE_VIOLATION, "type",
                       "the log is empty: its first entry must be the coordinator's org.admit");
    const char *org = ev_str(e->body, "org");
    if (strcmp(org, e->org) != 0)
        return cm_fail(err, CM_RULE_VIOLATION, "body.org",
                       "the first org.admit admits the organization that signs it");
    int coord = 0;
    const json_t *roles = json_object_get(e->body, "roles");
    for (size_t i = 0; i < json_array_size(roles); i++)
        coord |= ev_role_parse(json_string_value(json_array_get(roles, i))) == ROLE_COORDINATOR;
    if (!coord)
        return cm_fail(err, CM_RULE_VIOLATION, "body.roles",
                       "the first organization of a log must have the coordinator role");
    ev_ctx c = {v, e, ROLE_COORDINATOR};
    return e->type->apply(&c, fx, err);
}

/* The signer may speak for the event's org: its key is one of the org's,
 * and the org's roles may write the type. Depends on nothing but the
 * signer's own org, so it may answer before idempotency. */
static int speaks_for(const ev_view *v, const ev_event *e, ev_key_state *ks, ev_org_state *os,
                      cm_error *err)
{
    int r = v->key(v->ctx, e->env.keyid, ks);
    if (r < 0) return ev_store_failed(err);
    if (r == 0)
        return cm_fail(err, CM_UNKNOWN_KEY, "signatures[0].keyid", "no registered key has keyid %s",
                       e->env.keyid);
    if (strcmp(ks->org, e->org) != 0)
        return cm_fail(err, CM_FORBIDDEN, "org",
                       "the signing key %s belongs to \"%s\", not to \"%s\": sign with a key of "
                       "the event's org",
                       e->env.keyid, ks->org, e->org);
    r = v->org(v->ctx, e->org, os);
    if (r < 0) return ev_store_failed(err);
    if (r == 0)
        return cm_fail(err, CM_FORBIDDEN, "org", "organization \"%s\" is not admitted", e->org);
    const ev_type *t = e->type;
    const char *target = ev_str(e->body, "org");
    int allowed = (os->roles & t->roles) || (t->auth & EV_AUTH_ANY) ||
                  ((t->auth & EV_AUTH_SELF) && target && strcmp(target, e->org) == 0);
    if (!allowed) {
        cm_buf have = CM_BUF_INIT, need = CM_BUF_INIT;
        ev_roles_text(os->roles, &have);
        ev_roles_text(t->roles, &need);
        cm_fail(err, CM_FORBIDDEN, "type", "\"%s\" (roles: %s) may not write %s; it takes: %s%s",
                e->org, have.data ? have.data : "none", t->name, need.data,
                (t->auth & EV_AUTH_SELF) ? ", or the org itself" : "");
        buf_free(&have);
        buf_free(&need);
        return -1;
    }
    return 0;
}

/* The signer's standing: its org is active and its key is not revoked. */
static int standing(const ev_event *e, const ev_key_state *ks, const ev_org_state *os,
                    cm_error *err)
{
    if (os->suspended)
        return cm_fail(err, CM_ORG_SUSPENDED, "org",
                       "organization \"%s\" is suspended and cannot sign events", e->org);
    if (ks->revoked)
        return cm_fail(err, CM_KEY_REVOKED, "signatures[0].keyid",
                       "key %s was revoked: sign with an active key of \"%s\"", e->env.keyid,
                       e->org);
    return 0;
}

ev_verdict ev_apply(const ev_view *v, const ev_event *e, ev_effects *fx, uint64_t *dup_index,
                    cm_error *err)
{
    size_t mark = fx->n;
    ev_key_state ks;
    ev_org_state os;
    if (v->size > 0 && speaks_for(v, e, &ks, &os, err)) return EV_REFUSED;
    uint64_t idx = 0;
    ev_envelope prev = {0};
    int r = v->event_id(v->ctx, e->org, e->id, &idx, &prev);
    if (r < 0) return ev_store_failed(err), EV_REFUSED;
    if (r == 1) {
        /* with no envelope at hand (a replay), the id alone repeats */
        int same = !prev.payload || ev_envelope_same(&prev, &e->env);
        ev_envelope_free(&prev);
        if (same) {
            *dup_index = idx;
            return EV_DUPLICATE;
        }
        cm_fail(err, CM_CONFLICT, "id",
                "id \"%s\" of \"%s\" was already used (entry %llu) for another event: give "
                "each event a new id",
                e->id, e->org, (unsigned long long)idx);
        return EV_REFUSED;
    }
    int rc;
    if (v->size == 0) {
        rc = genesis(v, e, fx, err);
    } else {
        rc = standing(e, &ks, &os, err);
        if (rc == 0) {
            ev_ctx c = {v, e, os.roles};
            rc = e->type->apply(&c, fx, err);
        }
    }
    if (rc) {
        ev_effects_truncate(fx, mark);
        return EV_REFUSED;
    }
    return EV_ACCEPTED;
}
