#!/usr/bin/python3
"""EPCIS 2.0 out and in (docs/protocol.md, "EPCIS 2.0"), read and written by
an independent library, epcis2.js from the npm registry
(tests/epcis/epcis.mjs; pinned by tests/epcis/package-lock.json and
installed with `npm ci --prefix tests/epcis` when tests/epcis/node_modules
is missing):

  - out: a consignment's whole life (declaration, screening with a line
    cut, three entries, one rejected, acceptances with shortfalls,
    transfers, one rejected, one left pending, a distribution, a loss from
    held, a coordinator's settlement of unaccounted quantity) served by
    GET /v1/epcis/events validates with epcis2.js's EPCIS 2.0 check, whole
    and page by page; read back by the CBV steps alone it gives the
    accounts of /v1/consignments/ID; each event's cmcc:index and
    cmcc:entryHash are those of /v1/entries/<index>; the paging and the
    query's refusals;
  - in: the same life, rebuilt with epcis2.js's builders under another
    host's URIs and imported with `cmcc import --epcis` into a second log,
    one document per run of one signer, gives the same consignment; run
    again, nothing is signed twice (every event a duplicate, the log the
    same size);
  - bad EPCIS (an unknown business step, a quantity missing, a location
    that is no place, and more) is refused per event with its sentence,
    and nothing of the document is signed, sent or written.

Without node, npm or the package this test fails with the reason: it never
skips (scripts/install-deps.sh installs nodejs and npm).
"""
import datetime
import gzip
import json
import os
import shutil
import subprocess
import sys
import tempfile
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import cmcctest as ct  # noqa: E402

EPCIS_DIR = os.path.join(ct.REPO, "tests", "epcis")
SCRIPT = os.path.join(EPCIS_DIR, "epcis.mjs")

HA, HB, TR, GATE = "relief-a", "relief-b", "trucks", "gate"
C = "c-life"
PARTNER = "https://wfp-logistics.example.org/ids"  # the URIs of the imported documents


def ensure_library():
    """node and epcis2.js, installed from the lockfile if missing."""
    return ct.node_package('epcis', "epcis2.js", 'EPCIS')


def node_run(node, mode, data: bytes):
    """(exit status, stdout, stderr) of epcis.mjs MODE on data."""
    with tempfile.NamedTemporaryFile(suffix=".json", prefix="epcis-", delete=False) as f:
        f.write(data)
        path = f.name
    try:
        r = subprocess.run([node, SCRIPT, mode, path], capture_output=True, text=True,
                           timeout=120, stdin=subprocess.DEVNULL)
        return r.returncode, r.stdout, r.stderr
    finally:
        os.unlink(path)


def tail(uri, seg):
    """The id after the last seg ("/orgs/") of a URI."""
    assert seg in uri, (uri, seg)
    return uri.rsplit(seg, 1)[1]


def replay(events, consignment):
    """The lines {n: {"declared","approved","entered","accounts"}} of a
    consignment, read from EPCIS ObjectEvents by their CBV steps, parties,
    transfers and quantities (the cmcc: extensions only where EPCIS has no
    field: a loss's cause and account)."""
    lines, transfers = {}, {}

    def line(q):
        c, n = tail(q["epcClass"], "/consignments/").split("/lines/")
        return c, int(n), q.get("quantity")

    def move(n, frm, to, q):
        acc = lines[n]["accounts"]
        if frm:
            acc[frm] = acc.get(frm, 0) - q
        if to:
            acc[to] = acc.get(to, 0) + q

    def party(e, key, field):
        return tail(e[key][0][field], "/orgs/")

    for e in events:
        qs = [line(q) for q in e.get("quantityList", [])]
        if not qs or qs[0][0] != consignment:
            continue
        step = e["bizStep"]
        t = None
        for bt in e.get("bizTransactionList", []):
            t = tail(bt["bizTransaction"], "/transfers/")
        if step == "commissioning":
            for _, n, q in qs:
                lines[n] = {"declared": q, "approved": None, "entered": 0, "accounts": {}}
        elif step == "inspecting":
            for _, n, q in qs:
                lines[n]["approved"] = q
        elif step in ("arriving", "shipping"):
            frm = party(e, "sourceList", "source")
            transfers[t] = {"from": frm, "entry": step == "arriving",
                            "sent": {n: q for _, n, q in qs}}
            for _, n, q in qs:
                if step == "arriving":
                    lines[n]["entered"] += q
                    move(n, None, "pending:" + t, q)
                else:
                    move(n, "held:" + frm, "pending:" + t, q)
        elif step == "receiving":
            to = party(e, "destinationList", "destination")
            tr = transfers[t]
            for _, n, q in qs:
                move(n, "pending:" + t, "held:" + to, q)
                move(n, "pending:" + t, "unaccounted:" + tr["from"], tr["sent"][n] - q)
        elif step == "void_shipping":
            tr = transfers[t]
            for _, n, q in qs:
                assert q == tr["sent"][n], (e, tr)
                if tr["entry"]:
                    lines[n]["entered"] -= q
                    move(n, "pending:" + t, None, q)
                else:
                    move(n, "pending:" + t, "held:" + tr["from"], q)
        elif step == "dispensing":
            frm = party(e, "sourceList", "source")
            for _, n, q in qs:
                move(n, "held:" + frm, "distributed", q)
        elif step == "other":
            frm = party(e, "sourceList", "source")
            account = e.get("cmcc:account", "held")
            for _, n, q in qs:
                move(n, "%s:%s" % (account, frm), "lost:" + e["cmcc:cause"], q)
        else:
            raise AssertionError("an unexpected business step: %r" % e)
    for l in lines.values():
        l["accounts"] = {a: q for a, q in l["accounts"].items() if q}
    return lines


def served(c):
    """The same shape from GET /v1/consignments/<id>."""
    return {l["line"]: {"declared": l["declared"], "approved": l["approved"],
                        "entered": l["entered"], "accounts": l["accounts"]} for l in c["lines"]}


def life(log, k):
    """The story of c-life on log (whose orgs and places are set up), with
    its events' keys in k. Returns the events' (signer, type) in order."""
    L, done = log, []

    def s(signer, type_, body):
        key = L.coord if signer == ct.COORD_ORG else k[signer]
        L.ok(key, type_, body, org=signer)
        done.append((signer, type_))

    lines = [{"line": 1, "item": "wheat flour, 50 kg", "category": "food", "quantity": 1000,
              "unit": "bag", "weight_kg": 50000},
             {"line": 2, "item": "diesel", "category": "fuel", "quantity": 5000, "unit": "litre"},
             {"line": 3, "item": "hygiene kit", "category": "wash", "quantity": 300,
              "unit": "kit"},
             {"line": 4, "item": "rice", "category": "food", "quantity": 2, "unit": "tonne"}]
    s(HA, "consignment.declare", ct.declare_body(C, "north", lines, donor="ECHO",
                                                 reference="PO-17"))
    s(GATE, "consignment.screen", ct.screen_body(C, {1: 1000, 2: 5000, 3: 250, 4: 0},
                                                 {3: "expired", 4: "dual_use"}))
    s(GATE, "consignment.enter", ct.enter_body(C, "e-1", "north", TR, {1: 600, 2: 5000, 3: 250}))
    s(TR, "custody.accept", ct.accept_body("e-1", {1: 590, 2: 5000, 3: 250}))
    s(GATE, "consignment.enter", ct.enter_body(C, "e-2", "north", TR, {1: 400}))
    s(TR, "custody.reject", ct.reject_body("e-2", "the trucks were full"))
    s(GATE, "consignment.enter", ct.enter_body(C, "e-3", "north", TR, {1: 400}))
    s(TR, "custody.accept", ct.accept_body("e-3", {1: 400}))
    s(TR, "custody.transfer", ct.transfer_body("t-a", C, HA, {1: 900, 2: 4000, 3: 250},
                                               place="wh-a"))
    s(HA, "custody.accept", dict(ct.accept_body("t-a", {1: 890, 2: 4000, 3: 250}),
                                 reason="10 bags torn"))
    s(HA, "custody.transfer", ct.transfer_body("t-b", C, HB, {3: 50}))
    s(HB, "custody.reject", ct.reject_body("t-b", "not ours"))
    s(HA, "distribution.record", ct.distribution_body("d-1", C, "dp-1", {1: 500, 3: 100},
                                                      households=300, individuals=1400))
    s(HA, "loss.report", {"loss": "l-1", "consignment": C, "cause": "looted", "from": "held",
                          "lines": ct.qty_lines({1: 40})})
    s(ct.COORD_ORG, "loss.report", {"loss": "l-2", "consignment": C, "cause": "intercepted",
                                    "from": "unaccounted", "org": GATE,
                                    "lines": ct.qty_lines({1: 10})})
    s(TR, "custody.transfer", ct.transfer_body("t-c", C, HA, {2: 1000}))
    return done


def setup_log(L):
    """The orgs and places of the story on log L; returns their keys."""
    k = {}
    for org, roles in ((HA, ["humanitarian"]), (HB, ["humanitarian"]), (TR, ["transporter"]),
                       (GATE, ["inspector"])):
        k[org] = L.admit(org, roles)[0]
    L.define_place("north", "crossing")
    L.define_place("wh-a", "warehouse")
    L.define_place("dp-1", "distribution_point")
    return k


def local(t):
    """An RFC 3339 UTC time written as the same instant at +02:00."""
    d = datetime.datetime.strptime(t, "%Y-%m-%dT%H:%M:%SZ") + datetime.timedelta(hours=2)
    return d.strftime("%Y-%m-%dT%H:%M:%S+02:00")


def to_spec(e):
    """An exported ObjectEvent as epcis.mjs's builder spec, its URIs moved
    to the partner's host (the ids stay the last segments)."""
    def move(uri):
        for seg in ("/consignments/", "/places/", "/orgs/", "/transfers/"):
            if seg in uri:
                return PARTNER + seg + uri.rsplit(seg, 1)[1]
        return uri

    spec = {"eventID": "urn:uuid:%s" % e["cmcc:entryHash"].encode().hex()[:32],
            "eventTime": local(e["eventTime"]),
            "action": e["action"], "bizStep": e["bizStep"]}
    if "disposition" in e:
        spec["disposition"] = e["disposition"]
    for key in ("readPoint", "bizLocation"):
        if key in e:
            spec[key] = move(e[key]["id"])
    if "bizTransactionList" in e:
        spec["bizTransactions"] = [[b["type"], move(b["bizTransaction"])]
                                   for b in e["bizTransactionList"]]
    spec["quantities"] = [[move(q["epcClass"]), q["quantity"], q.get("uom")]
                          for q in e.get("quantityList", [])]
    spec["sources"] = [[s["type"], move(s["source"])] for s in e.get("sourceList", [])]
    spec["destinations"] = [[d["type"], move(d["destination"])]
                            for d in e.get("destinationList", [])]
    if "ilmd" in e:
        spec["ilmd"] = e["ilmd"]
    spec["extensions"] = {k: v for k, v in e.items()
                          if k.startswith("cmcc:") and k not in
                          ("cmcc:index", "cmcc:entryHash", "cmcc:type", "cmcc:org", "cmcc:id")}
    return spec


CONTEXT = {"cmcc": PARTNER + "/epcis/ns#"}


class Epcis(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.node = ensure_library()
        cls.a = ct.Log()
        cls.addClassCleanup(cls.a.close)
        cls.a.start()
        cls.ka = setup_log(cls.a)
        cls.story = life(cls.a, cls.ka)
        cls.tmp = tempfile.mkdtemp(prefix="cmcc-epcis-")
        cls.addClassCleanup(shutil.rmtree, cls.tmp, True)

    @classmethod
    def tearDownClass(cls):
        if cls.a.server:
            err = cls.a.server.stderr
            status, out = cls.a.stop()
            ct.check_clean_exit(status, out, err())

    def epcis(self, log, query="", token=True):
        r = log.get("/v1/epcis/events" + query, token=token)
        self.assertEqual(r.status, 200, r)
        self.assertEqual(r.headers.get("content-type"), "application/ld+json", r.headers)
        status, out, err = node_run(self.node, "validate", r.body)
        self.assertEqual(status, 0, "epcis2.js refuses GET /v1/epcis/events%s:\n%s%s"
                         % (query, out, err))
        return r.json

    def all_events(self, log):
        doc = self.epcis(log)
        self.assertTrue(doc["cmcc:complete"], doc)
        self.assertEqual(doc["cmcc:next"], log.size())
        return doc["epcisBody"]["eventList"]

    def test_out_validates_and_gives_the_accounts(self):
        events = self.all_events(self.a)
        ours = [e for e in events if e["cmcc:type"].split(".")[0] in
                ("consignment", "custody", "distribution", "loss")]
        self.assertEqual([(e["cmcc:org"], e["cmcc:type"]) for e in ours], self.story)
        self.assertEqual(served(self.a.consignment(C)), replay(events, C))
        steps = {e["cmcc:type"] + "/" + e["cmcc:id"]: (e["action"], e["bizStep"],
                                                       e.get("disposition")) for e in events}
        got = sorted(set(v for v in steps.values()))
        self.assertEqual(got, sorted({
            ("ADD", "commissioning", "active"), ("OBSERVE", "inspecting", "non_conformant"),
            ("OBSERVE", "arriving", "in_transit"), ("OBSERVE", "shipping", "in_transit"),
            ("OBSERVE", "receiving", "in_progress"), ("OBSERVE", "void_shipping", "returned"),
            ("OBSERVE", "dispensing", "dispensed"), ("OBSERVE", "other", "stolen")}))
        declared = events[0]
        self.assertEqual([(q["quantity"], q.get("uom")) for q in declared["quantityList"]],
                         [(1000, None), (5000, "LTR"), (300, None), (2, "TNE")])
        self.assertTrue(declared["bizLocation"]["id"].endswith("/places/north"), declared)
        self.assertTrue(declared["eventID"].startswith("https://" + self.a.origin + "/events/"))

    def test_each_event_is_its_entry(self):
        for e in self.all_events(self.a):
            r = self.a.get("/v1/entries/%d" % e["cmcc:index"])
            self.assertEqual(r.status, 200, r)
            self.assertEqual(e["cmcc:entryHash"], r.json["leaf_hash"], e)
            self.assertEqual(e["cmcc:id"], r.json["event"]["id"])
            self.assertEqual(e["cmcc:org"], r.json["event"]["org"])
            self.assertEqual(e["eventTime"], r.json["event"]["time"])
            self.assertEqual(e["recordTime"], r.json["received"])

    def test_pages(self):
        whole = self.all_events(self.a)
        got, since, pages = [], 0, 0
        while True:
            doc = self.epcis(self.a, "?since=%d&limit=4" % since)
            self.assertLessEqual(len(doc["epcisBody"]["eventList"]), 4)
            got += doc["epcisBody"]["eventList"]
            pages += 1
            self.assertGreater(doc["cmcc:next"], since)
            # a full page goes on after its last event; another ends the log
            events = doc["epcisBody"]["eventList"]
            self.assertEqual(doc["cmcc:next"], events[-1]["cmcc:index"] + 1
                             if len(events) == 4 else self.a.size())
            since = doc["cmcc:next"]
            if doc["cmcc:complete"]:
                break
        self.assertIn(pages, (-(-len(whole) // 4), -(-len(whole) // 4) + 1))
        strip = [{k: v for k, v in e.items()} for e in got]
        self.assertEqual(strip, whole)
        tail = self.epcis(self.a, "?since=%d" % self.a.size())
        self.assertEqual(tail["epcisBody"]["eventList"], [])
        self.assertTrue(tail["cmcc:complete"])
        later = self.epcis(self.a, "?since=%d" % whole[-3]["cmcc:index"])
        self.assertEqual(later["epcisBody"]["eventList"], whole[-3:])

    def test_query_refusals(self):
        L = self.a
        for q, field in (("?since=-1", "since"), ("?since=x", "since"), ("?limit=0", "limit"),
                         ("?limit=10001", "limit"), ("?since=%d" % (L.size() + 1), "since")):
            r = L.get("/v1/epcis/events" + q)
            self.assertEqual(r.status, 400, (q, r))
            self.assertEqual(r.error["code"], "bad_request", r)
            self.assertEqual(r.error["field"], field, r)
            self.assertTrue(r.error["message"], r)
        r = L.get("/v1/epcis/events", token=None)
        self.assertEqual((r.status, r.error["code"]), (401, "unauthorized"), r)
        r = L.request("POST", "/v1/epcis/events", b"{}", "application/json")
        self.assertEqual((r.status, r.headers.get("allow")), (405, "GET, HEAD"), r)

    def test_a_mirror_answers_the_same_events(self):
        # the mirror replays the entries into its own store: its EPCIS events are the log's
        m = os.path.join(self.tmp, "mirror")
        self.a.wait_checkpoint(self.a.size())
        r = ct.run("mirror", self.a.url, m, "--vkey", self.a.vkey_text,
                   env={"CMCC_TOKEN": self.a.token}, timeout=120)
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
        tok = ct.run("token", "create", m, "--org", ct.COORD_ORG)
        self.assertEqual(tok.returncode, 0, tok.stderr)
        srv = ct.Server(m, ["--mirror"])
        try:
            r = ct.http_request(srv.port, "GET", "/v1/epcis/events", None,
                                {"Authorization": "Bearer " + tok.stdout.strip()})
            self.assertEqual(r.status, 200, r)
            status, out, err = node_run(self.node, "validate", r.body)
            self.assertEqual(status, 0, err)
            mine = self.epcis(self.a)
            self.assertEqual(r.json["epcisBody"], mine["epcisBody"])
            self.assertEqual(r.json["cmcc:next"], mine["cmcc:next"])
        finally:
            srv.stop()

    def test_gzip(self):
        plain = self.a.get("/v1/epcis/events").json
        r = self.a.request("GET", "/v1/epcis/events", headers={"Accept-Encoding": "gzip"})
        self.assertEqual(r.status, 200, r)
        self.assertEqual(r.headers.get("content-encoding"), "gzip", r.headers)
        doc = json.loads(gzip.decompress(r.body))
        self.assertEqual(doc["epcisBody"], plain["epcisBody"])

    # -- in

    def build(self, specs):
        status, out, err = node_run(self.node, "build",
                                    json.dumps({"context": CONTEXT, "events": specs}).encode())
        self.assertEqual(status, 0, "epcis2.js could not build the document:\n%s%s" % (out, err))
        return out.encode()

    def import_(self, log, org, key, doc, *extra):
        path = os.path.join(self.tmp, "doc-%s-%d.json" % (org, len(os.listdir(self.tmp))))
        with open(path, "wb") as f:
            f.write(doc)
        pem = ct.write_pem(key, os.path.join(self.tmp, org + ".pem"))
        token = log.create_token(org)[0]
        args = ["import", "--epcis", path, "--key", pem, "--org", org]
        args += list(extra) or ["--server", log.url, "--token", token]
        return ct.run(*args)

    def runs(self, events):
        """The exported events as documents built by epcis2.js, one per run
        of events of one signer: [(org, document bytes, count)]."""
        out, run = [], []
        for e in events:
            if run and run[-1]["cmcc:org"] != e["cmcc:org"]:
                out.append(run)
                run = []
            run.append(e)
        out.append(run)
        return [(r[0]["cmcc:org"], self.build([to_spec(e) for e in r]), len(r)) for r in out]

    def test_in_rebuilds_the_life_and_signs_nothing_twice(self):
        events = [e for e in self.all_events(self.a) if e["cmcc:type"] != "org.admit"]
        b = ct.Log()
        self.addCleanup(b.close)
        b.start()
        kb = setup_log(b)
        kb[ct.COORD_ORG] = b.coord
        docs = self.runs(events)
        self.assertGreater(len(docs), 10)
        for org, doc, n in docs:
            status, out, err = node_run(self.node, "validate", doc)
            self.assertEqual(status, 0, err)
            r = self.import_(b, org, kb[org], doc)
            self.assertEqual(r.returncode, 0, r.stderr)
            self.assertIn("%d events: %d appended, 0 already in the log, 0 refused" % (n, n),
                          r.stderr)
        self.assertEqual(served(b.consignment(C)), served(self.a.consignment(C)))
        self.assertEqual(b.consignment(C)["status"], self.a.consignment(C)["status"])
        # the imported life, exported again, reads the same
        self.assertEqual(replay(self.all_events(b), C), served(self.a.consignment(C)))
        size = b.size()
        for org, doc, n in docs:
            r = self.import_(b, org, kb[org], doc)
            self.assertEqual(r.returncode, 0, r.stderr)
            self.assertIn("%d events: 0 appended, %d already in the log, 0 refused" % (n, n),
                          r.stderr)
        self.assertEqual(b.size(), size)
        # offline: the same bytes each time
        o1, o2 = (os.path.join(self.tmp, n) for n in ("out-1.ndjson", "out-2.ndjson"))
        org, doc, n = docs[0]
        self.assertEqual(self.import_(b, org, kb[org], doc, "--out", o1).returncode, 0)
        self.assertEqual(self.import_(b, org, kb[org], doc, "--out", o2).returncode, 0)
        with open(o1, "rb") as f1, open(o2, "rb") as f2:
            self.assertEqual(f1.read(), f2.read())
        err = b.server.stderr
        status, out = b.stop()
        ct.check_clean_exit(status, out, err())

    def test_bad_epcis_is_refused_per_event_and_nothing_signed(self):
        line = PARTNER + "/consignments/c-bad/lines/"
        good = {"eventID": "urn:uuid:0001", "eventTime": "2026-01-05T10:00:00+02:00",
                "action": "ADD", "bizStep": "commissioning", "disposition": "active",
                "bizLocation": PARTNER + "/places/north",
                "quantities": [[line + "1", 10, "KGM"]],
                "ilmd": {"cmcc:lines": [{"line": 1, "item": "flour", "category": "food"}]}}
        ship = {"eventID": "urn:uuid:0005", "eventTime": "2026-01-05T11:00:00Z",
                "action": "OBSERVE", "bizStep": "shipping",
                "bizTransactions": [["desadv", PARTNER + "/transfers/t-9"]],
                "quantities": [[line + "1", 5, "KGM"]],
                "destinations": [["possessing_party", PARTNER + "/orgs/relief-b"]]}
        bad = [
            (dict(good, eventID="urn:uuid:0002", bizStep="repairing"),
             'the business step "repairing" has no cmcc meaning'),
            (dict(good, eventID="urn:uuid:0003", quantities=[[line + "1", None, "KGM"]]),
             "quantityList[0] (line 1) has no quantity"),
            (dict(ship, eventID="urn:uuid:0004", action="OBSERVE", bizStep="dispensing",
                  bizLocation="urn:epc:id:sgln:0012345.11111.0", bizTransactions=[],
                  destinations=[]),
             'bizLocation "urn:epc:id:sgln:0012345.11111.0" is no place'),
            (dict(ship, eventID="urn:uuid:0015", bizTransactions=[]),
             "a shipping event names its transfer"),
            (dict(ship, eventID="urn:uuid:0006", destinations=[]),
             "a shipping event hands custody to someone"),
            (dict(ship, eventID="urn:uuid:0007", quantities=[], epcs=[
                "https://id.gs1.org/01/09520123456788/21/12345"]),
             "epcList names single objects"),
            (dict(ship, eventID="urn:uuid:0008", action="OBSERVE", bizStep="other",
                  disposition="in_progress"), "is read as a loss"),
            (dict(ship, eventID="urn:uuid:0009", quantities=[[line + "1", 5, "BX"]]),
             'the uom "BX" is not a unit cmcc knows'),
            (dict(ship, eventID="urn:uuid:0010", quantities=[["urn:epc:class:lgtin:4012345."
                                                                "012345.998877", 5]]),
             "is no consignment line"),
            (dict(ship, eventID="urn:uuid:0011", bizStep="void_shipping"),
             "a void_shipping event is a rejection, which needs a reason"),
            (dict(good, eventID="urn:uuid:0012", ilmd={}), "line 1 has no item, category and "
                                                           "unit"),
            (dict(ship, eventID="urn:uuid:0013", action="ADD"),
             "a shipping event has action OBSERVE in cmcc, not ADD"),
        ]
        # an event of another type, refused by its type
        doc = json.loads(self.build([good, ship] + [b for b, _ in bad]))
        doc["epcisBody"]["eventList"].append(
            {"type": "AggregationEvent", "eventID": "urn:uuid:0014",
             "eventTime": "2026-01-05T11:00:00Z", "eventTimeZoneOffset": "+00:00",
             "action": "ADD", "parentID": "urn:epc:id:sscc:4012345.0000000001"})
        doc["epcisBody"]["eventList"].append(dict(doc["epcisBody"]["eventList"][1],
                                                  eventID="urn:uuid:0016",
                                                  eventTime="2026-01-05 11:00"))
        data = json.dumps(doc).encode()
        size = self.a.size()
        r = self.import_(self.a, HA, self.ka[HA], data)
        self.assertEqual(r.returncode, 1, r.stderr)
        lines = r.stderr.strip().split("\n")
        for i, (_, sentence) in enumerate(bad):
            pos = i + 3
            said = [l for l in lines if l.startswith("cmcc import: event %d " % pos)]
            self.assertEqual(len(said), 1, (pos, sentence, r.stderr))
            self.assertIn(sentence, said[0])
        self.assertIn("event %d (urn:uuid:0014): the event type AggregationEvent has no cmcc "
                      "meaning" % (len(bad) + 3), r.stderr)
        self.assertIn("event %d (urn:uuid:0016): its eventTime \"2026-01-05 11:00\" is not an "
                      "RFC 3339 time" % (len(bad) + 4), r.stderr)
        self.assertFalse([l for l in lines if l.startswith("cmcc import: event 1 ")], r.stderr)
        self.assertFalse([l for l in lines if l.startswith("cmcc import: event 2 ")], r.stderr)
        self.assertIn("%d events, %d refused: nothing signed" % (len(bad) + 4, len(bad) + 2),
                      r.stderr)
        self.assertEqual(self.a.size(), size)
        out = os.path.join(self.tmp, "bad.ndjson")
        r = self.import_(self.a, HA, self.ka[HA], data, "--out", out)
        self.assertEqual(r.returncode, 1, r.stderr)
        self.assertFalse(os.path.exists(out))
        # not an EPCIS document at all
        r = self.import_(self.a, HA, self.ka[HA], b'{"type":"Other"}')
        self.assertEqual(r.returncode, 2, r.stderr)
        self.assertIn("no EPCIS document", r.stderr)
        # the good ones alone are signed, and the second run is all duplicates
        good_only = self.build([good, ship])
        r = self.import_(self.a, GATE, self.ka[GATE], good_only, "--out", out)
        self.assertEqual(r.returncode, 0, r.stderr)
        with open(out) as f:
            evs = [json.loads(ct.unb64(json.loads(l)["payload"])) for l in f]
        self.assertEqual([e["type"] for e in evs], ["consignment.declare", "custody.transfer"])
        self.assertEqual(evs[0]["time"], "2026-01-05T08:00:00Z")  # +02:00 read as UTC
        self.assertEqual(evs[0]["body"]["lines"][0]["unit"], "kg")
        self.assertTrue(evs[0]["id"].startswith("epcis-") and len(evs[0]["id"]) == 38, evs)

    def test_validator_refuses_an_invalid_document(self):
        doc = self.epcis(self.a)
        doc["epcisBody"]["eventList"][0]["bizStep"] = 5
        status, _, err = node_run(self.node, "validate", json.dumps(doc).encode())
        self.assertEqual(status, 1, err)
        doc = self.epcis(self.a)
        del doc["@context"][1]
        status, _, err = node_run(self.node, "validate", json.dumps(doc).encode())
        self.assertEqual(status, 1, err)
        self.assertIn("unknown extension", err)


if __name__ == "__main__":
    unittest.main()
