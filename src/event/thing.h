/*
 * thing.h: the kinds of things (sites, zones, movements, incidents,
 * requirements, pledges, weapon records, benchmarks, alert follow-ups):
 * records with an owner, a status, a body and a history, whose view,
 * effects and storage are generic (things.c, store_things.c).
 */
#ifndef CMCC_EVENT_THING_H
#define CMCC_EVENT_THING_H

typedef enum {
    THING_SITE,
    THING_ZONE,
    THING_MOVEMENT,
    THING_INCIDENT,
    THING_REQUIREMENT,
    THING_PLEDGE,
    THING_WEAPON,
    THING_BENCHMARK,
    THING_ALERT, /* an alert's follow-up, by its key (alerts.c) */
    THING_KINDS
} ev_thing_kind;

/* The kind's name ("site", "zone", ...). */
const char *ev_thing_name(ev_thing_kind kind);

#endif
