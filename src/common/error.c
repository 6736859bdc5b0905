/*
 * error.c: filling cm_error and mapping codes to protocol names and HTTP
 * statuses (docs/protocol.md section 5).
 */
#include "common/error.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

static const struct {
    const char *name;
    int http;
} codes[CM_CODE_COUNT] = {
    [CM_OK] = {"ok", 200},
    [CM_BAD_REQUEST] = {"bad_request", 400},
    [CM_BAD_SIGNATURE] = {"bad_signature", 401},
    [CM_UNKNOWN_KEY] = {"unknown_key", 401},
    [CM_KEY_REVOKED] = {"key_revoked", 403},
    [CM_ORG_SUSPENDED] = {"org_suspended", 403},
    [CM_FORBIDDEN] = {"forbidden", 403},
    [CM_UNAUTHORIZED] = {"unauthorized", 401},
    [CM_NOT_FOUND] = {"not_found", 404},
    [CM_CONFLICT] = {"conflict", 409},
    [CM_RULE_VIOLATION] = {"rule_violation", 409},
    [CM_TOO_LARGE] = {"too_large", 413},
    [CM_RATE_LIMITED] = {"rate_limited", 429},
    [CM_UNAVAILABLE] = {"unavailable", 503},
    [CM_INTERNAL] = {"internal", 500},
};

int cm_fail(cm_error *e, cm_code code, const char *field, const char *fmt, ...)
{
    if (!e) return -1;
    e->code = code;
    snprintf(e->field, sizeof e->field, "%s", field ? field : "");
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(e->message, sizeof e->message, fmt, ap);
    va_end(ap);
    return -1;
}

void cm_error_prefix(cm_error *e, const char *fmt, ...)
{
    char msg[CM_MESSAGE_MAX * 2];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    if (n < 0) return;
    size_t len = (size_t)n < sizeof msg ? (size_t)n : sizeof msg - 1;
    size_t old = strlen(e->message);
    if (len + 2 + old >= sizeof msg) old = sizeof msg - len - 3;
    memcpy(msg + len, ": ", 2);
    memcpy(msg + len + 2, e->message, old);
    msg[len + 2 + old] = '\0';
    size_t total = len + 2 + old;
    if (total >= sizeof e->message) total = sizeof e->message - 1;
    memcpy(e->message, msg, total);
    e->message[total] = '\0';
}

void cm_error_clear(cm_error *e)
{
    e->code = CM_OK;
    e->field[0] = '\0';
    e->message[0] = '\0';
}

const char *cm_code_name(cm_code code)
{
    return (unsigned)code < CM_CODE_COUNT ? codes[code].name : "internal";
}

int cm_code_http(cm_code code)
{
    return (unsigned)code < CM_CODE_COUNT ? codes[code].http : 500;
}
