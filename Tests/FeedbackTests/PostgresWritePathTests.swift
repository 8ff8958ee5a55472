import Dispatch
import Foundation
import Postgres
import SQLite
import Synchronization
import Testing
import TestSupport
@testable import Feedback

/// PostgreSQL's write path: `PostgresIngestor` stores batches, `PostgresFold` folds them into the
/// rollups. Checked against SQLite's real path, against a recomputation from the rows, and with
/// several connections writing and folding at once.
@Suite(.enabled(if: !PostgresServer.isSkipped)) struct PostgresWritePathTests {
    static let now = ReadBackends.now
    static let day = ReadBackends.day
    static let window: Int64 = 600_000

    /// A new migrated database and a way to open more connections to it.
    static func database() throws -> (session: PostgresSession, connect: () throws -> Postgres.Connection) {
        let server = try PostgresServer.shared()
        let url = server.url(database: try server.createDatabase())
        return (try PostgresDatabase.open(url), { try Postgres.Connection(url) })
    }

    /// `count` submissions over `days` days before `now`: pages, sources, labels, reasons, comments; repeated votes of
    /// one client within the duplicate window (some adding a comment), retries with an idempotency key.
    static func submissions(_ count: Int, seed start: UInt64 = 7, days: Int64 = 30) -> [PostgresIngestor.Submission] {
        var seed = start
        func next(_ bound: Int) -> Int {
            seed = seed &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
            return Int((seed >> 33) % UInt64(bound))
        }
        let pages = ["https://docs.example.com/guide/start", "https://docs.example.com/api/auth", "https://docs.example.com/api/payments", "/faq"]
        let reasons: [String?] = [nil, "outdated", "unclear"]
        var out: [PostgresIngestor.Submission] = []
        for n in 0..<count {
            let at = now - days * day + Int64(n) * (days * day / Int64(count))
            if n > 0, next(5) == 0, let earlier = out.last {
                // The same client again: a duplicate vote, sometimes with a comment or a reason.
                var again = earlier.feedback
                again.comment = next(2) == 0 ? "again \(n)" : nil
                again.reason = again.rating == .down ? "wrong" : nil
                again.idempotencyKey = nil
                out.append(.init(again, receivedAt: earlier.receivedAt + 1000))
                continue
            }
            if n > 0, next(9) == 0, let earlier = out.last, earlier.feedback.idempotencyKey != nil {
                out.append(.init(earlier.feedback, receivedAt: earlier.receivedAt + 500))
                continue
            }
            let page = pages[next(pages.count)]
            let rating: Rating = next(3) == 0 ? .down : .up
            var labels: [(key: String, value: String)] = []
            if next(3) == 0 { labels.append(("api", next(2) == 0 ? "payments" : "auth")) }
            if next(4) == 0 { labels.append(("plan", "pro")) }
            var feedback = NewFeedback(page: page, pageKey: page, rating: rating, reason: rating == .down ? reasons[next(reasons.count)] : nil,
                                       comment: next(3) == 0 ? "comment \(n)" : nil, source: next(4) == 0 ? "app" : "docs", labels: labels,
                                       email: nil, userAgent: "UA", origin: nil, referer: nil, clientAddress: "192.0.2.\(n % 50)")
            feedback.idempotencyKey = next(3) == 0 ? "key-\(n)" : nil
            out.append(.init(feedback, receivedAt: at))
        }
        return out
    }

    @Test func answersAsSQLiteDoesForTheSameSubmissions() throws {
        let items = Self.submissions(400)
        let directory = TemporaryDirectory()
        let store = try FeedbackStore(options: StorageOptions(path: directory.file("h.db")))
        defer { store.close() }
        let (session, _) = try Self.database()
        let ingestor = Ingestor(duplicateWindow: Self.window, maxCommentLength: 4000)
        let postgres = PostgresIngestor(duplicateWindow: Self.window, maxCommentLength: 4000)
        var sqliteResults: [StoredFeedback] = [], postgresResults: [StoredFeedback] = []
        // Batches of 16, a fold every 5 batches: later duplicates change rows already folded.
        for (index, start) in stride(from: 0, to: items.count, by: 16).enumerated() {
            let batch = Array(items[start..<min(start + 16, items.count)])
            try store.writeNow { db in
                sqliteResults += try db.transaction(.immediate) {
                    try batch.map { try ingestor.ingest($0.feedback, receivedAt: $0.receivedAt, connection: db) }
                }
                ingestor.committed(now: batch[batch.count - 1].receivedAt)
                if index % 5 == 4 { try DerivedData.foldAll(connection: db) }
            }
            for result in postgres.write(batch, connection: session.connection) { postgresResults.append(try result.get()) }
            if index % 5 == 4 { #expect(try PostgresFold.foldAll(session.connection) != nil) }
        }
        _ = try store.writeNow { try DerivedData.foldAll(connection: $0) }
        try PostgresFold.foldAll(session.connection)
        // What the ingest batch and the fold keep prepared never reads `feedback`: PostgreSQL would
        // soon run it on a generic plan made while the table was nearly empty (a sequential scan
        // kept as the table grows, until autovacuum's ANALYZE: 11.6 ms a batch, docs/benchmarks.md).
        let prepared = try session.connection.query("SELECT statement FROM pg_prepared_statements") { $0.string(0) }
        #expect(prepared.count >= 5)
        let readsFeedback = prepared.filter {
            $0.range(of: #"\b(from|join|update|using)\s+(only\s+)?("?public"?\.)?"?feedback\b"#, options: [.regularExpression, .caseInsensitive]) != nil
        }
        #expect(readsFeedback.isEmpty, "\(readsFeedback)")
        #expect(postgresResults == sqliteResults)
        #expect(postgresResults.contains { $0.duplicate && !$0.replayed } && postgresResults.contains { $0.replayed })
        try Self.expectSameAnswers(store, session)
        try Self.expectRollupsMatchTheRows(session.connection)
    }

    /// Every aggregate of `ReadBackendsQueryTests` and the listing answer the same on both backends.
    static func expectSameAnswers(_ store: FeedbackStore, _ session: PostgresSession, sourceLocation: SourceLocation = #_sourceLocation) throws {
        let queries: [ReadBackendsQueryTests.Query] = ReadBackendsQueryTests.aggregates() + [
            ("listing", { try $0.feedback(FeedbackFilter(), limit: 1000, after: nil).items.map {
                [$0.id, $0.status, $0.reason ?? "", $0.comment ?? "", $0.email ?? "", $0.note ?? "", $0.tags.joined(separator: ","), $0.receivedAt] as [Any]
            } }),
        ]
        for query in queries {
            // Windowed page lists come in page-id order, which is the order each fold first met the
            // pages (SQLite's from a dictionary): compared as sets.
            func canonical(_ answer: Any) -> String {
                guard query.name.hasPrefix("page"), let list = answer as? [Any] else { return ReadBackends.canonical(answer) }
                return list.map(ReadBackends.canonical).sorted().joined(separator: "\n")
            }
            #expect(canonical(try store.read(query.run)) == canonical(try query.run(PostgresDatabase.reader(session))), "\(query.name)",
                    sourceLocation: sourceLocation)
        }
    }

    /// A repeated vote that brings a comment and a reason, once before its record was folded and once
    /// after: the rollups count the record as it is now.
    @Test func aRepeatedVoteChangesTheRecordItRepeatsFoldedOrNot() throws {
        let (session, _) = try Self.database()
        let ingestor = PostgresIngestor(duplicateWindow: Self.window, maxCommentLength: 4000)
        var vote = PostgresConcurrentWriteTests.vote("/d", at: Self.now, address: "192.0.2.7")
        vote = .init({ var f = vote.feedback; f.rating = .down; return f }(), receivedAt: Self.now)
        func again(_ comment: String, reason: String, after: Int64) throws -> StoredFeedback {
            var f = vote.feedback
            (f.comment, f.reason) = (comment, reason)
            return try ingestor.write([.init(f, receivedAt: Self.now + after)], connection: session.connection)[0].get()
        }
        let id = try ingestor.write([vote], connection: session.connection)[0].get().id
        #expect(try again("before the fold", reason: "unclear", after: 1000).id == id)
        try PostgresFold.foldAll(session.connection)
        try Self.expectRollupsMatchTheRows(session.connection)
        #expect(try again("after the fold", reason: "wrong", after: 2000).duplicate)
        // Taken out of the rollups and queued again: the next fold counts it as it is now.
        #expect(try PostgresFold.pendingRows(session.connection) == 1)
        #expect(try PostgresFold.foldAll(session.connection) == 1)
        try Self.expectRollupsMatchTheRows(session.connection)
        #expect(try session.connection.first("SELECT comment, reason FROM feedback WHERE id = $1", [id]) { "\($0.string(0))|\($0.string(1))" }
            == "before the fold\n\nafter the fold|wrong")
    }

    /// Every rollup equals a recomputation from the rows (spam left out).
    static func expectRollupsMatchTheRows(_ db: Postgres.Connection, sourceLocation: SourceLocation = #_sourceLocation) throws {
        for (rollup, rows) in RollupRecomputation.checks {
            // Groups whose votes were all taken away again count as absent.
            let folded = try db.query("SELECT x::text FROM (\(rollup)) x WHERE x.up <> 0 OR x.down <> 0 ORDER BY 1") { $0.string(0) }
            let recomputed = try db.query("SELECT x::text FROM (\(rows)) x ORDER BY 1") { $0.string(0) }
            #expect(folded == recomputed, "\(rollup)", sourceLocation: sourceLocation)
        }
    }
}
