#!/bin/sh
# bench/profile.sh: where the server's CPU time goes while it ingests NDJSON
# batches (see bench/README.md, "Profile").
#
#   bench/profile.sh [BATCH [EVENTS [WORKLOAD]]]   defaults: 500 100000 registry
#
# Builds cmcc Release with debug information (in build-bench-prof/), serves a
# fresh log, and samples the server with `perf record --call-graph dwarf`
# (software cpu-clock, so it works in VMs without hardware counters) while
# `cmcc-bench ingest --workload WORKLOAD` (registry or supply) sends EVENTS
# events in NDJSON batches of BATCH; sampling is on only while the bench's
# clock runs (perf's control FIFO), not while it sends untimed events. Then it
# attributes every sample to the innermost cmcc function on its stack and
# the cmcc function that called that one ("log_verify < dsse_verify"), so
# that time spent inside libsodium, jansson, SQLite or libc is charged to
# the project code that asked for it, and prints four tables: by thread, by
# stage of the path of a write (the innermost of a dozen functions such as
# dsse_verify, ev_apply, store_apply, store_commit on the stack), by that
# attribution, and by the library the sample was in. CMCC_BENCH_KEEP=1
# keeps the temporary directory (log, perf.data).
set -eu

ROOT=$(cd "$(dirname "$0")/.." && pwd)
BUILD=${CMCC_BENCH_PROF_BUILD:-$ROOT/build-bench-prof}
BIN=$BUILD/cmcc
BENCH=$BUILD/bench/cmcc-bench
BATCH=${1:-500}
EVENTS=${2:-100000}
WORKLOAD=${3:-registry}
. "$ROOT/bench/lib.sh"

command -v perf >/dev/null || { echo "profile.sh: perf is not installed" >&2; exit 1; }
echo "building (Release with -g) in $BUILD ..." >&2
bench_build "$BUILD" Release -DCMAKE_C_FLAGS=-g

PERF_PID=
# shellcheck disable=SC2317 # called by bench_cleanup
bench_on_exit() { [ -z "$PERF_PID" ] || kill -INT "$PERF_PID" 2>/dev/null; }
bench_workdir cmcc-prof

bench_log "$WORK/log"
bench_serve "$WORK/log"
# warm up (connections, SQLite cache) before sampling
"$BENCH" ingest --workload "$WORKLOAD" --url "$URL" --token "$TOKEN" \
  --key "$WORK/log/coordinator.pem" --org cell --phases "$BATCH" --batch-events 10000 >/dev/null
mkfifo "$WORK/perf.ctl"
perf record -q -F 499 --call-graph dwarf,16384 -D -1 --control "fifo:$WORK/perf.ctl" \
  -p "$SERVER_PID" -o "$WORK/perf.data" >"$WORK/perf.log" 2>&1 &
PERF_PID=$!
sleep 1
"$BENCH" ingest --workload "$WORKLOAD" --url "$URL" --token "$TOKEN" \
  --key "$WORK/log/coordinator.pem" --org cell --phases "$BATCH" --batch-events "$EVENTS" \
  --server-pid "$SERVER_PID" --perf-ctl "$WORK/perf.ctl" | grep -v '^result'
kill -INT "$PERF_PID"
wait "$PERF_PID" || true
PERF_PID=

perf script -i "$WORK/perf.data" -F comm,tid,ip,sym,dso 2>/dev/null | awk -v bin="$BIN" '
  BEGIN {
    names["MHD-worker"] = "HTTP threads (MHD-worker)"
    names["cmcc-pool"] = "pool: checking requests (cmcc-pool)"
    names["cmcc-sequencer"] = "sequencer (cmcc-sequencer)"
    names["cmcc-syncer"] = "syncer (cmcc-syncer)"
    names["cmcc-checkpoint"] = "checkpointer (cmcc-checkpoint)"
    # the stage of the path of a write that a sample is in: the innermost
    # of these functions on its stack (everything under it included)
    stage["dsse_verify"] = "pool: signature verification (dsse_verify)"
    stage["ev_envelope_parse"] = "pool: envelope JSON and base64 (ev_envelope_parse)"
    stage["ev_event_parse"] = "pool: payload JSON and schema (ev_event_parse)"
    stage["item_prepare"] = "pool: key lookup, the rest of item_prepare"
    stage["ev_event_free"] = "freeing parsed events (ev_event_free)"
    stage["ev_apply"] = "sequencer: rules, their reads (ev_apply)"
    stage["store_apply"] = "sequencer: state writes, ledger invariant (store_apply)"
    stage["store_append"] = "sequencer: entry and its (org, id) row (store_append)"
    stage["ev_entry_write"] = "sequencer: entry JSON (ev_entry_write)"
    stage["log_leaf_hash"] = "sequencer: leaf hash (log_leaf_hash)"
    stage["log_frontier_append"] = "sequencer: tree nodes (log_frontier_append)"
    stage["store_commit"] = "sequencer: commit, WAL, fsync (store_commit)"
  }
  function flush(   i, p1, p2, key, lib, st, f) {
    if (n == 0) return
    # an inlined frame belongs to the next frame at the same address; the
    # few left over are libc internals (__memcpy_*, __GI___libc_free)
    for (i = n; i >= 1; i--)
      if (dso[i] == "(inlined)")
        dso[i] = (i < n && ip[i] == ip[i + 1]) || sym[i] !~ /^__/ ? dso[i + 1] : "(libc)"
    p1 = p2 = 0
    # a thread by its name (the server names its own: cmcc-pool, ...)
    if (!(tid in role)) role[tid] = comm in names ? names[comm] : "other threads (" comm ")"
    for (i = 1; i <= n; i++) {
      if (dso[i] != "(" bin ")") continue
      if (!p1) p1 = i
      else if (!p2 && sym[i] != sym[p1]) p2 = i
    }
    lib = dso[1]; sub(/^\(/, "", lib); sub(/.*\//, "", lib); sub(/\)$/, "", lib); sub(/\.so.*/, "", lib)
    if (lib == "[kernel.kallsyms]") lib = "kernel"
    key = p1 ? sym[p1] (p2 ? " < " sym[p2] : "") : "(no cmcc frame: " lib ")"
    st = ""
    for (i = 1; i <= n && st == ""; i++) { f = sym[i]; sub(/\..*/, "", f); if (f in stage) st = stage[f] }
    if (st == "") st = "other, " (comm in names ? comm : "other threads")
    total++; by_tid[tid]++; by_key[key]++; by_lib[lib]++; by_stage[st]++
    n = 0
  }
  /^[^ \t]/ { flush(); comm = $1; tid = $2; next }
  /^[ \t]*$/ { flush(); next }
  { n++; ip[n] = $1; sym[n] = $2; dso[n] = $NF }
  END {
    flush()
    printf "\n%d samples of the server (499 Hz, cpu-clock)\n", total
    print "\nby thread"
    for (k in by_tid) by_th[role[k]] += by_tid[k]
    for (k in by_th) printf "  %5.1f%%  %s\n", 100 * by_th[k] / total, k | "sort -rn"
    close("sort -rn")
    print "\nby stage of the path of a write (library time included)"
    for (k in by_stage) printf "  %5.1f%%  %s\n", 100 * by_stage[k] / total, k | "sort -rn"
    close("sort -rn")
    print "\nby the innermost cmcc function < its caller (library time included), top 30"
    for (k in by_key) printf "  %5.1f%%  %s\n", 100 * by_key[k] / total, k | "sort -rn | head -30"
    close("sort -rn | head -30")
    print "\nby where the sample was (self time per library)"
    for (k in by_lib) printf "  %5.1f%%  %s\n", 100 * by_lib[k] / total, k | "sort -rn | head -12"
    close("sort -rn | head -12")
  }'
bench_stop
