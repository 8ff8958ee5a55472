import SQLite

/// Rollups and the comment search index are derived from the rows, and folded in behind them: the
/// transaction a 201 waits for holds only the row (and its labels and keys), and a fold adds many
/// rows at once to each rollup group and index segment they touch. The watermark, the last folded
/// id, is stored in `server_state` and moves in the same transaction as each fold, so a fold cut
/// short by a crash is done again from the same place, exactly once. Ids never go back
/// (AUTOINCREMENT, migrations/0005), so every row above the watermark is one no fold has seen.
///
/// Whatever changes rollups for a single row (triage, spam, erasure, follow-ups) applies its change
/// only to rows at or below the watermark: a row above it is counted by the fold as it is then.
public enum DerivedData {
    /// Rows per fold transaction at most.
    public static let foldRows = 5000

    static let watermarkSQL = "SELECT value FROM server_state WHERE name = 'derived_through'"

    /// The last id whose row is in the rollups and search index.
    public static func watermark(_ connection: Connection) throws -> Int64 {
        try connection.first(watermarkSQL) { $0.int64(0) } ?? 0
    }

    /// Ids above the watermark: 0 when everything is folded.
    public static func pendingRows(_ connection: Connection) throws -> Int64 {
        let last = try connection.first("SELECT coalesce(max(id), 0) FROM feedback") { $0.int64(0) } ?? 0
        return max(0, last - (try watermark(connection)))
    }

    static let rowsSQL = """
        SELECT id, received_at, page_key, source, reason, rating, comment IS NOT NULL, status = 'spam'
        FROM feedback WHERE id > ? ORDER BY id LIMIT ?
        """
    static let labelsSQL = "SELECT feedback_id, key, value FROM feedback_labels WHERE feedback_id > ? AND feedback_id <= ? ORDER BY feedback_id"
    static let indexSQL = "INSERT INTO feedback_fts(rowid, comment) SELECT id, comment FROM feedback WHERE id > ? AND id <= ? AND comment IS NOT NULL"
    // Every row, spam too (listings show it): its page first, then the row under it, page-major so
    // each page's leaf is written once per fold (migrations/0009).
    static let pagesSQL = "INSERT OR IGNORE INTO pages(page_key) SELECT DISTINCT page_key FROM feedback WHERE id > ? AND id <= ?"
    static let pageRowsSQL = """
        INSERT INTO feedback_page_rows(page_id, feedback_id)
        SELECT p.id, f.id FROM feedback f CROSS JOIN pages p ON p.page_key = f.page_key WHERE f.id > ? AND f.id <= ? ORDER BY 1, 2
        """
    // Non-spam negative votes with a reason, for insights (migrations/0009).
    static let downReasonsSQL = """
        INSERT INTO feedback_down_reasons(page_id, received_at, feedback_id, reason, source)
        SELECT p.id, f.received_at, f.id, f.reason, f.source FROM feedback f CROSS JOIN pages p ON p.page_key = f.page_key
        WHERE f.id > ? AND f.id <= ? AND f.rating = 'down' AND f.reason IS NOT NULL AND f.status <> 'spam' ORDER BY 1, 2, 3
        """
    private static let advanceSQL = "INSERT OR REPLACE INTO server_state(name, value) VALUES ('derived_through', ?)"

    /// Folds up to `limit` rows above the watermark into the rollups, the search index, the rows by
    /// page (`feedback_page_rows`) and the negative votes with a reason (`feedback_down_reasons`) and moves the watermark past them. Call inside a write
    /// transaction. Returns how many rows it folded.
    @discardableResult
    public static func fold(limit: Int = foldRows, connection: Connection) throws -> Int {
        let from = try watermark(connection)
        struct Row { let id: Int64, receivedAt: Int64, pageKey: String, source: String, reason: String?, rating: Rating, comment: Bool, spam: Bool }
        let rows = try connection.prepare(rowsSQL).query([from, Int64(limit)]) { row in
            Row(id: row.int64(0), receivedAt: row.int64(1), pageKey: row.string(2), source: row.string(3), reason: row.optionalString(4),
                rating: Rating(rawValue: row.string(5)) ?? .up, comment: row.int(6) != 0, spam: row.int(7) != 0)
        }
        guard let through = rows.last?.id else { return 0 }
        var labels: [Int64: [(key: String, value: String)]] = [:]
        _ = try connection.prepare(labelsSQL).query([from, through]) { row in
            labels[row.int64(0), default: []].append((row.string(1), row.string(2)))
        }
        var rollups = RollupBatch()
        // Spam is left out of every rollup; a row marked spam before its fold is simply not counted.
        for row in rows where !row.spam {
            rollups.add(receivedAt: row.receivedAt, pageKey: row.pageKey, source: row.source, reason: row.reason, rating: row.rating,
                        hasComment: row.comment, labels: labels[row.id] ?? [])
        }
        try rollups.flush(connection)
        // One statement for the whole range: FTS5 writes a segment per statement (see migrations/0004).
        try connection.run(indexSQL, [from, through])
        try connection.run(pagesSQL, [from, through])
        try connection.run(pageRowsSQL, [from, through])
        try connection.run(downReasonsSQL, [from, through])
        try connection.run(advanceSQL, [through])
        return rows.count
    }

    /// Folds everything above the watermark, `foldRows` at a time, each in its own transaction.
    /// Returns how many rows it folded.
    @discardableResult
    public static func foldAll(connection: Connection) throws -> Int {
        var total = 0
        while try pendingRows(connection) > 0 {
            let folded = try connection.transaction(.immediate) { try fold(connection: connection) }
            if folded == 0 { break }
            total += folded
        }
        return total
    }
}
