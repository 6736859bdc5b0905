#!/bin/sh
# bench/run-large.sh: the large-log measurements in one command (see
# bench/README.md).
#
#   bench/run-large.sh
#
# Builds cmcc and cmcc-biglog (CMake Release, in build-bench/), then:
#   1. builds a log of CMCC_LARGE_N entries (default 10,000,000) through the
#      store directly (cmcc-biglog build), serves it, and asks for
#      CMCC_LARGE_PROOFS inclusion proofs of random entries (default 20,000),
#      each checked, printing their median, p90 and p99 latency; then reads
#      the server's resident memory (VmRSS now, VmHWM its peak) from /proc;
#      the proofs run twice over the same entries: the second pass finds
#      their pages in the page cache, the first mostly does not;
#   2. builds a log of CMCC_VERIFY_N entries (default 1,000,000) and times
#      `cmcc verify` of it (wall clock, CPU, peak memory from /usr/bin/time
#      when installed, else the shell's clock).
# Needs about 800 bytes of disk per entry (8 GB for the defaults) under
# TMPDIR. Environment: CMCC_BENCH_BUILD (default <repo>/build-bench),
# CMCC_BENCH_KEEP=1 keeps the logs, CMCC_BENCH_OUT=FILE also writes the
# output to FILE.
set -eu

ROOT=$(cd "$(dirname "$0")/.." && pwd)
BUILD=${CMCC_BENCH_BUILD:-$ROOT/build-bench}
BIN=$BUILD/cmcc
BIG=$BUILD/bench/cmcc-biglog
N=${CMCC_LARGE_N:-10000000}
PROOFS=${CMCC_LARGE_PROOFS:-20000}
VN=${CMCC_VERIFY_N:-1000000}
. "$ROOT/bench/lib.sh"

echo "building (Release) in $BUILD ..." >&2
bench_build "$BUILD" Release
cmake --build "$BUILD" -j"$(nproc)" --target cmcc-biglog >>"$BUILD/bench-build.log" 2>&1 ||
  { tail -40 "$BUILD/bench-build.log" >&2; exit 1; }

bench_workdir cmcc-large

OUT=$WORK/out.txt
say() { echo "$*" | tee -a "$OUT"; }

say "date:    $(date -u +%Y-%m-%dT%H:%M:%SZ)"
say "machine: $(nproc) cores, $(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -1), Linux $(uname -r)"
say "load:    $(cut -d" " -f1-3 /proc/loadavg) (1, 5, 15 min, before the run)"
say "commit:  $(git -C "$ROOT" rev-parse --short HEAD 2>/dev/null || echo '?')"

# 1. proofs and memory on the large log
"$BIG" build "$WORK/big" "$N" | tee -a "$OUT"
say "store:   $(du -sh "$WORK/big/cmcc.db" | cut -f1) for $N entries"
TOKEN=$("$BIN" token create "$WORK/big" --org cell 2>/dev/null)
bench_serve "$WORK/big"
URL=${URL%/}
rss() { sed -n "s/^$1:[[:space:]]*//p" "/proc/$SERVER_PID/status"; }
say "server:  VmRSS $(rss VmRSS) after start"
printf 'first pass:  ' | tee -a "$OUT"
"$BIG" proofs "$URL" "$TOKEN" "$PROOFS" | tee -a "$OUT"
printf 'second pass: ' | tee -a "$OUT"
"$BIG" proofs "$URL" "$TOKEN" "$PROOFS" | tee -a "$OUT"
say "server:  VmRSS $(rss VmRSS), peak VmHWM $(rss VmHWM), after the proofs"
bench_stop
[ "${CMCC_BENCH_KEEP:-0}" = 1 ] || rm -rf "$WORK/big"

# 2. cmcc verify of a smaller log
"$BIG" build "$WORK/v" "$VN" | tee -a "$OUT"
if [ -x /usr/bin/time ]; then
  /usr/bin/time -f "verify:  %e s wall, %U s user, %S s system, peak RSS %M KiB" \
    "$BIN" verify "$WORK/v" 2>&1 | tee -a "$OUT"
else
  t0=$(date +%s.%N)
  "$BIN" verify "$WORK/v" | tee -a "$OUT"
  say "verify:  $(echo "$(date +%s.%N) - $t0" | bc) s wall"
fi

if [ -n "${CMCC_BENCH_OUT:-}" ]; then cp "$OUT" "$CMCC_BENCH_OUT"; fi
