/*
 * fuzz_tile_path.c: the tile path parser (log/tile.c), what GET /tile/...
 * reads from the URL.
 *
 * Two round trips, both as properties (a broken one aborts):
 *   - the input as a path relative to the tile root: when tile_path_parse
 *     accepts it, tile_path_format gives back "tile/" and exactly the
 *     input bytes (one spelling per tile), within TILE_PATH_MAX, and the
 *     fields are in range;
 *   - the input as a tile: level, index and width taken from its bytes,
 *     formatted, must parse back to the same tile.
 *
 * Seeds (corpus/tile_path/): valid paths (hash tiles, entry bundles,
 * partial tiles, many index groups) and near misses (leading zeros, an
 * "x000/" group, width 256 or 0, level 64, trailing bytes).
 */
#include "fuzz.h"

#include "log/log.h"

#include <string.h>

static void path_roundtrip(const char *path, size_t len)
{
    tile_id t;
    if (tile_path_parse(path, len, &t) != 0) return;
    FUZZ_CHECK(t.level == TILE_ENTRIES || (t.level >= 0 && t.level <= 63));
    FUZZ_CHECK(t.width >= 1 && t.width <= TILE_WIDTH);
    char out[TILE_PATH_MAX];
    size_t n = tile_path_format(&t, out, sizeof out);
    FUZZ_CHECK(n < sizeof out);
    FUZZ_CHECK(n == len + 5 && memcmp(out, "tile/", 5) == 0 && memcmp(out + 5, path, len) == 0);
}

static void tile_roundtrip(const uint8_t *data, size_t size)
{
    if (size < 11) return;
    tile_id t, back;
    t.level = data[0] % 65 == 64 ? TILE_ENTRIES : data[0] % 65;
    t.index = 0;
    for (int i = 1; i <= 8; i++) t.index = t.index << 8 | data[i];
    t.width = (unsigned)(data[9] << 8 | data[10]) % TILE_WIDTH + 1;
    char out[TILE_PATH_MAX];
    size_t n = tile_path_format(&t, out, sizeof out);
    FUZZ_CHECK(n < sizeof out && n > 5 && memcmp(out, "tile/", 5) == 0);
    FUZZ_CHECK(tile_path_parse(out + 5, n - 5, &back) == 0);
    FUZZ_CHECK(back.level == t.level && back.index == t.index && back.width == t.width);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    path_roundtrip((const char *)data, size);
    tile_roundtrip(data, size);
    return 0;
}
