/*
 * handlers.h: the routes and the handlers that answer them (h_*.c), for
 * router.c and the handlers' own files; the rest of the server does not
 * see them.
 */
#ifndef CMCC_HANDLERS_H
#define CMCC_HANDLERS_H

#include "server/srv_int.h"

/* A route's handler: fills r, or suspends the request (returns 1). */
typedef int (*srv_handler)(srv_req *q, const char *path, srv_resp *r);

int h_events(srv_req *q, const char *path, srv_resp *r);
int h_device_token(srv_req *q, const char *path, srv_resp *r);
int h_checkpoint(srv_req *q, const char *path, srv_resp *r);
int h_log_info(srv_req *q, const char *path, srv_resp *r);
int h_tile(srv_req *q, const char *path, srv_resp *r);
int h_entry(srv_req *q, const char *path, srv_resp *r);
int h_proof_inclusion(srv_req *q, const char *path, srv_resp *r);
int h_proof_consistency(srv_req *q, const char *path, srv_resp *r);
int h_proof_entry(srv_req *q, const char *path, srv_resp *r);
int h_policy(srv_req *q, const char *path, srv_resp *r);
int h_orgs(srv_req *q, const char *path, srv_resp *r);
int h_places(srv_req *q, const char *path, srv_resp *r);
int h_healthz(srv_req *q, const char *path, srv_resp *r);
int h_consignments(srv_req *q, const char *path, srv_resp *r);
int h_consignments_csv(srv_req *q, const char *path, srv_resp *r);
int h_consignment(srv_req *q, const char *path, srv_resp *r);
int h_alerts(srv_req *q, const char *path, srv_resp *r);
int h_reconciliation(srv_req *q, const char *path, srv_resp *r);
int h_reconciliation_csv(srv_req *q, const char *path, srv_resp *r);
int h_stats(srv_req *q, const char *path, srv_resp *r);
int h_feed(srv_req *q, const char *path, srv_resp *r);
int h_sites(srv_req *q, const char *path, srv_resp *r);
int h_zones(srv_req *q, const char *path, srv_resp *r);
int h_movements(srv_req *q, const char *path, srv_resp *r);
int h_movement(srv_req *q, const char *path, srv_resp *r);
int h_incidents(srv_req *q, const char *path, srv_resp *r);
int h_requirements(srv_req *q, const char *path, srv_resp *r);
int h_pledges(srv_req *q, const char *path, srv_resp *r);
int h_weapons(srv_req *q, const char *path, srv_resp *r);
int h_benchmarks(srv_req *q, const char *path, srv_resp *r);
/* h_cot.c: CoT for TAK */
int h_cot(srv_req *q, const char *path, srv_resp *r);
int h_tak_package(srv_req *q, const char *path, srv_resp *r);
/* GET /v1/epcis/events: supply events as EPCIS 2.0 (h_epcis.c). */
int h_epcis_events(srv_req *q, const char *path, srv_resp *r);

int h_static(srv_req *q, const char *path, srv_resp *r);
/* GET /lib/<name>/<file>: a browser library Debian installs (h_public.c). */
int h_lib(srv_req *q, const char *path, srv_resp *r);

/* ---- router.c: which handler answers ------------------------------------ */

typedef struct {
    const char *method;
    const char *path; /* exact path, or a prefix when it ends in '/' */
    int public_;      /* no token needed */
    srv_handler handler;
} srv_route;

typedef enum { ROUTE_FOUND, ROUTE_METHOD, ROUTE_STATIC, ROUTE_NONE } srv_route_kind;

/* Finds what answers (method, url): ROUTE_FOUND with *rt; ROUTE_METHOD when
 * the path takes other methods, listed in *allow; ROUTE_STATIC for a static
 * file; ROUTE_NONE. */
srv_route_kind srv_route_find(const char *method, const char *url, const srv_route **rt,
                              const char **allow);

#endif
