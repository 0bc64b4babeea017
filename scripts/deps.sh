#!/usr/bin/env bash
# Installs (as root, on Debian 12) the packages the build, the tests and the
# walkthrough need; does nothing when they are already there. clang-14 and
# libclang-rt-14-dev (libFuzzer's runtime) are for the fuzz targets; gcc's
# ASan/UBSan runtimes come with build-essential.
set -euo pipefail

packages=(
  build-essential cmake libgtest-dev
  clang-14 libclang-rt-14-dev
  postgresql-15 postgresql-server-dev-15 postgresql-15-pgtap postgresql-15-cron
  libipc-run-perl
  python3 python3-psycopg python3-pytest
)
# The Node.js client example needs node and npm; any recent node will do.
command -v node >/dev/null 2>&1 || packages+=(nodejs)
command -v npm >/dev/null 2>&1 || packages+=(npm)

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
