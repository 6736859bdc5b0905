/*
 * witness.h: `cmcc witness`, a C2SP tlog-witness: a party apart from any
 * log, which cosigns a log's checkpoint only when it consistently extends
 * the last one it cosigned (witness.c), and keeps that promise in a store of
 * its own (witness_store.c).
 *
 * A witness directory holds witness.pem (its key), witness.name,
 * witness.vkey (its cosignature/v1 verifier key) and witness.db.
 */
#ifndef CMCC_WITNESS_H
#define CMCC_WITNESS_H

#include "common/buf.h"
#include "common/error.h"
#include "log/log.h"
#include "store/store.h"

#include <stdint.h>

/* ---- witness.c: the server ---------------------------------------------- */

/* Serves POST /add-checkpoint for the witness in dir until SIGINT or
 * SIGTERM. */
int witness_serve(const char *dir, const char *host, unsigned port, int quiet, cm_error *err);

/* ---- witness_store.c: a witness's own store ----------------------------- */

int witness_store_create(const char *path, cm_error *err);
store *witness_store_open(const char *path, cm_error *err);
/* Adds (or re-keys) a log to witness, by its origin and note verifier key. */
int witness_store_add_log(store *s, const char *origin, const char *vkey, cm_error *err);
/* The log of origin: its vkey (malloc'ed), the size and root last cosigned.
 * 1 found, 0 not witnessed. */
int witness_store_get(store *s, const char *origin, char **vkey, uint64_t *size, log_hash *root,
                      cm_error *err);
/* Records a newly cosigned checkpoint, if the stored size is still
 * old_size (else CM_CONFLICT): durable when it returns. */
int witness_store_advance(store *s, const char *origin, uint64_t old_size, uint64_t size,
                          const log_hash *root, const char *note, int64_t now_ms, cm_error *err);
/* [{"origin","vkey","size"}] */
int witness_store_logs_json(store *s, cm_buf *out, cm_error *err);

#endif
