/*
 * file.c: reading a whole file into memory, in chunks appended to a buffer
 * (buf.h), so that a file of any size, or a pipe, reads the same way.
 */
#include "common/file.h"

#include "common/buf.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

int cm_read_stream(FILE *f, const char *name, char **data, size_t *len, cm_error *err)
{
    cm_buf b = CM_BUF_INIT;
    char chunk[65536];
    size_t n;
    while ((n = fread(chunk, 1, sizeof chunk, f)) > 0) buf_append(&b, chunk, n);
    if (ferror(f)) {
        buf_free(&b);
        return cm_fail(err, CM_INTERNAL, "", "cannot read %s", name);
    }
    *len = b.len;
    *data = buf_take(&b);
    return 0;
}

int cm_read_file(const char *path, char **data, size_t *len, cm_error *err)
{
    FILE *f = fopen(path, "rb");
    if (!f) return cm_fail(err, CM_NOT_FOUND, "", "cannot open %s: %s", path, strerror(errno));
    int rc = cm_read_stream(f, path, data, len, err);
    fclose(f);
    return rc;
}

int cm_read_line_file(const char *path, char **line, cm_error *err)
{
    size_t len = 0;
    if (cm_read_file(path, line, &len, err)) return -1;
    while (len && ((*line)[len - 1] == '\n' || (*line)[len - 1] == '\r')) (*line)[--len] = '\0';
    return 0;
}
