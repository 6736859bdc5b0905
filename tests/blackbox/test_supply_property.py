#!/usr/bin/python3
"""A property test of the supply ledger (docs/protocol.md 3 "Supply", 4).

A generator driven by a seeded random.Random writes thousands of random
event sequences, valid and invalid mixed, and sends them to a real server in
NDJSON batches of up to 1,000 lines. Each sequence lives on its own fresh
consignment: it declares it, screens it, lets it enter in parts, moves it
between orgs, accepts with shortfalls, rejects, distributes, loses and
settles, with random quantities, random orgs, wrong roles, unknown ids,
over-spending, repeated and conflicting submissions. The sequences are
spread over several servers (fresh logs), each with its own seed; on one
server they all run side by side, one event each per batch, so a batch
holds up to 1,000 lines (about 375 by default) and a server sees about thirty batches. A few
coordinator events at the head of a batch suspend and reinstate orgs and
close and reopen a crossing under them.

The generator keeps a model of the state (`World`) that it updates only
with the events the server accepted, and before sending it predicts each
event's answer with its own reading of the rules. Checked:

  after every batch
    - every answer is the predicted one (receipt, duplicate, or error code);
      receipts take consecutive indexes and the log grows by exactly the
      accepted events;
    - GET /v1/consignments: every consignment's status and totals are the
      model's;
    - refused events changed nothing: a sample of the consignments whose
      event was refused is read in full (GET /v1/consignments/<id>) before
      and after the batch, and must be identical;
  at the end
    - for every consignment and line: the accounts are the model's, none is
      negative, and entered == sum(accounts);
    - `cmcc verify DIR` passes (server stopped);
    - every projection, over HTTP (/v1/consignments, each
      /v1/consignments/<id>, /v1/reconciliation, /v1/orgs, /v1/places,
      /v1/stats and /v1/alerts?at= without their as_of, the CSV exports) and
      as SQLite tables, is identical after `cmcc rebuild DIR`;
    - a tampered accounts row is found by `cmcc verify` (exit 1, naming the
      table and the entry) and put back by `cmcc rebuild`.

CMCC_PROPERTY_SEED (default 20251120; server i uses SEED + i),
CMCC_PROPERTY_SEQUENCES (default 3000) and CMCC_PROPERTY_SERVERS (default 8)
change the run; the seed is printed in every failure, and
CMCC_PROPERTY_VERBOSE=1 prints the answers by type. Why several servers:
the end checks read every consignment twice.
"""
import os
import random
import sqlite3
import sys
import time
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import cmcctest as ct  # noqa: E402

SEED = int(os.environ.get("CMCC_PROPERTY_SEED", "20251120"))
SEQUENCES = int(os.environ.get("CMCC_PROPERTY_SEQUENCES", "3000"))
SERVERS = int(os.environ.get("CMCC_PROPERTY_SERVERS", "8"))
BATCH = 1000
SAMPLE = 8  # consignments read in full before and after each batch

HUM, TRANS, INSP, COORD, MIL, MON = ("humanitarian", "transporter", "inspector", "coordinator",
                                     "military", "monitor")
ORGS = {
    "cell": {COORD}, "h1": {HUM}, "h2": {HUM}, "h3": {HUM}, "ht": {HUM, TRANS},
    "t1": {TRANS}, "t2": {TRANS}, "i1": {INSP}, "i2": {INSP}, "m1": {MIL}, "mo1": {MON},
}
FLAKY_ORGS = ["h3", "t2", "i2"]   # suspended and reinstated along the way
GHOST = "ghost"                   # never admitted
PLACES = {"X1": "crossing", "X2": "crossing", "W1": "warehouse", "D1": "distribution_point",
          "D2": "distribution_point"}
FLAKY_PLACE = "X2"                # closed and reopened along the way
TYPE_ROLES = {
    "consignment.declare": {HUM}, "consignment.screen": {INSP}, "consignment.enter": {INSP},
    "custody.transfer": {HUM, TRANS}, "custody.accept": {HUM, TRANS},
    "custody.reject": {HUM, TRANS}, "distribution.record": {HUM},
    "loss.report": {HUM, TRANS, COORD},
}
CATEGORIES = ["food", "health", "shelter", "wash", "fuel", "education", "logistics", "other"]
UNITS = ["kg", "bag", "carton", "kit", "unit", "litre"]
CAUSES = ["looted", "intercepted", "damaged", "spoiled", "expired", "returned", "other"]
REASONS = ["dual_use", "damaged", "expired", "documentation", "other"]

OK, DUP = "ok", "duplicate"
RV, BR, FB, SUSP, CONFLICT = "rule_violation", "bad_request", "forbidden", "org_suspended", \
    "conflict"


# ---- the model ---------------------------------------------------------------


class Cons:
    def __init__(self, crossing, declarer, consignee, lines):
        self.crossing, self.declarer, self.consignee = crossing, declarer, consignee
        self.declared = dict(lines)                 # line -> declared
        self.approved = None                        # line -> approved, once screened
        self.entered = {n: 0 for n in lines}
        self.acc = {n: {} for n in lines}           # line -> account -> qty (> 0)

    def bal(self, n, account):
        return self.acc.get(n, {}).get(account, 0)

    def move(self, n, frm, to, q):
        a = self.acc[n]
        if frm:
            a[frm] = a.get(frm, 0) - q
            assert a[frm] >= 0, "the model went negative"
            if not a[frm]:
                del a[frm]
        else:
            self.entered[n] += q
        if to:
            a[to] = a.get(to, 0) + q
        else:
            self.entered[n] -= q

    def totals(self):
        t = dict(declared=sum(self.declared.values()),
                 approved=sum((self.approved or {}).values()),
                 entered=sum(self.entered.values()), held=0, pending=0, distributed=0, lost=0,
                 unaccounted=0)
        for a in self.acc.values():
            for k, q in a.items():
                t[k.split(":")[0]] += q
        if self.approved is None:
            st = "declared"
        elif t["approved"] == 0:
            st = "refused"
        elif t["entered"] == 0:
            st = "screened"
        elif t["pending"]:
            st = "in_transit"
        elif t["held"]:
            st = "in_custody"
        elif t["entered"] < t["approved"]:
            st = "entering"
        else:
            st = "completed"
        t["status"] = st
        t["lines"] = len(self.declared)
        return t


class Transfer:
    def __init__(self, cid, frm, to, entry, lines):
        self.cid, self.frm, self.to, self.entry = cid, frm, to, entry
        self.lines = dict(lines)    # line -> sent
        self.status = "pending"


class World:
    """What the server should hold, from the events it accepted."""

    def __init__(self):
        self.roles = {o: set(r) for o, r in ORGS.items()}
        self.suspended = set()
        self.kind = dict(PLACES)
        self.closed = set()
        self.cons = {}
        self.transfers = {}
        self.dists, self.losses = set(), set()

    def receiver_ok(self, org):
        return (org in self.roles and org not in self.suspended
                and bool(self.roles[org] & {HUM, TRANS}))

    # The rules, in the order cmcc checks them (src/event/supply.c): returns
    # the expected answer's code, OK for an accepted event.
    def judge(self, signer, type_, b):
        if not self.roles[signer] & TYPE_ROLES[type_]:
            return FB
        if signer in self.suspended:
            return SUSP
        return getattr(self, "j_" + type_.replace(".", "_"))(signer, b)

    @staticmethod
    def lines_of(b, key="lines"):
        return [(l["line"], l.get("quantity")) for l in b[key]]

    def j_consignment_declare(self, signer, b):
        if b["consignment"] in self.cons:
            return RV
        if self.kind.get(b["crossing"]) != "crossing":
            return RV
        if "consignee" in b and not self.receiver_ok(b["consignee"]):
            return RV
        seen = set()
        for n, _ in self.lines_of(b):
            if n in seen:
                return BR
            seen.add(n)
        return OK

    def j_consignment_screen(self, signer, b):
        c = self.cons.get(b["consignment"])
        if c is None or c.approved is not None:
            return RV
        ds = b["decisions"]
        if len(ds) != len(c.declared):
            return RV
        seen = set()
        for d in ds:
            if d["line"] in seen:
                return BR
            seen.add(d["line"])
            if d["line"] not in c.declared:
                return RV
            if d["approved"] > c.declared[d["line"]]:
                return RV
            if d["approved"] < c.declared[d["line"]] and "reason" not in d:
                return RV
        return OK

    def j_consignment_enter(self, signer, b):
        c = self.cons.get(b["consignment"])
        if c is None or c.approved is None:
            return RV
        if b["crossing"] != c.crossing or b["crossing"] in self.closed:
            return RV
        if b["transfer"] in self.transfers or not self.receiver_ok(b["to"]):
            return RV
        seen = set()
        for n, q in self.lines_of(b):
            if n in seen:
                return BR
            seen.add(n)
            if n not in c.declared:
                return RV
            if c.entered[n] + q > c.approved[n]:
                return RV
        return OK

    def spend(self, c, lines, account):
        seen = set()
        for n, q in lines:
            if n in seen:
                return BR
            seen.add(n)
            if n not in c.declared:
                return RV
            if c.bal(n, account) < q:
                return RV
        return OK

    def j_custody_transfer(self, signer, b):
        if b["transfer"] in self.transfers:
            return RV
        c = self.cons.get(b["consignment"])
        if c is None:
            return RV
        if b["to"] == signer or not self.receiver_ok(b["to"]):
            return RV
        if "place" in b and b["place"] not in self.kind:
            return RV
        return self.spend(c, self.lines_of(b), "held:" + signer)

    def pending_for(self, signer, b):
        t = self.transfers.get(b["transfer"])
        if t is None:
            return RV
        if t.to != signer:
            return FB
        if t.status != "pending":
            return RV
        return OK

    def j_custody_accept(self, signer, b):
        r = self.pending_for(signer, b)
        if r != OK:
            return r
        t = self.transfers[b["transfer"]]
        if len(b["lines"]) != len(t.lines):
            return RV
        seen = set()
        for l in b["lines"]:
            if l["line"] not in t.lines:
                return RV
            if l["line"] in seen:
                return BR
            seen.add(l["line"])
            if l["received"] > t.lines[l["line"]]:
                return RV
        return OK

    def j_custody_reject(self, signer, b):
        return self.pending_for(signer, b)

    def j_distribution_record(self, signer, b):
        if b["distribution"] in self.dists:
            return RV
        c = self.cons.get(b["consignment"])
        if c is None or self.kind.get(b["place"]) != "distribution_point":
            return RV
        return self.spend(c, self.lines_of(b), "held:" + signer)

    def j_loss_report(self, signer, b):
        if b["loss"] in self.losses:
            return RV
        whose = b.get("org", signer)
        if whose != signer and (COORD not in self.roles[signer] or b["from"] != "unaccounted"):
            return FB
        c = self.cons.get(b["consignment"])
        if c is None:
            return RV
        return self.spend(c, self.lines_of(b), "%s:%s" % (b["from"], whose))

    # What an accepted event does.
    def apply(self, signer, type_, b):
        if type_ == "consignment.declare":
            self.cons[b["consignment"]] = Cons(
                b["crossing"], signer, b.get("consignee", signer),
                {l["line"]: l["quantity"] for l in b["lines"]})
        elif type_ == "consignment.screen":
            self.cons[b["consignment"]].approved = {d["line"]: d["approved"]
                                                    for d in b["decisions"]}
        elif type_ == "consignment.enter":
            c = self.cons[b["consignment"]]
            self.transfers[b["transfer"]] = Transfer(b["consignment"], signer, b["to"], True,
                                                     self.lines_of(b))
            for n, q in self.lines_of(b):
                c.move(n, None, "pending:" + b["transfer"], q)
        elif type_ == "custody.transfer":
            c = self.cons[b["consignment"]]
            self.transfers[b["transfer"]] = Transfer(b["consignment"], signer, b["to"], False,
                                                     self.lines_of(b))
            for n, q in self.lines_of(b):
                c.move(n, "held:" + signer, "pending:" + b["transfer"], q)
        elif type_ == "custody.accept":
            t = self.transfers[b["transfer"]]
            c = self.cons[t.cid]
            t.status = "accepted"
            for l in b["lines"]:
                n, got = l["line"], l["received"]
                sent = t.lines[n]
                if got:
                    c.move(n, "pending:" + b["transfer"], "held:" + t.to, got)
                if sent > got:
                    c.move(n, "pending:" + b["transfer"], "unaccounted:" + t.frm, sent - got)
        elif type_ == "custody.reject":
            t = self.transfers[b["transfer"]]
            c = self.cons[t.cid]
            t.status = "rejected"
            for n, sent in t.lines.items():
                c.move(n, "pending:" + b["transfer"], None if t.entry else "held:" + t.frm, sent)
        elif type_ == "distribution.record":
            self.dists.add(b["distribution"])
            c = self.cons[b["consignment"]]
            for n, q in self.lines_of(b):
                c.move(n, "held:" + signer, "distributed", q)
        elif type_ == "loss.report":
            self.losses.add(b["loss"])
            c = self.cons[b["consignment"]]
            whose = b.get("org", signer)
            for n, q in self.lines_of(b):
                c.move(n, "%s:%s" % (b["from"], whose), "lost:" + b["cause"], q)
        else:
            raise AssertionError(type_)


# ---- the generator -----------------------------------------------------------


class Sequence:
    """One consignment's random life."""

    def __init__(self, no, rng, world, steps):
        self.no, self.rng, self.w = no, rng, world
        self.cid = "c%d" % no
        self.steps = steps
        self.k = 0
        self.accepted = []   # (event id, org, envelope bytes, index) of accepted events
        self.my_transfers = []

    def fresh(self, prefix):
        self.k += 1
        return "%s%d-%d" % (prefix, self.no, self.k)

    def pick(self, seq):
        return self.rng.choice(list(seq))

    def quantity(self, have, p_over=0.15):
        """Mostly 1..have, sometimes more than have."""
        r = self.rng
        if have <= 0 or r.random() < p_over:
            return max(1, have) + r.randint(1, 5) if have > 0 else r.randint(1, 20)
        return r.randint(1, have)

    def receiver(self):
        r = self.rng
        if r.random() < 0.85:
            return self.pick(["h1", "h2", "h3", "ht", "t1", "t2"])
        return self.pick(["i1", "m1", "mo1", "cell", GHOST])

    def signer(self, good):
        """Mostly one of `good`, sometimes any org."""
        if self.rng.random() < 0.9 and good:
            return self.pick(good)
        return self.pick(ORGS)

    def holders(self, c, kind="held"):
        out = set()
        for a in c.acc.values():
            for acct, q in a.items():
                if acct.startswith(kind + ":") and q > 0:
                    out.add(acct.split(":", 1)[1])
        return sorted(out)

    def next_event(self):
        """(signer, type, body) or ("resend", envelope) / ("conflict", ...)."""
        self.steps -= 1
        w, r = self.w, self.rng
        c = w.cons.get(self.cid)
        if c is None:
            return self.declare()
        if c.approved is None and r.random() < 0.85:
            return self.screen(c)
        x = r.random()
        if x < 0.03 and self.accepted:
            return ("resend",)
        if x < 0.05 and self.accepted:
            return ("conflict",)
        if x < 0.08:
            return self.junk(c)
        if x < 0.10:
            return self.unknown(c)
        # the rest by what the consignment's state makes possible
        pending = any(w.transfers[t].status == "pending" for t in self.my_transfers
                      if t in w.transfers)
        held = self.holders(c)
        left = c.approved and any(c.entered[n] < c.approved[n] for n in c.declared)
        owed = self.holders(c, "unaccounted")
        choices = [("enter", 3 if left else 0.4), ("accept", 5 if pending else 0.3),
                   ("reject", 1.2 if pending else 0.2), ("transfer", 3 if held else 0.3),
                   ("distribute", 3 if held else 0.3), ("loss", 1.5 if held or owed else 0.3)]
        y = r.random() * sum(wt for _, wt in choices)
        for what, wt in choices:
            y -= wt
            if y < 0:
                break
        if what == "enter":
            return self.enter(c)
        if what in ("accept", "reject"):
            return self.close_transfer(c, what == "accept")
        return getattr(self, what)(c)

    def declare(self):
        r = self.rng
        lines = {}
        for n in r.sample(range(1, 9), r.randint(1, 4)):
            lines[n] = r.randint(1, 300)
        ls = [{"line": n, "item": "item %d" % n, "category": self.pick(CATEGORIES),
               "quantity": q, "unit": self.pick(UNITS)} for n, q in lines.items()]
        if r.random() < 0.05:
            ls.append(dict(ls[0], quantity=1))  # a line number twice
        crossing = self.pick(["X1", "X2"]) if r.random() < 0.9 else self.pick(["W1", "D1", "X9"])
        b = ct.declare_body(self.cid, crossing, ls)
        if r.random() < 0.25:
            b["consignee"] = self.receiver()
        return self.signer(["h1", "h2", "h3", "ht"]), "consignment.declare", b

    def screen(self, c):
        r = self.rng
        ds = []
        for n, dq in c.declared.items():
            y = r.random()
            if y < 0.6:
                ds.append({"line": n, "approved": dq})
            elif y < 0.93:
                d = {"line": n, "approved": r.randint(0, dq)}
                if d["approved"] < dq and r.random() < 0.9:
                    d["reason"] = self.pick(REASONS)
                ds.append(d)
            else:
                ds.append({"line": n, "approved": dq + r.randint(1, 3), "reason": "other"})
        y = r.random()
        if y < 0.04 and len(ds) > 1:
            ds.pop(r.randrange(len(ds)))
        elif y < 0.07:
            ds.append({"line": 99, "approved": 1})
        elif y < 0.09:
            ds.append(dict(ds[0]))
        r.shuffle(ds)
        cid = self.cid if r.random() < 0.97 else "nx-" + self.cid
        return self.signer(["i1", "i2"]), "consignment.screen", {"consignment": cid,
                                                                "decisions": ds}

    def some_lines(self, c):
        ns = list(c.declared)
        return self.rng.sample(ns, self.rng.randint(1, len(ns)))

    def enter(self, c):
        r = self.rng
        q = {}
        for n in self.some_lines(c):
            left = (c.approved or {}).get(n, c.declared[n]) - c.entered[n]
            q[n] = self.quantity(left, 0.1)
        t = self.fresh("T")
        if self.my_transfers and r.random() < 0.05:
            t = self.pick(self.my_transfers)
        crossing = c.crossing if r.random() < 0.93 else self.pick(["X1", "X2", "W1"])
        to = self.receiver()
        self.my_transfers.append(t)
        return self.signer(["i1", "i2"]), "consignment.enter", ct.enter_body(self.cid, t,
                                                                              crossing, to, q)

    def close_transfer(self, c, accept):
        r = self.rng
        mine = [tid for tid in self.my_transfers if tid in self.w.transfers]
        pending = [tid for tid in mine if self.w.transfers[tid].status == "pending"]
        if pending and r.random() < 0.9:
            tid = self.pick(pending)
        elif mine:
            tid = self.pick(mine)
        else:
            tid = self.fresh("T")
        t = self.w.transfers.get(tid)
        signer = t.to if t and r.random() < 0.85 else self.pick(ORGS)
        if not accept:
            return signer, "custody.reject", ct.reject_body(tid, "reason %d" % r.randint(1, 9))
        lines = dict(t.lines) if t else {1: 1}
        got = {}
        for n, sent in lines.items():
            y = r.random()
            got[n] = sent if y < 0.6 else r.randint(0, sent) if y < 0.93 else sent + 1
        items = sorted(got.items())
        if r.random() < 0.05 and len(items) > 1:
            items.pop()
        r.shuffle(items)
        return signer, "custody.accept", {"transfer": tid, "lines": [
            {"line": n, "received": q} for n, q in items]}

    def spender(self, c, good):
        holders = [h for h in self.holders(c) if h in good]
        if holders and self.rng.random() < 0.85:
            return self.pick(holders)
        return self.pick(ORGS)

    def spend_lines(self, c, signer, account=None):
        """Some lines, mostly of those the account has a balance on."""
        q = {}
        account = account or "held:" + signer
        have = [n for n in c.declared if c.bal(n, account) > 0]
        if have and self.rng.random() < 0.85:
            ns = self.rng.sample(have, self.rng.randint(1, len(have)))
        else:
            ns = self.some_lines(c)
        for n in ns:
            q[n] = self.quantity(c.bal(n, account))
        return q

    def transfer(self, c):
        r = self.rng
        signer = self.spender(c, ["h1", "h2", "h3", "ht", "t1", "t2"])
        to = self.receiver()
        if r.random() < 0.05:
            to = signer
        t = self.fresh("T")
        if self.my_transfers and r.random() < 0.04:
            t = self.pick(self.my_transfers)
        self.my_transfers.append(t)
        place = None
        if r.random() < 0.5:
            place = self.pick(["W1", "D1", "X1", "W1", "W9"])
        return signer, "custody.transfer", ct.transfer_body(t, self.cid, to,
                                                            self.spend_lines(c, signer), place)

    def distribute(self, c):
        r = self.rng
        signer = self.spender(c, ["h1", "h2", "h3", "ht"])
        place = self.pick(["D1", "D2"]) if r.random() < 0.9 else self.pick(["W1", "X1", "D9"])
        d = self.fresh("D") if r.random() < 0.97 or not self.w.dists else "D%d-%d" % (self.no, 1)
        return signer, "distribution.record", ct.distribution_body(
            d, self.cid, place, self.spend_lines(c, signer),
            households=r.randint(0, 500) if r.random() < 0.5 else None)

    def loss(self, c):
        r = self.rng
        lid = self.fresh("L")
        cause = self.pick(CAUSES)
        y = r.random()
        if y < 0.5:
            signer = self.spender(c, ["h1", "h2", "h3", "ht", "t1", "t2"])
            return signer, "loss.report", ct.loss_body(lid, self.cid, cause, "held",
                                                       self.spend_lines(c, signer))
        owing = self.holders(c, "unaccounted")
        whose = self.pick(owing) if owing and r.random() < 0.85 else self.pick(ORGS)
        acct = "unaccounted:" + whose
        if y < 0.7:   # the org itself
            signer = whose if r.random() < 0.8 else self.pick(ORGS)
            org = whose if r.random() < 0.2 else None
            return signer, "loss.report", ct.loss_body(lid, self.cid, cause, "unaccounted",
                                                       self.spend_lines(c, whose, acct), org=org)
        if y < 0.93:  # the coordinator settles it
            return "cell", "loss.report", ct.loss_body(lid, self.cid, cause, "unaccounted",
                                                       self.spend_lines(c, whose, acct),
                                                       org=whose)
        # someone writes off another org's held or unaccounted: forbidden
        holder = self.pick(self.holders(c) or ["h1"])
        signer = self.pick(["cell", "h1", "t1", "ht"])
        src = self.pick(["held", "unaccounted"])
        return signer, "loss.report", ct.loss_body(lid, self.cid, cause, src,
                                                   self.spend_lines(c, holder, src + ":" + holder),
                                                   org=holder if holder != signer else "h2")

    def junk(self, c):
        """Bodies the schema refuses (bad_request), whoever signs."""
        r = self.rng
        signer, type_, b = self.transfer(c)
        y = r.random()
        if y < 0.4:
            b["lines"][0]["quantity"] = -r.randint(0, 3)
        elif y < 0.7:
            b["colour"] = "red"
        else:
            b["lines"] = []
        return signer, type_, b, BR

    def unknown(self, c):
        """Ids that name nothing."""
        r = self.rng
        y = r.random()
        if y < 0.3:
            signer, type_, b = self.distribute(c)
            b["consignment"] = "nx-" + self.cid
        elif y < 0.6:
            signer, type_, b = self.loss(c)
            b["consignment"] = "nx-" + self.cid
        elif y < 0.8:
            signer = self.pick(["h1", "t1", "ht"])
            type_, b = "custody.accept", ct.accept_body("nx-" + self.fresh("T"), {1: 1})
        else:
            signer = self.pick(["h1", "t1", "ht"])
            type_, b = "custody.reject", ct.reject_body("nx-" + self.fresh("T"))
        return signer, type_, b


# ---- the test ----------------------------------------------------------------


def dump_tables(path, tables):
    """Every row of every table, sorted: {table: [row, ...]}."""
    db = sqlite3.connect("file:%s?mode=ro" % path, uri=True)
    try:
        return {t: sorted(db.execute("SELECT * FROM %s" % t).fetchall(), key=repr)
                for t in tables}
    finally:
        db.close()


TABLES = ["consignments", "lines", "accounts", "movements", "transfers", "transfer_lines",
          "distributions", "losses", "consignment_events", "orgs", "keys", "places", "event_ids"]


class SupplyProperty(unittest.TestCase):

    def start_world(self, seed):
        """A new log and server, its orgs and places, and a model of it."""
        self.seed = seed
        self.log = ct.Log()
        self.addCleanup(self.log.close)
        self.log.start()
        self.rng = random.Random(seed)
        self.world = World()
        L = self.log
        self.keys = {"cell": L.coord}
        for org, roles in ORGS.items():
            if org != "cell":
                self.keys[org] = L.admit(org, sorted(roles))[0]
        for p, kind in PLACES.items():
            L.define_place(p, kind)
        self.t0 = time.time()

    def msg(self, text):
        return "seed %d: %s" % (self.seed, text)

    def sign(self, signer, type_, body):
        t = self.t0 - self.rng.randint(0, 5 * 86400)
        ev = ct.event(type_, body, signer, t=ct.rfc3339(t))
        return ev, ct.signed(self.keys[signer], ev)

    def global_events(self):
        """Coordinator events at the head of a batch: suspend or reinstate a
        flaky org, close or open the flaky crossing. Always accepted."""
        w, r, out = self.world, self.rng, []
        for org in FLAKY_ORGS:
            if r.random() < 0.08:
                if org in w.suspended:
                    out.append(("org.reinstate", {"org": org}))
                    w.suspended.discard(org)
                else:
                    out.append(("org.suspend", {"org": org, "reason": "audit"}))
                    w.suspended.add(org)
        if r.random() < 0.08:
            closed = FLAKY_PLACE in w.closed
            out.append(("place.status", {"place": FLAKY_PLACE,
                                         "status": "open" if closed else "closed"}))
            (w.closed.discard if closed else w.closed.add)(FLAKY_PLACE)
        return out

    def test_random_sequences(self):
        """SEQUENCES sequences over SERVERS servers, each with its own seed."""
        per = -(-SEQUENCES // SERVERS)
        total = {}
        for i in range(SERVERS):
            n = min(per, SEQUENCES - i * per)
            if n <= 0:
                break
            with self.subTest(server=i, seed=SEED + i):
                self.start_world(SEED + i)
                stats = self.run_world(n)
                for k, v in stats.items():
                    total[k] = total.get(k, 0) + v
                self.log.close()
        print("seed %d..: %d sequences on %d servers: %s"
              % (SEED, SEQUENCES, SERVERS, total), file=sys.stderr)

    def run_world(self, sequences):
        L, w, r = self.log, self.world, self.rng
        seqs, started = [], 0
        size = L.size()
        stats = {"events": 0, "accepted": 0, "refused": 0, "duplicate": 0, "batches": 0,
                 "sampled": 0}
        codes, by_type = {}, {}
        timing = {"generate": 0.0, "post": 0.0, "check": 0.0}
        while started < sequences or seqs:
            while started < sequences and len(seqs) < BATCH - len(FLAKY_ORGS) - 1:
                seqs.append(Sequence(started, r, w, r.randint(8, 30)))
                started += 1
            t_gen = time.monotonic()
            # the batch: global events first, then one event per sequence
            lines, plan = [], []
            for type_, body in self.global_events():
                _, env = self.sign("cell", type_, body)
                lines.append(env)
                plan.append((None, "cell", type_, body, OK, None))
            for s in seqs:
                g = s.next_event()
                if g[0] == "resend":
                    eid, org, env, index = r.choice(s.accepted)
                    lines.append(env)
                    plan.append((s, org, "resend", None, DUP, index))
                    continue
                if g[0] == "conflict":
                    eid, org, env, index = r.choice(s.accepted)
                    _, type_, body = s.transfer(w.cons[s.cid]) if s.cid in w.cons \
                        else s.declare()
                    ev = ct.event(type_, body, org, id_=eid)
                    lines.append(ct.signed(self.keys[org], ev))
                    # the signer's right to write the type is judged before
                    # its ids are looked at (docs/protocol.md, order of checks)
                    expect = CONFLICT if ORGS[org] & TYPE_ROLES[type_] else FB
                    plan.append((s, org, type_, body, expect, None))
                    continue
                signer, type_, body = g[:3]
                expect = g[3] if len(g) > 3 else w.judge(signer, type_, body)
                ev, env = self.sign(signer, type_, body)
                lines.append(env)
                plan.append((s, signer, type_, body, expect, ev["id"]))
            assert len(lines) <= BATCH
            timing["generate"] += time.monotonic() - t_gen
            t_check = time.monotonic()
            # a sample of what should not change, read before
            refused_seqs = [p[0] for p in plan if p[0] and p[4] not in (OK, DUP)
                            and p[0].cid in w.cons]
            sample = r.sample(refused_seqs, min(SAMPLE, len(refused_seqs)))
            before = {s.cid: L.consignment(s.cid) for s in sample}

            t_post = time.monotonic()
            timing["check"] += t_post - t_check
            resp = L.batch(lines)
            timing["post"] += time.monotonic() - t_post
            t_check = time.monotonic()
            self.assertEqual(resp.status, 200, self.msg(repr(resp)))
            results = resp.json["results"]
            self.assertEqual(len(results), len(lines))
            stats["batches"] += 1
            wrong = []
            refused_cids, moved_cids = set(), set()
            for i, ((s, signer, type_, body, expect, extra), res) in enumerate(zip(plan,
                                                                                   results)):
                stats["events"] += 1
                if "error" in res:
                    got = res["error"]["code"]
                elif res.get("duplicate"):
                    got = DUP
                else:
                    got = OK
                codes[got] = codes.get(got, 0) + 1
                by_type[(type_, got)] = by_type.get((type_, got), 0) + 1
                if got != expect:
                    wrong.append("%s by %s: expected %s, got %r; body %s"
                                 % (type_, signer, expect, res, body))
                    continue
                if got == DUP:
                    stats["duplicate"] += 1
                    self.assertEqual(res["index"], extra, self.msg("duplicate's index"))
                    continue
                if got != OK:
                    stats["refused"] += 1
                    if s:
                        refused_cids.add(s.cid)
                    continue
                stats["accepted"] += 1
                self.assertEqual(res["index"], size, self.msg("receipts must be consecutive"))
                size += 1
                if s is None:
                    continue  # a global event, already in the model
                w.apply(signer, type_, body)
                moved_cids.add(s.cid)
                s.accepted.append((extra, signer, lines[i], res["index"]))
            if wrong:
                self.fail(self.msg("%d answers differ from the model, e.g.:\n%s"
                                   % (len(wrong), "\n".join(wrong[:10]))))
            self.assertEqual(L.size(), size, self.msg("the log grew by other than the accepted"))
            # every consignment's totals and status, in one read
            served = {c["consignment"]: c for c in L.consignments()}
            self.assertEqual(set(served), set(w.cons), self.msg("the consignments"))
            for cid, c in w.cons.items():
                want = c.totals()
                got = {k: served[cid][k] for k in want}
                if got != want:
                    self.fail(self.msg("consignment %s: served %r, model %r" % (cid, got, want)))
            # the refused ones changed nothing
            for cid, b in before.items():
                if cid in refused_cids and cid not in moved_cids:
                    stats["sampled"] += 1
                    self.assertEqual(L.consignment(cid), b, self.msg(cid))
            timing["check"] += time.monotonic() - t_check
            # sequences that are over make room for new ones
            seqs = [s for s in seqs if s.steps > 0]
        print("\nseed %d: %d sequences, %s, answers %s"
              % (self.seed, sequences, stats, dict(sorted(codes.items()))), file=sys.stderr)
        if os.environ.get("CMCC_PROPERTY_VERBOSE"):
            for k, n in sorted(by_type.items()):
                print("  %-22s %-15s %6d" % (k[0], k[1], n), file=sys.stderr)
        self.assertGreater(stats["accepted"], stats["events"] // 5)
        self.assertGreater(stats["refused"], stats["events"] // 5)
        for code in (OK, DUP, RV, BR, FB, SUSP, CONFLICT):
            self.assertIn(code, codes)
        t = time.monotonic()
        self.check_rebuild_and_tamper()
        timing["end"] = time.monotonic() - t
        print("seed %d: seconds %s" % (self.seed, {k: round(v, 1) for k, v in timing.items()}),
              file=sys.stderr)
        return stats

    def check_every_line(self, snap):
        """Every line of every consignment (as served, in snap) against the model."""
        w = self.world
        for cid, m in w.cons.items():
            c = snap[cid]
            self.assertEqual(ct.ledger_problems(c), [], self.msg(cid))
            for l in c["lines"]:
                n = l["line"]
                self.assertEqual(l["accounts"], m.acc[n], self.msg("%s line %d" % (cid, n)))
                self.assertEqual(l["entered"], m.entered[n])
                self.assertEqual(l["entered"], sum(l["accounts"].values()))
                self.assertTrue(all(q > 0 for q in l["accounts"].values()))
                self.assertEqual(l["approved"], (m.approved or {}).get(n))
            for t in c["transfers"]:
                self.assertEqual(t["status"], w.transfers[t["transfer"]].status)

    def http_snapshot(self):
        L = self.log
        snap = {}
        for path in ("/v1/consignments", "/v1/reconciliation", "/v1/orgs", "/v1/places",
                     "/v1/consignments.csv", "/v1/reconciliation.csv",
                     "/v1/alerts?at=" + ct.rfc3339(self.t0), "/v1/stats"):
            r = L.get(path)
            self.assertEqual(r.status, 200, (path, r))
            if path.endswith(".csv"):
                snap[path] = r.body
                continue
            j = r.json
            if path == "/v1/stats":
                j.pop("as_of")
            snap[path] = j
        for cid in sorted(self.world.cons):
            snap[cid] = L.consignment(cid)
        return snap

    def check_rebuild_and_tamper(self):
        L = self.log
        snap = self.http_snapshot()
        self.check_every_line(snap)
        status, out = L.stop()
        self.assertEqual(status, 0, out)
        tables = dump_tables(L.db, TABLES)
        # the ledger holds in the tables themselves
        db = sqlite3.connect("file:%s?mode=ro" % L.db, uri=True)
        bad = db.execute("SELECT l.consignment, l.line, l.entered, coalesce(sum(a.qty), 0) "
                         "FROM lines l LEFT JOIN accounts a ON a.consignment = l.consignment "
                         "AND a.line = l.line GROUP BY l.consignment, l.line "
                         "HAVING l.entered != coalesce(sum(a.qty), 0) OR min(a.qty) < 0"
                         ).fetchall()
        db.close()
        self.assertEqual(bad, [])
        r = ct.run("verify", L.dir, timeout=300)
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
        r = ct.run("rebuild", L.dir, timeout=300)
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
        again = dump_tables(L.db, TABLES)
        for t in TABLES:
            self.assertEqual(len(again[t]), len(tables[t]), t)
            self.assertTrue(again[t] == tables[t], self.msg("table %s differs after rebuild" % t))
        L.start()
        snap2 = self.http_snapshot()
        self.assertEqual(sorted(snap2), sorted(snap))
        for k in snap:
            self.assertTrue(snap2[k] == snap[k], self.msg("%s differs after rebuild" % k))
        L.stop()

        # a tampered balance: verify names it, rebuild puts it back
        db = ct.store_db(L.dir)
        row = db.execute("SELECT consignment, line, kind, holder, qty, updated FROM accounts "
                         "WHERE qty > 0 ORDER BY consignment, line, kind, holder LIMIT 1 OFFSET ?",
                         (len(tables["accounts"]) // 2,)).fetchone()
        cid, line, kind, holder, qty, updated = row
        db.execute("UPDATE accounts SET qty = qty + 7 WHERE consignment=? AND line=? AND kind=? "
                   "AND holder=?", (cid, line, kind, holder))
        db.commit()
        db.close()
        r = ct.run("verify", L.dir, timeout=300)
        self.assertEqual(r.returncode, 1, r.stdout + r.stderr)
        self.assertRegex(r.stdout, r"accounts: .*%s.*\(entry %d\)" % (cid, updated))
        r = ct.run("rebuild", L.dir, timeout=300)
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
        self.assertTrue(dump_tables(L.db, TABLES) == tables)
        r = ct.run("verify", L.dir, timeout=300)
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)


if __name__ == "__main__":
    ct.main()
