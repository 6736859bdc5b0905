/*
 * fuzz_body.c: every event type's body validation (event/schema.c against
 * the field tables of event/registry.c and event/supply.c).
 *
 * Input: one byte choosing the type (an index into ev_types(), modulo
 * their number), then the body's JSON. The body is parsed alone
 * (ev_json_parse) and checked against the type's table (ev_schema_check,
 * path "body"); then the same bytes are wrapped in a whole event
 *   {"v":1,"type":"<type>","id":"fuzz-1","org":"fuzz-org",
 *    "time":"2025-05-31T12:00:00Z","body":<body>}
 * and parsed as the server parses a payload (ev_event_parse). Property: the
 * two agree. A body the wrapped event accepts is accepted alone, and one
 * accepted alone is accepted wrapped unless the wrapping took it past the
 * nesting limit (one level deeper).
 *
 * Seeds (corpus/body/): a valid body of each type, with its type byte.
 */
#include "fuzz.h"

#include "common/buf.h"
#include "event/event.h"
#include "event/schema.h"

#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1) return 0;
    const ev_type *const *types = ev_types();
    size_t ntypes = 0;
    while (types[ntypes]) ntypes++;
    const ev_type *t = types[data[0] % ntypes];
    const char *body = (const char *)data + 1;
    size_t len = size - 1;

    cm_error err;
    int alone = -1;
    json_t *j = ev_json_parse(body, len, "body", &err);
    if (j) {
        alone = ev_schema_check(j, t->body, "body", &err);
        json_decref(j);
    }

    cm_buf ev = CM_BUF_INIT;
    buf_printf(&ev,
               "{\"v\":1,\"type\":\"%s\",\"id\":\"fuzz-1\",\"org\":\"fuzz-org\","
               "\"time\":\"2025-05-31T12:00:00Z\",\"body\":",
               t->name);
    buf_append(&ev, body, len);
    buf_putc(&ev, '}');
    ev_event e;
    memset(&e, 0, sizeof e);
    e.env.payload_len = ev.len;
    e.env.payload = (uint8_t *)buf_take(&ev);
    int wrapped = ev_event_parse(&e, FUZZ_NOW_MS, &err);
    if (wrapped == 0) FUZZ_CHECK(e.type == t && e.body && json_is_object(e.body));
    FUZZ_CHECK(wrapped != 0 || alone == 0);
    FUZZ_CHECK(alone != 0 || wrapped == 0 || strstr(err.message, "nested deeper"));
    ev_event_free(&e);
    return 0;
}
