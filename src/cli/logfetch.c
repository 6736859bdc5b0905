/*
 * logfetch.c: reading a log from its server (C2SP tlog-tiles and the
 * read API), for `cmcc verify URL` and `cmcc mirror`:
 *
 *   GET /checkpoint                     the signed note, opened with the log key
 *   GET /tile/entries/<N>[.p/<W>]       an entry bundle: uint16 length, bytes, ...
 *   GET /v1/proof/consistency?old&size  the path from one tree to a larger one
 *
 * Nothing is trusted but the log's key: the caller checks that the entries
 * hash to the tree a checkpoint signs. Each failure is one sentence on
 * stderr naming the URL.
 */
#include "cli/logfetch.h"

#include "common/codec.h"
#include "common/mem.h"

#include <string.h>

/* GET path, which must answer 200. */
static int get(lf_log *l, const char *path, cm_buf *out)
{
    long status = 0;
    cm_error err;
    if (cli_http_get(l->h, path, out, &status, &err)) return cli_error(l->cmd, &err), -1;
    if (status == 200) return 0;
    json_t *doc = out->len ? json_loadb(out->data, out->len, 0, NULL) : NULL;
    const char *msg = json_string_value(json_object_get(json_object_get(doc, "error"), "message"));
    cli_errorf(l->cmd, "%s%s answered %ld%s: %.300s", l->url, path, status,
               status == 401 ? " (give a read token: --token or CMCC_TOKEN)" : "",
               msg         ? msg
               : out->data ? out->data
                           : "");
    json_decref(doc);
    return -1;
}

int lf_open_checkpoint(const note_verifier *nv, const char *note, size_t len, log_checkpoint *c,
                       cm_error *err)
{
    note_opened o;
    if (note_open(note, len, nv, 1, &o, err)) return -1;
    if (checkpoint_parse(note, o.text_len, c, err)) return -1;
    if (strcmp(c->origin, nv->name) != 0)
        return cm_fail(err, CM_BAD_REQUEST, "checkpoint.origin",
                       "the checkpoint names origin \"%s\", not \"%s\"", c->origin, nv->name);
    return 0;
}

int lf_checkpoint(lf_log *l, cm_buf *note, log_checkpoint *c)
{
    if (get(l, "/checkpoint", note)) return -1;
    cm_error err;
    if (memchr(note->data, '\0', note->len) ||
        lf_open_checkpoint(&l->nv, note->data, note->len, c, &err)) {
        cli_errorf(l->cmd,
                   "%s/checkpoint is not a checkpoint signed by the log's key %s (%s): refused, "
                   "nothing stored",
                   l->url, l->nv.name,
                   memchr(note->data, '\0', note->len) ? "it holds a NUL byte" : err.message);
        return -1;
    }
    return 0;
}

int lf_bundle(lf_log *l, uint64_t index, uint64_t size, cm_buf *out, char path[TILE_PATH_MAX + 2])
{
    tile_id t = {TILE_ENTRIES, index, tile_width_in(TILE_ENTRIES, index, size)};
    path[0] = '/';
    tile_path_format(&t, path + 1, TILE_PATH_MAX + 1);
    return get(l, path, out);
}

int lf_bundle_each(const cm_buf *bundle, uint64_t first, unsigned width, store_entry_fn fn,
                   void *ctx, uint64_t *bad_at)
{
    size_t off = 0;
    for (unsigned k = 0; k < width; k++) {
        const uint8_t *e;
        size_t len;
        if (tile_bundle_next((const uint8_t *)bundle->data, bundle->len, &off, &e, &len)) {
            *bad_at = first + k;
            return 1;
        }
        int rc = fn(ctx, first + k, (const char *)e, len);
        if (rc) return rc;
    }
    if (off != bundle->len) {
        *bad_at = first + width;
        return 1;
    }
    return 0;
}

int lf_consistency(lf_log *l, uint64_t old, uint64_t size, log_hash path[LOG_MAX_PROOF], size_t *n)
{
    char q[96];
    snprintf(q, sizeof q, "/v1/proof/consistency?old=%llu&size=%llu", (unsigned long long)old,
             (unsigned long long)size);
    cm_buf b = CM_BUF_INIT;
    int rc = get(l, q, &b);
    *n = 0;
    if (!rc) {
        json_t *doc = json_loadb(b.data, b.len, 0, NULL);
        json_t *arr = json_object_get(doc, "consistency_path");
        size_t i;
        json_t *v;
        if (!json_is_array(arr) || json_array_size(arr) > LOG_MAX_PROOF) rc = -1;
        json_array_foreach(arr, i, v)
        {
            const char *s = json_string_value(v);
            if (rc || !s || b64_decode(s, strlen(s), path[i].b, LOG_HASH_SIZE) != LOG_HASH_SIZE) {
                rc = -1;
                break;
            }
            *n = i + 1;
        }
        json_decref(doc);
        if (rc)
            cli_errorf(l->cmd, "%s%s is not a consistency proof: refused, nothing stored", l->url,
                       q);
    }
    buf_free(&b);
    return rc;
}

int lf_served_size(cli_http *h, const char *cmd, uint64_t *size)
{
    cm_buf b = CM_BUF_INIT;
    int rc = -1;
    if (cli_http_get_ok(h, cmd, "/healthz", &b) == 0) {
        json_t *j = json_loadb(b.data, b.len, 0, NULL);
        json_t *s = json_object_get(j, "size");
        if (json_is_integer(s)) *size = (uint64_t)json_integer_value(s), rc = 0;
        json_decref(j);
    }
    buf_free(&b);
    return rc;
}
