#!/usr/bin/env bash
# Runs the examples' tests: the relay's pytest scenarios (examples/relay),
# the automatic top-up loop's (examples/topup) and the client examples in Python and Node.js (examples/clients), against a
# running PostgreSQL where the credit_ledger extension is installed.
#
#   bash examples/run_tests.sh                  # connects with the PG* variables
#   bash examples/run_tests.sh 'host=/tmp port=5432 user=postgres dbname=postgres'
#
# The connection (PG* variables, or a libpq DSN/URI as the only argument) must
# be allowed to CREATE DATABASE and CREATE EXTENSION (a superuser, e.g. inside
# pg_virtualenv). Each run creates a fresh database, runs everything in it and
# drops it (KEEP_DB=1 keeps it). Missing packages are installed by
# `scripts/deps.sh examples` (root only): python3-psycopg and python3-pytest,
# and nodejs and npm when there is no node; then `npm ci` in examples/clients
# (needs the npm registry). Prints one line per test and ends with
# "N passed, N failed"; exits non-zero when anything failed.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
PYTHON="${PYTHON:-/usr/bin/python3}"   # Debian's python3: python3-psycopg is installed for it
passed=0
failed=0
pass() { echo "PASS: $1"; passed=$((passed + 1)); }
fail() { echo "FAIL: $1"; failed=$((failed + 1)); }
finish() {
  echo "$passed passed, $failed failed"
  if [ "$failed" -eq 0 ]; then exit 0; fi
  exit 1
}

# --- packages ---------------------------------------------------------------

deps_log="$(mktemp /tmp/credit_ledger_examples_deps.XXXXXX)"
if ! bash "$here/../scripts/deps.sh" examples >"$deps_log" 2>&1; then
  tail -30 "$deps_log"; rm -f "$deps_log"
  fail "packages (scripts/deps.sh examples)"; finish
fi
rm -f "$deps_log"

# --- a fresh database -------------------------------------------------------

# A DSN argument becomes PG* variables, which psycopg, pytest's relays and
# node-postgres all read.
if [ $# -ge 1 ] && [ -n "$1" ]; then
  eval "$("$PYTHON" - "$1" <<'EOF'
import shlex, sys
from psycopg.conninfo import conninfo_to_dict
names = {"host": "PGHOST", "hostaddr": "PGHOSTADDR", "port": "PGPORT", "user": "PGUSER",
         "password": "PGPASSWORD", "dbname": "PGDATABASE", "sslmode": "PGSSLMODE"}
for key, value in conninfo_to_dict(sys.argv[1]).items():
    if key in names:
        print(f"export {names[key]}={shlex.quote(str(value))}")
EOF
)"
fi

db="credit_ledger_examples_$$_$RANDOM"
sql() { # sql DBNAME STATEMENT: runs one statement in autocommit
  "$PYTHON" - "$1" "$2" <<'EOF'
import sys, psycopg
with psycopg.connect(dbname=sys.argv[1], autocommit=True) as conn:
    conn.execute(sys.argv[2])
EOF
}
admin_db="${PGDATABASE:-postgres}"
if ! sql "$admin_db" "CREATE DATABASE $db" || ! sql "$db" "CREATE EXTENSION credit_ledger"; then
  fail "create database $db with the credit_ledger extension"
  sql "$admin_db" "DROP DATABASE IF EXISTS $db" 2>/dev/null || true
  finish
fi
echo "database: $db"
drop_db() {
  if [ "${KEEP_DB:-0}" = 1 ]; then echo "kept database $db"; return; fi
  sql "$admin_db" "DROP DATABASE IF EXISTS $db WITH (FORCE)" || true
}
trap drop_db EXIT
export PGDATABASE="$db"
unset CREDIT_LEDGER_TEST_DSN
export PYTHONDONTWRITEBYTECODE=1
work="$(mktemp -d /tmp/credit_ledger_examples.XXXXXX)"
trap 'drop_db; rm -rf "$work"' EXIT

# --- 1. the relay's and the top-up loop's tests -----------------------------

# run_pytest NAME FILE: one PASS/FAIL line per test of FILE.
run_pytest() {
  local name="$1" file="$2" log="$work/$1-pytest.log" rc line test_name started=$SECONDS
  set +e
  timeout 600 "$PYTHON" -m pytest -v -p no:cacheprovider --basetemp "$work/$name-pytest" \
    "$file" >"$log" 2>&1
  rc=$?
  set -e
  while read -r line; do
    test_name="${line%% *}"; test_name="$name: ${test_name##*::}"
    case "$line" in
      *" PASSED"*) pass "$test_name" ;;
      *" FAILED"* | *" ERROR"*) fail "$test_name" ;;
    esac
  done < <(grep -E '::.* (PASSED|FAILED|ERROR)' "$log" || true)
  if [ "$rc" -ne 0 ]; then
    tail -150 "$log"
    grep -qE ' (FAILED|ERROR)' "$log" || fail "$name: pytest exited with $rc"
  fi
  echo "$name tests: $((SECONDS - started))s"
}

run_pytest relay "$here/relay/test_credit_relay.py"
run_pytest topup "$here/topup/test_topup_loop.py"

# --- 2. the client examples -------------------------------------------------

# run_example NAME COMMAND...: counts its "ok - " and "not ok - " lines; a
# non-zero exit without a "not ok" line counts as one failure.
run_example() {
  local name="$1" log="$work/$1.log" rc
  shift
  set +e
  timeout 120 "$@" >"$log" 2>&1
  rc=$?
  set -e
  while read -r line; do
    case "$line" in
      "ok - "*) pass "$name: ${line#ok - }" ;;
      "not ok - "*) fail "$name: ${line#not ok - }" ;;
    esac
  done <"$log"
  if [ "$rc" -ne 0 ]; then
    cat "$log"
    grep -q '^not ok - ' "$log" || fail "$name: exited with $rc"
  elif ! grep -q '^ok - ' "$log"; then
    cat "$log"; fail "$name: reported nothing"
  fi
}

started=$SECONDS
run_example python "$PYTHON" "$here/clients/client_example.py"

if (cd "$here/clients" && timeout 300 npm ci --no-audit --no-fund >"$work/npm.log" 2>&1); then
  run_example node node "$here/clients/client_example.js"
else
  cat "$work/npm.log"; fail "node: npm ci"
fi
echo "client examples: $((SECONDS - started))s"

finish
