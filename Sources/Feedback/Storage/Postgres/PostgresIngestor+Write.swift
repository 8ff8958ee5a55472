import Postgres

/// Writes what `PostgresBatchPlan` decided, set-based: the batch's new rows in one statement (so the
/// fold queue's statement trigger runs once), their labels in one, the repeated stored records'
/// details in one, and the idempotency keys in one upsert: a constant number of round trips a batch.
extension PostgresIngestor {
    func store(_ plan: PostgresBatchPlan, _ connection: Postgres.Connection) throws -> [StoredFeedback] {
        let ids = try Self.insertRows(plan.newRows, connection)
        func id(_ target: PostgresBatchPlan.Target) -> Int64 {
            switch target {
            case .stored(let id): id
            case .new(let index): ids[index]
            }
        }
        try Self.updateStored(plan.stored.filter(\.value.changed), connection)
        let keys = plan.keysWritten.compactMap { key in plan.keys[key].map { (key, $0) } }
        if !keys.isEmpty {
            try connection.cached("""
                INSERT INTO idempotency_keys(key_hash, feedback_id, status, created_at)
                SELECT decode(h, 'hex'), id, status, at FROM unnest($1::text[], $2::bigint[], $3::int[], $4::bigint[]) AS k(h, id, status, at)
                ORDER BY 1
                ON CONFLICT (key_hash) DO UPDATE SET feedback_id = excluded.feedback_id, status = excluded.status, created_at = excluded.created_at
                """).run([Self.textArray(keys.map(\.0)), PostgresFold.idList(keys.map { id($0.1.target) }),
                      PostgresFold.idList(keys.map { Int64($0.1.status) }), PostgresFold.idList(keys.map(\.1.createdAt))])
        }
        return plan.outcomes.map {
            StoredFeedback(id: id($0.target), receivedAt: $0.receivedAt, duplicate: $0.duplicate, replayed: $0.replayed)
        }
    }

    /// Inserts the rows in one statement and returns their ids in the rows' order. The ids are drawn
    /// in a materialized step and returned with each row's ordinality, so the mapping does not rest
    /// on the order RETURNING gives rows back in.
    private static func insertRows(_ rows: [PostgresBatchPlan.NewRow], _ connection: Postgres.Connection) throws -> [Int64] {
        guard !rows.isEmpty else { return [] }
        let f = rows.map(\.feedback)
        let found = try connection.cached("""
            WITH input AS MATERIALIZED (
                SELECT nextval(pg_get_serial_sequence('feedback', 'id')) AS id, r.* FROM unnest(
                    $1::bigint[], $2::text[], $3::text[], $4::text[], $5::text[], $6::text[], $7::text[], $8::text[], $9::text[],
                    $10::text[], $11::text[], $12::text[], $13::text[], $14::int[])
                    WITH ORDINALITY AS r(received_at, page, page_key, rating, reason, comment, source, labels, email,
                                         user_agent, origin, referer, client_hash, pii, ord)
                ORDER BY r.ord
            ), inserted AS (
                INSERT INTO feedback(id, received_at, page, page_key, rating, reason, comment, source, labels, email,
                                     user_agent, origin, referer, client_hash, pii)
                OVERRIDING SYSTEM VALUE
                SELECT id, received_at, page, page_key, rating, reason, comment, source, labels, email,
                       user_agent, origin, referer, client_hash, pii FROM input ORDER BY id
            )
            SELECT ord, id FROM input
            """).query([PostgresFold.idList(rows.map(\.receivedAt)), textArray(f.map(\.page)), textArray(f.map(\.pageKey)),
                  textArray(f.map(\.rating.rawValue)), textArray(f.map(\.reason)), textArray(f.map(\.comment)), textArray(f.map(\.source)),
                  textArray(f.map { $0.labels.isEmpty ? nil : LabelsJSON.encode($0.labels) }), textArray(f.map(\.email)),
                  textArray(f.map(\.userAgent)), textArray(f.map(\.origin)), textArray(f.map(\.referer)), textArray(rows.map(\.clientHash)),
                  PostgresFold.idList(f.map { Int64(pii($0.comment)) })]) { (ord: $0.int(0) - 1, id: $0.int64(1)) }
        var ids = [Int64?](repeating: nil, count: rows.count)
        for (ord, id) in found where ids.indices.contains(ord) { ids[ord] = id }
        let all = ids.compactMap { $0 }
        guard all.count == rows.count else { throw StorageError.noRowInserted(sql: "INSERT INTO feedback") }
        let labels = zip(all, f).flatMap { id, f in f.labels.map { (id, $0.key, $0.value) } }
        if !labels.isEmpty {
            try connection.cached("INSERT INTO feedback_labels(feedback_id, key, value) SELECT * FROM unnest($1::bigint[], $2::text[], $3::text[])")
                .run([PostgresFold.idList(labels.map(\.0)), textArray(labels.map(\.1)), textArray(labels.map(\.2))])
        }
        return all
    }

    /// Stores the details repeats of the batch merged into stored records (already locked).
    private static func updateStored(_ changed: [Int64: PostgresBatchPlan.StoredDetails], _ connection: Postgres.Connection) throws {
        guard !changed.isEmpty else { return }
        let rows = changed.sorted { $0.key < $1.key }
        // Not prepared: it finds its rows in `feedback` (see PostgresIngestor.takeOutEarlierRecords).
        try connection.run("""
            UPDATE feedback f SET reason = u.reason, comment = u.comment, email = u.email, pii = u.pii
            FROM unnest($1::bigint[], $2::text[], $3::text[], $4::text[], $5::int[]) AS u(id, reason, comment, email, pii) WHERE f.id = u.id
            """, [PostgresFold.idList(rows.map(\.key)), textArray(rows.map(\.value.reason)), textArray(rows.map(\.value.comment)),
                  textArray(rows.map(\.value.email)), PostgresFold.idList(rows.map { Int64(pii($0.value.comment)) })])
    }

    private static func pii(_ comment: String?) -> Int {
        (comment.map(PersonalData.contains) ?? false) ? 1 : 0
    }

    /// A `text[]` literal of `values`, NULL for nil.
    static func textArray(_ values: [String?]) -> String {
        "{" + values.map { $0.map(quoted) ?? "NULL" }.joined(separator: ",") + "}"
    }

    static func quoted(_ value: String) -> String {
        "\"" + value.replacing("\\", with: "\\\\").replacing("\"", with: "\\\"") + "\""
    }

    /// Lowercase hex of a key's hash, as `encode(…, 'hex')` writes it.
    static func hex(_ bytes: [UInt8]) -> String {
        let digits = Array("0123456789abcdef")
        return String(bytes.flatMap { [digits[Int($0 >> 4)], digits[Int($0 & 15)]] })
    }
}
