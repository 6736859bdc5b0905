/*
 * cmd_verify.c: `cmcc verify DIR` or `cmcc verify URL --vkey KEY`.
 *
 * Trusts nothing but the log's verifier key. Both forms:
 *   1. check the signed checkpoint(s) with the log key;
 *   2. read every entry in order; for a directory, each entry must hash to
 *      the leaf the stored tree holds for it;
 *   3. replay every entry into a scratch copy (replay.c): exact form,
 *      signature by a key registered at that point, the rules accepting it
 *      (for a directory's SQLite store, its event ids are checked by a
 *      digest, and the replay runs again keeping them if that fails:
 *      dir_replay);
 *   4. rebuild the tree from the entries: its root must be each checkpoint's
 *      root, and every stored node (directory) or every served hash tile
 *      (URL) must equal the rebuilt one;
 *   5. check the supply ledger's invariant on every line of the replayed
 *      state, and compare that state with the stored projections
 *      (directory) or with what the server answers (URL): every read
 *      endpoint, its answer against the one the read model makes of the
 *      replay (verify_figures.c), each difference with its field;
 *   6. (URL, --proofs DIR) every proof `cmcc submit` saved in DIR: the
 *      served checkpoint must extend the proof's, else the entry was
 *      dropped and the evidence is written beside the proof (dropped.c).
 * The first failure of 2-3 stops the replay; every difference is printed with
 * the entry it concerns. Exit 0 when all holds, 1 when something does not,
 * 2 when the check could not run.
 */
#include "cli/cli.h"
#include "cli/logfetch.h"
#include "cli/verify_state.h"
#include "views/supply.h"

#include "common/file.h"
#include "common/mem.h"
#include "common/timeutil.h"
#include "engine/engine.h"
#include "log/policy.h"

#include <getopt.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static const char help[] =
    "usage: cmcc verify DIR [--vkey KEY]\n"
    "       cmcc verify URL --vkey KEY [--policy FILE] [--token T] [--cacert FILE] [--state "
    "DIR]\n"
    "                   [--proofs DIR]\n\n"
    "Checks a log from its directory or from a server: the signed checkpoints, every\n"
    "entry against the tree, every tile, every envelope's signature, and a replay of\n"
    "the rules from entry 0 that must reproduce the state the log holds. Any\n"
    "difference is printed with its entry index.\n\n"
    "  --vkey KEY   the log's note verifier key (origin+hash+base64); for a directory\n"
    "               the default is DIR/log.vkey\n"
    "  --policy F   a server's checkpoints count only with the quorum of witness (or\n"
    "               mirror) cosignatures this C2SP tlog-policy file asks for; its\n"
    "               log line gives the key when --vkey is not given\n"
    "  --token T    read token for a server (default: $CMCC_TOKEN)\n"
    "  --cacert F   trust an https server whose certificate the PEM CA in F signed\n"
    "               (default: $CMCC_CACERT; else the system's CAs)\n"
    "  --state DIR  where the last checkpoint verified of each log is remembered (default\n"
    "               $XDG_STATE_HOME/cmcc, else ~/.local/state/cmcc): a server's checkpoint\n"
    "               must extend it, else the run fails and keeps the evidence there\n"
    "  --proofs DIR the proofs `cmcc submit` saved (FILE.proof beside each envelope FILE):\n"
    "               the log must still hold each one's entry, else the run fails and\n"
    "               writes the evidence beside the proof (PROOF.dropped.json)\n\n"
    "Every read endpoint's answer is compared with the one the same read model makes\n"
    "of the replay; each difference is printed with the endpoint, the field and both\n"
    "values, then the endpoints compared.\n";

typedef struct {
    uint64_t size;
    log_hash root;
} known_ckpt;

typedef struct {
    note_verifier nv;
    srv_replay r;
    store *scratch;
    char scratch_path[64];
    known_ckpt *ck;
    size_t nck, ick;
    store *live;
    unsigned problems;
    int stopped; /* the replay hit a failure */
    srv_pool *pool;
    uint64_t added;    /* entries given to the replay */
    const policy *pol; /* a URL's checkpoints need its quorum (--policy) */
    const char *pol_file;
    int unmet; /* a checkpoint lacked the policy's quorum: exit 1, not 2 */
    /* a server: the state remembered (verify_state.c), the note last
     * fetched and the newest one whose tree the replay checks */
    const char *state_dir;
    const char *proofs; /* --proofs DIR */
    verify_state state;
    cm_buf note, known;
    /* while set, problems are written to held, not printed: a replay
     * whose outcome may yet be thrown away (dir_replay) */
    int holding;
    cm_buf held;
} verifier;

static void problem(verifier *v, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void problem(verifier *v, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    if (v->holding) {
        buf_puts(&v->held, "cmcc verify: FAIL: ");
        buf_vprintf(&v->held, fmt, ap);
        buf_putc(&v->held, '\n');
    } else {
        fputs("cmcc verify: FAIL: ", stdout);
        vprintf(fmt, ap);
        fputc('\n', stdout);
    }
    va_end(ap);
    v->problems++;
}

static int open_checkpoint(verifier *v, const char *note, log_checkpoint *c)
{
    cm_error err;
    if (lf_open_checkpoint(&v->nv, note, strlen(note), c, &err)) {
        problem(v, "a checkpoint does not verify with the log key: %s", err.message);
        return -1;
    }
    return 0;
}

static void add_known(verifier *v, const log_checkpoint *c)
{
    v->ck = xrealloc(v->ck, (v->nck + 1) * sizeof *v->ck);
    v->ck[v->nck].size = c->size;
    v->ck[v->nck].root = c->root;
    v->nck++;
    buf_reset(&v->known);
    if (v->note.len) buf_append(&v->known, v->note.data, v->note.len);
}

/* After each replayed entry: a checkpoint of this size must have its root. */
static void check_known(void *ctx, srv_replay *r)
{
    verifier *v = ctx;
    while (v->ick < v->nck && v->ck[v->ick].size <= r->f.size) {
        known_ckpt *k = &v->ck[v->ick++];
        if (k->size != r->f.size) continue;
        log_hash root;
        log_frontier_root(&r->f, &root);
        if (memcmp(root.b, k->root.b, LOG_HASH_SIZE) != 0)
            problem(v, "the checkpoint of %llu entries signs a root the entries do not make",
                    (unsigned long long)k->size);
    }
}

/* Gives an entry to the replay; a failure stops the verification. */
static int replay_one(verifier *v, uint64_t idx, const char *entry, size_t len)
{
    cm_error err;
    v->added = idx + 1;
    if (srv_replay_add(&v->r, idx, entry, len, &err)) {
        problem(v, "%s", err.message);
        v->stopped = 1;
        return 1;
    }
    return 0;
}

/* Waits for the replay of every entry given. */
static void replay_end(verifier *v)
{
    cm_error err;
    if (!v->stopped && srv_replay_end(&v->r, &err)) {
        problem(v, "%s", err.message);
        v->stopped = 1;
    }
}

/* The ledger's invariant on every line of the replayed state. */
static void check_ledger(verifier *v, store *s)
{
    cm_buf report = CM_BUF_INIT;
    cm_error err;
    long bad = views_check_ledger(s, &report, &err);
    if (bad < 0)
        problem(v, "cannot check the ledger: %s", err.message);
    else if (bad) {
        problem(v, "the ledger's invariant fails on %ld line(s):", bad);
        fputs(report.data, stdout);
    }
    buf_free(&report);
}

/* The scratch store, and the replay into it of about `entries`. */
static int open_scratch(verifier *v, int mirror, uint64_t entries)
{
    v->pool = srv_pool_new_helped();
    const char *tmp = getenv("TMPDIR");
    snprintf(v->scratch_path, sizeof v->scratch_path, "%.40s/cmcc-verify-XXXXXX",
             tmp && *tmp ? tmp : "/tmp");
    int fd = mkstemp(v->scratch_path);
    if (fd < 0) return -1;
    close(fd);
    unlink(v->scratch_path);
    cm_error err;
    if (store_create_mode(v->scratch_path, STORE_SCRATCH, &err) ||
        !(v->scratch = store_open(v->scratch_path, STORE_SCRATCH, &err)) ||
        store_begin(v->scratch, &err)) {
        fprintf(stderr, "cmcc verify: cannot make a scratch store: %s\n", err.message);
        return -1;
    }
    srv_replay_init(&v->r, v->scratch, mirror);
    v->r.filter_size = entries; /* the scratch state starts empty */
    srv_replay_stream(&v->r, v->pool, check_known, v);
    return 0;
}

static void drop_scratch(verifier *v)
{
    srv_replay_free(&v->r);
    srv_pool_free(v->pool);
    v->pool = NULL;
    store_close(v->scratch);
    v->scratch = NULL;
    if (v->scratch_path[0]) unlink(v->scratch_path);
    v->scratch_path[0] = 0;
}

static void close_scratch(verifier *v)
{
    drop_scratch(v);
    free(v->ck);
    buf_free(&v->held);
}

/* ---- a log directory ---------------------------------------------------- */

static int dir_checkpoint(void *ctx, uint64_t size, const char *note)
{
    verifier *v = ctx;
    log_checkpoint c;
    if (open_checkpoint(v, note, &c) == 0) {
        if (c.size != size)
            problem(v, "the checkpoint kept for size %llu is of size %llu",
                    (unsigned long long)size, (unsigned long long)c.size);
        add_known(v, &c);
    }
    return 0;
}

/* Each entry's leaf is compared with the stored tree by the replay. */
static int dir_entry(void *ctx, uint64_t idx, const char *entry, size_t len)
{
    return replay_one(ctx, idx, entry, len);
}

/* The digest of the live store's event ids, read on a thread of its own
 * (with its own connection) while the replay runs. */
typedef struct {
    const char *db;
    srv_id_digest d;
    int rc; /* srv_id_digest_store's */
    pthread_t thread;
} ids_reader;

static void *read_ids(void *arg)
{
    ids_reader *j = arg;
    cm_error err;
    store *s = store_open(j->db, STORE_READER, &err);
    j->rc = s ? srv_id_digest_store(s, &j->d, &err) : -1;
    store_close(s);
    return NULL;
}

/* Replays the directory's entries into a new scratch store, comparing
 * each leaf and node with the stored tree. With later (a SQLite store),
 * the replay keeps no idempotency record: it adds each event's (org, id,
 * index) to a digest, which must equal the digest of the store's own
 * event_ids, read meanwhile (id_digest.c); the store's ids are then those
 * of the entries, distinct, and no lookup the rules made could have found
 * one. Until that holds its problems are held back: 0 when the replay's
 * outcome stands, 1 when it does not (a failure, or other ids) and the
 * replay must be run again keeping every id, which then says exactly what
 * is wrong; 2 when it could not run. */
static int dir_replay(verifier *v, const char *db, uint64_t size, int later)
{
    cm_error err;
    ids_reader ids = {db, {{0}, 0, 0, 0}, -1, 0};
    unsigned before = v->problems;
    if (open_scratch(v, 0, size)) return 2;
    v->r.check = v->live; /* the stored tree, node by node, instead of a copy */
    if (later) {
        v->r.ids_later = 1;
        srv_id_digest_init(&v->r.ids_seen, NULL);
        srv_id_digest_init(&ids.d, &v->r.ids_seen);
        if (pthread_create(&ids.thread, NULL, read_ids, &ids) != 0) later = 0;
        v->r.ids_later = later;
        v->holding = later;
    }
    int rc = store_entries(v->live, 0, size, dir_entry, v, &err) < 0 ? 2 : 0;
    if (rc)
        cli_error("verify", &err);
    else
        replay_end(v);
    if (later) pthread_join(ids.thread, NULL);
    v->holding = 0;
    if (rc || !later) return rc;
    if (v->stopped || ids.rc != 0 || !srv_id_digest_equal(&v->r.ids_seen, &ids.d)) {
        buf_reset(&v->held);
        v->problems = before;
        v->stopped = 0;
        v->ick = 0;
        v->added = 0;
        drop_scratch(v);
        return 1;
    }
    fwrite(v->held.data, 1, v->held.len, stdout);
    buf_reset(&v->held);
    return 0;
}

static int verify_dir(verifier *v, const char *dir)
{
    char *db = srv_store_location(dir);
    cm_error err;
    int rc = 2;
    uint64_t size = 0;
    v->live = store_open(db, STORE_READER, &err);
    if (!v->live || store_size(v->live, &size, &err) ||
        store_each_checkpoint(v->live, dir_checkpoint, v, &err)) {
        cli_error("verify", &err);
        goto done;
    }
    if (v->nck == 0) problem(v, "the log has no signed checkpoint");
    if (v->nck && v->ck[v->nck - 1].size > size)
        problem(v, "the newest checkpoint claims %llu entries; the store has %llu",
                (unsigned long long)v->ck[v->nck - 1].size, (unsigned long long)size);
    int later = !store_is_url(db), r;
    while ((r = dir_replay(v, db, size, later)) == 1) later = 0;
    if (r) goto done;
    if (store_commit(v->scratch, &err)) {
        cli_error("verify", &err);
        goto done;
    }
    if (v->r.node_mismatch)
        problem(v, "the stored tree node at level %d, index %llu is not the one the entries make",
                v->r.bad_level, (unsigned long long)v->r.bad_index);
    if (!v->stopped) {
        check_ledger(v, v->scratch);
        cm_buf report = CM_BUF_INIT;
        long diffs =
            store_diff(v->scratch, db, v->r.ids_later ? STORE_DIFF_NO_IDS : 0, &report, &err);
        if (diffs < 0) {
            cli_error("verify", &err);
            buf_free(&report);
            goto done;
        }
        if (diffs) {
            problem(v, "the stored state differs from the replay in %ld row(s):", diffs);
            fputs(report.data, stdout);
        }
        buf_free(&report);
    }
    if (!v->problems)
        printf("cmcc verify: OK: %llu %s; %zu checkpoint(s) signed by %s; every leaf, "
               "tree node and signature checks; the ledger balances; the replay reproduces the "
               "state\n",
               (unsigned long long)size, size == 1 ? "entry" : "entries", v->nck, v->nv.name);
    rc = v->problems ? 1 : 0;
done:
    store_close(v->live);
    free(db);
    return rc;
}

/* ---- a server ----------------------------------------------------------- */

/* --policy: the checkpoint must carry the quorum of cosignatures. */
static int policy_holds(verifier *v, const cm_buf *note)
{
    policy_result r;
    cm_error err;
    if (!v->pol || policy_check(v->pol, &v->nv, note->data, note->len, &r, &err) == 0) return 0;
    v->unmet = 1;
    problem(v, "the served checkpoint does not count under the policy %s: %s", v->pol_file,
            err.message);
    return -1;
}

static int url_checkpoint(verifier *v, cli_http *h, log_checkpoint *c)
{
    cm_buf b = CM_BUF_INIT;
    int rc = cli_http_get_ok(h, "verify", "/checkpoint", &b) ? -1 : open_checkpoint(v, b.data, c);
    if (rc == 0) rc = policy_holds(v, &b);
    buf_reset(&v->note);
    if (!rc) buf_append(&v->note, b.data, b.len);
    buf_free(&b);
    return rc;
}

/* Fetches and replays entries up to size (a verified checkpoint's). */
static int url_sync(verifier *v, cli_http *h, uint64_t size)
{
    cm_buf b = CM_BUF_INIT;
    int rc = 0;
    while (v->added < size && !v->stopped) {
        tile_id t = {TILE_ENTRIES, (v->added) / TILE_WIDTH, 0};
        t.width = tile_width_in(TILE_ENTRIES, t.index, size);
        char path[TILE_PATH_MAX + 1] = "/";
        tile_path_format(&t, path + 1, sizeof path - 1);
        if (cli_http_get_ok(h, "verify", path, &b)) {
            rc = -1;
            break;
        }
        size_t off = 0;
        for (unsigned k = 0; k < t.width && !v->stopped; k++) {
            const uint8_t *e;
            size_t len;
            uint64_t idx = t.index * TILE_WIDTH + k;
            if (tile_bundle_next((const uint8_t *)b.data, b.len, &off, &e, &len)) {
                problem(v, "entry bundle %s is cut short at entry %llu", path,
                        (unsigned long long)idx);
                v->stopped = 1;
                break;
            }
            if (idx >= v->added) replay_one(v, idx, (const char *)e, len);
        }
    }
    replay_end(v);
    buf_free(&b);
    return rc;
}

static int url_tiles(verifier *v, cli_http *h, uint64_t size)
{
    cm_buf b = CM_BUF_INIT;
    uint8_t mine[TILE_WIDTH * LOG_HASH_SIZE];
    unsigned fetched = 0;
    int rc = 0;
    for (int level = 0; level < 8 && (size >> (TILE_HEIGHT * level)) > 0 && !rc; level++) {
        for (uint64_t n = 0;; n++) {
            tile_id t = {level, n, tile_width_in(level, n, size)};
            if (t.width == 0) break;
            char path[TILE_PATH_MAX + 1] = "/";
            tile_path_format(&t, path + 1, sizeof path - 1);
            if (cli_http_get_ok(h, "verify", path, &b)) {
                rc = -1;
                break;
            }
            fetched++;
            if (tile_read_hashes(&t, store_read_hashes, v->scratch, mine) ||
                b.len != (size_t)t.width * LOG_HASH_SIZE || memcmp(b.data, mine, b.len) != 0)
                problem(v, "hash tile %s differs from the tree the entries make", path);
        }
    }
    buf_free(&b);
    return rc ? -1 : (int)fetched;
}

/* Compares every read endpoint's answer with the replay's
 * (verify_figures.c): 0 compared, -1 not (a request failed). */
static int compare_figures(verifier *v, cli_http *h, cli_figures *fg)
{
    memset(fg, 0, sizeof *fg);
    return cli_compare_figures(h, "verify", v->scratch, v->nv.name, v->r.f.size, time_now_ms(), fg);
}

/* Says what the comparison found. */
static void report_figures(verifier *v, cli_figures *fg)
{
    if (fg->differ) {
        problem(v, "%u of the %u read endpoints compared answer otherwise than the replay:",
                fg->differ, fg->endpoints);
        fputs(fg->report.data, stdout);
    }
    printf("cmcc verify: compared %u read endpoints with the replay: %s\n", fg->endpoints,
           fg->names.data ? fg->names.data : "");
}

/* --proofs DIR: each proof's entry must be in the newest checkpoint
 * verified, and in the replay's tree (dropped.c). -1: could not check. */
static int check_proofs(verifier *v, lf_log *lf)
{
    log_checkpoint c;
    cm_error err;
    lf_proofs t;
    if (lf_open_checkpoint(&v->nv, v->known.data, v->known.len, &c, &err)) return -1;
    int rc = lf_check_proofs(lf, v->proofs, v->known.data, &c, store_read_hash, v->scratch,
                             v->r.f.size, &t);
    if (rc < 0) return -1;
    if (t.dropped)
        problem(v,
                "%u of the %u proofs in %s are of entries the log no longer holds: evidence "
                "against the log (PROOF.dropped.json beside each)",
                t.dropped, t.proofs, v->proofs);
    else
        printf("cmcc verify: the log holds the entry of each of the %u proof%s in %s%s\n", t.held,
               t.held == 1 ? "" : "s", v->proofs,
               t.unusable ? " that are proofs of their envelopes (the others said above)" : "");
    return 0;
}

static int verify_url(verifier *v, const char *url, const char *token, const char *cacert)
{
    cli_http *h = cli_http_new(url, token, cacert);
    log_checkpoint c;
    int rc = 2, tiles = 0, compared = 0;
    cm_error err;
    if (verify_state_open(&v->state, v->state_dir, &v->nv) || url_checkpoint(v, h, &c)) goto done;
    lf_log lf = {h, "verify", url, v->nv};
    int st = verify_state_check(&v->state, &lf, v->note.data, &c);
    if (st) {
        rc = st > 0 ? 1 : 2;
        goto done;
    }
    add_known(v, &c);
    if (open_scratch(v, 1, c.size) || url_sync(v, h, c.size)) goto done;
    /* the state is compared at a size the server holds still for */
    for (int tries = 0; tries < 10 && !v->stopped; tries++) {
        uint64_t s1 = 0, s2 = 0;
        if (lf_served_size(h, "verify", &s1)) goto done;
        if (s1 > v->r.next) {
            if (url_checkpoint(v, h, &c)) goto done;
            if (c.size > v->r.next) {
                add_known(v, &c);
                if (url_sync(v, h, c.size)) goto done;
            } else {
                struct timespec ts = {0, 300000000L};
                nanosleep(&ts, NULL);
            }
            continue;
        }
        cli_figures fg;
        int frc = compare_figures(v, h, &fg);
        if (lf_served_size(h, "verify", &s2)) {
            cli_figures_free(&fg);
            goto done;
        }
        if (s2 == s1) {
            if (frc)
                problem(v, "the read endpoints could not all be compared (said above)");
            else
                report_figures(v, &fg);
            compared = 1;
        }
        cli_figures_free(&fg);
        if (compared) break;
    }
    if (!compared && !v->stopped)
        printf("cmcc verify: the server kept growing while its answers were read: its read "
               "endpoints were not compared with the replay; run again when it is quieter\n");
    if (!v->stopped && (tiles = url_tiles(v, h, v->r.f.size)) < 0) goto done;
    if (!v->stopped) check_ledger(v, v->scratch);
    if (!v->stopped && v->proofs && check_proofs(v, &lf) < 0) goto done;
    if (store_commit(v->scratch, &err)) goto done;
    if (!v->problems)
        printf("cmcc verify: OK: %llu %s and %d hash tiles from %s check against the "
               "checkpoint signed by %s; every signature checks; the replay reproduces the "
               "served state\n",
               (unsigned long long)v->r.f.size, v->r.f.size == 1 ? "entry" : "entries", tiles, url,
               v->nv.name);
    rc = v->problems ? 1 : 0;
    if (!rc && verify_state_save(&v->state, &v->nv, v->known.data)) rc = 2;
done:
    if (v->unmet) rc = 1;
    verify_state_free(&v->state);
    buf_free(&v->note);
    buf_free(&v->known);
    cli_http_free(h);
    return rc;
}

int cmd_verify(int argc, char **argv)
{
    const char *vkey = NULL, *token = getenv("CMCC_TOKEN"), *cacert = getenv("CMCC_CACERT");
    const char *policy_file = NULL, *state_dir = NULL, *proofs = NULL;
    const cli_option opts[] = {CLI_ARG("vkey", &vkey),
                               CLI_ARG("token", &token),
                               CLI_ARG("cacert", &cacert),
                               CLI_ARG("policy", &policy_file),
                               CLI_ARG("state", &state_dir),
                               CLI_ARG("proofs", &proofs),
                               CLI_OPTIONS_END};
    int status = cli_options(argc, argv, opts, help);
    if (status >= 0) return status;
    if (optind != argc - 1) return fputs(help, stderr), 2;
    const char *target = argv[optind];
    int is_url = strncmp(target, "http://", 7) == 0 || strncmp(target, "https://", 8) == 0;
    char *owned = NULL;
    cm_error err;
    policy *pol = NULL;
    if (policy_file && !is_url)
        return cli_errorf("verify", "--policy is for a server's checkpoints (verify URL)"), 2;
    if (proofs && !is_url)
        return cli_errorf("verify", "--proofs is for a server's log (verify URL)"), 2;
    if (policy_file && !(pol = policy_load(policy_file, &err))) return cli_error("verify", &err), 2;
    if (pol && !vkey && pol->n_logs == 1) {
        cm_buf b = CM_BUF_INIT;
        note_verifier_format(&pol->logs[0].v, &b);
        vkey = owned = buf_take(&b);
    }
    if (!vkey && !is_url) {
        char *path = xasprintf("%s/%s", target, SRV_VKEY_FILE);
        int r = cm_read_line_file(path, &owned, &err);
        free(path);
        if (r) return cli_error("verify", &err), 2;
        vkey = owned;
    }
    if (!vkey) {
        policy_free(pol);
        return cli_errorf("verify", "give the log's verifier key with --vkey"), 2;
    }
    verifier v;
    memset(&v, 0, sizeof v);
    v.pol = pol;
    v.pol_file = policy_file;
    v.state_dir = state_dir;
    v.proofs = proofs;
    int rc;
    if (note_verifier_parse(vkey, &v.nv, &err) || v.nv.type != NOTE_KEY_ED25519) {
        cli_errorf("verify", "--vkey is not an Ed25519 note verifier key");
        rc = 2;
    } else {
        rc = is_url ? verify_url(&v, target, token, cacert) : verify_dir(&v, target);
    }
    close_scratch(&v);
    policy_free(pol);
    free(owned);
    return rc;
}
