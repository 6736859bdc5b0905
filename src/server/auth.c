/*
 * auth.c: bearer tokens for reads (PROTOCOL.md section 5).
 *
 * A request names its token in "Authorization: Bearer <token>". The store
 * keeps only SHA-256(token); a token is valid while it is not revoked and
 * its org is not suspended. No token or an unknown one is `unauthorized`;
 * a token of a suspended org is `forbidden`.
 */
#include "server/srv_int.h"

#include <sodium.h>
#include <string.h>
#include <strings.h>

int srv_auth(srv_req *q, srv_resp *r)
{
    const char *h = MHD_lookup_connection_value(q->conn, MHD_HEADER_KIND, "Authorization");
    if (!h || strncasecmp(h, "Bearer ", 7) != 0 || !h[7]) {
        srv_errorf(r, CM_UNAUTHORIZED, "",
                   "this needs a token: send \"Authorization: Bearer <token>\" (the operator "
                   "issues tokens with `cmcc token create`)");
        return -1;
    }
    const char *token = h + 7;
    uint8_t hash[crypto_hash_sha256_BYTES];
    crypto_hash_sha256(hash, (const unsigned char *)token, strlen(token));
    store *rd = srv_reader(q->s);
    cm_error err;
    int found = rd ? store_token_org(rd, hash, q->org, &err) : -1;
    if (found < 0) {
        srv_errorf(r, CM_UNAVAILABLE, "", "the store cannot be read just now: try again");
        return -1;
    }
    if (found == 0) {
        srv_errorf(r, CM_UNAUTHORIZED, "", "the token is unknown or revoked");
        return -1;
    }
    ev_view v;
    store_view(rd, &v);
    ev_org_state os;
    int r2 = v.org(v.ctx, q->org, &os);
    if (r2 == 1 && os.suspended) {
        srv_errorf(r, CM_FORBIDDEN, "", "the token's organization \"%s\" is suspended", q->org);
        return -1;
    }
    return 0;
}
