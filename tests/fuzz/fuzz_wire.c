/*
 * fuzz_wire.c: the request headers wire.c reads from anybody (server/wire.c):
 * Accept-Encoding (srv_accepts_gzip) and If-None-Match (srv_tag_listed).
 *
 * Input: the Accept-Encoding value, then a newline, then the If-None-Match
 * value (without a newline, both are the whole input), cut at the first NUL
 * as libmicrohttpd hands them over as C strings. Properties:
 *   - the answers are 0 or 1, and the same when asked again;
 *   - the last element that names gzip wins: the value followed by
 *     ",gzip;q=0" refuses gzip, followed by ",gzip" accepts it;
 *   - an If-None-Match followed by ", " and the tag (weak or strong), or by
 *     ",*", lists the tag; a value without a '"' or '*' lists no tag.
 *
 * Seeds (corpus/wire/): what browsers, curl and caches send, and malformed
 * q-values and tag lists.
 */
#include "fuzz.h"

#include "common/mem.h"
#include "server/srv_int.h"

#include <string.h>

#define OPAQUE "\"0123456789abcdef0123456789abcdef\""
#define TAG    "W/" OPAQUE

static char *joined(const char *a, const char *b)
{
    size_t n = strlen(a), m = strlen(b);
    char *s = xmalloc(n + m + 1);
    memcpy(s, a, n);
    memcpy(s + n, b, m + 1);
    return s;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *in = xmalloc(size + 1);
    memcpy(in, data, size);
    in[size] = '\0';
    char *nl = strchr(in, '\n');
    const char *ae = in, *inm = in;
    if (nl) *nl = '\0', inm = nl + 1;

    int g = srv_accepts_gzip(ae);
    FUZZ_CHECK(g == 0 || g == 1);
    FUZZ_CHECK(srv_accepts_gzip(ae) == g);
    char *s = joined(ae, ",gzip;q=0");
    FUZZ_CHECK(srv_accepts_gzip(s) == 0);
    free(s);
    s = joined(ae, ",gzip");
    FUZZ_CHECK(srv_accepts_gzip(s) == 1);
    free(s);

    int t = srv_tag_listed(inm, TAG);
    FUZZ_CHECK(t == 0 || t == 1);
    if (!strchr(inm, '"') && !strchr(inm, '*')) FUZZ_CHECK(t == 0);
    s = joined(inm, ", " TAG);
    FUZZ_CHECK(srv_tag_listed(s, TAG) == 1);
    free(s);
    s = joined(inm, ", " OPAQUE);
    FUZZ_CHECK(srv_tag_listed(s, TAG) == 1);
    free(s);
    s = joined(inm, ",*");
    FUZZ_CHECK(srv_tag_listed(s, TAG) == 1);
    free(s);
    free(in);
    return 0;
}
