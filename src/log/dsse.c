/*
 * dsse.c: DSSE v1.0 (Dead Simple Signing Envelope) signatures.
 *
 * An envelope's signature is Ed25519 over the Pre-Authentication Encoding of
 * its payload type and payload, never over the payload alone, so that a
 * signature cannot be replayed under another type:
 *
 *   PAE(type, body) = "DSSEv1" SP LEN(type) SP type SP LEN(body) SP body
 *
 * SP is one space (0x20), LEN the length in bytes in ASCII decimal without
 * leading zeros. E.g. PAE("http://example.com/HelloWorld", "hello world") is
 * "DSSEv1 29 http://example.com/HelloWorld 11 hello world".
 */
#include "log/log.h"

#include <string.h>

void dsse_pae(const char *type, const void *payload, size_t len, cm_buf *out)
{
    size_t tlen = strlen(type);
    buf_reserve(out, sizeof "DSSEv1    " + 2 * 20 + tlen + len); /* one allocation */
    buf_printf(out, "DSSEv1 %zu %s %zu ", tlen, type, len);
    buf_append(out, payload, len);
}

void dsse_sign(const log_key *k, const char *type, const void *payload, size_t len,
               uint8_t sig[LOG_SIG_SIZE])
{
    cm_buf m = CM_BUF_INIT;
    dsse_pae(type, payload, len, &m);
    log_sign(k, m.data, m.len, sig);
    buf_free(&m);
}

int dsse_verify(const uint8_t pub[LOG_PUBKEY_SIZE], const char *type, const void *payload,
                size_t len, const uint8_t sig[LOG_SIG_SIZE])
{
    cm_buf m = CM_BUF_INIT;
    dsse_pae(type, payload, len, &m);
    int rc = log_verify(pub, m.data, m.len, sig);
    buf_free(&m);
    return rc;
}
