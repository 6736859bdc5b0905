# shellcheck shell=sh
# lib/conformance.sh: what the conformance scripts share (sourced, not run;
# outside conformance/*.sh so that CTest does not take it for a test).
#
# Sets CMCC, SHARED and PY from the environment CTest gives; makes a
# temporary directory $tmp, removed at exit after the server (if one runs) is
# stopped; and defines
#   fail MESSAGE   prints FAIL: MESSAGE and exits 1
#   serve DIR      starts `cmcc serve DIR` on a free port; sets pid and URL
#                  (without the final slash)
# shellcheck disable=SC2034 # used by the scripts that source this
CMCC=${CMCC_BIN:?CMCC_BIN is the cmcc binary}
SHARED=${CMCC_SHARED_DIR:?CMCC_SHARED_DIR is ../shared}
PY=${PYTHON3:-/usr/bin/python3}
tmp=$(mktemp -d "${TMPDIR:-/tmp}/cmcc-conformance.XXXXXX")
pid=
cleanup() {
    [ -n "$pid" ] && kill "$pid" 2>/dev/null && wait "$pid" 2>/dev/null
    rm -rf "$tmp"
}
trap cleanup EXIT
fail() { echo "FAIL: $*" >&2; exit 1; }

serve() {
    "$CMCC" serve "$1" --listen 127.0.0.1:0 > "$tmp/serve.out" 2>&1 &
    pid=$!
    i=0
    until grep -q 'at http://' "$tmp/serve.out"; do
        i=$((i + 1)); [ $i -lt 100 ] || fail "the server did not start"; sleep 0.1
    done
    # shellcheck disable=SC2034
    URL=$(sed -n 's/.* at \(http:[^ ]*\)\/$/\1/p' "$tmp/serve.out")
}
