/*
 * epcis.h: the supply events as GS1 EPCIS 2.0 (docs/protocol.md, "EPCIS
 * 2.0"): the vocabulary both directions share (epcis_vocab.c), one logged
 * event as an ObjectEvent (epcis_event.c), and a page of the log as an
 * EPCISDocument (epcis_doc.c), for GET /v1/epcis/events. `cmcc import
 * --epcis` (src/cli/epcis_in.c) reads the same vocabulary the other way.
 *
 * Identifiers are HTTP URIs under the log's origin ("https://" + origin,
 * then one of the paths below); the extension fields are in the namespace
 * "cmcc" bound in the document's @context.
 */
#ifndef CMCC_VIEWS_EPCIS_H
#define CMCC_VIEWS_EPCIS_H

#include "common/buf.h"
#include "common/error.h"
#include "event/event.h"
#include "store/store.h"

#include <jansson.h>
#include <stdint.h>

/* ---- epcis_vocab.c: the mapping's tables --------------------------------- */

#define EPCIS_CONTEXT "https://ref.gs1.org/standards/epcis/2.0.0/epcis-context.jsonld"
/* The path, under https://<origin>, of the "cmcc" namespace. */
#define EPCIS_NS_PATH "/epcis/ns#"

/* The paths of identifiers under https://<origin>, each followed by ids. */
#define EPCIS_PATH_EVENT    "/events/"       /* <org>/<id> */
#define EPCIS_PATH_LINE     "/consignments/" /* <consignment>/lines/<line> */
#define EPCIS_PATH_ORG      "/orgs/"         /* <org> */
#define EPCIS_PATH_PLACE    "/places/"       /* <place> */
#define EPCIS_PATH_TRANSFER "/transfers/"    /* <transfer> */

/* One row of the table of event types: a supply type, its EPCIS action,
 * CBV business step and disposition (NULL: chosen per event, see
 * epcis_event.c). */
typedef struct {
    const char *type, *action, *biz_step, *disposition;
} epcis_step;

/* The row of a cmcc type, or NULL when the type is not mapped. */
const epcis_step *epcis_step_of_type(const char *type);
/* Every step, the last followed by one whose type is NULL. */
const epcis_step *epcis_steps(void);
/* The row of a CBV business step (bare, as "shipping"), or NULL. */
const epcis_step *epcis_step_of_biz_step(const char *biz_step);
/* The bare CBV word of a business step or disposition given bare, as a
 * ref.gs1.org/cbv URI or as a urn:epcglobal:cbv URN (kind "BizStep" or
 * "Disp"); NULL for any other form. The result points into s. */
const char *epcis_cbv_word(const char *s, const char *kind);

/* A loss cause's disposition, and back (NULL when there is none). */
const char *epcis_disposition_of_cause(const char *cause);
const char *epcis_cause_of_disposition(const char *disposition);
/* A unit's UN/ECE Recommendation 20 code (NULL for a unit counted in
 * instances, whose quantity carries no uom), and back. */
const char *epcis_uom_of_unit(const char *unit);
const char *epcis_unit_of_uom(const char *uom);

/* Appends https://<origin>, its bytes outside a URI's path percent-encoded. */
void epcis_base(cm_buf *out, const char *origin);

/* ---- epcis_event.c: one event ------------------------------------------ */

/* What mapping an event reads besides its body: the log's origin, the
 * store (a consignment's crossing, its lines' units and declared
 * quantities, kept in consignments as they are read) and its view (a
 * transfer's sender and consignment). */
typedef struct {
    const char *origin;
    store *s;
    ev_view view;
    json_t *consignments; /* owned: {id: {"crossing", "lines": {"<n>": [unit, declared]}}} */
} epcis_ctx;

/* The ObjectEvent of a logged event (its payload parsed as JSON), entry
 * index idx received at received_ms with leaf hash leaf. 1 and *out (a new
 * reference), 0 for an event that is not a supply event, -1 with err when
 * the store cannot be read. */
int epcis_event(epcis_ctx *c, const json_t *event, uint64_t idx, int64_t received_ms,
                const log_hash *leaf, json_t **out, cm_error *err);

/* ---- epcis_doc.c: a page of the log ------------------------------------- */

#define EPCIS_LIMIT_DEFAULT 1000
#define EPCIS_LIMIT_MAX     10000
#define EPCIS_SCAN_MAX      100000 /* entries read for one page at most */

typedef struct {
    const char *origin;
    uint64_t since; /* the first entry to read */
    uint64_t size;  /* the entries the log holds (published) */
    size_t limit;   /* events in the page at most */
    int64_t now_ms; /* the document's creationDate */
} epcis_page;

/* Appends the EPCISDocument of the supply events of entries since..size:
 * at most limit events and EPCIS_SCAN_MAX entries read, with "cmcc:next"
 * (the entry to ask since= from next) and "cmcc:complete" (whether the page
 * reached size). 0, or -1 with err when the store cannot be read. */
int epcis_document(store *s, const epcis_page *p, cm_buf *out, cm_error *err);

#endif
