import Foundation
import SQLite

public enum TriageStatus: String, Sendable, CaseIterable {
    case new, triaged, resolved, spam
}

/// One stored feedback row as the team sees it.
public struct FeedbackRecord: Sendable, Equatable {
    public let id: Int64
    public let receivedAt: Int64
    public let page: String
    public let pageKey: String
    public let rating: String
    public let reason: String?
    public let comment: String?
    public let source: String
    public let labels: [String: String]
    public let email: String?
    public let userAgent: String?
    public let origin: String?
    public let referer: String?
    public let status: String
    public let note: String?
    public let tags: [String]
    public let issueURL: String?
    public let updatedAt: Int64?
    /// The comment looks like it holds personal data; listings and exports mask it.
    public let pii: Bool

    static let columns = "id, received_at, page, page_key, rating, reason, comment, source, labels, email, user_agent, origin, referer, status, note, tags, issue_url, updated_at, pii"

    init(row: any SQLRow) {
        id = row.int64(0)
        receivedAt = row.int64(1)
        page = row.string(2)
        pageKey = row.string(3)
        rating = row.string(4)
        reason = row.optionalString(5)
        comment = row.optionalString(6)
        source = row.string(7)
        labels = row.optionalString(8).flatMap { Self.decode($0, as: [String: String].self) } ?? [:]
        email = row.optionalString(9)
        userAgent = row.optionalString(10)
        origin = row.optionalString(11)
        referer = row.optionalString(12)
        status = row.string(13)
        note = row.optionalString(14)
        tags = row.optionalString(15).flatMap { Self.decode($0, as: [String].self) } ?? []
        issueURL = row.optionalString(16)
        updatedAt = row.isNull(17) ? nil : row.int64(17)
        pii = row.int(18) != 0
    }

    /// Labels and tags are stored as JSON text written by this program.
    static func decode<T>(_ text: String, as type: T.Type) -> T? {
        (try? JSONSerialization.jsonObject(with: Data(text.utf8))) as? T
    }
}

/// Writes feedback rows with their labels; shared by the writer, imports and the seeder. Rollups and
/// the search index follow when the rows are folded (`DerivedData`).
enum FeedbackRows {
    /// Inserts the row and its labels.
    static func insert(_ f: NewFeedback, receivedAt: Int64, clientHash: String?, connection: Connection) throws -> Int64 {
        let labels = f.labels.isEmpty ? nil : LabelsJSON.encode(f.labels)
        try connection.run(
            """
            INSERT INTO feedback(received_at, page, page_key, rating, reason, comment, source, labels, email,
                                 user_agent, origin, referer, client_hash, pii)
            VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
            """,
            [receivedAt, f.page, f.pageKey, f.rating.rawValue, f.reason, f.comment, f.source, labels, f.email,
             f.userAgent, f.origin, f.referer, clientHash, f.comment.map(PersonalData.contains) ?? false]
        )
        let id = connection.lastInsertRowID
        for label in f.labels {
            try connection.run("INSERT INTO feedback_labels(feedback_id, key, value) VALUES (?, ?, ?)", [id, label.key, label.value])
        }
        return id
    }
}
