/*
 * h_registry.c: GET /v1/orgs and GET /v1/places, the registry as it stands
 * after the committed entries: {"orgs":[...]} and {"places":[...]}.
 */
#include "server/handlers.h"
#include "views/supply.h"

typedef int (*render_fn)(store *s, cm_buf *out, cm_error *err);

static int list(srv_req *q, const char *name, render_fn fn, srv_resp *r)
{
    store *rd = srv_reader(q->s);
    cm_error err;
    buf_printf(&r->body, "{\"%s\":", name);
    if (!rd || fn(rd, &r->body, &err)) return srv_unavailable(r);
    buf_puts(&r->body, "}\n");
    r->cache = "no-cache";
    return 0;
}

int h_orgs(srv_req *q, const char *path, srv_resp *r)
{
    (void)path;
    return list(q, "orgs", views_orgs_json, r);
}

int h_places(srv_req *q, const char *path, srv_resp *r)
{
    (void)path;
    return list(q, "places", views_places_json, r);
}
