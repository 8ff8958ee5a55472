#!/usr/bin/env bash
# Server CPU per durable POST, split by stage (issue 14's table): the server pinned to CPU 0 on a
# fresh database, `wrk -t1 -c32` with the peers' post.lua on CPU 1 for 12 s, `perf record -g` on
# the server for 6 s of it. Each stage's inclusive share of the server's samples (its top function,
# `perf report --children`) times the run's utime+stime per request gives µs per request. Stages
# overlap nowhere except where noted; what no stage names (the event loop's own work, the runtime
# between stages) is the remainder.
# Usage, from the repository root after `make release`: scripts/bench/post-stages.sh [BIN]
set -euo pipefail
cd "$(dirname "$0")/../.."
BIN=${1:-$PWD/.build/release/hearken}
PORT=${PORT:-18302}
POST_LUA=${POST_LUA:-$PWD/../shared/peers/post.lua}
work=$(mktemp -d -t hearken-stages.XXXXXX)
taskset -c 0 "$BIN" serve --port "$PORT" --db "$work/h.db" --log-level warning --rate-limit 0 --duplicate-window 0 \
  --reasons inaccurate,outdated,unclear,helpful,missing-example 2>>"$work/server.log" &
pid=$!
trap 'kill -TERM $pid 2>/dev/null; wait $pid 2>/dev/null; rm -rf "$work"' EXIT
for _ in $(seq 300); do curl -sf "http://127.0.0.1:$PORT/healthz" >/dev/null && break; sleep 0.1; done
taskset -c 1 wrk -t1 -c32 -d2s -s "$POST_LUA" "http://127.0.0.1:$PORT/v1/feedback" >/dev/null
ticks() { awk '{print $14 + $15}' "/proc/$pid/stat"; }
before=$(ticks)
taskset -c 1 wrk -t1 -c32 -d12s -s "$POST_LUA" "http://127.0.0.1:$PORT/v1/feedback" >"$work/wrk.txt" &
wrk_pid=$!
sleep 3
perf record -F 999 -g -p "$pid" -o "$work/perf.data" -- sleep 6 >/dev/null 2>&1
wait $wrk_pid
after=$(ticks)
requests=$(awk '/requests in/ {print $1}' "$work/wrk.txt")
rate=$(awk '/^Requests\/sec:/ {printf "%.0f", $2}' "$work/wrk.txt")
us=$(awk -v t=$((after - before)) -v r="$requests" -v hz="$(getconf CLK_TCK)" 'BEGIN { printf "%.1f", t * 1e6 / hz / r }')
echo "POST: $rate req/s, $us µs of server CPU per request"
perf report -i "$work/perf.data" --children --sort symbol --stdio -g none 2>/dev/null | awk '/^ +[0-9]/ {sub("%", "", $1); print $1, $4}' >"$work/report.txt"
echo "| stage | top function | share | µs per POST |"
echo "|---|---|---:|---:|"
while IFS='|' read -r stage pattern; do
  awk -v stage="$stage" -v pattern="$pattern" -v us="$us" '
    $2 ~ pattern && $1 > best { best = $1 }
    END { printf "| %s | `%s` | %.1f%% | %.1f |\n", stage, pattern, best, best * us / 100 }' "$work/report.txt"
done <<'STAGES'
read (syscall)|^read$
parse the head|RequestHeadParserO5parse_
decode the body (JSON)|BodyDecodingO6fields
screen (origin, rate limit, client)|PublicIntake[CV]6screen
validate|ValidatorV8validate
hand-off to the writer|PublicIntake[CV]6submit
insert (row, labels, client hash)|IngestorC6ingest_
commit: WAL pwrite|^__libc_pwrite$
commit: fdatasync|^fdatasync$
fold: read on the snapshot|FoldPlanV4read
fold: apply on the writer|FoldPlanV5apply
delivery to the loops|DeliveryBatchC10collecting
answer (201 JSON, follow-up token)|PublicIntake[CV]7created
write (send)|^__send$
waiting for events (epoll_wait)|^epoll_wait$
STAGES
