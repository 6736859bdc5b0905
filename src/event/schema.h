/*
 * schema.h: validating an event's body from a table of fields (schema.c).
 * Each event type lists its body's fields (ev_field: name, type, flags,
 * allowed values, range, items); ev_schema_check walks a body against that
 * table and refuses the first field at fault with bad_request and its path.
 * The accessors read a body once it has been checked.
 */
#ifndef CMCC_EVENT_SCHEMA_H
#define CMCC_EVENT_SCHEMA_H

#include "common/error.h"

#include <jansson.h>

typedef enum {
    FT_ID,      /* identifier */
    FT_TEXT,    /* UTF-8 text, length min..max bytes (default 1..1000) */
    FT_ENUM,    /* one of values[] */
    FT_INT,     /* integer min..max (default 0..2^53) */
    FT_LAT,     /* number -90..90 */
    FT_LON,     /* number -180..180 */
    FT_NUMBER,  /* number min..max (default 0..1e12) */
    FT_TIME,    /* RFC 3339 UTC */
    FT_BOOL,    /* true or false */
    FT_PUBKEY,  /* base64 of a 32-byte Ed25519 public key */
    FT_KEYID,   /* 16 lowercase hex digits */
    FT_ARRAY,   /* array of min..max items, each as items[0] (a scalar) */
    FT_OBJECTS, /* array of min..max objects with the fields items[] */
    FT_POINTS,  /* array of min..max [lat, lon] pairs */
    FT_NAMES,   /* object of 1..16 language tags ("ar", "he", "pt-br") -> text 1..max bytes */
} ev_ftype;

#define FF_REQUIRED 1u
#define FF_UNIQUE   2u /* FT_ARRAY: no value twice */

typedef struct ev_field {
    const char *name;
    ev_ftype type;
    unsigned flags;
    const char *const *values;    /* FT_ENUM: NULL-terminated */
    long long min, max;           /* lengths, counts or integer range; 0,0 = default */
    const struct ev_field *items; /* FT_ARRAY, FT_OBJECTS: NULL-name-terminated */
} ev_field;

/* Checks obj against fields (NULL-name-terminated): every required field
 * present, every present field known and valid. path is the object's field
 * path ("body"). */
int ev_schema_check(const json_t *obj, const ev_field *fields, const char *path, cm_error *err);

/* Accessors for validated bodies: NULL / the default when absent. */
const char *ev_str(const json_t *obj, const char *key);
long long ev_int(const json_t *obj, const char *key, long long dflt);
double ev_num(const json_t *obj, const char *key);

#endif
