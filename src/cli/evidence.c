/*
 * evidence.c: what `cmcc mirror` and `cmcc verify` keep when a log shows a
 * checkpoint that does not extend one it signed before (a fork, a rewritten
 * past, a smaller tree), and how any party checks it with the log's key
 * alone. The file is JSON (docs/protocol.md, "Fork evidence"):
 *
 *   {"evidence": "cmcc.fork/v1",
 *    "origin": ORIGIN, "url": URL the log was read from, "found": RFC 3339,
 *    "kind": "same_size" | "inconsistent" | "smaller",
 *    "finding": one sentence,
 *    "held": the checkpoint signed before (note text, with its signatures),
 *    "seen": the checkpoint that does not extend it,
 *    "proof": {"old": M, "size": N, "hashes": [base64, ...]} or null}
 *
 *   same_size     held and seen have one size and two roots
 *   inconsistent  seen is larger and "proof", the log's own consistency
 *                 proof from held to seen, does not verify
 *   smaller       seen is smaller than held; "proof", when given, is the
 *                 consistency proof from seen to held over the held tree
 *                 (from a mirror, which holds it): when it does not verify
 *                 the two trees disagree on their common entries
 *
 * A mirror writes no evidence of a smaller tree that is a prefix of the one
 * it holds (lf_check_agrees): it cosigns a checkpoint before its log
 * publishes it, so the log may well serve an older one meanwhile.
 */
#include "cli/logfetch.h"

#include "common/codec.h"
#include "common/mem.h"
#include "common/timeutil.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static const char *const kinds[] = {"same_size", "inconsistent", "smaller"};

void lf_evidence_free(lf_evidence *ev)
{
    free(ev->held);
    free(ev->seen);
    ev->held = ev->seen = NULL;
}

static void fill(lf_evidence *ev, lf_finding kind, const char *held_note,
                 const log_checkpoint *held, const char *seen_note, const log_checkpoint *seen)
{
    ev->kind = kind;
    ev->held = xstrdup(held_note);
    ev->seen = xstrdup(seen_note);
    ev->held_c = *held;
    ev->seen_c = *seen;
}

int lf_check_extends(lf_log *l, const char *held_note, const log_checkpoint *held,
                     const char *seen_note, const log_checkpoint *seen, log_read_fn rd, void *ctx,
                     lf_evidence *ev)
{
    memset(ev, 0, sizeof *ev);
    if (seen->size == held->size) {
        if (memcmp(seen->root.b, held->root.b, LOG_HASH_SIZE) == 0) return 0;
        fill(ev, LF_SAME_SIZE, held_note, held, seen_note, seen);
        return 1;
    }
    if (seen->size > held->size) {
        if (held->size == 0) return 0;
        log_hash path[LOG_MAX_PROOF];
        size_t n = 0;
        if (lf_consistency(l, held->size, seen->size, path, &n)) return -1;
        if (log_check_consistency(held->size, seen->size, &held->root, &seen->root, path, n) == 0)
            return 0;
        fill(ev, LF_INCONSISTENT, held_note, held, seen_note, seen);
        ev->has_proof = 1;
        ev->proof_old = held->size;
        ev->proof_size = seen->size;
        memcpy(ev->proof, path, n * sizeof *path);
        ev->proof_n = n;
        return 1;
    }
    fill(ev, LF_SMALLER, held_note, held, seen_note, seen);
    if (rd && seen->size > 0 &&
        log_prove_consistency(seen->size, held->size, rd, ctx, ev->proof, &ev->proof_n) == 0) {
        ev->has_proof = 1;
        ev->proof_old = seen->size;
        ev->proof_size = held->size;
    }
    return 1;
}

int lf_check_agrees(lf_log *l, const char *held_note, const log_checkpoint *held,
                    const char *seen_note, const log_checkpoint *seen, log_read_fn rd, void *ctx,
                    lf_evidence *ev)
{
    if (seen->size >= held->size)
        return lf_check_extends(l, held_note, held, seen_note, seen, rd, ctx, ev);
    memset(ev, 0, sizeof *ev);
    if (seen->size == 0) return 0;
    log_hash path[LOG_MAX_PROOF];
    size_t n = 0;
    if (rd) {
        if (log_prove_consistency(seen->size, held->size, rd, ctx, path, &n)) {
            cli_errorf(l->cmd,
                       "the tree of %llu entries held here is incomplete: it cannot be compared "
                       "with the checkpoint of %llu entries %s serves",
                       (unsigned long long)held->size, (unsigned long long)seen->size, l->url);
            return -1;
        }
    } else if (lf_consistency(l, seen->size, held->size, path, &n)) {
        return -1;
    }
    if (log_check_consistency(seen->size, held->size, &seen->root, &held->root, path, n) == 0)
        return 0; /* an older checkpoint of the same history */
    fill(ev, LF_SMALLER, held_note, held, seen_note, seen);
    ev->has_proof = 1;
    ev->proof_old = seen->size;
    ev->proof_size = held->size;
    memcpy(ev->proof, path, n * sizeof *path);
    ev->proof_n = n;
    return 1;
}

/* The finding in one sentence (no final stop). */
static void finding(const char *url, const lf_evidence *ev, int disagree, cm_buf *out)
{
    unsigned long long h = ev->held_c.size, s = ev->seen_c.size;
    switch (ev->kind) {
    case LF_SAME_SIZE:
        buf_printf(out,
                   "the log at %s signs two different trees of %llu entries, the one held here and "
                   "the one it serves now: it was rewritten or forked",
                   url, h);
        break;
    case LF_INCONSISTENT:
        buf_printf(out,
                   "the log at %s cannot prove that its tree of %llu entries extends the tree of "
                   "%llu entries it signed before (its consistency proof does not verify): it was "
                   "rewritten or forked",
                   url, s, h);
        break;
    case LF_SMALLER:
        buf_printf(out,
                   "the log at %s now serves a tree of %llu entries, smaller than the tree of %llu "
                   "entries it signed before%s: it was %s",
                   url, s, h, disagree ? ", and their first entries differ" : "",
                   disagree ? "rewritten or forked" : "rolled back");
        break;
    }
}

static int smaller_disagrees(const lf_evidence *ev)
{
    return ev->kind == LF_SMALLER && ev->has_proof &&
           log_check_consistency(ev->proof_old, ev->proof_size, &ev->seen_c.root, &ev->held_c.root,
                                 ev->proof, ev->proof_n) != 0;
}

json_t *lf_evidence_doc(const lf_log *l, const char *evidence)
{
    char t[40];
    time_format_ms(time_now_ms(), t, sizeof t);
    json_t *doc = json_object();
    json_object_set_new(doc, "evidence", json_string(evidence));
    json_object_set_new(doc, "origin", json_string(l->nv.name));
    json_object_set_new(doc, "url", json_string(l->url));
    json_object_set_new(doc, "found", json_string(t));
    return doc;
}

json_t *lf_evidence_proof(const lf_evidence *ev)
{
    if (!ev || !ev->has_proof) return json_null();
    json_t *p = json_object(), *hs = json_array();
    json_object_set_new(p, "old", json_integer((json_int_t)ev->proof_old));
    json_object_set_new(p, "size", json_integer((json_int_t)ev->proof_size));
    for (size_t i = 0; i < ev->proof_n; i++) {
        char b[64];
        b64_encode(ev->proof[i].b, LOG_HASH_SIZE, b, sizeof b);
        json_array_append_new(hs, json_string(b));
    }
    json_object_set_new(p, "hashes", hs);
    return p;
}

int lf_evidence_save(const lf_log *l, json_t *doc, const char *path, const char *why,
                     const char *after)
{
    char *text = json_dumps(doc, JSON_INDENT(1) | JSON_PRESERVE_ORDER);
    char *tmp = xasprintf("%s.tmp", path);
    int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    size_t len = strlen(text);
    int ok = fd >= 0 && write(fd, text, len) == (ssize_t)len && write(fd, "\n", 1) == 1 &&
             fsync(fd) == 0;
    if (fd >= 0) close(fd);
    ok = ok && rename(tmp, path) == 0;
    int saved = errno;
    free(tmp);
    free(text);
    if (ok)
        cli_errorf(l->cmd, "%s; the evidence is kept in %s%s.", why, path, after);
    else
        cli_errorf(l->cmd, "%s; the evidence could not be written to %s (%s)%s.", why, path,
                   strerror(saved), after);
    return ok ? 0 : -1;
}

int lf_evidence_write(const lf_log *l, const lf_evidence *ev, const char *path)
{
    cm_buf why = CM_BUF_INIT;
    finding(l->url, ev, smaller_disagrees(ev), &why);
    json_t *doc = lf_evidence_doc(l, "cmcc.fork/v1");
    json_object_set_new(doc, "kind", json_string(kinds[ev->kind]));
    json_object_set_new(doc, "finding", json_string(why.data));
    json_object_set_new(doc, "held", json_string(ev->held));
    json_object_set_new(doc, "seen", json_string(ev->seen));
    json_object_set_new(doc, "proof", lf_evidence_proof(ev));
    int rc = lf_evidence_save(l, doc, path, why.data, "; stopped");
    json_decref(doc);
    buf_free(&why);
    return rc;
}

static int say(char *why, size_t whylen, int rc, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
static int say(char *why, size_t whylen, int rc, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(why, whylen, fmt, ap);
    va_end(ap);
    return rc;
}

int lf_evidence_check(const char *text, size_t len, const note_verifier *nv, char *why,
                      size_t whylen, cm_error *err)
{
    json_error_t je;
    json_t *doc = json_loadb(text, len, 0, &je);
    if (!doc)
        return cm_fail(err, CM_BAD_REQUEST, "", "it is not JSON (line %d: %s)", je.line, je.text);
    int rc = -1;
    lf_evidence ev;
    memset(&ev, 0, sizeof ev);
    const char *tag = json_string_value(json_object_get(doc, "evidence"));
    const char *kind = json_string_value(json_object_get(doc, "kind"));
    const char *held = json_string_value(json_object_get(doc, "held"));
    const char *seen = json_string_value(json_object_get(doc, "seen"));
    json_t *proof = json_object_get(doc, "proof");
    int k = -1;
    for (int i = 0; kind && i < 3; i++)
        if (strcmp(kind, kinds[i]) == 0) k = i;
    if (!tag || strcmp(tag, "cmcc.fork/v1") != 0 || k < 0 || !held || !seen) {
        cm_fail(err, CM_BAD_REQUEST, "",
                "it is not fork evidence (cmcc.fork/v1 with kind, held and seen)");
        goto done;
    }
    ev.kind = (lf_finding)k;
    if (json_is_object(proof)) {
        json_t *hs = json_object_get(proof, "hashes"), *v;
        size_t i;
        if (!json_is_integer(json_object_get(proof, "old")) ||
            !json_is_integer(json_object_get(proof, "size")) || !json_is_array(hs) ||
            json_array_size(hs) > LOG_MAX_PROOF) {
            cm_fail(err, CM_BAD_REQUEST, "proof", "its proof is not {old, size, hashes}");
            goto done;
        }
        ev.has_proof = 1;
        ev.proof_old = (uint64_t)json_integer_value(json_object_get(proof, "old"));
        ev.proof_size = (uint64_t)json_integer_value(json_object_get(proof, "size"));
        json_array_foreach(hs, i, v)
        {
            const char *s = json_string_value(v);
            if (!s || b64_decode(s, strlen(s), ev.proof[i].b, LOG_HASH_SIZE) != LOG_HASH_SIZE) {
                cm_fail(err, CM_BAD_REQUEST, "proof.hashes",
                        "a proof hash is not base64 of 32 bytes");
                goto done;
            }
            ev.proof_n = i + 1;
        }
    }
    rc = 0;
    cm_error e2;
    if (lf_open_checkpoint(nv, held, strlen(held), &ev.held_c, &e2)) {
        say(why, whylen, 0, "the held checkpoint is not signed by the log's key: %s", e2.message);
        goto done;
    }
    if (lf_open_checkpoint(nv, seen, strlen(seen), &ev.seen_c, &e2)) {
        say(why, whylen, 0, "the seen checkpoint is not signed by the log's key: %s", e2.message);
        goto done;
    }
    unsigned long long hsz = ev.held_c.size, ssz = ev.seen_c.size;
    switch (ev.kind) {
    case LF_SAME_SIZE:
        if (hsz != ssz || memcmp(ev.held_c.root.b, ev.seen_c.root.b, LOG_HASH_SIZE) == 0)
            say(why, whylen, 0, "the two checkpoints are not of one size with two roots");
        else
            rc = say(why, whylen, 1, "the log signed two different trees of %llu entries", hsz);
        break;
    case LF_INCONSISTENT:
        if (!ev.has_proof || ev.proof_old != hsz || ev.proof_size != ssz || ssz <= hsz)
            say(why, whylen, 0, "its proof is not one from the held tree to the larger seen one");
        else if (log_check_consistency(hsz, ssz, &ev.held_c.root, &ev.seen_c.root, ev.proof,
                                       ev.proof_n) == 0)
            say(why, whylen, 0, "the proof verifies: the seen tree extends the held one");
        else
            rc = say(why, whylen, 1,
                     "the log's proof that its tree of %llu entries extends the tree of %llu "
                     "entries it signed does not verify",
                     ssz, hsz);
        break;
    case LF_SMALLER:
        if (ssz >= hsz)
            say(why, whylen, 0, "the seen checkpoint is not smaller than the held one");
        else if (ev.has_proof && (ev.proof_old != ssz || ev.proof_size != hsz))
            say(why, whylen, 0, "its proof is not one from the seen tree to the held one");
        else
            rc = say(why, whylen, 1,
                     "the log signed a tree of %llu entries and later one of %llu entries%s", hsz,
                     ssz, smaller_disagrees(&ev) ? " whose entries differ from the first's" : "");
        break;
    }
done:
    json_decref(doc);
    return rc;
}
