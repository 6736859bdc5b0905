/*
 * demo_force.c: the demo's force generation and disarmament.
 *
 * The coordination cell defines what the stabilization force needs (convoy
 * escort, disarmament enforcement, crowd control, medical care, explosive
 * ordnance disposal, patrols). Four fictional contributing nations pledge
 * units, most of them with `no_direct_confrontation`, some static only or
 * restricted to a sector; one pledge is updated, one withdrawn; a few units
 * deploy. A verification body of two organizations registers a few hundred
 * weapons handed in at collection points, each confirming the other's
 * records; records stand at every status, a few with open discrepancies.
 * Two benchmarks measure progress, one of them overdue.
 */
#include "cli/demo.h"

#include "common/timeutil.h"

#include <stdio.h>
#include <string.h>

typedef struct {
    const char *id, *capability, *tasks[3], *sector;
    int quantity, needed_in_days;
} demo_requirement;

static const demo_requirement requirements[] = {
    {"req-escort-south",
     "infantry_company",
     {"convoy_escort", "checkpoint_security"},
     "south",
     3,
     20},
    {"req-disarm-north",
     "infantry_battalion",
     {"disarmament_enforcement", "weapons_collection"},
     "north",
     1,
     30},
    {"req-crowd-gaza", "formed_police_unit", {"crowd_control", "site_protection"}, "north", 2, 15},
    {"req-medical-middle", "medical_role2", {"medical_support"}, "middle", 1, 10},
    {"req-eod-south", "eod_team", {"route_clearance", "weapons_collection"}, "south", 4, 10},
    {"req-patrol-middle", "infantry_company", {"patrol"}, "middle", 2, 25},
};

typedef struct {
    const char *id, *org, *capability, *readiness, *caveats[3], *sectors[2];
    int quantity, personnel, from_days;
} demo_pledge;

static const demo_pledge pledges[] = {
    {"pl-nordland-inf",
     "nordland-mod",
     "infantry_company",
     "level3",
     {"no_direct_confrontation"},
     {NULL},
     2,
     300,
     5},
    {"pl-austral-inf",
     "austral-mod",
     "infantry_company",
     "level2",
     {"no_direct_confrontation", "static_only"},
     {NULL},
     1,
     150,
     8},
    {"pl-meridia-fpu",
     "meridia-mod",
     "formed_police_unit",
     "level2",
     {"no_direct_confrontation"},
     {NULL},
     1,
     140,
     6},
    {"pl-isthmia-fpu", "isthmia-mod", "formed_police_unit", "rapid", {NULL}, {NULL}, 1, 140, 2},
    {"pl-nordland-med",
     "nordland-mod",
     "medical_role2",
     "level3",
     {"no_direct_confrontation"},
     {NULL},
     1,
     60,
     4},
    {"pl-austral-eod",
     "austral-mod",
     "eod_team",
     "level1",
     {"no_weapons_collection"},
     {NULL},
     2,
     16,
     12},
    {"pl-isthmia-bn",
     "isthmia-mod",
     "infantry_battalion",
     "level2",
     {"no_offensive_operations"},
     {NULL},
     1,
     850,
     20},
    {"pl-meridia-inf",
     "meridia-mod",
     "infantry_company",
     "level2",
     {"sector_restricted"},
     {"middle"},
     2,
     300,
     10},
    {"pl-nordland-eod", "nordland-mod", "eod_team", "level3", {NULL}, {NULL}, 1, 8, 3},
};
#define N_PLEDGES (sizeof pledges / sizeof pledges[0])

static json_t *strings(const char *const *v, size_t n)
{
    json_t *a = json_array();
    for (size_t i = 0; i < n && v[i]; i++) json_array_append_new(a, json_string(v[i]));
    return a;
}

static json_t *pledge_body(const demo_pledge *p, int64_t start, int quantity)
{
    char from[32];
    time_format_s(start + p->from_days * DEMO_DAY_MS, from, sizeof from);
    json_t *b =
        json_pack("{s:s,s:s,s:i,s:i,s:s,s:o,s:s}", "pledge", p->id, "capability", p->capability,
                  "quantity", quantity, "personnel", p->personnel, "readiness", p->readiness,
                  "caveats", strings(p->caveats, 3), "available_from", from);
    if (p->sectors[0]) json_object_set_new(b, "sectors", strings(p->sectors, 2));
    return b;
}

static void force(demo *d, int64_t start)
{
    char t[32];
    for (size_t i = 0; i < sizeof requirements / sizeof requirements[0]; i++) {
        const demo_requirement *r = &requirements[i];
        time_format_s(start + r->needed_in_days * DEMO_DAY_MS, t, sizeof t);
        demo_emit(d, DEMO_COORD, "requirement.define", start + DEMO_DAY_MS + (int64_t)i * 600000,
                  json_pack("{s:s,s:s,s:i,s:o,s:s,s:s}", "requirement", r->id, "capability",
                            r->capability, "quantity", r->quantity, "tasks", strings(r->tasks, 3),
                            "sector", r->sector, "needed_by", t));
    }
    for (size_t i = 0; i < N_PLEDGES; i++) {
        const demo_pledge *p = &pledges[i];
        demo_emit(d, p->org, "pledge.offer", start + 2 * DEMO_DAY_MS + (int64_t)i * DEMO_HOUR_MS,
                  pledge_body(p, start, p->quantity));
    }
    /* Meridia raises its infantry pledge; Nordland withdraws its EOD team */
    demo_emit(d, "meridia-mod", "pledge.update", start + 6 * DEMO_DAY_MS,
              pledge_body(&pledges[7], start, 3));
    demo_emit(d, "nordland-mod", "pledge.withdraw", start + 7 * DEMO_DAY_MS,
              json_pack("{s:s,s:s}", "pledge", "pl-nordland-eod", "reason",
                        "the team is needed at home after floods"));
    static const struct {
        const char *pledge, *org, *sector;
        int deployed, day;
    } deployments[] = {
        {"pl-nordland-inf", "nordland-mod", "south", 1, 9},
        {"pl-nordland-med", "nordland-mod", "middle", 1, 8},
        {"pl-isthmia-fpu", "isthmia-mod", "north", 1, 5},
    };
    for (size_t i = 0; i < 3; i++) {
        time_format_s(start + deployments[i].day * DEMO_DAY_MS, t, sizeof t);
        demo_emit(d, deployments[i].org, "deployment.report",
                  start + deployments[i].day * DEMO_DAY_MS + DEMO_HOUR_MS,
                  json_pack("{s:s,s:i,s:s,s:s}", "pledge", deployments[i].pledge, "deployed",
                            deployments[i].deployed, "sector", deployments[i].sector, "as_of", t));
    }
}

typedef struct {
    const char *category, *description, *make, *model, *calibre;
    int serialized, min, max;
} weapon_kind;

static const weapon_kind kinds[] = {
    {"small_arm", "assault rifle", "Kalashnikov", "AKM", "7.62x39mm", 1, 1, 1},
    {"small_arm", "pistol", "Tokarev", "TT-33", "7.62x25mm", 1, 1, 1},
    {"light_weapon", "rocket-propelled grenade launcher", "Bazalt", "RPG-7", "40mm", 1, 1, 1},
    {"ammunition", "rifle cartridges", NULL, NULL, "7.62x39mm", 0, 200, 2000},
    {"explosive", "improvised explosive charges", NULL, NULL, NULL, 0, 2, 20},
    {"rocket", "short-range rockets", NULL, NULL, "107mm", 0, 1, 6},
};
#define N_KINDS (sizeof kinds / sizeof kinds[0])

#define N_WEAPONS 300

/* The serial number of weapon record i + 1 (serialized kinds only). */
static void weapon_serial(int i, char *out, size_t cap)
{
    snprintf(out, cap, "%c%06u", 'A' + i % 20, 100000 + (unsigned)i * 37);
}

static void disarmament(demo *d, int64_t start)
{
    static const char *const verifiers[] = {"verif-alpha", "verif-beta"};
    static const char *const collection[] = {"cp-khan-younis", "cp-gaza-city"};
    static const char *const depots[] = {"depot-south", "depot-north"};
    char serial[32], lot[32];
    for (int i = 0; i < N_WEAPONS; i++) {
        const weapon_kind *k = &kinds[i % N_KINDS];
        int v = i % 2, site = (i / 2) % 2;
        char id[32];
        snprintf(id, sizeof id, "wr-%04d", i + 1);
        int64_t t =
            start + (3 + i * 10 / N_WEAPONS) * DEMO_DAY_MS + (int64_t)(i % 7) * DEMO_HOUR_MS;
        int quantity = k->serialized ? 1 : k->min + (int)demo_rand(d, (unsigned)(k->max - k->min));
        json_t *b =
            json_pack("{s:s,s:s,s:s,s:i,s:s}", "record", id, "category", k->category, "description",
                      k->description, "quantity", quantity, "place", collection[site]);
        if (k->make) json_object_set_new(b, "make", json_string(k->make));
        if (k->model) json_object_set_new(b, "model", json_string(k->model));
        if (k->calibre) json_object_set_new(b, "calibre", json_string(k->calibre));
        if (k->serialized) {
            weapon_serial(i, serial, sizeof serial);
            json_object_set_new(b, "serial", json_string(serial));
        } else {
            snprintf(lot, sizeof lot, "LOT-%03d", i);
            json_object_set_new(b, "lot", json_string(lot));
        }
        demo_emit(d, verifiers[v], "weapon.handover", t, b);
        /* how far along: about 30 % registered, 25 % verified, 15 % destroyed,
         * 30 % decommissioned; a few held by a discrepancy */
        unsigned stage = demo_rand(d, 100);
        const char *other = verifiers[1 - v];
        if (i % 41 == 5) {
            demo_emit(d, other, "weapon.attest", t + 6 * DEMO_HOUR_MS,
                      json_pack("{s:s,s:s,s:s,s:s}", "record", id, "stage", "handover", "result",
                                "discrepancy", "note",
                                "serial number ground off; the make cannot be confirmed"));
            continue;
        }
        int64_t limit = demo_now(d);
        if (stage < 30) continue;
        demo_emit(
            d, other, "weapon.attest", t + 6 * DEMO_HOUR_MS,
            json_pack("{s:s,s:s,s:s}", "record", id, "stage", "handover", "result", "confirmed"));
        if (stage < 45 || t + DEMO_DAY_MS > limit) continue;
        demo_emit(d, verifiers[v], "weapon.move", t + DEMO_DAY_MS,
                  json_pack("{s:s,s:s}", "record", id, "to_place", depots[site]));
        if (stage < 55 || t + 2 * DEMO_DAY_MS > limit) continue;
        demo_emit(d, verifiers[v], "weapon.destroy", t + 2 * DEMO_DAY_MS,
                  json_pack("{s:s,s:s,s:s}", "record", id, "method",
                            k->serialized ? "cutting" : "detonation", "place", depots[site]));
        if (stage < 70 || t + 2 * DEMO_DAY_MS + 4 * DEMO_HOUR_MS > limit) continue;
        demo_emit(d, other, "weapon.attest", t + 2 * DEMO_DAY_MS + 4 * DEMO_HOUR_MS,
                  json_pack("{s:s,s:s,s:s}", "record", id, "stage", "destruction", "result",
                            "confirmed"));
    }
    char due[32];
    time_format_s(start + 30 * DEMO_DAY_MS, due, sizeof due);
    demo_emit(d, DEMO_COORD, "benchmark.define", start + 3 * DEMO_DAY_MS,
              json_pack("{s:s,s:s,s:[s,s],s:i,s:s}", "benchmark", "bm-small-arms", "description",
                        "small arms and light weapons decommissioned in the first "
                        "month",
                        "categories", "small_arm", "light_weapon", "target", 150, "due", due));
    time_format_s(start + 10 * DEMO_DAY_MS, due, sizeof due);
    demo_emit(d, DEMO_COORD, "benchmark.define", start + 3 * DEMO_DAY_MS + 600000,
              json_pack("{s:s,s:s,s:[s,s],s:i,s:s}", "benchmark", "bm-explosives", "description",
                        "explosives and rockets destroyed and confirmed within ten days",
                        "categories", "explosive", "rocket", "target", 400, "due", due));
    demo_emit(d, "joint-monitoring", "benchmark.assess", start + 11 * DEMO_DAY_MS,
              json_pack("{s:s,s:s}", "benchmark", "bm-explosives", "note",
                        "behind schedule: the southern depot lacked demolition charges for a "
                        "week"));
}

void demo_force(demo *d)
{
    int64_t start = demo_start(d);
    force(d, start);
    disarmament(d, start);
}

const char *demo_recycled_serial(void)
{
    static char serial[32];
    weapon_serial(6, serial, sizeof serial); /* record wr-0007 */
    return serial;
}
