#!/usr/bin/env bash
# bench/run.sh: the benchmark, in one command (as root on Debian 12, or as a
# user who may run initdb). Builds and installs the extension, starts a
# throwaway PostgreSQL cluster, loads credit_ledger, the PL/pgSQL baseline
# (bench/baseline.sql) and the floor (bench/floor.sql) side by side, checks
# that the baseline draws down exactly as credit_ledger does
# (bench/baseline_test.sql), runs every workload on that one server and
# prints one report: a throughput table (workload, clients, tps, events/s,
# relative to the floor and to the baseline), each row measured with every
# synchronous_commit setting of BENCH_SYNC_COMMIT (off, and on: what users
# run), what group commit (commit_delay, commit_siblings) buys a keyed
# consume with synchronous_commit on, the issue's targets, bytes per
# usage event, consume cost with 1 vs N depleted (and lapsed) grants in a
# wallet, with 0 and each of BENCH_LEDGER_ROWS ledger entries (with and without
# a key, and a keyed consume's write set alone: the wall), the expiration
# sweep over BENCH_EXPIRE_GRANTS lapsed grants with its plan, and event-heavy
# writes (grants, each writing an event) with credit_ledger.notify on and off
# and synchronous_commit on and off.
#
# The report goes to stdout (and $BENCH_DIR/report.txt); progress to stderr.
# Settings (environment, defaults in brackets):
#   PG_CONFIG [pg_config]   PGBIN [$(PG_CONFIG --bindir)]
#   BENCH_INSTALL [1]       build and `make install` with PG_CONFIG first
#   BENCH_SECONDS [20]      duration of each throughput workload
#   BENCH_COST_SECONDS [BENCH_SECONDS/2]  duration of each single-wallet run
#   BENCH_ROUNDS [1]        repeat the throughput table, report the median
#   BENCH_WARMUP [2]        seconds of the same workload, unmeasured, before each timed run
#   BENCH_CLIENTS [8]  BENCH_WALLETS [1000]
#   BENCH_BATCH_SIZE [1000] events per batch call; BENCH_BATCH_CLIENTS [2]
#   BENCH_BYTES_EVENTS [20000]  consumes measured for bytes per event
#   BENCH_BYTES_MIXED [5 x BENCH_BYTES_EVENTS]  consumes per step of the
#                           interleaved bytes rows (over BENCH_WALLETS wallets)
#   BENCH_DEPLETED_GRANTS [10000]  BENCH_OPEN_GRANTS [1000]
#   BENCH_LEDGER_ROWS ["10000000 50000000"]  sizes of the filled ledger (filler
#                           entries), measured in ascending order after the empty
#                           ledger, each filled from the one before; needs about
#                           700 bytes of disk per entry (entries + operations with
#                           their indexes: ~35 GB at 50M) plus up to 2 x 8 GB of WAL
#                           (checked before the run starts)
#   BENCH_EXPIRE_GRANTS [100000]  BENCH_EXPIRE_WALLETS [10000]
#   BENCH_SHARED_BUFFERS [1GB]
#   BENCH_SYNC_COMMIT ["off on"]  synchronous_commit settings every throughput row
#                           is measured with, one after the other in each round;
#                           the first is also the server's default (every other
#                           section, and the targets, use it). The server runs
#                           with fsync=on, full_page_writes=on, wal_level=replica
#                           and wal_sync_method's default (fdatasync on Linux).
#   BENCH_GROUP_COMMIT ["0:5 1000:5"]  commit_delay:commit_siblings pairs for the
#                           group-commit rows (keyed credit_consume, synchronous_commit
#                           on); 0:5 is PostgreSQL's default; "" = no such rows
#   BENCH_GROUP_CLIENTS ["8 32"]  clients of the group-commit rows
#   BENCH_PORT [5488]  BENCH_DIR [a new /tmp/credit_ledger_bench.XXXXXX]
#   BENCH_EVENTS_SECONDS [BENCH_SECONDS/2]  duration of each events run
#   BENCH_SECTIONS [throughput,bytes,depth,ledger,expire,events]
#   BENCH_WORKLOADS [all]   ids of the throughput rows to run, comma-separated
#                           (e.g. floor,ledger_batch,floor_batch: the ids are in
#                           the workloads list below); rows not run show n/a
#   BENCH_KEEP [0]          1 = leave the server running and its data
#   BENCH_BASELINE_CHECK [1] 0 = go on when bench/baseline_test.sql fails
#                           (smoke runs of a work in progress only: the
#                           report then says so)
set -euo pipefail

here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/.." && pwd)"

if [ -z "${PG_CONFIG:-}" ] && [ -n "${PGBIN:-}" ] && [ -x "$PGBIN/pg_config" ]; then
  PG_CONFIG="$PGBIN/pg_config"
fi
PG_CONFIG="${PG_CONFIG:-pg_config}"
PGBIN="${PGBIN:-$("$PG_CONFIG" --bindir)}"
BENCH_INSTALL="${BENCH_INSTALL:-1}"
BENCH_SECONDS="${BENCH_SECONDS:-20}"
BENCH_COST_SECONDS="${BENCH_COST_SECONDS:-$(( BENCH_SECONDS / 2 > 5 ? BENCH_SECONDS / 2 : 5 ))}"
BENCH_ROUNDS="${BENCH_ROUNDS:-1}"
BENCH_WARMUP="${BENCH_WARMUP:-2}"
BENCH_CLIENTS="${BENCH_CLIENTS:-8}"
BENCH_WALLETS="${BENCH_WALLETS:-1000}"
BENCH_BATCH_SIZE="${BENCH_BATCH_SIZE:-1000}"
BENCH_BATCH_CLIENTS="${BENCH_BATCH_CLIENTS:-2}"
BENCH_BYTES_EVENTS="${BENCH_BYTES_EVENTS:-20000}"
BENCH_BYTES_MIXED="${BENCH_BYTES_MIXED:-$(( BENCH_BYTES_EVENTS * 5 ))}"
BENCH_DEPLETED_GRANTS="${BENCH_DEPLETED_GRANTS:-10000}"
BENCH_OPEN_GRANTS="${BENCH_OPEN_GRANTS:-1000}"
BENCH_LEDGER_ROWS="${BENCH_LEDGER_ROWS:-10000000 50000000}"
BENCH_EXPIRE_GRANTS="${BENCH_EXPIRE_GRANTS:-100000}"
BENCH_EXPIRE_WALLETS="${BENCH_EXPIRE_WALLETS:-10000}"
BENCH_SHARED_BUFFERS="${BENCH_SHARED_BUFFERS:-1GB}"
BENCH_SYNC_COMMIT="${BENCH_SYNC_COMMIT:-off on}"
BENCH_GROUP_COMMIT="${BENCH_GROUP_COMMIT-0:5 1000:5}"
BENCH_GROUP_CLIENTS="${BENCH_GROUP_CLIENTS-8 32}"
BENCH_PORT="${BENCH_PORT:-5488}"
BENCH_SECTIONS="${BENCH_SECTIONS:-throughput,bytes,depth,ledger,expire,events}"
BENCH_WORKLOADS="${BENCH_WORKLOADS:-all}"
BENCH_EVENTS_SECONDS="${BENCH_EVENTS_SECONDS:-$(( BENCH_SECONDS / 2 > 5 ? BENCH_SECONDS / 2 : 5 ))}"
BENCH_KEEP="${BENCH_KEEP:-0}"
BENCH_BASELINE_CHECK="${BENCH_BASELINE_CHECK:-1}"
if [ -z "${BENCH_DIR:-}" ]; then
  BENCH_DIR="$(mktemp -d /tmp/credit_ledger_bench.XXXXXX)"
fi
mkdir -p "$BENCH_DIR"

started="$(date -u '+%Y-%m-%d %H:%M UTC')"
started_s="$(date +%s)"
data="$BENCH_DIR/data"
sock="$BENCH_DIR/sock"
logs="$BENCH_DIR/logs"
report="$BENCH_DIR/report.txt"
server_log="$logs/server.log"
ncpu="$(nproc)"

say() { echo "bench: $*" >&2; }
# (A settings error found before anything ran leaves no empty BENCH_DIR.)
die() { echo "bench: error: $*" >&2; rmdir "$BENCH_DIR" 2>/dev/null || true; exit 1; }
section_on() { [[ ",$BENCH_SECTIONS," == *",$1,"* ]]; }

# The synchronous_commit settings of the throughput rows (the first is the
# server's), the group-commit pairs and clients, the ledger sizes (ascending).
read -r -a sync_modes <<<"$BENCH_SYNC_COMMIT"
[ "${#sync_modes[@]}" -gt 0 ] || die "BENCH_SYNC_COMMIT is empty"
for sc in "${sync_modes[@]}"; do
  case "$sc" in on|off|local|remote_write|remote_apply) ;;
    *) die "BENCH_SYNC_COMMIT: '$sc' is not a synchronous_commit setting" ;; esac
done
read -r -a group_commits <<<"$BENCH_GROUP_COMMIT"
read -r -a group_clients <<<"$BENCH_GROUP_CLIENTS"
for gc in "${group_commits[@]}"; do
  [[ "$gc" =~ ^[0-9]+:[0-9]+$ ]] || die "BENCH_GROUP_COMMIT: '$gc' is not commit_delay:commit_siblings"
done
for c in "${group_clients[@]}"; do [[ "$c" =~ ^[1-9][0-9]*$ ]] || die "BENCH_GROUP_CLIENTS: '$c' is not a number"; done
read -r -a ledger_sizes <<<"$(tr -s ' ' '\n' <<<"$BENCH_LEDGER_ROWS" | awk 'NF' | sort -n -u | tr '\n' ' ')"
for n in "${ledger_sizes[@]}"; do [[ "$n" =~ ^[1-9][0-9]*$ ]] || die "BENCH_LEDGER_ROWS: '$n' is not a number of rows"; done
if section_on ledger; then
  [ "${#ledger_sizes[@]}" -gt 0 ] || die "BENCH_LEDGER_ROWS is empty"
  # The filled ledger's tables and indexes (~700 bytes per filler entry with
  # its operation on 1.2), the WAL the fill leaves behind (at most about
  # twice max_wal_size) and 2 GB for everything else: checked now rather
  # than discovered at the end of a long run.
  ledger_max="${ledger_sizes[-1]}"
  ledger_need=$(( ledger_max * 700 + (ledger_max * 750 < 16 * 1024**3 ? ledger_max * 750 : 16 * 1024**3) + 2 * 1024**3 ))
  ledger_free="$(df -B1 --output=avail "$BENCH_DIR" | tail -1)"
  [ "$ledger_free" -ge "$ledger_need" ] ||
    die "a ledger of $ledger_max filler entries needs about $(( ledger_need / 1024**3 )) GB free in $BENCH_DIR," \
        "$(( ledger_free / 1024**3 )) GB are (lower BENCH_LEDGER_ROWS)"
fi

# initdb refuses to run as root: the cluster belongs to postgres then.
if [ "$(id -u)" -eq 0 ]; then
  as_owner() { runuser -u postgres -- "$@"; }
  owner=postgres
else
  as_owner() { "$@"; }
  owner="$(id -un)"
fi

q() { "$PGBIN/psql" -X -q -v ON_ERROR_STOP=1 -h "$sock" -p "$BENCH_PORT" -U "$owner" "$@"; }
qv() { q -At "$@"; }

# ---------------------------------------------------------------- build
if [ "$BENCH_INSTALL" = 1 ]; then
  say "building and installing with $PG_CONFIG"
  make -C "$root" -j"$ncpu" PG_CONFIG="$PG_CONFIG" >"$BENCH_DIR/make.log" 2>&1 ||
    { tail -30 "$BENCH_DIR/make.log" >&2; die "build failed (see $BENCH_DIR/make.log)"; }
  make -C "$root" install PG_CONFIG="$PG_CONFIG" >>"$BENCH_DIR/make.log" 2>&1 ||
    { tail -30 "$BENCH_DIR/make.log" >&2; die "install failed (see $BENCH_DIR/make.log)"; }
fi
[ -f "$("$PG_CONFIG" --sharedir)/extension/credit_ledger.control" ] ||
  die "credit_ledger is not installed for $PG_CONFIG (set BENCH_INSTALL=1)"

# ---------------------------------------------------------------- server
rm -rf "$data" "$sock" "$logs"
mkdir -p "$sock" "$logs"
if [ "$(id -u)" -eq 0 ]; then chown -R postgres: "$BENCH_DIR"; fi

stop_server() {
  if [ -f "$data/postmaster.pid" ]; then
    as_owner "$PGBIN/pg_ctl" -D "$data" -m fast -w stop >/dev/null 2>&1 || true
  fi
}
cleanup() {
  if [ "$BENCH_KEEP" = 1 ]; then
    say "server left running: psql -h $sock -p $BENCH_PORT -U $owner bench"
  else
    stop_server
    rm -rf "$data"
  fi
}
trap cleanup EXIT

say "initdb in $data (port $BENCH_PORT)"
as_owner "$PGBIN/initdb" -D "$data" -A trust -U "$owner" -E UTF8 --locale=C --no-sync \
  >"$logs/initdb.log" 2>&1 || { cat "$logs/initdb.log" >&2; die "initdb failed"; }
cat >>"$data/postgresql.conf" <<EOF

# bench/run.sh
listen_addresses = ''
port = $BENCH_PORT
unix_socket_directories = '$sock'
max_connections = 50
shared_buffers = $BENCH_SHARED_BUFFERS
synchronous_commit = ${sync_modes[0]}
fsync = on
full_page_writes = on
wal_level = replica
max_wal_size = 8GB
min_wal_size = 1GB
checkpoint_timeout = 30min
jit = off
log_checkpoints = on
log_autovacuum_min_duration = 1s
EOF
as_owner "$PGBIN/pg_ctl" -D "$data" -l "$server_log" -w start >/dev/null ||
  { tail -20 "$server_log" >&2; die "the server did not start"; }

pg_version="$(qv -d postgres -c 'SHOW server_version')"
# What a commit with synchronous_commit on waits for: with fsync off it would
# wait for nothing, and the durable rows would mean nothing.
[ "$(qv -d postgres -c 'SHOW fsync')" = on ] || die "fsync is off on the benchmark server"
server_wal="$(qv -d postgres -c "SELECT string_agg(s || '=' || current_setting(s), ' ' ORDER BY o)
                                   FROM unnest(ARRAY['fsync', 'wal_sync_method', 'full_page_writes', 'wal_level',
                                                     'wal_buffers', 'wal_writer_delay', 'commit_delay',
                                                     'commit_siblings']) WITH ORDINALITY AS t(s, o)")"

# ---------------------------------------------------------------- helpers
# CPU time (clock ticks) used by the whole machine, and by this cluster (the
# postmaster, its live children and the children it has reaped). The
# difference during a run, less pgbench's own, is what other tenants of a
# shared machine took: reported as "other CPU %" so that a disturbed run
# shows. (Fields of /proc/PID/stat after the command name: 2 = ppid,
# 12/13 = utime/stime, 14/15 = cutime/cstime.)
machine_ticks() { awk '/^cpu / { print $2 + $3 + $4 + $7 + $8 + $9 }' /proc/stat; }
cluster_ticks() {
  local pm
  pm="$(head -1 "$data/postmaster.pid" 2>/dev/null || echo 0)"
  # (processes may exit between the glob and the read: not an error)
  { cat /proc/[0-9]*/stat 2>/dev/null || true; } | sed 's/^\([0-9]*\) (.*) /\1 /' |
    awk -v pm="$pm" '$1 == pm { t += $13 + $14 + $15 + $16 } $3 == pm { t += $13 + $14 } END { print t + 0 }'
}
clk_tck="$(getconf CLK_TCK)"

# Runs pgbench; prints "tps latency_ms failed other_cpu_%" or "error - - -".
pgb() {
  local log="$1" db="$2" script="$3" clients="$4"
  shift 4
  local threads=$(( clients < ncpu ? clients : ncpu ))
  checkpoint
  # A short unmeasured run first (backends, caches, plans warm), unless the
  # run counts transactions (-t) rather than seconds.
  if [ "$BENCH_WARMUP" != 0 ] && [ "$1" = -T ]; then
    "$PGBIN/pgbench" -n -M prepared -h "$sock" -p "$BENCH_PORT" -U "$owner" -c "$clients" -j "$threads" \
      -f "$here/pgbench/$script.sql" "${@:3}" -T "$BENCH_WARMUP" "$db" >"$log.warmup" 2>&1 || true
  fi
  local m0 c0 w0 m1 c1 w1 rc=0 TIMEFORMAT='%U %S'
  m0="$(machine_ticks)"; c0="$(cluster_ticks)"; w0="$(date +%s.%N)"
  { time "$PGBIN/pgbench" -n -M prepared -h "$sock" -p "$BENCH_PORT" -U "$owner" \
      -c "$clients" -j "$threads" -f "$here/pgbench/$script.sql" "$@" "$db" >"$log" 2>&1; } 2>"$log.time" || rc=$?
  w1="$(date +%s.%N)"
  sleep 0.2  # let the backends exit and be reaped into the postmaster's totals
  m1="$(machine_ticks)"; c1="$(cluster_ticks)"
  local other
  other="$(awk -v m="$((m1 - m0))" -v c="$((c1 - c0))" -v w0="$w0" -v w1="$w1" -v n="$ncpu" -v hz="$clk_tck" \
    '{ p = ($1 + $2) * hz } END { o = (m - c - p) / ((w1 - w0 + 0.2) * n * hz) * 100; if (o < 0) o = 0; printf "%.0f", o }' "$log.time")"
  if [ "$rc" = 0 ] && ! grep -q "aborted" "$log"; then
    local tps lat failed
    tps="$(sed -n 's/^tps = \([0-9.]*\) .*/\1/p' "$log")"
    lat="$(sed -n 's/^latency average = \([0-9.]*\) ms.*/\1/p' "$log")"
    failed="$(sed -n 's/^number of failed transactions: \([0-9]*\).*/\1/p' "$log")"
    echo "${tps:-error} ${lat:--} ${failed:-0} $other"
  else
    say "pgbench failed, see $log"
    echo "error - - -"
  fi
}

median() { tr ' ' '\n' | awk 'NF' | sort -g | awk '{v[NR]=$1} END {if (NR==0) print "error"; else if (NR%2) print v[(NR+1)/2]; else print (v[NR/2]+v[NR/2+1])/2}'; }
# take_medians TPS LAT: each entry of the two named arrays holds one value
# per round; replaces it with their median.
take_medians() {
  local -n tps_of="$1" lat_of="$2"
  local id
  for id in "${!tps_of[@]}"; do
    tps_of[$id]="$(echo "${tps_of[$id]}" | median)"
    lat_of[$id]="$(echo "${lat_of[$id]}" | median | awk '{ if ($1 ~ /^[0-9.]+$/) printf "%.3f", $1; else print $1 }')"
  done
}
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (a+0 > 0 && b+0 > 0) printf "%.2f", a/b; else print "-" }'; }
fmt0() { awk -v a="$1" 'BEGIN { if (a ~ /^[0-9.]+$/) printf "%.0f", a; else print a }'; }
checkpoint() { q -d postgres -c CHECKPOINT; }

# ---------------------------------------------------------------- load
say "loading the benchmark database (wallets: $BENCH_WALLETS)"
q -d postgres -c "CREATE DATABASE bench" -c "CREATE DATABASE bench_test"
(cd "$here" && q -d bench -v wallets="$BENCH_WALLETS" -f setup.sql >"$logs/setup.log")

say "checking the baseline against credit_ledger (bench/baseline_test.sql)"
(cd "$here" && q -d bench_test -c "CREATE EXTENSION credit_ledger" -f baseline.sql >/dev/null)
if ! test_out="$(cd "$here" && q -At -d bench_test -f baseline_test.sql 2>&1)"; then
  echo "$test_out" | grep -E 'ERROR|DETAIL' >&2 || true
  if [ "$BENCH_BASELINE_CHECK" = 1 ]; then
    die "the baseline does not match credit_ledger (bench/baseline_test.sql)"
  fi
  test_out="baseline_test: FAILED (BENCH_BASELINE_CHECK=0: a smoke run, not a measurement)"
fi
baseline_check="$(grep -o 'baseline_test: .*' <<<"$test_out" | tail -1)" || die "bench/baseline_test.sql did not report"
q -d postgres -c "DROP DATABASE bench_test"
say "$baseline_check"

# Workloads of the throughput table:
#   id | label | script | clients | wallets | events per transaction
workloads=(
  "floor|floor: UPDATE + INSERT, one statement (reference)|floor_cte|$BENCH_CLIENTS|$BENCH_WALLETS|1"
  "ledger|credit_consume, with key|ledger_consume|$BENCH_CLIENTS|$BENCH_WALLETS|1"
  "base|baseline.consume, with key|baseline_consume|$BENCH_CLIENTS|$BENCH_WALLETS|1"
  "floor_txn|floor: BEGIN; UPDATE; INSERT; END|floor_txn|$BENCH_CLIENTS|$BENCH_WALLETS|1"
  "floor_min|floor: minimal pair, one statement|floor_min|$BENCH_CLIENTS|$BENCH_WALLETS|1"
  "floor_ws|floor: a keyed consume's write set, one statement|floor_writeset|$BENCH_CLIENTS|$BENCH_WALLETS|1"
  "ledger_nk|credit_consume, no key|ledger_consume_nokey|$BENCH_CLIENTS|$BENCH_WALLETS|1"
  "base_nk|baseline.consume, no key|baseline_consume_nokey|$BENCH_CLIENTS|$BENCH_WALLETS|1"
  "floor_hot|hot wallet: floor (reference)|floor_cte|$BENCH_CLIENTS|1|1"
  "floor_ws_hot|hot wallet: floor, a keyed consume's write set|floor_writeset|$BENCH_CLIENTS|1|1"
  "ledger_hot|hot wallet: credit_consume, with key|ledger_consume|$BENCH_CLIENTS|1|1"
  "base_hot|hot wallet: baseline.consume, with key|baseline_consume|$BENCH_CLIENTS|1|1"
  "base_batch|batch: baseline.consume_batch($BENCH_BATCH_SIZE)|baseline_batch|$BENCH_BATCH_CLIENTS|$BENCH_WALLETS|$BENCH_BATCH_SIZE"
  "ledger_batch|batch: credit_consume_batch($BENCH_BATCH_SIZE)|ledger_batch|$BENCH_BATCH_CLIENTS|$BENCH_WALLETS|$BENCH_BATCH_SIZE"
  "floor_batch|batch: floor, a call's write set, one statement|floor_batch|$BENCH_BATCH_CLIENTS|$BENCH_WALLETS|$BENCH_BATCH_SIZE"
  "usage|credit_report_usage, with key|ledger_usage|$BENCH_CLIENTS|$BENCH_WALLETS|1"
  "base_usage|baseline.report_usage, with key|baseline_usage|$BENCH_CLIENTS|$BENCH_WALLETS|1"
  "usage_batch|batch: credit_report_usage_batch($BENCH_BATCH_SIZE)|ledger_usage_batch|$BENCH_BATCH_CLIENTS|$BENCH_WALLETS|$BENCH_BATCH_SIZE"
  "base_usage_batch|batch: baseline.report_usage_batch($BENCH_BATCH_SIZE)|baseline_usage_batch|$BENCH_BATCH_CLIENTS|$BENCH_WALLETS|$BENCH_BATCH_SIZE"
  "ledger_two|two consumes (2 transactions, with keys)|ledger_two_consumes|$BENCH_CLIENTS|$BENCH_WALLETS|2"
  "ledger_hold|hold+capture pairs (2 transactions, with keys)|ledger_hold_capture|$BENCH_CLIENTS|$BENCH_WALLETS|2"
  "base_hold|baseline.hold + baseline.capture pairs (keys)|baseline_hold_capture|$BENCH_CLIENTS|$BENCH_WALLETS|2"
  "ledger_held|consume on a wallet with 1,000 active holds|ledger_consume_held|$BENCH_CLIENTS|1|1"
)
declare -A tps lat failed other label clients_of wallets_of events_of
has_batch="$(qv -d bench -c "SELECT count(*) > 0 FROM pg_proc WHERE proname = 'credit_consume_batch'")"
has_holds="$(qv -d bench -c "SELECT count(*) > 0 FROM pg_proc WHERE proname = 'credit_hold'")"
has_usage="$(qv -d bench -c "SELECT count(*) > 0 FROM pg_proc WHERE proname = 'credit_report_usage'")"
# Whether a workload runs: on the installed version, and chosen by BENCH_WORKLOADS.
available() {
  if [ "$BENCH_WORKLOADS" != all ] && [[ ",$BENCH_WORKLOADS," != *",$1,"* ]]; then return 1; fi
  case "$1" in
    ledger_batch) [ "$has_batch" = t ] ;;
    usage|usage_batch) [ "$has_usage" = t ] ;;
    ledger_hold|ledger_held) [ "$has_holds" = t ] ;;
    *) true ;;
  esac
}
if section_on throughput && [ "$has_holds" = t ]; then
  # The wallet of ledger_held: 1,000 holds that outlive any run.
  q -d bench -c "SELECT credit_grant('held1', 'usd', 1000000000, cost_basis => 0.01)" \
    -c "SELECT count(*) FROM generate_series(1, 1000) i,
               LATERAL credit_hold('held1', 'usd', 1, timeout => '31 days') h" >/dev/null
fi

# ---------------------------------------------------------------- throughput
if section_on throughput; then
  # Every row once per synchronous_commit setting (key id@setting), the
  # settings of a row one after the other within each round; then the
  # group-commit rows (key gc@clients@delay:siblings), synchronous_commit on.
  for w in "${workloads[@]}"; do
    IFS='|' read -r id lbl _ c wl ev <<<"$w"
    label[$id]="$lbl"; clients_of[$id]="$c"; wallets_of[$id]="$wl"; events_of[$id]="$ev"
    for sc in "${sync_modes[@]}"; do
      tps[$id@$sc]=""; lat[$id@$sc]=""; failed[$id@$sc]=0; other[$id@$sc]=0
    done
  done
  for c in "${group_clients[@]}"; do
    for gc in "${group_commits[@]}"; do
      tps[gc@$c@$gc]=""; lat[gc@$c@$gc]=""; failed[gc@$c@$gc]=0; other[gc@$c@$gc]=0
    done
  done
  # One timed run into the arrays under key $1: log name $2, settings $3
  # (PGOPTIONS), then pgb's arguments from the script on.
  measure() {
    local key="$1" log="$2" opts="$3" t l f o
    shift 3
    read -r t l f o < <(PGOPTIONS="${PGOPTIONS:-} $opts" pgb "$log" bench "$@")
    tps[$key]+=" $t"; lat[$key]+=" $l"; failed[$key]=$(( failed[$key] + ${f/-/0} ))
    if [ "${o/-/0}" -gt "${other[$key]}" ]; then other[$key]="$o"; fi
  }
  for round in $(seq 1 "$BENCH_ROUNDS"); do
    for w in "${workloads[@]}"; do
      IFS='|' read -r id lbl script c wl ev <<<"$w"
      if ! available "$id"; then continue; fi
      for sc in "${sync_modes[@]}"; do
        say "round $round/$BENCH_ROUNDS: $lbl ($c clients, $wl wallets, synchronous_commit=$sc, ${BENCH_SECONDS}s)"
        measure "$id@$sc" "$logs/$id.$sc.r$round.log" "-c synchronous_commit=$sc" "$script" "$c" -T "$BENCH_SECONDS" \
          -D wallets="$wl" -D batch="$BENCH_BATCH_SIZE" -D batch_clients="$BENCH_BATCH_CLIENTS"
      done
    done
    for c in "${group_clients[@]}"; do
      for gc in "${group_commits[@]}"; do
        say "round $round/$BENCH_ROUNDS: group commit, credit_consume with key ($c clients, synchronous_commit=on," \
            "commit_delay=${gc%:*}, commit_siblings=${gc#*:}, ${BENCH_SECONDS}s)"
        measure "gc@$c@$gc" "$logs/group-$c-${gc/:/-}.r$round.log" \
          "-c synchronous_commit=on -c commit_delay=${gc%:*} -c commit_siblings=${gc#*:}" \
          ledger_consume "$c" -T "$BENCH_SECONDS" -D wallets="$BENCH_WALLETS"
      done
    done
  done
  take_medians tps lat
  # The rows of the first setting under their plain ids (the targets).
  for w in "${workloads[@]}"; do
    IFS='|' read -r id _ <<<"$w"
    k="$id@${sync_modes[0]}"
    tps[$id]="${tps[$k]}"; lat[$id]="${lat[$k]}"; failed[$id]="${failed[$k]}"; other[$id]="${other[$k]}"
  done
  # What a WAL flush costs on this disk (pg_test_fsync, the server's
  # wal_sync_method, one 8 kB write), when a durable row was measured.
  durable=0
  for sc in "${sync_modes[@]}"; do [ "$sc" = off ] || durable=1; done
  if [ "${#group_clients[@]}" -gt 0 ] && [ "${#group_commits[@]}" -gt 0 ]; then durable=1; fi
  fsync_test=""
  if [ "$durable" = 1 ] && [ -x "$PGBIN/pg_test_fsync" ]; then
    say "pg_test_fsync in $BENCH_DIR (1s per test)"
    sync_method="$(qv -d postgres -c 'SHOW wal_sync_method')"
    as_owner "$PGBIN/pg_test_fsync" -s 1 -f "$BENCH_DIR/fsync.test" >"$logs/pg_test_fsync.log" 2>&1 || true
    rm -f "$BENCH_DIR/fsync.test"
    fsync_test="$(awk -v m="$sync_method" '/using one 8kB write/ { f = 1; next }
      f && $1 == m { printf "%s of one 8 kB write: %.0f ops/s, %s us/op", m, $2, $4; exit }' "$logs/pg_test_fsync.log")"
  fi
  q -d bench -c "VACUUM ANALYZE"
  verify_main="$(qv -d bench -c "SELECT count(*) FROM credit_verify()")"
fi

# ---------------------------------------------------------------- bytes per event
# In a database of its own, written by one client only: concurrent inserters
# pre-extend tables by many pages at once, which would hide later growth.
# Sizes of a schema's ledger tables: entries (table, indexes), operations
# (table, indexes; the ledger's operation_rows, since credit_ledger.operations
# is a view of it and the standalone entries), grants + wallets (all), in
# bytes.
optable() {
  qv -d bench_bytes -c "SELECT coalesce(to_regclass('$1.operation_rows'), '$1.operations'::regclass)"
}
sizes() {
  local ops; ops="$(optable "$1")"
  qv -d bench_bytes -F ' ' -c "
    SELECT pg_table_size('$1.entries'), pg_indexes_size('$1.entries'),
           pg_table_size('$ops'), pg_indexes_size('$ops'),
           pg_total_relation_size('$1.grants') + pg_total_relation_size('$1.wallets')"
}
declare -A bytes_total bytes_detail bytes_rows
if section_on bytes; then
  q -d postgres -c "CREATE DATABASE bench_bytes"
  (cd "$here" && q -d bench_bytes -v wallets=1 -f setup.sql >/dev/null)
  # No autovacuum here: an autoanalyze's snapshot keeps the one wallet's and
  # grant's old versions from being pruned while it runs, so their updates
  # spill into new pages (+32 bytes an event in one run of 2026-12-03). That
  # growth is bloat vacuum takes back, not what a usage event keeps.
  q -d bench_bytes -c "DO \$\$ DECLARE r regclass; BEGIN
      FOR r IN SELECT c.oid FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
                WHERE c.relkind = 'r' AND n.nspname NOT IN ('pg_catalog', 'information_schema') LOOP
        EXECUTE format('ALTER TABLE %s SET (autovacuum_enabled = off)', r);
      END LOOP; END \$\$" >/dev/null
  for impl in ledger baseline; do
    schema=credit_ledger; fn=credit_grant
    if [ "$impl" = baseline ]; then schema=baseline; fn=baseline.grant; fi
    # No key first: each run's customer sorts after the one before it, so
    # both runs append at the right end of every index they enter. The other
    # order put the no-key run's entries_usage_idx entries (customer_id,
    # occurred_at) in front of the keyed run's, where each leaf split leaves
    # a half-full page behind (+32 bytes an event).
    for key in 0 1; do
      cust="bytes-$impl-$key"
      q -d bench_bytes -c "SELECT $fn('$cust', 'usd', 1000000000, cost_basis => 0.01,
                                      expires_at => now() + interval '10 years')" >/dev/null
      read -r e1 ei1 o1 oi1 g1 < <(sizes "$schema")
      say "bytes per event: $impl, key=$key ($BENCH_BYTES_EVENTS consumes on one single-grant wallet)"
      pgb "$logs/bytes-$impl-$key.log" bench_bytes "${impl}_wallet" 1 -t "$BENCH_BYTES_EVENTS" \
        -D customer="$cust" -D usekey="$key" >/dev/null
      read -r e2 ei2 o2 oi2 g2 < <(sizes "$schema")
      n="$BENCH_BYTES_EVENTS"
      bytes_total[$impl$key]="$(awk -v n="$n" -v d=$(( (e2-e1)+(ei2-ei1)+(o2-o1)+(oi2-oi1)+(g2-g1) )) 'BEGIN{printf "%.0f", d/n}')"
      bytes_detail[$impl$key]="$(awk -v n="$n" -v a=$((e2-e1)) -v b=$((ei2-ei1)) -v c=$((o2-o1)) -v d=$((oi2-oi1)) -v e=$((g2-g1)) \
        'BEGIN{printf "entries %.0f + %.0f idx, operations %.0f + %.0f idx, grants+wallets %.0f", a/n, b/n, c/n, d/n, e/n}')"
      bytes_rows[$impl$key]="$(qv -d bench_bytes -F ' ' -c "
        SELECT round(avg(pg_column_size(e.*))), round(avg(coalesce(pg_column_size(o.*), 0)))
          FROM $schema.entries e LEFT JOIN $(optable "$schema") o
            ON o.operation_id = e.operation_id AND o.customer_id = e.customer_id
         WHERE e.customer_id = '$cust' AND e.entry_type = 'usage'")"
    done
  done
  # The same consumes as a ledger of many customers sees them: over
  # BENCH_WALLETS wallets at random, each appending in the middle of every
  # index it enters, where a leaf split leaves two pages partly filled.
  # BENCH_BYTES_MIXED unmeasured consumes first (the indexes' leaves reach
  # their steady fill), then as many without a key and as many with one.
  q -d bench_bytes -c "SELECT count(credit_grant('c' || i, 'usd', 1000000000, cost_basis => 0.01,
                                     expires_at => now() + interval '10 years'))
                         FROM generate_series(2, $BENCH_WALLETS) i" >/dev/null
  say "bytes per event: ledger over $BENCH_WALLETS wallets ($BENCH_BYTES_MIXED unmeasured, then $BENCH_BYTES_MIXED without and with a key)"
  pgb "$logs/bytes-mixed-warm.log" bench_bytes ledger_consume_nokey 1 -t "$BENCH_BYTES_MIXED" -D wallets="$BENCH_WALLETS" >/dev/null
  for key in 0 1; do
    script=ledger_consume; [ "$key" = 0 ] && script=ledger_consume_nokey
    read -r e1 ei1 _ < <(sizes credit_ledger)
    pgb "$logs/bytes-mixed-$key.log" bench_bytes "$script" 1 -t "$BENCH_BYTES_MIXED" -D wallets="$BENCH_WALLETS" >/dev/null
    read -r e2 ei2 _ < <(sizes credit_ledger)
    bytes_total[mixed$key]="$(awk -v n="$BENCH_BYTES_MIXED" -v d=$(( (e2-e1)+(ei2-ei1) )) 'BEGIN{printf "%.0f", d/n}')"
    bytes_detail[mixed$key]="$(awk -v n="$BENCH_BYTES_MIXED" -v a=$((e2-e1)) -v b=$((ei2-ei1)) \
      'BEGIN{printf "entries %.0f + %.0f idx", a/n, b/n}')"
  done
  # The wall without a key: the same entries in the tightest layout of the
  # same columns (bench/bytes_wall.sql).
  read -r bytes_wall bytes_wall_table bytes_wall_idx bytes_wall_row < <(cd "$here" &&
    q -At -F ' ' -d bench_bytes -v cust=bytes-ledger-0 -f bytes_wall.sql | awk 'NF == 4')
  if [ "$BENCH_KEEP" != 1 ]; then q -d postgres -c "DROP DATABASE bench_bytes"; fi
fi

# ---------------------------------------------------------------- wallet depth
declare -A depth_tps depth_lat depth_other
if section_on depth; then
  say "depth: $BENCH_DEPLETED_GRANTS depleted and $BENCH_DEPLETED_GRANTS lapsed grants per wallet"
  (cd "$here" && q -d bench -v grants="$BENCH_DEPLETED_GRANTS" -v open_grants="$BENCH_OPEN_GRANTS" \
     -f depleted.sql >"$logs/depleted.log")
  for kind in shallow deep lapsed open; do
    for impl in ledger baseline; do
      say "depth: $kind-$impl (1 client, ${BENCH_COST_SECONDS}s)"
      read -r t l _ o < <(pgb "$logs/depth-$kind-$impl.log" bench "${impl}_wallet" 1 -T "$BENCH_COST_SECONDS" \
        -D customer="$kind-$impl" -D usekey=1)
      depth_tps[$kind$impl]="$t"; depth_lat[$kind$impl]="$l"; depth_other[$kind$impl]="$o"
    done
  done
  verify_depth="$(qv -d bench -c "SELECT count(*) FROM credit_verify('deep-ledger')")+$(qv -d bench -c "SELECT count(*) FROM credit_verify('lapsed-ledger')")+$(qv -d bench -c "SELECT count(*) FROM credit_verify('open-ledger')")"
fi

# ---------------------------------------------------------------- ledger size
declare -A ledger_tps ledger_lat ledger_other ledger_entries ledger_size ledger_db ledger_wal ledger_fill_s
if section_on ledger; then
  say "ledger size: a fresh database with $BENCH_WALLETS wallets"
  q -d postgres -c "CREATE DATABASE bench_ledger"
  q -d bench_ledger -c "SET client_min_messages = warning" -c "CREATE EXTENSION credit_ledger" \
    -c "SELECT credit_type_create('usd', 2)" \
    -c "SELECT count(credit_grant(p || i, 'usd', 1000000000, cost_basis => 0.01,
                                  expires_at => now() + interval '10 years'))
          FROM unnest(ARRAY['c', 'ws']) p, generate_series(1, $BENCH_WALLETS) i" \
    -c "VACUUM ANALYZE" >/dev/null
  # The empty ledger (0 filler entries), then each size of BENCH_LEDGER_ROWS,
  # filled from the one before; at each, BENCH_ROUNDS timed runs (median).
  ledger_points=(0 "${ledger_sizes[@]}")
  prev=0; filler_hash=0; filler_other=0
  declare -A ledger_nk_tps ledger_nk_lat ledger_ws_tps ledger_ws_lat ledger_reads ledger_key_reads ledger_wal_op
  # What a consume costs besides its latency, to say why a large ledger is
  # slower: blocks it read into shared buffers (from the OS cache or the
  # disk; pg_statio, all of credit_ledger's tables and indexes, and
  # entries_key_idx alone) and WAL bytes it wrote, per transaction of the
  # timed and warm-up runs together (each run starts after a CHECKPOINT, so
  # a page's first change in it writes a full-page image into the WAL).
  ledger_io() {
    qv -d bench_ledger -F ' ' -c "
      SELECT (SELECT coalesce(sum(coalesce(heap_blks_read, 0) + coalesce(idx_blks_read, 0)
                                  + coalesce(toast_blks_read, 0) + coalesce(tidx_blks_read, 0)), 0)
                FROM pg_statio_user_tables WHERE schemaname = 'credit_ledger'),
             (SELECT coalesce(sum(idx_blks_read), 0) FROM pg_statio_user_indexes
               WHERE schemaname = 'credit_ledger' AND indexrelname = 'entries_key_idx'),
             pg_current_wal_insert_lsn() - '0/0'::pg_lsn"
  }
  processed() { { sed -n 's/^number of transactions actually processed: \([0-9]*\).*/\1/p' "$@" 2>/dev/null || true; } |
                awk '{ s += $1 } END { print s + 0 }'; }
  # One timed run at size $n of a pgbench script ($3, log $2): appends its
  # tps and latency to the arrays ${1}_tps and ${1}_lat, and keeps the
  # highest other% of the size in ledger_other.
  ledger_run() {
    local -n run_tps="${1}_tps" run_lat="${1}_lat"
    local t l o
    read -r t l _ o < <(pgb "$2" bench_ledger "$3" "$BENCH_CLIENTS" -T "$BENCH_SECONDS" -D wallets="$BENCH_WALLETS")
    run_tps[$n]+=" $t"; run_lat[$n]+=" $l"
    if [ "${o/-/0}" -gt "${ledger_other[$n]}" ]; then ledger_other[$n]="$o"; fi
  }
  per_op() { awk -v a="$1" -v n="$2" 'BEGIN { if (n > 0) printf "%.2f", a / n; else print "-" }'; }
  fill() { (cd "$here" && q -d bench_ledger -v from="$prev" -v rows="$n" -v part="$1" -f ledger_fill.sql); }
  for n in "${ledger_points[@]}"; do
    if [ "$n" != 0 ]; then
      say "ledger size: filling filler entries $(( prev + 1 ))..$n"
      fill_start=$(date +%s)
      fill setup
      fill entries &
      fill_pid=$!
      fill operations
      wait "$fill_pid"
      fill finish
      ledger_fill_s[$n]=$(( $(date +%s) - fill_start ))
      # The chunk's first and last filler wallets: the hash chain is a
      # placeholder (hash_mismatch on every entry); anything else is a filler
      # the schema's invariants reject.
      read -r h o < <(qv -d bench_ledger -F ' ' -c "
        SELECT count(*) FILTER (WHERE v.problem = 'hash_mismatch'), count(*) FILTER (WHERE v.problem <> 'hash_mismatch')
          FROM bench_fill f, LATERAL (VALUES (f.wallet_off + 1), (f.wallet_off + f.wallets)) w(i),
               LATERAL credit_verify('filler-' || w.i) v
         WHERE f.to_rows = $n")
      filler_hash=$(( filler_hash + h )); filler_other=$(( filler_other + o ))
      prev=$n
    fi
    checkpoint
    # Entries: the measured wallets' (below the filler's ids) and the filler.
    read -r e sz db wal < <(qv -d bench_ledger -F ' ' -c "
      SELECT (SELECT count(*) FROM credit_ledger.entries WHERE wallet_id < 1000000000) + $n,
             replace(pg_size_pretty(pg_total_relation_size('credit_ledger.entries')
                                    + pg_total_relation_size('credit_ledger.operation_rows')), ' ', ''),
             replace(pg_size_pretty(pg_database_size(current_database())), ' ', ''),
             replace(pg_size_pretty((SELECT sum(size) FROM pg_ls_waldir())), ' ', '')")
    ledger_entries[$n]="$e"; ledger_size[$n]="$sz"; ledger_db[$n]="$db"; ledger_wal[$n]="$wal"
    ledger_tps[$n]=""; ledger_lat[$n]=""; ledger_other[$n]=0
    ledger_nk_tps[$n]=""; ledger_nk_lat[$n]=""; ledger_ws_tps[$n]=""; ledger_ws_lat[$n]=""; ledger_reads[$n]=""; ledger_key_reads[$n]=""; ledger_wal_op[$n]=""
    for round in $(seq 1 "$BENCH_ROUNDS"); do
      say "ledger size: credit_consume on a $e-entry ledger, round $round/$BENCH_ROUNDS (${BENCH_SECONDS}s)"
      read -r r0 k0 w0 < <(ledger_io)
      log="$logs/ledger-$n.r$round.log"
      ledger_run ledger "$log" ledger_consume
      read -r r1 k1 w1 < <(ledger_io)
      ops="$(processed "$log" "$log.warmup")"
      ledger_reads[$n]+=" $(per_op $((r1 - r0)) "$ops")"; ledger_key_reads[$n]+=" $(per_op $((k1 - k0)) "$ops")"
      ledger_wal_op[$n]+=" $(per_op $((w1 - w0)) "$ops")"
      say "ledger size: credit_consume without a key on a $e-entry ledger, round $round/$BENCH_ROUNDS (${BENCH_SECONDS}s)"
      ledger_run ledger_nk "$logs/ledger-nokey-$n.r$round.log" ledger_consume_nokey
      # The wall: a keyed consume's three writes alone, on the same tables.
      say "ledger size: a keyed consume's write set alone on a $e-entry ledger, round $round/$BENCH_ROUNDS (${BENCH_SECONDS}s)"
      ledger_run ledger_ws "$logs/ledger-writeset-$n.r$round.log" ledger_writeset
    done
    for a in ledger_reads ledger_key_reads ledger_wal_op; do
      declare -n of="$a"; of[$n]="$(echo "${of[$n]}" | median)"; unset -n of
    done
  done
  take_medians ledger_tps ledger_lat
  take_medians ledger_nk_tps ledger_nk_lat
  take_medians ledger_ws_tps ledger_ws_lat
  # The targets' comparison: the empty ledger against the largest.
  small_entries="${ledger_entries[0]}"; small_lat="${ledger_lat[0]}"
  large_n="$n"; large_entries="${ledger_entries[$n]}"; large_lat="${ledger_lat[$n]}"
  verify_ledger="$(qv -d bench_ledger -c "SELECT count(*) FROM credit_verify('c1')")+$(qv -d bench_ledger -c "SELECT count(*) FROM credit_verify('c$BENCH_WALLETS')")"
  if [ "$BENCH_KEEP" != 1 ]; then q -d postgres -c "DROP DATABASE bench_ledger"; fi
fi

# ---------------------------------------------------------------- expiration sweep
if section_on expire; then
  say "expire: $BENCH_EXPIRE_GRANTS lapsed grants over $BENCH_EXPIRE_WALLETS wallets"
  q -d postgres -c "CREATE DATABASE bench_expire"
  setup_start=$(date +%s)
  (cd "$here" && q -d bench_expire -v grants="$BENCH_EXPIRE_GRANTS" -v wallets="$BENCH_EXPIRE_WALLETS" \
     -f expire.sql >"$logs/expire-setup.log")
  expire_setup_seconds=$(( $(date +%s) - setup_start ))
  due="$(qv -d bench_expire -c "SELECT count(*) FROM credit_ledger.grants WHERE open AND expires_at <= now()")"
  # The plan the sweep really uses, from auto_explain in a rolled-back
  # transaction that expires enough grants for its one index question (the
  # page of due wallets, 500 wallets an execution, through wallets_due_idx;
  # each wallet's grants are then read by the table layer) to run past
  # PostgreSQL's five custom plans: 7 pages of wallets with 10 grants each.
  audit_n=$(( due < 35000 ? due : 35000 ))
  log_start=$(wc -l <"$server_log")
  q -d bench_expire >/dev/null <<EOF
BEGIN;
LOAD 'auto_explain';
SET auto_explain.log_min_duration = 0;
SET auto_explain.log_nested_statements = on;
SELECT credit_expire(NULL, $audit_n);
ROLLBACK;
EOF
  tail -n +"$log_start" "$server_log" >"$logs/expire-plans.log"
  # Each plan auto_explain logged for the due-wallets query, one line per
  # execution: "|" and its tab-indented lines after the query's text, each
  # followed by "|".
  due_plans="$(awk '/Query Text: SELECT wallet_id, customer_id, credit_type, next_due_at/ { if (b != "") print b; b = "|"; next }
                    b != "" && /^\t/ { b = b $0 "|"; next }
                    b != "" { print b; b = "" }
                    END { if (b != "") print b }' "$logs/expire-plans.log")"
  plans_total="$(grep -c '^|' <<<"$due_plans" || true)"
  plans_index="$(grep -c 'Index Scan using wallets_due_idx' <<<"$due_plans" || true)"
  plan_text="$(tail -1 <<<"$due_plans" | tr '|' '\n' | awk 'NF' | sed 's/^\t/    /')"
  q -d bench_expire -c "VACUUM ANALYZE credit_ledger.grants, credit_ledger.wallets"
  checkpoint
  say "expire: SELECT credit_expire(NULL, $BENCH_EXPIRE_GRANTS)"
  t0=$(date +%s.%N)
  expired="$(qv -d bench_expire -c "SELECT credit_expire(NULL, $BENCH_EXPIRE_GRANTS)")"
  t1=$(date +%s.%N)
  expire_seconds="$(awk -v a="$t0" -v b="$t1" 'BEGIN{printf "%.1f", b-a}')"
  left="$(qv -d bench_expire -c "SELECT count(*) FROM credit_ledger.grants WHERE open AND expires_at <= now()")"
  verify_expire="$(qv -d bench_expire -c "SELECT count(*) FROM credit_verify()")"
  if [ "$BENCH_KEEP" != 1 ]; then q -d postgres -c "DROP DATABASE bench_expire"; fi
fi

# ---------------------------------------------------------------- events
# Event-heavy writes: every grant writes a credits.granted event. With
# credit_ledger.notify on (1.1's behaviour) each is also NOTIFYed, and the
# commit holds PostgreSQL's cluster-wide notification lock until its commit
# record is flushed; off (the default) it is only the outbox row. Consumes
# that write no event are the reference (wallets c1..cN; the grants go to
# g1..gN). Settings per session (PGOPTIONS).
#   id | label | script | clients | synchronous_commit | notify
events_runs=()
for sc in on off; do
  events_runs+=("consume_${BENCH_CLIENTS}_${sc}|credit_consume, no event (reference)|ledger_consume_nokey|$BENCH_CLIENTS|$sc|off")
  for c in 1 "$BENCH_CLIENTS"; do
    for n in on off; do
      events_runs+=("grant_${c}_${sc}_${n}|credit_grant|ledger_grant|$c|$sc|$n")
    done
  done
done
declare -A ev_tps ev_lat ev_other
if section_on events; then
  say "events: a fresh database with $BENCH_WALLETS wallets"
  q -d postgres -c "CREATE DATABASE bench_events"
  q -d bench_events -c "SET client_min_messages = warning" -c "CREATE EXTENSION credit_ledger" \
    -c "SELECT credit_type_create('usd', 2)" \
    -c "SELECT count(credit_grant('c' || i, 'usd', 1000000000)) FROM generate_series(1, $BENCH_WALLETS) i" \
    -c "SELECT count(credit_grant('g' || i, 'usd', 1)) FROM generate_series(1, $BENCH_WALLETS) i" \
    >/dev/null
  for r in "${events_runs[@]}"; do
    IFS='|' read -r id _ <<<"$r"; ev_tps[$id]=""; ev_lat[$id]=""; ev_other[$id]=0
  done
  for round in $(seq 1 "$BENCH_ROUNDS"); do
    for r in "${events_runs[@]}"; do
      IFS='|' read -r id lbl script c sc n <<<"$r"
      # Each run starts from an empty outbox.
      q -d bench_events -c "SELECT credit_events_ack(ARRAY(SELECT event_id FROM credit_ledger.events
                                                            WHERE processed_at IS NULL))" \
        -c "SELECT credit_events_prune('0')" -c "VACUUM credit_ledger.events" >/dev/null
      say "events round $round/$BENCH_ROUNDS: $lbl, $c clients, synchronous_commit=$sc, credit_ledger.notify=$n (${BENCH_EVENTS_SECONDS}s)"
      read -r t l _ o < <(PGOPTIONS="-c synchronous_commit=$sc -c credit_ledger.notify=$n" \
        pgb "$logs/events-$id.r$round.log" bench_events "$script" "$c" -T "$BENCH_EVENTS_SECONDS" -D wallets="$BENCH_WALLETS")
      ev_tps[$id]+=" $t"; ev_lat[$id]+=" $l"
      if [ "${o/-/0}" -gt "${ev_other[$id]}" ]; then ev_other[$id]="$o"; fi
    done
  done
  take_medians ev_tps ev_lat
  verify_events="$(qv -d bench_events -c "SELECT count(*) FROM credit_verify()")"
  if [ "$BENCH_KEEP" != 1 ]; then q -d postgres -c "DROP DATABASE bench_events"; fi
fi

# ---------------------------------------------------------------- report
commit="$(git -C "$root" rev-parse --short HEAD 2>/dev/null || echo unknown)"
if [ -n "$(git -C "$root" status --porcelain --untracked-files=no 2>/dev/null)" ]; then commit="$commit+dirty"; fi
cpu="$(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -1)"
mem="$(awk '/MemTotal/ {printf "%.0f GiB", $2/1048576}' /proc/meminfo)"

{
  echo "credit_ledger benchmark — started $started, took $(( ($(date +%s) - started_s + 30) / 60 )) min, commit $commit"
  echo "PostgreSQL $pg_version ($PGBIN), $ncpu CPUs ($cpu), $mem RAM"
  echo "shared_buffers=$BENCH_SHARED_BUFFERS jit=off locale=C, pgbench -M prepared, ${BENCH_SECONDS}s per workload," \
       "rounds=$BENCH_ROUNDS (median)"
  echo "WAL: $server_wal; synchronous_commit=${sync_modes[0]}" \
       "(throughput rows: each with synchronous_commit=$(IFS=,; echo "${sync_modes[*]}"))"
  echo "baseline check: $baseline_check"

  if section_on throughput; then
    echo
    s0="${sync_modes[0]}"
    row='%-48s %7s %7s %-4s %9s %9s %8s %8s %8s %8s %6s'
    # shellcheck disable=SC2059
    printf "$row\n" workload clients wallets sync tps events/s "vs floor" "vs base" "vs $s0" "lat ms" other%
    # shellcheck disable=SC2059
    printf "$row\n" "$(printf '%.0s-' {1..48})" ------- ------- ---- --------- --------- -------- -------- -------- -------- ------
    for w in "${workloads[@]}"; do
      IFS='|' read -r id _ <<<"$w"
      ev="${events_of[$id]}"
      if ! available "$id"; then
        # shellcheck disable=SC2059
        printf "$row\n" "${label[$id]}" "${clients_of[$id]}" "${wallets_of[$id]}" \
          "-" "n/a" "n/a" "-" "-" "-" "-" "-"
        continue
      fi
      ref_floor=floor; ref_base=""
      case "$id" in
        ledger) ref_base=base ;; ledger_nk) ref_base=base_nk ;; ledger_hot) ref_base=base_hot ;;
        ledger_batch) ref_base=base_batch ;; base|base_nk|base_hot|base_batch) ref_base="$id" ;;
        usage|base_usage) ref_base=base_usage ;; usage_batch|base_usage_batch) ref_base=base_usage_batch ;;
        ledger_hold|base_hold) ref_base=base_hold ;;
      esac
      case "$id" in *_hot|ledger_held) ref_floor=floor_hot ;; esac
      # One row per synchronous_commit setting, each against the floor and the
      # baseline of the same setting; vs $s0: events/s over the same row's.
      for sc in "${sync_modes[@]}"; do
        k="$id@$sc"
        t="${tps[$k]}"
        evs="$(awk -v t="$t" -v e="$ev" 'BEGIN{ if (t ~ /^[0-9.]+$/) printf "%.0f", t*e; else print "error" }')"
        floor_evs="$(awk -v t="${tps[$ref_floor@$sc]}" 'BEGIN{printf "%.3f", t}')"
        vf="$(ratio "$evs" "$floor_evs")"
        vb="-"
        if [ -n "$ref_base" ]; then
          vb="$(ratio "$evs" "$(awk -v t="${tps[$ref_base@$sc]}" -v e="${events_of[$ref_base]}" 'BEGIN{printf "%.3f", t*e}')")"
        fi
        vs="-"
        if [ "$sc" != "$s0" ]; then vs="$(ratio "$t" "${tps[$id@$s0]}")"; fi
        fl=""
        if [ "${failed[$k]}" != 0 ]; then fl=" (${failed[$k]} failed)"; fi
        # shellcheck disable=SC2059
        printf "$row%s\n" "${label[$id]}" "${clients_of[$id]}" "${wallets_of[$id]}" "$sc" \
          "$(fmt0 "$t")" "$evs" "$vf" "$vb" "$vs" "${lat[$k]}" "${other[$k]}" "$fl"
      done
    done
    echo "(vs floor: events/s over the floor's — the hot-wallet floor for hot rows; vs base: over the"
    echo " baseline's same workload. Batch tps counts calls of $BENCH_BATCH_SIZE events; latency is per call."
    echo " The pair rows count a pair (two operations, each its own transaction) per tps: hold+capture pairs/s"
    echo " against two consumes; the wallet with 1,000 active holds is measured like the hot wallet."
    echo " other%: CPU taken by other processes of the machine during the run, in % of all CPUs"
    echo " (the highest of the rounds) — on a shared machine, a row with a high value is disturbed."
    echo " sync: the synchronous_commit of the row's sessions (WAL settings above); vs $s0: the row's tps"
    echo " over the same workload's with synchronous_commit=$s0, measured right before it in each round."
    if [ -n "$fsync_test" ]; then echo " pg_test_fsync on the data directory's disk: $fsync_test."; fi
    echo " credit_verify() after the runs: ${verify_main} problems.)"
    if [ "${#group_clients[@]}" -gt 0 ] && [ "${#group_commits[@]}" -gt 0 ]; then
      g0="${group_commits[0]}"
      echo
      echo "group commit: credit_consume with key, synchronous_commit=on, $BENCH_WALLETS wallets, ${BENCH_SECONDS}s each"
      printf '  %7s %12s %15s %9s %9s %10s %6s\n' clients commit_delay commit_siblings tps "lat ms" "vs ${g0/:/\/}" other%
      for c in "${group_clients[@]}"; do
        for gc in "${group_commits[@]}"; do
          k="gc@$c@$gc"; fl=""
          if [ "${failed[$k]}" != 0 ]; then fl=" (${failed[$k]} failed)"; fi
          printf '  %7s %12s %15s %9s %9s %10s %6s%s\n' "$c" "${gc%:*}" "${gc#*:}" "$(fmt0 "${tps[$k]}")" "${lat[$k]}" \
            "$(ratio "${tps[$k]}" "${tps[gc@$c@$g0]}")" "${other[$k]}" "$fl"
        done
      done
      echo "  (commit_delay: microseconds a committing backend waits for others to share its WAL flush, when at"
      echo "   least commit_siblings other transactions are active; vs ${g0/:/\/}: tps over the same clients' with"
      echo "   commit_delay=${g0%:*} and commit_siblings=${g0#*:}$([ "$g0" = 0:5 ] && echo ", PostgreSQL's defaults"))"
    fi
  fi

  echo
  # The targets: issue 17's (performance round 2) first, then those of the
  # earlier rounds that still hold. A row whose workloads did not run shows -.
  target() { printf '%-58s %8s   %-9s %s\n' "$1" "$2" "$3" "$4"; }
  met() { awk -v m="$1" -v op="$2" -v t="$3" 'BEGIN {
    if (m !~ /^[0-9.]+$/) print "";
    else if ((op == ">=" && m+0 >= t+0) || (op == "<=" && m+0 <= t+0)) print "met";
    else print "not met" }'; }
  check() { target "$1" "$2" "$3 $4" "$(met "$2" "$3" "$4")${5:+ $5}"; }
  echo "targets                                                    measured   target"
  if section_on throughput; then
    check "keyed consume vs floor (issue 17)" "$(ratio "${tps[ledger]}" "${tps[floor]}")" ">=" 0.80 \
      "(the write set alone: $(ratio "${tps[floor_ws]}" "${tps[floor]}"))"
    check "hot wallet vs hot-wallet floor (issue 17)" "$(ratio "${tps[ledger_hot]}" "${tps[floor_hot]}")" ">=" 0.80 \
      "(the write set alone: $(ratio "${tps[floor_ws_hot]}" "${tps[floor_hot]}"))"
    if [ "$has_batch" = t ]; then
      # Events/s of a row: its tps times the events of one of its calls.
      evs_of() { awk -v t="${tps[$1]}" -v e="${events_of[$1]}" 'BEGIN{ if (t+0 > 0) printf "%.0f", t*e; else print "-" }'; }
      check "batch consume events/s, ${BENCH_BATCH_CLIENTS} clients, keyed (issue 17)" "$(evs_of ledger_batch)" ">=" 100000 \
        "(the write set alone: $(evs_of floor_batch))"
      check "batch consume per event vs baseline batch (issue 6)" \
        "$(ratio "${tps[ledger_batch]}" "${tps[base_batch]}")" ">=" 5.0
    fi
    if [ "$has_usage" = t ]; then
      check "credit_report_usage vs credit_consume (issue 14)" "$(ratio "${tps[usage]}" "${tps[ledger]}")" ">=" 0.90
      check "report_usage_batch vs consume_batch per event (issue 14)" \
        "$(ratio "${tps[usage_batch]}" "${tps[ledger_batch]}")" ">=" 0.90
    fi
    check "hot wallet vs baseline hot wallet (issue 6)" "$(ratio "${tps[ledger_hot]}" "${tps[base_hot]}")" ">=" 1.5
  fi
  if section_on bytes; then
    check "bytes per single-grant usage event, with key (issue 17)" "${bytes_total[ledger1]}" "<=" 400
    check "bytes per single-grant usage event, no key (issue 17)" "${bytes_total[ledger0]}" "<=" 300 \
      "(the tightest layout: ${bytes_wall:--})"
  fi
  if section_on depth; then
    check "consume cost, $BENCH_DEPLETED_GRANTS depleted grants vs 1 (issue 6)" \
      "$(ratio "${depth_lat[deepledger]}" "${depth_lat[shallowledger]}")" "<=" 1.20
    check "consume cost, $BENCH_OPEN_GRANTS open grants after the one drawn vs 1 (issue 17)" \
      "$(ratio "${depth_lat[openledger]}" "${depth_lat[shallowledger]}")" "<=" 1.20
  fi
  if section_on ledger; then
    check "consume latency, $large_entries vs $small_entries entries (issue 17)" \
      "$(ratio "$large_lat" "$small_lat")" "<=" 1.20 \
      "(the write set alone: $(ratio "${ledger_ws_lat[$large_n]}" "${ledger_ws_lat[0]}"); no key: $(ratio "${ledger_nk_lat[$large_n]}" "${ledger_nk_lat[0]}"))"
  fi

  if section_on bytes; then
    echo
    echo "bytes per usage event (growth of pg_table_size + pg_indexes_size over $BENCH_BYTES_EVENTS consumes"
    echo "of 1 credit on a wallet with one grant, in a fresh database, one client; each event writes one"
    echo "usage entry, its own operation (no operation row); rows = average pg_column_size of the entry and of an operation row, 0 for none)"
    for impl in ledger baseline; do
      for key in 1 0; do
        k="with key"; [ "$key" = 0 ] && k="no key"
        read -r re ro <<<"${bytes_rows[$impl$key]}"
        printf '  %-20s %5s  (%s; rows %s + %s bytes)\n' "$impl, $k" "${bytes_total[$impl$key]}" \
          "${bytes_detail[$impl$key]}" "$re" "$ro"
      done
    done
    printf '  %-20s %5s  (entries %s + %s idx; row %s bytes: the no-key entries above in the tightest layout\n' \
      "wall, no key" "$bytes_wall" "$bytes_wall_table" "$bytes_wall_idx" "$bytes_wall_row"
    echo "                              of the same columns, bench/bytes_wall.sql: no credit_type, a one-byte entry_type)"
    echo "  the same consumes over $BENCH_WALLETS wallets at random (customers c1..c$BENCH_WALLETS, each appending in the middle of"
    echo "  the indexes; $BENCH_BYTES_MIXED unmeasured, then $BENCH_BYTES_MIXED each; tables and indexes of entries):"
    printf '  %-20s %5s  (%s)\n' "ledger, no key" "${bytes_total[mixed0]}" "${bytes_detail[mixed0]}"
    printf '  %-20s %5s  (%s)\n' "ledger, with key" "${bytes_total[mixed1]}" "${bytes_detail[mixed1]}"
  fi

  if section_on depth; then
    echo
    echo "consume cost by wallet depth (1 client, one wallet, with key, ${BENCH_COST_SECONDS}s each)"
    printf '  %-58s %9s %9s %9s %6s\n' wallet tps "lat ms" "vs 1" other%
    for impl in ledger baseline; do
      for kind in shallow deep lapsed open; do
        case "$kind" in
          shallow) d="1 active grant" ;;
          deep) d="$BENCH_DEPLETED_GRANTS depleted grants + 1 active" ;;
          lapsed) d="$BENCH_DEPLETED_GRANTS lapsed grants, caught up + 1 active" ;;
          open) d="1 active + $BENCH_OPEN_GRANTS open grants drawn after it" ;;
        esac
        printf '  %-58s %9s %9s %9s %6s\n' "$impl: $d" "$(fmt0 "${depth_tps[$kind$impl]}")" "${depth_lat[$kind$impl]}" \
          "$(ratio "${depth_lat[$kind$impl]}" "${depth_lat[shallow$impl]}")" "${depth_other[$kind$impl]}"
      done
    done
    echo "  (vs 1: latency over the single-grant wallet's; credit_verify of deep-, lapsed- and open-ledger: $verify_depth problems)"
  fi

  if section_on ledger; then
    echo
    echo "consume cost by ledger size (credit_consume with key, $BENCH_CLIENTS clients, $BENCH_WALLETS wallets, ${BENCH_SECONDS}s," \
         "median of $BENCH_ROUNDS at each size)"
    printf '  %-12s %13s %10s %8s %9s %9s %7s %8s %8s %8s %12s %7s %15s %7s %6s\n' entries "entries+ops" database WAL tps "lat ms" "vs 0" \
      reads/op "key idx" WAL/op "no key: lat" "vs 0" "write set: lat" "vs 0" other%
    fills=""
    for n in "${ledger_points[@]}"; do
      printf '  %-12s %13s %10s %8s %9s %9s %7s %8s %8s %8s %12s %7s %15s %7s %6s\n' "${ledger_entries[$n]}" "${ledger_size[$n]}" "${ledger_db[$n]}" \
        "${ledger_wal[$n]}" "$(fmt0 "${ledger_tps[$n]}")" "${ledger_lat[$n]}" "$(ratio "${ledger_lat[$n]}" "${ledger_lat[0]}")" \
        "${ledger_reads[$n]}" "${ledger_key_reads[$n]}" "$(fmt0 "${ledger_wal_op[$n]}")" \
        "${ledger_nk_lat[$n]}" "$(ratio "${ledger_nk_lat[$n]}" "${ledger_nk_lat[0]}")" \
        "${ledger_ws_lat[$n]}" "$(ratio "${ledger_ws_lat[$n]}" "${ledger_ws_lat[0]}")" "${ledger_other[$n]}"
      if [ "$n" != 0 ]; then fills+="${fills:+, }to $n in ${ledger_fill_s[$n]}s"; fi
    done
    echo "  (entries: the measured wallets' own plus 0, then ${ledger_sizes[*]} filler entries of other customers,"
    echo "   each with its operation, written in bulk by bench/ledger_fill.sql, each size from the one before:"
    echo "   $fills; entries+ops: their tables and indexes; database, WAL: on disk at that"
    echo "   size; vs 0: latency over the empty ledger's; reads/op: blocks a keyed consume read into shared buffers"
    echo "   (from the OS cache or the disk), all tables and indexes and entries_key_idx alone; WAL/op: bytes of WAL"
    echo "   per keyed consume, full-page images included (each run starts after a CHECKPOINT); no key: the same"
    echo "   consume without an idempotency key, right after it in each round; write set: a keyed consume's three"
    echo "   writes alone (wallet, grant, the standalone entry with its key digest), on wallets ws1..ws$BENCH_WALLETS"
    echo "   of the same tables, bench/pgbench/ledger_writeset.sql, right after the no-key run: the wall;"
    echo "   credit_verify of c1 and c$BENCH_WALLETS: $verify_ledger problems; of the first and last filler wallet of"
    echo "   each fill: $filler_hash hash_mismatch (the filler's placeholder chain) and $filler_other other problems)"
  fi

  if section_on expire; then
    echo
    echo "expiration sweep: SELECT credit_expire(NULL, $BENCH_EXPIRE_GRANTS) with $due grants due over $BENCH_EXPIRE_WALLETS wallets"
    echo "  expired $expired grants in ${expire_seconds}s ($(awk -v n="$expired" -v s="$expire_seconds" 'BEGIN{ if (s > 0) printf "%.0f", n/s; else print "-" }') grants/s); $left still due; credit_verify(): $verify_expire problems"
    echo "  (setup through credit_grant: ${expire_setup_seconds}s)"
    echo "  due-wallets query: $plans_index of $plans_total executions used Index Scan using wallets_due_idx"
    echo "  (auto_explain over credit_expire(NULL, $audit_n) in a rolled-back transaction); last plan:"
    echo "$plan_text"
  fi

  if section_on events; then
    echo
    echo "event-heavy writes ($BENCH_WALLETS wallets, ${BENCH_EVENTS_SECONDS}s each, median of $BENCH_ROUNDS rounds; every grant writes one event;"
    echo "notify = credit_ledger.notify, on = 1.1's behaviour, off = the default since 1.2)"
    printf '  %-38s %7s %6s %6s %9s %9s %6s\n' workload clients sync notify tps "lat ms" other%
    for r in "${events_runs[@]}"; do
      IFS='|' read -r id lbl _ c sc n <<<"$r"
      printf '  %-38s %7s %6s %6s %9s %9s %6s\n' "$lbl" "$c" "$sc" "$n" "$(fmt0 "${ev_tps[$id]}")" \
        "${ev_lat[$id]}" "${ev_other[$id]}"
    done
    echo "  (credit_verify() after the runs: $verify_events problems)"
  fi
} | tee "$report"
say "report: $report; logs: $logs"
