#!/usr/bin/env bash
# Builds credit_ledger.so with AddressSanitizer and UndefinedBehaviorSanitizer
# (gcc, -fno-sanitize-recover=all) and runs the regression topics and the
# isolation specs against a PostgreSQL server that loads it. Run as root:
#
#   bash scripts/sanitize.sh                     # the pg_config on PATH
#   PG_CONFIG=/path/to/pg_config bash scripts/sanitize.sh
#
# The PostgreSQL installation PG_CONFIG names is only read, never changed: it
# is copied to a private, relocated installation (PostgreSQL finds its share
# and lib directories relative to its binaries), the sanitized build is
# installed there, and a throwaway cluster (initdb, pg_ctl, run as postgres)
# is started from it with the ASan runtime preloaded into the server:
# LD_PRELOAD of gcc's libasan (the runtime must come first in a process that
# dlopens an instrumented library; a small shim built on the fly makes it
# initialise early, see step 3) and ASAN_OPTIONS=detect_leaks=0 (the
# postmaster forks and backends exit without freeing on purpose). The build
# defines CREDIT_LEDGER_CHECK_CONSTRAINTS, so credit_ledger.check_constraints
# is on and every direct write is checked against its table's CHECK
# constraints throughout the suites. Sanitizer
# reports go to files and fail the run, as do failed tests and crashed
# backends. Each suite is counted from pg_regress's exit code and summary
# (scripts/tally.sh). Ends with "N passed, N failed"; exits non-zero on any
# failure.
#
# Environment: PG_CONFIG (default pg_config), SANITIZE_PORT (default 54391),
# SANITIZE_TIMEOUT (seconds per suite, default 1800),
# SANITIZE_DIR (work directory; default a fresh one under /tmp, removed
# afterwards unless KEEP=1), PG_COPY (where the relocated copy goes; default
# $SANITIZE_DIR/pg, reused when it already holds one), CXX (default g++).
set -uo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"

if [ "$(id -u)" -ne 0 ]; then
  echo "scripts/sanitize.sh: run as root (the server runs as user postgres)" >&2
  exit 2
fi
pg_config_in="${PG_CONFIG:-pg_config}"
command -v "$pg_config_in" >/dev/null || { echo "no pg_config: $pg_config_in" >&2; exit 2; }
port="${SANITIZE_PORT:-54391}"
cxx="${CXX:-g++}"

work="${SANITIZE_DIR:-}"
if [ -z "$work" ]; then
  work=$(mktemp -d /tmp/credit_ledger_sanitize.XXXXXX)
  [ "${KEEP:-0}" = 1 ] || remove_work=1
fi
mkdir -p "$work"
chmod 755 "$work"
copy="${PG_COPY:-$work/pg}"

pgdata="$work/data"
sock="$work/sock"
reports="$work/reports"
src="$work/src"
log="$work/logs"
pg_ctl_copy=""

cleanup() {
  if [ -n "$pg_ctl_copy" ] && [ -f "$pgdata/postmaster.pid" ]; then
    runuser -u postgres -- "$pg_ctl_copy" -D "$pgdata" -m immediate stop >/dev/null 2>&1
  fi
  if [ "${remove_work:-0}" = 1 ]; then rm -rf "$work"; fi
}
trap cleanup EXIT

# 1. A private, relocated copy of the PostgreSQL installation: each directory
# pg_config names is copied to the same absolute path under $copy, so the
# relative paths between them (all PostgreSQL uses) stay the same.
bindir=$("$pg_config_in" --bindir)
if [ ! -x "$copy$bindir/pg_config" ]; then
  echo "== copying the PostgreSQL installation of $pg_config_in to $copy"
  mkdir -p "$copy"
  for opt in bindir pkglibdir sharedir includedir pkgincludedir includedir-server; do
    dir=$("$pg_config_in" --"$opt")
    [ -d "$dir" ] || continue
    mkdir -p "$copy$(dirname "$dir")"
    cp -a "$dir" "$copy$(dirname "$dir")/" || exit 2
  done
fi
chmod -R a+rX "$copy"
pg_config="$copy$bindir/pg_config"
pg_bin=$("$pg_config" --bindir)
pg_ctl_copy="$pg_bin/pg_ctl"

# 2. The sanitized build, in a copy of the sources so the working tree's
# objects are neither used nor replaced.
echo "== building credit_ledger.so with -fsanitize=address,undefined"
if [ -f "$pgdata/postmaster.pid" ]; then  # left over from a kept earlier run
  runuser -u postgres -- "$pg_ctl_copy" -D "$pgdata" -m immediate stop >/dev/null 2>&1
fi
rm -rf "$src" "$log" "$reports" "$pgdata" "$sock" && mkdir -p "$src" "$log" "$reports"
tar -C "$root" --exclude=./build --exclude=./.git -cf - . | tar -C "$src" -xf -
# -fno-wrapv: PGXS passes PostgreSQL's -fwrapv to C++ too, which makes signed
# overflow defined and so switches UBSan's check for it off. The core never
# relies on wrapping (it is fuzzed and unit-tested without -fwrapv).
san="-fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer -fno-wrapv"
if ! (cd "$src" && make -s clean PG_CONFIG="$pg_config" >/dev/null 2>&1 &&
      make -j"$(nproc)" PG_CONFIG="$pg_config" CXX="$cxx" \
        EXTRA_CXXFLAGS="$san -DCREDIT_LEDGER_CHECK_CONSTRAINTS" EXTRA_LDFLAGS="-fsanitize=address,undefined" &&
      make install PG_CONFIG="$pg_config") >"$log/build.log" 2>&1; then
  tail -40 "$log/build.log"; echo "0 passed, 1 failed"; exit 1
fi
chmod -R a+rX "$copy" "$src"

# 3. A throwaway cluster from the copy, with the ASan runtime preloaded.
libasan=$(readlink -f "$("$cxx" -print-file-name=libasan.so)")
if [ ! -f "$libasan" ]; then
  echo "no ASan runtime for $cxx (Debian package libasan8)" >&2; exit 2
fi
# A preloaded ASan runtime initialises lazily, on the first call it
# intercepts. In Debian's postgres that first call is the malloc inside
# bindtextdomain() made by libgpg-error's constructor (pulled in through
# libsystemd -> libgcrypt), or inside newlocale() made by p11-kit's (through
# libldap -> gnutls), while glibc holds its gettext or locale lock; ASan's
# initialisation then calls dlerror(), which takes the gettext lock again,
# corrupts it, and the server hangs in its own bindtextdomain() at startup.
# This shim, preloaded right after the runtime, wraps those two functions so
# that ASan initialises before the lock is taken.
cat >"$work/asan_first.c" <<'SHIM'
#define _GNU_SOURCE
#include <dlfcn.h>
#include <locale.h>

/* The runtime's own entry point (what instrumented code's constructors
   call); it does nothing once ASan is initialised. */
void __asan_init(void) __attribute__((weak));

static void InitAsanOutsideLocks(void) {
  if (__asan_init) __asan_init();
}

char *bindtextdomain(const char *domain, const char *dir) {
  static char *(*real)(const char *, const char *);
  InitAsanOutsideLocks();
  if (!real) real = (char *(*)(const char *, const char *))dlsym(RTLD_NEXT, "bindtextdomain");
  return real(domain, dir);
}

locale_t newlocale(int mask, const char *locale, locale_t base) {
  static locale_t (*real)(int, const char *, locale_t);
  InitAsanOutsideLocks();
  if (!real) real = (locale_t(*)(int, const char *, locale_t))dlsym(RTLD_NEXT, "newlocale");
  return real(mask, locale, base);
}
SHIM
"${CC:-gcc}" -shared -fPIC -O2 -o "$work/asan_first.so" "$work/asan_first.c" -ldl ||
  { echo "cannot build the ASan preload shim" >&2; exit 2; }
chmod 755 "$work/asan_first.so"

mkdir -p "$sock" && chown postgres: "$work" "$sock" "$reports" "$log" && chmod 777 "$reports"
as_postgres() { runuser -u postgres -- "$@"; }
as_postgres "$pg_bin/initdb" -D "$pgdata" -A trust -U postgres --no-sync \
  >"$log/initdb.log" 2>&1 || { cat "$log/initdb.log"; exit 2; }
# timeout: a server that hangs while starting must fail the run, not block it.
as_postgres timeout 180 env \
  LD_PRELOAD="$libasan $work/asan_first.so" \
  ASAN_OPTIONS="detect_leaks=0:abort_on_error=1:disable_coredump=1:log_path=$reports/asan" \
  UBSAN_OPTIONS="print_stacktrace=1:halt_on_error=1:abort_on_error=1:log_path=$reports/ubsan" \
  "$pg_ctl_copy" -D "$pgdata" -l "$log/server.log" -w -t 120 \
  -o "-p $port -k $sock -c listen_addresses='' -c jit=off -c max_prepared_transactions=10" \
  start >"$log/pg_ctl.log" 2>&1 || { cat "$log/pg_ctl.log" "$log/server.log"; exit 2; }
# The preload must be in effect, or the instrumented library fails to load.
server_pid=$(head -1 "$pgdata/postmaster.pid")
if ! grep -q libasan "/proc/$server_pid/maps"; then
  echo "the server did not preload $libasan" >&2; exit 2
fi

# 4. The regression topics and isolation specs against it.
echo "== regression and isolation suites against the sanitized server"
export PGHOST="$sock" PGPORT="$port" PGUSER=postgres
limit="${SANITIZE_TIMEOUT:-1800}"  # seconds for each of the two suites
passed=0
failed=0
source "$root/scripts/tally.sh"
for part in regress isolation; do
  (cd "$src" && timeout "$limit" make -s "check-$part" PG_CONFIG="$pg_config") >"$log/$part.log" 2>&1
  rc=$?
  grep -E '\.\.\. (FAILED|failed)' "$log/$part.log" || true
  [ "$rc" -eq 0 ] || tail -30 "$log/$part.log"
  tally "$part" "$rc" "$(regress_counts "$log/$part.log")"
done
for d in "$src/build/regress" "$src/build/isolation"; do
  if [ -s "$d/regression.diffs" ]; then
    echo "---- $d/regression.diffs (first 100 lines)"; head -100 "$d/regression.diffs"
  fi
done

# 5. Sanitizer reports and crashed backends fail the run even when the
# expected output happened to match.
if compgen -G "$reports/*" >/dev/null; then
  for f in "$reports"/*; do echo "---- $f"; head -60 "$f"; done
  note_failure "sanitizer reports (above)"
fi
# UBSan, loaded with the library, may write to the server's stderr instead.
if grep -qE 'runtime error:|ERROR: AddressSanitizer|SUMMARY: [A-Za-z]+Sanitizer' "$log/server.log"; then
  grep -E -A12 'runtime error:|ERROR: AddressSanitizer' "$log/server.log" | head -60
  note_failure "sanitizer reports in the server log (above)"
fi
if grep -E 'terminated by signal|was terminated by|exited with exit code [1-9]' "$log/server.log"; then
  note_failure "a backend crashed (see $log/server.log)"
fi

echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
