/*
 * cosig.c: C2SP tlog-cosignature v1, a witness's signature on a checkpoint.
 *
 * The witness signs, with Ed25519, the checkpoint body prefixed by a header
 * that binds the time at which it checked the log:
 *
 *   "cosignature/v1\n"
 *   "time <ts>\n"            ts: seconds since the Unix epoch, ASCII decimal
 *   <checkpoint body>        "<origin>\n<size>\n<base64 root>\n"[extensions]
 *
 * and the signature it publishes is the timestamp and the Ed25519 signature:
 *
 *   +------------------------+------------------------------+
 *   | ts (uint64 big-endian) | Ed25519 signature (64 bytes) |   72 bytes
 *   +------------------------+------------------------------+
 *
 * In a signed note (note.c) it follows the 4-byte key hash of the witness's
 * key, whose type byte is NOTE_KEY_COSIGNATURE (0x04).
 */
#include "log/log.h"

#include <inttypes.h>

static void cosig_message(uint64_t ts, const char *body, size_t len, cm_buf *m)
{
    buf_printf(m, "cosignature/v1\ntime %" PRIu64 "\n", ts);
    buf_append(m, body, len);
}

void cosig_sign(const log_key *k, uint64_t ts, const char *body, size_t len,
                uint8_t out[COSIG_SIG_SIZE])
{
    cm_buf m = CM_BUF_INIT;
    for (int i = 0; i < 8; i++) out[i] = (uint8_t)(ts >> (56 - 8 * i));
    cosig_message(ts, body, len, &m);
    log_sign(k, m.data, m.len, out + 8);
    buf_free(&m);
}

int cosig_verify(const uint8_t pub[LOG_PUBKEY_SIZE], const char *body, size_t len,
                 const uint8_t sig[COSIG_SIG_SIZE], uint64_t *ts)
{
    cm_buf m = CM_BUF_INIT;
    uint64_t t = 0;
    for (int i = 0; i < 8; i++) t = t << 8 | sig[i];
    cosig_message(t, body, len, &m);
    int rc = log_verify(pub, m.data, m.len, sig + 8);
    buf_free(&m);
    if (rc == 0 && ts) *ts = t;
    return rc;
}
