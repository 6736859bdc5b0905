#!/bin/sh
# bench/run.sh: the whole benchmark in one command (see bench/README.md).
#
#   bench/run.sh [INGEST-OPTIONS...]
#
# Builds cmcc and cmcc-bench (CMake Release, in build-bench/), makes a fresh
# log in a temporary directory, serves it on a free port, then in one run:
# `cmcc-bench verify` (libsodium Ed25519 verifications per second, one
# thread and one per core), `cmcc-bench ingest` (single envelopes, then NDJSON
# batches of 100, 500 and 1000), checks that the log grew by exactly the
# events sent, stops the server and prints a table with each ingest rate
# next to the verification limit measured in the same run.
#
# Options after the script name go to `cmcc-bench ingest` (e.g. --events
# 5000 --batch-events 20000 for a quick run). Environment:
#   CMCC_BENCH_BUILD     build directory (default: <repo>/build-bench)
#   CMCC_BENCH_VERIFY_S  seconds per verification measurement (default 3)
#   CMCC_BENCH_KEEP=1    keep the temporary directory (log, raw output)
#   CMCC_BENCH_OUT=FILE  also write the whole output (raw lines and table) to FILE
#   CMCC_BENCH_COMMIT    what to print as the commit (e.g. for a `git archive`)
# Exit status 0 when the run is valid (no request failed), 1 otherwise.
set -eu

ROOT=$(cd "$(dirname "$0")/.." && pwd)
BUILD=${CMCC_BENCH_BUILD:-$ROOT/build-bench}
BIN=$BUILD/cmcc
BENCH=$BUILD/bench/cmcc-bench
. "$ROOT/bench/lib.sh"

echo "building (Release) in $BUILD ..." >&2
bench_build "$BUILD" Release

WORK=$(mktemp -d "${TMPDIR:-/tmp}/cmcc-bench.XXXXXX")
SERVER_PID=
# shellcheck disable=SC2317 # called by the trap
cleanup() {
  bench_stop || true
  if [ "${CMCC_BENCH_KEEP:-0}" = 1 ]; then echo "kept $WORK" >&2; else rm -rf "$WORK"; fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM

if commit=$(git -C "$ROOT" rev-parse --short HEAD 2>/dev/null); then
  git -C "$ROOT" diff --quiet HEAD 2>/dev/null || commit="$commit (with uncommitted changes)"
else
  commit="? (not a git checkout)"
fi
commit=${CMCC_BENCH_COMMIT:-$commit}

OUT=$WORK/out.txt
{
  echo "date:    $(date -u +%Y-%m-%dT%H:%M:%SZ)"
  echo "machine: $(nproc) cores, $(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -1), Linux $(uname -r)"
  echo "load:    $(cut -d" " -f1-3 /proc/loadavg) (1, 5, 15 min, before the run)"
  echo "commit:  $commit"
  echo "log on:  $WORK ($(stat -f -c %T "$WORK") file system)"
  echo
} | tee "$OUT"
if [ "$(stat -f -c %T "$WORK")" = tmpfs ]; then
  echo "warning: $WORK is on tmpfs, where fsync costs nothing; set TMPDIR to a directory" \
    "on a disk to measure durable ingest" | tee -a "$OUT" >&2
fi

"$BENCH" verify --seconds "${CMCC_BENCH_VERIFY_S:-3}" | tee -a "$OUT"
echo | tee -a "$OUT"

bench_log "$WORK/log"
bench_serve "$WORK/log"
echo "server: $URL (pid $SERVER_PID, default options), log in $WORK/log" | tee -a "$OUT"
valid=0
"$BENCH" ingest --url "$URL" --token "$TOKEN" --key "$WORK/log/coordinator.pem" --org cell \
  --server-pid "$SERVER_PID" "$@" | tee -a "$OUT" || valid=1

# the log must hold entry 0 and every event the bench sent, no more, no less
sent=$(sed -n 's/^result ingest.total events=//p' "$OUT")
size=
for _ in 1 2 3 4 5 6 7 8 9 10; do
  size=$(curl -fsS "${URL}checkpoint" | sed -n 2p)
  [ "$size" = "$((${sent:-0} + 1))" ] && break
  sleep 0.5
done
echo "log size after the run: $size entries (expected 1 + $sent)" | tee -a "$OUT"
[ "$size" = "$((${sent:-0} + 1))" ] || valid=1
bench_stop || { echo "the server did not stop cleanly" >&2; valid=1; }

# the table: each rate next to the verification limit measured above
awk -v valid="$valid" '
  function kv(line, key,   n, i, a, f) {
    n = split(line, a, " ")
    for (i = 3; i <= n; i++) { split(a[i], f, "="); if (f[1] == key) return f[2] }
    return ""
  }
  $1 == "result" && $2 == "verify.1"   { v1 = kv($0, "per_s") }
  $1 == "result" && $2 == "verify.all" { va = kv($0, "per_s"); vt = kv($0, "threads") }
  $1 == "result" && $2 ~ /^ingest\./ && $2 != "ingest.total" { rows[++n] = $0 }
  END {
    print ""
    printf "Ed25519 verifications/s (libsodium): %d on 1 thread, %d on %d threads (the limit)\n\n", v1, va, vt
    printf "%-10s %7s %7s %9s %7s %7s %6s %7s %7s %7s %9s %6s %7s %7s\n", "mode", "clients",
      "events", "events/s", "p50 ms", "p99 ms", "errors", "client", "server", "workers",
      "us/event", "verify", "/limit", "/1core"
    for (i = 1; i <= n; i++) {
      split(rows[i], a, " "); mode = substr(a[2], 8)
      s = kv(rows[i], "seconds"); eps = kv(rows[i], "events_per_s"); ev = kv(rows[i], "events")
      cc = kv(rows[i], "client_cpu_s"); sc = kv(rows[i], "server_cpu_s")
      printf "%-10s %7s %7s %9s %7.1f %7.1f %6s %6.0f%% %6.0f%% %7s %9.1f %5.0f%% %7.3f %7.3f\n",
        mode, kv(rows[i], "clients"), ev, eps, kv(rows[i], "p50_ms"), kv(rows[i], "p99_ms"),
        kv(rows[i], "errors"), 100 * cc / (s * vt), 100 * sc / (s * vt),
        kv(rows[i], "busy_workers"), sc * 1e6 / ev, 100 * (1e6 / v1) / (sc * 1e6 / ev),
        eps / va, eps / v1
    }
    printf "\nclient, server: CPU time during the phase as a share of the time of all %d cores\n", vt
    print "workers: HTTP worker threads of the server that were busy (>= 5% of the time)"
    print "us/event: server CPU time per event; verify: the share of it one Ed25519"
    print "  verification takes (1 / the 1-thread rate)"
    print "/limit: events/s over the all-core verification rate; /1core: over one thread"
    print (valid == 0 ? "run: VALID (no errors, log size as expected)" : "run: INVALID (see above)")
  }' "$OUT" >"$WORK/table.txt"
tee -a "$OUT" <"$WORK/table.txt"
[ -z "${CMCC_BENCH_OUT:-}" ] || cp "$OUT" "$CMCC_BENCH_OUT"
exit "$valid"
