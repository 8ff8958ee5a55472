import Crypto
import Foundation
import SQLite

/// Stores one submission inside the writer's batch transaction: answers an idempotent retry with the
/// first result, folds a repeated vote into the earlier record, or inserts a new row.
/// Used only on the writer's serial queue.
final class Ingestor {
    /// How long an `Idempotency-Key` is remembered.
    static let idempotencyWindow: Int64 = 86_400_000

    private let hasher = ClientHasher()
    private var duplicates: DuplicateIndex
    private let maxCommentLength: Int
    /// The UTC day (days since 1970, and as text) of the last row: the hash key's name, formatted once a day.
    private var day: (number: Int64, text: String) = (.min, "")

    init(duplicateWindow: Int64, maxCommentLength: Int) {
        duplicates = DuplicateIndex(window: duplicateWindow)
        self.maxCommentLength = maxCommentLength
    }

    func ingest(_ f: NewFeedback, receivedAt: Int64, connection: Connection) throws -> StoredFeedback {
        let keyHash = f.idempotencyKey.map { SQLValue.blob(Array(SHA256.hash(data: Data($0.utf8)))) }
        if let keyHash, let replay = try connection.first(
            """
            SELECT k.feedback_id, f.received_at, k.status FROM idempotency_keys k JOIN feedback f ON f.id = k.feedback_id
            WHERE k.key_hash = ? AND k.created_at > ?
            """, [keyHash, receivedAt - Self.idempotencyWindow], { row in
                StoredFeedback(id: row.int64(0), receivedAt: row.int64(1), duplicate: row.int(2) != 201, replayed: true)
            }) {
            return replay
        }
        let clientHash = try hasher.hash(
            address: f.clientAddress, userAgent: f.userAgent, pageHost: PageNormalizer.host(ofNormalized: f.pageKey),
            day: dayText(receivedAt), connection: connection
        )
        let key = clientHash.map { DuplicateIndex.Key(clientHash: $0, pageKey: f.pageKey, rating: f.rating) }
        var stored: StoredFeedback?
        if let key, let earlier = duplicates.find(key, now: receivedAt), try fold(f, into: earlier.id, connection: connection) {
            stored = StoredFeedback(id: earlier.id, receivedAt: earlier.receivedAt, duplicate: true)
        }
        let result: StoredFeedback
        if let stored {
            result = stored
        } else {
            let id = try FeedbackRows.insert(f, receivedAt: receivedAt, clientHash: clientHash, connection: connection)
            if let key { duplicates.stage(key, DuplicateIndex.Entry(id: id, receivedAt: receivedAt)) }
            result = StoredFeedback(id: id, receivedAt: receivedAt)
        }
        if let keyHash {
            try connection.run("INSERT OR REPLACE INTO idempotency_keys(key_hash, feedback_id, status, created_at) VALUES (?, ?, ?, ?)",
                               [keyHash, result.id, result.duplicate ? 200 : 201, receivedAt])
        }
        return result
    }

    private func dayText(_ milliseconds: Int64) -> String {
        let number = AggregateFilter.floorDiv(milliseconds, Rollups.dayMilliseconds)
        if number != day.number { day = (number, Timestamp.day(milliseconds: milliseconds)) }
        return day.text
    }

    /// Attaches a repeated vote's reason and comment to the earlier record; false when that record is gone.
    private func fold(_ f: NewFeedback, into id: Int64, connection: Connection) throws -> Bool {
        let details = FeedbackDetails(reason: f.reason, comment: f.comment, email: f.email)
        if details.isEmpty {
            return try connection.first("SELECT 1 FROM feedback WHERE id = ?", [id]) { _ in true } ?? false
        }
        return try Followups.attach(details, to: id, markUsed: false, maxCommentLength: maxCommentLength, connection: connection)
    }

    /// The batch's transaction committed: its new votes now count for duplicate checks.
    func committed(now: Int64) { duplicates.commit(now: now) }

    /// The batch's transaction rolled back: forget what it staged, and the cached hash key.
    func rolledBack() {
        duplicates.discard()
        hasher.reset()
    }

    /// Loads recent votes so duplicate suppression survives a restart.
    func loadRecent(now: Int64, connection: Connection) throws {
        guard duplicates.isEnabled else { return }
        _ = try connection.query(
            "SELECT id, received_at, client_hash, page_key, rating FROM feedback WHERE received_at > ? AND client_hash IS NOT NULL ORDER BY received_at",
            [now - duplicates.window]
        ) { row in
            if let rating = Rating(rawValue: row.string(4)) {
                duplicates.stage(DuplicateIndex.Key(clientHash: row.string(2), pageKey: row.string(3), rating: rating),
                                 DuplicateIndex.Entry(id: row.int64(0), receivedAt: row.int64(1)))
            }
        }
        duplicates.commit(now: now)
    }

    func prune(now: Int64) { duplicates.prune(now: now) }
}
