/*
 * log.h: the verifiable log's formats and cryptography, nothing else.
 *
 * RFC 6962 Merkle trees over SHA-256, the C2SP formats that make the log
 * checkable by existing tools (tlog-tiles, signed-note, tlog-checkpoint,
 * tlog-cosignature), Ed25519 keys as PKCS#8 PEM, and DSSE envelopes'
 * signatures. Uses libsodium only; no I/O, no printing: stored hashes are
 * read through a callback the caller supplies.
 *
 * Buffers are the caller's unless said otherwise. Every verification returns
 * 0 when it holds and -1 when it does not, and must be checked.
 */
#ifndef CMCC_LOG_H
#define CMCC_LOG_H

#include "common/buf.h"
#include "common/error.h"

#include <stddef.h>
#include <stdint.h>

#define LOG_WUR __attribute__((warn_unused_result))

/* ---- hash.c: RFC 6962 hashes -------------------------------------------- */

#define LOG_HASH_SIZE 32

typedef struct {
    uint8_t b[LOG_HASH_SIZE];
} log_hash;

/* leaf = SHA-256(0x00 || entry) */
void log_leaf_hash(const void *entry, size_t len, log_hash *out);
/* node = SHA-256(0x01 || left || right) */
void log_node_hash(const log_hash *left, const log_hash *right, log_hash *out);
/* the root of the empty tree: SHA-256 of nothing */
void log_empty_root(log_hash *out);

/* ---- tree.c: roots, proofs and appends over stored hashes ----------------- */

/*
 * A stored hash is the root of a complete subtree: level L, index N covers
 * leaves [N << L, (N + 1) << L). Level 0 holds the leaf hashes. A log stores
 * every complete node, so a tree of size S has S >> L nodes at level L.
 * The reader fills *out and returns 0, or returns -1 (the caller's error).
 */
typedef int (*log_read_fn)(void *ctx, int level, uint64_t index, log_hash *out);
/* The same for a run of n stored hashes of one level, first..first+n-1,
 * into out (n * 32 bytes): 0, or -1 if any is missing. A hash tile is one
 * run, so a store can read it at once. */
typedef int (*log_read_run_fn)(void *ctx, int level, uint64_t first, unsigned n, uint8_t *out);

#define LOG_MAX_PROOF 64

/* Root of the tree of the first `size` leaves. -1 if a read fails. */
int log_tree_root(uint64_t size, log_read_fn rd, void *ctx, log_hash *out);

/* RFC 6962 / RFC 9162 inclusion proof of leaf `index` in the tree of `size`
 * leaves (index < size). OUT: path[0..*n), leaf-side first. */
int log_prove_inclusion(uint64_t index, uint64_t size, log_read_fn rd, void *ctx,
                        log_hash path[LOG_MAX_PROOF], size_t *n);
int log_check_inclusion(uint64_t index, uint64_t size, const log_hash *leaf, const log_hash *path,
                        size_t n, const log_hash *root) LOG_WUR;

/* Consistency proof from the tree of `old` leaves to the tree of `size`
 * leaves (0 < old <= size), as RFC 6962's SUBPROOF (and Go's tlog.ProveTree).
 * OUT: path[0..*n). */
int log_prove_consistency(uint64_t old, uint64_t size, log_read_fn rd, void *ctx,
                          log_hash path[LOG_MAX_PROOF], size_t *n);
int log_check_consistency(uint64_t old, uint64_t size, const log_hash *old_root,
                          const log_hash *new_root, const log_hash *path, size_t n) LOG_WUR;

/*
 * The frontier: the roots of the perfect subtrees that make up a tree, which
 * is all an appender needs. node[l] is meaningful only when bit l of size is
 * set: it is the root of the 2^l leaves ending where the next larger subtree
 * begins (the largest subtree is the leftmost).
 */
typedef struct {
    uint64_t size;
    log_hash node[64];
} log_frontier;

/* Called for every node an append completes: the leaf itself (level 0) and
 * each parent it completes, lowest level first. */
typedef void (*log_node_fn)(void *ctx, int level, uint64_t index, const log_hash *h);

void log_frontier_init(log_frontier *f); /* the empty tree */
/* Loads the frontier of a tree of `size` leaves from stored hashes. */
int log_frontier_load(log_frontier *f, uint64_t size, log_read_fn rd, void *ctx);
/* Appends one leaf hash; emit (may be NULL) sees every completed node. */
void log_frontier_append(log_frontier *f, const log_hash *leaf, log_node_fn emit, void *ctx);
void log_frontier_root(const log_frontier *f, log_hash *out);

/* ---- tile.c: C2SP tlog-tiles -------------------------------------------- */

/*
 * A hash tile at level L, index N, holds the hashes of tree level 8L, nodes
 * N*256 .. N*256+W-1, each 32 bytes, W = 256 for a full tile. An entry
 * bundle (level TILE_ENTRIES) holds entries N*256 .. N*256+W-1, each a
 * big-endian uint16 length and the bytes. Paths:
 *   tile/<L>/<N>[.p/<W>]   tile/entries/<N>[.p/<W>]
 * where N is written in groups of three digits, all but the last prefixed
 * with "x" (1234067 is x001/x234/067) and .p/<W> marks a partial tile.
 */
#define TILE_HEIGHT   8
#define TILE_WIDTH    256
#define TILE_ENTRIES  (-1)
#define TILE_PATH_MAX 96

typedef struct {
    int level;      /* 0..63, or TILE_ENTRIES */
    uint64_t index; /* N */
    unsigned width; /* 1..256; 256 is a full tile */
} tile_id;

/* Parses a path relative to the tile root, e.g. "0/x001/234.p/5" or
 * "entries/000". Rejects every non-canonical spelling. 0 or -1. */
int tile_path_parse(const char *path, size_t len, tile_id *out);
/* Writes "tile/<L>/<N>[.p/<W>]" into out. Returns its length. */
size_t tile_path_format(const tile_id *t, char *out, size_t cap);
/* How many hashes (or entries) of tile (level, index) a tree of `size`
 * leaves has: 0..256. */
unsigned tile_width_in(int level, uint64_t index, uint64_t size);
/* Reads the hashes of hash tile t into out (t->width * 32 bytes). */
int tile_read_hashes(const tile_id *t, log_read_run_fn rd, void *ctx, uint8_t *out);
/* Appends one entry (at most 65,535 bytes) to a bundle being built. */
void tile_bundle_add(cm_buf *bundle, const void *entry, size_t len);
/* Reads the entry at *off of a bundle and advances *off. 0, or -1 at a
 * truncated entry. */
int tile_bundle_next(const uint8_t *bundle, size_t len, size_t *off, const uint8_t **entry,
                     size_t *entry_len);

/* ---- key.c: Ed25519 keys and PKCS#8 PEM ---------------------------------- */

#define LOG_PUBKEY_SIZE 32
#define LOG_SEED_SIZE   32
#define LOG_SIG_SIZE    64
#define LOG_KEYID_LEN   16 /* hex digits; buffers are LOG_KEYID_LEN + 1 */
#define LOG_PEM_MAX     160

/* A signing key. The secret lives in sodium_malloc'ed memory, wiped and
 * freed by log_key_free. */
typedef struct {
    uint8_t *sk; /* 64-byte libsodium secret key (seed || public) */
    uint8_t pub[LOG_PUBKEY_SIZE];
} log_key;

int log_key_from_seed(log_key *k, const uint8_t seed[LOG_SEED_SIZE]);
int log_key_generate(log_key *k);
void log_key_free(log_key *k);
/* Reads an Ed25519 private key in PKCS#8 PEM, exactly as
 * `openssl genpkey -algorithm ed25519` writes it ("-----BEGIN PRIVATE
 * KEY-----", DER 302e020100300506032b657004220420 || seed). */
int log_key_from_pem(log_key *k, const char *pem, size_t len, cm_error *err);
/* Writes that PEM (NUL-terminated) into out; the caller wipes it. */
void log_key_to_pem(const log_key *k, char out[LOG_PEM_MAX]);
/* Reads the PEM key file at path into *k (key_file.c); the file's text is
 * wiped once read. -1 with err, prefixed with path, when it cannot be read
 * or is not such a key. */
int log_key_load(const char *path, log_key *k, cm_error *err);
/* keyid = lowercase hex of the first 8 bytes of SHA-256(public key). */
void log_keyid(const uint8_t pub[LOG_PUBKEY_SIZE], char out[LOG_KEYID_LEN + 1]);
void log_sign(const log_key *k, const void *msg, size_t len, uint8_t sig[LOG_SIG_SIZE]);
int log_verify(const uint8_t pub[LOG_PUBKEY_SIZE], const void *msg, size_t len,
               const uint8_t sig[LOG_SIG_SIZE]) LOG_WUR;

/* ---- dsse.c: DSSE v1.0 -------------------------------------------------- */

#define DSSE_PAYLOAD_TYPE "application/vnd.cmcc.event+json"

/* PAE(type, payload) = "DSSEv1" SP len(type) SP type SP len(payload) SP
 * payload, lengths in ASCII decimal. Appended to out. */
void dsse_pae(const char *type, const void *payload, size_t len, cm_buf *out);
void dsse_sign(const log_key *k, const char *type, const void *payload, size_t len,
               uint8_t sig[LOG_SIG_SIZE]);
int dsse_verify(const uint8_t pub[LOG_PUBKEY_SIZE], const char *type, const void *payload,
                size_t len, const uint8_t sig[LOG_SIG_SIZE]) LOG_WUR;

/* ---- note.c: C2SP signed-note ------------------------------------------- */

/*
 * A note is text (ending in "\n"), a blank line, and signature lines
 * "— <name> <base64(keyhash[4] || signature)>\n" (the dash is U+2014).
 * keyhash = first 4 bytes (big-endian) of SHA-256(name || "\n" || type ||
 * public key). Type 0x01 is an Ed25519 note key; type 0x04 a C2SP
 * cosignature/v1 witness key. A verifier key string is
 * "<name>+<keyhash as 8 hex>+<base64(type || public key)>"; a signer key
 * string "PRIVATE+KEY+<name>+<keyhash>+<base64(0x01 || seed)>".
 */
#define NOTE_NAME_MAX        256
#define NOTE_KEY_ED25519     0x01
#define NOTE_KEY_COSIGNATURE 0x04
#define NOTE_MAX_SIGS        32

typedef struct {
    char name[NOTE_NAME_MAX];
    uint32_t hash;
    uint8_t type;
    uint8_t pub[LOG_PUBKEY_SIZE];
} note_verifier;

uint32_t note_key_hash(const char *name, uint8_t type, const uint8_t pub[LOG_PUBKEY_SIZE]);
/* Fills v for key k under name with type (0x01 or 0x04). */
void note_verifier_from_key(const log_key *k, const char *name, uint8_t type, note_verifier *v);
int note_verifier_parse(const char *vkey, note_verifier *v, cm_error *err);
/* Appends the verifier key string to out. */
void note_verifier_format(const note_verifier *v, cm_buf *out);
/* Parses a signer key string into *k (which the caller frees) and its name. */
int note_signer_parse(const char *skey, log_key *k, char name[NOTE_NAME_MAX], cm_error *err);

/* Appends a complete note: text, blank line, one Ed25519 signature line by
 * k under name. text must end in "\n" and hold no blank line. */
int note_sign(const char *text, size_t len, const log_key *k, const char *name, cm_buf *out,
              cm_error *err);
/* Appends one signature line (keyhash || sig, base64) to out. */
void note_add_sigline(cm_buf *out, const char *name, uint32_t hash, const uint8_t *sig,
                      size_t sig_len);

typedef struct {
    size_t text_len;                    /* text is note[0 .. text_len) */
    unsigned verified;                  /* bit i set when verifiers[i] signed the note */
    size_t unknown;                     /* signature lines of no known verifier */
    uint64_t cosig_time[NOTE_MAX_SIGS]; /* for a 0x04 verifier i: its timestamp */
} note_opened;

/* Parses and checks a note against known verifiers. Fails when the note is
 * malformed, when a signature line of a known verifier (same name and key
 * hash) does not verify, or when no known verifier signed it. Lines of
 * unknown keys are counted and ignored. */
int note_open(const char *note, size_t len, const note_verifier *verifiers, size_t nv,
              note_opened *out, cm_error *err) LOG_WUR;

/* ---- checkpoint.c: C2SP tlog-checkpoint --------------------------------- */

typedef struct {
    char origin[NOTE_NAME_MAX];
    uint64_t size;
    log_hash root;
} log_checkpoint;

/* Appends the body "<origin>\n<size>\n<base64 root>\n". */
void checkpoint_body(const log_checkpoint *c, cm_buf *out);
/* Parses a body (extension lines after the root are allowed and ignored). */
int checkpoint_parse(const char *text, size_t len, log_checkpoint *c, cm_error *err);

/* ---- cosig.c: C2SP tlog-cosignature/v1 ---------------------------------- */

#define COSIG_SIG_SIZE (8 + LOG_SIG_SIZE) /* timestamp || Ed25519 signature */

/* sig = big-endian uint64 ts || Ed25519 over
 * "cosignature/v1\ntime <ts>\n" || checkpoint body. */
void cosig_sign(const log_key *k, uint64_t ts, const char *body, size_t len,
                uint8_t out[COSIG_SIG_SIZE]);
/* OUT: *ts, the signed timestamp. */
int cosig_verify(const uint8_t pub[LOG_PUBKEY_SIZE], const char *body, size_t len,
                 const uint8_t sig[COSIG_SIG_SIZE], uint64_t *ts) LOG_WUR;

#endif
