/*
 * wire.c: what a GET answer costs on the wire: a validator and gzip.
 *
 * The dashboard's users are often on slow or metered links, and their
 * browser reloads it and polls the API. So every 200 answer to a GET or
 * HEAD that may be kept (Cache-Control is not no-store) carries a weak
 * ETag, the first 16 bytes of the BLAKE2b hash of its body in hex:
 *
 *     ETag: W/"3f1c...e2"          (32 hex digits)
 *
 * A request whose If-None-Match lists that tag (with or without W/, as the
 * weak comparison of RFC 9110 13.1.2 has it) or "*" is answered 304 with no
 * body. The tag is weak because it names the content, whichever encoding
 * carries it, so it stays the same with gzip or without.
 *
 * A textual answer (text/..., JSON, JSON-LD, XML, SVG) of at least WIRE_GZIP_MIN bytes
 * is sent gzip-compressed (Content-Encoding: gzip) when the request's
 * Accept-Encoding accepts gzip: "gzip" or "*" with a q-value above 0, gzip
 * not refused by name. Every such answer carries Vary: Accept-Encoding,
 * compressed or not, so that a cache between keeps the two apart. A body
 * that gzip would not make smaller is sent as it is.
 */
#include "server/srv_int.h"

#include "common/mem.h"

#include <sodium.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <zlib.h>

#define WIRE_GZIP_MIN  1024 /* bytes; smaller answers fit a packet or two anyway */
#define WIRE_TAG_BYTES 16

static int is_space(char c)
{
    return c == ' ' || c == '\t';
}

/* The next comma-separated element of *p, trimmed, as [*start, *start+*len);
 * 0 when there is none left. */
static int next_element(const char **p, const char **start, size_t *len)
{
    const char *s = *p;
    while (*s == ',' || is_space(*s)) s++;
    if (!*s) return 0;
    const char *e = s;
    while (*e && *e != ',') e++;
    *p = e;
    while (e > s && is_space(e[-1])) e--;
    *start = s;
    *len = (size_t)(e - s);
    return 1;
}

int srv_tag_listed(const char *header, const char *tag)
{
    const char *opaque = tag + 2; /* W/"..." -> "..." */
    size_t n = strlen(opaque);
    const char *el;
    size_t len;
    while (next_element(&header, &el, &len)) {
        if (len == 1 && el[0] == '*') return 1;
        if (len >= 2 && el[0] == 'W' && el[1] == '/') el += 2, len -= 2;
        if (len == n && memcmp(el, opaque, n) == 0) return 1;
    }
    return 0;
}

/* The q-value of one Accept-Encoding element ("gzip;q=0.5"): 1 when none,
 * 0 when it is 0 or unreadable. */
static double qvalue(const char *params, size_t len)
{
    const char *q = NULL;
    for (size_t i = 0; i + 1 < len; i++)
        if ((params[i] == 'q' || params[i] == 'Q') && params[i + 1] == '=') q = params + i + 2;
    if (!q) return 1;
    char *end;
    double v = strtod(q, &end);
    return end == q || v < 0 ? 0 : v;
}

int srv_accepts_gzip(const char *header)
{
    const char *el;
    size_t len;
    int named = 0, star = 0;
    double gzip_q = 0, star_q = 0;
    while (next_element(&header, &el, &len)) {
        size_t name = 0;
        while (name < len && el[name] != ';' && !is_space(el[name])) name++;
        double q = qvalue(el + name, len - name);
        if ((name == 4 && strncasecmp(el, "gzip", 4) == 0) ||
            (name == 6 && strncasecmp(el, "x-gzip", 6) == 0)) {
            named = 1;
            gzip_q = q;
        } else if (name == 1 && el[0] == '*') {
            star = 1;
            star_q = q;
        }
    }
    return named ? gzip_q > 0 : star && star_q > 0;
}

static int textual(const char *type)
{
    return !type || strncmp(type, "text/", 5) == 0 || strncmp(type, "application/json", 16) == 0 ||
           strncmp(type, "application/ld+json", 19) == 0 ||
           strncmp(type, "image/svg+xml", 13) == 0 || strncmp(type, "application/xml", 15) == 0;
}

/* Replaces body with its gzip form when that is smaller; 0 if it did. */
static int gzip_body(cm_buf *body)
{
    z_stream z;
    memset(&z, 0, sizeof z);
    if (deflateInit2(&z, Z_DEFAULT_COMPRESSION, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY) != Z_OK)
        return -1;
    uLong cap = deflateBound(&z, (uLong)body->len);
    unsigned char *out = xmalloc(cap);
    z.next_in = (unsigned char *)body->data;
    z.avail_in = (uInt)body->len;
    z.next_out = out;
    z.avail_out = (uInt)cap;
    int rc = deflate(&z, Z_FINISH);
    size_t n = z.total_out;
    deflateEnd(&z);
    if (rc != Z_STREAM_END || n >= body->len) {
        free(out);
        return -1;
    }
    body->len = 0;
    buf_append(body, out, n);
    free(out);
    return 0;
}

void srv_wire_prepare(struct MHD_Connection *conn, int get, srv_resp *r, srv_wire *w)
{
    memset(w, 0, sizeof *w);
    if (!get || r->status != 200 || (r->cache && strcmp(r->cache, "no-store") == 0)) return;
    unsigned char h[WIRE_TAG_BYTES];
    crypto_generichash(h, sizeof h, (const unsigned char *)r->body.data, r->body.len, NULL, 0);
    memcpy(w->etag, "W/\"", 3);
    sodium_bin2hex(w->etag + 3, sizeof w->etag - 4, h, sizeof h);
    strcat(w->etag, "\"");
    w->vary = textual(r->type) && r->body.len >= WIRE_GZIP_MIN && r->body.len <= UINT32_MAX;
    const char *inm = MHD_lookup_connection_value(conn, MHD_HEADER_KIND, "If-None-Match");
    if (inm && srv_tag_listed(inm, w->etag)) {
        r->status = 304;
        r->body.len = 0;
        return;
    }
    if (!w->vary) return;
    const char *ae = MHD_lookup_connection_value(conn, MHD_HEADER_KIND, "Accept-Encoding");
    if (ae && srv_accepts_gzip(ae) && gzip_body(&r->body) == 0) w->gzip = 1;
}
