/*
 * h_public.c: what anyone may read without a token: the dashboard's static
 * files from the web directory (GET / is index.html), the browser libraries
 * Debian installs, and GET /healthz.
 *
 *   GET /<path>               web_dir/<path>
 *   GET /lib/<name>/<path>    lib_dir/<name>/<path>, for the names in
 *                             `libraries` below only; lib_dir is
 *                             /usr/share/javascript unless `serve --lib`
 *                             says otherwise
 *
 * The dashboard keeps no copy of a library: it loads Debian's, which
 * security updates then reach. A library's own symlinks are followed (the
 * package links /usr/share/javascript/<name>/ into /usr/share/nodejs/).
 *
 * A path is served only when every segment is made of letters, digits, '-',
 * '_' and '.', and does not start with '.', so no path can leave its
 * directory (libmicrohttpd has decoded %2e already; a path with a control
 * byte, %00 included, never gets here: http.c), and only a regular file
 * is read: a directory is never listed. Every file is sent with
 * Cache-Control: no-cache and an ETag (wire.c), so the browser revalidates
 * before using it: a service worker script (/sw.js) must, or an old one
 * would keep control of the page.
 */
#include "server/handlers.h"

#include "common/file.h"
#include "common/mem.h"

#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* The libraries served at /lib/<name>/, and the Debian package of each. */
static const struct {
    const char *name, *package;
} libraries[] = {
    {"qrcode-generator", "node-qrcode-generator"},
    {"leaflet", "libjs-leaflet"}, /* with libjs-leaflet.markercluster's files */
};

int h_healthz(srv_req *q, const char *path, srv_resp *r)
{
    (void)path;
    uint64_t size;
    srv_published(q->s, &size, NULL);
    buf_printf(&r->body, "{\"status\":\"ok\",\"size\":%llu", (unsigned long long)size);
    if (!q->s->cfg.mirror) srv_replication_json(q->s, &r->body); /* role, replication */
    buf_puts(&r->body, "}\n");
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
        {".mjs", "text/javascript; charset=utf-8"},
        {".css", "text/css; charset=utf-8"},
        {".svg", "image/svg+xml"},
        {".png", "image/png"},
        {".json", "application/json; charset=utf-8"},
        {".map", "application/json; charset=utf-8"},
        {".webmanifest", "application/manifest+json"},
        {".ico", "image/x-icon"},
        {".txt", "text/plain; charset=utf-8"},
    };
    const char *dot = strrchr(path, '.');
    for (size_t i = 0; dot && i < sizeof types / sizeof types[0]; i++)
        if (strcmp(dot, types[i].ext) == 0) return types[i].type;
    return "application/octet-stream";
}

/* Appends the regular file at path (symlinks followed) to out: 0, or -1
 * when there is none (or it cannot be read). */
static int read_regular(const char *path, cm_buf *out)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) return -1;
    struct stat st;
    FILE *f = NULL;
    if (fstat(fd, &st) || !S_ISREG(st.st_mode) || !(f = fdopen(fd, "rb"))) {
        close(fd);
        return -1;
    }
    char *data = NULL;
    size_t len = 0;
    cm_error err;
    int rc = cm_read_stream(f, path, &data, &len, &err);
    fclose(f);
    if (rc) return -1;
    buf_append(out, data, len);
    free(data);
    return 0;
}

/* Answers the file dir/rel (rel checked by safe_path); -1 when there is none. */
static int send_file(const char *dir, const char *rel, srv_resp *r)
{
    char *file = xasprintf("%s/%s", dir, rel);
    int rc = read_regular(file, &r->body);
    free(file);
    if (rc) return -1;
    r->type = type_of(rel);
    r->cache = "no-cache";
    return 0;
}

int h_static(srv_req *q, const char *path, srv_resp *r)
{
    const char *rel = strcmp(path, "/") == 0 ? "index.html" : path + 1;
    if (!q->s->cfg.web_dir || !safe_path(rel) || send_file(q->s->cfg.web_dir, rel, r))
        srv_errorf(r, CM_NOT_FOUND, "", "nothing at %s", path);
    return 0;
}

int h_lib(srv_req *q, const char *path, srv_resp *r)
{
    const char *name = path + strlen("/lib/");
    const char *slash = strchr(name, '/');
    size_t n = slash ? (size_t)(slash - name) : strlen(name);
    size_t i = 0, count = sizeof libraries / sizeof libraries[0];
    while (i < count &&
           !(strlen(libraries[i].name) == n && strncmp(libraries[i].name, name, n) == 0))
        i++;
    if (i == count) {
        cm_buf list = CM_BUF_INIT; /* only for the error */
        for (size_t k = 0; k < count; k++)
            buf_printf(&list, "%s%s", k ? ", " : "", libraries[k].name);
        srv_errorf(r, CM_NOT_FOUND, "", "nothing at %s: the libraries served under /lib/ are %s",
                   path, list.data);
        buf_free(&list);
        return 0;
    }
    const char *rel = slash ? slash + 1 : "";
    if (!safe_path(rel)) {
        srv_errorf(r, CM_NOT_FOUND, "", "nothing at %s", path);
        return 0;
    }
    char *dir =
        xasprintf("%s/%s", q->s->cfg.lib_dir ? q->s->cfg.lib_dir : SRV_LIB_DIR, libraries[i].name);
    struct stat st;
    if (send_file(dir, rel, r) == 0) {
        /* sent */
    } else if (stat(dir, &st) || !S_ISDIR(st.st_mode)) {
        srv_errorf(r, CM_NOT_FOUND, "",
                   "nothing at %s: the library %s is not installed on the server; install the "
                   "Debian package %s there (apt-get install %s)",
                   path, libraries[i].name, libraries[i].package, libraries[i].package);
    } else {
        srv_errorf(r, CM_NOT_FOUND, "",
                   "nothing at %s: the library %s (Debian package %s) has no file %s", path,
                   libraries[i].name, libraries[i].package, rel);
    }
    free(dir);
    return 0;
}
