/*
 * answer.c: filling a response, for the handlers, auth.c and http.c alike:
 * an error as the protocol writes it (docs/protocol.md),
 *
 *   {"error":{"code":"<code>","message":"<a sentence>","field":"<field>"}}
 *
 * with the code's HTTP status (and Retry-After: 1 when trying again may
 * help), the 503 of a store that cannot be read, and a JSON document or
 * {"<key>": [...]} list, not to be cached without asking.
 */
#include "server/srv_int.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>

void srv_error_json(cm_buf *out, const cm_error *e)
{
    buf_puts(out, "{\"code\":");
    buf_json_str(out, cm_code_name(e->code));
    buf_puts(out, ",\"message\":");
    buf_json_str(out, e->message);
    if (e->field[0]) {
        buf_puts(out, ",\"field\":");
        buf_json_str(out, e->field);
    }
    buf_putc(out, '}');
}

void srv_error(srv_resp *r, const cm_error *e)
{
    buf_reset(&r->body);
    r->status = cm_code_http(e->code);
    r->type = NULL;
    r->cache = "no-store";
    buf_puts(&r->body, "{\"error\":");
    srv_error_json(&r->body, e);
    buf_puts(&r->body, "}\n");
    if (e->code == CM_UNAVAILABLE || e->code == CM_RATE_LIMITED) r->retry_after = 1;
}

void srv_errorf(srv_resp *r, cm_code code, const char *field, const char *fmt, ...)
{
    cm_error e;
    e.code = code;
    snprintf(e.field, sizeof e.field, "%s", field ? field : "");
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(e.message, sizeof e.message, fmt, ap);
    va_end(ap);
    srv_error(r, &e);
}

int srv_unavailable(srv_resp *r)
{
    srv_errorf(r, CM_UNAVAILABLE, "", "the store cannot be read just now: try again");
    return 0;
}

void srv_answer_json(srv_resp *r, const json_t *doc)
{
    char *s = json_dumps(doc, EV_JSON_OUT);
    buf_puts(&r->body, s);
    buf_putc(&r->body, '\n');
    free(s);
    r->cache = "no-cache";
}

int srv_answer_list(srv_resp *r, const char *key, json_t *items)
{
    if (!items) return srv_unavailable(r);
    json_t *doc = json_pack("{s:o}", key, items);
    srv_answer_json(r, doc);
    json_decref(doc);
    return 0;
}
