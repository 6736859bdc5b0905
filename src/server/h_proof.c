/*
 * h_proof.c: receipts that are proofs, and the log's policy.
 *
 *   GET /v1/proof/entry?org=O&id=ID   (token) the event's C2SP tlog-proof:
 *       200 {"index":N,"leaf_hash":"<b64>","proof":"c2sp.org/tlog-proof@v1\n..."}
 *       404 not_found   no event (O, ID) in the log
 *       409 conflict    the event is in the log but in no published
 *                       checkpoint yet; Retry-After: 1
 *   GET /policy                       (public) the log's C2SP tlog-policy
 *                                     file as the operator wrote it
 *                                     (policy = FILE in cmcc.conf), text/plain;
 *                                     404 not_found when it names none
 *
 * A proof is made against the newest published checkpoint (the one
 * /checkpoint serves, with the cosignatures gathered for it): its index,
 * the inclusion path to that checkpoint's root, and as its extra data the
 * entry's "received" time, which with the envelope rebuilds the entry and
 * so its leaf (log/proof.c). POST /v1/events adds the same text as the
 * receipt's "proof" whenever the entry is already in that checkpoint (a
 * duplicate, mostly: a new entry is signed within the next second).
 */
#include "server/handlers.h"

#include "common/file.h"
#include "log/policy.h"

#include <stdlib.h>
#include <string.h>

#define RECEIVED_HEAD "{\"v\":1,\"received\":\""

int srv_entry_proof(srv *s, const cm_buf *note, uint64_t size, uint64_t index, cm_buf *out)
{
    if (!note->len || index >= size) return 0;
    store *rd = srv_reader(s);
    log_hash path[LOG_MAX_PROOF];
    size_t n = 0, len = 0;
    char *entry = NULL;
    cm_error err;
    if (!rd || log_prove_inclusion(index, size, store_read_hash, rd, path, &n) ||
        store_entry(rd, index, &entry, &len, &err) != 1)
        return free(entry), -1;
    /* the entry starts {"v":1,"received":"<time>", (docs/protocol.md section 4) */
    size_t head = strlen(RECEIVED_HEAD);
    const char *q = len > head && memcmp(entry, RECEIVED_HEAD, head) == 0
                        ? memchr(entry + head, '"', len - head)
                        : NULL;
    if (!q) return free(entry), -1;
    proof_format(index, path, n, entry + head, (size_t)(q - entry) - head, note->data, note->len,
                 out);
    free(entry);
    return 1;
}

int h_proof_entry(srv_req *q, const char *path, srv_resp *r)
{
    (void)path;
    const char *org, *id;
    if (srv_query_id(q, "org", &org, r) || srv_query_id(q, "id", &id, r)) return 0;
    if (!org || !id) {
        srv_errorf(r, CM_BAD_REQUEST, org ? "id" : "org",
                   "give both org and id: the event's org and its id");
        return 0;
    }
    r->cache = "no-cache";
    cm_buf note = CM_BUF_INIT, proof = CM_BUF_INIT;
    uint64_t size = 0, index = 0;
    engine_checkpoint_sized(&q->s->eng, &note, &size);
    store *rd = srv_reader(q->s);
    int found = rd ? store_event_index(rd, org, id, &index) : -1;
    int got = found == 1 ? srv_entry_proof(q->s, &note, size, index, &proof) : 0;
    log_hash leaf;
    if (found < 0 || got < 0 || (got && store_read_hash(rd, 0, index, &leaf))) {
        buf_free(&note);
        buf_free(&proof);
        return srv_unavailable(r);
    }
    if (found == 0) {
        srv_errorf(r, CM_NOT_FOUND, "", "the log holds no event \"%s\" of %s", id, org);
    } else if (!got) {
        srv_errorf(r, CM_CONFLICT, "",
                   "event \"%s\" of %s is entry %llu, which no signed checkpoint holds yet (the "
                   "newest is of %llu entries); the log signs one within a few seconds: ask "
                   "again then",
                   id, org, (unsigned long long)index, (unsigned long long)size);
        r->retry_after = 1;
    } else {
        buf_printf(&r->body, "{\"index\":%llu,\"leaf_hash\":\"", (unsigned long long)index);
        buf_b64(&r->body, leaf.b, LOG_HASH_SIZE);
        buf_puts(&r->body, "\",\"proof\":");
        buf_json_strn(&r->body, proof.data, proof.len);
        buf_puts(&r->body, "}\n");
    }
    buf_free(&note);
    buf_free(&proof);
    return 0;
}

int h_policy(srv_req *q, const char *path, srv_resp *r)
{
    (void)path;
    srv *s = q->s;
    if (!s->policy) {
        srv_errorf(r, CM_NOT_FOUND, "",
                   "this log publishes no witness policy (policy = FILE in its cmcc.conf)");
        return 0;
    }
    buf_append(&r->body, s->policy, s->policy_len);
    r->type = "text/plain; charset=utf-8";
    r->cache = "no-cache";
    return 0;
}

/* Called once the log's key is loaded: a policy that lists logs must list
 * this one. */
int srv_policy_load(srv *s, cm_error *err)
{
    if (!s->cfg.policy[0]) return 0;
    char *text = NULL;
    size_t len = 0;
    if (cm_read_file(s->cfg.policy, &text, &len, err)) {
        cm_error_prefix(err, "cmcc.conf: policy %s", s->cfg.policy);
        return -1;
    }
    policy *p = policy_parse(text, len, s->cfg.policy, err);
    if (!p) {
        free(text);
        return -1;
    }
    int ours = p->n_logs == 0;
    for (size_t i = 0; i < p->n_logs; i++)
        ours |= memcmp(p->logs[i].v.pub, s->eng.log_key.pub, LOG_PUBKEY_SIZE) == 0;
    policy_free(p);
    if (!ours) {
        free(text);
        return cm_fail(err, CM_BAD_REQUEST, "",
                       "%s: the policy lists logs, but not this one: add the line \"log %s\"",
                       s->cfg.policy, s->eng.vkey ? s->eng.vkey : "<log.vkey>");
    }
    s->policy = text;
    s->policy_len = len;
    return 0;
}
