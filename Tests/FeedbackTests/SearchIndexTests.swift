import Dispatch
import Foundation
import SQLite
import Synchronization
import Testing
import TestSupport
@testable import Feedback

/// Comments are indexed by one statement per fold (migrations/0005, `DerivedData`), so every path that
/// inserts rows must have them folded: the group-commit writer, imports and the seeder.
@Suite struct SearchIndexTests {
    func feedback(_ n: Int, comment: String?) -> NewFeedback {
        let page = "https://docs.example.com/p\(n % 7)"
        return NewFeedback(page: page, pageKey: page, rating: n % 2 == 0 ? .up : .down, reason: nil, comment: comment, source: "docs",
                           labels: [], email: nil, userAgent: "UA", origin: nil, referer: nil, clientAddress: "192.0.2.\(n % 200)")
    }

    func matches(_ store: FeedbackStore, _ text: String) throws -> [Int64] {
        try store.readNow { db in
            try db.query("SELECT rowid FROM feedback_fts WHERE feedback_fts MATCH ? ORDER BY rowid", [text]) { $0.int64(0) }
        }
    }

    @Test func everyCommentOfAConcurrentBatchIsSearchable() throws {
        let dir = TemporaryDirectory()
        let store = try FeedbackStore(options: withoutDuplicateWindow(dir.file("h.db")))
        defer { store.close() }
        let ids = Mutex<[Int64: Bool]>([:])
        let group = DispatchGroup()
        // Many at once so they share batches; every third has no comment, so the batch is not contiguous in commented ids.
        for n in 0..<90 {
            group.enter()
            let hasComment = n % 3 != 0
            store.writer.submit(feedback(n, comment: hasComment ? "needle number \(n)" : nil)) { result in
                if case .success(let stored) = result { ids.withLock { $0[stored.id] = hasComment } }
                group.leave()
            }
        }
        group.wait()
        let commented = ids.withLock { $0.filter(\.value).keys.sorted() }
        #expect(commented.count == 60)
        #expect(try matches(store, "needle") == commented)
        #expect(try matches(store, "\"number 44\"").count == 1)
        let indexed = try store.readNow { try $0.first("SELECT count(*) FROM feedback_fts_docsize") { $0.int(0) } }
        #expect(indexed == 60, "one index entry per commented row (the docsize shadow table)")
    }

    @Test func changedAndDeletedCommentsLeaveTheIndex() throws {
        let dir = TemporaryDirectory()
        let store = try FeedbackStore(options: withoutDuplicateWindow(dir.file("h.db")))
        defer { store.close() }
        let done = DispatchSemaphore(value: 0)
        let id = Mutex<Int64>(0)
        store.writer.submit(feedback(1, comment: "original words")) { result in
            if case .success(let stored) = result { id.withLock { $0 = stored.id } }
            done.signal()
        }
        done.wait()
        let row = id.withLock { $0 }
        #expect(try matches(store, "original") == [row])
        try store.writeNow { try $0.run("UPDATE feedback SET comment = 'replacement text' WHERE id = ?", [row]) }
        #expect(try matches(store, "original").isEmpty)
        #expect(try matches(store, "replacement") == [row])
        try store.writeNow { try $0.run("DELETE FROM feedback WHERE id = ?", [row]) }
        #expect(try matches(store, "replacement").isEmpty)
        // The external-content index agrees with its table.
        try store.writeNow { try $0.execute("INSERT INTO feedback_fts(feedback_fts) VALUES ('integrity-check')") }
    }

    @Test func importedAndSeededCommentsAreSearchable() throws {
        let dir = TemporaryDirectory()
        let store = try FeedbackStore(options: withoutDuplicateWindow(dir.file("h.db")))
        defer { store.close() }
        let records = (0..<5).map { n in
            Transfer.ImportedRecord(feedback: feedback(n, comment: n == 3 ? nil : "imported haystack \(n)"), originalID: nil,
                                    receivedAt: 1_700_000_000_000 + Int64(n), status: .new, note: nil, tags: [], issueURL: nil,
                                    updatedAt: nil, line: Array("line \(n)".utf8))
        }
        let outcomes = try store.writeNow { try Transfer.importBatch(records, connection: $0) }
        #expect(outcomes.count == 5)
        #expect(try matches(store, "haystack").count == 4)
        let seeded = try store.writeNow { try Seeder(rows: 2000).run(connection: $0) }
        #expect(seeded == 2000)
        let withComments = try store.readNow { try $0.first("SELECT count(*) FROM feedback WHERE comment IS NOT NULL") { $0.int(0) } } ?? 0
        let indexed = try store.readNow { try $0.first("SELECT count(*) FROM feedback_fts_docsize") { $0.int(0) } } ?? 0
        #expect(withComments > 100)
        #expect(indexed == withComments)
        try store.writeNow { try $0.execute("INSERT INTO feedback_fts(feedback_fts) VALUES ('integrity-check')") }
    }

    @Test func theStoreCheckpointsInTheBackground() throws {
        let dir = TemporaryDirectory()
        var options = withoutDuplicateWindow(dir.file("h.db"))
        options.checkpointFrames = 20
        let store = try FeedbackStore(options: options)
        defer { store.close() }
        _ = try store.writeNow { try Seeder(rows: 3000).run(connection: $0) }
        _ = waitUntil(interval: 0.005) { store.checkpointer.checkpoints > 0 }
        #expect(store.checkpointer.checkpoints >= 1)
    }
}

@Suite struct SearchIndexQueueTests {
    @Test func rowsInsertedWithPlainSQLAreIndexedByMaintenanceAndNeverCorruptTheIndex() throws {
        let dir = TemporaryDirectory()
        var options = withoutDuplicateWindow(dir.file("h.db"))
        options.maintenanceInterval = 3600 // called by hand below
        let store = try FeedbackStore(options: options)
        defer { store.close() }
        try store.writeNow { db in
            try db.transaction {
                for i in 0..<30 {
                    try db.run("INSERT INTO feedback(received_at, page, page_key, rating, comment, source) VALUES (?, '/a', '/a', 'up', ?, 'docs')",
                               [Int64(i), "plain row \(i)"])
                }
            }
        }
        // Queued, not indexed yet: changing or deleting such rows must leave the index intact
        // (a regression: with the queue, the old triggers 'deleted' terms that were never indexed).
        try store.writeNow { db in
            try db.run("UPDATE feedback SET comment = 'changed while queued' WHERE id = 1")
            try db.run("UPDATE feedback SET comment = NULL WHERE id = 2")
            try db.run("DELETE FROM feedback WHERE id = 3")
        }
        store.maintain()
        let matches = { (text: String) in
            try store.readNow { try $0.query("SELECT rowid FROM feedback_fts WHERE feedback_fts MATCH ? ORDER BY rowid", [text]) { $0.int64(0) } }
        }
        #expect(try matches("plain").count == 27)
        #expect(try matches("changed") == [1])
        #expect(try store.readNow { try DerivedData.pendingRows($0) } == 0)
        // Once indexed, the same operations go through the index.
        try store.writeNow { db in
            try db.run("UPDATE feedback SET comment = NULL WHERE id = 4")
            try db.run("DELETE FROM feedback WHERE id = 5")
            try db.execute("INSERT INTO feedback_fts(feedback_fts) VALUES ('integrity-check')")
        }
        #expect(try matches("plain").count == 25)
    }

    @Test func foldingReadsOnlyTheRowsAboveTheWatermark() throws {
        // Like the queue it replaced (a plain JOIN scanned all of feedback for every batch: 3,400
        // POST/s after 50,000 rows), a fold must look up its range, not scan the table.
        let dir = TemporaryDirectory()
        let store = try FeedbackStore(options: withoutDuplicateWindow(dir.file("h.db")))
        defer { store.close() }
        for sql in [DerivedData.rowsSQL, DerivedData.indexSQL, DerivedData.labelsSQL] {
            let plan = try store.readNow { try $0.query("EXPLAIN QUERY PLAN " + sql, [0, 0]) { $0.string(3) } }
            #expect(plan.allSatisfy { $0.hasPrefix("SEARCH") }, "\(sql): \(plan)")
            #expect(plan.contains { $0.contains("PRIMARY KEY") }, "\(sql): \(plan)")
        }
    }

    @Test func aStoreOpeningOnQueuedRowsIndexesThem() throws {
        let dir = TemporaryDirectory()
        let path = dir.file("h.db")
        do {
            let store = try FeedbackStore(options: withoutDuplicateWindow(path))
            try store.writeNow { try $0.run("INSERT INTO feedback(received_at, page, page_key, rating, comment, source) VALUES (1, '/a', '/a', 'up', 'left behind', 'docs')") }
            store.close()
        }
        let store = try FeedbackStore(options: withoutDuplicateWindow(path))
        defer { store.close() }
        #expect(try store.readNow { try $0.query("SELECT rowid FROM feedback_fts WHERE feedback_fts MATCH 'behind'") { $0.int64(0) } } == [1])
    }
}
