/*
 * types.c: the table of event types the log accepts. Each domain file
 * defines its types (name, roles, body fields, rule) and lists them in its
 * own NULL-terminated table (ev_<domain>_types); this file joins the
 * domains' tables, in the order of docs/protocol.md section 3, into the one
 * list searched by name. A new type of an existing domain is added in its
 * domain file only.
 */
#include "event/event.h"

#include <pthread.h>
#include <string.h>

static const ev_type *const *const domains[] = {
    ev_registry_types, ev_supply_types,      ev_deconfliction_types, ev_incidents_types,
    ev_force_types,    ev_disarmament_types, ev_alerts_types,
};

#define MAX_TYPES 128

static const ev_type *all[MAX_TYPES + 1];
static pthread_once_t all_once = PTHREAD_ONCE_INIT;

static void join(void)
{
    size_t n = 0;
    for (size_t d = 0; d < sizeof domains / sizeof domains[0]; d++)
        for (size_t i = 0; domains[d][i] && n < MAX_TYPES; i++) all[n++] = domains[d][i];
    all[n] = NULL;
}

const ev_type *const *ev_types(void)
{
    pthread_once(&all_once, join);
    return all;
}

const ev_type *ev_type_find(const char *name)
{
    const ev_type *const *t = ev_types();
    for (size_t i = 0; t[i]; i++)
        if (strcmp(t[i]->name, name) == 0) return t[i];
    return NULL;
}
