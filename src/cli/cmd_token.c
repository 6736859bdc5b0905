/*
 * cmd_token.c: read tokens, issued by the operator.
 *
 *   cmcc token create DIR --org ORG   prints a new token (shown once)
 *   cmcc token revoke DIR ID|TOKEN    revokes it by its id, or by the token
 *                                     itself (its id is the first 12 hex
 *                                     digits of the token's SHA-256)
 *   cmcc token list DIR               ids, orgs, device keys, creation and
 *                                     revocation
 *
 * A token is "cmcc_" and 43 characters of URL-safe base64 (32 random
 * bytes); the store keeps only its SHA-256. A device's own token
 * (POST /v1/device/token) is listed with the key it is bound to ("keyid",
 * null for the operator's) and revoked like any other. These commands may
 * run while the server is serving the log.
 */
#include "cli/cli.h"

#include "common/codec.h"
#include "common/timeutil.h"
#include "engine/engine.h"

#include <getopt.h>
#include <sodium.h>
#include <stdlib.h>
#include <string.h>

static const char help[] =
    "usage: cmcc token create DIR --org ORG\n"
    "       cmcc token revoke DIR (ID | TOKEN)\n"
    "       cmcc token list DIR\n\n"
    "Read tokens let an organization read the log's entries and figures "
    "over HTTP\n(\"Authorization: Bearer <token>\"). create prints the "
    "token once, and its id\non stderr; only its hash is kept. list "
    "shows the device key (keyid) a device's\nown token is bound to; "
    "revoke takes a token's id (as list shows it) or the token itself, a device\n"
    "token's too.\n";

static int create(store *s, const char *org)
{
    cm_error err;
    ev_view v;
    store_view(s, &v);
    ev_org_state os;
    int r = v.org(v.ctx, org, &os);
    if (r != 1) {
        cli_errorf("token", "no organization \"%s\" is admitted in this log", org);
        return 1;
    }
    char token[CLI_TOKEN_MAX], id[STORE_TOKEN_ID_LEN + 1];
    if (cli_token_add(s, org, token, id, &err)) {
        cli_error("token", &err);
        return 1;
    }
    printf("%s\n", token);
    fprintf(stderr, "cmcc token: created token %s for \"%s\" (revoke: cmcc token revoke DIR %s)\n",
            id, org, id);
    return 0;
}

/* RFC 3339 UTC with milliseconds, or null (-1). */
static json_t *when(int64_t ms)
{
    char t[40];
    if (ms < 0) return json_null();
    time_format_ms(ms, t, sizeof t);
    return json_string(t);
}

/* One token as `list` prints it: {"id","org","keyid","created","revoked"}. */
static int list_one(void *ctx, const char *id, const char *org, const char *keyid,
                    int64_t created_ms, int64_t revoked_ms)
{
    json_array_append_new(ctx, json_pack("{s:s,s:s,s:o,s:o,s:o}", "id", id, "org", org, "keyid",
                                         keyid ? json_string(keyid) : json_null(), "created",
                                         when(created_ms), "revoked", when(revoked_ms)));
    return 0;
}

int cmd_token(int argc, char **argv)
{
    const char *org = NULL;
    const cli_option opts[] = {CLI_ARG("org", &org), CLI_OPTIONS_END};
    int status = cli_options(argc, argv, opts, help);
    if (status >= 0) return status;
    int rest = argc - optind;
    if (rest < 2) return fputs(help, stderr), 2;
    const char *verb = argv[optind], *dir = argv[optind + 1];
    int want = strcmp(verb, "revoke") == 0 ? 3 : 2;
    if (rest != want || (strcmp(verb, "create") == 0 && !org)) return fputs(help, stderr), 2;
    if (strcmp(verb, "create") && strcmp(verb, "revoke") && strcmp(verb, "list"))
        return fputs(help, stderr), 2;
    cm_error err;
    /* list only reads: it works on a read-only copy of a log too */
    store *s = srv_open_store(dir, strcmp(verb, "list") == 0 ? STORE_READER : STORE_ADMIN, &err);
    if (!s) return cli_error("token", &err), 1;
    int rc = 0;
    if (strcmp(verb, "create") == 0) {
        rc = create(s, org);
    } else if (strcmp(verb, "revoke") == 0) {
        const char *id = argv[optind + 2];
        char from_token[STORE_TOKEN_ID_LEN + 1];
        if (strncmp(id, "cmcc_", 5) == 0) { /* the token itself: its id from its hash */
            uint8_t hash[32];
            char hex[65];
            crypto_hash_sha256(hash, (const unsigned char *)id, strlen(id));
            hex_encode(hash, 32, hex);
            memcpy(from_token, hex, STORE_TOKEN_ID_LEN);
            from_token[STORE_TOKEN_ID_LEN] = '\0';
            id = from_token;
        }
        int r = store_token_revoke(s, id, time_now_ms(), &err);
        if (r < 0)
            cli_error("token", &err), rc = 1;
        else if (r == 0)
            cli_errorf("token", "no active token has id %s", id), rc = 1;
        else
            fprintf(stderr,
                    "cmcc token: revoked %s (a running server refuses it within a second)\n", id);
    } else {
        json_t *list = json_array();
        if (store_tokens_each(s, list_one, list, &err) < 0) {
            cli_error("token", &err);
            rc = 1;
        } else {
            char *text = json_dumps(list, JSON_COMPACT | JSON_PRESERVE_ORDER);
            printf("%s\n", text);
            free(text);
        }
        json_decref(list);
    }
    store_close(s);
    return rc;
}
