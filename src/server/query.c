/*
 * query.c: a request's query parameters read as the handlers want them (a
 * whole number, an identifier, one of a list, an RFC 3339 time), each
 * answered bad_request, naming the parameter, when it is malformed; an
 * absent parameter is left to the handler. srv_parse_u64 reads a whole
 * number given some other way (a header: h_feed.c's Last-Event-ID).
 */
#include "server/srv_int.h"

#include "common/timeutil.h"

#include <stdlib.h>
#include <string.h>

int srv_parse_u64(const char *v, const char *field, const char *what, uint64_t *out, srv_resp *r)
{
    char *end = NULL;
    if (*v < '0' || *v > '9' || strlen(v) > 19) goto bad;
    unsigned long long n = strtoull(v, &end, 10);
    if (*end || (v[0] == '0' && v[1])) goto bad;
    *out = n;
    return 1;
bad:
    srv_errorf(r, CM_BAD_REQUEST, field, "%s must be %s%sa whole number without leading zeros",
               field, what ? what : "", what ? ", " : "");
    return -1;
}

int srv_query_u64(srv_req *q, const char *name, uint64_t *out, srv_resp *r)
{
    const char *v = MHD_lookup_connection_value(q->conn, MHD_GET_ARGUMENT_KIND, name);
    if (!v) return 0;
    return srv_parse_u64(v, name, NULL, out, r);
}

int srv_query_id(srv_req *q, const char *name, const char **out, srv_resp *r)
{
    *out = MHD_lookup_connection_value(q->conn, MHD_GET_ARGUMENT_KIND, name);
    if (!*out || ev_is_id(*out)) return 0;
    srv_errorf(r, CM_BAD_REQUEST, name, "%s must be an identifier", name);
    return -1;
}

int srv_query_choice(srv_req *q, const char *name, const char *const *values, const char **out,
                     srv_resp *r)
{
    *out = MHD_lookup_connection_value(q->conn, MHD_GET_ARGUMENT_KIND, name);
    if (!*out) return 0;
    for (size_t i = 0; values[i]; i++)
        if (strcmp(values[i], *out) == 0) return 0;
    cm_buf list = CM_BUF_INIT; /* only for the error */
    for (size_t i = 0; values[i]; i++) buf_printf(&list, "%s%s", i ? ", " : "", values[i]);
    srv_errorf(r, CM_BAD_REQUEST, name, "%s must be one of: %s", name, list.data);
    buf_free(&list);
    return -1;
}

int srv_query_time(srv_req *q, const char *name, int64_t *out, srv_resp *r)
{
    const char *v = MHD_lookup_connection_value(q->conn, MHD_GET_ARGUMENT_KIND, name);
    if (!v || time_parse(v, strlen(v), out) == 0) return 0;
    srv_errorf(r, CM_BAD_REQUEST, name, "%s must be an RFC 3339 UTC time", name);
    return -1;
}
