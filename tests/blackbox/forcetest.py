"""forcetest: what test_force.py and test_disarmament.py share.

Body builders for the force generation and disarmament events (docs/protocol.md 3
"Force generation", "Disarmament verification"), readers of their
projections (GET /v1/requirements, /v1/pledges, /v1/weapons,
/v1/benchmarks, /v1/stats), a runner for refusal cases given as data
(cases/force.json, cases/disarmament.json; cmcctest.add_case_tests makes
a test of each), and `cmcc report` helpers.
"""
import copy
import json
import re
import time

import cmcctest as ct

# ---- times -------------------------------------------------------------------
#
# Body times (needed_by, available_from/until, as_of, due) are fixed dates far
# from now where the test does not depend on the clock, so that a table
# worked out by hand stays true whenever the test runs; `hours_from_now` is
# for the cases where "now" matters (overdue benchmarks).


NEEDED_BY = "2030-06-01T00:00:00Z"
EARLY = "2030-01-01T00:00:00Z"

# ---- body builders -----------------------------------------------------------


def _opt(b, **extra):
    for k, v in extra.items():
        if v is not None:
            b[k] = v
    return b


def requirement_body(requirement, capability="infantry_company", quantity=1, tasks=("patrol",),
                     sector="north", needed_by=NEEDED_BY):
    return {"requirement": requirement, "capability": capability, "quantity": quantity,
            "tasks": list(tasks), "sector": sector, "needed_by": needed_by}


def pledge_body(pledge, capability="infantry_company", quantity=1, personnel=150,
                readiness="level2", caveats=(), sectors=None, available_from=EARLY,
                available_until=None):
    b = {"pledge": pledge, "capability": capability, "quantity": quantity,
         "personnel": personnel, "readiness": readiness, "caveats": list(caveats)}
    if sectors is not None:
        b["sectors"] = list(sectors)
    b["available_from"] = available_from
    return _opt(b, available_until=available_until)


def withdraw_body(pledge, reason="needed at home"):
    return {"pledge": pledge, "reason": reason}


def deployment_body(pledge, deployed, sector="north", as_of="2030-06-02T00:00:00Z"):
    return {"pledge": pledge, "deployed": deployed, "sector": sector, "as_of": as_of}


def handover_body(record, category="small_arm", quantity=1, place="cp1", description=None,
                  make=None, model=None, calibre=None, serial=None, lot=None):
    return _opt({"record": record, "category": category,
                 "description": description or "%s handed over" % category,
                 "quantity": quantity, "place": place},
                make=make, model=model, calibre=calibre, serial=serial, lot=lot)


def attest_body(record, stage="handover", result="confirmed", note=None):
    return _opt({"record": record, "stage": stage, "result": result}, note=note)


def move_body(record, to_place):
    return {"record": record, "to_place": to_place}


def destroy_body(record, method="cutting", place="range1"):
    return {"record": record, "method": method, "place": place}


def benchmark_body(benchmark, categories=("small_arm",), target=10, due=NEEDED_BY,
                   description=None):
    return {"benchmark": benchmark, "description": description or "benchmark " + benchmark,
            "categories": list(categories), "target": target, "due": due}


def assess_body(benchmark, note="on track"):
    return {"benchmark": benchmark, "note": note}


# ---- reading the projections -------------------------------------------------


def read_list(L, path, key):
    r = L.get(path)
    assert r.status == 200, (path, r)
    return r.json[key]


def requirements(L):
    """{requirement: the served requirement}."""
    return {x["requirement"]: x for x in read_list(L, "/v1/requirements", "requirements")}


def pledges(L):
    return {x["pledge"]: x for x in read_list(L, "/v1/pledges", "pledges")}


def weapons(L, query=""):
    return {x["record"]: x for x in read_list(L, "/v1/weapons" + ("?" + query if query else ""),
                                             "weapons")}


def benchmarks(L):
    return {x["benchmark"]: x for x in read_list(L, "/v1/benchmarks", "benchmarks")}


def stats(L):
    r = L.get("/v1/stats", token=None)
    assert r.status == 200, r
    return r.json


PROJECTIONS = ("/v1/requirements", "/v1/pledges", "/v1/weapons", "/v1/benchmarks")


def snapshot(L):
    """Everything a refused event must leave as it was: the log size, every
    force and disarmament projection, and the public stats (but as_of)."""
    snap = {"size": L.size()}
    for p in PROJECTIONS:
        r = L.get(p)
        assert r.status == 200, (p, r)
        snap[p] = r.json
    s = stats(L)
    s.pop("as_of", None)
    snap["stats"] = s
    return snap


# ---- refusal cases as data ---------------------------------------------------
#
# A case: {"name", "signer", "type", "body", "expect": {"status", "code",
# "field"}} and optionally "id", the event id (to reuse one the fixture
# used). Strings may hold $ID (a fresh identifier, the same within a case),
# $H(n) (now plus n hours, RFC 3339) and $REPEAT(c,N) (c N times).

PLACEHOLDER = re.compile(r"\$(ID|H\(([+-]?\d+)\)|REPEAT\((.),(\d+)\))")


def substitute(v, fresh, now):
    def one(m):
        if m.group(1) == "ID":
            return fresh
        if m.group(2) is not None:
            return ct.hours(int(m.group(2)), now)
        return m.group(3) * int(m.group(4))
    return ct.map_strings(v, lambda s: PLACEHOLDER.sub(one, s))


class CaseMixin:
    """run_case for a LogTestCase whose class has `fx` with `keys` {signer:
    Key} and `org_of` {signer: org}."""

    def run_case(self, case):
        L, fx = self.log, self.fx
        fresh = ct.new_id("n")
        body = substitute(copy.deepcopy(case["body"]), fresh, time.time())
        signer = case["signer"]
        before = snapshot(L)
        r, _ = L.submit(fx.keys[signer], case["type"], body, org=fx.org_of.get(signer, signer),
                        id_=case.get("id"))
        e = case["expect"]
        self.assertError(r, e["status"], e["code"], e.get("field"))
        after = snapshot(L)
        self.assertEqual(after["size"], before["size"], "the log grew")
        for k in before:
            self.assertEqual(after[k], before[k], k)
        if fresh in json.dumps(body):
            self.assertNotIn(fresh, json.dumps(after), "the fresh id names something")


# ---- accepting and refusing, with what must not move -------------------------


class FlowMixin:
    """ok/refused for a LogTestCase with self.k {org: Key}."""

    def ok(self, org, type_, body, id_=None):
        L = self.log
        size = L.size()
        r, _ = L.submit(self.k[org], type_, body, org=org, id_=id_)
        self.assertReceipt(r, index=size)
        return r.json

    def refused(self, org, type_, body, status, code, field=None):
        L = self.log
        before = snapshot(L)
        r, _ = L.submit(self.k[org], type_, body, org=org)
        self.assertError(r, status, code, field)
        self.assertEqual(snapshot(L), before)
        return r


def rebuilt_state_is_the_same(test):
    """Stops test.log's server, runs `cmcc rebuild DIR`, starts it again and
    checks that every force and disarmament projection and the stats are as
    they were (docs/protocol.md 4: the state is a pure function of the entries)."""
    L = test.log
    before = snapshot(L)
    status, out = L.stop()
    test.assertEqual(status, 0, out)
    r = ct.run("rebuild", L.dir, timeout=120)
    test.assertEqual(r.returncode, 0, r.stderr)
    L.start()
    test.assertEqual(snapshot(L), before)


# ---- cmcc report -------------------------------------------------------------


def report(L, what, fmt, source="dir"):
    """`cmcc report WHAT (DIR | --server URL --token T) --format FMT
    --no-color`: its stdout (the command must succeed)."""
    if source == "dir":
        args = [L.dir]
    else:
        args = ["--server", L.url, "--token", L.token]
    r = ct.run("report", what, *args, "--format", fmt, "--no-color")
    if r.returncode != 0:
        raise AssertionError("cmcc report %s %s --format %s exited %d: %s"
                             % (what, source, fmt, r.returncode, r.stderr))
    return r.stdout
