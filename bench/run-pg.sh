#!/bin/sh
# bench/run-pg.sh: ingest on PostgreSQL with a synchronous standby next to
# SQLite, in one run (see bench/README.md, "PostgreSQL").
#
#   bench/run-pg.sh [INGEST-OPTIONS...]
#
# Makes two throwaway PostgreSQL clusters in a new temporary directory under
# $TMPDIR (initdb, as the `postgres` user through runuser when run as root):
# a primary and a standby streaming from it (pg_basebackup), named in the
# primary's synchronous_standby_names with synchronous_commit=remote_apply,
# so that a commit returns only once the standby has applied it. Both keep
# fsync on, as SQLite does; they listen on unix sockets in that directory
# only. Then it runs bench/run.sh with CMCC_BENCH_PG_URL set: one
# verification measurement, then each workload on SQLite and on a new
# database of the primary, and the tables, the last one PostgreSQL over
# SQLite, each rate also over the verification limit of the same run. The
# clusters are stopped and removed afterwards, whatever happened.
#
# Options and the environment are bench/run.sh's (CMCC_BENCH_WORKLOADS,
# CMCC_BENCH_OUT, ...). Needs PostgreSQL's server (apt-get install
# postgresql: initdb, pg_ctl, pg_basebackup, psql).
set -eu

ROOT=$(cd "$(dirname "$0")/.." && pwd)
pgbin=""
for d in /usr/lib/postgresql/*/bin; do
  [ -x "$d/initdb" ] && pgbin="$d"
done
[ -n "$pgbin" ] || { echo "run-pg: no PostgreSQL server (apt-get install postgresql)" >&2; exit 2; }

pgdir=$(mktemp -d "${TMPDIR:-/tmp}/cmcc-bench-pg.XXXXXX")
as=""
if [ "$(id -u)" -eq 0 ]; then
  chown postgres "$pgdir"
  as="runuser -u postgres --"
fi
chmod 0755 "$pgdir"

pg_stop() {
  for c in s p; do
    [ -d "$pgdir/$c" ] && $as "$pgbin/pg_ctl" -D "$pgdir/$c" -m immediate -w stop >/dev/null 2>&1
  done
  rm -rf "$pgdir"
}
trap pg_stop EXIT
trap 'exit 130' INT TERM

pg_start() { # DATA PORT [SETTINGS]
  $as "$pgbin/pg_ctl" -D "$1" -l "$1.log" -w -s -o \
    "-c listen_addresses= -c unix_socket_directories=$pgdir -c port=$2 -c max_connections=200 \
     -c shared_buffers=256MB $3" start || { cat "$1.log" >&2; exit 2; }
}

echo "PostgreSQL: a primary and a synchronous standby in $pgdir ($("$pgbin/postgres" --version))" >&2
$as "$pgbin/initdb" -D "$pgdir/p" -U cmcc_bench -A trust -E UTF8 --locale=C.UTF-8 \
  >"$pgdir/initdb.log" 2>&1 || { cat "$pgdir/initdb.log" >&2; exit 2; }
pg_start "$pgdir/p" 5432 "-c synchronous_standby_names=standby1 -c synchronous_commit=remote_apply"
$as "$pgbin/pg_basebackup" -d "host=$pgdir port=5432 user=cmcc_bench" -D "$pgdir/s" -R -X stream
echo "primary_conninfo = 'host=$pgdir port=5432 user=cmcc_bench application_name=standby1'" |
  $as tee -a "$pgdir/s/postgresql.auto.conf" >/dev/null
pg_start "$pgdir/s" 5433 ""
sync=
for _ in $(seq 1 100); do # until the standby has caught up and streams as sync
  sync=$("$pgbin/psql" -qAtX -h "$pgdir" -p 5432 -U cmcc_bench -d postgres \
    -c "SELECT sync_state FROM pg_stat_replication")
  [ "$sync" = sync ] && break
  sleep 0.2
done
echo "the standby streams as: $sync" >&2
[ "$sync" = sync ] || { echo "run-pg: the standby is not synchronous" >&2; exit 2; }

CMCC_BENCH_PG_URL="postgresql:///%s?host=$pgdir&port=5432&user=cmcc_bench"
CMCC_BENCH_PSQL="$pgbin/psql"
export CMCC_BENCH_PG_URL CMCC_BENCH_PSQL
set +e
"$ROOT/bench/run.sh" "$@"
rc=$?
set -e
exit $rc
