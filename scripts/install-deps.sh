#!/bin/sh
# install-deps.sh: installs the Debian packages cmcc builds, tests and
# benchmarks with. Safe to run again: it asks apt-get only for what is
# missing. Run as root, or as a user who may use sudo. libclang-rt-14-dev
# holds clang's libFuzzer and sanitizer runtimes, llvm its llvm-symbolizer
# (`make fuzz`). nodejs and npm run the independent GeoJSON validator of
# tests/blackbox/test_geojson.py (tests/geojson/, installed by that test
# with `npm ci` from its lockfile) and the EPCIS 2.0 library, epcis2.js, of
# tests/blackbox/test_epcis.py (tests/epcis/, installed the same way): they
# count as present when the commands `node` and `npm` are, whichever
# package brought them (a nodejs package from elsewhere bundles npm and
# conflicts with Debian's). chromium, driven
# headless by playwright-core (tests/browser/, `npm ci` from its lockfile;
# no browser is downloaded), runs the dashboard's browser tests;
# fonts-dejavu-core gives it Latin and Arabic glyphs. The dashboard's
# browser libraries come from Debian, never copied into web/: `cmcc serve`
# serves them at /lib/<name>/ from /usr/share/javascript/, where
# node-qrcode-generator (QR codes), libjs-leaflet (maps) and
# libjs-leaflet.markercluster (clustered points, in leaflet's directory) install them.
# libqrencode-dev draws the QR code of `cmcc label`; tests/blackbox/test_label.py
# reads it back with tools that share nothing with cmcc: librsvg2-bin's
# rsvg-convert draws the SVG as a PNG, and zbar-tools' zbarimg decodes that.
# libzip-dev writes the TAK data package (GET /v1/tak/package.zip); nodejs and
# npm also run its independent CoT parser, @tak-ps/node-cot (tests/cot/,
# installed by tests/blackbox/test_cot.py with `npm ci` from its lockfile).
# libpq-dev is the client library of the PostgreSQL store backend; postgresql
# gives initdb and pg_ctl, with which the tests start a throwaway cluster
# (tests/pg/with-cluster.sh; the Debian package's own cluster is not used).
# faketime sets the clock of `cmcc demo` in tests/blackbox/test_demo.py, to
# build the demo at the hours when its story's last events are nearest.
#
#   scripts/install-deps.sh          build and test dependencies
set -eu

pkgs="build-essential cmake pkg-config clang clang-format libclang-rt-14-dev llvm
libmicrohttpd-dev libjansson-dev libsodium-dev libsqlite3-dev
libcurl4-openssl-dev libssl-dev zlib1g-dev libcmocka-dev libcsv-dev
libpq-dev postgresql
python3 python3-nacl openssl sqlite3 curl
golang-go golang-golang-x-mod-dev
chromium fonts-dejavu-core
node-qrcode-generator libjs-leaflet libjs-leaflet.markercluster
libqrencode-dev librsvg2-bin zbar-tools
libzip-dev faketime"

missing=""
for p in $pkgs; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" ||
    missing="$missing $p"
done
command -v node >/dev/null 2>&1 || missing="$missing nodejs"
command -v npm >/dev/null 2>&1 || missing="$missing npm"
[ -z "$missing" ] && exit 0

echo "install-deps: installing$missing"
sudo=""
[ "$(id -u)" -eq 0 ] || sudo="sudo"
export DEBIAN_FRONTEND=noninteractive
$sudo apt-get update -qq
# shellcheck disable=SC2086
$sudo apt-get install -y -qq --no-install-recommends $missing
