#!/usr/bin/env bash
# bench/limits.sh: what one call can make the server do (BENCHMARKS.md,
# "Limits"). Runs against the server the usual PG* variables point at (as a
# superuser, in a throwaway database it creates and drops) with the installed
# extension:
#   1. a batch event on a wallet of 10,000 open blocks against one of 1 block,
#      and a single consume on each;
#   2. the memory of one consume drawing from LIMITS_BLOCKS blocks (and of one
#      consuming 1 credit among them): the backend's private memory (RssAnon
#      in /proc, sampled every 10 ms from this script) at its peak, less
#      before the call - so the server must run on this machine;
#   3. N consumes on one wallet in one transaction (N = 1,000 ... 20,000),
#      time per consume, against one batch of 10,000 events on one wallet.
# Usage: PGHOST=... PGPORT=... bash bench/limits.sh   [LIMITS_BLOCKS=100000]
set -euo pipefail
BLOCKS="${LIMITS_BLOCKS:-100000}"
DB=credit_ledger_limits
export PGOPTIONS='-c synchronous_commit=off'
q() { psql -X -q -At -v ON_ERROR_STOP=1 -d "$DB" "$@"; }
ms() { q -c '\timing on' -c "$1" | sed -n 's/^Time: \([0-9.]*\) ms.*/\1/p'; }

psql -X -q -d postgres -c "DROP DATABASE IF EXISTS $DB" -c "CREATE DATABASE $DB"
q -c "SET client_min_messages = warning" -c "CREATE EXTENSION credit_ledger" \
  -c "SELECT credit_type_create('usd', 0)" >/dev/null

echo "== 1. batch events and consumes on a wallet of 10,000 open blocks vs 1"
q -c "SELECT count(credit_grant('w10k', 'usd', 1000000, expires_at => now() + make_interval(days => 30 + i))) FROM generate_series(1, 5000) i" \
  -c "SELECT count(credit_grant('w10k', 'usd', 1000000, expires_at => now() + make_interval(days => 30 + i))) FROM generate_series(5001, 10000) i" \
  -c "SELECT credit_grant('w1', 'usd', 1000000000)" -c "VACUUM ANALYZE" >/dev/null
for w in w1 w10k; do
  ms "SELECT count(*) FROM credit_consume_batch((SELECT jsonb_agg(jsonb_build_object('customer_id', '$w', 'credit_type', 'usd', 'amount', 1)) FROM generate_series(1, 1000)))" >/dev/null
  t=$(ms "SELECT count(*) FROM credit_consume_batch((SELECT jsonb_agg(jsonb_build_object('customer_id', '$w', 'credit_type', 'usd', 'amount', 1)) FROM generate_series(1, 1000)))")
  s=$(ms "DO \$\$BEGIN FOR i IN 1..200 LOOP PERFORM credit_consume('$w', 'usd', 1); END LOOP; END\$\$")
  printf '%-5s batch of 1000 events: %8.1f ms (%.3f ms/event)   single consume: %.3f ms\n' \
    "$w" "$t" "$(echo "$t / 1000" | bc -l)" "$(echo "$s / 200" | bc -l)"
done

echo "== 2. memory of one consume on a wallet of $BLOCKS blocks of 1 credit"
peak_growth() {  # $1: customer, $2: amount to consume; prints "growth_kB time_ms"
  local out pidf pid base peak v
  out=$(mktemp) pidf=$(mktemp)
  # 5,000 blocks a transaction: many grants to one wallet in one transaction
  # grow quadratically (section 3).
  local from
  for ((from = 1; from <= BLOCKS; from += 5000)); do
    q -c "SELECT count(credit_grant('$1', 'usd', 1, expires_at => now() + interval '1 day' + make_interval(secs => i))) FROM generate_series($from, least($from + 4999, $BLOCKS)) i" >/dev/null
  done
  q -c "VACUUM ANALYZE" >/dev/null
  ( q -o "$pidf" -c "SELECT pg_backend_pid()" -c "SELECT pg_sleep(0.5)" \
      -c '\timing on' -c "SELECT amount FROM credit_consume('$1', 'usd', $2)" >"$out" 2>&1 ) &
  while [ ! -s "$pidf" ]; do sleep 0.01; done
  pid=$(cat "$pidf"); sleep 0.2
  base=$(awk '/RssAnon/{print $2}' "/proc/$pid/status"); peak=$base
  while [ -e "/proc/$pid/status" ] && ! grep -q '^Time:' "$out"; do
    v=$(awk '/RssAnon/{print $2}' "/proc/$pid/status" 2>/dev/null || echo 0)
    [ -n "$v" ] && [ "$v" -gt "$peak" ] && peak=$v
    sleep 0.01
  done
  wait
  echo "$((peak - base)) $(sed -n 's/^Time: \([0-9.]*\) ms.*/\1/p' "$out")"
  rm -f "$out" "$pidf"
}
read -r g t < <(peak_growth m_all "$BLOCKS")
printf 'drawing from all %s blocks: +%s kB at the peak (%s B a block), %s ms\n' "$BLOCKS" "$g" "$(( g * 1024 / BLOCKS ))" "$t"
read -r g t < <(peak_growth m_one 1)
printf 'consuming 1 credit among %s open blocks: +%s kB at the peak (%s B a block), %s ms\n' "$BLOCKS" "$g" "$(( g * 1024 / BLOCKS ))" "$t"

echo "== 3. N consumes on one wallet in one transaction"
for n in 1000 5000 10000 20000; do
  q -c "SELECT credit_grant('hot$n', 'usd', 1000000000)" >/dev/null
  t=$(ms "DO \$\$BEGIN FOR i IN 1..$n LOOP PERFORM * FROM credit_consume('hot$n', 'usd', 1, gen_random_uuid()::text, 'api'); END LOOP; END\$\$")
  printf 'N = %5d: %9.1f ms, %6.1f us a consume\n' "$n" "$t" "$(echo "$t * 1000 / $n" | bc -l)"
done
q -c "SELECT credit_grant('hotb', 'usd', 1000000000)" >/dev/null
t=$(ms "SELECT count(*) FROM credit_consume_batch((SELECT jsonb_agg(jsonb_build_object('customer_id', 'hotb', 'credit_type', 'usd', 'amount', 1, 'idempotency_key', gen_random_uuid()::text, 'feature', 'api')) FROM generate_series(1, 10000)))")
printf 'one credit_consume_batch of 10,000 events on one wallet: %.1f ms, %.1f us an event\n' "$t" "$(echo "$t / 10" | bc -l)"

psql -X -q -d postgres -c "DROP DATABASE $DB"
