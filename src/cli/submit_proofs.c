/*
 * submit_proofs.c: `cmcc submit` keeps a proof of each envelope it got a
 * receipt for, a C2SP tlog-proof (docs/protocol.md, "Receipts that are
 * proofs"), beside the file the envelope came from:
 *
 *   FILE.proof          when FILE holds one envelope
 *   FILE.<line>.proof   for the envelope on <line> of a file of several
 *
 * A receipt carries its proof when the log's newest checkpoint already
 * holds the entry (a duplicate); a new entry's proof is fetched with
 * GET /v1/proof/entry?org=O&id=ID, asked again every half second while the
 * server answers 409 (no signed checkpoint holds it yet), for at most
 * wait_s seconds in all. `cmcc proof verify FILE.proof FILE` checks one
 * offline. Envelopes read from stdin have no file to keep a proof beside.
 */
#include "cli/cli.h"

#include "common/mem.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>

/* The (org, id) of an envelope's event, into org and id. 0 or -1. */
static int event_key(const cli_envelope *e, char org[EV_ID_MAX + 1], char id[EV_ID_MAX + 1])
{
    ev_envelope env;
    cm_error err;
    if (ev_envelope_parse(e->text, e->len, &env, &err)) return -1;
    json_t *j = json_loadb((const char *)env.payload, env.payload_len, 0, NULL);
    const char *o = json_string_value(json_object_get(j, "org"));
    const char *i = json_string_value(json_object_get(j, "id"));
    int rc = o && i && ev_is_id(o) && ev_is_id(i) ? 0 : -1;
    if (!rc) {
        snprintf(org, EV_ID_MAX + 1, "%s", o);
        snprintf(id, EV_ID_MAX + 1, "%s", i);
    }
    json_decref(j);
    ev_envelope_free(&env);
    return rc;
}

/* One GET /v1/proof/entry: 1 the proof is now e->proof, 0 not yet (409),
 * -1 it cannot be had (said on stderr). */
static int fetch(cli_http *h, cli_envelope *e)
{
    char org[EV_ID_MAX + 1], id[EV_ID_MAX + 1];
    if (event_key(e, org, id)) return -1;
    char path[64 + 2 * EV_ID_MAX];
    snprintf(path, sizeof path, "/v1/proof/entry?org=%s&id=%s", org, id);
    cm_buf b = CM_BUF_INIT;
    long status = 0;
    cm_error err;
    int rc = 0;
    if (cli_http_get(h, path, &b, &status, &err) == 0 && status == 200) {
        json_t *j = json_loadb(b.data, b.len, 0, NULL);
        const char *proof = json_string_value(json_object_get(j, "proof"));
        if (proof) e->proof = xstrdup(proof), rc = 1;
        json_decref(j);
    } else if (status != 409 && status != 503 && status != 429 &&
               (status || err.code != CM_UNAVAILABLE)) {
        fprintf(stderr, "cmcc submit: %s:%u: no proof: the server answered %ld: %.*s\n", e->where,
                e->line, status, (int)b.len, b.data ? b.data : "");
        rc = -1;
    }
    buf_free(&b);
    return rc;
}

/* The proof's file name beside e's file (malloc'ed). */
static char *proof_path(const cli_envelope *v, size_t n, const cli_envelope *e)
{
    size_t same = 0;
    for (size_t i = 0; i < n; i++) same += strcmp(v[i].where, e->where) == 0;
    return same == 1 ? xasprintf("%s.proof", e->where)
                     : xasprintf("%s.%u.proof", e->where, e->line);
}

void cli_save_proofs(cli_http *h, cli_envelope *v, size_t n, long wait_s)
{
    size_t want = 0, saved = 0, missing = 0, failed = 0;
    for (size_t i = 0; i < n; i++) want += v[i].accepted && strcmp(v[i].where, "-") != 0;
    if (!want) return;
    struct timespec start, now, pause = {0, 500000000L};
    clock_gettime(CLOCK_MONOTONIC, &start);
    char *given_up = xcalloc(n, 1);
    for (;;) {
        size_t waiting = 0;
        for (size_t i = 0; i < n; i++) {
            cli_envelope *e = &v[i];
            if (!e->accepted || e->proof || given_up[i] || strcmp(e->where, "-") == 0) continue;
            int got = fetch(h, e);
            if (got < 0) given_up[i] = 1;
            waiting += got == 0;
        }
        clock_gettime(CLOCK_MONOTONIC, &now);
        if (!waiting || now.tv_sec - start.tv_sec >= wait_s) break;
        nanosleep(&pause, NULL);
    }
    for (size_t i = 0; i < n; i++) {
        cli_envelope *e = &v[i];
        if (!e->accepted || strcmp(e->where, "-") == 0) continue;
        if (!e->proof) {
            if (given_up[i])
                failed++;
            else
                missing++;
            continue;
        }
        char *path = proof_path(v, n, e);
        FILE *f = fopen(path, "w");
        int bad = !f || fputs(e->proof, f) < 0;
        if (f && fclose(f) != 0) bad = 1;
        if (bad) {
            cli_errorf("submit", "cannot write the proof %s", path);
            failed++;
        } else {
            saved++;
        }
        free(path);
    }
    free(given_up);
    fprintf(stderr, "cmcc submit: %zu proof(s) saved beside the envelopes (FILE.proof)", saved);
    if (missing)
        fprintf(stderr,
                "; %zu entr%s in no signed checkpoint after %ld s: run the same submit again "
                "later to fetch %s",
                missing, missing == 1 ? "y is" : "ies are", wait_s,
                missing == 1 ? "its proof" : "their proofs");
    if (failed) fprintf(stderr, "; %zu without a proof (said above)", failed);
    fputc('\n', stderr);
}
