#!/bin/sh
# demo.sh: the demo scenario is a valid log. Builds it (`cmcc demo
# --build-only`), checks it with `cmcc verify DIR`, serves it, checks it over
# HTTP with `cmcc verify URL` and with Go's sumdb code (tlog-verify.sh), and
# checks that the story is there: consignments at several crossings,
# distributions, a looting loss, unaccounted quantities, a suspended
# transporter, pending transfers.
set -eu
CMCC=${CMCC_BIN:?CMCC_BIN is the cmcc binary}
SHARED=${CMCC_SHARED_DIR:?CMCC_SHARED_DIR is ../shared}
PY=${PYTHON3:-/usr/bin/python3}
tmp=$(mktemp -d "${TMPDIR:-/tmp}/cmcc-demo.XXXXXX")
pid=
cleanup() {
    [ -n "$pid" ] && kill "$pid" 2>/dev/null && wait "$pid" 2>/dev/null
    rm -rf "$tmp"
}
trap cleanup EXIT
fail() { echo "FAIL: $*" >&2; exit 1; }

"$CMCC" demo "$tmp/demo" --build-only > /dev/null || fail "cmcc demo --build-only"
"$CMCC" verify "$tmp/demo" || fail "cmcc verify DIR on the demo"
TOKEN=$(cat "$tmp/demo/demo-token.txt")
VKEY=$(cat "$tmp/demo/log.vkey")
"$CMCC" serve "$tmp/demo" --listen 127.0.0.1:0 > "$tmp/serve.out" 2>&1 &
pid=$!
i=0
until grep -q 'at http://' "$tmp/serve.out"; do
    i=$((i + 1)); [ $i -lt 100 ] || fail "the server did not start"; sleep 0.1
done
URL=$(sed -n 's/.* at \(http:[^ ]*\)\/$/\1/p' "$tmp/serve.out")
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
