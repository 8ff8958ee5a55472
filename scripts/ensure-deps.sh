#!/usr/bin/env bash
# Makes sure SQLite's headers are present; installs them with apt-get when running as root.
set -euo pipefail
if [ -f /usr/include/sqlite3.h ] || { command -v pkg-config >/dev/null && pkg-config --exists sqlite3; }; then
  exit 0
fi
if [ "$(id -u)" = "0" ] && command -v apt-get >/dev/null; then
  echo "Installing libsqlite3-dev (sqlite3.h is missing)..." >&2
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq libsqlite3-dev >&2
  exit 0
fi
echo "sqlite3.h is missing. Install SQLite's headers first:" >&2
echo "    sudo apt-get install -y libsqlite3-dev" >&2
exit 1
