#!/usr/bin/env bash
# make test-api: schemathesis against a live server on a seeded database, driven by openapi/openapi.json.
# Fails on any 5xx, undocumented status, wrong content type, or answer that breaks its schema.
set -euo pipefail
cd "$(dirname "$0")/.."
command -v schemathesis >/dev/null || python3 -m pip install -q schemathesis
swift build --product hearken >&2
BIN="$PWD/.build/debug/hearken"
WORK=$(mktemp -d -t hearken-api.XXXXXX)
PORT=${PORT:-18130}
"$BIN" seed --rows 2000 --pages 50 --db "$WORK/h.db" >/dev/null 2>&1
TOKEN=$("$BIN" token create --name api-test --scope admin --db "$WORK/h.db" 2>/dev/null)
"$BIN" serve --port "$PORT" --db "$WORK/h.db" --log-level error --rate-limit 0 2>"$WORK/server.log" &
PID=$!
trap 'kill -TERM $PID 2>/dev/null; wait $PID 2>/dev/null; rm -rf "$WORK"' EXIT
for _ in $(seq 1 100); do curl -sf "http://127.0.0.1:$PORT/healthz" >/dev/null && break; sleep 0.1; done
schemathesis run openapi/openapi.json --url "http://127.0.0.1:$PORT" -H "Authorization: Bearer $TOKEN" \
  --checks not_a_server_error,status_code_conformance,content_type_conformance,response_schema_conformance,response_headers_conformance \
  --max-examples "${EXAMPLES:-60}"
