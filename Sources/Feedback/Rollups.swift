import SQLite

/// Keeps `rollup_daily` and `rollup_hourly` equal to the non-spam feedback they summarize.
/// Called inside the writer's transactions, so rollups and rows commit together.
enum Rollups {
    static let dayMilliseconds: Int64 = 86_400_000
    static let hourMilliseconds: Int64 = 3_600_000

    /// Adds one new row's vote to its rollup groups.
    static func add(receivedAt: Int64, pageKey: String, source: String, reason: String?, rating: Rating, hasComment: Bool, connection: Connection) throws {
        let up = rating == .up ? 1 : 0, down = rating == .down ? 1 : 0, comments = hasComment ? 1 : 0
        try connection.run(
            """
            INSERT INTO rollup_daily(day, page_key, source, reason, up, down, comments, down_comments, first_at, last_at)
            VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
            ON CONFLICT(day, page_key, source, reason) DO UPDATE SET
                up = up + excluded.up, down = down + excluded.down, comments = comments + excluded.comments,
                down_comments = down_comments + excluded.down_comments,
                first_at = min(first_at, excluded.first_at), last_at = max(last_at, excluded.last_at)
            """,
            [receivedAt / dayMilliseconds, pageKey, source, reason ?? "", up, down, comments, down * comments, receivedAt, receivedAt]
        )
        try connection.run(
            """
            INSERT INTO rollup_hourly(hour, source, up, down, comments) VALUES (?, ?, ?, ?, ?)
            ON CONFLICT(hour, source) DO UPDATE SET
                up = up + excluded.up, down = down + excluded.down, comments = comments + excluded.comments
            """,
            [receivedAt / hourMilliseconds, source, up, down, comments]
        )
    }

    /// Rebuilds the groups a changed or deleted row belongs to from the rows themselves.
    static func recompute(receivedAt: Int64, pageKey: String, source: String, reason: String?, connection: Connection) throws {
        let day = receivedAt / dayMilliseconds, hour = receivedAt / hourMilliseconds
        let reasonKey = reason ?? ""
        try connection.run("DELETE FROM rollup_daily WHERE day = ? AND page_key = ? AND source = ? AND reason = ?", [day, pageKey, source, reasonKey])
        try connection.run(
            """
            INSERT INTO rollup_daily(day, page_key, source, reason, up, down, comments, down_comments, first_at, last_at)
            SELECT ?, page_key, source, coalesce(reason, ''), sum(rating = 'up'), sum(rating = 'down'), sum(comment IS NOT NULL),
                   sum(rating = 'down' AND comment IS NOT NULL), min(received_at), max(received_at)
            FROM feedback
            WHERE page_key = ? AND received_at >= ? AND received_at < ? AND source = ? AND coalesce(reason, '') = ? AND status <> 'spam'
            GROUP BY page_key, source, coalesce(reason, '')
            """,
            [day, pageKey, day * dayMilliseconds, (day + 1) * dayMilliseconds, source, reasonKey]
        )
        try connection.run("DELETE FROM rollup_hourly WHERE hour = ? AND source = ?", [hour, source])
        try connection.run(
            """
            INSERT INTO rollup_hourly(hour, source, up, down, comments)
            SELECT ?, source, sum(rating = 'up'), sum(rating = 'down'), sum(comment IS NOT NULL)
            FROM feedback WHERE received_at >= ? AND received_at < ? AND source = ? AND status <> 'spam'
            GROUP BY source
            """,
            [hour, hour * hourMilliseconds, (hour + 1) * hourMilliseconds, source]
        )
    }
}
