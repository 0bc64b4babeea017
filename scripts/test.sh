#!/usr/bin/env bash
# The whole test suite, from a fresh Debian 12 machine (as root): installs what
# it needs, builds, then runs the core's unit tests (GoogleTest, plain and
# under ASan+UBSan), a short run of each fuzz target, the regression topics
# (pg_regress, pgTAP among them) and the isolation specs against a throwaway
# cluster, the TAP tests and the README's doc test, each with its own cluster.
# Ends with the line "N passed, N failed"; exits non-zero on any failure.
set -uo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
cd "$root"
mkdir -p build
log=build/test-logs
rm -rf "$log" && mkdir -p "$log"

passed=0
failed=0
note_failure() { echo "FAILED: $1"; failed=$((failed + 1)); }

bash scripts/deps.sh || { echo "0 passed, 1 failed"; exit 1; }

# 1. The core's unit tests.
if cmake -S . -B build/core -DCMAKE_BUILD_TYPE=RelWithDebInfo >"$log/cmake.log" &&
   cmake --build build/core -j"$(nproc)" >>"$log/cmake.log" 2>&1; then
  ctest --test-dir build/core --output-on-failure 2>&1 | tee "$log/ctest.log" | grep -E "tests passed|Failed|FAILED" || true
  summary=$(grep -E "tests passed, [0-9]+ tests failed out of [0-9]+" "$log/ctest.log" | tail -1)
  if [ -n "$summary" ]; then
    total=$(sed -E 's/.*out of ([0-9]+).*/\1/' <<<"$summary")
    bad=$(sed -E 's/.*passed, ([0-9]+) tests failed.*/\1/' <<<"$summary")
    passed=$((passed + total - bad))
    failed=$((failed + bad))
  else
    note_failure "unit tests did not run"
  fi
else
  cat "$log/cmake.log"; note_failure "core build"
fi

# 1b. The same unit tests built with ASan+UBSan (-fno-sanitize-recover=all):
# one test, failed by any failing test or sanitizer report.
if cmake -S . -B build/core-san -DCREDIT_LEDGER_SANITIZE=ON \
     -DCMAKE_BUILD_TYPE=RelWithDebInfo >"$log/sanitize.log" 2>&1 &&
   cmake --build build/core-san -j"$(nproc)" >>"$log/sanitize.log" 2>&1 &&
   ctest --test-dir build/core-san --output-on-failure >>"$log/sanitize.log" 2>&1; then
  echo "unit tests under ASan+UBSan: ok"
  passed=$((passed + 1))
else
  tail -60 "$log/sanitize.log"; note_failure "unit tests under ASan+UBSan"
fi

# 1c. A short fuzz run: each libFuzzer target in fuzz/ for FUZZ_SECONDS
# (default 25) from its seed corpus; one test per target. The long run is
# scripts/fuzz.sh [seconds].
bash scripts/fuzz.sh "${FUZZ_SECONDS:-25}" >"$log/fuzz.log" 2>&1
grep -vE '^fuzz [a-z_]+: ok' "$log/fuzz.log" | tail -60 || true
grep -E '^fuzz [a-z_]+: ok' "$log/fuzz.log" || true
ok=$(grep -cE '^fuzz [a-z_]+: ok' "$log/fuzz.log" || true)
bad=$(grep -cE '^fuzz [a-z_ ]+: FAILED' "$log/fuzz.log" || true)
passed=$((passed + ok)); failed=$((failed + bad))
if [ "$ok" -eq 0 ] && [ "$bad" -eq 0 ]; then note_failure "fuzz targets did not run"; fi

# 2. The extension.
if ! { make -j"$(nproc)" >"$log/make.log" 2>&1 && make install >>"$log/make.log" 2>&1; }; then
  cat "$log/make.log"; note_failure "extension build"
  echo "$passed passed, $failed failed"; exit 1
fi

# Counts pg_regress-style result lines ("name ... ok" / "... FAILED").
count_regress() {
  local ok bad
  ok=$(grep -cE '\.\.\. ok' "$1" || true)
  bad=$(grep -cE '\.\.\. FAILED|\.\.\. failed' "$1" || true)
  passed=$((passed + ok)); failed=$((failed + bad))
  if [ "$ok" -eq 0 ] && [ "$bad" -eq 0 ]; then note_failure "$2 did not run"; fi
}

# 3. Regression topics and isolation specs in one throwaway cluster.
pg_virtualenv -t -v 15 -o 'jit=off' -o 'max_prepared_transactions=10' \
  bash -c 'make -s check-regress; r=$?; make -s check-isolation; i=$?; exit $((r | i))' \
  >"$log/installcheck.log" 2>&1
grep -E '\.\.\. ' "$log/installcheck.log" || true
regress_part=$(sed -n '/regress install-check/,/isolation install-check/p' "$log/installcheck.log")
isolation_part=$(sed -n '/isolation install-check/,$p' "$log/installcheck.log")
printf '%s\n' "$regress_part" >"$log/regress.log"
printf '%s\n' "$isolation_part" >"$log/isolation.log"
count_regress "$log/regress.log" "pg_regress"
count_regress "$log/isolation.log" "isolation"
for d in build/regress build/isolation; do
  if [ -s "$d/regression.diffs" ]; then
    echo "---- $d/regression.diffs (first 200 lines)"; head -200 "$d/regression.diffs"
  fi
done

# 4. The event relay and the client examples (Python, Node.js) against a
# throwaway cluster of their own.
pg_virtualenv -t -v 15 -o 'jit=off' bash examples/run_tests.sh >"$log/examples.log" 2>&1
grep -E '^(PASS|FAIL):' "$log/examples.log" || true
summary=$(grep -E '^[0-9]+ passed, [0-9]+ failed$' "$log/examples.log" | tail -1)
if [ -n "$summary" ]; then
  passed=$((passed + ${summary%% *}))
  rest=${summary#*, }
  failed=$((failed + ${rest%% *}))
else
  tail -50 "$log/examples.log"; note_failure "examples did not run"
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
(cd "$tapdir" && as_tap_user make -s check-tap PROVE_FLAGS=-v) >"$log/tap.log" 2>&1
grep -E '^(ok|not ok) |^test/t/|^Result' "$log/tap.log" || true
ok=$(grep -cE '^ok ' "$log/tap.log" || true)
bad=$(grep -cE '^not ok ' "$log/tap.log" || true)
passed=$((passed + ok)); failed=$((failed + bad))
if ! grep -q '^Result: PASS' "$log/tap.log"; then
  tail -50 "$log/tap.log"; [ "$bad" -gt 0 ] || note_failure "TAP tests"
fi
[ "$tapdir" = "$root" ] || rm -rf "$tapdir"

# 6. The README's doc test (scripts/doctest.py), against a throwaway cluster
# of its own: the five-minute tour prints exactly what the README shows, and
# the README's other SQL examples run. One test.
if pg_virtualenv -t -v 15 -o 'jit=off' python3 scripts/doctest.py >"$log/doctest.log" 2>&1; then
  echo "README doc test: ok"
  passed=$((passed + 1))
else
  tail -120 "$log/doctest.log"; note_failure "README doc test"
fi

echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
