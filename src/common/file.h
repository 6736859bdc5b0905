/*
 * file.h: reading a whole file into memory.
 */
#ifndef CM_FILE_H
#define CM_FILE_H

#include "common/error.h"

#include <stddef.h>
#include <stdio.h>

/* Reads the file at path. OUT: *data (malloc'ed, NUL-terminated after *len
 * bytes), *len. 0, or -1 with err: not_found when it cannot be opened,
 * internal when it cannot be read. */
int cm_read_file(const char *path, char **data, size_t *len, cm_error *err);
/* The same for an open stream, read to its end; name says what it is in
 * the error. */
int cm_read_stream(FILE *f, const char *name, char **data, size_t *len, cm_error *err);
/* cm_read_file for a one-line file (a token, a key, a name): its line
 * endings (\n, \r) taken off the end. OUT: *line (malloc'ed). */
int cm_read_line_file(const char *path, char **line, cm_error *err);

#endif
