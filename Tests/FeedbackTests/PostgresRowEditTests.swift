import Foundation
import Postgres
import SQLite
import Testing
import TestSupport
@testable import Feedback

/// Writes that change stored rows (triage, spam, erasure, follow-ups, import, retention) on PostgreSQL,
/// through the same `FeedbackEditor` calls as on SQLite: the same edits, on rows folded and not yet
/// folded, give the same answers on both, and every rollup equals a recomputation from the rows.
@Suite(.enabled(if: !PostgresServer.isSkipped)) struct PostgresRowEditTests {
    static let now = ReadBackends.now
    static let day = ReadBackends.day

    /// One SQLite store and one PostgreSQL database holding the same rows.
    final class Backends {
        let directory = TemporaryDirectory()
        let store: FeedbackStore
        let session: PostgresSession
        let editor: FeedbackEditor

        init() throws {
            store = try FeedbackStore(options: StorageOptions(path: directory.file("h.db")))
            session = try PostgresWritePathTests.database().session
            editor = FeedbackEditor(session: session, drops: DropCounter())
        }

        deinit { store.close() }

        /// Runs `work` on both; expects equal answers and returns SQLite's.
        @discardableResult
        func both<T: Equatable>(_ work: (FeedbackEditor) throws -> T, sourceLocation: SourceLocation = #_sourceLocation) throws -> T {
            let sqlite = try store.write(work)
            let postgres = try work(editor)
            #expect(sqlite == postgres, sourceLocation: sourceLocation)
            return sqlite
        }

        /// Stores `items` on both through their ingest paths, in batches of 16, folding nothing.
        func ingest(_ items: [PostgresIngestor.Submission]) throws -> [Int64] {
            let ingestor = Ingestor(duplicateWindow: PostgresWritePathTests.window, maxCommentLength: 4000)
            let postgres = PostgresIngestor(duplicateWindow: PostgresWritePathTests.window, maxCommentLength: 4000)
            var ids: [Int64] = []
            for start in stride(from: 0, to: items.count, by: 16) {
                let batch = Array(items[start..<min(start + 16, items.count)])
                let sqlite = try store.writeNow { db in
                    try db.transaction(.immediate) { try batch.map { try ingestor.ingest($0.feedback, receivedAt: $0.receivedAt, connection: db) } }
                }
                ingestor.committed(now: batch[batch.count - 1].receivedAt)
                let stored = try postgres.write(batch, connection: session.connection).map { try $0.get() }
                #expect(stored == sqlite)
                ids += stored.filter { !$0.duplicate && !$0.replayed }.map(\.id)
            }
            return ids
        }

        /// Folds the `limit` oldest rows not yet folded on both (nil: all of them).
        func fold(_ limit: Int? = nil) throws {
            _ = try store.writeNow { db in
                try limit.map { limit in try db.transaction(.immediate) { try DerivedData.fold(limit: limit, connection: db) } }
                    ?? DerivedData.foldAll(connection: db)
            }
            try PostgresFold.foldAll(session.connection, limit: limit ?? PostgresFold.foldRows, maxPasses: limit == nil ? 1000 : 1)
        }

        func expectSameAnswersAndExactRollups(sourceLocation: SourceLocation = #_sourceLocation) throws {
            try PostgresWritePathTests.expectSameAnswers(store, session, sourceLocation: sourceLocation)
            try PostgresWritePathTests.expectRollupsMatchTheRows(session.connection, sourceLocation: sourceLocation)
            // A group whose votes were all taken away goes, as SQLite's rebuild leaves it out.
            for table in PostgresFold.targets.map(\.table) {
                let empty = try session.fetchFirst("SELECT count(*) FROM \(table) WHERE up = 0 AND down = 0") { $0.int(0) }
                #expect(empty == 0, "\(table)", sourceLocation: sourceLocation)
            }
        }
    }

    static func status(_ status: TriageStatus) -> TriageUpdate {
        var change = TriageUpdate()
        change.status = status
        return change
    }

    /// What a triage answers, without `updated_at` (the clock's).
    static func triaged(_ record: FeedbackRecord?) -> String? {
        record.map { "\($0.id) \($0.status) \($0.note ?? "-") \($0.tags) \($0.issueURL ?? "-") \($0.reason ?? "-") \($0.comment ?? "-")" }
    }

    static func imported(_ n: Int, at: Int64, originalID: Int64? = nil, page: String = "/imported") -> Transfer.ImportedRecord {
        let feedback = NewFeedback(page: page, pageKey: page, rating: n % 3 == 0 ? .down : .up, reason: n % 3 == 0 ? "unclear" : nil,
                                   comment: n % 2 == 0 ? "imported \(n)" : nil, source: "docs", labels: n % 4 == 0 ? [("api", "auth")] : [],
                                   email: nil, userAgent: nil, origin: nil, referer: nil, clientAddress: nil)
        return Transfer.ImportedRecord(feedback: feedback, originalID: originalID, receivedAt: at, status: n == 5 ? .spam : .triaged,
                                       note: "from the old server", tags: n % 2 == 0 ? ["moved"] : [], issueURL: nil, updatedAt: at,
                                       line: Array("line \(n) \(page) \(at)".utf8))
    }

    @Test func editsAnswerAsOnSQLiteWhetherTheRowWasFoldedOrNot() throws {
        let backends = try Backends()
        let ids = try backends.ingest(PostgresWritePathTests.submissions(240))
        // The oldest half folded: edits meet rows on both sides of the fold.
        try backends.fold(120)
        let folded = ids.filter { $0 <= 100 }, queued = ids.filter { $0 > 130 }
        #expect(folded.count > 8 && queued.count > 8)
        let tokens = FollowupTokens(lifetime: 400 * Self.day)
        func followUp(_ id: Int64, comment: String, reason: String?, token: String? = nil) throws -> Followups.Outcome {
            let receivedAt = try PostgresDatabase.reader(backends.session).feedback(id: id)?.receivedAt ?? Self.now
            let details = FeedbackDetails(reason: reason, comment: comment, email: "reader@example.com")
            return try backends.both { try $0.applyFollowup(id: id, token: token ?? tokens.issue(id: id, receivedAt: receivedAt), details: details,
                                                             tokens: tokens, maxCommentLength: 4000) }
        }
        var tagged = TriageUpdate()
        (tagged.status, tagged.note, tagged.tags, tagged.issueURL) = (.resolved, .some("fixed in 2.1"), ["docs", "auth"], .some("https://issues.example.com/7"))
        for rows in [folded, queued] {
            try backends.both { Self.triaged(try $0.triage(id: rows[0], Self.status(.spam))) }
            try backends.both { Self.triaged(try $0.triage(id: rows[1], tagged)) }
            #expect(try backends.both { try $0.erase(id: rows[2]) })
            let first = try followUp(rows[3], comment: "more detail", reason: "outdated")
        #expect(first == .updated, "\(first) \(rows[3])")
            #expect(try followUp(rows[3], comment: "again", reason: nil) == .alreadyUsed)
            #expect(try followUp(rows[4], comment: "forged", reason: nil, token: "x") == .invalidToken)
            // Into spam and out again before any fold sees it.
            try backends.both { Self.triaged(try $0.triage(id: rows[5], Self.status(.spam))) }
            try backends.both { Self.triaged(try $0.triage(id: rows[5], Self.status(.new))) }
        }
        #expect(try followUp(queued[2], comment: "gone", reason: nil) == .notFound)
        #expect(try backends.both { Self.triaged(try $0.triage(id: 9_999, tagged)) } == nil)
        #expect(try !backends.both { try $0.erase(id: 9_999) })
        // An import: new rows (one spam), one already here under its id, then the same lines again.
        let present = try backends.store.read { try $0.feedback(id: folded[6]) }
        var batch = (1...6).map { Self.imported($0, at: Self.now - 3 * Self.day + Int64($0) * 60_000) }
        if let present {
            var again = Self.imported(7, at: present.receivedAt, originalID: present.id, page: present.pageKey)
            again.line = Array("the record itself".utf8)
            batch.append(again)
        }
        let outcomes = try backends.both { try $0.importBatch(batch) }
        #expect(outcomes.filter { $0 == .alreadyPresent }.count == 1)
        #expect(try backends.both { try $0.importBatch(batch) } == Array(repeating: .alreadyPresent, count: batch.count))
        try backends.fold()
        try backends.expectSameAnswersAndExactRollups()

        // Everything folded now: the same edits on folded rows, and on imported ones before their fold.
        try backends.both { Self.triaged(try $0.triage(id: queued[0], Self.status(.triaged))) } // out of spam
        #expect(try backends.both { try $0.erase(id: folded[0]) }) // a spam row
        #expect(try backends.both { try $0.erase(id: queued[6]) })
        try backends.both { Self.triaged(try $0.triage(id: queued[7], Self.status(.spam))) }
        #expect(try followUp(queued[8], comment: "later", reason: "wrong") == .updated)
        let more = try backends.both { try $0.importBatch((8...12).map { Self.imported($0, at: Self.now - Self.day + Int64($0) * 1000, page: "/more") }) }
        let newIDs = more.compactMap { if case .imported(let id) = $0 { id } else { nil } }
        try backends.both { Self.triaged(try $0.triage(id: newIDs[0], Self.status(.spam))) }
        #expect(try backends.both { try $0.erase(id: newIDs[1]) })
        #expect(try followUp(newIDs[2], comment: "after import", reason: "unclear") == .updated)
        try backends.fold(2)
        #expect(try backends.both { try $0.erase(id: newIDs[3]) })
        // A page's only vote, folded, then erased: its groups are left without votes.
        let lonely = try backends.both { try $0.importBatch([Self.imported(13, at: Self.now - 2 * Self.day + 7_777, page: "/lonely")]) }
        try backends.fold()
        if case .imported(let id) = lonely.first { #expect(try backends.both { try $0.erase(id: id) }) }
        try backends.fold()
        try backends.expectSameAnswersAndExactRollups()

        // Retention: the same rows lose what identifies readers, chunk by chunk; counts stay.
        let cutoff = Self.now - 20 * Self.day
        var rounds = 0
        while try backends.both({ try $0.eraseExpired(before: cutoff, limit: 25) }) > 0 { rounds += 1 }
        #expect(rounds >= 2)
        try backends.both { try $0.purgeIdempotencyKeys(now: Self.now + 2 * Self.day); return true }
        #expect(try backends.session.fetchFirst("SELECT count(*) FROM idempotency_keys") { $0.int(0) } == 0)
        try backends.fold()
        try PostgresWritePathTests.expectSameAnswers(backends.store, backends.session)
        let kept = try backends.session.fetchFirst("SELECT count(*) FROM feedback WHERE received_at < ? AND (comment IS NOT NULL OR client_hash IS NOT NULL)", [cutoff]) { $0.int(0) }
        #expect(kept == 0)
    }
}
