/*
 * demo_deconfliction.c: the demo's deconfliction picture and incidents.
 *
 * The relief agencies notify their sites (clinics, shelters, warehouses,
 * water points); the party's liaison office declares a closed buffer zone
 * east of Khan Younis, in which one notified shelter lies, and the force
 * declares a restricted area near Beit Hanoun. Over the last week the
 * agencies request convoy movements two or three days ahead; both military
 * orgs answer, most often acknowledging, once with conditions; a movement
 * through the closed zone is denied with its reason; one is requested at
 * short notice; a convoy is impeded at a checkpoint and its incident is
 * reported; the last day's requests still wait for answers. The looting of
 * the Desert Line convoy (demo_supply.c) is reported as an incident and
 * assessed by the mediators' monitoring mission.
 */
#include "cli/demo.h"

#include "common/timeutil.h"

#include <stdio.h>
#include <string.h>

typedef struct {
    const char *site, *org, *kind, *name;
    double lat, lon;
    int radius_m;
} demo_site;

static const demo_site sites[] = {
    {"site-nuseirat-clinic", "med-health", "clinic", "Nuseirat field clinic", 31.4492, 34.3931,
     150},
    {"site-mawasi-hospital", "med-health", "hospital", "Al-Mawasi field hospital", 31.3601, 34.2712,
     300},
    {"site-ky-shelter", "coastal-relief", "shelter", "Khan Younis school shelter", 31.3448, 34.3050,
     200},
    {"site-ky-east-shelter", "coastal-relief", "shelter", "Bani Suheila school shelter", 31.3400,
     34.3550, 150},
    {"site-rafah-water", "coastal-relief", "water_point", "Tal as-Sultan water point", 31.3180,
     34.2420, 50},
    {"site-jabalia-water", "northern-aid", "water_point", "Jabalia water point", 31.5301, 34.4852,
     50},
    {"site-gaza-office", "northern-aid", "office", "Gaza City field office", 31.5050, 34.4620, 100},
    {"site-dab-warehouse", "med-health", "warehouse", "Deir al-Balah medical store", 31.4175,
     34.3520, 150},
};
#define N_SITES (sizeof sites / sizeof sites[0])

typedef struct {
    const char *org, *from_place, *to_place, *purpose;
    double route[4][2];
    int points;
} demo_route;

static const demo_route routes[] = {
    {"coastal-relief",
     "kerem-shalom",
     "wh-khan-younis",
     "food and shelter convoy from Kerem Shalom to the Khan Younis hub",
     {{31.2286, 34.2847}, {31.2800, 34.2900}, {31.3462, 34.3032}},
     3},
    {"med-health",
     "kissufim",
     "wh-deir-al-balah",
     "medical supplies from Kissufim to Deir al-Balah",
     {{31.3773, 34.3957}, {31.4000, 34.3700}, {31.4181, 34.3515}},
     3},
    {"northern-aid",
     "zikim",
     "wh-gaza-city",
     "flour convoy from Zikim to the Gaza City warehouse",
     {{31.6010, 34.5240}, {31.5700, 34.5300}, {31.5400, 34.5000}, {31.5035, 34.4660}},
     4},
};

static json_t *route_json(const demo_route *r)
{
    json_t *a = json_array();
    for (int i = 0; i < r->points; i++)
        json_array_append_new(a, json_pack("[f,f]", r->route[i][0], r->route[i][1]));
    return a;
}

static json_t *polygon(const double (*p)[2], int n)
{
    json_t *a = json_array();
    for (int i = 0; i < n; i++) json_array_append_new(a, json_pack("[f,f]", p[i][0], p[i][1]));
    return a;
}

static void respond(demo *d, const char *mil, const char *movement, int64_t t, const char *decision,
                    const char *reason, const char *conditions)
{
    json_t *b = json_pack("{s:s,s:s}", "movement", movement, "decision", decision);
    if (reason) json_object_set_new(b, "reason", json_string(reason));
    if (conditions) json_object_set_new(b, "conditions", json_string(conditions));
    demo_emit(d, mil, "movement.respond", t, b);
}

void demo_deconfliction(demo *d)
{
    int64_t start = demo_start(d);
    char from[32], until[32];
    for (size_t i = 0; i < N_SITES; i++) {
        const demo_site *s = &sites[i];
        time_format_s(start - 30 * DEMO_DAY_MS, from, sizeof from);
        demo_emit(d, s->org, "site.notify", start + (int64_t)i * 1200000,
                  json_pack("{s:s,s:s,s:s,s:f,s:f,s:i,s:s}", "site", s->site, "kind", s->kind,
                            "name", s->name, "lat", s->lat, "lon", s->lon, "radius_m", s->radius_m,
                            "from", from));
    }
    /* the zones, declared on day 2 */
    static const double buffer[][2] = {
        {31.30, 34.33}, {31.30, 34.36}, {31.38, 34.38}, {31.38, 34.35}};
    static const double north[][2] = {
        {31.53, 34.52}, {31.55, 34.55}, {31.58, 34.54}, {31.56, 34.51}};
    time_format_s(start + 2 * DEMO_DAY_MS, from, sizeof from);
    time_format_s(start + 60 * DEMO_DAY_MS, until, sizeof until);
    demo_emit(d, "party-liaison", "zone.declare", start + 2 * DEMO_DAY_MS,
              json_pack("{s:s,s:s,s:o,s:s,s:s}", "zone", "zone-ky-east-buffer", "kind", "closed",
                        "polygon", polygon(buffer, 4), "from", from, "until", until));
    demo_emit(d, "force-liaison", "zone.declare", start + 2 * DEMO_DAY_MS + DEMO_HOUR_MS,
              json_pack("{s:s,s:s,s:o,s:s}", "zone", "zone-beit-hanoun", "kind", "restricted",
                        "polygon", polygon(north, 4), "from", from));

    /* a week of movements, requested two to three days ahead */
    for (int day = 7; day < 14; day++) {
        for (int k = 0; k < 3; k++) {
            const demo_route *r = &routes[k];
            char id[48], ws[32], we[32];
            snprintf(id, sizeof id, "mv-%02d-%d", day + 1, k + 1);
            int64_t req = start + day * DEMO_DAY_MS + (int64_t)(2 + k) * DEMO_HOUR_MS;
            int short_notice = day == 9 && k == 1;
            int64_t w0 = req + (short_notice ? 20 : 50 + (int)demo_rand(d, 24)) * DEMO_HOUR_MS;
            time_format_s(w0, ws, sizeof ws);
            time_format_s(w0 + 8 * DEMO_HOUR_MS, we, sizeof we);
            json_t *route = route_json(r);
            int through_buffer = day == 10 && k == 1;
            if (through_buffer) { /* a shorter way to Khan Younis, through the buffer zone */
                json_decref(route);
                route = json_pack("[[f,f],[f,f],[f,f]]", 31.3773, 34.3957, 31.3600, 34.3600,
                                  31.3462, 34.3032);
            }
            demo_emit(d, r->org, "movement.request", req,
                      json_pack("{s:s,s:s,s:o,s:s,s:s,s:i,s:s,s:s}", "movement", id, "purpose",
                                r->purpose, "route", route, "window_start", ws, "window_end", we,
                                "vehicles", 6 + (int)demo_rand(d, 14), "from_place", r->from_place,
                                "to_place", through_buffer ? "wh-khan-younis" : r->to_place));
            int64_t t = req + (int64_t)(1 + demo_rand(d, 5)) * DEMO_HOUR_MS;
            if (day == 13) { /* the last day's requests: one answer so far */
                if (k == 0) respond(d, "force-liaison", id, t, "acknowledged", NULL, NULL);
                continue;
            }
            if (through_buffer) {
                respond(d, "party-liaison", id, t, "denied",
                        "the route crosses the closed buffer zone east of Khan Younis; use the "
                        "coastal road",
                        NULL);
                respond(d, "force-liaison", id, t + DEMO_HOUR_MS, "acknowledged", NULL, NULL);
                continue;
            }
            respond(d, "force-liaison", id, t, "acknowledged", NULL, NULL);
            if (k == 2 && day % 2 == 0)
                respond(d, "party-liaison", id, t + 2 * DEMO_HOUR_MS, "conditional", NULL,
                        "escort by the stabilization force through the restricted area");
            else
                respond(d, "party-liaison", id, t + (int64_t)(1 + demo_rand(d, 10)) * DEMO_HOUR_MS,
                        "acknowledged", NULL, NULL);
            if (w0 + 10 * DEMO_HOUR_MS > demo_now(d)) continue;
            if (day == 8 && k == 0) { /* held at a checkpoint for six hours, then turned back */
                char inc[64], occurred[32];
                snprintf(inc, sizeof inc, "inc-%s-checkpoint", id);
                time_format_s(w0 + 2 * DEMO_HOUR_MS, occurred, sizeof occurred);
                demo_emit(d, r->org, "incident.report", w0 + 9 * DEMO_HOUR_MS,
                          json_pack("{s:s,s:s,s:s,s:s,s:s,s:f,s:f,s:s}", "incident", inc,
                                    "category", "access_denial", "occurred", occurred, "severity",
                                    "medium", "description",
                                    "convoy held six hours at an unannounced checkpoint, then "
                                    "turned back; no injuries",
                                    "lat", 31.2800, "lon", 34.2900, "movement", id));
                demo_emit(d, r->org, "movement.report", w0 + 10 * DEMO_HOUR_MS,
                          json_pack("{s:s,s:s,s:s,s:s}", "movement", id, "outcome", "impeded",
                                    "reason", "held at a checkpoint and turned back", "incident",
                                    inc));
                demo_emit(d, "joint-monitoring", "incident.assess", w0 + 30 * DEMO_HOUR_MS,
                          json_pack("{s:s,s:s,s:s}", "incident", inc, "status", "verified", "note",
                                    "confirmed by two drivers and the checkpoint log"));
                continue;
            }
            demo_emit(d, r->org, "movement.report", w0 + 9 * DEMO_HOUR_MS,
                      json_pack("{s:s,s:s}", "movement", id, "outcome", "completed"));
        }
    }

    /* the looting of day 11 (demo_supply.c), reported by the consignee */
    char occurred[32];
    time_format_s(start + 10 * DEMO_DAY_MS + 5 * DEMO_HOUR_MS, occurred, sizeof occurred);
    demo_emit(d, "coastal-relief", "incident.report", start + 10 * DEMO_DAY_MS + 8 * DEMO_HOUR_MS,
              json_pack("{s:s,s:s,s:s,s:s,s:s,s:f,s:f,s:s}", "incident", "inc-looting-day11",
                        "category", "looting", "occurred", occurred, "severity", "high",
                        "description",
                        "a Desert Line convoy carrying flour was stopped by armed men south of "
                        "Khan Younis and about a third of its load taken",
                        "lat", 31.3100, "lon", 34.2850, "consignment", "c-11-1"));
    demo_emit(d, "joint-monitoring", "incident.assess", start + 11 * DEMO_DAY_MS,
              json_pack("{s:s,s:s,s:s}", "incident", "inc-looting-day11", "status", "verified",
                        "note",
                        "matches the loss report of Desert Line and the consignee's count"));
    time_format_s(start + 12 * DEMO_DAY_MS - 2 * DEMO_HOUR_MS, occurred, sizeof occurred);
    demo_emit(d, "force-liaison", "incident.report", start + 12 * DEMO_DAY_MS,
              json_pack("{s:s,s:s,s:s,s:s,s:s,s:f,s:f}", "incident", "inc-uxo-day13", "category",
                        "uxo", "occurred", occurred, "severity", "high", "description",
                        "unexploded ordnance found beside the road to the Khan Younis hub; the "
                        "road is marked and an EOD team is on its way",
                        "lat", 31.3300, "lon", 34.2980));
}
