/*
 * buf.h: a growable byte buffer, used to build entries, responses and notes.
 *
 * data is always NUL-terminated after len bytes (the NUL is not counted), so
 * a buffer of text can be used as a C string. Growth goes through xrealloc
 * (see mem.h): appending never fails.
 */
#ifndef CM_BUF_H
#define CM_BUF_H

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

typedef struct {
    char *data; /* owned; NULL until the first append */
    size_t len;
    size_t cap;
} cm_buf;

#define CM_BUF_INIT                                                                                \
    {                                                                                              \
        NULL, 0, 0                                                                                 \
    }

void buf_reserve(cm_buf *b, size_t extra);
void buf_append(cm_buf *b, const void *p, size_t n);
/* Appends size * n bytes at p to the cm_buf ctx and returns that count: the
 * shape of a libcurl write callback (CURLOPT_WRITEFUNCTION). */
size_t buf_sink(char *p, size_t size, size_t n, void *ctx);
void buf_puts(cm_buf *b, const char *s);
void buf_putc(cm_buf *b, char c);
void buf_printf(cm_buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void buf_vprintf(cm_buf *b, const char *fmt, va_list ap) __attribute__((format(printf, 2, 0)));
/* Appends s as a JSON string literal, quotes included, escaping as needed. */
void buf_json_str(cm_buf *b, const char *s);
void buf_json_strn(cm_buf *b, const char *s, size_t n);
/* Appends standard base64 (with padding) of n bytes. */
void buf_b64(cm_buf *b, const uint8_t *p, size_t n);
void buf_reset(cm_buf *b); /* len = 0, keeps the memory */
void buf_free(cm_buf *b);  /* frees and resets to CM_BUF_INIT */
/* Hands the data to the caller (who frees it) and resets the buffer. */
char *buf_take(cm_buf *b);

#endif
