import SQLite

/// What the new rows of one write transaction owe the tables derived from them (rollups and the
/// comment search index), gathered so each is written once, in bulk, just before commit.
struct WriteBatch {
    var rollups = RollupBatch()
    var search = SearchIndexBatch()

    /// Writes both; call inside the transaction that inserted the rows.
    mutating func flush(_ connection: Connection) throws {
        try rollups.flush(connection)
        try search.flush(connection)
    }
}

/// Indexes queued comments for search with one statement per transaction. A trigger queues every
/// new commented row in `feedback_fts_pending`; FTS5 writes its pending terms out at every statement
/// boundary, so one `INSERT … SELECT` for the batch costs a small fraction of an insert per row
/// (see migrations/0004).
struct SearchIndexBatch {
    private var queued = false

    /// A row with a comment was inserted in this transaction.
    mutating func noteComment() { queued = true }

    mutating func flush(_ connection: Connection) throws {
        guard queued else { return }
        try Self.indexQueued(connection)
        queued = false
    }

    /// CROSS JOIN keeps the queue as the outer loop: the planner, knowing nothing of the queue's size,
    /// otherwise scans all of `feedback`.
    static let queuedComments =
        "SELECT f.id, f.comment FROM feedback_fts_pending p CROSS JOIN feedback f ON f.id = p.id WHERE f.comment IS NOT NULL"
    /// Built once, like the rollup upserts: the statement cache is looked up by this text every batch.
    private static let indexSQL = "INSERT INTO feedback_fts(rowid, comment) " + queuedComments

    /// Indexes everything in the queue, whoever inserted it, and empties the queue.
    static func indexQueued(_ connection: Connection) throws {
        try connection.run(indexSQL)
        try connection.run("DELETE FROM feedback_fts_pending")
    }

    /// Indexes rows queued outside a write batch (plain SQL, an interrupted older writer) in their own
    /// transaction; nothing to do is one indexed lookup.
    static func indexStragglers(_ connection: Connection) throws {
        guard try connection.first("SELECT 1 FROM feedback_fts_pending LIMIT 1", [], { _ in true }) != nil else { return }
        try connection.transaction(.immediate) { try indexQueued(connection) }
    }
}
