#!/usr/bin/env bash
# Durable POST p99 at half the maximum rate (issue 14's target), RUNS times (default 10):
# the server pinned to CPU 0 on a fresh database, wrk on CPU 1; first the maximum with post.lua and
# 32 connections, then paced-post.lua with 64 connections offering about half of it. Prints req/s,
# p99, server CPU µs per request (utime + stime from /proc/PID/stat around each run) and the answers
# that were not 2xx. The server keeps its default reasons, which hold all of post.lua's: every body is
# stored (until 2026-12-01 the peers' reasons were passed, and 3 of post.lua's 5 bodies got a 400).
# Usage, from the repository root after `make release`: scripts/bench/halfrate-p99.sh
set -euo pipefail
cd "$(dirname "$0")/../.."
BIN=${BIN:-$PWD/.build/release/hearken}
RUNS=${RUNS:-10}
PORT=${PORT:-18091}
export BENCH_DIR="$PWD/scripts/bench"
work=$(mktemp -d -t hearken-halfrate.XXXXXX)
taskset -c 0 "$BIN" serve --port "$PORT" --db "$work/h.db" --log-level warning --rate-limit 0 --duplicate-window 0 2>>"$work/server.log" &
pid=$!
trap 'kill -TERM $pid 2>/dev/null; wait $pid 2>/dev/null; rm -rf "$work"' EXIT
for _ in $(seq 300); do curl -sf "http://127.0.0.1:$PORT/healthz" >/dev/null && break; sleep 0.1; done
ticks() { awk '{print $14 + $15}' "/proc/$pid/stat"; }
run() { # LABEL CONNECTIONS SCRIPT
  local before after out requests
  before=$(ticks)
  out=$(taskset -c 1 wrk -t1 -c"$2" -d10s --latency -s "$BENCH_DIR/$3" "http://127.0.0.1:$PORT/v1/feedback")
  after=$(ticks)
  requests=$(awk '/requests in/ {print $1}' <<<"$out")
  echo "$1 $(awk '/^Requests\/sec:/ {printf "%.0f", $2}' <<<"$out") req/s p99 $(awk '$1 == "99%" {print $2}' <<<"$out")" \
    "cpu_us $(awk -v t=$((after - before)) -v r="$requests" 'BEGIN { printf "%.1f", t * 10000 / r }')" \
    "non2xx $(awk '/Non-2xx/ {n = $NF} END {print n + 0}' <<<"$out")"
}
taskset -c 1 wrk -t1 -c32 -d2s -s "$BENCH_DIR/post.lua" "http://127.0.0.1:$PORT/v1/feedback" >/dev/null
max=$(run max 32 post.lua)
echo "$max"
DELAY_MS=$(awk -v m="$(awk '{print $2}' <<<"$max")" 'BEGIN { printf "%d", 64 * 1000 / (m / 2) }')
export DELAY_MS
echo "pause $DELAY_MS ms per connection"
for r in $(seq "$RUNS"); do run "half$r" 64 paced-post.lua; done
