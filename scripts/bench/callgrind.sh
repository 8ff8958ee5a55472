#!/bin/bash
# usage: scripts/bench/callgrind.sh BIN OUTDIR [N]: instructions per request for /healthz, a 400 and a durable POST,
# counted by callgrind around N sequential keep-alive requests of each kind (valgrind 3.19 cannot read
# Swift's DWARF 5: give it a copy made with `objcopy --strip-debug`).
BIN=$1; OUT=$2; N=${3:-500}
mkdir -p $OUT; rm -f $OUT/cg.*
PORT=$((19000 + RANDOM % 500)); W=$(mktemp -d)
valgrind --tool=callgrind --callgrind-out-file=$OUT/cg.%p --dump-instr=no "$BIN" serve --port $PORT --db $W/h.db --log-level warning --rate-limit 0 --duplicate-window 0 --reasons inaccurate,outdated,unclear,helpful,missing-example 2>$OUT/vg.log &
VPID=$!
for _ in $(seq 600); do curl -s -o /dev/null "localhost:$PORT/healthz" && break; sleep 0.2; done
python3 "$(dirname "$0")/send.py" $PORT post 50   # warm up every path once
python3 "$(dirname "$0")/send.py" $PORT bad 50
python3 "$(dirname "$0")/send.py" $PORT healthz 50
for kind in healthz bad post; do
  callgrind_control -z $VPID >/dev/null
  python3 "$(dirname "$0")/send.py" $PORT $kind $N
  sleep 0.5
  callgrind_control -d $kind $VPID >/dev/null
done
kill -TERM $VPID; wait $VPID
rm -rf $W
for f in $OUT/cg.*.*; do echo "$f $(callgrind_annotate $f 2>/dev/null | awk '/PROGRAM TOTALS/ {print $1}')"; done
