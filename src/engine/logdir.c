/*
 * logdir.c: the log directory, and `cmcc init`.
 *
 *   DIR/cmcc.db          the store (store.h), unless DIR/cmcc.conf puts it in
 *                        a PostgreSQL database (location.c)
 *   DIR/log.pem          the log's Ed25519 key, PKCS#8 PEM, mode 0600
 *   DIR/log.vkey         its note verifier key, origin+hash+base64
 *   DIR/coordinator.pem  the coordinator's key, when init generated it
 *   DIR/cmcc.lock        held (flock) by the one server or rebuild at work
 *   DIR/published        on a PostgreSQL store, the newest checkpoint the
 *                        server published (published.c)
 *
 * init writes entry 0, the coordinator org's org.admit signed with the
 * coordinator's key, through the same judging and appending code the
 * sequencer runs, and signs a first checkpoint of it.
 */
#include "engine/engine.h"

#include "common/codec.h"
#include "common/file.h"
#include "common/mem.h"
#include "common/timeutil.h"

#include <errno.h>
#include <fcntl.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

/* Writes a new file (never over an existing one). */
static int write_new(const char *path, const char *data, size_t len, mode_t mode, cm_error *err)
{
    int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, mode);
    if (fd < 0) return cm_fail(err, CM_CONFLICT, "", "cannot create %s: %s", path, strerror(errno));
    ssize_t w = write(fd, data, len);
    int ok = w == (ssize_t)len && fsync(fd) == 0;
    close(fd);
    if (!ok) return cm_fail(err, CM_INTERNAL, "", "cannot write %s", path);
    return 0;
}

store *srv_open_store(const char *dir, store_mode mode, cm_error *err)
{
    char *db = srv_store_location(dir);
    store *s = store_open(db, mode, err);
    free(db);
    return s;
}

int srv_lock_dir(const char *dir, cm_error *err)
{
    char *path = xasprintf("%s/%s", dir, SRV_LOCK_FILE);
    int fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
    free(path);
    if (fd < 0 && (errno == EROFS || errno == EACCES))
        return cm_fail(err, CM_FORBIDDEN, "",
                       "the log directory %s cannot be written (%s): serve a writable copy of "
                       "it (cp -a), or read it where it is with cmcc verify, report or token list",
                       dir, strerror(errno));
    if (fd < 0)
        return cm_fail(err, CM_NOT_FOUND, "", "cannot use the log directory %s: %s", dir,
                       strerror(errno));
    if (flock(fd, LOCK_EX | LOCK_NB) != 0) {
        close(fd);
        return cm_fail(err, CM_CONFLICT, "",
                       "another cmcc server or rebuild is using %s: stop it first", dir);
    }
    return fd;
}

/* Loads the key at pem_path, or generates one and writes it to gen_path. */
static int key_or_new(const char *pem_path, const char *gen_path, log_key *k, cm_error *err)
{
    if (pem_path) return log_key_load(pem_path, k, err);
    if (log_key_generate(k)) return cm_fail(err, CM_INTERNAL, "", "cannot generate a key");
    char pem[LOG_PEM_MAX];
    log_key_to_pem(k, pem);
    int rc = write_new(gen_path, pem, strlen(pem), 0600, err);
    sodium_memzero(pem, sizeof pem);
    return rc;
}

static void genesis_json(cm_buf *out, const char *org, const char *name, const log_key *k)
{
    char t[32];
    time_format_s(time_now_ms(), t, sizeof t);
    buf_puts(out, "{\"v\":1,\"type\":\"org.admit\",\"id\":\"genesis\",\"org\":");
    buf_json_str(out, org);
    buf_printf(out, ",\"time\":\"%s\",\"body\":{\"org\":", t);
    buf_json_str(out, org);
    buf_puts(out, ",\"name\":");
    buf_json_str(out, name);
    buf_puts(out, ",\"roles\":[\"coordinator\"],\"keys\":[{\"public_key\":\"");
    buf_b64(out, k->pub, LOG_PUBKEY_SIZE);
    buf_puts(out, "\"}]}}");
}

/* Judges and appends envelopes in order in the writer's open transaction,
 * as the sequencer would (key, signature and payload as item.c checks
 * them); the first refusal fails them all. */
static int append_all(store *w, log_frontier *f, const ev_envelope *envs, size_t n, int64_t now,
                      cm_error *err)
{
    cm_buf scratch = CM_BUF_INIT;
    ev_effects fx = {0};
    int rc = 0;
    for (size_t i = 0; i < n && !rc; i++) {
        item it;
        memset(&it, 0, sizeof it);
        it.ev.env = envs[i];
        ev_view v;
        store_view(w, &v);
        v.size = f->size;
        srv_receipt r;
        if (item_finish_unkeyed(&it, &v, now)) {
            *err = it.err;
            rc = -1;
        } else {
            rc = srv_append(w, f, &it.ev, now, &fx, &scratch, &r, err);
        }
        if (rc) cm_error_prefix(err, "event %zu (%s)", i, it.ev.id ? it.ev.id : "?");
        if (it.ev.root) json_decref(it.ev.root); /* the envelope stays the caller's */
    }
    ev_effects_free(&fx);
    buf_free(&scratch);
    return rc ? -1 : 0;
}

static int sign_and_keep(store *w, const log_key *k, const char *origin, const log_frontier *f,
                         int64_t now, cm_error *err)
{
    log_hash root;
    log_frontier_root(f, &root);
    char *note = srv_sign_checkpoint(k, origin, f->size, &root);
    int rc = store_put_checkpoint(w, f->size, note, now, err);
    free(note);
    return rc;
}

/* Appends the genesis and signs the first checkpoint, in one transaction. */
static int write_genesis(store *w, const char *origin, const char *vkey, const log_key *logk,
                         const log_key *coord, const char *org, const char *name, cm_error *err)
{
    cm_buf json = CM_BUF_INIT;
    genesis_json(&json, org, name, coord);
    ev_envelope env;
    ev_envelope_sign(coord, json.data, json.len, &env);
    buf_free(&json);
    int64_t now = time_now_ms();
    log_frontier f;
    log_frontier_init(&f);
    int failed = store_begin(w, err) || store_meta_set(w, "origin", origin, err) ||
                 store_meta_set(w, "vkey", vkey, err) || append_all(w, &f, &env, 1, now, err) ||
                 sign_and_keep(w, logk, origin, &f, now, err) || store_commit(w, err);
    if (failed) store_rollback(w);
    ev_envelope_free(&env);
    return failed ? -1 : 0;
}

int srv_ingest(const char *dir, const ev_envelope *envs, size_t n, cm_error *err)
{
    int lock = srv_lock_dir(dir, err);
    if (lock < 0) return -1;
    char *keypath = xasprintf("%s/%s", dir, SRV_LOG_KEY_FILE);
    char *origin = NULL;
    log_key k = {0};
    log_frontier f;
    uint64_t size = 0;
    int rc = -1;
    store *w = srv_open_store(dir, STORE_WRITER, err);
    if (!w || log_key_load(keypath, &k, err) || store_meta_get(w, "origin", &origin, err) != 1 ||
        store_size(w, &size, err))
        goto done;
    if (log_frontier_load(&f, size, store_read_hash, w)) {
        cm_fail(err, CM_INTERNAL, "", "the stored tree is incomplete: run `cmcc verify`");
        goto done;
    }
    int64_t now = time_now_ms();
    if (store_begin(w, err) || append_all(w, &f, envs, n, now, err) ||
        sign_and_keep(w, &k, origin, &f, now, err) || store_commit(w, err)) {
        store_rollback(w);
        goto done;
    }
    rc = 0;
done:
    store_close(w);
    log_key_free(&k);
    free(origin);
    free(keypath);
    close(lock);
    return rc;
}

int srv_init_log(const char *dir, const char *origin, const char *org, const char *name,
                 const char *coordinator_pem, const char *log_key_pem, char **vkey, cm_error *err)
{
    if (!ev_is_id(org))
        return cm_fail(err, CM_BAD_REQUEST, "org",
                       "--org must be 1 to 64 letters, digits, '.', '_', ':' or '-'");
    if (!origin[0] || strchr(origin, '\n') || strchr(origin, '+') || strchr(origin, ' '))
        return cm_fail(err, CM_BAD_REQUEST, "origin",
                       "--origin must be one line with no spaces or '+', such as "
                       "cmcc.example.org/log");
    /* checked before anything is made, as the genesis would refuse it
     * (org.admit body.name) after the keys and the store were written */
    if (!name[0] || strlen(name) > 200)
        return cm_fail(err, CM_BAD_REQUEST, "name", "--name must be 1 to 200 bytes long");
    int made_dir = mkdir(dir, 0700) == 0;
    if (!made_dir && errno != EEXIST)
        return cm_fail(err, CM_INTERNAL, "", "cannot make %s: %s", dir, strerror(errno));
    char *db = srv_store_location(dir);
    char *logpath = xasprintf("%s/%s", dir, SRV_LOG_KEY_FILE);
    char *coordpath = xasprintf("%s/coordinator.pem", dir);
    char *vkpath = xasprintf("%s/%s", dir, SRV_VKEY_FILE);
    log_key logk = {0}, coord = {0};
    cm_buf vk = CM_BUF_INIT;
    store *w = NULL;
    int rc = -1;
    unsigned made = 0; /* files this call wrote, removed again if it fails */
    int exists = store_exists(db, err);
    if (exists) {
        if (exists > 0) cm_fail(err, CM_CONFLICT, "", "%s already holds a log", dir);
        goto done;
    }
    if (key_or_new(coordinator_pem, coordpath, &coord, err)) goto done;
    if (!coordinator_pem) made |= 1;
    if (log_key_pem) {
        char *pem = NULL;
        size_t len = 0;
        if (log_key_load(log_key_pem, &logk, err) || cm_read_file(log_key_pem, &pem, &len, err))
            goto done;
        int wr = write_new(logpath, pem, len, 0600, err);
        sodium_memzero(pem, len);
        free(pem);
        if (wr) goto done;
    } else if (key_or_new(NULL, logpath, &logk, err)) {
        goto done;
    }
    made |= 2;
    note_verifier nv;
    note_verifier_from_key(&logk, origin, NOTE_KEY_ED25519, &nv);
    note_verifier_format(&nv, &vk);
    buf_putc(&vk, '\n');
    if (write_new(vkpath, vk.data, vk.len, 0644, err)) goto done;
    made |= 4;
    vk.data[--vk.len] = '\0';
    /* db did not exist: whatever is there from now on is ours (a
     * PostgreSQL store is made in one transaction, or not at all) */
    int created = store_create(db, err) == 0;
    if (created || !store_is_url(db)) made |= 8;
    if (!created) goto done;
    if (!(w = store_open(db, STORE_WRITER, err))) goto done;
    if (write_genesis(w, origin, vk.data, &logk, &coord, org, name, err)) goto done;
    *vkey = buf_take(&vk);
    rc = 0;
done:
    store_close(w);
    if (rc) {
        if (made & 8) store_destroy(db);
        if (made & 4) unlink(vkpath);
        if (made & 2) unlink(logpath);
        if (made & 1) unlink(coordpath);
        if (made_dir) rmdir(dir);
    }
    log_key_free(&logk);
    log_key_free(&coord);
    buf_free(&vk);
    free(db);
    free(logpath);
    free(coordpath);
    free(vkpath);
    return rc;
}
