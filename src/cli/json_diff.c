/*
 * json_diff.c: the differences between two JSON values, each named by its
 * path, as `cmcc verify URL` prints them when the server's answer is not
 * the replay's (verify_figures.c, verify_list.c).
 *
 * A path starts from the name the caller gives (often the list's key) and
 * goes down with ".key" for a member and "[i]" for an element, as in
 * movements[3].warnings[0]. Objects are compared member by member (the
 * replay's keys in order, then those only the server has), arrays element
 * by element (then the elements one side has past the other's end); any
 * other pair differs when json_equal says so. Each difference is one line:
 *
 *   "<path>: the replay gives <A>; the server says <B>"
 *
 * with "nothing" for a side that has no such member or element, and each
 * value cut at VALUE_MAX characters. Past `max` lines only the count goes on.
 */
#include "cli/cli.h"

#include "common/mem.h"

#include <stdlib.h>
#include <string.h>

#define VALUE_MAX 160

typedef struct {
    const char *prefix; /* put before each line */
    size_t max, n;
    cm_buf *out;
} differ;

static void value(cm_buf *out, const json_t *v)
{
    if (!v) {
        buf_puts(out, "nothing");
        return;
    }
    char *s = json_dumps(v, JSON_ENCODE_ANY | JSON_COMPACT | JSON_SORT_KEYS);
    size_t len = s ? strlen(s) : 0;
    if (len > VALUE_MAX)
        buf_printf(out, "%.*s... (%zu characters)", VALUE_MAX, s, len);
    else
        buf_puts(out, s ? s : "?");
    free(s);
}

static void found(differ *d, const cm_buf *path, const json_t *a, const json_t *t)
{
    if (d->n++ >= d->max) return;
    buf_printf(d->out, "%s%s: the replay gives ", d->prefix,
               path->len ? path->data : "(the whole answer)");
    value(d->out, a);
    buf_puts(d->out, "; the server says ");
    value(d->out, t);
    buf_putc(d->out, '\n');
}

static void walk(differ *d, cm_buf *path, const json_t *a, const json_t *t);

/* Goes into a member or an element, then back to path. */
static void child(differ *d, cm_buf *path, const char *key, size_t index, const json_t *a,
                  const json_t *t)
{
    size_t len = path->len;
    if (key)
        buf_printf(path, "%s%s", len ? "." : "", key);
    else
        buf_printf(path, "[%zu]", index);
    walk(d, path, a, t);
    path->len = len;
    if (path->data) path->data[len] = 0;
}

static void walk(differ *d, cm_buf *path, const json_t *a, const json_t *t)
{
    if (a && t && json_is_object(a) && json_is_object(t)) {
        const char *k;
        json_t *v;
        json_object_foreach((json_t *)a, k, v) child(d, path, k, 0, v, json_object_get(t, k));
        json_object_foreach((json_t *)t, k, v)
        {
            if (!json_object_get(a, k)) child(d, path, k, 0, NULL, v);
        }
    } else if (a && t && json_is_array(a) && json_is_array(t)) {
        size_t na = json_array_size(a), nt = json_array_size(t);
        for (size_t i = 0; i < na || i < nt; i++)
            child(d, path, NULL, i, json_array_get(a, i), json_array_get(t, i));
    } else if (!a || !t || !json_equal((json_t *)a, (json_t *)t)) {
        found(d, path, a, t);
    }
}

size_t cli_json_diff(const char *prefix, const char *root, const json_t *a, const json_t *t,
                     size_t max, cm_buf *out)
{
    differ d = {prefix ? prefix : "", max, 0, out};
    cm_buf path = CM_BUF_INIT;
    buf_puts(&path, root ? root : "");
    walk(&d, &path, a, t);
    buf_free(&path);
    if (d.n > max)
        buf_printf(out, "%sand %zu more difference%s\n", d.prefix, d.n - max,
                   d.n - max == 1 ? "" : "s");
    return d.n;
}
