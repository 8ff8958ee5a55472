import SQLite

/// Changes to feedback rows keep rollups and the search index right through SQLite's own row writer
/// (`FeedbackRows`, `Rollups`, `DerivedData`, shared with ingestion); another backend brings its own.
extension FeedbackEditor {
    /// Applies triage changes; nil when the row is absent.
    public func triage(id: Int64, _ change: TriageUpdate) throws -> FeedbackRecord? {
        try FeedbackQueries.update(id, change, connection: rowWriter())
    }

    /// Erases a row; false when absent.
    public func erase(id: Int64) throws -> Bool {
        try FeedbackQueries.delete(id, connection: rowWriter())
    }

    public func applyFollowup(id: Int64, token: String, details: FeedbackDetails, tokens: FollowupTokens,
                              maxCommentLength: Int) throws -> Followups.Outcome {
        try Followups.apply(id: id, token: token, details: details, tokens: tokens, maxCommentLength: maxCommentLength, connection: rowWriter())
    }

    public func importBatch(_ records: [Transfer.ImportedRecord]) throws -> [Transfer.ImportOutcome] {
        try Transfer.importBatch(records, connection: rowWriter())
    }

    /// The rows, rollups and fold are still SQLite's own code (`FeedbackRows`, `Rollups`, `DerivedData`):
    /// another backend brings its own before these writes work on it.
    private func rowWriter() throws -> Connection {
        guard let connection = session as? Connection else { throw StorageError.unsupported("feedback row writes on this backend") }
        return connection
    }
}
