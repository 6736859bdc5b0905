/*
 * hash.c: the RFC 6962 (RFC 9162 section 2.1.1) hashes of a Merkle tree.
 *
 *   leaf hash  = SHA-256(0x00 || entry)
 *   node hash  = SHA-256(0x01 || left hash || right hash)
 *   empty root = SHA-256("")
 *
 * The one-byte prefixes keep a leaf from ever being taken for a node (second
 * preimage). SHA-256 is libsodium's crypto_hash_sha256.
 */
#include "log/log.h"

#include <sodium.h>
#include <string.h>

void log_leaf_hash(const void *entry, size_t len, log_hash *out)
{
    static const uint8_t prefix = 0x00;
    crypto_hash_sha256_state st;
    crypto_hash_sha256_init(&st);
    crypto_hash_sha256_update(&st, &prefix, 1);
    crypto_hash_sha256_update(&st, entry, len);
    crypto_hash_sha256_final(&st, out->b);
}

void log_node_hash(const log_hash *left, const log_hash *right, log_hash *out)
{
    uint8_t in[1 + 2 * LOG_HASH_SIZE];
    in[0] = 0x01;
    memcpy(in + 1, left->b, LOG_HASH_SIZE);
    memcpy(in + 1 + LOG_HASH_SIZE, right->b, LOG_HASH_SIZE);
    crypto_hash_sha256(out->b, in, sizeof in);
}

void log_empty_root(log_hash *out)
{
    crypto_hash_sha256(out->b, NULL, 0);
}
