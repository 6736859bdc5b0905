/*
 * codec.h: standard base64 (RFC 4648 section 4, with padding) and lowercase
 * hex: libsodium's constant-time codecs for secrets and encoding, a lookup
 * table for decoding public data.
 */
#ifndef CM_CODEC_H
#define CM_CODEC_H

#include <stddef.h>
#include <stdint.h>

/* Decodes standard padded base64 of exactly len characters into out (cap
 * bytes). Rejects whitespace, missing padding, trailing garbage and a last
 * character whose unused bits are not zero, so that only the canonical
 * encoding of some bytes decodes. Returns the decoded length, or -1. */
long b64_decode(const char *s, size_t len, uint8_t *out, size_t cap);
/* The same for secrets, in constant time (libsodium). */
long b64_decode_secret(const char *s, size_t len, uint8_t *out, size_t cap);

/* The largest decoded size of len characters of base64. */
size_t b64_decoded_max(size_t len);

/* Writes the NUL-terminated base64 of n bytes into out (cap bytes, at least
 * B64_LEN(n) + 1). */
#define B64_LEN(n) ((((n) + 2) / 3) * 4)
void b64_encode(const uint8_t *p, size_t n, char *out, size_t cap);

/* Writes 2n lowercase hex digits and a NUL into out (2n + 1 bytes). */
void hex_encode(const uint8_t *p, size_t n, char *out);

#endif
