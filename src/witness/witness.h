/*
 * witness.h: `cmcc witness`, a C2SP tlog-witness: a party apart from any
 * log, which cosigns a log's checkpoint only when it consistently extends
 * the last one it cosigned (witness.c), and keeps that promise in a store of
 * its own (store.h: store_witness_*).
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

/* ---- addreq.c: an add-checkpoint request --------------------------------- */

typedef struct {
    uint64_t old; /* the size the client believes was last cosigned */
    log_hash proof[LOG_MAX_PROOF];
    size_t n;
    const char *note; /* the checkpoint (a signed note), inside the body */
    size_t note_len;
    char origin[NOTE_NAME_MAX]; /* its first line */
} witness_add;

/* Parses the body of POST /add-checkpoint (its shape only). 0, or -1 with
 * a line saying what is wrong appended to why (answered with 400). */
int witness_add_parse(const char *body, size_t len, witness_add *out, cm_buf *why);

/* ---- witness.c: the server ---------------------------------------------- */

/* Serves POST /add-checkpoint for the witness in dir until SIGINT or
 * SIGTERM. */
int witness_serve(const char *dir, const char *host, unsigned port, int quiet, cm_error *err);

#endif
