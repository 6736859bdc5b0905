#!/bin/sh
# demo.sh: the demo scenario is a valid log. Builds it (`cmcc demo
# --build-only`), checks it with `cmcc verify DIR`, serves it, checks it over
# HTTP with `cmcc verify URL` and with Go's sumdb code (tlog-verify.sh), and
# checks that the story is there: consignments at several crossings,
# distributions, a looting loss, unaccounted quantities, a suspended
# transporter, pending transfers.
set -eu
# shellcheck source=tests/conformance/lib/conformance.sh
. "$(dirname "$0")/lib/conformance.sh"

"$CMCC" demo "$tmp/demo" --build-only > /dev/null || fail "cmcc demo --build-only"
"$CMCC" verify "$tmp/demo" || fail "cmcc verify DIR on the demo"
TOKEN=$(cat "$tmp/demo/demo-token.txt")
VKEY=$(cat "$tmp/demo/log.vkey")
serve "$tmp/demo"
sh "$SHARED/tools/tlog-verify.sh" -vkey "$VKEY" -token "$TOKEN" "$URL" || fail "tlog-verify"
"$CMCC" verify "$URL" --vkey "$VKEY" --token "$TOKEN" || fail "cmcc verify URL"

"$PY" - "$URL" "$TOKEN" <<'PYEOF'
import json, sys, urllib.request
url, token = sys.argv[1], sys.argv[2]
def get(path):
    req = urllib.request.Request(url + path, headers={"Authorization": "Bearer " + token})
    return json.load(urllib.request.urlopen(req))
cons = get("/v1/consignments")["consignments"]
rec = get("/v1/reconciliation")
orgs = {o["org"]: o for o in get("/v1/orgs")["orgs"]}
alerts = get("/v1/alerts")["alerts"]
crossings = {c["crossing"] for c in cons}
assert len(cons) >= 30, len(cons)
assert {"kerem-shalom", "kissufim", "zikim"} <= crossings, crossings
tot = rec["totals"]
assert tot["distributed"] > 0 and tot["lost"] > 0 and tot["unaccounted"] > 0, tot
assert tot["entered"] == tot["held"] + tot["pending"] + tot["distributed"] + tot["lost"] + tot["unaccounted"], tot
assert orgs["desert-line"]["status"] == "suspended", orgs["desert-line"]
kinds = {a["kind"] for a in alerts}
assert {"unaccounted", "transfer_pending"} <= kinds, kinds
looted = [c for c in cons if c["lost"] > 0]
assert looted, "no loss in the demo"
print("demo: %d consignments at %s; %d alerts" % (len(cons), ", ".join(sorted(crossings)), len(alerts)))
PYEOF
echo OK
