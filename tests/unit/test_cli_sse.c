/*
 * test_cli_sse.c: the text/event-stream reader of the live feed's client
 * (cli/sse.c): line ends of every kind, fields, comments, ids, events cut
 * by the stream's end, and the same events whatever pieces the bytes come
 * in.
 */
#include "cli/sse.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

/* The events given, one "id|data" line each. */
typedef struct {
    char out[4096];
    size_t n;
} seen;

static void record(void *ctx, const char *id, const char *data, size_t len)
{
    seen *s = ctx;
    assert_int_equal(strlen(data), len);
    s->n++;
    size_t used = strlen(s->out);
    snprintf(s->out + used, sizeof s->out - used, "%s|%s\n", id, data);
}

/* The events of text read in pieces of at most step bytes (0: whole). */
static void read_in(const char *text, size_t step, seen *s)
{
    sse_reader r = {0};
    memset(s, 0, sizeof *s);
    size_t len = strlen(text);
    for (size_t at = 0; at < len;) {
        size_t n = step && len - at > step ? step : len - at;
        assert_int_equal(sse_read(&r, text + at, n, record, s), 0);
        at += n;
    }
    sse_free(&r);
}

static const char *events(const char *text)
{
    static seen s;
    read_in(text, 0, &s);
    return s.out;
}

static void test_line_ends(void **state)
{
    (void)state;
    const char *want = "5|{\"a\":1}\n6|x\ny\n";
    assert_string_equal(events("id: 5\ndata: {\"a\":1}\n\nid: 6\ndata: x\ndata: y\n\n"), want);
    assert_string_equal(
        events("id: 5\r\ndata: {\"a\":1}\r\n\r\nid: 6\r\ndata: x\r\ndata: y\r\n\r\n"), want);
    assert_string_equal(events("id: 5\rdata: {\"a\":1}\r\rid: 6\rdata: x\rdata: y\r\r"), want);
    assert_string_equal(events("id: 5\rdata: {\"a\":1}\n\r\nid: 6\r\ndata: x\ndata: y\r\r"), want);
}

static void test_fields(void **state)
{
    (void)state;
    /* comments, other fields, an event with no data, one space dropped */
    assert_string_equal(events(": heartbeat\n\nevent: entry\nretry: 10\ndata:x\n\n"), "|x\n");
    assert_string_equal(events("data:  two spaces\n\n"), "| two spaces\n");
    assert_string_equal(events("id: 7\n\ndata: after\n\n"), "7|after\n");
    /* a field with no colon has an empty value: an event with empty data */
    assert_string_equal(events("data\n\n"), "|\n");
    assert_string_equal(events("data\ndata\n\n"), "|\n\n");
    /* the id is kept from event to event, and an id too long is left */
    char longid[200] = "id: ";
    memset(longid + 4, '9', SSE_ID_MAX + 1);
    strcat(longid, "\ndata: b\n\n");
    char text[400];
    snprintf(text, sizeof text, "id: 3\ndata: a\n\n%s", longid);
    assert_string_equal(events(text), "3|a\n3|b\n");
    /* an event the stream ends in the middle of is never given */
    assert_string_equal(events("data: whole\n\ndata: cut\n"), "|whole\n");
    assert_string_equal(events("data: cut"), "");
}

/* Every way of cutting a stream into pieces gives the same events: a CR
 * at the end of one piece and its LF at the start of the next are one
 * line end, not two (which would end an event early). */
static void test_pieces(void **state)
{
    (void)state;
    static const char *const streams[] = {
        "id: 1\r\ndata: a\r\ndata: b\r\n\r\n: hb\r\n\r\nid: 2\r\ndata: c\r\n\r\n",
        "id: 1\ndata: a\ndata: b\n\n: hb\n\nid: 2\ndata: c\n\n",
        "id: 1\rdata: a\rdata: b\r\r: hb\r\rid: 2\rdata: c\r\r",
    };
    for (size_t k = 0; k < sizeof streams / sizeof *streams; k++) {
        seen whole, piece;
        read_in(streams[k], 0, &whole);
        assert_string_equal(whole.out, "1|a\nb\n2|c\n");
        for (size_t step = 1; step < strlen(streams[k]); step++) {
            read_in(streams[k], step, &piece);
            assert_string_equal(piece.out, whole.out);
        }
        /* two pieces cut at every point */
        size_t len = strlen(streams[k]);
        for (size_t cut = 1; cut < len; cut++) {
            sse_reader r = {0};
            memset(&piece, 0, sizeof piece);
            assert_int_equal(sse_read(&r, streams[k], cut, record, &piece), 0);
            assert_int_equal(sse_read(&r, streams[k] + cut, len - cut, record, &piece), 0);
            assert_string_equal(piece.out, whole.out);
            sse_free(&r);
        }
    }
}

static void test_restart_and_limits(void **state)
{
    (void)state;
    seen s;
    memset(&s, 0, sizeof s);
    sse_reader r = {0};
    /* a new stream forgets the partial event but keeps the id */
    assert_int_equal(sse_read(&r, "id: 4\ndata: one\n\ndata: half", 27, record, &s), 0);
    sse_restart(&r);
    assert_int_equal(sse_read(&r, "data: two\n\n", 11, record, &s), 0);
    assert_string_equal(s.out, "4|one\n4|two\n");
    /* a line longer than SSE_LINE_MAX is refused */
    size_t big = SSE_LINE_MAX + 2;
    char *line = malloc(big);
    assert_non_null(line);
    memset(line, 'x', big);
    assert_int_equal(sse_read(&r, line, big, record, &s), -1);
    free(line);
    sse_free(&r);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_line_ends),
        cmocka_unit_test(test_fields),
        cmocka_unit_test(test_pieces),
        cmocka_unit_test(test_restart_and_limits),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
