/*
 * cosign.c: gathering witness cosignatures for the log's checkpoints
 * (C2SP tlog-witness, as a client), in the checkpointer thread.
 *
 * The witnesses are listed in DIR/cmcc.conf, one a line:
 *   witness = <URL of the witness> <its cosignature/v1 verifier key>
 * For each newly signed checkpoint and each witness, POST <URL>/add-checkpoint
 * with "old <size it last cosigned>", the consistency proof from there, and
 * the checkpoint. On 200 the answer's cosignature line is checked against
 * the witness's key and appended to the note; on 409 the witness says which
 * size it is at, and the request is made once more from there. A witness
 * that is down or refuses costs the checkpoint its cosignature, never the
 * checkpoint: it is tried again with the next one.
 */
#include "engine/engine.h"

#include "common/mem.h"

#include <curl/curl.h>
#include <stdlib.h>
#include <string.h>

struct srv_witness_peer {
    char url[SRV_WITNESS_URL_MAX + 20];
    note_verifier v;
    uint64_t known; /* the size we believe it last cosigned */
    int failing;    /* its last answer was not a cosignature (reported once) */
    CURL *curl;
};

int srv_cosign_init(engine *e, cm_error *err)
{
    e->n_peers = e->n_witnesses;
    e->peers = xcalloc(e->n_peers ? e->n_peers : 1, sizeof *e->peers);
    for (size_t i = 0; i < e->n_peers; i++) {
        srv_witness_peer *p = &e->peers[i];
        const char *url = e->witnesses[i].url;
        size_t n = strlen(url);
        while (n && url[n - 1] == '/') n--;
        snprintf(p->url, sizeof p->url, "%.*s/add-checkpoint", (int)n, url);
        if (note_verifier_parse(e->witnesses[i].vkey, &p->v, err) ||
            p->v.type != NOTE_KEY_COSIGNATURE)
            return cm_fail(err, CM_BAD_REQUEST, "",
                           "cmcc.conf: witness %s: not a cosignature/v1 verifier key", url);
        p->curl = curl_easy_init();
        if (!p->curl) return cm_fail(err, CM_INTERNAL, "", "libcurl cannot start");
    }
    return 0;
}

void srv_cosign_free(engine *e)
{
    for (size_t i = 0; i < e->n_peers; i++) curl_easy_cleanup(e->peers[i].curl);
    free(e->peers);
    e->peers = NULL;
    e->n_peers = 0;
}

/* Finds the peer's line in a witness's answer and checks it: the note of
 * the body and that line alone must open with the peer's verifier. */
static int accept_line(const srv_witness_peer *p, const char *answer, const char *body,
                       size_t body_len, cm_buf *note)
{
    cm_buf one = CM_BUF_INIT; /* the body and its blank line, then one line at a time */
    buf_append(&one, body, body_len);
    buf_putc(&one, '\n');
    size_t head = one.len;
    int rc = -1;
    for (const char *l = answer; l && *l && rc;) {
        const char *nl = strchr(l, '\n');
        size_t len = nl ? (size_t)(nl - l) : strlen(l);
        one.len = head;
        buf_append(&one, l, len);
        buf_putc(&one, '\n');
        note_opened o;
        cm_error err;
        if (note_open(one.data, one.len, &p->v, 1, &o, &err) == 0 && (o.verified & 1)) {
            buf_append(note, l, len);
            buf_putc(note, '\n');
            rc = 0;
        }
        l = nl ? nl + 1 : NULL;
    }
    buf_free(&one);
    return rc;
}

/* One add-checkpoint request. Returns the HTTP status (0 when unreachable). */
static long post(engine *e, srv_witness_peer *p, const char *note, uint64_t size, cm_buf *answer)
{
    cm_buf req = CM_BUF_INIT;
    buf_printf(&req, "old %llu\n", (unsigned long long)p->known);
    if (p->known > 0 && p->known < size) {
        log_hash path[LOG_MAX_PROOF];
        size_t n = 0;
        store *rd = engine_reader(e);
        if (!rd || log_prove_consistency(p->known, size, store_read_hash, rd, path, &n)) {
            buf_free(&req);
            return 0;
        }
        for (size_t i = 0; i < n; i++) {
            buf_b64(&req, path[i].b, LOG_HASH_SIZE);
            buf_putc(&req, '\n');
        }
    }
    buf_putc(&req, '\n');
    buf_puts(&req, note);
    CURL *c = p->curl;
    buf_reset(answer);
    curl_easy_setopt(c, CURLOPT_URL, p->url);
    curl_easy_setopt(c, CURLOPT_POST, 1L);
    curl_easy_setopt(c, CURLOPT_POSTFIELDS, req.data);
    curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)req.len);
    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, buf_sink);
    curl_easy_setopt(c, CURLOPT_WRITEDATA, answer);
    curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT, 2L);
    curl_easy_setopt(c, CURLOPT_TIMEOUT, 12L); /* a mirror may fetch entries first */
    curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
    long status = 0;
    if (curl_easy_perform(c) == CURLE_OK) curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &status);
    buf_free(&req);
    return status;
}

char *srv_cosign(engine *e, const char *note, uint64_t size)
{
    cm_buf out = CM_BUF_INIT, answer = CM_BUF_INIT;
    buf_puts(&out, note);
    const char *blank = strstr(note, "\n\n");
    size_t body_len = blank ? (size_t)(blank - note) + 1 : strlen(note);
    for (size_t i = 0; i < e->n_peers; i++) {
        srv_witness_peer *p = &e->peers[i];
        long status = post(e, p, note, size, &answer);
        if (status == 409) { /* it is elsewhere: start from its size */
            p->known = strtoull(answer.data ? answer.data : "0", NULL, 10);
            status = p->known <= size ? post(e, p, note, size, &answer) : status;
        }
        if (status == 200 && accept_line(p, answer.data, note, body_len, &out) == 0) {
            p->known = size;
            if (p->failing) fprintf(stderr, "cmcc: witness %s cosigns again\n", p->v.name);
            p->failing = 0;
        } else if (!p->failing) {
            fprintf(stderr,
                    "cmcc: witness %s did not cosign the checkpoint of %llu (HTTP %ld%s%.*s)\n",
                    p->v.name, (unsigned long long)size, status, answer.len ? ": " : "",
                    (int)(answer.len > 200 ? 200 : answer.len), answer.data ? answer.data : "");
            p->failing = 1;
        }
    }
    buf_free(&answer);
    return buf_take(&out);
}
