/*
 * fuzz.h: what the libFuzzer targets (fuzz_*.c) share.
 *
 * Each target defines LLVMFuzzerTestOneInput and nothing else that is
 * global. It is built twice: with clang's -fsanitize=fuzzer as a fuzzer
 * (CMCC_FUZZ=ON, `make fuzz`), and in every ordinary build with replay.c's
 * main(), which feeds it the seed corpus and the regression inputs (CTest's
 * fuzz.<target> tests). The same entry point runs in both.
 *
 * A target checks properties, not only the absence of crashes: FUZZ_CHECK
 * aborts (a crash to libFuzzer, a failed test to the replay) with the
 * condition and its line, in every build type (assert would vanish under
 * NDEBUG).
 */
#ifndef CMCC_FUZZ_H
#define CMCC_FUZZ_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define FUZZ_CHECK(cond)                                                                           \
    do {                                                                                           \
        if (!(cond)) {                                                                             \
            fprintf(stderr, "%s:%d: property broken: %s\n", __FILE__, __LINE__, #cond);            \
            abort();                                                                               \
        }                                                                                          \
    } while (0)

/* The fixed clock of the targets: 2025-06-01T00:00:00Z, so that a replayed
 * input takes the same path as when it was found. */
#define FUZZ_NOW_MS 1748736000000LL

#endif
