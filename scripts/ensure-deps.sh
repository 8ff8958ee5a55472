#!/usr/bin/env bash
# Makes sure the C libraries the build links are present: SQLite's headers (libsqlite3-dev) and
# libcurl for linking (libcurl4-openssl-dev; FoundationNetworking's URLSession, used to send webhooks,
# needs it when the Swift runtime is linked statically, as `make release` does). Installs them with
# apt-get when running as root.
set -euo pipefail
missing=()
if ! { [ -f /usr/include/sqlite3.h ] || { command -v pkg-config >/dev/null && pkg-config --exists sqlite3; }; }; then
  missing+=(libsqlite3-dev)
fi
if ! ls /usr/lib/*/libcurl.so >/dev/null 2>&1 && [ ! -e /usr/lib/libcurl.so ]; then
  missing+=(libcurl4-openssl-dev)
fi
[ ${#missing[@]} -eq 0 ] && exit 0
if [ "$(id -u)" = "0" ] && command -v apt-get >/dev/null; then
  echo "Installing ${missing[*]}..." >&2
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >&2
  exit 0
fi
echo "Missing C libraries. Install them first:" >&2
echo "    sudo apt-get install -y ${missing[*]}" >&2
exit 1
