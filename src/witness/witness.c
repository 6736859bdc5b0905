/*
 * witness.c: `cmcc witness serve`, a C2SP tlog-witness v1.0.0 for cmcc logs
 * (and any log of C2SP checkpoints signed with Ed25519 note keys). A mediator
 * runs one: it cosigns a log's checkpoint only if it consistently extends
 * the last one it cosigned, so no log can show two histories.
 *
 * POST /add-checkpoint, body:
 *
 *   old <size the client believes the witness last cosigned>\n
 *   <base64 consistency proof hash>\n        (zero or more lines)
 *   \n
 *   <the checkpoint: a signed note>
 *
 * Answers (as tlog-witness defines them):
 *   200  the cosignature line "— <name> <base64(keyhash || timestamp || sig)>\n"
 *   400  malformed request, or old larger than the checkpoint's size
 *   403  no valid signature of the log's key, or not a checkpoint
 *   404  a log this witness does not witness
 *   409  old is not the size this witness last cosigned: the body is that
 *        size (Content-Type text/x.tlog.size), to retry from
 *   422  the proof does not show the new tree extends the old one
 *
 * The witness directory holds witness.pem (its key), witness.name,
 * witness.vkey (its cosignature/v1 verifier key) and witness.db. Requests
 * are served one at a time; each is recorded, synced, before the answer.
 *
 * It speaks plain HTTP only (unlike `cmcc serve`, which takes a certificate:
 * server/tls.c): HTTPS for a witness comes from a reverse proxy in front of it
 * (docs/operations.md). Its answers are signed, so TLS guards the log's
 * requests rather than the cosignatures.
 */
#include "witness/witness.h"

#include "common/buf.h"
#include "common/file.h"
#include "common/mem.h"
#include "common/net.h"
#include "common/timeutil.h"

#include <microhttpd.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>

typedef struct {
    store *db;
    log_key key;
    char name[NOTE_NAME_MAX];
    uint32_t hash;
} witness;

typedef struct {
    cm_buf body;
    int too_large;
} wreq;

#define WITNESS_BODY_MAX (64 * 1024)

static enum MHD_Result reply(struct MHD_Connection *c, unsigned status, const char *type,
                             const char *text)
{
    struct MHD_Response *m =
        MHD_create_response_from_buffer(strlen(text), (void *)text, MHD_RESPMEM_MUST_COPY);
    MHD_add_response_header(m, "Content-Type", type);
    enum MHD_Result rc = MHD_queue_response(c, status, m);
    MHD_destroy_response(m);
    return rc;
}

/* Judges one add-checkpoint body: the status, and the text to answer. */
static unsigned add_checkpoint(witness *w, const char *body, size_t len, cm_buf *out)
{
    witness_add a;
    if (witness_add_parse(body, len, &a, out)) return 400;
    unsigned long long old = a.old;
    const log_hash *proof = a.proof;
    size_t n = a.n;
    const char *note = a.note;
    size_t note_len = a.note_len;
    const char *origin = a.origin;
    cm_error err;
    char *vkey = NULL;
    uint64_t size = 0;
    log_hash root;
    int found = store_witness_get(w->db, origin, &vkey, &size, &root, &err);
    if (found < 0) return buf_puts(out, "store failure\n"), 500;
    if (!found) return buf_puts(out, "unknown log\n"), 404;
    note_verifier v;
    note_opened o;
    log_checkpoint c;
    int ok = note_verifier_parse(vkey, &v, &err) == 0 &&
             note_open(note, note_len, &v, 1, &o, &err) == 0 &&
             checkpoint_parse(note, o.text_len, &c, &err) == 0 && strcmp(c.origin, origin) == 0;
    free(vkey);
    vkey = NULL;
    if (!ok) return buf_printf(out, "%s\n", err.message), 403;
    if (old > c.size) return buf_puts(out, "old is larger than the checkpoint\n"), 400;
    if (old != size) return buf_printf(out, "%llu\n", (unsigned long long)size), 409;
    if (old == c.size) {
        if (n || memcmp(root.b, c.root.b, LOG_HASH_SIZE) != 0)
            return buf_puts(out, "the same size with another root\n"), 422;
    } else if (old == 0) {
        if (n) return buf_puts(out, "a proof from the empty tree must be empty\n"), 422;
    } else if (log_check_consistency(old, c.size, &root, &c.root, proof, n) != 0) {
        return buf_puts(out, "the consistency proof does not verify\n"), 422;
    }
    char *text = xstrndup(note, o.text_len);
    if (store_witness_advance(w->db, origin, old, c.size, &c.root, text, time_now_ms(), &err)) {
        free(text);
        /* another process on this witness's store moved it on: its size now */
        if (err.code != CM_CONFLICT ||
            store_witness_get(w->db, origin, &vkey, &size, &root, &err) != 1) {
            free(vkey);
            return buf_puts(out, "store failure\n"), 500;
        }
        free(vkey);
        return buf_printf(out, "%llu\n", (unsigned long long)size), 409;
    }
    uint8_t sig[COSIG_SIG_SIZE];
    uint64_t ts = (uint64_t)(time_now_ms() / 1000);
    cosig_sign(&w->key, ts, text, o.text_len, sig);
    free(text);
    note_add_sigline(out, w->name, w->hash, sig, sizeof sig);
    return 200;
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *c, const char *url,
                                  const char *method, const char *version, const char *upload,
                                  size_t *upload_size, void **con_cls)
{
    (void)version;
    witness *w = cls;
    wreq *q = *con_cls;
    if (!q) {
        *con_cls = xcalloc(1, sizeof(wreq));
        return MHD_YES;
    }
    if (*upload_size) {
        if (q->body.len + *upload_size > WITNESS_BODY_MAX)
            q->too_large = 1;
        else
            buf_append(&q->body, upload, *upload_size);
        *upload_size = 0;
        return MHD_YES;
    }
    if (strcmp(url, "/add-checkpoint") != 0) return reply(c, 404, "text/plain", "not found\n");
    if (strcmp(method, "POST") != 0) return reply(c, 405, "text/plain", "use POST\n");
    if (q->too_large) return reply(c, 413, "text/plain", "too large\n");
    cm_buf out = CM_BUF_INIT;
    unsigned status = add_checkpoint(w, q->body.data ? q->body.data : "", q->body.len, &out);
    enum MHD_Result rc =
        reply(c, status, status == 409 ? "text/x.tlog.size" : "text/plain; charset=utf-8",
              out.data ? out.data : "");
    buf_free(&out);
    return rc;
}

static void on_done(void *cls, struct MHD_Connection *c, void **con_cls,
                    enum MHD_RequestTerminationCode toe)
{
    (void)cls;
    (void)c;
    (void)toe;
    wreq *q = *con_cls;
    if (q) buf_free(&q->body);
    free(q);
    *con_cls = NULL;
}

int witness_serve(const char *dir, const char *host, unsigned port, int quiet, cm_error *err)
{
    witness w;
    memset(&w, 0, sizeof w);
    char *pem = xasprintf("%s/witness.pem", dir), *db = xasprintf("%s/witness.db", dir);
    char *namefile = xasprintf("%s/witness.name", dir), *name = NULL;
    int rc = -1;
    struct MHD_Daemon *d = NULL;
    if (log_key_load(pem, &w.key, err) || cm_read_line_file(namefile, &name, err) ||
        !(w.db = store_witness_open(db, err)))
        goto done;
    snprintf(w.name, sizeof w.name, "%s", name);
    w.hash = note_key_hash(w.name, NOTE_KEY_COSIGNATURE, w.key.pub);
    struct sockaddr_in addr;
    if (cm_listen_addr(host, port, &addr, err)) goto done;
    sigset_t sigs;
    cm_block_stop_signals(&sigs);
    d = MHD_start_daemon(MHD_USE_INTERNAL_POLLING_THREAD, (uint16_t)port, NULL, NULL, on_request,
                         &w, MHD_OPTION_SOCK_ADDR, (struct sockaddr *)&addr,
                         MHD_OPTION_CONNECTION_TIMEOUT, 30u, MHD_OPTION_NOTIFY_COMPLETED, on_done,
                         NULL, MHD_OPTION_END);
    if (!d) {
        cm_fail(err, CM_UNAVAILABLE, "", "cannot listen on %s:%u", host, port);
        goto done;
    }
    const union MHD_DaemonInfo *info = MHD_get_daemon_info(d, MHD_DAEMON_INFO_BIND_PORT);
    if (!quiet) {
        printf("cmcc witness: %s serving at http://%s:%u/add-checkpoint\n", w.name, host,
               info ? info->port : port);
        fflush(stdout);
    }
    int sig;
    sigwait(&sigs, &sig);
    rc = 0;
done:
    if (d) MHD_stop_daemon(d);
    store_close(w.db);
    log_key_free(&w.key);
    free(pem);
    free(db);
    free(namefile);
    free(name);
    return rc;
}
