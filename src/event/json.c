/*
 * json.c: the strict JSON the protocol asks for (docs/protocol.md section 2).
 *
 * jansson parses with JSON_REJECT_DUPLICATES (after json_fast.c, which
 * builds the same tree quicker for plain JSON and leaves the rest, and
 * every error, to jansson); it already refuses invalid
 * UTF-8 and "\u0000" (JSON_ALLOW_NUL is not given). Depth is checked after
 * parsing by a walk that stops at EV_MAX_DEPTH + 1, so a hostile document
 * costs no more than its size.
 */
#include "event/event.h"

#include <string.h>

/* Depth counts containers only: {"a":[1]} is 2 deep, so a document of 16
 * nested objects and arrays is accepted whatever scalars they hold. */
static int depth_ok(const json_t *j, int depth)
{
    if (!json_is_object(j) && !json_is_array(j)) return 1;
    if (depth > EV_MAX_DEPTH) return 0;
    if (json_is_object(j)) {
        const char *k;
        const json_t *v;
        json_object_foreach((json_t *)j, k, v)
        {
            if (!depth_ok(v, depth + 1)) return 0;
        }
    } else if (json_is_array(j)) {
        size_t i;
        const json_t *v;
        json_array_foreach(j, i, v)
        {
            if (!depth_ok(v, depth + 1)) return 0;
        }
    }
    return 1;
}

json_t *ev_json_parse(const char *data, size_t len, const char *field, cm_error *err)
{
    json_error_t je;
    if (memchr(data, '\0', len)) {
        cm_fail(err, CM_BAD_REQUEST, field, "the JSON holds a NUL byte, which is not allowed");
        return NULL;
    }
    json_t *j = ev_json_parse_plain(data, len); /* most payloads; else jansson */
    if (!j) j = json_loadb(data, len, JSON_REJECT_DUPLICATES, &je);
    if (!j) {
        cm_fail(err, CM_BAD_REQUEST, field, "not valid JSON: %s (line %d, column %d)", je.text,
                je.line, je.column);
        return NULL;
    }
    if (!json_is_object(j)) {
        json_decref(j);
        cm_fail(err, CM_BAD_REQUEST, field, "must be a JSON object");
        return NULL;
    }
    if (!depth_ok(j, 1)) {
        json_decref(j);
        cm_fail(err, CM_BAD_REQUEST, field, "JSON nested deeper than %d levels", EV_MAX_DEPTH);
        return NULL;
    }
    return j;
}

int ev_is_id(const char *s)
{
    size_t n = 0;
    for (; s[n]; n++) {
        char c = s[n];
        int alnum = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
        if (n == 0 ? !alnum : !(alnum || c == '.' || c == '_' || c == ':' || c == '-')) return 0;
    }
    return n >= 1 && n <= EV_ID_MAX;
}
