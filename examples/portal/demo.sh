#!/usr/bin/env bash
# The portal over the known ledger of demo_ledger.sql, in one command:
#
#   bash scripts/walkthrough.sh       # once: a demo server with the extension
#   bash examples/portal/demo.sh      # then open http://127.0.0.1:8080/
#
# It (re)creates the database credit_portal_demo on the walkthrough's server
# (port DEMO_PORT, default 5499, reached as postgres), or on the server the
# PG* variables name when PGPORT is set (a superuser), loads the known ledger
# into it, creates the reader role credit_portal with
# credit_ledger.grant_access(role, writer => false) and a fresh random
# password, and runs the portal as that role on 127.0.0.1:PORTAL_PORT
# (default 8080) until Ctrl-C. The database keeps its fixed clock
# (2026-03-20 12:00 UTC); start at /wallets?customer=acme.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
db=credit_portal_demo
if [ -n "${PGPORT:-}" ]; then
  admin() { psql -X -q -v ON_ERROR_STOP=1 "$@"; }
else
  export PGPORT="${DEMO_PORT:-5499}" PGHOST=localhost
  admin() { runuser -u postgres -- psql -X -q -v ON_ERROR_STOP=1 -h /var/run/postgresql "$@"; }
  if ! pg_isready -q -h /var/run/postgresql -p "$PGPORT"; then
    echo "demo.sh: no server on port $PGPORT: run bash scripts/walkthrough.sh first" \
         "(or set PGPORT and the other PG* variables)" >&2
    exit 1
  fi
fi
if ! /usr/bin/python3 -c 'import psycopg' 2>/dev/null; then bash "$here/../../scripts/deps.sh" examples; fi

password=$(/usr/bin/python3 -c 'import secrets; print(secrets.token_hex(16))')
admin -d postgres -c "SET client_min_messages = warning" -c "DROP DATABASE IF EXISTS $db WITH (FORCE)" -c "CREATE DATABASE $db"
admin -d "$db" -c "CREATE EXTENSION credit_ledger" >/dev/null
admin -d "$db" >/dev/null < "$here/demo_ledger.sql"
admin -d "$db" -v password="$password" >/dev/null <<'SQL'
SELECT NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'credit_portal') AS create_role \gset
\if :create_role
CREATE ROLE credit_portal LOGIN;
\endif
ALTER ROLE credit_portal PASSWORD :'password';
SELECT credit_ledger.grant_access('credit_portal', writer => false);
SQL
echo "portal: customers acme and o'brien <b>&co</b>; the ledger's clock is 2026-03-20 12:00 UTC"
PGPASSWORD="$password" exec /usr/bin/python3 "$here/portal.py" \
  --dsn "dbname=$db user=credit_portal" --port "${PORTAL_PORT:-8080}"
