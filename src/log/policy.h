/*
 * policy.h: C2SP tlog-policy, which checkpoints count (policy.c), and C2SP
 * tlog-proof, an offline proof that an entry is in the log (proof.c).
 *
 * A policy names the logs whose checkpoints are accepted and the witnesses
 * (or mirrors: any cosigner with a cosignature/v1 key) whose cosignatures
 * count, and the quorum of them a checkpoint needs. A proof carries a
 * checkpoint with its cosignatures, an entry's index and its inclusion path;
 * it is checked with a policy and nothing else. Pure, like the rest of
 * src/log: no printing; policy_load alone reads a file.
 */
#ifndef CMCC_LOG_POLICY_H
#define CMCC_LOG_POLICY_H

#include "log/log.h"

#include <stddef.h>
#include <stdint.h>

/* ---- policy.c: C2SP tlog-policy ------------------------------------------ */

#define POLICY_MAX_LOGS      32
#define POLICY_MAX_WITNESSES 32
#define POLICY_MAX_GROUPS    32
#define POLICY_MAX_NAMES     (POLICY_MAX_WITNESSES + POLICY_MAX_GROUPS)
#define POLICY_URL_MAX       512

typedef struct {
    note_verifier v; /* an Ed25519 (0x01) note key; its name is the origin */
    char url[POLICY_URL_MAX];
} policy_log;

/* A witness or a group: one namespace, in the order the file defines them,
 * so a group's members always come before it. */
typedef struct {
    char name[NOTE_NAME_MAX];
    int group;       /* 0: a witness, 1: a group */
    note_verifier v; /* a witness: its cosignature/v1 (0x04) key */
    char url[POLICY_URL_MAX];
    unsigned k;       /* a group: how many members must have witnessed */
    uint64_t members; /* a group: bit i for name i */
} policy_name;

typedef struct {
    policy_log logs[POLICY_MAX_LOGS];
    size_t n_logs;
    policy_name names[POLICY_MAX_NAMES];
    size_t n_names;
    size_t n_witnesses, n_groups;
    int quorum; /* the index of the quorum's name, or -1 for "quorum none" */
} policy;

/* Parses a policy file's text; file names it in errors, which are all
 * "<file>:<line>: <sentence>" (or "<file>: ..." for the file as a whole).
 * Returns a new policy (policy_free), or NULL with err (bad_request). */
policy *policy_parse(const char *text, size_t len, const char *file, cm_error *err);
/* Reads and parses the file at path. */
policy *policy_load(const char *path, cm_error *err);
void policy_free(policy *p);

/* What a checkpoint showed against a policy. */
typedef struct {
    log_checkpoint cp;  /* its body */
    size_t text_len;    /* the body's length in the note */
    int log;            /* the policy's log that signed it, or -1: the one given */
    uint64_t witnessed; /* bit i: name i (a witness or a group) witnessed it */
    unsigned cosigned;  /* witnesses whose cosignature verifies */
    unsigned bad;       /* a policy witness's cosignature line that does not verify */
    int quorum_met;
} policy_result;

/*
 * Checks a checkpoint note: it must be signed by log (when not NULL) or
 * else by one of the policy's logs, with the log's key name as its origin,
 * and cosigned by the quorum of p's witnesses (p NULL: no cosignature is
 * needed). A cosignature that does not verify over this checkpoint counts
 * for nothing; lines of keys the policy does not name are ignored. 0 when
 * the checkpoint counts; -1 with err (a sentence: which signature is
 * missing, or which quorum is not met) and *out filled as far as it got.
 */
int policy_check(const policy *p, const note_verifier *log, const char *note, size_t len,
                 policy_result *out, cm_error *err) LOG_WUR;

/* Appends the names of the witnesses that cosigned, ", "-separated, or
 * "none". */
void policy_cosigners(const policy *p, const policy_result *r, cm_buf *out);

/* ---- proof.c: C2SP tlog-proof -------------------------------------------- */

#define PROOF_HEADER "c2sp.org/tlog-proof@v1"

typedef struct {
    uint64_t index;
    log_hash path[LOG_MAX_PROOF];
    size_t n;
    uint8_t *extra; /* owned; NULL when the proof has no extra line */
    size_t extra_len;
    char *note; /* owned: the checkpoint as a signed note, verbatim */
    size_t note_len;
} log_proof;

/* Appends a proof: the header, "extra <base64>" when extra is not NULL,
 * "index <index>", the path a hash a line, a blank line, the note. */
void proof_format(uint64_t index, const log_hash *path, size_t n, const void *extra,
                  size_t extra_len, const char *note, size_t note_len, cm_buf *out);
/* Parses a proof (the note is kept as it is: policy_check opens it).
 * -1 with err (bad_request, a sentence naming the line) when malformed. */
int proof_parse(const char *text, size_t len, log_proof *out, cm_error *err);
void proof_free(log_proof *p);
/* Checks that leaf, at the proof's index, is in the tree of the checkpoint
 * cp (whose signatures policy_check has checked). 0, or -1 with err. */
int proof_check_leaf(const log_proof *p, const log_checkpoint *cp, const log_hash *leaf,
                     cm_error *err) LOG_WUR;

#endif
