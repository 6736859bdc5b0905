/*
 * device.c: what a device signs to ask for its own token
 * (POST /v1/device/token, docs/protocol.md "Device enrolment").
 *
 * A DSSE envelope like an event's, but of payloadType
 * EV_DEVICE_TOKEN_TYPE, so that a token request can never be replayed as
 * an event (nor an event as a token request): the signature covers the
 * type. Its payload, strict JSON with exactly these fields:
 *
 *   {"v":1,"org":"coastal-relief","keyid":"3bec125c913ed1b2",
 *    "time":"2025-11-20T09:15:00Z"}
 *
 *   v      1
 *   org    the org the device's key belongs to (an identifier)
 *   keyid  the signing key's id, 16 lowercase hex digits (it must be the
 *          envelope's signature keyid: the caller checks)
 *   time   when it was signed, RFC 3339 UTC; within EV_DEVICE_SKEW_MS of
 *          the server's clock either way (ev_device_request_fresh)
 *
 * Only parsing here: whether the key is registered, active and of org is
 * the server's to judge against the registry.
 */
#include "event/event.h"

#include "common/timeutil.h"

#include <inttypes.h>
#include <string.h>

static const char *const fields[] = {"v", "org", "keyid", "time", NULL};

static int is_keyid(const char *s)
{
    if (strlen(s) != LOG_KEYID_LEN) return 0;
    for (const char *p = s; *p; p++)
        if (!((*p >= '0' && *p <= '9') || (*p >= 'a' && *p <= 'f'))) return 0;
    return 1;
}

/* The string field key of root, or NULL with err (missing, not a string). */
static const char *text(const json_t *root, const char *key, cm_error *err)
{
    const json_t *v = json_object_get(root, key);
    if (!v) {
        cm_fail(err, CM_BAD_REQUEST, key,
                "missing field %s: a token request has v, org, keyid "
                "and time",
                key);
        return NULL;
    }
    if (!json_is_string(v)) {
        cm_fail(err, CM_BAD_REQUEST, key, "%s must be a string", key);
        return NULL;
    }
    return json_string_value(v);
}

static int parse(const json_t *root, ev_device_request *out, cm_error *err)
{
    const char *k;
    const json_t *v;
    json_object_foreach((json_t *)root, k, v)
    {
        int known = 0;
        for (size_t i = 0; fields[i]; i++) known |= strcmp(k, fields[i]) == 0;
        if (!known)
            return cm_fail(err, CM_BAD_REQUEST, k,
                           "unknown field %s: a token request has only v, org, keyid and time", k);
    }
    const json_t *jv = json_object_get(root, "v");
    if (!jv)
        return cm_fail(err, CM_BAD_REQUEST, "v",
                       "missing field v: a token request has v, org, keyid and time");
    if (!json_is_integer(jv) || json_integer_value(jv) != 1)
        return cm_fail(err, CM_BAD_REQUEST, "v", "v must be 1, the protocol version");
    const char *org = text(root, "org", err);
    if (!org) return -1;
    if (!ev_is_id(org))
        return cm_fail(err, CM_BAD_REQUEST, "org", "org must be an organization identifier");
    const char *keyid = text(root, "keyid", err);
    if (!keyid) return -1;
    if (!is_keyid(keyid))
        return cm_fail(err, CM_BAD_REQUEST, "keyid",
                       "keyid must be 16 lowercase hex digits (the first 8 bytes of SHA-256 of "
                       "the public key)");
    const char *t = text(root, "time", err);
    if (!t) return -1;
    if (time_parse(t, strlen(t), &out->time_ms))
        return cm_fail(err, CM_BAD_REQUEST, "time",
                       "time must be an RFC 3339 UTC time such as 2025-11-20T09:15:00Z");
    snprintf(out->org, sizeof out->org, "%s", org);
    memcpy(out->keyid, keyid, LOG_KEYID_LEN + 1);
    return 0;
}

int ev_device_request_parse(const ev_envelope *env, ev_device_request *out, cm_error *err)
{
    memset(out, 0, sizeof *out);
    json_t *root = ev_json_parse((const char *)env->payload, env->payload_len, "payload", err);
    if (!root) return -1;
    int rc = parse(root, out, err);
    json_decref(root);
    return rc;
}

int ev_device_request_fresh(const ev_device_request *r, int64_t now_ms, cm_error *err)
{
    int64_t d = r->time_ms - now_ms;
    if (d > EV_DEVICE_SKEW_MS || d < -EV_DEVICE_SKEW_MS)
        return cm_fail(err, CM_BAD_REQUEST, "time",
                       "time is %" PRId64 " s %s the server's clock; at most %d s either way is "
                       "allowed: check the device's clock (and its time zone) and ask again",
                       (d < 0 ? -d : d) / 1000, d < 0 ? "behind" : "ahead of",
                       EV_DEVICE_SKEW_MS / 1000);
    return 0;
}
