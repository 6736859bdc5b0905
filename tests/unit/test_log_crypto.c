/*
 * test_log_crypto.c: Ed25519 keys, PKCS#8 PEM, keyids and DSSE (log/key.c,
 * log/dsse.c).
 *
 * RFC 8032 section 7.1's Ed25519 vectors (TEST 1, 2, 3, 1024 and SHA(abc));
 * PEM keys that `openssl genpkey -algorithm ed25519` writes are read, give
 * the public key `openssl pkey -pubout` gives, and are written back byte for
 * byte; openssl reads the PEM written here; every other PEM is refused with
 * a message. DSSE's PAE is the spec's example.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "common/codec.h"
#include "log/log.h"

#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static size_t unhex(const char *hex, uint8_t *out, size_t cap)
{
    size_t n = 0;
    assert_int_equal(sodium_hex2bin(out, cap, hex, strlen(hex), NULL, &n, NULL), 0);
    return n;
}

/* ---- RFC 8032 section 7.1 ------------------------------------------------- */

static const struct {
    const char *name, *seed, *pub, *msg, *sig;
} rfc8032[] = {
    {"TEST 1", "9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60",
     "d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a", "",
     "e5564300c360ac729086e2cc806e828a84877f1eb8e5d974d873e065224901555fb8821590a33bacc61e39701cf9"
     "b46bd25bf5f0595bbe24655141438e7a100b"},
    {"TEST 2", "4ccd089b28ff96da9db6c346ec114e0f5b8a319f35aba624da8cf6ed4fb8a6fb",
     "3d4017c3e843895a92b70aa74d1b7ebc9c982ccf2ec4968cc0cd55f12af4660c", "72",
     "92a009a9f0d4cab8720e820b5f642540a2b27b5416503f8fb3762223ebdb69da085ac1e43e15996e458f3613d0f1"
     "1d8c387b2eaeb4302aeeb00d291612bb0c00"},
    {"TEST 3", "c5aa8df43f9f837bedb7442f31dcb7b166d38535076f094b85ce3a2e0b4458f7",
     "fc51cd8e6218a1a38da47ed00230f0580816ed13ba3303ac5deb911548908025", "af82",
     "6291d657deec24024827e69c3abe01a30ce548a284743a445e3680d7db5ac3ac18ff9b538d16f290ae67f760984d"
     "c6594a7c15e9716ed28dc027beceea1ec40a"},
    {"TEST 1024", "f5e5767cf153319517630f226876b86c8160cc583bc013744c6bf255f5cc0ee5",
     "278117fc144c72340f67d0f2316e8386ceffbf2b2428c9c51fef7c597f1d426e",
     "08b8b2b733424243760fe426a4b54908632110a66c2f6591eabd3345e3e4eb98fa6e264bf09efe12ee50f8f54e9f"
     "77b1e355f6c50544e23fb1433ddf73be84d879de7c0046dc4996d9e773f4bc9efe5738829adb26c81b37c93a1b27"
     "0b20329d658675fc6ea534e0810a4432826bf58c941efb65d57a338bbd2e26640f89ffbc1a858efcb8550ee3a5e1"
     "998bd177e93a7363c344fe6b199ee5d02e82d522c4feba15452f80288a821a579116ec6dad2b3b310da903401aa6"
     "2100ab5d1a36553e06203b33890cc9b832f79ef80560ccb9a39ce767967ed628c6ad573cb116dbefefd75499da96"
     "bd68a8a97b928a8bbc103b6621fcde2beca1231d206be6cd9ec7aff6f6c94fcd7204ed3455c68c83f4a41da4af2b"
     "74ef5c53f1d8ac70bdcb7ed185ce81bd84359d44254d95629e9855a94a7c1958d1f8ada5d0532ed8a5aa3fb2d17b"
     "a70eb6248e594e1a2297acbbb39d502f1a8c6eb6f1ce22b3de1a1f40cc24554119a831a9aad6079cad88425de6bd"
     "e1a9187ebb6092cf67bf2b13fd65f27088d78b7e883c8759d2c4f5c65adb7553878ad575f9fad878e80a0c9ba63b"
     "cbcc2732e69485bbc9c90bfbd62481d9089beccf80cfe2df16a2cf65bd92dd597b0707e0917af48bbb75fed413d2"
     "38f5555a7a569d80c3414a8d0859dc65a46128bab27af87a71314f318c782b23ebfe808b82b0ce26401d2e22f04d"
     "83d1255dc51addd3b75a2b1ae0784504df543af8969be3ea7082ff7fc9888c144da2af58429ec96031dbcad3dad9"
     "af0dcbaaaf268cb8fcffead94f3c7ca495e056a9b47acdb751fb73e666c6c655ade8297297d07ad1ba5e43f1bca3"
     "2301651339e22904cc8c42f58c30c04aafdb038dda0847dd988dcda6f3bfd15c4b4c4525004aa06eeff8ca61783a"
     "acec57fb3d1f92b0fe2fd1a85f6724517b65e614ad6808d6f6ee34dff7310fdc82aebfd904b01e1dc54b2927094b"
     "2db68d6f903b68401adebf5a7e08d78ff4ef5d63653a65040cf9bfd4aca7984a74d37145986780fc0b16ac451649"
     "de6188a7dbdf191f64b5fc5e2ab47b57f7f7276cd419c17a3ca8e1b939ae49e488acba6b965610b5480109c8b17b"
     "80e1b7b750dfc7598d5d5011fd2dcc5600a32ef5b52a1ecc820e308aa342721aac0943bf6686b64b257937650"
     "4ccc493d97e6aed3fb0f9cd71a43dd497f01f17c0e2cb3797aa2a2f256656168e6c496afc5fb93246f6b1116398a"
     "346f1a641f3b041e989f7914f90cc2c7fff357876e506b50d334ba77c225bc307ba537152f3f1610e4eafe595f6d"
     "9d90d11faa933a15ef1369546868a7f3a45a96768d40fd9d03412c091c6315cf4fde7cb68606937380db2eaaa707"
     "b4c4185c32eddcdd306705e4dc1ffc872eeee475a64dfac86aba41c0618983f8741c5ef68d3a101e8a3b8cac60c9"
     "05c15fc910840b94c00a0b9d0",
     "0aab4c900501b3e24d7cdf4663326a3a87df5e4843b2cbdb67cbf6e460fec350aa5371b1508f9f4528ecea23c436"
     "d94b5e8fcd4f681e30a6ac00a9704a188a03"},
    {"TEST SHA(abc)", "833fe62409237b9d62ec77587520911e9a759cec1d19755b7da901b96dca3d42",
     "ec172b93ad5e563bf4932c70e1245034c35467ef2efd4d64ebf819683467e2bf",
     "ddaf35a193617abacc417349ae20413112e6fa4e89a97ea20a9eeee64b55d39a2192992a274fc1a836ba3c23a3fe"
     "ebbd454d4423643ce80e2a9ac94fa54ca49f",
     "dc2a4459e7369633a52b1bf277839a00201009a3efbf3ecb69bea2186c26b58909351fc9ac90b3ecfdfbc7c66431"
     "e0303dca179c138ac17ad9bef1177331a704"},
};

static void test_rfc8032(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof rfc8032 / sizeof rfc8032[0]; i++) {
        uint8_t seed[32], pub[32], sig[64], got[64], msg[1024];
        log_key k;
        assert_int_equal(unhex(rfc8032[i].seed, seed, sizeof seed), 32);
        assert_int_equal(unhex(rfc8032[i].pub, pub, sizeof pub), 32);
        assert_int_equal(unhex(rfc8032[i].sig, sig, sizeof sig), 64);
        size_t n = unhex(rfc8032[i].msg, msg, sizeof msg);
        if (i == 3) assert_int_equal(n, 1023);

        assert_int_equal(log_key_from_seed(&k, seed), 0);
        assert_non_null(k.sk);
        assert_memory_equal(k.pub, pub, 32);
        log_sign(&k, msg, n, got);
        assert_memory_equal(got, sig, 64);
        assert_int_equal(log_verify(pub, msg, n, sig), 0);
        got[i] ^= 1;
        assert_int_equal(log_verify(pub, msg, n, got), -1);
        assert_int_equal(log_verify(pub, "x", 1, sig), -1);
        if (n) {
            msg[n - 1] ^= 0x10;
            assert_int_equal(log_verify(pub, msg, n, sig), -1);
        }
        log_key_free(&k);
        assert_null(k.sk);
    }
}

static void test_keyid(void **state)
{
    (void)state;
    uint8_t pub[32], h[32];
    char id[LOG_KEYID_LEN + 1], want[17];
    unhex(rfc8032[0].pub, pub, sizeof pub);
    log_keyid(pub, id);
    assert_string_equal(id, "21fe31dfa154a261"); /* sha256sum of the 32 bytes, by hand */
    crypto_hash_sha256(h, pub, 32);
    for (int i = 0; i < 8; i++) snprintf(want + 2 * i, 3, "%02x", h[i]);
    assert_string_equal(id, want);
    assert_int_equal(strlen(id), LOG_KEYID_LEN);
}

static void test_generate(void **state)
{
    (void)state;
    log_key a, b;
    uint8_t sig[64];
    assert_int_equal(log_key_generate(&a), 0);
    assert_int_equal(log_key_generate(&b), 0);
    assert_memory_not_equal(a.pub, b.pub, 32);
    assert_memory_equal(a.sk + 32, a.pub, 32); /* libsodium's sk: seed || public */
    log_sign(&a, "m", 1, sig);
    assert_int_equal(log_verify(a.pub, "m", 1, sig), 0);
    assert_int_equal(log_verify(b.pub, "m", 1, sig), -1);
    /* the seed gives the same key back */
    log_key c;
    assert_int_equal(log_key_from_seed(&c, a.sk), 0);
    assert_memory_equal(c.pub, a.pub, 32);
    log_key_free(&a);
    log_key_free(&b);
    log_key_free(&c);
    log_key_free(&c); /* twice is harmless */
}

/* ---- PKCS#8 PEM ----------------------------------------------------------- */

static int have_openssl(void)
{
    return system("openssl version >/dev/null 2>&1") == 0;
}

static size_t run(const char *cmd, char *out, size_t cap)
{
    FILE *p = popen(cmd, "r");
    assert_non_null(p);
    size_t n = fread(out, 1, cap - 1, p);
    out[n] = '\0';
    assert_int_equal(pclose(p), 0);
    return n;
}

/* The public key `openssl pkey -pubout -outform DER` derives from a PEM:
 * the last 32 bytes of the SubjectPublicKeyInfo. */
static void openssl_pub(const char *pem, uint8_t pub[32])
{
    char path[] = "/tmp/test_log_crypto_XXXXXX", cmd[128], der[128];
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    assert_int_equal(write(fd, pem, strlen(pem)), (ssize_t)strlen(pem));
    close(fd);
    snprintf(cmd, sizeof cmd, "openssl pkey -in %s -pubout -outform DER", path);
    size_t n = run(cmd, der, sizeof der);
    unlink(path);
    assert_int_equal(n, 44);
    assert_memory_equal(der, "\x30\x2a\x30\x05\x06\x03\x2b\x65\x70\x03\x21\x00", 12);
    memcpy(pub, der + n - 32, 32);
}

static void test_pem_openssl(void **state)
{
    (void)state;
    if (!have_openssl()) skip();
    for (int i = 0; i < 3; i++) {
        char pem[512], ours[LOG_PEM_MAX];
        uint8_t pub[32];
        log_key k;
        cm_error err;
        size_t n = run("openssl genpkey -algorithm ed25519", pem, sizeof pem);
        assert_true(n > 0);
        assert_int_equal(log_key_from_pem(&k, pem, n, &err), 0);
        openssl_pub(pem, pub);
        assert_memory_equal(k.pub, pub, 32);
        /* written back, byte for byte what openssl wrote */
        log_key_to_pem(&k, ours);
        assert_string_equal(ours, pem);
        log_key_free(&k);
    }
    /* openssl reads what we write */
    uint8_t seed[32], pub[32];
    char pem[LOG_PEM_MAX];
    log_key k;
    unhex(rfc8032[2].seed, seed, sizeof seed);
    assert_int_equal(log_key_from_seed(&k, seed), 0);
    log_key_to_pem(&k, pem);
    openssl_pub(pem, pub);
    assert_memory_equal(pub, k.pub, 32);
    log_key_free(&k);
}

static const char PEM1[] = "-----BEGIN PRIVATE KEY-----\n"
                           "MC4CAQAwBQYDK2VwBCIEIJ1hsZ3v/VpguoRK9JLsLMREScVpezJpGXA7rAMcrn9g\n"
                           "-----END PRIVATE KEY-----\n";

static void pem_ok(const char *pem)
{
    log_key k;
    cm_error err;
    uint8_t pub[32];
    if (log_key_from_pem(&k, pem, strlen(pem), &err) != 0)
        fail_msg("refused (%s): %s", err.message, pem);
    unhex(rfc8032[0].pub, pub, sizeof pub);
    assert_memory_equal(k.pub, pub, 32);
    log_key_free(&k);
}

static void pem_bad(const char *pem)
{
    log_key k;
    cm_error err;
    cm_error_clear(&err);
    if (log_key_from_pem(&k, pem, strlen(pem), &err) == 0) fail_msg("accepted: %s", pem);
    assert_null(k.sk);
    assert_int_equal(err.code, CM_BAD_REQUEST);
    if (!strstr(err.message, "not an Ed25519 PKCS#8 private key"))
        fail_msg("unclear message: %s", err.message);
}

static void test_pem(void **state)
{
    (void)state;
    char pem[LOG_PEM_MAX];
    log_key k;
    uint8_t seed[32];

    unhex(rfc8032[0].seed, seed, sizeof seed);
    assert_int_equal(log_key_from_seed(&k, seed), 0);
    log_key_to_pem(&k, pem);
    assert_string_equal(pem, PEM1);
    assert_true(strlen(pem) < LOG_PEM_MAX);
    log_key_free(&k);

    pem_ok(PEM1);
    pem_ok("-----BEGIN PRIVATE KEY-----\r\n"
           "MC4CAQAwBQYDK2VwBCIEIJ1hsZ3v/VpguoRK9JLsLMREScVpezJpGXA7rAMcrn9g\r\n"
           "-----END PRIVATE KEY-----\r\n");
    pem_ok("-----BEGIN PRIVATE KEY-----\n"
           "MC4CAQAwBQYDK2VwBCIEIJ1hsZ3v/VpguoRK9JLsLMREScVpezJpGXA7rAMcrn9g  \n"
           "-----END PRIVATE KEY----- \t\n\n\r\n  \n");
    pem_ok("-----BEGIN PRIVATE KEY-----\n"
           "MC4CAQAwBQYDK2VwBCIEIJ1hsZ3v/VpguoRK9JLsLMREScVpezJpGXA7rAMcrn9g\n"
           "-----END PRIVATE KEY-----"); /* no final newline */
    pem_ok("\n\n-----BEGIN PRIVATE KEY-----\n"
           "MC4CAQAwBQYDK2VwBCIEIJ1hsZ3v/VpguoRK\n9JLsLMREScVpezJpGXA7rAMcrn9g\n"
           "-----END PRIVATE KEY-----\n");

    pem_bad("");
    pem_bad("\n\n");
    pem_bad("hello");
    pem_bad("MC4CAQAwBQYDK2VwBCIEIJ1hsZ3v/VpguoRK9JLsLMREScVpezJpGXA7rAMcrn9g\n");
    /* another PEM type */
    pem_bad("-----BEGIN EC PRIVATE KEY-----\n"
            "MC4CAQAwBQYDK2VwBCIEIJ1hsZ3v/VpguoRK9JLsLMREScVpezJpGXA7rAMcrn9g\n"
            "-----END EC PRIVATE KEY-----\n");
    pem_bad("-----BEGIN ENCRYPTED PRIVATE KEY-----\n"
            "MC4CAQAwBQYDK2VwBCIEIJ1hsZ3v/VpguoRK9JLsLMREScVpezJpGXA7rAMcrn9g\n"
            "-----END ENCRYPTED PRIVATE KEY-----\n");
    /* an X25519 key (OID 1.3.101.110) */
    pem_bad("-----BEGIN PRIVATE KEY-----\n"
            "MC4CAQAwBQYDK2VuBCIEIJ1hsZ3v/VpguoRK9JLsLMREScVpezJpGXA7rAMcrn9g\n"
            "-----END PRIVATE KEY-----\n");
    /* PKCS#8 v2 with the public key attached */
    pem_bad("-----BEGIN PRIVATE KEY-----\n"
            "MFECAQEwBQYDK2VwBCIEIJ1hsZ3v/VpguoRK9JLsLMREScVpezJpGXA7rAMcrn9ggSEA11qYAYKxCrfVS/7T"
            "yWQHOg7hcvPapiMlrwIaaPcHURo=\n"
            "-----END PRIVATE KEY-----\n");
    /* truncated DER, bad base64, no END, text after END, a blank line inside */
    pem_bad("-----BEGIN PRIVATE KEY-----\n"
            "MC4CAQAwBQYDK2VwBCIEIJ1hsZ3v/VpguoRK9JLsLMREScVpezJpGXA7\n"
            "-----END PRIVATE KEY-----\n");
    pem_bad("-----BEGIN PRIVATE KEY-----\n"
            "MC4CAQAwBQYDK2VwBCIEIJ1hsZ3v/VpguoRK9JLsLMREScVpezJpGXA7rAMcrn9*\n"
            "-----END PRIVATE KEY-----\n");
    pem_bad("-----BEGIN PRIVATE KEY-----\n"
            "MC4CAQAwBQYDK2VwBCIEIJ1hsZ3v/VpguoRK9JLsLMREScVpezJpGXA7rAMcrn9g\n");
    pem_bad("-----BEGIN PRIVATE KEY-----\n"
            "MC4CAQAwBQYDK2VwBCIEIJ1hsZ3v/VpguoRK9JLsLMREScVpezJpGXA7rAMcrn9g\n"
            "-----END PRIVATE KEY-----\nmore\n");
    pem_bad("-----BEGIN PRIVATE KEY-----\n"
            "MC4CAQAwBQYDK2VwBCIEIJ1hsZ3v/VpguoRK\n\n9JLsLMREScVpezJpGXA7rAMcrn9g\n"
            "-----END PRIVATE KEY-----\n");
    pem_bad("-----BEGIN PRIVATE KEY-----\n"
            "MC4CAQAwBQYDK2VwBCIEIJ1hsZ3v/VpguoRK9JLsLMREScVpezJpGXA7rAMcrn9g\n"
            "MC4CAQAwBQYDK2VwBCIEIJ1hsZ3v/VpguoRK9JLsLMREScVpezJpGXA7rAMcrn9g\n"
            "MC4CAQAwBQYDK2VwBCIEIJ1hsZ3v/VpguoRK9JLsLMREScVpezJpGXA7rAMcrn9g\n"
            "-----END PRIVATE KEY-----\n");
    /* the message never echoes what may be key material */
    {
        log_key k3;
        cm_error e;
        const char *bare = "MC4CAQAwBQYDK2VwBCIEIJ1hsZ3v/VpguoRK9JLsLMREScVpezJpGXA7rAMcrn9g\n";
        assert_int_equal(log_key_from_pem(&k3, bare, strlen(bare), &e), -1);
        assert_null(strstr(e.message, "MC4C"));
        const char *ec = "-----BEGIN EC PRIVATE KEY-----\nAAAA\n-----END EC PRIVATE KEY-----\n";
        assert_int_equal(log_key_from_pem(&k3, ec, strlen(ec), &e), -1);
        assert_non_null(strstr(e.message, "BEGIN EC PRIVATE KEY"));
    }
    /* only len bytes are read */
    log_key k2;
    cm_error err;
    assert_int_equal(log_key_from_pem(&k2, PEM1, 40, &err), -1);
}

/* ---- DSSE ------------------------------------------------------------------ */

static void test_dsse(void **state)
{
    (void)state;
    cm_buf b = CM_BUF_INIT;
    dsse_pae("http://example.com/HelloWorld", "hello world", 11, &b);
    assert_string_equal(b.data, "DSSEv1 29 http://example.com/HelloWorld 11 hello world");
    buf_reset(&b);
    dsse_pae("", "", 0, &b);
    assert_string_equal(b.data, "DSSEv1 0  0 ");
    buf_reset(&b);
    buf_puts(&b, "x"); /* appended, not replaced */
    dsse_pae("t", "a\0b", 3, &b);
    assert_int_equal(b.len, 1 + 16);
    assert_memory_equal(b.data, "xDSSEv1 1 t 3 a\0b", 17);

    log_key k;
    uint8_t sig[64], plain[64];
    const char *payload = "{\"type\":\"x\"}";
    size_t n = strlen(payload);
    assert_int_equal(log_key_generate(&k), 0);
    dsse_sign(&k, DSSE_PAYLOAD_TYPE, payload, n, sig);
    assert_int_equal(dsse_verify(k.pub, DSSE_PAYLOAD_TYPE, payload, n, sig), 0);
    /* the signature is over the PAE, not the payload */
    buf_reset(&b);
    dsse_pae(DSSE_PAYLOAD_TYPE, payload, n, &b);
    log_sign(&k, b.data, b.len, plain);
    assert_memory_equal(sig, plain, 64);
    assert_int_equal(log_verify(k.pub, payload, n, sig), -1);
    /* tampering */
    assert_int_equal(dsse_verify(k.pub, "application/json", payload, n, sig), -1);
    assert_int_equal(dsse_verify(k.pub, DSSE_PAYLOAD_TYPE, payload, n - 1, sig), -1);
    assert_int_equal(dsse_verify(k.pub, DSSE_PAYLOAD_TYPE, "{\"type\":\"y\"}", n, sig), -1);
    sig[63] ^= 0x20;
    assert_int_equal(dsse_verify(k.pub, DSSE_PAYLOAD_TYPE, payload, n, sig), -1);
    log_key_free(&k);
    buf_free(&b);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_rfc8032),  cmocka_unit_test(test_keyid),
        cmocka_unit_test(test_generate), cmocka_unit_test(test_pem_openssl),
        cmocka_unit_test(test_pem),      cmocka_unit_test(test_dsse),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
