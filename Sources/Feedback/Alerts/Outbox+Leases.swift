/// Due deliveries claimed for one sender, so that with several instances on one PostgreSQL database
/// each attempt is made by one instance only.
extension Outbox {
    /// Takes up to `limit` pending deliveries due by `now`, oldest first, with their webhooks, for the
    /// caller to send, and holds them for `lease` milliseconds: no other claim returns them until the
    /// attempt is recorded (which ends the lease) or the lease runs out (its sender died).
    ///
    /// PostgreSQL: one statement, outside any transaction. It locks the rows it picks and skips rows
    /// another instance's claim has locked, so two claims at once get disjoint deliveries, and a claim
    /// that waits on none of them never blocks. Leases are set and compared on the database server's
    /// clock, so instances whose clocks disagree cannot both hold one delivery (`now`, the instance's
    /// time, only says which deliveries are due). SQLite: one process, whose dispatcher sends one
    /// batch at a time and records it before the next, so the due deliveries are read as before.
    public static func claimDue(now: Int64, limit: Int, lease: Int64, connection: any SQLSession) throws -> [(Delivery, Webhook)] {
        guard connection.dialect == .postgres else { return try due(now: now, limit: limit, connection: connection) }
        // A CTE with FOR UPDATE is never inlined: the rows are picked and locked once, then updated.
        let claimed = try connection.fetch("""
            WITH picked AS (
                SELECT id FROM webhook_deliveries
                WHERE state = 'pending' AND next_attempt_at <= ? AND (claimed_until IS NULL OR claimed_until <= \(serverClock))
                ORDER BY next_attempt_at, id LIMIT ? FOR UPDATE SKIP LOCKED)
            UPDATE webhook_deliveries SET claimed_until = \(serverClock) + ? WHERE id IN (SELECT id FROM picked) RETURNING \(columns)
            """, [now, limit, lease], read)
        let oldestFirst = claimed.sorted { ($0.nextAttemptAt, $0.id) < ($1.nextAttemptAt, $1.id) }
        return try oldestFirst.compactMap { d in try Webhooks.get(d.webhookID, connection: connection).map { (d, $0) } }
    }

    /// The database server's time in Unix milliseconds, fixed for the statement.
    static let serverClock = "(extract(epoch FROM statement_timestamp()) * 1000)::bigint"

    /// Ends the claim on `delivery` once its attempt is recorded (PostgreSQL; SQLite has no claims).
    static func endClaim(_ delivery: Delivery, connection: any SQLSession) throws {
        guard connection.dialect == .postgres else { return }
        try connection.perform("UPDATE webhook_deliveries SET claimed_until = NULL WHERE id = ?", [delivery.id])
    }
}
