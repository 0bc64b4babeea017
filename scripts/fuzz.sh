#!/usr/bin/env bash
# Builds the libFuzzer targets in fuzz/ (clang, -fsanitize=fuzzer,address,
# undefined) and runs each for a bounded time:
#
#   bash scripts/fuzz.sh [seconds-per-target] [target...]
#
# Default: 300 seconds for each of amount_fuzz, drawdown_fuzz, audit_fuzz,
# batch_fuzz, timeline_fuzz.
# scripts/test.sh runs it with 25. Each run starts from the committed seeds
# in fuzz/corpus/<target>/ plus what earlier runs found (build/fuzz-corpus/,
# kept between runs); a failing input is written to build/fuzz-artifacts/
# and can be replayed with build/fuzz/fuzz/<target> <file>. Prints one line
# per target, "fuzz <target>: ok (<runs> runs in <s> s)" or
# "fuzz <target>: FAILED ...", ends with "N passed, N failed" (targets) and
# exits non-zero if any target failed.
# Needs clang-14 and libclang-rt-14-dev (scripts/deps.sh installs them);
# CXX overrides the compiler.
set -uo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
cd "$root"

seconds="${1:-300}"
shift || true
targets=("$@")
[ ${#targets[@]} -gt 0 ] || targets=(amount_fuzz drawdown_fuzz audit_fuzz batch_fuzz timeline_fuzz pricing_fuzz recurring_fuzz)

cxx="${CXX:-}"
if [ -z "$cxx" ]; then
  for c in clang++-14 clang++; do
    if command -v "$c" >/dev/null; then cxx="$c"; break; fi
  done
fi
if [ -z "$cxx" ]; then
  echo "scripts/fuzz.sh: clang++ not found (bash scripts/deps.sh installs clang-14 and libclang-rt-14-dev)" >&2
  exit 2
fi

mkdir -p build/fuzz-corpus build/fuzz-artifacts build/fuzz-logs
if ! { cmake -S . -B build/fuzz -DCREDIT_LEDGER_FUZZ=ON \
         -DCMAKE_CXX_COMPILER="$cxx" -DCMAKE_BUILD_TYPE=RelWithDebInfo &&
       cmake --build build/fuzz -j"$(nproc)"; } >build/fuzz-logs/build.log 2>&1; then
  cat build/fuzz-logs/build.log
  echo "fuzz build: FAILED"
  exit 2
fi

status=0
ok=0
bad=0
for t in "${targets[@]}"; do
  log="build/fuzz-logs/$t.log"
  mkdir -p "build/fuzz-corpus/$t"
  # The first directory receives new inputs; the committed seeds stay as they
  # are. -timeout catches hangs, -rss_limit_mb runaway memory.
  start=$SECONDS
  "build/fuzz/fuzz/$t" -max_total_time="$seconds" -timeout=10 \
    -rss_limit_mb=2048 -print_final_stats=1 \
    -artifact_prefix="build/fuzz-artifacts/$t-" \
    "build/fuzz-corpus/$t" "fuzz/corpus/$t" >"$log" 2>&1
  rc=$?
  runs=$(sed -nE 's/^stat::number_of_executed_units: *([0-9]+)/\1/p' "$log" | tail -1)
  if [ "$rc" -eq 0 ]; then
    echo "fuzz $t: ok (${runs:-?} runs in $((SECONDS - start)) s)"
    ok=$((ok + 1))
  else
    status=1
    bad=$((bad + 1))
    echo "fuzz $t: FAILED (exit $rc after ${runs:-?} runs; log $log)"
    grep -E 'property violated|runtime error|ERROR: |SUMMARY|what\(\)|Test unit written' "$log" | head -20
  fi
done
echo "$ok passed, $bad failed"
exit "$status"
