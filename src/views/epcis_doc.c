/*
 * epcis_doc.c: a page of the log as an EPCIS 2.0 EPCISDocument (JSON-LD),
 * the answer of GET /v1/epcis/events (docs/protocol.md, "EPCIS 2.0"):
 *
 *   {"@context":[<EPCIS 2.0 context>,{"cmcc":"https://<origin>/epcis/ns#"}],
 *    "type":"EPCISDocument","schemaVersion":"2.0","creationDate":<now>,
 *    "epcisBody":{"eventList":[<ObjectEvent>, ...]},
 *    "cmcc:next":<the entry to read from next>,"cmcc:complete":<bool>}
 *
 * The entries since..size of the types that are steps are read in log
 * order (the store passes the others over by their type column), each
 * payload parsed and its supply events mapped (epcis_event.c). The page
 * ends at limit events, at EPCIS_SCAN_MAX entries read, or at size;
 * cmcc:next is then the first entry not read, and cmcc:complete says
 * whether that is size (nothing more for now: ask again with since=next).
 */
#include "views/epcis.h"

#include "common/timeutil.h"

#include <stdlib.h>
#include <string.h>

typedef struct {
    epcis_ctx c;
    size_t limit, events;
    uint64_t next;
    json_t *list;
    cm_error *err;
    int failed;
} page;

static int entry(void *ctx, uint64_t idx, const char *text, size_t len)
{
    page *p = ctx;
    if (p->events >= p->limit) return 1;
    p->next = idx + 1;
    ev_envelope env;
    int64_t received;
    cm_error perr;
    if (ev_entry_parse(text, len, &env, &received, &perr)) return 0; /* verify's to judge */
    json_t *ev = json_loadb((const char *)env.payload, env.payload_len, 0, NULL);
    ev_envelope_free(&env);
    if (!ev) return 0;
    log_hash leaf;
    log_leaf_hash(text, len, &leaf);
    json_t *o = NULL;
    int rc = epcis_event(&p->c, ev, idx, received, &leaf, &o, p->err);
    json_decref(ev);
    if (rc < 0) return p->failed = 1, 1;
    if (rc == 1) json_array_append_new(p->list, o), p->events++;
    return 0;
}

int epcis_document(store *s, const epcis_page *pg, cm_buf *out, cm_error *err)
{
    page p = {.c = {.origin = pg->origin, .s = s, .consignments = json_object()},
              .limit = pg->limit,
              .next = pg->since,
              .list = json_array(),
              .err = err};
    store_view(s, &p.c.view);
    uint64_t count = pg->since < pg->size ? pg->size - pg->since : 0;
    if (count > EPCIS_SCAN_MAX) count = EPCIS_SCAN_MAX;
    const char *types[16];
    size_t nt = 0;
    for (const epcis_step *st = epcis_steps(); st->type && nt + 1 < 16; st++)
        types[nt++] = st->type;
    types[nt] = NULL;
    int rc = count ? store_entries_typed(s, pg->since, count, types, entry, &p, err) : 0;
    /* read to the end of the range without reaching the limit */
    if (rc == 0 && p.events < p.limit) p.next = pg->since + count;
    json_decref(p.c.consignments);
    if (rc < 0 || p.failed) {
        json_decref(p.list);
        return -1;
    }
    cm_buf ns = CM_BUF_INIT;
    epcis_base(&ns, pg->origin);
    buf_puts(&ns, EPCIS_NS_PATH);
    char now[32];
    time_format_ms(pg->now_ms, now, sizeof now);
    json_t *doc = json_pack("{s:[s,{s:s#}],s:s,s:s,s:s,s:{s:o},s:I,s:b}", "@context", EPCIS_CONTEXT,
                            "cmcc", ns.data, (int)ns.len, "type", "EPCISDocument", "schemaVersion",
                            "2.0", "creationDate", now, "epcisBody", "eventList", p.list,
                            "cmcc:next", (json_int_t)p.next, "cmcc:complete", p.next >= pg->size);
    buf_free(&ns);
    char *text = json_dumps(doc, JSON_COMPACT);
    json_decref(doc);
    buf_puts(out, text);
    free(text);
    return 0;
}
