/*
 * things_answer.c: how a things endpoint answers (h_deconfliction.c,
 * h_force.c): the document is the read model's (views_things_doc, from
 * the request's snapshot of the store, as of now), answered as JSON, or
 * as GeoJSON for a .geojson path; a store that cannot be read is a 503.
 */
#include "server/srv_int.h"

#include "common/timeutil.h"
#include "views/views.h"

#include <string.h>

int srv_answer_things(srv_req *q, const char *path, const views_query *vq, srv_resp *r)
{
    json_t *doc;
    cm_error err;
    int rc = views_things_doc(srv_reader(q->s), path, vq, time_now_ms(), &doc, &err);
    if (rc < 0) return srv_unavailable(r);
    if (rc > 0) return 1;
    if (strstr(path, ".geojson")) r->type = "application/geo+json";
    srv_answer_json(r, doc);
    json_decref(doc);
    return 0;
}
