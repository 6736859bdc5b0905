/*
 * sse.h: reading a text/event-stream (Server-Sent Events) as its bytes
 * come, in pieces of any size (sse.c). Used by the live feed's client
 * (feed_client.c).
 *
 * A line ends with CRLF, LF or CR alone. "data: V" adds V and a newline
 * to the event's data; "id: V" sets the last event id (kept across events,
 * as the stream's own "last event ID"; an id over SSE_ID_MAX bytes or
 * holding NUL is ignored); a line starting with ':' is a comment; other
 * fields ("event", "retry", ...) are read and left. One space after a
 * field's colon is not part of its value; a line with no colon is a field
 * with an empty value. An empty line ends the event, which is given, its
 * data without the last newline, when it has data; an event the stream
 * ends in the middle of is never given.
 */
#ifndef CMCC_CLI_SSE_H
#define CMCC_CLI_SSE_H

#include "common/buf.h"

#include <stddef.h>

#define SSE_ID_MAX   64
#define SSE_LINE_MAX (1 << 20) /* bytes of one line */

typedef struct {
    cm_buf line;             /* the bytes of a line not yet ended */
    cm_buf data;             /* the data lines of the event being read */
    char id[SSE_ID_MAX + 1]; /* the last event id ("" for none) */
    int after_cr;            /* the last line ended with CR: an LF next is its end too */
} sse_reader;

/* One event: the last event id and the data (len bytes, NUL-terminated). */
typedef void (*sse_event_fn)(void *ctx, const char *id, const char *data, size_t len);

/* Reads the next len bytes of the stream, giving each event they end to
 * fn(ctx). 0, or -1 when a line is longer than SSE_LINE_MAX (the stream
 * is then no longer read). */
int sse_read(sse_reader *r, const char *bytes, size_t len, sse_event_fn fn, void *ctx);
/* Forgets a partial line and event (a new stream), keeping the id. */
void sse_restart(sse_reader *r);
void sse_free(sse_reader *r);

#endif
