/*
 * checkpoint_sign.c: a C2SP checkpoint (origin, size, base64 root) signed
 * as a note with the log key: by the checkpointer while the server runs,
 * and by `cmcc init` and the direct appends of logdir.c. A key that cannot
 * sign is a broken process, not a refusal: it says so and aborts.
 */
#include "engine/engine.h"

#include <stdio.h>
#include <stdlib.h>

char *srv_sign_checkpoint(const log_key *k, const char *origin, uint64_t size, const log_hash *root)
{
    log_checkpoint c = {.size = size, .root = *root};
    snprintf(c.origin, sizeof c.origin, "%s", origin);
    cm_buf body = CM_BUF_INIT, note = CM_BUF_INIT;
    checkpoint_body(&c, &body);
    cm_error err;
    if (note_sign(body.data, body.len, k, origin, &note, &err)) {
        fprintf(stderr, "cmcc: cannot sign a checkpoint: %s\n", err.message);
        abort();
    }
    buf_free(&body);
    return buf_take(&note);
}
