#!/usr/bin/env bash
# Installs (as root, on Debian 12) the packages the build, the tests and the
# walkthrough need; does nothing when they are already there. The only script
# that installs packages: the others call it.
#
#   bash scripts/deps.sh              # everything
#   bash scripts/deps.sh examples     # only what examples/run_tests.sh needs
#
# clang-14 and libclang-rt-14-dev (libFuzzer's runtime) are for the fuzz
# targets; clang-format-14 and clang-tidy-14 check the house style and
# src/ (.clang-format, .clang-tidy); gcc's
# ASan/UBSan runtimes come with build-essential;
# libipc-run-perl is for the TAP tests; chromium is for the portal's browser
# test (examples/portal), installed apart: when it cannot be installed the
# rest still is, and that test says it was skipped.
#
#   bash scripts/deps.sh portal       # only what examples/portal/run_test.sh needs
set -euo pipefail

# The relay's tests and the client examples (Python, Node.js); any recent
# node will do.
examples=(python3 python3-psycopg python3-pytest)
command -v node >/dev/null 2>&1 || examples+=(nodejs)
command -v npm >/dev/null 2>&1 || examples+=(npm)

case "${1:-all}" in
  all)
    packages=(
      build-essential cmake libgtest-dev
      clang-14 libclang-rt-14-dev clang-format-14 clang-tidy-14
      postgresql-15 postgresql-server-dev-15 postgresql-15-pgtap postgresql-15-cron
      libipc-run-perl
      "${examples[@]}"
    ) ;;
  examples) packages=("${examples[@]}") ;;
  portal) packages=(python3 python3-psycopg chromium) ;;
  *) echo "usage: scripts/deps.sh [all|examples|portal]" >&2; exit 2 ;;
esac

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  echo "installing: ${missing[*]}"
  if [ "$(id -u)" -ne 0 ]; then
    echo "scripts/deps.sh: run as root to install packages" >&2
    exit 1
  fi
  # Do not let the package create and start a default cluster: the scripts
  # use throwaway clusters of their own.
  mkdir -p /etc/postgresql-common
  if [ ! -f /etc/postgresql-common/createcluster.conf ]; then
    echo "create_main_cluster = false" > /etc/postgresql-common/createcluster.conf
  fi
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -q
  apt-get install -y -q --no-install-recommends "${missing[@]}"
fi

# The portal's browser test needs a browser; a machine that cannot install
# one still builds and tests everything else (that test reports SKIPPED).
if [ "${1:-all}" = all ] && ! dpkg-query -W -f='${Status}' chromium 2>/dev/null | grep -q "install ok installed"; then
  echo "installing: chromium"
  if [ "$(id -u)" -ne 0 ] ||
     ! { DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends chromium ||
         { apt-get update -q &&
           DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends chromium; }; }; then
    echo "scripts/deps.sh: could not install chromium; the portal's browser test will be skipped" >&2
  fi
fi
