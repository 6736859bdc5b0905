/*
 * verify_state.h: what `cmcc verify URL` remembers between runs
 * (verify_state.c): the last checkpoint it verified of each log, so that
 * the next run first checks that the log still extends it.
 */
#ifndef CMCC_VERIFY_STATE_H
#define CMCC_VERIFY_STATE_H

#include "cli/logfetch.h"

typedef struct {
    char *file;     /* <dir>/<origin>.<keyhash>.checkpoint */
    char *evidence; /* <dir>/<origin>.<keyhash>.fork.json */
    char *held;     /* the note remembered, or NULL */
    log_checkpoint held_c;
} verify_state;

/* Finds the state of the log of key nv in dir (NULL: $XDG_STATE_HOME/cmcc,
 * else ~/.local/state/cmcc), making the directory, and reads what it
 * remembers. 0, or -1 after saying why. */
int verify_state_open(verify_state *st, const char *dir, const note_verifier *nv);
/* Checks that the checkpoint (note, c) just fetched from l extends the one
 * remembered. 0 it does (or nothing is remembered); 1 it does not: the
 * evidence is written beside the state and said in one sentence; -1 the
 * check could not be made (said why). */
int verify_state_check(verify_state *st, lf_log *l, const char *note, const log_checkpoint *c);
/* Remembers note (a verified checkpoint), when it is newer than the one
 * held. 0, or -1 after saying why. */
int verify_state_save(verify_state *st, const note_verifier *nv, const char *note);
void verify_state_free(verify_state *st);

#endif
