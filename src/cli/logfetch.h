/*
 * logfetch.h: reading a log from its server, as `cmcc verify URL` and
 * `cmcc mirror` both do (logfetch.c), and the evidence they keep when a
 * log shows two histories (evidence.c).
 *
 * Every fetch says on stderr, as the command it serves, what failed (the
 * network, the status and the server's sentence) and returns -1; every
 * check that fails names the URL in one sentence.
 */
#ifndef CMCC_LOGFETCH_H
#define CMCC_LOGFETCH_H

#include "cli/cli.h"

/* A log at a URL, known by its verifier key. */
typedef struct {
    cli_http *h;
    const char *cmd; /* the subcommand, for messages */
    const char *url;
    note_verifier nv; /* the log's Ed25519 note verifier key */
} lf_log;

/* Opens a checkpoint note with the log's key: its signature, its body,
 * its origin. 0, or -1 with err. */
int lf_open_checkpoint(const note_verifier *nv, const char *note, size_t len, log_checkpoint *c,
                       cm_error *err);
/* GET /checkpoint, opened as above. 0 with the note's text in *note and
 * *c; -1 after saying why, naming the URL. */
int lf_checkpoint(lf_log *l, cm_buf *note, log_checkpoint *c);
/* GET the entry bundle of index `index` as wide as a tree of `size`
 * entries makes it. OUT: the bytes, and its path ("/tile/entries/..."). */
int lf_bundle(lf_log *l, uint64_t index, uint64_t size, cm_buf *out, char path[TILE_PATH_MAX + 2]);
/* Splits a bundle of `width` entries: calls fn for each (its index from
 * first). 0; 1 when the bundle is cut short or has bytes past its last
 * entry (*bad_at: the entry where); fn's nonzero return otherwise. */
int lf_bundle_each(const cm_buf *bundle, uint64_t first, unsigned width, store_entry_fn fn,
                   void *ctx, uint64_t *bad_at);
/* The size GET /healthz says the server holds. 0, or -1 after saying why. */
int lf_served_size(cli_http *h, const char *cmd, uint64_t *size);
/* GET /v1/proof/consistency?old=&size=. OUT: the path. 0, or -1 after
 * saying why. */
int lf_consistency(lf_log *l, uint64_t old, uint64_t size, log_hash path[LOG_MAX_PROOF], size_t *n);

/* ---- evidence.c: two checkpoints of one log that do not agree ----------- */

typedef enum {
    LF_SAME_SIZE,    /* the same size with two roots */
    LF_INCONSISTENT, /* a larger tree the log cannot prove extends the held one */
    LF_SMALLER,      /* a smaller tree than one the log signed before */
} lf_finding;

typedef struct {
    lf_finding kind;
    char *held, *seen; /* the two signed notes (malloc'ed) */
    log_checkpoint held_c, seen_c;
    int has_proof;
    uint64_t proof_old, proof_size; /* the proof is between these sizes */
    log_hash proof[LOG_MAX_PROOF];
    size_t proof_n;
} lf_evidence;

void lf_evidence_free(lf_evidence *ev);

/* Whether the checkpoint `seen` extends the `held` one: the same root at
 * the same size; for a larger tree, the server's consistency proof; for a
 * smaller tree, a proof over the held tree when rd can read its nodes (rd
 * NULL: none). 0 it does; 1 it does not, with *ev filled; -1 the check
 * could not be made (said why). */
int lf_check_extends(lf_log *l, const char *held_note, const log_checkpoint *held,
                     const char *seen_note, const log_checkpoint *seen, log_read_fn rd, void *ctx,
                     lf_evidence *ev);

/* For a mirror, which may hold a checkpoint its log has not published yet
 * (it cosigned it while the log gathered cosignatures, and the log still
 * serves an older one): as lf_check_extends, except that a smaller seen
 * tree is evidence only when it is not a prefix of the held one. The
 * consistency proof from seen to held is made over the held tree when rd
 * can read its nodes, else it is the log's own. 0 they agree; 1 they do
 * not, with *ev filled (kind smaller, with that proof); -1 the check could
 * not be made (said why). */
int lf_check_agrees(lf_log *l, const char *held_note, const log_checkpoint *held,
                    const char *seen_note, const log_checkpoint *seen, log_read_fn rd, void *ctx,
                    lf_evidence *ev);

/* Writes the evidence as JSON into path (replacing it, durably), and says
 * in one sentence on stderr what was found and where it is kept. 0 or -1. */
int lf_evidence_write(const lf_log *l, const lf_evidence *ev, const char *path);
/* What every evidence file shares: a new document {"evidence": its format,
 * "origin", "url", "found": now}; ev's consistency proof as
 * {"old","size","hashes"} (null when it has none); and the document written
 * durably into path (aside, synced, renamed) with one sentence on stderr:
 * why, where it is kept, then after. 0 or -1. */
json_t *lf_evidence_doc(const lf_log *l, const char *evidence);
json_t *lf_evidence_proof(const lf_evidence *ev);
int lf_evidence_save(const lf_log *l, json_t *doc, const char *path, const char *why,
                     const char *after);

/* Checks an evidence file against the log's key: 1 when it shows two
 * checkpoints the log signed that do not agree (why: a sentence), 0 when
 * it does not, -1 when it cannot be read (err). */
int lf_evidence_check(const char *text, size_t len, const note_verifier *nv, char *why,
                      size_t whylen, cm_error *err);

/* ---- dropped.c: proofs of entries the log no longer holds -------------- */

typedef struct {
    unsigned proofs, held, dropped, unusable; /* unusable: not a proof of its envelope */
} lf_proofs;

/* Checks every proof `cmcc submit` saved in dir (FILE.proof beside FILE)
 * against the log's current checkpoint c (its signed note): c must extend
 * the proof's checkpoint and, when rd reads a tree of rd_size entries
 * holding the proof's index, the entry there must be the envelope's. Each
 * that fails is said in one sentence and its evidence written beside it
 * (PROOF.dropped.json, "cmcc.dropped/v1"); each unusable one is said.
 * 0 none dropped, 1 some, -1 the check could not run (said why). */
int lf_check_proofs(lf_log *l, const char *dir, const char *note, const log_checkpoint *c,
                    log_read_fn rd, void *ctx, uint64_t rd_size, lf_proofs *t);

#endif
