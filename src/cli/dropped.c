/*
 * dropped.c: a proof whose entry the log no longer holds is evidence
 * against the log (`cmcc verify URL --proofs DIR`, `cmcc mirror --proofs
 * DIR`; docs/protocol.md, "Dropped entry evidence").
 *
 * DIR holds proofs as `cmcc submit` leaves them: FILE.proof beside the
 * file FILE of one envelope, FILE.<line>.proof beside a file of several.
 * Each proof, in the order of its name:
 *   1. must be one: its checkpoint signed by the log's key, the entry
 *      rebuilt from an envelope of its file (with the proof's received
 *      time) and its inclusion path leading to that checkpoint's root;
 *      else it proves nothing and is only said to be unusable;
 *   2. the log's current checkpoint must extend the proof's (evidence.c,
 *      lf_check_extends: the same root at one size, the log's consistency
 *      proof to a larger tree; a smaller tree never does);
 *   3. the entry at the proof's index in the tree the caller holds (the
 *      replay's or the mirror's, read by rd, when it holds that index) must
 *      hash to the envelope's leaf.
 * A proof failing 2 or 3 is a dropped entry: the evidence goes to
 * PROOF.dropped.json beside it, and one sentence says so. The file:
 *
 *   {"evidence":"cmcc.dropped/v1", "origin", "url", "found",
 *    "kind": "same_size" | "inconsistent" | "smaller" | "entry",
 *    "finding": one sentence, "index": the entry's index,
 *    "proof": the tlog-proof text (its checkpoint, signed, included),
 *    "envelope": the envelope's text, "seen": the current checkpoint,
 *    "consistency": {"old", "size", "hashes"} or null}
 */
#include "cli/logfetch.h"

#include "common/codec.h"
#include "common/file.h"
#include "common/mem.h"
#include "common/timeutil.h"
#include "log/policy.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define SUFFIX ".proof"

static const char *const kinds[] = {"same_size", "inconsistent", "smaller", "entry"};

typedef struct {
    const log_proof *p;
    const log_checkpoint *cp;
    int64_t received;
    log_hash leaf;
    char *envelope; /* the matching envelope's text */
} match;

static int try_envelope(void *ctx, const char *doc, size_t len, unsigned line)
{
    (void)line;
    match *m = ctx;
    ev_envelope env;
    cm_error err;
    if (m->envelope || ev_envelope_parse(doc, len, &env, &err)) return 0;
    log_hash leaf;
    ev_entry_leaf(&env, m->received, &leaf);
    ev_envelope_free(&env);
    if (proof_check_leaf(m->p, m->cp, &leaf, &err) == 0) {
        m->leaf = leaf;
        m->envelope = xstrndup(doc, len);
    }
    return 0;
}

/* The envelope file of a proof file: FILE for FILE.proof, else FILE for
 * FILE.<line>.proof. NULL when neither exists. */
static char *envelope_file(const char *proof)
{
    char *f = xstrndup(proof, strlen(proof) - strlen(SUFFIX));
    if (access(f, R_OK) == 0) return f;
    char *dot = strrchr(f, '.');
    if (dot && dot[1] && strspn(dot + 1, "0123456789") == strlen(dot + 1)) {
        *dot = 0;
        if (access(f, R_OK) == 0) return f;
    }
    free(f);
    return NULL;
}

static void finding(const lf_log *l, const char *env_file, const log_proof *p,
                    const log_checkpoint *pc, const log_checkpoint *c, int kind, cm_buf *out)
{
    buf_printf(out,
               "the log at %s dropped entry %llu (the envelope in %s), which its checkpoint of "
               "%llu entries included: ",
               l->url, (unsigned long long)p->index, env_file, (unsigned long long)pc->size);
    unsigned long long n = c->size;
    switch (kind) {
    case LF_SAME_SIZE:
        buf_printf(out, "it now signs another tree of the same size");
        break;
    case LF_INCONSISTENT:
        buf_printf(out, "it cannot prove that its tree of %llu entries extends that one", n);
        break;
    case LF_SMALLER:
        buf_printf(out, "it now serves a smaller tree, of %llu entries", n);
        break;
    default:
        buf_printf(out, "the entry at that index of its tree of %llu entries is another one", n);
    }
}

static int write_evidence(const lf_log *l, const char *path, int kind, const char *why,
                          const char *proof_text, const char *envelope, const char *seen,
                          const lf_evidence *ev, uint64_t index)
{
    json_t *doc = lf_evidence_doc(l, "cmcc.dropped/v1");
    json_object_set_new(doc, "kind", json_string(kinds[kind]));
    json_object_set_new(doc, "finding", json_string(why));
    json_object_set_new(doc, "index", json_integer((json_int_t)index));
    json_object_set_new(doc, "proof", json_string(proof_text));
    json_object_set_new(doc, "envelope", json_string(envelope));
    json_object_set_new(doc, "seen", json_string(seen));
    json_object_set_new(doc, "consistency", lf_evidence_proof(ev));
    int rc = lf_evidence_save(l, doc, path, why, "");
    json_decref(doc);
    return rc;
}

/* One proof file: 0 held, 1 dropped, 2 unusable, -1 the check could not run. */
static int check_one(lf_log *l, const char *file, const char *note, const log_checkpoint *c,
                     log_read_fn rd, void *ctx, uint64_t rd_size)
{
    char *text = NULL, *envs = NULL, *env_file = envelope_file(file), *pnote = NULL;
    size_t len = 0, envs_len = 0;
    cm_error err;
    log_proof p = {0};
    policy_result r;
    match m = {0};
    int rc = 2;
    if (!env_file) {
        fprintf(stderr,
                "cmcc %s: %s: no envelope file beside it (FILE for FILE.proof): "
                "skipped\n",
                l->cmd, file);
        goto done;
    }
    if (cm_read_file(file, &text, &len, &err) || cm_read_file(env_file, &envs, &envs_len, &err) ||
        proof_parse(text, len, &p, &err) ||
        policy_check(NULL, &l->nv, p.note, p.note_len, &r, &err)) {
        fprintf(stderr, "cmcc %s: %s: not a proof of this log: %s: skipped\n", l->cmd, file,
                err.message);
        goto done;
    }
    m.p = &p;
    m.cp = &r.cp;
    if (!p.extra || time_parse((const char *)p.extra, p.extra_len, &m.received)) {
        fprintf(stderr, "cmcc %s: %s: the proof carries no received time: skipped\n", l->cmd, file);
        goto done;
    }
    cli_each_doc(envs, envs_len, try_envelope, &m);
    if (!m.envelope) {
        fprintf(stderr, "cmcc %s: %s is not the proof of an envelope of %s: skipped\n", l->cmd,
                file, env_file);
        goto done;
    }
    pnote = xstrndup(p.note, p.note_len);
    lf_evidence ev;
    int x = lf_check_extends(l, pnote, &r.cp, note, c, NULL, NULL, &ev);
    if (x < 0) {
        rc = -1;
        goto done;
    }
    int kind = x ? (int)ev.kind : -1;
    if (!x && rd && p.index < rd_size) {
        log_hash held;
        if (rd(ctx, 0, p.index, &held)) {
            rc = -1;
            goto done;
        }
        if (memcmp(held.b, m.leaf.b, LOG_HASH_SIZE) != 0) kind = 3;
    }
    if (kind < 0) {
        rc = 0;
    } else {
        cm_buf why = CM_BUF_INIT;
        finding(l, env_file, &p, &r.cp, c, kind, &why);
        char *path = xasprintf("%s.dropped.json", file);
        write_evidence(l, path, kind, why.data, text, m.envelope, note, x ? &ev : NULL, p.index);
        free(path);
        buf_free(&why);
        rc = 1;
    }
    if (x) lf_evidence_free(&ev);
done:
    proof_free(&p);
    free(text);
    free(envs);
    free(env_file);
    free(pnote);
    free(m.envelope);
    return rc;
}

static int by_name(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

int lf_check_proofs(lf_log *l, const char *dir, const char *note, const log_checkpoint *c,
                    log_read_fn rd, void *ctx, uint64_t rd_size, lf_proofs *t)
{
    memset(t, 0, sizeof *t);
    DIR *d = opendir(dir);
    if (!d) {
        cli_errorf(l->cmd, "cannot read the directory of proofs %s: %s", dir, strerror(errno));
        return -1;
    }
    char **names = NULL;
    size_t n = 0;
    struct dirent *e;
    while ((e = readdir(d))) {
        size_t len = strlen(e->d_name);
        if (len <= strlen(SUFFIX) || strcmp(e->d_name + len - strlen(SUFFIX), SUFFIX) != 0)
            continue;
        names = xrealloc(names, (n + 1) * sizeof *names);
        names[n++] = xasprintf("%s/%s", dir, e->d_name);
    }
    closedir(d);
    qsort(names, n, sizeof *names, by_name);
    int rc = 0;
    for (size_t i = 0; i < n; i++) {
        int x = rc < 0 ? -1 : check_one(l, names[i], note, c, rd, ctx, rd_size);
        if (x < 0) rc = -1;
        if (x == 0) t->held++;
        if (x == 1) t->dropped++;
        if (x == 2) t->unusable++;
        t->proofs++;
        free(names[i]);
    }
    free(names);
    return rc < 0 ? -1 : t->dropped ? 1 : 0;
}
