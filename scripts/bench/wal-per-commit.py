"""WAL frames per 18-row commit of POST-like rows into a 100,000-row Hearken database, then with
feedback_status (before migration 0010 made it partial) and feedback_received_at dropped in turn (what each
index costs the row transaction; dropping leaves freed pages, which the later counts pay for: for exact
per-index figures start each variant from a fresh database, as docs/benchmarks.md's r4-fold section did).
usage: hearken migrate --db /tmp/w.db && python3 scripts/bench/wal-per-commit.py /tmp/w.db  (changes that database)"""
import sqlite3, os, random, sys
db = sys.argv[1]
c = sqlite3.connect(db, isolation_level=None)
c.execute("PRAGMA journal_mode=WAL"); c.execute("PRAGMA wal_autocheckpoint=0"); c.execute("PRAGMA synchronous=FULL")
pages = ["/docs/%s/%s" % (s, t) for s in ["api","guides","reference","cli","sdk","faq","billing","security","deploy","errors"] for t in ["auth","overview","limits","examples","troubleshooting"]]
def batch(n, t0):
    c.execute("BEGIN IMMEDIATE")
    for i in range(n):
        p = random.choice(pages)
        c.execute("INSERT INTO feedback(received_at, page, page_key, rating, reason, comment, source, client_hash, user_agent) VALUES (?,?,?,?,?,?,?,?,?)",
                  (t0 + i, "http://localhost" + p, "localhost" + p, random.choice(["up","down"]), "outdated", "The example token has expired.", "docs", "%064x" % random.getrandbits(256), None))
    c.execute("COMMIT")
t = 1764500000000
for k in range(5000): batch(20, t + k * 20)   # 100k rows
c.execute("PRAGMA wal_checkpoint(TRUNCATE)")
def frames(n=200):
    before = os.path.getsize(db + "-wal")
    for k in range(n): batch(18, t + 10**8 + k * 18)
    after = os.path.getsize(db + "-wal")
    return (after - before) / (4096 + 24) / n
print("frames per 18-row commit:", frames())
for drop in ["DROP INDEX IF EXISTS feedback_status", "DROP INDEX feedback_received_at"]:
    c.execute(drop); c.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    print("after", drop, frames())
