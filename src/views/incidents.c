/*
 * incidents.c: incidents as the read API shows them (GET /v1/incidents):
 * flat, oldest first, each with its assessments in log order ({org,
 * status, time, note when given}), filtered by category, severity, status
 * and the time each occurred.
 */
#include "views/things.h"

#include "event/schema.h"
#include "event/things.h"

#include <string.h>

json_t *views_incidents(store *s, const views_incident_filter *f)
{
    json_t *all = views_things(s, THING_INCIDENT, NULL);
    if (!all) return NULL;
    json_t *out = json_array();
    for (size_t i = 0; i < json_array_size(all); i++) {
        json_t *t = json_array_get(all, i);
        const json_t *b = json_object_get(t, "body");
        int64_t occurred = ev_time_of(b, "occurred", 0);
        if ((f->category && strcmp(ev_str(b, "category"), f->category)) ||
            (f->severity && strcmp(ev_str(b, "severity"), f->severity)) ||
            (f->status && strcmp(json_string_value(json_object_get(t, "status")), f->status)) ||
            occurred < f->since || occurred > f->until)
            continue;
        json_t *o = views_flatten(t, "incident", "reported");
        json_t *assessments = json_array();
        const json_t *notes = json_object_get(t, "notes");
        for (size_t k = 0; k < json_array_size(notes); k++) {
            const json_t *n = json_array_get(notes, k), *nb = json_object_get(n, "body");
            json_t *a =
                json_pack("{s:O,s:O,s:O}", "org", json_object_get(n, "org"), "status",
                          json_object_get(nb, "status"), "time", json_object_get(n, "time"));
            if (json_object_get(nb, "note"))
                json_object_set(a, "note", json_object_get(nb, "note"));
            json_array_append_new(assessments, a);
        }
        json_object_set_new(o, "assessments", assessments);
        json_array_append_new(out, o);
    }
    json_decref(all);
    return out;
}
