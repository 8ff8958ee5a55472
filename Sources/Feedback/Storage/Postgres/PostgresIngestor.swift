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
        // One statement, in sorted order (migrations/postgres/0003): two batches take common keys in
        // the same order.
        if !locks.isEmpty {
            _ = try connection.cached("SELECT feedback_lock_keys($1::bigint[])").run([PostgresFold.idList(locks)])
        }
        let (earlier, stored) = try takeOutEarlierRecords(prepared, connection)
        var plan = PostgresBatchPlan(duplicateWindow: duplicateWindow, maxCommentLength: maxCommentLength, stored: stored,
                                     keys: try knownKeys(prepared, connection))
        for (index, p) in prepared.enumerated() {
            plan.add(p.item.feedback, receivedAt: p.item.receivedAt, clientHash: p.clientHash, key: p.keyHash.map(Self.hex), earlier: earlier[index])
        }
        return try store(plan, connection)
    }

    /// Locks every stored record a repeated vote of the batch repeats, in id order in one statement
    /// (as the fold and every other writer of stored rows lock them), and takes those a vote may add
    /// details to and a fold has counted out of the rollups together, before any other rollup change.
    /// Taking them out one after another, each as its vote came, locked rollup rows in the batch's
    /// order and could deadlock with a fold or another instance's batch; so could locking a record
    /// after the batch changed rollup rows. A record taken out whose counts the merge leaves as they
    /// were costs only its next fold. Returns each repeat's newest earlier record by batch index, and
    /// the locked records' details (one deleted meanwhile is missing: its repeats are new rows).
    private func takeOutEarlierRecords(_ prepared: [Prepared], _ connection: Postgres.Connection) throws
        -> (earlier: [Int: PostgresBatchPlan.Earlier], stored: [Int64: PostgresBatchPlan.StoredDetails]) {
        let repeats = prepared.indices.filter { prepared[$0].clientHash != nil && duplicateWindow > 0 }
        guard !repeats.isEmpty else { return ([:], [:]) }
        let items = repeats.map { prepared[$0] }
        // One statement for the whole batch: each submission's newest earlier record. Not prepared,
        // like the other reads of `feedback` below: these run with a plan made for their values and
        // the table's current size. Prepared, PostgreSQL soon switched to one generic plan, chosen
        // while the table was still nearly empty, and kept it while the table grew: 11.6 ms a batch
        // instead of 0.33 ms on a new database, until autovacuum's ANALYZE (docs/benchmarks.md).
        let found = try connection.query("""
            SELECT k.n, e.id, e.received_at FROM unnest($1::text[], $2::text[], $3::text[], $4::bigint[]) WITH ORDINALITY AS k(hash, page, rating, at, n)
            CROSS JOIN LATERAL (
                SELECT id, received_at FROM feedback WHERE client_hash = k.hash AND page_key = k.page AND rating = k.rating
                  AND received_at > k.at - $5 AND received_at < k.at + $5 ORDER BY received_at DESC, id DESC LIMIT 1) e
            """, [Self.textArray(items.map { $0.clientHash ?? "" }), Self.textArray(items.map(\.item.feedback.pageKey)),
                  Self.textArray(items.map(\.item.feedback.rating.rawValue)), PostgresFold.idList(items.map(\.item.receivedAt)), duplicateWindow]
        ) { (index: $0.int(0) - 1, id: $0.int64(1), receivedAt: $0.int64(2)) }
        var earlier: [Int: PostgresBatchPlan.Earlier] = [:]
        var changing = Set<Int64>()
        for (index, id, receivedAt) in found where repeats.indices.contains(index) {
            earlier[repeats[index]] = PostgresBatchPlan.Earlier(id: id, receivedAt: receivedAt)
            let f = items[index].item.feedback
            if !FeedbackDetails(reason: f.reason, comment: f.comment, email: f.email).isEmpty { changing.insert(id) }
        }
        guard !earlier.isEmpty else { return ([:], [:]) }
        let ids = Set(earlier.values.map(\.id)).sorted()
        let locked = try connection.query("SELECT id, reason, comment, email FROM feedback WHERE id = ANY($1::bigint[]) ORDER BY id FOR UPDATE",
                                          [PostgresFold.idList(ids)]) {
            ($0.int64(0), PostgresBatchPlan.StoredDetails(reason: $0.optionalString(1), comment: $0.optionalString(2), email: $0.optionalString(3)))
        }
        let stored = Dictionary(locked, uniquingKeysWith: { first, _ in first })
        guard !changing.isEmpty else { return (earlier, stored) }
        // A new statement, so a new snapshot: sees what the folds that held these rows committed.
        let folded = try connection.query("""
            SELECT id FROM feedback f WHERE id = ANY($1::bigint[]) AND status <> 'spam'
              AND NOT EXISTS (SELECT 1 FROM feedback_unfolded u WHERE u.feedback_id = f.id) ORDER BY id
            """, [PostgresFold.idList(changing.sorted())]) { $0.int64(0) }
        try PostgresFold.takeOut(folded, connection)
        return (earlier, stored)
    }

    /// The stored idempotency keys of the batch, with the answer each gives, in one query.
    private func knownKeys(_ prepared: [Prepared], _ connection: Postgres.Connection) throws -> [String: PostgresBatchPlan.KeyRecord] {
        let hashes = Set(prepared.compactMap { $0.keyHash.map(Self.hex) })
        guard !hashes.isEmpty else { return [:] }
        let rows = try connection.query("""
            SELECT encode(k.key_hash, 'hex'), k.feedback_id, f.received_at, k.status, k.created_at
            FROM idempotency_keys k JOIN feedback f ON f.id = k.feedback_id
            WHERE k.key_hash = ANY(ARRAY(SELECT decode(h, 'hex') FROM unnest($1::text[]) h))
            """, [Self.textArray(hashes.sorted())]) { row in
            (row.string(0), PostgresBatchPlan.KeyRecord(target: .stored(row.int64(1)), receivedAt: row.int64(2), status: row.int(3), createdAt: row.int64(4)))
        }
        return Dictionary(rows, uniquingKeysWith: { first, _ in first })
    }

    /// Inserts a row and its labels (the trigger queues it for the fold); also imports' insert.
    static func insert(_ f: NewFeedback, receivedAt: Int64, clientHash: String?, _ connection: Postgres.Connection) throws -> Int64 {
        let labels = f.labels.isEmpty ? nil : LabelsJSON.encode(f.labels)
        guard let id = try connection.cached("""
            INSERT INTO feedback(received_at, page, page_key, rating, reason, comment, source, labels, email,
                                 user_agent, origin, referer, client_hash, pii)
            VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14) RETURNING id
            """).first([receivedAt, f.page, f.pageKey, f.rating.rawValue, f.reason, f.comment, f.source, labels, f.email,
                  f.userAgent, f.origin, f.referer, clientHash, (f.comment.map(PersonalData.contains) ?? false) ? 1 : 0], { $0.int64(0) })
        else { throw StorageError.noRowInserted(sql: "INSERT INTO feedback") }
        for label in f.labels {
            try connection.cached("INSERT INTO feedback_labels(feedback_id, key, value) VALUES ($1, $2, $3)").run([id, label.key, label.value])
        }
        return id
    }

    /// The day's shared secret: the first instance to need it stores it, the others read that one.
    private func key(day: String, _ connection: Postgres.Connection) throws -> HMAC<SHA256> {
        if let hashKey, hashKey.day == day { return hashKey.key }
        let fresh = SymmetricKey(size: .bits256).withUnsafeBytes { Array($0) }
        try connection.cached("INSERT INTO client_hash_keys(day, secret) VALUES ($1, $2) ON CONFLICT (day) DO NOTHING").run([day, fresh])
        guard let bytes = try connection.cached("SELECT secret FROM client_hash_keys WHERE day = $1").first([day], { $0.bytes(0) }), bytes.count == 32 else {
            throw StorageError.noRowInserted(sql: "INSERT INTO client_hash_keys")
        }
        // Older secrets go, so hashes cannot be linked across days. The day before stays one more
        // day: another instance may still be writing a vote it received before midnight, and a new
        // secret for that day would let that reader's repeated vote through.
        if let previous = Self.previousDay(day) {
            try connection.cached("DELETE FROM client_hash_keys WHERE day < $1").run([previous])
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
        "{" + values.map(quoted).joined(separator: ",") + "}"
    }

    /// An advisory lock key for one idempotency key or duplicate-window key.
    private static func lockKey(_ kind: String, _ bytes: [UInt8]) -> Int64 {
        let digest = Array(SHA256.hash(data: Array(kind.utf8) + [0] + bytes))
        return digest.prefix(8).reduce(Int64(0)) { $0 << 8 | Int64($1) }
    }
}
