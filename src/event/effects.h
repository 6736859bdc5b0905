/*
 * effects.h: what an accepted event changes (effects.c). A rule reads the
 * state and appends effects (ev_fx, one kind each) to an ev_effects list;
 * the store applies the list inside the transaction that appends the entry
 * (store_apply, which dispatches each kind by a table). Strings in an
 * effect are borrowed from the event and live as long as it does.
 */
#ifndef CMCC_EVENT_EFFECTS_H
#define CMCC_EVENT_EFFECTS_H

#include "event/limits.h"
#include "event/thing.h"
#include "log/log.h"

#include <jansson.h>
#include <stddef.h>

typedef enum {
    FX_ORG_ADMIT,
    FX_ORG_STATUS,
    FX_KEY_ADD,
    FX_KEY_REVOKE,
    FX_PLACE_DEFINE,
    FX_PLACE_STATUS,
    FX_CONSIGNMENT_DECLARE,
    FX_LINE_DECLARE,
    FX_LINE_SCREEN,
    FX_CONSIGNMENT_SCREENED,
    FX_TRANSFER_OPEN,
    FX_TRANSFER_LINE,
    FX_TRANSFER_RECEIVED,
    FX_TRANSFER_CLOSE,
    FX_MOVE,
    FX_DISTRIBUTION,
    FX_LOSS,
    FX_TOUCH,
    FX_THING_PUT,    /* create or replace a thing: owner, status, body */
    FX_THING_STATUS, /* a thing's new status */
    FX_THING_NOTE,   /* a note in a thing's history (a response, an assessment, ...) */
} ev_fx_kind;

typedef struct {
    ev_fx_kind kind;
    union {
        struct {
            const char *org, *name, *country;
            const json_t *names; /* NULL, or the body's "names" object */
            unsigned roles;
        } org_admit;
        struct {
            const char *org, *reason;
            int suspended;
        } org_status;
        struct {
            const char *org;
            char keyid[LOG_KEYID_LEN + 1];
            uint8_t pub[LOG_PUBKEY_SIZE];
        } key_add;
        struct {
            const char *keyid, *reason;
        } key_revoke;
        struct {
            const char *place, *kind, *name, *sector;
            const json_t *names; /* NULL, or the body's "names" object */
            double lat, lon;
        } place_define;
        struct {
            const char *place, *reason;
            int closed;
        } place_status;
        struct {
            const char *consignment, *crossing, *consignee, *donor, *reference;
        } consignment_declare;
        struct {
            const char *consignment, *item, *category, *unit;
            long long line, quantity;
            double weight_kg; /* < 0 when not given */
        } line_declare;
        struct {
            const char *consignment, *reason;
            long long line, approved;
        } line_screen;
        struct {
            /* a copy: accept and reject read it from the store, not the event */
            char consignment[EV_ID_MAX + 1];
        } consignment; /* FX_CONSIGNMENT_SCREENED, FX_TOUCH */
        struct {
            const char *transfer, *consignment, *from, *to, *place;
            int entry;
        } transfer_open;
        struct {
            const char *transfer;
            long long line, qty; /* sent (FX_TRANSFER_LINE) or received */
        } transfer_line;
        struct {
            const char *transfer, *reason;
            int accepted;
        } transfer_close;
        struct {
            char consignment[EV_ID_MAX + 1]; /* a copy, as for FX_TOUCH */
            long long line, qty;
            /* "" is outside the ledger: from "" is an entry, to "" its return */
            char from[EV_ACCOUNT_MAX], to[EV_ACCOUNT_MAX];
        } move;
        struct {
            const char *distribution, *consignment, *place;
            long long households, individuals; /* -1 when not given */
        } distribution;
        struct {
            const char *loss, *consignment, *cause, *source, *org, *incident;
        } loss;
        struct {
            ev_thing_kind kind;
            const char *id, *status;
            const json_t *body; /* FX_THING_PUT, FX_THING_NOTE */
            const char *note;   /* FX_THING_NOTE: what kind of note ("response", ...) */
            int latest_per_org; /* FX_THING_NOTE: replaces this org's earlier note */
        } thing;
    } u;
    json_t *owned; /* what the rule made for this effect (a body), released with it */
} ev_fx;

typedef struct {
    ev_fx *v;
    size_t n, cap;
} ev_effects;

/* The rows a rule looks up by name before it makes them: ev_view's place,
 * consignment, transfer, distribution, loss and thing lookups (event.h)
 * find only what these effects made; others change such rows, none makes
 * one. */
typedef enum {
    EV_MADE_NONE,
    EV_MADE_PLACE,        /* FX_PLACE_DEFINE */
    EV_MADE_CONSIGNMENT,  /* FX_CONSIGNMENT_DECLARE */
    EV_MADE_TRANSFER,     /* FX_TRANSFER_OPEN */
    EV_MADE_DISTRIBUTION, /* FX_DISTRIBUTION */
    EV_MADE_LOSS,         /* FX_LOSS */
    EV_MADE_THING,        /* FX_THING_PUT */
} ev_made;
/* The row of those that f makes, its name in *name and, for a thing, its
 * kind in *kind; EV_MADE_NONE when f makes none. */
ev_made ev_fx_made(const ev_fx *f, const char **name, ev_thing_kind *kind);

/* Appends a zeroed effect of kind and returns it. */
ev_fx *ev_fx_add(ev_effects *fx, ev_fx_kind kind);
void ev_effects_reset(ev_effects *fx);
/* 1 when effect i moves a line no earlier effect of fx moved (the lines
 * whose ledger invariant is checked once an event's effects are written). */
int ev_fx_first_move(const ev_effects *fx, size_t i);
/* Drops the effects from mark on (those of a refused event). */
void ev_effects_truncate(ev_effects *fx, size_t mark);
void ev_effects_free(ev_effects *fx);

#endif
