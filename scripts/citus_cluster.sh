#!/usr/bin/env bash
# A throwaway Citus cluster on loopback: one coordinator and two workers, for
# development and for the Citus tests (scripts/test_citus.sh).
#
#   scripts/citus_cluster.sh start    # initdb + start the three nodes, join them
#   scripts/citus_cluster.sh status   # which nodes run, and the coordinator's pg_dist_node
#   scripts/citus_cluster.sh stop     # stop the nodes and remove their data
#   scripts/citus_cluster.sh env      # prints the export line for psql (the coordinator)
#   scripts/citus_cluster.sh start-node  # starts one more node, not yet in the
#                                     # cluster, and prints its port (join it
#                                     # with citus_add_node('127.0.0.1', port))
#
# The PostgreSQL it runs is the one PG_CONFIG names (default: pg_config on the
# PATH), so it works with the system install (CI) and with a relocated copy
# (/work/tools/devpg.sh). Citus must be installed there (citus.so and
# citus.control); credit_ledger, when installed there, is preloaded after it
# on every node (its NULL-customer guard, README "Scale-out on Citus"); with
# pg_cron installed as well, the coordinator preloads it too
# (cron.database_name = postgres), for the expiration sweep.
#
# Settings (environment):
#   CITUS_DIR   where the nodes' data, sockets and logs go (default
#               /tmp/credit_ledger_citus_<CITUS_PORT>)
#   CITUS_PORT  the coordinator's port; worker i listens on CITUS_PORT + i (default 5470)
#   CITUS_WORKERS  how many workers (default 2)
#
# Each node is an initdb cluster whose superuser is "postgres" with trust
# authentication on 127.0.0.1 and its own socket directory; the database is
# "postgres". As root the servers run as the OS user postgres (PostgreSQL
# refuses root). The settings Citus needs: shared_preload_libraries = 'citus'
# (first), max_prepared_transactions (two-phase commit across nodes) and
# wal_level = logical (shard moves). fsync is off: the data is thrown away.
set -euo pipefail

pg_config=${PG_CONFIG:-pg_config}
port=${CITUS_PORT:-5470}
dir=${CITUS_DIR:-/tmp/credit_ledger_citus_$port}
workers=${CITUS_WORKERS:-2}
bindir=$("$pg_config" --bindir)
libdir=$("$pg_config" --pkglibdir)

if [ "$(id -u)" -eq 0 ]; then
  as_owner() { runuser -u postgres -- "$@"; }
  owner=postgres
else
  as_owner() { "$@"; }
  owner=$(id -un)
fi

# node_port I: the port of node I (0 = coordinator).
node_port() { echo $((port + $1)); }
# sql I STATEMENT: runs STATEMENT on node I, failing on the first error.
sql() {
  "$bindir/psql" -X -q -v ON_ERROR_STOP=1 -h 127.0.0.1 -p "$(node_port "$1")" \
    -U postgres -d postgres -Atc "$2"
}

citus_installed() {
  [ -f "$libdir/citus.so" ] && [ -f "$("$pg_config" --sharedir)/extension/citus.control" ]
}

start_node() {
  local i=$1 data="$dir/node$1" preload=citus
  mkdir -p "$data" "$dir/sock$i"
  chown "$owner" "$data" "$dir/sock$i"
  chmod 700 "$data"
  as_owner "$bindir/initdb" -D "$data" -U postgres -A trust --no-sync >"$dir/initdb$i.log" 2>&1 ||
    { cat "$dir/initdb$i.log"; return 1; }
  # credit_ledger after citus: its planner hook refuses a NULL customer
  # before Citus plans the delegated call (Citus 13.2 crashes on one).
  if [ -f "$libdir/credit_ledger.so" ]; then
    preload=$preload,credit_ledger
  fi
  if [ "$i" -eq 0 ] && [ -f "$libdir/pg_cron.so" ]; then
    preload=$preload,pg_cron
  fi
  cat >>"$data/postgresql.conf" <<CONF
port = $(node_port "$i")
listen_addresses = '127.0.0.1'
unix_socket_directories = '$dir/sock$i'
shared_preload_libraries = '$preload'
cron.database_name = 'postgres'
max_prepared_transactions = 100
max_connections = 200
wal_level = logical
fsync = off
jit = off
CONF
  as_owner "$bindir/pg_ctl" -D "$data" -l "$dir/node$i.log" -w start >/dev/null ||
    { tail -20 "$dir/node$i.log"; return 1; }
  sql "$i" "CREATE EXTENSION citus"
}

# The nodes started so far, by number (start-node adds to them).
nodes() {
  local d
  for d in "$dir"/node*/; do
    [ -d "$d" ] && basename "$d" | sed 's/^node//'
  done | sort -n
}

stop_all() {
  local i
  for i in $(nodes); do
    if [ -f "$dir/node$i/postmaster.pid" ]; then
      as_owner "$bindir/pg_ctl" -D "$dir/node$i" -m fast -w stop >/dev/null 2>&1 ||
        as_owner "$bindir/pg_ctl" -D "$dir/node$i" -m immediate stop >/dev/null 2>&1 || true
    fi
  done
  rm -rf "$dir"
}

case "${1:-}" in
  start)
    if ! citus_installed; then
      echo "Citus is not installed in $libdir (PG_CONFIG=$pg_config)" >&2
      exit 2
    fi
    stop_all
    mkdir -p "$dir"
    chown "$owner" "$dir"
    chmod 755 "$dir"
    for i in $(seq 0 "$workers"); do
      start_node "$i"
    done
    sql 0 "SELECT citus_set_coordinator_host('127.0.0.1', $(node_port 0))" >/dev/null
    for i in $(seq 1 "$workers"); do
      sql 0 "SELECT citus_add_node('127.0.0.1', $(node_port "$i"))" >/dev/null
    done
    echo "citus cluster: coordinator 127.0.0.1:$(node_port 0), $workers workers on ports $(node_port 1)..$(node_port "$workers") (data in $dir)"
    ;;
  stop)
    stop_all
    ;;
  start-node)
    i=$(( $(nodes | tail -1) + 1 ))
    start_node "$i"
    node_port "$i"
    ;;
  status)
    rc=0
    [ -d "$dir/node0" ] || { echo "no cluster in $dir"; exit 3; }
    for i in $(nodes); do
      if [ -f "$dir/node$i/postmaster.pid" ] && as_owner "$bindir/pg_ctl" -D "$dir/node$i" status >/dev/null 2>&1; then
        echo "node $i: running on 127.0.0.1:$(node_port "$i")"
      else
        echo "node $i: not running"; rc=3
      fi
    done
    if [ "$rc" -eq 0 ]; then
      sql 0 "SELECT 'pg_dist_node: group ' || groupid || ' ' || nodename || ':' || nodeport || CASE WHEN isactive THEN '' ELSE ' (inactive)' END FROM pg_dist_node ORDER BY groupid"
    fi
    exit "$rc"
    ;;
  env)
    echo "export PGHOST=127.0.0.1 PGPORT=$(node_port 0) PGUSER=postgres PGDATABASE=postgres"
    ;;
  *)
    echo "usage: $0 start|stop|status|env|start-node" >&2
    exit 2
    ;;
esac
