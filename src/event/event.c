/*
 * event.c: the event inside an envelope, and its common fields.
 *
 *   {"v":1,"type":"custody.transfer","id":"t-2025-11-20-0042",
 *    "org":"coastal-relief","time":"2025-11-20T09:15:00Z","body":{...}}
 *
 * Every field is required and no other is allowed. The body is then checked
 * against the table of fields of its type (schema.c). Nothing is decoded
 * twice: id and org point into the parsed payload.
 */
#include "event/event.h"
#include "event/schema.h"

#include "common/timeutil.h"

#include <string.h>

static const char *const common_keys[] = {"v", "type", "id", "org", "time", "body", NULL};

/* The common fields, found in one walk over the object's keys. */
typedef struct {
    const json_t *v[6]; /* by the index of the key in common_keys */
} common_fields;

static const json_t *need(const common_fields *c, size_t i, cm_error *err)
{
    const json_t *v = c->v[i];
    if (!v) cm_fail(err, CM_BAD_REQUEST, common_keys[i], "missing field %s", common_keys[i]);
    return v;
}

/* The index of k in common_keys, or -1. */
static int common_key(const char *k)
{
    for (int i = 0; common_keys[i]; i++)
        if (k[0] == common_keys[i][0] && strcmp(k, common_keys[i]) == 0) return i;
    return -1;
}

int ev_event_parse(ev_event *e, int64_t now_ms, cm_error *err)
{
    e->root = ev_json_parse((const char *)e->env.payload, e->env.payload_len, "payload", err);
    if (!e->root) return -1;
    const char *k;
    const json_t *v;
    common_fields c = {{NULL}};
    json_object_foreach(e->root, k, v)
    {
        int i = common_key(k);
        if (i < 0)
            return cm_fail(err, CM_BAD_REQUEST, k,
                           "unknown field %s: an event has only v, type, id, org, time and body",
                           k);
        c.v[i] = v;
    }
    const json_t *jv = need(&c, 0, err);
    if (!jv) return -1;
    if (!json_is_integer(jv) || json_integer_value(jv) != 1)
        return cm_fail(err, CM_BAD_REQUEST, "v", "v must be 1, the protocol version");
    const json_t *jt = need(&c, 1, err);
    if (!jt) return -1;
    if (!json_is_string(jt) || !(e->type = ev_type_find(json_string_value(jt))))
        return cm_fail(err, CM_BAD_REQUEST, "type", "type %s%s%s is not an event type",
                       json_is_string(jt) ? "\"" : "",
                       json_is_string(jt) ? json_string_value(jt) : "(not a string)",
                       json_is_string(jt) ? "\"" : "");
    const json_t *ji = need(&c, 2, err);
    if (!ji) return -1;
    if (!json_is_string(ji) || !ev_is_id(json_string_value(ji)))
        return cm_fail(err, CM_BAD_REQUEST, "id",
                       "id must be 1 to 64 letters, digits, '.', '_', ':' or '-', starting with "
                       "a letter or digit");
    e->id = json_string_value(ji);
    const json_t *jo = need(&c, 3, err);
    if (!jo) return -1;
    if (!json_is_string(jo) || !ev_is_id(json_string_value(jo)))
        return cm_fail(err, CM_BAD_REQUEST, "org", "org must be an organization identifier");
    e->org = json_string_value(jo);
    const json_t *jtime = need(&c, 4, err);
    if (!jtime) return -1;
    if (!json_is_string(jtime) ||
        time_parse(json_string_value(jtime), json_string_length(jtime), &e->time_ms))
        return cm_fail(err, CM_BAD_REQUEST, "time",
                       "time must be an RFC 3339 UTC time such as 2025-11-20T09:15:00Z");
    if (e->time_ms > now_ms + EV_FUTURE_MS)
        return cm_fail(err, CM_BAD_REQUEST, "time",
                       "time is %lld s ahead of the server's clock; at most %d s is allowed: "
                       "check the clock of the device that signed it",
                       (long long)((e->time_ms - now_ms) / 1000), EV_FUTURE_MS / 1000);
    e->body = (json_t *)c.v[5];
    if (!e->body) return cm_fail(err, CM_BAD_REQUEST, "body", "missing field body");
    if (!json_is_object(e->body))
        return cm_fail(err, CM_BAD_REQUEST, "body", "body must be a JSON object");
    return ev_schema_check(e->body, e->type->body, "body", err);
}

void ev_event_free(ev_event *e)
{
    if (e->root) json_decref(e->root);
    e->root = NULL;
    e->body = NULL;
    e->id = e->org = NULL;
    e->type = NULL;
    ev_envelope_free(&e->env);
}
