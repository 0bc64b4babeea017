#!/usr/bin/env bash
# The portal's browser test (examples/portal/test_portal.py): headless
# Chromium against the portal over the known ledger of demo_ledger.sql.
#
#   bash examples/portal/run_test.sh     # connects with the PG* variables
#
# The connection must be allowed to CREATE DATABASE, CREATE ROLE and CREATE
# EXTENSION (a superuser, e.g. inside pg_virtualenv) on a server where the
# extension is installed. As root it installs what is missing (`bash
# scripts/deps.sh portal`: python3-psycopg and chromium). Prints "ok - " and
# "not ok - " lines and ends with "N passed, N failed"; screenshots go to
# build/portal/. Exits 0 when all passed, 77 (after a "SKIPPED:" line) when
# chromium is not installed and cannot be, 1 otherwise.
set -uo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
if ! command -v chromium >/dev/null 2>&1 || ! /usr/bin/python3 -c 'import psycopg' 2>/dev/null; then
  bash "$here/../../scripts/deps.sh" portal || true
fi
if ! command -v chromium >/dev/null 2>&1; then
  echo "SKIPPED: the portal's browser test: chromium is not installed and scripts/deps.sh portal could not install it"
  exit 77
fi
export PYTHONDONTWRITEBYTECODE=1
exec timeout 900 /usr/bin/python3 "$here/test_portal.py"
