/*
 * cmd_new.c: `cmcc new TYPE --org ORG [--key PEM] --FIELD VALUE ...`:
 * writes an event of any type without writing JSON by hand, for a field
 * officer at a terminal (offline).
 *
 * The options are the type's body fields, read from the same field table
 * the server checks bodies with (`cmcc new TYPE --help` lists them), with
 * '_' written '-': --radius-m 150; --org is the signing org, and a body's
 * own "org" field is --body-org. Values are typed by the table:
 *   numbers and whole numbers     as written
 *   times                         RFC 3339, or now, or now+36h, now-2d, now+90m
 *   points ([lat, lon] lists)     "lat,lon;lat,lon;..."
 *   lists of values               "a,b,c"
 *   lists of objects (lines ...)  JSON, e.g. '[{"line":1,"quantity":40}]'
 *   true/false                    true or false
 * The event's id is made from its type and time unless --id gives one; its
 * time is now unless --time says otherwise. The event is checked as the
 * server will check it; with --key it is signed, and the envelope is
 * printed (or appended to --out, an outbox for `cmcc submit`), else the
 * event JSON is printed.
 */
#include "cli/cli.h"

#include "common/mem.h"
#include "common/timeutil.h"
#include "server/server.h"

#include <ctype.h>
#include <sodium.h>
#include <stdlib.h>
#include <string.h>

static void usage(FILE *f, const ev_type *t)
{
    fprintf(f, "usage: cmcc new TYPE --org ORG [--key PEM] [--out FILE] [--id ID] [--time T]\n"
               "                [--FIELD VALUE]...\n\n"
               "Writes an event without JSON by hand; with --key, signs it (offline).\n"
               "Times: RFC 3339, now, now+36h, now-2d; points: \"lat,lon;lat,lon\";\n"
               "lists: \"a,b\"; lists of objects: JSON.\n");
    if (!t) {
        fprintf(f, "\ntypes:");
        const ev_type *const *all = ev_types();
        for (size_t i = 0; all[i]; i++) fprintf(f, "%s %s", i % 4 ? "" : "\n ", all[i]->name);
        fprintf(f, "\n\n`cmcc new TYPE --help` lists a type's fields.\n");
        return;
    }
    fprintf(f, "\nfields of %s:\n", t->name);
    for (const ev_field *fl = t->body; fl->name; fl++) {
        char opt[64];
        snprintf(opt, sizeof opt, "%s", strcmp(fl->name, "org") == 0 ? "body-org" : fl->name);
        for (char *p = opt; *p; p++)
            if (*p == '_') *p = '-';
        fprintf(f, "  --%-16s %s", opt, (fl->flags & FF_REQUIRED) ? "required" : "optional");
        if (fl->type == FT_ENUM) {
            fprintf(f, ", one of:");
            for (size_t i = 0; fl->values[i]; i++) fprintf(f, " %s", fl->values[i]);
        }
        fputc('\n', f);
    }
}

/* "now", "now+36h", "now-2d", "now+90m", or RFC 3339. */
static int parse_when(const char *s, int64_t now, int64_t *out)
{
    if (strncmp(s, "now", 3) == 0) {
        if (!s[3]) return *out = now, 0;
        char *end = NULL;
        long long n = strtoll(s + 3, &end, 10);
        long long unit = *end == 'd'   ? 86400000LL
                         : *end == 'h' ? 3600000LL
                         : *end == 'm' ? 60000LL
                                       : 0;
        if (!unit || end[1] || (s[3] != '+' && s[3] != '-')) return -1;
        *out = now + n * unit;
        return 0;
    }
    return time_parse(s, strlen(s), out);
}

static json_t *value_of(const ev_field *f, const char *v, int64_t now, cm_error *err)
{
    char *end = NULL;
    switch (f->type) {
    case FT_INT: {
        long long n = strtoll(v, &end, 10);
        if (*end || end == v) break;
        return json_integer(n);
    }
    case FT_LAT:
    case FT_LON:
    case FT_NUMBER: {
        double d = strtod(v, &end);
        if (*end || end == v) break;
        return json_real(d);
    }
    case FT_BOOL:
        if (strcmp(v, "true") == 0) return json_true();
        if (strcmp(v, "false") == 0) return json_false();
        break;
    case FT_TIME: {
        int64_t t;
        if (parse_when(v, now, &t)) break;
        char ts[32];
        time_format_s(t, ts, sizeof ts);
        return json_string(ts);
    }
    case FT_POINTS: {
        json_t *a = json_array();
        const char *p = v;
        while (*p) {
            double lat = strtod(p, &end);
            if (end == p || *end != ',') return json_decref(a), NULL;
            p = end + 1;
            double lon = strtod(p, &end);
            if (end == p || (*end && *end != ';')) return json_decref(a), NULL;
            json_array_append_new(a, json_pack("[f,f]", lat, lon));
            p = *end ? end + 1 : end;
        }
        return a;
    }
    case FT_ARRAY: {
        json_t *a = json_array();
        const char *p = v;
        while (*p) {
            size_t n = strcspn(p, ",");
            char *item = xstrndup(p, n);
            json_t *x = value_of(&f->items[0], item, now, err);
            free(item);
            if (!x) return json_decref(a), NULL;
            json_array_append_new(a, x);
            p += n + (p[n] == ',');
        }
        return a;
    }
    case FT_OBJECTS: {
        json_error_t je;
        json_t *a = json_loads(v, JSON_REJECT_DUPLICATES, &je);
        if (json_is_array(a)) return a;
        json_decref(a);
        break;
    }
    default:
        return json_string(v);
    }
    cm_fail(err, CM_BAD_REQUEST, f->name, "--%s: \"%s\" is not a valid value", f->name, v);
    return NULL;
}

int cmd_new(int argc, char **argv)
{
    if (argc < 2 || strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0) {
        usage(argc < 2 ? stderr : stdout, NULL);
        return argc < 2 ? 2 : 0;
    }
    const ev_type *t = ev_type_find(argv[1]);
    if (!t) {
        cli_errorf("new", "\"%s\" is not an event type", argv[1]);
        usage(stderr, NULL);
        return 2;
    }
    const char *org = NULL, *key = NULL, *out = NULL, *id = NULL, *when = "now";
    int64_t now = time_now_ms();
    json_t *body = json_object();
    cm_error err;
    int rc = 2;
    for (int i = 2; i < argc; i++) {
        const char *a = argv[i];
        if (strcmp(a, "--help") == 0 || strcmp(a, "-h") == 0) {
            usage(stdout, t);
            rc = 0;
            goto done;
        }
        if (strncmp(a, "--", 2) != 0 || i + 1 >= argc) {
            cli_errorf("new", "expected --FIELD VALUE, not \"%s\"", a);
            goto done;
        }
        const char *v = argv[++i];
        char name[64];
        snprintf(name, sizeof name, "%s", a + 2);
        for (char *p = name; *p; p++)
            if (*p == '-') *p = '_';
        if (strcmp(name, "body_org") == 0) {
            snprintf(name, sizeof name, "org"); /* a body's own org field */
        } else if (strcmp(name, "org") == 0) {
            org = v;
            continue;
        }
        if (strcmp(name, "key") == 0)
            key = v;
        else if (strcmp(name, "out") == 0)
            out = v;
        else if (strcmp(name, "id") == 0)
            id = v;
        else if (strcmp(name, "time") == 0)
            when = v;
        else {
            const ev_field *f = t->body;
            while (f->name && strcmp(f->name, name) != 0) f++;
            if (!f->name) {
                cli_errorf("new", "%s has no field \"%s\" (cmcc new %s --help)", t->name, name,
                           t->name);
                goto done;
            }
            json_t *x = value_of(f, v, now, &err);
            if (!x) {
                cli_error("new", &err);
                goto done;
            }
            json_object_set_new(body, f->name, x);
        }
    }
    if (!org) {
        cli_errorf("new", "give the signing organization with --org");
        goto done;
    }
    int64_t t_ms;
    if (parse_when(when, now, &t_ms)) {
        cli_errorf("new", "--time \"%s\" is not a time", when);
        goto done;
    }
    char ts[32], made_id[EV_ID_MAX + 1];
    time_format_s(t_ms, ts, sizeof ts);
    if (!id) {
        uint8_t rnd[3];
        randombytes_buf(rnd, sizeof rnd);
        char compact[20];
        size_t k = 0;
        for (const char *p = ts; *p && k < sizeof compact - 1; p++)
            if (isdigit((unsigned char)*p)) compact[k++] = *p;
        compact[k] = '\0';
        snprintf(made_id, sizeof made_id, "%s-%s-%02x%02x%02x", t->name, compact, rnd[0], rnd[1],
                 rnd[2]);
        id = made_id;
    }
    json_t *e = json_pack("{s:i,s:s,s:s,s:s,s:s,s:O}", "v", 1, "type", t->name, "id", id, "org",
                          org, "time", ts, "body", body);
    char *json = json_dumps(e, EV_JSON_OUT);
    json_decref(e);
    ev_event ev;
    memset(&ev, 0, sizeof ev);
    ev.env.payload = (uint8_t *)xstrdup(json);
    ev.env.payload_len = strlen(json);
    int bad = ev_event_parse(&ev, now, &err);
    ev_event_free(&ev);
    if (bad) {
        cli_error("new", &err);
        free(json);
        rc = 1;
        goto done;
    }
    if (!key) {
        printf("%s\n", json);
        free(json);
        rc = 0;
        goto done;
    }
    log_key k = {0};
    if (srv_load_key(key, &k, &err)) {
        cli_error("new", &err);
        free(json);
        rc = 1;
        goto done;
    }
    ev_envelope env;
    ev_envelope_sign(&k, json, strlen(json), &env);
    log_key_free(&k);
    free(json);
    cm_buf b = CM_BUF_INIT;
    ev_envelope_write(&env, &b);
    ev_envelope_free(&env);
    FILE *f = out ? fopen(out, "a") : stdout;
    if (!f) {
        cli_errorf("new", "cannot write %s", out);
        buf_free(&b);
        rc = 1;
        goto done;
    }
    fprintf(f, "%s\n", b.data);
    if (out) {
        fclose(f);
        fprintf(stderr, "cmcc new: %s %s signed into %s (send with cmcc submit)\n", t->name, id,
                out);
    }
    buf_free(&b);
    rc = 0;
done:
    json_decref(body);
    return rc;
}
