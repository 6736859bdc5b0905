/*
 * mirror.h: `cmcc mirror`, a full, verified, incremental copy of a log
 * (mirror.c), run once or in a loop by cmd_mirror.c.
 *
 * A mirror directory is a log directory without the log's signing key:
 *
 *   DIR/cmcc.db             the store: entries, tree nodes, projections and
 *                           the checkpoints held, each with the mirror's
 *                           cosignature; meta "mirror.url" (the URL followed),
 *                           "mirror.vkey", "mirror.pending" (below)
 *   DIR/log.vkey            the log's note verifier key
 *   DIR/mirror.pem          the mirror's own cosigning key (made on the first run)
 *   DIR/mirror.vkey         its cosignature/v1 verifier key
 *   DIR/upstream.token      the read token for the log (--token, kept so
 *                           that later runs and `cmcc serve --mirror`'s
 *                           add-checkpoint can fetch entry bundles)
 *   DIR/fetched/            entry bundles fetched and not yet stored
 *   DIR/fork-evidence.json  written when the log shows a checkpoint that does
 *                           not extend the one held: the mirror stops there
 *   DIR/cmcc.lock           held by the one run at work (`cmcc mirror`,
 *                           or `cmcc serve --mirror` answering an
 *                           add-checkpoint); `--every` lets it go between runs
 */
#ifndef CMCC_MIRROR_H
#define CMCC_MIRROR_H

#include "cli/logfetch.h"
#include "engine/engine.h"

#define MIRROR_KEY_FILE      "mirror.pem"
#define MIRROR_VKEY_FILE     "mirror.vkey"
#define MIRROR_EVIDENCE_FILE "fork-evidence.json"
#define MIRROR_SPOOL_DIR     "fetched"
#define MIRROR_TOKEN_FILE    "upstream.token"
#define MIRROR_META_URL      "mirror.url"
#define MIRROR_META_VKEY     "mirror.vkey"
#define MIRROR_META_PENDING  "mirror.pending"

typedef struct {
    const char *dir;
    char *url; /* the URL followed, when mirror_open read it from DIR */
    lf_log log;
    store *w;    /* the writer */
    int lock;    /* DIR/cmcc.lock */
    log_key key; /* the mirror's cosigning key */
    note_verifier me;
    srv_pool *pool;
    /* A hook for a witness policy: when set, a checkpoint is followed only
     * if policy(ctx, note) returns 0 (else it says why on stderr). */
    int (*policy)(void *ctx, const char *note);
    void *policy_ctx;
    /* mirror_run: when set, the checkpoint to follow (a signed note, e.g.
     * one a log asks this mirror to cosign) instead of GET /checkpoint; the
     * policy is not asked (its cosignatures are still being gathered) */
    const char *target;
    /* mirror_run: when not 0, the time (time_mono_ms) after which no new
     * step is begun: the run returns 4 short of the checkpoint */
    int64_t deadline;
    /* what the last run did */
    uint64_t size;            /* entries held */
    unsigned long fetched;    /* entry bundles fetched over HTTP */
    unsigned long from_spool; /* entry bundles read from DIR/fetched */
} mirror;

/* Opens (on the first run, makes) the mirror in dir of the log at url
 * (NULL: the URL it follows already). vkey: the log's verifier key (needed
 * the first time; later it must be the one held); name: the cosigner's
 * name for a new key (NULL: a default); token: the log's read token (NULL:
 * the one kept in DIR/upstream.token). Waits up to wait_ms for another run
 * on dir to end. Exit status: 0, or 1/2 after saying why. */
int mirror_open(mirror *m, const char *dir, const char *url, const char *vkey, const char *name,
                const char *token, const char *cacert, int wait_ms);
void mirror_close(mirror *m);
/* One run: fetch the checkpoint, check it extends the one held, fetch the
 * new entries, replay and store them, cosign. 0 (up to date), 1 refused
 * (said why; nothing stored past the last verified step), 3 fork evidence
 * written, 2 a fault, 4 the deadline came first (what was verified is
 * kept; the next run goes on from there). */
int mirror_run(mirror *m);
/* After a run that ended up to date (mirror_check.c): compare (nonzero)
 * every read endpoint of the source with the mirror's replay; check each
 * proof in proofs_dir (NULL: none) against the source's checkpoint and the
 * mirror's tree. 0 all holds, 1 a difference or a dropped entry (said),
 * 2 a fault. */
int mirror_check(mirror *m, int compare, const char *proofs_dir);

/* ---- mirror_cosign.c: a mirror cosigns what a log asks it to -------------- */

/* Answers a C2SP tlog-witness add-checkpoint request for the mirror in dir
 * (`cmcc serve --mirror DIR`): checks the old size and proof against the
 * checkpoint held, catches up to the checkpoint (fetched from the log,
 * within MIRROR_COSIGN_MS), and once its entries are stored answers with
 * the mirror's cosignature line. Returns the HTTP status; out holds the
 * answer's text (a size for 409). */
#define MIRROR_COSIGN_MS 8000
int mirror_add_checkpoint(const char *dir, const char *body, size_t len, cm_buf *out);

/* ---- init_mirror.c: a new primary from a mirror --------------------------- */

/* `cmcc init --from-mirror FROM DIR --log-key PEM`: exit status. */
int init_from_mirror(const char *from, const char *dir, const char *pem);

#endif
