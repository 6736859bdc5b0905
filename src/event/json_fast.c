/*
 * json_fast.c: a quicker parse of the plain JSON most payloads are, with
 * jansson as the judge of everything else.
 *
 * jansson reads its input a character at a time through a callback, saves
 * each one into a buffer and copies each string out again: about 3 µs for
 * a 200-byte payload, which is a tenth of a replay's work once the
 * signatures are checked in parallel. Most payloads are plain: ASCII
 * strings without escapes, numbers, true, false, null, objects and arrays,
 * with or without spaces. This parser builds the same jansson tree for
 * those (the same values, keys in the same order) and gives up on
 * anything else, leaving it to json_loadb, whose answer (the tree or the
 * error) is then the only one given. So it accepts nothing jansson refuses
 * and names no error of its own:
 *
 *   - a string with a byte under 0x20 or over 0x7e, or a backslash: given
 *     up (escapes, control characters, UTF-8 are jansson's to judge);
 *   - a number: the JSON grammar checked here, then an integer (no '.',
 *     'e' or 'E') read by strtoll and a real by strtod, as jansson does
 *     (one of at most 15 digits and no exponent computed to the same
 *     double instead: plain_decimal);
 *     an integer out of range, a real that overflows, one of more than 63
 *     characters, or one strtod does not read whole (another locale's
 *     decimal point): given up;
 *   - a repeated key in an object: given up (jansson refuses it with
 *     JSON_REJECT_DUPLICATES);
 *   - nesting deeper than FAST_DEPTH, anything after the top-level value
 *     but white space, a top level that is not an object: given up.
 *
 * The values come from jansson's constructors, so from the arena when one
 * is in use (json_arena.c) like the ones json_loadb makes.
 */
#include "event/event.h"

#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#define FAST_DEPTH 32

typedef struct {
    const char *s, *end;
} cursor;

static void skip_ws(cursor *c)
{
    while (c->s < c->end && (*c->s == ' ' || *c->s == '\n' || *c->s == '\r' || *c->s == '\t'))
        c->s++;
}

/* A string's characters after its opening quote, up to the closing one
 * (which is passed); NULL to give up. */
static const char *plain_string(cursor *c, size_t *len)
{
    const char *start = c->s;
    while (c->s < c->end) {
        unsigned char ch = (unsigned char)*c->s;
        if (ch == '"') {
            *len = (size_t)(c->s - start);
            c->s++;
            return start;
        }
        if (ch < 0x20 || ch > 0x7e || ch == '\\') return NULL;
        c->s++;
    }
    return NULL;
}

static int is_digit(const char *p, const char *end)
{
    return p < end && *p >= '0' && *p <= '9';
}

/* A real of the form -?DIGITS.DIGITS with at most 15 digits in all, as
 * strtod reads it: the digits as an integer below 2^53 and ten to the
 * number of decimals (at most 15) are both exact doubles, so their
 * quotient, rounded once by the division, is the correctly rounded value
 * strtod gives (Clinger's fast path). 0 for any other text. */
static int plain_decimal(const char *t, size_t n, double *out)
{
    static const double tens[] = {1e0, 1e1, 1e2,  1e3,  1e4,  1e5,  1e6,  1e7,
                                  1e8, 1e9, 1e10, 1e11, 1e12, 1e13, 1e14, 1e15};
    size_t i = t[0] == '-', digits = 0, decimals = 0;
    int point = 0;
    uint64_t m = 0;
    for (; i < n; i++) {
        if (t[i] == '.' && !point) {
            point = 1;
            continue;
        }
        if (t[i] < '0' || t[i] > '9' || ++digits > 15) return 0;
        m = m * 10 + (uint64_t)(t[i] - '0');
        decimals += (size_t)point;
    }
    if (!point) return 0;
    double d = (double)m / tens[decimals];
    *out = t[0] == '-' ? -d : d;
    return 1;
}

static json_t *number(cursor *c)
{
    const char *p = c->s, *end = c->end;
    int real = 0;
    if (p < end && *p == '-') p++;
    if (!is_digit(p, end)) return NULL;
    if (*p == '0') {
        p++;
        if (is_digit(p, end)) return NULL; /* a leading zero */
    } else
        while (is_digit(p, end)) p++;
    if (p < end && *p == '.') {
        real = 1;
        p++;
        if (!is_digit(p, end)) return NULL;
        while (is_digit(p, end)) p++;
    }
    if (p < end && (*p == 'e' || *p == 'E')) {
        real = 1;
        p++;
        if (p < end && (*p == '+' || *p == '-')) p++;
        if (!is_digit(p, end)) return NULL;
        while (is_digit(p, end)) p++;
    }
    char text[64];
    size_t n = (size_t)(p - c->s);
    if (n >= sizeof text) return NULL;
    memcpy(text, c->s, n);
    text[n] = '\0';
    char *stop = NULL;
    errno = 0;
    json_t *v = NULL;
    if (!real) {
        long long i = strtoll(text, &stop, 10);
        if (errno != ERANGE && stop == text + n) v = json_integer(i);
    } else {
        double d;
        if (plain_decimal(text, n, &d)) {
            v = json_real(d);
        } else {
            d = strtod(text, &stop);
            if (!(errno == ERANGE && (d > 1.0 || d < -1.0)) && stop == text + n) v = json_real(d);
        }
    }
    if (v) c->s = p;
    return v;
}

static int literal(cursor *c, const char *word, size_t n)
{
    if ((size_t)(c->end - c->s) < n || memcmp(c->s, word, n) != 0) return 0;
    c->s += n;
    return 1;
}

static json_t *value(cursor *c, int depth);

/* Whether key (len bytes) is one of the n first keys kept in seen; past
 * SEEN_MAX keys, the object is asked. */
#define SEEN_MAX 16
typedef struct {
    const char *key;
    size_t len;
} seen_key;

static int repeated(const json_t *o, seen_key *seen, size_t n, const char *key, size_t len)
{
    if (n > SEEN_MAX) return json_object_getn(o, key, len) != NULL;
    for (size_t i = 0; i < n; i++)
        if (seen[i].len == len && memcmp(seen[i].key, key, len) == 0) return 1;
    return 0;
}

static json_t *object(cursor *c, int depth)
{
    json_t *o = json_object();
    if (!o) return NULL;
    skip_ws(c);
    if (c->s < c->end && *c->s == '}') {
        c->s++;
        return o;
    }
    seen_key seen[SEEN_MAX];
    for (size_t n = 0;; n++) {
        size_t klen;
        const char *key;
        if (c->s >= c->end || *c->s != '"') break;
        c->s++;
        if (!(key = plain_string(c, &klen)) || repeated(o, seen, n, key, klen)) break;
        if (n < SEEN_MAX) seen[n] = (seen_key){key, klen};
        skip_ws(c);
        if (c->s >= c->end || *c->s != ':') break;
        c->s++;
        json_t *v = value(c, depth);
        if (!v || json_object_setn_new_nocheck(o, key, klen, v)) break;
        skip_ws(c);
        if (c->s < c->end && *c->s == '}') {
            c->s++;
            return o;
        }
        if (c->s >= c->end || *c->s != ',') break;
        c->s++;
        skip_ws(c);
    }
    json_decref(o);
    return NULL;
}

static json_t *array(cursor *c, int depth)
{
    json_t *a = json_array();
    if (!a) return NULL;
    skip_ws(c);
    if (c->s < c->end && *c->s == ']') {
        c->s++;
        return a;
    }
    for (;;) {
        json_t *v = value(c, depth);
        if (!v || json_array_append_new(a, v)) break;
        skip_ws(c);
        if (c->s < c->end && *c->s == ']') {
            c->s++;
            return a;
        }
        if (c->s >= c->end || *c->s != ',') break;
        c->s++;
    }
    json_decref(a);
    return NULL;
}

/* A value after optional white space; NULL to give up. */
static json_t *value(cursor *c, int depth)
{
    skip_ws(c);
    if (c->s >= c->end) return NULL;
    switch (*c->s) {
    case '{':
        if (depth >= FAST_DEPTH) return NULL;
        c->s++;
        return object(c, depth + 1);
    case '[':
        if (depth >= FAST_DEPTH) return NULL;
        c->s++;
        return array(c, depth + 1);
    case '"': {
        size_t len;
        c->s++;
        const char *s = plain_string(c, &len);
        return s ? json_stringn_nocheck(s, len) : NULL;
    }
    case 't':
        return literal(c, "true", 4) ? json_true() : NULL;
    case 'f':
        return literal(c, "false", 5) ? json_false() : NULL;
    case 'n':
        return literal(c, "null", 4) ? json_null() : NULL;
    default:
        return number(c);
    }
}

json_t *ev_json_parse_plain(const char *data, size_t len)
{
    cursor c = {data, data + len};
    skip_ws(&c);
    if (c.s >= c.end || *c.s != '{') return NULL;
    json_t *j = value(&c, 0);
    if (!j) return NULL;
    skip_ws(&c);
    if (c.s != c.end) {
        json_decref(j);
        return NULL;
    }
    return j;
}
