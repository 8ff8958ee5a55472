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
            let ids = try connection.query(
                """
                SELECT id, received_at FROM feedback WHERE received_at >= ? AND received_at < ?
                ORDER BY received_at LIMIT \(chunk)
                """, [start, cutoff]) { ($0.int64(0), $0.int64(1)) }
            // Rows received at the last chunk's final millisecond may continue past it: re-read from there.
            let reachedEnd = ids.count < chunk
            var next = reachedEnd ? cutoff : (ids.last?.1 ?? cutoff)
            let erase = """
                UPDATE feedback SET comment = NULL, email = NULL, client_hash = NULL, user_agent = NULL, pii = 0
                WHERE (comment IS NOT NULL OR email IS NOT NULL OR client_hash IS NOT NULL OR user_agent IS NOT NULL) AND
                """
            var changed = 0
            if next == start {
                // A whole chunk within one millisecond (an import): erase that millisecond at once and move on.
                try connection.run(erase + " received_at = ?", [start])
                changed = connection.changes
                next = start + 1
            } else {
                for (id, _) in ids {
                    try connection.run(erase + " id = ?", [id])
                    changed += connection.changes
                }
            }
            try connection.run("INSERT OR REPLACE INTO server_state(name, value) VALUES ('retention_erased_before', ?)", [next])
            return reachedEnd ? changed : max(changed, 1)
        }
    }

    /// Forgets `Idempotency-Key`s older than a day.
    static func purgeIdempotencyKeys(now: Int64, connection: Connection) throws {
        try connection.run("DELETE FROM idempotency_keys WHERE created_at < ?", [now - Ingestor.idempotencyWindow])
    }
}
