import SQLite

/// Keeps the rollup tables equal to the non-spam feedback they summarize.
/// New rows are counted through `RollupBatch`; changed or erased rows rebuild their groups here.
/// Both run inside the writer's transactions, so rollups and rows commit together.
enum Rollups {
    static let dayMilliseconds: Int64 = 86_400_000
    static let hourMilliseconds: Int64 = 3_600_000

    /// The columns each counting rollup sums, as an expression over `feedback` rows.
    private static let counts = """
        sum(rating = 'up'), sum(rating = 'down'), sum(comment IS NOT NULL), sum(rating = 'down' AND comment IS NOT NULL),
        min(received_at), max(received_at)
        """

    /// The page's id in `pages`, created on first sight.
    static func pageID(_ pageKey: String, connection: Connection) throws -> Int64 {
        if let id = try connection.first("SELECT id FROM pages WHERE page_key = ?", [pageKey], { $0.int64(0) }) { return id }
        try connection.run("INSERT INTO pages(page_key) VALUES (?)", [pageKey])
        return connection.lastInsertRowID
    }

    /// Rebuilds the groups a changed or deleted row belongs to from the rows themselves.
    static func recompute(receivedAt: Int64, pageKey: String, source: String, reason: String?, labels: [String: String], connection: Connection) throws {
        let day = receivedAt / dayMilliseconds, hour = receivedAt / hourMilliseconds
        let dayStart = day * dayMilliseconds, dayEnd = dayStart + dayMilliseconds
        let pageID = try pageID(pageKey, connection: connection)
        try connection.run("DELETE FROM rollup_page_daily WHERE page_id = ? AND day = ?", [pageID, day])
        try connection.run(
            """
            INSERT INTO rollup_page_daily(page_id, day, up, down, comments, down_comments, first_at, last_at)
            SELECT ?, ?, \(counts) FROM feedback
            WHERE page_key = ? AND received_at >= ? AND received_at < ? AND status <> 'spam' GROUP BY page_key
            """,
            [pageID, day, pageKey, dayStart, dayEnd]
        )
        try connection.run("DELETE FROM rollup_daily WHERE day = ? AND page_key = ? AND source = ?", [day, pageKey, source])
        try connection.run(
            """
            INSERT INTO rollup_daily(day, page_key, source, up, down, comments, down_comments, first_at, last_at)
            SELECT ?, page_key, source, \(counts) FROM feedback
            WHERE page_key = ? AND received_at >= ? AND received_at < ? AND source = ? AND status <> 'spam' GROUP BY page_key, source
            """,
            [day, pageKey, dayStart, dayEnd, source]
        )
        for (key, value) in labels {
            let labelled = "AND id IN (SELECT feedback_id FROM feedback_labels WHERE key = ? AND value = ?)"
            try connection.run("DELETE FROM rollup_label_daily WHERE key = ? AND value = ? AND day = ? AND page_key = ? AND source = ?",
                               [key, value, day, pageKey, source])
            try connection.run(
                """
                INSERT INTO rollup_label_daily(key, value, day, page_key, source, up, down, comments, down_comments, first_at, last_at)
                SELECT ?, ?, ?, ?, ?, \(counts) FROM feedback
                WHERE page_key = ? AND received_at >= ? AND received_at < ? AND source = ? AND status <> 'spam' \(labelled)
                GROUP BY page_key
                """,
                [key, value, day, pageKey, source, pageKey, dayStart, dayEnd, source, key, value]
            )
            try connection.run("DELETE FROM rollup_label_total WHERE key = ? AND value = ? AND page_key = ? AND source = ?",
                               [key, value, pageKey, source])
            try connection.run(
                """
                INSERT INTO rollup_label_total(key, value, page_key, source, up, down, comments, down_comments, first_at, last_at)
                SELECT ?, ?, ?, ?, \(counts) FROM feedback
                WHERE page_key = ? AND source = ? AND status <> 'spam' \(labelled)
                GROUP BY page_key
                """,
                [key, value, pageKey, source, pageKey, source, key, value]
            )
        }
        try connection.run("DELETE FROM rollup_page_total WHERE page_key = ? AND source = ?", [pageKey, source])
        try connection.run(
            """
            INSERT INTO rollup_page_total(page_key, source, up, down, comments, down_comments, first_at, last_at)
            SELECT page_key, source, \(counts) FROM feedback
            WHERE page_key = ? AND source = ? AND status <> 'spam' GROUP BY page_key, source
            """,
            [pageKey, source]
        )
        try connection.run("DELETE FROM rollup_reason_daily WHERE day = ? AND source = ? AND reason = ?", [day, source, reason ?? ""])
        try connection.run(
            """
            INSERT INTO rollup_reason_daily(day, source, reason, up, down, comments)
            SELECT ?, source, coalesce(reason, ''), sum(rating = 'up'), sum(rating = 'down'), sum(comment IS NOT NULL) FROM feedback
            WHERE received_at >= ? AND received_at < ? AND source = ? AND coalesce(reason, '') = ? AND status <> 'spam' GROUP BY 1, 2, 3
            """,
            [day, dayStart, dayEnd, source, reason ?? ""]
        )
        try connection.run("DELETE FROM rollup_hourly WHERE hour = ? AND source = ?", [hour, source])
        try connection.run(
            """
            INSERT INTO rollup_hourly(hour, source, up, down, comments)
            SELECT ?, source, sum(rating = 'up'), sum(rating = 'down'), sum(comment IS NOT NULL) FROM feedback
            WHERE received_at >= ? AND received_at < ? AND source = ? AND status <> 'spam' GROUP BY source
            """,
            [hour, hour * hourMilliseconds, (hour + 1) * hourMilliseconds, source]
        )
    }
}
