#!/usr/bin/env bash
# p99 of two builds at one fixed pace, in alternating runs of one sitting (a busy machine moves the
# maximum rate between runs, so halfrate-p99.sh's own pace differs between builds).
# Each run: a fresh server pinned to CPU 0 on a fresh database, wrk on CPU 1 with paced-post.lua and
# 64 connections (DELAY_MS, default 13: about 4,900 POSTs/s offered), 2 s warm-up, then 10 s measured.
# Usage: scripts/bench/halfrate-ab.sh BIN_A BIN_B [ROUNDS]   (prints one line per run)
set -euo pipefail
cd "$(dirname "$0")/../.."
A=$1 B=$2 ROUNDS=${3:-5}
export BENCH_DIR="$PWD/scripts/bench" DELAY_MS=${DELAY_MS:-13}
PORT=${PORT:-18093}
one() { # LABEL BIN
  local work pid before after out requests
  work=$(mktemp -d -t hearken-ab.XXXXXX)
  taskset -c 0 "$2" serve --port "$PORT" --db "$work/h.db" --log-level warning --rate-limit 0 --duplicate-window 0 \
    2>>"$work/server.log" &
  pid=$!
  for _ in $(seq 300); do curl -sf "http://127.0.0.1:$PORT/healthz" >/dev/null && break; sleep 0.1; done
  taskset -c 1 wrk -t1 -c64 -d2s -s "$BENCH_DIR/paced-post.lua" "http://127.0.0.1:$PORT/v1/feedback" >/dev/null
  before=$(awk '{print $14 + $15}' "/proc/$pid/stat")
  out=$(taskset -c 1 wrk -t1 -c64 -d10s --latency -s "$BENCH_DIR/paced-post.lua" "http://127.0.0.1:$PORT/v1/feedback")
  after=$(awk '{print $14 + $15}' "/proc/$pid/stat")
  requests=$(awk '/requests in/ {print $1}' <<<"$out")
  echo "$1 $(awk '/^Requests\/sec:/ {printf "%.0f", $2}' <<<"$out") req/s p50 $(awk '$1 == "50%" {print $2}' <<<"$out")" \
    "p99 $(awk '$1 == "99%" {print $2}' <<<"$out") cpu_us $(awk -v t=$((after - before)) -v r="$requests" 'BEGIN { printf "%.1f", t * 10000 / r }')" \
    "load $(cut -d' ' -f1 /proc/loadavg)"
  kill -TERM "$pid"; wait "$pid" 2>/dev/null || true
  rm -rf "$work"
}
for r in $(seq "$ROUNDS"); do one "A$r" "$A"; one "B$r" "$B"; done
