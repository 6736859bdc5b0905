/*
 * fuzz_router.c: the HTTP router (server/router.c) and the path parsing
 * its handlers do before touching the store.
 *
 * Input: "<method> <url>" (everything before the first space is the
 * method; with no space, the whole input is a GET's URL), cut at the first
 * NUL as libmicrohttpd hands them over as C strings. The URL is first
 * percent-decoded by srv_unescape (url.c), as libmicrohttpd has it do:
 * the result is no longer than the URL, holds no NUL before its end (the
 * length returned is its strlen), and is the URL itself when it has no
 * '%'. srv_route_find then picks what answers. Properties:
 *   - srv_path_has_control (http.c) refuses exactly the paths (the URL up
 *     to its first '?') that, decoded by srv_unescape, hold a control byte
 *     (below 0x20, or 0x7F), or hold %00 (which srv_unescape leaves as
 *     written);
 *   - ROUTE_FOUND names a route whose path is the URL (or, ending in '/',
 *     a prefix of it) and whose method is the request's (GET takes HEAD);
 *   - ROUTE_METHOD comes with the Allow list; ROUTE_STATIC only for a GET
 *     or HEAD outside /v1/; every answer is one of the four kinds.
 * Then what the found handler would parse first: the tile path after
 * /tile/ (tile_path_parse, with its format round trip), the identifier
 * after /v1/consignments/ (ev_is_id).
 *
 * Seeds (corpus/router/): every route with its method, with a wrong
 * method, static files, unknown /v1/ paths and tile URLs.
 */
#include "fuzz.h"

#include "common/mem.h"
#include "server/handlers.h"

#include <string.h>

/* 1 when s holds a control byte (below 0x20, or 0x7F) */
static int has_control_byte(const char *s)
{
    for (; *s; s++)
        if ((unsigned char)*s < 0x20 || *s == 0x7F) return 1;
    return 0;
}

static int path_matches(const char *pattern, const char *url)
{
    size_t n = strlen(pattern);
    if (pattern[n - 1] == '/') return strncmp(url, pattern, n) == 0;
    return strcmp(url, pattern) == 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *in = xmalloc(size + 1);
    memcpy(in, data, size);
    in[size] = '\0';
    const char *method = "GET";
    char *url = in;
    char *sp = strchr(in, ' ');
    if (sp) {
        *sp = '\0';
        method = in;
        url = sp + 1;
    }
    char *path = xstrndup(url, strcspn(url, "?"));
    int nul_escape = strstr(path, "%00") != NULL;
    srv_unescape(NULL, NULL, path);
    FUZZ_CHECK(srv_path_has_control(url) == (nul_escape || has_control_byte(path)));
    free(path);

    size_t before = strlen(url);
    int escapes = strchr(url, '%') != NULL;
    char *copy = escapes ? NULL : xstrdup(url);
    size_t after = srv_unescape(NULL, NULL, url);
    FUZZ_CHECK(after == strlen(url) && after <= before);
    FUZZ_CHECK(escapes || strcmp(copy, url) == 0);
    free(copy);

    const srv_route *rt = NULL;
    const char *allow = NULL;
    int is_get = strcmp(method, "GET") == 0 || strcmp(method, "HEAD") == 0;
    srv_route_kind k = srv_route_find(method, url, &rt, &allow);
    FUZZ_CHECK(k == ROUTE_FOUND || k == ROUTE_METHOD || k == ROUTE_STATIC || k == ROUTE_NONE);
    switch (k) {
    case ROUTE_FOUND:
        FUZZ_CHECK(rt && rt->path && rt->handler && path_matches(rt->path, url));
        FUZZ_CHECK(strcmp(rt->method, "GET") == 0 ? is_get : strcmp(rt->method, method) == 0);
        break;
    case ROUTE_METHOD:
        FUZZ_CHECK(allow && allow[0]);
        break;
    case ROUTE_STATIC:
        FUZZ_CHECK(is_get && strncmp(url, "/v1/", 4) != 0);
        break;
    case ROUTE_NONE:
        FUZZ_CHECK(!is_get || strncmp(url, "/v1/", 4) == 0);
        break;
    }

    if (k == ROUTE_FOUND && rt->handler == h_tile) {
        const char *rel = url + strlen("/tile/");
        tile_id t;
        if (tile_path_parse(rel, strlen(rel), &t) == 0) {
            char back[TILE_PATH_MAX];
            size_t n = tile_path_format(&t, back, sizeof back);
            FUZZ_CHECK(n < sizeof back && strcmp(back, url + 1) == 0);
        }
    }
    if (k == ROUTE_FOUND && rt->handler == h_consignment) {
        const char *id = url + strlen("/v1/consignments/");
        if (ev_is_id(id)) FUZZ_CHECK(strlen(id) <= EV_ID_MAX && !strchr(id, '/'));
    }
    free(in);
    return 0;
}
