import Crypto
import Foundation

public enum WebhookFormat: String, Sendable, CaseIterable { case json, slack }

/// What a webhook can subscribe to. `test` messages go only to the webhook they test.
public enum WebhookEvent: String, Sendable, CaseIterable { case finding, fix, digest }

public struct Webhook: Sendable, Equatable {
    public let id: Int64
    public let url: String
    public let format: WebhookFormat
    public let events: [WebhookEvent]
    /// `whsec_` and the base64 of the signing key.
    public let secret: String
    public let createdAt: Int64
    public let disabledAt: Int64?
    public let disabledReason: String?
}

public enum WebhookError: Error, Equatable, CustomStringConvertible {
    case invalidURL, invalidSecret, noEvents

    public var description: String {
        switch self {
        case .invalidURL: "the URL must be an absolute http or https URL with a host, at most 2048 characters"
        case .invalidSecret: "the secret must be whsec_ followed by the base64 of 24 to 64 random bytes"
        case .noEvents: "events must list at least one of finding, fix, digest"
        }
    }
}

/// Webhook registrations. Secrets are kept as given: signing needs the key itself (see migration 0006).
public enum Webhooks {
    public static func validURL(_ text: String) -> Bool {
        guard text.utf8.count <= 2048, !text.contains(where: { $0.isWhitespace }), let url = URL(string: text),
              let scheme = url.scheme?.lowercased(), scheme == "http" || scheme == "https", let host = url.host, !host.isEmpty else { return false }
        return true
    }

    /// The signing key inside `whsec_…`, when the text is one.
    public static func key(fromSecret secret: String) -> [UInt8]? {
        guard secret.hasPrefix("whsec_"), let data = Data(base64Encoded: String(secret.dropFirst(6))), (24...64).contains(data.count) else { return nil }
        return Array(data)
    }

    public static func newSecret() -> String {
        "whsec_" + SymmetricKey(size: .bits256).withUnsafeBytes { Data($0) }.base64EncodedString()
    }

    public static func create(url: String, format: WebhookFormat, events: [WebhookEvent], secret: String?, now: Int64 = Timestamp.nowMilliseconds(),
                              connection: any SQLSession) throws -> Webhook {
        guard validURL(url) else { throw WebhookError.invalidURL }
        guard !events.isEmpty else { throw WebhookError.noEvents }
        let secret = secret ?? newSecret()
        guard key(fromSecret: secret) != nil else { throw WebhookError.invalidSecret }
        let ordered = WebhookEvent.allCases.filter(events.contains)
        let id = try connection.insertReturningID("INSERT INTO webhooks(url, format, events, secret, created_at) VALUES (?, ?, ?, ?, ?)",
                                                  [url, format.rawValue, ordered.map(\.rawValue).joined(separator: ","), secret, now])
        return Webhook(id: id, url: url, format: format, events: ordered, secret: secret, createdAt: now,
                       disabledAt: nil, disabledReason: nil)
    }

    static let columns = "id, url, format, events, secret, created_at, disabled_at, disabled_reason"

    static func read(_ row: any SQLRow) -> Webhook {
        Webhook(id: row.int64(0), url: row.string(1), format: WebhookFormat(rawValue: row.string(2)) ?? .json,
                events: row.string(3).split(separator: ",").compactMap { WebhookEvent(rawValue: String($0)) }, secret: row.string(4),
                createdAt: row.int64(5), disabledAt: row.isNull(6) ? nil : row.int64(6), disabledReason: row.optionalString(7))
    }

    public static func list(connection: any SQLSession) throws -> [Webhook] {
        try connection.fetch("SELECT \(columns) FROM webhooks ORDER BY id", [], read)
    }

    public static func get(_ id: Int64, connection: any SQLSession) throws -> Webhook? {
        try connection.fetchFirst("SELECT \(columns) FROM webhooks WHERE id = ?", [id], read)
    }

    /// Deletes the webhook with its deliveries and their attempts.
    public static func delete(_ id: Int64, connection: any SQLSession) throws -> Bool {
        try connection.withTransaction {
            try connection.perform("DELETE FROM webhook_attempts WHERE delivery_id IN (SELECT id FROM webhook_deliveries WHERE webhook_id = ?)", [id])
            try connection.perform("DELETE FROM webhook_deliveries WHERE webhook_id = ?", [id])
            try connection.perform("DELETE FROM webhooks WHERE id = ?", [id])
            return connection.changes > 0
        }
    }
}
