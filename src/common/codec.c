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
