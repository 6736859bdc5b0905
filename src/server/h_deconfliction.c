/*
 * h_deconfliction.c: the deconfliction picture and incidents over HTTP.
 *
 *   GET /v1/sites[.geojson]        notified sites, with warnings
 *   GET /v1/zones[.geojson]        declared zones
 *   GET /v1/movements[.geojson]    movements: status, every military org's
 *   GET /v1/movements/<id>         answer, time to acknowledge, warnings,
 *                                  outcome
 *   GET /v1/incidents[?category=&severity=&status=&since=&until=]
 *
 * Each thing is answered flat: its id under its kind's name, "org",
 * "status", its body's fields, and what is derived; the documents, GeoJSON
 * (RFC 7946) included, are the read model's (src/views/: deconfliction.c,
 * movements.c, incidents.c, geojson.c). Here only the query is checked.
 */
#include "server/handlers.h"

#include "views/views.h"

#include "event/schema.h"

#include <string.h>

int h_sites(srv_req *q, const char *path, srv_resp *r)
{
    return srv_answer_things(q, path, NULL, r);
}

int h_zones(srv_req *q, const char *path, srv_resp *r)
{
    return srv_answer_things(q, path, NULL, r);
}

int h_movements(srv_req *q, const char *path, srv_resp *r)
{
    return srv_answer_things(q, path, NULL, r);
}

int h_movement(srv_req *q, const char *path, srv_resp *r)
{
    if (srv_answer_things(q, path, NULL, r) == 1)
        srv_errorf(r, CM_NOT_FOUND, "", "no movement \"%s\" was requested",
                   path + strlen("/v1/movements/"));
    return 0;
}

int h_incidents(srv_req *q, const char *path, srv_resp *r)
{
    views_query vq = {NULL, NULL, NULL, NULL, INT64_MIN, INT64_MAX};
    if (srv_query_choice(q, "category", ev_incident_categories, &vq.category, r) ||
        srv_query_choice(q, "severity", ev_incident_severities, &vq.severity, r) ||
        srv_query_choice(q, "status", ev_incident_statuses, &vq.status, r) ||
        srv_query_time(q, "since", &vq.since, r) || srv_query_time(q, "until", &vq.until, r))
        return 0;
    return srv_answer_things(q, path, &vq, r);
}
