#!/usr/bin/env bash
# GET /v1/insights right after a new vote each time, so no kept answer serves (InsightCache) and every GET
# evaluates: in full, or (InsightPages) testing again only the new vote's page;
# server pinned to CPU 0, curl on CPU 1. Usage: scripts/bench/insights-after-vote.sh BIN DB (N, default 11;
# WARMUP, default 0: rounds not measured first, so every reader has evaluated once).
set -euo pipefail
BIN=$1 DB=$2 N=${N:-11} WARMUP=${WARMUP:-0} PORT=18193
TOKEN=$("$BIN" token create --name "uw-$$" --scope read --db "$DB" 2>/dev/null)
taskset -c 0 "$BIN" serve --port $PORT --db "$DB" --log-level warning --rate-limit 0 2>/dev/null &
PID=$!
trap 'kill $PID; wait $PID 2>/dev/null; "$BIN" token revoke "uw-$$" --db "$DB" >/dev/null 2>&1 || true' EXIT
for _ in $(seq 1 300); do curl -sf "localhost:$PORT/healthz" >/dev/null && break; sleep 0.1; done
vote() { curl -s -o /dev/null -H 'Content-Type: application/json' -d "{\"page\":\"https://docs.example.com/guides/uw-$$-$1\",\"rating\":\"down\"}" "localhost:$PORT/v1/feedback"; }
for i in $(seq 1 "$WARMUP"); do vote "w$i"; curl -s -o /dev/null -H "Authorization: Bearer $TOKEN" "localhost:$PORT/v1/insights"; done
# Server CPU (utime + stime, clock ticks of 10 ms) around the loop: steadier than wall time on a busy machine.
cpu_ticks() { awk '{print $14 + $15}' "/proc/$PID/stat"; }
times=() before=$(cpu_ticks)
for i in $(seq 1 "$N"); do
  vote "$i"
  times+=("$(taskset -c 1 curl -s -o /dev/null -w '%{time_total}' -H "Authorization: Bearer $TOKEN" "localhost:$PORT/v1/insights")")
done
cpu=$(( $(cpu_ticks) - before ))
printf '%s\n' "${times[@]}" | sort -n | awk -v cpu="$cpu" '{t[NR]=$1*1000} END {printf "insights after a vote each time: median %.1f ms, min %.1f, max %.1f (N=%d); server CPU %.1f ms per vote and GET\n", t[int((NR+1)/2)], t[1], t[NR], NR, cpu*10/NR}'
