#!/usr/bin/env bash
# Starts a throwaway PostgreSQL 15 with pg_cron preloaded and credit_ledger
# created, runs the walkthrough (examples/walkthrough.sql), and leaves the
# server running. Run as root on Debian 12; prints how to connect and stop.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
cd "$root"

cluster=credit_ledger_demo
port="${DEMO_PORT:-5499}"
db=credit_demo

bash scripts/deps.sh
make -s -j"$(nproc)"
make -s install

if pg_lsclusters -h | awk '{print $1" "$2}' | grep -qx "15 $cluster"; then
  pg_dropcluster --stop 15 "$cluster"
fi
pg_createcluster 15 "$cluster" -p "$port" \
  -o "shared_preload_libraries=pg_cron" -o "cron.database_name=$db" \
  -o "cron.host=/var/run/postgresql" >/dev/null
pg_ctlcluster 15 "$cluster" start

as_postgres() { runuser -u postgres -- "$@"; }
as_postgres createdb -p "$port" "$db"
as_postgres psql -X -q -p "$port" -d "$db" -v ON_ERROR_STOP=1 \
  -c "CREATE EXTENSION pg_cron" -c "CREATE EXTENSION credit_ledger" \
  -c "SELECT credit_schedule_expiration()" >/dev/null

echo "== walkthrough: examples/walkthrough.sql"
as_postgres psql -X -a -q -p "$port" -d "$db" < examples/walkthrough.sql

cat <<MSG

The demo server is running (PostgreSQL 15, pg_cron preloaded and running the
expiration sweep every minute, credit_ledger installed in database $db).
Connect with:

    runuser -u postgres -- psql -p $port $db

Stop and remove it with:

    pg_dropcluster --stop 15 $cluster
MSG
