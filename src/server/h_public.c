/*
 * h_public.c: what anyone may read without a token: the dashboard's static
 * files from the web directory (GET / is index.html) and GET /healthz.
 *
 * A static path is served only when every segment is made of letters,
 * digits, '-', '_' and '.', and does not start with '.', so no path can
 * leave the web directory.
 */
#include "server/srv_int.h"

#include "common/file.h"
#include "common/mem.h"

#include <stdlib.h>
#include <string.h>

int h_healthz(srv_req *q, const char *path, srv_resp *r)
{
    (void)path;
    uint64_t size;
    srv_published(q->s, &size, NULL);
    buf_printf(&r->body, "{\"status\":\"ok\",\"size\":%llu}\n", (unsigned long long)size);
    r->cache = "no-store";
    return 0;
}

static int safe_path(const char *p)
{
    int seg_start = 1;
    for (; *p; p++) {
        char c = *p;
        if (c == '/') {
            if (seg_start) return 0; /* empty segment */
            seg_start = 1;
            continue;
        }
        if (seg_start && c == '.') return 0;
        seg_start = 0;
        if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
              c == '-' || c == '_' || c == '.'))
            return 0;
    }
    return !seg_start;
}

static const char *type_of(const char *path)
{
    static const struct {
        const char *ext, *type;
    } types[] = {
        {".html", "text/html; charset=utf-8"},
        {".js", "text/javascript; charset=utf-8"},
        {".css", "text/css; charset=utf-8"},
        {".svg", "image/svg+xml"},
        {".png", "image/png"},
        {".json", "application/json; charset=utf-8"},
        {".ico", "image/x-icon"},
        {".txt", "text/plain; charset=utf-8"},
    };
    const char *dot = strrchr(path, '.');
    for (size_t i = 0; dot && i < sizeof types / sizeof types[0]; i++)
        if (strcmp(dot, types[i].ext) == 0) return types[i].type;
    return "application/octet-stream";
}

int h_static(srv_req *q, const char *path, srv_resp *r)
{
    const char *rel = strcmp(path, "/") == 0 ? "index.html" : path + 1;
    if (!q->s->cfg.web_dir || !safe_path(rel)) {
        srv_errorf(r, CM_NOT_FOUND, "", "nothing at %s", path);
        return 0;
    }
    char *file = xasprintf("%s/%s", q->s->cfg.web_dir, rel);
    char *data = NULL;
    size_t len = 0;
    cm_error err;
    int rc = cm_read_file(file, &data, &len, &err);
    free(file);
    if (rc) {
        srv_errorf(r, CM_NOT_FOUND, "", "nothing at %s", path);
        return 0;
    }
    buf_append(&r->body, data, len);
    free(data);
    r->type = type_of(rel);
    r->cache = "no-cache";
    return 0;
}
