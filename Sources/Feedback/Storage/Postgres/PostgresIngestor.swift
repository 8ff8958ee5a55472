import Crypto
import Foundation
import Postgres

/// The `Ingestor`'s job on PostgreSQL, where several instances write at once: stores a batch of
/// validated submissions in one transaction (group commit per instance). What SQLite keeps in the one
/// process lives in the database here: the day's client-hash secret, the duplicate window (read from
/// `feedback_duplicate`) and idempotency keys. Two instances with the same idempotency key or the same
/// duplicate vote serialize on a transaction advisory lock for that key, taken up front in sorted
/// order (so two batches never wait on each other in a cycle); the later one then sees the earlier's
/// row. Ids come from the identity and are never reused. Rollups follow in `PostgresFold`.
/// Not thread-safe: use it on its connection's queue.
public final class PostgresIngestor {
    public struct Submission: Sendable {
        public let feedback: NewFeedback
        public let receivedAt: Int64
        public init(_ feedback: NewFeedback, receivedAt: Int64) {
            self.feedback = feedback
            self.receivedAt = receivedAt
        }
    }

    private let duplicateWindow: Int64
    private let maxCommentLength: Int
    /// The day's secret as a keyed HMAC state; forgotten when a transaction rolls back, since that
    /// transaction may have been the one that stored it.
    private var hashKey: (day: String, key: HMAC<SHA256>)?

    public init(duplicateWindow: Int64, maxCommentLength: Int) {
        self.duplicateWindow = duplicateWindow
        self.maxCommentLength = maxCommentLength
    }

    /// Stores the batch in one transaction; when it fails, each submission alone, so one bad row does
    /// not fail its neighbours. Results are in the batch's order; a success means committed.
    public func write(_ batch: [Submission], connection: Postgres.Connection) -> [Result<StoredFeedback, WriteFailure>] {
        do {
            return try connection.transaction { try ingest(batch, connection) }.map { .success($0) }
        } catch {
            hashKey = nil
            guard batch.count > 1 else { return [.failure(Self.failure(error))] }
            return batch.map { item in
                do {
                    return .success(try connection.transaction { try ingest([item], connection) }[0])
                } catch {
                    hashKey = nil
                    return .failure(Self.failure(error))
                }
            }
        }
    }

    private static func failure(_ error: any Error) -> WriteFailure {
        (error as? PostgresError)?.sqlState == "53100" ? .storageFull : .storage("\(error)")
    }

    private struct Prepared {
        let item: Submission
        let keyHash: [UInt8]?
        let clientHash: String?
    }

    /// Stores the batch inside the caller's transaction (tests hold one open to race another writer).
    func ingest(_ batch: [Submission], _ connection: Postgres.Connection) throws -> [StoredFeedback] {
        let prepared = try batch.map { item in
            let f = item.feedback
            let address = f.clientAddress
            let clientHash = try address.map { address in
                ClientHasher.digest(try key(day: Timestamp.day(milliseconds: item.receivedAt), connection), address: address,
                                    userAgent: f.userAgent, pageHost: PageNormalizer.host(ofNormalized: f.pageKey))
            }
            return Prepared(item: item, keyHash: f.idempotencyKey.map { Array(SHA256.hash(data: Data($0.utf8))) }, clientHash: clientHash)
        }
        let locks = Set(prepared.flatMap { p in
            [p.keyHash.map { Self.lockKey("idempotency", $0) },
             p.clientHash.map { Self.lockKey("duplicate", Array("\($0)\n\(p.item.feedback.pageKey)\n\(p.item.feedback.rating.rawValue)".utf8)) }]
                .compactMap { $0 }
        }).sorted()
        // One statement per key, in sorted order: the order a set-returning query calls a function
        // in is not promised, and two batches must take common keys in the same order.
        for lock in locks {
            _ = try connection.run("SELECT pg_advisory_xact_lock($1)", [lock])
        }
        try takeOutEarlierRecords(prepared, connection)
        return try prepared.map { try ingest($0, connection) }
    }

    /// Locks every stored record a repeated vote of the batch repeats, in id order in one statement
    /// (as the fold and every other writer of stored rows lock them), and takes those a vote may add
    /// details to and a fold has counted out of the rollups together, before any other rollup change.
    /// Taking them out one after another, each as its vote came, locked rollup rows in the batch's
    /// order and could deadlock with a fold or another instance's batch; so could locking a record
    /// after the batch changed rollup rows. A record taken out whose counts the merge leaves as they
    /// were costs only its next fold. What a submission then attaches to is already locked and queued
    /// (`attach` still handles a record this pass did not see, alone: one this batch inserted).
    private func takeOutEarlierRecords(_ prepared: [Prepared], _ connection: Postgres.Connection) throws {
        let repeats = prepared.filter { $0.clientHash != nil && duplicateWindow > 0 }
        guard !repeats.isEmpty else { return }
        // One statement for the whole batch: `earlierRecord`'s query for each submission.
        let found = try connection.query("""
            SELECT k.n, e.id FROM unnest($1::text[], $2::text[], $3::text[], $4::bigint[]) WITH ORDINALITY AS k(hash, page, rating, at, n)
            CROSS JOIN LATERAL (
                SELECT id FROM feedback WHERE client_hash = k.hash AND page_key = k.page AND rating = k.rating
                  AND received_at > k.at - $5 AND received_at < k.at + $5 ORDER BY received_at DESC, id DESC LIMIT 1) e
            """, [Self.textArray(repeats.map { $0.clientHash ?? "" }), Self.textArray(repeats.map(\.item.feedback.pageKey)),
                  Self.textArray(repeats.map(\.item.feedback.rating.rawValue)), PostgresFold.idList(repeats.map(\.item.receivedAt)), duplicateWindow]
        ) { (index: $0.int(0) - 1, id: $0.int64(1)) }
        var ids = Set<Int64>(), changing = Set<Int64>()
        for (index, id) in found where repeats.indices.contains(index) {
            ids.insert(id)
            let f = repeats[index].item.feedback
            if !FeedbackDetails(reason: f.reason, comment: f.comment, email: f.email).isEmpty { changing.insert(id) }
        }
        guard !ids.isEmpty else { return }
        _ = try connection.run("SELECT 1 FROM feedback WHERE id = ANY($1::bigint[]) ORDER BY id FOR UPDATE", [PostgresFold.idList(ids.sorted())])
        guard !changing.isEmpty else { return }
        // A new statement, so a new snapshot: sees what the folds that held these rows committed.
        let folded = try connection.query("""
            SELECT id FROM feedback f WHERE id = ANY($1::bigint[]) AND status <> 'spam'
              AND NOT EXISTS (SELECT 1 FROM feedback_unfolded u WHERE u.feedback_id = f.id) ORDER BY id
            """, [PostgresFold.idList(changing.sorted())]) { $0.int64(0) }
        try PostgresFold.takeOut(folded, connection)
    }

    /// The stored record a submission repeats: the same reader's vote on the page, within the window on
    /// either side (another instance may have stamped the same vote a moment later).
    private func earlierRecord(_ p: Prepared, _ connection: Postgres.Connection) throws -> (id: Int64, receivedAt: Int64)? {
        guard let clientHash = p.clientHash, duplicateWindow > 0 else { return nil }
        let f = p.item.feedback, receivedAt = p.item.receivedAt
        return try connection.first("""
            SELECT id, received_at FROM feedback
            WHERE client_hash = $1 AND page_key = $2 AND rating = $3 AND received_at > $4 AND received_at < $5
            ORDER BY received_at DESC, id DESC LIMIT 1
            """, [clientHash, f.pageKey, f.rating.rawValue, receivedAt - duplicateWindow, receivedAt + duplicateWindow]) { ($0.int64(0), $0.int64(1)) }
    }

    private func ingest(_ p: Prepared, _ connection: Postgres.Connection) throws -> StoredFeedback {
        let f = p.item.feedback, receivedAt = p.item.receivedAt
        if let keyHash = p.keyHash, let replay = try connection.first("""
            SELECT k.feedback_id, f.received_at, k.status FROM idempotency_keys k JOIN feedback f ON f.id = k.feedback_id
            WHERE k.key_hash = $1 AND k.created_at > $2
            """, [keyHash, receivedAt - Ingestor.idempotencyWindow], { row in
                StoredFeedback(id: row.int64(0), receivedAt: row.int64(1), duplicate: row.int(2) != 201, replayed: true)
            }) {
            return replay
        }
        var result: StoredFeedback?
        if let earlier = try earlierRecord(p, connection), try attach(f, to: earlier.id, connection) {
            result = StoredFeedback(id: earlier.id, receivedAt: earlier.receivedAt, duplicate: true)
        }
        let stored = try result ?? StoredFeedback(id: Self.insert(f, receivedAt: receivedAt, clientHash: p.clientHash, connection), receivedAt: receivedAt)
        if let keyHash = p.keyHash {
            try connection.run("""
                INSERT INTO idempotency_keys(key_hash, feedback_id, status, created_at) VALUES ($1, $2, $3, $4)
                ON CONFLICT (key_hash) DO UPDATE SET feedback_id = excluded.feedback_id, status = excluded.status, created_at = excluded.created_at
                """, [keyHash, stored.id, stored.duplicate ? 200 : 201, receivedAt])
        }
        return stored
    }

    /// Inserts a row and its labels (the trigger queues it for the fold); also imports' insert.
    static func insert(_ f: NewFeedback, receivedAt: Int64, clientHash: String?, _ connection: Postgres.Connection) throws -> Int64 {
        let labels = f.labels.isEmpty ? nil : LabelsJSON.encode(f.labels)
        guard let id = try connection.first("""
            INSERT INTO feedback(received_at, page, page_key, rating, reason, comment, source, labels, email,
                                 user_agent, origin, referer, client_hash, pii)
            VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14) RETURNING id
            """, [receivedAt, f.page, f.pageKey, f.rating.rawValue, f.reason, f.comment, f.source, labels, f.email,
                  f.userAgent, f.origin, f.referer, clientHash, (f.comment.map(PersonalData.contains) ?? false) ? 1 : 0], { $0.int64(0) })
        else { throw StorageError.noRowInserted(sql: "INSERT INTO feedback") }
        for label in f.labels {
            try connection.run("INSERT INTO feedback_labels(feedback_id, key, value) VALUES ($1, $2, $3)", [id, label.key, label.value])
        }
        return id
    }

    /// Adds a repeated vote's reason, comment and email to the earlier record; false when it is gone.
    /// A record the fold has counted is taken out of the rollups and queued again, so the next fold
    /// counts it as it is now.
    private func attach(_ f: NewFeedback, to id: Int64, _ connection: Postgres.Connection) throws -> Bool {
        let details = FeedbackDetails(reason: f.reason, comment: f.comment, email: f.email)
        // Locked first: a fold of this row waits, or is waited for (PostgresFold.fold).
        guard let before = try connection.first("SELECT reason, comment, email, status FROM feedback WHERE id = $1 FOR UPDATE", [id], {
            (reason: $0.optionalString(0), comment: $0.optionalString(1), email: $0.optionalString(2), spam: $0.string(3) == "spam")
        }) else { return false }
        if details.isEmpty { return true }
        let merged = Followups.merge(details, reason: before.reason, comment: before.comment, email: before.email, maxCommentLength: maxCommentLength)
        let changesRollups = !before.spam && (merged.reason != before.reason || (merged.comment != nil) != (before.comment != nil))
        // A new statement, so a new snapshot: sees whether a fold that held the row committed.
        let folded = try connection.first("SELECT 1 FROM feedback_unfolded WHERE feedback_id = $1", [id]) { _ in true } == nil
        if changesRollups && folded {
            try PostgresFold.takeOut([id], connection)
        }
        try connection.run("UPDATE feedback SET reason = $1, comment = $2, email = $3, pii = $4 WHERE id = $5",
                           [merged.reason, merged.comment, merged.email, (merged.comment.map(PersonalData.contains) ?? false) ? 1 : 0, id])
        return true
    }

    /// The day's shared secret: the first instance to need it stores it, the others read that one.
    private func key(day: String, _ connection: Postgres.Connection) throws -> HMAC<SHA256> {
        if let hashKey, hashKey.day == day { return hashKey.key }
        let fresh = SymmetricKey(size: .bits256).withUnsafeBytes { Array($0) }
        try connection.run("INSERT INTO client_hash_keys(day, secret) VALUES ($1, $2) ON CONFLICT (day) DO NOTHING", [day, fresh])
        guard let bytes = try connection.first("SELECT secret FROM client_hash_keys WHERE day = $1", [day], { $0.bytes(0) }), bytes.count == 32 else {
            throw StorageError.noRowInserted(sql: "INSERT INTO client_hash_keys")
        }
        // Older secrets go, so hashes cannot be linked across days. The day before stays one more
        // day: another instance may still be writing a vote it received before midnight, and a new
        // secret for that day would let that reader's repeated vote through.
        if let previous = Self.previousDay(day) {
            try connection.run("DELETE FROM client_hash_keys WHERE day < $1", [previous])
        }
        let key = HMAC<SHA256>(key: SymmetricKey(data: bytes))
        hashKey = (day, key)
        return key
    }

    /// The UTC day before `day` (YYYY-MM-DD), or nil when `day` is not one.
    static func previousDay(_ day: String) -> String? {
        let parts = day.split(separator: "-").compactMap { Int64($0) }
        guard parts.count == 3, let date = DateComponents(calendar: Calendar(identifier: .gregorian), timeZone: .gmt,
                                                          year: Int(parts[0]), month: Int(parts[1]), day: Int(parts[2])).date
        else { return nil }
        return Timestamp.day(milliseconds: Int64(date.timeIntervalSince1970 * 1000) - Rollups.dayMilliseconds)
    }

    /// A `text[]` literal of `values`, each quoted (commas, quotes, backslashes and braces kept as written).
    static func textArray(_ values: [String]) -> String {
        "{" + values.map { "\"" + $0.replacing("\\", with: "\\\\").replacing("\"", with: "\\\"") + "\"" }.joined(separator: ",") + "}"
    }

    /// An advisory lock key for one idempotency key or duplicate-window key.
    private static func lockKey(_ kind: String, _ bytes: [UInt8]) -> Int64 {
        let digest = Array(SHA256.hash(data: Array(kind.utf8) + [0] + bytes))
        return digest.prefix(8).reduce(Int64(0)) { $0 << 8 | Int64($1) }
    }
}
