/*
 * registry.c: GET /v1/orgs and /v1/places (and `cmcc verify`'s
 * comparison of them): the registry as the store's rows give it, each org
 * with its keys (as added), optional fields that were never given as null,
 * names by language and roles as the JSON they were stored as.
 */
#include "views/book.h"

#include "common/mem.h"

#include <stdlib.h>
#include <string.h>

/* ,"key":<JSON text> (null for NULL) */
static void kv_json(cm_buf *out, const char *key, const char *json)
{
    buf_printf(out, ",\"%s\":%s", key, json ? json : "null");
}

typedef struct {
    cm_buf keys; /* "org\0" then its keys' objects, for each org in turn */
    char **org;
    size_t *start, n, cap;
} keys_t;

static int on_key(void *ctx, const store_key_row *r)
{
    keys_t *k = ctx;
    if (!k->n || strcmp(k->org[k->n - 1], r->org)) {
        if (k->n == k->cap) {
            k->cap = k->cap ? 2 * k->cap : 32;
            k->org = xrealloc(k->org, k->cap * sizeof *k->org);
            k->start = xrealloc(k->start, (k->cap + 1) * sizeof *k->start);
        }
        k->org[k->n] = xstrdup(r->org);
        k->start[k->n++] = k->keys.len;
    } else
        buf_putc(&k->keys, ',');
    buf_puts(&k->keys, "{\"keyid\":");
    views_str(&k->keys, r->keyid);
    views_kv_str(&k->keys, "public_key", r->public_key);
    views_kv_str(&k->keys, "status", r->status);
    buf_putc(&k->keys, '}');
    return 0;
}

typedef struct {
    cm_buf one; /* the element being made */
    const keys_t *k;
    size_t next; /* the next org of k (both by org) */
    views_item_fn fn;
    void *ctx;
} orgs_t;

static int on_org(void *ctx, const store_org_row *r)
{
    orgs_t *o = ctx;
    cm_buf *out = &o->one;
    buf_reset(out);
    buf_puts(out, "{\"org\":");
    views_str(out, r->org);
    views_kv_str(out, "name", r->name);
    kv_json(out, "names", r->names);
    kv_json(out, "roles", r->roles);
    views_kv_str(out, "country", r->country);
    views_kv_str(out, "status", r->status);
    views_kv_str(out, "reason", r->reason);
    views_kv_int(out, "admitted", r->admitted);
    buf_puts(out, ",\"keys\":[");
    const keys_t *k = o->k;
    while (o->next < k->n && strcmp(k->org[o->next], r->org) < 0) o->next++;
    if (o->next < k->n && strcmp(k->org[o->next], r->org) == 0) {
        size_t end = o->next + 1 < k->n ? k->start[o->next + 1] : k->keys.len;
        buf_append(out, k->keys.data + k->start[o->next], end - k->start[o->next]);
    }
    buf_puts(out, "]}");
    return o->fn(o->ctx, out->data, out->len);
}

int views_orgs_each(store *s, views_item_fn fn, void *ctx, cm_error *err)
{
    keys_t k = {CM_BUF_INIT, NULL, NULL, 0, 0};
    int rc = store_keys_each(s, on_key, &k, err);
    if (!rc) {
        orgs_t o = {CM_BUF_INIT, &k, 0, fn, ctx};
        rc = store_orgs_each(s, on_org, &o, err);
        buf_free(&o.one);
    }
    for (size_t i = 0; i < k.n; i++) free(k.org[i]);
    free(k.org);
    free(k.start);
    buf_free(&k.keys);
    return rc < 0 ? -1 : 0;
}

int views_orgs_json(store *s, cm_buf *out, cm_error *err)
{
    views_array a = {out, 0};
    buf_putc(out, '[');
    int rc = views_orgs_each(s, views_array_add, &a, err);
    buf_putc(out, ']');
    return rc;
}

typedef struct {
    cm_buf one; /* the element being made */
    views_item_fn fn;
    void *ctx;
} places_t;

static int on_place(void *ctx, const store_place_row *r)
{
    places_t *p = ctx;
    cm_buf *out = &p->one;
    buf_reset(out);
    buf_puts(out, "{\"place\":");
    views_str(out, r->place);
    views_kv_str(out, "kind", r->kind);
    views_kv_str(out, "name", r->name);
    kv_json(out, "names", r->names);
    buf_puts(out, ",\"lat\":");
    views_real(out, r->lat);
    buf_puts(out, ",\"lon\":");
    views_real(out, r->lon);
    views_kv_str(out, "sector", r->sector);
    views_kv_str(out, "status", r->status);
    views_kv_str(out, "reason", r->reason);
    views_kv_int(out, "defined", r->defined);
    buf_putc(out, '}');
    return p->fn(p->ctx, out->data, out->len);
}

int views_places_each(store *s, views_item_fn fn, void *ctx, cm_error *err)
{
    places_t p = {CM_BUF_INIT, fn, ctx};
    int rc = store_places_each(s, on_place, &p, err);
    buf_free(&p.one);
    return rc < 0 ? -1 : 0;
}

int views_places_json(store *s, cm_buf *out, cm_error *err)
{
    views_array a = {out, 0};
    buf_putc(out, '[');
    int rc = views_places_each(s, views_array_add, &a, err);
    buf_putc(out, ']');
    return rc;
}
