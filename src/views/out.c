/*
 * out.c: the values of the supply and registry answers, written exactly
 * as the read API has always written them (when SQLite's JSON functions
 * made them), so that a client sees the same bytes:
 *
 *   strings   '"' and '\' escaped, \b \t \n \f \r by name, any other
 *             control character as \u00xx; everything else as it is
 *   reals     15 significant digits, always with a fraction or an exponent
 *             (25.0, 0.5, 1.0e+20)
 *   times     "YYYY-MM-DDTHH:MM:SSZ", whole seconds, UTC
 *
 * tests/unit/test_views_supply.c checks the first two against SQLite.
 */
#include "views/book.h"

#include "common/timeutil.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

void views_str(cm_buf *out, const char *s)
{
    if (!s) {
        buf_puts(out, "null");
        return;
    }
    static const char named[32] = {
        ['\b'] = 'b', ['\t'] = 't', ['\n'] = 'n', ['\f'] = 'f', ['\r'] = 'r'};
    buf_putc(out, '"');
    const char *run = s;
    for (; *s; s++) {
        unsigned char c = (unsigned char)*s;
        if (c >= 0x20 && c != '"' && c != '\\') continue;
        buf_append(out, run, (size_t)(s - run));
        run = s + 1;
        if (c == '"' || c == '\\')
            buf_printf(out, "\\%c", c);
        else if (named[c])
            buf_printf(out, "\\%c", named[c]);
        else
            buf_printf(out, "\\u00%c%c", "0123456789abcdef"[c >> 4], "0123456789abcdef"[c & 15]);
    }
    buf_append(out, run, (size_t)(s - run));
    buf_putc(out, '"');
}

void views_kv_str(cm_buf *out, const char *key, const char *s)
{
    buf_printf(out, ",\"%s\":", key);
    views_str(out, s);
}

void views_kv_int(cm_buf *out, const char *key, long long v)
{
    buf_printf(out, ",\"%s\":%lld", key, v);
}

void views_real(cm_buf *out, double v)
{
    char t[40];
    if (!isfinite(v)) {
        buf_puts(out, "null");
        return;
    }
    snprintf(t, sizeof t, "%.15g", v);
    char *e = strchr(t, 'e');
    if (e && !memchr(t, '.', (size_t)(e - t))) {
        buf_append(out, t, (size_t)(e - t));
        buf_printf(out, ".0%s", e);
    } else {
        buf_puts(out, t);
        if (!e && !strchr(t, '.')) buf_puts(out, ".0");
    }
}

void views_time(cm_buf *out, int64_t ms)
{
    char t[32];
    time_format_s(ms, t, sizeof t);
    buf_printf(out, "\"%s\"", t);
}

void views_day(int64_t ms, char day[11])
{
    char t[32];
    time_format_s(ms, t, sizeof t);
    memcpy(day, t, 10);
    day[10] = '\0';
}

void views_totals_json(cm_buf *out, const views_totals *t)
{
    buf_printf(out,
               ",\"declared\":%lld,\"approved\":%lld,\"entered\":%lld,\"held\":%lld,"
               "\"pending\":%lld,\"distributed\":%lld,\"lost\":%lld,\"unaccounted\":%lld",
               t->declared, t->approved, t->entered, t->held, t->pending, t->distributed, t->lost,
               t->unaccounted);
}

int views_array_add(void *ctx, const char *json, size_t len)
{
    views_array *a = ctx;
    if (a->n++) buf_putc(a->out, ',');
    buf_append(a->out, json, len);
    return 0;
}
