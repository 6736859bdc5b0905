/*
 * router.c: which handler answers which request. The table is the API's map
 * (docs/protocol.md section 5); a path ending in '/' matches as a prefix. A path
 * that matches with another method is answered 405 with the methods it
 * takes; any other GET outside /v1/ is a static file of the dashboard.
 * GET routes take HEAD too.
 */
#include "server/handlers.h"

#include <string.h>

static const srv_route routes[] = {
    {"POST", "/v1/events", 0, h_events},
    {"POST", "/v1/device/token", 1, h_device_token}, /* signed by the device's key */
    {"GET", "/checkpoint", 1, h_checkpoint},
    {"GET", "/v1/log", 1, h_log_info},
    {"GET", "/tile/", 1, h_tile}, /* entry bundles check the token themselves */
    {"GET", "/v1/entries/", 0, h_entry},
    {"GET", "/v1/proof/inclusion", 0, h_proof_inclusion},
    {"GET", "/v1/proof/consistency", 0, h_proof_consistency},
    {"GET", "/v1/proof/entry", 0, h_proof_entry},
    {"GET", "/policy", 1, h_policy},
    {"GET", "/v1/orgs", 0, h_orgs},
    {"GET", "/v1/places", 0, h_places},
    {"GET", "/healthz", 1, h_healthz},
    {"GET", "/lib/", 1, h_lib}, /* browser libraries from Debian's packages */
    {"GET", "/v1/stats", 1, h_stats},
    {"GET", "/v1/feed", 1, h_feed}, /* checks the token itself: header or ?token= */
    {"GET", "/v1/consignments", 0, h_consignments},
    {"GET", "/v1/consignments.csv", 0, h_consignments_csv},
    {"GET", "/v1/consignments/", 0, h_consignment},
    {"GET", "/v1/alerts", 0, h_alerts},
    {"GET", "/v1/reconciliation", 0, h_reconciliation},
    {"GET", "/v1/reconciliation.csv", 0, h_reconciliation_csv},
    {"GET", "/v1/sites", 0, h_sites},
    {"GET", "/v1/sites.geojson", 0, h_sites},
    {"GET", "/v1/zones", 0, h_zones},
    {"GET", "/v1/zones.geojson", 0, h_zones},
    {"GET", "/v1/movements", 0, h_movements},
    {"GET", "/v1/movements.geojson", 0, h_movements},
    {"GET", "/v1/movements/", 0, h_movement},
    {"GET", "/v1/incidents", 0, h_incidents},
    {"GET", "/v1/requirements", 0, h_requirements},
    {"GET", "/v1/pledges", 0, h_pledges},
    {"GET", "/v1/weapons", 0, h_weapons},
    {"GET", "/v1/benchmarks", 0, h_benchmarks},
    {"GET", "/v1/cot", 0, h_cot},
    {"GET", "/v1/tak/package.zip", 0, h_tak_package},
    {"GET", "/v1/epcis/events", 0, h_epcis_events},
    {NULL, NULL, 0, NULL},
};

static int path_matches(const char *pattern, const char *url)
{
    size_t n = strlen(pattern);
    if (pattern[n - 1] == '/') return strncmp(url, pattern, n) == 0;
    return strcmp(url, pattern) == 0;
}

srv_route_kind srv_route_find(const char *method, const char *url, const srv_route **rt,
                              const char **allow)
{
    int is_get = strcmp(method, "GET") == 0 || strcmp(method, "HEAD") == 0;
    *allow = NULL;
    for (const srv_route *r = routes; r->path; r++) {
        if (!path_matches(r->path, url)) continue;
        int same = strcmp(r->method, "GET") == 0 ? is_get : strcmp(r->method, method) == 0;
        if (same) {
            *rt = r;
            return ROUTE_FOUND;
        }
        *allow = strcmp(r->method, "GET") == 0 ? "GET, HEAD" : r->method;
    }
    if (*allow) return ROUTE_METHOD;
    if (is_get && strncmp(url, "/v1/", 4) != 0) return ROUTE_STATIC;
    return ROUTE_NONE;
}
