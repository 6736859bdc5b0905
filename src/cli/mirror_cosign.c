/*
 * mirror_cosign.c: a mirror cosigns the checkpoints a log asks it to, as a
 * C2SP tlog-witness does (the request's shape: witness/addreq.c), so that
 * each of the log's checkpoints carries the cosignatures of the mirrors
 * that hold it. `cmcc serve --mirror DIR` answers POST /add-checkpoint with
 * mirror_add_checkpoint; the log's operator lists the mirror in cmcc.conf
 * as `witness = MIRROR-URL MIRROR-VKEY`.
 *
 * A witness cosigns what consistently extends what it saw; a mirror cosigns
 * only what it holds. So, in order:
 *
 *   404  the checkpoint is of another log than the one mirrored
 *   403  it is not signed by the log's key
 *   400  the request is malformed, or old is larger than the checkpoint
 *   409  old is not the size of the newest checkpoint the mirror holds: the
 *        body is that size (text/x.tlog.size), to retry from
 *   422  the proof does not show the checkpoint extends the one held, or
 *        the log serves entries that do not make it (the mirror keeps the
 *        fork evidence and stops: mirror.c)
 *   503  the mirror could not catch up within MIRROR_COSIGN_MS (it keeps
 *        what it verified and goes on with the next request or run), or
 *        another run holds DIR for too long
 *   200  the mirror fetched the entries up to the checkpoint from the log
 *        (the log serves its tiles and proofs up to its newest tree, which
 *        it has made durable before it signs: the log's checkpointer waits
 *        on this answer, its readers do not), replayed and stored them, and
 *        answers its cosignature line over the checkpoint.
 *
 * The mirror's witness policy (`cmcc mirror --policy`) is not asked here:
 * the log gathers the cosignatures one cosigner after another, so the
 * checkpoint it asks about carries none yet.
 */
#include "cli/mirror.h"

#include "common/mem.h"
#include "common/timeutil.h"
#include "witness/witness.h"

#include <stdlib.h>
#include <string.h>

static unsigned judge(mirror *m, const witness_add *a, int64_t started, cm_buf *out)
{
    if (strcmp(a->origin, m->log.nv.name) != 0)
        return buf_printf(out, "this mirror holds %s, not %s\n", m->log.nv.name, a->origin), 404;
    char *note = xstrndup(a->note, a->note_len);
    log_checkpoint c, h;
    cm_error err;
    unsigned status = 503;
    char *held = NULL;
    uint64_t hs = 0;
    if (lf_open_checkpoint(&m->log.nv, note, a->note_len, &c, &err)) {
        buf_printf(out, "%s\n", err.message);
        status = 403;
        goto done;
    }
    int r = store_latest_checkpoint(m->w, &held, &hs, &err);
    if (r < 0 || (r == 1 && lf_open_checkpoint(&m->log.nv, held, strlen(held), &h, &err))) {
        buf_puts(out, "the mirror's store cannot be read\n");
        status = 500;
        goto done;
    }
    if (r == 0) hs = 0;
    if (a->old > c.size) {
        buf_puts(out, "old is larger than the checkpoint\n");
        status = 400;
        goto done;
    }
    if (a->old != hs) {
        buf_printf(out, "%llu\n", (unsigned long long)hs);
        status = 409;
        goto done;
    }
    if (a->old == c.size) {
        if (a->n || (r == 1 && memcmp(h.root.b, c.root.b, LOG_HASH_SIZE) != 0)) {
            buf_puts(out, "the same size with another root\n");
            status = 422;
            goto done;
        }
    } else if (a->old == 0) {
        if (a->n) {
            buf_puts(out, "a proof from the empty tree must be empty\n");
            status = 422;
            goto done;
        }
    } else if (log_check_consistency(a->old, c.size, &h.root, &c.root, a->proof, a->n) != 0) {
        buf_puts(out, "the consistency proof does not verify\n");
        status = 422;
        goto done;
    }
    m->target = note;
    m->deadline = started + MIRROR_COSIGN_MS;
    int run = mirror_run(m);
    if (run == 3) {
        buf_printf(out,
                   "the checkpoint does not extend the one this mirror holds: the evidence is "
                   "in its %s\n",
                   MIRROR_EVIDENCE_FILE);
        status = 422;
        goto done;
    }
    free(held);
    held = NULL;
    if (store_latest_checkpoint(m->w, &held, &hs, &err) != 1 || hs != c.size ||
        lf_open_checkpoint(&m->log.nv, held, strlen(held), &h, &err) ||
        memcmp(h.root.b, c.root.b, LOG_HASH_SIZE) != 0) {
        buf_printf(out,
                   "this mirror holds %llu of the checkpoint's %llu entries: it goes on fetching "
                   "them and cosigns a later checkpoint\n",
                   (unsigned long long)m->size, (unsigned long long)c.size);
        status = 503;
        goto done;
    }
    const char *blank = strstr(note, "\n\n");
    size_t text_len = blank ? (size_t)(blank - note) + 1 : a->note_len;
    uint8_t sig[COSIG_SIG_SIZE];
    cosig_sign(&m->key, (uint64_t)(time_now_ms() / 1000), note, text_len, sig);
    note_add_sigline(out, m->me.name, m->me.hash, sig, sizeof sig);
    status = 200;
done:
    m->target = NULL;
    free(note);
    free(held);
    return status;
}

int mirror_add_checkpoint(const char *dir, const char *body, size_t len, cm_buf *out)
{
    witness_add a;
    if (witness_add_parse(body, len, &a, out)) return 400;
    int64_t started = time_mono_ms();
    mirror m;
    unsigned status;
    if (mirror_open(&m, dir, NULL, NULL, NULL, NULL, getenv("CMCC_CACERT"), MIRROR_COSIGN_MS / 2)) {
        buf_puts(out, "the mirror is busy: ask again with the next checkpoint\n");
        status = 503;
    } else {
        status = judge(&m, &a, started, out);
    }
    mirror_close(&m);
    return (int)status;
}
