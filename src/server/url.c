/*
 * url.c: how the request's path and query are percent-decoded, in place
 * of libmicrohttpd's own decoding (MHD_OPTION_UNESCAPE_CALLBACK).
 *
 * Each %HH (two hex digits, either case) is the byte it names, except
 * %00, which stays as the three characters written: libmicrohttpd hands
 * the path to the handlers as a C string, so a NUL would cut it short and
 * /index.html%00.png would be answered as /index.html. (A path with %00,
 * or any control byte, is refused before a handler sees it: http.c; a
 * query's %00 stays, and no parameter accepts it.) A '%' that starts
 * no such escape is left as it is. The result is never longer than the
 * input.
 */
#include "server/srv_int.h"

static int hex_value(char c)
{
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}

size_t srv_unescape(void *cls, struct MHD_Connection *conn, char *s)
{
    (void)cls;
    (void)conn;
    char *w = s;
    for (const char *p = s; *p; p++) {
        int hi, lo;
        if (p[0] == '%' && (hi = hex_value(p[1])) >= 0 && (lo = hex_value(p[2])) >= 0 &&
            (hi | lo)) {
            *w++ = (char)(hi << 4 | lo);
            p += 2;
        } else {
            *w++ = *p;
        }
    }
    *w = '\0';
    return (size_t)(w - s);
}
