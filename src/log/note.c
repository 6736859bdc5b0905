/*
 * note.c: C2SP signed-note v1, the signed text a checkpoint travels in.
 *
 * A note is UTF-8 text without ASCII control characters other than "\n":
 *
 *   <text>                 one or more lines, each ending in "\n", none blank
 *   \n                     a blank line
 *   — <name> <base64>\n    one or more signature lines ("—" is U+2014,
 *   ...                    bytes e2 80 94, then a space)
 *
 * where base64 is standard, padded, of
 *
 *   +------------------------+--------------------------------------+
 *   | key hash (4 bytes, BE) | signature (64 bytes for type 0x01,   |
 *   |                        | 72 = timestamp || sig for type 0x04) |
 *   +------------------------+--------------------------------------+
 *
 *   key hash = SHA-256(name || "\n" || type || public key)[0:4]
 *
 * The signature covers the text alone (the blank line and the signature
 * lines are not signed): Ed25519 over the text for type 0x01, or the C2SP
 * cosignature/v1 message over the text for type 0x04 (cosig.c).
 *
 * A name is non-empty UTF-8 with no white space (Unicode's) and no "+".
 * Key strings, as Go's golang.org/x/mod/sumdb/note writes them:
 *
 *   verifier: <name>+<key hash, 8 hex>+<base64(type || public key)>
 *   signer:   PRIVATE+KEY+<name>+<key hash, 8 hex>+<base64(0x01 || seed)>
 *
 * Opening follows Go's note.Open: the text ends at the last blank line;
 * every signature line must be well formed; a line whose name and key hash
 * match a known verifier must verify (a repeat of it is skipped); lines of
 * unknown keys are counted and ignored; at least one known key must sign.
 */
#include "log/log.h"

#include "common/codec.h"
#include "common/mem.h"

#include <sodium.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#define SIG_PREFIX     "\xe2\x80\x94 " /* "— " */
#define SIG_PREFIX_LEN 4
#define MAX_SIG_LINES  100 /* as Go, so that parsing a note stays cheap */

/* Decodes the UTF-8 character at s[*i] (Go's rules: no overlong forms, no
 * surrogates, at most U+10FFFF). Returns it, or -1 when the bytes are not
 * UTF-8. */
static long utf8_next(const uint8_t *s, size_t len, size_t *i)
{
    uint8_t c = s[*i];
    size_t need;
    long cp;
    uint8_t lo = 0x80, hi = 0xbf;

    if (c < 0x80) {
        (*i)++;
        return c;
    }
    if (c >= 0xc2 && c <= 0xdf) {
        need = 1;
        cp = c & 0x1f;
    } else if (c >= 0xe0 && c <= 0xef) {
        need = 2;
        cp = c & 0x0f;
        if (c == 0xe0) lo = 0xa0;
        if (c == 0xed) hi = 0x9f;
    } else if (c >= 0xf0 && c <= 0xf4) {
        need = 3;
        cp = c & 0x07;
        if (c == 0xf0) lo = 0x90;
        if (c == 0xf4) hi = 0x8f;
    } else {
        return -1;
    }
    if (len - *i <= need) return -1;
    for (size_t k = 1; k <= need; k++) {
        uint8_t b = s[*i + k];
        if (k == 1 ? (b < lo || b > hi) : (b < 0x80 || b > 0xbf)) return -1;
        cp = cp << 6 | (b & 0x3f);
    }
    *i += need + 1;
    return cp;
}

/* 0 when s is UTF-8 without control characters other than "\n". */
static int check_text(const char *s, size_t len)
{
    for (size_t i = 0; i < len;) {
        long c = utf8_next((const uint8_t *)s, len, &i);
        if (c < 0 || (c < 0x20 && c != '\n')) return -1;
    }
    return 0;
}

/* Go's unicode.IsSpace. */
static int is_space(long c)
{
    return (c >= 0x09 && c <= 0x0d) || c == 0x20 || c == 0x85 || c == 0xa0 || c == 0x1680 ||
           (c >= 0x2000 && c <= 0x200a) || c == 0x2028 || c == 0x2029 || c == 0x202f ||
           c == 0x205f || c == 0x3000;
}

/* Go's note.isValidName: non-empty UTF-8, no white space, no "+". */
static int valid_name(const char *s, size_t len)
{
    if (len == 0) return 0;
    for (size_t i = 0; i < len;) {
        long c = utf8_next((const uint8_t *)s, len, &i);
        if (c < 0 || is_space(c) || c == '+') return 0;
    }
    return 1;
}

uint32_t note_key_hash(const char *name, uint8_t type, const uint8_t pub[LOG_PUBKEY_SIZE])
{
    crypto_hash_sha256_state st;
    uint8_t h[crypto_hash_sha256_BYTES];
    crypto_hash_sha256_init(&st);
    crypto_hash_sha256_update(&st, (const uint8_t *)name, strlen(name));
    crypto_hash_sha256_update(&st, (const uint8_t *)"\n", 1);
    crypto_hash_sha256_update(&st, &type, 1);
    crypto_hash_sha256_update(&st, pub, LOG_PUBKEY_SIZE);
    crypto_hash_sha256_final(&st, h);
    return (uint32_t)h[0] << 24 | (uint32_t)h[1] << 16 | (uint32_t)h[2] << 8 | h[3];
}

void note_verifier_from_key(const log_key *k, const char *name, uint8_t type, note_verifier *v)
{
    size_t n = strlen(name);
    if (n >= NOTE_NAME_MAX) n = NOTE_NAME_MAX - 1;
    memcpy(v->name, name, n);
    v->name[n] = '\0';
    v->type = type;
    memcpy(v->pub, k->pub, LOG_PUBKEY_SIZE);
    v->hash = note_key_hash(v->name, type, v->pub);
}

/* Splits s at its first '+': OUT the part before it; s moves past it.
 * -1 when there is none. */
static int chop_plus(const char **s, const char **part, size_t *n)
{
    const char *p = strchr(*s, '+');
    if (!p) return -1;
    *part = *s;
    *n = (size_t)(p - *s);
    *s = p + 1;
    return 0;
}

/* Exactly 8 hex digits (either case, as Go's strconv.ParseUint). */
static int parse_hash(const char *s, size_t n, uint32_t *out)
{
    uint32_t v = 0;
    if (n != 8) return -1;
    for (size_t i = 0; i < n; i++) {
        char c = s[i];
        uint32_t d;
        if (c >= '0' && c <= '9')
            d = (uint32_t)(c - '0');
        else if (c >= 'a' && c <= 'f')
            d = (uint32_t)(c - 'a' + 10);
        else if (c >= 'A' && c <= 'F')
            d = (uint32_t)(c - 'A' + 10);
        else
            return -1;
        v = v << 4 | d;
    }
    *out = v;
    return 0;
}

int note_verifier_parse(const char *vkey, note_verifier *v, cm_error *err)
{
    const char *s = vkey, *name, *hex;
    size_t name_len, hex_len;
    uint8_t key[1 + LOG_PUBKEY_SIZE + 2];
    uint32_t hash;
    note_verifier r;

    if (chop_plus(&s, &name, &name_len) != 0 || chop_plus(&s, &hex, &hex_len) != 0 ||
        parse_hash(hex, hex_len, &hash) != 0 || !valid_name(name, name_len))
        return cm_fail(err, CM_BAD_REQUEST, "", "verifier key is not <name>+<8 hex>+<base64 key>");
    if (name_len >= NOTE_NAME_MAX)
        return cm_fail(err, CM_BAD_REQUEST, "", "verifier key name is longer than %d bytes",
                       NOTE_NAME_MAX - 1);
    long n = b64_decode(s, strlen(s), key, sizeof key);
    if (n < 1) return cm_fail(err, CM_BAD_REQUEST, "", "verifier key is not valid base64");
    if (key[0] != NOTE_KEY_ED25519 && key[0] != NOTE_KEY_COSIGNATURE)
        return cm_fail(err, CM_BAD_REQUEST, "",
                       "verifier key type 0x%02x is neither Ed25519 (0x01) nor cosignature/v1 "
                       "(0x04)",
                       key[0]);
    if (n != 1 + LOG_PUBKEY_SIZE)
        return cm_fail(err, CM_BAD_REQUEST, "", "verifier key is not a 32-byte Ed25519 key");
    memcpy(r.name, name, name_len);
    r.name[name_len] = '\0';
    r.type = key[0];
    memcpy(r.pub, key + 1, LOG_PUBKEY_SIZE);
    r.hash = note_key_hash(r.name, r.type, r.pub);
    if (r.hash != hash)
        return cm_fail(err, CM_BAD_REQUEST, "",
                       "verifier key hash %08x does not match its name and key (%08x)",
                       (unsigned)hash, (unsigned)r.hash);
    *v = r;
    return 0;
}

void note_verifier_format(const note_verifier *v, cm_buf *out)
{
    uint8_t key[1 + LOG_PUBKEY_SIZE];
    key[0] = v->type;
    memcpy(key + 1, v->pub, LOG_PUBKEY_SIZE);
    buf_printf(out, "%s+%08x+", v->name, (unsigned)v->hash);
    buf_b64(out, key, sizeof key);
}

int note_signer_parse(const char *skey, log_key *k, char name[NOTE_NAME_MAX], cm_error *err)
{
    const char *s = skey, *p1, *p2, *nm, *hex;
    size_t n1, n2, name_len, hex_len;
    uint8_t key[1 + LOG_SEED_SIZE + 2];
    uint32_t hash;
    char nbuf[NOTE_NAME_MAX];
    int rc = -1;

    k->sk = NULL;
    if (chop_plus(&s, &p1, &n1) != 0 || chop_plus(&s, &p2, &n2) != 0 ||
        chop_plus(&s, &nm, &name_len) != 0 || chop_plus(&s, &hex, &hex_len) != 0 || n1 != 7 ||
        memcmp(p1, "PRIVATE", 7) != 0 || n2 != 3 || memcmp(p2, "KEY", 3) != 0 ||
        parse_hash(hex, hex_len, &hash) != 0 || !valid_name(nm, name_len))
        return cm_fail(err, CM_BAD_REQUEST, "",
                       "signer key is not PRIVATE+KEY+<name>+<8 hex>+<base64 key>");
    if (name_len >= NOTE_NAME_MAX)
        return cm_fail(err, CM_BAD_REQUEST, "", "signer key name is longer than %d bytes",
                       NOTE_NAME_MAX - 1);
    memcpy(nbuf, nm, name_len);
    nbuf[name_len] = '\0';
    long n = b64_decode(s, strlen(s), key, sizeof key);
    if (n != 1 + LOG_SEED_SIZE || key[0] != NOTE_KEY_ED25519) {
        cm_fail(err, CM_BAD_REQUEST, "", "signer key is not an Ed25519 (0x01) seed of 32 bytes");
        goto done;
    }
    if (log_key_from_seed(k, key + 1) != 0) {
        cm_fail(err, CM_INTERNAL, "", "cannot allocate secure memory for a key");
        goto done;
    }
    if (note_key_hash(nbuf, NOTE_KEY_ED25519, k->pub) != hash) {
        log_key_free(k);
        cm_fail(err, CM_BAD_REQUEST, "", "signer key hash %08x does not match its name and key",
                (unsigned)hash);
        goto done;
    }
    memcpy(name, nbuf, NOTE_NAME_MAX);
    rc = 0;
done:
    sodium_memzero(key, sizeof key);
    return rc;
}

void note_add_sigline(cm_buf *out, const char *name, uint32_t hash, const uint8_t *sig,
                      size_t sig_len)
{
    uint8_t *b = xmalloc(4 + sig_len);
    b[0] = (uint8_t)(hash >> 24);
    b[1] = (uint8_t)(hash >> 16);
    b[2] = (uint8_t)(hash >> 8);
    b[3] = (uint8_t)hash;
    if (sig_len) memcpy(b + 4, sig, sig_len);
    buf_puts(out, SIG_PREFIX);
    buf_puts(out, name);
    buf_putc(out, ' ');
    buf_b64(out, b, 4 + sig_len);
    buf_putc(out, '\n');
    free(b);
}

int note_sign(const char *text, size_t len, const log_key *k, const char *name, cm_buf *out,
              cm_error *err)
{
    uint8_t sig[LOG_SIG_SIZE];
    size_t name_len = strlen(name);

    if (len == 0 || text[len - 1] != '\n')
        return cm_fail(err, CM_BAD_REQUEST, "", "note text must end with a newline");
    if (text[0] == '\n' || (len >= 2 && memmem(text, len, "\n\n", 2)))
        return cm_fail(err, CM_BAD_REQUEST, "", "note text must not hold a blank line");
    if (check_text(text, len) != 0)
        return cm_fail(err, CM_BAD_REQUEST, "",
                       "note text must be UTF-8 without control characters other than newline");
    if (!valid_name(name, name_len) || name_len >= NOTE_NAME_MAX)
        return cm_fail(err, CM_BAD_REQUEST, "",
                       "key name must be 1 to %d bytes of UTF-8 without spaces or \"+\"",
                       NOTE_NAME_MAX - 1);
    log_sign(k, text, len, sig);
    buf_append(out, text, len);
    buf_putc(out, '\n');
    note_add_sigline(out, name, note_key_hash(name, NOTE_KEY_ED25519, k->pub), sig, sizeof sig);
    return 0;
}

/* The index of the verifier of this name and key hash, or -1. */
static int find_verifier(const note_verifier *vs, size_t nv, const char *name, size_t len,
                         uint32_t hash)
{
    for (size_t i = 0; i < nv; i++) {
        if (vs[i].hash == hash && strlen(vs[i].name) == len && memcmp(vs[i].name, name, len) == 0)
            return (int)i;
    }
    return -1;
}

/* Checks one signature (key hash removed) by verifier v over text. */
static int check_sig(const note_verifier *v, const char *text, size_t len, const uint8_t *sig,
                     size_t sig_len, uint64_t *ts)
{
    if (v->type == NOTE_KEY_ED25519)
        return sig_len == LOG_SIG_SIZE ? log_verify(v->pub, text, len, sig) : -1;
    if (v->type == NOTE_KEY_COSIGNATURE)
        return sig_len == COSIG_SIG_SIZE ? cosig_verify(v->pub, text, len, sig, ts) : -1;
    return -1;
}

int note_open(const char *note, size_t len, const note_verifier *verifiers, size_t nv,
              note_opened *out, cm_error *err)
{
    size_t split, pos, lines = 0;
    int rc = -1;
    uint8_t *sig = NULL;

    memset(out, 0, sizeof *out);
    if (nv > NOTE_MAX_SIGS)
        return cm_fail(err, CM_INTERNAL, "", "at most %d verifiers can open a note", NOTE_MAX_SIGS);
    if (check_text(note, len) != 0)
        return cm_fail(err, CM_BAD_REQUEST, "",
                       "malformed note: not UTF-8, or a control character other than newline");
    /* the text ends at the last blank line */
    split = SIZE_MAX;
    for (size_t i = len; i >= 2; i--) {
        if (note[i - 2] == '\n' && note[i - 1] == '\n') {
            split = i - 2;
            break;
        }
    }
    if (split == SIZE_MAX)
        return cm_fail(err, CM_BAD_REQUEST, "", "malformed note: no blank line before signatures");
    pos = split + 2;
    if (pos == len || note[len - 1] != '\n')
        return cm_fail(err, CM_BAD_REQUEST, "",
                       "malformed note: no signature lines, or no newline at the end");
    size_t text_len = split + 1;

    while (pos < len) {
        const char *line = note + pos;
        const char *nl = memchr(line, '\n', len - pos);
        size_t n = (size_t)(nl - line);
        pos += n + 1;
        if (++lines > MAX_SIG_LINES) {
            cm_fail(err, CM_BAD_REQUEST, "", "malformed note: more than %d signatures",
                    MAX_SIG_LINES);
            goto done;
        }
        if (n < SIG_PREFIX_LEN || memcmp(line, SIG_PREFIX, SIG_PREFIX_LEN) != 0) {
            cm_fail(err, CM_BAD_REQUEST, "",
                    "malformed note: signature line %zu does not start with \"— \"", lines);
            goto done;
        }
        line += SIG_PREFIX_LEN;
        n -= SIG_PREFIX_LEN;
        const char *sp = memchr(line, ' ', n);
        size_t name_len = sp ? (size_t)(sp - line) : n;
        const char *b64 = sp ? sp + 1 : line + n;
        size_t b64_len = sp ? n - name_len - 1 : 0;
        free(sig);
        sig = xmalloc(b64_decoded_max(b64_len));
        long sn = b64_decode(b64, b64_len, sig, b64_decoded_max(b64_len));
        if (!valid_name(line, name_len) || b64_len == 0 || sn < 5) {
            cm_fail(err, CM_BAD_REQUEST, "", "malformed note: signature line %zu", lines);
            goto done;
        }
        uint32_t hash =
            (uint32_t)sig[0] << 24 | (uint32_t)sig[1] << 16 | (uint32_t)sig[2] << 8 | sig[3];
        int i = find_verifier(verifiers, nv, line, name_len, hash);
        if (i < 0) {
            out->unknown++;
            continue;
        }
        if (out->verified & (1u << i)) continue; /* a repeat of a verified key */
        if (check_sig(&verifiers[i], note, text_len, sig + 4, (size_t)sn - 4,
                      &out->cosig_time[i]) != 0) {
            cm_fail(err, CM_BAD_SIGNATURE, "", "the signature of %s (key %08x) does not verify",
                    verifiers[i].name, (unsigned)hash);
            goto done;
        }
        out->verified |= 1u << i;
    }
    if (out->verified == 0) {
        cm_fail(err, CM_UNKNOWN_KEY, "", "the note is signed by none of the known keys");
        goto done;
    }
    out->text_len = text_len;
    rc = 0;
done:
    free(sig);
    return rc;
}
