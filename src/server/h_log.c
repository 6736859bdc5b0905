/*
 * h_log.c: the log itself over HTTP.
 *
 *   GET /v1/log                       public: origin, note verifier key, size,
 *                                     witnesses, the map's basemap (cmcc.conf's
 *                                     map.tiles and map.attribution, or null)
 *   GET /checkpoint                   newest signed checkpoint (text/plain)
 *   GET /tile/<L>/<N>[.p/<W>]         hash tiles (public)
 *   GET /tile/entries/<N>[.p/<W>]     entry bundles (participants only)
 *   GET /v1/entries/<i>               entry i, its leaf hash and its event
 *   GET /v1/proof/inclusion?index=I&size=N
 *   GET /v1/proof/consistency?old=M&size=N
 *
 * Tiles and proofs are computed from stored hashes for any tree size up to
 * the committed one; a tile's bytes never change once it exists, so every
 * tile is served as immutable.
 */
#include "server/handlers.h"

#include "common/mem.h"
#include "common/timeutil.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

int h_log_info(srv_req *q, const char *path, srv_resp *r)
{
    (void)path;
    srv *s = q->s;
    uint64_t size;
    srv_published(s, &size, NULL);
    buf_puts(&r->body, "{\"origin\":");
    buf_json_str(&r->body, s->eng.origin);
    buf_puts(&r->body, ",\"vkey\":");
    buf_json_str(&r->body, s->eng.vkey ? s->eng.vkey : "");
    buf_printf(&r->body, ",\"size\":%llu,\"witnesses\":[", (unsigned long long)size);
    for (size_t i = 0; i < s->cfg.n_witnesses; i++) {
        buf_puts(&r->body, i ? ",{\"vkey\":" : "{\"vkey\":");
        buf_json_str(&r->body, s->cfg.witnesses[i].vkey);
        buf_puts(&r->body, "}");
    }
    buf_puts(&r->body, "],\"map\":");
    if (s->cfg.map_tiles[0]) {
        buf_puts(&r->body, "{\"tiles\":");
        buf_json_str(&r->body, s->cfg.map_tiles);
        buf_puts(&r->body, ",\"attribution\":");
        if (s->cfg.map_attribution[0])
            buf_json_str(&r->body, s->cfg.map_attribution);
        else
            buf_puts(&r->body, "null");
        buf_puts(&r->body, "}");
    } else
        buf_puts(&r->body, "null");
    if (s->mirror_of) { /* serve --mirror: whose copy this is, and who cosigns it */
        buf_puts(&r->body, ",\"mirror\":{\"of\":");
        buf_json_str(&r->body, s->mirror_of);
        buf_puts(&r->body, ",\"vkey\":");
        buf_json_str(&r->body, s->mirror_vkey ? s->mirror_vkey : "");
        buf_puts(&r->body, "}");
    }
    buf_puts(&r->body, "}\n");
    r->cache = "no-cache";
    return 0;
}

int h_checkpoint(srv_req *q, const char *path, srv_resp *r)
{
    (void)path;
    engine_checkpoint(&q->s->eng, &r->body);
    if (!r->body.len) return srv_unavailable(r);
    r->type = "text/plain; charset=utf-8";
    r->cache = "no-cache";
    return 0;
}

typedef struct {
    cm_buf *out;
} bundle_ctx;

static int add_entry(void *ctx, uint64_t idx, const char *entry, size_t len)
{
    (void)idx;
    bundle_ctx *b = ctx;
    tile_bundle_add(b->out, entry, len);
    return 0;
}

int h_tile(srv_req *q, const char *path, srv_resp *r)
{
    tile_id t;
    const char *rel = path + strlen("/tile/");
    if (tile_path_parse(rel, strlen(rel), &t)) {
        srv_errorf(r, CM_NOT_FOUND, "", "%s is not a tile path", path);
        return 0;
    }
    if (t.level == TILE_ENTRIES && srv_auth(q, r)) return 0;
    uint64_t size;
    srv_published(q->s, &size, NULL);
    unsigned have = tile_width_in(t.level, t.index, size);
    if (t.width > have) {
        srv_errorf(r, CM_NOT_FOUND, "", "%s does not exist in the tree of %llu entries", path,
                   (unsigned long long)size);
        return 0;
    }
    store *rd = srv_reader(q->s);
    if (!rd) return srv_unavailable(r);
    cm_error err;
    if (t.level == TILE_ENTRIES) {
        bundle_ctx b = {&r->body};
        if (store_entries(rd, t.index * TILE_WIDTH, t.width, add_entry, &b, &err))
            return srv_unavailable(r);
    } else {
        buf_reserve(&r->body, (size_t)t.width * LOG_HASH_SIZE);
        if (tile_read_hashes(&t, store_read_hashes, rd, (uint8_t *)r->body.data))
            return srv_unavailable(r);
        r->body.len = (size_t)t.width * LOG_HASH_SIZE;
    }
    r->type = "application/octet-stream";
    r->cache = "public, max-age=31536000, immutable";
    return 0;
}

int h_entry(srv_req *q, const char *path, srv_resp *r)
{
    const char *num = path + strlen("/v1/entries/");
    char *end = NULL;
    errno = 0;
    unsigned long long i = strtoull(num, &end, 10);
    if (!*num || *end || *num < '0' || *num > '9' || (num[0] == '0' && num[1]) || errno) {
        srv_errorf(r, CM_BAD_REQUEST, "index", "the entry index must be a whole number");
        return 0;
    }
    uint64_t size;
    srv_published(q->s, &size, NULL);
    if (i >= size) {
        srv_errorf(r, CM_NOT_FOUND, "", "no entry %llu: the log has %llu entries", i,
                   (unsigned long long)size);
        return 0;
    }
    store *rd = srv_reader(q->s);
    char *entry = NULL;
    size_t len = 0;
    cm_error err;
    log_hash leaf;
    if (!rd || store_entry(rd, i, &entry, &len, &err) != 1 || store_read_hash(rd, 0, i, &leaf))
        return free(entry), srv_unavailable(r);
    ev_envelope env;
    int64_t received;
    if (ev_entry_parse(entry, len, &env, &received, &err)) {
        free(entry);
        srv_errorf(r, CM_INTERNAL, "", "entry %llu is damaged: %s", i, err.message);
        return 0;
    }
    char t[32];
    time_format_ms(received, t, sizeof t);
    buf_printf(&r->body, "{\"index\":%llu,\"received\":\"%s\",\"leaf_hash\":\"", i, t);
    buf_b64(&r->body, leaf.b, LOG_HASH_SIZE);
    buf_puts(&r->body, "\",\"entry\":");
    buf_append(&r->body, entry, len);
    buf_puts(&r->body, ",\"event\":");
    buf_append(&r->body, env.payload, env.payload_len);
    buf_puts(&r->body, "}\n");
    ev_envelope_free(&env);
    free(entry);
    return 0;
}

static void hashes_json(cm_buf *out, const log_hash *h, size_t n)
{
    buf_putc(out, '[');
    for (size_t i = 0; i < n; i++) {
        if (i) buf_putc(out, ',');
        buf_putc(out, '"');
        buf_b64(out, h[i].b, LOG_HASH_SIZE);
        buf_putc(out, '"');
    }
    buf_putc(out, ']');
}

/* Reads required query parameters a <= b <= the committed size. */
static int sizes(srv_req *q, const char *an, uint64_t *a, const char *bn, uint64_t *b, srv_resp *r)
{
    int ra = srv_query_u64(q, an, a, r);
    if (ra < 0) return -1;
    int rb = srv_query_u64(q, bn, b, r);
    if (rb < 0) return -1;
    if (!ra || !rb) {
        srv_errorf(r, CM_BAD_REQUEST, ra ? bn : an, "give both %s and %s", an, bn);
        return -1;
    }
    uint64_t size;
    srv_published(q->s, &size, NULL);
    if (*b > size) {
        srv_errorf(r, CM_BAD_REQUEST, bn, "%s=%llu is beyond the tree, which has %llu entries", bn,
                   (unsigned long long)*b, (unsigned long long)size);
        return -1;
    }
    return 0;
}

int h_proof_inclusion(srv_req *q, const char *path, srv_resp *r)
{
    (void)path;
    uint64_t index, size;
    if (sizes(q, "index", &index, "size", &size, r)) return 0;
    if (index >= size) {
        srv_errorf(r, CM_BAD_REQUEST, "index", "index must be below size");
        return 0;
    }
    store *rd = srv_reader(q->s);
    log_hash path_[LOG_MAX_PROOF], leaf;
    size_t n = 0;
    if (!rd || log_prove_inclusion(index, size, store_read_hash, rd, path_, &n) ||
        store_read_hash(rd, 0, index, &leaf))
        return srv_unavailable(r);
    buf_printf(&r->body, "{\"leaf_index\":%llu,\"tree_size\":%llu,\"leaf_hash\":\"",
               (unsigned long long)index, (unsigned long long)size);
    buf_b64(&r->body, leaf.b, LOG_HASH_SIZE);
    buf_puts(&r->body, "\",\"inclusion_path\":");
    hashes_json(&r->body, path_, n);
    buf_puts(&r->body, "}\n");
    return 0;
}

int h_proof_consistency(srv_req *q, const char *path, srv_resp *r)
{
    (void)path;
    uint64_t old, size;
    if (sizes(q, "old", &old, "size", &size, r)) return 0;
    if (old == 0 || old > size) {
        srv_errorf(r, CM_BAD_REQUEST, "old", "old must be between 1 and size");
        return 0;
    }
    store *rd = srv_reader(q->s);
    log_hash path_[LOG_MAX_PROOF];
    size_t n = 0;
    if (!rd || log_prove_consistency(old, size, store_read_hash, rd, path_, &n))
        return srv_unavailable(r);
    buf_printf(&r->body, "{\"old_size\":%llu,\"tree_size\":%llu,\"consistency_path\":",
               (unsigned long long)old, (unsigned long long)size);
    hashes_json(&r->body, path_, n);
    buf_puts(&r->body, "}\n");
    return 0;
}
