/*
 * event.h: signed events, from envelope bytes to accepted effects.
 *
 * The path of one write (docs/protocol.md section 2):
 *
 *   ev_envelope_parse   DSSE envelope shape, base64, sizes
 *   (key lookup)        the caller finds the public key of the keyid
 *   dsse_verify         the signature over PAE(type, payload)
 *   ev_event_parse      payload JSON, common fields, the type's body schema
 *   ev_apply            idempotency, authority, the type's rules against the
 *                       current state: effects, a duplicate, or a refusal
 *
 * ev_apply is pure: it reads state only through an ev_view and writes
 * nothing; what an accepted event changes comes back as a list of effects
 * that the caller (the sequencer, or a replay) applies. The server,
 * `cmcc verify` and `cmcc rebuild` all run this same code.
 *
 * Beside this core (the envelope, the event, the view, ev_apply):
 *
 *   limits.h, thing.h   sizes, and the kinds of generic things
 *   effects.h           what an accepted event changes (included here)
 *   schema.h            body validation from field tables, body accessors
 *   geo.h               geometry on WGS 84 coordinates
 *   things.h            helpers the rules of things share
 *   force.h             the caveat table, which the read model reads too
 *
 * What is derived from stored things when they are read (movement status
 * and warnings, gap analysis, ...) is the read model's, src/views/.
 *
 * No I/O here. Errors are cm_error with the protocol's code and the field.
 */
#ifndef CMCC_EVENT_H
#define CMCC_EVENT_H

#include "common/buf.h"
#include "common/error.h"
#include "event/effects.h"
#include "event/limits.h"
#include "event/thing.h"
#include "log/log.h"

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

/* ---- json.c: strict JSON ------------------------------------------------ */

/* Parses len bytes as one JSON object: duplicate keys, NUL characters,
 * invalid UTF-8 and nesting deeper than EV_MAX_DEPTH are refused
 * (bad_request on `field`). Returns a new reference, or NULL. */
json_t *ev_json_parse(const char *data, size_t len, const char *field, cm_error *err);
/* json_fast.c: the tree json_loadb (with JSON_REJECT_DUPLICATES) makes of
 * a plain JSON object (ASCII strings without escapes), made quicker; NULL
 * for anything else, which json_loadb must then judge. */
json_t *ev_json_parse_plain(const char *data, size_t len);

/* An arena for the jansson values of one parse (json_arena.c): while a
 * thread has one in use, the trees it builds live in it and are dropped
 * with it, never freed one by one. ev_arena_setup installs the allocator
 * and must run before a first ev_arena_use, while no other thread uses
 * jansson. */
#define EV_ARENA_FIRST 2048
#define EV_ARENA_CHUNK 8192
typedef struct {
    struct ev_arena_chunk *more; /* chunks from malloc, newest first */
    char *at;                    /* the chunk being filled */
    size_t cap, used;
    _Alignas(16) char first[EV_ARENA_FIRST];
} ev_arena;
void ev_arena_setup(void);
void ev_arena_init(ev_arena *a);
/* The calling thread's jansson allocations come from a (NULL: malloc). */
void ev_arena_use(ev_arena *a);
/* Forgets every value a holds: no tree built in it may be used after. */
void ev_arena_reset(ev_arena *a);
/* n bytes from the calling thread's arena in use, or NULL when it has none
 * (or no memory is left). */
void *ev_arena_take(size_t n);

/* Whether s is an identifier: [A-Za-z0-9][A-Za-z0-9._:-]{0,63}. */
int ev_is_id(const char *s);

/* ---- envelope.c: the DSSE envelope and the log entry -------------------- */

typedef struct {
    char keyid[LOG_KEYID_LEN + 1];
    uint8_t sig[LOG_SIG_SIZE];
    char *payload_b64; /* owned (or in payload's block, after its NUL),
                          NUL-terminated, canonical base64 */
    size_t payload_b64_len;
    uint8_t *payload; /* owned, the event bytes (NUL-terminated, not counted) */
    size_t payload_len;
    /* payload and payload_b64 were taken from the arena in use when the
     * entry was parsed (ev_entry_parse): the arena drops them, not
     * ev_envelope_free */
    int in_arena;
} ev_envelope;

/* Parses an envelope: exactly payloadType (ours), payload (canonical base64
 * of at most EV_PAYLOAD_MAX bytes) and one signature {keyid, sig}. */
int ev_envelope_parse(const char *json, size_t len, ev_envelope *out, cm_error *err);
/* The same for an envelope whose payloadType must be payload_type (any
 * other is bad_request on field payloadType). */
int ev_envelope_parse_as(const char *json, size_t len, const char *payload_type, ev_envelope *out,
                         cm_error *err);
/* Builds an envelope from event bytes, signed by k. */
void ev_envelope_sign(const log_key *k, const void *payload, size_t len, ev_envelope *out);
void ev_envelope_free(ev_envelope *e);
/* Appends the envelope as compact JSON, keys in protocol order. */
void ev_envelope_write(const ev_envelope *e, cm_buf *out);
/* Appends the log entry {"v":1,"received":...,"envelope":{...}}. */
void ev_entry_write(const ev_envelope *e, int64_t received_ms, cm_buf *out);
/* The log leaf (RFC 6962) of the entry e makes when received at that time. */
void ev_entry_leaf(const ev_envelope *e, int64_t received_ms, log_hash *leaf);
/* Parses a log entry; refuses anything but the exact form ev_entry_write
 * makes. OUT: *env (free with ev_envelope_free), *received_ms. */
int ev_entry_parse(const char *entry, size_t len, ev_envelope *env, int64_t *received_ms,
                   cm_error *err);
/* Whether two envelopes are the same bytes (payload, keyid, signature). */
int ev_envelope_same(const ev_envelope *a, const ev_envelope *b);

/* ---- device.c: a device's signed request for its token ----------------- */

#define EV_DEVICE_TOKEN_TYPE "application/vnd.cmcc.device-token+json"
#define EV_DEVICE_SKEW_MS    300000 /* how far a request's time may be from the server's */

typedef struct {
    char org[EV_ID_MAX + 1];
    char keyid[LOG_KEYID_LEN + 1];
    int64_t time_ms;
} ev_device_request;

/* Parses the payload of env (parsed with ev_envelope_parse_as and
 * EV_DEVICE_TOKEN_TYPE, its signature checked): exactly v (1), org, keyid,
 * time; bad_request naming the field otherwise. OUT: *out. */
int ev_device_request_parse(const ev_envelope *env, ev_device_request *out, cm_error *err);
/* 0 when r's time is within EV_DEVICE_SKEW_MS of now_ms, either way; else
 * bad_request on field time. */
int ev_device_request_fresh(const ev_device_request *r, int64_t now_ms, cm_error *err);

/* ---- roles.c: roles of organizations ------------------------------------ */

enum {
    ROLE_COORDINATOR = 1u << 0,
    ROLE_HUMANITARIAN = 1u << 1,
    ROLE_INSPECTOR = 1u << 2,
    ROLE_TRANSPORTER = 1u << 3,
    ROLE_MILITARY = 1u << 4,
    ROLE_CONTRIBUTOR = 1u << 5,
    ROLE_VERIFIER = 1u << 6,
    ROLE_MONITOR = 1u << 7,
    ROLE_COUNT = 8
};

/* The bit of a role name, or 0. */
unsigned ev_role_parse(const char *name);
/* Appends the roles as a JSON array of names, in the protocol's order. */
void ev_roles_json(unsigned roles, cm_buf *out);
/* Appends the roles as names joined by commas ("coordinator,monitor"). */
void ev_roles_text(unsigned roles, cm_buf *out);
/* Parses that comma list back. */
unsigned ev_roles_from_text(const char *text);

/* ---- event.c: the event and its common fields --------------------------- */

typedef struct ev_type ev_type;

typedef struct {
    ev_envelope env;
    json_t *root; /* owned: the parsed payload */
    const ev_type *type;
    const char *id;  /* borrowed from root */
    const char *org; /* borrowed from root */
    int64_t time_ms;
    json_t *body; /* borrowed from root */
} ev_event;

/* Parses e->env's payload: strict JSON, v, type, id, org, time (at most
 * EV_FUTURE_MS after now_ms), body checked against its type's schema. */
int ev_event_parse(ev_event *e, int64_t now_ms, cm_error *err);
/* Frees the event and its envelope. */
void ev_event_free(ev_event *e);

/* ---- the state an event is judged against ------------------------------- */

typedef struct {
    unsigned roles;
    int suspended;
} ev_org_state;

typedef struct {
    char org[EV_ID_MAX + 1];
    uint8_t pub[LOG_PUBKEY_SIZE];
    int revoked;
} ev_key_state;

typedef struct {
    char kind[32];
    int closed;
} ev_place_state;

typedef struct {
    char crossing[EV_ID_MAX + 1];
    char declared_by[EV_ID_MAX + 1];
    int screened;
    long long lines; /* how many lines it declared */
} ev_consignment_state;

typedef struct {
    long long declared;
    long long approved; /* -1 until screened */
    long long entered;
} ev_line_state;

typedef enum { TRANSFER_PENDING, TRANSFER_ACCEPTED, TRANSFER_REJECTED } ev_transfer_status;

typedef struct {
    char consignment[EV_ID_MAX + 1];
    char from[EV_ID_MAX + 1]; /* the sender; for an entry, the inspector's org */
    char to[EV_ID_MAX + 1];
    int entry; /* opened by consignment.enter */
    ev_transfer_status status;
} ev_transfer_state;

typedef struct {
    char org[EV_ID_MAX + 1]; /* who created it */
    char status[32];
    json_t *body; /* its body as last set (a new reference, or NULL) */
    int64_t time; /* the creating event's time */
} ev_thing_state;

/*
 * Read-only access to the current state. Each lookup returns 1 and fills
 * *out when the thing exists, 0 when it does not, -1 on a store failure
 * (then ev_apply answers CM_INTERNAL and the caller gives up the batch).
 */
typedef struct {
    void *ctx;
    uint64_t size; /* entries in the log before this event */
    int (*org)(void *ctx, const char *org, ev_org_state *out);
    int (*key)(void *ctx, const char *keyid, ev_key_state *out);
    int (*active_keys)(void *ctx, const char *org, long long *count);
    int (*place)(void *ctx, const char *place, ev_place_state *out);
    /* the log index of the event (org, id), and its envelope (to free;
     * left empty, payload NULL, by a view that reads no entries: a replay,
     * where any repeat of an id is a fault of the log) */
    int (*event_id)(void *ctx, const char *org, const char *id, uint64_t *index, ev_envelope *env);
    /* supply */
    int (*consignment)(void *ctx, const char *id, ev_consignment_state *out);
    int (*line)(void *ctx, const char *consignment, long long line, ev_line_state *out);
    /* the balance of an account (0 when it never held anything): returns 1 */
    int (*balance)(void *ctx, const char *consignment, long long line, const char *account,
                   long long *qty);
    int (*transfer)(void *ctx, const char *id, ev_transfer_state *out);
    /* the lines a transfer carries, in line order: up to cap (line, sent)
     * pairs; *n says how many. Returns 1. */
    int (*transfer_lines)(void *ctx, const char *transfer, long long *line, long long *sent,
                          size_t cap, size_t *n);
    /* whether a distribution or loss id is taken */
    int (*distribution)(void *ctx, const char *id);
    int (*loss)(void *ctx, const char *id);
    /* things: 1 and *out (whose body the caller releases), or 0 */
    int (*thing)(void *ctx, ev_thing_kind kind, const char *id, ev_thing_state *out);
    /* the body of the latest note of kind `note` on a thing (a new
     * reference, the caller releases it): 1 and *body, or 0 for none */
    int (*thing_note)(void *ctx, ev_thing_kind kind, const char *id, const char *note,
                      json_t **body);
    /* the id of the first weapon record with this category, make (NULL
     * for none) and serial: 1 with id, 0 for none, -1 on an error */
    int (*weapon_by_serial)(void *ctx, const char *category, const char *make, const char *serial,
                            char id[EV_ID_MAX + 1]);
    /* the active orgs with a role: up to cap ids; *n how many. Returns 1. */
    int (*orgs_with_role)(void *ctx, unsigned role, char (*ids)[EV_ID_MAX + 1], size_t cap,
                          size_t *n);
} ev_view;

/* ---- types.c: the table of event types ---------------------------------- */

/* Authority beyond roles. */
#define EV_AUTH_SELF 1u /* the org named in body.org may also write it */
#define EV_AUTH_ANY  2u /* any admitted org may write it */

typedef struct {
    const ev_view *view;
    const ev_event *ev;
    unsigned signer_roles;
} ev_ctx;

struct ev_type {
    const char *name;
    unsigned roles;              /* roles that may write it */
    unsigned auth;               /* EV_AUTH_* */
    const struct ev_field *body; /* event/schema.h */
    int (*apply)(const ev_ctx *c, ev_effects *fx, cm_error *err);
};

/* The type of that name, or NULL. */
const ev_type *ev_type_find(const char *name);
/* Every type, NULL-terminated. */
const ev_type *const *ev_types(void);

/* ---- registry.c: org, key and place types ------------------------------- */

extern const ev_type *const ev_registry_types[];
extern const ev_type ev_org_admit; /* entry 0's type */

/* ---- supply.c: consignments, custody, distributions, losses ------------- */

extern const ev_type *const ev_supply_types[];

/* ---- deconfliction.c, incidents.c --------------------------------------- */

extern const ev_type *const ev_deconfliction_types[], *const ev_incidents_types[];
/* The values of incident.report's category and severity, and of an
 * incident's status (incident.assess takes all but the first, "reported"),
 * NULL-terminated (the read API filters on them too). */
extern const char *const ev_incident_categories[], *const ev_incident_severities[],
                                                       *const ev_incident_statuses[];

/* ---- force.c, disarmament.c ---------------------------------------------- */

extern const ev_type *const ev_force_types[], *const ev_disarmament_types[];
extern const char *const ev_capabilities[], *const ev_tasks[], *const ev_readiness[],
                                                                   *const ev_weapon_categories[];

/* ---- alerts.c: following up alerts ------------------------------------------ */

extern const ev_type *const ev_alerts_types[];
/* The kinds of alert, in the order of ev_alert_key.kind, NULL-terminated. */
extern const char *const ev_alert_kinds[];
enum { EV_ALERT_TRANSFER_PENDING, EV_ALERT_UNACCOUNTED, EV_ALERT_IDLE_HOLDING, EV_ALERT_LOSS_RATE };

/* An alert key, "kind/subject...", read back (docs/protocol.md 3, "Alert
 * follow-up"). */
typedef struct {
    int kind;                    /* EV_ALERT_* */
    char subject[EV_ID_MAX + 1]; /* the transfer, the consignment, or the org */
    long long line;              /* unaccounted, idle_holding; else 0 */
    char org[EV_ID_MAX + 1];     /* unaccounted, idle_holding, loss_rate; else "" */
} ev_alert_key;

/* Parses key: bad_request on body.alert naming what is wrong. */
int ev_alert_key_parse(const char *key, ev_alert_key *out, cm_error *err);

/* ---- apply.c: judging an event against the state ------------------------ */

/* Fails with internal, "the store could not be read": -1. */
int ev_store_failed(cm_error *err);
/* The place must be defined (rule_violation on field); its state into out
 * when out is not NULL. A NULL place (an optional field left out) passes.
 * 0 or -1 with err. */
int ev_need_place(const ev_ctx *c, const char *place, const char *field, ev_place_state *out,
                  cm_error *err);
/* As ev_need_place, and the place must be of kind k1 (or of kind k2, when
 * k2 is not NULL): rule_violation on field naming the kind it is. */
int ev_need_place_kind(const ev_ctx *c, const char *place, const char *field, const char *k1,
                       const char *k2, cm_error *err);
/* The consignment must be declared (rule_violation on field); its state
 * into out when out is not NULL. A NULL id passes. 0 or -1 with err. */
int ev_need_consignment(const ev_ctx *c, const char *id, const char *field,
                        ev_consignment_state *out, cm_error *err);

/* The public key that must have signed e: for every event but the genesis,
 * the registered key of e->env.keyid (unknown_key when there is none); for
 * the genesis (view->size == 0), one of the keys the org.admit itself
 * admits. e must be parsed when view->size == 0. */
int ev_signer_key(const ev_view *v, const ev_event *e, uint8_t pub[LOG_PUBKEY_SIZE], cm_error *err);

typedef enum { EV_ACCEPTED = 0, EV_DUPLICATE = 1, EV_REFUSED = -1 } ev_verdict;

/* Judges a parsed event whose signature has been checked: idempotency by
 * (org, id), authority, then the type's rules. EV_ACCEPTED with effects
 * appended to fx; EV_DUPLICATE with *dup_index, the entry of the first
 * submission; EV_REFUSED with err. */
ev_verdict ev_apply(const ev_view *v, const ev_event *e, ev_effects *fx, uint64_t *dup_index,
                    cm_error *err);

#endif
