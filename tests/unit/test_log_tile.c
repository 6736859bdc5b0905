/*
 * test_log_tile.c: C2SP tlog-tiles paths, hash tiles and entry bundles
 * (log/tile.c).
 *
 * Every file under $CMCC_SHARED_DIR/testvectors/tlog-1000/tile (made by Go's
 * sumdb/tlog) is found by walking the directory, its path parsed and
 * formatted back, and its bytes regenerated from entries.txt; tile_width_in
 * names exactly the tiles that are there. Then the path grammar: canonical
 * spellings round-trip, every other spelling is refused.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "vectors.h"

#include "log/log.h"

#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#define TILE_DIR  VEC "/tile"
#define MAX_FILES 64

/* ---- the vectors' tree: entries and every stored node --------------------- */

static struct {
    char *text;         /* entries.txt */
    const char **entry; /* entry i */
    size_t *entry_len;
    uint64_t size;
    log_hash *lv[64]; /* stored hashes by level */
    uint64_t n[64];
    char *files[MAX_FILES]; /* paths under tile/, relative */
    size_t nfiles;
} V;

static void emit(void *ctx, int level, uint64_t index, const log_hash *h)
{
    (void)ctx;
    assert_int_equal(index, V.n[level]);
    V.lv[level] = realloc(V.lv[level], (V.n[level] + 1) * sizeof(log_hash));
    V.lv[level][V.n[level]++] = *h;
}

static int read_node(void *ctx, int level, uint64_t index, log_hash *out)
{
    uint64_t size = *(const uint64_t *)ctx;
    if (level < 0 || level > 63 || ((index + 1) << level) > size) return -1;
    *out = V.lv[level][index];
    return 0;
}

/* read_node over a run, as tile_read_hashes reads it */
static int read_run(void *ctx, int level, uint64_t first, unsigned n, uint8_t *out)
{
    for (unsigned i = 0; i < n; i++) {
        log_hash h;
        if (read_node(ctx, level, first + i, &h)) return -1;
        memcpy(out + (size_t)i * LOG_HASH_SIZE, h.b, LOG_HASH_SIZE);
    }
    return 0;
}

static int walk(const char *path, const struct stat *sb, int type, struct FTW *ftw)
{
    (void)sb;
    (void)ftw;
    if (type != FTW_F) return 0;
    assert_true(V.nfiles < MAX_FILES);
    V.files[V.nfiles++] = strdup(path + strlen(TILE_DIR) + 1);
    return 0;
}

static int setup(void **state)
{
    (void)state;
    size_t len;
    log_frontier f;

    memset(&V, 0, sizeof V);
    V.text = read_file(VEC "/entries.txt", &len);
    log_frontier_init(&f);
    for (char *p = V.text; p < V.text + len;) {
        char *nl = memchr(p, '\n', (size_t)(V.text + len - p));
        assert_non_null(nl);
        V.entry = realloc(V.entry, (V.size + 1) * sizeof *V.entry);
        V.entry_len = realloc(V.entry_len, (V.size + 1) * sizeof *V.entry_len);
        V.entry[V.size] = p;
        V.entry_len[V.size] = (size_t)(nl - p);
        log_hash leaf;
        log_leaf_hash(p, (size_t)(nl - p), &leaf);
        log_frontier_append(&f, &leaf, emit, NULL);
        V.size++;
        p = nl + 1;
    }
    assert_int_equal(nftw(TILE_DIR, walk, 8, FTW_PHYS), 0);
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    for (int l = 0; l < 64; l++) free(V.lv[l]);
    for (size_t i = 0; i < V.nfiles; i++) free(V.files[i]);
    free(V.entry);
    free(V.entry_len);
    free(V.text);
    return 0;
}

/* ---- tests ---------------------------------------------------------------- */

static void test_vector_files(void **state)
{
    (void)state;
    assert_int_equal(V.size, 1000);
    assert_int_equal(V.nfiles, 9);
    for (size_t i = 0; i < V.nfiles; i++) {
        const char *rel = V.files[i];
        tile_id t;
        char path[TILE_PATH_MAX], full[512];
        size_t len;

        assert_int_equal(tile_path_parse(rel, strlen(rel), &t), 0);
        assert_int_equal(tile_path_format(&t, path, sizeof path), 5 + strlen(rel));
        assert_string_equal(path + 5, rel);
        assert_memory_equal(path, "tile/", 5);
        assert_int_equal(tile_width_in(t.level, t.index, V.size), t.width);

        snprintf(full, sizeof full, "%s/%s", TILE_DIR, rel);
        char *want = read_file(full, &len);
        if (t.level == TILE_ENTRIES) {
            cm_buf b = CM_BUF_INIT;
            for (unsigned k = 0; k < t.width; k++) {
                uint64_t e = t.index * TILE_WIDTH + k;
                tile_bundle_add(&b, V.entry[e], V.entry_len[e]);
            }
            assert_int_equal(b.len, len);
            assert_memory_equal(b.data, want, len);
            /* and read back */
            size_t off = 0, elen;
            const uint8_t *ent;
            for (unsigned k = 0; k < t.width; k++) {
                uint64_t e = t.index * TILE_WIDTH + k;
                assert_int_equal(tile_bundle_next((const uint8_t *)want, len, &off, &ent, &elen),
                                 0);
                assert_int_equal(elen, V.entry_len[e]);
                assert_memory_equal(ent, V.entry[e], elen);
            }
            assert_int_equal(off, len);
            buf_free(&b);
        } else {
            uint8_t *got = malloc((size_t)t.width * LOG_HASH_SIZE);
            uint64_t size = V.size;
            assert_int_equal(len, (size_t)t.width * LOG_HASH_SIZE);
            assert_int_equal(tile_read_hashes(&t, read_run, &size, got), 0);
            assert_memory_equal(got, want, len);
            free(got);
        }
        free(want);
    }
}

static int have_file(const char *rel)
{
    for (size_t i = 0; i < V.nfiles; i++)
        if (strcmp(V.files[i], rel) == 0) return 1;
    return 0;
}

static void test_width_in_names_the_files(void **state)
{
    (void)state;
    size_t found = 0;
    for (int level = TILE_ENTRIES; level < 64; level++) {
        for (uint64_t n = 0;; n++) {
            tile_id t = {level, n, tile_width_in(level, n, V.size)};
            char path[TILE_PATH_MAX];
            if (t.width == 0) break;
            tile_path_format(&t, path, sizeof path);
            assert_true(have_file(path + 5));
            found++;
        }
    }
    assert_int_equal(found, V.nfiles);
}

static void test_width_in(void **state)
{
    (void)state;
    assert_int_equal(tile_width_in(0, 3, 1000), 232);
    assert_int_equal(tile_width_in(0, 2, 1000), 256);
    assert_int_equal(tile_width_in(0, 4, 1000), 0);
    assert_int_equal(tile_width_in(1, 0, 1000), 3);
    assert_int_equal(tile_width_in(1, 1, 1000), 0);
    assert_int_equal(tile_width_in(2, 0, 1000), 0);
    assert_int_equal(tile_width_in(TILE_ENTRIES, 3, 1000), 232);
    assert_int_equal(tile_width_in(TILE_ENTRIES, 0, 0), 0);
    assert_int_equal(tile_width_in(0, 0, 256), 256);
    assert_int_equal(tile_width_in(0, 1, 256), 0);
    assert_int_equal(tile_width_in(1, 0, 65536), 256);
    assert_int_equal(tile_width_in(2, 0, 65536), 1);
    assert_int_equal(tile_width_in(7, 0, UINT64_MAX), 255);
    assert_int_equal(tile_width_in(8, 0, UINT64_MAX), 0);
    assert_int_equal(tile_width_in(63, 0, UINT64_MAX), 0);
    assert_int_equal(tile_width_in(-2, 0, 1000), 0);
    assert_int_equal(tile_width_in(0, UINT64_MAX, UINT64_MAX), 0);
    assert_int_equal(tile_width_in(TILE_ENTRIES, UINT64_MAX >> 8, UINT64_MAX), 255);
}

static void test_path_format(void **state)
{
    (void)state;
    static const struct {
        int level;
        uint64_t index;
        unsigned width;
        const char *path;
    } cases[] = {
        {0, 0, 256, "tile/0/000"},
        {0, 1234067, 5, "tile/0/x001/x234/067.p/5"},
        {1, 999, 256, "tile/1/999"},
        {2, 1000, 255, "tile/2/x001/000.p/255"},
        {TILE_ENTRIES, 0, 1, "tile/entries/000.p/1"},
        {TILE_ENTRIES, 1000000, 256, "tile/entries/x001/x000/000"},
        {63, UINT64_MAX, 256, "tile/63/x018/x446/x744/x073/x709/x551/615"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        tile_id t = {cases[i].level, cases[i].index, cases[i].width}, u;
        char path[TILE_PATH_MAX];
        size_t n = tile_path_format(&t, path, sizeof path);
        assert_string_equal(path, cases[i].path);
        assert_int_equal(n, strlen(cases[i].path));
        assert_int_equal(tile_path_parse(path + 5, n - 5, &u), 0);
        assert_int_equal(u.level, t.level);
        assert_int_equal(u.index, t.index);
        assert_int_equal(u.width, t.width);
    }
    /* a short buffer is cut and NUL-terminated; the whole length is returned */
    tile_id t = {0, 1234067, 5};
    char small[8];
    assert_int_equal(tile_path_format(&t, small, sizeof small), 24);
    assert_string_equal(small, "tile/0/");

    /* round trips over many indexes, levels and widths */
    for (int level = TILE_ENTRIES; level < 64; level += 5) {
        for (uint64_t n = 0; n < UINT64_MAX / 7; n = n * 7 + 1) {
            for (unsigned w = 1; w <= 256; w += 51) {
                tile_id a = {level, n, w}, b;
                char path[TILE_PATH_MAX];
                size_t len = tile_path_format(&a, path, sizeof path);
                assert_true(len < TILE_PATH_MAX);
                assert_int_equal(tile_path_parse(path + 5, len - 5, &b), 0);
                assert_int_equal(b.level, a.level);
                assert_int_equal(b.index, a.index);
                assert_int_equal(b.width, a.width);
            }
        }
    }
}

static void test_path_parse(void **state)
{
    (void)state;
    static const char *good[] = {
        "0/000",
        "0/x001/234.p/5",
        "entries/000",
        "entries/x001/x234/067.p/255",
        "63/x018/x446/x744/x073/x709/x551/615",
        "7/999",
        "12/x999/999.p/1",
    };
    static const char *bad[] = {
        "",
        "0",
        "0/",
        "/0/000",
        "tile/0/000",
        "0//000",
        "0/00",
        "0/0000",
        "0/1",
        "0/000/",
        "0/x000/001", /* leading zero group */
        "0/x000/000",
        "0/x001", /* no last group */
        "0/x001/",
        "0/x1234/000",
        "0/x01/000",
        "0/001x/000",
        "0/X001/000",
        "0/00a",
        "00/000", /* leading zero level */
        "01/000",
        "64/000", /* level > 63 */
        "100/000",
        "-1/000",
        "+1/000",
        " 0/000",
        "0/000 ",
        "0/001.p/0",   /* width 0 */
        "0/001.p/256", /* full tiles have no .p */
        "0/001.p/1000",
        "0/001.p/05",
        "0/001.p/",
        "0/001.p",
        "0/001.P/5",
        "0/001.p/5/",
        "0/001.p/5x",
        "0/001p/5",
        "0/001/.p/5",
        "entries",
        "entries/",
        "entries/x001",
        "entries/000.p/0",
        "entries/000.p/256",
        "entries/00",
        "data/000",
        "Entries/000",
        "0/x018/x446/x744/x073/x709/x551/616", /* 2^64 */
        "0/x001/x000/x000/x000/x000/x000/x000/000",
        "0/x999/x999/x999/x999/x999/x999/x999/999",
    };
    tile_id t;
    for (size_t i = 0; i < sizeof good / sizeof good[0]; i++) {
        if (tile_path_parse(good[i], strlen(good[i]), &t) != 0) fail_msg("refused %s", good[i]);
    }
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        if (tile_path_parse(bad[i], strlen(bad[i]), &t) == 0) fail_msg("accepted \"%s\"", bad[i]);
    }
    /* the length is what counts, not a NUL: an embedded NUL is refused */
    assert_int_equal(tile_path_parse("0/000\0", 6, &t), -1);
    assert_int_equal(tile_path_parse("0/000.p/5", 5, &t), 0);
    assert_int_equal(t.width, 256);
    assert_int_equal(tile_path_parse("0/x001/234.p/5", 14, &t), 0);
    assert_int_equal(t.level, 0);
    assert_int_equal(t.index, 1234);
    assert_int_equal(t.width, 5);
    assert_int_equal(tile_path_parse("entries/000", 11, &t), 0);
    assert_int_equal(t.level, TILE_ENTRIES);
}

static void test_read_hashes_bounds(void **state)
{
    (void)state;
    uint8_t out[TILE_WIDTH * LOG_HASH_SIZE];
    uint64_t size = V.size;
    tile_id t = {0, 4, 1}; /* past the tree */
    assert_int_equal(tile_read_hashes(&t, read_run, &size, out), -1);
    t = (tile_id){TILE_ENTRIES, 0, 1};
    assert_int_equal(tile_read_hashes(&t, read_run, &size, out), -1);
    t = (tile_id){8, 0, 1};
    assert_int_equal(tile_read_hashes(&t, read_run, &size, out), -1);
    t = (tile_id){0, 0, 0};
    assert_int_equal(tile_read_hashes(&t, read_run, &size, out), -1);
    t = (tile_id){1, 0, 3};
    assert_int_equal(tile_read_hashes(&t, read_run, &size, out), 0);
    assert_memory_equal(out, V.lv[8][0].b, 32);
    assert_memory_equal(out + 64, V.lv[8][2].b, 32);
}

static void test_bundle(void **state)
{
    (void)state;
    cm_buf b = CM_BUF_INIT;
    static char big[65535];
    memset(big, 'z', sizeof big);
    tile_bundle_add(&b, "", 0);
    tile_bundle_add(&b, "ab", 2);
    tile_bundle_add(&b, big, sizeof big);
    assert_int_equal(b.len, 2 + 4 + 2 + sizeof big);
    assert_memory_equal(b.data, "\0\0\0\2ab\xff\xff", 8);

    const uint8_t *p = (const uint8_t *)b.data, *e;
    size_t off = 0, n;
    assert_int_equal(tile_bundle_next(p, b.len, &off, &e, &n), 0);
    assert_int_equal(n, 0);
    assert_int_equal(tile_bundle_next(p, b.len, &off, &e, &n), 0);
    assert_int_equal(n, 2);
    assert_memory_equal(e, "ab", 2);
    assert_int_equal(tile_bundle_next(p, b.len, &off, &e, &n), 0);
    assert_int_equal(n, sizeof big);
    assert_int_equal(off, b.len);
    assert_int_equal(tile_bundle_next(p, b.len, &off, &e, &n), -1); /* at the end */

    /* truncated: in the length, in the entry */
    off = 0;
    assert_int_equal(tile_bundle_next(p, 1, &off, &e, &n), -1);
    off = 2;
    assert_int_equal(tile_bundle_next(p, 5, &off, &e, &n), -1);
    assert_int_equal(off, 2);
    off = 6;
    assert_int_equal(tile_bundle_next(p, b.len - 1, &off, &e, &n), -1);
    off = b.len + 1;
    assert_int_equal(tile_bundle_next(p, b.len, &off, &e, &n), -1);
    buf_free(&b);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_vector_files), cmocka_unit_test(test_width_in_names_the_files),
        cmocka_unit_test(test_width_in),     cmocka_unit_test(test_path_format),
        cmocka_unit_test(test_path_parse),   cmocka_unit_test(test_read_hashes_bounds),
        cmocka_unit_test(test_bundle),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
