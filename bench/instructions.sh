#!/usr/bin/env bash
# bench/instructions.sh: CPU instructions per operation, counted by valgrind
# (cachegrind) in a single-user backend: deterministic, so it compares builds
# on a machine that is not quiet, where tps cannot (BENCHMARKS.md, "Instructions
# per operation"). It counts the work of the server process only — no WAL
# flush, no lock waits, no client — so it complements the throughput table and
# does not replace it.
#
#   bash bench/instructions.sh LABEL=PG_CONFIG [LABEL=PG_CONFIG ...]
#
# For each build (a PostgreSQL whose pg_config is given, with credit_ledger
# installed): a fresh cluster, bench/setup.sql (BENCH_WALLETS wallets), then for
# each workload a warm-up session and a measured session of INSTR_OPS operations
# (round-robin over the wallets); instructions per operation = (measured
# session − an empty session) / INSTR_OPS. Every build goes through the same
# history, so index depths and table sizes match. The cluster's locale is C,
# as bench/run.sh's (text keys compare bytewise: under another locale every
# btree comparison of a customer_id calls strcoll). Needs valgrind; runs as root
# (the server runs as postgres) or as a user who may run initdb.
# Settings: INSTR_OPS [300]  BENCH_WALLETS [1000]  INSTR_DIR [a new /tmp dir]
#   INSTR_WORKLOADS [consume consume_nokey usage hold_capture two_consumes batch]
# (batch: an operation is one credit_consume_batch call of 10 keyed events;
# batch1000, not in the default set: one call of 1,000 keyed events over half
# of the wallets, two events a wallet, as one client of the throughput table's
# batch row sends them; run it with a small INSTR_OPS, e.g. 10)
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
OPS="${INSTR_OPS:-300}"
WALLETS="${BENCH_WALLETS:-1000}"
WORKLOADS="${INSTR_WORKLOADS:-consume consume_nokey usage hold_capture two_consumes batch}"
DIR="${INSTR_DIR:-$(mktemp -d /tmp/credit_ledger_instr.XXXXXX)}"
[ $# -gt 0 ] || { echo "usage: $0 LABEL=PG_CONFIG ..." >&2; exit 2; }
command -v valgrind >/dev/null || { echo "valgrind is not installed" >&2; exit 2; }
as_pg() { if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi; }
# As root the server runs as postgres and writes its log and socket here: the
# directory (and its sock/) becomes postgres's, nothing else. It must be one
# of its own, never a shared one like /tmp.
mkdir -p "$DIR"
case "$(realpath "$DIR")" in
  / | /tmp | /var/tmp | /root | /home) echo "INSTR_DIR must be a directory of its own, not $DIR" >&2; exit 2 ;;
esac
own_pg() { if [ "$(id -u)" = 0 ]; then chown postgres: "$@"; fi; }
own_pg "$DIR"

# statements WORKLOAD TAG FIRST_HOLD_ID: OPS operations, one per line (a line is
# a transaction in single-user mode; a pair counts as one operation).
statements() {
  local i c
  for i in $(seq 1 "$OPS"); do
    c="c$(( i % WALLETS + 1 ))"
    case $1 in
      consume) echo "SELECT 1 FROM credit_consume('$c','usd',1,'$2-$i','api');" ;;
      consume_nokey) echo "SELECT 1 FROM credit_consume('$c','usd',1,NULL,'api');" ;;
      usage) echo "SELECT 1 FROM credit_report_usage('$c','api',1,'$2-$i');" ;;
      two_consumes) echo "SELECT 1 FROM credit_consume('$c','usd',1,'$2-a$i','api');"
                    echo "SELECT 1 FROM credit_consume('$c','usd',1,'$2-b$i','api');" ;;
      batch) printf "SELECT count(*) FROM credit_consume_batch('["
             for j in 1 2 3 4 5 6 7 8 9 10; do
               [ "$j" = 1 ] || printf ','
               printf '{"customer_id":"c%d","credit_type":"usd","amount":1,"idempotency_key":"%s-%d-%d","feature":"api"}' \
                 $(( (i * 10 + j) % WALLETS + 1 )) "$2" "$i" "$j"
             done
             echo "]'::jsonb);" ;;
      batch1000) printf "SELECT count(*) FROM credit_consume_batch('["
             for j in $(seq 1 1000); do
               [ "$j" = 1 ] || printf ','
               printf '{"customer_id":"c%d","credit_type":"usd","amount":1,"idempotency_key":"%s-%d-%d","feature":"api"}' \
                 $(( (i * 1000 + j) % (WALLETS / 2) + 1 )) "$2" "$i" "$j"
             done
             echo "]'::jsonb);" ;;
      hold_capture) echo "SELECT 1 FROM credit_hold('$c','usd',2,'10 minutes','$2-h$i','llm');"
                    echo "SELECT 1 FROM credit_capture('$c',$(( $3 + i )),1,'$2-c$i');" ;;
    esac
  done
}

# instructions DATA BIN INPUT: instructions of one single-user session.
instructions() {
  as_pg valgrind --tool=cachegrind --cache-sim=no --cachegrind-out-file=/dev/null \
    "$2/postgres" --single -D "$1" -c synchronous_commit=off bench <"$3" >"$DIR/out.log" 2>"$DIR/vg.log"
  if grep -q ERROR "$DIR/out.log"; then grep -m3 ERROR "$DIR/out.log" >&2; echo error; return; fi
  sed -n 's/.*I *refs: *//p' "$DIR/vg.log" | tr -d ,
}

printf '%-16s' "instructions/op"; for w in $WORKLOADS; do printf ' %14s' "$w"; done; echo
for spec in "$@"; do
  label="${spec%%=*}"; bin="$("${spec#*=}" --bindir)"
  data="$DIR/data-$label"; sock="$DIR/sock"
  rm -rf "$data"; mkdir -p "$data" "$sock"; own_pg "$sock" "$data"
  as_pg "$bin/initdb" -D "$data" -A trust -U postgres -E UTF8 --locale=C --no-sync >/dev/null
  as_pg "$bin/pg_ctl" -D "$data" -l "$DIR/server-$label.log" -w -o "-p 5499 -k $sock -c listen_addresses=''" start >/dev/null
  "$bin/psql" -q -h "$sock" -p 5499 -U postgres -c "CREATE DATABASE bench" postgres
  (cd "$here" && "$bin/psql" -q -h "$sock" -p 5499 -U postgres -v ON_ERROR_STOP=1 -v wallets="$WALLETS" -f setup.sql bench >/dev/null)
  has_12="$("$bin/psql" -qAt -h "$sock" -p 5499 -U postgres -c "SELECT count(*) > 0 FROM pg_proc WHERE proname = 'credit_hold'" bench)"
  as_pg "$bin/pg_ctl" -D "$data" -m fast stop >/dev/null
  : >"$DIR/empty.sql"; chmod a+r "$DIR/empty.sql"
  base="$(instructions "$data" "$bin" "$DIR/empty.sql")"
  printf '%-16s' "$label"
  for w in $WORKLOADS; do
    if [ "$has_12" != t ] && { [ "$w" = usage ] || [ "$w" = hold_capture ]; }; then printf ' %14s' "n/a"; continue; fi
    for tag in warm meas; do
      first=0
      if [ "$w" = hold_capture ]; then
        echo "SELECT 'NEXT' || coalesce((SELECT last_value FROM credit_ledger.hold_id_seq WHERE is_called), 0);" >"$DIR/q.sql"
        chmod a+r "$DIR/q.sql"
        first="$(as_pg "$bin/postgres" --single -D "$data" bench <"$DIR/q.sql" 2>/dev/null | sed -n 's/.*"NEXT\([0-9]*\)".*/\1/p')"
      fi
      statements "$w" "$w-$tag" "$first" >"$DIR/in.sql"; chmod a+r "$DIR/in.sql"
      n="$(instructions "$data" "$bin" "$DIR/in.sql")"
    done
    if [ "$n" = error ]; then printf ' %14s' error; else printf ' %14d' $(( (n - base) / OPS )); fi
  done
  echo
done
echo "(per operation: one statement in single-user mode, its parse, plan and commit included; a pair"
echo " (hold_capture, two_consumes) and a batch call (10 events, batch1000: 1,000) count as one operation; $OPS operations over $WALLETS wallets"
echo " after a warm-up of as many; synchronous_commit=off)"
