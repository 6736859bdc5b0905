/*
 * tile.c: C2SP tlog-tiles, the static files a log is served as.
 *
 * Hash tiles. Tree levels are grouped by TILE_HEIGHT = 8: the hash tile at
 * tile level L, index N holds the stored hashes of tree level 8L, nodes
 * N*256 .. N*256+W-1, concatenated, 32 bytes each:
 *
 *   +-----------+-----------+-----+-------------+
 *   | hash[0]   | hash[1]   | ... | hash[W-1]   |   W * 32 bytes
 *   +-----------+-----------+-----+-------------+
 *
 * A tree of S leaves has S >> 8L hashes at tree level 8L; tile N of that
 * level is full (W = 256) when they reach N*256 + 256, partial (W < 256)
 * when they stop inside it, and absent when they stop before it.
 *
 * Entry bundles (level TILE_ENTRIES) hold entries N*256 .. N*256+W-1, each
 * as a big-endian uint16 length and that many bytes, nothing between:
 *
 *   len[0] (2 bytes, BE) | entry[0] | len[1] | entry[1] | ...
 *
 * Paths, relative to the tile root (the served URL adds "tile/"):
 *
 *   <L>/<N>[.p/<W>]       L in decimal, 0..63, no leading zeros
 *   entries/<N>[.p/<W>]
 *
 * N is written in groups of three decimal digits, the last as "ddd" and
 * every one before it as "xddd/", with no leading group "x000":
 *
 *   0 -> 000     1000 -> x001/000     1234067 -> x001/x234/067
 *
 * ".p/<W>" marks a partial tile, W in decimal 1..255, no leading zeros; a
 * full tile has no suffix. Exactly one spelling is accepted for each tile:
 * the parser reads the fields strictly, then formats them back and requires
 * the same bytes.
 */
#include "log/log.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int is_digit(char c)
{
    return c >= '0' && c <= '9';
}

/* Three digits at s[*i]: their value, or -1. */
static int group3(const char *s, size_t len, size_t *i)
{
    if (len - *i < 3 || !is_digit(s[*i]) || !is_digit(s[*i + 1]) || !is_digit(s[*i + 2])) return -1;
    int v = (s[*i] - '0') * 100 + (s[*i + 1] - '0') * 10 + (s[*i + 2] - '0');
    *i += 3;
    return v;
}

/* A small decimal of at most `digits` digits at s[*i], no leading zeros. */
static int small_decimal(const char *s, size_t len, size_t *i, int digits, unsigned *out)
{
    size_t start = *i;
    unsigned v = 0;
    while (*i < len && is_digit(s[*i]) && *i - start < (size_t)digits)
        v = v * 10 + (unsigned)(s[(*i)++] - '0');
    if (*i == start || (s[start] == '0' && *i - start > 1)) return -1;
    *out = v;
    return 0;
}

int tile_path_parse(const char *path, size_t len, tile_id *out)
{
    static const char entries[] = "entries/";
    tile_id t;
    size_t i = 0;
    unsigned v;

    if (len >= sizeof entries - 1 && memcmp(path, entries, sizeof entries - 1) == 0) {
        t.level = TILE_ENTRIES;
        i = sizeof entries - 1;
    } else {
        if (small_decimal(path, len, &i, 2, &v) != 0 || v > 63) return -1;
        if (i >= len || path[i] != '/') return -1;
        t.level = (int)v;
        i++;
    }

    t.index = 0;
    for (;;) {
        int last = !(i < len && path[i] == 'x');
        if (!last) i++;
        int g = group3(path, len, &i);
        if (g < 0) return -1;
        if (t.index > (UINT64_MAX - (uint64_t)g) / 1000) return -1;
        t.index = t.index * 1000 + (uint64_t)g;
        if (last) break;
        if (i >= len || path[i] != '/') return -1;
        i++;
    }

    t.width = TILE_WIDTH;
    if (i < len) {
        if (len - i < 3 || memcmp(path + i, ".p/", 3) != 0) return -1;
        i += 3;
        if (small_decimal(path, len, &i, 3, &v) != 0 || v < 1 || v >= TILE_WIDTH) return -1;
        t.width = v;
    }
    if (i != len) return -1;

    /* The one canonical spelling (no "x000/" leading group, etc.). */
    char again[TILE_PATH_MAX];
    size_t n = tile_path_format(&t, again, sizeof again);
    if (n != len + 5 || memcmp(again + 5, path, len) != 0) return -1;
    *out = t;
    return 0;
}

size_t tile_path_format(const tile_id *t, char *out, size_t cap)
{
    char groups[7][8]; /* a uint64 has at most 7 groups of three digits */
    char tmp[TILE_PATH_MAX];
    int ng = 0;
    uint64_t n = t->index;
    size_t len;

    snprintf(groups[ng++], sizeof groups[0], "%03u", (unsigned)(n % 1000));
    while (n >= 1000) {
        n /= 1000;
        snprintf(groups[ng++], sizeof groups[0], "x%03u/", (unsigned)(n % 1000));
    }
    if (t->level == TILE_ENTRIES)
        len = (size_t)snprintf(tmp, sizeof tmp, "tile/entries/");
    else
        len = (size_t)snprintf(tmp, sizeof tmp, "tile/%d/", t->level);
    while (ng > 0) len += (size_t)snprintf(tmp + len, sizeof tmp - len, "%s", groups[--ng]);
    if (t->width < TILE_WIDTH)
        len += (size_t)snprintf(tmp + len, sizeof tmp - len, ".p/%u", t->width);

    if (cap > 0) {
        size_t copy = len < cap ? len : cap - 1;
        memcpy(out, tmp, copy);
        out[copy] = '\0';
    }
    return len;
}

unsigned tile_width_in(int level, uint64_t index, uint64_t size)
{
    uint64_t count;
    if (level == TILE_ENTRIES)
        count = size;
    else if (level >= 0 && level < 8)
        count = size >> (TILE_HEIGHT * level);
    else
        return 0;
    if (index > (count >> TILE_HEIGHT)) return 0;
    uint64_t rest = count - (index << TILE_HEIGHT);
    return rest >= TILE_WIDTH ? TILE_WIDTH : (unsigned)rest;
}

int tile_read_hashes(const tile_id *t, log_read_run_fn rd, void *ctx, uint8_t *out)
{
    if (t->level < 0 || t->level >= 8 || t->width < 1 || t->width > TILE_WIDTH) return -1;
    if (t->index > (UINT64_MAX >> TILE_HEIGHT)) return -1;
    return rd(ctx, TILE_HEIGHT * t->level, t->index << TILE_HEIGHT, t->width, out) ? -1 : 0;
}

void tile_bundle_add(cm_buf *bundle, const void *entry, size_t len)
{
    /* A longer entry cannot be framed: the caller broke the contract, and a
     * silently truncated bundle would be served forever. */
    if (len > 0xffff) abort();
    uint8_t n[2] = {(uint8_t)(len >> 8), (uint8_t)len};
    buf_append(bundle, n, 2);
    buf_append(bundle, entry, len);
}

int tile_bundle_next(const uint8_t *bundle, size_t len, size_t *off, const uint8_t **entry,
                     size_t *entry_len)
{
    if (*off > len || len - *off < 2) return -1;
    size_t n = (size_t)bundle[*off] << 8 | bundle[*off + 1];
    if (len - *off - 2 < n) return -1;
    *entry = bundle + *off + 2;
    *entry_len = n;
    *off += 2 + n;
    return 0;
}
