/*
 * pg_ids.c: the events' ids (org, id) a batch of the writer will ask
 * about, looked up all at once.
 *
 * Judging an event first asks whether its (org, id) is in the log already
 * (a repeat is answered with its first receipt). Asked one event at a
 * time, that is a round trip per event on PostgreSQL. So the sequencer
 * names a batch's ids before judging it (store_prefetch_ids), and
 * pg_prefetch_ids asks for all of them in one statement inside the
 * writer's pipelined transaction:
 *
 *   SELECT u.o, u.i, e.idx FROM json_to_recordset($1::json) AS u(o text,
 *     i text) JOIN event_ids e ON e.org = u.o AND e.id = u.i
 *
 * with the ids as a JSON array of {"o": org, "i": id}. Each id asked is
 * then known (found, with its index, or known not to be there) for the
 * rest of the transaction; pg_apply's insert of an event's id marks it
 * found, so a repeat inside the batch is caught as before. Only this
 * connection writes event_ids meanwhile, so a kept answer is the
 * database's. The set is emptied when the transaction begins and ends
 * (a generation number: emptying costs nothing); ids longer than
 * PG_IDS_KEYLEN are not kept (looked up alone). Open addressing in
 * PG_IDS_SLOTS, at most half full: asking more ids than that keeps the
 * first ones only.
 */
#include "store/pg_int.h"

#include "common/buf.h"
#include "common/mem.h"

#include <stdio.h>
#include <string.h>

#define PG_IDS_SLOTS  16384 /* a power of 2, twice a batch's events */
#define PG_IDS_KEYLEN 192

typedef struct {
    unsigned gen; /* in the set when it is the set's generation */
    int found;
    uint64_t idx;
    char key[PG_IDS_KEYLEN]; /* org, 0x1f, id */
} id_slot;

struct pg_ids {
    unsigned gen;
    size_t used;
    id_slot s[PG_IDS_SLOTS];
};

static int key_of(const char *org, const char *id, char out[PG_IDS_KEYLEN])
{
    int n = snprintf(out, PG_IDS_KEYLEN, "%s\x1f%s", org, id);
    return n > 0 && n < PG_IDS_KEYLEN ? 0 : -1;
}

static size_t hash(const char *key)
{
    size_t h = 2166136261u;
    for (const unsigned char *p = (const unsigned char *)key; *p; p++) h = (h ^ *p) * 16777619u;
    return h & (PG_IDS_SLOTS - 1);
}

/* The slot of key, or the free slot where it would go. */
static id_slot *slot_of(struct pg_ids *ids, const char *key)
{
    size_t h = hash(key);
    for (;;) {
        id_slot *s = &ids->s[h];
        if (s->gen != ids->gen || strcmp(s->key, key) == 0) return s;
        h = (h + 1) & (PG_IDS_SLOTS - 1);
    }
}

int pg_ids_get(pg_store *p, const char *org, const char *id, uint64_t *idx)
{
    char key[PG_IDS_KEYLEN];
    if (!p->pipeline || !p->ids || !p->ids->used || key_of(org, id, key)) return -1;
    id_slot *s = slot_of(p->ids, key);
    if (s->gen != p->ids->gen) return -1;
    if (s->found) *idx = s->idx;
    return s->found;
}

void pg_ids_put(pg_store *p, const char *org, const char *id, int found, uint64_t idx)
{
    char key[PG_IDS_KEYLEN];
    if (!p->pipeline || key_of(org, id, key)) return;
    if (!p->ids) p->ids = xcalloc(1, sizeof *p->ids), p->ids->gen = 1;
    id_slot *s = slot_of(p->ids, key);
    if (s->gen != p->ids->gen) {
        if (p->ids->used >= PG_IDS_SLOTS / 2) return; /* full: asked alone */
        p->ids->used++;
        s->gen = p->ids->gen;
        memcpy(s->key, key, strlen(key) + 1);
    }
    s->found = found;
    s->idx = idx;
}

void pg_ids_clear(pg_store *p)
{
    if (!p->ids || !p->ids->used) return;
    p->ids->used = 0;
    if (++p->ids->gen == 0) { /* wrapped: every slot is old again */
        memset(p->ids->s, 0, sizeof p->ids->s);
        p->ids->gen = 1;
    }
}

void pg_ids_free(pg_store *p)
{
    free(p->ids);
    p->ids = NULL;
}

int pg_prefetch_ids(pg_store *p, size_t n, const char *const *orgs, const char *const *ids,
                    cm_error *err)
{
    if (!p->pipeline || n == 0) return 0;
    cm_buf json = {0};
    buf_puts(&json, "[");
    size_t asked = 0;
    for (size_t i = 0; i < n && asked < PG_IDS_SLOTS / 2; i++) {
        char key[PG_IDS_KEYLEN];
        if (key_of(orgs[i], ids[i], key)) continue;
        buf_puts(&json, asked++ ? ",{\"o\":" : "{\"o\":");
        buf_json_str(&json, orgs[i]);
        buf_puts(&json, ",\"i\":");
        buf_json_str(&json, ids[i]);
        buf_puts(&json, "}");
    }
    buf_puts(&json, "]");
    pg_params a = {0};
    pg_text(&a, json.data); /* NUL-terminated */
    PGresult *r = pg_run(p,
                         "SELECT u.o, u.i, e.idx FROM json_to_recordset($1::json) AS u(o text, i "
                         "text) JOIN event_ids e ON e.org = u.o AND e.id = u.i",
                         &a, 0, "ids", err);
    if (!r) {
        buf_free(&json);
        return -1;
    }
    /* every id asked is known not to be there, but those found */
    for (size_t i = 0, k = 0; i < n && k < asked; i++) {
        char key[PG_IDS_KEYLEN];
        if (key_of(orgs[i], ids[i], key)) continue;
        pg_ids_put(p, orgs[i], ids[i], 0, 0);
        k++;
    }
    for (int row = 0; row < PQntuples(r); row++)
        pg_ids_put(p, PQgetvalue(r, row, 0), PQgetvalue(r, row, 1), 1,
                   (uint64_t)pg_i(r, row, 2, 0));
    PQclear(r);
    buf_free(&json);
    return 0;
}
