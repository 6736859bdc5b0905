/*
 * codec.c: base64 and hex (see codec.h).
 *
 * Secrets (private keys) are decoded by libsodium's constant-time decoder.
 * Everything else is public (payloads, signatures, public keys, hashes)
 * and goes through a lookup table, about ten times faster: base64 of the
 * payloads is a visible share of the cost of a write. Both refuse the same
 * inputs: a length not a multiple of 4, a character outside the alphabet,
 * padding other than at the end of the last quantum, and a last character
 * whose unused bits are not zero.
 */
#include "common/codec.h"

#include <sodium.h>

long b64_decode_secret(const char *s, size_t len, uint8_t *out, size_t cap)
{
    size_t n = 0;
    const char *end = NULL;
    if (len % 4 != 0) return -1;
    /* libsodium 1.0.18 (Debian 12) reads every byte >= 0x80 as '/': refuse
     * them here so that only the base64 alphabet is base64 (found by
     * fuzz_note: a checkpoint root with such a byte was accepted). */
    for (size_t i = 0; i < len; i++)
        if ((unsigned char)s[i] >= 0x80) return -1;
    if (sodium_base642bin(out, cap, s, len, NULL, &n, &end, sodium_base64_VARIANT_ORIGINAL) != 0)
        return -1;
    if (end != s + len) return -1;
    return (long)n;
}

/* The value of each base64 character; 64 for '=', 0xff for the rest. */
static const uint8_t b64_value[256] = {
#define R8(x) x, x, x, x, x, x, x, x
    R8(0xff), R8(0xff), R8(0xff), R8(0xff), R8(0xff), 0xff,     0xff,     0xff,
    62,       0xff,     0xff,     0xff,     63, /* '+' 43, '/' 47 */
    52,       53,       54,       55,       56,       57,       58,       59,
    60,       61,                                                     /* '0'..'9' */
    0xff,     0xff,     0xff,     64,       0xff,     0xff,     0xff, /* '=' 61 */
    0,        1,        2,        3,        4,        5,        6,        7,
    8,        9,        10,       11,       12,       13,       14,       15,
    16,       17,       18,       19,       20,       21,       22,       23,
    24,       25,       0xff,     0xff,     0xff,     0xff,     0xff,     0xff, /* 'A'..'Z' */
    26,       27,       28,       29,       30,       31,       32,       33,
    34,       35,       36,       37,       38,       39,       40,       41,
    42,       43,       44,       45,       46,       47,       48,       49,
    50,       51,       0xff,     0xff,     0xff,     0xff,     0xff, /* 'a'..'z' */
    R8(0xff), R8(0xff), R8(0xff), R8(0xff), R8(0xff), R8(0xff), R8(0xff), R8(0xff),
    R8(0xff), R8(0xff), R8(0xff), R8(0xff), R8(0xff), R8(0xff), R8(0xff), R8(0xff),
#undef R8
};

long b64_decode(const char *s, size_t len, uint8_t *out, size_t cap)
{
    if (len % 4 != 0) return -1;
    const unsigned char *u = (const unsigned char *)s;
    size_t n = 0;
    for (size_t i = 0; i < len; i += 4) {
        uint8_t a = b64_value[u[i]], b = b64_value[u[i + 1]], c = b64_value[u[i + 2]],
                d = b64_value[u[i + 3]];
        if ((a | b | c | d) < 64) { /* four data characters */
            if (cap - n < 3) return -1;
            out[n++] = (uint8_t)(a << 2 | b >> 4);
            out[n++] = (uint8_t)(b << 4 | c >> 2);
            out[n++] = (uint8_t)(c << 6 | d);
            continue;
        }
        /* padding: only in the last quantum, as "x===" never, "xx==" or
         * "xxx=", with the bits the padding leaves over zero */
        if (i + 4 != len || a >= 64 || b >= 64 || d != 64) return -1;
        if (c == 64) {
            if (b & 0x0f || cap - n < 1) return -1;
            out[n++] = (uint8_t)(a << 2 | b >> 4);
        } else {
            if (c > 64 || c & 0x03 || cap - n < 2) return -1;
            out[n++] = (uint8_t)(a << 2 | b >> 4);
            out[n++] = (uint8_t)(b << 4 | c >> 2);
        }
    }
    return (long)n;
}

size_t b64_decoded_max(size_t len)
{
    return len / 4 * 3 + 3;
}

void b64_encode(const uint8_t *p, size_t n, char *out, size_t cap)
{
    sodium_bin2base64(out, cap, p, n, sodium_base64_VARIANT_ORIGINAL);
}

void hex_encode(const uint8_t *p, size_t n, char *out)
{
    sodium_bin2hex(out, 2 * n + 1, p, n);
}
