/// Erases what identifies readers (comment, email, client hash, user agent) from records older than
/// the retention period. Counts in the rollups stay, so aggregates over old periods do not change.
/// Works in chunks so ingestion never waits long behind it, and remembers how far it got.
public enum Retention {
    static let chunk = 2000

    /// Erases one chunk of rows received before `cutoff`; returns how many rows it changed (0: done).
    public static func eraseChunk(before cutoff: Int64, connection: any SQLSession) throws -> Int {
        try eraseChunk(before: cutoff, limit: chunk, connection: connection)
    }

    /// Erases up to about `limit` rows received before `cutoff` (all rows of the chunk's last
    /// millisecond go with the next chunk); returns how many rows it changed (0: done). The same on
    /// both backends; the rollups are not touched, so which rows are folded does not matter.
    static func eraseChunk(before cutoff: Int64, limit: Int, connection: any SQLSession) throws -> Int {
        try connection.withTransaction {
            let start = try connection.fetchFirst("SELECT value FROM server_state WHERE name = 'retention_erased_before'") { $0.int64(0) } ?? 0
            guard start < cutoff else { return 0 }
            // The chunk ends where its last row was received; rows at that millisecond go with the next chunk.
            let last = try connection.fetchFirst(
                "SELECT received_at FROM feedback WHERE received_at >= ? AND received_at < ? ORDER BY received_at LIMIT 1 OFFSET ?",
                [start, cutoff, max(1, limit) - 1]) { $0.int64(0) }
            let reachedEnd = last == nil
            // A whole chunk within one millisecond (an import): erase that millisecond at once and move on.
            let next = last.map { $0 == start ? start + 1 : $0 } ?? cutoff
            let identifying = "received_at >= ? AND received_at < ? AND (comment IS NOT NULL OR email IS NOT NULL OR client_hash IS NOT NULL OR user_agent IS NOT NULL)"
            if connection.dialect == .postgres {
                // Rows locked in id order, as every other writer of several rows locks them (docs/postgres.md).
                _ = try connection.fetch("SELECT id FROM feedback WHERE \(identifying) ORDER BY id FOR UPDATE", [start, next]) { $0.int64(0) }
            }
            try connection.perform(
                "UPDATE feedback SET comment = NULL, email = NULL, client_hash = NULL, user_agent = NULL, pii = 0 WHERE \(identifying)", [start, next])
            let changed = connection.changes
            try connection.perform(connection.dialect == .sqlite
                ? "INSERT OR REPLACE INTO server_state(name, value) VALUES ('retention_erased_before', ?)"
                : "INSERT INTO server_state(name, value) VALUES ('retention_erased_before', ?) ON CONFLICT (name) DO UPDATE SET value = excluded.value",
                [next])
            return reachedEnd ? changed : max(changed, 1)
        }
    }

    /// Forgets `Idempotency-Key`s older than a day.
    static func purgeIdempotencyKeys(now: Int64, connection: any SQLSession) throws {
        try connection.perform("DELETE FROM idempotency_keys WHERE created_at < ?", [now - Ingestor.idempotencyWindow])
    }
}
