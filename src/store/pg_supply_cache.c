/*
 * pg_supply_cache.c: the supply rows a batch of the writer will read,
 * looked up all at once and kept for the rest of its transaction.
 *
 * Judging a supply event reads its consignment, the consignment's lines
 * and balances, a transfer and its lines, whether a distribution or loss
 * id is taken (the supply lookups of an ev_view, pg_supply.c). Asked one
 * at a time, each is a round trip, several per event. So before judging a
 * batch, the sequencer hands its parsed events to pg_prefetch_supply,
 * which gathers the ids their bodies name (the top-level "consignment",
 * "transfer", "distribution" and "loss") and loads in one statement:
 *
 *   every asked consignment, and those of the asked transfers, with all
 *   their lines and accounts; every transfer asked or of those
 *   consignments, with all its lines; the asked distribution and loss ids
 *   that are taken.
 *
 * An entry kept is whole: a consignment with every line and account it
 * has (so an account not there holds 0), a transfer with every line; an id
 * asked and not found is kept as not there. The effects the transaction
 * writes are applied to the kept entries too (pg_sc_effect, called by
 * pg_supply_apply as it sends each write), so a kept entry is always what
 * the database would answer: only this connection writes these tables
 * meanwhile. A write that fails dooms the transaction, and its rollback
 * empties the cache. A lookup of something not kept goes to the database
 * as before. Only inside the writer's pipelined transaction; emptied when
 * it begins and ends (commit, rollback, reconnection) and when the state
 * is emptied (a rebuild). Open addressing in PG_SC_SLOTS, at most half
 * full: what does not fit is not kept.
 */
#include "store/pg_int.h"

#include "common/buf.h"
#include "common/mem.h"
#include "event/effects.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define PG_SC_SLOTS 16384 /* a power of 2 */

enum { SC_CONSIGNMENT = 1, SC_TRANSFER, SC_DISTRIBUTION, SC_LOSS };

typedef struct {
    long long line;
    ev_line_state s;
} sc_line;

typedef struct {
    long long line, qty;
    char kind[EV_ACCOUNT_MAX], holder[EV_ACCOUNT_MAX];
} sc_account;

typedef struct {
    long long line, sent;
} sc_tline;

typedef struct {
    int kind; /* SC_* */
    int found;
    char id[EV_ID_MAX + 1];
    ev_consignment_state c; /* SC_CONSIGNMENT: s.lines is nlines */
    sc_line *lines;         /* in no order */
    size_t nlines, caplines;
    sc_account *acc;
    size_t nacc, capacc;
    ev_transfer_state t; /* SC_TRANSFER */
    sc_tline *tl;        /* in line order */
    size_t ntl, captl;
} sc_entry;

struct pg_sc {
    size_t used;
    sc_entry *s[PG_SC_SLOTS];
};

static size_t hash(int kind, const char *id)
{
    size_t h = 2166136261u ^ (size_t)kind;
    for (const unsigned char *p = (const unsigned char *)id; *p; p++) h = (h ^ *p) * 16777619u;
    return h & (PG_SC_SLOTS - 1);
}

/* The slot of (kind, id), or the free slot where it would go; NULL when
 * there is no cache. */
static sc_entry **slot_of(pg_store *p, int kind, const char *id)
{
    if (!p->sc) return NULL;
    for (size_t h = hash(kind, id);; h = (h + 1) & (PG_SC_SLOTS - 1)) {
        sc_entry **s = &p->sc->s[h];
        if (!*s || ((*s)->kind == kind && strcmp((*s)->id, id) == 0)) return s;
    }
}

/* The kept entry of (kind, id), or NULL. */
static sc_entry *get(pg_store *p, int kind, const char *id)
{
    if (!p->pipeline || !p->sc || !p->sc->used || !id) return NULL;
    sc_entry **s = slot_of(p, kind, id);
    return s ? *s : NULL;
}

/* A new entry (kind, id), not found, or the one kept; NULL when it cannot
 * be kept (an id too long, the table half full). */
static sc_entry *put(pg_store *p, int kind, const char *id)
{
    if (!p->pipeline || !id || strlen(id) > EV_ID_MAX) return NULL;
    if (!p->sc) p->sc = xcalloc(1, sizeof *p->sc);
    sc_entry **s = slot_of(p, kind, id);
    if (*s) return *s;
    if (p->sc->used >= PG_SC_SLOTS / 2) return NULL;
    sc_entry *e = xcalloc(1, sizeof *e);
    e->kind = kind;
    memcpy(e->id, id, strlen(id) + 1);
    *s = e;
    p->sc->used++;
    return e;
}

void pg_sc_clear(pg_store *p)
{
    if (!p->sc || !p->sc->used) return;
    for (size_t i = 0; i < PG_SC_SLOTS; i++) {
        sc_entry *e = p->sc->s[i];
        if (!e) continue;
        free(e->lines);
        free(e->acc);
        free(e->tl);
        free(e);
        p->sc->s[i] = NULL;
    }
    p->sc->used = 0;
}

void pg_sc_free(pg_store *p)
{
    pg_sc_clear(p);
    free(p->sc);
    p->sc = NULL;
}

/* ---- the entries' rows -------------------------------------------------- */

static sc_line *line_of(sc_entry *e, long long line)
{
    for (size_t i = 0; i < e->nlines; i++)
        if (e->lines[i].line == line) return &e->lines[i];
    return NULL;
}

static sc_line *line_add(sc_entry *e, long long line)
{
    if (e->nlines == e->caplines) {
        e->caplines = e->caplines ? 2 * e->caplines : 8;
        e->lines = xrealloc(e->lines, e->caplines * sizeof *e->lines);
    }
    sc_line *l = &e->lines[e->nlines++];
    memset(l, 0, sizeof *l);
    l->line = line;
    e->c.lines = (long long)e->nlines;
    return l;
}

/* Splits an account's name ("kind:holder", "kind" or "") as the store
 * keeps it: its kind and its holder ("" when it has none). */
static void split_account(const char *name, char kind[EV_ACCOUNT_MAX], char holder[EV_ACCOUNT_MAX])
{
    const char *h;
    size_t k = store_account_split(name, &h);
    snprintf(kind, EV_ACCOUNT_MAX, "%.*s", (int)k, name);
    snprintf(holder, EV_ACCOUNT_MAX, "%s", h);
}

static sc_account *account_of(sc_entry *e, long long line, const char *kind, const char *holder,
                              int add)
{
    for (size_t i = 0; i < e->nacc; i++) {
        sc_account *a = &e->acc[i];
        if (a->line == line && strcmp(a->kind, kind) == 0 && strcmp(a->holder, holder) == 0)
            return a;
    }
    if (!add) return NULL;
    if (e->nacc == e->capacc) {
        e->capacc = e->capacc ? 2 * e->capacc : 8;
        e->acc = xrealloc(e->acc, e->capacc * sizeof *e->acc);
    }
    sc_account *a = &e->acc[e->nacc++];
    memset(a, 0, sizeof *a);
    a->line = line;
    snprintf(a->kind, sizeof a->kind, "%s", kind);
    snprintf(a->holder, sizeof a->holder, "%s", holder);
    return a;
}

/* Adds a transfer's line, keeping them in line order. */
static void tline_add(sc_entry *e, long long line, long long sent)
{
    if (e->ntl == e->captl) {
        e->captl = e->captl ? 2 * e->captl : 8;
        e->tl = xrealloc(e->tl, e->captl * sizeof *e->tl);
    }
    size_t i = e->ntl;
    while (i > 0 && e->tl[i - 1].line > line) {
        e->tl[i] = e->tl[i - 1];
        i--;
    }
    e->tl[i].line = line;
    e->tl[i].sent = sent;
    e->ntl++;
}

/* ---- the lookups: 1 found, 0 not there, -1 not kept --------------------- */

int pg_sc_consignment(pg_store *p, const char *id, ev_consignment_state *out)
{
    sc_entry *e = get(p, SC_CONSIGNMENT, id);
    if (!e) return -1;
    if (e->found) *out = e->c;
    return e->found;
}

int pg_sc_line(pg_store *p, const char *consignment, long long line, ev_line_state *out)
{
    sc_entry *e = get(p, SC_CONSIGNMENT, consignment);
    if (!e) return -1;
    sc_line *l = e->found ? line_of(e, line) : NULL;
    if (l) *out = l->s;
    return l != NULL;
}

int pg_sc_balance(pg_store *p, const char *consignment, long long line, const char *account,
                  long long *qty)
{
    sc_entry *e = get(p, SC_CONSIGNMENT, consignment);
    if (!e) return -1;
    char kind[EV_ACCOUNT_MAX], holder[EV_ACCOUNT_MAX];
    split_account(account, kind, holder);
    const sc_account *a = e->found ? account_of(e, line, kind, holder, 0) : NULL;
    *qty = a ? a->qty : 0;
    return 1;
}

int pg_sc_transfer(pg_store *p, const char *id, ev_transfer_state *out)
{
    sc_entry *e = get(p, SC_TRANSFER, id);
    if (!e) return -1;
    if (e->found) *out = e->t;
    return e->found;
}

int pg_sc_transfer_lines(pg_store *p, const char *transfer, long long *line, long long *sent,
                         size_t cap, size_t *n)
{
    sc_entry *e = get(p, SC_TRANSFER, transfer);
    if (!e) return -1;
    *n = 0;
    for (size_t i = 0; e->found && i < e->ntl && *n < cap; i++, (*n)++) {
        line[*n] = e->tl[i].line;
        sent[*n] = e->tl[i].sent;
    }
    return 1;
}

int pg_sc_taken(pg_store *p, int loss, const char *id)
{
    sc_entry *e = get(p, loss ? SC_LOSS : SC_DISTRIBUTION, id);
    return e ? e->found : -1;
}

/* ---- the writes, applied to what is kept -------------------------------- */

static void move_account(sc_entry *c, long long line, const char *name, long long q)
{
    char kind[EV_ACCOUNT_MAX], holder[EV_ACCOUNT_MAX];
    split_account(name, kind, holder);
    account_of(c, line, kind, holder, 1)->qty += q;
}

void pg_sc_effect(pg_store *p, const ev_fx *f, const ev_event *ev)
{
    if (!p->pipeline || !p->sc || !p->sc->used) return;
    sc_entry *e;
    sc_line *l;
    switch (f->kind) {
    case FX_CONSIGNMENT_DECLARE:
        if (!(e = get(p, SC_CONSIGNMENT, f->u.consignment_declare.consignment))) return;
        e->found = 1;
        memset(&e->c, 0, sizeof e->c);
        snprintf(e->c.crossing, sizeof e->c.crossing, "%s", f->u.consignment_declare.crossing);
        snprintf(e->c.declared_by, sizeof e->c.declared_by, "%s", ev->org);
        return;
    case FX_LINE_DECLARE:
        if (!(e = get(p, SC_CONSIGNMENT, f->u.line_declare.consignment)) || !e->found) return;
        l = line_add(e, f->u.line_declare.line);
        l->s.declared = f->u.line_declare.quantity;
        l->s.approved = -1;
        return;
    case FX_LINE_SCREEN:
        if (!(e = get(p, SC_CONSIGNMENT, f->u.line_screen.consignment)) || !e->found) return;
        if ((l = line_of(e, f->u.line_screen.line))) l->s.approved = f->u.line_screen.approved;
        return;
    case FX_CONSIGNMENT_SCREENED:
        if ((e = get(p, SC_CONSIGNMENT, f->u.consignment.consignment)) && e->found)
            e->c.screened = 1;
        return;
    case FX_TRANSFER_OPEN:
        if (!(e = get(p, SC_TRANSFER, f->u.transfer_open.transfer))) return;
        e->found = 1;
        e->ntl = 0;
        memset(&e->t, 0, sizeof e->t);
        snprintf(e->t.consignment, sizeof e->t.consignment, "%s", f->u.transfer_open.consignment);
        snprintf(e->t.from, sizeof e->t.from, "%s", f->u.transfer_open.from);
        snprintf(e->t.to, sizeof e->t.to, "%s", f->u.transfer_open.to);
        e->t.entry = f->u.transfer_open.entry;
        e->t.status = TRANSFER_PENDING;
        return;
    case FX_TRANSFER_LINE:
        if ((e = get(p, SC_TRANSFER, f->u.transfer_line.transfer)) && e->found)
            tline_add(e, f->u.transfer_line.line, f->u.transfer_line.qty);
        return;
    case FX_TRANSFER_CLOSE:
        if ((e = get(p, SC_TRANSFER, f->u.transfer_close.transfer)) && e->found)
            e->t.status = f->u.transfer_close.accepted ? TRANSFER_ACCEPTED : TRANSFER_REJECTED;
        return;
    case FX_MOVE: {
        long long q = f->u.move.qty;
        if (!(e = get(p, SC_CONSIGNMENT, f->u.move.consignment)) || !e->found) return;
        if ((l = line_of(e, f->u.move.line)))
            l->s.entered += (f->u.move.from[0] ? 0 : q) - (f->u.move.to[0] ? 0 : q);
        if (f->u.move.from[0]) move_account(e, f->u.move.line, f->u.move.from, -q);
        if (f->u.move.to[0]) move_account(e, f->u.move.line, f->u.move.to, q);
        return;
    }
    case FX_DISTRIBUTION:
        if ((e = get(p, SC_DISTRIBUTION, f->u.distribution.distribution))) e->found = 1;
        return;
    case FX_LOSS:
        if ((e = get(p, SC_LOSS, f->u.loss.loss))) e->found = 1;
        return;
    default: /* the received quantities, the touches: read by no rule */
        return;
    }
}

/* ---- the load ----------------------------------------------------------- */

/* Keeps body's string field name as not there (until found), and adds
 * it to the JSON array a (n: its elements), once. */
static void gather(pg_store *p, const json_t *body, const char *name, int kind, cm_buf *a,
                   size_t *n)
{
    const char *id = json_string_value(json_object_get(body, name));
    if (!id || strlen(id) > EV_ID_MAX || get(p, kind, id) || !put(p, kind, id)) return;
    buf_puts(a, (*n)++ ? "," : "[");
    buf_json_str(a, id);
}

static void copy(char *out, size_t cap, const PGresult *r, int row, int col)
{
    snprintf(out, cap, "%s", PQgetvalue(r, row, col));
}

int pg_prefetch_supply(pg_store *p, size_t n, const ev_event *const *evs, cm_error *err)
{
    if (!p->pipeline || n == 0) return 0;
    cm_buf ids[4] = {CM_BUF_INIT, CM_BUF_INIT, CM_BUF_INIT, CM_BUF_INIT};
    static const char *const fields[4] = {"consignment", "transfer", "distribution", "loss"};
    static const int kinds[4] = {SC_CONSIGNMENT, SC_TRANSFER, SC_DISTRIBUTION, SC_LOSS};
    size_t counts[4] = {0}, all = 0;
    for (size_t i = 0; i < n; i++)
        for (int k = 0; k < 4 && evs[i]->body; k++)
            gather(p, evs[i]->body, fields[k], kinds[k], &ids[k], &counts[k]);
    pg_params a = {0};
    for (int k = 0; k < 4; k++) {
        buf_puts(&ids[k], counts[k] ? "]" : "[]");
        pg_text(&a, ids[k].data);
        all += counts[k];
    }
    int rc = 0;
    if (!all) goto done;
    /* one kind of row a line, its columns as text: c consignment, l line,
     * a account, t transfer, u transfer line, d distribution, x loss */
    PGresult *r = pg_run(
        p,
        "WITH a AS MATERIALIZED (SELECT ARRAY(SELECT json_array_elements_text($1::json)) AS c, "
        "ARRAY(SELECT json_array_elements_text($2::json)) AS t), "
        "cs AS MATERIALIZED (SELECT ARRAY(SELECT unnest(c) FROM a UNION SELECT consignment FROM "
        "transfers WHERE transfer = ANY((SELECT t FROM a)::text[])) AS v), "
        "ts AS MATERIALIZED (SELECT ARRAY(SELECT transfer FROM transfers WHERE transfer = "
        "ANY((SELECT t FROM a)::text[]) UNION SELECT transfer FROM transfers WHERE consignment = "
        "ANY((SELECT v FROM cs)::text[])) AS v) "
        "SELECT 'c'::text, consignment, crossing, declared_by, screened::text, NULL::text, "
        "NULL::text FROM consignments WHERE consignment = ANY((SELECT v FROM cs)::text[]) "
        "UNION ALL SELECT 'l', consignment, line::text, declared::text, coalesce(approved, "
        "-1)::text, entered::text, NULL FROM lines WHERE consignment = ANY((SELECT v FROM "
        "cs)::text[]) "
        "UNION ALL SELECT 'a', consignment, line::text, kind, holder, qty::text, NULL FROM "
        "accounts WHERE consignment = ANY((SELECT v FROM cs)::text[]) "
        "UNION ALL SELECT 't', transfer, consignment, from_org, to_org, kind, status FROM "
        "transfers WHERE transfer = ANY((SELECT v FROM ts)::text[]) "
        "UNION ALL SELECT 'u', transfer, line::text, sent::text, NULL, NULL, NULL FROM "
        "transfer_lines WHERE transfer = ANY((SELECT v FROM ts)::text[]) "
        "UNION ALL SELECT 'd', distribution, NULL, NULL, NULL, NULL, NULL FROM distributions "
        "WHERE distribution = ANY(ARRAY(SELECT json_array_elements_text($3::json))) "
        "UNION ALL SELECT 'x', loss, NULL, NULL, NULL, NULL, NULL FROM losses WHERE loss = "
        "ANY(ARRAY(SELECT json_array_elements_text($4::json)))",
        &a, 0, "supply", err);
    if (!r) {
        pg_sc_clear(p); /* what was kept as not there is not known */
        rc = -1;
        goto done;
    }
    /* the entries first, then their rows: an entry is kept whole or not */
    int rows = PQntuples(r);
    for (int i = 0; i < rows; i++) {
        char t = PQgetvalue(r, i, 0)[0];
        sc_entry *e;
        if (t == 'c' && (e = put(p, SC_CONSIGNMENT, PQgetvalue(r, i, 1)))) {
            e->found = 1;
            copy(e->c.crossing, sizeof e->c.crossing, r, i, 2);
            copy(e->c.declared_by, sizeof e->c.declared_by, r, i, 3);
            e->c.screened = (int)pg_i(r, i, 4, 0);
        } else if (t == 't' && (e = put(p, SC_TRANSFER, PQgetvalue(r, i, 1)))) {
            e->found = 1;
            copy(e->t.consignment, sizeof e->t.consignment, r, i, 2);
            copy(e->t.from, sizeof e->t.from, r, i, 3);
            copy(e->t.to, sizeof e->t.to, r, i, 4);
            e->t.entry = strcmp(PQgetvalue(r, i, 5), "entry") == 0;
            const char *status = PQgetvalue(r, i, 6);
            e->t.status = strcmp(status, "pending") == 0    ? TRANSFER_PENDING
                          : strcmp(status, "accepted") == 0 ? TRANSFER_ACCEPTED
                                                            : TRANSFER_REJECTED;
        } else if (t == 'd' || t == 'x') {
            if ((e = put(p, t == 'd' ? SC_DISTRIBUTION : SC_LOSS, PQgetvalue(r, i, 1))))
                e->found = 1;
        }
    }
    for (int i = 0; i < rows; i++) {
        char t = PQgetvalue(r, i, 0)[0];
        sc_entry *e;
        if (t == 'l' && (e = get(p, SC_CONSIGNMENT, PQgetvalue(r, i, 1))) && e->found) {
            sc_line *l = line_add(e, pg_i(r, i, 2, 0));
            l->s.declared = pg_i(r, i, 3, 0);
            l->s.approved = pg_i(r, i, 4, -1);
            l->s.entered = pg_i(r, i, 5, 0);
        } else if (t == 'a' && (e = get(p, SC_CONSIGNMENT, PQgetvalue(r, i, 1))) && e->found) {
            account_of(e, pg_i(r, i, 2, 0), PQgetvalue(r, i, 3), PQgetvalue(r, i, 4), 1)->qty =
                pg_i(r, i, 5, 0);
        } else if (t == 'u' && (e = get(p, SC_TRANSFER, PQgetvalue(r, i, 1))) && e->found) {
            tline_add(e, pg_i(r, i, 2, 0), pg_i(r, i, 3, 0));
        }
    }
    PQclear(r);
done:
    for (int k = 0; k < 4; k++) buf_free(&ids[k]);
    return rc;
}
