#!/usr/bin/python3
"""Bad inputs as data: every case of cases/*.json is one test.

Each case builds one request from a valid event (the file's base_event, or
the case's own), breaks it as the case says, sends it to a running
`cmcc serve`, and checks the HTTP status, the error code and field, and
that the log size moved by exactly what the case expects (nothing for a
refusal). The format of a case:

  name          what is wrong
  signer        who signs (see the file's "about"); default cell
  org           the event's org, when it is not the signer's
  event         {"type", "body"} instead of the file's base_event
  body_set / body_del    fields of the body to set / remove
  event_set / event_del  top-level fields of the event to set / remove
  payload_text  the exact payload text instead of an event
  envelope_set / envelope_del  envelope fields to set / remove (after signing)
  body_text     the whole HTTP body instead of the envelope
  content_type  default application/json
  transform     named changes (see TRANSFORMS below)
  expect        {"status", "code", "field" ("" = none), "appended"}

Strings may hold placeholders: $ID (a fresh identifier, the same within a
case), $UNIQ (8 fresh hex digits), $ORG, $NOW, $TIME(+N) / $TIME(-N) (now
plus N seconds), $PUB(name) / $KEYID(name) (a signer's public key or keyid;
any other name is a fresh key), $REPEAT(c,N), and after signing $PAYLOAD,
$SIG, $SIGKEYID and $UPPER(SIGKEYID).

cases/http.json has its own format (method, path, token, body): see its
"about". A file with a "driver" other than this one (cases/supply.json,
run by test_supply.py against its own fixture) is skipped.
"""
import copy
import glob
import json
import os
import re
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import cmcctest as ct  # noqa: E402


class Fixture:
    """The state the cases refer to, built once on one log."""

    def __init__(self, log):
        self.log = log
        L = log
        relief = L.admit("relief", ["humanitarian"])[0]
        relief2 = L.admit("relief2", ["humanitarian"])[0]
        selfie = L.admit("selfie", ["humanitarian"])[0]
        revk, revoked = L.admit("revk", ["humanitarian"], nkeys=2)
        L.revoke_key("revk", revoked)
        susp = L.admit("susp", ["humanitarian"])[0]
        self.susp_token, _ = L.create_token("susp")
        L.suspend("susp")
        L.define_place("p-known")
        self.revoked_token, tid = L.create_token("cell")
        r = L.revoke_token(tid)
        assert r.returncode == 0, r.stderr
        self.signers = {"cell": L.coord, "relief": relief, "relief2": relief2, "selfie": selfie,
                        "revk": revk, "revk-revoked": revoked, "susp": susp,
                        "stranger": ct.Key()}
        self.org_of = {"cell": "cell", "relief": "relief", "relief2": "relief2",
                       "selfie": "selfie", "revk": "revk", "revk-revoked": "revk",
                       "susp": "susp", "stranger": "stranger"}


class Subst:
    """Placeholder substitution for one case."""

    PAT = re.compile(r"\$(ID|UNIQ|ORG|NOW|PAYLOAD|SIGKEYID|SIG|UPPER\(SIGKEYID\)|"
                     r"TIME\(([+-]\d+)\)|PUB\(([\w-]+)\)|KEYID\(([\w-]+)\)|"
                     r"REPEAT\((.),(\d+)\))")

    def __init__(self, fx, org):
        self.fx, self.org = fx, org
        self.id = ct.new_id("c")
        self.fresh = {}
        self.env = None

    def key(self, name):
        if name in self.fx.signers:
            return self.fx.signers[name]
        return self.fresh.setdefault(name, ct.Key())

    def one(self, m):
        w = m.group(1)
        if w == "ID":
            return self.id
        if w == "UNIQ":
            return os.urandom(4).hex()
        if w == "ORG":
            return self.org
        if w == "NOW":
            return ct.rfc3339()
        if w.startswith("TIME("):
            return ct.rfc3339(ct.time.time() + int(m.group(2)))
        if w.startswith("PUB("):
            return self.key(m.group(3)).pub_b64
        if w.startswith("KEYID("):
            return self.key(m.group(4)).keyid
        if w.startswith("REPEAT("):
            return m.group(5) * int(m.group(6))
        if self.env is None:
            raise ValueError("$%s before signing" % w)
        sig = self.env["signatures"][0] if self.env.get("signatures") else {}
        return {"PAYLOAD": self.env.get("payload", ""), "SIG": sig.get("sig", ""),
                "SIGKEYID": sig.get("keyid", ""),
                "UPPER(SIGKEYID)": sig.get("keyid", "").upper()}[w]

    def __call__(self, v):
        if isinstance(v, str):
            return self.PAT.sub(self.one, v)
        if isinstance(v, list):
            return [self(x) for x in v]
        if isinstance(v, dict):
            return {k: self(x) for k, x in v.items()}
        return v


def nested(depth_of_containers):
    """A JSON value of exactly this container depth, a scalar innermost."""
    x = 1
    for _ in range(depth_of_containers):
        x = [x]
    return x


def last_data_char_flip(text):
    """Flips an unused low bit of the last base64 character before the padding."""
    alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"
    core = text.rstrip("=")
    assert len(core) < len(text), "needs padding"
    c = alphabet[alphabet.index(core[-1]) ^ 1]
    return core[:-1] + c + text[len(core):]


def build(case, base_event, fx):
    """Returns (http body bytes, content type) for an envelope case."""
    signer = case.get("signer", "cell")
    key = fx.signers[signer]
    org = case.get("org", fx.org_of[signer])
    sub = Subst(fx, org)
    tf = dict(t.split(":", 1) if ":" in t else (t, "") for t in case.get("transform", []))

    if "payload_text" in case:
        payload = sub(case["payload_text"]).encode("utf-8")
    else:
        src = copy.deepcopy(case.get("event") or base_event)
        body = dict(src["body"])
        body.update(case.get("body_set", {}))
        for k in case.get("body_del", []):
            body.pop(k, None)
        if "depth" in tf:  # the document is root (1) > body (2) > deep
            body["deep"] = nested(int(tf["depth"]) - 2)
        ev = {"v": 1, "type": src["type"], "id": "$ID", "org": "$ORG", "time": "$NOW",
              "body": body}
        ev.update(case.get("event_set", {}))
        for k in case.get("event_del", []):
            ev.pop(k, None)
        ev = sub(ev)
        if "spaced_payload" in tf:
            payload = json.dumps(ev, indent=2).encode()
        else:
            payload = ct.compact(ev)

    # changes to the bytes before signing
    if "bytes" in tf:
        a, b = tf["bytes"].split(":")
        assert a.encode() in payload
        payload = payload.replace(a.encode(), bytes.fromhex(b), 1)
    if "prefix" in tf:
        payload = bytes.fromhex(tf["prefix"]) + payload
    if "pad_payload_to" in tf:
        n = int(tf["pad_payload_to"])
        assert len(payload) <= n
        payload = payload + b" " * (n - len(payload))
    if "noncanonical_payload" in tf or "unpad_payload" in tf:
        while len(payload) % 3 != 1:  # base64 ends in "xx==": 4 unused bits
            payload += b" "

    if "sign_raw" in tf:
        sig = key.sk.sign(payload).signature
    elif "sign_type" in tf:
        sig = key.sign(payload, tf["sign_type"])
    else:
        sig = key.sign(payload)
    if "append_after_sign" in tf:
        payload += b" "
    if "sig_len" in tf:
        n = int(tf["sig_len"])
        sig = (sig * 2)[:n]
    if "flip_sig_bit" in tf:
        sig = bytes([sig[0] ^ 1]) + sig[1:]
    env = {"payloadType": ct.PAYLOAD_TYPE, "payload": ct.b64(payload),
           "signatures": [{"keyid": key.keyid, "sig": ct.b64(sig)}]}
    if "noncanonical_payload" in tf:
        env["payload"] = last_data_char_flip(env["payload"])
    if "unpad_payload" in tf:
        env["payload"] = env["payload"].rstrip("=")
    if "newline_in_payload" in tf:
        p = env["payload"]
        env["payload"] = p[:8] + "\n" + p[8:]
    if "noncanonical_sig" in tf:
        env["signatures"][0]["sig"] = last_data_char_flip(env["signatures"][0]["sig"])
    sub.env = copy.deepcopy(env)
    for k, v in case.get("envelope_set", {}).items():
        env[k] = sub(v)
    for k in case.get("envelope_del", []):
        env.pop(k, None)
    if "envelope_depth" in tf:
        env["extra"] = nested(int(tf["envelope_depth"]) - 1)

    if "body_text" in case:
        body = sub(case["body_text"]).encode("utf-8")
    elif "spaced_envelope" in tf:
        body = json.dumps(env, indent=3).encode()
    else:
        body = ct.compact(env)
    if "pad_envelope_to" in tf:
        n = int(tf["pad_envelope_to"])
        assert len(body) < n
        body = body[:-1] + b" " * (n - len(body)) + b"}"
    return body, case.get("content_type", "application/json")


class ErrorCases(ct.LogTestCase):
    """One server for every case; the fixture is made once."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.fx = Fixture(cls.log)

    def check_answer(self, r, expect, before, appends_on_200=1):
        status = expect["status"]
        after = self.log.size()
        if status == 200:
            appended = expect.get("appended", appends_on_200)
        else:
            appended = expect.get("appended", 0)
            self.assertError(r, status, expect.get("code") or r.json["error"]["code"],
                             expect.get("field"))
        self.assertEqual(r.status, status, r)
        self.assertEqual(after - before, appended,
                         "the log grew by %d, expected %d" % (after - before, appended))
        for h, v in expect.get("headers", {}).items():
            self.assertEqual(r.headers.get(h), v, (h, r.headers))
        if "content_type" in expect:
            self.assertTrue(r.headers.get("content-type", "").startswith(expect["content_type"]),
                            r.headers)
        if "json_keys" in expect:
            # json_keys_if: keys an answer has only on some stores (a
            # PostgreSQL store's replication state)
            optional = set(expect.get("json_keys_if", []))
            self.assertEqual(sorted(k for k in r.json if k not in optional),
                             sorted(expect["json_keys"]), r)

    def run_envelope_case(self, case, base_event):
        body, ctype = build(case, base_event, self.fx)
        before = self.log.size()
        r = self.log.request("POST", "/v1/events", body, ctype)
        self.check_answer(r, case["expect"], before)
        if r.status == 200 and case["expect"].get("appended", 1):
            self.assertReceipt(r, index=before)

    def run_http_case(self, case):
        L = self.log
        tokens = {"cell": L.token, "none": None, "bogus": "cmcc_" + "A" * 43,
                  "revoked": self.fx.revoked_token, "suspended": self.fx.susp_token}
        tok = case.get("token", "cell")
        headers = {}
        if tok == "basic":
            headers["Authorization"] = "Basic Y2VsbDpwYXNzd29yZA=="
            tok = None
        elif tok == "empty":
            headers["Authorization"] = "Bearer "
            tok = None
        else:
            tok = tokens[tok]
        before = L.size()
        path = case["path"].replace("$SIZE", str(before)).replace("$LAST", str(before - 1))
        body = case.get("body")
        if body == "$VALID":
            ev = ct.event("place.define", {"place": ct.new_id("p"), "kind": "depot",
                                           "name": "Depot", "lat": 1.5, "lon": 2.5}, "cell")
            body = ct.signed(L.coord, ev)
        r = L.request(case["method"], path, body, case.get("content_type"), token=tok or False,
                      headers=headers)
        self.check_answer(r, case["expect"], before, appends_on_200=0)


def _load():
    for path in sorted(glob.glob(os.path.join(ct.CASES_DIR, "*.json"))):
        stem = os.path.splitext(os.path.basename(path))[0]
        with open(path) as f:
            doc = json.load(f)
        if doc.get("driver", "test_errors.py") != "test_errors.py":
            continue  # cases run by another test (cases/supply.json: test_supply.py)
        for i, case in enumerate(doc["cases"]):
            name = "test_%s_%03d_%s" % (stem, i, ct.slug(case["name"]))
            if stem == "http":
                def t(self, case=case):
                    self.run_http_case(case)
            else:
                def t(self, case=case, base=doc.get("base_event")):
                    self.run_envelope_case(case, base)
            t.__doc__ = "%s: %s" % (stem, case["name"])
            setattr(ErrorCases, name, t)


_load()

if __name__ == "__main__":
    ct.main()
