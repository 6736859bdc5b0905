/*
 * disarmament.h: what is derived when weapon records and benchmarks are
 * read (disarmament.c): a record's place, attestations, destruction and
 * open discrepancy; a benchmark's progress and whether it is overdue.
 * Computed from the things the store returns, never stored.
 */
#ifndef CMCC_EVENT_DISARMAMENT_H
#define CMCC_EVENT_DISARMAMENT_H

#include <jansson.h>
#include <stdint.h>

/* Adds to a weapon record "current_place", "attestations", "destruction"
 * and "discrepancy" (one not since confirmed). */
void ev_weapon_derive(json_t *weapon);
/* Adds to a benchmark "decommissioned", "progress" (0..1), "overdue" (due
 * before now_ms and not reached) and "assessments". */
void ev_benchmark_derive(json_t *benchmark, const json_t *weapons, int64_t now_ms);

#endif
