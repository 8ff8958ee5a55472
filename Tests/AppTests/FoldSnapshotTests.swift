import Foundation
import SQLite
import Testing
import TestSupport
@testable import Feedback

/// The writer reads each timed fold on a snapshot and applies it later (`FoldPlan`): a plan whose
/// rows changed, or were folded by someone else, in between must never be applied.
@Suite struct FoldSnapshotTests {
    private func insert(_ count: Int, into store: FeedbackStore, from first: Int) throws -> [Int64] {
        try store.writeNow { db in
            try db.transaction {
                try (first..<first + count).map { n in
                    let page = "/snap/\(n % 4)"
                    let row = NewFeedback(page: page, pageKey: page, rating: n % 2 == 0 ? .up : .down, reason: n % 3 == 0 ? nil : "outdated",
                                          comment: n % 5 == 0 ? "comment \(n)" : nil, source: "docs", labels: n % 2 == 0 ? [("lang", "en")] : [],
                                          email: nil, userAgent: nil, origin: nil, referer: nil, clientAddress: nil)
                    return try FeedbackRows.insert(row, receivedAt: 1_700_000_000_000 + Int64(n) * 60_000, clientHash: nil, connection: db)
                }
            }
        }
    }

    private func expectConsistent(_ store: FeedbackStore, _ when: String) throws {
        try store.readNow { db in
            for check in RollupTests.checks {
                let stored = try db.query(check.rollup) { row in (0..<row.columnCount).map { row.value($0) } }
                let expected = try db.query(check.fromRows) { row in (0..<row.columnCount).map { row.value($0) } }
                #expect(stored == expected, "\(when): \(check.rollup)")
            }
        }
    }

    @Test func aPlanIsAppliedOnlyWhileItsRowsAreUnfoldedAndUnchanged() throws {
        let dir = TemporaryDirectory()
        let store = try FeedbackStore(options: StorageOptions(path: dir.file("s.db")))
        defer { store.close() }
        let snapshot = try Connection(path: dir.file("s.db"), options: ConnectionOptions(readOnly: true))
        defer { snapshot.close() }
        func plan() throws -> FoldPlan? { try snapshot.transaction(.deferred) { try FoldPlan.read(limit: DerivedData.foldRows, connection: snapshot) } }
        func isCurrent(_ plan: FoldPlan) throws -> Bool { try store.writeNow { db in try db.transaction { try plan.isCurrent(db) } } }

        var next = 0
        // Unchanged: it applies, and the rollups equal the rows.
        _ = try insert(24, into: store, from: next)
        next += 24
        let unchanged = try #require(try plan())
        #expect(unchanged.rows == 24)
        let applied = try store.writeNow { db in
            try db.transaction { () throws -> Bool in
                guard try unchanged.isCurrent(db) else { return false }
                try unchanged.apply(db)
                return true
            }
        }
        #expect(applied)
        #expect(try store.writeNow { try DerivedData.pendingRows($0) } == 0)
        try expectConsistent(store, "after an unchanged plan")

        // A row the plan read is marked spam, erased or given another reason before the apply.
        for change in ["UPDATE feedback SET status = 'spam' WHERE id = ?", "DELETE FROM feedback WHERE id = ?",
                       "UPDATE feedback SET reason = 'unclear', comment = 'later' WHERE id = ?"] {
            let ids = try insert(12, into: store, from: next)
            next += 12
            let stale = try #require(try plan())
            try store.writeNow { db in try db.run(change, [ids[4]]) }
            #expect(try !isCurrent(stale), "\(change)")
            try store.writeNow { db in store.writer.foldPending(db) }
            try expectConsistent(store, "after \(change)")
        }

        // The writer folded the rows itself (a read asked) before the plan's apply.
        _ = try insert(6, into: store, from: next)
        let overtaken = try #require(try plan())
        try store.writeNow { db in store.writer.foldPending(db) }
        #expect(try !isCurrent(overtaken))

        // A row changed at or below the watermark does not drop a plan of rows above it.
        let folded = try store.writeNow { try DerivedData.watermark($0) }
        _ = try insert(6, into: store, from: next + 6)
        let later = try #require(try plan())
        try store.writeNow { db in try db.run("UPDATE feedback SET status = 'triaged' WHERE id = ?", [folded]) }
        #expect(try isCurrent(later))
    }

    /// Rows posted and never read are folded by the timer, through the snapshot, each exactly once.
    @Test func timedFoldsFoldEveryPostedRowOnce() throws {
        let dir = TemporaryDirectory()
        let store = try FeedbackStore(options: StorageOptions(path: dir.file("t.db")))
        defer { store.close() }
        for round in 0..<3 {
            let done = DispatchGroup()
            for n in 0..<200 {
                let page = "/timed/\(n % 7)"
                let row = NewFeedback(page: page, pageKey: page, rating: n % 3 == 0 ? .down : .up, reason: n % 3 == 0 ? "outdated" : nil,
                                      comment: n % 4 == 0 ? "round \(round) \(n)" : nil, source: "docs", labels: [], email: nil, userAgent: nil,
                                      origin: nil, referer: nil, clientAddress: nil)
                done.enter()
                store.submit(row) { _ in done.leave() }
            }
            #expect(done.wait(timeout: .now() + 60) == .success)
            let last = try store.writeNow { db in try db.first("SELECT max(id) FROM feedback") { $0.int64(0) } }
            #expect(last == Int64(200 * (round + 1)))
            // Not `readNow`: that would fold on the writer's queue itself.
            #expect(try waitUntil { try store.writeNow { try DerivedData.watermark($0) } == last })
        }
        try expectConsistent(store, "after timed folds")
    }
}
