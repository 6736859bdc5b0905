/*
 * verify_state.c: the checkpoints `cmcc verify URL` remembers.
 *
 * One file a log, named by its origin (any byte but letters, digits, '.',
 * '-' and '_' written '_') and its key's hash, so that a log's name given
 * to another key is another log:
 *
 *   $XDG_STATE_HOME/cmcc/<origin>.<keyhash 8 hex>.checkpoint   (or --state DIR)
 *
 * holds the newest checkpoint verified, as the log signed it (a signed
 * note: it is opened with the log's key again when read, so a changed file
 * is refused, not believed). A run first checks that the log's checkpoint
 * extends it (logfetch.h lf_check_extends); when it does not, the evidence
 * goes to <origin>.<keyhash>.fork.json beside it and the run fails. The
 * file is replaced (written aside, synced, renamed) only after a run that
 * found nothing wrong.
 */
#include "cli/verify_state.h"

#include "common/file.h"
#include "common/mem.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* mkdir -p */
static int make_dirs(const char *path)
{
    char *p = xstrdup(path);
    int rc = 0;
    for (char *s = p + 1; *s && !rc; s++) {
        if (*s != '/') continue;
        *s = '\0';
        if (mkdir(p, 0700) != 0 && errno != EEXIST) rc = -1;
        *s = '/';
    }
    if (!rc && mkdir(p, 0700) != 0 && errno != EEXIST) rc = -1;
    free(p);
    return rc;
}

int verify_state_open(verify_state *st, const char *dir, const note_verifier *nv)
{
    memset(st, 0, sizeof *st);
    char *owned = NULL;
    if (!dir || !*dir) {
        const char *xdg = getenv("XDG_STATE_HOME"), *home = getenv("HOME");
        if (xdg && *xdg == '/')
            dir = owned = xasprintf("%s/cmcc", xdg);
        else if (home && *home)
            dir = owned = xasprintf("%s/.local/state/cmcc", home);
        else
            return cli_errorf("verify", "no $HOME nor $XDG_STATE_HOME: give --state DIR"), -1;
    }
    if (make_dirs(dir)) {
        cli_errorf("verify", "cannot make the state directory %s: %s", dir, strerror(errno));
        free(owned);
        return -1;
    }
    char name[NOTE_NAME_MAX];
    size_t i = 0;
    for (; nv->name[i] && i < sizeof name - 1; i++) {
        char c = nv->name[i];
        int ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                 c == '.' || c == '-' || c == '_';
        name[i] = ok ? c : '_';
    }
    name[i] = '\0';
    st->file = xasprintf("%s/%s.%08x.checkpoint", dir, name, nv->hash);
    st->evidence = xasprintf("%s/%s.%08x.fork.json", dir, name, nv->hash);
    free(owned);
    size_t len = 0;
    cm_error err;
    if (access(st->file, F_OK) != 0) return 0;
    if (cm_read_file(st->file, &st->held, &len, &err)) return cli_error("verify", &err), -1;
    if (lf_open_checkpoint(nv, st->held, len, &st->held_c, &err)) {
        cli_errorf("verify",
                   "the remembered checkpoint %s does not open with the log's key (%s): move it "
                   "away to start afresh",
                   st->file, err.message);
        return -1;
    }
    return 0;
}

int verify_state_check(verify_state *st, lf_log *l, const char *note, const log_checkpoint *c)
{
    if (!st->held) return 0;
    if (c->size > 0 && c->size < st->held_c.size) {
        /* An older checkpoint is no fault when the server proves that the
         * tree remembered extends it: a mirror may have cosigned, and shown,
         * a checkpoint the log itself publishes only once its cosigners have
         * answered. A server that cannot prove it is a rolled-back one. */
        log_hash path[LOG_MAX_PROOF];
        size_t n = 0;
        if (lf_consistency(l, c->size, st->held_c.size, path, &n) == 0 &&
            log_check_consistency(c->size, st->held_c.size, &c->root, &st->held_c.root, path, n) ==
                0) {
            fprintf(stderr,
                    "cmcc verify: %s serves a checkpoint of %llu entries, older than the one of "
                    "%llu entries remembered, and proves the remembered tree extends it\n",
                    l->url, (unsigned long long)c->size, (unsigned long long)st->held_c.size);
            return 0;
        }
    }
    lf_evidence ev;
    int r = lf_check_extends(l, st->held, &st->held_c, note, c, NULL, NULL, &ev);
    if (r == 1) {
        lf_evidence_write(l, &ev, st->evidence);
        lf_evidence_free(&ev);
    }
    return r;
}

int verify_state_save(verify_state *st, const note_verifier *nv, const char *note)
{
    log_checkpoint c;
    cm_error err;
    if (!note || lf_open_checkpoint(nv, note, strlen(note), &c, &err)) return 0;
    if (st->held && c.size <= st->held_c.size) return 0;
    char *tmp = xasprintf("%s.tmp", st->file);
    int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    size_t len = strlen(note);
    int ok = fd >= 0 && write(fd, note, len) == (ssize_t)len && fsync(fd) == 0;
    if (fd >= 0) close(fd);
    ok = ok && rename(tmp, st->file) == 0;
    if (!ok)
        cli_errorf("verify", "cannot remember the checkpoint in %s: %s", st->file, strerror(errno));
    free(tmp);
    return ok ? 0 : -1;
}

void verify_state_free(verify_state *st)
{
    free(st->file);
    free(st->evidence);
    free(st->held);
    memset(st, 0, sizeof *st);
}
