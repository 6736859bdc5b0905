/*
 * codec.c: base64 and hex through libsodium (see codec.h).
 */
#include "common/codec.h"

#include <sodium.h>

long b64_decode(const char *s, size_t len, uint8_t *out, size_t cap)
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
