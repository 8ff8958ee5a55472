#!/bin/bash
# usage: scripts/bench/cpu-cost.sh BIN LABEL healthz|bad: server CPU µs per request (utime+stime from /proc) over a
# 10 s wrk -t1 -c32 run, server on CPU 0, wrk on CPU 1; "bad" is the peers' post.lua with an invalid rating (400).
BIN=$1; LABEL=$2; MODE=$3
PORT=$((18700 + RANDOM % 200)); W=$(mktemp -d)
sed 's/for _, rating in ipairs({ "up", "down" }) do/for _, rating in ipairs({ "sideways", "sideways" }) do/' "${POST_LUA:-$(dirname "$0")/../../../shared/peers/post.lua}" > $W/post400.lua
taskset -c 0 "$BIN" serve --port $PORT --db "$W/h.db" --log-level warning --rate-limit 0 --duplicate-window 0 --reasons inaccurate,outdated,unclear,helpful,missing-example 2>/dev/null &
PID=$!
for _ in $(seq 100); do curl -s -o /dev/null "localhost:$PORT/healthz" && break; sleep 0.1; done
if [ $MODE = healthz ]; then ARGS="http://127.0.0.1:$PORT/healthz"; else ARGS="-s $W/post400.lua http://127.0.0.1:$PORT/v1/feedback"; fi
taskset -c 1 wrk -t1 -c32 -d2s $ARGS >/dev/null
t0=$(awk '{print $14 + $15}' /proc/$PID/stat)
out=$(taskset -c 1 wrk -t1 -c32 -d10s $ARGS)
t1=$(awk '{print $14 + $15}' /proc/$PID/stat)
reqs=$(echo "$out" | awk '/requests in/ {print $1}')
echo "$LABEL $MODE: $(echo "$out" | awk '/Requests\/sec/ {print $2}') req/s, $(awk -v t=$((t1 - t0)) -v r="$reqs" 'BEGIN {printf "%.1f", t * 10000 / r}') µs CPU/req, non-2xx $(echo "$out" | awk '/Non-2xx/ {print $NF}')"
kill -TERM $PID; wait $PID 2>/dev/null; rm -rf "$W"
