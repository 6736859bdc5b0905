/*
 * new_fields.c: the plain forms of `cmcc new`'s options, from the same
 * field tables the server checks bodies with, and their --help lines.
 *
 * A scalar field is one option, its value written as its type asks:
 *   identifiers, text      as written
 *   one of a fixed set     one of the values (--help lists them)
 *   whole numbers, numbers as written (40, 31.449)
 *   times                  RFC 3339, or now, now+36h, now-2d, now+90m
 *   true/false             true or false
 *   lists of values        "a,b,c" (the option may also be repeated)
 *   points                 "lat,lon;lat,lon;..."
 * A list of objects (a consignment's lines, a screening's decisions, an
 * org's keys) takes one object per option, repeated, its fields joined by
 * ':' in a fixed order: the first field (the line number), then the
 * quantities, then the rest as the table has them, optional ones last:
 *   --line 1:40                          line 1, quantity 40
 *   --line "1:400:wheat flour:food:bag"  a declared line (item, category, unit)
 *   --decision 2:380, 2:300:damaged      line 2 approved 380; 300, reason damaged
 *                                        (2:approve:380 is the same as 2:380)
 *   --public-key B64                     a key of org.admit (one field: its name)
 * The option of one object is the list's name without its final "s"
 * ("lines" -> --line), or, when an object has one field, that field's name.
 * The whole list may instead be given as JSON under the list's own name
 * (--lines '[{"line":1,"quantity":40}]'), for text holding ':'.
 */
#include "cli/new_fields.h"

#include "common/codec.h"
#include "common/mem.h"
#include "common/timeutil.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>

int new_parse_when(const char *s, int64_t now, int64_t *out)
{
    if (strncmp(s, "now", 3) == 0) {
        if (!s[3]) return *out = now, 0;
        char *end = NULL;
        long long n = strtoll(s + 3, &end, 10);
        long long unit = *end == 'd'   ? 86400000LL
                         : *end == 'h' ? 3600000LL
                         : *end == 'm' ? 60000LL
                                       : 0;
        if (!unit || end[1] || (s[3] != '+' && s[3] != '-') || end == s + 4) return -1;
        *out = now + n * unit;
        return 0;
    }
    return time_parse(s, strlen(s), out);
}

/* "one of: a b c" into out. */
static void values_text(const ev_field *f, char *out, size_t cap)
{
    size_t k = (size_t)snprintf(out, cap, "one of:");
    for (size_t i = 0; f->values[i] && k < cap; i++)
        k += (size_t)snprintf(out + k, cap - k, " %s", f->values[i]);
}

/* What a value of f is expected to look like, as a sentence's end. */
static void expected(const ev_field *f, char *out, size_t cap)
{
    switch (f->type) {
    case FT_ENUM:
        values_text(f, out, cap);
        return;
    case FT_INT:
        snprintf(out, cap, "a whole number, such as 40");
        return;
    case FT_LAT:
        snprintf(out, cap, "a latitude in decimal degrees (-90 to 90), such as 31.449");
        return;
    case FT_LON:
        snprintf(out, cap, "a longitude in decimal degrees (-180 to 180), such as 34.393");
        return;
    case FT_NUMBER:
        snprintf(out, cap, "a number, such as 12.5");
        return;
    case FT_TIME:
        snprintf(out, cap,
                 "a time: RFC 3339 UTC (2025-11-20T09:00:00Z), now, or now+36h, "
                 "now-2d, now+90m");
        return;
    case FT_BOOL:
        snprintf(out, cap, "true or false");
        return;
    case FT_POINTS:
        snprintf(out, cap,
                 "points as \"lat,lon;lat,lon\", such as \"31.377,34.396;31.418,34.352\"");
        return;
    case FT_ARRAY:
        snprintf(out, cap, "a list \"a,b,c\"");
        return;
    case FT_PUBKEY:
        snprintf(out, cap, "the base64 of an Ed25519 public key (cmcc keygen prints it)");
        return;
    case FT_KEYID:
        snprintf(out, cap, "a keyid: 16 lowercase hex digits");
        return;
    default:
        snprintf(out, cap, "a value");
        return;
    }
}

static json_t *bad(const ev_field *f, const char *opt, const char *v, cm_error *err)
{
    char want[300];
    expected(f, want, sizeof want);
    cm_fail(err, CM_BAD_REQUEST, f->name, "--%s: \"%s\" is not %s", opt, v, want);
    return NULL;
}

/* The fields of one object of list in their plain order: the first field,
 * then the whole numbers, then the others in table order. Returns how many. */
static size_t plain_order(const ev_field *list, const ev_field **out, size_t cap)
{
    const ev_field *it = list->items;
    size_t n = 0;
    if (!it[0].name) return 0;
    out[n++] = &it[0];
    for (int pass = 0; pass < 2; pass++)
        for (const ev_field *f = it + 1; f->name && n < cap; f++)
            if ((f->type == FT_INT) == (pass == 0)) out[n++] = f;
    return n;
}

const char *new_one_option(const ev_field *list, char *buf, size_t cap)
{
    const char *src = list->items[1].name ? list->name : list->items[0].name;
    size_t len = strlen(src);
    if (list->items[1].name && len > 1 && src[len - 1] == 's') len--;
    snprintf(buf, cap, "%.*s", (int)len, src);
    for (char *p = buf; *p; p++)
        if (*p == '_') *p = '-';
    return buf;
}

/* name in capitals ("weight_kg" -> "WEIGHT_KG") into out. */
static void upper(const char *name, char *out, size_t cap)
{
    size_t k = 0;
    for (; name[k] && k + 1 < cap; k++) out[k] = (char)toupper((unsigned char)name[k]);
    out[k] = '\0';
}

/* "LINE:QUANTITY:ITEM[:WEIGHT_KG]" into out. */
static void plain_form(const ev_field *list, char *out, size_t cap)
{
    const ev_field *order[16];
    size_t n = plain_order(list, order, 16), k = 0, opt = 0;
    out[0] = '\0';
    for (size_t i = 0; i < n && k < cap; i++) {
        int optional = !(order[i]->flags & FF_REQUIRED);
        k += (size_t)snprintf(out + k, cap - k, "%s%s", optional ? "[" : "", i ? ":" : "");
        upper(order[i]->name, out + k, cap - k);
        k += strlen(out + k);
        opt += (size_t)optional;
    }
    while (opt-- && k + 1 < cap) out[k++] = ']', out[k] = '\0';
}

json_t *new_value(const ev_field *f, const char *opt, const char *v, int64_t now, cm_error *err)
{
    char *end = NULL;
    switch (f->type) {
    case FT_INT: {
        long long n = strtoll(v, &end, 10);
        if (*end || end == v) return bad(f, opt, v, err);
        return json_integer(n);
    }
    case FT_LAT:
    case FT_LON:
    case FT_NUMBER: {
        double d = strtod(v, &end);
        if (*end || end == v) return bad(f, opt, v, err);
        return json_real(d);
    }
    case FT_BOOL:
        if (strcmp(v, "true") == 0) return json_true();
        if (strcmp(v, "false") == 0) return json_false();
        return bad(f, opt, v, err);
    case FT_PUBKEY: {
        uint8_t k[LOG_PUBKEY_SIZE + 3];
        if (b64_decode(v, strlen(v), k, sizeof k) != LOG_PUBKEY_SIZE) return bad(f, opt, v, err);
        return json_string(v);
    }
    case FT_ENUM:
        for (size_t i = 0; f->values[i]; i++)
            if (strcmp(v, f->values[i]) == 0) return json_string(v);
        return bad(f, opt, v, err);
    case FT_TIME: {
        int64_t t;
        if (new_parse_when(v, now, &t)) return bad(f, opt, v, err);
        char ts[32];
        time_format_s(t, ts, sizeof ts);
        return json_string(ts);
    }
    case FT_POINTS: {
        json_t *a = json_array();
        const char *p = v;
        while (*p) {
            double lat = strtod(p, &end);
            if (end == p || *end != ',') return json_decref(a), bad(f, opt, v, err);
            p = end + 1;
            double lon = strtod(p, &end);
            if (end == p || (*end && *end != ';')) return json_decref(a), bad(f, opt, v, err);
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
            json_t *x = new_value(&f->items[0], opt, item, now, err);
            free(item);
            if (!x) {
                snprintf(err->field, sizeof err->field, "%s", f->name);
                return json_decref(a), NULL;
            }
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
        char one[64], form[160];
        new_one_option(f, one, sizeof one);
        plain_form(f, form, sizeof form);
        cm_fail(err, CM_BAD_REQUEST, f->name,
                "--%s: \"%s\" is not a JSON list of objects; give each with --%s %s "
                "(repeated), or all as JSON such as '[{\"%s\":1,...}]' (cmcc new TYPE --help)",
                opt, v, one, form, f->items[0].name);
        return NULL;
    }
    default:
        return json_string(v);
    }
}

json_t *new_one_object(const ev_field *list, const char *opt, const char *v, int64_t now,
                       cm_error *err)
{
    const ev_field *order[16];
    size_t n = plain_order(list, order, 16), required = 0;
    for (size_t i = 0; i < n; i++) required += (order[i]->flags & FF_REQUIRED) != 0;
    if (n == 1) { /* --public-key B64: the value is the object's one field */
        json_t *x = new_value(order[0], opt, v, now, err);
        if (!x) return snprintf(err->field, sizeof err->field, "%s", list->name), NULL;
        json_t *obj = json_object();
        json_object_set_new(obj, order[0]->name, x);
        return obj;
    }
    char *copy = xstrdup(v);
    char *parts[16];
    size_t np = 0;
    for (char *p = copy; np < 16;) {
        parts[np++] = p;
        char *c = strchr(p, ':');
        if (!c) break;
        *c = '\0';
        p = c + 1;
    }
    /* a screening's decision may name itself: 2:approve:380 */
    if (strcmp(list->name, "decisions") == 0 && np >= 3 && strcmp(parts[1], "approve") == 0) {
        memmove(parts + 1, parts + 2, (np - 2) * sizeof parts[0]);
        np--;
    }
    json_t *obj = NULL;
    char form[160];
    plain_form(list, form, sizeof form);
    if (np < required || np > n || strchr(parts[np - 1], ':')) {
        char parts_want[32];
        snprintf(parts_want, sizeof parts_want, required == n ? "%zu" : "%zu to %zu", required, n);
        cm_fail(err, CM_BAD_REQUEST, list->name,
                "--%s: \"%s\" is not %s (%zu part%s where %s are expected)", opt, v, form, np,
                np == 1 ? "" : "s", parts_want);
        goto done;
    }
    obj = json_object();
    for (size_t i = 0; i < np; i++) {
        cm_error e;
        json_t *x = new_value(order[i], opt, parts[i], now, &e);
        if (!x) {
            char want[300], up[64];
            expected(order[i], want, sizeof want);
            upper(order[i]->name, up, sizeof up);
            cm_fail(err, CM_BAD_REQUEST, list->name, "--%s \"%s\": %s \"%s\" is not %s (%s)", opt,
                    v, up, parts[i], want, form);
            json_decref(obj);
            obj = NULL;
            goto done;
        }
        json_object_set_new(obj, order[i]->name, x);
    }
done:
    free(copy);
    return obj;
}

/* The name shown for a scalar option's value. */
static const char *metavar(const ev_field *f)
{
    switch (f->type) {
    case FT_ID:
        return "ID";
    case FT_TEXT:
        return "TEXT";
    case FT_ENUM:
        return "VALUE";
    case FT_INT:
        return "N";
    case FT_LAT:
        return "LAT";
    case FT_LON:
        return "LON";
    case FT_NUMBER:
        return "NUMBER";
    case FT_TIME:
        return "TIME";
    case FT_BOOL:
        return "true|false";
    case FT_PUBKEY:
        return "B64";
    case FT_KEYID:
        return "KEYID";
    case FT_ARRAY:
        return "A,B,...";
    case FT_POINTS:
        return "LAT,LON;...";
    default:
        return "JSON";
    }
}

/* "      NAME one of: a b c", wrapped under 80 columns. */
static void values_lines(FILE *out, const char *name, const ev_field *f)
{
    int col = fprintf(out, "      %s one of:", name);
    for (size_t i = 0; f->values[i]; i++) {
        if (col + 1 + (int)strlen(f->values[i]) > 79) col = fprintf(out, "\n        ") - 1;
        col += fprintf(out, " %s", f->values[i]);
    }
    fputc('\n', out);
}

/* The values lines of the fixed-value fields among fields. */
static void enum_lines(FILE *out, const ev_field *const *fields, size_t n, int capitals)
{
    for (size_t i = 0; i < n; i++) {
        const ev_field *f = fields[i];
        if (f->type == FT_ARRAY) f = &f->items[0];
        if (f->type != FT_ENUM) continue;
        char name[64];
        upper(fields[i]->name, name, sizeof name);
        values_lines(out, capitals ? name : "values", f);
    }
}

void new_field_help(FILE *out, const ev_field *f)
{
    const char *req = (f->flags & FF_REQUIRED) ? "required" : "optional";
    if (f->type == FT_OBJECTS) {
        char one[64], form[160], list[64];
        new_one_option(f, one, sizeof one);
        plain_form(f, form, sizeof form);
        snprintf(list, sizeof list, "%s", f->name);
        for (char *p = list; *p; p++)
            if (*p == '_') *p = '-';
        if (!f->items[1].name) snprintf(form, sizeof form, "%s", metavar(&f->items[0]));
        fprintf(out, "  --%s %s\n      %s, repeated: one of the %s (%lld to %lld)\n", one, form,
                req, f->name, f->min, f->max);
        const ev_field *order[16];
        size_t n = plain_order(f, order, 16);
        enum_lines(out, order, n, 1);
        fprintf(out, "      or all at once: --%s '[{\"%s\":...},...]' (JSON)\n", list,
                order[0]->name);
        return;
    }
    char opt[64], left[96];
    snprintf(opt, sizeof opt, "%s", strcmp(f->name, "org") == 0 ? "body-org" : f->name);
    for (char *p = opt; *p; p++)
        if (*p == '_') *p = '-';
    snprintf(left, sizeof left, "--%s %s", opt, metavar(f));
    const char *what = f->type == FT_INT      ? ": a whole number"
                       : f->type == FT_LAT    ? ": -90 to 90 (decimal degrees)"
                       : f->type == FT_LON    ? ": -180 to 180 (decimal degrees)"
                       : f->type == FT_NUMBER ? ": a number"
                       : f->type == FT_PUBKEY ? ": an Ed25519 public key, base64"
                       : f->type == FT_KEYID  ? ": 16 lowercase hex digits"
                                              : "";
    fprintf(out, "  %-28s %s%s\n", left, req, what);
    if (f->type == FT_ENUM)
        values_lines(out, "values", f);
    else if (f->type == FT_ARRAY)
        enum_lines(out, &f, 1, 0);
}
