import Crypto
import Foundation

/// Export and import of feedback records, for moving data between servers and keeping copies.
public enum Transfer {
    /// Records with `id > afterID`, oldest first, received in [since, until): one page of an export.
    public static func exportPage(afterID: Int64, since: Int64?, until: Int64?, limit: Int, connection: any SQLSession) throws -> [FeedbackRecord] {
        var sql = "SELECT \(FeedbackRecord.columns) FROM feedback WHERE id > ?"
        var values: [DatabaseValue] = [.integer(afterID)]
        // `+received_at`: walk the primary key in order; the time index would sort every matching row per page.
        if let since { sql += " AND +received_at >= ?"; values.append(.integer(since)) }
        if let until { sql += " AND +received_at < ?"; values.append(.integer(until)) }
        values.append(.integer(Int64(limit)))
        return try connection.fetch(sql + " ORDER BY id LIMIT ?", values, reuse: false) { FeedbackRecord(row: $0) }
    }

    /// One exported record to bring back: the reader's fields (validated like a submission) and
    /// what the server and the team recorded.
    public struct ImportedRecord: Sendable {
        public var feedback: NewFeedback
        public var originalID: Int64?
        public var receivedAt: Int64
        public var status: TriageStatus
        public var note: String?
        public var tags: [String]
        public var issueURL: String?
        public var updatedAt: Int64?
        /// The line as read, whose hash makes a second import of it a no-op.
        public var line: [UInt8]

        public init(feedback: NewFeedback, originalID: Int64?, receivedAt: Int64, status: TriageStatus, note: String?, tags: [String],
                    issueURL: String?, updatedAt: Int64?, line: [UInt8]) {
            self.feedback = feedback
            self.originalID = originalID
            self.receivedAt = receivedAt
            self.status = status
            self.note = note
            self.tags = tags
            self.issueURL = issueURL
            self.updatedAt = updatedAt
            self.line = line
        }
    }

    public enum ImportOutcome: Equatable, Sendable {
        case imported(Int64)
        /// Imported before, or the record is already here (same id, time and page).
        case alreadyPresent
    }

    /// Stores a batch in one transaction (SQLite folds it into rollups and the search index in the
    /// same one; PostgreSQL's rows wait in its fold queue). Ids are new; `received_at` is kept.
    static func importBatch(_ records: [ImportedRecord], rows: any RowRollups) throws -> [ImportOutcome] {
        let connection = rows.session
        return try connection.withTransaction {
            var outcomes: [ImportOutcome] = []
            for record in records {
                let hash = DatabaseValue.blob(Array(SHA256.hash(data: record.line)))
                if try connection.fetchFirst("SELECT 1 FROM imported_lines WHERE line_hash = ?", [hash], { _ in true }) != nil {
                    outcomes.append(.alreadyPresent)
                    continue
                }
                if let id = record.originalID, try connection.fetchFirst(
                    "SELECT 1 FROM feedback WHERE id = ? AND received_at = ? AND page_key = ?", [id, record.receivedAt, record.feedback.pageKey], { _ in true }) != nil {
                    try connection.perform("INSERT INTO imported_lines(line_hash, feedback_id) VALUES (?, ?)", [hash, id])
                    outcomes.append(.alreadyPresent)
                    continue
                }
                let id = try rows.insertImported(record.feedback, receivedAt: record.receivedAt)
                try connection.perform(
                    "UPDATE feedback SET status = ?, note = ?, tags = ?, issue_url = ?, updated_at = ? WHERE id = ?",
                    [record.status.rawValue, record.note, record.tags.isEmpty ? nil : "[" + record.tags.map(LabelsJSON.quote).joined(separator: ",") + "]",
                     record.issueURL, record.updatedAt, id]
                )
                try connection.perform("INSERT INTO imported_lines(line_hash, feedback_id) VALUES (?, ?)", [hash, id])
                outcomes.append(.imported(id))
            }
            // Spam rows are left out by the fold, as they are from every rollup.
            try rows.didImport()
            return outcomes
        }
    }
}
