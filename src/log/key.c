/*
 * key.c: Ed25519 signing keys, their PKCS#8 PEM form and their keyids.
 *
 * A key is its 32-byte seed; libsodium expands it to the 64-byte secret key
 * (seed || public key), which lives in sodium_malloc'ed (guarded, locked)
 * memory and is wiped when freed. Signatures are RFC 8032 Ed25519 through
 * crypto_sign_detached; verification is crypto_sign_verify_detached, which
 * also refuses non-canonical signatures and small-order public keys.
 *
 * The PEM form is exactly what `openssl genpkey -algorithm ed25519` writes,
 * RFC 8410 OneAsymmetricKey v1 (PKCS#8) without attributes or public key:
 *
 *   -----BEGIN PRIVATE KEY-----
 *   <base64 of the 48 DER bytes below, on one line of 64 characters>
 *   -----END PRIVATE KEY-----
 *
 *   30 2e                    SEQUENCE, 46 bytes
 *      02 01 00              INTEGER 0 (version v1)
 *      30 05                 SEQUENCE (AlgorithmIdentifier)
 *         06 03 2b 65 70     OBJECT IDENTIFIER 1.3.101.112 (id-Ed25519)
 *      04 22                 OCTET STRING, 34 bytes (privateKey)
 *         04 20 <seed>       OCTET STRING, 32 bytes (CurvePrivateKey)
 *
 * The reader takes LF or CRLF line ends, trailing blanks on a line, blank
 * lines around the block, and base64 split over several lines; any other
 * key type or DER shape is refused.
 *
 * keyid = lowercase hex of the first 8 bytes of SHA-256(public key).
 */
#include "log/log.h"

#include "common/codec.h"

#include <sodium.h>
#include <string.h>

#define PEM_BEGIN      "-----BEGIN PRIVATE KEY-----"
#define PEM_END        "-----END PRIVATE KEY-----"
#define DER_PREFIX_LEN 16
#define DER_LEN        (DER_PREFIX_LEN + LOG_SEED_SIZE)

static const uint8_t der_prefix[DER_PREFIX_LEN] = {0x30, 0x2e, 0x02, 0x01, 0x00, 0x30, 0x05, 0x06,
                                                   0x03, 0x2b, 0x65, 0x70, 0x04, 0x22, 0x04, 0x20};

static int key_alloc(log_key *k)
{
    k->sk = NULL;
    if (sodium_init() < 0) return -1;
    k->sk = sodium_malloc(crypto_sign_SECRETKEYBYTES);
    return k->sk ? 0 : -1;
}

int log_key_from_seed(log_key *k, const uint8_t seed[LOG_SEED_SIZE])
{
    if (key_alloc(k) != 0) return -1;
    crypto_sign_seed_keypair(k->pub, k->sk, seed);
    return 0;
}

int log_key_generate(log_key *k)
{
    if (key_alloc(k) != 0) return -1;
    crypto_sign_keypair(k->pub, k->sk);
    return 0;
}

void log_key_free(log_key *k)
{
    if (k->sk) {
        sodium_memzero(k->sk, crypto_sign_SECRETKEYBYTES);
        sodium_free(k->sk);
    }
    k->sk = NULL;
    memset(k->pub, 0, sizeof k->pub);
}

static int is_blank(char c)
{
    return c == ' ' || c == '\t' || c == '\r';
}

/* The next line of pem[*pos..len), without its line end and trailing
 * blanks. Returns 0, or -1 at the end of the text. */
static int next_line(const char *pem, size_t len, size_t *pos, const char **line, size_t *n)
{
    if (*pos >= len) return -1;
    const char *s = pem + *pos;
    const char *nl = memchr(s, '\n', len - *pos);
    size_t end = nl ? (size_t)(nl - s) : len - *pos;
    *pos += nl ? end + 1 : end;
    while (end > 0 && is_blank(s[end - 1])) end--;
    *line = s;
    *n = end;
    return 0;
}

static int line_is(const char *line, size_t n, const char *want)
{
    return n == strlen(want) && memcmp(line, want, n) == 0;
}

#define PEM_ERR "not an Ed25519 PKCS#8 private key"

int log_key_from_pem(log_key *k, const char *pem, size_t len, cm_error *err)
{
    char b64[128];
    uint8_t der[sizeof b64 / 4 * 3]; /* any base64 that fits b64 */
    size_t b64_len = 0, pos = 0, n = 0;
    const char *line = NULL;
    int rc = -1;

    k->sk = NULL;
    /* blank lines, then the BEGIN line */
    do {
        if (next_line(pem, len, &pos, &line, &n) != 0) {
            cm_fail(err, CM_BAD_REQUEST, "", PEM_ERR ": no \"" PEM_BEGIN "\" line");
            goto done;
        }
    } while (n == 0);
    if (!line_is(line, n, PEM_BEGIN)) {
        /* name another PEM type, but never echo what may be key material */
        if (n > 11 && memcmp(line, "-----BEGIN ", 11) == 0)
            cm_fail(err, CM_BAD_REQUEST, "", PEM_ERR ": found \"%.*s\"", (int)(n < 60 ? n : 60),
                    line);
        else
            cm_fail(err, CM_BAD_REQUEST, "",
                    PEM_ERR ": the text does not start with \"" PEM_BEGIN "\"");
        goto done;
    }
    /* base64 lines up to the END line */
    for (;;) {
        if (next_line(pem, len, &pos, &line, &n) != 0) {
            cm_fail(err, CM_BAD_REQUEST, "", PEM_ERR ": no \"" PEM_END "\" line");
            goto done;
        }
        if (line_is(line, n, PEM_END)) break;
        if (n == 0 || n > sizeof b64 - b64_len) {
            cm_fail(err, CM_BAD_REQUEST, "", PEM_ERR ": %s", n ? "too long" : "blank line in key");
            goto done;
        }
        memcpy(b64 + b64_len, line, n);
        b64_len += n;
    }
    /* nothing but blank lines after it */
    while (next_line(pem, len, &pos, &line, &n) == 0) {
        if (n != 0) {
            cm_fail(err, CM_BAD_REQUEST, "", PEM_ERR ": text after \"" PEM_END "\"");
            goto done;
        }
    }
    long dn = b64_decode_secret(b64, b64_len, der, sizeof der);
    if (dn < 0) {
        cm_fail(err, CM_BAD_REQUEST, "", PEM_ERR ": bad base64");
        goto done;
    }
    if (dn != DER_LEN || memcmp(der, der_prefix, DER_PREFIX_LEN) != 0) {
        cm_fail(err, CM_BAD_REQUEST, "",
                PEM_ERR
                " (expected the 48-byte DER that `openssl genpkey -algorithm ed25519` writes)");
        goto done;
    }
    if (log_key_from_seed(k, der + DER_PREFIX_LEN) != 0) {
        cm_fail(err, CM_INTERNAL, "", "cannot allocate secure memory for a key");
        goto done;
    }
    rc = 0;
done:
    sodium_memzero(b64, sizeof b64);
    sodium_memzero(der, sizeof der);
    return rc;
}

void log_key_to_pem(const log_key *k, char out[LOG_PEM_MAX])
{
    uint8_t der[DER_LEN];
    size_t n = 0;

    memcpy(der, der_prefix, DER_PREFIX_LEN);
    memcpy(der + DER_PREFIX_LEN, k->sk, LOG_SEED_SIZE); /* libsodium's sk starts with the seed */
    memcpy(out, PEM_BEGIN "\n", sizeof PEM_BEGIN);
    n += sizeof PEM_BEGIN;
    b64_encode(der, DER_LEN, out + n, LOG_PEM_MAX - n); /* 64 characters: one line */
    n += B64_LEN(DER_LEN);
    memcpy(out + n, "\n" PEM_END "\n", sizeof PEM_END + 2);
    sodium_memzero(der, sizeof der);
}

void log_keyid(const uint8_t pub[LOG_PUBKEY_SIZE], char out[LOG_KEYID_LEN + 1])
{
    uint8_t h[crypto_hash_sha256_BYTES];
    crypto_hash_sha256(h, pub, LOG_PUBKEY_SIZE);
    hex_encode(h, LOG_KEYID_LEN / 2, out);
}

void log_sign(const log_key *k, const void *msg, size_t len, uint8_t sig[LOG_SIG_SIZE])
{
    crypto_sign_detached(sig, NULL, msg, len, k->sk);
}

int log_verify(const uint8_t pub[LOG_PUBKEY_SIZE], const void *msg, size_t len,
               const uint8_t sig[LOG_SIG_SIZE])
{
    return crypto_sign_verify_detached(sig, msg, len, pub) == 0 ? 0 : -1;
}
