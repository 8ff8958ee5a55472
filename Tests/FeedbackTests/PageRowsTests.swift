import Foundation
import Synchronization
import SQLite
import Testing
import TestSupport
@testable import Feedback

/// Listings by page read the rows by page the fold keeps (migrations/0009), or, for a status few rows
/// have, the status index with the page as a condition: both must list the same rows.
@Suite struct PageRowsTests {
    @Test func aPageListingFindsItsRowsThroughEitherIndex() throws {
        let dir = TemporaryDirectory()
        let store = try FeedbackStore(options: StorageOptions(path: dir.file("p.db")))
        defer { store.close() }
        try store.writeNow { db in
            try db.transaction {
                for n in 0..<60 {
                    let page = "/p/\(n % 3)"
                    let row = NewFeedback(page: page, pageKey: page, rating: n % 2 == 0 ? .up : .down, reason: nil, comment: nil, source: "docs",
                                          labels: [], email: nil, userAgent: nil, origin: nil, referer: nil, clientAddress: nil)
                    let id = try FeedbackRows.insert(row, receivedAt: 1_700_000_000_000 + Int64(n), clientHash: nil, connection: db)
                    if n % 4 == 0 { try db.run("UPDATE feedback SET status = 'spam' WHERE id = ?", [id]) }
                }
            }
            try DerivedData.foldAll(connection: db)
        }
        var filter = FeedbackFilter()
        filter.page = "/p/1"
        filter.status = .spam
        let (rare, listed) = try store.readNow { db in
            (try FeedbackQueries.isRareStatus(filter, connection: db), try FeedbackQueries.list(filter, limit: 3, after: nil, connection: db))
        }
        #expect(rare)
        // n ≡ 1 (mod 3) and n ≡ 0 (mod 4): n = 4, 16, 28, 40, 52 → ids n + 1, newest first.
        #expect(listed.items.map(\.id) == [53, 41, 29])
        let rest = try store.readNow { db in
            try FeedbackQueries.list(filter, limit: 3, after: listed.nextCursor.flatMap(Cursor.decodeID), connection: db)
        }
        #expect(rest.items.map(\.id) == [17, 5])
        filter.status = nil
        let all = try store.readNow { try FeedbackQueries.list(filter, limit: 100, after: nil, connection: $0) }
        #expect(all.items.map(\.id) == stride(from: 59, through: 2, by: -3).map { Int64($0) })
        let plan = try store.readNow { db in
            var spam = FeedbackFilter()
            spam.page = "/p/1"
            spam.status = .spam
            let (sql, values) = try spam.clause(pageThroughStatus: true)
            return try db.fetch("EXPLAIN QUERY PLAN SELECT id FROM \(spam.relation(pageThroughStatus: true).from) WHERE \(sql) ORDER BY id DESC",
                                values, reuse: false) { $0.string(3) }
        }
        #expect(plan.contains { $0.contains("INDEX feedback_status_triaged (status=?)") }, "\(plan)")
    }
}

/// A fold that fails is never silent: the store's observer hears of it (the server logs and counts it).
@Suite struct FoldFailureTests {
    @Test func aFailedFoldIsReported() throws {
        let dir = TemporaryDirectory()
        let failures = Mutex<[String]>([])
        let store = try FeedbackStore(options: StorageOptions(path: dir.file("f.db")), onFoldFailure: { error in
            failures.withLock { $0.append("\(error)") }
        })
        defer { store.close() }
        try store.writeNow { db in
            // The fold writes this table; without it every fold fails until it is back.
            try db.execute("ALTER TABLE feedback_down_reasons RENAME TO kept_aside")
            let row = NewFeedback(page: "/f", pageKey: "/f", rating: .down, reason: "outdated", comment: nil, source: "docs",
                                  labels: [], email: nil, userAgent: nil, origin: nil, referer: nil, clientAddress: nil)
            _ = try FeedbackRows.insert(row, receivedAt: Timestamp.nowMilliseconds(), clientHash: nil, connection: db)
        }
        #expect(failures.withLock { $0.isEmpty })
        try store.writeNow { db in store.writer.foldPending(db) }
        #expect(failures.withLock { $0.count } == 1)
        #expect(failures.withLock { $0.first?.contains("feedback_down_reasons") } == true)
    }

    /// A fold that keeps failing is retried on the timer, not back to back: with a fold's worth of rows
    /// waiting, a failed fold once started the next at once, hundreds a second with no traffic at all.
    @Test func aFoldThatKeepsFailingWaitsForTheTimer() throws {
        let dir = TemporaryDirectory()
        let failures = Atomic<Int>(0)
        let store = try FeedbackStore(options: StorageOptions(path: dir.file("f.db")), onFoldFailure: { _ in
            failures.add(1, ordering: .relaxed)
        })
        defer { store.close() }
        try store.writeNow { db in try db.execute("ALTER TABLE feedback_down_reasons RENAME TO kept_aside") }
        let acknowledged = Atomic<Int>(0)
        let rows = DerivedData.foldRows + 100
        for n in 0..<rows {
            let row = NewFeedback(page: "/f/\(n % 7)", pageKey: "/f/\(n % 7)", rating: .down, reason: "outdated", comment: nil, source: "docs",
                                  labels: [], email: nil, userAgent: nil, origin: nil, referer: nil, clientAddress: nil)
            store.submit(row) { result in if case .success = result { acknowledged.add(1, ordering: .relaxed) } }
        }
        #expect(waitUntil(timeout: 60) { acknowledged.load(ordering: .relaxed) == rows && failures.load(ordering: .relaxed) > 0 })
        // Four more failures: on the 500 ms timer at least three whole intervals apart (1.5 s); back to
        // back they took about 0.3 s.
        let before = failures.load(ordering: .relaxed), started = Date()
        #expect(waitUntil(timeout: 60) { failures.load(ordering: .relaxed) >= before + 4 })
        let elapsed = Date().timeIntervalSince(started)
        #expect(elapsed >= 1.2, "four failed folds in \(elapsed) s")
    }
}
