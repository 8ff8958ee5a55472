#!/usr/bin/env bash
# Durable POST on PostgreSQL, two hearken binaries alternated in one sitting (A B A B …), each run on a
# fresh database of one temporary PostgreSQL server (fsync and synchronous_commit on), server pinned
# to SERVER_CPU and wrk -t1 -c32 to CLIENT_CPU as in scripts/bench-postgres.sh. Prints req/s and the
# CPU each side spent per stored row: hearken (utime+stime from /proc/PID/stat) and every PostgreSQL
# process together (their backends, WAL writer and checkpointer).
#
# Usage: scripts/bench/postgres-post-ab.sh BIN_A BIN_B [ROUNDS]; DURATION (10), CONNECTIONS (32).
set -euo pipefail
A=$1 B=$2 ROUNDS=${3:-3}
DURATION=${DURATION:-10} CONNECTIONS=${CONNECTIONS:-32} SERVER_CPU=${SERVER_CPU:-0} CLIENT_CPU=${CLIENT_CPU:-1}
PORT=${PORT:-18093} PG_PORT=${PG_PORT:-5437}
BENCH_DIR="$(cd "$(dirname "$0")" && pwd)"
. "$BENCH_DIR/postgres-temp.sh"
WORK=$(mktemp -d -t hearken-pg-ab.XXXXXX); chmod 755 "$WORK"
SERVER_PID=""
cleanup() {
  [ -n "$SERVER_PID" ] && kill -TERM "$SERVER_PID" 2>/dev/null && wait "$SERVER_PID" 2>/dev/null || true
  pg_temp_stop
  rm -rf "$WORK"
}
trap cleanup EXIT
pg_temp_start
ticks() { awk '{ print $14 + $15 }' "/proc/$1/stat"; }
# This server's processes only: the postmaster and its children.
pg_ticks() {
  local master t=0; master=$(head -1 "$WORK/pg/postmaster.pid")
  for p in "$master" $(pgrep -P "$master"); do t=$((t + $(ticks "$p" 2>/dev/null || echo 0))); done; echo $t
}
HZ=$(getconf CLK_TCK)
n=0
for round in $(seq 1 "$ROUNDS"); do
  for side in A B; do
    n=$((n + 1)); bin=${!side}; db="d$n"
    "$PG_BINDIR/createdb" -h "$WORK/sock" -p "$PG_PORT" -U postgres "$db"
    url="postgresql://postgres@/$db?host=$WORK/sock&port=$PG_PORT"
    taskset -c "$SERVER_CPU" "$bin" serve --port "$PORT" --db "$url" --log-level warning --rate-limit 0 --duplicate-window 0 2>>"$WORK/server.log" &
    SERVER_PID=$!
    for _ in $(seq 1 300); do curl -sf "http://127.0.0.1:$PORT/readyz" >/dev/null && break; sleep 0.1; done
    taskset -c "$CLIENT_CPU" wrk -t1 -c"$CONNECTIONS" -d2s -s "$BENCH_DIR/post.lua" "http://127.0.0.1:$PORT/v1/feedback" >/dev/null
    before=$(psql -h "$WORK/sock" -p "$PG_PORT" -U postgres -Atc "SELECT count(*) FROM feedback" "$db")
    h0=$(ticks "$SERVER_PID"); p0=$(pg_ticks)
    out=$(taskset -c "$CLIENT_CPU" wrk -t1 -c"$CONNECTIONS" -d"${DURATION}s" -s "$BENCH_DIR/post.lua" "http://127.0.0.1:$PORT/v1/feedback")
    h1=$(ticks "$SERVER_PID"); p1=$(pg_ticks)
    after=$(psql -h "$WORK/sock" -p "$PG_PORT" -U postgres -Atc "SELECT count(*) FROM feedback" "$db")
    rps=$(echo "$out" | awk '/Requests\/sec/ { print $2 }')
    rows=$((after - before))
    awk -v s="$side" -v r="$rps" -v rows="$rows" -v h=$((h1 - h0)) -v p=$((p1 - p0)) -v hz="$HZ" 'BEGIN {
      printf "%s  %8.0f req/s  rows %7d  hearken %5.1f us/row  postgres %5.1f us/row\n", s, r, rows, h * 1e6 / hz / rows, p * 1e6 / hz / rows }'
    kill -TERM "$SERVER_PID"; wait "$SERVER_PID" || true; SERVER_PID=""
  done
done
