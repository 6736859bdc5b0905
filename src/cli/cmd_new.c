/*
 * cmd_new.c: `cmcc new TYPE --org ORG [--key PEM] --FIELD VALUE ...`:
 * writes an event of any type without writing JSON, for a field officer at
 * a terminal (offline).
 *
 * The options are the type's body fields, read from the same field table
 * the server checks bodies with (`cmcc new TYPE --help` lists them, with
 * every fixed set of values), with '_' written '-': --radius-m 150; --org is
 * the signing org, and a body's own "org" field is --body-org. How each
 * value is written, and the repeated plain options of lists of objects
 * (--line 1:40, --decision 2:380, --public-key B64), is in new_fields.c.
 * The event's id is made from its type and time unless --id gives one; its
 * time is now unless --time says otherwise. The event is checked as the
 * server will check it; with --key it is signed, and the envelope is
 * printed (or appended to --out, an outbox for `cmcc submit`), else the
 * event JSON is printed.
 */
#include "cli/cli.h"
#include "cli/new_fields.h"

#include "common/mem.h"
#include "common/timeutil.h"
#include "log/log.h"

#include <ctype.h>
#include <sodium.h>
#include <stdlib.h>
#include <string.h>

/* Examples of the lists of objects, in --help. */
static const struct {
    const char *type, *text;
} examples[] = {
    {"org.admit", "--body-org relief-b --name \"Relief B\" --roles humanitarian\n"
                  "      --public-key B64 [--public-key B64]..."},
    {"consignment.declare", "--consignment c-1 --crossing kerem-shalom\n"
                            "      --line \"1:400:wheat flour:food:bag\"\n"
                            "      --line 2:120:tarpaulin:shelter:unit:3.5"},
    {"consignment.screen", "--consignment c-1 --decision 1:400 --decision 2:100:damaged\n"
                           "  (line 1 approved in full; 100 of line 2, the rest damaged;\n"
                           "  --decision 1:approve:400 is the same as --decision 1:400)"},
    {"consignment.enter", "--consignment c-1 --transfer t-1 --crossing kerem-shalom\n"
                          "      --to ORG --line 1:400 --line 2:100"},
    {"custody.transfer", "--transfer t-2 --consignment c-1 --to ORG --line 1:200"},
    {"custody.accept", "--transfer t-2 --line 1:196 --reason \"4 bags torn\""},
    {"distribution.record", "--distribution d-1 --consignment c-1 --place dp-1\n"
                            "      --line 1:150 --households 150"},
    {"loss.report", "--loss l-1 --consignment c-1 --cause damaged --from held --line 1:4"},
};

static void usage(FILE *f, const ev_type *t)
{
    fprintf(f, "usage: cmcc new TYPE --org ORG [--key PEM] [--out FILE] [--id ID] [--time T]\n"
               "                [--FIELD VALUE]...\n\n"
               "Writes an event from options, no JSON needed; with --key, signs it (offline)\n"
               "and prints the envelope, or appends it to --out FILE (for cmcc submit).\n"
               "Times: RFC 3339 UTC, now, now+36h, now-2d, now+90m; points: \"lat,lon;lat,lon\";\n"
               "lists: \"a,b\"; a list of objects: one option per object, repeated, its fields\n"
               "joined by ':' (--line 1:40 --line 2:15), or all as JSON (--lines '[...]');\n"
               "ids: 1 to 64 letters, digits, '.', '_', ':' or '-', starting with a letter or\n"
               "digit.\n");
    if (!t) {
        fprintf(f, "\ntypes:");
        const ev_type *const *all = ev_types();
        for (size_t i = 0; all[i]; i++) fprintf(f, "%s %s", i % 4 ? "" : "\n ", all[i]->name);
        fprintf(f, "\n\n`cmcc new TYPE --help` lists a type's fields and the values each takes.\n");
        return;
    }
    fprintf(f, "\nfields of %s:\n", t->name);
    for (const ev_field *fl = t->body; fl->name; fl++) new_field_help(f, fl);
    for (size_t i = 0; i < sizeof examples / sizeof examples[0]; i++)
        if (strcmp(examples[i].type, t->name) == 0)
            fprintf(f, "\nfor example:\n  cmcc new %s --org ORG --key PEM\n      %s\n", t->name,
                    examples[i].text);
}

/* The body field an option names: a field by its name (a list of objects
 * in its JSON form), or *one set when it names one object of a list. */
static const ev_field *field_of(const ev_type *t, const char *name, int *one)
{
    *one = 0;
    for (const ev_field *f = t->body; f->name; f++)
        if (strcmp(f->name, name) == 0) return f;
    for (const ev_field *f = t->body; f->name; f++) {
        char opt[64];
        if (f->type != FT_OBJECTS) continue;
        new_one_option(f, opt, sizeof opt);
        for (char *p = opt; *p; p++)
            if (*p == '-') *p = '_';
        if (strcmp(opt, name) == 0) return *one = 1, f;
    }
    return NULL;
}

/* Sets (or, for lists, extends) body's field f from the option a's value
 * v. The plain and JSON forms of one list are not mixed; a scalar is given
 * once. 0, or -1 after saying why. */
static int set_field(json_t *body, json_t *forms, const ev_field *f, int one, const char *a,
                     const char *v, int64_t now)
{
    cm_error err;
    const char *form = one ? "plain" : "json";
    const char *had = json_string_value(json_object_get(forms, f->name));
    json_t *old = json_object_get(body, f->name);
    if (had && f->type == FT_OBJECTS && (strcmp(had, form) || !one)) {
        char opt[64];
        new_one_option(f, opt, sizeof opt);
        cli_errorf("new", "give %s either as --%s, repeated, or once as JSON, not both", f->name,
                   opt);
        return -1;
    }
    if (old && f->type != FT_OBJECTS && f->type != FT_ARRAY) {
        cli_errorf("new", "%s is given twice", a);
        return -1;
    }
    json_t *x = one ? new_one_object(f, a + 2, v, now, &err) : new_value(f, a + 2, v, now, &err);
    if (!x) return cli_error("new", &err), -1;
    if (one) {
        if (!old) json_object_set_new(body, f->name, old = json_array());
        json_array_append_new(old, x);
    } else if (old && f->type == FT_ARRAY) {
        json_array_extend(old, x);
        json_decref(x);
    } else {
        json_object_set_new(body, f->name, x);
    }
    json_object_set_new(forms, f->name, json_string(form));
    return 0;
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
    json_t *body = json_object(), *forms = json_object();
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
            int one;
            const ev_field *f = field_of(t, name, &one);
            if (!f) {
                cli_errorf("new", "%s has no field \"%s\" (cmcc new %s --help)", t->name, name,
                           t->name);
                goto done;
            }
            if (set_field(body, forms, f, one, a, v, now)) goto done;
        }
    }
    if (!org) {
        cli_errorf("new", "give the signing organization with --org");
        goto done;
    }
    int64_t t_ms;
    if (new_parse_when(when, now, &t_ms)) {
        cli_errorf("new",
                   "--time \"%s\" is not a time: give RFC 3339 UTC (2025-11-20T09:00:00Z), now, "
                   "or now+36h, now-2d, now+90m",
                   when);
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
    char *json = cli_event_json(t->name, id, org, ts, json_incref(body));
    if (cli_event_check(json, &err)) {
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
    if (log_key_load(key, &k, &err)) {
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
    json_decref(forms);
    return rc;
}
