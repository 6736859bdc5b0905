/*
 * checkpoint.c: C2SP tlog-checkpoint bodies, what a log signs.
 *
 *   <origin>\n           the log's name, unique; also its key's name
 *   <size>\n             the tree size, ASCII decimal, no leading zeros
 *   <base64 root>\n      the RFC 6962 root hash, standard base64 (44 chars)
 *   [<extension>\n]...   optional non-empty lines, ignored here
 *
 * The body is the text of a signed note (note.c); it holds no blank line.
 */
#include "log/log.h"

#include "common/codec.h"

#include <inttypes.h>
#include <string.h>

void checkpoint_body(const log_checkpoint *c, cm_buf *out)
{
    buf_printf(out, "%s\n%" PRIu64 "\n", c->origin, c->size);
    buf_b64(out, c->root.b, LOG_HASH_SIZE);
    buf_putc(out, '\n');
}

/* The line at text[*pos..len) without its "\n"; 0, or -1 if there is no
 * complete line. */
static int take_line(const char *text, size_t len, size_t *pos, const char **line, size_t *n)
{
    if (*pos >= len) return -1;
    const char *nl = memchr(text + *pos, '\n', len - *pos);
    if (!nl) return -1;
    *line = text + *pos;
    *n = (size_t)(nl - *line);
    *pos += *n + 1;
    return 0;
}

int checkpoint_parse(const char *text, size_t len, log_checkpoint *c, cm_error *err)
{
    const char *line;
    size_t n, pos = 0;
    uint64_t size = 0;
    uint8_t root[LOG_HASH_SIZE + 3];
    char origin[NOTE_NAME_MAX];

    if (take_line(text, len, &pos, &line, &n) != 0 || n == 0)
        return cm_fail(err, CM_BAD_REQUEST, "checkpoint.origin", "checkpoint has no origin line");
    if (n >= NOTE_NAME_MAX || memchr(line, '\0', n))
        return cm_fail(err, CM_BAD_REQUEST, "checkpoint.origin",
                       "checkpoint origin is longer than %d bytes or holds a NUL",
                       NOTE_NAME_MAX - 1);
    memcpy(origin, line, n);
    origin[n] = '\0';

    if (take_line(text, len, &pos, &line, &n) != 0 || n == 0 || n > 20 || (line[0] == '0' && n > 1))
        return cm_fail(err, CM_BAD_REQUEST, "checkpoint.size",
                       "checkpoint size is not a decimal number without leading zeros");
    for (size_t i = 0; i < n; i++) {
        unsigned d = (unsigned)(line[i] - '0');
        if (line[i] < '0' || line[i] > '9' || size > (UINT64_MAX - d) / 10)
            return cm_fail(err, CM_BAD_REQUEST, "checkpoint.size",
                           "checkpoint size is not a decimal number below 2^64");
        size = size * 10 + d;
    }

    if (take_line(text, len, &pos, &line, &n) != 0 ||
        b64_decode(line, n, root, sizeof root) != LOG_HASH_SIZE)
        return cm_fail(err, CM_BAD_REQUEST, "checkpoint.root",
                       "checkpoint root is not the base64 of a 32-byte hash");

    while (pos < len) {
        if (take_line(text, len, &pos, &line, &n) != 0)
            return cm_fail(err, CM_BAD_REQUEST, "checkpoint",
                           "checkpoint does not end with a newline");
        if (n == 0)
            return cm_fail(err, CM_BAD_REQUEST, "checkpoint", "checkpoint has an empty line");
    }
    memcpy(c->origin, origin, sizeof origin);
    c->size = size;
    memcpy(c->root.b, root, LOG_HASH_SIZE);
    return 0;
}
