/*
 * error.h: the one status type of cmcc, the protocol's error codes.
 *
 * A function that refuses something fills a cm_error with the code, the
 * field at fault (a path such as "body.lines[2].quantity", or "" when no one
 * field is) and a sentence a person can act on, then returns -1. Callers pass
 * the error up unchanged; the HTTP front turns it into
 * {"error":{"code","message","field"}} with the code's HTTP status.
 */
#ifndef CM_ERROR_H
#define CM_ERROR_H

typedef enum {
    CM_OK = 0,
    CM_BAD_REQUEST,    /* 400 malformed JSON, missing or unknown field, bad value */
    CM_BAD_SIGNATURE,  /* 401 the signature does not verify */
    CM_UNKNOWN_KEY,    /* 401 no registered key has this keyid */
    CM_KEY_REVOKED,    /* 403 the key was revoked */
    CM_ORG_SUSPENDED,  /* 403 the signing org is suspended */
    CM_FORBIDDEN,      /* 403 role, org or token may not do this */
    CM_UNAUTHORIZED,   /* 401 a read without a valid token */
    CM_NOT_FOUND,      /* 404 */
    CM_CONFLICT,       /* 409 id reused with other content, duplicate serial */
    CM_RULE_VIOLATION, /* 409 the event breaks a rule of its type */
    CM_TOO_LARGE,      /* 413 over a size limit */
    CM_RATE_LIMITED,   /* 429 over a configured rate */
    CM_UNAVAILABLE,    /* 503 overloaded or read-only */
    CM_INTERNAL,       /* 500 a fault of the server itself (I/O, corruption) */
    CM_CODE_COUNT
} cm_code;

#define CM_FIELD_MAX   160
#define CM_MESSAGE_MAX 400

typedef struct {
    cm_code code;
    char field[CM_FIELD_MAX];
    char message[CM_MESSAGE_MAX];
} cm_error;

/* Fills *e (when e is not NULL) and returns -1, so that callers can write
 * `return cm_fail(e, CM_BAD_REQUEST, "body.org", "...")`. */
int cm_fail(cm_error *e, cm_code code, const char *field, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

/* Puts "<prefix>: " before e's message (cut to fit), e.g. to name the
 * entry or file an error concerns. */
void cm_error_prefix(cm_error *e, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Resets *e to CM_OK with empty field and message. */
void cm_error_clear(cm_error *e);

/* The protocol's name of a code ("bad_request", ...), and its HTTP status. */
const char *cm_code_name(cm_code code);
int cm_code_http(cm_code code);

#endif
