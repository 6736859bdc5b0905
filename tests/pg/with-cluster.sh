#!/bin/sh
# with-cluster.sh: runs a command against a throwaway PostgreSQL cluster.
#
#   tests/pg/with-cluster.sh CMD [ARG...]
#
# initdb makes a cluster in a new temporary directory, pg_ctl starts it
# listening only on a unix socket in that directory (no TCP port, so two
# runs never collide), CMD runs with
#   CMCC_PG_URL      postgresql:///postgres?host=DIR&port=5432&user=cmcc_test
#                    (the maintenance database; a test makes its own), and
#   CMCC_PG_BIN      the directory of PostgreSQL's programs (createdb, ...)
# in its environment, and the cluster is stopped and its directory removed
# afterwards, whatever CMD did (also when this script is killed: a
# watchdog notices); the script exits with CMD's status. initdb
# refuses to run as root: as root, the cluster is made and run by the
# `postgres` user (runuser) in a directory that user owns.
set -eu

[ $# -ge 1 ] || { echo "usage: $0 CMD [ARG...]" >&2; exit 2; }

bin=""
for d in /usr/lib/postgresql/*/bin; do
  [ -x "$d/initdb" ] && bin="$d"
done
[ -n "$bin" ] || { echo "with-cluster: no PostgreSQL server (apt-get install postgresql)" >&2; exit 2; }

dir=$(mktemp -d /tmp/cmcc-pg.XXXXXX)
as=""
if [ "$(id -u)" -eq 0 ]; then
  chown postgres "$dir"
  as="runuser -u postgres --"
fi
chmod 0755 "$dir"

stop() {
  $as "$bin/pg_ctl" -D "$dir/data" -m immediate -w stop >/dev/null 2>&1 || true
  rm -rf "$dir"
}
trap stop EXIT INT TERM
# and if this script is killed outright (a test runner's timeout), a
# watchdog stops the cluster once the script is gone
me=$$
( while kill -0 "$me" 2>/dev/null; do sleep 1; done; stop ) </dev/null >/dev/null 2>&1 &

$as "$bin/initdb" -D "$dir/data" -U cmcc_test -A trust -E UTF8 --locale=C.UTF-8 \
  --no-sync >"$dir/initdb.log" 2>&1 || { cat "$dir/initdb.log" >&2; exit 2; }
# fsync off: a throwaway cluster need not survive a crash of the machine
$as "$bin/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w -s \
  -o "-c listen_addresses= -c unix_socket_directories=$dir -c fsync=off -c max_connections=400 -c shared_buffers=64MB" \
  start || { cat "$dir/server.log" >&2; exit 2; }

CMCC_PG_URL="postgresql:///postgres?host=$dir&user=cmcc_test"
CMCC_PG_BIN="$bin"
export CMCC_PG_URL CMCC_PG_BIN
set +e
"$@"
rc=$?
set -e
exit $rc
