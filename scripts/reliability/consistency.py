"""Derived data checked against the feedback rows it is derived from (used by run.py; importable by
any script that opens a Hearken database with Python's sqlite3).

    import consistency
    problems = consistency.problems(sqlite3.connect(path))   # [] when everything agrees

rollup_differences(): every rollup table compared, row by row, with a recomputation from `feedback`
(and `feedback_labels`); spam is left out, as the rollups leave it out. Rows whose counts are all
zero are treated as absent (a rollup may keep an emptied group).
search_index_differences(): the FTS5 index read through fts5vocab (what is really indexed, not the
external content table it points at) compared word by word with the comments of the rows, plus
FTS5's own structural integrity check.
"""
import re
import sqlite3


def _folded_view(conn):
    """Rows are folded into rollups and the search index behind a watermark (server_state
    'derived_through', Sources/Feedback/DerivedData.swift): only rows at or below it are derived yet."""
    conn.execute("""CREATE TEMP VIEW IF NOT EXISTS folded_feedback AS SELECT * FROM main.feedback
                    WHERE id <= (SELECT coalesce(max(CAST(value AS INTEGER)), 0) FROM main.server_state WHERE name = 'derived_through')""")

# name -> (stored, recomputed): both SELECT the same key columns first, then the same value columns.
# The recomputations are the ones migrations/0002_query_api.sql used to fill the tables.
ROLLUPS = {
    "rollup_page_daily": (
        """SELECT p.page_key, r.day, r.up, r.down, r.comments, r.down_comments, r.first_at, r.last_at
           FROM rollup_page_daily r JOIN pages p ON p.id = r.page_id""",
        """SELECT page_key, received_at / 86400000, sum(rating = 'up'), sum(rating = 'down'), sum(comment IS NOT NULL),
                  sum(rating = 'down' AND comment IS NOT NULL), min(received_at), max(received_at)
           FROM folded_feedback WHERE status <> 'spam' GROUP BY 1, 2""",
        2),
    "rollup_daily": (
        "SELECT day, page_key, source, up, down, comments, down_comments, first_at, last_at FROM rollup_daily",
        """SELECT received_at / 86400000, page_key, source, sum(rating = 'up'), sum(rating = 'down'), sum(comment IS NOT NULL),
                  sum(rating = 'down' AND comment IS NOT NULL), min(received_at), max(received_at)
           FROM folded_feedback WHERE status <> 'spam' GROUP BY 1, 2, 3""",
        3),
    "rollup_label_daily": (
        "SELECT key, value, day, page_key, source, up, down, comments, down_comments, first_at, last_at FROM rollup_label_daily",
        """SELECT l.key, l.value, f.received_at / 86400000, f.page_key, f.source, sum(f.rating = 'up'), sum(f.rating = 'down'),
                  sum(f.comment IS NOT NULL), sum(f.rating = 'down' AND f.comment IS NOT NULL), min(f.received_at), max(f.received_at)
           FROM folded_feedback f JOIN feedback_labels l ON l.feedback_id = f.id WHERE f.status <> 'spam' GROUP BY 1, 2, 3, 4, 5""",
        5),
    "rollup_label_total": (
        "SELECT key, value, page_key, source, up, down, comments, down_comments, first_at, last_at FROM rollup_label_total",
        """SELECT l.key, l.value, f.page_key, f.source, sum(f.rating = 'up'), sum(f.rating = 'down'),
                  sum(f.comment IS NOT NULL), sum(f.rating = 'down' AND f.comment IS NOT NULL), min(f.received_at), max(f.received_at)
           FROM folded_feedback f JOIN feedback_labels l ON l.feedback_id = f.id WHERE f.status <> 'spam' GROUP BY 1, 2, 3, 4""",
        4),
    "rollup_page_total": (
        "SELECT page_key, source, up, down, comments, down_comments, first_at, last_at FROM rollup_page_total",
        """SELECT page_key, source, sum(rating = 'up'), sum(rating = 'down'), sum(comment IS NOT NULL),
                  sum(rating = 'down' AND comment IS NOT NULL), min(received_at), max(received_at)
           FROM folded_feedback WHERE status <> 'spam' GROUP BY 1, 2""",
        2),
    "rollup_reason_daily": (
        "SELECT day, source, reason, up, down, comments FROM rollup_reason_daily",
        """SELECT received_at / 86400000, source, coalesce(reason, ''), sum(rating = 'up'), sum(rating = 'down'), sum(comment IS NOT NULL)
           FROM folded_feedback WHERE status <> 'spam' GROUP BY 1, 2, 3""",
        3),
    "rollup_hourly": (
        "SELECT hour, source, up, down, comments FROM rollup_hourly",
        """SELECT received_at / 3600000, source, sum(rating = 'up'), sum(rating = 'down'), sum(comment IS NOT NULL)
           FROM folded_feedback WHERE status <> 'spam' GROUP BY 1, 2""",
        2),
    "rollup_page_hourly": (
        """SELECT p.page_key, r.hour, r.up, r.down, r.comments FROM rollup_page_hourly r JOIN pages p ON p.id = r.page_id""",
        """SELECT page_key, received_at / 3600000, sum(rating = 'up'), sum(rating = 'down'), sum(comment IS NOT NULL)
           FROM folded_feedback WHERE status <> 'spam' GROUP BY 1, 2""",
        2),
}

# Columns that are counts (all zero: an emptied group); the rest after the key are times.
COUNT_COLUMNS = 4


def _keyed(rows, key_count, ignore_times):
    out = {}
    for row in rows:
        key, values = tuple(row[:key_count]), tuple(row[key_count:])
        counts = values[:COUNT_COLUMNS]
        if all(v == 0 for v in counts):
            continue
        out[key] = counts if ignore_times else values
    return out


def rollup_differences(conn, ignore_times=False, limit=5):
    """{table: [(key, stored, recomputed), ...]} for every rollup that disagrees with the rows (at most
    `limit` examples per table), and the number of rows compared under the key "_compared".
    `ignore_times` skips first_at/last_at (for callers whose deletions leave them approximate)."""
    _folded_view(conn)
    differences, compared = {}, 0
    for table, (stored_sql, expected_sql, key_count) in ROLLUPS.items():
        stored = _keyed(conn.execute(stored_sql), key_count, ignore_times)
        expected = _keyed(conn.execute(expected_sql), key_count, ignore_times)
        compared += len(expected)
        wrong = [(key, stored.get(key), expected.get(key)) for key in sorted(set(stored) | set(expected), key=repr)
                 if stored.get(key) != expected.get(key)]
        if wrong:
            differences[table] = wrong[:limit] + ([("…", f"{len(wrong)} keys differ", None)] if len(wrong) > limit else [])
    # Every page has its integer id.
    unmapped = conn.execute("SELECT count(DISTINCT page_key) FROM folded_feedback WHERE page_key NOT IN (SELECT page_key FROM pages)").fetchone()[0]
    if unmapped:
        differences["pages"] = [("page_key", f"{unmapped} pages without an id", None)]
    differences["_compared"] = compared
    return differences


def _words(text):
    return re.findall(r"[0-9a-z]+", text.lower())


def search_index_differences(conn, limit=5):
    """Problems with the search index: rows whose comment is not indexed (or indexed wrongly), index
    entries without a commented row, and FTS5's own integrity check. [] when it is right.
    Rows above the fold's watermark are not expected in the index yet; they are reported
    apart by `queued_for_index`."""
    _folded_view(conn)
    problems = []
    comments = {row[0]: row[1] for row in conn.execute("SELECT id, comment FROM folded_feedback WHERE comment IS NOT NULL")}
    pending = {row[0] for row in conn.execute("SELECT id FROM feedback WHERE comment IS NOT NULL EXCEPT SELECT id FROM folded_feedback")}
    conn.execute("CREATE VIRTUAL TABLE IF NOT EXISTS temp.hearken_fts_instances USING fts5vocab(main, feedback_fts, instance)")
    indexed = {}
    for doc, term in conn.execute("SELECT doc, term FROM temp.hearken_fts_instances ORDER BY doc, offset"):
        indexed.setdefault(doc, []).append(term)
    conn.execute("DROP TABLE temp.hearken_fts_instances")
    expected_docs = set(comments) - pending
    missing = sorted(expected_docs - set(indexed))
    stray = sorted(set(indexed) - expected_docs)
    if missing:
        problems.append(f"{len(missing)} commented rows not in the index (e.g. {missing[:limit]})")
    if stray:
        problems.append(f"{len(stray)} index entries for rows without that comment or queued (e.g. {stray[:limit]})")
    wrong = []
    for doc in sorted(expected_docs & set(indexed)):
        text = comments[doc]
        if text.isascii():
            if indexed[doc] != _words(text):
                wrong.append(doc)
        elif not all(term in text.lower() for term in indexed[doc] if term.isascii()):
            wrong.append(doc)
    if wrong:
        problems.append(f"{len(wrong)} rows indexed with other words than their comment (e.g. {wrong[:limit]})")
    # FTS5's own check of the index's structure. Not its content check (rank 1): that expects every
    # row of the content table indexed, and rows without a comment are left out by design.
    try:
        conn.execute("INSERT INTO feedback_fts(feedback_fts) VALUES ('integrity-check')")
    except sqlite3.DatabaseError as error:
        problems.append(f"FTS5 integrity-check: {error}")
    conn.rollback()
    return problems


def queued_for_index(conn):
    """Rows not folded yet (above the watermark): 0 once the server has folded everything."""
    _folded_view(conn)
    return conn.execute("SELECT (SELECT count(*) FROM main.feedback) - (SELECT count(*) FROM folded_feedback)").fetchone()[0]


def problems(conn, ignore_times=False):
    """Every disagreement as a line of text; [] when rollups and the search index match the rows."""
    out = []
    differences = rollup_differences(conn, ignore_times=ignore_times)
    differences.pop("_compared", None)
    for table, examples in differences.items():
        out.append(f"{table} differs from a recomputation: " + "; ".join(f"{k}: stored {s}, rows say {e}" for k, s, e in examples))
    out += search_index_differences(conn)
    return out


def summary(conn):
    """A short description of what was compared, for a PASS line."""
    compared = rollup_differences(conn).get("_compared", 0)
    commented = conn.execute("SELECT count(*) FROM feedback WHERE comment IS NOT NULL").fetchone()[0]
    return f"{compared} rollup groups and {commented} indexed comments compared"


if __name__ == "__main__":
    import sys
    connection = sqlite3.connect(sys.argv[1])
    found = problems(connection)
    print("\n".join(found) if found else "consistent: " + summary(connection))
    sys.exit(1 if found else 0)
