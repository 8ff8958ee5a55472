import Postgres

/// `hearken seed` on PostgreSQL: demo rows loaded with `COPY`, not through the ingestor. Seeded rows
/// have no client hash, no idempotency key and no earlier record to repeat, so nothing of the
/// ingestor's per-row work applies, and two round trips a row (row, label) made a million rows take
/// half an hour. Each row is queued for the fold by the insert trigger, as every other new row is.
enum PostgresSeedRows {
    static let columns = ["id", "received_at", "page", "page_key", "rating", "reason", "comment", "source", "labels",
                          "email", "user_agent", "origin", "referer", "client_hash", "pii"]

    /// Stores `batch` with two `COPY`s (rows, then labels). Call inside a transaction. The ids come
    /// from the identity's sequence first (COPY writes given values into an identity column), so the
    /// labels know their row without reading the rows back.
    static func copy(_ batch: [(feedback: NewFeedback, receivedAt: Int64)], _ connection: Connection) throws {
        guard !batch.isEmpty else { return }
        let ids = try connection.query("SELECT nextval(pg_get_serial_sequence('feedback', 'id')) FROM generate_series(1, $1)",
                                       [batch.count]) { $0.int64(0) }.sorted()
        guard ids.count == batch.count else { throw StorageError.noRowInserted(sql: "nextval for seeded rows") }
        var rows: [[any PostgresBindable]] = []
        var labels: [[any PostgresBindable]] = []
        rows.reserveCapacity(batch.count)
        for (id, (f, receivedAt)) in zip(ids, batch) {
            rows.append([id, receivedAt, f.page, f.pageKey, f.rating.rawValue, f.reason, f.comment, f.source,
                         f.labels.isEmpty ? nil : LabelsJSON.encode(f.labels), f.email, f.userAgent, f.origin, f.referer,
                         String?.none, (f.comment.map(PersonalData.contains) ?? false) ? 1 : 0])
            for label in f.labels { labels.append([id, label.key, label.value]) }
        }
        try connection.copy(into: "feedback", columns: columns, rows: rows)
        try connection.copy(into: "feedback_labels", columns: ["feedback_id", "key", "value"], rows: labels)
    }
}
