/*
 * test_store_snapshot.c: a reader's read snapshot on a real SQLite file.
 * Between store_read_begin and store_read_end a reader keeps seeing the
 * store as of its first read, while a writer appends and commits; after
 * store_read_end it sees the new entry. store_read_end outside a snapshot
 * does nothing, and a snapshot can be begun again.
 */
#include "common/mem.h"
#include "store/store.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "tmpstore.h"

static uint64_t size_of(store *s)
{
    cm_error err;
    uint64_t n = 99;
    assert_int_equal(store_size(s, &n, &err), 0);
    return n;
}

static void append(store *w, uint64_t idx)
{
    cm_error err;
    char id[16];
    snprintf(id, sizeof id, "e-%llu", (unsigned long long)idx);
    assert_int_equal(store_begin(w, &err), 0);
    assert_int_equal(store_append(w, idx, "{}", 2, "cell", id, "place.define", &err), 0);
    assert_int_equal(store_commit(w, &err), 0);
}

static void test_snapshot_holds_until_its_end(void **state)
{
    (void)state;
    cm_error err;
    store *w = store_open(tmpstore_path, STORE_WRITER, &err);
    store *r = store_open(tmpstore_path, STORE_READER, &err);
    assert_non_null(w);
    assert_non_null(r);
    append(w, 0);

    assert_int_equal(store_in_transaction(r), 0);
    assert_int_equal(store_read_begin(r, &err), 0);
    assert_int_equal(store_in_transaction(r), 1);
    assert_int_equal(size_of(r), 1);
    append(w, 1);
    assert_int_equal(size_of(w), 2);
    assert_int_equal(size_of(r), 1); /* still the snapshot's state */
    store_read_end(r);
    assert_int_equal(store_in_transaction(r), 0);
    assert_int_equal(size_of(r), 2);

    store_read_end(r); /* outside a snapshot: nothing to end */
    assert_int_equal(store_in_transaction(r), 0);
    assert_int_equal(store_read_begin(r, &err), 0);
    append(w, 2);
    assert_int_equal(size_of(r), 3); /* the snapshot starts at its first read */
    append(w, 3);
    assert_int_equal(size_of(r), 3);
    store_read_end(r);
    assert_int_equal(size_of(r), 4);

    store_close(r);
    store_close(w);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_snapshot_holds_until_its_end, tmpstore_setup,
                                        tmpstore_teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
