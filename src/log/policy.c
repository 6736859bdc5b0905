/*
 * policy.c: C2SP tlog-policy, the rule that says which checkpoints count.
 *
 * A policy file is lines of fields separated by runs of spaces and tabs;
 * blank lines and lines whose first field starts with "#" are ignored:
 *
 *   log <vkey> [<url>]                  a log: an Ed25519 (0x01) note key,
 *                                       named as the log's origin
 *   witness <name> <vkey> [<url>]       a cosigner: a cosignature/v1 (0x04)
 *                                       key (a witness, or a mirror)
 *   group <name> all|any|<k> <name>...  witnessed when k of its members are
 *   quorum <name>|none                  exactly one: what a checkpoint needs
 *
 * Witnesses and groups share one namespace; a group or the quorum may only
 * name what a line above defined, each member once, and never "none". Two
 * logs, or two witnesses, with the same public key are refused. Bytes
 * 0x00-0x1f other than tab and newline, and 0x7f, are refused; bytes with
 * the high bit set are opaque (names compare byte for byte).
 *
 * Every refusal names the file and the line and says what is wrong, so a
 * typo can never leave a weaker policy in force.
 *
 * Checking a checkpoint (policy_check) opens its note with the log's key
 * (note.c), then with each witness's key alone: a witness counts when its
 * cosignature verifies over this very checkpoint; a line that does not
 * verify (a cosignature of another checkpoint, say) counts for nothing, and
 * lines of keys the policy does not name are ignored. Groups are then
 * evaluated in file order, which is an order where members come first.
 */
#include "log/policy.h"

#include "common/file.h"
#include "common/mem.h"

#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_FIELDS (3 + POLICY_MAX_NAMES + 1)
#define VKEY_MAX   (NOTE_NAME_MAX + 64)

typedef struct {
    const char *s;
    size_t n;
} field;

typedef struct {
    policy *p;
    const char *file;
    unsigned line;
    cm_error *err;
} parser;

static int fail(parser *ps, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static int fail(parser *ps, const char *fmt, ...)
{
    char msg[CM_MESSAGE_MAX];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    return cm_fail(ps->err, CM_BAD_REQUEST, "", "%s:%u: %s", ps->file, ps->line, msg);
}

static int is(const field *f, const char *word)
{
    return f->n == strlen(word) && memcmp(f->s, word, f->n) == 0;
}

/* The index of the witness or group of this name, or -1. */
static int lookup(const policy *p, const field *f)
{
    for (size_t i = 0; i < p->n_names; i++)
        if (strlen(p->names[i].name) == f->n && memcmp(p->names[i].name, f->s, f->n) == 0)
            return (int)i;
    return -1;
}

/* Parses a field as a verifier key of type want, named what in errors. */
static int vkey(parser *ps, const field *f, uint8_t want, const char *what, note_verifier *v)
{
    char buf[VKEY_MAX];
    cm_error e;
    if (f->n >= sizeof buf) return fail(ps, "%s's key is longer than %d bytes", what, VKEY_MAX - 1);
    memcpy(buf, f->s, f->n);
    buf[f->n] = '\0';
    if (note_verifier_parse(buf, v, &e))
        return fail(ps, "%s's key is not a verifier key (<name>+<8 hex>+<base64>): %s", what,
                    e.message);
    if (v->type != want)
        return fail(ps,
                    want == NOTE_KEY_ED25519
                        ? "%s's key is a cosignature/v1 key (type 0x04); a log signs with an "
                          "Ed25519 note key (type 0x01)"
                        : "%s's key is an Ed25519 note key (type 0x01); a witness cosigns with a "
                          "cosignature/v1 key (type 0x04)",
                    what);
    return 0;
}

static int url(parser *ps, const field *f, char out[POLICY_URL_MAX])
{
    if (!f) {
        out[0] = '\0';
        return 0;
    }
    if (f->n >= POLICY_URL_MAX)
        return fail(ps, "the URL is longer than %d bytes", POLICY_URL_MAX - 1);
    memcpy(out, f->s, f->n);
    out[f->n] = '\0';
    return 0;
}

/* A new name for a witness or group: not "none", not defined above. */
static int new_name(parser *ps, const field *f, const char *what)
{
    if (is(f, "none"))
        return fail(ps, "\"none\" is reserved (quorum none); give the %s another name", what);
    if (lookup(ps->p, f) >= 0)
        return fail(ps, "the name \"%.*s\" is already defined above", (int)f->n, f->s);
    if (f->n >= NOTE_NAME_MAX)
        return fail(ps, "the %s's name is longer than %d bytes", what, NOTE_NAME_MAX - 1);
    return 0;
}

static int line_log(parser *ps, const field *f, size_t nf)
{
    policy *p = ps->p;
    if (nf < 2 || nf > 3) return fail(ps, "a log line is \"log <vkey> [<url>]\"");
    if (p->n_logs == POLICY_MAX_LOGS) return fail(ps, "more than %d logs", POLICY_MAX_LOGS);
    policy_log *l = &p->logs[p->n_logs];
    if (vkey(ps, &f[1], NOTE_KEY_ED25519, "the log", &l->v) ||
        url(ps, nf == 3 ? &f[2] : NULL, l->url))
        return -1;
    for (size_t i = 0; i < p->n_logs; i++)
        if (memcmp(p->logs[i].v.pub, l->v.pub, LOG_PUBKEY_SIZE) == 0)
            return fail(ps, "the log %s has the same public key as the log %s above", l->v.name,
                        p->logs[i].v.name);
    p->n_logs++;
    return 0;
}

static int line_witness(parser *ps, const field *f, size_t nf)
{
    policy *p = ps->p;
    if (nf < 3 || nf > 4) return fail(ps, "a witness line is \"witness <name> <vkey> [<url>]\"");
    if (p->n_witnesses == POLICY_MAX_WITNESSES)
        return fail(ps, "more than %d witnesses", POLICY_MAX_WITNESSES);
    if (new_name(ps, &f[1], "witness")) return -1;
    policy_name *w = &p->names[p->n_names];
    memset(w, 0, sizeof *w);
    char what[NOTE_NAME_MAX + 16];
    snprintf(what, sizeof what, "witness %.*s", (int)f[1].n, f[1].s);
    if (vkey(ps, &f[2], NOTE_KEY_COSIGNATURE, what, &w->v) ||
        url(ps, nf == 4 ? &f[3] : NULL, w->url))
        return -1;
    for (size_t i = 0; i < p->n_names; i++)
        if (!p->names[i].group && memcmp(p->names[i].v.pub, w->v.pub, LOG_PUBKEY_SIZE) == 0)
            return fail(ps, "witness %.*s has the same public key as witness %s above", (int)f[1].n,
                        f[1].s, p->names[i].name);
    memcpy(w->name, f[1].s, f[1].n);
    w->name[f[1].n] = '\0';
    p->n_names++;
    p->n_witnesses++;
    return 0;
}

/* k: decimal, no sign, no leading zero. */
static int threshold(const field *f, unsigned *k)
{
    unsigned v = 0;
    if (f->n == 0 || f->n > 4 || f->s[0] == '0') return -1;
    for (size_t i = 0; i < f->n; i++) {
        if (f->s[i] < '0' || f->s[i] > '9') return -1;
        v = v * 10 + (unsigned)(f->s[i] - '0');
    }
    *k = v;
    return 0;
}

static int line_group(parser *ps, const field *f, size_t nf)
{
    policy *p = ps->p;
    if (nf < 4)
        return fail(ps, "a group line is \"group <name> all|any|<k> <name>...\", with at least "
                        "one member");
    if (p->n_groups == POLICY_MAX_GROUPS) return fail(ps, "more than %d groups", POLICY_MAX_GROUPS);
    if (new_name(ps, &f[1], "group")) return -1;
    policy_name *g = &p->names[p->n_names];
    memset(g, 0, sizeof *g);
    g->group = 1;
    unsigned n = (unsigned)(nf - 3);
    for (size_t i = 3; i < nf; i++) {
        if (is(&f[i], "none")) return fail(ps, "\"none\" cannot be a member of a group");
        int m = lookup(p, &f[i]);
        if (m < 0)
            return fail(ps, "group %.*s names \"%.*s\", which no line above defines", (int)f[1].n,
                        f[1].s, (int)f[i].n, f[i].s);
        if (g->members & (UINT64_C(1) << m))
            return fail(ps, "group %.*s names \"%.*s\" twice", (int)f[1].n, f[1].s, (int)f[i].n,
                        f[i].s);
        g->members |= UINT64_C(1) << m;
    }
    if (is(&f[2], "all"))
        g->k = n;
    else if (is(&f[2], "any"))
        g->k = 1;
    else if (threshold(&f[2], &g->k) || g->k > n)
        return fail(ps,
                    "group %.*s's threshold \"%.*s\" is not all, any, or a number from 1 to its "
                    "%u member(s)",
                    (int)f[1].n, f[1].s, (int)f[2].n, f[2].s, n);
    memcpy(g->name, f[1].s, f[1].n);
    g->name[f[1].n] = '\0';
    p->n_names++;
    p->n_groups++;
    return 0;
}

static int line_quorum(parser *ps, const field *f, size_t nf, unsigned *quorum_line)
{
    policy *p = ps->p;
    if (nf != 2) return fail(ps, "a quorum line is \"quorum <name>\" or \"quorum none\"");
    if (*quorum_line)
        return fail(ps, "a second quorum line: a policy has exactly one (the first is line %u)",
                    *quorum_line);
    *quorum_line = ps->line;
    if (is(&f[1], "none")) {
        p->quorum = -1;
        return 0;
    }
    int q = lookup(p, &f[1]);
    if (q < 0)
        return fail(ps, "the quorum names \"%.*s\", which no line above defines", (int)f[1].n,
                    f[1].s);
    p->quorum = q;
    return 0;
}

/* Splits a line into fields; -1 when it has too many. */
static int split(const char *l, size_t n, field *f, size_t *nf)
{
    size_t i = 0;
    *nf = 0;
    for (;;) {
        while (i < n && (l[i] == ' ' || l[i] == '\t')) i++;
        if (i == n) return 0;
        if (*nf == MAX_FIELDS) return -1;
        size_t start = i;
        while (i < n && l[i] != ' ' && l[i] != '\t') i++;
        f[*nf].s = l + start;
        f[*nf].n = i - start;
        (*nf)++;
    }
}

policy *policy_parse(const char *text, size_t len, const char *file, cm_error *err)
{
    policy *p = xcalloc(1, sizeof *p);
    parser ps = {p, file, 0, err};
    unsigned quorum_line = 0;
    size_t pos = 0;
    field f[MAX_FIELDS];
    size_t nf;
    int rc = 0;
    while (pos < len && !rc) {
        const char *l = text + pos;
        const char *nl = memchr(l, '\n', len - pos);
        size_t n = nl ? (size_t)(nl - l) : len - pos;
        pos += n + (nl ? 1 : 0);
        ps.line++;
        for (size_t i = 0; i < n && !rc; i++) {
            unsigned char c = (unsigned char)l[i];
            if ((c < 0x20 && c != '\t') || c == 0x7f)
                rc = fail(&ps,
                          "byte 0x%02x (a control character) at column %zu: a policy holds no "
                          "control characters but tab and newline%s",
                          c, i + 1, c == '\r' ? " (save it with Unix line ends)" : "");
        }
        if (rc) break;
        if (split(l, n, f, &nf)) {
            rc = fail(&ps, "more than %d fields on one line", MAX_FIELDS);
            break;
        }
        if (nf == 0 || f[0].s[0] == '#') continue;
        if (is(&f[0], "log"))
            rc = line_log(&ps, f, nf);
        else if (is(&f[0], "witness"))
            rc = line_witness(&ps, f, nf);
        else if (is(&f[0], "group"))
            rc = line_group(&ps, f, nf);
        else if (is(&f[0], "quorum"))
            rc = line_quorum(&ps, f, nf, &quorum_line);
        else
            rc = fail(&ps,
                      "unknown line \"%.*s\": a policy line is log, witness, group or quorum "
                      "(or a # comment)",
                      (int)(f[0].n > 40 ? 40 : f[0].n), f[0].s);
    }
    if (!rc && !quorum_line)
        rc = cm_fail(err, CM_BAD_REQUEST, "",
                     "%s: no quorum line: a policy needs exactly one (\"quorum none\" when no "
                     "cosignature is needed)",
                     file);
    if (rc) {
        free(p);
        return NULL;
    }
    return p;
}

policy *policy_load(const char *path, cm_error *err)
{
    char *text = NULL;
    size_t len = 0;
    if (cm_read_file(path, &text, &len, err)) {
        cm_error_prefix(err, "%s", path);
        return NULL;
    }
    policy *p = policy_parse(text, len, path, err);
    free(text);
    return p;
}

void policy_free(policy *p)
{
    free(p);
}

/* Opens the note with the one verifier v: 1 signed, 0 no line of v's,
 * -1 a line of v's that does not verify (e holds why). */
static int signed_by(const note_verifier *v, const char *note, size_t len, note_opened *o,
                     cm_error *e)
{
    if (note_open(note, len, v, 1, o, e) == 0) return 1;
    return e->code == CM_UNKNOWN_KEY ? 0 : -1;
}

void policy_cosigners(const policy *p, const policy_result *r, cm_buf *out)
{
    int any = 0;
    for (size_t i = 0; p && i < p->n_names; i++) {
        if (p->names[i].group || !(r->witnessed & (UINT64_C(1) << i))) continue;
        buf_puts(out, any ? ", " : "");
        buf_puts(out, p->names[i].name);
        any = 1;
    }
    if (!any) buf_puts(out, "none");
}

int policy_check(const policy *p, const note_verifier *log, const char *note, size_t len,
                 policy_result *out, cm_error *err)
{
    note_opened o;
    cm_error e;
    const note_verifier *signer = NULL;
    memset(out, 0, sizeof *out);
    out->log = -1;
    if (log) {
        if (signed_by(log, note, len, &o, &e) != 1)
            return cm_fail(err, e.code, "", "the checkpoint is not signed by the log %s: %s",
                           log->name, e.message);
        signer = log;
    } else {
        if (!p || p->n_logs == 0)
            return cm_fail(err, CM_BAD_REQUEST, "",
                           "the policy names no log: give the log's verifier key");
        int bad = 0;
        cm_error first = {0};
        for (size_t i = 0; i < p->n_logs && !signer; i++) {
            int s = signed_by(&p->logs[i].v, note, len, &o, &e);
            if (s == 1) {
                signer = &p->logs[i].v;
                out->log = (int)i;
            } else if (s < 0 && !bad) {
                bad = 1;
                first = e;
            }
        }
        if (!signer)
            return bad ? cm_fail(err, first.code, "", "the checkpoint does not verify: %s",
                                 first.message)
                       : cm_fail(err, CM_UNKNOWN_KEY, "",
                                 "the checkpoint is signed by none of the policy's %zu log(s)",
                                 p->n_logs);
    }
    out->text_len = o.text_len;
    if (checkpoint_parse(note, o.text_len, &out->cp, &e))
        return cm_fail(err, e.code, e.field, "%s", e.message);
    if (strcmp(out->cp.origin, signer->name) != 0)
        return cm_fail(err, CM_BAD_REQUEST, "checkpoint.origin",
                       "the checkpoint's origin \"%s\" is not the name of the key that signed it "
                       "(%s)",
                       out->cp.origin, signer->name);
    if (!p) {
        out->quorum_met = 1;
        return 0;
    }
    for (size_t i = 0; i < p->n_names; i++) {
        const policy_name *w = &p->names[i];
        if (w->group) {
            if ((unsigned)__builtin_popcountll(w->members & out->witnessed) >= w->k)
                out->witnessed |= UINT64_C(1) << i;
            continue;
        }
        int s = signed_by(&w->v, note, len, &o, &e);
        if (s == 1) {
            out->witnessed |= UINT64_C(1) << i;
            out->cosigned++;
        } else if (s < 0) {
            out->bad++;
        }
    }
    out->quorum_met = p->quorum < 0 || (out->witnessed >> p->quorum & 1);
    if (out->quorum_met) return 0;
    cm_buf names = CM_BUF_INIT;
    policy_cosigners(p, out, &names);
    cm_fail(err, CM_BAD_SIGNATURE, "",
            "the checkpoint of %" PRIu64 " entries lacks the policy's quorum \"%s\": cosigned by "
            "%u of its %zu witness(es) (%s)%s",
            out->cp.size, p->names[p->quorum].name, out->cosigned, p->n_witnesses, names.data,
            out->bad ? "; a cosignature line of a policy witness does not verify over this "
                       "checkpoint"
                     : "");
    buf_free(&names);
    return -1;
}
