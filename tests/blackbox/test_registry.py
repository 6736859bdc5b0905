#!/usr/bin/python3
"""The registry as flows (docs/protocol.md 3 "Registry", 5 GET /v1/orgs, /v1/places).

Who may add and revoke keys, what suspension and reinstatement do to
signing and to reading, what the registry endpoints show. The single bad
inputs are in cases/registry.json and cases/authority.json.
"""
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import cmcctest as ct  # noqa: E402


class Registry(ct.LogTestCase):

    def test_genesis(self):
        """Entry 0 is the coordinator's org.admit, signed by a key it admits."""
        L = self.log
        e = L.get("/v1/entries/0").json
        ev = e["event"]
        self.assertEqual(ev["type"], "org.admit")
        self.assertEqual(ev["org"], ct.COORD_ORG)
        self.assertEqual(ev["body"]["org"], ct.COORD_ORG)
        self.assertEqual(ev["body"]["name"], ct.COORD_NAME)
        self.assertIn("coordinator", ev["body"]["roles"])
        self.assertEqual([k["public_key"] for k in ev["body"]["keys"]], [L.coord.pub_b64])
        sig = e["entry"]["envelope"]["signatures"][0]
        self.assertEqual(sig["keyid"], L.coord.keyid)
        payload = ct.unb64(e["entry"]["envelope"]["payload"])
        self.assertTrue(ct.verify_sig(L.coord.pub, ct.pae(ct.PAYLOAD_TYPE, payload),
                                      ct.unb64(sig["sig"])))
        cell = L.orgs()["cell"]
        self.assertEqual(cell["roles"], ["coordinator"])
        self.assertEqual(cell["status"], "active")
        self.assertEqual(cell["keys"], [{"keyid": L.coord.keyid, "public_key": L.coord.pub_b64,
                                         "status": "active"}])

    def test_orgs_show_roles_status_and_keys(self):
        L = self.log
        k1, k2 = L.admit("multi-role", ["monitor", "humanitarian", "transporter"], nkeys=2,
                         name="Multi Role Org")
        o = L.orgs()["multi-role"]
        self.assertEqual(o["org"], "multi-role")
        self.assertEqual(o["name"], "Multi Role Org")
        # roles in the protocol's order, whatever order they were given in
        self.assertEqual(o["roles"], ["humanitarian", "transporter", "monitor"])
        self.assertEqual(o["status"], "active")
        keys = {k["keyid"]: k for k in o["keys"]}
        self.assertEqual(set(keys), {k1.keyid, k2.keyid})
        for k in (k1, k2):
            self.assertEqual(keys[k.keyid]["public_key"], k.pub_b64)
            self.assertEqual(keys[k.keyid]["status"], "active")
        # with a country
        L.ok(L.coord, "org.admit", {"org": "with-country", "name": "W", "roles": ["military"],
                                    "keys": [{"public_key": ct.Key().pub_b64}],
                                    "country": "Norway"})
        self.assertEqual(L.orgs()["with-country"]["country"], "Norway")

    def test_admitted_and_defined_name_their_entries(self):
        L = self.log
        r = L.ok(L.coord, "org.admit", {"org": "indexed", "name": "I", "roles": ["monitor"],
                                        "keys": [{"public_key": ct.Key().pub_b64}]})
        self.assertEqual(L.orgs()["indexed"]["admitted"], r["index"])
        self.assertEqual(L.orgs()["cell"]["admitted"], 0)
        r = L.ok(L.coord, "place.define", {"place": "indexed-place", "kind": "depot",
                                           "name": "I", "lat": 0, "lon": 0})
        self.assertEqual(L.places()["indexed-place"]["defined"], r["index"])

    def test_names_by_language_are_kept_and_shown(self):
        """The optional names of org.admit and place.define come back from
        /v1/orgs and /v1/places as given (null when there are none), and
        an org or place admitted without them is unchanged."""
        L = self.log
        names = {"ar": "إغاثة الساحل", "he": "סיוע החוף"}
        L.ok(L.coord, "org.admit", {"org": "named-org", "name": "Coastal Relief",
                                    "roles": ["humanitarian"],
                                    "keys": [{"public_key": ct.Key().pub_b64}], "names": names})
        self.assertEqual(L.orgs()["named-org"]["names"], names)
        self.assertEqual(L.orgs()["named-org"]["name"], "Coastal Relief")
        self.assertIsNone(L.orgs()["cell"]["names"])
        L.define_place("named-place", names={"ar": "كرم أبو سالم", "pt-br": "Kerem"})
        self.assertEqual(L.places()["named-place"]["names"], {"ar": "كرم أبو سالم", "pt-br": "Kerem"})
        L.define_place("unnamed-place")
        self.assertIsNone(L.places()["unnamed-place"]["names"])
        # refused names change nothing: the place stays undefined
        size = L.size()
        r = L.post(ct.signed(L.coord, ct.event("place.define", {
            "place": "bad-names", "kind": "depot", "name": "B", "lat": 0, "lon": 0,
            "names": {"AR": "x"}}, ct.COORD_ORG)))
        self.assertError(r, 400, "bad_request", "body.names")
        self.assertIn("language tag", r.json["error"]["message"])
        self.assertEqual(L.size(), size)
        self.assertNotIn("bad-names", L.places())

    def test_key_add_by_the_org_itself(self):
        L = self.log
        k1 = L.admit("self-adder", ["humanitarian"])[0]
        k2 = ct.Key()
        size = L.size()
        r, _ = L.submit(k1, "key.add", {"org": "self-adder", "public_key": k2.pub_b64})
        self.assertReceipt(r, index=size)
        L.keys["self-adder"].append(k2)
        keys = {k["keyid"]: k["status"] for k in L.orgs()["self-adder"]["keys"]}
        self.assertEqual(keys, {k1.keyid: "active", k2.keyid: "active"})
        # the new key signs at once
        k3 = ct.Key()
        r, _ = L.submit(k2, "key.add", {"org": "self-adder", "public_key": k3.pub_b64})
        self.assertReceipt(r)

    def test_key_add_by_another_org_forbidden(self):
        L = self.log
        a = L.admit("org-a", ["humanitarian"])[0]
        L.admit("org-b", ["humanitarian", "transporter", "monitor"])
        size = L.size()
        k = ct.Key()
        r, _ = L.submit(a, "key.add", {"org": "org-b", "public_key": k.pub_b64})
        self.assertError(r, 403, "forbidden", "type")
        self.assertEqual(L.size(), size)
        self.assertNotIn(k.keyid, [x["keyid"] for x in L.orgs()["org-b"]["keys"]])
        # and that key is still unknown
        r, _ = L.submit(k, "key.add", {"org": "org-b", "public_key": ct.Key().pub_b64},
                        org="org-b")
        self.assertError(r, 401, "unknown_key", "signatures[0].keyid")

    def test_key_add_by_the_coordinator_for_another_org(self):
        L = self.log
        L.admit("coord-added", ["verifier"])
        k = L.add_key("coord-added")
        keys = {x["keyid"]: x["status"] for x in L.orgs()["coord-added"]["keys"]}
        self.assertEqual(keys[k.keyid], "active")
        r, _ = L.submit(k, "key.add", {"org": "coord-added", "public_key": ct.Key().pub_b64})
        self.assertReceipt(r)

    def test_key_revoke_by_the_org_itself(self):
        L = self.log
        k1, k2 = L.admit("self-revoker", ["transporter"], nkeys=2)
        L.revoke_key("self-revoker", k2, signer=k1)
        keys = {x["keyid"]: x["status"] for x in L.orgs()["self-revoker"]["keys"]}
        self.assertEqual(keys, {k1.keyid: "active", k2.keyid: "revoked"})
        size = L.size()
        r, _ = L.submit(k2, "key.add", {"org": "self-revoker", "public_key": ct.Key().pub_b64})
        self.assertError(r, 403, "key_revoked", "signatures[0].keyid")
        self.assertEqual(L.size(), size)
        # the remaining key is the last one: it cannot be revoked, even by itself
        r, _ = L.submit(k1, "key.revoke", {"org": "self-revoker", "keyid": k1.keyid,
                                           "reason": "x"})
        self.assertError(r, 409, "rule_violation", "body.keyid")
        # a new key first, then the old one can go
        k3 = L.add_key("self-revoker", signer=k1)
        L.revoke_key("self-revoker", k1, signer=k3)
        keys = {x["keyid"]: x["status"] for x in L.orgs()["self-revoker"]["keys"]}
        self.assertEqual(keys, {k1.keyid: "revoked", k2.keyid: "revoked", k3.keyid: "active"})

    def test_a_key_can_revoke_itself_when_another_remains(self):
        L = self.log
        k1, k2 = L.admit("self-revoke-own", ["transporter"], nkeys=2)
        L.revoke_key("self-revoke-own", k1, signer=k1)
        r, _ = L.submit(k1, "key.add", {"org": "self-revoke-own",
                                        "public_key": ct.Key().pub_b64})
        self.assertError(r, 403, "key_revoked")
        r, _ = L.submit(k2, "key.add", {"org": "self-revoke-own",
                                        "public_key": ct.Key().pub_b64})
        self.assertReceipt(r)

    def test_revoked_key_events_before_revocation_stay(self):
        """Revocation is from then on: earlier entries signed by it are kept."""
        L = self.log
        k1, k2 = L.admit("early-signer", ["humanitarian"], nkeys=2)
        r, env = L.submit(k2, "key.add", {"org": "early-signer", "public_key": ct.Key().pub_b64})
        first = self.assertReceipt(r)
        L.revoke_key("early-signer", k2)
        e = L.get("/v1/entries/%d" % first["index"])
        self.assertEqual(e.status, 200)
        self.assertEqual(e.json["entry"]["envelope"]["signatures"][0]["keyid"], k2.keyid)
        # sending it again is still answered by its receipt, not key_revoked
        self.assertReceipt(L.post(env), index=first["index"], duplicate=True)

    def test_suspend_and_reinstate(self):
        L = self.log
        k = L.admit("wobbly", ["humanitarian"])[0]
        token, _ = L.create_token("wobbly")
        self.assertEqual(L.get("/v1/orgs", token=token).status, 200)
        L.suspend("wobbly", reason="investigation")
        o = L.orgs()["wobbly"]
        self.assertEqual(o["status"], "suspended")
        self.assertEqual(o["reason"], "investigation")
        # cannot sign
        size = L.size()
        r, _ = L.submit(k, "key.add", {"org": "wobbly", "public_key": ct.Key().pub_b64})
        self.assertError(r, 403, "org_suspended", "org")
        self.assertEqual(L.size(), size)
        # cannot read
        self.assertError(L.get("/v1/orgs", token=token), 403, "forbidden")
        self.assertError(L.get("/v1/entries/0", token=token), 403, "forbidden")
        # and cannot write through its own token either
        self.assertError(L.request("POST", "/v1/events", ct.signed(L.coord, ct.event(
            "place.define", {"place": ct.new_id("p"), "kind": "other", "name": "X", "lat": 0,
                             "lon": 0}, "cell")), "application/json", token=token),
            403, "forbidden")
        self.assertEqual(L.size(), size)
        # a key can still be added to it by the coordinator
        k2 = L.add_key("wobbly")
        # reinstated: signs and reads again, with the old and the new key
        L.reinstate("wobbly")
        o = L.orgs()["wobbly"]
        self.assertEqual(o["status"], "active")
        self.assertEqual(L.get("/v1/orgs", token=token).status, 200)
        for key in (k, k2):
            r, _ = L.submit(key, "key.add", {"org": "wobbly", "public_key": ct.Key().pub_b64})
            self.assertReceipt(r)

    def test_suspend_twice_and_reinstate_twice(self):
        L = self.log
        L.admit("twice", ["monitor"])
        L.suspend("twice")
        r, _ = L.submit(L.coord, "org.suspend", {"org": "twice", "reason": "again"})
        self.assertError(r, 409, "rule_violation", "body.org")
        L.reinstate("twice")
        r, _ = L.submit(L.coord, "org.reinstate", {"org": "twice"})
        self.assertError(r, 409, "rule_violation", "body.org")
        L.suspend("twice")  # and once more, after reinstatement
        self.assertEqual(L.orgs()["twice"]["status"], "suspended")

    def test_second_coordinator(self):
        """An org admitted with the coordinator role has its authority."""
        L = self.log
        c2 = L.admit("cell-2", ["coordinator"])[0]
        r, _ = L.submit(c2, "place.define", {"place": ct.new_id("p"), "kind": "depot",
                                             "name": "D", "lat": 1, "lon": 1})
        self.assertReceipt(r)
        L.admit("managed", ["humanitarian"])
        r, _ = L.submit(c2, "org.suspend", {"org": "managed", "reason": "by cell-2"})
        self.assertReceipt(r)
        self.assertEqual(L.orgs()["managed"]["status"], "suspended")

    def test_places(self):
        L = self.log
        p = L.define_place(kind="crossing", sector="north")
        got = L.places()[p]
        self.assertEqual(got["kind"], "crossing")
        self.assertEqual(got["name"], "Place " + p)
        self.assertEqual(got["lat"], 31.2)
        self.assertEqual(got["lon"], 34.3)
        self.assertEqual(got["sector"], "north")
        self.assertEqual(got["status"], "open")
        r, _ = L.submit(L.coord, "place.status", {"place": p, "status": "closed",
                                                  "reason": "shelling"})
        self.assertReceipt(r)
        got = L.places()[p]
        self.assertEqual(got["status"], "closed")
        self.assertEqual(got["reason"], "shelling")
        r, _ = L.submit(L.coord, "place.status", {"place": p, "status": "open"})
        self.assertReceipt(r)
        self.assertEqual(L.places()[p]["status"], "open")

    def test_every_place_kind(self):
        L = self.log
        kinds = ["crossing", "warehouse", "distribution_point", "depot", "collection_point",
                 "other"]
        made = {L.define_place(kind=k): k for k in kinds}
        places = L.places()
        for p, k in made.items():
            self.assertEqual(places[p]["kind"], k)

    def test_every_role_can_be_admitted(self):
        L = self.log
        roles = ["coordinator", "humanitarian", "inspector", "transporter", "military",
                 "contributor", "verifier", "monitor"]
        L.admit("all-roles", list(reversed(roles)))
        self.assertEqual(L.orgs()["all-roles"]["roles"], roles)

    def test_registry_reads_need_a_token(self):
        L = self.log
        for path in ("/v1/orgs", "/v1/places"):
            self.assertError(L.get(path, token=None), 401, "unauthorized")


if __name__ == "__main__":
    ct.main()
