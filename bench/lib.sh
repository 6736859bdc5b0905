# shellcheck shell=sh
# bench/lib.sh: shell helpers shared by bench/run.sh and bench/profile.sh
# (sourced, not run): build, make a fresh log, start and stop its server.
#
# bench_build BUILD_DIR TYPE [CMAKE-ARGS...]
#                              cmake TYPE build of cmcc and cmcc-bench
# bench_log DIR                a new log in DIR (org "cell", key in
#                              DIR/coordinator.pem); sets TOKEN
# bench_serve DIR [ARGS...]    serves it on a free port; sets URL, SERVER_PID
# bench_stop                   SIGTERM to the server, waits for a clean exit
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
  "$BIN" init "$1" --origin bench.cmcc.example/log --org cell \
    --name "Coordination cell" >/dev/null 2>&1
  TOKEN=$("$BIN" token create "$1" --org cell 2>/dev/null)
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
