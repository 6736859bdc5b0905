/*
 * hook_conf.c: the webhook lines of cmcc.conf (docs/operations.md,
 * "Webhooks"):
 *
 *   hook = URL TYPES SECRET
 *   hook.backoff_max_s = 300
 *
 * URL is an http:// or https:// URL with a host (libcurl's URL parser
 * reads it, as it will when posting); TYPES is * (every entry) or event
 * types joined by commas, each one the protocol knows; SECRET, the key of
 * the HMAC-SHA256 that signs each POST, is 16 to 127 printable characters
 * without spaces. A line that is not so stops the server from starting,
 * with a sentence saying what to write. hook.backoff_max_s caps the wait
 * between two tries of a failing hook (1 to 86400 seconds).
 */
#include "server/server.h"

#include <curl/curl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* 0 when url is an http(s) URL with a host, else -1 with why. */
static int check_url(const char *url, char *why, size_t n)
{
    CURLU *u = curl_url();
    char *scheme = NULL, *host = NULL;
    int bad = !u || curl_url_set(u, CURLUPART_URL, url, 0) != CURLUE_OK ||
              curl_url_get(u, CURLUPART_SCHEME, &scheme, 0) != CURLUE_OK ||
              curl_url_get(u, CURLUPART_HOST, &host, 0) != CURLUE_OK || !host[0];
    if (bad)
        snprintf(why, n,
                 "hook URL \"%s\" is not a URL with a host: write hook = URL TYPES SECRET, "
                 "e.g. hook = https://partner.example/cmcc consignment.transfer 0123456789abcdef",
                 url);
    else if (strcasecmp(scheme, "http") != 0 && strcasecmp(scheme, "https") != 0)
        bad = 1, snprintf(why, n,
                          "hook URL \"%s\" uses %s://: a hook is posted to over HTTP, "
                          "so give an http:// or https:// URL",
                          url, scheme);
    curl_free(scheme);
    curl_free(host);
    curl_url_cleanup(u);
    return bad ? -1 : 0;
}

/* 0 when types is * or known event types joined by commas, else -1. */
static int check_types(const char *types, char *why, size_t n)
{
    if (strcmp(types, "*") == 0) return 0;
    char copy[SRV_HOOK_TYPES_MAX];
    snprintf(copy, sizeof copy, "%s", types);
    char *save = NULL;
    int any = 0;
    for (char *t = strtok_r(copy, ",", &save); t; t = strtok_r(NULL, ",", &save)) {
        if (!ev_type_find(t)) {
            snprintf(why, n,
                     "hook type \"%s\" is not an event type: list types of "
                     "docs/protocol.md section 3 joined by commas, or * for every entry",
                     t);
            return -1;
        }
        any = 1;
    }
    if (any && types[strlen(types) - 1] != ',' && types[0] != ',' && !strstr(types, ",,")) return 0;
    snprintf(why, n, "hook types \"%s\" are not event types joined by commas (or *)", types);
    return -1;
}

static int hook_line(srv_config *cfg, const char *val, char *why, size_t n)
{
    char url[SRV_HOOK_URL_MAX], types[SRV_HOOK_TYPES_MAX], secret[SRV_HOOK_SECRET_MAX], more[2];
    int k = sscanf(val, "%511s %511s %127s %1s", url, types, secret, more);
    if (k != 3) {
        snprintf(why, n,
                 "a hook is written hook = URL TYPES SECRET (three words: the URL, the "
                 "event types joined by commas or *, and the secret that signs each POST)");
        return -1;
    }
    if (cfg->n_hooks == SRV_HOOK_MAX) {
        snprintf(why, n, "there are more than %d hooks: a log posts to %d URLs at most",
                 SRV_HOOK_MAX, SRV_HOOK_MAX);
        return -1;
    }
    if (check_url(url, why, n) || check_types(types, why, n)) return -1;
    size_t len = strlen(secret);
    if (len < 16) {
        snprintf(why, n,
                 "the secret of hook %s has %zu characters: give it 16 or more (e.g. "
                 "`openssl rand -hex 32`)",
                 url, len);
        return -1;
    }
    for (size_t i = 0; i < cfg->n_hooks; i++)
        if (strcmp(cfg->hooks[i].url, url) == 0) {
            snprintf(why, n,
                     "hook %s is listed twice: give each URL one line, with every type "
                     "it wants",
                     url);
            return -1;
        }
    srv_hook_cfg *h = &cfg->hooks[cfg->n_hooks++];
    snprintf(h->url, sizeof h->url, "%s", url);
    snprintf(h->types, sizeof h->types, "%s", types);
    snprintf(h->secret, sizeof h->secret, "%s", secret);
    return 0;
}

int srv_hook_setting(srv_config *cfg, const char *key, const char *val, char *why, size_t whylen)
{
    if (strcmp(key, "hook") == 0) return hook_line(cfg, val, why, whylen);
    if (strcmp(key, "hook.backoff_max_s") != 0) return 1;
    char *end = NULL;
    long s = strtol(val, &end, 10);
    if (!*val || *end || s < 1 || s > 86400) {
        snprintf(why, whylen,
                 "hook.backoff_max_s is \"%s\": give a number of seconds from 1 to "
                 "86400",
                 val);
        return -1;
    }
    cfg->hook_backoff_max_s = (unsigned)s;
    return 0;
}
