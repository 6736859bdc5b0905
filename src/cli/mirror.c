/*
 * mirror.c: one run of `cmcc mirror` (the directory is described in
 * mirror.h).
 *
 *   1. GET /checkpoint; it must be signed by the log's key (and pass the
 *      witness policy, when one is set);
 *   2. it must agree with the checkpoint held (or the one being fetched
 *      towards, "mirror.pending"): the same root at the same size; for a
 *      larger tree, the log's consistency proof from the held size; for a
 *      smaller one, a consistency proof from its size to the held tree's
 *      (over the tree held, else the log's own to the pending one). A
 *      smaller one that agrees is no fault: a mirror cosigns a checkpoint
 *      before the log publishes it, so GET /checkpoint may still show an
 *      older one; the run then goes on towards the pending checkpoint, or
 *      has nothing to do. When it does not agree, the evidence (evidence.c)
 *      goes to DIR/fork-evidence.json and the mirror stops;
 *   3. the new entries come in steps of up to STEP_BUNDLES entry bundles;
 *      each bundle is kept in DIR/fetched/ once fetched (a cache, not
 *      synced), so an interrupted run fetches none again; the step's
 *      entries are replayed through the server's rules (engine replay.c,
 *      appending entries and tree nodes), and the tree they make must be
 *      the checkpoint's (at its size) or a prefix of it (the log's
 *      consistency proof from the step's size);
 *   4. one transaction a step stores entries, nodes and projections; the
 *      last also stores the checkpoint, cosigned with the mirror's key
 *      (C2SP tlog-cosignature): a checkpoint is cosigned only once held.
 *      A checkpoint a log asks to cosign (m->target) that is older than the
 *      pending one is fetched up to (or, its entries held already, checked
 *      against the tree held at its size) and stored; the pending one stays.
 *
 * Anything refused leaves the store as the last verified step left it. The
 * mirror is its store's writer, and tends its WAL as the server does
 * (store_tend): after each step, and at the end of each run.
 */
#include "cli/mirror.h"

#include "common/file.h"
#include "common/mem.h"
#include "common/timeutil.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <sodium.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

/* A step is one transaction: each ends by waiting for the signature checks
 * of all its entries and a commit, while the threads that check them
 * idle. At 250,000 entries, steps of 64 bundles took about 10 % less wall
 * clock time than steps of 16. */
#define STEP_BUNDLES 64

/* Writes path whole through a renamed temporary file; with sync, durably
 * (fsync before the rename). */
static int write_file(const char *path, const char *data, size_t len, mode_t mode, int sync)
{
    char *tmp = xasprintf("%s.tmp", path);
    int fd = open(tmp, O_WRONLY | O_CREAT | O_CLOEXEC | O_TRUNC, mode);
    int ok = fd >= 0 && write(fd, data, len) == (ssize_t)len && (!sync || fsync(fd) == 0);
    if (fd >= 0) close(fd);
    if (ok) ok = rename(tmp, path) == 0;
    free(tmp);
    return ok ? 0 : -1;
}

/* The mirror's cosigning key: made (and its verifier key printed) on the
 * first run, else loaded with its name from DIR/mirror.vkey. */
static int cosigner(mirror *m, const char *name)
{
    char *pem = xasprintf("%s/%s", m->dir, MIRROR_KEY_FILE);
    char *vk = xasprintf("%s/%s", m->dir, MIRROR_VKEY_FILE);
    cm_error err;
    int rc = 2;
    if (access(pem, F_OK) == 0) {
        char *line = NULL;
        if (log_key_load(pem, &m->key, &err) || cm_read_line_file(vk, &line, &err) ||
            note_verifier_parse(line, &m->me, &err)) {
            cli_error("mirror", &err);
        } else if (m->me.type != NOTE_KEY_COSIGNATURE ||
                   memcmp(m->me.pub, m->key.pub, LOG_PUBKEY_SIZE) != 0) {
            cli_errorf("mirror", "%s is not the cosignature/v1 verifier key of %s", vk, pem);
        } else {
            rc = 0;
        }
        free(line);
        goto done;
    }
    char dflt[NOTE_NAME_MAX];
    cm_buf v = CM_BUF_INIT;
    for (int tries = 0;; tries++) { /* no '+' in the base64: see cmd_witness.c */
        log_key_free(&m->key);
        if (log_key_generate(&m->key)) {
            cli_errorf("mirror", "cannot make a key");
            goto done;
        }
        if (!name) {
            char id[LOG_KEYID_LEN + 1];
            log_keyid(m->key.pub, id);
            snprintf(dflt, sizeof dflt, "mirror-%.8s.%.200s", id, m->log.nv.name);
            for (char *p = dflt; *p; p++)
                if (*p == '/') *p = '.';
        }
        note_verifier_from_key(&m->key, name ? name : dflt, NOTE_KEY_COSIGNATURE, &m->me);
        buf_reset(&v);
        note_verifier_format(&m->me, &v);
        const char *b64 = strchr(strchr(v.data, '+') + 1, '+') + 1;
        if (!strchr(b64, '+') || tries == 1000) break;
    }
    char text[LOG_PEM_MAX];
    log_key_to_pem(&m->key, text);
    buf_putc(&v, '\n');
    /* the verifier key first: a key file without its verifier key never is */
    if (write_file(vk, v.data, v.len, 0644, 1) || write_file(pem, text, strlen(text), 0600, 1)) {
        cli_errorf("mirror", "cannot write the mirror's key to %s: %s", pem, strerror(errno));
    } else {
        printf("cmcc mirror: made the mirror's cosigning key; its verifier key (also in %s):\n%s",
               vk, v.data);
        fflush(stdout);
        rc = 0;
    }
    sodium_memzero(text, sizeof text);
    buf_free(&v);
done:
    free(pem);
    free(vk);
    return rc;
}

/* DIR/cmcc.lock, waited for up to wait_ms while another run holds it. */
static int lock_dir(const char *dir, int wait_ms)
{
    char *path = xasprintf("%s/%s", dir, SRV_LOCK_FILE);
    int fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
    free(path);
    if (fd < 0) return cli_errorf("mirror", "cannot use %s: %s", dir, strerror(errno)), -1;
    int64_t until = time_mono_ms() + wait_ms;
    while (flock(fd, LOCK_EX | LOCK_NB) != 0) {
        if (time_mono_ms() >= until) {
            close(fd);
            cli_errorf("mirror", "another cmcc mirror or server is using %s: stop it first", dir);
            return -1;
        }
        struct timespec ts = {0, 20000000L};
        nanosleep(&ts, NULL);
    }
    return fd;
}

/* The read token: the one given (then kept in DIR/upstream.token), else
 * the one kept. Returns it malloc'ed, or NULL. */
static char *upstream_token(const char *dir, const char *token)
{
    char *path = xasprintf("%s/%s", dir, MIRROR_TOKEN_FILE), *kept = NULL;
    cm_error err;
    if (token && *token) {
        char *line = xasprintf("%s\n", token);
        write_file(path, line, strlen(line), 0600, 1);
        free(line);
        kept = xstrdup(token);
    } else if (cm_read_line_file(path, &kept, &err) != 0) {
        kept = NULL;
    }
    free(path);
    return kept;
}

int mirror_open(mirror *m, const char *dir, const char *url, const char *vkey, const char *name,
                const char *token, const char *cacert, int wait_ms)
{
    memset(m, 0, sizeof *m);
    m->dir = dir;
    m->lock = -1;
    m->log.cmd = "mirror";
    m->log.url = url;
    if (name && (!*name || strchr(name, ' ') || strchr(name, '+') || strchr(name, '\n')))
        return cli_errorf("mirror", "--name must be one word without '+'"), 2;
    if (mkdir(dir, 0700) != 0 && errno != EEXIST)
        return cli_errorf("mirror", "cannot make %s: %s", dir, strerror(errno)), 2;
    cm_error err;
    if ((m->lock = lock_dir(dir, wait_ms)) < 0) return 2;
    char *db = xasprintf("%s/%s", dir, SRV_DB_FILE);
    char *held = NULL, *tok = NULL;
    int rc = 2, fresh = access(db, F_OK) != 0;
    if (!fresh) { /* a first run interrupted before the log's key was kept */
        if (!(m->w = store_open(db, STORE_WRITER, &err))) {
            cli_error("mirror", &err);
            goto done;
        }
        int r = store_meta_get(m->w, "vkey", &held, &err);
        if (r < 0) {
            cli_errorf("mirror", "%s is not a mirror: %s", dir, err.message);
            goto done;
        }
        fresh = r == 0;
    }
    if (!url) { /* the URL followed */
        if (fresh || store_meta_get(m->w, MIRROR_META_URL, &m->url, &err) != 1) {
            cli_errorf("mirror", "%s is not a mirror made by `cmcc mirror URL %s`", dir, dir);
            goto done;
        }
        url = m->log.url = m->url;
    }
    if (fresh) {
        if (!vkey) {
            cli_errorf("mirror", "give the log's verifier key with --vkey for a new mirror");
            goto done;
        }
        if (note_verifier_parse(vkey, &m->log.nv, &err) || m->log.nv.type != NOTE_KEY_ED25519) {
            cli_errorf("mirror", "--vkey is not an Ed25519 note verifier key");
            goto done;
        }
        char *vkp = xasprintf("%s/%s", dir, SRV_VKEY_FILE);
        char *line = xasprintf("%s\n", vkey);
        int bad = write_file(vkp, line, strlen(line), 0644, 1);
        free(vkp);
        free(line);
        if (bad || (!m->w && store_create(db, &err)) ||
            (!m->w && !(m->w = store_open(db, STORE_WRITER, &err))) || store_begin(m->w, &err) ||
            store_meta_set(m->w, "origin", m->log.nv.name, &err) ||
            store_meta_set(m->w, "vkey", vkey, &err) || store_commit(m->w, &err)) {
            if (bad) cm_fail(&err, CM_INTERNAL, "", "cannot write %s/%s", dir, SRV_VKEY_FILE);
            cli_error("mirror", &err);
            goto done;
        }
    } else {
        if (note_verifier_parse(held, &m->log.nv, &err)) {
            cli_errorf("mirror", "%s is not a mirror: %s", dir, err.message);
            goto done;
        }
        if (vkey && strcmp(vkey, held) != 0) {
            cli_errorf("mirror", "%s mirrors the log %s, not the one --vkey names", dir, held);
            goto done;
        }
    }
    if ((rc = cosigner(m, name)) != 0) goto done;
    rc = 2;
    cm_buf me = CM_BUF_INIT;
    note_verifier_format(&m->me, &me);
    char *spool = xasprintf("%s/%s", dir, MIRROR_SPOOL_DIR);
    int spool_ok = mkdir(spool, 0700) == 0 || errno == EEXIST;
    free(spool);
    if (!spool_ok || store_begin(m->w, &err) || store_meta_set(m->w, MIRROR_META_URL, url, &err) ||
        store_meta_set(m->w, MIRROR_META_VKEY, me.data, &err) || store_commit(m->w, &err)) {
        if (!spool_ok) cm_fail(&err, CM_INTERNAL, "", "cannot make %s/%s", dir, MIRROR_SPOOL_DIR);
        cli_error("mirror", &err);
        buf_free(&me);
        goto done;
    }
    buf_free(&me);
    tok = upstream_token(dir, token);
    m->log.h = cli_http_new(url, tok, cacert);
    m->pool = srv_pool_new_helped();
    rc = 0;
done:
    free(db);
    free(held);
    free(tok);
    return rc;
}

void mirror_close(mirror *m)
{
    store_close(m->w);
    m->w = NULL;
    if (m->lock >= 0) close(m->lock);
    m->lock = -1;
    log_key_free(&m->key);
    cli_http_free(m->log.h);
    m->log.h = NULL;
    srv_pool_free(m->pool);
    m->pool = NULL;
    free(m->url);
    m->url = NULL;
}

/* ---- the checkpoint held, and the one cosigned ---------------------------- */

/* The note with this mirror's cosignature: the log's note as served (its
 * own and any witness's signatures), less any line of this mirror's key,
 * and a new cosignature line. */
static char *cosign(mirror *m, const char *note)
{
    const char *end = strstr(note, "\n\n");
    size_t text_len = end ? (size_t)(end - note) + 1 : strlen(note);
    cm_buf out = CM_BUF_INIT;
    buf_append(&out, note, text_len + 1);
    char mine[NOTE_NAME_MAX + 8];
    snprintf(mine, sizeof mine, "\xe2\x80\x94 %s ", m->me.name);
    for (const char *l = note + text_len + 1; *l;) {
        const char *nl = strchr(l, '\n');
        size_t len = nl ? (size_t)(nl - l) + 1 : strlen(l);
        if (strncmp(l, mine, strlen(mine)) != 0) buf_append(&out, l, len);
        l += len;
    }
    uint8_t sig[COSIG_SIG_SIZE];
    cosig_sign(&m->key, (uint64_t)(time_now_ms() / 1000), note, text_len, sig);
    note_add_sigline(&out, m->me.name, m->me.hash, sig, sizeof sig);
    return buf_take(&out);
}

/* ---- entry bundles, kept once fetched ------------------------------------ */

static char *spool_path(const mirror *m, uint64_t index, unsigned width)
{
    return xasprintf("%s/%s/%llu.%u", m->dir, MIRROR_SPOOL_DIR, (unsigned long long)index, width);
}

/* A bundle's entries read for their framing alone. */
static int any_entry(void *ctx, uint64_t idx, const char *entry, size_t len)
{
    (void)ctx, (void)idx, (void)entry, (void)len;
    return 0;
}

/* The bundle (index, width in a tree of size): from DIR/fetched, else
 * fetched and kept there. The copy kept is a cache, written without fsync
 * (an fsync a bundle held up the run): one that a crash of the machine left
 * short is fetched again. */
static int bundle(mirror *m, uint64_t index, uint64_t size, cm_buf *out,
                  char path[TILE_PATH_MAX + 2])
{
    unsigned width = tile_width_in(TILE_ENTRIES, index, size);
    tile_id t = {TILE_ENTRIES, index, width};
    path[0] = '/';
    tile_path_format(&t, path + 1, TILE_PATH_MAX + 1);
    char *sp = spool_path(m, index, width);
    char *data = NULL;
    size_t len = 0;
    cm_error err;
    int rc = 0;
    uint64_t bad;
    int kept = cm_read_file(sp, &data, &len, &err) == 0;
    if (kept) {
        buf_reset(out);
        buf_append(out, data, len);
        free(data);
    }
    if (kept && lf_bundle_each(out, index * TILE_WIDTH, width, any_entry, NULL, &bad) == 0) {
        m->from_spool++;
    } else if ((rc = lf_bundle(&m->log, index, size, out, path)) == 0) {
        m->fetched++;
        write_file(sp, out->data, out->len, 0600, 0); /* a failure costs a refetch */
    }
    free(sp);
    return rc;
}

/* Empties DIR/fetched once everything fetched is stored. */
static void spool_clear(const mirror *m)
{
    char *sd = xasprintf("%s/%s", m->dir, MIRROR_SPOOL_DIR);
    DIR *d = opendir(sd);
    for (struct dirent *e; d && (e = readdir(d));) {
        if (e->d_name[0] == '.') continue;
        char *p = xasprintf("%s/%s", sd, e->d_name);
        unlink(p);
        free(p);
    }
    if (d) closedir(d);
    free(sd);
}

static void spool_drop(const mirror *m, uint64_t first, uint64_t last, uint64_t size)
{
    for (uint64_t i = first; i <= last; i++) {
        char *sp = spool_path(m, i, tile_width_in(TILE_ENTRIES, i, size));
        unlink(sp);
        free(sp);
    }
}

/* ---- one run ------------------------------------------------------------- */

typedef struct {
    mirror *m;
    srv_replay r;
    uint64_t from; /* entries before this are held already */
    int failed;
    cm_error err;
} step_ctx;

static int add_entry(void *ctx, uint64_t idx, const char *entry, size_t len)
{
    step_ctx *s = ctx;
    if (idx < s->from) return 0;
    if (srv_replay_add(&s->r, idx, entry, len, &s->err)) return s->failed = 1, 2;
    return 0;
}

/* The reference a new checkpoint must extend: the pending one (being
 * fetched towards), else the newest held. 0 none, 1 found, -1 fault. */
static int reference(mirror *m, char **note, log_checkpoint *c, int *complete)
{
    cm_error err;
    char *pending = NULL;
    uint64_t size = 0;
    int r = store_meta_get(m->w, MIRROR_META_PENDING, &pending, &err);
    if (r < 0) return cli_error("mirror", &err), -1;
    if (r == 1 && *pending) {
        *note = pending;
        *complete = 0;
    } else {
        free(pending);
        r = store_latest_checkpoint(m->w, note, &size, &err);
        if (r <= 0) return r < 0 ? (cli_error("mirror", &err), -1) : 0;
        *complete = 1;
    }
    if (lf_open_checkpoint(&m->log.nv, *note, strlen(*note), c, &err)) {
        cli_errorf("mirror", "the checkpoint held in %s does not open: %s", m->dir, err.message);
        free(*note);
        *note = NULL;
        return -1;
    }
    return 1;
}

/* The checkpoint to cosign (a target older than the pending one) when its
 * entries are held already: the held tree at its size must have its root;
 * it is stored, cosigned, unless held already. 0, 1 refused, 2 a fault. */
static int hold_older(mirror *m, const char *note, const log_checkpoint *c)
{
    log_hash root;
    cm_error err;
    if (c->size == 0) return 0; /* nothing to hold */
    if (log_tree_root(c->size, store_read_hash, m->w, &root)) {
        cli_errorf("mirror", "the tree held in %s is incomplete at %llu entries", m->dir,
                   (unsigned long long)c->size);
        return 2;
    }
    if (memcmp(root.b, c->root.b, LOG_HASH_SIZE) != 0) {
        cli_errorf("mirror",
                   "the checkpoint of %llu entries to cosign is not the tree held in %s at that "
                   "size: refused",
                   (unsigned long long)c->size, m->dir);
        return 1;
    }
    char *latest = NULL;
    uint64_t size = 0;
    int r = store_latest_checkpoint(m->w, &latest, &size, &err);
    free(latest);
    if (r < 0) return cli_error("mirror", &err), 2;
    if (r == 1 && size >= c->size) return 0; /* held already, or a newer one */
    char *mine = cosign(m, note);
    int bad = store_begin(m->w, &err) ||
              store_put_checkpoint(m->w, c->size, mine, time_now_ms(), &err) ||
              store_commit(m->w, &err);
    free(mine);
    if (bad) {
        store_rollback(m->w);
        return cli_error("mirror", &err), 2;
    }
    return 0;
}

/* Refuses the current step: nothing of it is kept. */
static int refuse(mirror *m, step_ctx *s, uint64_t first, uint64_t last, uint64_t size)
{
    (void)s;
    store_rollback(m->w);
    spool_drop(m, first, last, size);
    return 1;
}

int mirror_run(mirror *m)
{
    char ev_path[4096];
    snprintf(ev_path, sizeof ev_path, "%s/%s", m->dir, MIRROR_EVIDENCE_FILE);
    if (access(ev_path, F_OK) == 0) {
        cli_errorf("mirror",
                   "%s holds evidence that the log was rewritten or forked: this mirror does not "
                   "advance past it (move the file away to follow the log again)",
                   ev_path);
        return 3;
    }
    cm_buf seen = CM_BUF_INIT, b = CM_BUF_INIT;
    char *held = NULL;
    log_checkpoint c, ref;
    cm_error err;
    int rc = 2, complete = 0, older = 0;
    uint64_t have = 0;
    step_ctx s;
    memset(&s, 0, sizeof s);
    m->fetched = m->from_spool = 0;
    if (store_size(m->w, &have, &err)) {
        cli_error("mirror", &err);
        goto done;
    }
    m->size = have;
    int r = reference(m, &held, &ref, &complete);
    if (r < 0) goto done;
    if (m->target) {
        buf_puts(&seen, m->target);
        if (lf_open_checkpoint(&m->log.nv, seen.data, seen.len, &c, &err)) {
            cli_errorf("mirror", "the checkpoint to cosign is not one of %s: %s", m->log.nv.name,
                       err.message);
            rc = 1;
            goto done;
        }
    } else if (lf_checkpoint(&m->log, &seen, &c)) {
        rc = 1;
        goto done;
    }
    if (!m->target && m->policy && m->policy(m->policy_ctx, seen.data)) {
        rc = 1;
        goto done;
    }
    if (r == 1) {
        lf_evidence ev;
        int x = lf_check_agrees(&m->log, held, &ref, seen.data, &c,
                                complete ? store_read_hash : NULL, m->w, &ev);
        if (x < 0) {
            rc = 1;
            goto done;
        }
        if (x == 1) {
            lf_evidence_write(&m->log, &ev, ev_path);
            lf_evidence_free(&ev);
            rc = 3;
            goto done;
        }
    }
    if (r == 1 && c.size < ref.size) {
        /* an older checkpoint of the same history: the log has not yet
         * published the newer one this mirror cosigned, or serves the last
         * it published while it gathers cosignatures for the next */
        if (m->target) {
            older = 1; /* the checkpoint to cosign; the pending one stays */
        } else if (!complete) {
            buf_reset(&seen); /* go on towards the pending checkpoint */
            buf_puts(&seen, held);
            c = ref;
        } else {
            rc = 0;
            goto done;
        }
    }
    if (older && c.size <= have) {
        rc = hold_older(m, seen.data, &c);
        goto done;
    }
    if (c.size == 0 || c.size < have) { /* nothing, or behind what is held: wait */
        rc = 0;
        goto done;
    }
    if (c.size == have && (r == 1 && complete)) {
        spool_clear(m); /* up to date: a run killed after its last commit left these */
        rc = 0;
        goto done;
    }
    /* the target, remembered so that a resumed run checks against it */
    if (!older &&
        (store_begin(m->w, &err) || store_meta_set(m->w, MIRROR_META_PENDING, seen.data, &err) ||
         store_commit(m->w, &err))) {
        cli_error("mirror", &err);
        goto done;
    }
    s.m = m;
    srv_replay_init(&s.r, m->w, 1);
    if (log_frontier_load(&s.r.f, have, store_read_hash, m->w)) {
        cli_errorf("mirror", "the tree held in %s is incomplete at %llu entries", m->dir,
                   (unsigned long long)have);
        goto done;
    }
    s.r.next = have;
    /* a first run replays into an empty store: the filter of what it has
     * made answers most lookups (replay_filter.c) */
    if (have == 0) s.r.filter_size = c.size;
    srv_replay_stream(&s.r, m->pool, NULL, NULL);
    while (have < c.size || (have == c.size && !complete)) {
        uint64_t first = have / TILE_WIDTH, last = first + STEP_BUNDLES - 1;
        if (last > (c.size - 1) / TILE_WIDTH) last = (c.size - 1) / TILE_WIDTH;
        s.from = have;
        if (store_begin(m->w, &err)) {
            cli_error("mirror", &err);
            goto done;
        }
        for (uint64_t i = first; i <= last && have < c.size; i++) {
            char path[TILE_PATH_MAX + 2];
            if (bundle(m, i, c.size, &b, path)) { /* the network: what was fetched is kept */
                store_rollback(m->w);
                rc = 1;
                goto done;
            }
            uint64_t bad = 0;
            unsigned width = tile_width_in(TILE_ENTRIES, i, c.size);
            int x = lf_bundle_each(&b, i * TILE_WIDTH, width, add_entry, &s, &bad);
            if (x == 1) {
                cli_errorf("mirror",
                           "entry bundle %s%s is cut short at entry %llu or holds bytes past "
                           "its last entry: refused, nothing of it stored",
                           m->log.url, path, (unsigned long long)bad);
                rc = refuse(m, &s, first, i, c.size);
                goto done;
            }
            if (x) break;
        }
        if (s.failed || srv_replay_end(&s.r, &s.err)) {
            cli_errorf("mirror", "%s: %s: refused, nothing of it stored", m->log.url,
                       s.err.message);
            rc = refuse(m, &s, first, last, c.size);
            goto done;
        }
        uint64_t now = s.r.f.size;
        log_hash root;
        log_frontier_root(&s.r.f, &root);
        int ok;
        if (now == c.size) {
            ok = memcmp(root.b, c.root.b, LOG_HASH_SIZE) == 0;
        } else {
            log_hash path[LOG_MAX_PROOF];
            size_t n = 0;
            if (lf_consistency(&m->log, now, c.size, path, &n)) {
                rc = refuse(m, &s, first, last, c.size);
                goto done;
            }
            ok = log_check_consistency(now, c.size, &root, &c.root, path, n) == 0;
        }
        if (!ok) {
            cli_errorf("mirror",
                       "the entries %llu to %llu that %s serves do not make the tree its "
                       "checkpoint of %llu entries signs: refused, nothing of them stored",
                       (unsigned long long)have, (unsigned long long)now - 1, m->log.url,
                       (unsigned long long)c.size);
            rc = refuse(m, &s, first, last, c.size);
            goto done;
        }
        if (now == c.size) {
            char *mine = cosign(m, seen.data);
            int bad = store_put_checkpoint(m->w, c.size, mine, time_now_ms(), &err) ||
                      (!older && store_meta_set(m->w, MIRROR_META_PENDING, "", &err));
            free(mine);
            if (bad) {
                store_rollback(m->w);
                cli_error("mirror", &err);
                goto done;
            }
            complete = 1;
        }
        if (store_commit(m->w, &err)) {
            cli_error("mirror", &err);
            goto done;
        }
        spool_drop(m, first, last, c.size);
        store_tend(m->w, 0); /* the WAL checkpointed past ~256 MiB */
        have = m->size = now;
        if (m->deadline && have < c.size && time_mono_ms() >= m->deadline) {
            rc = 4; /* what is stored is verified: the next run goes on */
            goto done;
        }
    }
    if (!older) spool_clear(m); /* else what was fetched towards the pending one stays */
    rc = 0;
done:
    if (s.m) {
        /* after a refusal, entries still in the pipeline are dropped, never
         * written outside the step's transaction */
        if (rc) s.r.failed = 1;
        srv_replay_free(&s.r);
    }
    /* a run's end is the writer's idle time: the WAL is checkpointed, or
     * with `cmcc serve --mirror` reading (closing is then no checkpoint)
     * it would grow without end */
    if (m->w && !store_in_transaction(m->w)) store_tend(m->w, 1);
    buf_free(&seen);
    buf_free(&b);
    free(held);
    return rc;
}
