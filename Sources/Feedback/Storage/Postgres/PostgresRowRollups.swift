import Postgres

/// PostgreSQL's way of keeping rollups right around a changed row (docs/postgres.md, "Which rows to
/// fold"): the row is locked (`FOR UPDATE`) before it is read; a change that moves its counts first
/// takes it out of the rollups if a fold counted it (it is not in `feedback_unfolded`) and queues it
/// again, so the next fold counts it as it is then. A row still queued is simply changed: the fold
/// has not counted it yet. Erasing a row takes its queue entry with it (`ON DELETE CASCADE`).
/// Imported rows are queued by the insert trigger like every other new row.
struct PostgresRowRollups: RowRollups {
    let postgres: PostgresSession
    var session: any SQLSession { postgres }

    func lockedRecord(_ id: Int64) throws -> FeedbackRecord? {
        try postgres.fetchFirst("SELECT \(FeedbackRecord.columns) FROM feedback WHERE id = ? FOR UPDATE", [id]) { FeedbackRecord(row: $0) }
    }

    func willMoveCounts(_ before: FeedbackRecord) throws {
        // A statement after the lock, so a new snapshot: a fold that held the row has committed, and
        // nothing else changes the row's queue entry while this transaction holds the row.
        let queued = try postgres.fetchFirst("SELECT 1 FROM feedback_unfolded WHERE feedback_id = ?", [before.id]) { _ in true } ?? false
        if !queued {
            try PostgresFold.takeOut([before.id], postgres.connection)
        }
    }

    /// The row is queued (or erased with its queue entry): the next fold counts it as it is now.
    func didMoveCounts(_ before: FeedbackRecord, now: CountedAs?) throws {}

    func insertImported(_ feedback: NewFeedback, receivedAt: Int64) throws -> Int64 {
        try PostgresIngestor.insert(feedback, receivedAt: receivedAt, clientHash: nil, postgres.connection)
    }

    func didImport() throws {}
}
