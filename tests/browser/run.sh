#!/bin/sh
# run.sh: the dashboard's browser tests. Builds the demo scenario with the
# real cmcc ($CMCC_BIN demo DIR --build-only), serves it on a free port with
# this tree's web/, and drives Debian's chromium (headless) with
# playwright-core through dashboard.test.mjs, dashboard2.test.mjs and
# dashboard3.test.mjs (which also serves an empty log of its own), then label.test.mjs (a
# consignment's label; zbarimg reads its QR code), then record.test.mjs (the
# Record page, which serves its own copies of the demo log, over HTTPS with a
# throwaway CA and over HTTP on 127.0.0.1), then alerts.test.mjs (alert
# follow-up from one browser context seen in another, its own served copy),
# then trust.test.mjs (the remembered checkpoint, a rewritten log served at
# the same address, checking a proof of logging; its own logs), then live.test.mjs (the
# dashboard kept current by the live feed). Installs what is missing
# first: the Debian packages (chromium, nodejs, npm) through
# scripts/install-deps.sh, and playwright-core through `npm ci` here. No
# browser is ever downloaded.
#
#   CMCC_BIN=build/cmcc tests/browser/run.sh
#
# Screenshots go to $CMCC_BROWSER_OUT/screenshots (CTest sets it under the
# build directory), else to a new temporary directory; the path is printed.
set -eu

here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
CMCC_BIN=${CMCC_BIN:-$root/build/cmcc}
CHROMIUM=${CHROMIUM:-/usr/bin/chromium}
export PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1
export CHROMIUM

if [ ! -x "$CMCC_BIN" ]; then
  echo "run.sh: no cmcc at $CMCC_BIN (set CMCC_BIN)" >&2
  exit 2
fi
if [ ! -x "$CHROMIUM" ] || ! command -v node >/dev/null 2>&1 || ! command -v npm >/dev/null 2>&1; then
  "$root/scripts/install-deps.sh"
fi
if [ ! -d "$here/node_modules/playwright-core" ]; then
  (cd "$here" && npm ci --no-audit --no-fund --loglevel=error)
fi

work=$(mktemp -d "${TMPDIR:-/tmp}/cmcc-browser.XXXXXX")
pid=""
cleanup() {
  if [ -n "$pid" ]; then
    kill "$pid" 2>/dev/null || true
    wait "$pid" 2>/dev/null || true
  fi
  rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

out=${CMCC_BROWSER_OUT:-$work/keep}
if [ -z "${CMCC_BROWSER_OUT:-}" ]; then
  out=$(mktemp -d "${TMPDIR:-/tmp}/cmcc-browser-shots.XXXXXX")
fi
shots="$out/screenshots"
rm -rf "$shots"
mkdir -p "$shots"

"$CMCC_BIN" demo "$work/demo" --build-only >"$work/demo.log" 2>&1 || {
  cat "$work/demo.log" >&2
  exit 1
}
token=$(cat "$work/demo/demo-token.txt")

: >"$work/serve.log"
"$CMCC_BIN" serve "$work/demo" --listen 127.0.0.1:0 --web "$root/web" >>"$work/serve.log" 2>&1 &
pid=$!
url=""
i=0
while [ $i -lt 100 ]; do
  url=$(sed -n 's|.* at \(https\{0,1\}://127\.0\.0\.1:[0-9][0-9]*/\).*|\1|p' "$work/serve.log" | head -n 1)
  [ -n "$url" ] && break
  if ! kill -0 "$pid" 2>/dev/null; then
    cat "$work/serve.log" >&2
    exit 1
  fi
  sleep 0.1
  i=$((i + 1))
done
if [ -z "$url" ]; then
  echo "run.sh: cmcc serve did not say where it listens" >&2
  cat "$work/serve.log" >&2
  exit 1
fi
echo "run.sh: cmcc serving the demo at $url"

status=0
CMCC_URL=$url CMCC_TOKEN=$token CMCC_SHOTS=$shots CMCC_DEMO_DIR="$work/demo" \
  CMCC_SHARED_DIR=${CMCC_SHARED_DIR:-$root/../shared} \
  node --test --test-concurrency=1 --test-reporter=spec "$here/dashboard.test.mjs" || status=$?
# what the dashboard shows its readers: units, badges, names
CMCC_URL=$url CMCC_TOKEN=$token CMCC_SHOTS=$shots CMCC_BIN=$CMCC_BIN \
  node --test --test-concurrency=1 --test-reporter=spec "$here/dashboard2.test.mjs" || status=$?
# the map, the downloads, the remembered token, the first-run page (its own
# empty log) and the three languages
CMCC_URL=$url CMCC_TOKEN=$token CMCC_SHOTS=$shots CMCC_BIN=$CMCC_BIN \
  node --test --test-concurrency=1 --test-reporter=spec "$here/dashboard3.test.mjs" || status=$?
# a consignment's label: its QR code read back by zbarimg, its printing
CMCC_URL=$url CMCC_TOKEN=$token CMCC_SHOTS=$shots \
  node --test --test-concurrency=1 --test-reporter=spec "$here/label.test.mjs" || status=$?
# the Record page: its own served copies of the demo log, over HTTPS and
# over HTTP on 127.0.0.1, one or two devices (browser profiles) each
CMCC_BIN=$CMCC_BIN CMCC_SHOTS=$shots CMCC_SHARED_DIR=${CMCC_SHARED_DIR:-$root/../shared} \
  node --test --test-concurrency=1 --test-reporter=spec "$here/record.test.mjs" || status=$?
# alert follow-up: acknowledged from one browser context (a Record device),
# seen in another (its own served copy of the demo log)
CMCC_BIN=$CMCC_BIN CMCC_SHOTS=$shots \
  node --test --test-concurrency=1 --test-reporter=spec "$here/alerts.test.mjs" || status=$?
# trust past one server: the checkpoint the browser remembers, the red banner
# for a rewritten log at the same address, a proof of logging checked
CMCC_BIN=$CMCC_BIN CMCC_SHOTS=$shots CMCC_SHARED_DIR=${CMCC_SHARED_DIR:-$root/../shared} \
  node --test --test-concurrency=1 --test-reporter=spec "$here/trust.test.mjs" || status=$?
# the live feed: a new entry drawn on the overview without reloading, and
# polling without a token (its own served copy of the demo log)
CMCC_BIN=$CMCC_BIN CMCC_SHOTS=$shots \
  node --test --test-concurrency=1 --test-reporter=spec "$here/live.test.mjs" || status=$?
echo "run.sh: screenshots in $shots"
exit $status
