#!/usr/bin/python3
"""NDJSON batches (docs/protocol.md 5): POST /v1/events with
application/x-ndjson, at most 1,000 envelopes; 200 {"results":[...]}, one
receipt or {"error":{...}} per line, in order; every valid line appended
even when others fail; each line judged against the state the lines
before it left.
"""
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import cmcctest as ct  # noqa: E402


def place_event(place=None, id_=None, **body):
    b = {"place": place or ct.new_id("p"), "kind": "depot", "name": "Depot", "lat": 10.0,
         "lon": 20.0}
    b.update(body)
    return ct.event("place.define", b, "cell", id_=id_)


class Batch(ct.LogTestCase):

    def results(self, r, n):
        self.assertEqual(r.status, 200, r)
        self.assertEqual(list(r.json), ["results"], r)
        res = r.json["results"]
        self.assertEqual(len(res), n, r)
        return res

    def assertLineError(self, res, code, field=None):
        self.assertEqual(list(res), ["error"], res)
        self.assertEqual(res["error"]["code"], code, res)
        self.assertTrue(res["error"].get("message"), res)
        if field is not None:
            self.assertEqual(res["error"].get("field"), field, res)

    def assertLineReceipt(self, res, index=None, duplicate=False):
        # "proof" comes with an entry a published checkpoint already holds
        self.assertEqual(sorted(k for k in res if k != "proof"), ["duplicate", "index", "leaf_hash"],
                         res)
        self.assertIs(res["duplicate"], duplicate, res)
        if index is not None:
            self.assertEqual(res["index"], index, res)

    def test_mixed_valid_and_invalid(self):
        L = self.log
        valid1 = ct.signed(L.coord, place_event())
        valid2 = ct.signed(L.coord, place_event())
        valid3 = ct.signed(L.coord, place_event())
        bad_sig = ct.compact(dict(ct.envelope(ct.compact(place_event()), L.coord),
                                  signatures=[{"keyid": L.coord.keyid,
                                               "sig": ct.b64(b"\x01" * 64)}]))
        stranger = ct.signed(ct.Key(), place_event())
        lat = ct.signed(L.coord, place_event(lat=-95))
        forbidden_kid = L.admit("batch-relief", ["humanitarian"])[0]
        forbidden = ct.signed(forbidden_kid, ct.event(
            "place.define", {"place": ct.new_id("p"), "kind": "depot", "name": "D", "lat": 0,
                             "lon": 0}, "batch-relief"))
        size = L.size()
        lines = [valid1, b"{not json", valid2, bad_sig, stranger, valid1, lat, forbidden,
                 b'"a string"', valid3]
        res = self.results(L.batch(lines), len(lines))
        self.assertLineReceipt(res[0], index=size)
        self.assertLineError(res[1], "bad_request")
        self.assertLineReceipt(res[2], index=size + 1)
        self.assertLineError(res[3], "bad_signature", "signatures[0].sig")
        self.assertLineError(res[4], "unknown_key", "signatures[0].keyid")
        self.assertLineReceipt(res[5], index=size, duplicate=True)
        self.assertEqual(res[5]["leaf_hash"], res[0]["leaf_hash"])
        self.assertLineError(res[6], "bad_request", "body.lat")
        self.assertLineError(res[7], "forbidden", "type")
        self.assertLineError(res[8], "bad_request")
        self.assertLineReceipt(res[9], index=size + 2)
        self.assertEqual(L.size(), size + 3)
        # the receipts are those of the entries the log holds
        entries = L.entries()
        for i, line in ((0, valid1), (2, valid2), (9, valid3)):
            e = entries[res[i]["index"]]
            self.assertEqual(ct.b64(ct.leaf_hash(e)), res[i]["leaf_hash"])
            self.assertIn(ct.json.loads(line)["payload"].encode(), e)

    def test_all_lines_refused(self):
        L = self.log
        size = L.size()
        res = self.results(L.batch([b"[]", b"{}", ct.signed(ct.Key(), place_event())]), 3)
        self.assertLineError(res[0], "bad_request")
        self.assertLineError(res[1], "bad_request")
        self.assertLineError(res[2], "unknown_key")
        self.assertEqual(L.size(), size)

    def test_duplicates_inside_one_batch(self):
        L = self.log
        env = ct.signed(L.coord, place_event())
        size = L.size()
        res = self.results(L.batch([env, env, env]), 3)
        self.assertLineReceipt(res[0], index=size)
        self.assertLineReceipt(res[1], index=size, duplicate=True)
        self.assertLineReceipt(res[2], index=size, duplicate=True)
        self.assertEqual(res[1]["leaf_hash"], res[0]["leaf_hash"])
        self.assertEqual(L.size(), size + 1)
        # and the whole batch again: all duplicates, nothing appended
        res = self.results(L.batch([env, env]), 2)
        for x in res:
            self.assertLineReceipt(x, index=size, duplicate=True)
        self.assertEqual(L.size(), size + 1)

    def test_conflict_inside_one_batch(self):
        L = self.log
        id_ = ct.new_id()
        a = ct.signed(L.coord, place_event(id_=id_))
        b = ct.signed(L.coord, place_event(id_=id_))
        size = L.size()
        res = self.results(L.batch([a, b]), 2)
        self.assertLineReceipt(res[0], index=size)
        self.assertLineError(res[1], "conflict", "id")
        self.assertEqual(L.size(), size + 1)

    def test_rules_see_earlier_lines(self):
        """A place defined on line 1 exists for line 2; twice is a violation."""
        L = self.log
        p = ct.new_id("p")
        size = L.size()
        res = self.results(L.batch([
            ct.signed(L.coord, place_event(p)),
            ct.signed(L.coord, place_event(p)),
            ct.signed(L.coord, ct.event("place.status", {"place": p, "status": "closed"},
                                        "cell")),
        ]), 3)
        self.assertLineReceipt(res[0], index=size)
        self.assertLineError(res[1], "rule_violation", "body.place")
        self.assertLineReceipt(res[2], index=size + 1)
        self.assertEqual(L.places()[p]["status"], "closed")

    def test_key_added_earlier_in_the_batch_signs_later(self):
        L = self.log
        org = ct.new_id("org")
        k1, k2, k3 = ct.Key(), ct.Key(), ct.Key()
        size = L.size()
        lines = [
            # line 0: a key nobody knows yet (admitted on line 1): unknown_key
            ct.signed(k1, ct.event("key.add", {"org": org, "public_key": ct.Key().pub_b64},
                                   org)),
            # line 1: the coordinator admits the org with k1
            ct.signed(L.coord, ct.event("org.admit", {"org": org, "name": "Batch Org",
                                                      "roles": ["humanitarian"],
                                                      "keys": [{"public_key": k1.pub_b64}]},
                                        "cell")),
            # line 2: k1, admitted on line 1, adds k2
            ct.signed(k1, ct.event("key.add", {"org": org, "public_key": k2.pub_b64}, org)),
            # line 3: k2, added on line 2, adds k3
            ct.signed(k2, ct.event("key.add", {"org": org, "public_key": k3.pub_b64}, org)),
            # line 4: k3 revokes k1
            ct.signed(k3, ct.event("key.revoke", {"org": org, "keyid": k1.keyid,
                                                  "reason": "rotated"}, org)),
            # line 5: k1, revoked on line 4, is refused
            ct.signed(k1, ct.event("key.add", {"org": org, "public_key": ct.Key().pub_b64},
                                   org)),
            # line 6: k2 with a bad signature is still caught
            ct.compact(dict(ct.envelope(ct.compact(ct.event(
                "key.add", {"org": org, "public_key": ct.Key().pub_b64}, org)), k2),
                signatures=[{"keyid": k2.keyid, "sig": ct.b64(bytes(64))}])),
        ]
        res = self.results(L.batch(lines), len(lines))
        self.assertLineError(res[0], "unknown_key")
        self.assertLineReceipt(res[1], index=size)
        self.assertLineReceipt(res[2], index=size + 1)
        self.assertLineReceipt(res[3], index=size + 2)
        self.assertLineReceipt(res[4], index=size + 3)
        self.assertLineError(res[5], "key_revoked")
        self.assertLineError(res[6], "bad_signature")
        self.assertEqual(L.size(), size + 4)
        keys = {k["keyid"]: k["status"] for k in L.orgs()[org]["keys"]}
        self.assertEqual(keys, {k1.keyid: "revoked", k2.keyid: "active", k3.keyid: "active"})

    def test_suspended_earlier_in_the_batch(self):
        L = self.log
        k = L.admit(ct.new_id("org"), ["humanitarian"])[0]
        org = L.org_of(k)
        size = L.size()
        res = self.results(L.batch([
            ct.signed(k, ct.event("key.add", {"org": org, "public_key": ct.Key().pub_b64}, org)),
            ct.signed(L.coord, ct.event("org.suspend", {"org": org, "reason": "x"}, "cell")),
            ct.signed(k, ct.event("key.add", {"org": org, "public_key": ct.Key().pub_b64}, org)),
            ct.signed(L.coord, ct.event("org.reinstate", {"org": org}, "cell")),
            ct.signed(k, ct.event("key.add", {"org": org, "public_key": ct.Key().pub_b64}, org)),
        ]), 5)
        self.assertLineReceipt(res[0], index=size)
        self.assertLineReceipt(res[1], index=size + 1)
        self.assertLineError(res[2], "org_suspended")
        self.assertLineReceipt(res[3], index=size + 2)
        self.assertLineReceipt(res[4], index=size + 3)

    def test_blank_lines_and_crlf(self):
        L = self.log
        a = ct.signed(L.coord, place_event())
        b = ct.signed(L.coord, place_event())
        size = L.size()
        body = b"\n" + a + b"\r\n\r\n   \n\t\n" + b  # no final newline
        r = L.request("POST", "/v1/events", body, "application/x-ndjson")
        res = self.results(r, 2)
        self.assertLineReceipt(res[0], index=size)
        self.assertLineReceipt(res[1], index=size + 1)

    def test_one_line_batch_answers_results(self):
        L = self.log
        size = L.size()
        res = self.results(L.batch([ct.signed(L.coord, place_event())]), 1)
        self.assertLineReceipt(res[0], index=size)

    def test_ndjson_with_parameters(self):
        L = self.log
        size = L.size()
        r = L.batch([ct.signed(L.coord, place_event())],
                    content_type="application/x-ndjson; charset=utf-8")
        res = self.results(r, 1)
        self.assertLineReceipt(res[0], index=size)

    def test_empty_batch(self):
        L = self.log
        size = L.size()
        for body in (b"", b"\n", b"\n \n\t\n"):
            r = L.request("POST", "/v1/events", body, "application/x-ndjson")
            self.assertError(r, 400, "bad_request")
        self.assertEqual(L.size(), size)

    def test_line_over_the_payload_limit(self):
        L = self.log
        big = ct.compact(place_event()) + b" " * 40000
        size = L.size()
        res = self.results(L.batch([ct.signed(L.coord, big), ct.signed(L.coord, place_event())]),
                           2)
        self.assertLineError(res[0], "too_large", "payload")
        self.assertLineReceipt(res[1], index=size)

    def test_1000_lines_accepted(self):
        L = self.log
        fresh = [ct.signed(L.coord, place_event()) for _ in range(10)]
        dup = ct.signed(L.coord, place_event())
        lines = fresh + [dup] * 990
        size = L.size()
        res = self.results(L.batch(lines), 1000)
        for i in range(10):
            self.assertLineReceipt(res[i], index=size + i)
        self.assertLineReceipt(res[10], index=size + 10)
        for x in res[11:]:
            self.assertLineReceipt(x, index=size + 10, duplicate=True)
        self.assertEqual(L.size(), size + 11)

    def test_1001_lines_too_large(self):
        L = self.log
        lines = [ct.signed(L.coord, place_event()) for _ in range(1001)]
        size = L.size()
        r = L.batch(lines)
        self.assertError(r, 413, "too_large")
        self.assertEqual(L.size(), size)
        # blank lines do not count towards the limit
        body = b"".join(l + b"\n\n" for l in lines[:1000])
        r = L.request("POST", "/v1/events", body, "application/x-ndjson")
        self.results(r, 1000)
        self.assertEqual(L.size(), size + 1000)

    def test_batch_is_durable_and_consistent_with_bundles(self):
        """A batch's receipts match the entry bundle bytes, in order."""
        L = self.log
        lines = [ct.signed(L.coord, place_event()) for _ in range(20)]
        res = self.results(L.batch(lines), 20)
        entries = L.entries()
        for line, x in zip(lines, res):
            e = entries[x["index"]]
            self.assertEqual(ct.b64(ct.leaf_hash(e)), x["leaf_hash"])
            env = ct.json.loads(line)
            received = ct.json.loads(e)["received"]
            self.assertEqual(e, ct.entry_bytes(received, env))


if __name__ == "__main__":
    ct.main()
