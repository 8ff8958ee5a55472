#!/bin/bash
# Server CPU and WAL written per durable POST, for comparing two builds in one sitting on a busy
# machine (requests/s move with the other load; CPU per request and WAL per row much less).
# usage: scripts/bench/post-cost.sh BIN LABEL [SECONDS] [serve flags...]
# The server runs on CPU 0 on a fresh database, wrk on CPU 1 with the peers' post.lua
# (POST_LUA, default ../shared/peers/post.lua). Prints req/s, utime+stime per request (from
# /proc/PID/stat), p99, and the WAL appended per stored row (hearken_db_wal_frames_written × 4120 B).
set -u
BIN=$1; LABEL=$2; DUR=${3:-10}; shift 3 || shift $#
POST_LUA=${POST_LUA:-$(dirname "$0")/../../../shared/peers/post.lua}
PORT=$((18200 + RANDOM % 500))
W=$(mktemp -d)
taskset -c 0 "$BIN" serve --port $PORT --db "$W/h.db" --log-level warning --rate-limit 0 --duplicate-window 0 "$@" 2>>"$W/server.log" &
PID=$!
for _ in $(seq 100); do curl -s -o /dev/null "localhost:$PORT/healthz" && break; sleep 0.1; done
ticks() { awk '{print $14 + $15}' "/proc/$PID/stat"; }
frames() { curl -s "localhost:$PORT/metrics" | awk '/^hearken_db_wal_frames_written/ {printf "%d", $2}'; }
rows() { sqlite3 "$W/h.db" "SELECT count(*) FROM feedback"; }
taskset -c 1 wrk -t1 -c32 -d2s -s "$POST_LUA" "http://127.0.0.1:$PORT/v1/feedback" >/dev/null
f0=$(frames); r0=$(rows); t0=$(ticks)
out=$(taskset -c 1 wrk -t1 -c32 -d"${DUR}s" --latency -s "$POST_LUA" "http://127.0.0.1:$PORT/v1/feedback")
t1=$(ticks); f1=$(frames); r1=$(rows)
reqs=$(echo "$out" | awk '/requests in/ {print $1}')
cpu=$(awk -v t=$((t1 - t0)) -v r="$reqs" 'BEGIN {printf "%.1f", t * 10000 / r}') # 100 ticks a second
wal="n/a"; [ -n "$f1" ] && wal=$(awk -v f=$((f1 - f0)) -v r=$((r1 - r0)) 'BEGIN {printf "%.0f B", f * 4120 / r}')
echo "$LABEL: $(echo "$out" | awk '/Requests\/sec/ {print $2}') req/s, $cpu µs CPU/req, p99 $(echo "$out" | awk '$1=="99%" {print $2}'), $((r1 - r0)) rows, WAL/row $wal, non-2xx $(echo "$out" | awk '/Non-2xx/ {print $NF}')"
kill -TERM $PID; wait $PID 2>/dev/null
rm -rf "$W"
