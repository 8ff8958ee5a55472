#!/usr/bin/env bash
# make bench: release build, server pinned to one core and wrk to the other, one Markdown report.
#
# Environment: ROWS (seeded rows for the query workloads, default 1000000), DURATION (seconds per
# wrk run, default 10), CONNECTIONS (default 32), SERVER_CPU (0), CLIENT_CPU (1), PORT (18090),
# KEEP=1 keeps the temporary folder.
set -euo pipefail
cd "$(dirname "$0")/.."
ROWS=${ROWS:-1000000}
DURATION=${DURATION:-10}
CONNECTIONS=${CONNECTIONS:-32}
SERVER_CPU=${SERVER_CPU:-0}
CLIENT_CPU=${CLIENT_CPU:-1}
PORT=${PORT:-18090}
export BENCH_DIR="$PWD/scripts/bench"

if ! command -v wrk >/dev/null; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
    apt-get install -y -qq wrk >/dev/null 2>&1 || { apt-get update -qq && apt-get install -y -qq wrk >/dev/null; }
  else
    echo "wrk is missing: sudo apt-get install -y wrk" >&2; exit 1
  fi
fi
swift build -c release --product hearken --static-swift-stdlib >&2  # as `make release`, so the build is shared
BIN="$PWD/.build/release/hearken"
WORK=$(mktemp -d -t hearken-bench.XXXXXX)
SERVER_PID=""
cleanup() {
  [ -n "$SERVER_PID" ] && kill -TERM "$SERVER_PID" 2>/dev/null && wait "$SERVER_PID" 2>/dev/null || true
  [ "${KEEP:-0}" = 1 ] && echo "kept $WORK" >&2 || rm -rf "$WORK"
}
trap cleanup EXIT

start_server() { # DB [extra flags]
  local db=$1; shift
  taskset -c "$SERVER_CPU" "$BIN" serve --port "$PORT" --db "$db" --log-level warning --rate-limit 0 --duplicate-window 0 "$@" 2>>"$WORK/server.log" &
  SERVER_PID=$!
  for _ in $(seq 1 100); do curl -sf "http://127.0.0.1:$PORT/healthz" >/dev/null && return 0; sleep 0.1; done
  echo "server did not start; see $WORK/server.log" >&2; exit 1
}

stop_server() {
  kill -TERM "$SERVER_PID"; wait "$SERVER_PID" || true; SERVER_PID=""
}

cpu_ticks() { awk '{print $14 + $15}' "/proc/$SERVER_PID/stat"; }
hwm_kib() { awk '/^VmHWM:/ {print $2}' "/proc/$SERVER_PID/status"; }

# Converts wrk's "1.23ms" / "456.00us" / "1.02s" to milliseconds.
to_ms() { awk -v v="$1" 'BEGIN { n = v + 0; if (v ~ /us$/) n /= 1000; else if (v ~ /ms$/) n = n; else if (v ~ /s$/) n *= 1000; printf "%.3f", n }'; }

ROWS_OUT=()
# run LABEL CONNECTIONS DURATION URL [wrk args...]: one wrk run, one table row.
run() {
  local label=$1 conns=$2 dur=$3 url=$4; shift 4
  local before after out
  before=$(cpu_ticks)
  out=$(taskset -c "$CLIENT_CPU" wrk -t1 -c"$conns" -d"${dur}s" --latency "$@" "$url")
  after=$(cpu_ticks)
  local rps p50 p99 requests errors non2xx cpu_us
  rps=$(awk '/^Requests\/sec:/ {printf "%.0f", $2}' <<<"$out")
  p50=$(to_ms "$(awk '$1 == "50%" {print $2}' <<<"$out")")
  p99=$(to_ms "$(awk '$1 == "99%" {print $2}' <<<"$out")")
  requests=$(awk '/requests in/ {print $1}' <<<"$out")
  errors=$(awk '/Socket errors/ {gsub(/,/, ""); print $4 + $6 + $8 + $10}' <<<"$out")
  non2xx=$(awk '/Non-2xx/ {print $5}' <<<"$out")
  cpu_us=$(awk -v t=$((after - before)) -v r="$requests" 'BEGIN { if (r > 0) printf "%.1f", t * 10000 / r; else print "-" }')
  ROWS_OUT+=("| $label | $conns | $rps | $p50 | $p99 | ${errors:-0} / ${non2xx:-0} | $cpu_us |")
  echo "$label: $rps req/s p50 $p50 ms p99 $p99 ms" >&2
}

echo "== ingestion and health on an empty database (durability full)" >&2
start_server "$WORK/ingest.db"
taskset -c "$CLIENT_CPU" wrk -t1 -c"$CONNECTIONS" -d2s -s "$BENCH_DIR/post.lua" "http://127.0.0.1:$PORT/v1/feedback" >/dev/null
run "GET /healthz" "$CONNECTIONS" "$DURATION" "http://127.0.0.1:$PORT/healthz"
run "POST /v1/feedback" "$CONNECTIONS" "$DURATION" "http://127.0.0.1:$PORT/v1/feedback" -s "$BENCH_DIR/post.lua"
max_post=$(awk -F'|' '{print $4}' <<<"${ROWS_OUT[-1]}" | tr -d ' ')
# Half the maximum rate: 64 connections, each pausing so that together they offer about max/2.
delay=$(awk -v m="$max_post" 'BEGIN { d = 64 * 1000 / (m / 2); if (d < 1) d = 1; printf "%d", d }')
DELAY_MS=$delay run "POST /v1/feedback at ~half rate (${delay} ms pauses)" 64 "$DURATION" "http://127.0.0.1:$PORT/v1/feedback" -s "$BENCH_DIR/paced-post.lua"
ingest_hwm=$(hwm_kib)
stop_server
stored=$("$BIN" migrate --status --db "$WORK/ingest.db" >/dev/null 2>&1; sqlite3 "$WORK/ingest.db" 'SELECT count(*) FROM feedback' 2>/dev/null || echo "?")

echo "== idle keep-alive connections" >&2
start_server "$WORK/idle.db" --keepalive-timeout 60
idle=$(python3 "$BENCH_DIR/idle_connections.py" "$PORT" 1000 "$SERVER_PID")
stop_server

echo "== queries on $ROWS seeded rows" >&2
seed_start=$(date +%s)
"$BIN" seed --rows "$ROWS" --db "$WORK/query.db" >&2
seed_secs=$(( $(date +%s) - seed_start ))
export TOKEN
TOKEN=$("$BIN" token create --name bench --scope read --db "$WORK/query.db" 2>/dev/null)
start_server "$WORK/query.db"
Q="http://127.0.0.1:$PORT"
QD=${QUERY_DURATION:-5}
for path in "/v1/stats/summary" "/v1/stats/pages" "/v1/stats/pages?group=section&depth=1" "/v1/stats/pages?since=7d&sort=votes" \
            "/v1/stats/timeseries?bucket=day&since=90d" "/v1/stats/timeseries?bucket=hour&since=7d&tz=Europe/Berlin" \
            "/v1/stats/reasons" "/v1/stats/sources?since=30d" "/v1/insights" "/v1/stats/summary?label.version=v2&since=7d"; do
  run "GET $path" 1 "$QD" "$Q$path" -s "$BENCH_DIR/get.lua"
done
last_cursor=$(printf 'i:%s' 500 | base64 | tr '+/' '-_' | tr -d '=')
for path in "/v1/feedback?limit=50" "/v1/feedback?limit=50&cursor=$last_cursor" "/v1/feedback?source=portal&rating=down&limit=50" \
            "/v1/feedback?source=portal&rating=down&limit=50&cursor=$last_cursor" "/v1/feedback?q=token&limit=50" \
            "/v1/feedback?page_prefix=https://docs.example.com/guides&has_comment=true&limit=50"; do
  run "GET $path" 1 "$QD" "$Q$path" -s "$BENCH_DIR/get.lua"
done
run "GET /v1/feedback/{id}" 1 "$QD" "$Q/v1/feedback/$((ROWS / 2))" -s "$BENCH_DIR/get.lua"
run "GET /v1/stats/pages (concurrent)" "$CONNECTIONS" "$QD" "$Q/v1/stats/pages" -s "$BENCH_DIR/get.lua"
# wrk stops with up to 32 of those queries still queued on the readers (~200 ms of work): let them
# finish, or the next row's first requests wait behind them and its p99 measures the previous row.
sleep 2
READ_TOKEN=$TOKEN
TOKEN=$("$BIN" token create --name bench-admin --scope admin --db "$WORK/query.db" 2>/dev/null)
run "GET /v1/tokens" 1 "$QD" "$Q/v1/tokens" -s "$BENCH_DIR/get.lua"
run "PATCH /v1/feedback/{id} (durable write, rollups kept)" 1 "$QD" "$Q/v1/feedback/$((ROWS / 2))" -s "$BENCH_DIR/patch.lua"
ONESHOT=$(python3 "$BENCH_DIR/oneshot.py" "$PORT" "$TOKEN" 200 $((ROWS / 3)))
while IFS= read -r line; do ROWS_OUT+=("$line"); done <<<"$ONESHOT"
# Dashboard pages, signed in with the admin token (the overview reads the last evaluation's findings and draws sparklines).
export COOKIE
COOKIE=$(curl -s -o /dev/null -D - "$Q/login" --data-urlencode "token=$TOKEN" | tr -d '\r' | sed -n 's/^[Ss]et-[Cc]ookie: \([^;]*\).*/\1/p')
top_page=$(curl -s -H "Authorization: Bearer $TOKEN" "$Q/v1/stats/pages?sort=votes&limit=1&format=csv" | sed -n '2p' | cut -d, -f1)
for path in "/dashboard" "/dashboard?period=90&bucket=week" "/dashboard/pages" "/dashboard/page?page=$top_page" "/dashboard/inbox" \
            "/dashboard/inbox?status=new&rating=down" "/dashboard/tokens"; do
  bytes=$(curl -s -o /dev/null -w '%{size_download}' -H "Cookie: $COOKIE" "$Q$path")
  run "GET $path ($bytes bytes)" 1 "$QD" "$Q$path" -s "$BENCH_DIR/get-cookie.lua"
done
TOKEN=$READ_TOKEN
query_hwm=$(hwm_kib)
stop_server

cat <<REPORT

## Hearken benchmark

- machine: $(nproc) cores, $(awk -F': ' '/model name/ {print $2; exit}' /proc/cpuinfo), $(uname -r)
- server: \`taskset -c $SERVER_CPU hearken serve --log-level warning\` (release build, durability full, one event loop)
- load: \`taskset -c $CLIENT_CPU wrk -t1 -cN -d${DURATION}s --latency\` (queries: -c1 -d${QD}s unless noted); scripts in scripts/bench/
- CPU µs/req: server utime+stime over the run divided by requests; rows marked python client are timed one request at a time by scripts/bench/oneshot.py

| workload | connections | req/s | p50 ms | p99 ms | socket errors / non-2xx | server CPU µs/req |
|---|---:|---:|---:|---:|---:|---:|
$(printf '%s\n' "${ROWS_OUT[@]}")

- rows stored by the ingestion runs: $stored
- peak RSS: ingestion $ingest_hwm KiB; queries on $ROWS rows $query_hwm KiB
- 1,000 idle keep-alive connections (answered, RSS KiB, peak KiB): $idle
- seeding $ROWS rows: $seed_secs s
REPORT
