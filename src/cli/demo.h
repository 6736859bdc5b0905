/*
 * demo.h: what the files of the demo scenario share (cmd_demo.c runs it).
 * Scenario files add events with demo_emit, in any order; demo.c sorts
 * them by their time, signs each with its org's key and appends them all.
 */
#ifndef CMCC_DEMO_H
#define CMCC_DEMO_H

#include <jansson.h>
#include <stdint.h>

#define DEMO_DAY_MS  86400000LL
#define DEMO_HOUR_MS 3600000LL
#define DEMO_COORD   "cmcc-cell"

typedef struct demo demo;

/* Adds an event of org at time t; body is stolen. */
void demo_emit(demo *d, const char *org, const char *type, int64_t t, json_t *body);
/* The scenario's first day, 06:00 UTC, about fourteen days ago. */
int64_t demo_start(const demo *d);
/* The story's "now", 04:00 UTC of its fifteenth day, which has passed when
 * the demo is built: no event is later. */
int64_t demo_now(const demo *d);
/* A deterministic pseudo-random number in [0, n). */
unsigned demo_rand(demo *d, unsigned n);

/* demo_supply.c: two weeks of consignments. */
void demo_supply(demo *d);
/* demo_deconfliction.c: sites, zones, a week of movements, incidents. */
void demo_deconfliction(demo *d);
/* demo_force.c: requirements, pledges, deployments, weapons, benchmarks;
 * and the serial of a weapon handed over in it, to try to recycle. */
void demo_force(demo *d);
const char *demo_recycled_serial(void);

#endif
