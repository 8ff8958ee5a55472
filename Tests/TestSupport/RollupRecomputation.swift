/// Each PostgreSQL rollup beside the same figures recomputed from the rows (spam left out), for tests
/// that check the fold counted every stored vote exactly once: compare
/// `SELECT x::text FROM (rollup) x WHERE x.up <> 0 OR x.down <> 0 ORDER BY 1` (groups whose votes were all
/// taken away again count as absent) with `SELECT x::text FROM (rows) x ORDER BY 1`.
public enum RollupRecomputation {
    public static let checks: [(rollup: String, rows: String)] = [
        ("SELECT page_key, source, up, down, comments, down_comments, first_at, last_at FROM rollup_page_total",
         """
         SELECT page_key, source, count(*) FILTER (WHERE rating = 'up'), count(*) FILTER (WHERE rating = 'down'),
                count(comment), count(comment) FILTER (WHERE rating = 'down'), min(received_at), max(received_at)
         FROM feedback WHERE status <> 'spam' GROUP BY 1, 2
         """),
        ("SELECT day, page_key, source, up, down, comments FROM rollup_daily",
         """
         SELECT received_at / 86400000, page_key, source, count(*) FILTER (WHERE rating = 'up'), count(*) FILTER (WHERE rating = 'down'),
                count(comment) FROM feedback WHERE status <> 'spam' GROUP BY 1, 2, 3
         """),
        ("SELECT p.page_key, day, up, down, comments FROM rollup_page_daily JOIN pages p ON p.id = page_id",
         """
         SELECT page_key, received_at / 86400000, count(*) FILTER (WHERE rating = 'up'), count(*) FILTER (WHERE rating = 'down'),
                count(comment) FROM feedback WHERE status <> 'spam' GROUP BY 1, 2
         """),
        ("SELECT key, value, page_key, source, up, down, comments FROM rollup_label_total",
         """
         SELECT l.key, l.value, page_key, source, count(*) FILTER (WHERE rating = 'up'), count(*) FILTER (WHERE rating = 'down'),
                count(comment) FROM feedback JOIN feedback_labels l ON l.feedback_id = id WHERE status <> 'spam' GROUP BY 1, 2, 3, 4
         """),
        ("SELECT day, source, reason, up, down, comments FROM rollup_reason_daily",
         """
         SELECT received_at / 86400000, source, coalesce(reason, ''), count(*) FILTER (WHERE rating = 'up'),
                count(*) FILTER (WHERE rating = 'down'), count(comment) FROM feedback WHERE status <> 'spam' GROUP BY 1, 2, 3
         """),
        ("SELECT hour, source, up, down, comments FROM rollup_hourly",
         """
         SELECT received_at / 3600000, source, count(*) FILTER (WHERE rating = 'up'), count(*) FILTER (WHERE rating = 'down'),
                count(comment) FROM feedback WHERE status <> 'spam' GROUP BY 1, 2
         """),
        ("SELECT p.page_key, hour, up, down, comments FROM rollup_page_hourly JOIN pages p ON p.id = page_id",
         """
         SELECT page_key, received_at / 3600000, count(*) FILTER (WHERE rating = 'up'), count(*) FILTER (WHERE rating = 'down'),
                count(comment) FROM feedback WHERE status <> 'spam' GROUP BY 1, 2
         """),
    ]
}
