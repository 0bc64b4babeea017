#!/usr/bin/env bash
# bench/reports.sh: the report timings and the write cost of the usage
# index, against the server in the PG* environment (a throwaway one: it
# creates and drops databases bench_reports and bench_reports_ab).
#   1. A ledger of BENCH_REPORT_ROWS (10,000,000) usage entries of
#      BENCH_REPORT_CUSTOMERS (1,000) customers over a year
#      (bench/report_fill.sql); then credit_usage_report for one month of
#      one customer and of all customers, each run BENCH_REPORT_RUNS times
#      (the median printed) and once under auto_explain (the plan printed).
#      Then credit_revenue for that month, all customers: once before its
#      summary exists (in a READ ONLY transaction, which cannot build it:
#      every valued entry is read, as before the summary), once building it
#      (cold), BENCH_REPORT_RUNS times with it (warm, the median), and again
#      after BENCH_REVENUE_NEW (10,000) keyed consumes written now (the open
#      tail read from the entries).
#   2. The cost of entries_usage_idx and entries_time_idx on the hot path: pgbench of a keyed
#      credit_consume (bench/pgbench/ledger_consume.sql, 8 clients, 1,000
#      wallets), BENCH_AB_ROUNDS rounds of BENCH_AB_SECONDS each with and
#      without the two indexes, alternating, on one database; then the
#      same comparison in one backend, which a busy machine disturbs less:
#      the CPU time (from /proc/self/stat) and WAL per keyed consume over
#      BENCH_CPU_CONSUMES (20,000) consumes in one statement, 3 rounds.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
rows="${BENCH_REPORT_ROWS:-10000000}"
customers="${BENCH_REPORT_CUSTOMERS:-1000}"
runs="${BENCH_REPORT_RUNS:-5}"
rounds="${BENCH_AB_ROUNDS:-4}"
seconds="${BENCH_AB_SECONDS:-30}"
part="${1:-all}"
pgbench_bin="$(dirname "$(command -v psql)")/pgbench"
[ -n "${DEVPG_BIN:-}" ] && pgbench_bin="$DEVPG_BIN/pgbench"

median() { sort -n | awk '{ a[NR] = $1 } END { print a[int((NR + 1) / 2)] }'; }
# Milliseconds of one statement, by psql's \timing.
timed() {
  psql -X -q -d "$1" -c '\timing on' -c "$2" | sed -n 's/^Time: \([0-9.]*\) ms.*/\1/p'
}

if [ "$part" = all ] || [ "$part" = reports ]; then
  psql -X -q -c 'DROP DATABASE IF EXISTS bench_reports' -c 'CREATE DATABASE bench_reports'
  psql -X -q -d bench_reports -c 'CREATE EXTENSION credit_ledger'
  start=$(date +%s)
  psql -X -q -d bench_reports -v rows="$rows" -v customers="$customers" -f "$here/report_fill.sql" >/dev/null
  echo "filled $rows entries in $(( $(date +%s) - start ))s"
  psql -X -d bench_reports -c "SELECT pg_size_pretty(pg_relation_size('credit_ledger.entries')) AS entries,
      pg_size_pretty(pg_relation_size('credit_ledger.entries_pkey')) AS pkey,
      pg_size_pretty(pg_relation_size('credit_ledger.entries_usage_idx')) AS usage_idx,
      pg_size_pretty(pg_relation_size('credit_ledger.entries_time_idx')) AS usage_time_idx"
  # The month before last, in full.
  month="date_trunc('month', now()) - interval '2 months'"
  one="SELECT count(*) FROM credit_usage_report(($month), ($month) + interval '1 month', customer_id => 'r-7')"
  all="SELECT count(*) FROM credit_usage_report(($month), ($month) + interval '1 month')"
  for q in "$one" "$all"; do
    psql -X -q -d bench_reports -c "$q" >/dev/null  # warm the cache
    ms=$(for i in $(seq "$runs"); do timed bench_reports "$q"; done | median)
    echo "median of $runs: ${ms} ms: $q"
    psql -X -q -d bench_reports -c "LOAD 'auto_explain'" -c 'SET auto_explain.log_min_duration = 0' \
      -c 'SET auto_explain.log_analyze = on' -c 'SET auto_explain.log_buffers = on' \
      -c 'SET auto_explain.log_nested_statements = on' -c 'SET auto_explain.log_level = notice' \
      -c "$q" 2>&1 | awk 'p && NF; /ORDER BY 1, 2, 3/ { p = 1 }' | head -40 || true
  done
  rev="SELECT count(*) FROM credit_revenue(($month), ($month) + interval '1 month')"
  ms=$(psql -X -q -d bench_reports -c '\timing on' -c 'BEGIN READ ONLY' -c "$rev" -c 'COMMIT' \
         | sed -n 's/^Time: \([0-9.]*\) ms.*/\1/p' | sort -n | tail -1)
  echo "credit_revenue without its summary (read only): ${ms} ms: $rev"
  echo "credit_revenue building its summary (cold): $(timed bench_reports "$rev") ms"
  psql -X -d bench_reports -c "SELECT count(*) AS buckets, pg_size_pretty(pg_total_relation_size('credit_ledger.revenue_buckets')) AS size,
      (SELECT closed_through FROM credit_ledger.revenue_closed) FROM credit_ledger.revenue_buckets"
  ms=$(for i in $(seq "$runs"); do timed bench_reports "$rev"; done | median)
  echo "median of $runs: ${ms} ms: credit_revenue with its summary (warm)"
  new="${BENCH_REVENUE_NEW:-10000}"
  psql -X -q -d bench_reports -c "SELECT count(credit_consume('r-' || (1 + i % $customers), 'usd', 1, 'k' || i))
                                     FROM generate_series(1, $new) i" >/dev/null
  ms=$(for i in $(seq "$runs"); do timed bench_reports "SELECT count(*) FROM credit_revenue(($month), now() + interval '1 day')"; done | median)
  echo "median of $runs: ${ms} ms: credit_revenue from that month to tomorrow after $new new entries (open tail)"
fi

if [ "$part" = all ] || [ "$part" = ab ]; then
  psql -X -q -c 'DROP DATABASE IF EXISTS bench_reports_ab' -c 'CREATE DATABASE bench_reports_ab' \
    -c 'ALTER DATABASE bench_reports_ab SET synchronous_commit = off'
  psql -X -q -d bench_reports_ab -c 'CREATE EXTENSION credit_ledger' -c "SELECT credit_type_create('usd', 2)" \
    -c "SELECT count(credit_grant('c' || i, 'usd', 1000000000, cost_basis => 0.01, expires_at => now() + interval '10 years')) FROM generate_series(1, 1000) i" >/dev/null
  idx_defs="$(psql -X -At -d bench_reports_ab -c "SELECT string_agg(pg_get_indexdef(i::regclass), '; ') FROM unnest(ARRAY['credit_ledger.entries_usage_idx', 'credit_ledger.entries_time_idx']) i")"
  pgb() {
    psql -X -q -d bench_reports_ab -c CHECKPOINT
    "$pgbench_bin" -n -M prepared -c 8 -j 2 -T "$seconds" -D wallets=1000 \
      -f "$here/pgbench/ledger_consume.sql" bench_reports_ab 2>&1 | sed -n 's/^tps = \([0-9.]*\) .*/\1/p'
  }
  # One round: "<measure with the indexes>|<measure without them>".
  with_and_without() {
    local with without
    with=$("$@")
    psql -X -q -d bench_reports_ab -c 'DROP INDEX credit_ledger.entries_usage_idx, credit_ledger.entries_time_idx'
    without=$("$@")
    psql -X -q -d bench_reports_ab -c "$idx_defs"
    echo "$with|$without"
  }
  "$pgbench_bin" -n -M prepared -c 8 -j 2 -T 10 -D wallets=1000 -f "$here/pgbench/ledger_consume.sql" bench_reports_ab >/dev/null 2>&1
  for r in $(seq "$rounds"); do
    IFS='|' read -r with without < <(with_and_without pgb)
    echo "round $r: keyed consume tps with the indexes $with, without $without (load $(cut -d' ' -f1 /proc/loadavg))"
  done
  n="${BENCH_CPU_CONSUMES:-20000}"
  one_backend() {
    psql -X -At -q -d bench_reports_ab <<SQL
CREATE TEMP TABLE m AS SELECT (string_to_array(pg_read_file('/proc/self/stat'), ' '))[14:15]::bigint[] AS t,
                              pg_current_wal_insert_lsn() AS lsn;
SELECT count(*) FROM (SELECT credit_consume('c' || (1 + i % 1000), 'usd', 1, gen_random_uuid()::text, 'api')
                        FROM generate_series(1, $n) i) x \g /dev/null
SELECT 'CPU ' || ((s[1] + s[2] - m.t[1] - m.t[2]) * 1000000 / $(getconf CLK_TCK) / $n) || ' us, WAL '
       || round(pg_wal_lsn_diff(pg_current_wal_insert_lsn(), m.lsn) / $n) || ' bytes per consume'
  FROM m, (SELECT (string_to_array(pg_read_file('/proc/self/stat'), ' '))[14:15]::bigint[] AS s) x;
SQL
  }
  for r in 1 2 3; do
    IFS='|' read -r with without < <(with_and_without one_backend)
    echo "one backend, round $r: with the indexes $with; without $without"
  done
fi
