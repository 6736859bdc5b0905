/*
 * views.h: the read model: every figure the read API answers, computed in
 * C from the rows the store returns (store.h), the same for the HTTP
 * handlers (src/server/), `cmcc report` and `cmcc verify` (src/cli/).
 * Each function reads through the store it is given, inside the caller's
 * read transaction, and returns a new JSON value, or NULL when the store
 * cannot be read. One file per domain; the rules that judge events stay
 * in src/event/, which the views may use and which never uses them.
 */
#ifndef CMCC_VIEWS_VIEWS_H
#define CMCC_VIEWS_VIEWS_H

#include "common/buf.h"
#include "common/error.h"
#include "store/store.h"

#include <jansson.h>
#include <stdint.h>

/* ==== things: sites, zones, movements, incidents, requirements, pledges,
 * weapon records, benchmarks (things.c, deconfliction.c, movements.c,
 * incidents.c, force.c, disarmament.c, geojson.c, things_doc.c) ======== */

/* Each answers a list of flat objects (docs/protocol.md, HTTP: Lists): the
 * thing's id under its kind's name, "org", "status", the time it was made,
 * "index", its body's fields (optional ones never given as null), and what
 * is derived when read. */
json_t *views_sites(store *s);
json_t *views_zones(store *s);
/* Only the movement `id` when not NULL. */
json_t *views_movements(store *s, const char *id);
/* Filters: NULL (or since INT64_MIN, until INT64_MAX) for any. */
typedef struct {
    const char *category, *severity, *status;
    int64_t since, until; /* on "occurred", inclusive */
} views_incident_filter;
json_t *views_incidents(store *s, const views_incident_filter *f);
json_t *views_requirements(store *s);
json_t *views_pledges(store *s);
/* status, category, place: filters, NULL for any */
json_t *views_weapons(store *s, const char *status, const char *category, const char *place);
/* Progress as of now_ms (what is overdue). */
json_t *views_benchmarks(store *s, int64_t now_ms);

/* The summaries of /v1/stats: {"requested", "by_status",
 * "median_time_to_acknowledge_s"} of the movements, and {"force":{...},
 * "disarmament":{...}} (each kind of thing read once). */
json_t *views_movement_stats(store *s);
json_t *views_force_stats(store *s, int64_t now_ms);

/* What is derived on one thing as the store's rows give it (views_things),
 * exposed for the tests of the derivations: the gap analysis of a
 * requirement against every pledge ("pledged", "eligible" by readiness,
 * "eligible_level2_or_above", "deployed", "gap", "counted", "excluded"
 * [{pledge, org, cause, ..., reason}]); a weapon record's "current_place",
 * "attestations", "destruction" and "discrepancy" (one not since
 * confirmed); a benchmark's "decommissioned", "progress" (0..1), "overdue"
 * and "assessments". */
void views_gap_analysis(json_t *requirement, const json_t *pledges);
void views_weapon_derive(json_t *weapon);
void views_benchmark_derive(json_t *benchmark, const json_t *weapons, int64_t now_ms);

/* GeoJSON (RFC 7946) of a list of views_sites, views_zones or
 * views_movements: a FeatureCollection, one Feature per thing. Takes the
 * list's reference. */
json_t *views_geojson(json_t *list, const char *idkey);

/* The filters a things endpoint takes from its query, already checked
 * (NULL, INT64_MIN and INT64_MAX for none). */
typedef struct views_query {
    const char *status, *category, *severity, *place;
    int64_t since, until;
} views_query;

/* The document the read API answers to GET path for a things endpoint:
 * /v1/sites, /v1/zones, /v1/movements (each also as .geojson),
 * /v1/movements/<id>, /v1/incidents, /v1/requirements, /v1/pledges,
 * /v1/weapons, /v1/benchmarks. q may be NULL. 0 and *doc; 1 when path is
 * no things endpoint or names no movement (*doc NULL); -1 with err when
 * the store cannot be read. */
int views_things_doc(store *s, const char *path, const views_query *q, int64_t now_ms, json_t **doc,
                     cm_error *err);
/* The same document as the bytes of the HTTP answer's body, appended to out. */
int views_things_json(store *s, const char *path, const views_query *q, int64_t now_ms, cm_buf *out,
                      cm_error *err);

/* Cursor on Target (cot.c): the sites, zones and movements of views_sites,
 * views_zones and views_movements (through their GeoJSON), one CoT event
 * each, withdrawn, lifted and cancelled ones as deletions, uids under the
 * log's origin: [{"uid","kind","id","deleted","file","xml"}] ("xml" one
 * line, "file" its name in the TAK data package); NULL when the store
 * cannot be read. */
json_t *views_cot(store *s, const char *origin);
/* The XML document of GET /v1/cot: <events>, one event a line. */
void views_cot_document(const json_t *events, cm_buf *out);
/* The TAK data package of the events (tak_package.c): the zip's bytes
 * appended to out. 0, or -1 with err. */
int views_tak_package(const json_t *events, const char *origin, cm_buf *out, cm_error *err);

/* ==== end of things ==================================================== */

#endif
