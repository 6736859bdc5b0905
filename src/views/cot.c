/*
 * cot.c: the deconfliction picture as Cursor on Target (CoT 2.0) events,
 * for GET /v1/cot, the TAK data package (tak_package.c) and `cmcc cot`.
 * Made from the GeoJSON of the sites, zones and movements (geojson.c), so
 * that every position is the export's. Protective use only: the log holds
 * notified sites, declared zones and requested movements, nothing else.
 *
 * One event a thing, its uid "<origin>/<kind>/<id>" (stable: the log's
 * origin and the thing's id), how "h-g-i-g-o" (entered by a person):
 *
 *   site       type a-n-G (a neutral ground point), point lat/lon, start its
 *              "from", stale its "until"; kind, name, radius and who
 *              notified it in <remarks>
 *   zone       type u-d-f (a drawn shape), point its vertices' mean, one
 *              <link point="lat,lon"/> a vertex, the ring closed (the first
 *              vertex again) and in the GeoJSON's order; start/stale its
 *              from/until
 *   movement   type b-m-r (a route), point its first position, one
 *              <link type="b-m-p-w" point="lat,lon" relation="c"/> a
 *              route point, and <link_attr> (Route.xsd: driving, prefix
 *              CP); start/stale its window; its status and every
 *              military party's answer in <remarks>
 *   deletion   a withdrawn site, a lifted zone, a cancelled movement:
 *              type t-x-d-d, uid "<the thing's uid>/deleted", point 0,0,
 *              <link uid="<the thing's uid>" type="none" relation="none"/>
 *              and <__forcedelete/>, which TAK clients take to remove it
 *
 *   <event version="2.0" uid=".." type=".." how="h-g-i-g-o" time=".."
 *          start=".." stale=".."><point lat=".." lon=".." hae="9999999.0"
 *          ce="9999999.0" le="9999999.0"/><detail><contact callsign=".."/>
 *          ...<remarks>..</remarks></detail></event>
 *
 * time is the time of the event that made the thing as it is (the
 * notification, declaration or request; the withdrawal, lifting or
 * cancelling report for a deletion); a thing with no end is stale ten years
 * after its start (CoT wants one; nothing in the log ends it). Every event
 * is one line: a newline in a name is written &#10;.
 */
#include "views/things.h"

#include "common/timeutil.h"
#include "event/event.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define TEN_YEARS_MS (3652LL * 24 * 3600 * 1000)

/* Appends s with XML's five special characters and control bytes escaped. */
static void xml_text(cm_buf *b, const char *s)
{
    for (; s && *s; s++) {
        unsigned char c = (unsigned char)*s;
        if (c == '&')
            buf_puts(b, "&amp;");
        else if (c == '<')
            buf_puts(b, "&lt;");
        else if (c == '>')
            buf_puts(b, "&gt;");
        else if (c == '"')
            buf_puts(b, "&quot;");
        else if (c == '\'')
            buf_puts(b, "&apos;");
        else if (c == '\n' || c == '\r' || c == '\t')
            buf_printf(b, "&#%d;", c);
        else if (c >= 0x20)
            buf_putc(b, (char)c);
    }
}

/* A JSON number as the API writes it (at most 15 significant digits). */
static void num(cm_buf *b, const json_t *v)
{
    if (json_is_integer(v))
        buf_printf(b, "%lld", (long long)json_integer_value(v));
    else
        buf_printf(b, "%.15g", json_number_value(v));
}

/* "lat,lon" of a GeoJSON position [lon, lat]. */
static void latlon(cm_buf *b, const json_t *pos)
{
    num(b, json_array_get(pos, 1));
    buf_putc(b, ',');
    num(b, json_array_get(pos, 0));
}

static const char *str(const json_t *o, const char *key)
{
    const char *s = json_string_value(json_object_get(o, key));
    return s ? s : "";
}

/* An RFC 3339 time of props[key] in ms; dflt when absent. */
static int64_t ms_of(const json_t *props, const char *key, int64_t dflt)
{
    const char *t = json_string_value(json_object_get(props, key));
    int64_t ms;
    return t && time_parse(t, strlen(t), &ms) == 0 ? ms : dflt;
}

typedef struct {
    const char *origin;
    json_t *out; /* [{"uid","kind","id","deleted","file","xml"}] */
} cot_ctx;

/* Opens an event: <event ...><point .../><detail>. lat/lon NULL for 0,0. */
static void event_open(cm_buf *b, const char *uid, const char *type, int64_t time, int64_t start,
                       int64_t stale, const json_t *lat, const json_t *lon)
{
    char t[32], s0[32], s1[32];
    time_format_s(time, t, sizeof t);
    time_format_s(start, s0, sizeof s0);
    time_format_s(stale, s1, sizeof s1);
    buf_puts(b, "<event version=\"2.0\" uid=\"");
    xml_text(b, uid);
    buf_printf(b, "\" type=\"%s\" how=\"h-g-i-g-o\" time=\"%s\" start=\"%s\" stale=\"%s\">", type,
               t, s0, s1);
    buf_puts(b, "<point lat=\"");
    if (lat)
        num(b, lat);
    else
        buf_putc(b, '0');
    buf_puts(b, "\" lon=\"");
    if (lon)
        num(b, lon);
    else
        buf_putc(b, '0');
    buf_puts(b, "\" hae=\"9999999.0\" ce=\"9999999.0\" le=\"9999999.0\"/><detail>");
}

static void callsign(cm_buf *b, const char *name)
{
    buf_puts(b, "<contact callsign=\"");
    xml_text(b, name);
    buf_puts(b, "\"/>");
}

/* ", from FROM[ until UNTIL]": a site's or zone's dates, for its remarks. */
static void dates(cm_buf *text, const json_t *p)
{
    buf_printf(text, ", from %s", str(p, "from"));
    if (json_is_string(json_object_get(p, "until"))) buf_printf(text, " until %s", str(p, "until"));
}

/* Ends the event in b with its remarks (text) and adds it (b taken) to the
 * list. */
static void add(cot_ctx *c, const char *kind, const char *id, int deleted, const char *uid,
                const char *text, cm_buf *b)
{
    buf_puts(b, "<remarks>");
    xml_text(b, text);
    buf_puts(b, "</remarks></detail></event>");
    char file[160];
    snprintf(file, sizeof file, "cot/%s-%s%s.cot", kind, id, deleted ? ".deleted" : "");
    for (char *p = file; *p; p++)
        if (*p == ':') *p = '~'; /* ids may hold ':', which some file systems refuse */
    json_t *e = json_pack("{s:s,s:s,s:s,s:b,s:s}", "uid", uid, "kind", kind, "id", id, "deleted",
                          deleted, "file", file);
    json_object_set_new(e, "xml", json_string(b->data));
    buf_free(b);
    json_array_append_new(c->out, e);
}

static void deletion(cot_ctx *c, const char *kind, const char *id, const char *target, int64_t time,
                     const char *why)
{
    cm_buf b = CM_BUF_INIT, uid = CM_BUF_INIT;
    buf_printf(&uid, "%s/deleted", target);
    event_open(&b, uid.data, "t-x-d-d", time, time, time + TEN_YEARS_MS, NULL, NULL);
    buf_puts(&b, "<link uid=\"");
    xml_text(&b, target);
    buf_puts(&b, "\" type=\"none\" relation=\"none\"/><__forcedelete/>");
    add(c, kind, id, 1, uid.data, why, &b);
    buf_free(&uid);
}

/* The time of the event of entry idx, in ms; dflt when it cannot be read. */
static int64_t entry_time(store *s, int64_t idx, int64_t dflt)
{
    char *entry = NULL;
    size_t len = 0;
    cm_error err;
    ev_envelope env;
    int64_t received, t = dflt;
    if (idx < 0 || store_entry(s, (uint64_t)idx, &entry, &len, &err) != 1) return dflt;
    if (ev_entry_parse(entry, len, &env, &received, &err) == 0) {
        json_t *ev = json_loadb((const char *)env.payload, env.payload_len, 0, NULL);
        t = ms_of(ev, "time", dflt);
        json_decref(ev);
        ev_envelope_free(&env);
    }
    free(entry);
    return t;
}

/* When the thing of kind was last changed (its withdrawal or lifting). */
static int64_t changed_at(store *s, ev_thing_kind kind, const char *id, int64_t dflt)
{
    json_t *one = views_things(s, kind, id);
    const json_t *t = json_array_get(one, 0);
    int64_t at = t ? entry_time(s, json_integer_value(json_object_get(t, "updated")), dflt) : dflt;
    json_decref(one);
    return at;
}

static void site_event(cot_ctx *c, store *s, const json_t *f)
{
    const json_t *p = json_object_get(f, "properties"), *g = json_object_get(f, "geometry");
    const char *id = str(p, "site");
    cm_buf uid = CM_BUF_INIT, text = CM_BUF_INIT, b = CM_BUF_INIT;
    buf_printf(&uid, "%s/site/%s", c->origin, id);
    int64_t t = ms_of(p, "notified", 0);
    if (strcmp(str(p, "status"), "withdrawn") == 0) {
        buf_printf(&text, "site %s (%s, %s) withdrawn by %s", id, str(p, "name"), str(p, "kind"),
                   str(p, "org"));
        deletion(c, "site", id, uid.data, changed_at(s, THING_SITE, id, t), text.data);
    } else {
        int64_t from = ms_of(p, "from", t);
        const json_t *pos = json_object_get(g, "coordinates");
        event_open(&b, uid.data, "a-n-G", t, from, ms_of(p, "until", from + TEN_YEARS_MS),
                   json_array_get(pos, 1), json_array_get(pos, 0));
        callsign(&b, str(p, "name"));
        buf_printf(&text,
                   "%s: %s, a humanitarian site notified by %s; protection: notified to "
                   "the military parties",
                   str(p, "name"), str(p, "kind"), str(p, "org"));
        if (json_is_number(json_object_get(p, "radius_m"))) {
            buf_puts(&text, ", radius ");
            num(&text, json_object_get(p, "radius_m"));
            buf_puts(&text, " m");
        }
        dates(&text, p);
        buf_printf(&text, " (site %s)", id);
        add(c, "site", id, 0, uid.data, text.data, &b);
    }
    buf_free(&uid);
    buf_free(&text);
}

static void zone_event(cot_ctx *c, store *s, const json_t *f)
{
    const json_t *p = json_object_get(f, "properties"), *g = json_object_get(f, "geometry");
    const char *id = str(p, "zone");
    cm_buf uid = CM_BUF_INIT, text = CM_BUF_INIT, b = CM_BUF_INIT;
    buf_printf(&uid, "%s/zone/%s", c->origin, id);
    int64_t t = ms_of(p, "declared", 0);
    if (strcmp(str(p, "status"), "lifted") == 0) {
        buf_printf(&text, "%s zone %s lifted by %s", str(p, "kind"), id, str(p, "org"));
        deletion(c, "zone", id, uid.data, changed_at(s, THING_ZONE, id, t), text.data);
    } else {
        const json_t *ring = json_array_get(json_object_get(g, "coordinates"), 0);
        size_t n = json_array_size(ring);
        double lat = 0, lon = 0; /* the mean of the vertices, the closing one left out */
        for (size_t i = 0; i + 1 < n; i++) {
            lat += json_number_value(json_array_get(json_array_get(ring, i), 1));
            lon += json_number_value(json_array_get(json_array_get(ring, i), 0));
        }
        json_t *clat = json_real(n > 1 ? lat / (double)(n - 1) : 0);
        json_t *clon = json_real(n > 1 ? lon / (double)(n - 1) : 0);
        int64_t from = ms_of(p, "from", t);
        event_open(&b, uid.data, "u-d-f", t, from, ms_of(p, "until", from + TEN_YEARS_MS), clat,
                   clon);
        json_decref(clat);
        json_decref(clon);
        callsign(&b, id);
        for (size_t i = 0; i < n; i++) {
            buf_puts(&b, "<link point=\"");
            latlon(&b, json_array_get(ring, i));
            buf_puts(&b, "\"/>");
        }
        /* red for closed, orange for restricted, yellow for hazard (ARGB) */
        const char *kind = str(p, "kind");
        const char *color = strcmp(kind, "closed") == 0       ? "-65536"
                            : strcmp(kind, "restricted") == 0 ? "-23296"
                                                              : "-256";
        buf_printf(&b, "<strokeColor value=\"%s\"/><strokeWeight value=\"3.0\"/>", color);
        buf_puts(&b, "<labels_on value=\"true\"/>");
        buf_printf(&text, "%s zone %s declared by %s", kind, id, str(p, "org"));
        dates(&text, p);
        add(c, "zone", id, 0, uid.data, text.data, &b);
    }
    buf_free(&uid);
    buf_free(&text);
}

/* The movement's state in words: status, outcome, each answer, who is to. */
static void movement_state(cm_buf *text, const json_t *p)
{
    buf_printf(text, "movement %s requested by %s: %s; ", str(p, "movement"), str(p, "org"),
               str(p, "purpose"));
    num(text, json_object_get(p, "vehicles"));
    buf_printf(text, " vehicle(s), window %s to %s; status %s", str(p, "window_start"),
               str(p, "window_end"), str(p, "status"));
    const json_t *answers = json_object_get(p, "answers");
    buf_puts(text, "; answers:");
    if (json_array_size(answers) == 0) buf_puts(text, " none");
    for (size_t i = 0; i < json_array_size(answers); i++) {
        const json_t *a = json_array_get(answers, i);
        buf_printf(text, "%s %s %s (%s)", i ? ";" : "", str(a, "org"), str(a, "decision"),
                   str(a, "time"));
        if (json_is_string(json_object_get(a, "reason")))
            buf_printf(text, ", reason: %s", str(a, "reason"));
        if (json_is_string(json_object_get(a, "conditions")))
            buf_printf(text, ", conditions: %s", str(a, "conditions"));
    }
    const json_t *waiting = json_object_get(p, "waiting_for");
    for (size_t i = 0; i < json_array_size(waiting); i++)
        buf_printf(text, "%s%s", i ? ", " : "; waiting for ",
                   json_string_value(json_array_get(waiting, i)));
    const json_t *report = json_object_get(p, "report");
    if (json_is_object(report)) {
        buf_printf(text, "; reported %s (%s)", str(report, "outcome"), str(report, "time"));
        if (json_is_string(json_object_get(report, "reason")))
            buf_printf(text, ": %s", str(report, "reason"));
    }
}

static void movement_event(cot_ctx *c, const json_t *f)
{
    const json_t *p = json_object_get(f, "properties"), *g = json_object_get(f, "geometry");
    const char *id = str(p, "movement");
    cm_buf uid = CM_BUF_INIT, text = CM_BUF_INIT, b = CM_BUF_INIT;
    buf_printf(&uid, "%s/movement/%s", c->origin, id);
    int64_t t = ms_of(p, "requested", 0);
    const json_t *report = json_object_get(p, "report");
    if (strcmp(str(p, "outcome"), "cancelled") == 0) {
        buf_printf(&text, "movement %s (%s) cancelled by %s", id, str(p, "purpose"), str(p, "org"));
        deletion(c, "movement", id, uid.data, ms_of(report, "time", t), text.data);
    } else {
        const json_t *line = json_object_get(g, "coordinates");
        const json_t *first = json_array_get(line, 0);
        event_open(&b, uid.data, "b-m-r", t, ms_of(p, "window_start", t), ms_of(p, "window_end", t),
                   json_array_get(first, 1), json_array_get(first, 0));
        callsign(&b, id);
        for (size_t i = 0; i < json_array_size(line); i++) {
            buf_puts(&b, "<link uid=\"");
            xml_text(&b, uid.data);
            buf_printf(&b, "/%zu\" callsign=\"", i + 1);
            xml_text(&b, id);
            buf_printf(&b, " %zu\" type=\"b-m-p-w\" point=\"", i + 1);
            latlon(&b, json_array_get(line, i));
            buf_puts(&b, "\" relation=\"c\"/>");
        }
        buf_puts(&b, "<link_attr planningmethod=\"Infil\" color=\"-1\" method=\"Driving\" "
                     "prefix=\"CP\" type=\"Vehicle\" stroke=\"3\" direction=\"Infil\" "
                     "routetype=\"Primary\" order=\"Ascending Check Points\"/>");
        movement_state(&text, p);
        add(c, "movement", id, 0, uid.data, text.data, &b);
    }
    buf_free(&uid);
    buf_free(&text);
}

json_t *views_cot(store *s, const char *origin)
{
    json_t *sites = views_geojson(views_sites(s), "site");
    json_t *zones = views_geojson(views_zones(s), "zone");
    json_t *moves = views_geojson(views_movements(s, NULL), "movement");
    cot_ctx c = {origin, sites && zones && moves ? json_array() : NULL};
    for (size_t i = 0; c.out && i < json_array_size(json_object_get(sites, "features")); i++)
        site_event(&c, s, json_array_get(json_object_get(sites, "features"), i));
    for (size_t i = 0; c.out && i < json_array_size(json_object_get(zones, "features")); i++)
        zone_event(&c, s, json_array_get(json_object_get(zones, "features"), i));
    for (size_t i = 0; c.out && i < json_array_size(json_object_get(moves, "features")); i++)
        movement_event(&c, json_array_get(json_object_get(moves, "features"), i));
    json_decref(sites);
    json_decref(zones);
    json_decref(moves);
    return c.out;
}

void views_cot_document(const json_t *events, cm_buf *out)
{
    buf_puts(out, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<events>\n");
    for (size_t i = 0; i < json_array_size(events); i++) {
        buf_puts(out, json_string_value(json_object_get(json_array_get(events, i), "xml")));
        buf_putc(out, '\n');
    }
    buf_puts(out, "</events>\n");
}
