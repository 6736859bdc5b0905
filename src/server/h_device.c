/*
 * h_device.c: POST /v1/device/token, a device asking for its own token
 * (docs/protocol.md "Device enrolment"). Public: the request is its own
 * credential.
 *
 * Body (application/json): a DSSE envelope like an event's, of payloadType
 * EV_DEVICE_TOKEN_TYPE, its payload {"v":1,"org","keyid","time"}
 * (event/device.c), signed by the device's key. Checked in this order,
 * each refusal the protocol's error JSON:
 *
 *   the rate limit, if one is set    429 rate_limited (one request = one event)
 *   envelope shape                   400 bad_request, field
 *   the key is registered            401 unknown_key: not enrolled yet
 *   the signature                    401 bad_signature
 *   payload shape                    400 bad_request, field
 *   payload keyid = signature keyid  400 bad_request, field keyid
 *   the key is a key of org          403 forbidden, field org
 *   org active                       403 org_suspended
 *   key active                       403 key_revoked
 *   time within 300 s of the clock   400 bad_request, field time
 *
 * Then a token bound to the key is made and its hash stored (through a
 * short-lived admin connection, as `cmcc token create` does: the
 * sequencer's writer is left to the sequencer), and the answer is 200
 *   {"token":"cmcc_...","id":"<12 hex>","org":"...","keyid":"..."}
 * A key keeps its newest STORE_DEVICE_TOKENS tokens; the oldest goes when
 * another is issued. auth.c refuses the token once its key is revoked.
 */
#include "server/handlers.h"

#include "common/timeutil.h"

#include <sodium.h>
#include <stdio.h>
#include <string.h>

/* Judges the envelope in body against the registry, up to the clock.
 * 0 with *req, or -1 with err. */
static int judge(srv *s, const char *body, size_t len, int64_t now_ms, ev_device_request *req,
                 cm_error *err)
{
    ev_envelope env;
    if (ev_envelope_parse_as(body, len, EV_DEVICE_TOKEN_TYPE, &env, err)) return -1;
    int rc = -1;
    store *rd = srv_reader(s);
    ev_view v;
    ev_key_state ks;
    ev_org_state os;
    int found = -1;
    if (rd) {
        store_view(rd, &v);
        found = v.key(v.ctx, env.keyid, &ks);
    }
    if (found < 0) {
        cm_fail(err, CM_UNAVAILABLE, "", "the store cannot be read just now: try again");
        goto done;
    }
    if (found == 0) {
        cm_fail(err, CM_UNKNOWN_KEY, "signatures[0].keyid",
                "this device is not enrolled yet: no key has keyid %s. The organization's "
                "administrator must add its public key with key.add; then ask again",
                env.keyid);
        goto done;
    }
    if (dsse_verify(ks.pub, EV_DEVICE_TOKEN_TYPE, env.payload, env.payload_len, env.sig) != 0) {
        cm_fail(err, CM_BAD_SIGNATURE, "signatures[0].sig",
                "the signature does not verify with key %s: sign the exact payload bytes (DSSE "
                "PAE, payloadType %s) with that key",
                env.keyid, EV_DEVICE_TOKEN_TYPE);
        goto done;
    }
    if (ev_device_request_parse(&env, req, err)) goto done;
    if (strcmp(req->keyid, env.keyid) != 0) {
        cm_fail(err, CM_BAD_REQUEST, "keyid",
                "keyid %s is not the key that signed the request (%s): name the signing key",
                req->keyid, env.keyid);
        goto done;
    }
    if (strcmp(ks.org, req->org) != 0) {
        cm_fail(err, CM_FORBIDDEN, "org",
                "key %s belongs to \"%s\", not to \"%s\": ask for a token of the key's own org",
                env.keyid, ks.org, req->org);
        goto done;
    }
    found = v.org(v.ctx, req->org, &os);
    if (found < 0) {
        cm_fail(err, CM_UNAVAILABLE, "", "the store cannot be read just now: try again");
        goto done;
    }
    if (found == 0 || os.suspended) {
        cm_fail(err, CM_ORG_SUSPENDED, "org",
                "organization \"%s\" is suspended: its devices get no token until it is "
                "reinstated",
                req->org);
        goto done;
    }
    if (ks.revoked) {
        cm_fail(err, CM_KEY_REVOKED, "signatures[0].keyid",
                "this device's key %s was revoked: it gets no token, and its waiting events "
                "cannot be sent (the administrator can enrol a new key)",
                env.keyid);
        goto done;
    }
    rc = ev_device_request_fresh(req, now_ms, err);
done:
    ev_envelope_free(&env);
    return rc;
}

int h_device_token(srv_req *q, const char *path, srv_resp *r)
{
    (void)path;
    if (!q->json) {
        srv_errorf(r, CM_BAD_REQUEST, "", "Content-Type must be application/json (one envelope)");
        return 0;
    }
    /* counted as one event against the address's rate, before any signature */
    int retry = 0;
    const union MHD_ConnectionInfo *ci =
        MHD_get_connection_info(q->conn, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
    if (srv_limiter_take(q->s->limiter, ci ? ci->client_addr : NULL, 1, &retry)) {
        srv_errorf(r, CM_RATE_LIMITED, "",
                   "over the rate of %g requests a second from one address: ask again after "
                   "%d s",
                   q->s->cfg.rate, retry);
        r->retry_after = retry;
        return 0;
    }
    int64_t now = time_now_ms();
    ev_device_request req;
    cm_error err;
    if (judge(q->s, q->body.data ? q->body.data : "", q->body.len, now, &req, &err)) {
        srv_error(r, &err);
        return 0;
    }
    char token[STORE_TOKEN_MAX], id[STORE_TOKEN_ID_LEN + 1];
    store *adm = store_open(q->s->eng.db_path, STORE_ADMIN, &err);
    int rc = adm ? store_token_new(adm, req.org, req.keyid, req.time_ms, now, token, id, &err) : -1;
    store_close(adm);
    if (rc == 1) {
        srv_errorf(r, CM_BAD_REQUEST, "time",
                   "this key was already answered a request of this time or later: a request "
                   "is used once; sign a new one (with the time now)");
        return 0;
    }
    if (rc) {
        fprintf(stderr, "cmcc: a device token could not be stored: %s\n", err.message);
        srv_errorf(r, CM_UNAVAILABLE, "", "the token could not be stored just now: ask again");
        return 0;
    }
    r->status = 200;
    r->cache = "no-store";
    buf_puts(&r->body, "{\"token\":");
    buf_json_str(&r->body, token);
    buf_puts(&r->body, ",\"id\":");
    buf_json_str(&r->body, id);
    buf_puts(&r->body, ",\"org\":");
    buf_json_str(&r->body, req.org);
    buf_puts(&r->body, ",\"keyid\":");
    buf_json_str(&r->body, req.keyid);
    buf_puts(&r->body, "}\n");
    sodium_memzero(token, sizeof token);
    return 0;
}
