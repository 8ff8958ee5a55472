#!/usr/bin/env python3
"""Reliability tests against the real release binary (make test-reliability).

crash:     concurrent ingestion, kill -9 at random moments (every other round just after writing stops,
           while the aggregator folds), restart; every acknowledged (id, page) must be stored, every
           rollup and the search index must equal a recomputation from the rows after each restart,
           and PRAGMA integrity_check must say ok. ROUNDS rounds (default 20).
slow:      1,000 connections trickling headers (slowloris) or never reading, while a normal client
           keeps asking (GET /healthz and POST /v1/feedback, each on its keep-alive connection) for
           the whole time the slow connections are open: every answer 2xx, p99 of each under 100 ms,
           and the slow connections are closed at their timeouts; a flood beyond --max-connections
           (RLIMIT_NOFILE raised so it really gets past it) gets 503, never a crash.
diskfull:  the database on a 4 MiB tmpfs (unshare -rm): ingestion answers 503 storage_full, stored
           rows stay intact with rollups and search index equal to a recomputation from the rows,
           and ingestion recovers by itself once space returns.
signal:    SIGTERM the moment the server logs "listening", beside two busy processes: exit 0 every time.
Prints "N passed, N failed" last.
"""
import json, os, random, resource, select, shutil, signal, socket, sqlite3, subprocess, sys, tempfile, threading, time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import consistency  # noqa: E402  (rollups and the search index against the rows; shared with other scripts)
import derived  # noqa: E402  (recomputes rollups and the search index from the rows)

BIN = os.environ.get("HEARKEN_BIN", os.path.join(os.path.dirname(__file__), "../../.build/release/hearken"))
results = []


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


def start(db, port, *extra, prefix=()):
    log = open(db + ".log", "ab")
    proc = subprocess.Popen(list(prefix) + [BIN, "serve", "--port", str(port), "--db", db, "--log-level", "warning", "--rate-limit", "0", "--duplicate-window", "0", *extra],
                            stdout=log, stderr=log)
    deadline = time.time() + 15
    while time.time() < deadline:
        try:
            if request(port, "GET", "/healthz")[0] == 200:
                return proc
        except OSError:
            time.sleep(0.05)
    proc.kill()
    raise RuntimeError("server did not start")


def request(port, method, path, body=None, timeout=5, sock=None):
    own = sock is None
    s = sock or socket.create_connection(("127.0.0.1", port), timeout=timeout)
    data = f"{method} {path} HTTP/1.1\r\nHost: t\r\n"
    payload = b""
    if body is not None:
        payload = json.dumps(body).encode()
        data += f"Content-Type: application/json\r\nContent-Length: {len(payload)}\r\n"
    if own:
        data += "Connection: close\r\n"
    s.sendall(data.encode() + b"\r\n" + payload)
    buf = b""
    while b"\r\n\r\n" not in buf:
        chunk = s.recv(65536)
        if not chunk:
            raise OSError("closed")
        buf += chunk
    head, rest = buf.split(b"\r\n\r\n", 1)
    status = int(head.split(b" ")[1])
    length = 0
    for line in head.split(b"\r\n")[1:]:
        name, _, value = line.partition(b":")
        if name.strip().lower() == b"content-length":
            length = int(value)
    while len(rest) < length:
        chunk = s.recv(65536)
        if not chunk:
            raise OSError("closed in body")
        rest += chunk
    if own:
        s.close()
    return status, rest[:length]


def check(name, ok, detail=""):
    results.append(ok)
    print(("PASS " if ok else "FAIL ") + name + (f": {detail}" if detail else ""), flush=True)


def crash_test(rounds):
    work = tempfile.mkdtemp(prefix="hearken-crash-")
    db = os.path.join(work, "h.db")
    # Acknowledged writes keyed on (id, page): the page names the round, worker and sequence, so a
    # lost row cannot hide behind another that took its id.
    acked = {}
    lock = threading.Lock()
    derived_problems = []
    mid_fold_rounds = 0
    for round_number in range(rounds):
        port = free_port()
        proc = start(db, port)
        if round_number > 0:
            # The restarted server folded what the crash left unfolded; compare everything now.
            conn = sqlite3.connect(db, isolation_level=None)
            found, w = derived.problems(conn)
            last = conn.execute("SELECT coalesce(max(id), 0) FROM feedback").fetchone()[0]
            conn.close()
            if w != last:
                found.append(f"watermark {w} behind the last row {last} after the restart")
            derived_problems += [f"round {round_number}: {p}" for p in found]
        stop = threading.Event()

        def writer(worker):
            n = 0
            while not stop.is_set():
                n += 1
                try:
                    page = f"/r{round_number}/w{worker}/{n}"
                    payload = {"page": page, "rating": "up" if n % 4 else "down"}
                    if n % 3 == 0:
                        payload["comment"] = f"crash round {round_number} worker {worker}"  # exercises the search index
                    if n % 5 == 0:
                        payload["labels"] = {"round": str(round_number % 3)}
                    status, body = request(port, "POST", "/v1/feedback", payload, timeout=2)
                    if status == 201:
                        with lock:
                            acked[json.loads(body)["id"]] = page
                except (OSError, ValueError):
                    pass  # indeterminate: the server died mid-request

        threads = [threading.Thread(target=writer, args=(w,)) for w in range(8)]
        for t in threads:
            t.start()
        time.sleep(random.uniform(0.2, 1.5))
        if round_number % 2 == 1:
            # Kill while the aggregator folds: stop writing, then kill within the 500 ms after which
            # the last rows are folded (FeedbackWriter.foldInterval; a fold of a few thousand rows
            # takes milliseconds).
            stop.set()
            for t in threads:
                t.join()
            time.sleep(random.uniform(0.0, 0.6))
            mid_fold_rounds += 1
        proc.send_signal(signal.SIGKILL)
        proc.wait()
        stop.set()
        for t in threads:
            t.join()
    conn = sqlite3.connect(db)
    stored = dict(conn.execute("SELECT id, page FROM feedback").fetchall())
    integrity = conn.execute("PRAGMA integrity_check").fetchone()[0]
    conn.close()
    # Rows still readable by a restarted server, with rollups and search recovered too.
    port = free_port()
    proc = start(db, port)
    ready = request(port, "GET", "/readyz")[0]
    proc.send_signal(signal.SIGTERM)
    code = proc.wait(timeout=15)
    conn = sqlite3.connect(db, isolation_level=None)
    found, w = derived.problems(conn)
    derived_problems += [f"final: {p}" for p in found]
    commented = conn.execute("SELECT count(*) FROM feedback WHERE comment IS NOT NULL").fetchone()[0]
    try:
        conn.execute("INSERT INTO feedback_fts(feedback_fts) VALUES ('integrity-check')")
        search = "ok"
    except sqlite3.DatabaseError as error:
        search = str(error)
    conn.close()
    missing = [i for i, page in acked.items() if stored.get(i) != page]
    check(f"crash: {rounds} kill -9 rounds ({mid_fold_rounds} while folding), {len(acked)} acknowledged writes all stored under their (id, page)",
          not missing and len(acked) > 0, f"{len(missing)} missing or changed, e.g. {missing[:3]}" if missing else f"{len(stored)} rows stored")
    check("crash: integrity_check ok", integrity == "ok", integrity)
    check("crash: after every restart each rollup table and the search index equal a recomputation from the rows (scripts/reliability/derived.py)",
          not derived_problems and w == max(stored, default=0), "; ".join(derived_problems[:5]) or f"{rounds} comparisons, watermark {w}")
    check("crash: the search index is intact", search == "ok" and commented > 0, f"{commented} comments, integrity-check {search}")
    check("crash: restarted server ready and stops with exit 0", ready == 200 and code == 0, f"readyz {ready}, exit {code}")


class NormalClient(threading.Thread):
    """A well-behaved reader beside the slow connections: GET /healthz and POST /v1/feedback in turn,
    each on its own keep-alive connection, until stopped. A 2xx answer is a latency sample; anything
    else (another status, a timeout, a reset) is a failure, never a fast sample."""

    def __init__(self, port):
        super().__init__(daemon=True)
        self.port, self.stop = port, threading.Event()
        self.latencies = {"GET /healthz": [], "POST /v1/feedback": []}
        self.failures = []

    def run(self):
        sockets = {}
        n = 0
        while not self.stop.is_set():
            n += 1
            kind = "GET /healthz" if n % 2 else "POST /v1/feedback"
            method, path = kind.split(" ")
            body = {"page": f"/normal/{n}", "rating": "up"} if method == "POST" else None
            t0 = time.perf_counter()
            try:
                sock = sockets.get(kind) or socket.create_connection(("127.0.0.1", self.port), timeout=5)
                sockets[kind] = sock
                status, _ = request(self.port, method, path, body, sock=sock)
            except OSError as error:
                self.failures.append(f"{kind}: {error}")
                old = sockets.pop(kind, None)
                if old:
                    old.close()
                continue
            if 200 <= status < 300:
                self.latencies[kind].append(time.perf_counter() - t0)
            else:
                self.failures.append(f"{kind}: {status}")
        for sock in sockets.values():
            sock.close()

    def p99(self, kind):
        samples = sorted(self.latencies[kind])
        return samples[max(0, int(len(samples) * 0.99) - 1)] * 1000 if samples else float("inf")


def raise_open_file_limit(needed):
    """The flood needs more descriptors than a default soft limit (often 1024); the server, started
    from here, inherits the raised limit too."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft < needed:
        resource.setrlimit(resource.RLIMIT_NOFILE, (min(needed, hard) if hard != resource.RLIM_INFINITY else needed, hard))
    return resource.getrlimit(resource.RLIMIT_NOFILE)[0]


def slow_test():
    max_connections, flood_size = 2100, 2300
    limit = raise_open_file_limit(8192)
    check("slow: open-file limit lets the flood pass --max-connections", limit >= flood_size + 1100, f"RLIMIT_NOFILE {limit}")
    work = tempfile.mkdtemp(prefix="hearken-slow-")
    db = os.path.join(work, "h.db")
    port = free_port()
    proc = start(db, port, "--header-timeout", "3", "--write-timeout", "3", "--keepalive-timeout", "3", "--max-connections", str(max_connections))
    baseline_fds = len(os.listdir(f"/proc/{proc.pid}/fd"))
    normal = NormalClient(port)
    normal.start()
    slow = []
    for i in range(1000):
        s = socket.create_connection(("127.0.0.1", port))
        if i % 2 == 0:
            s.sendall(b"GET /healthz HTTP/1.1\r\nHost: t\r\n")  # trickles, never finishes
        else:
            s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
            s.sendall(b"GET /healthz HTTP/1.1\r\nHost: t\r\n\r\n" * 200)  # never reads the answers
        slow.append(s)
    # Keep trickling until the server has closed every slow connection (its descriptors are released;
    # a client that never reads may still see the server's FIN queued behind unread data, so count
    # from the server, not the clients). The normal client runs through all of it.
    opened = time.time()
    deadline, open_fds = opened + 30, None
    while time.time() < deadline:
        for s in slow[:500:10]:
            try:
                s.send(b"X")
            except OSError:
                pass
        open_fds = len(os.listdir(f"/proc/{proc.pid}/fd"))
        if open_fds < baseline_fds + 10:
            break
        time.sleep(0.2)
    window = time.time() - opened
    normal.stop.set()
    normal.join(timeout=15)
    check("slow: slow connections closed at their timeouts", open_fds < baseline_fds + 10 and window < 15,
          f"server has {open_fds} descriptors open after {window:.1f} s, {baseline_fds} before the slow clients")
    for kind, samples in normal.latencies.items():
        p99 = normal.p99(kind)
        check(f"slow: normal client {kind} p99 {p99:.1f} ms over {len(samples)} answers in the {window:.1f} s the slow connections were open",
              p99 < 100 and len(samples) >= 20)
    check("slow: every normal request answered 2xx", not normal.failures,
          f"{len(normal.failures)} failures, e.g. {normal.failures[:5]}" if normal.failures else "")
    for s in slow:
        s.close()
    # Flood beyond the connection limit.
    flood = []
    refused = 0
    for _ in range(flood_size):
        try:
            flood.append(socket.create_connection(("127.0.0.1", port), timeout=2))
        except OSError:
            refused += 1
    answered_503 = 0
    for s in flood[-150:]:
        try:
            s.settimeout(2)
            if s.recv(64).startswith(b"HTTP/1.1 503"):
                answered_503 += 1
        except OSError:
            pass
    # While the flood holds every slot: the process is still there and a newcomer still gets an HTTP answer.
    try:
        during = request(port, "GET", "/healthz")[0]
    except OSError as error:
        during = str(error)
    alive = proc.poll() is None and during in (200, 503)
    for s in flood:
        s.close()
    check(f"slow: the flood got past --max-connections ({len(flood)} connected of {flood_size}, limit {max_connections})",
          len(flood) > max_connections, f"{refused} refused by the client side")
    check("slow: alive while flooded (a new request is answered, 200 or 503)", alive, f"answer {during}, exit {proc.poll()}")
    status = None
    deadline = time.time() + 15
    while time.time() < deadline and status != 200:
        try:
            status = request(port, "GET", "/healthz")[0]
        except OSError:
            time.sleep(0.1)
    check("slow: connections beyond the limit get 503", answered_503 >= 100, f"{answered_503} of the last 150 got 503, {refused} refused")
    check("slow: server healthy after the flood", status == 200 and proc.poll() is None)
    proc.send_signal(signal.SIGTERM)
    check("slow: clean exit", proc.wait(timeout=15) == 0)


def diskfull_test():
    """The database on a 4 MiB tmpfs in a private mount namespace, with a filler file taking most of it.
    Fill it, expect 503 storage_full, free the filler (space returns), expect recovery, stop the server,
    and check from inside the namespace that every acknowledged row is intact."""
    if subprocess.run(["unshare", "-rm", "true"], capture_output=True).returncode != 0:
        check("diskfull: unshare -rm available", False, "user namespaces unavailable")
        return
    work = tempfile.mkdtemp(prefix="hearken-full-")
    mount = os.path.join(work, "mnt")
    os.makedirs(mount)
    port = free_port()
    control, report = os.path.join(work, "free-space"), os.path.join(work, "report.json")
    freed = os.path.join(work, "space-freed")  # the filler is gone: only then has space returned
    db = os.path.join(mount, "h.db")
    verify_script = os.path.join(work, "verify.py")
    with open(verify_script, "w") as out:
        out.write(f"""import json, sqlite3, sys
sys.path.insert(0, {os.path.dirname(os.path.abspath(__file__))!r})
import consistency
c = sqlite3.connect({db!r})
json.dump({{"ids": [r[0] for r in c.execute("SELECT id FROM feedback")],
           "integrity": c.execute("PRAGMA integrity_check").fetchone()[0],
           "derived": consistency.problems(c), "summary": consistency.summary(c),
           "queued": consistency.queued_for_index(c)}}, open({report!r}, "w"))
""")
    script = f"""
mount -t tmpfs -o size=4m tmpfs {mount} || exit 1
head -c 2500000 /dev/zero > {mount}/filler
( while [ ! -e {control} ]; do sleep 0.1; done; rm -f {mount}/filler; touch {freed} ) &
"$@" & server=$!
trap 'kill -TERM $server' TERM
wait $server; wait $server; status=$?
python3 {verify_script}
exit $status
"""
    proc = subprocess.Popen(["unshare", "-rm", "sh", "-c", script, "sh", BIN, "serve", "--port", str(port),
                             "--db", db, "--log-level", "critical", "--rate-limit", "0", "--duplicate-window", "0"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.time() + 15
    while time.time() < deadline:
        try:
            if request(port, "GET", "/healthz")[0] == 200:
                break
        except OSError:
            time.sleep(0.05)
    acked, full, other = [], 0, 0
    for i in range(3000):
        comment = f"disk full row {i} " + "x" * 3900  # large, so the disk fills; distinct words, so the index check has content
        status, body = request(port, "POST", "/v1/feedback", {"page": f"/p{i}", "rating": "down", "comment": comment})
        if status == 201:
            acked.append(json.loads(body)["id"])
        elif status == 503 and b"storage_full" in body:
            full += 1
            if full >= 5:
                break
        else:
            other += 1
    check("diskfull: ingestion answers 503 storage_full when the disk fills", full >= 5 and other == 0,
          f"{len(acked)} stored, {full} full, {other} other")
    check("diskfull: server stays up while full", request(port, "GET", "/healthz")[0] == 200 and proc.poll() is None)
    open(control, "w").close()  # space returns
    # Wait until the filler is really gone: a small row can still fit while the disk is full, and the
    # final fold (and the check after it) needs the space back.
    for _ in range(100):
        if os.path.exists(freed):
            break
        time.sleep(0.05)
    recovered = False
    for _ in range(30):
        status, body = request(port, "POST", "/v1/feedback", {"page": "/after", "rating": "up"})
        if status == 201:
            acked.append(json.loads(body)["id"])
            recovered = True
            break
        time.sleep(0.2)
    check("diskfull: ingestion recovers by itself when space returns", recovered)
    proc.send_signal(signal.SIGTERM)
    code = proc.wait(timeout=30)
    state = json.load(open(report)) if os.path.exists(report) else {"ids": [], "integrity": "no report"}
    missing = set(acked) - set(state["ids"])
    check("diskfull: every acknowledged row intact, integrity ok, exit 0",
          not missing and state["integrity"] == "ok" and code == 0,
          f"{len(missing)} missing, integrity {state['integrity']}, exit {code}")
    check("diskfull: rollups and search index equal a recomputation from the rows, nothing left queued",
          "derived" in state and not state["derived"] and state.get("queued") == 0,
          "; ".join(state.get("derived", ["no report"])) or f"{state.get('summary')}, {state.get('queued')} queued")


def signal_test(rounds=30):
    """SIGTERM the moment the server says it listens, with two busy processes on the machine.
    A regression: the Dispatch signal source used before registered asynchronously, and such a
    SIGTERM was lost (the server ran on) in 1 of 2 startups under this load."""
    work = tempfile.mkdtemp(prefix="hearken-signal-")
    load = [subprocess.Popen(["/bin/sh", "-c", "while :; do :; done"]) for _ in range(2)]
    hung, failed, unseen = 0, [], []
    try:
        for round_number in range(rounds):
            proc = subprocess.Popen([BIN, "serve", "--port", "0", "--db", os.path.join(work, f"s{round_number}.db")],
                                    stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
            out, deadline = b"", time.time() + 20
            while b"listening" not in out and time.time() < deadline:
                ready, _, _ = select.select([proc.stdout], [], [], 0.5)
                if ready:
                    chunk = os.read(proc.stdout.fileno(), 4096)
                    if not chunk:
                        break
                    out += chunk
            if b"listening" not in out:
                unseen.append(round_number)
            proc.send_signal(signal.SIGTERM)
            try:
                code = proc.wait(timeout=10)
                if code != 0:
                    failed.append((round_number, code))
            except subprocess.TimeoutExpired:
                hung += 1
                proc.kill()
                proc.wait()
                break
    finally:
        for busy in load:
            busy.kill()
            busy.wait()
        shutil.rmtree(work, ignore_errors=True)
    check(f"signal: SIGTERM right after 'listening' on a busy machine stops the server with exit 0 ({rounds} rounds)",
          hung == 0 and not failed and not unseen and rounds > 0,
          f"{hung} hung, nonzero exits {failed}, 'listening' not seen before SIGTERM in rounds {unseen}")


def main():
    which = sys.argv[1:] or ["crash", "slow", "diskfull", "signal"]
    if "crash" in which:
        crash_test(int(os.environ.get("ROUNDS", "20")))
    if "slow" in which:
        slow_test()
    if "diskfull" in which:
        diskfull_test()
    if "signal" in which:
        signal_test()
    passed = sum(results)
    print(f"{passed} passed, {len(results) - passed} failed")
    sys.exit(0 if passed == len(results) else 1)


if __name__ == "__main__":
    main()
