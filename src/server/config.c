/*
 * config.c: DIR/cmcc.conf, the operator's settings of a log.
 *
 *   # a comment: a whole line starting with #; blank lines are ignored too
 *   alerts.pending_hours = 24      a transfer pending longer is an alert
 *   alerts.idle_hours = 72         a holding with no movement for longer
 *   alerts.loss_percent = 5        an org whose lost + unaccounted exceeds
 *   alerts.loss_window_days = 30   this share of what it received in this window
 *   rate.events_per_second = 0     events a second one client address may
 *   rate.burst = 0                 send (0: no limit), and at once (0: the
 *                                  larger of the rate and 1000)
 *   witness = URL VKEY             a witness that cosigns the checkpoints (C2SP
 *                                  tlog-witness), with its cosignature/v1 key;
 *                                  one line per witness
 *   tls.cert = FILE                HTTPS with this PEM certificate (chain) and
 *   tls.key = FILE                 key, both or neither; a relative path is
 *                                  relative to DIR; --tls-cert/--tls-key win
 *   map.tiles = URL-template       the dashboard map's basemap and its credit
 *   map.attribution = TEXT         (none by default; checked by mapconf.c)
 *   store = postgresql://...       the log's store is this PostgreSQL database
 *                                  (engine/location.c), not DIR/cmcc.db
 *   policy = FILE                  the log's C2SP tlog-policy (which witnesses
 *                                  a checkpoint needs), served at GET /policy;
 *                                  relative to DIR; checked when serving starts
 *   hook = URL TYPES SECRET        a webhook: each entry of one of TYPES (a
 *                                  comma-separated list, or *) is POSTed to URL,
 *                                  signed with SECRET (hook_conf.c, hooks.c)
 *   hook.backoff_max_s = 300       the longest wait between two tries of a hook
 *
 * An unknown key or a bad value stops the server from starting, with the
 * line named: a typo must not silently leave a default in force.
 */
#include "server/server.h"

#include "common/mem.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static char *trim(char *s)
{
    while (*s == ' ' || *s == '\t') s++;
    char *e = s + strlen(s);
    while (e > s && (e[-1] == ' ' || e[-1] == '\t' || e[-1] == '\r' || e[-1] == '\n')) *--e = 0;
    return s;
}

/* FILE, or DIR/FILE when FILE is relative, into out (SRV_PATH_MAX). */
static int path_in(const char *dir, const char *v, char *out)
{
    int n = v[0] == '/' ? snprintf(out, SRV_PATH_MAX, "%s", v)
                        : snprintf(out, SRV_PATH_MAX, "%s/%s", dir, v);
    return !*v || n < 0 || n >= SRV_PATH_MAX ? -1 : 0;
}

static int number(const char *v, double min, double max, double *out)
{
    char *end = NULL;
    errno = 0;
    double d = strtod(v, &end);
    if (!*v || *end || errno || d < min || d > max) return -1;
    *out = d;
    return 0;
}

int srv_config_load(srv_config *cfg, const char *dir, cm_error *err)
{
    char *path = xasprintf("%s/cmcc.conf", dir);
    FILE *f = fopen(path, "r");
    if (!f) {
        free(path);
        return 0;
    }
    char line[512];
    int no = 0, rc = 0;
    while (!rc && fgets(line, sizeof line, f)) {
        no++;
        char *s = trim(line);
        if (!*s || *s == '#') continue;
        char *eq = strchr(s, '=');
        if (!eq) {
            rc = cm_fail(err, CM_BAD_REQUEST, "", "%s:%d: expected key = value", path, no);
            break;
        }
        *eq = '\0';
        char *key = trim(s), *val = trim(eq + 1);
        double d = 0;
        int bad = 0, m;
        char why[320];
        if ((m = srv_map_setting(cfg, key, val, why, sizeof why)) <= 0 ||
            (m = srv_hook_setting(cfg, key, val, why, sizeof why)) <= 0) {
            if (m < 0) rc = cm_fail(err, CM_BAD_REQUEST, "", "%s:%d: %s", path, no, why);
        } else if (strcmp(key, "alerts.pending_hours") == 0)
            bad = number(val, 1, 24 * 365, &d), cfg->alert_pending_hours = (int)d;
        else if (strcmp(key, "alerts.idle_hours") == 0)
            bad = number(val, 1, 24 * 365, &d), cfg->alert_idle_hours = (int)d;
        else if (strcmp(key, "alerts.loss_percent") == 0)
            bad = number(val, 0, 100, &d), cfg->alert_loss_percent = d;
        else if (strcmp(key, "alerts.loss_window_days") == 0)
            bad = number(val, 1, 3650, &d), cfg->alert_window_days = (int)d;
        else if (strcmp(key, "rate.events_per_second") == 0)
            bad = number(val, 0, 1e9, &cfg->rate);
        else if (strcmp(key, "rate.burst") == 0)
            bad = number(val, 0, 1e9, &cfg->burst);
        else if (strcmp(key, "tls.cert") == 0)
            bad = path_in(dir, val, cfg->tls_cert);
        else if (strcmp(key, "tls.key") == 0)
            bad = path_in(dir, val, cfg->tls_key);
        else if (strcmp(key, "store") == 0) /* the store's location (engine/location.c) */
            bad = !store_is_url(val);
        else if (strcmp(key, "policy") == 0)
            bad = path_in(dir, val, cfg->policy);
        else if (strcmp(key, "witness") == 0) {
            char *sp = strchr(val, ' ');
            if (!sp || cfg->n_witnesses == SRV_WITNESS_MAX ||
                (size_t)(sp - val) >= SRV_WITNESS_URL_MAX || strlen(trim(sp + 1)) == 0 ||
                strlen(trim(sp + 1)) >= sizeof cfg->witnesses[0].vkey) {
                bad = 1;
            } else {
                snprintf(cfg->witnesses[cfg->n_witnesses].url, SRV_WITNESS_URL_MAX, "%.*s",
                         (int)(sp - val), val);
                snprintf(cfg->witnesses[cfg->n_witnesses].vkey, sizeof cfg->witnesses[0].vkey, "%s",
                         trim(sp + 1));
                cfg->n_witnesses++;
            }
        } else
            rc = cm_fail(err, CM_BAD_REQUEST, "", "%s:%d: unknown setting \"%s\"", path, no, key);
        if (bad)
            rc = cm_fail(err, CM_BAD_REQUEST, "", "%s:%d: \"%s\" is not a valid value for %s", path,
                         no, val, key);
    }
    if (!rc && cfg->map_attribution[0] && !cfg->map_tiles[0])
        rc = cm_fail(err, CM_BAD_REQUEST, "",
                     "%s: map.attribution is set without map.tiles: it credits the tiles of "
                     "map.tiles, so set both or neither",
                     path);
    if (!rc && !cfg->tls_cert[0] != !cfg->tls_key[0])
        rc = cm_fail(err, CM_BAD_REQUEST, "",
                     "%s: %s is set without %s: set both for HTTPS, or neither for HTTP", path,
                     cfg->tls_cert[0] ? "tls.cert" : "tls.key",
                     cfg->tls_cert[0] ? "tls.key" : "tls.cert");
    fclose(f);
    free(path);
    return rc;
}
