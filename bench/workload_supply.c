/*
 * workload_supply.c: the supply workload of cmcc-bench, a realistic mix of
 * the supply events (docs/protocol.md section 3, "Supply") in an order the rules
 * accept.
 *
 * The world: four relief agencies (humanitarian), a crossing authority
 * (inspector) and three transporters, each org with its own key; three
 * crossings, a warehouse per agency and three distribution points per
 * agency. The setup admits the orgs and defines the places, signed by the
 * log's coordinator. Every id carries the run's tag, so reruns against the
 * same log do not collide.
 *
 * The life of one consignment (each step needs the one before applied):
 *
 *   consignment.declare   the agency: 1..5 lines (30/25/20/15/10 %), items
 *                         from 15 kinds, half with weight_kg
 *   consignment.screen    the inspector: every line; 8 % of lines approved
 *                         at 70..94 % with a reason
 *   consignment.enter     the inspector: everything approved, to a transporter
 *   custody.accept        the transporter; 5 % short on line 1 (unaccounted)
 *   loss.report           3 %: the transporter, part of line 1 looted or
 *                         intercepted on the road
 *   custody.transfer      the transporter to the agency, at its warehouse
 *   custody.reject        3 %: the agency (cold chain broken), then the
 *                         transporter's loss.report (spoiled, everything); end
 *   custody.accept        otherwise the agency; 4 % short on the last line,
 *                         and half of those shortfalls written off by the
 *                         transporter (loss.report from unaccounted)
 *   distribution.record   2..4 times, 20..35 % of each line held each time,
 *                         at the agency's distribution points
 *   loss.report           3 %: the agency, a tenth of a line expired or damaged
 *
 * about 10.1 events a consignment. The generator keeps each holder's count
 * of each line, so every event is one the rules accept when the events
 * before it in its consignment's chain were applied first; ws_plan
 * interleaves many chains so that a predecessor is always far back.
 */
#include "workload_supply.h"

#include "bench_util.h"

#include "common/buf.h"
#include "common/mem.h"
#include "common/timeutil.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define STAGGER   10 /* slots start over this many rounds before round 0 */
#define MAX_LINES 5
#define N_DPS     3

static const char *const type_names[WS_TYPES] = {
    "consignment.declare", "consignment.screen", "consignment.enter",
    "custody.accept",      "custody.transfer",   "custody.reject",
    "distribution.record", "loss.report",        "org.admit/place.define"};

typedef struct {
    const char *item, *category, *unit;
    unsigned min, max;
    double kg; /* a unit's weight */
} item_kind;

static const item_kind items[] = {
    {"wheat flour, 50 kg", "food", "bag", 200, 1200, 50},
    {"rice, 25 kg", "food", "bag", 100, 800, 25},
    {"ready-to-eat meals", "food", "carton", 100, 600, 9.5},
    {"high-energy biscuits", "food", "carton", 50, 300, 10},
    {"hygiene kit", "wash", "kit", 100, 500, 4.2},
    {"water purification tablets", "wash", "box", 20, 100, 1.1},
    {"bottled water", "wash", "pallet", 10, 40, 720},
    {"emergency health kit", "health", "kit", 5, 30, 42},
    {"oral rehydration salts", "health", "box", 20, 120, 6},
    {"measles vaccine", "health", "dose", 500, 3000, 0.02},
    {"family tent", "shelter", "unit", 20, 150, 38},
    {"tarpaulin", "shelter", "unit", 50, 400, 4},
    {"blanket", "shelter", "unit", 100, 800, 1.6},
    {"diesel", "fuel", "litre", 2000, 10000, 0.84},
    {"school-in-a-box kit", "education", "kit", 5, 40, 21},
};
#define N_ITEMS (sizeof items / sizeof items[0])

typedef struct {
    const char *org, *name, *donor, *warehouse;
    unsigned crossings[2]; /* indexes into crossings[] */
    const char *dps[N_DPS];
} agency;

static const agency agencies[] = {
    {"coastal-relief",
     "Coastal Relief Alliance",
     "European Civil Protection and Humanitarian Aid",
     "wh-khan-younis",
     {0, 1},
     {"dp-al-mawasi", "dp-rafah-west", "dp-khan-younis-east"}},
    {"northern-aid",
     "Northern Aid Consortium",
     "Gulf Humanitarian Fund",
     "wh-gaza-city",
     {2, 0},
     {"dp-jabalia", "dp-beit-lahia", "dp-shati"}},
    {"med-health",
     "Mediterranean Health Partners",
     "Global Health Trust",
     "wh-deir-al-balah",
     {1, 0},
     {"dp-nuseirat", "dp-bureij", "dp-maghazi"}},
    {"shelter-first",
     "Shelter First International",
     "Nordic Shelter Initiative",
     "wh-rafah",
     {0, 2},
     {"dp-tal-as-sultan", "dp-shaboura", "dp-al-qarara"}},
};
#define N_AGENCIES (sizeof agencies / sizeof agencies[0])

static const char *const crossings[] = {"kerem-shalom", "kissufim", "zikim"};
#define N_CROSSINGS (sizeof crossings / sizeof crossings[0])

static const char *const transporters[][2] = {{"swift-haulage", "Swift Haulage Ltd."},
                                              {"desert-line", "Desert Line Transport"},
                                              {"gulf-freight", "Gulf Freight and Logistics"}};
#define N_TRUCKS  (sizeof transporters / sizeof transporters[0])
#define INSPECTOR "crossing-authority"

/* signers: 0 the coordinator, 1.. the agencies, then the inspector, then
 * the transporters */
#define S_AGENCY(a) (1 + (a))
#define S_INSPECTOR (1 + N_AGENCIES)
#define S_TRUCK(t)  (2 + N_AGENCIES + (t))
#define N_SIGNERS   (2 + N_AGENCIES + N_TRUCKS)

struct ws_world {
    char run[32];
    const log_key *coordinator;
    log_key keys[N_SIGNERS]; /* [0] unused */
    char org[N_SIGNERS][80]; /* org ids with the run's tag */
    char when[32];
    unsigned long long consignments;
};

/* ---- deterministic randomness --------------------------------------------- */

/* A number in [0, n) from the state *s (splitmix64). */
static unsigned rnd(uint64_t *s, unsigned n)
{
    *s += 0x9e3779b97f4a7c15ULL;
    return (unsigned)(bench_mix64(*s) % n);
}

/* ---- the world ------------------------------------------------------------- */

ws_world *ws_new(const char *run, const log_key *coordinator, const char *coord_org)
{
    ws_world *w = xcalloc(1, sizeof *w);
    snprintf(w->run, sizeof w->run, "%s", run);
    w->coordinator = coordinator;
    snprintf(w->org[0], sizeof w->org[0], "%s", coord_org);
    for (unsigned a = 0; a < N_AGENCIES; a++)
        snprintf(w->org[S_AGENCY(a)], sizeof w->org[0], "%s-%s", agencies[a].org, run);
    snprintf(w->org[S_INSPECTOR], sizeof w->org[0], "%s-%s", INSPECTOR, run);
    for (unsigned t = 0; t < N_TRUCKS; t++)
        snprintf(w->org[S_TRUCK(t)], sizeof w->org[0], "%s-%s", transporters[t][0], run);
    for (unsigned s = 1; s < N_SIGNERS; s++)
        if (log_key_generate(&w->keys[s])) {
            fputs("cmcc-bench: cannot make a key\n", stderr);
            exit(1);
        }
    return w;
}

void ws_free(ws_world *w)
{
    if (!w) return;
    for (unsigned s = 1; s < N_SIGNERS; s++) log_key_free(&w->keys[s]);
    free(w);
}

const log_key *ws_key(const ws_world *w, unsigned s)
{
    return s == 0 ? w->coordinator : &w->keys[s];
}

const char *ws_type_name(unsigned type)
{
    return type < WS_TYPES ? type_names[type] : "?";
}

unsigned long long ws_consignments(const ws_world *w)
{
    return w->consignments;
}

/* ---- events ------------------------------------------------------------------ */

typedef struct {
    ws_event *ev;
    size_t n, cap;
} evlist;

static void push(evlist *l, ws_event e)
{
    if (l->n == l->cap)
        l->ev = xrealloc(l->ev, (l->cap = l->cap ? 2 * l->cap : 16) * sizeof *l->ev);
    l->ev[l->n++] = e;
}

/* Starts an event of `type` by signer s, with id "<prefix>-<suffix>". */
static void begin(cm_buf *b, const ws_world *w, unsigned s, const char *type, const char *prefix,
                  const char *suffix)
{
    buf_reset(b);
    buf_printf(
        b, "{\"v\":1,\"type\":\"%s\",\"id\":\"%s-%s\",\"org\":\"%s\",\"time\":\"%s\",\"body\":{",
        type, prefix, suffix, w->org[s], w->when);
}

/* Ends it and adds it to l. */
static void end(cm_buf *b, evlist *l, unsigned s, unsigned type)
{
    buf_puts(b, "}}");
    ws_event e = {
        .len = b->len, .signer = (unsigned short)s, .type = (unsigned short)type, .pred = -1};
    e.json = xstrndup(b->data, b->len);
    push(l, e);
}

ws_event *ws_setup(ws_world *w, size_t *n)
{
    static const struct {
        const char *id, *kind, *name, *sector;
        double lat, lon;
    } places[] = {
        {"kerem-shalom", "crossing", "Kerem Shalom crossing", "south", 31.2286, 34.2847},
        {"kissufim", "crossing", "Kissufim crossing", "middle", 31.3773, 34.3957},
        {"zikim", "crossing", "Zikim crossing", "north", 31.6010, 34.5240},
        {"wh-khan-younis", "warehouse", "Khan Younis logistics hub", "south", 31.3462, 34.3032},
        {"wh-gaza-city", "warehouse", "Gaza City central warehouse", "north", 31.5035, 34.4660},
        {"wh-deir-al-balah", "warehouse", "Deir al-Balah warehouse", "middle", 31.4181, 34.3515},
        {"wh-rafah", "warehouse", "Rafah shelter stock", "south", 31.2870, 34.2520},
        {"dp-al-mawasi", "distribution_point", "Al-Mawasi distribution point", "south", 31.3560,
         34.2740},
        {"dp-rafah-west", "distribution_point", "Rafah west distribution point", "south", 31.3205,
         34.2395},
        {"dp-khan-younis-east", "distribution_point", "Khan Younis east distribution point",
         "south", 31.3390, 34.3240},
        {"dp-jabalia", "distribution_point", "Jabalia distribution point", "north", 31.5310,
         34.4835},
        {"dp-beit-lahia", "distribution_point", "Beit Lahia distribution point", "north", 31.5480,
         34.4990},
        {"dp-shati", "distribution_point", "Shati camp distribution point", "north", 31.5300,
         34.4460},
        {"dp-nuseirat", "distribution_point", "Nuseirat distribution point", "middle", 31.4480,
         34.3925},
        {"dp-bureij", "distribution_point", "Bureij distribution point", "middle", 31.4400,
         34.4030},
        {"dp-maghazi", "distribution_point", "Maghazi distribution point", "middle", 31.4220,
         34.3870},
        {"dp-tal-as-sultan", "distribution_point", "Tal as-Sultan distribution point", "south",
         31.3130, 34.2430},
        {"dp-shaboura", "distribution_point", "Shaboura distribution point", "south", 31.2950,
         34.2550},
        {"dp-al-qarara", "distribution_point", "Al-Qarara distribution point", "south", 31.3700,
         34.3400},
    };
    bench_minute_ago(w->when, sizeof w->when);
    evlist l = {0};
    cm_buf b = CM_BUF_INIT;
    for (unsigned s = 1; s < N_SIGNERS; s++) {
        const char *name = s <= N_AGENCIES    ? agencies[s - 1].name
                           : s == S_INSPECTOR ? "Joint Crossing Inspection Authority"
                                              : transporters[s - S_TRUCK(0)][1];
        const char *role = s <= N_AGENCIES    ? "humanitarian"
                           : s == S_INSPECTOR ? "inspector"
                                              : "transporter";
        begin(&b, w, 0, "org.admit", "admit", w->org[s]);
        buf_printf(&b, "\"org\":\"%s\",\"name\":", w->org[s]);
        buf_json_str(&b, name);
        buf_printf(&b, ",\"roles\":[\"%s\"],\"keys\":[{\"public_key\":\"", role);
        buf_b64(&b, w->keys[s].pub, LOG_PUBKEY_SIZE);
        buf_puts(&b, "\"}]");
        end(&b, &l, 0, WS_REGISTRY);
    }
    for (size_t i = 0; i < sizeof places / sizeof places[0]; i++) {
        char id[96];
        snprintf(id, sizeof id, "%s-%s", places[i].id, w->run);
        begin(&b, w, 0, "place.define", "pd", id);
        buf_printf(&b,
                   "\"place\":\"%s\",\"kind\":\"%s\",\"name\":\"%s\",\"lat\":%.4f,\"lon\":%.4f,"
                   "\"sector\":\"%s\"",
                   id, places[i].kind, places[i].name, places[i].lat, places[i].lon,
                   places[i].sector);
        end(&b, &l, 0, WS_REGISTRY);
    }
    buf_free(&b);
    *n = l.n;
    return l.ev;
}

/* "lines":[{"line":i+1,"<key>":q[i]},...] for the lines with q[i] > 0 (or
 * with sent[i] > 0 when sent is given: an acceptance lists every line sent,
 * even one received 0). */
static void lines(cm_buf *b, const char *key, int n, const long long *q, const long long *sent)
{
    buf_puts(b, "\"lines\":[");
    int first = 1;
    for (int i = 0; i < n; i++) {
        if ((sent ? sent[i] : q[i]) <= 0) continue;
        buf_printf(b, "%s{\"line\":%d,\"%s\":%lld}", first ? "" : ",", i + 1, key, q[i]);
        first = 0;
    }
    buf_putc(b, ']');
}

static int any(int n, const long long *q)
{
    for (int i = 0; i < n; i++)
        if (q[i] > 0) return 1;
    return 0;
}

/* The chain of events of consignment number k, in causal order. */
static void consignment(ws_world *w, unsigned long long k, evlist *l)
{
    uint64_t r = bench_mix64(k * 0x9e3779b97f4a7c15ULL + 0x5bd1e995ULL);
    unsigned a = rnd(&r, N_AGENCIES), t = rnd(&r, N_TRUCKS);
    const agency *ag = &agencies[a];
    unsigned sa = S_AGENCY(a), st = S_TRUCK(t);
    char cid[64], id[80], xing[80];
    snprintf(cid, sizeof cid, "c-%s-%llu", w->run, k);
    snprintf(xing, sizeof xing, "%s-%s", crossings[ag->crossings[rnd(&r, 10) < 7 ? 0 : 1]], w->run);
    unsigned p = rnd(&r, 100);
    int n = p < 30 ? 1 : p < 55 ? 2 : p < 75 ? 3 : p < 90 ? 4 : 5;
    const item_kind *kind[MAX_LINES];
    long long declared[MAX_LINES], approved[MAX_LINES], held[MAX_LINES], got[MAX_LINES];
    unsigned k0 = rnd(&r, N_ITEMS);
    cm_buf b = CM_BUF_INIT;

    /* declare */
    begin(&b, w, sa, "consignment.declare", "dcl", cid);
    buf_printf(&b, "\"consignment\":\"%s\",\"crossing\":\"%s\",\"donor\":\"%s\",", cid, xing,
               ag->donor);
    buf_printf(&b, "\"reference\":\"manifest %s/%llu\",\"lines\":[", ag->org, 1000 + k);
    for (int i = 0; i < n; i++) {
        kind[i] = &items[(k0 + (unsigned)i * 4) % N_ITEMS]; /* 4 and 15 coprime: distinct */
        declared[i] = kind[i]->min + rnd(&r, kind[i]->max - kind[i]->min + 1);
        buf_printf(&b,
                   "%s{\"line\":%d,\"item\":\"%s\",\"category\":\"%s\",\"quantity\":%lld,"
                   "\"unit\":\"%s\"",
                   i ? "," : "", i + 1, kind[i]->item, kind[i]->category, declared[i],
                   kind[i]->unit);
        if (rnd(&r, 2)) buf_printf(&b, ",\"weight_kg\":%.1f", (double)declared[i] * kind[i]->kg);
        buf_putc(&b, '}');
    }
    buf_putc(&b, ']');
    end(&b, l, sa, WS_DECLARE);

    /* screen: every line decided, now and then part of one refused */
    begin(&b, w, S_INSPECTOR, "consignment.screen", "scr", cid);
    buf_printf(&b, "\"consignment\":\"%s\",\"decisions\":[", cid);
    for (int i = 0; i < n; i++) {
        approved[i] = declared[i];
        const char *reason = NULL;
        if (rnd(&r, 100) < 8) {
            approved[i] = declared[i] * (70 + rnd(&r, 25)) / 100;
            reason = kind[i]->category[0] == 'f' && kind[i]->category[1] == 'u' ? "dual_use"
                     : kind[i]->category[0] == 'h'                              ? "expired"
                     : rnd(&r, 2)                                               ? "damaged"
                                                                                : "documentation";
        }
        buf_printf(&b, "%s{\"line\":%d,\"approved\":%lld", i ? "," : "", i + 1, approved[i]);
        if (reason) buf_printf(&b, ",\"reason\":\"%s\"", reason);
        buf_putc(&b, '}');
    }
    buf_putc(&b, ']');
    end(&b, l, S_INSPECTOR, WS_SCREEN);

    /* enter, to the transporter */
    begin(&b, w, S_INSPECTOR, "consignment.enter", "ent", cid);
    buf_printf(&b,
               "\"consignment\":\"%s\",\"transfer\":\"in-%s\",\"crossing\":\"%s\",\"to\":\"%s\",",
               cid, cid, xing, w->org[st]);
    lines(&b, "quantity", n, approved, NULL);
    end(&b, l, S_INSPECTOR, WS_ENTER);

    /* the transporter accepts; now and then short on line 1 */
    for (int i = 0; i < n; i++) got[i] = approved[i];
    if (rnd(&r, 100) < 5 && approved[0] > 1) got[0] -= 1 + approved[0] / 100;
    begin(&b, w, st, "custody.accept", "acc-in", cid);
    buf_printf(&b, "\"transfer\":\"in-%s\",", cid);
    lines(&b, "received", n, got, approved);
    end(&b, l, st, WS_ACCEPT);
    memcpy(held, got, sizeof held);

    /* looted or intercepted on the road */
    if (rnd(&r, 100) < 3 && held[0] >= 2) {
        long long q = held[0] * (20 + rnd(&r, 21)) / 100;
        q = q < 1 ? 1 : q;
        begin(&b, w, st, "loss.report", "loss-road", cid);
        buf_printf(&b,
                   "\"loss\":\"road-%s\",\"consignment\":\"%s\",\"cause\":\"%s\",\"from\":\"held\","
                   "\"lines\":[{\"line\":1,\"quantity\":%lld}]",
                   cid, cid, rnd(&r, 3) ? "looted" : "intercepted", q);
        end(&b, l, st, WS_LOSS);
        held[0] -= q;
    }

    /* to the agency's warehouse */
    long long sent[MAX_LINES];
    memcpy(sent, held, sizeof sent);
    begin(&b, w, st, "custody.transfer", "tr-wh", cid);
    buf_printf(&b,
               "\"transfer\":\"wh-%s\",\"consignment\":\"%s\",\"to\":\"%s\",\"place\":\"%s-%s\",",
               cid, cid, w->org[sa], ag->warehouse, w->run);
    lines(&b, "quantity", n, sent, NULL);
    end(&b, l, st, WS_TRANSFER);

    if (rnd(&r, 100) < 3) {
        /* refused at the warehouse; the transporter writes it off */
        begin(&b, w, sa, "custody.reject", "rej-wh", cid);
        buf_printf(&b, "\"transfer\":\"wh-%s\",\"reason\":\"cold chain broken: arrived warm\"",
                   cid);
        end(&b, l, sa, WS_REJECT);
        begin(&b, w, st, "loss.report", "loss-spoiled", cid);
        buf_printf(&b,
                   "\"loss\":\"spoiled-%s\",\"consignment\":\"%s\",\"cause\":\"spoiled\","
                   "\"from\":\"held\",",
                   cid, cid);
        lines(&b, "quantity", n, held, NULL);
        end(&b, l, st, WS_LOSS);
        buf_free(&b);
        return;
    }
    long long short_by = 0;
    if (rnd(&r, 100) < 4 && held[n - 1] > 1) short_by = 1 + held[n - 1] / 50;
    for (int i = 0; i < n; i++) got[i] = held[i];
    got[n - 1] -= short_by;
    begin(&b, w, sa, "custody.accept", "acc-wh", cid);
    buf_printf(&b, "\"transfer\":\"wh-%s\",", cid);
    lines(&b, "received", n, got, sent);
    end(&b, l, sa, WS_ACCEPT);
    memcpy(held, got, sizeof held);
    if (short_by && rnd(&r, 2)) {
        /* the transporter writes off its shortfall */
        begin(&b, w, st, "loss.report", "loss-short", cid);
        buf_printf(&b,
                   "\"loss\":\"short-%s\",\"consignment\":\"%s\",\"cause\":\"other\","
                   "\"from\":\"unaccounted\",\"lines\":[{\"line\":%d,\"quantity\":%lld}]",
                   cid, cid, n, short_by);
        end(&b, l, st, WS_LOSS);
    }

    /* handed out, a share at a time, at the agency's distribution points */
    unsigned rounds = 2 + rnd(&r, 3);
    for (unsigned d = 0; d < rounds; d++) {
        long long out[MAX_LINES];
        for (int i = 0; i < n; i++) out[i] = held[i] * (20 + rnd(&r, 16)) / 100;
        if (!any(n, out)) break;
        unsigned households = 40 + rnd(&r, 400);
        snprintf(id, sizeof id, "d%u-%s", d + 1, cid);
        begin(&b, w, sa, "distribution.record", "dist", id);
        buf_printf(&b, "\"distribution\":\"%s\",\"consignment\":\"%s\",\"place\":\"%s-%s\",", id,
                   cid, ag->dps[(k + d) % N_DPS], w->run);
        lines(&b, "quantity", n, out, NULL);
        buf_printf(&b, ",\"households\":%u,\"individuals\":%u", households,
                   households * (4 + rnd(&r, 3)));
        end(&b, l, sa, WS_DISTRIBUTION);
        for (int i = 0; i < n; i++) held[i] -= out[i];
    }

    /* some of the stock expires or is damaged in the warehouse */
    if (rnd(&r, 100) < 3) {
        int i = (int)rnd(&r, (unsigned)n);
        if (held[i] > 0) {
            long long q = held[i] / 10 < 1 ? 1 : held[i] / 10;
            begin(&b, w, sa, "loss.report", "loss-stock", cid);
            buf_printf(&b,
                       "\"loss\":\"stock-%s\",\"consignment\":\"%s\",\"cause\":\"%s\","
                       "\"from\":\"held\",\"lines\":[{\"line\":%d,\"quantity\":%lld}]",
                       cid, cid, rnd(&r, 2) ? "expired" : "damaged", i + 1, q);
            end(&b, l, sa, WS_LOSS);
        }
    }
    buf_free(&b);
}

/* ---- the plan ----------------------------------------------------------------- */

typedef struct {
    evlist chain; /* the current consignment's events */
    size_t next;  /* the next one to send */
    long long last;
} slot_state;

ws_event *ws_plan(ws_world *w, size_t slots, unsigned per, size_t min_prologue, size_t timed,
                  size_t *prologue, size_t *n)
{
    bench_minute_ago(w->when, sizeof w->when);
    slot_state *s = xcalloc(slots, sizeof *s);
    evlist out = {0};
    size_t target = SIZE_MAX, pro = 0;
    for (long round = -(STAGGER - 1); out.n < target; round++) {
        if (round == 0) {
            pro = out.n > min_prologue ? out.n : min_prologue;
            pro = (pro + per - 1) / per * per;
            target = pro + timed;
        }
        for (size_t i = 0; i < slots && out.n < target; i++) {
            if (round < -(long)(i % STAGGER)) continue; /* not started yet */
            slot_state *q = &s[i];
            if (q->next == q->chain.n) {
                q->chain.n = q->next = 0;
                consignment(w, w->consignments++, &q->chain);
            }
            ws_event e = q->chain.ev[q->next];
            q->chain.ev[q->next].json = NULL;
            e.pred = q->next ? q->last : -1;
            q->next++;
            q->last = (long long)out.n;
            push(&out, e);
        }
    }
    for (size_t i = 0; i < slots; i++) {
        for (size_t j = s[i].next; j < s[i].chain.n; j++) free(s[i].chain.ev[j].json);
        free(s[i].chain.ev);
    }
    free(s);
    *prologue = pro;
    *n = out.n;
    return out.ev;
}

void ws_plan_free(ws_event *plan, size_t n)
{
    if (!plan) return;
    for (size_t i = 0; i < n; i++) free(plan[i].json);
    free(plan);
}
