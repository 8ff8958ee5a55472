import SQLite

/// Erases what identifies readers (comment, email, client hash, user agent) from records older than
/// the retention period. Counts in the rollups stay, so aggregates over old periods do not change.
/// Works in chunks so ingestion never waits long behind it, and remembers how far it got.
public enum Retention {
    static let chunk = 2000

    /// Erases one chunk of rows received before `cutoff`; returns how many rows it changed (0: done).
    public static func eraseChunk(before cutoff: Int64, connection: Connection) throws -> Int {
        try connection.transaction(.immediate) {
            let start = try connection.first("SELECT value FROM server_state WHERE name = 'retention_erased_before'") { $0.int64(0) } ?? 0
            guard start < cutoff else { return 0 }
            // The chunk ends where its last row was received; rows at that millisecond go with the next chunk.
            let last = try connection.first(
                "SELECT received_at FROM feedback WHERE received_at >= ? AND received_at < ? ORDER BY received_at LIMIT 1 OFFSET \(chunk - 1)",
                [start, cutoff]) { $0.int64(0) }
            let reachedEnd = last == nil
            // A whole chunk within one millisecond (an import): erase that millisecond at once and move on.
            let next = last.map { $0 == start ? start + 1 : $0 } ?? cutoff
            try connection.run(
                """
                UPDATE feedback SET comment = NULL, email = NULL, client_hash = NULL, user_agent = NULL, pii = 0
                WHERE received_at >= ? AND received_at < ?
                  AND (comment IS NOT NULL OR email IS NOT NULL OR client_hash IS NOT NULL OR user_agent IS NOT NULL)
                """, [start, next])
            let changed = connection.changes
            try connection.run("INSERT OR REPLACE INTO server_state(name, value) VALUES ('retention_erased_before', ?)", [next])
            return reachedEnd ? changed : max(changed, 1)
        }
    }

    /// Forgets `Idempotency-Key`s older than a day.
    static func purgeIdempotencyKeys(now: Int64, connection: Connection) throws {
        try connection.run("DELETE FROM idempotency_keys WHERE created_at < ?", [now - Ingestor.idempotencyWindow])
    }
}
