/*
 * effects.c: the list of effects an accepted event returns (see event.h).
 * A plain growable array; entries borrow their strings from the event, but
 * for consignment ids, which accept and reject read from the store: copied.
 */
#include "event/effects.h"
#include "event/event.h"

#include "common/mem.h"

#include <stdlib.h>
#include <string.h>

ev_fx *ev_fx_add(ev_effects *fx, ev_fx_kind kind)
{
    if (fx->n == fx->cap) {
        fx->cap = fx->cap ? fx->cap * 2 : 8;
        fx->v = xrealloc(fx->v, fx->cap * sizeof *fx->v);
    }
    ev_fx *f = &fx->v[fx->n++];
    memset(f, 0, sizeof *f);
    f->kind = kind;
    return f;
}

ev_made ev_fx_made(const ev_fx *f, const char **name, ev_thing_kind *kind)
{
    switch (f->kind) {
    case FX_PLACE_DEFINE:
        *name = f->u.place_define.place;
        return EV_MADE_PLACE;
    case FX_CONSIGNMENT_DECLARE:
        *name = f->u.consignment_declare.consignment;
        return EV_MADE_CONSIGNMENT;
    case FX_TRANSFER_OPEN:
        *name = f->u.transfer_open.transfer;
        return EV_MADE_TRANSFER;
    case FX_DISTRIBUTION:
        *name = f->u.distribution.distribution;
        return EV_MADE_DISTRIBUTION;
    case FX_LOSS:
        *name = f->u.loss.loss;
        return EV_MADE_LOSS;
    case FX_THING_PUT:
        *name = f->u.thing.id;
        *kind = f->u.thing.kind;
        return EV_MADE_THING;
    default:
        return EV_MADE_NONE;
    }
}

int ev_fx_first_move(const ev_effects *fx, size_t i)
{
    const ev_fx *f = &fx->v[i];
    if (f->kind != FX_MOVE) return 0;
    for (size_t k = 0; k < i; k++)
        if (fx->v[k].kind == FX_MOVE && fx->v[k].u.move.line == f->u.move.line &&
            strcmp(fx->v[k].u.move.consignment, f->u.move.consignment) == 0)
            return 0;
    return 1;
}

void ev_effects_truncate(ev_effects *fx, size_t mark)
{
    for (size_t i = mark; i < fx->n; i++) json_decref(fx->v[i].owned);
    if (mark < fx->n) fx->n = mark;
}

void ev_effects_reset(ev_effects *fx)
{
    ev_effects_truncate(fx, 0);
}

void ev_effects_free(ev_effects *fx)
{
    ev_effects_reset(fx);
    free(fx->v);
    fx->v = NULL;
    fx->n = fx->cap = 0;
}
