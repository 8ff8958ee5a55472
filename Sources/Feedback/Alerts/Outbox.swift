import Crypto
import Foundation

/// One message for one webhook and where its delivery stands.
public struct Delivery: Sendable, Equatable {
    public enum State: String, Sendable { case pending, delivered, failed }
    public let id: Int64
    public let webhookID: Int64
    /// The `webhook-id` header: the same on every attempt, so receivers can drop repeats.
    public let messageID: String
    public let event: String
    public let body: String
    public let createdAt: Int64
    public let state: State
    public let nextAttemptAt: Int64
    public let attempts: Int
    public let lastStatus: Int?
    public let lastError: String?
    public let finishedAt: Int64?
}

public struct DeliveryAttempt: Sendable, Equatable {
    public let at: Int64
    public let status: Int?
    public let error: String?
    public let durationMilliseconds: Int

    public init(at: Int64, status: Int?, error: String?, durationMilliseconds: Int) {
        self.at = at
        self.status = status
        self.error = error
        self.durationMilliseconds = durationMilliseconds
    }
}

/// The outbox: messages are written in the transaction that records their event and sent later by
/// the dispatcher, which records every attempt.
public enum Outbox {
    /// How a finished attempt ends the delivery or schedules the next.
    public enum Outcome: Sendable, Equatable {
        case delivered
        /// The receiver said 410 Gone: the webhook is disabled and its pending messages dropped.
        case gone
        case retry(at: Int64)
        case givenUp
    }

    static func messageID() -> String {
        "msg_" + SymmetricKey(size: .bits128).withUnsafeBytes { Data($0) }.base64EncodedString()
            .replacingOccurrences(of: "+", with: "-").replacingOccurrences(of: "/", with: "_").replacingOccurrences(of: "=", with: "")
    }

    /// Queues `event` for every enabled webhook subscribed to it, the body rendered for each one's
    /// format. Call inside the transaction that records the event. Returns the deliveries' ids.
    /// `now` is the wall clock: the first attempt is due then, and retries give up 24 hours later.
    @discardableResult
    public static func enqueue(_ event: WebhookEvent, now: Int64, connection: any SQLSession, body: (Webhook) throws -> String) throws -> [Int64] {
        let targets = try Webhooks.list(connection: connection).filter { $0.disabledAt == nil && $0.events.contains(event) }
        return try targets.map { try enqueue(event: event.rawValue, to: $0, body: try body($0), now: now, connection: connection) }
    }

    public static func enqueue(event: String, to webhook: Webhook, body: String, now: Int64, connection: any SQLSession) throws -> Int64 {
        try connection.insertReturningID(
            "INSERT INTO webhook_deliveries(webhook_id, message_id, event, body, created_at, next_attempt_at) VALUES (?, ?, ?, ?, ?, ?)",
            [webhook.id, messageID(), event, body, now, now])
    }

    static let columns = "id, webhook_id, message_id, event, body, created_at, state, next_attempt_at, attempts, last_status, last_error, finished_at"

    static func read(_ row: any SQLRow) -> Delivery {
        Delivery(id: row.int64(0), webhookID: row.int64(1), messageID: row.string(2), event: row.string(3), body: row.string(4),
                 createdAt: row.int64(5), state: Delivery.State(rawValue: row.string(6)) ?? .pending, nextAttemptAt: row.int64(7),
                 attempts: row.int(8), lastStatus: row.optionalInt(9), lastError: row.optionalString(10), finishedAt: row.isNull(11) ? nil : row.int64(11))
    }

    /// Pending deliveries due by `now`, oldest first, with their webhooks.
    public static func due(now: Int64, limit: Int, connection: any SQLSession) throws -> [(Delivery, Webhook)] {
        let deliveries = try connection.fetch("SELECT \(columns) FROM webhook_deliveries WHERE state = 'pending' AND next_attempt_at <= ? ORDER BY next_attempt_at, id LIMIT ?",
                                              [now, limit], read)
        return try deliveries.compactMap { d in try Webhooks.get(d.webhookID, connection: connection).map { (d, $0) } }
    }

    /// The earliest time a pending delivery is due, if any.
    public static func nextDue(connection: any SQLSession) throws -> Int64? {
        try connection.fetchFirst("SELECT min(next_attempt_at) FROM webhook_deliveries WHERE state = 'pending'") { $0.isNull(0) ? nil : $0.int64(0) } ?? nil
    }

    /// Records one attempt and its outcome in one small transaction, ending the sender's claim on it.
    public static func record(_ delivery: Delivery, attempt: DeliveryAttempt, outcome: Outcome, connection: any SQLSession) throws {
        try connection.withTransaction {
            try connection.perform("INSERT INTO webhook_attempts(delivery_id, at, status, error, duration_ms) VALUES (?, ?, ?, ?, ?)",
                                   [delivery.id, attempt.at, attempt.status, attempt.error, attempt.durationMilliseconds])
            let finishedAt = attempt.at + Int64(attempt.durationMilliseconds)
            switch outcome {
            case .delivered:
                try connection.perform("UPDATE webhook_deliveries SET state = 'delivered', attempts = attempts + 1, last_status = ?, last_error = NULL, finished_at = ? WHERE id = ?",
                                       [attempt.status, finishedAt, delivery.id])
                // A test that gets through shows the receiver is back: a webhook disabled by 410 is enabled again.
                if delivery.event == "test" {
                    try connection.perform("UPDATE webhooks SET disabled_at = NULL, disabled_reason = NULL WHERE id = ?", [delivery.webhookID])
                }
            case .retry(let at):
                try connection.perform("UPDATE webhook_deliveries SET attempts = attempts + 1, last_status = ?, last_error = ?, next_attempt_at = ? WHERE id = ?",
                                       [attempt.status, attempt.error, at, delivery.id])
            case .givenUp, .gone:
                try connection.perform("UPDATE webhook_deliveries SET state = 'failed', attempts = attempts + 1, last_status = ?, last_error = ?, finished_at = ? WHERE id = ?",
                                       [attempt.status, attempt.error, finishedAt, delivery.id])
            }
            try endClaim(delivery, connection: connection)
            if outcome == .gone {
                try connection.perform("UPDATE webhooks SET disabled_at = ?, disabled_reason = ? WHERE id = ? AND disabled_at IS NULL",
                                       [finishedAt, "the receiver answered 410 Gone", delivery.webhookID])
                try connection.perform("UPDATE webhook_deliveries SET state = 'failed', last_error = 'webhook disabled (410 Gone)', finished_at = ? WHERE webhook_id = ? AND state = 'pending'",
                                       [finishedAt, delivery.webhookID])
            }
        }
    }

    /// Forgets finished deliveries (and their attempts) that ended before `cutoff`; returns how many.
    @discardableResult
    public static func prune(finishedBefore cutoff: Int64, connection: any SQLSession) throws -> Int {
        try connection.withTransaction {
            try connection.perform("DELETE FROM webhook_attempts WHERE delivery_id IN (SELECT id FROM webhook_deliveries WHERE state <> 'pending' AND finished_at < ?)", [cutoff])
            try connection.perform("DELETE FROM webhook_deliveries WHERE state <> 'pending' AND finished_at < ?", [cutoff])
            return connection.changes
        }
    }

    /// A webhook's deliveries, newest first, below the cursor's id when given.
    public static func deliveries(webhookID: Int64, limit: Int, before cursor: Int64?, connection: any SQLSession) throws -> [Delivery] {
        try connection.fetch("SELECT \(columns) FROM webhook_deliveries WHERE webhook_id = ? AND id < ? ORDER BY id DESC LIMIT ?",
                             [webhookID, cursor ?? Int64.max, limit], read)
    }

    public static func attempts(deliveryID: Int64, connection: any SQLSession) throws -> [DeliveryAttempt] {
        try connection.fetch("SELECT at, status, error, duration_ms FROM webhook_attempts WHERE delivery_id = ? ORDER BY id", [deliveryID]) {
            DeliveryAttempt(at: $0.int64(0), status: $0.optionalInt(1), error: $0.optionalString(2), durationMilliseconds: $0.int(3))
        }
    }
}
