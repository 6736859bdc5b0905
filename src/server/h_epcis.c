/*
 * h_epcis.c: the supply events as GS1 EPCIS 2.0 (docs/protocol.md, "EPCIS
 * 2.0"; the mapping is src/views/epcis*.c).
 *
 *   GET /v1/epcis/events[?since=I][&limit=N]   an EPCISDocument (JSON-LD)
 *
 * since is the first entry to read (0 by default), limit the events of the
 * page at most (1..10,000, 1,000 by default); the document's cmcc:next is
 * the since of the next page. Read over the published tree, as the proofs
 * are, so that each event's cmcc:index is in the checkpoint a reader gets.
 */
#include "server/handlers.h"
#include "views/epcis.h"

#include "common/timeutil.h"

int h_epcis_events(srv_req *q, const char *path, srv_resp *r)
{
    (void)path;
    uint64_t since = 0, limit = EPCIS_LIMIT_DEFAULT;
    if (srv_query_u64(q, "since", &since, r) < 0 || srv_query_u64(q, "limit", &limit, r) < 0)
        return 0;
    if (limit < 1 || limit > EPCIS_LIMIT_MAX) {
        srv_errorf(r, CM_BAD_REQUEST, "limit", "limit must be from 1 to %d events",
                   EPCIS_LIMIT_MAX);
        return 0;
    }
    uint64_t size;
    srv_published(q->s, &size, NULL);
    if (since > size) {
        srv_errorf(r, CM_BAD_REQUEST, "since",
                   "since must be at most %llu, the entries the log holds",
                   (unsigned long long)size);
        return 0;
    }
    store *rd = srv_reader(q->s);
    cm_error err;
    epcis_page p = {q->s->eng.origin, since, size, (size_t)limit, time_now_ms()};
    if (!rd || epcis_document(rd, &p, &r->body, &err)) return srv_unavailable(r);
    buf_putc(&r->body, '\n');
    r->type = "application/ld+json";
    r->cache = "no-cache";
    return 0;
}
