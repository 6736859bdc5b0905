#!/bin/sh
# bench/run-feed.sh: ingest speed with the live feed's clients and webhooks
# attached, next to none, in one run, alternating.
#
# Builds cmcc and cmcc-bench (Release, into build-bench/ like run.sh), then
# for each of ROUNDS rounds runs two cases, in turn, each on a fresh log:
#   none      `cmcc serve` with no hook and no feed client;
#   attached  the same with 5 webhooks (hook = URL * SECRET, every entry,
#             to 5 receivers of one python3 process answering 204) and 20
#             clients of GET /v1/feed (curl -N, reading everything);
# and times `cmcc-bench ingest` of the registry workload in NDJSON batches
# (batches of CMCC_FEED_PHASE, default 500; CMCC_FEED_EVENTS events). After
# an attached run it waits until every hook has delivered every entry (the
# drain, timed from the end of the ingest: hooks post one entry at a time,
# so they fall behind a fast ingest and catch up after it) and checks that
# every feed client received one event per entry logged, then stops the
# server (SIGTERM, must exit 0).
#
#   bench/run-feed.sh                       # 3 rounds of 20,000 events
#   CMCC_FEED_ROUNDS=5 CMCC_FEED_EVENTS=100000 bench/run-feed.sh
#
# Prints one line per run (events a second; the server's CPU time and other
# processes' during the timed ingest, as cmcc-bench measures them: the
# receivers and curl are among the others) and the medians; exit 1 when a run was invalid
# (an ingest error, a hook left behind, a feed client that missed an entry).
set -eu

ROOT=$(cd "$(dirname "$0")/.." && pwd)
BUILD=${CMCC_BENCH_BUILD:-$ROOT/build-bench}
ROUNDS=${CMCC_FEED_ROUNDS:-3}
EVENTS=${CMCC_FEED_EVENTS:-20000}
PHASE=${CMCC_FEED_PHASE:-500}
HOOKS=5
CLIENTS=20
. "$ROOT/bench/lib.sh"

bench_build "$BUILD" Release
BIN=$BUILD/cmcc
BENCH=$BUILD/bench/cmcc-bench

RECV_PIDS=
CURL_PIDS=
bench_on_exit() {
  for p in $CURL_PIDS $RECV_PIDS; do kill "$p" 2>/dev/null || true; done
}
bench_workdir cmcc-bench-feed

# the hooks' receivers: a process each, each POST answered 204 on a kept-alive connection
i=0
while [ $i -lt $HOOKS ]; do
  python3 - "$WORK/port.$i" <<'PY' &
import http.server, os, sys
out = sys.argv[1]
class H(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    def do_POST(self):
        self.rfile.read(int(self.headers.get("Content-Length", "0")))
        self.send_response(204)
        self.end_headers()
    def log_message(self, *a):
        pass
s = http.server.HTTPServer(("127.0.0.1", 0), H)
with open(out + ".tmp", "w") as f:
    f.write(str(s.server_address[1]))
os.rename(out + ".tmp", out)
s.serve_forever()
PY
  RECV_PIDS="$RECV_PIDS $!"
  while [ ! -s "$WORK/port.$i" ]; do sleep 0.1; done
  i=$((i + 1))
done

echo "machine: $(nproc) cores, $(sed -n 's/^model name\s*: //p' /proc/cpuinfo | head -n 1)"
echo "commit $(git -C "$ROOT" rev-parse --short HEAD 2>/dev/null || echo '?'), $(date -u +%Y-%m-%dT%H:%M:%SZ), load $(cut -d' ' -f1 /proc/loadavg)"
echo "each run: $EVENTS place.define events in batches of $PHASE on a fresh log"

valid=0
results=$WORK/results
: >"$results"
round=1
while [ "$round" -le "$ROUNDS" ]; do
  for mode in none attached; do
    dir=$WORK/$mode-$round
    bench_log "$dir"
    if [ "$mode" = attached ]; then
      for f in "$WORK"/port.*; do
        echo "hook = http://127.0.0.1:$(cat "$f")/in * bench-secret-0123456789abcdef" >>"$dir/cmcc.conf"
      done
    fi
    bench_serve "$dir"
    CURL_PIDS=
    if [ "$mode" = attached ]; then
      i=0
      while [ $i -lt $CLIENTS ]; do
        curl -sN -H "Authorization: Bearer $TOKEN" "${URL}v1/feed" >"$dir.feed.$i" &
        CURL_PIDS="$CURL_PIDS $!"
        i=$((i + 1))
      done
      sleep 1
    fi
    "$BENCH" ingest --url "$URL" --token "$TOKEN" --key "$dir/coordinator.pem" --org cell \
      --phases "$PHASE" --batch-events "$EVENTS" --server-pid "$SERVER_PID" >"$dir.ingest" || valid=1
    t_end=$(date +%s.%N)
    eps=$(sed -n 's/^result ingest\.batch[0-9]* .* events_per_s=\([0-9]*\) .*/\1/p' "$dir.ingest")
    srv_cpu=$(sed -n 's/^result ingest\.batch[0-9]* .* server_cpu_s=\([0-9.]*\) .*/\1/p' "$dir.ingest")
    oth_cpu=$(sed -n 's/^result ingest\.batch[0-9]* .* other_cpu_s=\([0-9.]*\) .*/\1/p' "$dir.ingest")
    sent=$(sed -n 's/^result ingest.total workload=registry events=//p' "$dir.ingest")
    drain=-
    if [ "$mode" = attached ]; then
      # every hook delivered every entry, every client heard of every one
      ok=0
      for _ in $(seq 1 3000); do
        pending=$(curl -fsS "${URL}v1/stats" | python3 -c \
          'import json,sys; print(sum(h["pending"] for h in json.load(sys.stdin)["hooks"]))')
        if [ "$pending" = 0 ]; then ok=1; break; fi
        sleep 0.2
      done
      drain=$(awk -v a="$(date +%s.%N)" -v b="$t_end" 'BEGIN { printf "%.1f", a - b }')
      [ "$ok" = 1 ] || { echo "hooks still $pending entries behind" >&2; valid=1; }
      sleep 1
      i=0
      while [ $i -lt $CLIENTS ]; do
        got=$(grep -c '^id: ' "$dir.feed.$i" || true)
        [ "$got" = "$sent" ] || { echo "feed client $i: $got events for $sent entries" >&2; valid=1; }
        i=$((i + 1))
      done
      for p in $CURL_PIDS; do kill "$p" 2>/dev/null || true; done
      for p in $CURL_PIDS; do wait "$p" 2>/dev/null || true; done
      CURL_PIDS=
    fi
    bench_stop || { echo "cmcc serve did not stop cleanly" >&2; valid=1; }
    echo "round $round $mode: $eps events/s; CPU s during the ingest: server $srv_cpu," \
      "other processes $oth_cpu; hooks drained ${drain} s after it"
    echo "$mode $eps" >>"$results"
  done
  round=$((round + 1))
done

median() {
  sed -n "s/^$1 //p" "$results" | sort -n | awk '{a[NR]=$1} END {print (NR%2 ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2)}'
}
none=$(median none)
att=$(median attached)
echo "median: none $none events/s, attached ($HOOKS hooks, $CLIENTS feed clients) $att events/s," \
  "ratio $(awk -v a="$att" -v b="$none" 'BEGIN { printf "%.3f", a / b }')"
[ "$valid" = 0 ] || echo "INVALID: see the errors above"
exit $valid
