/*
 * things.c: the things of a kind as JSON, made here from the rows the
 * store returns (store_things_each: plain columns, bodies as stored JSON
 * text), and a thing made flat as the read API shows it: its id under its
 * kind's name, "org", "status", the time it was made under the kind's
 * word for it ("notified", "declared", ...), "index", then its body's
 * fields, with the optional fields of its event type never given as null
 * (docs/protocol.md, HTTP: Lists). Each domain's file (deconfliction.c,
 * movements.c, incidents.c, force.c, disarmament.c) derives its fields
 * from these.
 */
#include "views/things.h"

#include "common/timeutil.h"
#include "event/schema.h"
#include "event/things.h"

#include <string.h>

/* The body or a note's body, parsed; -1 with err if it is not JSON. */
static json_t *parse(const char *text, const char *id, cm_error *err)
{
    json_error_t je;
    json_t *j = json_loads(text ? text : "null", JSON_DECODE_ANY, &je);
    if (!j) cm_fail(err, CM_INTERNAL, "", "the stored body of \"%s\" is not JSON: %s", id, je.text);
    return j;
}

static json_t *time_of(int64_t ms)
{
    char t[32];
    time_format_s(ms, t, sizeof t);
    return json_string(t);
}

static int add_thing(void *ctx, const store_thing_row *t, cm_error *err)
{
    json_t *body = parse(t->body, t->id, err);
    if (!body) return -1;
    json_t *notes = json_array();
    for (size_t i = 0; i < t->nnotes; i++) {
        const store_thing_note *n = &t->notes[i];
        json_t *nb = parse(n->body, t->id, err);
        if (!nb) {
            json_decref(body);
            json_decref(notes);
            return -1;
        }
        json_array_append_new(notes, json_pack("{s:s,s:s,s:o,s:I,s:I,s:o}", "org", n->org, "note",
                                               n->note, "time", time_of(n->time_ms), "latest",
                                               (json_int_t)n->latest, "index", (json_int_t)n->index,
                                               "body", nb));
    }
    json_array_append_new(ctx, json_pack("{s:s,s:s,s:s,s:o,s:I,s:I,s:o,s:o}", "id", t->id, "org",
                                         t->org, "status", t->status, "time", time_of(t->time_ms),
                                         "index", (json_int_t)t->index, "updated",
                                         (json_int_t)t->updated, "body", body, "notes", notes));
    return 0;
}

json_t *views_things(store *s, ev_thing_kind kind, const char *id)
{
    if (!s) return NULL;
    json_t *out = json_array();
    cm_error err;
    if (store_things_each(s, kind, id, add_thing, out, &err) < 0) {
        json_decref(out);
        return NULL;
    }
    return out;
}

/* The event type whose body a thing keyed idkey carries, when its optional
 * fields never given are to read as null (docs/protocol.md, HTTP: Lists). */
static const ev_type *body_type(const char *idkey)
{
    static const char *const types[][2] = {{"site", "site.notify"},
                                           {"zone", "zone.declare"},
                                           {"movement", "movement.request"},
                                           {"incident", "incident.report"},
                                           {"requirement", "requirement.define"},
                                           {"pledge", "pledge.offer"},
                                           {"record", "weapon.handover"},
                                           {"benchmark", "benchmark.define"}};
    for (size_t i = 0; i < sizeof types / sizeof types[0]; i++)
        if (strcmp(types[i][0], idkey) == 0) return ev_type_find(types[i][1]);
    return NULL;
}

json_t *views_flatten(const json_t *t, const char *idkey, const char *when)
{
    json_t *o = json_object();
    json_object_set(o, idkey, json_object_get(t, "id"));
    json_object_set(o, "org", json_object_get(t, "org"));
    json_object_set(o, "status", json_object_get(t, "status"));
    json_object_set(o, when, json_object_get(t, "time"));
    json_object_set(o, "index", json_object_get(t, "index"));
    json_object_update_missing(o, json_object_get(t, "body"));
    const ev_type *ty = body_type(idkey);
    for (const ev_field *f = ty ? ty->body : NULL; f && f->name; f++)
        if (!json_object_get(o, f->name)) json_object_set_new(o, f->name, json_null());
    return o;
}

void views_copy_keys(json_t *to, const json_t *from, const char *const *keys)
{
    for (size_t k = 0; keys[k]; k++) json_object_set(to, keys[k], json_object_get(from, keys[k]));
}

int64_t views_ms(const json_t *obj, const char *key, int64_t dflt)
{
    return ev_time_of(obj, key, dflt);
}

int views_overlap(int64_t a0, int64_t a1, int64_t b0, int64_t b1)
{
    return a0 < b1 && b0 < a1;
}

void views_warn(json_t *list, const char *kind, json_t *fields, const char *message)
{
    json_object_set_new(fields, "kind", json_string(kind));
    json_object_set_new(fields, "message", json_string(message));
    json_array_append_new(list, fields);
}
