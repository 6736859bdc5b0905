# shellcheck shell=sh
# bench/lib.sh: shell helpers shared by bench/run.sh, run-large.sh and profile.sh
# (sourced, not run): build, make a fresh log, start and stop its server.
#
# bench_build BUILD_DIR TYPE [CMAKE-ARGS...]
#                              cmake TYPE build of cmcc and cmcc-bench
# bench_log DIR [INIT-ARGS...] a new log in DIR (org "cell", key in
#                              DIR/coordinator.pem; INIT-ARGS go to `cmcc
#                              init`, e.g. --store URL); sets TOKEN
# bench_serve DIR [ARGS...]    serves it on a free port; sets URL, SERVER_PID
# bench_stop                   SIGTERM to the server, waits for a clean exit
# bench_workdir PREFIX         a new temporary directory in WORK; at exit the
#                              server is stopped and WORK removed (kept with
#                              CMCC_BENCH_KEEP=1), after the caller's
#                              bench_on_exit if it defines one
#
# Needs ROOT (the repository) and BIN (the build's cmcc) set by the caller.

bench_build() {
  _b=$1
  _t=$2
  shift 2
  mkdir -p "$_b"
  cmake -S "$ROOT" -B "$_b" -DCMAKE_BUILD_TYPE="$_t" "$@" >"$_b/bench-build.log" 2>&1 ||
    { cat "$_b/bench-build.log" >&2; return 1; }
  cmake --build "$_b" -j"$(nproc)" --target cmcc cmcc-bench >>"$_b/bench-build.log" 2>&1 ||
    { tail -40 "$_b/bench-build.log" >&2; return 1; }
}

bench_log() {
  _d=$1
  shift
  "$BIN" init "$_d" --origin bench.cmcc.example/log --org cell \
    --name "Coordination cell" "$@" >/dev/null 2>&1
  TOKEN=$("$BIN" token create "$_d" --org cell 2>/dev/null)
  [ -n "$TOKEN" ]
}

bench_serve() {
  _dir=$1
  shift
  "$BIN" serve "$_dir" --listen 127.0.0.1:0 "$@" >"$_dir.serve.out" 2>"$_dir.serve.err" &
  SERVER_PID=$!
  URL=
  _i=0
  while [ $_i -lt 100 ] && [ -z "$URL" ]; do
    sleep 0.1
    URL=$(sed -n 's/^cmcc: serving .* at \(http:[^ ]*\)$/\1/p' "$_dir.serve.out")
    _i=$((_i + 1))
  done
  [ -n "$URL" ] || { cat "$_dir.serve.err" >&2; return 1; }
}

bench_stop() {
  [ -n "${SERVER_PID:-}" ] || return 0
  kill -TERM "$SERVER_PID" 2>/dev/null || true
  _rc=0
  wait "$SERVER_PID" || _rc=$?
  SERVER_PID=
  return $_rc
}

bench_workdir() {
  WORK=$(mktemp -d "${TMPDIR:-/tmp}/$1.XXXXXX")
  SERVER_PID=
  trap bench_cleanup EXIT
  trap 'exit 130' INT TERM
}

# shellcheck disable=SC2317 # called by the trap
bench_cleanup() {
  if command -v bench_on_exit >/dev/null 2>&1; then bench_on_exit || true; fi
  bench_stop || true
  if [ "${CMCC_BENCH_KEEP:-0}" = 1 ]; then echo "kept $WORK" >&2; else rm -rf "$WORK"; fi
}
