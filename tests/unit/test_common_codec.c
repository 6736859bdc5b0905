/*
 * test_common_codec.c: standard base64 and hex (common/codec). Strictness
 * first: only the base64 alphabet, padded, nothing after it; then round
 * trips of every length around a group of three.
 */
#include "common/codec.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <string.h>

#include <cmocka.h>

static long decode(const char *s, uint8_t *out, size_t cap)
{
    return b64_decode(s, strlen(s), out, cap);
}

static void test_strict(void **state)
{
    (void)state;
    uint8_t out[16];
    assert_int_equal(decode("", out, sizeof out), 0);
    assert_int_equal(decode("AA==", out, sizeof out), 1);
    assert_int_equal(decode("/+8=", out, sizeof out), 2);
    const char *bad[] = {
        "AA",         /* no padding */
        "AA=",        /* short padding */
        "AA==AA==",   /* data after padding */
        "AA=A",       /* data after padding */
        "A A=",       /* white space */
        "AB==",       /* bits left over: not canonical */
        "AAB=",       /* (of two bytes) */
        "AA==\n",     /* a newline after it */
        "-_8=",       /* the URL-safe alphabet */
        "\x80+8=",    /* libsodium 1.0.18 reads any byte >= 0x80 as '/' */
        "/\xd9/=",    /* (found by fuzz_note) */
        "\xc3\xa9//", /* UTF-8 for U+00E9 */
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        if (decode(bad[i], out, sizeof out) >= 0) fail_msg("accepted bad[%zu]", i);
    }
}

/* The table decoder and libsodium's agree on every string over an
 * alphabet with the edge cases: all of length 4, and many of 8 and 12. */
static void test_table_agrees_with_libsodium(void **state)
{
    (void)state;
    static const char alpha[] = "AQgw+/9=-a \x80\xff";
    const size_t na = sizeof alpha - 1;
    char s[13];
    uint8_t o1[16], o2[16];
    unsigned long seed = 12345;
    for (int len = 4; len <= 12; len += 4) {
        size_t count = len == 4 ? na * na * na * na : 200000;
        for (size_t k = 0; k < count; k++) {
            size_t x = k;
            for (int i = 0; i < len; i++) {
                if (len == 4) {
                    s[i] = alpha[x % na];
                    x /= na;
                } else {
                    seed = seed * 6364136223846793005UL + 1442695040888963407UL;
                    /* mostly valid characters, so that long valid prefixes occur */
                    s[i] = alpha[(seed >> 33) % (i < len - 2 ? 7 : na)];
                }
            }
            s[len] = '\0';
            long a = b64_decode(s, (size_t)len, o1, sizeof o1);
            long b = b64_decode_secret(s, (size_t)len, o2, sizeof o2);
            if ((a < 0) != (b < 0) || (a >= 0 && (a != b || memcmp(o1, o2, (size_t)a) != 0)))
                fail_msg("\"%s\": table %ld, libsodium %ld", s, a, b);
        }
    }
    /* a buffer too small is refused, not overrun */
    assert_int_equal(b64_decode("QUJD", 4, o1, 2), -1);
    assert_int_equal(b64_decode("QUI=", 4, o1, 1), -1);
    assert_int_equal(b64_decode("QUI=", 4, o1, 2), 2);
}

static void test_round_trip(void **state)
{
    (void)state;
    uint8_t in[10], out[16];
    char b64[B64_LEN(sizeof in) + 1];
    for (size_t i = 0; i < sizeof in; i++) in[i] = (uint8_t)(0xf0 + i);
    for (size_t n = 0; n <= sizeof in; n++) {
        b64_encode(in, n, b64, sizeof b64);
        assert_int_equal(strlen(b64), B64_LEN(n));
        assert_int_equal(decode(b64, out, sizeof out), (long)n);
        assert_memory_equal(out, in, n);
    }
    char hex[2 * 3 + 1];
    hex_encode((const uint8_t *)"\x00\xab\xff", 3, hex);
    assert_string_equal(hex, "00abff");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_strict),
        cmocka_unit_test(test_table_agrees_with_libsodium),
        cmocka_unit_test(test_round_trip),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
