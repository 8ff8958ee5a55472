import SQLite

/// Changes to stored feedback rows. The domain code is shared; how the rollups stay right differs per
/// backend (`RowRollups`: SQLite rebuilds the row's groups, PostgreSQL takes a folded row out and
/// queues it again).
extension FeedbackEditor {
    /// Applies triage changes; nil when the row is absent.
    public func triage(id: Int64, _ change: TriageUpdate) throws -> FeedbackRecord? {
        try FeedbackQueries.update(id, change, rows: rowRollups())
    }

    /// Erases a row; false when absent.
    public func erase(id: Int64) throws -> Bool {
        try FeedbackQueries.delete(id, rows: rowRollups())
    }

    public func applyFollowup(id: Int64, token: String, details: FeedbackDetails, tokens: FollowupTokens,
                              maxCommentLength: Int) throws -> Followups.Outcome {
        try Followups.apply(id: id, token: token, details: details, tokens: tokens, maxCommentLength: maxCommentLength, rows: rowRollups())
    }

    public func importBatch(_ records: [Transfer.ImportedRecord]) throws -> [Transfer.ImportOutcome] {
        try Transfer.importBatch(records, rows: rowRollups())
    }

    /// Retention: erases what identifies readers from up to about `limit` rows received before
    /// `cutoff`, where the last call stopped; returns how many rows it changed (0: done). Rollups keep
    /// their counts.
    public func eraseExpired(before cutoff: Int64, limit: Int) throws -> Int {
        try Retention.eraseChunk(before: cutoff, limit: limit, connection: session)
    }

    /// Forgets `Idempotency-Key`s older than a day.
    public func purgeIdempotencyKeys(now: Int64) throws {
        try Retention.purgeIdempotencyKeys(now: now, connection: session)
    }

    private func rowRollups() throws -> any RowRollups {
        switch session {
        case let connection as Connection: SQLiteRowRollups(connection: connection)
        case let postgres as PostgresSession: PostgresRowRollups(postgres: postgres)
        default: throw StorageError.unsupported("feedback row writes on this backend")
        }
    }
}
