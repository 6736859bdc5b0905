/*
 * published.c: the newest checkpoint this log directory's server
 * published, kept beside the log when the store is shared (PostgreSQL).
 *
 *   DIR/published   the signed note, as served at /checkpoint
 *
 * A SQLite store is on this machine, and its newest checkpoint is the one
 * the server published. A PostgreSQL store may be replaced under the
 * server: a standby promoted that was not synchronous lacks what the old
 * primary acknowledged, checkpoints included. So the syncer writes each
 * checkpoint it publishes here first (a new file renamed over the old one,
 * synced), before anyone can fetch it; and a server starting on the log
 * directory (srv_published_check) writes only if the store holds the tree
 * of that checkpoint: its size, and the same root at that size. Else it
 * refuses writes, naming the checkpoint's size and the store's, rather
 * than sign a checkpoint inconsistent with one already published.
 */
#include "engine/engine.h"

#include "common/file.h"
#include "common/mem.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define PUBLISHED_FILE "published"

char *srv_published_path(const char *dir, const char *location)
{
    return store_is_url(location) ? xasprintf("%s/%s", dir, PUBLISHED_FILE) : NULL;
}

int srv_published_keep(const char *path, const char *note, cm_error *err)
{
    if (!path) return 0;
    char *tmp = xasprintf("%s.new", path);
    int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    size_t len = strlen(note);
    int ok = fd >= 0 && write(fd, note, len) == (ssize_t)len && fsync(fd) == 0;
    if (fd >= 0 && close(fd) != 0) ok = 0;
    ok = ok && rename(tmp, path) == 0;
    int rc = ok ? 0
                : cm_fail(err, CM_INTERNAL, "", "cannot write %s: %s", path,
                          errno ? strerror(errno) : "short write");
    free(tmp);
    return rc;
}

int srv_published_check(const char *path, store *s, cm_error *err)
{
    if (!path) return 0;
    char *note = NULL;
    size_t len = 0;
    cm_error ignored;
    if (cm_read_file(path, &note, &len, &ignored)) return 0; /* none published yet */
    /* the body ends at the note's blank line */
    const char *blank = strstr(note, "\n\n");
    log_checkpoint c;
    int rc = checkpoint_parse(note, blank ? (size_t)(blank - note) + 1 : len, &c, err);
    free(note);
    if (rc)
        return cm_fail(err, CM_INTERNAL, "",
                       "%s is not a checkpoint (%s): remove it only if "
                       "this log directory never served the log",
                       path, err->message);
    uint64_t size = 0;
    log_frontier f;
    int differs = 0;
    if (store_read_begin(s, err) || store_size(s, &size, err)) {
        store_read_end(s);
        return -1;
    }
    if (size >= c.size) {
        if (log_frontier_load(&f, c.size, store_read_hash, s)) {
            store_read_end(s);
            return cm_fail(err, CM_INTERNAL, "",
                           "the stored tree is incomplete: run `cmcc verify`");
        }
        log_hash root;
        log_frontier_root(&f, &root);
        differs = memcmp(root.b, c.root.b, sizeof root.b) != 0;
    }
    store_read_end(s);
    if (size < c.size)
        return cm_fail(err, CM_UNAVAILABLE, "",
                       "this server refuses writes: it signed and published a checkpoint of "
                       "%llu entries (%s), but the store holds %llu entries; it lacks "
                       "acknowledged entries (a standby that was not synchronous was "
                       "promoted?), and appending to it would fork the log",
                       (unsigned long long)c.size, path, (unsigned long long)size);
    if (differs)
        return cm_fail(err, CM_UNAVAILABLE, "",
                       "this server refuses writes: the store's tree at %llu entries differs "
                       "from the checkpoint of %llu entries it signed and published (%s); "
                       "appending to it would fork the log",
                       (unsigned long long)c.size, (unsigned long long)c.size, path);
    return 0;
}
