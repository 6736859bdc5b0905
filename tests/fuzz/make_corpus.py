#!/usr/bin/env python3
"""make_corpus.py: writes the seed corpora of the fuzz targets.

    tests/fuzz/make_corpus.py [--cmcc build/cmcc] [--shared DIR]

Envelopes are made by the real `cmcc sign` with a key from `cmcc keygen`
(a new key each run, so the signed seeds change when this is run again);
the note seeds are the checkpoints of $CMCC_SHARED_DIR/testvectors/tlog-1000,
whose keys fuzz_note.c knows. Every file of corpus/<target>/ is rewritten;
files of regressions/ are never touched. fuzz_body.dict and the body seeds'
type bytes come from src/event/*.c. Each seed is small: the fuzzer grows its
own corpus from them (in build-fuzz, not here).
"""
import argparse
import base64
import json
import os
import re
import shutil
import subprocess
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))

# One valid event of each type. fuzz_body's type byte is the type's index
# in ev_types(), read from event/types.c (type_indexes).
EVENTS = [
    ("org.admit", "admit-relief", "cell",
     {"org": "relief", "name": "Coastal Relief", "roles": ["humanitarian", "transporter"],
      "keys": [{"public_key": "nYoLWXr2TjZkNKkOtbPFmFQKtWc3IhBemri1Ms2bpuE="}]}),
    ("org.suspend", "susp-1", "cell", {"org": "convoy", "reason": "looted convoy"}),
    ("org.reinstate", "reinst-1", "cell", {"org": "convoy"}),
    ("key.add", "key-2", "relief",
     {"org": "relief", "public_key": "oMNeELcOvV1mqFa+djzxHqjk2r100GtFKHQL/RbiKZM="}),
    ("key.revoke", "revoke-1", "relief",
     {"org": "relief", "keyid": "2bb883013a051f7a", "reason": "laptop lost"}),
    ("place.define", "place-x1", "cell",
     {"place": "x1", "kind": "crossing", "name": "North crossing", "lat": 31.25,
      "lon": -34.2, "sector": "north"}),
    ("place.status", "place-x1-closed", "cell",
     {"place": "x1", "status": "closed", "reason": "shelling"}),
    ("consignment.declare", "declare-c1", "relief",
     {"consignment": "c1", "crossing": "x1", "consignee": "relief", "donor": "WFP",
      "reference": "PO-2025-17",
      "lines": [{"line": 1, "item": "wheat flour", "category": "food", "quantity": 400,
                 "unit": "bag", "weight_kg": 10000},
                {"line": 2, "item": "hygiene kit", "category": "wash", "quantity": 50,
                 "unit": "kit"}]}),
    ("consignment.screen", "screen-c1", "inspect",
     {"consignment": "c1", "decisions": [{"line": 1, "approved": 400},
                                         {"line": 2, "approved": 40, "reason": "damaged"}]}),
    ("consignment.enter", "enter-c1", "inspect",
     {"consignment": "c1", "transfer": "t-enter-c1", "crossing": "x1", "to": "relief",
      "lines": [{"line": 1, "quantity": 400}, {"line": 2, "quantity": 40}]}),
    ("custody.transfer", "transfer-1", "relief",
     {"transfer": "t-1", "consignment": "c1", "to": "convoy", "place": "wh1",
      "lines": [{"line": 1, "quantity": 200}]}),
    ("custody.accept", "accept-1", "convoy",
     {"transfer": "t-1", "lines": [{"line": 1, "received": 198}]}),
    ("custody.reject", "reject-1", "convoy", {"transfer": "t-2", "reason": "spoiled"}),
    ("distribution.record", "dist-1", "relief",
     {"distribution": "d-1", "consignment": "c1", "place": "dp1",
      "lines": [{"line": 1, "quantity": 150}], "households": 150, "individuals": 870}),
    ("loss.report", "loss-1", "relief",
     {"loss": "l-1", "consignment": "c1", "cause": "looted", "from": "held",
      "lines": [{"line": 1, "quantity": 48}], "incident": "inc-7", "org": "convoy"}),
    ("site.notify", "site-h1", "relief",
     {"site": "h1", "kind": "hospital", "name": "Al-Amal hospital", "lat": 31.5, "lon": 34.46,
      "radius_m": 300, "from": "2025-05-20T00:00:00Z", "until": "2025-12-31T00:00:00Z"}),
    ("site.withdraw", "site-h1-off", "relief", {"site": "h1"}),
    ("zone.declare", "zone-z1", "army",
     {"zone": "z1", "kind": "restricted", "from": "2025-05-20T06:00:00.5Z",
      "polygon": [[31.0, 34.0], [31.1, 34.0], [31.1, 34.1], [31.0, 34.1]]}),
    ("zone.lift", "zone-z1-lift", "army", {"zone": "z1"}),
    ("movement.request", "move-m1", "relief",
     {"movement": "m1", "purpose": "food convoy to the north", "vehicles": 12,
      "route": [[31.25, 34.2], [31.4, 34.35], [31.5, 34.46]],
      "window_start": "2025-05-22T06:00:00Z", "window_end": "2025-05-22T14:00:00Z",
      "consignments": ["c1", "c2"], "from_place": "wh1", "to_place": "dp1"}),
    ("movement.respond", "move-m1-ok", "army",
     {"movement": "m1", "decision": "conditional", "conditions": "no stop at km 12"}),
    ("movement.report", "move-m1-done", "relief",
     {"movement": "m1", "outcome": "impeded", "reason": "checkpoint delay",
      "incident": "inc-9"}),
    ("incident.report", "inc-9", "relief",
     {"incident": "inc-9", "category": "interception", "occurred": "2025-05-22T09:10:00Z",
      "severity": "medium", "description": "convoy held for 3 hours", "lat": 31.4,
      "lon": 34.35, "movement": "m1", "consignment": "c1"}),
    ("incident.assess", "inc-9-assess", "cell",
     {"incident": "inc-9", "status": "verified", "note": "confirmed by two sources"}),
]

# Bodies their type must refuse.
BAD_BODIES = [
    ("org.admit", '{"org":"relief","name":"x","roles":["humanitarian","humanitarian"],'
                  '"keys":[{"public_key":"AAAA"}]}'),
    ("org.admit", '{"org":"relief","name":"","roles":[],"keys":[]}'),
    ("key.revoke", '{"org":"relief","keyid":"2BB883013A051F7A","reason":"x"}'),
    ("place.define", '{"place":"x1","kind":"crossing","name":"n","lat":91,"lon":-180.5}'),
    ("consignment.declare", '{"consignment":"c1","crossing":"x1","lines":[{"line":0,'
                            '"item":"a","category":"food","quantity":9007199254740993,'
                            '"unit":"bag"}]}'),
    ("consignment.screen", '{"consignment":"c1","decisions":[{"line":1,"approved":-1,'
                           '"reason":"bribe"}]}'),
    ("distribution.record", '{"distribution":"d","consignment":"c","place":"p","lines":'
                            '[{"line":1,"quantity":1}],"households":null}'),
    ("loss.report", '{"loss":"l","consignment":"c","cause":"looted","from":"held","lines":'
                    '[[1,2]],"extra":true}'),
    ("custody.transfer", '{"a":' * 17 + '1' + '}' * 17),
    ("zone.declare", '{"zone":"z","kind":"closed","from":"2025-02-29T00:00:00Z",'
                     '"polygon":[[91,0],[0,181],[0]]}'),
    ("movement.request", '{"movement":"m","purpose":"p","vehicles":0,"route":[[0,0]],'
                         '"window_start":"2025-05-22T06:00:00+02:00","window_end":"x",'
                         '"consignments":["c1","c1"]}'),
    ("incident.report", '{"incident":"i","category":"uxo","occurred":"2025-05-22T09:10:00Z",'
                        '"severity":"low","description":"","lat":"31"}'),
]

MANIFESTS = {
    "plain.csv":
        "consignment,crossing,line,item,category,quantity,unit,weight_kg,consignee,donor,"
        "reference,date\n"
        "c-100,x1,1,wheat flour,food,400,bag,10000,relief,WFP,PO-17,2025-05-20\n"
        "c-100,x1,2,hygiene kit,wash,50,kit,,relief,WFP,PO-17,2025-05-20\n"
        "c-101,x2,1,tarpaulin,shelter,120,unit,300.5,,,,\n",
    "hxl.csv":
        "Consignment ID,Crossing,Line no,Item,Sector,Qty,Unit,Weight,Funder,Day\r\n"
        "#meta+id,#loc+name+crossing,#item+code,#item+name,#sector,#output+num,#meta+unit,"
        "#meta+weight_kg,#org+funder,#date\r\n"
        "c-200,x1,1,\"flour, wheat\",food,10,bag,250,ECHO,2025-05-21T06:30:00Z\r\n"
        "c-200,x1,2,\"oral rehydration \"\"ORS\"\"\",health,5,box,,ECHO,"
        "2025-05-21T06:30:00Z\r\n",
    "hxl_export.csv":  # the key columns of consignments.csv, and a quantity
        "consignment,declared_by,consignee,donor,reference,crossing,date,status,line,item,"
        "category,quantity,unit\r\n"
        "#meta+id,#org,#org+impl,#org+funder,#meta+code,#loc+name,#date,#status,#item+code,"
        "#item+name,#sector,#output+num,#meta+unit\r\n"
        "c-300,relief,relief,WFP,PO-1,x1,2025-05-20,entered,1,flour,food,40,bag\r\n",
    "quoted_newline.csv":
        "consignment,crossing,line,item,category,quantity,unit\n"
        "c-400,x1,1,\"blanket\nwool\",shelter,30,unit\n"
        "\"c-400\",\"x1\",\"2\",\"stove\",\"shelter\",\"3\",\"unit\"\n",
    "bad_rows.csv":
        "consignment,crossing,line,item,category,quantity,unit\n"
        "c-500,x1,one,flour,food,10,bag\n"
        "c-500,x1,2,flour,food,-3,bag\n"
        "bad id!,x1,1,flour,food,1,bag\n"
        "c-501,x1,1,flour,groceries,1,sack\n"
        ",,,,,,\n"
        "c-502,x1,1,flour,food,1,bag\n",
    "inconsistent.csv":
        "consignment,crossing,line,item,category,quantity,unit,date\n"
        "c-600,x1,1,flour,food,1,bag,2025-05-01\n"
        "c-600,x2,2,flour,food,1,bag,2025-05-01\n"
        "c-601,x1,1,flour,food,1,bag,2025-13-01\n"
        "c-602,x1,1,flour,food,1,bag,2025-05-01\n"
        "c-602,x1,1,rice,food,1,bag,2025-05-01\n",
    "missing_column.csv": "consignment,crossing,line,item,category,unit\nc-1,x1,1,a,food,bag\n",
    "unterminated_quote.csv": "consignment,crossing,line,item,category,quantity,unit\n"
                              "c-700,x1,1,\"flour,food,1,bag\n",
    "long_id.csv":
        "consignment,crossing,line,item,category,quantity,unit\n"
        "c-" + "9" * 60 + ",x1,1,flour,food,1,bag\n",
    "header_only.csv": "consignment,crossing,line,item,category,quantity,unit\n",
}

TILE_PATHS_GOOD = [
    "0/000", "0/001", "0/999", "0/x001/000", "0/x001/234.p/5", "1/000.p/1", "2/x999/999.p/255",
    "entries/000", "entries/003.p/232", "entries/x123/x456/789",
    "63/x018/x446/x744/x073/x709/x551/615",
]
TILE_PATHS_BAD = [
    "", "00/000", "0/x000/001", "0/000.p/256", "0/000.p/0", "0/000.p/05", "64/000", "0/0001",
    "0/00", "0/000/", "-1/000", "entries/000.p", "entries000", "0/x001/", "0/x01/000",
    "63/x018/x446/x744/x073/x709/x551/616", "0/x001/x000/000.p/5x", "tile/0/000",
]

ROUTES = [
    "POST /v1/events", "GET /checkpoint", "HEAD /checkpoint", "GET /tile/0/000",
    "GET /tile/entries/x001/000.p/7", "GET /tile/0/0001", "GET /v1/entries/42",
    "GET /v1/entries/007", "GET /v1/proof/inclusion", "GET /v1/proof/consistency",
    "GET /v1/orgs", "GET /v1/places", "GET /healthz", "GET /v1/stats",
    "GET /v1/consignments", "GET /v1/consignments.csv", "GET /v1/consignments/c-1",
    "GET /v1/consignments/not an id", "GET /v1/alerts", "GET /v1/reconciliation",
    "GET /v1/reconciliation.csv", "PUT /v1/events", "GET /v1/events", "DELETE /v1/orgs",
    "POST /checkpoint", "GET /", "GET /index.html", "GET /../etc/passwd", "GET /v1/unknown",
    "OPTIONS *", "/healthz",
    "GET /lib/qrcode-generator/qrcode.js", "GET /lib/leaflet/images/marker-icon.png",
    "GET /lib/qrcode-generator/%2e%2e/%2E%2E/secret", "GET /index.html%00.png",
    "GET /v1/consignments/c%2d1%zz%4",
    "GET /checkpoint%00x", "GET /v1/orgs%1F?x=%00", "GET /check\tpoint", "GET /checkpoint%2500",
    "GET /v1/orgs%7f", "GET /%%01%2%0A%", "GET /healthz?%00",
]

WIRE = [
    "gzip, deflate, br, zstd\n\"x\"", "gzip;q=0\n*", "*;q=0.5\nW/\"abc\", \"def\"",
    "identity\n", "deflate, gzip;q=0.8, *;q=0\n W/\"0123456789abcdef0123456789abcdef\" ",
    "GZIP;Q=1.000\n\"0123456789abcdef0123456789abcdef\"", "x-gzip\n,,,", "gzip;q=\n\"",
    "gzip;q=nan, *;q=inf\nW/", "br;q=1e-3, gzip;q=-1\n*,*", ";;q=;,\nW/\"\"",
]


def write(target, name, data):
    d = os.path.join(HERE, "corpus", target)
    os.makedirs(d, exist_ok=True)
    with open(os.path.join(d, name), "wb") as f:
        f.write(data.encode() if isinstance(data, str) else data)


def event_json(t, ev_id, org, body, time="2025-05-20T09:00:00Z"):
    return json.dumps({"v": 1, "type": t, "id": ev_id, "org": org, "time": time, "body": body},
                      separators=(",", ":"))


def sign(cmcc, key, docs, check=True):
    """The envelopes `cmcc sign` makes of docs (one a line)."""
    args = [cmcc, "sign", "--key", key] + ([] if check else ["--no-check"])
    out = subprocess.run(args, input="\n".join(docs) + "\n", capture_output=True, text=True,
                         check=True).stdout
    return out.splitlines()


def envelopes(cmcc, key):
    good = sign(cmcc, key, [event_json(t, i, o, b) for t, i, o, b in EVENTS])
    for (t, _, _, _), env in zip(EVENTS, good):
        write("envelope", "env_" + t.replace(".", "_"), env)
    e = json.loads(good[7])
    write("envelope", "spaced", json.dumps(e, indent=2))
    write("envelope", "entry_declare",
          '{"v":1,"received":"2025-05-21T08:00:01.250Z","envelope":%s}' % good[7])
    write("envelope", "entry_admit",
          '{"v":1,"received":"2025-05-20T09:00:00.000Z","envelope":%s}' % good[0])
    write("envelope", "entry_spaced",
          '{"v":1,"received":"2025-05-20T09:00:00.000Z","envelope": %s}' % good[0])
    # shapes the envelope parser must refuse
    two = dict(e, signatures=e["signatures"] * 2)
    write("envelope", "bad_two_sigs", json.dumps(two))
    write("envelope", "bad_payload_type", json.dumps(dict(e, payloadType="text/plain")))
    write("envelope", "bad_extra_field", json.dumps(dict(e, extra=1)))
    write("envelope", "bad_empty_payload", json.dumps(dict(e, payload="")))
    write("envelope", "bad_noncanonical_b64", json.dumps(dict(e, payload="eyJ9")))
    sig = dict(e["signatures"][0], keyid=e["signatures"][0]["keyid"].upper())
    write("envelope", "bad_keyid_case", json.dumps(dict(e, signatures=[sig])))
    sig = dict(e["signatures"][0], sig=base64.b64encode(b"\0" * 63).decode())
    write("envelope", "bad_sig_len", json.dumps(dict(e, signatures=[sig])))
    # payloads the event parser must refuse, signed with --no-check
    bad = sign(cmcc, key, [
        event_json("org.reinstate", "r", "cell", {"org": "x"}, time="2099-01-01T00:00:00Z"),
        '{"v":1,"type":"org.reinstate","id":"r","org":"cell","time":"2025-05-20T09:00:00Z",'
        '"body":{"org":"x"},"extra":1}',
        '{"v":2,"type":"no.such","id":"-r","org":"cell","time":"2025-05-20","body":[]}',
        '{"v":1,"type":"org.reinstate","id":"r","id":"s","org":"cell","time":'
        '"2025-05-20T09:00:00.5Z","body":{"org":"x"}}',
        '{"v":1,"type":"org.reinstate","id":"r","org":"cell","time":"2025-05-20T09:00:00Z",'
        '"body":' + '{"a":' * 16 + '1' + '}' * 16 + '}',
    ], check=False)
    for n, env in zip(["future", "extra_field", "bad_common", "dup_key", "deep"], bad):
        write("envelope", "bad_event_" + n, env)


def type_indexes():
    """{type name: its index in ev_types()}, from the sources."""
    ev = os.path.join(ROOT, "src", "event")
    text = "".join(open(os.path.join(ev, f)).read() for f in sorted(os.listdir(ev))
                   if f.endswith(".c"))
    names = dict(re.findall(r'const ev_type ev_(\w+) =\s*\{\s*"([a-z._]+)"', text))
    order = re.findall(r"&ev_(\w+)", open(os.path.join(ev, "types.c")).read())
    return {names[o]: i for i, o in enumerate(order)}


def bodies():
    index = type_indexes()
    missing = set(index) - {t for t, _, _, _ in EVENTS}
    if missing:
        print("make_corpus: no seed event for " + ", ".join(sorted(missing)))
    for t, _, _, b in EVENTS:
        i = index[t]
        write("body", "%02d_%s" % (i, t.replace(".", "_")),
              bytes([i]) + json.dumps(b, separators=(",", ":")).encode())
    for k, (t, b) in enumerate(BAD_BODIES):
        write("body", "bad_%02d_%s" % (k, t.replace(".", "_")), bytes([index[t]]) + b.encode())


def body_dict():
    """fuzz_body.dict: field names and enum values of every type, JSON tokens."""
    ev = os.path.join(ROOT, "src", "event")
    text = "".join(open(os.path.join(ev, f)).read() for f in sorted(os.listdir(ev))
                   if f.endswith(".c"))
    fields = sorted(set(re.findall(r'\.name = "([a-z_]+)"', text)))
    values = set()
    for m in re.finditer(r"static const char \*const \w+\[\] = \{([^}]*)\}", text):
        values.update(re.findall(r'"([a-z_]+)"', m.group(1)))
    tokens = ['"%s":' % f for f in fields] + ['"%s"' % v for v in sorted(values)]
    tokens += ["{", "}", "[", "]", ",", ":", "true", "false", "null", "0", "-1", "1e3", "-90.5",
               "9007199254740992", "9007199254740993", '"\\u00e9"', '"2025-05-20T09:00:00Z"',
               '"2025-05-20T09:00:00.123456789Z"', '"0123456789abcdef"',
               '"AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA="', "[[31.5,34.4],[31.6,34.5]]"]
    with open(os.path.join(HERE, "fuzz_body.dict"), "w") as f:
        f.write("# fuzz_body.dict: what the body fuzzer cannot guess: the field names and\n"
                "# enum values of the event types (src/event/*.c) and JSON's tokens. Made\n"
                "# by make_corpus.py; libFuzzer's -dict (scripts/fuzz.sh).\n")
        for t in tokens:
            f.write('"%s"\n' % t.replace("\\", "\\\\").replace('"', '\\"'))


def notes(cmcc, key, shared):
    vec = os.path.join(shared, "testvectors", "tlog-1000")
    cp = open(os.path.join(vec, "checkpoint"), "rb").read()
    logonly = open(os.path.join(vec, "checkpoint.logonly"), "rb").read()
    write("note", "checkpoint_cosigned", cp)
    write("note", "checkpoint_logonly", logonly)
    body = logonly[:logonly.index(b"\n\n") + 1]
    write("note", "body", body)
    write("note", "body_extension", body + b"extension line\n")
    write("note", "bad_sig_flipped", logonly.replace(b"Y1LOHz", b"Y1LOHy"))
    write("note", "unknown_key", body + "\n\u2014 example.org/other AAAAAA==\n".encode())
    write("note", "bad_size_leading_zero", body.replace(b"\n1000\n", b"\n01000\n"))
    for line in open(os.path.join(vec, "keys.txt")):
        kind, _, value = line.strip().partition(" ")
        if kind in ("verifier", "witness"):
            write("note", "vkey_" + kind, value)
    with open(key) as f:
        write("note", "pem", f.read())


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--cmcc", default=os.path.join(ROOT, "build", "cmcc"))
    ap.add_argument("--shared", default=os.path.join(os.path.dirname(ROOT), "shared"))
    a = ap.parse_args()
    for t in ("envelope", "body", "manifest", "tile_path", "router", "note", "wire"):
        shutil.rmtree(os.path.join(HERE, "corpus", t), ignore_errors=True)
    with tempfile.TemporaryDirectory() as tmp:
        key = os.path.join(tmp, "seed.pem")
        subprocess.run([a.cmcc, "keygen", key], check=True, capture_output=True)
        envelopes(a.cmcc, key)
        notes(a.cmcc, key, a.shared)
    bodies()
    body_dict()
    for name, text in MANIFESTS.items():
        write("manifest", name, text)
    for i, p in enumerate(TILE_PATHS_GOOD):
        write("tile_path", "good_%02d" % i, p)
    for i, p in enumerate(TILE_PATHS_BAD):
        write("tile_path", "bad_%02d" % i, p)
    for i, r in enumerate(ROUTES):
        write("router", "%02d_%s" % (i, r.split(" ")[0].strip("/") or "url"), r)
    for i, w in enumerate(WIRE):
        write("wire", "%02d" % i, w)


if __name__ == "__main__":
    main()
