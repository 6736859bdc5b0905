/*
 * tmpstore.h: what the unit tests of the store share: a new, empty store in
 * a fresh temporary file for each test (cmocka setup), and its removal with
 * its WAL and shared-memory files (teardown). The path is tmpstore_path.
 * Include after cmocka.h.
 */
#ifndef TEST_TMPSTORE_H
#define TEST_TMPSTORE_H

#include "common/mem.h"
#include "store/store.h"

#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

static char tmpstore_path[64];

static int tmpstore_setup(void **state)
{
    (void)state;
    snprintf(tmpstore_path, sizeof tmpstore_path, "/tmp/cmcc-store-XXXXXX");
    int fd = mkstemp(tmpstore_path);
    if (fd < 0) return -1;
    close(fd);
    unlink(tmpstore_path);
    cm_error err;
    return store_create(tmpstore_path, &err);
}

static int tmpstore_teardown(void **state)
{
    (void)state;
    const char *ext[] = {"", "-wal", "-shm"};
    for (size_t i = 0; i < 3; i++) {
        char *p = xasprintf("%s%s", tmpstore_path, ext[i]);
        unlink(p);
        free(p);
    }
    return 0;
}

#endif
