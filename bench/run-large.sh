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
#   2. for each size of CMCC_VERIFY_N (default "250000 1000000"), builds a
#      log of that many entries and measures, one after the other on it: the
#      signature checks alone (cmcc-biglog sigs: the floor), `cmcc verify
#      DIR` and `cmcc verify URL` against it served (wall clock, CPU, peak
#      memory, from /usr/bin/time), and the ratio of verify's wall clock
#      and CPU time to the signatures'; with CMCC_BEFORE_BIN=PATH also
#      `cmcc verify DIR` by that other build of cmcc (before and after in
#      one run);
#   3. with CMCC_VERIFY_BIG=1, the same on the large log of step 1 before
#      it is deleted (as long again as its build).
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
VN=${CMCC_VERIFY_N:-250000 1000000}
BEFORE=${CMCC_BEFORE_BIN:-}
. "$ROOT/bench/lib.sh"
[ -x /usr/bin/time ] || { echo "run-large.sh: needs /usr/bin/time (apt-get install time)" >&2; exit 1; }

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

# verify_all DIR: the signatures alone, then cmcc verify DIR and URL of it
TIMEF="%e s wall, %U s user, %S s system, peak RSS %M KiB"
timed() { # LABEL CMD...: one line "LABEL: <time's figures>"; the command's own output before it
  _l=$1
  shift
  /usr/bin/time -o "$WORK/time.txt" -f "$TIMEF" "$@" | cut -c1-160 | tee -a "$OUT"
  say "$_l $(cat "$WORK/time.txt")"
}
ratio() { # LINE-A LINE-B: wall and CPU of A over B
  awk -v a="$1" -v b="$2" 'BEGIN {
    split(a, x, /[ ,]+/); split(b, y, /[ ,]+/)
    printf "%.2fx the wall clock, %.2fx the CPU time\n", x[1] / y[1], (x[4] + x[7]) / (y[4] + y[7]) }'
}
verify_all() {
  _d=$1
  "$BIG" sigs "$_d" | tee -a "$OUT"
  # as /usr/bin/time's figures: wall, user + system
  _s=$(sed -n 's/^sigs: .*: \([0-9.]*\) s wall, \([0-9.]*\) s CPU.*/\1 s wall, \2 s user, 0 s system/p' "$OUT" | tail -1)
  timed "verify DIR:  " "$BIN" verify "$_d"
  _v=$(sed -n 's/^verify DIR:  *//p' "$OUT" | tail -1)
  say "verify DIR / signatures alone: $(ratio "$_v" "$_s")"
  _tok=$("$BIN" token create "$_d" --org cell 2>/dev/null)
  bench_serve "$_d"
  timed "verify URL:  " "$BIN" verify "$URL" --vkey "$(cat "$_d/log.vkey")" --token "$_tok"
  bench_stop
  if [ -n "$BEFORE" ]; then
    timed "before DIR:  " "$BEFORE" verify "$_d"
  fi
}

if [ "${CMCC_VERIFY_BIG:-0}" = 1 ]; then
  say "verify of the large log ($N entries):"
  verify_all "$WORK/big"
fi
[ "${CMCC_BENCH_KEEP:-0}" = 1 ] || rm -rf "$WORK/big"

# 2. cmcc verify of smaller logs
for n in $VN; do
  "$BIG" build "$WORK/v$n" "$n" | tee -a "$OUT"
  verify_all "$WORK/v$n"
  [ "${CMCC_BENCH_KEEP:-0}" = 1 ] || rm -rf "$WORK/v$n"
done

if [ -n "${CMCC_BENCH_OUT:-}" ]; then cp "$OUT" "$CMCC_BENCH_OUT"; fi
