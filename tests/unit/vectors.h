/*
 * vectors.h: what the unit tests that read $CMCC_SHARED_DIR/testvectors/tlog-1000
 * share: where it is, and reading one of its files whole. Include after
 * cmocka.h.
 */
#ifndef TEST_VECTORS_H
#define TEST_VECTORS_H

#include "common/file.h"

#define VEC CMCC_SHARED_DIR "/testvectors/tlog-1000"

/* The file at path (malloc'ed, NUL-terminated), its length in *len; fails
 * the test when it cannot be read. (Not inlined: GCC 12 then takes the
 * returned pointer for one to the local data.) */
__attribute__((noinline)) static char *read_file(const char *path, size_t *len)
{
    char *data = NULL;
    cm_error err;
    if (cm_read_file(path, &data, len, &err)) fail_msg("%s", err.message);
    return data;
}

#endif
