#!/usr/bin/env bash
# clang-tidy (.clang-tidy) over every C++ source of src/: the core with its own
# headers, the glue with PostgreSQL's server headers as system headers, as the
# Makefile builds them. Prints the findings; exits non-zero if there are any.
set -uo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
cd "$root"
tidy=${CLANG_TIDY:-clang-tidy-14}
server=$("${PG_CONFIG:-pg_config}" --includedir-server)
status=0
for f in src/core/*.cpp; do
  "$tidy" -quiet "$f" -- -std=c++17 -Isrc/core || status=1
done
for f in src/pg/*.cpp; do
  "$tidy" -quiet "$f" -- -std=c++17 -Isrc/core -isystem "$server" || status=1
done
exit $status
