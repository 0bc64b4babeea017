#!/usr/bin/env bash
# Keyed consume throughput through a Citus coordinator with 1 and 2 workers,
# against the same workload on one node (the coordinator alone, nothing
# distributed), all on this machine: scripts/citus_cluster.sh starts each
# cluster from the PostgreSQL PG_CONFIG names, with Citus and credit_ledger
# installed there (make install). Prints one line per setup.
#   PG_CONFIG=... bash bench/citus.sh
# Settings: WALLETS (1000), CLIENTS (4), DURATION seconds per run (20),
# CITUS_PORT (5490; the workers use the next ports).
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
cd "$root"
pg_config=${PG_CONFIG:-pg_config}
export PG_CONFIG=$pg_config
export CITUS_PORT=${CITUS_PORT:-5490}
wallets=${WALLETS:-1000}
clients=${CLIENTS:-4}
duration=${DURATION:-20}
bindir=$("$pg_config" --bindir)
psql() { "$bindir/psql" -X -q -v ON_ERROR_STOP=1 -h 127.0.0.1 -p "$CITUS_PORT" -U postgres -d postgres "$@"; }
trap 'bash scripts/citus_cluster.sh stop' EXIT

for workers in 0 1 2; do
  CITUS_WORKERS=$workers bash scripts/citus_cluster.sh start >/dev/null
  psql -c "CREATE EXTENSION credit_ledger"
  if [ "$workers" -gt 0 ]; then
    psql -c "SELECT count(*) FROM credit_ledger.citus_distribute()" >/dev/null
  fi
  psql -c "SELECT credit_type_create('usd', 2)" >/dev/null
  # One call per wallet, each the whole query, so that Citus delegates it.
  psql -At -c "SELECT format('SELECT credit_grant(%L, ''usd'', 1000000000, expires_at => now() + interval ''10 years'');', 'c' || i)
                 FROM generate_series(1, $wallets) i" |
    psql >/dev/null
  psql -c "VACUUM ANALYZE" >/dev/null
  tps=$("$bindir/pgbench" -n -h 127.0.0.1 -p "$CITUS_PORT" -U postgres -f bench/pgbench/citus_consume.sql \
          -D wallets="$wallets" -c "$clients" -j 2 -T "$duration" postgres |
        sed -n 's/^tps = \([0-9.]*\).*/\1/p')
  # One customer verified (credit_verify() of everything through the
  # coordinator costs a round trip to a worker per wallet).
  check=$(psql -At -c "SELECT count(*) FROM credit_verify('c1')")
  if [ "$workers" -eq 0 ]; then setup="one node (no distribution)"; else setup="coordinator + $workers worker(s)"; fi
  printf '%-30s %6s events/s  (%s clients, %s wallets, %ss; c1 verify problems: %s)\n' \
    "$setup" "${tps%.*}" "$clients" "$wallets" "$duration" "$check"
  bash scripts/citus_cluster.sh stop
done
