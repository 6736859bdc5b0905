/*
 * replay.c: a main() for a fuzz target in the ordinary build, so that its
 * seed corpus and the inputs of every crash once found keep running
 * through the same entry point in every `make test` and `make asan-test`.
 *
 *   replay_<target> PATH...
 *
 * Each PATH is an input file or a directory of them (its files in name
 * order; names starting with "." are skipped, and so is a directory that
 * does not exist, such as a target's regressions/ before its first find).
 * Each input is handed to LLVMFuzzerTestOneInput in a buffer of exactly
 * its size, as libFuzzer does. A broken property or a sanitizer's finding
 * aborts; otherwise the count is printed, and no input at all is a failure.
 */
#include "fuzz.h"

#include "common/mem.h"

#include <dirent.h>
#include <errno.h>
#include <string.h>
#include <sys/stat.h>

static unsigned long replayed;

static int run_file(const char *path)
{
    FILE *f = fopen(path, "rb");
    if (!f) {
        fprintf(stderr, "replay: cannot open %s: %s\n", path, strerror(errno));
        return -1;
    }
    size_t cap = 4096, len = 0;
    uint8_t *data = xmalloc(cap);
    size_t n;
    while ((n = fread(data + len, 1, cap - len, f)) > 0) {
        len += n;
        if (len == cap) data = xrealloc(data, cap *= 2);
    }
    int bad = ferror(f);
    fclose(f);
    if (bad) {
        fprintf(stderr, "replay: cannot read %s\n", path);
        free(data);
        return -1;
    }
    /* exactly len bytes, so that the sanitizers see a read past the end */
    uint8_t *exact = xmalloc(len ? len : 1);
    memcpy(exact, data, len);
    free(data);
    fprintf(stderr, "replay: %s\n", path);
    LLVMFuzzerTestOneInput(exact, len);
    free(exact);
    replayed++;
    return 0;
}

static int by_name(const struct dirent **a, const struct dirent **b)
{
    return strcmp((*a)->d_name, (*b)->d_name);
}

static int run_path(const char *path)
{
    struct stat st;
    if (stat(path, &st) != 0) {
        if (errno == ENOENT) {
            fprintf(stderr, "replay: %s does not exist, skipped\n", path);
            return 0;
        }
        fprintf(stderr, "replay: %s: %s\n", path, strerror(errno));
        return -1;
    }
    if (!S_ISDIR(st.st_mode)) return run_file(path);
    struct dirent **names;
    int n = scandir(path, &names, NULL, by_name);
    if (n < 0) {
        fprintf(stderr, "replay: cannot list %s: %s\n", path, strerror(errno));
        return -1;
    }
    int rc = 0;
    for (int i = 0; i < n; i++) {
        if (names[i]->d_name[0] != '.' && rc == 0) {
            char *file = xasprintf("%s/%s", path, names[i]->d_name);
            rc = run_path(file);
            free(file);
        }
        free(names[i]);
    }
    free(names);
    return rc;
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        fprintf(stderr, "usage: %s PATH...\n", argv[0]);
        return 2;
    }
    for (int i = 1; i < argc; i++)
        if (run_path(argv[i]) != 0) return 1;
    if (replayed == 0) {
        fprintf(stderr, "replay: no input found\n");
        return 1;
    }
    printf("replay: %lu inputs, no failure\n", replayed);
    return 0;
}
