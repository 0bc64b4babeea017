# Sourced by scripts/test.sh and scripts/sanitize.sh: counts a test section
# from what its runner reports about itself, its exit code and its own
# summary line, never from its per-test lines.
#
#   tally NAME EXIT "PASSED FAILED"   adds a section to $passed and $failed
#   note_skip NAME REASON             a section that could not run here (its
#                                     prerequisite is not installed): says so
#                                     and adds one to $skipped
#   one_test NAME LOG CMD...          runs CMD (output to LOG) as one test,
#                                     decided by its exit code; on failure
#                                     shows the end of LOG
#   ctest_counts LOG, regress_counts LOG, prove_counts LOG, summary_counts LOG
#                                     print "PASSED FAILED" from a runner's
#                                     summary, or nothing when it has none
#
# A section whose runner printed no summary, ran nothing, or exited non-zero
# without reporting a failure counts as one failure: it never passes silently.
passed=${passed:-0}
failed=${failed:-0}
skipped=${skipped:-0}

note_failure() { echo "FAILED: $1"; failed=$((failed + 1)); }
note_skip() { echo "$1: skipped: $2"; skipped=$((skipped + 1)); }

tally() {
  local name=$1 rc=$2 ok bad
  read -r ok bad <<<"$3"
  if [ -z "${ok:-}" ] || [ -z "${bad:-}" ]; then
    note_failure "$name: no summary from the runner (exit $rc)"
    return
  fi
  echo "$name: $ok passed, $bad failed"
  passed=$((passed + ok))
  failed=$((failed + bad))
  if [ "$bad" -eq 0 ] && [ "$rc" -ne 0 ]; then
    note_failure "$name: exited with $rc but reported no failure"
  elif [ "$bad" -eq 0 ] && [ "$ok" -eq 0 ]; then
    note_failure "$name: ran no tests"
  fi
}

# ctest: "100% tests passed, 0 tests failed out of 57".
ctest_counts() {
  sed -nE 's/^[0-9]+% tests passed, ([0-9]+) tests failed out of ([0-9]+)$/\2 \1/p' "$1" |
    tail -1 | awk '{ print $1 - $2, $2 }'
}

# pg_regress and pg_isolation_regress: " All 28 tests passed. " or
# " 2 of 28 tests failed. " (no test of ours is marked as ignorable).
regress_counts() {
  sed -nE -e 's/^ *All ([0-9]+) tests passed\. *$/\1 0/p' \
          -e 's/^ *([0-9]+) of ([0-9]+) tests failed\. *$/\2 \1/p' "$1" |
    tail -1 | awk 'NF == 2 && $2 == 0 { print $1, 0 } NF == 2 && $2 > 0 { print $1 - $2, $2 }'
}

# prove: "Files=4, Tests=58, ..." and "Result: PASS" or "Result: FAIL",
# after a "Test Summary Report" that lists each file that failed as
# "test/t/x.pl (Wstat: 256 (exited 1) Tests: 12 Failed: 1)". A listed file
# counts its failed tests, and at least one (a file that died, or whose plan
# was wrong, may list none).
prove_counts() {
  awk '
    /^Files=[0-9]+, Tests=[0-9]+,/ { split($2, t, "="); tests = t[2] + 0; seen = 1 }
    /\(Wstat: .*Tests: [0-9]+ Failed: [0-9]+\)$/ {
      n = $0; sub(/.*Failed: /, "", n); sub(/\)$/, "", n)
      n += 0; listed += n; bad += (n > 0 ? n : 1)
    }
    /^Result: (PASS|FAIL)$/ { result = $2 }
    END {
      if (!seen || result == "") exit
      if (result == "FAIL" && bad == 0) bad = 1
      print tests - listed, bad + 0
    }' "$1"
}

# The examples' and fuzz.sh's own last line: "N passed, N failed".
summary_counts() {
  sed -nE 's/^([0-9]+) passed, ([0-9]+) failed$/\1 \2/p' "$1" | tail -1
}

one_test() {
  local name=$1 out=$2
  shift 2
  if "$@" >"$out" 2>&1; then
    tally "$name" 0 "1 0"
  else
    tail -120 "$out"; tally "$name" 1 "0 1"
  fi
}
