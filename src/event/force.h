/*
 * force.h: what is derived when force requirements are read (force.c):
 * the gap analysis of a requirement against every pledge. Computed from
 * the things the store returns, never stored.
 */
#ifndef CMCC_EVENT_FORCE_H
#define CMCC_EVENT_FORCE_H

#include <jansson.h>

/* Adds the gap analysis to a requirement (an element of store_things_json
 * of THING_REQUIREMENT) from every pledge (store_things_json of
 * THING_PLEDGE): "pledged", "eligible" by readiness level,
 * "eligible_level2_or_above", "deployed", "gap", "counted" (pledge ids) and
 * "excluded" ([{pledge, org, reason}]: the caveat, sector, date or
 * withdrawal that keeps a pledge of the right capability out). */
void ev_gap_analysis(json_t *requirement, const json_t *pledges);

#endif
