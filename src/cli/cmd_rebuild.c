/*
 * cmd_rebuild.c: `cmcc rebuild DIR`: recomputes every projection from the
 * entries, in one transaction, with the server stopped. Each entry is
 * replayed as `cmcc verify` replays it (signature, rules); if one fails,
 * nothing changes and the entry is named.
 */
#include "cli/cli.h"

#include "common/mem.h"
#include "engine/engine.h"

#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static const char help[] = "usage: cmcc rebuild DIR\n\n"
                           "Recomputes the state (registry and every figure) from the log's "
                           "entries, checking\neach entry's signature and rules again. The "
                           "server must be stopped.\n";

/* Each entry goes to the replay, which checks them on every core. */
typedef struct {
    srv_replay r;
    srv_pool *pool;
} rebuilder;

static int one(void *ctx, uint64_t idx, const char *entry, size_t len)
{
    rebuilder *b = ctx;
    cm_error err;
    if (srv_replay_add(&b->r, idx, entry, len, &err)) return cli_error("rebuild", &err), 1;
    return 0;
}

int cmd_rebuild(int argc, char **argv)
{
    if (cli_wants_help(argc, argv)) return fputs(help, stdout), 0;
    if (argc != 2 || argv[1][0] == '-') return fputs(help, stderr), 2;
    const char *dir = argv[1];
    cm_error err;
    int lock = srv_lock_dir(dir, &err);
    if (lock < 0) return cli_error("rebuild", &err), 1;
    store *w = srv_open_store(dir, STORE_WRITER, &err);
    uint64_t size = 0;
    int rc = 1;
    rebuilder *b = xcalloc(1, sizeof *b);
    b->pool = srv_pool_new_helped();
    srv_replay_init(&b->r, w, 0);
    srv_replay_stream(&b->r, b->pool, NULL, NULL);
    if (!w || store_size(w, &size, &err) || store_begin(w, &err) || store_clear_state(w, &err)) {
        cli_error("rebuild", &err);
        goto done;
    }
    int failed = store_entries(w, 0, size, one, b, &err);
    if (failed < 0) cli_error("rebuild", &err);
    if (!failed && srv_replay_end(&b->r, &err)) {
        cli_error("rebuild", &err);
        failed = 1;
    }
    if (failed || store_commit(w, &err)) {
        if (!failed) cli_error("rebuild", &err);
        store_rollback(w);
        fprintf(stderr, "cmcc rebuild: nothing was changed\n");
        goto done;
    }
    printf("cmcc rebuild: the state was recomputed from %llu %s\n", (unsigned long long)size,
           size == 1 ? "entry" : "entries");
    rc = 0;
done:
    srv_replay_free(&b->r);
    srv_pool_free(b->pool);
    free(b);
    store_close(w);
    close(lock);
    return rc;
}
