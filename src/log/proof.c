/*
 * proof.c: C2SP tlog-proof v1, an offline proof that an entry is in a log.
 *
 *   c2sp.org/tlog-proof@v1
 *   [extra <base64>]          optional opaque data (cmcc: the entry's
 *                             "received" time, which with the envelope
 *                             makes the entry, so the leaf)
 *   index <i>                 the entry's index, decimal, no leading zero
 *   <base64 hash>             the RFC 6962 inclusion path, one hash a line,
 *   ...                       from the leaf's sibling up (tree.c's order)
 *                             a blank line
 *   <the checkpoint>          the signed note, verbatim, with whatever
 *                             cosignatures it carries
 *
 * Parsing refuses anything else, naming the line; the note is kept as it is
 * and checked with a policy (policy.c), then the path from the leaf to the
 * checkpoint's root (proof_check_leaf).
 */
#include "log/policy.h"

#include "common/codec.h"
#include "common/mem.h"

#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

void proof_format(uint64_t index, const log_hash *path, size_t n, const void *extra,
                  size_t extra_len, const char *note, size_t note_len, cm_buf *out)
{
    buf_puts(out, PROOF_HEADER "\n");
    if (extra) {
        buf_puts(out, "extra ");
        buf_b64(out, extra, extra_len);
        buf_putc(out, '\n');
    }
    buf_printf(out, "index %" PRIu64 "\n", index);
    for (size_t i = 0; i < n; i++) {
        buf_b64(out, path[i].b, LOG_HASH_SIZE);
        buf_putc(out, '\n');
    }
    buf_putc(out, '\n');
    buf_append(out, note, note_len);
}

/* The next line of text[*pos..len) without its "\n"; -1 at the end or at a
 * last line without one. */
static int next_line(const char *text, size_t len, size_t *pos, const char **line, size_t *n)
{
    if (*pos >= len) return -1;
    const char *nl = memchr(text + *pos, '\n', len - *pos);
    if (!nl) return -1;
    *line = text + *pos;
    *n = (size_t)(nl - *line);
    *pos += *n + 1;
    return 0;
}

static int starts(const char *line, size_t n, const char *word)
{
    size_t w = strlen(word);
    return n >= w && memcmp(line, word, w) == 0;
}

static int decimal(const char *s, size_t n, uint64_t *out)
{
    uint64_t v = 0;
    if (n == 0 || n > 20 || (s[0] == '0' && n > 1)) return -1;
    for (size_t i = 0; i < n; i++) {
        unsigned d = (unsigned)(s[i] - '0');
        if (s[i] < '0' || s[i] > '9' || v > (UINT64_MAX - d) / 10) return -1;
        v = v * 10 + d;
    }
    *out = v;
    return 0;
}

int proof_parse(const char *text, size_t len, log_proof *out, cm_error *err)
{
    const char *line;
    size_t n, pos = 0;
    unsigned no = 1;
    memset(out, 0, sizeof *out);
    if (next_line(text, len, &pos, &line, &n) || n != strlen(PROOF_HEADER) ||
        memcmp(line, PROOF_HEADER, n) != 0)
        return cm_fail(err, CM_BAD_REQUEST, "proof",
                       "line 1 is not \"" PROOF_HEADER "\": this is not a tlog proof");
    if (next_line(text, len, &pos, &line, &n))
        return cm_fail(err, CM_BAD_REQUEST, "proof", "the proof ends after its first line");
    no++;
    if (starts(line, n, "extra ")) {
        size_t bn = n - 6;
        out->extra = xmalloc(b64_decoded_max(bn) + 1);
        long got = b64_decode(line + 6, bn, out->extra, b64_decoded_max(bn) + 1);
        if (got < 0) {
            proof_free(out);
            return cm_fail(err, CM_BAD_REQUEST, "proof.extra",
                           "line 2: the extra data is not standard padded base64");
        }
        out->extra_len = (size_t)got;
        if (next_line(text, len, &pos, &line, &n)) {
            proof_free(out);
            return cm_fail(err, CM_BAD_REQUEST, "proof", "the proof ends before its index line");
        }
        no++;
    }
    if (!starts(line, n, "index ") || decimal(line + 6, n - 6, &out->index)) {
        proof_free(out);
        return cm_fail(err, CM_BAD_REQUEST, "proof.index",
                       "line %u is not \"index <n>\" (a decimal number without leading zeros)", no);
    }
    for (;;) {
        no++;
        if (next_line(text, len, &pos, &line, &n)) {
            proof_free(out);
            return cm_fail(err, CM_BAD_REQUEST, "proof",
                           "no blank line before the checkpoint (the proof ends at line %u)", no);
        }
        if (n == 0) break;
        if (out->n == LOG_MAX_PROOF) {
            proof_free(out);
            return cm_fail(err, CM_BAD_REQUEST, "proof.path",
                           "line %u: an inclusion path has at most %d hashes", no, LOG_MAX_PROOF);
        }
        uint8_t h[LOG_HASH_SIZE + 3];
        if (b64_decode(line, n, h, sizeof h) != LOG_HASH_SIZE) {
            proof_free(out);
            return cm_fail(err, CM_BAD_REQUEST, "proof.path",
                           "line %u is not the base64 of a 32-byte hash", no);
        }
        memcpy(out->path[out->n++].b, h, LOG_HASH_SIZE);
    }
    if (pos >= len) {
        proof_free(out);
        return cm_fail(err, CM_BAD_REQUEST, "proof.checkpoint",
                       "the proof holds no checkpoint after its blank line (line %u)", no);
    }
    out->note_len = len - pos;
    out->note = xstrndup(text + pos, out->note_len);
    return 0;
}

void proof_free(log_proof *p)
{
    free(p->extra);
    free(p->note);
    p->extra = NULL;
    p->note = NULL;
}

int proof_check_leaf(const log_proof *p, const log_checkpoint *cp, const log_hash *leaf,
                     cm_error *err)
{
    if (p->index >= cp->size)
        return cm_fail(err, CM_BAD_REQUEST, "proof.index",
                       "the proof's index %" PRIu64 " is not below the checkpoint's size %" PRIu64,
                       p->index, cp->size);
    if (log_check_inclusion(p->index, cp->size, leaf, p->path, p->n, &cp->root) != 0)
        return cm_fail(err, CM_BAD_SIGNATURE, "proof.path",
                       "the inclusion path does not lead from entry %" PRIu64
                       " to the root of the checkpoint of %" PRIu64 " entries",
                       p->index, cp->size);
    return 0;
}
