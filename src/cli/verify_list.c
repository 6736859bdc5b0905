/*
 * verify_list.c: comparing a list the server answers (/v1/orgs,
 * /v1/places, /v1/consignments) with the replay's, element by element, in
 * memory that does not grow with the list (`cmcc verify URL`).
 *
 * The answer, {"KEY":[ELEMENT, ...]}, is read as it arrives: a small
 * scanner follows the nesting of brackets and strings, finds the array
 * under KEY at the top level, and cuts out one element at a time; the
 * replay gives its elements in the same order from the scratch store
 * (store_items). Each pair is parsed and compared as JSON; the first pair
 * that differs is described, as is an element one side has and the other
 * lacks. Only one element of each side is held at once.
 */
#include "cli/cli.h"

#include "common/mem.h"

#include <stdlib.h>
#include <string.h>

typedef struct {
    const char *key, *id_field, *path;
    store_items *it;
    int depth, in_str, esc;
    int in_list, list_seen, in_elem;
    char last[72]; /* the last string at the top level (a key) */
    size_t last_len;
    cm_buf elem;
    char *diff;
    int failed; /* the replay's store could not be read */
} lister;

/* The first difference, as a sentence; a and t may be NULL (none). */
static void describe(lister *l, json_t *a, json_t *t)
{
    char *as = a ? json_dumps(a, EV_JSON_OUT) : NULL;
    char *ts = t ? json_dumps(t, EV_JSON_OUT) : NULL;
    json_t *any = a ? a : t;
    json_t *last = json_object_get(any, "updated");
    l->diff =
        xasprintf("%s differs at \"%s\"%s: the replay gives %s; the server says %s", l->path,
                  json_string_value(json_object_get(any, l->id_field)),
                  last ? " (see its last entry)" : "", as ? as : "nothing", ts ? ts : "nothing");
    free(as);
    free(ts);
}

/* Compares the replay's next element with the server's (NULL: it has no
 * more). */
static void compare_next(lister *l, const char *theirs, size_t len)
{
    if (l->diff || l->failed) return;
    cm_error err;
    size_t mlen = 0;
    const char *mine = store_items_next(l->it, &mlen, &err);
    if (!mine && err.code != CM_OK) {
        l->failed = 1;
        return;
    }
    if (!mine && !theirs) return;
    json_t *a = mine ? json_loadb(mine, mlen, 0, NULL) : NULL;
    json_t *t = theirs ? json_loadb(theirs, len, 0, NULL) : NULL;
    if (!a || !t || !json_equal(a, t)) describe(l, a, t);
    json_decref(a);
    json_decref(t);
}

static void element_end(lister *l)
{
    if (l->in_elem) compare_next(l, l->elem.data, l->elem.len);
    l->in_elem = 0;
    buf_reset(&l->elem);
}

/* One byte of the answer. depth counts the open brackets: 1 in the
 * top-level object, 2 in the list, 3 and more inside an element. */
static void scan(lister *l, char c)
{
    int keep = l->in_elem;
    if (l->in_str) {
        if (keep) buf_putc(&l->elem, c);
        if (l->esc)
            l->esc = 0;
        else if (c == '\\')
            l->esc = 1;
        else if (c == '"')
            l->in_str = 0;
        if (!keep && l->depth == 1 && l->in_str && l->last_len < sizeof l->last - 1)
            l->last[l->last_len++] = c;
        return;
    }
    if (l->in_list && l->depth == 2) {
        if (c == ',' || c == ']') {
            element_end(l);
            if (c == ']') l->in_list = 0, l->depth = 1;
            return;
        }
        if (c == ' ' || c == '\t' || c == '\n' || c == '\r') return;
        l->in_elem = 1;
        keep = 1;
    }
    if (keep) buf_putc(&l->elem, c);
    if (c == '"') {
        l->in_str = 1;
        if (!keep && l->depth == 1) l->last_len = 0;
    } else if (c == '{' || c == '[') {
        if (c == '[' && l->depth == 1 && !l->in_list && !l->list_seen &&
            l->last_len == strlen(l->key) && memcmp(l->last, l->key, l->last_len) == 0)
            l->in_list = l->list_seen = 1;
        l->depth++;
    } else if (c == '}' || c == ']') {
        l->depth--;
    }
}

static size_t feed(void *ctx, const char *data, size_t len)
{
    lister *l = ctx;
    for (size_t i = 0; i < len; i++) scan(l, data[i]);
    return len;
}

int cli_compare_list(cli_http *h, const char *path, const char *key, store *s, store_list which,
                     const char *id_field, char **diff)
{
    cm_error err;
    lister l = {.key = key, .id_field = id_field, .path = path};
    *diff = NULL;
    if (!(l.it = store_items_open(s, which, &err))) return -1;
    int rc = cli_http_get_each(h, "verify", path, feed, &l);
    if (!rc && l.list_seen && !l.in_list) compare_next(&l, NULL, 0); /* the replay's rest */
    if (!rc && (!l.list_seen || l.in_list || l.failed)) rc = -1;
    store_items_close(l.it);
    buf_free(&l.elem);
    if (rc) {
        free(l.diff);
        return -1;
    }
    *diff = l.diff;
    return l.diff ? 1 : 0;
}
