/*
 * addreq.c: the body of a C2SP tlog-witness add-checkpoint request, parsed
 * (witness.h: witness_add_parse), for `cmcc witness` (witness.c) and for a
 * mirror that cosigns (`cmcc serve --mirror`, cli/mirror_cosign.c):
 *
 *   old <size>\n
 *   <base64 consistency proof hash>\n        (zero or more lines)
 *   \n
 *   <the checkpoint: a signed note>
 *
 * Nothing is judged here but the shape; the note is not opened.
 */
#include "witness/witness.h"

#include "common/codec.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int witness_add_parse(const char *body, size_t len, witness_add *out, cm_buf *why)
{
    const char *p = body, *end = body + len;
    const char *nl = memchr(p, '\n', len);
    char *stop = NULL;
    memset(out, 0, sizeof *out);
    if (!nl || nl - p < 5 || strncmp(p, "old ", 4) != 0) return buf_puts(why, "no old line\n"), -1;
    out->old = strtoull(p + 4, &stop, 10);
    if (stop != nl || p[4] < '0' || p[4] > '9') return buf_puts(why, "bad old size\n"), -1;
    p = nl + 1;
    while (p < end && *p != '\n') {
        nl = memchr(p, '\n', (size_t)(end - p));
        uint8_t h[LOG_HASH_SIZE + 3];
        if (!nl || out->n == LOG_MAX_PROOF ||
            b64_decode(p, (size_t)(nl - p), h, sizeof h) != LOG_HASH_SIZE)
            return buf_puts(why, "bad proof line\n"), -1;
        memcpy(out->proof[out->n++].b, h, LOG_HASH_SIZE);
        p = nl + 1;
    }
    if (p >= end) return buf_puts(why, "no checkpoint\n"), -1;
    p++; /* the blank line */
    out->note = p;
    out->note_len = (size_t)(end - p);
    const char *eol = memchr(p, '\n', out->note_len);
    if (!eol || eol == p || (size_t)(eol - p) >= sizeof out->origin)
        return buf_puts(why, "no origin line\n"), -1;
    snprintf(out->origin, sizeof out->origin, "%.*s", (int)(eol - p), p);
    return 0;
}
