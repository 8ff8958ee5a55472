import SQLite

/// Keeps the rollup tables equal to the non-spam folded feedback they summarize.
/// New rows are counted by the fold (`DerivedData`, through `RollupBatch`); changed or erased rows
/// rebuild their groups here, from folded rows only (id at or below the watermark), in the same
/// transaction as the change.
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

    /// One label's all-time total for a page and source, from its daily rows. INDEXED BY: SQLite
    /// otherwise walks the primary key (key, value, day, …) over every day and page with this label
    /// (13 ms of a 19 ms delete at 1M rows) instead of this page's few rows.
    static let labelTotalFromDaily = """
        SELECT key, value, page_key, source, sum(up), sum(down), sum(comments), sum(down_comments), min(first_at), max(last_at)
        FROM rollup_label_daily INDEXED BY rollup_label_daily_page
        WHERE key = ? AND value = ? AND page_key = ? AND source = ? GROUP BY key, value, page_key, source
        """

    /// A WHERE condition for one page's rows on one day (binding page key, day start, day end) that
    /// reads through whichever index holds fewer rows to visit: the page's rows (every day it has,
    /// `feedback_page_rows`, which holds every folded row, the only ones a rebuild counts) or the
    /// day's (every page). Rollup counts stand in for row counts; a unary `+` keeps SQLite off the
    /// other index. Through the day alone, a delete at 1M rows over 90 days read about 11,000 rows.
    static func pageDayRows(pageKey: String, day: Int64, connection: Connection) throws -> (from: String, rows: String) {
        let pageVotes = try connection.first("SELECT coalesce(sum(up + down), 0) FROM rollup_page_total WHERE page_key = ?", [pageKey]) {
            $0.int64(0)
        } ?? 0
        let hours = day * (dayMilliseconds / hourMilliseconds)
        let dayVotes = try connection.first("SELECT coalesce(sum(up + down), 0) FROM rollup_hourly WHERE hour >= ? AND hour < ?", [hours, hours + 24]) {
            $0.int64(0)
        } ?? 0
        return pageVotes < dayVotes
            ? (FeedbackFilter.pageRowsJoin, "\(FeedbackFilter.pageCondition) AND +received_at >= ? AND +received_at < ?")
            : ("feedback", "+page_key = ? AND received_at >= ? AND received_at < ?")
    }

    /// Counts changes to already folded rows, in their transaction, and names the page of the last
    /// `editedPages` of them: edit number n in `rollup_edit:(n % editedPages)`. Insights keep each page's
    /// tests between evaluations and test again only the pages of newly folded rows and of the edits
    /// counted since (`InsightPages`): every change to a folded row's rollups must come through here.
    static let editsName = "rollup_edits", editedPages: Int64 = 64

    static func noteEdit(page: Int64, _ connection: Connection) throws {
        try connection.run("INSERT INTO server_state(name, value) VALUES ('\(editsName)', 1) ON CONFLICT(name) DO UPDATE SET value = value + 1")
        try connection.run("""
            INSERT OR REPLACE INTO server_state(name, value)
            SELECT 'rollup_edit:' || (value % \(editedPages)), ? FROM server_state WHERE name = '\(editsName)'
            """, [page])
    }

    /// Rebuilds the groups a changed or deleted row belongs to from the folded rows themselves. A row
    /// above the watermark is in no rollup yet, and the fold will count it as it is then: nothing to do.
    /// `included`: whether the row now counts (it left spam) or not (it became spam, or is erased).
    /// Day-level groups are rebuilt from the page's rows on that day (see `pageDayRows`); all-time
    /// totals from the daily rollups; count-only groups are adjusted by the row itself.
    static func recompute(id: Int64, receivedAt: Int64, pageKey: String, source: String, reason: String?, rating: String, hasComment: Bool,
                          labels: [String: String], included: Bool, connection: Connection) throws {
        let folded = try DerivedData.watermark(connection)
        guard id <= folded else { return }
        let day = receivedAt / dayMilliseconds, hour = receivedAt / hourMilliseconds
        let dayStart = day * dayMilliseconds, dayEnd = dayStart + dayMilliseconds
        let pageID = try pageID(pageKey, connection: connection)
        try noteEdit(page: pageID, connection)
        let (from, rows) = try pageDayRows(pageKey: pageKey, day: day, connection: connection)
        try connection.run("DELETE FROM rollup_page_daily WHERE page_id = ? AND day = ?", [pageID, day])
        try connection.run(
            """
            INSERT INTO rollup_page_daily(page_id, day, up, down, comments, down_comments, first_at, last_at)
            SELECT ?, ?, \(counts) FROM \(from)
            WHERE \(rows) AND +id <= ? AND status <> 'spam' GROUP BY page_key
            """,
            [pageID, day, pageKey, dayStart, dayEnd, folded]
        )
        try connection.run("DELETE FROM rollup_daily WHERE day = ? AND page_key = ? AND source = ?", [day, pageKey, source])
        try connection.run(
            """
            INSERT INTO rollup_daily(day, page_key, source, up, down, comments, down_comments, first_at, last_at)
            SELECT ?, page_key, source, \(counts) FROM \(from)
            WHERE \(rows) AND +id <= ? AND source = ? AND status <> 'spam' GROUP BY page_key, source
            """,
            [day, pageKey, dayStart, dayEnd, folded, source]
        )
        for (key, value) in labels {
            let labelled = "AND EXISTS (SELECT 1 FROM feedback_labels l WHERE l.feedback_id = feedback.id AND l.key = ? AND l.value = ?)"
            try connection.run("DELETE FROM rollup_label_daily WHERE key = ? AND value = ? AND day = ? AND page_key = ? AND source = ?",
                               [key, value, day, pageKey, source])
            try connection.run(
                """
                INSERT INTO rollup_label_daily(key, value, day, page_key, source, up, down, comments, down_comments, first_at, last_at)
                SELECT ?, ?, ?, ?, ?, \(counts) FROM \(from)
                WHERE \(rows) AND +id <= ? AND source = ? AND status <> 'spam' \(labelled)
                GROUP BY page_key
                """,
                [key, value, day, pageKey, source, pageKey, dayStart, dayEnd, folded, source, key, value]
            )
            try connection.run("DELETE FROM rollup_label_total WHERE key = ? AND value = ? AND page_key = ? AND source = ?",
                               [key, value, pageKey, source])
            try connection.run("INSERT INTO rollup_label_total(key, value, page_key, source, up, down, comments, down_comments, first_at, last_at) "
                               + labelTotalFromDaily, [key, value, pageKey, source])
        }
        // All-time totals: the sum of the page's daily rows, which were rebuilt above.
        try connection.run("DELETE FROM rollup_page_total WHERE page_key = ? AND source = ?", [pageKey, source])
        try connection.run(
            """
            INSERT INTO rollup_page_total(page_key, source, up, down, comments, down_comments, first_at, last_at)
            SELECT page_key, source, sum(up), sum(down), sum(comments), sum(down_comments), min(first_at), max(last_at)
            FROM rollup_daily WHERE page_key = ? AND source = ? GROUP BY page_key, source
            """,
            [pageKey, source]
        )
        // A negative vote with a reason leaves (or joins) those insights read, as it leaves its rollups.
        if rating == "down", let reason {
            if included {
                try connection.run("INSERT OR REPLACE INTO feedback_down_reasons(page_id, received_at, feedback_id, reason, source) VALUES (?, ?, ?, ?, ?)",
                                   [pageID, receivedAt, id, reason, source])
            } else {
                try connection.run("DELETE FROM feedback_down_reasons WHERE page_id = ? AND received_at = ? AND feedback_id = ?", [pageID, receivedAt, id])
            }
        }
        // Reason and hourly groups carry only counts: take the row out (or put it back) directly.
        let sign = included ? 1 : -1
        let up = rating == "up" ? sign : 0, down = rating == "down" ? sign : 0, comments = hasComment ? sign : 0
        let counts: [any SQLBindable] = [up, down, comments]
        for (table, keys, values) in [("rollup_reason_daily", ["day", "source", "reason"], [day, source, reason ?? ""] as [any SQLBindable]),
                                      ("rollup_hourly", ["hour", "source"], [hour, source]),
                                      ("rollup_page_hourly", ["page_id", "hour"], [pageID, hour])] {
            let key = keys.map { "\($0) = ?" }.joined(separator: " AND ")
            try connection.run("UPDATE \(table) SET up = up + ?, down = down + ?, comments = comments + ? WHERE \(key)", counts + values)
            if included {
                let columns = (keys + ["up", "down", "comments"]).joined(separator: ", ")
                try connection.run("INSERT OR IGNORE INTO \(table)(\(columns)) VALUES (\(Array(repeating: "?", count: keys.count + 3).joined(separator: ", ")))",
                                   values + counts)
            }
            try connection.run("DELETE FROM \(table) WHERE \(key) AND up = 0 AND down = 0", values)
        }
    }
}
