#!/bin/sh
# tlog_large.sh: a large log built through the HTTP API, checked by
# independent code.
#
# Makes a log, serves it, and appends CMCC_CONFORMANCE_N events (default
# 100,000) signed with `cmcc sign` and sent with `cmcc submit`, in two halves.
# Then:
#   - Go's sumdb code ($CMCC_SHARED_DIR/tools/tlog-verify.sh) checks the served log
#     over HTTP: checkpoint signature, every hash tile, every entry bundle,
#     and consistency with the checkpoint taken after the first half (-old);
#   - `cmcc verify URL` and `cmcc verify DIR` pass;
#   - one byte of one stored entry is changed in the database, and
#     `cmcc verify DIR` must fail naming that entry.
set -eu
N=${CMCC_CONFORMANCE_N:-100000}
# shellcheck source=tests/conformance/lib/conformance.sh
. "$(dirname "$0")/lib/conformance.sh"

"$CMCC" init "$tmp/log" --origin conformance.cmcc.test/log --org cell \
    --name "Coordination Cell" > "$tmp/vkey" 2>/dev/null
VKEY=$(cat "$tmp/vkey")
TOKEN=$("$CMCC" token create "$tmp/log" --org cell 2>/dev/null)

# events FROM TO: place.define events numbered FROM..TO-1, one a line
events() {
    awk -v from="$1" -v to="$2" 'BEGIN {
        for (i = from; i < to; i++)
            printf "{\"v\":1,\"type\":\"place.define\",\"id\":\"p-%d\",\"org\":\"cell\"," \
                   "\"time\":\"2026-01-01T00:00:00Z\",\"body\":{\"place\":\"site-%d\"," \
                   "\"kind\":\"warehouse\",\"name\":\"Warehouse %d\",\"lat\":%.5f," \
                   "\"lon\":%.5f}}\n", i, i, i, 31.2 + (i % 4000) / 10000.0, \
                   34.2 + (i % 3000) / 10000.0
    }'
}

# checkpoint_at SIZE: waits until the served checkpoint has SIZE entries,
# then prints SIZE:ROOT
checkpoint_at() {
    i=0
    while :; do
        ck=$(curl -sf "$URL/checkpoint" || true)
        size=$(printf '%s\n' "$ck" | sed -n 2p)
        [ "$size" = "$1" ] && { printf '%s:%s\n' "$size" "$(printf '%s\n' "$ck" | sed -n 3p)"; return; }
        i=$((i + 1)); [ $i -lt 100 ] || fail "no checkpoint of $1 entries (have ${size:-none})"
        sleep 0.1
    done
}

submit_range() {
    events "$1" "$2" > "$tmp/events.ndjson"
    "$CMCC" sign --key "$tmp/log/coordinator.pem" "$tmp/events.ndjson" > "$tmp/envelopes.ndjson"
    "$CMCC" submit --server "$URL" --token "$TOKEN" --batch 1000 "$tmp/envelopes.ndjson" \
        2> "$tmp/submit.out" || { cat "$tmp/submit.out"; fail "submit"; }
}

serve "$tmp/log"
HALF=$((N / 2))
submit_range 0 "$HALF"
OLD=$(checkpoint_at $((HALF + 1)))
submit_range "$HALF" "$N"
checkpoint_at $((N + 1)) > /dev/null
echo "served $((N + 1)) entries; earlier checkpoint $OLD"

sh "$SHARED/tools/tlog-verify.sh" -vkey "$VKEY" -token "$TOKEN" -old "$OLD" "$URL" ||
    fail "tlog-verify rejected the served log"
"$CMCC" verify "$URL" --vkey "$VKEY" --token "$TOKEN" || fail "cmcc verify URL"

kill "$pid"; wait "$pid" || fail "the server did not stop cleanly"; pid=
"$CMCC" verify "$tmp/log" || fail "cmcc verify DIR"

# change one byte of one entry: a character of its base64 payload
VICTIM=$((N / 3 + 7))
"$PY" - "$tmp/log/cmcc.db" "$VICTIM" <<'PYEOF'
import sqlite3, sys
db, idx = sys.argv[1], int(sys.argv[2])
con = sqlite3.connect(db)
(entry,) = con.execute("SELECT entry FROM entries WHERE idx=?", (idx,)).fetchone()
b = bytearray(entry)
at = b.index(b'"payload":"') + 20
b[at] = ord('B') if b[at] != ord('B') else ord('C')
con.execute("UPDATE entries SET entry=? WHERE idx=?", (bytes(b), idx))
con.commit()
PYEOF
if "$CMCC" verify "$tmp/log" > "$tmp/verify.out" 2>&1; then
    fail "cmcc verify passed a log with a changed entry"
fi
grep -q "entry $VICTIM:" "$tmp/verify.out" || { cat "$tmp/verify.out"; fail "verify did not name entry $VICTIM"; }
echo "a changed entry is caught: $(grep -m1 "entry $VICTIM:" "$tmp/verify.out")"
echo "OK"
