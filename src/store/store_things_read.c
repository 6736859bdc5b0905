/*
 * store_things_read.c: the rows of things for the read model (src/views/),
 * plain columns and the body as its stored JSON text, no JSON made here:
 *
 *   things       id, org, status, time, created (index), updated, body
 *   thing_notes  org, note, time, latest, idx (index), body
 *
 * Things come oldest first (by the entry that created them, then id), each
 * with its notes in log order (entry, then place within the entry). One
 * statement walks the things and a second, prepared once, is reset for the
 * notes of each; both read the snapshot of the caller's read transaction.
 */
#include "store/pg_int.h"

#include "common/mem.h"

#include <stdlib.h>

static char *col_dup(sqlite3_stmt *st, int i)
{
    const unsigned char *t = sqlite3_column_text(st, i);
    return xstrdup(t ? (const char *)t : "");
}

/* The notes of one thing into *out (malloc'ed, each string too). */
static int notes_of(store *s, sqlite3_stmt *nt, const char *id, store_thing_note **out, size_t *n,
                    cm_error *err)
{
    size_t cap = 0;
    *out = NULL;
    *n = 0;
    sqlite3_reset(nt);
    store_bind_text(nt, 2, id);
    int rc;
    while ((rc = sqlite3_step(nt)) == SQLITE_ROW) {
        if (*n == cap) {
            cap = cap ? cap * 2 : 8;
            *out = xrealloc(*out, cap * sizeof **out);
        }
        store_thing_note *x = &(*out)[(*n)++];
        x->org = col_dup(nt, 0);
        x->note = col_dup(nt, 1);
        x->time_ms = sqlite3_column_int64(nt, 2);
        x->latest = sqlite3_column_int(nt, 3);
        x->index = sqlite3_column_int64(nt, 4);
        x->body = col_dup(nt, 5);
    }
    return rc == SQLITE_DONE ? 0 : store_fail(s, err, "read");
}

static void notes_free(store_thing_note *notes, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        free((char *)notes[i].org);
        free((char *)notes[i].note);
        free((char *)notes[i].body);
    }
    free(notes);
}

long store_things_each(store *s, ev_thing_kind kind, const char *id, store_thing_fn fn, void *ctx,
                       cm_error *err)
{
    if (s->pg) return pg_things_each(s->pg, kind, id, fn, ctx, err);
    store_arg args[] = {STORE_TEXT(ev_thing_name(kind)), STORE_TEXT(id)};
    sqlite3_stmt *st =
        store_query(s,
                    "SELECT id, org, status, time, created, updated, body FROM things"
                    " WHERE kind = ?1 AND (?2 IS NULL OR id = ?2)"
                    " ORDER BY created, id",
                    args, 2, err);
    sqlite3_stmt *nt = st ? store_query(s,
                                        "SELECT org, note, time, latest, idx, body FROM thing_notes"
                                        " WHERE kind = ?1 AND id = ?2 ORDER BY idx, seq",
                                        args, 1, err)
                          : NULL;
    if (!nt) {
        sqlite3_finalize(st);
        return -1;
    }
    long count = 0;
    int rc = SQLITE_DONE, failed = 0;
    while (!failed && (rc = sqlite3_step(st)) == SQLITE_ROW) {
        store_thing_row t = {.id = (const char *)sqlite3_column_text(st, 0),
                             .org = (const char *)sqlite3_column_text(st, 1),
                             .status = (const char *)sqlite3_column_text(st, 2),
                             .time_ms = sqlite3_column_int64(st, 3),
                             .index = sqlite3_column_int64(st, 4),
                             .updated = sqlite3_column_int64(st, 5),
                             .body = (const char *)sqlite3_column_text(st, 6)};
        size_t n;
        store_thing_note *notes;
        failed = notes_of(s, nt, t.id, &notes, &n, err) != 0;
        t.notes = notes;
        t.nnotes = n;
        if (!failed) failed = fn(ctx, &t, err) != 0;
        notes_free(notes, n);
        count++;
    }
    if (!failed && rc != SQLITE_DONE) failed = store_fail(s, err, "read") != 0;
    sqlite3_finalize(nt);
    sqlite3_finalize(st);
    return failed ? -1 : count;
}
