#!/bin/sh
# fuzz.sh: runs each libFuzzer target of a fuzz build for a bounded time
# (`make fuzz` builds it first: CC=clang, -DCMCC_FUZZ=ON).
#
#   scripts/fuzz.sh BUILD_DIR SECONDS [TARGET...]
#
# Each target (default: every tests/fuzz/fuzz_*.c, with its fuzz_*.dict of
# tokens when there is one) runs over its working corpus
# BUILD_DIR/fuzz-corpus/<target>, which starts as a copy of the seeds in
# tests/fuzz/corpus/<target> and keeps what the fuzzer found in earlier
# runs (delete it to start over). A crash, leak, sanitizer report,
# broken property, timeout or out-of-memory leaves its input in
# BUILD_DIR/fuzz-artifacts/<target>/ and makes this script fail once every
# target has run. To keep such an input as a regression, fix the bug and
# copy the file to tests/fuzz/regressions/<target>/ (CTest replays it).
set -eu

build=${1:?usage: fuzz.sh BUILD_DIR SECONDS [TARGET...]}
seconds=${2:?usage: fuzz.sh BUILD_DIR SECONDS [TARGET...]}
shift 2
src=$(cd "$(dirname "$0")/.." && pwd)/tests/fuzz
if [ $# -eq 0 ]; then
  for f in "$src"/fuzz_*.c; do
    n=$(basename "$f" .c)
    set -- "$@" "${n#fuzz_}"
  done
fi

# leaks are findings; a symbolized stack says where
export ASAN_OPTIONS="${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=1}"
export UBSAN_OPTIONS="${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}"

failed=""
for t in "$@"; do
  bin="$build/tests/fuzz/fuzz_$t"
  [ -x "$bin" ] || { echo "fuzz: no $bin (run make fuzz)" >&2; exit 2; }
  corpus="$build/fuzz-corpus/$t"
  artifacts="$build/fuzz-artifacts/$t"
  mkdir -p "$corpus" "$artifacts"
  cp "$src/corpus/$t"/* "$corpus"/
  log="$build/fuzz-$t.log"
  dict=""
  [ -f "$src/fuzz_$t.dict" ] && dict="-dict=$src/fuzz_$t.dict"
  echo "fuzz: $t for ${seconds}s"
  # -timeout: one input taking 10 s is a finding; -rss_limit_mb: so is 2 GB
  # shellcheck disable=SC2086
  if "$bin" -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 -print_final_stats=1 \
      -artifact_prefix="$artifacts/" $dict "$corpus" >"$log" 2>&1; then
    # the last status line: coverage, features, corpus, speed
    grep -E '^#[0-9]+.*(DONE|pulse|NEW|REDUCE|INITED)' "$log" | tail -n 1 | sed 's/^/  /'
    grep -E '^stat::(number_of_executed_units|average_exec_per_sec|peak_rss_mb)' "$log" |
      sed 's/^/  /'
  else
    echo "fuzz: $t FAILED; the report is in $log, the input in $artifacts/:" >&2
    grep -E 'ERROR|SUMMARY|property broken|runtime error' "$log" | head -n 5 | sed 's/^/  /' >&2
    ls "$artifacts" | sed 's/^/  /' >&2
    failed="$failed $t"
  fi
done
if [ -n "$failed" ]; then
  echo "fuzz: failed:$failed" >&2
  exit 1
fi
echo "fuzz: no finding in $# target(s), ${seconds}s each"
