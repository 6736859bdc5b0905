/*
 * h_cot.c: the deconfliction picture for TAK, read with a token like the
 * other reads.
 *
 *   GET /v1/cot                 the current CoT events as one XML document,
 *                               <events> holding one <event> a line
 *                               (application/xml)
 *   GET /v1/tak/package.zip     the same events as a TAK data package
 *                               (application/zip), for ATAK offline
 *
 * The events and the package are the read model's (src/views/cot.c,
 * tak_package.c), their uids under the log's origin.
 */
#include "server/handlers.h"

#include "views/views.h"

int h_cot(srv_req *q, const char *path, srv_resp *r)
{
    (void)path;
    json_t *events = views_cot(srv_reader(q->s), q->s->eng.origin);
    if (!events) return srv_unavailable(r);
    views_cot_document(events, &r->body);
    json_decref(events);
    r->type = "application/xml; charset=utf-8";
    r->cache = "no-cache";
    return 0;
}

int h_tak_package(srv_req *q, const char *path, srv_resp *r)
{
    (void)path;
    json_t *events = views_cot(srv_reader(q->s), q->s->eng.origin);
    if (!events) return srv_unavailable(r);
    cm_error err;
    int rc = views_tak_package(events, q->s->eng.origin, &r->body, &err);
    json_decref(events);
    if (rc) {
        srv_error(r, &err);
        return 0;
    }
    r->type = "application/zip";
    r->cache = "no-cache";
    r->disposition = "attachment; filename=\"cmcc-tak-package.zip\"";
    return 0;
}
