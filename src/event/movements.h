/*
 * movements.h: what is derived when movements and sites are read
 * (movements.c): a movement's status from its answers, who it waits for,
 * and its warnings (zones crossed, short notice); a site's warnings.
 * Computed from the things the store returns, never stored.
 */
#ifndef CMCC_EVENT_MOVEMENTS_H
#define CMCC_EVENT_MOVEMENTS_H

#include "event/limits.h"

#include <jansson.h>
#include <stddef.h>

/* Adds to a movement (an element of store_things_json) "movement_status",
 * "answers", "waiting_for", "conditional", "time_to_acknowledge_s" and
 * "warnings", given the zones (store_things_json of THING_ZONE) and the
 * active military orgs. */
void ev_movement_derive(json_t *m, const json_t *zones, char (*military)[EV_ID_MAX + 1],
                        size_t nmil);
/* Adds "warnings" to a site: inside an active closed zone in force. */
void ev_site_derive(json_t *site, const json_t *zones);

#endif
