"""Times requests that change state once each (so wrk cannot repeat them): creating and revoking
tokens and erasing feedback. Prints Markdown rows like bench.sh's: label, 1, req/s, p50, p99, errors."""
import http.client, json, sys, time

port, token, count, first_id = int(sys.argv[1]), sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
conn = http.client.HTTPConnection("127.0.0.1", port)
headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}


def timed(label, calls, expected):
    latencies, errors = [], 0
    started = time.perf_counter()
    for method, path, body in calls:
        t0 = time.perf_counter()
        conn.request(method, path, body=body, headers=headers)
        response = conn.getresponse()
        response.read()
        latencies.append((time.perf_counter() - t0) * 1000)
        errors += response.status != expected
    elapsed = time.perf_counter() - started
    latencies.sort()
    p50, p99 = latencies[len(latencies) // 2], latencies[max(0, int(len(latencies) * 0.99) - 1)]
    print(f"| {label} | 1 | {len(calls) / elapsed:.0f} | {p50:.3f} | {p99:.3f} | 0 / {errors} | - |")


timed("POST /v1/tokens (sequential, python client)", [("POST", "/v1/tokens", json.dumps({"name": f"bench-{i}", "scope": "read"})) for i in range(count)], 201)
timed("DELETE /v1/tokens/{name} (sequential, python client)", [("DELETE", f"/v1/tokens/bench-{i}", None) for i in range(count)], 204)
timed("DELETE /v1/feedback/{id} (sequential, python client)", [("DELETE", f"/v1/feedback/{first_id + i}", None) for i in range(count)], 204)
