#!/bin/sh
# bench/run-mirror.sh: `cmcc mirror` measured in one command (see
# bench/README.md).
#
#   bench/run-mirror.sh
#
# Builds cmcc, cmcc-bench and cmcc-biglog (CMake Release, in build-bench/),
# then:
#   1. a copy from nothing: a log of CMCC_MIRROR_N entries (default
#      1,000,000) built by cmcc-biglog, served, and `cmcc mirror URL DIR`
#      of it timed by /usr/bin/time (wall clock, CPU, peak RSS), with the
#      bytes of the answers it read (its own count, the "bytes read" of its
#      last line), the server's CPU time meanwhile (/proc/PID/stat), and the
#      size of both stores, beside the signature checks alone (cmcc-biglog
#      sigs, as run-large.sh); then a second run with nothing new to fetch
#      (what one poll of an up-to-date mirror costs);
#   2. following a primary under load: a fresh log served, `cmcc mirror URL
#      DIR --every 1s` started on it, then `cmcc-bench ingest` (registry
#      workload, options CMCC_MIRROR_LOAD) against the primary; every second
#      a line with the primary's checkpoint size, the size the mirror holds
#      (the last "holds N entries" it printed) and the lag between them, in
#      entries, until the mirror holds the primary's last checkpoint; then
#      the mirror is stopped and its CPU time and peak RSS printed, and its
#      store must hold every entry of the primary.
# Environment: CMCC_MIRROR_N, CMCC_MIRROR_LOAD (default "--phases single,100
# --events 20000 --batch-events 200000"), CMCC_BENCH_BUILD (default
# <repo>/build-bench), CMCC_BENCH_KEEP=1 keeps the logs, CMCC_BENCH_OUT=FILE
# also writes the output to FILE. Exit status 1 when a check fails.
set -eu

ROOT=$(cd "$(dirname "$0")/.." && pwd)
BUILD=${CMCC_BENCH_BUILD:-$ROOT/build-bench}
BIN=$BUILD/cmcc
BENCH=$BUILD/bench/cmcc-bench
BIG=$BUILD/bench/cmcc-biglog
N=${CMCC_MIRROR_N:-1000000}
LOAD=${CMCC_MIRROR_LOAD:---phases single,100 --events 20000 --batch-events 200000}
. "$ROOT/bench/lib.sh"
[ -x /usr/bin/time ] || { echo "run-mirror.sh: needs /usr/bin/time (apt-get install time)" >&2; exit 1; }

echo "building (Release) in $BUILD ..." >&2
bench_build "$BUILD" Release
cmake --build "$BUILD" -j"$(nproc)" --target cmcc-biglog >>"$BUILD/bench-build.log" 2>&1 ||
  { tail -40 "$BUILD/bench-build.log" >&2; exit 1; }

MIRROR_PID=
# the mirror runs under /usr/bin/time (MIRROR_PID), which waits for it: stop the mirror
stop_mirror() {
  for _p in $(ps -o pid= --ppid "$MIRROR_PID"); do kill -TERM "$_p"; done
  wait "$MIRROR_PID" || true
  MIRROR_PID=
}
# shellcheck disable=SC2317 # called by bench_cleanup
bench_on_exit() { [ -z "$MIRROR_PID" ] || stop_mirror; }
bench_workdir cmcc-mirror

OUT=$WORK/out.txt
say() { echo "$*" | tee -a "$OUT"; }
fail=0

say "date:    $(date -u +%Y-%m-%dT%H:%M:%SZ)"
say "machine: $(nproc) cores, $(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -1), Linux $(uname -r)"
say "load:    $(cut -d" " -f1-3 /proc/loadavg) (1, 5, 15 min, before the run)"
say "commit:  $(git -C "$ROOT" rev-parse --short HEAD 2>/dev/null || echo '?')"

TIMEF="%e s wall, %U s user, %S s system, peak RSS %M KiB"
cpu_s() { # PID: its CPU time so far, in seconds (clock ticks of 10 ms)
  awk -v hz="$(getconf CLK_TCK)" '{ sub(/^.*\) /, ""); printf "%.2f", ($12 + $13) / hz }' "/proc/$1/stat"
}
cp_size() { curl -fsS "${URL}checkpoint" | sed -n 2p; }
held() { # the size the mirror last said it holds (0 before its first line)
  sed -n 's/^cmcc mirror: .* holds \([0-9]*\) entr.*/\1/p' "$1" | tail -1 | grep . || echo 0
}

# 1. a copy of N entries from nothing, then a run with nothing new
"$BIG" build "$WORK/big" "$N" | tee -a "$OUT"
say "store:   $(du -sh "$WORK/big/cmcc.db" | cut -f1) for $N entries (the primary)"
TOKEN=$("$BIN" token create "$WORK/big" --org cell 2>/dev/null)
bench_serve "$WORK/big"
VKEY=$(cat "$WORK/big/log.vkey")
"$BIG" sigs "$WORK/big" | tee -a "$OUT"
for pass in "from nothing" "up to date"; do
  s0=$(cpu_s "$SERVER_PID")
  say "load:    $(cut -d" " -f1-3 /proc/loadavg) (before the mirror run $pass)"
  /usr/bin/time -o "$WORK/time.txt" -f "$TIMEF" "$BIN" mirror "$URL" "$WORK/m" --vkey "$VKEY" \
    --token "$TOKEN" >"$WORK/m.out" 2>"$WORK/m.err" || { cat "$WORK/m.err" >&2; fail=1; }
  s1=$(cpu_s "$SERVER_PID")
  grep '^cmcc mirror: .* holds ' "$WORK/m.out" | cut -c1-240 | tee -a "$OUT"
  say "mirror $pass: $(cat "$WORK/time.txt"); the server used $(echo "$s0 $s1" | awk '{ printf "%.2f", $2 - $1 }') s CPU meanwhile"
done
say "store:   $(du -sh "$WORK/m/cmcc.db" | cut -f1) (the mirror)"
[ "$(held "$WORK/m.out")" = "$(cp_size)" ] || { say "the mirror does not hold the log's checkpoint"; fail=1; }
bench_stop
[ "${CMCC_BENCH_KEEP:-0}" = 1 ] || rm -rf "$WORK/big" "$WORK/m"

# 2. following a primary under load
bench_log "$WORK/p"
bench_serve "$WORK/p"
say "primary: $URL (pid $SERVER_PID), mirror: cmcc mirror --every 1s"
say "load:    $(cut -d" " -f1-3 /proc/loadavg) (before the load)"
/usr/bin/time -o "$WORK/time.txt" -f "$TIMEF" "$BIN" mirror "$URL" "$WORK/f" \
  --vkey "$(cat "$WORK/p/log.vkey")" --token "$TOKEN" --every 1s >"$WORK/f.out" 2>"$WORK/f.err" &
MIRROR_PID=$!
# shellcheck disable=SC2086 # LOAD is a list of options
"$BENCH" ingest --workload registry --url "$URL" --token "$TOKEN" --key "$WORK/p/coordinator.pem" \
  --org cell --server-pid "$SERVER_PID" $LOAD >"$WORK/ingest.out" 2>&1 &
LOAD_PID=$!
start=$(date +%s.%N)
printf '%6s %10s %10s %10s  %s\n' "s" "primary" "mirror" "lag" "(entries; primary: its checkpoint)" | tee -a "$OUT"
done_at=
while :; do
  sleep 1
  t=$(echo "$start $(date +%s.%N)" | awk '{ printf "%.1f", $2 - $1 }')
  p=$(cp_size)
  m=$(held "$WORK/f.out")
  note=
  if [ -z "$done_at" ] && ! kill -0 "$LOAD_PID" 2>/dev/null; then done_at=$t; note="the load ended"; fi
  printf '%6s %10s %10s %10s  %s\n' "$t" "$p" "$m" "$((p - m))" "$note" | tee -a "$OUT"
  if [ -n "$done_at" ] && [ "$m" = "$p" ]; then
    # the primary's last checkpoint may still come: held once it is the whole log
    [ "$p" -gt 1 ] && [ "$(curl -fsS "${URL}checkpoint" | sed -n 2p)" = "$m" ] &&
      [ "$(awk -v a="$t" -v b="$done_at" 'BEGIN { print (a - b >= 2) }')" = 1 ] && break
  fi
  if [ "$(awk -v a="$t" 'BEGIN { print (a > 600) }')" = 1 ]; then say "gave up after 600 s"; fail=1; break; fi
done
wait "$LOAD_PID" || { say "the load failed:"; tail -5 "$WORK/ingest.out" | tee -a "$OUT"; fail=1; }
grep '^result ingest' "$WORK/ingest.out" | tee -a "$OUT"
say "the mirror held the primary's last checkpoint $(echo "$t $done_at" | awk '{ printf "%.1f", $1 - $2 }') s after the load ended"
stop_mirror
say "mirror --every 1s, all of it: $(grep -v '^Command' "$WORK/time.txt")"
say "mirror runs: $(grep -c ' holds ' "$WORK/f.out")"
entries=$(sqlite3 "file:$WORK/f/cmcc.db?mode=ro" 'SELECT count(*) FROM entries')
say "entries: the mirror holds $entries, the primary's checkpoint $(cp_size)"
[ "$entries" = "$(cp_size)" ] || fail=1
bench_stop || fail=1
[ "${CMCC_BENCH_KEEP:-0}" = 1 ] || rm -rf "$WORK/p" "$WORK/f"

[ -z "${CMCC_BENCH_OUT:-}" ] || cp "$OUT" "$CMCC_BENCH_OUT"
say "run: $([ $fail = 0 ] && echo VALID || echo INVALID)"
exit "$fail"
