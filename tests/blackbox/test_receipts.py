#!/usr/bin/python3
"""Receipts and idempotency (docs/protocol.md 2 "Idempotency", 4, 5).

A valid event is answered {"index","leaf_hash","duplicate":false}; the
leaf hash is SHA-256(0x00 || entry) of the exact entry bytes, which the
test rebuilds from what it sent and compares with /v1/entries/N and with
the entry bundle. The same envelope again is the same receipt with
"duplicate": true and appends nothing; the same (org, id) with other bytes
is a conflict.
"""
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import cmcctest as ct  # noqa: E402


def place_body(place=None, **extra):
    b = {"place": place or ct.new_id("p"), "kind": "warehouse", "name": "Warehouse",
         "lat": 31.5, "lon": 34.45}
    b.update(extra)
    return b


class Receipts(ct.LogTestCase):

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.relief = cls.log.admit("relief", ["humanitarian"])[0]

    def post_new(self):
        """Posts a fresh place.define; returns (response, envelope dict, size before)."""
        before = self.log.size()
        ev = ct.event("place.define", place_body(), "cell")
        env = ct.envelope(ct.compact(ev), self.log.coord)
        r = self.log.post(env)
        return r, env, before

    def test_receipt_shape_and_index(self):
        r, env, before = self.post_new()
        j = self.assertReceipt(r, index=before)
        self.assertEqual(self.log.size(), before + 1)
        self.assertTrue(r.headers["content-type"].startswith("application/json"), r.headers)
        # the next one takes the next index
        r2, _, before2 = self.post_new()
        self.assertReceipt(r2, index=j["index"] + 1)
        self.assertEqual(before2, before + 1)

    def test_leaf_hash_is_hash_of_exact_entry(self):
        r, env, before = self.post_new()
        j = self.assertReceipt(r, index=before)
        e = self.log.get("/v1/entries/%d" % j["index"])
        self.assertEqual(e.status, 200, e)
        got = e.json
        self.assertEqual(got["index"], j["index"])
        self.assertRegex(got["received"], ct.RECEIVED_RE)
        self.assertEqual(got["entry"]["received"], got["received"])
        self.assertEqual(got["leaf_hash"], j["leaf_hash"])
        # the entry rebuilt from what was sent and the time the server gave it
        want = ct.entry_bytes(got["received"], env)
        self.assertEqual(ct.b64(ct.leaf_hash(want)), j["leaf_hash"])
        # the entry object served is exactly that entry
        self.assertEqual(ct.compact(got["entry"]), want)
        # and the event is the payload, decoded
        self.assertEqual(ct.compact(got["event"]), ct.unb64(env["payload"]))
        # the entry bundle holds the same bytes: the authoritative form
        size = self.log.size()
        bundle = self.log.entries(size)
        self.assertEqual(bundle[j["index"]], want)
        # and the hash tile holds its leaf hash
        t = self.log.get("/tile/0/000.p/%d" % size, token=None)
        self.assertEqual(t.status, 200, t)
        self.assertEqual(t.body[32 * j["index"]:32 * j["index"] + 32], ct.unb64(j["leaf_hash"]))

    def test_payload_kept_byte_for_byte(self):
        """The server never re-encodes: odd spacing and key order survive."""
        L = self.log
        place = ct.new_id("p")
        payload = ('{ "body" : {"lon":34.0 , "lat":31.000, "name":"Sp\\u0061ced",'
                   '"kind":"depot","place":"%s"},\n "time":"%s", "org":"cell",'
                   '"id":"%s","type":"place.define","v":1 }' % (place, ct.rfc3339(), ct.new_id()))
        env = ct.envelope(payload.encode(), L.coord)
        r = L.post(env)
        j = self.assertReceipt(r)
        e = L.get("/v1/entries/%d" % j["index"]).json
        self.assertEqual(e["entry"]["envelope"]["payload"], env["payload"])
        want = ct.entry_bytes(e["received"], env)
        self.assertEqual(L.entries()[j["index"]], want)
        self.assertEqual(ct.b64(ct.leaf_hash(want)), j["leaf_hash"])
        self.assertIn(place, L.places())

    def test_received_times_do_not_go_backwards(self):
        L = self.log
        idx = [self.assertReceipt(self.post_new()[0])["index"] for _ in range(5)]
        times = [L.get("/v1/entries/%d" % i).json["received"] for i in idx]
        self.assertEqual(times, sorted(times))

    def test_duplicate_same_envelope(self):
        L = self.log
        r, env, before = self.post_new()
        first = self.assertReceipt(r, index=before)
        for _ in range(2):
            again = L.post(env)
            j = self.assertReceipt(again, index=first["index"], duplicate=True)
            self.assertEqual(j["leaf_hash"], first["leaf_hash"])
            self.assertEqual(L.size(), before + 1)

    def test_duplicate_after_later_entries(self):
        L = self.log
        r, env, _ = self.post_new()
        first = self.assertReceipt(r)
        for _ in range(3):
            self.assertReceipt(self.post_new()[0])
        size = L.size()
        j = self.assertReceipt(L.post(env), index=first["index"], duplicate=True)
        self.assertEqual(j["leaf_hash"], first["leaf_hash"])
        self.assertEqual(L.size(), size)

    def test_duplicate_of_a_non_coordinator_event(self):
        L = self.log
        k = ct.Key()
        ev = ct.event("key.add", {"org": "relief", "public_key": k.pub_b64}, "relief")
        env = ct.signed(self.relief, ev)
        first = self.assertReceipt(L.post(env))
        size = L.size()
        self.assertReceipt(L.post(env), index=first["index"], duplicate=True)
        self.assertEqual(L.size(), size)

    def test_conflict_same_id_other_bytes(self):
        L = self.log
        id_ = ct.new_id()
        ev = ct.event("place.define", place_body(), "cell", id_=id_)
        first = self.assertReceipt(L.post(ct.signed(L.coord, ev)))
        size = L.size()
        variants = [
            dict(ev, body=place_body()),                          # another place
            dict(ev, time=ct.rfc3339(ct.time.time() - 60)),       # another time
            dict(ev, body=dict(ev["body"], name="Renamed")),      # one field changed
        ]
        for other in variants:
            r = L.post(ct.signed(L.coord, other))
            self.assertError(r, 409, "conflict", "id")
            self.assertEqual(L.size(), size)
        # the same event with other spacing: other payload bytes, so a conflict too
        spaced = ct.json.dumps(ev, indent=1).encode()
        r = L.post(ct.signed(L.coord, spaced))
        self.assertError(r, 409, "conflict", "id")
        self.assertEqual(L.size(), size)
        # and the original is still a duplicate
        self.assertReceipt(L.post(ct.signed(L.coord, ev)), index=first["index"], duplicate=True)

    def test_conflict_even_when_the_rules_would_refuse(self):
        """Idempotency comes first: a reused id is a conflict, not a rule violation."""
        L = self.log
        place = ct.new_id("p")
        id_ = ct.new_id()
        ev = ct.event("place.define", place_body(place), "cell", id_=id_)
        self.assertReceipt(L.post(ct.signed(L.coord, ev)))
        size = L.size()
        again = ct.event("place.define", place_body(place, name="Other"), "cell", id_=id_)
        self.assertError(L.post(ct.signed(L.coord, again)), 409, "conflict", "id")
        # a new id for the same place is the rule violation
        again["id"] = ct.new_id()
        self.assertError(L.post(ct.signed(L.coord, again)), 409, "rule_violation", "body.place")
        self.assertEqual(L.size(), size)

    def test_id_is_unique_per_org_only(self):
        L = self.log
        id_ = ct.new_id()
        a = ct.event("key.add", {"org": "relief", "public_key": ct.Key().pub_b64}, "relief",
                     id_=id_)
        b = ct.event("place.define", place_body(), "cell", id_=id_)
        ra = self.assertReceipt(L.post(ct.signed(self.relief, a)))
        rb = self.assertReceipt(L.post(ct.signed(L.coord, b)))
        self.assertEqual(rb["index"], ra["index"] + 1)

    def test_refused_event_can_be_sent_again_once_valid(self):
        """A refused event used no id: the same id works once it is right."""
        L = self.log
        id_ = ct.new_id()
        bad = ct.event("place.define", place_body(lat=100), "cell", id_=id_)
        self.assertError(L.post(ct.signed(L.coord, bad)), 400, "bad_request", "body.lat")
        good = ct.event("place.define", place_body(), "cell", id_=id_)
        self.assertReceipt(L.post(ct.signed(L.coord, good)), duplicate=False)

    def test_duplicate_with_other_envelope_spacing(self):
        """Same payload, same signature, envelope JSON spaced differently: the
        entry would be the same, so it is the same event (duplicate)."""
        L = self.log
        r, env, _ = self.post_new()
        first = self.assertReceipt(r)
        size = L.size()
        spaced = ct.json.dumps(env, indent=2).encode()
        self.assertReceipt(L.post(spaced), index=first["index"], duplicate=True)
        self.assertEqual(L.size(), size)

    def test_duplicate_after_the_org_was_suspended(self):
        """Idempotency comes before authority: a resent event of an org
        suspended since is answered with its receipt, not org_suspended."""
        L = self.log
        k = L.admit(ct.new_id("org"), ["humanitarian"])[0]
        org = L.org_of(k)
        r, env = L.submit(k, "key.add", {"org": org, "public_key": ct.Key().pub_b64})
        first = self.assertReceipt(r)
        L.suspend(org)
        size = L.size()
        self.assertReceipt(L.post(env), index=first["index"], duplicate=True)
        # while a new event of it is refused
        r, _ = L.submit(k, "key.add", {"org": org, "public_key": ct.Key().pub_b64})
        self.assertError(r, 403, "org_suspended")
        self.assertEqual(L.size(), size)


def place_env(L):
    return ct.signed(L.coord, ct.event("place.define", place_body(), "cell"))


class Transport(ct.LogTestCase):
    """Receipts over the ways HTTP can carry a request."""

    def post_raw(self, body, chunked=False, conn=None):
        c = conn or ct.http.client.HTTPConnection("127.0.0.1", self.log.server.port, timeout=30)
        h = {"Authorization": "Bearer " + self.log.token, "Content-Type": "application/json"}
        try:
            if chunked:
                chunks = (body[i:i + 4096] for i in range(0, len(body), 4096))
                try:
                    c.request("POST", "/v1/events", body=chunks, headers=h, encode_chunked=True)
                except (BrokenPipeError, ConnectionResetError):
                    pass
            else:
                c.request("POST", "/v1/events", body=body, headers=h)
            r = c.getresponse()
            return ct.Response(r.status, {k.lower(): v for k, v in r.getheaders()}, r.read())
        finally:
            if conn is None:
                c.close()

    def test_chunked_body(self):
        L = self.log
        size = L.size()
        self.assertReceipt(self.post_raw(place_env(L), chunked=True), index=size)
        for n in (65537, 300000):
            env = place_env(L)
            body = env[:-1] + b" " * (n - len(env)) + b"}"
            self.assertError(self.post_raw(body, chunked=True), 413, "too_large")
        self.assertEqual(L.size(), size + 1)

    def test_keep_alive(self):
        L = self.log
        c = ct.http.client.HTTPConnection("127.0.0.1", L.server.port, timeout=30)
        self.addCleanup(c.close)
        size = L.size()
        for i in range(5):
            self.assertReceipt(self.post_raw(place_env(L), conn=c), index=size + i)
            r = self.post_raw(b"{bad", conn=c)
            self.assertError(r, 400, "bad_request")
        self.assertEqual(L.size(), size + 5)

    def test_head(self):
        L = self.log
        for path, token in (("/checkpoint", None), ("/healthz", None), ("/v1/orgs", L.token)):
            r = L.request("HEAD", path, token=token)
            self.assertEqual(r.status, 200, (path, r))
            self.assertEqual(r.body, b"")
        self.assertEqual(L.request("HEAD", "/v1/orgs", token=None).status, 401)


class Concurrency(ct.LogTestCase):
    """Many clients at once: every index given once, the same envelope
    appended exactly once."""

    def test_parallel_posts(self):
        import threading
        L = self.log
        shared = place_env(L)
        per_thread = [[place_env(L) for _ in range(15)] for _ in range(8)]
        results, errors = [], []

        def worker(mine):
            try:
                for env in mine:
                    results.append(("own", L.post(env)))
                    results.append(("shared", L.post(shared)))
            except Exception as e:  # reported below
                errors.append(e)

        size = L.size()
        threads = [threading.Thread(target=worker, args=(m,)) for m in per_thread]
        for t in threads:
            t.start()
        for t in threads:
            t.join(120)
        self.assertEqual(errors, [])
        self.assertEqual(len(results), 8 * 15 * 2)
        for _, r in results:
            self.assertEqual(r.status, 200, r)
        own = [r.json for kind, r in results if kind == "own"]
        sh = [r.json for kind, r in results if kind == "shared"]
        self.assertTrue(all(j["duplicate"] is False for j in own))
        self.assertEqual(sum(1 for j in sh if not j["duplicate"]), 1)
        self.assertEqual(len({j["index"] for j in sh}), 1)
        self.assertEqual(len({j["leaf_hash"] for j in sh}), 1)
        indexes = sorted([j["index"] for j in own] + [sh[0]["index"]])
        self.assertEqual(indexes, list(range(size, size + 8 * 15 + 1)))
        self.assertEqual(L.size(), size + 8 * 15 + 1)
        leaves = [ct.leaf_hash(e) for e in L.entries()]
        for j in own + sh[:1]:
            self.assertEqual(ct.b64(leaves[j["index"]]), j["leaf_hash"])


class QueueFull(ct.LogTestCase):
    """`--max-queue N`: a request holding more than N events can never be
    queued and is answered 413 too_large, appending nothing; one that fits
    is appended. (A full queue, answered 503 with Retry-After, is the load
    tests' business.)"""

    @classmethod
    def setUpClass(cls):
        cls.log = ct.Log()
        cls.addClassCleanup(cls.log.close)
        cls.log.start("--max-queue", "5")

    def test_larger_than_the_queue(self):
        L = self.log
        size = L.size()
        r = L.batch([place_env(L) for _ in range(6)])
        self.assertError(r, 413, "too_large")
        self.assertEqual(L.size(), size)
        r = L.batch([place_env(L) for _ in range(5)])
        self.assertEqual(r.status, 200, r)
        self.assertEqual(L.size(), size + 5)


if __name__ == "__main__":
    ct.main()
