/*
 * demo_supply.c: two weeks of consignments in the demo.
 *
 * Each day each relief agency declares a consignment at a crossing of its
 * sector; the crossing authority screens it (now and then refusing part of
 * a line: expired medicines, dual-use fuel) and lets it enter to a
 * transporter, who takes it to the agency's warehouse; the agency then
 * hands it out at its distribution points over the following days. Along
 * the way: shortfalls on acceptance (unaccounted), a rejected shipment
 * that spoiled, a convoy of Desert Line looted on day 10 (the transporter
 * is suspended the next day, see demo.c), a partial entry, the coordinator
 * settling a shortfall, and, on the last day, transfers still pending.
 *
 * The story keeps its own count of what each party holds, so every event
 * it writes is one the rules accept.
 */
#include "cli/demo.h"

#include <stdio.h>

typedef struct {
    const char *item, *category, *unit;
    unsigned min, max;
} item_kind;

static const item_kind items[] = {
    {"wheat flour, 50 kg", "food", "bag", 200, 1200},
    {"rice, 25 kg", "food", "bag", 100, 800},
    {"ready-to-eat meals", "food", "carton", 100, 600},
    {"high-energy biscuits", "food", "carton", 50, 300},
    {"hygiene kit", "wash", "kit", 100, 500},
    {"water purification tablets", "wash", "box", 20, 100},
    {"bottled water", "wash", "pallet", 10, 40},
    {"emergency health kit", "health", "kit", 5, 30},
    {"oral rehydration salts", "health", "box", 20, 120},
    {"measles vaccine", "health", "dose", 500, 3000},
    {"family tent", "shelter", "unit", 20, 150},
    {"tarpaulin", "shelter", "unit", 50, 400},
    {"blanket", "shelter", "unit", 100, 800},
    {"diesel", "fuel", "litre", 2000, 10000},
    {"school-in-a-box kit", "education", "kit", 5, 40},
};
#define N_ITEMS (sizeof items / sizeof items[0])

typedef struct {
    const char *org, *donor;
    const char *crossings[2];
    const char *warehouse;
    const char *dps[2];
} agency;

static const agency agencies[] = {
    {"coastal-relief",
     "European Civil Protection and Humanitarian Aid",
     {"kerem-shalom", "rafah"},
     "wh-khan-younis",
     {"dp-al-mawasi", "dp-rafah-west"}},
    {"northern-aid",
     "Gulf Humanitarian Fund",
     {"zikim", "kerem-shalom"},
     "wh-gaza-city",
     {"dp-jabalia", "dp-beit-lahia"}},
    {"med-health",
     "Global Health Trust",
     {"kissufim", "kerem-shalom"},
     "wh-deir-al-balah",
     {"dp-nuseirat", "dp-al-mawasi"}},
};

#define INSPECTOR "crossing-authority"
#define MAX_LINES 3

/* the first shortfall at a crossing, which the coordinator later settles */
typedef struct {
    char consignment[32];
    unsigned qty;
} shortfall;

typedef struct {
    char id[32];
    int n;
    unsigned qty[MAX_LINES]; /* what the current holder holds */
} cargo;

static json_t *lines_json(const cargo *c, const char *key, const unsigned *q)
{
    json_t *a = json_array();
    for (int i = 0; i < c->n; i++)
        if (q[i]) json_array_append_new(a, json_pack("{s:i,s:i}", "line", i + 1, key, q[i]));
    return a;
}

/* A transfer from `from` to `to` of everything c holds, and its acceptance
 * (after `lag`) with what was short on each line; returns the new holding. */
static void hand_over(demo *d, cargo *c, const char *from, const char *to, const char *place,
                      int64_t t, int64_t lag, const unsigned *short_by, const char *tid, int accept)
{
    json_t *body = json_pack("{s:s,s:s,s:s,s:o}", "transfer", tid, "consignment", c->id, "to", to,
                             "lines", lines_json(c, "quantity", c->qty));
    if (place) json_object_set_new(body, "place", json_string(place));
    demo_emit(d, from, "custody.transfer", t, body);
    if (!accept) return;
    unsigned got[MAX_LINES];
    for (int i = 0; i < c->n; i++) got[i] = c->qty[i] - (short_by ? short_by[i] : 0);
    json_t *lines = json_array();
    for (int i = 0; i < c->n; i++)
        if (c->qty[i])
            json_array_append_new(lines, json_pack("{s:i,s:i}", "line", i + 1, "received", got[i]));
    demo_emit(d, to, "custody.accept", t + lag,
              json_pack("{s:s,s:o}", "transfer", tid, "lines", lines));
    for (int i = 0; i < c->n; i++) c->qty[i] = got[i];
}

/* The life of one consignment, from declaration to distribution. */
static void consignment(demo *d, int day, const agency *a, int ai, int64_t now_limit,
                        shortfall *first)
{
    int64_t t = demo_start(d) + day * DEMO_DAY_MS + (int64_t)(1 + demo_rand(d, 3)) * DEMO_HOUR_MS;
    cargo c = {{0}, 0, {0}};
    snprintf(c.id, sizeof c.id, "c-%02d-%d", day + 1, ai + 1);
    const char *crossing = a->crossings[demo_rand(d, 10) < 7 ? 0 : 1];
    if (day >= 9 && crossing[0] == 'r') crossing = "kerem-shalom"; /* Rafah closed on day 9 */
    c.n = 1 + (int)demo_rand(d, MAX_LINES);
    const item_kind *kinds[MAX_LINES];
    unsigned declared[MAX_LINES];
    json_t *lines = json_array();
    for (int i = 0; i < c.n; i++) {
        kinds[i] = &items[(ai * 5 + day + i * 4) % N_ITEMS];
        declared[i] = kinds[i]->min + demo_rand(d, kinds[i]->max - kinds[i]->min);
        json_array_append_new(lines, json_pack("{s:i,s:s,s:s,s:i,s:s}", "line", i + 1, "item",
                                               kinds[i]->item, "category", kinds[i]->category,
                                               "quantity", declared[i], "unit", kinds[i]->unit));
    }
    char ref[48];
    snprintf(ref, sizeof ref, "manifest %s/%04d", a->org, 100 + day * 3 + ai);
    demo_emit(d, a->org, "consignment.declare", t,
              json_pack("{s:s,s:s,s:s,s:s,s:o}", "consignment", c.id, "crossing", crossing, "donor",
                        a->donor, "reference", ref, "lines", lines));

    /* screening: now and then part of a line is refused */
    unsigned approved[MAX_LINES];
    json_t *decisions = json_array();
    for (int i = 0; i < c.n; i++) {
        approved[i] = declared[i];
        json_t *dec = json_pack("{s:i}", "line", i + 1);
        const char *reason = NULL;
        if (kinds[i]->category[0] == 'f' && kinds[i]->category[1] == 'u') reason = "dual_use";
        if (kinds[i]->category[0] == 'h' && demo_rand(d, 4) == 0) reason = "expired";
        if (reason) {
            approved[i] = declared[i] * (70 + demo_rand(d, 25)) / 100;
            json_object_set_new(dec, "reason", json_string(reason));
        }
        json_object_set_new(dec, "approved", json_integer(approved[i]));
        json_array_append_new(decisions, dec);
    }
    demo_emit(d, INSPECTOR, "consignment.screen", t + 2 * DEMO_HOUR_MS,
              json_pack("{s:s,s:o}", "consignment", c.id, "decisions", decisions));

    /* entry to a transporter: Desert Line until its convoy is looted */
    const char *truck = (day < 10 && demo_rand(d, 10) < 4) || (day == 10 && ai == 0)
                            ? "desert-line"
                            : "swift-haulage";
    int partial = day == 2 && ai == 1; /* half now, half the next day */
    for (int i = 0; i < c.n; i++) c.qty[i] = partial ? approved[i] / 2 : approved[i];
    char tid[48];
    snprintf(tid, sizeof tid, "t-%s-in", c.id);
    demo_emit(d, INSPECTOR, "consignment.enter", t + 3 * DEMO_HOUR_MS,
              json_pack("{s:s,s:s,s:s,s:s,s:o}", "consignment", c.id, "transfer", tid, "crossing",
                        crossing, "to", truck, "lines", lines_json(&c, "quantity", c.qty)));
    unsigned short_by[MAX_LINES] = {0};
    if (demo_rand(d, 6) == 0) short_by[0] = 1 + c.qty[0] / 80; /* lost at the crossing */
    if (short_by[0] && !first->qty) {
        snprintf(first->consignment, sizeof first->consignment, "%s", c.id);
        first->qty = short_by[0];
    }
    json_t *acc = json_array();
    for (int i = 0; i < c.n; i++)
        json_array_append_new(
            acc, json_pack("{s:i,s:i}", "line", i + 1, "received", c.qty[i] - short_by[i]));
    demo_emit(d, truck, "custody.accept", t + 4 * DEMO_HOUR_MS,
              json_pack("{s:s,s:o}", "transfer", tid, "lines", acc));
    for (int i = 0; i < c.n; i++) c.qty[i] -= short_by[i];

    if (truck[0] == 'd' && day == 10) {
        /* the convoy is stopped and looted on the way to the warehouse */
        unsigned taken = c.qty[0] * 35 / 100;
        json_t *l = json_pack("[{s:i,s:i}]", "line", 1, "quantity", taken);
        demo_emit(d, truck, "loss.report", t + 6 * DEMO_HOUR_MS,
                  json_pack("{s:s,s:s,s:s,s:s,s:o,s:s}", "loss", "loss-looting-day11",
                            "consignment", c.id, "cause", "looted", "from", "held", "lines", l,
                            "incident", "inc-looting-day11"));
        c.qty[0] -= taken;
    }

    /* to the agency's warehouse */
    int64_t tw = t + 7 * DEMO_HOUR_MS;
    int last_day = day == 13 || (day == 12 && ai == 0);
    snprintf(tid, sizeof tid, "t-%s-wh", c.id);
    if (day == 5 && ai == 2) {
        /* the cold chain broke: the agency refuses the shipment */
        hand_over(d, &c, truck, a->org, a->warehouse, tw, 0, NULL, tid, 0);
        demo_emit(d, a->org, "custody.reject", tw + 3 * DEMO_HOUR_MS,
                  json_pack("{s:s,s:s}", "transfer", tid, "reason",
                            "cold chain broken: vaccines arrived warm"));
        demo_emit(d, truck, "loss.report", tw + 6 * DEMO_HOUR_MS,
                  json_pack("{s:s,s:s,s:s,s:s,s:o}", "loss", "loss-spoiled-day6", "consignment",
                            c.id, "cause", "spoiled", "from", "held", "lines",
                            lines_json(&c, "quantity", c.qty)));
        return;
    }
    unsigned short2[MAX_LINES] = {0};
    if (demo_rand(d, 8) == 0) short2[c.n - 1] = 1 + c.qty[c.n - 1] / 50;
    hand_over(d, &c, truck, a->org, a->warehouse, tw, 4 * DEMO_HOUR_MS, short2, tid, !last_day);
    if (last_day) return; /* still on its way: a pending transfer */

    if (partial) {
        /* the second half enters the next day, straight to the agency */
        cargo rest = c;
        for (int i = 0; i < c.n; i++) rest.qty[i] = approved[i] - approved[i] / 2;
        snprintf(tid, sizeof tid, "t-%s-in2", c.id);
        demo_emit(d, INSPECTOR, "consignment.enter", t + DEMO_DAY_MS,
                  json_pack("{s:s,s:s,s:s,s:s,s:o}", "consignment", c.id, "transfer", tid,
                            "crossing", crossing, "to", a->org, "lines",
                            lines_json(&rest, "quantity", rest.qty)));
        json_t *acc2 = json_array();
        for (int i = 0; i < c.n; i++)
            json_array_append_new(acc2,
                                  json_pack("{s:i,s:i}", "line", i + 1, "received", rest.qty[i]));
        demo_emit(d, a->org, "custody.accept", t + DEMO_DAY_MS + 2 * DEMO_HOUR_MS,
                  json_pack("{s:s,s:o}", "transfer", tid, "lines", acc2));
    }

    /* handed out over the next days, a share at a time; some stays in stock */
    for (int k = 1; k <= 3; k++) {
        int64_t td = t + k * DEMO_DAY_MS + (int64_t)(2 + demo_rand(d, 6)) * DEMO_HOUR_MS;
        if (td > now_limit) break;
        unsigned out[MAX_LINES];
        int any = 0;
        for (int i = 0; i < c.n; i++) {
            out[i] = c.qty[i] * (25 + demo_rand(d, 15)) / 100;
            any |= out[i] > 0;
        }
        if (!any) break;
        char did[48];
        snprintf(did, sizeof did, "dist-%s-%d", c.id, k);
        unsigned households = 40 + demo_rand(d, 400);
        demo_emit(d, a->org, "distribution.record", td,
                  json_pack("{s:s,s:s,s:s,s:o,s:i,s:i}", "distribution", did, "consignment", c.id,
                            "place", a->dps[k % 2], "lines", lines_json(&c, "quantity", out),
                            "households", households, "individuals",
                            households * (4 + demo_rand(d, 3))));
        for (int i = 0; i < c.n; i++) c.qty[i] -= out[i];
    }
}

void demo_supply(demo *d)
{
    int64_t now_limit = demo_start(d) + 14 * DEMO_DAY_MS - 2 * DEMO_HOUR_MS;
    shortfall first = {{0}, 0};
    for (int day = 0; day < 14; day++)
        for (int ai = 0; ai < 3; ai++) {
            if (day % 4 == 3 && ai == 1) continue; /* not every agency every day */
            consignment(d, day, &agencies[ai], ai, now_limit, &first);
        }
    if (first.qty) /* the crossing's first shortfall, investigated and written off */
        demo_emit(d, DEMO_COORD, "loss.report", demo_start(d) + 12 * DEMO_DAY_MS,
                  json_pack("{s:s,s:s,s:s,s:s,s:s,s:[{s:i,s:i}]}", "loss", "loss-settled-1",
                            "consignment", first.consignment, "cause", "other", "from",
                            "unaccounted", "org", INSPECTOR, "lines", "line", 1, "quantity",
                            first.qty));
}
