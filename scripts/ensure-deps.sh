#!/usr/bin/env bash
# Makes sure the C libraries the build links are present: SQLite's headers (libsqlite3-dev), libpq's
# headers (libpq-dev, for the Postgres module) and libcurl for linking (libcurl4-openssl-dev;
# FoundationNetworking's URLSession, used to send webhooks, needs it when the Swift runtime is linked
# statically, as `make release` does). Installs them with apt-get when running as root.
#
# With --tests (what `make test` passes), also the server binaries the tests start a throwaway
# PostgreSQL with (initdb, pg_ctl from Debian's `postgresql`): as root they are installed, without
# creating or starting Debian's own cluster; otherwise their absence is only reported, and the
# PostgreSQL tests say what is missing (or are skipped with HEARKEN_SKIP_POSTGRES=1, which also keeps
# this script from installing them). `make run` and the builds never need the server.
set -euo pipefail
tests=0
[ "${1:-}" = "--tests" ] && tests=1
missing=()
if ! { [ -f /usr/include/sqlite3.h ] || { command -v pkg-config >/dev/null && pkg-config --exists sqlite3; }; }; then
  missing+=(libsqlite3-dev)
fi
if ! { [ -f /usr/include/postgresql/libpq-fe.h ] || [ -f /usr/include/libpq-fe.h ]; }; then
  missing+=(libpq-dev)
fi
if ! ls /usr/lib/*/libcurl.so >/dev/null 2>&1 && [ ! -e /usr/lib/libcurl.so ]; then
  missing+=(libcurl4-openssl-dev)
fi
server_missing=0
if [ "$tests" = "1" ] && [ "${HEARKEN_SKIP_POSTGRES:-}" != "1" ] && ! ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 \
   && ! { [ -n "${HEARKEN_PG_BINDIR:-}" ] && [ -x "${HEARKEN_PG_BINDIR}/initdb" ]; }; then
  server_missing=1
fi
if [ "$(id -u)" = "0" ] && command -v apt-get >/dev/null; then
  packages=("${missing[@]}")
  if [ "$server_missing" = "1" ]; then
    packages+=(postgresql)
    # Only the binaries are wanted: no system cluster created and started at install.
    mkdir -p /etc/postgresql-common
    [ -e /etc/postgresql-common/createcluster.conf ] || echo "create_main_cluster = false" > /etc/postgresql-common/createcluster.conf
  fi
  [ ${#packages[@]} -eq 0 ] && exit 0
  echo "Installing ${packages[*]}..." >&2
  apt-get update -qq
  # Keep the createcluster.conf written above: it is a file postgresql-common manages with ucf and
  # dpkg, which would otherwise ask about a file that exists before the package does.
  DEBIAN_FRONTEND=noninteractive UCF_FORCE_CONFFOLD=1 apt-get install -y -qq \
    -o Dpkg::Options::=--force-confdef -o Dpkg::Options::=--force-confold "${packages[@]}" >&2
  exit 0
fi
if [ "$server_missing" = "1" ]; then
  echo "Note: no PostgreSQL server binaries (initdb, pg_ctl); the PostgreSQL tests will fail without them." >&2
  echo "    Install them with: sudo apt-get install -y postgresql   (or set HEARKEN_SKIP_POSTGRES=1)" >&2
fi
[ ${#missing[@]} -eq 0 ] && exit 0
echo "Missing C libraries. Install them first:" >&2
echo "    sudo apt-get install -y ${missing[*]}" >&2
exit 1
