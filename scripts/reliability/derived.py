"""Recomputes every rollup table, the rows by page and the comment search index from the feedback rows and compares
them with what the server stored (used by run.py after each crash restart).

The server folds rows into rollups and the search index behind a watermark (server_state
'derived_through', see Sources/Feedback/DerivedData.swift); only rows at or below it are counted.
"""

# (rollup as stored, the same from the rows); spam is left out of every rollup.
CHECKS = [
    ("rollup_page_daily",
     "SELECT p.page_key, r.day, r.up, r.down, r.comments, r.down_comments, r.first_at, r.last_at FROM rollup_page_daily r JOIN pages p ON p.id = r.page_id ORDER BY 1, 2",
     "SELECT page_key, received_at / 86400000, sum(rating = 'up'), sum(rating = 'down'), sum(comment IS NOT NULL), sum(rating = 'down' AND comment IS NOT NULL), min(received_at), max(received_at) FROM feedback WHERE status <> 'spam' AND id <= :w GROUP BY 1, 2 ORDER BY 1, 2"),
    ("rollup_daily",
     "SELECT page_key, day, source, up, down, comments, down_comments, first_at, last_at FROM rollup_daily ORDER BY 1, 2, 3",
     "SELECT page_key, received_at / 86400000, source, sum(rating = 'up'), sum(rating = 'down'), sum(comment IS NOT NULL), sum(rating = 'down' AND comment IS NOT NULL), min(received_at), max(received_at) FROM feedback WHERE status <> 'spam' AND id <= :w GROUP BY 1, 2, 3 ORDER BY 1, 2, 3"),
    ("rollup_page_total",
     "SELECT page_key, source, up, down, comments, down_comments, first_at, last_at FROM rollup_page_total ORDER BY 1, 2",
     "SELECT page_key, source, sum(rating = 'up'), sum(rating = 'down'), sum(comment IS NOT NULL), sum(rating = 'down' AND comment IS NOT NULL), min(received_at), max(received_at) FROM feedback WHERE status <> 'spam' AND id <= :w GROUP BY 1, 2 ORDER BY 1, 2"),
    ("rollup_reason_daily",
     "SELECT day, source, reason, up, down, comments FROM rollup_reason_daily ORDER BY 1, 2, 3",
     "SELECT received_at / 86400000, source, coalesce(reason, ''), sum(rating = 'up'), sum(rating = 'down'), sum(comment IS NOT NULL) FROM feedback WHERE status <> 'spam' AND id <= :w GROUP BY 1, 2, 3 ORDER BY 1, 2, 3"),
    ("rollup_label_total",
     "SELECT key, value, page_key, source, up, down, comments, down_comments, first_at, last_at FROM rollup_label_total ORDER BY 1, 2, 3, 4",
     "SELECT l.key, l.value, f.page_key, f.source, sum(f.rating = 'up'), sum(f.rating = 'down'), sum(f.comment IS NOT NULL), sum(f.rating = 'down' AND f.comment IS NOT NULL), min(f.received_at), max(f.received_at) FROM feedback f JOIN feedback_labels l ON l.feedback_id = f.id WHERE f.status <> 'spam' AND f.id <= :w GROUP BY 1, 2, 3, 4 ORDER BY 1, 2, 3, 4"),
    ("rollup_label_daily",
     "SELECT key, value, page_key, day, source, up, down, comments, down_comments, first_at, last_at FROM rollup_label_daily ORDER BY 1, 2, 3, 4, 5",
     "SELECT l.key, l.value, f.page_key, f.received_at / 86400000, f.source, sum(f.rating = 'up'), sum(f.rating = 'down'), sum(f.comment IS NOT NULL), sum(f.rating = 'down' AND f.comment IS NOT NULL), min(f.received_at), max(f.received_at) FROM feedback f JOIN feedback_labels l ON l.feedback_id = f.id WHERE f.status <> 'spam' AND f.id <= :w GROUP BY 1, 2, 3, 4, 5 ORDER BY 1, 2, 3, 4, 5"),
    # Not rollups, but derived the same way (migrations/0009): every folded row under its page, spam
    # too, and the non-spam negative votes with a reason.
    ("feedback_page_rows",
     "SELECT p.page_key, r.feedback_id FROM feedback_page_rows r JOIN pages p ON p.id = r.page_id ORDER BY 1, 2",
     "SELECT page_key, id FROM feedback WHERE id <= :w ORDER BY 1, 2"),
    ("feedback_down_reasons",
     "SELECT p.page_key, r.received_at, r.feedback_id, r.reason, r.source FROM feedback_down_reasons r JOIN pages p ON p.id = r.page_id ORDER BY 1, 2, 3",
     "SELECT page_key, received_at, id, reason, source FROM feedback WHERE rating = 'down' AND reason IS NOT NULL AND status <> 'spam' AND id <= :w ORDER BY 1, 2, 3"),
    ("rollup_hourly",
     "SELECT hour, source, up, down, comments FROM rollup_hourly ORDER BY 1, 2",
     "SELECT received_at / 3600000, source, sum(rating = 'up'), sum(rating = 'down'), sum(comment IS NOT NULL) FROM feedback WHERE status <> 'spam' AND id <= :w GROUP BY 1, 2 ORDER BY 1, 2"),
    ("rollup_page_hourly",
     "SELECT p.page_key, r.hour, r.up, r.down, r.comments FROM rollup_page_hourly r JOIN pages p ON p.id = r.page_id ORDER BY 1, 2",
     "SELECT page_key, received_at / 3600000, sum(rating = 'up'), sum(rating = 'down'), sum(comment IS NOT NULL) FROM feedback WHERE status <> 'spam' AND id <= :w GROUP BY 1, 2 ORDER BY 1, 2"),
]


def watermark(conn):
    row = conn.execute("SELECT value FROM server_state WHERE name = 'derived_through'").fetchone()
    return row[0] if row else 0


def problems(conn):
    """Differences between the derived data and a recomputation from the rows (empty: consistent).
    Runs in one read transaction so the server's folds cannot move the watermark meanwhile."""
    found = []
    conn.execute("BEGIN")
    try:
        w = watermark(conn)
        for name, stored_sql, rows_sql in CHECKS:
            stored = conn.execute(stored_sql).fetchall()
            expected = conn.execute(rows_sql, {"w": w}).fetchall()
            if stored != expected:
                extra = len(set(stored) - set(expected))
                lacking = len(set(expected) - set(stored))
                found.append(f"{name}: {extra} stored groups differ from the rows, {lacking} groups from the rows missing or different")
        indexed = {r[0] for r in conn.execute("SELECT id FROM feedback_fts_docsize")}
        commented = {r[0] for r in conn.execute("SELECT id FROM feedback WHERE comment IS NOT NULL AND id <= ?", (w,))}
        if indexed != commented:
            found.append(f"search index: {len(indexed - commented)} entries without a folded comment, {len(commented - indexed)} folded comments not indexed")
    finally:
        conn.execute("COMMIT")
    return found, w
