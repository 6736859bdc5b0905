/*
 * schema.c: checking an event body against its type's table of fields.
 *
 * Each type declares its body as a NULL-terminated array of ev_field (name,
 * kind, required or not, range); this file is the one place that walks a
 * JSON object against such a table, so every type reports the same errors
 * in the same words, with the full path of the field at fault
 * ("body.lines[2].quantity"). Absent limits take these defaults:
 *   FT_TEXT 1..1000 bytes; FT_INT 0..2^53; arrays 0..1000 items.
 */
#include "event/schema.h"
#include "event/event.h"

#include "common/codec.h"
#include "common/timeutil.h"

#include <stdio.h>
#include <string.h>

#define TEXT_MAX_DEFAULT  1000
#define ARRAY_MAX_DEFAULT 1000

/* path "." key into sub (CM_FIELD_MAX bytes), cut short as snprintf would
 * cut it: the same text, without a format to read for every field. */
static void join_path(char *sub, const char *path, const char *key)
{
    size_t cap = CM_FIELD_MAX - 1, a = strlen(path), b = strlen(key);
    if (a > cap) a = cap;
    memcpy(sub, path, a);
    if (a < cap) sub[a++] = '.';
    if (b > cap - a) b = cap - a;
    memcpy(sub + a, key, b);
    sub[a + b] = '\0';
}

static int check_value(const json_t *v, const ev_field *f, const char *path, cm_error *err);

static void enum_list(const char *const *values, char *out, size_t cap)
{
    size_t n = 0;
    out[0] = '\0';
    for (size_t i = 0; values[i] && n + 1 < cap; i++) {
        int w = snprintf(out + n, cap - n, "%s%s", i ? ", " : "", values[i]);
        if (w < 0) break;
        n += (size_t)w;
    }
}

static int check_array(const json_t *v, const ev_field *f, const char *path, cm_error *err)
{
    if (!json_is_array(v)) return cm_fail(err, CM_BAD_REQUEST, path, "%s must be an array", path);
    long long min = f->min, max = f->max ? f->max : ARRAY_MAX_DEFAULT;
    long long n = (long long)json_array_size(v);
    if (n < min || n > max)
        return cm_fail(err, CM_BAD_REQUEST, path, "%s must have %lld to %lld items, not %lld", path,
                       min, max, n);
    char sub[CM_FIELD_MAX];
    for (size_t i = 0; i < (size_t)n; i++) {
        const json_t *item = json_array_get(v, i);
        snprintf(sub, sizeof sub, "%s[%zu]", path, i);
        if (f->type == FT_OBJECTS) {
            if (!json_is_object(item))
                return cm_fail(err, CM_BAD_REQUEST, sub, "%s must be an object", sub);
            if (ev_schema_check(item, f->items, sub, err)) return -1;
        } else if (f->type == FT_POINTS) {
            if (!json_is_array(item) || json_array_size(item) != 2 ||
                !json_is_number(json_array_get(item, 0)) ||
                !json_is_number(json_array_get(item, 1)))
                return cm_fail(err, CM_BAD_REQUEST, sub, "%s must be a [lat, lon] pair of numbers",
                               sub);
            double lat = json_number_value(json_array_get(item, 0));
            double lon = json_number_value(json_array_get(item, 1));
            if (lat < -90 || lat > 90 || lon < -180 || lon > 180)
                return cm_fail(err, CM_BAD_REQUEST, sub,
                               "%s is out of range: lat must be -90..90 and lon -180..180", sub);
        } else {
            if (check_value(item, &f->items[0], sub, err)) return -1;
            if (f->flags & FF_UNIQUE)
                for (size_t k = 0; k < i; k++)
                    if (json_equal((json_t *)json_array_get(v, k), (json_t *)item))
                        return cm_fail(err, CM_BAD_REQUEST, sub, "%s repeats an earlier item", sub);
        }
    }
    return 0;
}

/* A language tag as names keys it: 2 or 3 lowercase letters, then
 * optionally '-' and 2 to 8 lowercase letters or digits ("ar", "pt-br"). */
static int is_lang_tag(const char *t)
{
    size_t n = 0;
    while (t[n] >= 'a' && t[n] <= 'z') n++;
    if (n < 2 || n > 3) return 0;
    if (!t[n]) return 1;
    if (t[n] != '-') return 0;
    size_t m = 0;
    for (const char *p = t + n + 1; *p; p++, m++)
        if (!((*p >= 'a' && *p <= 'z') || (*p >= '0' && *p <= '9'))) return 0;
    return m >= 2 && m <= 8;
}

static int check_names(const json_t *v, const ev_field *f, const char *path, cm_error *err)
{
    if (!json_is_object(v) || json_object_size(v) < 1 || json_object_size(v) > 16)
        return cm_fail(err, CM_BAD_REQUEST, path,
                       "%s must be an object of 1 to 16 names by language, such as "
                       "{\"ar\": \"...\", \"he\": \"...\"}",
                       path);
    const char *k;
    const json_t *name;
    char sub[CM_FIELD_MAX];
    json_object_foreach((json_t *)v, k, name)
    {
        snprintf(sub, sizeof sub, "%s.%s", path, k);
        if (!is_lang_tag(k))
            return cm_fail(err, CM_BAD_REQUEST, path,
                           "%s has the key \"%.40s\", which is not a language tag: use 2 or 3 "
                           "lowercase letters, optionally followed by '-' and a region (\"ar\", "
                           "\"pt-br\")",
                           path, k);
        long long max = f->max ? f->max : TEXT_MAX_DEFAULT;
        if (!json_is_string(name) || json_string_length(name) < 1 ||
            (long long)json_string_length(name) > max)
            return cm_fail(err, CM_BAD_REQUEST, sub, "%s must be a string of 1 to %lld bytes", sub,
                           max);
    }
    return 0;
}

static int check_value(const json_t *v, const ev_field *f, const char *path, cm_error *err)
{
    const char *s = json_is_string(v) ? json_string_value(v) : NULL;
    switch (f->type) {
    case FT_ID:
        if (!s || !ev_is_id(s))
            return cm_fail(err, CM_BAD_REQUEST, path,
                           "%s must be an identifier: 1 to 64 letters, digits, '.', '_', ':' or "
                           "'-', starting with a letter or digit",
                           path);
        return 0;
    case FT_TEXT: {
        if (!s) return cm_fail(err, CM_BAD_REQUEST, path, "%s must be a string", path);
        long long min = f->min ? f->min : 1, max = f->max ? f->max : TEXT_MAX_DEFAULT;
        long long n = (long long)json_string_length(v);
        if (n < min || n > max)
            return cm_fail(err, CM_BAD_REQUEST, path, "%s must be %lld to %lld bytes long", path,
                           min, max);
        return 0;
    }
    case FT_ENUM:
        if (s)
            for (size_t i = 0; f->values[i]; i++)
                if (strcmp(s, f->values[i]) == 0) return 0;
        {
            char list[600];
            enum_list(f->values, list, sizeof list);
            return cm_fail(err, CM_BAD_REQUEST, path, "%s must be one of: %s", path, list);
        }
    case FT_INT: {
        long long min = f->min, max = f->max ? f->max : EV_QUANTITY_MAX;
        if (!json_is_integer(v))
            return cm_fail(err, CM_BAD_REQUEST, path, "%s must be a whole number", path);
        long long n = json_integer_value(v);
        if (n < min || n > max)
            return cm_fail(err, CM_BAD_REQUEST, path, "%s must be between %lld and %lld", path, min,
                           max);
        return 0;
    }
    case FT_LAT:
    case FT_LON: {
        double lim = f->type == FT_LAT ? 90 : 180;
        if (!json_is_number(v))
            return cm_fail(err, CM_BAD_REQUEST, path, "%s must be a number of decimal degrees",
                           path);
        double d = json_number_value(v);
        if (d < -lim || d > lim)
            return cm_fail(err, CM_BAD_REQUEST, path, "%s must be between %g and %g", path, -lim,
                           lim);
        return 0;
    }
    case FT_NUMBER: {
        double min = (double)f->min, max = f->max ? (double)f->max : 1e12;
        if (!json_is_number(v))
            return cm_fail(err, CM_BAD_REQUEST, path, "%s must be a number", path);
        double d = json_number_value(v);
        if (d < min || d > max)
            return cm_fail(err, CM_BAD_REQUEST, path, "%s must be between %g and %g", path, min,
                           max);
        return 0;
    }
    case FT_TIME: {
        int64_t ms;
        if (!s || time_parse(s, strlen(s), &ms))
            return cm_fail(err, CM_BAD_REQUEST, path,
                           "%s must be an RFC 3339 UTC time such as 2025-11-20T09:15:00Z", path);
        return 0;
    }
    case FT_BOOL:
        if (!json_is_boolean(v))
            return cm_fail(err, CM_BAD_REQUEST, path, "%s must be true or false", path);
        return 0;
    case FT_PUBKEY: {
        uint8_t k[LOG_PUBKEY_SIZE + 3];
        if (!s || b64_decode(s, strlen(s), k, sizeof k) != LOG_PUBKEY_SIZE)
            return cm_fail(err, CM_BAD_REQUEST, path,
                           "%s must be the standard base64 of a 32-byte Ed25519 public key", path);
        return 0;
    }
    case FT_KEYID: {
        int ok = s && strlen(s) == LOG_KEYID_LEN;
        for (const char *p = s; ok && *p; p++)
            ok = (*p >= '0' && *p <= '9') || (*p >= 'a' && *p <= 'f');
        if (!ok)
            return cm_fail(err, CM_BAD_REQUEST, path, "%s must be 16 lowercase hex digits", path);
        return 0;
    }
    case FT_ARRAY:
    case FT_OBJECTS:
    case FT_POINTS:
        return check_array(v, f, path, err);
    case FT_NAMES:
        return check_names(v, f, path, err);
    }
    return cm_fail(err, CM_INTERNAL, path, "unknown field kind");
}

int ev_schema_check(const json_t *obj, const ev_field *fields, const char *path, cm_error *err)
{
    char sub[CM_FIELD_MAX];
    const char *k;
    const json_t *v;
    size_t required = 0; /* the required fields present (keys are unique) */
    json_object_foreach((json_t *)obj, k, v)
    {
        const ev_field *f = fields;
        while (f->name && strcmp(f->name, k) != 0) f++;
        join_path(sub, path, k);
        if (!f->name) return cm_fail(err, CM_BAD_REQUEST, sub, "unknown field %s: remove it", sub);
        if (json_is_null(v))
            return cm_fail(err, CM_BAD_REQUEST, sub,
                           "%s is null: leave an optional field out instead", sub);
        if (check_value(v, f, sub, err)) return -1;
        required += (f->flags & FF_REQUIRED) != 0;
    }
    size_t all = 0;
    for (const ev_field *f = fields; f->name; f++) all += (f->flags & FF_REQUIRED) != 0;
    if (required == all) return 0;
    for (const ev_field *f = fields; f->name; f++) {
        if ((f->flags & FF_REQUIRED) && !json_object_get(obj, f->name)) {
            snprintf(sub, sizeof sub, "%s.%s", path, f->name);
            return cm_fail(err, CM_BAD_REQUEST, sub, "missing field %s", sub);
        }
    }
    return 0;
}

const char *ev_str(const json_t *obj, const char *key)
{
    return json_string_value(json_object_get(obj, key));
}

long long ev_int(const json_t *obj, const char *key, long long dflt)
{
    const json_t *v = json_object_get(obj, key);
    return json_is_integer(v) ? json_integer_value(v) : dflt;
}

double ev_num(const json_t *obj, const char *key)
{
    return json_number_value(json_object_get(obj, key));
}
