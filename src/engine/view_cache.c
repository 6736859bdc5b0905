/*
 * view_cache.c: the registry's answers (an org's roles and standing, a
 * key's org, bytes and standing) remembered from one entry to the next,
 * for the replay.
 *
 * Judging an event asks the store for its signer's key twice (the key
 * registered at that point, then the right to speak) and for its org once.
 * Consecutive entries are mostly signed by a handful of keys, and these
 * answers change only when an event admits, suspends or reinstates an org,
 * or adds or revokes a key: effects of kind FX_ORG_* and FX_KEY_*, after
 * which the replay forgets everything (srv_view_cache_applied). A small
 * table indexed by a hash of the name keeps the last answer for each slot,
 * "not there" included; any other lookup goes to the store unchanged.
 */
#include "engine/engine.h"

#include <string.h>

static size_t slot_of(const char *s)
{
    uint32_t h = 2166136261u; /* FNV-1a */
    for (; *s; s++) h = (h ^ (uint8_t)*s) * 16777619u;
    return h % SRV_VIEW_CACHE_SLOTS;
}

static int cached_org(void *ctx, const char *org, ev_org_state *out)
{
    srv_view_cache *c = ctx;
    struct srv_view_cache_org *o = &c->orgs[slot_of(org)];
    if (!o->known || strcmp(o->name, org) != 0) {
        if (strlen(org) >= sizeof o->name) return c->under.org(c->under.ctx, org, out);
        int r = c->under.org(c->under.ctx, org, &o->state);
        if (r < 0) return r;
        strcpy(o->name, org);
        o->found = r;
        o->known = 1;
    }
    if (o->found) *out = o->state;
    return o->found;
}

static int cached_key(void *ctx, const char *keyid, ev_key_state *out)
{
    srv_view_cache *c = ctx;
    struct srv_view_cache_key *k = &c->keys[slot_of(keyid)];
    if (!k->known || strcmp(k->keyid, keyid) != 0) {
        if (strlen(keyid) >= sizeof k->keyid) return c->under.key(c->under.ctx, keyid, out);
        int r = c->under.key(c->under.ctx, keyid, &k->state);
        if (r < 0) return r;
        strcpy(k->keyid, keyid);
        k->found = r;
        k->known = 1;
    }
    if (k->found) *out = k->state;
    return k->found;
}

/* The other lookups, passed to the store with its own context. */
#define PASS(name, params, args)                                                                   \
    static int pass_##name params                                                                  \
    {                                                                                              \
        srv_view_cache *c = ctx;                                                                   \
        return c->under.name args;                                                                 \
    }
PASS(active_keys, (void *ctx, const char *org, long long *count), (c->under.ctx, org, count))
PASS(place, (void *ctx, const char *place, ev_place_state *out), (c->under.ctx, place, out))
PASS(event_id, (void *ctx, const char *org, const char *id, uint64_t *index, ev_envelope *env),
     (c->under.ctx, org, id, index, env))
PASS(consignment, (void *ctx, const char *id, ev_consignment_state *out), (c->under.ctx, id, out))
PASS(line, (void *ctx, const char *consignment, long long line, ev_line_state *out),
     (c->under.ctx, consignment, line, out))
PASS(balance,
     (void *ctx, const char *consignment, long long line, const char *account, long long *qty),
     (c->under.ctx, consignment, line, account, qty))
PASS(transfer, (void *ctx, const char *id, ev_transfer_state *out), (c->under.ctx, id, out))
PASS(transfer_lines,
     (void *ctx, const char *transfer, long long *line, long long *sent, size_t cap, size_t *n),
     (c->under.ctx, transfer, line, sent, cap, n))
PASS(distribution, (void *ctx, const char *id), (c->under.ctx, id))
PASS(loss, (void *ctx, const char *id), (c->under.ctx, id))
PASS(thing, (void *ctx, ev_thing_kind kind, const char *id, ev_thing_state *out),
     (c->under.ctx, kind, id, out))
PASS(thing_note, (void *ctx, ev_thing_kind kind, const char *id, const char *note, json_t **body),
     (c->under.ctx, kind, id, note, body))
PASS(weapon_by_serial,
     (void *ctx, const char *category, const char *make, const char *serial,
      char id[EV_ID_MAX + 1]),
     (c->under.ctx, category, make, serial, id))
PASS(orgs_with_role, (void *ctx, unsigned role, char (*ids)[EV_ID_MAX + 1], size_t cap, size_t *n),
     (c->under.ctx, role, ids, cap, n))

void srv_view_cache_wrap(srv_view_cache *c, const ev_view *under, ev_view *out)
{
    c->under = *under;
    *out = (ev_view){
        .ctx = c,
        .size = under->size,
        .org = cached_org,
        .key = cached_key,
        .active_keys = pass_active_keys,
        .place = pass_place,
        .event_id = pass_event_id,
        .consignment = pass_consignment,
        .line = pass_line,
        .balance = pass_balance,
        .transfer = pass_transfer,
        .transfer_lines = pass_transfer_lines,
        .distribution = pass_distribution,
        .loss = pass_loss,
        .thing = pass_thing,
        .thing_note = pass_thing_note,
        .weapon_by_serial = pass_weapon_by_serial,
        .orgs_with_role = pass_orgs_with_role,
    };
}

void srv_view_cache_applied(srv_view_cache *c, const ev_effects *fx)
{
    for (size_t i = 0; i < fx->n; i++) switch (fx->v[i].kind) {
        case FX_ORG_ADMIT:
        case FX_ORG_STATUS:
        case FX_KEY_ADD:
        case FX_KEY_REVOKE:
            memset(c->orgs, 0, sizeof c->orgs);
            memset(c->keys, 0, sizeof c->keys);
            return;
        default:
            break;
        }
}
