/// How a backend keeps the rollups right when a stored feedback row changes (triage into or out of
/// spam, erasure, a follow-up, an import). The domain code (`FeedbackQueries.update`,
/// `FeedbackQueries.delete`, `Followups.apply`, `Transfer.importBatch`) is written once against this
/// and `SQLSession`; the backends differ in when and how they count:
/// - SQLite rebuilds the row's groups from the rows after the change (`Rollups.recompute`), knowing
///   from its watermark whether the row was folded;
/// - PostgreSQL locks the row, and before the change takes a folded row's votes out of the rollups
///   and queues it again, so that its next fold counts the row as it is then (docs/postgres.md).
/// Every method runs inside the caller's transaction.
protocol RowRollups {
    var session: any SQLSession { get }
    /// The row, locked against other writers until the transaction ends; nil when absent.
    func lockedRecord(_ id: Int64) throws -> FeedbackRecord?
    /// Before a change that moves the counts of `before` (read through `lockedRecord`).
    func willMoveCounts(_ before: FeedbackRecord) throws
    /// After that change: `now` is what the row counts as now, nil when it counts no more (spam, erased).
    func didMoveCounts(_ before: FeedbackRecord, now: CountedAs?) throws
    /// Inserts an imported row and its labels; returns its id.
    func insertImported(_ feedback: NewFeedback, receivedAt: Int64) throws -> Int64
    /// After an import batch stored its rows.
    func didImport() throws
}

/// The fields of a counted row that a change may move in the rollups.
struct CountedAs {
    let reason: String?
    let hasComment: Bool
}
