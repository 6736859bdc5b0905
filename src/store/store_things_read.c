/*
 * store_things_read.c: things as JSON for the read API:
 *   [{"id", "org", "status", "time", "updated", "body": {...},
 *     "notes": [{"org", "note", "time", "latest", "index", "body": {...}}]}]
 * oldest first. What each kind's answer looks like is the server's
 * business (movements and sites gain derived fields there).
 */
#include "store/store_int.h"

int store_things_json(store *s, ev_thing_kind kind, const char *id, cm_buf *out, cm_error *err)
{
    store_arg args[] = {STORE_TEXT(ev_thing_name(kind)), STORE_TEXT(id)};
    size_t before = out->len;
    int rc = store_json(
        s,
        "SELECT coalesce(json_group_array(json(t)), '[]') FROM ("
        " SELECT json_object('id', id, 'org', org, 'status', status, 'time', " ISO(
            "time") ","
                    "  'index', created, 'updated', updated, 'body', json(body),"
                    "  'notes', json((SELECT coalesce(json_group_array(json_object('org', n.org,"
                    "   'note', n.note, 'time', " ISO(
                        "n.time") ", 'latest', n.latest, 'index', n.idx,"
                                  "   'body', json(n.body))), '[]') FROM (SELECT * FROM "
                                  "thing_notes n"
                                  "   WHERE n.kind = things.kind AND n.id = things.id ORDER BY "
                                  "n.idx, n.seq) n))) AS t"
                                  " FROM things WHERE kind = ?1 AND (?2 IS NULL OR id = ?2) ORDER "
                                  "BY created)",
        args, 2, out, err);
    if (rc) return -1;
    return out->len > before;
}
