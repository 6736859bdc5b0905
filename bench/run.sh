#!/bin/sh
# bench/run.sh: the whole benchmark in one command (see bench/README.md).
#
#   bench/run.sh [INGEST-OPTIONS...]
#
# Builds cmcc and cmcc-bench (CMake Release, in build-bench/), then in one
# run: `cmcc-bench verify` (libsodium Ed25519 verifications per second, one
# thread and one per core), and for each workload, registry then supply, a
# fresh log in a temporary directory served on a free port, `cmcc-bench
# ingest --workload W` (single envelopes, then NDJSON batches of 100, 500
# and 1000), a check that the log grew by exactly the events sent, and a
# clean stop of the server. Then it prints one table with the two workloads
# side by side, each rate next to the verification limit measured in the
# same run, and a table of every figure.
#
# Options after the script name go to both `cmcc-bench ingest` runs (e.g.
# --events 5000 --batch-events 20000 for a quick run). Environment:
#   CMCC_BENCH_WORKLOADS which workloads (default "registry supply")
#   CMCC_BENCH_BUILD     build directory (default: <repo>/build-bench)
#   CMCC_BENCH_VERIFY_S  seconds per verification measurement (default 3)
#   CMCC_BENCH_KEEP=1    keep the temporary directory (log, raw output)
#   CMCC_BENCH_OUT=FILE  also write the whole output (raw lines and table) to FILE
#   CMCC_BENCH_COMMIT    what to print as the commit (e.g. for a `git archive`)
#   CMCC_BENCH_PG_URL    a PostgreSQL database URL with a %s where each
#                        log's database name goes (bench/run-pg.sh sets it):
#                        each workload runs twice, on SQLite (W) and on a new
#                        database of that server (W/pg), and a last table
#                        gives W/pg over W
# Exit status 0 when the run is valid (no request failed), 1 otherwise.
set -eu

ROOT=$(cd "$(dirname "$0")/.." && pwd)
BUILD=${CMCC_BENCH_BUILD:-$ROOT/build-bench}
BIN=$BUILD/cmcc
BENCH=$BUILD/bench/cmcc-bench
WORKLOADS=${CMCC_BENCH_WORKLOADS:-registry supply}
. "$ROOT/bench/lib.sh"

echo "building (Release) in $BUILD ..." >&2
bench_build "$BUILD" Release

bench_workdir cmcc-bench

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

valid=0
runs=$WORKLOADS
if [ -n "${CMCC_BENCH_PG_URL:-}" ]; then
  runs=
  for wl in $WORKLOADS; do runs="$runs $wl $wl/pg"; done
fi
for tag in $runs; do
  wl=${tag%/pg}
  dir=$WORK/$(echo "$tag" | tr / -)
  # each workload on a fresh log of its own, so that both start from the same state
  if [ "$tag" = "$wl" ]; then
    bench_log "$dir"
  else # a new database on the PostgreSQL server
    db=cmcc_bench_$(echo "$wl" | tr -c 'a-z0-9\n' _)_$$
    # shellcheck disable=SC2059 # the URL is the format
    url=$(printf "$CMCC_BENCH_PG_URL" "$db")
    "${CMCC_BENCH_PSQL:-psql}" -qX "$(printf "$CMCC_BENCH_PG_URL" postgres)" \
      -c "CREATE DATABASE $db" >/dev/null
    bench_log "$dir" --store "$url"
  fi
  bench_serve "$dir"
  echo "server ($tag): $URL (pid $SERVER_PID, default options), log in $dir" | tee -a "$OUT"
  "$BENCH" ingest --workload "$wl" --url "$URL" --token "$TOKEN" --key "$dir/coordinator.pem" \
    --org cell --server-pid "$SERVER_PID" "$@" | sed -u "s| workload=$wl | workload=$tag |" |
    tee -a "$OUT" || valid=1

  # the log must hold entry 0 and every event the bench sent, no more, no less
  sent=$(sed -n "s|^result ingest.total workload=$tag events=||p" "$OUT")
  size=
  for _ in 1 2 3 4 5 6 7 8 9 10; do
    size=$(curl -fsS "${URL}checkpoint" | sed -n 2p)
    [ "$size" = "$((${sent:-0} + 1))" ] && break
    sleep 0.5
  done
  echo "log size after the $tag run: $size entries (expected 1 + $sent)" | tee -a "$OUT"
  echo "load after the $tag run: $(cut -d" " -f1-3 /proc/loadavg)" | tee -a "$OUT"
  [ "$size" = "$((${sent:-0} + 1))" ] || valid=1
  bench_stop || { echo "the server did not stop cleanly" >&2; valid=1; }
  echo | tee -a "$OUT"
done

# the table: each rate next to the verification limit measured above
awk -v valid="$valid" '
  function kv(line, key,   n, i, a, f) {
    n = split(line, a, " ")
    for (i = 3; i <= n; i++) { split(a[i], f, "="); if (f[1] == key) return f[2] }
    return ""
  }
  $1 == "result" && $2 == "verify.1"   { v1 = kv($0, "per_s"); o1 = kv($0, "other_cpu") }
  $1 == "result" && $2 == "verify.all" { va = kv($0, "per_s"); vt = kv($0, "threads"); oa = kv($0, "other_cpu") }
  $1 == "result" && $2 ~ /^ingest\./ && $2 != "ingest.total" {
    w = kv($0, "workload"); m = substr($2, 8)
    if (!(m in seen)) { seen[m] = 1; modes[++nm] = m }
    if (!(w in wseen)) { wseen[w] = 1; wls[++nw] = w }
    row[w, m] = $0
  }
  END {
    print ""
    printf "Ed25519 verifications/s (libsodium): %d on 1 thread, %d on %d threads (the limit)\n", v1, va, vt
    printf "(other processes used %.0f%% and %.0f%% of the cores meanwhile)\n\n", 100 * o1, 100 * oa
    # side by side: each workload'"'"'s rate and its ratio to the limit
    printf "%-10s %7s", "", ""
    for (j = 1; j <= nw; j++) printf " | %-40s", wls[j]
    if (nw == 2) printf " | %s", wls[2] "/" wls[1]
    printf "\n%-10s %7s", "mode", "clients"
    for (j = 1; j <= nw; j++) printf " | %9s %6s %6s %8s %7s", "events/s", "p50 ms", "p99 ms", "us/event", "/limit"
    if (nw == 2) printf " | %8s %8s", "events/s", "us/event"
    printf "\n"
    for (i = 1; i <= nm; i++) {
      m = modes[i]; cl = ""
      for (j = 1; j <= nw; j++) if ((wls[j], m) in row) cl = kv(row[wls[j], m], "clients")
      printf "%-10s %7s", m, cl
      for (j = 1; j <= nw; j++) {
        r = row[wls[j], m]
        if (r == "") { printf " | %40s", "-"; continue }
        eps[j] = kv(r, "events_per_s"); use[j] = kv(r, "server_cpu_s") * 1e6 / kv(r, "events")
        printf " | %9s %6.1f %6.1f %8.1f %7.3f", eps[j], kv(r, "p50_ms"), kv(r, "p99_ms"), use[j], eps[j] / va
      }
      if (nw == 2 && row[wls[1], m] != "" && row[wls[2], m] != "" && eps[1] > 0 && use[1] > 0)
        printf " | %8.2f %8.2f", eps[2] / eps[1], use[2] / use[1]
      printf "\n"
    }
    print ""
    # every figure, one row per workload and mode
    printf "%-8s %-10s %7s %7s %9s %7s %7s %6s %7s %7s %7s %7s %9s %6s %7s %7s\n", "workload", "mode",
      "clients", "events", "events/s", "p50 ms", "p99 ms", "errors", "client", "server",
      "others", "workers", "us/event", "verify", "/limit", "/1core"
    for (j = 1; j <= nw; j++) for (i = 1; i <= nm; i++) {
      r = row[wls[j], modes[i]]
      if (r == "") continue
      s = kv(r, "seconds"); e = kv(r, "events_per_s"); ev = kv(r, "events")
      cc = kv(r, "client_cpu_s"); sc = kv(r, "server_cpu_s"); oc = kv(r, "other_cpu_s")
      printf "%-8s %-10s %7s %7s %9s %7.1f %7.1f %6s %6.0f%% %6.0f%% %6.0f%% %7s %9.1f %5.0f%% %7.3f %7.3f\n",
        wls[j], modes[i], kv(r, "clients"), ev, e, kv(r, "p50_ms"), kv(r, "p99_ms"),
        kv(r, "errors"), 100 * cc / (s * vt), 100 * sc / (s * vt), 100 * oc / (s * vt),
        kv(r, "busy_workers"), sc * 1e6 / ev, 100 * (1e6 / v1) / (sc * 1e6 / ev),
        e / va, e / v1
    }
    printf "\nclient, server: CPU time during the phase as a share of the time of all %d cores\n", vt
    print "others: the same for every other process on the machine (load that is not the bench)"
    print "workers: HTTP worker threads of the server that were busy (>= 5% of the time)"
    print "us/event: server CPU time per event; verify: the share of it one Ed25519"
    print "  verification takes (1 / the 1-thread rate)"
    print "/limit: events/s over the all-core verification rate; /1core: over one thread"
    if (nw == 2) print wls[2] "/" wls[1] ": the ratio of their events/s and of their us/event"
    # PostgreSQL (W/pg) over SQLite (W), when both ran
    npg = 0
    for (j = 1; j <= nw; j++) if (wls[j] ~ /\/pg$/) npg++
    if (npg) {
      printf "\n%-10s %-8s | %9s %7s | %9s %7s | %8s %8s\n", "mode", "workload", "SQLite", "/limit",
        "PG", "/limit", "PG/SQLite", "us/event"
      for (j = 1; j <= nw; j++) {
        if (wls[j] !~ /\/pg$/) continue
        b = substr(wls[j], 1, length(wls[j]) - 3)
        for (i = 1; i <= nm; i++) {
          r = row[wls[j], modes[i]]; q = row[b, modes[i]]
          if (r == "" || q == "") continue
          ep = kv(r, "events_per_s"); es = kv(q, "events_per_s")
          up = kv(r, "server_cpu_s") / kv(r, "events"); us = kv(q, "server_cpu_s") / kv(q, "events")
          printf "%-10s %-8s | %9s %7.3f | %9s %7.3f | %8.2f %8.2f\n", modes[i], b, es, es / va,
            ep, ep / va, ep / es, up / us
        }
      }
      print "SQLite, PG: events/s on each store; /limit: over the all-core verification rate;"
      print "  PG/SQLite: the ratio of their events/s and of their server CPU per event"
      print "  (the CPU of cmcc serve only: that of the PostgreSQL servers is not in us/event)"
    }
    print (valid == 0 ? "run: VALID (no errors, log size as expected)" : "run: INVALID (see above)")
  }' "$OUT" >"$WORK/table.txt"
tee -a "$OUT" <"$WORK/table.txt"
[ -z "${CMCC_BENCH_OUT:-}" ] || cp "$OUT" "$CMCC_BENCH_OUT"
exit "$valid"
