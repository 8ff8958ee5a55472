#!/usr/bin/env bash
# Median wall time of every aggregate, listing and dashboard page on a seeded database, one request
# at a time with curl (N each, default 21), the server pinned to one core. Prints a Markdown table.
# Usage: scripts/bench/medians.sh BIN DB   (DB as `hearken seed --rows 1000000 --db DB` makes it)
# Environment: N, PORT (18190), SERVER_CPU (0), CLIENT_CPU (1), ONLY (a regex of paths to run).
set -euo pipefail
BIN=$1 DB=$2
N=${N:-21} PORT=${PORT:-18190} SERVER_CPU=${SERVER_CPU:-0} CLIENT_CPU=${CLIENT_CPU:-1}
Q="http://127.0.0.1:$PORT"
TOKEN=$("$BIN" token create --name "medians-$$" --scope admin --db "$DB" 2>/dev/null)
taskset -c "$SERVER_CPU" "$BIN" serve --port "$PORT" --db "$DB" --log-level warning --rate-limit 0 2>>"${TMPDIR:-/tmp}/medians-server.log" &
SERVER_PID=$!
trap 'kill $SERVER_PID 2>/dev/null; wait $SERVER_PID 2>/dev/null; "$BIN" token revoke "medians-$$" --db "$DB" >/dev/null 2>&1 || true' EXIT
for _ in $(seq 1 300); do curl -sf "$Q/healthz" >/dev/null && break; sleep 0.1; done
COOKIE=$(curl -s -o /dev/null -D - "$Q/login" --data-urlencode "token=$TOKEN" | tr -d '\r' | sed -n 's/^[Ss]et-[Cc]ookie: \([^;]*\).*/\1/p')
top_page=$(curl -s -H "Authorization: Bearer $TOKEN" "$Q/v1/stats/pages?sort=votes&limit=1&format=csv" | sed -n '2p' | cut -d, -f1)
as_of=$(date -u -d '10 days ago' +%F)
paths=(
  "/v1/stats/summary" "/v1/stats/pages" "/v1/stats/pages?group=section&depth=1" "/v1/stats/pages?since=7d&sort=votes"
  "/v1/stats/timeseries" "/v1/stats/timeseries?since=90d&bucket=week" "/v1/stats/timeseries?bucket=hour&since=7d&tz=Europe/Berlin"
  "/v1/stats/reasons" "/v1/stats/sources" "/v1/stats/drops" "/v1/stats/summary?label.version=v2&since=7d"
  "/v1/feedback?limit=50" "/v1/feedback?q=token&limit=50" "/v1/feedback?page=$top_page&limit=50"
  "/v1/feedback?page_prefix=https://docs.example.com/guides&has_comment=true&limit=50"
  "/v1/feedback?status=new&limit=50" "/v1/feedback?status=spam&limit=50" "/v1/feedback?status=triaged&page=$top_page&limit=50"
  "/v1/feedback?status=new&page=$top_page&limit=50" "/v1/feedback?status=spam&page_prefix=https://docs.example.com/guides&limit=50"
  "/v1/insights" "/v1/insights?as_of=$as_of" "/v1/insights?page_prefix=https://docs.example.com/guides"
  "/v1/changes" "/v1/annotations"
  "cookie:/dashboard" "cookie:/dashboard?period=90&bucket=week" "cookie:/dashboard/pages" "cookie:/dashboard/page?page=$top_page"
  "cookie:/dashboard/inbox" "cookie:/dashboard/inbox?status=spam" "cookie:/dashboard/tokens"
)
# Server CPU (utime + stime, clock ticks) from /proc: steadier than wall time on a busy machine.
cpu_ticks() { awk '{print $14 + $15}' "/proc/$SERVER_PID/stat"; }
TICK_MS=$(awk -v hz="$(getconf CLK_TCK)" 'BEGIN {print 1000 / hz}')
echo "| request | median ms | min ms | max ms | server CPU ms/request | status |"
echo "|---|---:|---:|---:|---:|---|"
for p in "${paths[@]}"; do
  [[ -n "${ONLY:-}" && ! "$p" =~ $ONLY ]] && continue
  if [[ $p == cookie:* ]]; then p=${p#cookie:}; auth="Cookie: $COOKIE"; else auth="Authorization: Bearer $TOKEN"; fi
  times=() status="" before=$(cpu_ticks)
  for _ in $(seq 1 "$N"); do
    out=$(taskset -c "$CLIENT_CPU" curl -s -o /dev/null -w '%{http_code} %{time_total}' -H "$auth" "$Q$p")
    status=${out% *}; times+=("${out#* }")
  done
  cpu=$(awk -v a="$before" -v b="$(cpu_ticks)" -v ms="$TICK_MS" -v n="$N" 'BEGIN {printf "%.1f", (b - a) * ms / n}')
  printf '%s\n' "${times[@]}" | sort -n | awk -v p="$p" -v s="$status" -v c="$cpu" '{t[NR]=$1*1000} END {printf "| GET %s | %.1f | %.1f | %.1f | %s | %s |\n", p, t[int((NR+1)/2)], t[1], t[NR], c, s}'
done
