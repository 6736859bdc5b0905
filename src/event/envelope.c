/*
 * envelope.c: the DSSE envelope of a write and the log entry that keeps it.
 *
 * Envelope (docs/protocol.md section 2), any JSON spacing accepted:
 *   {"payloadType":"application/vnd.cmcc.event+json",
 *    "payload":"<standard base64 of the event bytes>",
 *    "signatures":[{"keyid":"<16 lowercase hex>","sig":"<standard base64>"}]}
 *
 * Log entry (section 4), written byte for byte in this form and no other:
 *   {"v":1,"received":"2025-11-20T09:15:00.123Z","envelope":{"payloadType":
 *   "...","payload":"...","signatures":[{"keyid":"...","sig":"..."}]}}
 *
 * Base64 must be canonical (what encoding the decoded bytes gives back), so
 * that equal envelopes are equal bytes and the entry needs no re-encoding of
 * the payload: the server keeps exactly the bytes that were signed.
 *
 * Another kind of signed request (a device's token request, h_device.c)
 * has the same envelope with its own payloadType: ev_envelope_parse_as
 * takes the type it expects, so that one can never pass for the other.
 *
 * The compact form above (what ev_envelope_write makes, and every entry
 * holds) is recognized by a scan of its fixed parts first, without building
 * a JSON tree; anything else, and anything in that form that would be
 * refused, goes through the general parser, so the outcome and the error
 * messages are the same either way.
 */
#include "event/event.h"

#include "common/codec.h"
#include "common/mem.h"
#include "common/timeutil.h"

#include <sodium.h>
#include <string.h>

/* Decodes canonical base64 of at most max bytes into a new buffer.
 * libsodium refuses a last character whose unused bits are not zero, and
 * missing padding, so what it decodes is canonical: encoding the bytes
 * gives back the same characters. */
static uint8_t *decode_b64(const char *s, size_t len, size_t max, size_t *out_len,
                           const char *field, cm_error *err)
{
    if (len > B64_LEN(max)) {
        cm_fail(err, CM_TOO_LARGE, field, "more than %zu bytes once decoded", max);
        return NULL;
    }
    size_t cap = b64_decoded_max(len) + 1;
    uint8_t *p = xmalloc(cap);
    long n = b64_decode(s, len, p, cap);
    if (n < 0) {
        free(p);
        cm_fail(err, CM_BAD_REQUEST, field,
                "not canonical standard base64 (padded with '=', the unused bits of the last "
                "character zero)");
        return NULL;
    }
    if ((size_t)n > max) {
        free(p);
        cm_fail(err, CM_TOO_LARGE, field, "more than %zu bytes once decoded", max);
        return NULL;
    }
    p[n] = '\0';
    *out_len = (size_t)n;
    return p;
}

static int only_keys(const json_t *obj, const char *const *keys, const char *prefix, cm_error *err)
{
    const char *k;
    const json_t *v;
    json_object_foreach((json_t *)obj, k, v)
    {
        int known = 0;
        for (size_t i = 0; keys[i]; i++) known |= strcmp(k, keys[i]) == 0;
        if (!known) {
            char f[CM_FIELD_MAX];
            snprintf(f, sizeof f, "%s%s", prefix, k);
            return cm_fail(err, CM_BAD_REQUEST, f, "unknown field \"%s\" in the envelope", f);
        }
    }
    return 0;
}

static int is_keyid(const char *s)
{
    if (strlen(s) != LOG_KEYID_LEN) return 0;
    for (const char *p = s; *p; p++)
        if (!((*p >= '0' && *p <= '9') || (*p >= 'a' && *p <= 'f'))) return 0;
    return 1;
}

static const char *get_string(const json_t *obj, const char *key, const char *field, cm_error *err)
{
    const json_t *v = json_object_get(obj, key);
    if (!v) {
        cm_fail(err, CM_BAD_REQUEST, field, "missing field \"%s\"", field);
        return NULL;
    }
    if (!json_is_string(v)) {
        cm_fail(err, CM_BAD_REQUEST, field, "\"%s\" must be a string", field);
        return NULL;
    }
    return json_string_value(v);
}

static int is_b64_char(char c)
{
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '+' ||
           c == '/' || c == '=';
}

/* Whether s (len bytes) starts at *off with lit; moves *off past it. */
static int take(const char *s, size_t len, size_t *off, const char *lit, size_t n)
{
    if (len - *off < n || memcmp(s + *off, lit, n) != 0) return 0;
    *off += n;
    return 1;
}
#define TAKE(lit) take(json, len, &off, lit, sizeof lit - 1)

/* The compact form, valid: 0 with out filled; otherwise -1, out empty. */
static int parse_compact(const char *json, size_t len, ev_envelope *out)
{
    size_t off = 0;
    if (!TAKE("{\"payloadType\":\"" DSSE_PAYLOAD_TYPE "\",\"payload\":\"")) return -1;
    const char *p = json + off;
    while (off < len && is_b64_char(json[off])) off++;
    size_t plen = (size_t)(json + off - p);
    if (!TAKE("\",\"signatures\":[{\"keyid\":\"")) return -1;
    if (len - off < LOG_KEYID_LEN) return -1;
    char keyid[LOG_KEYID_LEN + 1];
    memcpy(keyid, json + off, LOG_KEYID_LEN);
    keyid[LOG_KEYID_LEN] = '\0';
    off += LOG_KEYID_LEN;
    if (!is_keyid(keyid) || !TAKE("\",\"sig\":\"")) return -1;
    const char *sig = json + off;
    size_t siglen = B64_LEN(LOG_SIG_SIZE);
    if (len - off < siglen) return -1;
    off += siglen;
    if (!TAKE("\"}]}") || off != len) return -1;
    uint8_t sb[B64_LEN(LOG_SIG_SIZE)]; /* more than its decoding can take */
    if (b64_decode(sig, siglen, sb, sizeof sb) != LOG_SIG_SIZE) return -1;
    /* the payload, then its base64, in one block: from the arena in use
     * (the replay's, for the entry), else from malloc */
    memset(out, 0, sizeof *out);
    if (plen > B64_LEN(EV_PAYLOAD_MAX)) return -1;
    size_t cap = b64_decoded_max(plen) + 1;
    uint8_t *block = ev_arena_take(cap + plen + 1);
    int in_arena = block != NULL;
    if (!block) block = xmalloc(cap + plen + 1);
    long n = b64_decode(p, plen, block, cap);
    if (n <= 0 || (size_t)n > EV_PAYLOAD_MAX) {
        if (!in_arena) free(block);
        return -1;
    }
    out->in_arena = in_arena;
    block[n] = '\0';
    out->payload = block;
    out->payload_len = (size_t)n;
    out->payload_b64 = (char *)block + n + 1;
    memcpy(out->payload_b64, p, plen);
    out->payload_b64[plen] = '\0';
    out->payload_b64_len = plen;
    memcpy(out->sig, sb, LOG_SIG_SIZE);
    memcpy(out->keyid, keyid, LOG_KEYID_LEN + 1);
    return 0;
}
#undef TAKE

int ev_envelope_parse(const char *json, size_t len, ev_envelope *out, cm_error *err)
{
    return ev_envelope_parse_as(json, len, DSSE_PAYLOAD_TYPE, out, err);
}

int ev_envelope_parse_as(const char *json, size_t len, const char *payload_type, ev_envelope *out,
                         cm_error *err)
{
    /* the fast path knows the event's type only */
    if (strcmp(payload_type, DSSE_PAYLOAD_TYPE) == 0 && parse_compact(json, len, out) == 0)
        return 0;
    static const char *const top[] = {"payloadType", "payload", "signatures", NULL};
    static const char *const sigkeys[] = {"keyid", "sig", NULL};
    memset(out, 0, sizeof *out);
    json_t *j = ev_json_parse(json, len, "", err);
    if (!j) return -1;
    int rc = -1;
    if (only_keys(j, top, "", err)) goto done;
    const char *type = get_string(j, "payloadType", "payloadType", err);
    if (!type) goto done;
    if (strcmp(type, payload_type) != 0) {
        cm_fail(err, CM_BAD_REQUEST, "payloadType", "payloadType must be \"%s\" here, not \"%s\"",
                payload_type, type);
        goto done;
    }
    const json_t *sigs = json_object_get(j, "signatures");
    if (!sigs) {
        cm_fail(err, CM_BAD_REQUEST, "signatures", "missing field \"signatures\"");
        goto done;
    }
    if (!json_is_array(sigs) || json_array_size(sigs) != 1) {
        cm_fail(err, CM_BAD_REQUEST, "signatures",
                "\"signatures\" must be an array of exactly one signature");
        goto done;
    }
    const json_t *sig = json_array_get(sigs, 0);
    if (!json_is_object(sig)) {
        cm_fail(err, CM_BAD_REQUEST, "signatures[0]", "a signature must be an object");
        goto done;
    }
    if (only_keys(sig, sigkeys, "signatures[0].", err)) goto done;
    const char *keyid = get_string(sig, "keyid", "signatures[0].keyid", err);
    if (!keyid) goto done;
    if (!is_keyid(keyid)) {
        cm_fail(err, CM_BAD_REQUEST, "signatures[0].keyid",
                "keyid must be 16 lowercase hex digits (the first 8 bytes of SHA-256 of the "
                "public key)");
        goto done;
    }
    const char *s = get_string(sig, "sig", "signatures[0].sig", err);
    if (!s) goto done;
    size_t slen = 0;
    uint8_t *sb = decode_b64(s, strlen(s), LOG_SIG_SIZE, &slen, "signatures[0].sig", err);
    if (!sb) {
        if (err) err->code = CM_BAD_REQUEST;
        goto done;
    }
    if (slen != LOG_SIG_SIZE) {
        free(sb);
        cm_fail(err, CM_BAD_REQUEST, "signatures[0].sig",
                "an Ed25519 signature is 64 bytes, this one has %zu", slen);
        goto done;
    }
    memcpy(out->sig, sb, LOG_SIG_SIZE);
    free(sb);
    memcpy(out->keyid, keyid, LOG_KEYID_LEN + 1);
    const json_t *pv = json_object_get(j, "payload");
    if (!pv) {
        cm_fail(err, CM_BAD_REQUEST, "payload", "missing field \"payload\"");
        goto done;
    }
    if (!json_is_string(pv)) {
        cm_fail(err, CM_BAD_REQUEST, "payload", "\"payload\" must be a base64 string");
        goto done;
    }
    const char *p = json_string_value(pv);
    size_t plen = json_string_length(pv);
    out->payload = decode_b64(p, plen, EV_PAYLOAD_MAX, &out->payload_len, "payload", err);
    if (!out->payload) goto done;
    if (out->payload_len == 0) {
        cm_fail(err, CM_BAD_REQUEST, "payload", "the payload is empty");
        goto done;
    }
    out->payload_b64 = xstrndup(p, plen);
    out->payload_b64_len = plen;
    rc = 0;
done:
    json_decref(j);
    if (rc) ev_envelope_free(out);
    return rc;
}

void ev_envelope_sign(const log_key *k, const void *payload, size_t len, ev_envelope *out)
{
    memset(out, 0, sizeof *out);
    out->payload = xmalloc(len + 1);
    memcpy(out->payload, payload, len);
    out->payload[len] = '\0';
    out->payload_len = len;
    out->payload_b64_len = B64_LEN(len);
    out->payload_b64 = xmalloc(out->payload_b64_len + 1);
    b64_encode(payload, len, out->payload_b64, out->payload_b64_len + 1);
    log_keyid(k->pub, out->keyid);
    dsse_sign(k, DSSE_PAYLOAD_TYPE, payload, len, out->sig);
}

void ev_envelope_free(ev_envelope *e)
{
    if (!e->in_arena) {
        if (e->payload_b64 &&
            (!e->payload || e->payload_b64 != (char *)e->payload + e->payload_len + 1))
            free(e->payload_b64);
        free(e->payload);
    }
    e->in_arena = 0;
    e->payload = NULL;
    e->payload_b64 = NULL;
    e->payload_len = e->payload_b64_len = 0;
}

void ev_envelope_write(const ev_envelope *e, cm_buf *out)
{
    buf_puts(out, "{\"payloadType\":\"" DSSE_PAYLOAD_TYPE "\",\"payload\":\"");
    buf_append(out, e->payload_b64, e->payload_b64_len);
    buf_puts(out, "\",\"signatures\":[{\"keyid\":\"");
    buf_puts(out, e->keyid);
    buf_puts(out, "\",\"sig\":\"");
    buf_b64(out, e->sig, LOG_SIG_SIZE);
    buf_puts(out, "\"}]}");
}

void ev_entry_write(const ev_envelope *e, int64_t received_ms, cm_buf *out)
{
    char t[32];
    time_format_ms(received_ms, t, sizeof t);
    buf_puts(out, "{\"v\":1,\"received\":\"");
    buf_puts(out, t);
    buf_puts(out, "\",\"envelope\":");
    ev_envelope_write(e, out);
    buf_putc(out, '}');
}

void ev_entry_leaf(const ev_envelope *e, int64_t received_ms, log_hash *leaf)
{
    cm_buf entry = CM_BUF_INIT;
    ev_entry_write(e, received_ms, &entry);
    log_leaf_hash(entry.data, entry.len, leaf);
    buf_free(&entry);
}

int ev_entry_parse(const char *entry, size_t len, ev_envelope *env, int64_t *received_ms,
                   cm_error *err)
{
    static const char head[] = "{\"v\":1,\"received\":\"";
    size_t hl = sizeof head - 1;
    memset(env, 0, sizeof *env);
    if (len < hl + TIME_RFC3339_MS_LEN + 14 || memcmp(entry, head, hl) != 0 ||
        memcmp(entry + hl + TIME_RFC3339_MS_LEN, "\",\"envelope\":", 13) != 0 ||
        entry[len - 1] != '}')
        return cm_fail(err, CM_BAD_REQUEST, "entry", "not a cmcc log entry");
    if (time_parse(entry + hl, TIME_RFC3339_MS_LEN, received_ms))
        return cm_fail(err, CM_BAD_REQUEST, "entry.received", "bad received time");
    size_t off = hl + TIME_RFC3339_MS_LEN + 13;
    /* the envelope in its written form: so is the whole entry, since
     * time_parse takes exactly TIME_RFC3339_MS_LEN characters only in the
     * form time_format_ms writes (4-digit year from 1970, every field in
     * range and zero-padded, 3 digits of milliseconds, 'Z') */
    if (parse_compact(entry + off, len - off - 1, env) == 0) return 0;
    if (ev_envelope_parse(entry + off, len - off - 1, env, err)) return -1;
    cm_buf back = CM_BUF_INIT;
    ev_entry_write(env, *received_ms, &back);
    int same = back.len == len && memcmp(back.data, entry, len) == 0;
    buf_free(&back);
    if (!same) {
        ev_envelope_free(env);
        return cm_fail(err, CM_BAD_REQUEST, "entry", "the entry is not in its exact written form");
    }
    return 0;
}

int ev_envelope_same(const ev_envelope *a, const ev_envelope *b)
{
    return a->payload_len == b->payload_len && strcmp(a->keyid, b->keyid) == 0 &&
           memcmp(a->sig, b->sig, LOG_SIG_SIZE) == 0 &&
           memcmp(a->payload, b->payload, a->payload_len) == 0;
}
