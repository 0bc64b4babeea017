#!/usr/bin/env bash
# The whole test suite, from a fresh Debian 12 machine (as root): installs what
# it needs (scripts/deps.sh), builds, then runs the core's unit tests
# (GoogleTest, plain and under ASan+UBSan), a short run of each fuzz target,
# the regression topics (pg_regress, pgTAP among them) and the isolation specs
# against a throwaway cluster, the benchmark's baseline check and a smoke pass
# of the benchmark command (bench/run.sh), the examples'
# tests, the portal's browser test (headless Chromium), the TAP tests and the
# README's doc test, each with its own cluster, and the Citus tests when
# Citus is installed (a coordinator and two workers; skipped, and said so,
# otherwise).
# Each section is counted from its runner's exit code and its own summary
# (scripts/tally.sh): ctest's "N tests failed out of M", pg_regress's "All N
# tests passed." or "M of N tests failed.", prove's "Files=, Tests=" and
# "Result:", the examples' and fuzz.sh's "N passed, N failed"; the doc test is
# one test. A runner that exits non-zero without reporting a failure counts as
# a failure. Ends with the line "N passed, N failed"; exits non-zero on any
# failure. Logs: build/test-logs/.
set -uo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
cd "$root"
mkdir -p build
log=build/test-logs
rm -rf "$log" && mkdir -p "$log"

passed=0
failed=0
source scripts/tally.sh

bash scripts/deps.sh || { echo "0 passed, 1 failed"; exit 1; }

# 1. The core's unit tests, then the same tests built with ASan+UBSan
# (-fno-sanitize-recover=all: a sanitizer report fails its test).
# unit_tests NAME LOG BUILD_DIR [CMAKE_OPTION...]
unit_tests() {
  local name=$1 out="$log/$2" dir=$3 rc
  shift 3
  if ! { cmake -S . -B "$dir" -DCMAKE_BUILD_TYPE=RelWithDebInfo "$@" &&
         cmake --build "$dir" -j"$(nproc)"; } >"$out-build.log" 2>&1; then
    tail -60 "$out-build.log"; note_failure "$name: build"; return
  fi
  ctest --test-dir "$dir" --output-on-failure >"$out.log" 2>&1
  rc=$?
  [ "$rc" -eq 0 ] || tail -80 "$out.log"
  tally "$name" "$rc" "$(ctest_counts "$out.log")"
}
unit_tests "unit tests" ctest build/core
unit_tests "unit tests under ASan+UBSan" ctest-san build/core-san -DCREDIT_LEDGER_SANITIZE=ON

# 1b. The house style: every C++ file of src/, test/unit and fuzz/ is as
# clang-format (.clang-format) leaves it. One test.
one_test "clang-format" "$log/format.log" clang-format-14 --dry-run --Werror \
  $(git ls-files 'src/*.cpp' 'src/*.hpp' 'test/unit/*.cpp' 'fuzz/*.cpp' 'fuzz/*.hpp')

# 1b'. clang-tidy (.clang-tidy) over src/: no findings. One test.
one_test "clang-tidy" "$log/tidy.log" bash scripts/tidy.sh

# 1c. A short fuzz run: each libFuzzer target in fuzz/ for FUZZ_SECONDS
# (default 25) from its seed corpus; one test per target. The long run is
# scripts/fuzz.sh [seconds].
bash scripts/fuzz.sh "${FUZZ_SECONDS:-25}" >"$log/fuzz.log" 2>&1
rc=$?
grep -E '^fuzz [a-z_]+: ' "$log/fuzz.log" || true
[ "$rc" -eq 0 ] || tail -60 "$log/fuzz.log"
tally "fuzz targets" "$rc" "$(summary_counts "$log/fuzz.log")"

# 2. The extension.
if ! { make -j"$(nproc)" >"$log/make.log" 2>&1 && make install >>"$log/make.log" 2>&1; }; then
  cat "$log/make.log"; note_failure "extension build"
  echo "$passed passed, $failed failed"; exit 1
fi

# 3. Regression topics and isolation specs in one throwaway cluster; each
# runner's output and exit code are kept apart.
pg_virtualenv -t -v 15 -o 'jit=off' -o 'max_prepared_transactions=10' bash -c '
  make -s check-regress >"$1/regress.log" 2>&1; echo $? >"$1/regress.rc"
  make -s check-isolation >"$1/isolation.log" 2>&1; echo $? >"$1/isolation.rc"
' _ "$root/$log" >"$log/virtualenv.log" 2>&1
for part in regress isolation; do
  rc=$(cat "$log/$part.rc" 2>/dev/null || echo "none")
  if [ "$rc" = none ]; then
    tail -30 "$log/virtualenv.log"; note_failure "$part: did not run"; continue
  fi
  grep -E '\.\.\. (FAILED|failed)' "$log/$part.log" || true
  if [ -s "build/$part/regression.diffs" ]; then
    echo "---- build/$part/regression.diffs (first 200 lines)"
    head -200 "build/$part/regression.diffs"
  fi
  tally "$part" "$rc" "$(regress_counts "$log/$part.log")"
done

# 3b. The benchmark's PL/pgSQL baseline (bench/baseline.sql) still writes
# exactly what the extension writes (bench/baseline_test.sql, which
# bench/run.sh also runs before it measures anything), in a throwaway
# cluster of its own: a few seconds. One test: its "baseline_test: ok" line.
one_test "bench baseline check" "$log/baseline.log" \
  pg_virtualenv -t -v 15 -o 'jit=off' bash -c 'cd bench &&
    psql -X -At -v ON_ERROR_STOP=1 -c "CREATE EXTENSION credit_ledger" -f baseline.sql \
      -f baseline_test.sql | grep -x "baseline_test: ok ([0-9]* checks)"'

# 3c. The benchmark command itself (bench/run.sh with every section, every
# workload, both synchronous_commit settings and a group-commit row) as a
# smoke pass: 1-second runs on small data, so every pgbench script, fill and
# report line keeps running as BENCHMARKS.md shows it. Its numbers mean
# nothing. One test: the command succeeds, and no row of its report says
# error, n/a or failed transactions.
one_test "bench smoke run" "$log/bench-smoke.log" bash -c '
  BENCH_INSTALL=0 BENCH_PORT=5489 BENCH_SECONDS=1 BENCH_COST_SECONDS=1 BENCH_WARMUP=0 \
  BENCH_EVENTS_SECONDS=1 BENCH_GROUP_COMMIT=0:5 BENCH_GROUP_CLIENTS=2 BENCH_WALLETS=100 \
  BENCH_BYTES_EVENTS=200 BENCH_DEPLETED_GRANTS=100 BENCH_OPEN_GRANTS=20 BENCH_LEDGER_ROWS=20000 \
  BENCH_EXPIRE_GRANTS=1000 BENCH_EXPIRE_WALLETS=100 bash bench/run.sh >build/bench-smoke.txt &&
  cat build/bench-smoke.txt &&
  ! grep -nE "\<error\>|\<n/a\>|failed\)" build/bench-smoke.txt'

# 4. The event relay and the client examples (Python, Node.js) against a
# throwaway cluster of their own.
pg_virtualenv -t -v 15 -o 'jit=off' -o 'max_prepared_transactions=10' bash examples/run_tests.sh >"$log/examples.log" 2>&1
rc=$?
grep -E '^FAIL:' "$log/examples.log" || true
[ "$rc" -eq 0 ] || tail -50 "$log/examples.log"
tally "examples" "$rc" "$(summary_counts "$log/examples.log")"

# 4b. The portal's browser test: headless Chromium loads each page of
# examples/portal against a known ledger and checks what it shows;
# screenshots in build/portal/. Counted from its "N passed, N failed". Only
# when chromium could not be installed (scripts/deps.sh says so above) is it
# skipped, and the skip is said here and in the last lines.
pg_virtualenv -t -v 15 -o 'jit=off' bash examples/portal/run_test.sh >"$log/portal.log" 2>&1
rc=$?
grep -E '^(not ok - |SKIPPED:)' "$log/portal.log" || true
if [ "$rc" -eq 77 ] && grep -q '^SKIPPED:' "$log/portal.log"; then
  note_skip "portal browser test" "$(grep -m1 '^SKIPPED:' "$log/portal.log")"
else
  [ "$rc" -eq 0 ] || tail -50 "$log/portal.log"
  tally "portal browser test" "$rc" "$(summary_counts "$log/portal.log")"
fi

# 5. TAP tests (PostgreSQL::Test::Cluster), through PGXS: make check-tap.
# Their clusters are made by initdb, which refuses root, so as root they run
# as postgres in a copy of the sources that postgres owns (make check-tap
# writes tmp_check/ next to the Makefile).
tapdir=$root
if [ "$(id -u)" -eq 0 ]; then
  tapdir=$(mktemp -d /tmp/credit_ledger_tap.XXXXXX)
  tar -C "$root" --exclude=./build --exclude=./.git --exclude=./tmp_check -cf - . |
    tar -C "$tapdir" -xf - && chown -R postgres: "$tapdir"
  as_tap_user() { runuser -u postgres -- "$@"; }
else
  as_tap_user() { "$@"; }
fi
(cd "$tapdir" && as_tap_user make -s check-tap) >"$log/tap.log" 2>&1
rc=$?
if [ "$rc" -ne 0 ]; then
  tail -60 "$log/tap.log"
  rm -rf "$log/tap" && cp -r "$tapdir/tmp_check/log" "$log/tap" 2>/dev/null &&
    echo "TAP test logs: $log/tap/"
fi
tally "TAP tests" "$rc" "$(prove_counts "$log/tap.log")"
[ "$tapdir" = "$root" ] || rm -rf "$tapdir"

# 5b. The Citus tests (scripts/test_citus.sh): a coordinator and two workers
# on loopback, citus_distribute() and what runs through the coordinator,
# counted from pg_regress's summary. Skipped, and said so, where Citus is not
# installed in this PostgreSQL; a failure when CITUS_REQUIRED is set (.ci/run
# sets it after building Citus).
bash scripts/test_citus.sh >"$log/citus.log" 2>&1
rc=$?
if [ "$rc" -eq 77 ]; then
  if [ -n "${CITUS_REQUIRED:-}" ]; then
    cat "$log/citus.log"; note_failure "citus tests: Citus is required but not installed"
  else
    note_skip "citus tests" "Citus not installed (README, Scale-out on Citus)"
  fi
else
  grep -E '\.\.\. (FAILED|failed)' "$log/citus.log" || true
  if [ -s build/citus/regression.diffs ]; then
    echo "---- build/citus/regression.diffs (first 200 lines)"
    head -200 build/citus/regression.diffs
  fi
  [ "$rc" -eq 0 ] || tail -30 "$log/citus.log"
  tally "citus tests" "$rc" "$(regress_counts "$log/citus.log")"
fi

# 6. The README's doc test (scripts/doctest.py), against a throwaway cluster
# of its own: the five-minute tour prints exactly what the README shows, and
# the README's other SQL examples run. One test, counted by its exit code.
one_test "README doc test" "$log/doctest.log" \
  pg_virtualenv -t -v 15 -o 'jit=off' python3 scripts/doctest.py

[ "$skipped" -eq 0 ] || echo "$skipped section(s) skipped (see above)"
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
