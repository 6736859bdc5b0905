/*
 * event_json.c: the payload of an event the CLI makes (cmcc new, the
 * manifest and EPCIS imports, the demo), and its check before signing.
 *
 *   {"v":1,"type":"<type>","id":"<id>","org":"<org>","time":"<time>","body":{...}}
 *
 * dumped as the server stores payloads (EV_JSON_OUT), then parsed back and
 * checked by the same code the server runs on every event it receives, so
 * a fault is said here, before anything is signed or sent.
 */
#include "cli/cli.h"

#include "common/mem.h"
#include "common/timeutil.h"

#include <string.h>

char *cli_event_json(const char *type, const char *id, const char *org, const char *time,
                     json_t *body)
{
    json_t *e = json_pack("{s:i,s:s,s:s,s:s,s:s,s:o}", "v", 1, "type", type, "id", id, "org", org,
                          "time", time, "body", body);
    char *json = json_dumps(e, EV_JSON_OUT);
    json_decref(e);
    return json;
}

int cli_event_check(const char *json, cm_error *err)
{
    ev_event e;
    memset(&e, 0, sizeof e);
    e.env.payload = (uint8_t *)xstrdup(json);
    e.env.payload_len = strlen(json);
    int rc = ev_event_parse(&e, time_now_ms(), err);
    ev_event_free(&e);
    return rc;
}
