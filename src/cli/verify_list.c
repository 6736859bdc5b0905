/*
 * verify_list.c: comparing a list the server answers (/v1/orgs,
 * /v1/places, /v1/consignments) with the replay's, element by element, in
 * memory that does not grow with the list (`cmcc verify URL`).
 *
 * The answer, {"KEY":[ELEMENT, ...]}, is written as it arrives to a
 * temporary file, on a thread of its own, while the read model
 * (src/views/) writes the replay's elements from the scratch store to
 * another (each after its length): the server makes its answer as the
 * replay makes its own. Then the replay's elements are read back one at a
 * time, and for each the next of the server's is cut out of its file by a
 * small scanner that follows the
 * nesting of brackets and strings and finds the array under KEY at the top
 * level. A pair of the same bytes is the same; any other pair is parsed
 * and compared as JSON (the server may space or order it otherwise); the first pair that
 * differs is described field by field (json_diff.c: "PATH differs at
 * \"ID\": KEY[i].field: the replay gives A; the server says B"), as is an
 * element one side has and the other lacks. The comparison stops there:
 * past a missing element every pair would differ. Only one element of each
 * side is held in memory at once.
 */
#include "cli/cli.h"

#include "common/mem.h"

#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct {
    const char *key, *id_field, *path;
    FILE *f;   /* the server's answer */
    int ready; /* elem holds the server's next element */
    int depth, in_str, esc;
    int in_list, list_seen, in_elem;
    char last[72]; /* the last string at the top level (a key) */
    size_t last_len;
    cm_buf elem;
    size_t index, max; /* the pair's place in the lists; lines at most */
    cm_buf *report;
    int differs;
} lister;

/* The first difference, a line for each field; a and t may be NULL (none). */
static void describe(lister *l, json_t *a, json_t *t)
{
    json_t *any = a ? a : t;
    const char *id = json_string_value(json_object_get(any, l->id_field));
    l->differs = 1;
    if (!a || !t) {
        char *as = a ? json_dumps(a, EV_JSON_OUT) : NULL;
        char *ts = t ? json_dumps(t, EV_JSON_OUT) : NULL;
        buf_printf(l->report, "%s differs at \"%s\": the replay gives %s; the server says %s\n",
                   l->path, id ? id : "?", as ? as : "nothing", ts ? ts : "nothing");
        free(as);
        free(ts);
        return;
    }
    char *prefix = xasprintf("%s differs at \"%s\": ", l->path, id ? id : "?");
    char *root = xasprintf("%s[%zu]", l->key, l->index);
    cli_json_diff(prefix, root, a, t, l->max, l->report);
    free(prefix);
    free(root);
}

static void element_end(lister *l)
{
    if (l->in_elem) l->ready = 1;
    l->in_elem = 0;
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

static size_t spool(void *ctx, const char *data, size_t len)
{
    return fwrite(data, 1, len, ctx);
}

/* The server's next element into l->elem: 1, or 0 when its list ended. */
static int next_theirs(lister *l)
{
    buf_reset(&l->elem);
    l->ready = 0;
    int c;
    while (!l->ready && (c = getc_unlocked(l->f)) != EOF) scan(l, (char)c);
    return l->ready;
}

/* Compares a pair: mine (NULL: the replay has no more) and the server's
 * next element. */
static int compare(lister *l, const char *mine, size_t mlen)
{
    if (l->differs) return 1;
    int theirs = next_theirs(l);
    if (!mine && !theirs) return 0;
    if (mine && theirs && mlen == l->elem.len && memcmp(mine, l->elem.data, mlen) == 0) {
        l->index++; /* the same bytes: the same JSON */
        return 0;
    }
    json_t *a = mine ? json_loadb(mine, mlen, 0, NULL) : NULL;
    json_t *t = theirs ? json_loadb(l->elem.data, l->elem.len, 0, NULL) : NULL;
    if (!a || !t || !json_equal(a, t)) describe(l, a, t);
    json_decref(a);
    json_decref(t);
    l->index++;
    return l->differs;
}

/* The replay's element into its file: its length, then its bytes. */
static int spool_mine(void *ctx, const char *json, size_t len)
{
    uint64_t n = len;
    return fwrite(&n, sizeof n, 1, ctx) == 1 && fwrite(json, 1, len, ctx) == len ? 0 : -1;
}

/* The replay's next element from its file into b: 1, 0 at its end, -1. */
static int next_mine(FILE *f, cm_buf *b)
{
    uint64_t n;
    if (fread(&n, sizeof n, 1, f) != 1) return feof(f) ? 0 : -1;
    buf_reset(b);
    buf_reserve(b, (size_t)n);
    if (fread(b->data, 1, (size_t)n, f) != n) return -1;
    b->len = (size_t)n;
    return 1;
}

typedef struct {
    cli_http *h;
    const char *path;
    FILE *f;
    int rc;
} download;

static void *fetch(void *arg)
{
    download *d = arg;
    d->rc = cli_http_get_each(d->h, "verify", d->path, spool, d->f);
    return NULL;
}

int cli_compare_list(cli_http *h, const char *path, const char *key, store *s, views_each_fn each,
                     const char *id_field, size_t max, cm_buf *report)
{
    cm_error err;
    lister l = {.key = key, .id_field = id_field, .path = path, .max = max, .report = report};
    download d = {h, path, tmpfile(), -1};
    FILE *mine = tmpfile();
    cm_buf m = CM_BUF_INIT;
    int rc = -1, r = 0;
    if (!d.f || !mine) goto done;
    pthread_t t;
    int threaded = pthread_create(&t, NULL, fetch, &d) == 0;
    if (!threaded) fetch(&d);
    rc = each(s, spool_mine, mine, &err) ? -1 : 0;
    if (threaded) pthread_join(t, NULL);
    l.f = d.f;
    if (d.rc || fflush(d.f) || fseek(d.f, 0, SEEK_SET) || fflush(mine) || fseek(mine, 0, SEEK_SET))
        rc = -1;
    while (!rc && (r = next_mine(mine, &m)) == 1)
        if (compare(&l, m.data, m.len)) break;
    if (!rc && r < 0) rc = -1;
    if (!rc && !l.differs) compare(&l, NULL, 0); /* the server's rest */
    if (!rc && !l.differs && (!l.list_seen || l.in_list)) rc = -1;
done:
    if (d.f) fclose(d.f);
    if (mine) fclose(mine);
    buf_free(&l.elem);
    buf_free(&m);
    return rc ? -1 : l.differs;
}
