#!/usr/bin/python3
"""The authority matrix: every event type against every role, a suspended
org and a revoked key, from the table in authority.json (docs/protocol.md
section 3's role column as data).

Signers: one org per role (r-coordinator, r-humanitarian, ...), each holding
only that role; "suspended", an org holding all eight roles that the
coordinator suspended; "revoked key", an org holding all eight roles signing
with a key the coordinator revoked (it has other, active keys).

Cells, per type:
  - role cells: the role's org signs; allowed when the table lists the role;
  - key.add / key.revoke also as "self" (body.org is the signer): allowed
    for every org ("or the org itself");
  - one-org types (custody.accept/reject: the transfer's `to` org; the
    notifying, declaring, requesting, pledging org): "own" cells where the
    signer is that org (allowed; for each role such an org can have) and
    "other" cells where another org is (forbidden for every role);
  - weapon.attest: also the record's own org (forbidden);
  - alert.acknowledge / alert.resolve ("or an org the alert concerns"):
    also as "own", about an alert of the signer's own (allowed for every
    role); a role cell not listed, about another org's alert, is forbidden
    on `org` (the rule, not the role, refuses it);
  - the suspended org: org_suspended; the revoked key: key_revoked.
Every allowed cell's event is otherwise valid in the state the cell sets up
first (a fresh consignment declared and screened before an entry, a holding
before a transfer, ...), so it must be appended, at the next index. Every
other cell must answer 403 with its code and field (expected_field) and
append nothing.

Types the server does not implement yet (it answers bad_request "... is not
an event type") are skipped with that message; their bodies are written
from the protocol's tables so that the matrix covers them once they are.
The table itself is checked against docs/protocol.md (every type of section 3,
role cells verbatim), and every type the server's source defines must be
covered and not skipped. At the end, the log verifies (`cmcc verify`).
"""
import json
import os
import re
import sys
import time
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import reliab as rl  # noqa: E402

ct = rl.ct

TABLE = os.path.join(rl.HERE, "authority.json")
ROLES = ["coordinator", "humanitarian", "inspector", "transporter", "military", "contributor",
         "verifier", "monitor"]
SUSP, REVK = "omni-s", "omni-r"
HTTP = {"forbidden": 403, "org_suspended": 403, "key_revoked": 403}
DAY = 86400


def iso(dt=0):
    return ct.rfc3339(time.time() + dt)


def new(prefix):
    return ct.new_id(prefix)


class Unimplemented(Exception):
    pass


def unimplemented(r, type_):
    """True when r is the server's answer to an event type it does not know."""
    if r.status != 400:
        return False
    try:
        e = r.json["error"]
    except (ValueError, KeyError, TypeError):
        return False
    return (e.get("code") == "bad_request" and e.get("field") == "type"
            and "is not an event type" in e.get("message", "") and type_ in e["message"])


class Matrix:
    """The orgs and places of the matrix, and the prerequisites of cells."""

    def __init__(self, L):
        self.L = L
        self.key = {"cell": L.coord}  # org -> the key its prerequisites are signed with
        self.cell_key = {}            # org -> the key its cells are signed with
        self.roles = {"cell": {"coordinator"}}
        for role in ROLES:
            self.admit("r-" + role, [role])
        for org, role in (("h-hum", "humanitarian"), ("h-insp", "inspector"),
                          ("h-trans", "transporter"), ("h-mil", "military"),
                          ("h-con", "contributor"), ("h-ver1", "verifier"),
                          ("h-ver2", "verifier")):
            self.admit(org, [role])
        # all roles, suspended; all roles, first key revoked (third key spare)
        for org in (SUSP, REVK):
            keys = L.admit(org, ROLES, nkeys=3)
            self.roles[org] = set(ROLES)
            self.cell_key[org] = keys[0]
            self.key[org] = keys[1]
            setattr(self, "spare_" + org.replace("-", "_"), keys[2])
        L.suspend(SUSP)
        L.revoke_key(REVK, self.cell_key[REVK])
        self.key[REVK] = L.keys[REVK][1]
        self.crossing = L.define_place("x-1", kind="crossing")
        self.dp = L.define_place("dp-1", kind="distribution_point")
        self.wh = L.define_place("wh-1", kind="warehouse")
        self.cp = L.define_place("cp-1", kind="collection_point")
        self.depot = L.define_place("depot-1", kind="depot")

    def admit(self, org, roles):
        self.key[org] = self.L.admit(org, roles)[0]
        self.roles[org] = set(roles)
        self.cell_key[org] = self.key[org]

    def signing_key(self, org):
        return self.cell_key[org]

    def sub(self, org, type_, body):
        """A prerequisite event: it must be appended."""
        r, _ = self.L.submit(self.key[org], type_, body, org=org)
        if unimplemented(r, type_):
            raise Unimplemented(r.json["error"]["message"])
        if r.status != 200:
            raise AssertionError("prerequisite %s by %s refused: %r (body %s)"
                                 % (type_, org, r, json.dumps(body)))
        return r.json

    def can_hold(self, org):
        """An active org that can receive custody (humanitarian or transporter)."""
        return org != SUSP and bool(self.roles.get(org, set()) & {"humanitarian",
                                                                  "transporter"})

    # -- supply prerequisites
    def declared(self):
        c = new("c")
        self.sub("h-hum", "consignment.declare", ct.declare_body(c, self.crossing, {1: 100, 2: 40}))
        return c

    def screened(self):
        c = self.declared()
        self.sub("h-insp", "consignment.screen", ct.screen_body(c, {1: 100, 2: 40}))
        return c

    def entered(self, to):
        """A consignment entered to `to`: (consignment, the pending transfer)."""
        c, t = self.screened(), new("t")
        self.sub("h-insp", "consignment.enter", ct.enter_body(c, t, self.crossing, to,
                                                              {1: 100, 2: 40}))
        return c, t

    def held(self, holder, received=None):
        c, t = self.entered(holder)
        self.sub(holder, "custody.accept", ct.accept_body(t, received or {1: 100, 2: 40}))
        return c

    def fresh_org(self, nkeys=1):
        org = new("o")
        keys = self.L.admit(org, ["transporter"], nkeys=nkeys)
        self.key[org] = keys[0]
        self.roles[org] = {"transporter"}
        return org, keys


# ---- bodies: one generator per type: (matrix, signer org, variant) -> body -----
# variant: "role" (the plain cell), "self" (key.* with body.org the signer),
# "own" (the signer is the one org the rule names), "other" (another org is).


def g_org_admit(M, s, v):
    return {"org": new("o"), "name": "Relief Partner", "roles": ["humanitarian"],
            "keys": [{"public_key": ct.Key().pub_b64}], "country": "Norway"}


def g_org_suspend(M, s, v):
    return {"org": M.fresh_org()[0], "reason": "audit pending"}


def g_org_reinstate(M, s, v):
    org = M.fresh_org()[0]
    M.sub("cell", "org.suspend", {"org": org, "reason": "audit pending"})
    return {"org": org}


def g_key_add(M, s, v):
    return {"org": s if v == "self" else M.fresh_org()[0], "public_key": ct.Key().pub_b64}


def g_key_revoke(M, s, v):
    if v == "self":
        if s in (SUSP, REVK):
            k = getattr(M, "spare_" + s.replace("-", "_"))
        else:
            k = ct.Key()
            M.sub("cell", "key.add", {"org": s, "public_key": k.pub_b64})
        return {"org": s, "keyid": k.keyid, "reason": "rotated"}
    org, keys = M.fresh_org(nkeys=2)
    return {"org": org, "keyid": keys[1].keyid, "reason": "laptop lost"}


def g_place_define(M, s, v):
    return {"place": new("p"), "kind": "crossing", "name": "New Crossing", "lat": 31.22,
            "lon": 34.27, "sector": "south"}


def g_place_status(M, s, v):
    p = new("p")
    M.sub("cell", "place.define", {"place": p, "kind": "crossing", "name": "Gate", "lat": 31.2,
                                   "lon": 34.2})
    return {"place": p, "status": "closed", "reason": "shelling nearby"}


def g_consignment_declare(M, s, v):
    return ct.declare_body(new("c"), M.crossing, {1: 100, 2: 40}, donor="WFP", reference="R-1")


def g_consignment_screen(M, s, v):
    return ct.screen_body(M.declared(), {1: 100, 2: 30}, {2: "expired"})


def g_consignment_enter(M, s, v):
    return ct.enter_body(M.screened(), new("t"), M.crossing, "h-hum", {1: 60, 2: 40})


def g_custody_transfer(M, s, v):
    holder = s if M.can_hold(s) else "h-hum"
    c = M.held(holder)
    return ct.transfer_body(new("t"), c, "h-trans" if holder != "h-trans" else "h-hum",
                            {1: 30, 2: 10}, place=M.wh)


def g_custody_accept(M, s, v):
    _, t = M.entered(s if v == "own" else "h-hum")
    return ct.accept_body(t, {1: 100, 2: 39})


def g_custody_reject(M, s, v):
    _, t = M.entered(s if v == "own" else "h-hum")
    return ct.reject_body(t, "cold chain broken")


def g_distribution_record(M, s, v):
    holder = s if M.can_hold(s) else "h-hum"
    return ct.distribution_body(new("d"), M.held(holder), M.dp, {1: 20}, households=8,
                                individuals=40)


def g_loss_report(M, s, v):
    if M.can_hold(s):
        return ct.loss_body(new("l"), M.held(s), "spoiled", "held", {1: 5})
    if "coordinator" in M.roles.get(s, ()):
        # the coordinator settles another org's shortfall (unaccounted:h-insp)
        c = M.held("h-hum", received={1: 97, 2: 40})
        return ct.loss_body(new("l"), c, "intercepted", "unaccounted", {1: 3}, org="h-insp")
    return ct.loss_body(new("l"), M.held("h-hum"), "spoiled", "held", {1: 5})


def g_site_notify(M, s, v):
    return {"site": new("s"), "kind": "clinic", "name": "Field Clinic", "lat": 31.31,
            "lon": 34.31, "radius_m": 150, "from": iso(-3600)}


def g_site_withdraw(M, s, v):
    b = g_site_notify(M, s, v)
    M.sub(s if v == "own" else "h-hum", "site.notify", b)
    return {"site": b["site"]}


def g_zone_declare(M, s, v):
    return {"zone": new("z"), "kind": "restricted",
            "polygon": [[31.0, 34.0], [31.0, 34.2], [31.2, 34.1]], "from": iso(), "until": iso(DAY)}


def g_zone_lift(M, s, v):
    b = g_zone_declare(M, s, v)
    M.sub(s if v == "own" else "h-mil", "zone.declare", b)
    return {"zone": b["zone"]}


def g_movement_request(M, s, v):
    return {"movement": new("m"), "purpose": "food delivery to the north",
            "route": [[31.0, 34.0], [31.3, 34.3]], "window_start": iso(3 * DAY),
            "window_end": iso(3 * DAY + 4 * 3600), "vehicles": 4, "from_place": M.wh,
            "to_place": M.dp}


def g_movement_respond(M, s, v):
    b = g_movement_request(M, s, v)
    M.sub("h-hum", "movement.request", b)
    return {"movement": b["movement"], "decision": "acknowledged"}


def g_movement_report(M, s, v):
    b = g_movement_request(M, s, v)
    M.sub(s if v == "own" else "h-hum", "movement.request", b)
    return {"movement": b["movement"], "outcome": "completed"}


def g_incident_report(M, s, v):
    return {"incident": new("i"), "category": "access_denial", "occurred": iso(-7200),
            "severity": "medium", "description": "convoy held at a checkpoint for 3 hours",
            "lat": 31.25, "lon": 34.25}


def g_incident_assess(M, s, v):
    b = g_incident_report(M, s, v)
    M.sub("h-hum", "incident.report", b)
    return {"incident": b["incident"], "status": "verified", "note": "two sources"}


def g_requirement_define(M, s, v):
    return {"requirement": new("rq"), "capability": "engineer_company", "quantity": 1,
            "tasks": ["route_clearance"], "sector": "north", "needed_by": iso(30 * DAY)}


def g_pledge_offer(M, s, v):
    return {"pledge": new("pl"), "capability": "engineer_company", "quantity": 2,
            "personnel": 180, "readiness": "level2", "caveats": ["no_crowd_control"],
            "sectors": ["north"], "available_from": iso(7 * DAY)}


def pledged(M, s, v):
    b = g_pledge_offer(M, s, v)
    M.sub(s if v == "own" else "h-con", "pledge.offer", b)
    return b


def g_pledge_update(M, s, v):
    b = pledged(M, s, v)
    b.update(quantity=3, readiness="level1")
    return b


def g_pledge_withdraw(M, s, v):
    return {"pledge": pledged(M, s, v)["pledge"], "reason": "troops recalled"}


def g_deployment_report(M, s, v):
    return {"pledge": pledged(M, s, v)["pledge"], "deployed": 1, "sector": "north",
            "as_of": iso(-60)}


def g_weapon_handover(M, s, v):
    return {"record": new("w"), "category": "small_arm", "description": "assault rifle",
            "quantity": 1, "place": M.cp, "make": "Kalashnikov", "model": "AKM",
            "calibre": "7.62x39", "serial": new("sn")}


def handed_over(M):
    b = g_weapon_handover(M, None, None)
    M.sub("h-ver1", "weapon.handover", b)
    return b["record"]


def g_weapon_attest(M, s, v):
    return {"record": handed_over(M), "stage": "handover", "result": "confirmed"}


def g_weapon_move(M, s, v):
    return {"record": handed_over(M), "to_place": M.depot}


def g_weapon_destroy(M, s, v):
    rec = handed_over(M)
    M.sub("h-ver2", "weapon.attest", {"record": rec, "stage": "handover", "result": "confirmed"})
    return {"record": rec, "method": "cutting", "place": M.depot}


def g_benchmark_define(M, s, v):
    return {"benchmark": new("bm"), "description": "small arms decommissioned",
            "categories": ["small_arm", "light_weapon"], "target": 500, "due": iso(90 * DAY)}


def g_benchmark_assess(M, s, v):
    b = g_benchmark_define(M, s, v)
    M.sub("cell", "benchmark.define", b)
    return {"benchmark": b["benchmark"], "note": "on track"}


def alert_of_another(M):
    """The key of a new alert that concerns h-insp and h-hum only: a
    transfer entered to h-hum."""
    _, t = M.entered("h-hum")
    return "transfer_pending/" + t


def alert_body(M, s, v, **extra):
    """An alert about the signer ("own": its loss rate, which need not be
    raised) or about other orgs."""
    b = {"alert": "loss_rate/" + s if v == "own" else alert_of_another(M)}
    b.update(extra)
    return b


def g_alert_acknowledge(M, s, v):
    return alert_body(M, s, v, note="looking into it")


def g_alert_assign(M, s, v):
    return alert_body(M, s, v, to="h-hum")


def g_alert_resolve(M, s, v):
    return alert_body(M, s, v, note="counted again: all there")


GENERATORS = {name[2:].replace("_", ".", 1): f for name, f in globals().items()
              if name.startswith("g_")}


# ---- the table ------------------------------------------------------------------


def load_table():
    with open(TABLE) as f:
        return json.load(f)


def protocol_roles():
    """{type: role cell} from docs/protocol.md section 3."""
    with open(os.path.join(os.path.dirname(os.path.dirname(rl.HERE)), "docs",
                           "protocol.md")) as f:
        text = f.read()
    sec = text[text.index("## 3."):text.index("## 4.")]
    return {m.group(1): m.group(2).strip()
            for m in re.finditer(r"^\| `([a-z]+\.[a-z]+)` \|([^|]*)\|", sec, re.M)}


def source_types():
    """The type names the server's source lists: the domains' tables
    (`ev_<domain>_types[] = {...}`) that src/event/types.c joins (None
    when the source is not beside the tests)."""
    src = os.path.join(os.path.dirname(os.path.dirname(rl.HERE)), "src", "event")
    try:
        with open(os.path.join(src, "types.c")) as f:
            domains = set(re.findall(r"\b(ev_\w+_types)\b", f.read()))
        listed, defs = set(), {}
        for name in os.listdir(src):
            if name.endswith(".c"):
                with open(os.path.join(src, name)) as f:
                    text = f.read()
                defs.update(re.findall(r"const ev_type (ev_\w+)\s*=\s*\{\s*\"([a-z.]+)\"", text))
                for table, body in re.findall(r"const ev_type \*const (ev_\w+_types)\[\]\s*=\s*\{([^}]*)\}", text):
                    if table in domains:
                        listed.update(re.findall(r"&(ev_\w+)", body))
    except OSError:
        return None
    return {defs.get(v, v) for v in listed}


def cells_of(spec):
    """[(signer label, variant, expected outcome)] of one type."""
    out = []
    if spec.get("one_org"):
        for role in ROLES:
            if role in spec["one_org_roles"]:
                out.append((role, "own", "ok"))
            out.append((role, "other", "forbidden"))
        out += [("suspended", "other", "org_suspended"), ("revoked key", "other", "key_revoked")]
        return out
    allowed = set(spec["roles"])
    for role in ROLES:
        out.append((role, "role", "ok" if role in allowed else "forbidden"))
    out += [("suspended", "role", "org_suspended"), ("revoked key", "role", "key_revoked")]
    if spec.get("self"):
        for role in ROLES:
            out.append((role, "self", "ok"))
        out += [("suspended", "self", "org_suspended"), ("revoked key", "self", "key_revoked")]
    if spec.get("not_own"):
        out.append(("the record's org", "own", "forbidden"))
    if spec.get("concerned"):
        for role in ROLES:
            out.append((role, "own", "ok"))
    return out


def expected_field(spec, label, variant, expect):
    """The error's field of a refused cell: the key for a revoked key, the
    org for a suspended one; for forbidden, "type" when the signer's role
    may not write the type at all, "org" when it may but the thing is
    another org's (docs/protocol.md 2)."""
    if expect == "key_revoked":
        return "signatures[0].keyid"
    if expect == "org_suspended":
        return "org"
    if spec.get("concerned"):
        return "org"
    if variant == "own" or (variant == "other" and label in spec["one_org_roles"]):
        return "org"
    return "type"


def signer_org(label):
    return {"suspended": SUSP, "revoked key": REVK, "the record's org": "h-ver1"}.get(
        label, "r-" + label)


class TableTest(unittest.TestCase):

    def test_table_matches_the_protocol(self):
        table = load_table()
        self.assertEqual(table["roles"], ROLES)
        proto = protocol_roles()
        self.assertGreater(len(proto), 30)
        mine = {t["type"]: t for t in table["types"]}
        self.assertEqual(len(mine), len(table["types"]), "a type twice in authority.json")
        self.assertEqual(sorted(mine), sorted(proto), "authority.json and docs/protocol.md 3 differ")
        for name, spec in mine.items():
            self.assertEqual(spec["protocol_role"], proto[name], name)
            self.assertIn(name, GENERATORS, "no body generator for " + name)
            for r in spec.get("roles", []) + spec.get("one_org_roles", []):
                self.assertIn(r, ROLES, name)
            self.assertTrue(spec.get("roles") or spec.get("one_org"), name)

    def test_server_types_are_in_the_table(self):
        st = source_types()
        if st is None:
            self.skipTest("src/event/types.c is not beside the tests")
        self.assertGreater(len(st), 10)
        mine = {t["type"] for t in load_table()["types"]}
        self.assertEqual(st - mine, set(), "types the server has that the matrix lacks")


class AuthorityMatrix(unittest.TestCase):

    @classmethod
    def setUpClass(cls):
        cls.L = ct.Log()
        cls.addClassCleanup(cls.L.close)
        cls.L.start()
        cls.M = Matrix(cls.L)
        cls.grid = {}  # (type + variant, signer label) -> what happened

    @classmethod
    def tearDownClass(cls):
        rows = sorted({k[0] for k in cls.grid}, key=lambda r: (
            [t["type"] for t in load_table()["types"]].index(r.split(" ")[0]), r))
        cols = ROLES + ["suspended", "revoked key", "the record's org"]
        abbrev = {"ok": "ok", "forbidden": "F", "org_suspended": "S", "key_revoked": "R",
                  "skip": "-"}
        lines = ["%-26s %s" % ("", " ".join("%-5s" % c[:5] for c in cols))]
        for row in rows:
            lines.append("%-26s %s" % (row, " ".join(
                "%-5s" % abbrev.get(cls.grid.get((row, c), ""), cls.grid.get((row, c), "")[:5])
                for c in cols)))
        rl.report("authority", "the matrix as answered (ok appended; F forbidden, S "
                  "org_suspended, R key_revoked; - not implemented; anything else: wrong):\n" +
                  "\n".join(lines))
        if cls.L.server:
            status, out = cls.L.stop()
            if status != 0:
                raise AssertionError("cmcc serve exited %r: %s" % (status, out))

    def test_matrix(self):
        L, M = self.L, self.M
        skipped = {}
        implemented = source_types()
        for spec in load_table()["types"]:
            type_ = spec["type"]
            gen = GENERATORS[type_]
            for label, variant, expect in cells_of(spec):
                row = type_ + ("" if variant in ("role",) else " (%s)" % variant)
                with self.subTest(type=type_, signer=label, variant=variant):
                    if type_ in skipped:
                        self.grid[(row, label)] = "skip"
                        self.skipTest(skipped[type_])
                    org = signer_org(label)
                    try:
                        body = gen(M, org, variant)
                        before = L.size()
                        r, env = L.submit(M.signing_key(org), type_, body, org=org)
                        if unimplemented(r, type_):
                            raise Unimplemented(r.json["error"]["message"])
                    except Unimplemented as e:
                        skipped[type_] = "not implemented by the server yet: %s" % e
                        self.grid[(row, label)] = "skip"
                        if implemented is not None and type_ in implemented:
                            self.fail("%s is in the server's source but refused: %s" % (type_, e))
                        self.skipTest(skipped[type_])
                    after = L.size()
                    if expect == "ok":
                        self.grid[(row, label)] = "ok" if r.status == 200 else (
                            rl.error_code(r.json) or str(r.status))
                        self.assertEqual(r.status, 200, "%s by %s (%s): %r; body %s" % (
                            type_, label, variant, r, json.dumps(body)))
                        self.assertEqual(r.json["index"], before)
                        self.assertFalse(r.json["duplicate"])
                        self.assertEqual(after, before + 1)
                    else:
                        code = rl.error_code(r.json) if r.status != 200 else "ok"
                        self.grid[(row, label)] = code
                        field = (r.json or {}).get("error", {}).get("field")
                        self.assertEqual((r.status, code, field),
                                         (HTTP[expect], expect,
                                          expected_field(spec, label, variant, expect)),
                                         "%s by %s (%s): %r" % (type_, label, variant, r))
                        self.assertEqual(after, before, "a refused event was appended")
        if skipped:
            rl.report("authority", "skipped, not implemented yet: %s" % ", ".join(sorted(skipped)))

    def test_zz_log_verifies(self):
        """After the matrix (tests run in name order): the log replays."""
        rl.stop_and_verify(self, self.L)


if __name__ == "__main__":
    ct.main()
