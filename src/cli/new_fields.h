/*
 * new_fields.h: the plain forms of `cmcc new`'s options (new_fields.c):
 * each body field's value from the command line, one object of a list
 * (--line 1:40) from its ':'-joined fields, and the --help line of each.
 */
#ifndef CMCC_NEW_FIELDS_H
#define CMCC_NEW_FIELDS_H

#include "common/error.h"
#include "event/event.h"
#include "event/schema.h"

#include <jansson.h>
#include <stdint.h>
#include <stdio.h>

/* "now", "now+36h", "now-2d", "now+90m", or RFC 3339 UTC. 0 and *out, or -1. */
int new_parse_when(const char *s, int64_t now, int64_t *out);

/* The JSON value of field f written v on the command line as --opt (a list
 * of objects: its JSON form). NULL with err saying what was expected. */
json_t *new_value(const ev_field *f, const char *opt, const char *v, int64_t now, cm_error *err);

/* The option naming one object of the list field list ("line" for
 * "lines", "public-key" for "keys"), written into buf. */
const char *new_one_option(const ev_field *list, char *buf, size_t cap);

/* One object of list from its plain form v ("1:40"), given as --opt. NULL
 * with err saying the form expected. */
json_t *new_one_object(const ev_field *list, const char *opt, const char *v, int64_t now,
                       cm_error *err);

/* Prints the --help lines of field f: its option, value, whether required,
 * and every fixed set of values it takes. */
void new_field_help(FILE *out, const ev_field *f);

#endif
