#!/bin/bash
# usage: scripts/bench/dhat.sh BIN LABEL N: heap blocks allocated per request (dhat totals of a run with N
# requests of one kind minus a run with none; same stripped copy as callgrind.sh).
BIN=$1; LABEL=$2; N=$3
run() { # kind count
  local PORT=$((19500 + RANDOM % 400)) W=$(mktemp -d)
  valgrind --tool=dhat --dhat-out-file=/dev/null "$BIN" serve --port $PORT --db $W/h.db --log-level warning --rate-limit 0 --duplicate-window 0 --reasons inaccurate,outdated,unclear,helpful,missing-example 2>$W/vg.log &
  local VPID=$!
  for _ in $(seq 600); do curl -s -o /dev/null "localhost:$PORT/healthz" && break; sleep 0.2; done
  python3 "$(dirname "$0")/send.py" $PORT post 20; python3 "$(dirname "$0")/send.py" $PORT bad 20
  [ $2 -gt 0 ] && python3 "$(dirname "$0")/send.py" $PORT $1 $2
  sleep 1; kill -TERM $VPID; wait $VPID
  awk '/Total:/ {gsub(",", "", $0); for (i = 1; i <= NF; i++) if ($i == "blocks") print $(i-1)}' $W/vg.log | head -1
  rm -rf $W
}
zero=$(run healthz 0)
for kind in healthz bad post; do
  blocks=$(run $kind $N)
  echo "$LABEL $kind: $(awk -v a=$blocks -v z=$zero -v n=$N 'BEGIN {printf "%.1f", (a - z) / n}') blocks/request ($blocks - $zero over $N)"
done
