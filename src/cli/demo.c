/*
 * demo.c: the demo scenario, a fortnight of a coordination centre's work.
 *
 * The places are real: the Gaza crossings (Kerem Shalom, Kissufim, Zikim,
 * Rafah) and plausible warehouses and distribution points at real
 * coordinates. The organizations are fictional: a coordination cell, three
 * relief agencies, a crossing authority, two transporters and a military
 * liaison cell, a second party's liaison office and the mediators' monitoring
 * mission. Each signs its own events with its own key, kept in
 * DIR/keys/<org>.pem; the whole scenario is appended through the same
 * judging code as the server's (srv_ingest), so a mistake in it is refused
 * like any other.
 */
#include "cli/demo.h"

#include "cli/cli.h"
#include "common/mem.h"
#include "common/timeutil.h"
#include "engine/engine.h"

#include <errno.h>
#include <fcntl.h>
#include <sodium.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* from the story's start (06:00 UTC) to its "now" (04:00 UTC, 14 days on) */
#define STORY_START_MS  (6 * DEMO_HOUR_MS)
#define STORY_LENGTH_MS (14 * DEMO_DAY_MS - 2 * DEMO_HOUR_MS)
#define SKEW_MARGIN_MS  (10 * 60 * 1000LL) /* past the server's allowed 300 s */

typedef struct {
    const char *org, *name, *roles, *country;
} demo_org;

static const demo_org orgs[] = {
    {"coastal-relief", "Coastal Relief Alliance", "humanitarian", NULL},
    {"northern-aid", "Northern Aid Consortium", "humanitarian", NULL},
    {"med-health", "Mediterranean Health Partners", "humanitarian", NULL},
    {"crossing-authority", "Joint Crossing Inspection Authority", "inspector", NULL},
    {"swift-haulage", "Swift Haulage Ltd.", "transporter", NULL},
    {"desert-line", "Desert Line Transport", "transporter", NULL},
    {"force-liaison", "Stabilization Force Liaison Cell", "military", NULL},
    {"party-liaison", "Coordination Office of the Northern Party", "military", NULL},
    {"joint-monitoring", "Joint Monitoring Mission of the Mediators", "monitor", NULL},
    {"nordland-mod", "Ministry of Defence of Nordland", "contributor", "Nordland"},
    {"austral-mod", "Austral Armed Forces", "contributor", "Austral"},
    {"meridia-mod", "Meridian Defence Staff", "contributor", "Meridia"},
    {"isthmia-mod", "Isthmian Ministry of the Interior", "contributor", "Isthmia"},
    {"verif-alpha", "International Verification Team Alpha", "verifier", NULL},
    {"verif-beta", "International Verification Team Beta", "verifier", NULL},
};
#define N_ORGS (sizeof orgs / sizeof orgs[0])

typedef struct {
    const char *place, *kind, *name;
    double lat, lon;
    const char *sector;
} demo_place;

static const demo_place places[] = {
    {"kerem-shalom", "crossing", "Kerem Shalom crossing", 31.2286, 34.2847, "south"},
    {"kissufim", "crossing", "Kissufim crossing", 31.3773, 34.3957, "middle"},
    {"zikim", "crossing", "Zikim crossing", 31.6010, 34.5240, "north"},
    {"rafah", "crossing", "Rafah crossing", 31.2468, 34.2596, "south"},
    {"wh-khan-younis", "warehouse", "Khan Younis logistics hub", 31.3462, 34.3032, "south"},
    {"wh-deir-al-balah", "warehouse", "Deir al-Balah warehouse", 31.4181, 34.3515, "middle"},
    {"wh-gaza-city", "warehouse", "Gaza City central warehouse", 31.5035, 34.4660, "north"},
    {"dp-al-mawasi", "distribution_point", "Al-Mawasi distribution point", 31.3560, 34.2740,
     "south"},
    {"dp-rafah-west", "distribution_point", "Tal as-Sultan distribution point", 31.3205, 34.2395,
     "south"},
    {"dp-nuseirat", "distribution_point", "Nuseirat distribution point", 31.4480, 34.3925,
     "middle"},
    {"dp-jabalia", "distribution_point", "Jabalia distribution point", 31.5310, 34.4835, "north"},
    {"dp-beit-lahia", "distribution_point", "Beit Lahia distribution point", 31.5480, 34.4990,
     "north"},
    {"cp-khan-younis", "collection_point", "Khan Younis weapons collection point", 31.3400, 34.3000,
     "south"},
    {"cp-gaza-city", "collection_point", "Gaza City weapons collection point", 31.5100, 34.4600,
     "north"},
    {"depot-south", "depot", "Southern verification depot", 31.3000, 34.2700, "south"},
    {"depot-north", "depot", "Northern verification depot", 31.5200, 34.4500, "north"},
};
#define N_PLACES (sizeof places / sizeof places[0])

typedef struct {
    int64_t time;
    unsigned seq;
    const char *org;
    char *json;
} pending_event;

struct demo {
    const char *dir;
    log_key keys[N_ORGS + 1]; /* [N_ORGS] is the coordinator */
    pending_event *evs;
    size_t n, cap;
    int64_t start;
    unsigned seq;
    uint64_t rng;
};

int64_t demo_now(const demo *d)
{
    return d->start + STORY_LENGTH_MS;
}

int64_t demo_start(const demo *d)
{
    return d->start;
}

unsigned demo_rand(demo *d, unsigned n)
{
    d->rng ^= d->rng << 13; /* xorshift64: the same scenario every time */
    d->rng ^= d->rng >> 7;
    d->rng ^= d->rng << 17;
    return (unsigned)(d->rng % n);
}

static const log_key *key_of(demo *d, const char *org)
{
    for (size_t i = 0; i < N_ORGS; i++)
        if (strcmp(orgs[i].org, org) == 0) return &d->keys[i];
    return &d->keys[N_ORGS];
}

void demo_emit(demo *d, const char *org, const char *type, int64_t t, json_t *body)
{
    char ts[32], id[80];
    time_format_s(t, ts, sizeof ts);
    snprintf(id, sizeof id, "demo-%s-%04u", type, ++d->seq);
    if (d->n == d->cap)
        d->evs = xrealloc(d->evs, (d->cap = d->cap ? 2 * d->cap : 256) * sizeof *d->evs);
    d->evs[d->n++] = (pending_event){t, d->seq, org, cli_event_json(type, id, org, ts, body)};
}

static int by_time(const void *a, const void *b)
{
    const pending_event *x = a, *y = b;
    if (x->time != y->time) return x->time < y->time ? -1 : 1;
    return x->seq < y->seq ? -1 : x->seq > y->seq;
}

/* Sorts the events by time, signs them and appends them in one go. */
static int append_all(demo *d, cm_error *err)
{
    qsort(d->evs, d->n, sizeof *d->evs, by_time);
    ev_envelope *envs = xcalloc(d->n, sizeof *envs);
    for (size_t i = 0; i < d->n; i++)
        ev_envelope_sign(key_of(d, d->evs[i].org), d->evs[i].json, strlen(d->evs[i].json),
                         &envs[i]);
    int rc = srv_ingest(d->dir, envs, d->n, err);
    for (size_t i = 0; i < d->n; i++) ev_envelope_free(&envs[i]);
    free(envs);
    return rc;
}

static int write_key(const char *path, const log_key *k, cm_error *err)
{
    char pem[LOG_PEM_MAX];
    log_key_to_pem(k, pem);
    int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
    int ok = fd >= 0 && write(fd, pem, strlen(pem)) == (ssize_t)strlen(pem);
    if (fd >= 0) close(fd);
    sodium_memzero(pem, sizeof pem);
    return ok ? 0 : cm_fail(err, CM_INTERNAL, "", "cannot write %s", path);
}

/* The Arabic names of the demo's orgs and places: org.admit and
 * place.define carry them as {"names": {"ar": ...}} (docs/protocol.md). */
static const struct {
    const char *id, *ar;
} ar_names[] = {
    {"coastal-relief", "تحالف الإغاثة الساحلي"},
    {"northern-aid", "اتحاد المعونة الشمالي"},
    {"med-health", "شركاء الصحة المتوسطيون"},
    {"crossing-authority", "الهيئة المشتركة لتفتيش المعابر"},
    {"swift-haulage", "سويفت للنقل"},
    {"desert-line", "خط الصحراء للنقل"},
    {"force-liaison", "خلية اتصال قوة الاستقرار"},
    {"party-liaison", "مكتب تنسيق الطرف الشمالي"},
    {"joint-monitoring", "بعثة المراقبة المشتركة للوسطاء"},
    {"nordland-mod", "وزارة دفاع نوردلاند"},
    {"austral-mod", "القوات المسلحة الأسترالية الجنوبية"},
    {"meridia-mod", "هيئة أركان الدفاع الميريدية"},
    {"isthmia-mod", "وزارة الداخلية الإستمية"},
    {"verif-alpha", "فريق التحقق الدولي ألفا"},
    {"verif-beta", "فريق التحقق الدولي بيتا"},
    {"kerem-shalom", "معبر كرم أبو سالم"},
    {"kissufim", "معبر كيسوفيم"},
    {"zikim", "معبر زيكيم"},
    {"rafah", "معبر رفح"},
    {"wh-khan-younis", "مركز خان يونس اللوجستي"},
    {"wh-deir-al-balah", "مستودع دير البلح"},
    {"wh-gaza-city", "المستودع المركزي في مدينة غزة"},
    {"dp-al-mawasi", "نقطة توزيع المواصي"},
    {"dp-rafah-west", "نقطة توزيع تل السلطان"},
    {"dp-nuseirat", "نقطة توزيع النصيرات"},
    {"dp-jabalia", "نقطة توزيع جباليا"},
    {"dp-beit-lahia", "نقطة توزيع بيت لاهيا"},
    {"cp-khan-younis", "نقطة جمع الأسلحة في خان يونس"},
    {"cp-gaza-city", "نقطة جمع الأسلحة في مدينة غزة"},
    {"depot-south", "مستودع التحقق الجنوبي"},
    {"depot-north", "مستودع التحقق الشمالي"},
};

/* Sets body's "names" to the Arabic name of id, when it has one. */
static void add_names(json_t *body, const char *id)
{
    for (size_t i = 0; i < sizeof ar_names / sizeof ar_names[0]; i++)
        if (strcmp(ar_names[i].id, id) == 0)
            json_object_set_new(body, "names", json_pack("{s:s}", "ar", ar_names[i].ar));
}

static void registry(demo *d)
{
    int64_t t = d->start - DEMO_DAY_MS; /* the day before the first consignment */
    for (size_t i = 0; i < N_ORGS; i++) {
        const demo_org *o = &orgs[i];
        char pub[64];
        sodium_bin2base64(pub, sizeof pub, d->keys[i].pub, LOG_PUBKEY_SIZE,
                          sodium_base64_VARIANT_ORIGINAL);
        json_t *body = json_pack("{s:s,s:s,s:[s],s:[{s:s}]}", "org", o->org, "name", o->name,
                                 "roles", o->roles, "keys", "public_key", pub);
        if (o->country) json_object_set_new(body, "country", json_string(o->country));
        add_names(body, o->org);
        demo_emit(d, DEMO_COORD, "org.admit", t += 600000, body);
    }
    for (size_t i = 0; i < N_PLACES; i++) {
        const demo_place *p = &places[i];
        json_t *body =
            json_pack("{s:s,s:s,s:s,s:f,s:f,s:s}", "place", p->place, "kind", p->kind, "name",
                      p->name, "lat", p->lat, "lon", p->lon, "sector", p->sector);
        add_names(body, p->place);
        demo_emit(d, DEMO_COORD, "place.define", t += 300000, body);
    }
    demo_emit(d, DEMO_COORD, "place.status", d->start + 9 * DEMO_DAY_MS,
              json_pack("{s:s,s:s,s:s}", "place", "rafah", "status", "closed", "reason",
                        "closed by the crossing authority after shelling nearby"));
    demo_emit(
        d, DEMO_COORD, "org.suspend", d->start + 11 * DEMO_DAY_MS,
        json_pack("{s:s,s:s}", "org", "desert-line", "reason",
                  "a convoy under its custody was diverted; suspended pending investigation"));
}

/* A weapon whose serial was already handed over is refused as recycled. */
static int recycled(demo *d, cm_error *err)
{
    char t[32];
    time_format_s(d->start + 13 * DEMO_DAY_MS, t, sizeof t);
    json_t *e = json_pack(
        "{s:i,s:s,s:s,s:s,s:s,s:{s:s,s:s,s:s,s:i,s:s,s:s,s:s}}", "v", 1, "type", "weapon.handover",
        "id", "demo-recycled", "org", "verif-beta", "time", t, "body", "record", "wr-recycled",
        "category", "small_arm", "description", "assault rifle handed in a second time", "quantity",
        1, "place", "cp-khan-younis", "make", "Kalashnikov", "serial", demo_recycled_serial());
    char *json = json_dumps(e, EV_JSON_OUT);
    json_decref(e);
    ev_envelope env;
    ev_envelope_sign(key_of(d, "verif-beta"), json, strlen(json), &env);
    free(json);
    cm_error why;
    int appended = srv_ingest(d->dir, &env, 1, &why) == 0;
    ev_envelope_free(&env);
    if (appended || why.code != CM_CONFLICT)
        return cm_fail(err, CM_INTERNAL, "", "a recycled serial was not refused as it should be");
    fprintf(stderr, "cmcc demo: a recycled weapon was refused, as it must be: %s\n", why.message);
    return 0;
}

static int issue_token(const char *dir, cm_error *err)
{
    store *s = srv_open_store(dir, STORE_ADMIN, err);
    char token[CLI_TOKEN_MAX], id[STORE_TOKEN_ID_LEN + 1];
    int rc = !s || cli_token_add(s, DEMO_COORD, token, id, err);
    store_close(s);
    if (rc) return -1;
    char *path = xasprintf("%s/demo-token.txt", dir);
    FILE *f = fopen(path, "w");
    free(path);
    if (!f) return cm_fail(err, CM_INTERNAL, "", "cannot write the demo token");
    fprintf(f, "%s\n", token);
    fclose(f);
    return 0;
}

int demo_build(const char *dir, cm_error *err)
{
    char *vkey = NULL;
    if (srv_init_log(dir, "demo.cmcc.example/log", DEMO_COORD, "Civil-Military Coordination Cell",
                     NULL, NULL, &vkey, err))
        return -1;
    free(vkey);
    demo d;
    memset(&d, 0, sizeof d);
    d.dir = dir;
    /* the latest start whose "now" has passed by more than the server's
     * allowed clock skew, so that no event is in the future whatever the
     * hour of the build */
    int64_t latest = time_now_ms() - SKEW_MARGIN_MS - STORY_LENGTH_MS - STORY_START_MS;
    d.start = latest / DEMO_DAY_MS * DEMO_DAY_MS + STORY_START_MS;
    d.rng = 0x9e3779b97f4a7c15ULL;
    char *keys = xasprintf("%s/keys", dir);
    int rc = -1;
    if (mkdir(keys, 0700) != 0 && errno != EEXIST) {
        cm_fail(err, CM_INTERNAL, "", "cannot make %s", keys);
        goto done;
    }
    char *cpath = xasprintf("%s/coordinator.pem", dir);
    int bad = log_key_load(cpath, &d.keys[N_ORGS], err);
    free(cpath);
    if (bad) goto done;
    for (size_t i = 0; i < N_ORGS; i++) {
        char *path = xasprintf("%s/%s.pem", keys, orgs[i].org);
        bad = log_key_generate(&d.keys[i]) || write_key(path, &d.keys[i], err);
        free(path);
        if (bad) goto done;
    }
    registry(&d);
    demo_supply(&d);
    demo_deconfliction(&d);
    demo_force(&d);
    if (append_all(&d, err) || recycled(&d, err) || issue_token(dir, err)) goto done;
    rc = 0;
done:
    for (size_t i = 0; i < d.n; i++) free(d.evs[i].json);
    free(d.evs);
    for (size_t i = 0; i <= N_ORGS; i++) log_key_free(&d.keys[i]);
    free(keys);
    return rc;
}
