#!/usr/bin/env bash
# The Citus tests: starts a coordinator and two workers (scripts/citus_cluster.sh)
# from the PostgreSQL that PG_CONFIG names, with credit_ledger already
# installed there (make install), and runs the topics in test/citus/sql with
# pg_regress against the coordinator (expected output in test/citus/expected,
# results and diffs in build/citus). A spare node is started for the topic
# that adds one (its port in CITUS_SPARE_PORT). The cluster is stopped and
# removed at the end.
#   PG_CONFIG=... bash scripts/test_citus.sh [topic...]
# The topics build on each other in one database, in order (01_distribute
# creates and distributes the extension): to run a later one, name 01 too,
# e.g. bash scripts/test_citus.sh 01_distribute 03_shard_access.
# When Citus is not installed there it prints "skipped: Citus not installed"
# and exits 77 (scripts/test.sh counts it as skipped). CITUS_PORT (default
# 5470) is the coordinator's port; the nodes use the next three.
set -uo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
cd "$root" || exit 1
pg_config=${PG_CONFIG:-pg_config}
export PG_CONFIG=$pg_config
export CITUS_PORT=${CITUS_PORT:-5470}
libdir=$("$pg_config" --pkglibdir)
if [ ! -f "$libdir/citus.so" ]; then
  echo "citus tests: skipped: Citus not installed (no citus.so in $libdir)"
  exit 77
fi
if [ ! -f "$("$pg_config" --sharedir)/extension/credit_ledger.control" ]; then
  echo "credit_ledger is not installed in $("$pg_config" --sharedir): run make install first" >&2
  exit 1
fi

cluster() { bash scripts/citus_cluster.sh "$@"; }
trap 'cluster stop' EXIT
cluster start || exit 1
CITUS_SPARE_PORT=$(cluster start-node) || exit 1
export CITUS_SPARE_PORT

topics=("$@")
if [ ${#topics[@]} -eq 0 ]; then
  mapfile -t topics < <(cd test/citus/sql && for f in [0-9]*.sql; do echo "${f%.sql}"; done)
fi
rm -rf build/citus && mkdir -p build/citus
# As root, pg_regress's psql runs as root too: it only connects (as the
# database user postgres, trust on 127.0.0.1).
"$libdir/pgxs/src/test/regress/pg_regress" \
  --bindir="$("$pg_config" --bindir)" --inputdir=test/citus --outputdir=build/citus \
  --use-existing --host=127.0.0.1 --port="$CITUS_PORT" --user=postgres --dbname=postgres \
  "${topics[@]}"
