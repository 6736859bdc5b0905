/*
 * mapconf.c: the dashboard map's basemap, as the operator sets it in
 * DIR/cmcc.conf, checked before the server starts.
 *
 *   map.tiles = URL-template       tiles drawn under the map, e.g.
 *                                  https://tiles.example.org/{z}/{x}/{y}.png
 *   map.attribution = TEXT         the credit the tile server asks for,
 *                                  shown on the map (needs map.tiles)
 *
 * None by default: the map then draws the outline the dashboard ships and
 * fetches nothing from elsewhere. GET /v1/log gives both to the page
 * ("map":{"tiles":...,"attribution":...}, or "map":null).
 *
 * A template is http:// or https://, a host, then printable ASCII with no
 * space, quote, backslash or angle bracket; it must hold {z}, {x} and {y},
 * and no placeholder but those, {s} (a subdomain) and {r} (a retina
 * suffix). An attribution is 1 to 255 bytes of UTF-8 with no control
 * character. A bad value is refused with a sentence saying what is wanted.
 */
#include "server/server.h"

#include <stdio.h>
#include <string.h>

/* 1 when s is UTF-8 (shortest forms, no surrogates) with no control character. */
static int plain_utf8(const unsigned char *s)
{
    while (*s) {
        unsigned c = *s;
        int n = c < 0x80             ? 0
                : (c & 0xE0) == 0xC0 ? 1
                : (c & 0xF0) == 0xE0 ? 2
                : (c & 0xF8) == 0xF0 ? 3
                                     : -1;
        if (n < 0 || (n == 0 && (c < 0x20 || c == 0x7F))) return 0;
        unsigned cp = n == 0 ? c : c & (0x3F >> n);
        for (int i = 1; i <= n; i++) {
            if ((s[i] & 0xC0) != 0x80) return 0;
            cp = (cp << 6) | (s[i] & 0x3F);
        }
        static const unsigned least[] = {0, 0x80, 0x800, 0x10000};
        if (cp < least[n] || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF) ||
            (cp >= 0x80 && cp < 0xA0))
            return 0;
        s += n + 1;
    }
    return 1;
}

static int tiles_ok(const char *v)
{
    size_t scheme = strncmp(v, "https://", 8) == 0 ? 8 : strncmp(v, "http://", 7) == 0 ? 7 : 0;
    if (!scheme || !v[scheme] || v[scheme] == '/' || strlen(v) >= SRV_MAP_TILES_MAX) return 0;
    for (const char *p = v; *p; p++) {
        unsigned char c = (unsigned char)*p;
        if (c <= 0x20 || c >= 0x7F || strchr("\"'\\<>`", c)) return 0;
        if (c == '{') {
            if (!strchr("zxysr", p[1]) || p[2] != '}') return 0;
            p += 2;
        } else if (c == '}')
            return 0;
    }
    return strstr(v, "{z}") && strstr(v, "{x}") && strstr(v, "{y}");
}

int srv_map_setting(srv_config *cfg, const char *key, const char *val, char *why, size_t whylen)
{
    if (strcmp(key, "map.tiles") == 0) {
        if (!tiles_ok(val)) {
            snprintf(why, whylen,
                     "map.tiles must be an http:// or https:// URL template under %d bytes "
                     "holding {z}, {x} and {y} (and no other placeholder than {s} and {r}), "
                     "e.g. https://tiles.example.org/{z}/{x}/{y}.png",
                     SRV_MAP_TILES_MAX);
            return -1;
        }
        snprintf(cfg->map_tiles, sizeof cfg->map_tiles, "%s", val);
        return 0;
    }
    if (strcmp(key, "map.attribution") == 0) {
        if (!*val || strlen(val) >= SRV_MAP_ATTR_MAX || !plain_utf8((const unsigned char *)val)) {
            snprintf(why, whylen,
                     "map.attribution must be 1 to %d bytes of UTF-8 text with no control "
                     "character, e.g. Map data (c) OpenStreetMap contributors",
                     SRV_MAP_ATTR_MAX - 1);
            return -1;
        }
        snprintf(cfg->map_attribution, sizeof cfg->map_attribution, "%s", val);
        return 0;
    }
    return 1;
}
