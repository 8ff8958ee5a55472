#!/usr/bin/env bash
# make bench DB=postgres: the release server on a temporary PostgreSQL (initdb in a temp folder, fsync
# and synchronous_commit on: durable, as the tests start it but with its own settings below), pinned
# like scripts/bench.sh (server on SERVER_CPU, wrk on CLIENT_CPU, PostgreSQL unpinned). Measures durable
# POST /v1/feedback (wrk -t1 -c32) on an empty database, then every aggregate at ROWS rows, one
# connection at a time: ROWS are seeded on SQLite by `hearken seed`, copied with COPY and folded by the
# server. Prints a Markdown table.
#
# Environment: ROWS (default 1000000), DURATION (POST seconds, 10), QUERY_DURATION (5), CONNECTIONS (32),
# SERVER_CPU (0), CLIENT_CPU (1), PORT (18091), PG_BINDIR (newest /usr/lib/postgresql/*/bin), KEEP=1.
set -euo pipefail
cd "$(dirname "$0")/.."
ROWS=${ROWS:-1000000}
DURATION=${DURATION:-10}
QD=${QUERY_DURATION:-5}
CONNECTIONS=${CONNECTIONS:-32}
SERVER_CPU=${SERVER_CPU:-0}
CLIENT_CPU=${CLIENT_CPU:-1}
PORT=${PORT:-18091}
PG_PORT=${PG_PORT:-5433}
BENCH_DIR="$PWD/scripts/bench"
. "$BENCH_DIR/postgres-temp.sh"
command -v wrk >/dev/null || { echo "wrk is missing: sudo apt-get install -y wrk" >&2; exit 1; }
swift build -c release --product hearken --static-swift-stdlib >&2
BIN="$PWD/.build/release/hearken"
WORK=$(mktemp -d -t hearken-bench-pg.XXXXXX)
chmod 755 "$WORK"
SERVER_PID=""
cleanup() {
  [ -n "$SERVER_PID" ] && kill -TERM "$SERVER_PID" 2>/dev/null && wait "$SERVER_PID" 2>/dev/null || true
  pg_temp_stop
  [ "${KEEP:-0}" = 1 ] && echo "kept $WORK" >&2 || rm -rf "$WORK"
}
trap cleanup EXIT

echo "== PostgreSQL $("$PG_BINDIR/postgres" --version | awk '{print $3}') in $WORK/pg" >&2
pg_temp_start
url() { echo "postgresql://postgres@/$1?host=$WORK/sock&port=$PG_PORT"; }
for db in ingest query; do "$PG_BINDIR/createdb" -h "$WORK/sock" -p "$PG_PORT" -U postgres "$db"; done

start_server() { # URL
  taskset -c "$SERVER_CPU" "$BIN" serve --port "$PORT" --db "$1" --log-level warning --rate-limit 0 --duplicate-window 0 2>>"$WORK/server.log" &
  SERVER_PID=$!
  for _ in $(seq 1 300); do curl -sf "http://127.0.0.1:$PORT/readyz" >/dev/null && return 0; sleep 0.1; done
  echo "server did not start; see $WORK/server.log" >&2; cat "$WORK/server.log" >&2; exit 1
}
stop_server() { kill -TERM "$SERVER_PID"; wait "$SERVER_PID" || true; SERVER_PID=""; }
to_ms() { awk -v v="$1" 'BEGIN { n = v + 0; if (v ~ /us$/) n /= 1000; else if (v ~ /ms$/) n = n; else if (v ~ /s$/) n *= 1000; printf "%.2f", n }'; }
ROWS_OUT=()
run() { # LABEL CONNECTIONS DURATION URL [wrk args...]
  local label=$1 conns=$2 dur=$3 url=$4; shift 4
  local out rps p50 p99 non2xx
  out=$(taskset -c "$CLIENT_CPU" wrk -t1 -c"$conns" -d"${dur}s" --latency "$@" "$url")
  rps=$(awk '/^Requests\/sec:/ {printf "%.0f", $2}' <<<"$out")
  p50=$(to_ms "$(awk '$1 == "50%" {print $2}' <<<"$out")")
  p99=$(to_ms "$(awk '$1 == "99%" {print $2}' <<<"$out")")
  non2xx=$(awk '/Non-2xx/ {print $5}' <<<"$out")
  ROWS_OUT+=("| $label | $conns | $rps | $p50 | $p99 | ${non2xx:-0} |")
  echo "$label: $rps req/s p50 $p50 ms p99 $p99 ms non-2xx ${non2xx:-0}" >&2
}

echo "== durable POST on an empty database" >&2
"$BIN" migrate --db "$(url ingest)" >/dev/null
start_server "$(url ingest)"
taskset -c "$CLIENT_CPU" wrk -t1 -c"$CONNECTIONS" -d2s -s "$BENCH_DIR/post.lua" "http://127.0.0.1:$PORT/v1/feedback" >/dev/null
run "POST /v1/feedback (durable)" "$CONNECTIONS" "$DURATION" "http://127.0.0.1:$PORT/v1/feedback" -s "$BENCH_DIR/post.lua"
stop_server
stored=$("$PG_BINDIR/psql" -h "$WORK/sock" -p "$PG_PORT" -U postgres -d ingest -Atc 'SELECT count(*) FROM feedback')

echo "== $ROWS rows: seeded on SQLite, copied into PostgreSQL with COPY, folded by the server" >&2
# The same rows as `make bench` (seeded on SQLite with the same seed), moved with COPY: the import and
# `hearken seed --db postgres://…` write through the ingest path, which takes far longer for a million.
started=$(date +%s)
"$BIN" seed --rows "$ROWS" --db "$WORK/seed.db" >/dev/null 2>&1
seeded=$(date +%s)
"$BIN" migrate --db "$(url query)" >/dev/null
PSQL=("$PG_BINDIR/psql" -h "$WORK/sock" -p "$PG_PORT" -U postgres -d query -v ON_ERROR_STOP=1 -qAt)
cols="id, received_at, page, page_key, rating, reason, comment, source, labels, email, user_agent, origin, referer, client_hash, status, note, tags, issue_url, updated_at, pii"
sqlite3 -csv "$WORK/seed.db" "SELECT $cols FROM feedback ORDER BY id" | "${PSQL[@]}" -c "\\copy feedback($cols) FROM STDIN WITH (FORMAT csv)"
sqlite3 -csv "$WORK/seed.db" "SELECT feedback_id, key, value FROM feedback_labels" | "${PSQL[@]}" -c "\\copy feedback_labels(feedback_id, key, value) FROM STDIN WITH (FORMAT csv)"
"${PSQL[@]}" -c "SELECT setval(pg_get_serial_sequence('feedback', 'id'), (SELECT max(id) FROM feedback))" >/dev/null
copied=$(date +%s)
start_server "$(url query)"
for _ in $(seq 1 1800); do
  [ "$("${PSQL[@]}" -c 'SELECT count(*) FROM feedback_unfolded')" = 0 ] && break
  sleep 1
done
[ "$("${PSQL[@]}" -c 'SELECT count(*) FROM feedback_unfolded')" = 0 ] || { echo "the fold did not finish in 30 minutes" >&2; exit 1; }
folded=$(date +%s)
stop_server
"${PSQL[@]}" -c 'VACUUM ANALYZE' >/dev/null
export TOKEN
TOKEN=$("$BIN" token create --name bench --scope read --db "$(url query)" 2>/dev/null)
start_server "$(url query)"
Q="http://127.0.0.1:$PORT"
for path in "/v1/stats/summary" "/v1/stats/pages" "/v1/stats/pages?group=section&depth=1" "/v1/stats/pages?since=7d&sort=votes" \
            "/v1/stats/timeseries?bucket=day&since=90d" "/v1/stats/timeseries?bucket=hour&since=7d&tz=Europe/Berlin" \
            "/v1/stats/reasons" "/v1/stats/sources?since=30d" "/v1/stats/summary?label.version=v2&since=7d" \
            "/v1/feedback?limit=50" "/v1/feedback?source=portal&rating=down&limit=50" "/v1/feedback?q=token&limit=50" \
            "/v1/feedback?q=pagina*&limit=50"; do
  run "GET $path" 1 "$QD" "$Q$path" -s "$BENCH_DIR/get.lua"
done
stop_server
check=$("${PSQL[@]}" -c "SELECT (SELECT count(*) FROM feedback WHERE status <> 'spam') = (SELECT sum(up + down) FROM rollup_page_total)")

echo
echo "PostgreSQL $("$PG_BINDIR/postgres" --version | awk '{print $3}'), fsync and synchronous_commit on; server on CPU $SERVER_CPU, wrk on CPU $CLIENT_CPU."
echo "POST stored $stored rows. $ROWS rows seeded on SQLite in $((seeded - started)) s, copied in $((copied - seeded)) s, folded by the server in $((folded - copied)) s; rollups equal the rows: $check."
echo
echo "| request | connections | req/s | p50 ms | p99 ms | non-2xx |"
echo "|---|---|---|---|---|---|"
printf '%s\n' "${ROWS_OUT[@]}"
