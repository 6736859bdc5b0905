/*
 * sse.c: a text/event-stream read as its bytes come (see sse.h).
 *
 * The bytes go into a buffer of the line not yet ended; each line end
 * found (CR, LF, or CR then LF, which may come in two pieces: after_cr
 * says an LF at the start of the next piece belongs to the CR before it)
 * hands the line to field(), and what follows it is kept for the next
 * piece.
 */
#include "cli/sse.h"

#include <string.h>

static void field(sse_reader *r, const char *s, size_t len, sse_event_fn fn, void *ctx)
{
    if (len == 0) { /* the event ends */
        if (r->data.len) {
            r->data.data[--r->data.len] = '\0'; /* the last data line's newline */
            if (fn) fn(ctx, r->id, r->data.data, r->data.len);
        }
        buf_reset(&r->data);
        return;
    }
    if (s[0] == ':') return; /* a comment */
    const char *colon = memchr(s, ':', len);
    size_t name = colon ? (size_t)(colon - s) : len;
    const char *v = colon ? colon + 1 : s + len;
    size_t vlen = (size_t)(s + len - v);
    if (vlen && *v == ' ') v++, vlen--;
    if (name == 4 && memcmp(s, "data", 4) == 0) {
        buf_append(&r->data, v, vlen);
        buf_putc(&r->data, '\n');
    } else if (name == 2 && memcmp(s, "id", 2) == 0 && vlen <= SSE_ID_MAX &&
               !memchr(v, '\0', vlen)) {
        memcpy(r->id, v, vlen);
        r->id[vlen] = '\0';
    }
}

int sse_read(sse_reader *r, const char *bytes, size_t len, sse_event_fn fn, void *ctx)
{
    if (len && r->after_cr && bytes[0] == '\n') bytes++, len--;
    r->after_cr = 0;
    if (!len) return 0;
    buf_append(&r->line, bytes, len);
    size_t start = 0;
    for (;;) {
        const char *s = r->line.data + start;
        size_t left = r->line.len - start, l = 0;
        while (l < left && s[l] != '\r' && s[l] != '\n') l++;
        if (l == left) break;
        size_t next = start + l + 1;
        if (s[l] == '\r') {
            if (l + 1 < left && s[l + 1] == '\n')
                next++;
            else if (l + 1 == left)
                r->after_cr = 1; /* the LF, if any, comes with the next piece */
        }
        field(r, s, l, fn, ctx);
        start = next;
    }
    if (start) {
        memmove(r->line.data, r->line.data + start, r->line.len - start);
        r->line.len -= start;
        r->line.data[r->line.len] = '\0';
    }
    return r->line.len > SSE_LINE_MAX ? -1 : 0;
}

void sse_restart(sse_reader *r)
{
    buf_reset(&r->line);
    buf_reset(&r->data);
    r->after_cr = 0;
}

void sse_free(sse_reader *r)
{
    buf_free(&r->line);
    buf_free(&r->data);
}
