/*
 * init_mirror.c: `cmcc init --from-mirror MIRROR-DIR NEWDIR --log-key PEM`,
 * a new primary made from a mirror (cli/mirror.h) when the log's server is
 * lost: the same log, signed with the same key, which the operator supplies
 * and which must be the one whose verifier key the mirror holds.
 *
 *   1. the key: its verifier key under the mirror's origin must be the
 *      mirror's log.vkey, word for word;
 *   2. the store: a consistent copy of the mirror's (store_backup, so a
 *      `cmcc mirror` or `cmcc serve --mirror` may go on meanwhile): every
 *      entry, tree node, projection and checkpoint it holds. Entries a
 *      catch-up stored past the newest checkpoint were checked against the
 *      log's consistency proof to a signed checkpoint: they are kept, and
 *      the new primary signs a checkpoint of them when it starts;
 *   3. the copy forgets it was a mirror (mirror.url, mirror.vkey and
 *      mirror.pending emptied); the mirror's read tokens stay valid;
 *   4. NEWDIR/log.pem (the key) and NEWDIR/log.vkey are written.
 *
 * Then `cmcc serve NEWDIR` serves on from the mirror's tree.
 */
#include "cli/cli.h"
#include "cli/mirror.h"

#include "common/file.h"
#include "common/mem.h"

#include <errno.h>
#include <fcntl.h>
#include <sodium.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static int put_file(const char *path, const char *data, size_t len, mode_t mode)
{
    int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, mode);
    int ok = fd >= 0 && write(fd, data, len) == (ssize_t)len && fsync(fd) == 0;
    if (fd >= 0) close(fd);
    return ok ? 0 : -1;
}

int init_from_mirror(const char *from, const char *dir, const char *pem)
{
    if (!pem)
        return cli_errorf("init",
                          "give the log's signing key with --log-key: a new primary signs with "
                          "the key of the log it carries on"),
               2;
    char *src = xasprintf("%s/%s", from, SRV_DB_FILE), *db = xasprintf("%s/%s", dir, SRV_DB_FILE);
    char *keyp = xasprintf("%s/%s", dir, SRV_LOG_KEY_FILE);
    char *vkp = xasprintf("%s/%s", dir, SRV_VKEY_FILE);
    char *held = NULL, *origin = NULL, *url = NULL, *text = NULL, *ck = NULL;
    size_t text_len = 0;
    store *rd = NULL, *w = NULL;
    log_key k = {0};
    cm_buf vk = CM_BUF_INIT;
    cm_error err;
    int rc = 1, made_dir = 0, made_db = 0;
    uint64_t size = 0, ck_size = 0;
    if (access(src, F_OK) != 0 || !(rd = store_open(src, STORE_READER, &err)) ||
        store_meta_get(rd, MIRROR_META_URL, &url, &err) != 1 || !*url ||
        store_meta_get(rd, "origin", &origin, &err) != 1 ||
        store_meta_get(rd, "vkey", &held, &err) != 1) {
        cli_errorf("init", "%s is not a mirror made by `cmcc mirror URL %s`", from, from);
        goto done;
    }
    if (store_latest_checkpoint(rd, &ck, &ck_size, &err) != 1) {
        cli_errorf("init", "the mirror in %s holds no checkpoint yet: nothing to serve on from",
                   from);
        goto done;
    }
    if (log_key_load(pem, &k, &err) || cm_read_file(pem, &text, &text_len, &err)) {
        cli_error("init", &err);
        goto done;
    }
    note_verifier nv;
    note_verifier_from_key(&k, origin, NOTE_KEY_ED25519, &nv);
    note_verifier_format(&nv, &vk);
    if (strcmp(vk.data, held) != 0) {
        cli_errorf("init",
                   "%s is not the key of the log %s that %s mirrors: its verifier key would be "
                   "%s, the mirror's is %s",
                   pem, origin, from, vk.data, held);
        goto done;
    }
    store_close(rd);
    rd = NULL;
    made_dir = mkdir(dir, 0700) == 0;
    if (!made_dir && errno != EEXIST) {
        cli_errorf("init", "cannot make %s: %s", dir, strerror(errno));
        goto done;
    }
    if (access(db, F_OK) == 0) {
        cli_errorf("init", "%s already holds a log", dir);
        goto done;
    }
    made_db = 1;
    if (store_backup(src, db, &size, &err) || !(w = store_open(db, STORE_WRITER, &err)) ||
        store_begin(w, &err) || store_meta_set(w, MIRROR_META_URL, "", &err) ||
        store_meta_set(w, MIRROR_META_VKEY, "", &err) ||
        store_meta_set(w, MIRROR_META_PENDING, "", &err) || store_commit(w, &err)) {
        cli_error("init", &err);
        goto done;
    }
    buf_putc(&vk, '\n');
    if (put_file(keyp, text, text_len, 0600) || put_file(vkp, vk.data, vk.len, 0644)) {
        cli_errorf("init", "cannot write %s and %s: %s", keyp, vkp, strerror(errno));
        unlink(keyp);
        goto done;
    }
    printf("%s", vk.data);
    fprintf(stderr,
            "cmcc init: made the log %s in %s from the mirror in %s (of %s): %llu entries, the "
            "newest checkpoint %llu.\nnext: cmcc serve %s (tokens: the mirror's, or cmcc token "
            "create %s --org ORG)\n",
            origin, dir, from, url, (unsigned long long)size, (unsigned long long)ck_size, dir,
            dir);
    rc = 0;
done:
    store_close(rd);
    store_close(w);
    if (rc && made_db) store_destroy(db);
    if (rc && made_dir) rmdir(dir);
    if (text) sodium_memzero(text, text_len);
    log_key_free(&k);
    buf_free(&vk);
    free(src);
    free(db);
    free(keyp);
    free(vkp);
    free(held);
    free(origin);
    free(url);
    free(text);
    free(ck);
    return rc;
}
