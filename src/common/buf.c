/*
 * buf.c: the growable byte buffer of buf.h. Capacity doubles; the byte after
 * the data is kept NUL so that text can be read as a C string.
 */
#include "common/buf.h"

#include "common/mem.h"

#include <sodium.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

void buf_reserve(cm_buf *b, size_t extra)
{
    size_t need = b->len + extra + 1;
    if (need <= b->cap) return;
    size_t cap = b->cap ? b->cap : 64;
    while (cap < need) cap *= 2;
    b->data = xrealloc(b->data, cap);
    b->cap = cap;
}

void buf_append(cm_buf *b, const void *p, size_t n)
{
    buf_reserve(b, n);
    if (n) memcpy(b->data + b->len, p, n);
    b->len += n;
    b->data[b->len] = '\0';
}

void buf_puts(cm_buf *b, const char *s)
{
    buf_append(b, s, strlen(s));
}

void buf_putc(cm_buf *b, char c)
{
    buf_append(b, &c, 1);
}

void buf_vprintf(cm_buf *b, const char *fmt, va_list ap)
{
    va_list again;
    va_copy(again, ap);
    int n = vsnprintf(NULL, 0, fmt, ap);
    if (n > 0) {
        buf_reserve(b, (size_t)n);
        vsnprintf(b->data + b->len, (size_t)n + 1, fmt, again);
        b->len += (size_t)n;
    }
    va_end(again);
}

void buf_printf(cm_buf *b, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    buf_vprintf(b, fmt, ap);
    va_end(ap);
}

void buf_json_str(cm_buf *b, const char *s)
{
    buf_json_strn(b, s, strlen(s));
}

void buf_json_strn(cm_buf *b, const char *s, size_t n)
{
    static const char hex[] = "0123456789abcdef";
    buf_reserve(b, n + 2);
    buf_putc(b, '"');
    size_t run = 0; /* start of the pending run of bytes that need no escape */
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c >= 0x20 && c != '"' && c != '\\') continue;
        buf_append(b, s + run, i - run);
        run = i + 1;
        switch (c) {
        case '"':
            buf_puts(b, "\\\"");
            break;
        case '\\':
            buf_puts(b, "\\\\");
            break;
        case '\n':
            buf_puts(b, "\\n");
            break;
        case '\r':
            buf_puts(b, "\\r");
            break;
        case '\t':
            buf_puts(b, "\\t");
            break;
        default: {
            char u[7] = {'\\', 'u', '0', '0', hex[c >> 4], hex[c & 15], 0};
            buf_puts(b, u);
        }
        }
    }
    buf_append(b, s + run, n - run);
    buf_putc(b, '"');
}

void buf_b64(cm_buf *b, const uint8_t *p, size_t n)
{
    size_t m = sodium_base64_encoded_len(n, sodium_base64_VARIANT_ORIGINAL);
    buf_reserve(b, m);
    sodium_bin2base64(b->data + b->len, m, p, n, sodium_base64_VARIANT_ORIGINAL);
    b->len += m - 1;
}

void buf_reset(cm_buf *b)
{
    b->len = 0;
    if (b->data) b->data[0] = '\0';
}

void buf_free(cm_buf *b)
{
    free(b->data);
    b->data = NULL;
    b->len = b->cap = 0;
}

char *buf_take(cm_buf *b)
{
    if (!b->data) buf_reserve(b, 0), b->data[0] = '\0';
    char *p = b->data;
    b->data = NULL;
    b->len = b->cap = 0;
    return p;
}

size_t buf_sink(char *p, size_t size, size_t n, void *ctx)
{
    buf_append(ctx, p, size * n);
    return size * n;
}
