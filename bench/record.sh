#!/bin/sh
# bench/record.sh: the Record page's benchmark in one command (see
# bench/README.md): how fast the page signs and stores an event, and sends a
# thousand waiting ones, in Debian's chromium (headless) against the real
# `cmcc serve` on 127.0.0.1. It builds nothing: it needs a built cmcc
# (CMCC_BIN, default build/cmcc). Like tests/browser/run.sh, it first
# installs what is missing: chromium, nodejs and npm through
# scripts/install-deps.sh, and playwright-core in tests/browser/ (`npm ci`
# there), whose node_modules it uses through NODE_PATH. No browser is ever
# downloaded.
#
#   bench/record.sh                      # about 90 s; prints the tables
#   CMCC_RECORD_N=200 CMCC_RECORD_REPS=1 bench/record.sh   # a quick run
#
# Environment: CMCC_BIN, CHROMIUM (default /usr/bin/chromium),
# CMCC_RECORD_N (events, default 1000), CMCC_RECORD_REPS (sends, default 3),
# CMCC_RECORD_FORMS (forms signed on the Record view, default 15),
# TMPDIR (where the log and the browser profile go; on a disk, not tmpfs,
# since the outbox's writes are durable), CMCC_BENCH_KEEP=1 keeps them.
# Exit status 0 when every run was valid, 1 otherwise.
set -eu

ROOT=$(cd "$(dirname "$0")/.." && pwd)
BROWSER=$ROOT/tests/browser
CMCC_BIN=${CMCC_BIN:-$ROOT/build/cmcc}
case $CMCC_BIN in /*) ;; *) CMCC_BIN=$(pwd)/$CMCC_BIN ;; esac
CHROMIUM=${CHROMIUM:-/usr/bin/chromium}
PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1
export CMCC_BIN CHROMIUM PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD

if [ ! -x "$CMCC_BIN" ]; then
  echo "record.sh: no cmcc at $CMCC_BIN (set CMCC_BIN, or build it first)" >&2
  exit 2
fi
if [ ! -x "$CHROMIUM" ] || ! command -v node >/dev/null 2>&1 || ! command -v npm >/dev/null 2>&1; then
  "$ROOT/scripts/install-deps.sh"
fi
if [ ! -d "$BROWSER/node_modules/playwright-core" ]; then
  (cd "$BROWSER" && npm ci --no-audit --no-fund --loglevel=error)
fi

NODE_PATH=$BROWSER/node_modules exec node "$ROOT/bench/record.mjs"
