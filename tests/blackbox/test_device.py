#!/usr/bin/python3
"""Device enrolment (docs/protocol.md "Device enrolment"): POST
/v1/device/token gives an enrolled device its own token.

A device makes an Ed25519 key; before its org's administrator adds it with
key.add (here with `cmcc new key.add` and `cmcc submit`, as the page
documents), a token request is unknown_key. Once enrolled, the signed
request answers a token that reads and submits for the org, and stops
working when the key is revoked (key_revoked) or the org suspended
(forbidden). Every bad request is checked for its status, code and field,
and for what it must not do: issue a token (`cmcc token list` is
unchanged) or append anything. Also: `cmcc token revoke` on a device token,
the bound on a key's tokens, the rate limit, and a log directory of the
previous store schema opening, upgraded, with its tokens kept; and the
demo's log with its ledger taken back to schema 5 (accounts as names)
opening upgraded with every supply answer the same, byte for byte.
"""
import hashlib
import json
import os
import re
import shutil
import sqlite3
import sys
import tempfile
import time
import unittest
import urllib.request

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import cmcctest as ct  # noqa: E402

DEVICE_TYPE = "application/vnd.cmcc.device-token+json"
PATH = "/v1/device/token"
TOKENS_PER_KEY = 4  # STORE_DEVICE_TOKENS


_last_ms = [0]


def now_ms_rfc3339():
    """Now, RFC 3339 UTC with milliseconds, later than any time it gave
    before: a key's requests are answered once each, in time order."""
    ms = max(int(time.time() * 1000), _last_ms[0] + 1)
    _last_ms[0] = ms
    return time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(ms // 1000)) + ".%03dZ" % (ms % 1000)


def request_payload(org, keyid, t=None, extra=None, drop=()):
    p = {"v": 1, "org": org, "keyid": keyid, "time": t or now_ms_rfc3339()}
    for k in drop:
        del p[k]
    p.update(extra or {})
    return ct.compact(p)


def token_request(key, org, **kw):
    """The compact envelope of a token request signed by key."""
    payload = kw.pop("payload", None) or request_payload(org, kw.pop("keyid", key.keyid), **kw)
    return ct.compact(ct.envelope(payload, key, sig=key.sign(payload, DEVICE_TYPE),
                                  payload_type=DEVICE_TYPE))


def ask(log, body, content_type="application/json"):
    return log.request("POST", PATH, body, content_type, token=None)


def tokens(log):
    r = ct.run("token", "list", log.dir)
    assert r.returncode == 0, r.stderr
    return json.loads(r.stdout)


def wait_for(fn, timeout=5.0):
    """Calls fn until it returns something true (the server may remember a
    token's standing for a second); returns the last value."""
    deadline = time.monotonic() + timeout
    while True:
        v = fn()
        if v or time.monotonic() > deadline:
            return v
        time.sleep(0.1)


class Enrolment(ct.LogTestCase):

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        L = cls.log
        cls.admin = L.admit("relief", ["humanitarian"])[0]
        cls.relief_token, _ = L.create_token("relief")
        cls.other = L.admit("other", ["humanitarian"])[0]

    def enrol_with_cli(self, org, admin, device):
        """key.add as the page documents it: cmcc new, then cmcc submit."""
        pem = ct.write_pem(admin, os.path.join(self.log.dir, "admin-%s.pem" % admin.keyid))
        out = os.path.join(self.log.dir, "enrol-%s.ndjson" % device.keyid)
        r = ct.run("new", "key.add", "--org", org, "--key", pem, "--body-org", org,
                   "--public-key", device.pub_b64, "--out", out)
        self.assertEqual(r.returncode, 0, r.stderr)
        r = ct.run("submit", "--server", self.log.url, "--token", self.relief_token, out)
        self.assertEqual(r.returncode, 0, r.stderr + r.stdout)
        self.log.keys.setdefault(org, []).append(device)

    def get_token(self, key, org="relief"):
        r = ask(self.log, token_request(key, org))
        self.assertEqual(r.status, 200, r)
        return r.json

    def test_enrol_then_read_and_submit_until_revoked(self):
        L = self.log
        device = ct.Key()
        before = tokens(L)
        r = ask(L, token_request(device, "relief"))
        self.assertError(r, 401, "unknown_key", "signatures[0].keyid")
        self.assertIn("not enrolled", r.error["message"])
        self.assertIn("key.add", r.error["message"])
        self.assertEqual(tokens(L), before)

        self.enrol_with_cli("relief", self.admin, device)
        got = self.get_token(device)
        self.assertEqual(sorted(got), ["id", "keyid", "org", "token"], got)
        self.assertRegex(got["token"], r"^cmcc_[A-Za-z0-9_-]{43}$")
        self.assertEqual(got["id"], hashlib.sha256(got["token"].encode()).hexdigest()[:12])
        self.assertEqual((got["org"], got["keyid"]), ("relief", device.keyid))
        listed = {t["id"]: t for t in tokens(L)}
        self.assertEqual(listed[got["id"]]["keyid"], device.keyid)
        self.assertEqual(listed[got["id"]]["org"], "relief")
        self.assertIsNone(listed[L.token_id]["keyid"])  # the operator's is bound to no key
        self.assertNotIn(got["token"], json.dumps(list(listed.values())))

        # the org's reads, and its submits signed by the device's key
        tok = got["token"]
        self.assertEqual(L.get("/v1/consignments", token=tok).status, 200)
        size = L.size()
        dist = ct.event("key.add", {"org": "relief", "public_key": ct.Key().pub_b64}, "relief")
        r = L.request("POST", "/v1/events", ct.signed(device, dist), "application/json", tok)
        self.assertReceipt(r, index=size)

        # revoked with the key
        L.revoke_key("relief", device, signer=self.admin)
        size = L.size()
        r = wait_for(lambda: (lambda r: r if r.status == 403 else None)(
            L.get("/v1/consignments", token=tok)))
        self.assertError(r, 403, "key_revoked", "")
        self.assertIn("revoked", r.error["message"])
        self.assertIn("waiting events cannot be sent", r.error["message"])
        dist = ct.event("key.add", {"org": "relief", "public_key": ct.Key().pub_b64}, "relief")
        r = L.request("POST", "/v1/events", ct.signed(device, dist), "application/json", tok)
        self.assertError(r, 403, "key_revoked", "")
        self.assertEqual(L.size(), size)
        before = tokens(L)
        r = ask(L, token_request(device, "relief"))
        self.assertError(r, 403, "key_revoked", "signatures[0].keyid")
        self.assertEqual(tokens(L), before)
        # the operator's token of the same org is not affected
        self.assertEqual(L.get("/v1/consignments", token=self.relief_token).status, 200)

    def test_cli_revokes_a_device_token(self):
        L = self.log
        device = L.add_key("relief", signer=self.admin)
        got = self.get_token(device)
        self.assertEqual(L.get("/v1/orgs", token=got["token"]).status, 200)
        r = ct.run("token", "revoke", L.dir, got["id"])
        self.assertEqual(r.returncode, 0, r.stderr)
        r = wait_for(lambda: (lambda r: r if r.status == 401 else None)(
            L.get("/v1/orgs", token=got["token"])))
        self.assertError(r, 401, "unauthorized", "")
        listed = [t for t in tokens(L) if t["id"] == got["id"]]
        self.assertIsNotNone(listed[0]["revoked"])
        # the key itself is still enrolled: it may ask again
        self.assertEqual(L.get("/v1/orgs", token=self.get_token(device)["token"]).status, 200)

    def test_a_key_keeps_its_newest_tokens(self):
        L = self.log
        device = L.add_key("relief", signer=self.admin)
        issued = [self.get_token(device) for _ in range(TOKENS_PER_KEY + 2)]
        mine = [t["id"] for t in tokens(L) if t["keyid"] == device.keyid]
        self.assertEqual(mine, [t["id"] for t in issued[-TOKENS_PER_KEY:]])
        r = wait_for(lambda: (lambda r: r if r.status == 401 else None)(
            L.get("/v1/orgs", token=issued[0]["token"])))
        self.assertError(r, 401, "unauthorized", "")
        self.assertEqual(L.get("/v1/orgs", token=issued[-1]["token"]).status, 200)

    def test_a_request_is_answered_once(self):
        """A request seen on the wire cannot be sent again for a token of
        its own, nor can an older one: bad_request on time, nothing issued."""
        L = self.log
        device = L.add_key("relief", signer=self.admin)
        first = token_request(device, "relief")
        r = ask(L, first)
        self.assertEqual(r.status, 200, r)
        older = token_request(device, "relief", t=ct.rfc3339(time.time() - 60))
        before = tokens(L)
        for body in (first, older):
            r = ask(L, body)
            self.assertError(r, 400, "bad_request", "time")
            self.assertIn("used once", r.error["message"])
            self.assertEqual(tokens(L), before)
        # a new request, signed now, is answered
        self.assertEqual(ask(L, token_request(device, "relief")).status, 200)

    def test_suspended_org(self):
        L = self.log
        device = L.admit("paused", ["humanitarian"])[0]
        tok = self.get_token(device, "paused")["token"]
        L.suspend("paused")
        before = tokens(L)
        r = ask(L, token_request(device, "paused"))
        self.assertError(r, 403, "org_suspended", "org")
        self.assertEqual(tokens(L), before)
        r = wait_for(lambda: (lambda r: r if r.status == 403 else None)(
            L.get("/v1/orgs", token=tok)))
        self.assertError(r, 403, "forbidden", "")

    def test_bad_requests(self):
        L = self.log
        device = L.add_key("relief", signer=self.admin)
        stranger = ct.Key()
        now = time.time()
        event_env = ct.signed(device, ct.event("key.add", {"org": "relief",
                                                            "public_key": ct.Key().pub_b64},
                                               "relief"))
        good = request_payload("relief", device.keyid)
        cases = [
            ("an event envelope", event_env, 400, "bad_request", "payloadType"),
            ("signed by another key", ct.compact(ct.envelope(
                good, stranger, keyid=device.keyid, sig=stranger.sign(good, DEVICE_TYPE),
                payload_type=DEVICE_TYPE)),
             401, "bad_signature", "signatures[0].sig"),
            ("keyid of another key", token_request(device, "relief", keyid=self.admin.keyid),
             400, "bad_request", "keyid"),
            ("a key of another org", token_request(device, "other"), 403, "forbidden", "org"),
            ("10 minutes ahead", token_request(device, "relief", t=ct.rfc3339(now + 600)),
             400, "bad_request", "time"),
            ("10 minutes behind", token_request(device, "relief", t=ct.rfc3339(now - 600)),
             400, "bad_request", "time"),
            ("an unknown field", token_request(device, "relief", extra={"device": "phone"}),
             400, "bad_request", "device"),
            ("no time", token_request(device, "relief", drop=("time",)),
             400, "bad_request", "time"),
            ("no org", token_request(device, "relief", drop=("org",)),
             400, "bad_request", "org"),
            ("v 2", token_request(device, "relief", extra={"v": 2}), 400, "bad_request", "v"),
            ("time not RFC 3339", token_request(device, "relief", t="yesterday"),
             400, "bad_request", "time"),
            ("payload not JSON", token_request(device, "relief", payload=b"not json"),
             400, "bad_request", "payload"),
            ("body not JSON", b"token please", 400, "bad_request", ""),
            ("no body", b"", 400, "bad_request", ""),
            ("an extra envelope field", ct.compact(dict(json.loads(
                token_request(device, "relief")), extra=1)), 400, "bad_request", "extra"),
        ]
        for name, body, status, code, field in cases:
            with self.subTest(name):
                before, size = tokens(L), L.size()
                self.assertError(ask(L, body), status, code, field)
                self.assertEqual(tokens(L), before)
                self.assertEqual(L.size(), size)
        r = ask(L, token_request(device, "relief"), "application/x-ndjson")
        self.assertError(r, 400, "bad_request", "")
        r = L.request("GET", PATH, token=None)
        self.assertEqual(r.status, 405, r)
        # nor is a token request ever an event
        size = L.size()
        r = L.post(token_request(device, "relief"))
        self.assertError(r, 400, "bad_request", "payloadType")
        self.assertEqual(L.size(), size)
        # within the clock's allowance, either way, it is answered
        for dt in (-240, 240):
            r = ask(L, token_request(device, "relief", t=ct.rfc3339(now + dt)))
            self.assertEqual(r.status, 200, (dt, r))


class RateLimited(unittest.TestCase):

    def test_token_requests_count_against_the_rate(self):
        L = ct.Log()
        self.addCleanup(L.close)
        device = ct.Key()
        L.start("--rate", "1", "--burst", "2")
        L.ok(L.coord, "org.admit", {"org": "field", "name": "Field", "roles": ["humanitarian"],
                                     "keys": [{"public_key": device.pub_b64}]})
        time.sleep(2.5)  # the admit took a token of the bucket: let it refill
        answers = [ask(L, token_request(device, "field")) for _ in range(3)]
        self.assertEqual([r.status for r in answers[:2]], [200, 200], answers)
        r = answers[2]
        self.assertEqual(r.status, 429, r)
        self.assertEqual(r.error["code"], "rate_limited")
        self.assertIn("retry-after", r.headers)
        self.assertEqual(len([t for t in tokens(L) if t["keyid"] == device.keyid]), 2)
        err = L.server.stderr
        status, out = L.stop()
        ct.check_clean_exit(status, out, err())


def name5(kind, holder):
    """An account name of schema 5 from the columns of 6, in SQL."""
    return "%s || CASE WHEN %s = '' THEN '' ELSE ':' || %s END" % (kind, holder, holder)


# The ledger back to schema 5: an account was one name, "held:h1"; two views
# (dropped by the upgrade, whatever they say) summed the balances.
BACK_TO_5 = (
    "DROP INDEX movements_time;"
    "ALTER TABLE accounts RENAME TO accounts_6; ALTER TABLE movements RENAME TO movements_6;"
    "CREATE TABLE accounts(consignment TEXT NOT NULL, line INTEGER NOT NULL,"
    " account TEXT NOT NULL, qty INTEGER NOT NULL CHECK(qty >= 0), last_time INTEGER NOT NULL,"
    " updated INTEGER NOT NULL, PRIMARY KEY(consignment, line, account)) WITHOUT ROWID;"
    "CREATE TABLE movements(idx INTEGER NOT NULL, seq INTEGER NOT NULL,"
    " consignment TEXT NOT NULL, line INTEGER NOT NULL, from_account TEXT NOT NULL,"
    " to_account TEXT NOT NULL, qty INTEGER NOT NULL, time INTEGER NOT NULL,"
    " PRIMARY KEY(idx, seq)) WITHOUT ROWID;"
    "CREATE INDEX movements_time ON movements(time);"
    "INSERT INTO accounts SELECT consignment, line, " + name5("kind", "holder") +
    ", qty, last_time, updated FROM accounts_6;"
    "INSERT INTO movements SELECT idx, seq, consignment, line, " +
    name5("from_kind", "from_holder") + ", " + name5("to_kind", "to_holder") +
    ", qty, time FROM movements_6;"
    "DROP TABLE accounts_6; DROP TABLE movements_6;"
    "CREATE VIEW line_balances AS SELECT * FROM lines;"
    "CREATE VIEW consignment_summary AS SELECT * FROM consignments;"
    "UPDATE meta SET value = '5' WHERE key = 'schema';")


class Upgrade(unittest.TestCase):

    def test_a_store_of_schema_5_keeps_its_supply_figures(self):
        """The demo's ledger, taken back to schema 5, opens upgraded: every
        supply answer is the same, byte for byte, and `cmcc verify` finds
        the upgraded tables to be what a replay makes."""
        d = tempfile.mkdtemp(prefix="cmcc-bb-")
        self.addCleanup(shutil.rmtree, d, True)
        d = os.path.join(d, "demo")
        r = ct.run("demo", d, "--build-only", timeout=120)
        self.assertEqual(r.returncode, 0, r.stderr)
        with open(os.path.join(d, "demo-token.txt")) as f:
            token = f.read().strip()
        paths = ["/v1/consignments", "/v1/reconciliation", "/v1/consignments.csv",
                 "/v1/reconciliation.csv", "/v1/alerts?at=2030-01-01T00:00:00Z",
                 "/v1/consignments?org=coastal-relief", "/v1/consignments?status=completed"]

        def answers():
            server = ct.Server(d)
            try:
                def get(path):
                    req = urllib.request.Request(server.url + path,
                                                 headers={"Authorization": "Bearer " + token})
                    with urllib.request.urlopen(req, timeout=30) as resp:
                        return resp.read()
                out = {p: get(p) for p in paths}
                for c in json.loads(out["/v1/consignments"])["consignments"]:
                    p = "/v1/consignments/" + c["consignment"]
                    out[p] = get(p)
                stats = json.loads(get("/v1/stats"))
                out["stats"] = json.dumps(stats["supply"]).encode()
                return out
            finally:
                status, _ = server.stop()
                self.assertEqual(status, 0)

        before = answers()
        self.assertGreater(len(json.loads(before["/v1/consignments"])["consignments"]), 10)
        # some balances are held, and the alerts are about some of them
        self.assertTrue(any(b'"held:' in v for p, v in before.items()
                            if p.startswith("/v1/consignments/")))
        self.assertIn(b'"kind":"idle_holding"', before["/v1/alerts?at=2030-01-01T00:00:00Z"])
        db = sqlite3.connect(os.path.join(d, "cmcc.db"))
        db.executescript(BACK_TO_5)
        self.assertGreater(db.execute("SELECT count(*) FROM accounts WHERE account LIKE 'held:%'")
                           .fetchone()[0], 0)
        db.close()
        after = answers()
        db = sqlite3.connect(os.path.join(d, "cmcc.db"))
        self.assertEqual(db.execute("SELECT value FROM meta WHERE key = 'schema'").fetchone(),
                         ("6",))
        self.assertGreater(db.execute("SELECT count(*) FROM accounts WHERE kind = 'held'")
                           .fetchone()[0], 0)
        db.close()
        self.assertEqual(sorted(after), sorted(before))
        for p in before:
            self.assertEqual(after[p], before[p], p)
        r = ct.run("verify", d, timeout=120)
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)

    @ct.sqlite_only("an old schema is made with sqlite3")
    def test_a_store_of_schema_2_opens_upgraded(self):
        L = ct.Log()
        self.addCleanup(L.close)
        device = ct.Key()
        db = sqlite3.connect(L.db)
        # back to version 2: no device tokens (3), no names by language (4),
        # no request times (5), accounts as names (6)
        db.executescript(BACK_TO_5 + "DROP INDEX tokens_keyid; ALTER TABLE tokens DROP COLUMN keyid;"
                         "ALTER TABLE tokens DROP COLUMN asked;"
                         "ALTER TABLE orgs DROP COLUMN names; ALTER TABLE places DROP COLUMN names;"
                         "UPDATE meta SET value = '2' WHERE key = 'schema';")
        db.close()
        L.start()
        db = sqlite3.connect(L.db)
        self.assertEqual(db.execute("SELECT value FROM meta WHERE key = 'schema'").fetchone(),
                         ("6",))
        db.close()
        # the operator's token of before still works, and a device gets one
        self.assertEqual(L.get("/v1/orgs").status, 200)
        L.add_key("cell", device)
        r = ask(L, token_request(device, "cell"))
        self.assertEqual(r.status, 200, r)
        self.assertEqual(L.get("/v1/orgs", token=r.json["token"]).status, 200)
        err = L.server.stderr
        status, out = L.stop()
        ct.check_clean_exit(status, out, err())
        self.assertEqual(ct.run("verify", L.dir).returncode, 0)


if __name__ == "__main__":
    ct.main()
