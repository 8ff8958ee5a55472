/// What the application may change outside ingestion (triage, erasure, tokens, sessions, annotations,
/// webhooks, import), on the writer's session. Reads inside a change go through `reader`.
public struct FeedbackEditor {
    let session: any SQLSession
    public let reader: FeedbackReader

    init(session: any SQLSession, drops: DropCounter) {
        self.session = session
        reader = FeedbackReader(session: session, drops: drops)
    }

    /// Runs `body` in one transaction: all of its changes or none.
    public func transaction<T>(_ body: () throws -> T) throws -> T {
        try session.withTransaction(body)
    }

    // MARK: Access

    public func createToken(name: String, scope: Scope) throws -> String {
        try Tokens.create(name: name, scope: scope, connection: session)
    }

    public func revokeToken(name: String) throws -> Bool {
        try Tokens.revoke(name: name, connection: session)
    }

    public func touchToken(name: String, at time: Int64) throws {
        try Tokens.touch(name: name, at: time, connection: session)
    }

    public func createDashboardSession(tokenName: String, now: Int64) throws -> String {
        try Sessions.create(tokenName: tokenName, now: now, connection: session)
    }

    public func touchDashboardSession(_ secret: String, now: Int64) throws {
        try Sessions.touch(secret, now: now, connection: session)
    }

    public func deleteDashboardSession(_ secret: String) throws {
        try Sessions.delete(secret, connection: session)
    }

    public func deleteExpiredDashboardSessions(now: Int64, lifetime: SessionLifetime) throws {
        try Sessions.deleteExpired(now: now, lifetime: lifetime, connection: session)
    }

    // MARK: Annotations and alerts

    public func createAnnotation(_ new: NewAnnotation) throws -> Annotation {
        try Annotations.create(new, connection: session)
    }

    public func deleteAnnotation(id: Int64) throws -> Bool {
        try Annotations.delete(id, connection: session)
    }

    /// Opens episodes for new findings; `announce` runs for each in the same transaction.
    public func applyFindings(_ findings: [Finding], now: Int64, announce: (Episode) throws -> Void) throws -> [Episode] {
        try Episodes.apply(findings, now: now, connection: session, announce: announce)
    }

    public func markFixReported(_ change: Change, now: Int64) throws -> Bool {
        try Digests.markFixReported(change, now: now, connection: session)
    }

    public func markDigestSent(scheduledAt: Int64, now: Int64) throws -> Bool {
        try Digests.markSent(scheduledAt: scheduledAt, now: now, connection: session)
    }

    // MARK: Webhooks

    public func createWebhook(url: String, format: WebhookFormat, events: [WebhookEvent], secret: String?) throws -> Webhook {
        try Webhooks.create(url: url, format: format, events: events, secret: secret, connection: session)
    }

    public func deleteWebhook(id: Int64) throws -> Bool {
        try Webhooks.delete(id, connection: session)
    }

    /// Queues `event` for every webhook that subscribed to it; returns the deliveries' ids.
    public func enqueue(_ event: WebhookEvent, now: Int64, body: (Webhook) throws -> String) throws -> [Int64] {
        try Outbox.enqueue(event, now: now, connection: session, body: body)
    }

    /// Queues one message for one webhook; returns the delivery's id.
    public func enqueue(event: String, to webhook: Webhook, body: String, now: Int64) throws -> Int64 {
        try Outbox.enqueue(event: event, to: webhook, body: body, now: now, connection: session)
    }

    /// Takes due deliveries for this instance to send, held for `lease` milliseconds (see `Outbox.claimDue`).
    public func claimDueDeliveries(now: Int64, limit: Int, lease: Int64) throws -> [(Delivery, Webhook)] {
        try Outbox.claimDue(now: now, limit: limit, lease: lease, connection: session)
    }

    public func recordDelivery(_ delivery: Delivery, attempt: DeliveryAttempt, outcome: Outbox.Outcome) throws {
        try Outbox.record(delivery, attempt: attempt, outcome: outcome, connection: session)
    }

    public func pruneDeliveries(finishedBefore cutoff: Int64) throws -> Int {
        try Outbox.prune(finishedBefore: cutoff, connection: session)
    }
}

public enum StorageError: Error, CustomStringConvertible {
    case unsupported(String)
    /// An INSERT that was to return its row's id stored nothing.
    case noRowInserted(sql: String)

    public var description: String {
        switch self {
        case .unsupported(let what): "not supported yet: \(what)"
        case .noRowInserted(let sql): "the insert stored no row: \(sql.prefix(200))"
        }
    }
}
