import SQLite

/// SQLite's way of keeping rollups right around a changed row: its one writer holds the write lock
/// for the whole transaction (`BEGIN IMMEDIATE`), so nothing is locked per row, and after the change
/// the row's groups are rebuilt from the rows (`Rollups.recompute`), if its watermark says the row
/// was folded. Imports are folded, with the search index, in their own transaction.
struct SQLiteRowRollups: RowRollups {
    let connection: Connection
    var session: any SQLSession { connection }

    func lockedRecord(_ id: Int64) throws -> FeedbackRecord? {
        try FeedbackQueries.get(id, connection: connection)
    }

    func willMoveCounts(_ before: FeedbackRecord) throws {}

    func didMoveCounts(_ before: FeedbackRecord, now: CountedAs?) throws {
        if before.status != TriageStatus.spam.rawValue {
            try recompute(before, reason: before.reason, hasComment: before.comment != nil, included: false)
        }
        if let now {
            try recompute(before, reason: now.reason, hasComment: now.hasComment, included: true)
        }
    }

    private func recompute(_ row: FeedbackRecord, reason: String?, hasComment: Bool, included: Bool) throws {
        try Rollups.recompute(id: row.id, receivedAt: row.receivedAt, pageKey: row.pageKey, source: row.source, reason: reason,
                              rating: row.rating, hasComment: hasComment, labels: row.labels, included: included, connection: connection)
    }

    func insertImported(_ feedback: NewFeedback, receivedAt: Int64) throws -> Int64 {
        try FeedbackRows.insert(feedback, receivedAt: receivedAt, clientHash: nil, connection: connection)
    }

    func didImport() throws {
        try DerivedData.fold(limit: .max, connection: connection)
    }
}

/// The SQLite connection's own entry points, for the SQLite ingest path and tests.
extension FeedbackQueries {
    public static func update(_ id: Int64, _ change: TriageUpdate, connection: Connection) throws -> FeedbackRecord? {
        try update(id, change, rows: SQLiteRowRollups(connection: connection))
    }

    public static func delete(_ id: Int64, connection: Connection) throws -> Bool {
        try delete(id, rows: SQLiteRowRollups(connection: connection))
    }
}

extension Followups {
    /// Merges a repeated vote's details into record `id` inside the caller's transaction; false when it is gone.
    static func attach(_ details: FeedbackDetails, to id: Int64, markUsed: Bool, maxCommentLength: Int, connection: Connection) throws -> Bool {
        guard let before = try FeedbackQueries.get(id, connection: connection) else { return false }
        try attach(details, to: before, markUsed: markUsed, maxCommentLength: maxCommentLength, rows: SQLiteRowRollups(connection: connection))
        return true
    }
}

extension Transfer {
    public static func importBatch(_ records: [ImportedRecord], connection: Connection) throws -> [ImportOutcome] {
        try importBatch(records, rows: SQLiteRowRollups(connection: connection))
    }
}
