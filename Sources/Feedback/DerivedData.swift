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
    static let advanceSQL = "INSERT OR REPLACE INTO server_state(name, value) VALUES ('derived_through', ?)"

    /// Folds up to `limit` rows above the watermark into the rollups, the search index, the rows by
    /// page (`feedback_page_rows`) and the negative votes with a reason (`feedback_down_reasons`) and
    /// moves the watermark past them. Call inside a write transaction. Returns how many rows it folded.
    /// The writer's timed folds read on a snapshot instead and only apply here (`FoldPlan`, `FeedbackWriter`).
    @discardableResult
    public static func fold(limit: Int = foldRows, connection: Connection) throws -> Int {
        guard let plan = try FoldPlan.read(limit: limit, connection: connection) else { return 0 }
        try plan.apply(connection)
        return plan.rows
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
