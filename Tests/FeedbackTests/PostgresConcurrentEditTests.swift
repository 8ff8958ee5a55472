import Dispatch
import Foundation
import Postgres
import Synchronization
import Testing
import TestSupport
@testable import Feedback

/// Lock order on PostgreSQL with several instances: batches of repeated votes, folds and the editor's
/// row changes never deadlock, and the editor's read-then-write transactions take turns.
@Suite(.enabled(if: !PostgresServer.isSkipped)) struct PostgresConcurrentEditTests {
    static let now = PostgresWritePathTests.now

    static func vote(_ page: String, client: Int, at: Int64, comment: String? = nil) -> PostgresIngestor.Submission {
        var submission = PostgresConcurrentWriteTests.vote(page, at: at, address: "192.0.2.\(client)")
        submission = .init({ var f = submission.feedback; f.comment = comment; return f }(), receivedAt: at)
        return submission
    }

    /// Sessions of one database currently waiting for a lock.
    static func waiting(_ monitor: Postgres.Connection) throws -> Int {
        try monitor.first("SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock'") { $0.int(0) } ?? 0
    }

    /// Two instances' batches repeat votes whose records were folded: the first batch repeats a vote on
    /// /p and then one on /q, the second one on /q and then one on /p (other readers, so no advisory
    /// key is shared). A third session holds the hour's rollup row until both batches wait. Taking
    /// the records out one by one, each batch would hold one page's rollup rows and wait for the
    /// other's: a deadlock (40P01). Locked in id order and taken out together, the second batch waits
    /// for the first.
    @Test func batchesOfRepeatedVotesOnFoldedRecordsDoNotDeadlock() throws {
        let (session, connect) = try PostgresWritePathTests.database()
        let setup = PostgresIngestor(duplicateWindow: PostgresWritePathTests.window, maxCommentLength: 100)
        let base = [Self.vote("/p", client: 1, at: Self.now), Self.vote("/q", client: 2, at: Self.now + 1),
                    Self.vote("/q", client: 3, at: Self.now + 2), Self.vote("/p", client: 4, at: Self.now + 3)]
        _ = try setup.write(base, connection: session.connection).map { try $0.get() }
        try PostgresFold.foldAll(session.connection)
        func again(_ vote: PostgresIngestor.Submission) -> PostgresIngestor.Submission {
            .init({ var f = vote.feedback; f.comment = "more"; return f }(), receivedAt: vote.receivedAt + 1000)
        }
        let batches = [[again(base[0]), again(base[1])], [again(base[2]), again(base[3])]]
        let blocker = try connect()
        try blocker.execute("BEGIN")
        _ = try blocker.run("SELECT 1 FROM rollup_hourly WHERE hour = $1 FOR UPDATE", [Self.now / Rollups.hourMilliseconds])
        let writers = Handover(try (0..<2).map { _ in
            (try connect(), PostgresIngestor(duplicateWindow: PostgresWritePathTests.window, maxCommentLength: 100))
        })
        let failures = Mutex<[String]>([])
        let group = DispatchGroup()
        for index in 0..<2 {
            DispatchQueue.global().async(group: group) {
                let (connection, ingestor) = writers.value[index]
                do {
                    // `ingest` in a transaction of our own: `write` would retry a cancelled batch and hide it.
                    _ = try connection.transaction { try ingestor.ingest(batches[index], connection) }
                } catch {
                    failures.withLock { $0.append("\(error)") }
                }
            }
        }
        _ = try waitUntil(timeout: 60) { try Self.waiting(session.connection) >= 2 }
        try blocker.execute("COMMIT")
        #expect(group.wait(timeout: .now() + 60) == .success)
        #expect(failures.withLock { $0 } == [])
        #expect(try PostgresFold.foldAll(session.connection) == 4)
        #expect(try session.connection.first("SELECT count(*) FROM feedback WHERE comment = 'more'") { $0.int(0) } == 4)
        try PostgresWritePathTests.expectRollupsMatchTheRows(session.connection)
    }

    /// The batch's earlier records are found in one statement, its pages sent as a `text[]` literal.
    @Test func pagesOfAnyTextReachTheServerAsWritten() throws {
        let (session, _) = try PostgresWritePathTests.database()
        let pages = ["/a,b", "/\"quoted\"", "/back\\slash", "/{braces}", "/ spaced ", "", "/ü/NULL"]
        #expect(try session.connection.query("SELECT unnest($1::text[])", [PostgresIngestor.textArray(pages)]) { $0.string(0) } == pages)
    }

    /// An erasure holds a queued row (as the editor does, `FOR UPDATE` first) while a fold of that row
    /// starts, then deletes it. The fold locks rows before it takes their queue entries, so it waits
    /// for the erasure and then counts the other rows. Were the fold to take the queue entries first,
    /// it would hold the queue entry the erasure's cascade must delete while waiting for the row: a
    /// deadlock (40P01).
    @Test func anErasureOfAQueuedRowAndAFoldOfItDoNotDeadlock() throws {
        let (session, connect) = try PostgresWritePathTests.database()
        let ids = try PostgresIngestor(duplicateWindow: 0, maxCommentLength: 100)
            .write((0..<3).map { Self.vote("/e", client: $0, at: Self.now + Int64($0)) }, connection: session.connection).map { try $0.get().id }
        let eraser = try connect()
        try eraser.execute("BEGIN")
        _ = try eraser.run("SELECT 1 FROM feedback WHERE id = $1 FOR UPDATE", [ids[1]])
        let folder = Handover(try connect())
        let folded = Mutex<Result<Int?, any Error>?>(nil)
        let done = DispatchSemaphore(value: 0)
        DispatchQueue.global().async {
            let result = Result { try PostgresFold.foldAll(folder.value) }
            folded.withLock { $0 = result }
            done.signal()
        }
        _ = try waitUntil(timeout: 60) { try Self.waiting(session.connection) > 0 }
        #expect(throws: Never.self) {
            try eraser.run("DELETE FROM feedback WHERE id = $1", [ids[1]])
            try eraser.execute("COMMIT")
        }
        #expect(done.wait(timeout: .now() + 60) == .success)
        #expect(try folded.withLock { $0 }?.get() == 2)
        #expect(try PostgresFold.pendingRows(session.connection) == 0)
        try PostgresWritePathTests.expectRollupsMatchTheRows(session.connection)
    }

    /// Two instances evaluate the same finding at once: its episode opens once. The second waits at
    /// its transaction's start for the first to commit, then sees the episode open.
    @Test func twoSessionsOpeningTheSameEpisodeOpenItOnce() throws {
        let (session, connect) = try PostgresWritePathTests.database()
        let finding = Finding(kind: .helpfulnessDrop, page: "/a", onset: nil, summary: "fell", p: 0.001, q: 0.001)
        let first = FeedbackEditor(session: session, drops: DropCounter())
        let second = Handover(FeedbackEditor(session: PostgresSession(try connect()), drops: DropCounter()))
        let monitor = try connect()
        let answer = Mutex<Result<[Episode], any Error>?>(nil)
        let done = DispatchSemaphore(value: 0)
        let opened = try first.applyFindings([finding], now: 1000) { _ in
            // Inside the first transaction, after its insert: the second starts and must wait.
            DispatchQueue.global().async {
                let result = Result { try second.value.applyFindings([finding], now: 1001) { _ in } }
                answer.withLock { $0 = result }
                done.signal()
            }
            _ = try waitUntil(timeout: 60) { try Self.waiting(monitor) > 0 || answer.withLock({ $0 != nil }) }
        }
        #expect(opened.count == 1)
        #expect(done.wait(timeout: .now() + 60) == .success)
        let again = try #require(answer.withLock { $0 })
        #expect(try again.get().isEmpty)
        #expect(try session.fetchFirst("SELECT count(*) FROM alert_episodes") { $0.int(0) } == 1)
    }

    /// Two writers send repeated votes (adding comments and reasons) for readers whose votes may or may
    /// not be folded yet, while one session folds and another triages, spams, unspams and erases the
    /// same records, all at once. Nothing deadlocks or fails, and the rollups equal the rows.
    @Test func writersFoldsAndEditsAtOnceLeaveExactRollups() throws {
        let (session, connect) = try PostgresWritePathTests.database()
        let pages = ["/a", "/b", "/c", "/d"]
        let base = (0..<48).map { Self.vote(pages[$0 % pages.count], client: $0, at: Self.now + Int64($0) * 10) }
        let ids = try PostgresIngestor(duplicateWindow: PostgresWritePathTests.window, maxCommentLength: 4000)
            .write(base, connection: session.connection).map { try $0.get().id }
        try PostgresFold.foldAll(session.connection, limit: 20, maxPasses: 1)
        let workers = Handover(try (0..<4).map { _ in try connect() })
        let failures = Mutex<[String]>([])
        let stop = Atomic<Bool>(false)
        let group = DispatchGroup(), folding = DispatchGroup()
        @Sendable func record(_ error: any Error) { failures.withLock { $0.append("\(error)") } }
        for writer in 0..<2 {
            DispatchQueue.global().async(group: group) {
                let connection = workers.value[writer]
                let ingestor = PostgresIngestor(duplicateWindow: PostgresWritePathTests.window, maxCommentLength: 4000)
                var generator = SystemRandomNumberGenerator()
                for round in 0..<30 {
                    // Eight readers in a random order: batches lock records in an order of their own.
                    let batch = (0..<8).map { _ -> PostgresIngestor.Submission in
                        let n = Int.random(in: 0..<base.count, using: &generator)
                        var f = base[n].feedback
                        (f.comment, f.reason) = ("w\(writer) r\(round)", round % 3 == 0 ? "unclear" : nil)
                        return .init(f, receivedAt: base[n].receivedAt + 1000 + Int64(round))
                    }
                    do { _ = try connection.transaction { try ingestor.ingest(batch, connection) } } catch { record(error) }
                }
            }
        }
        DispatchQueue.global().async(group: folding) {
            let connection = workers.value[2]
            while !stop.load(ordering: .relaxed) {
                do { try PostgresFold.foldAll(connection, limit: 7, maxPasses: 2) } catch { record(error) }
            }
        }
        DispatchQueue.global().async(group: group) {
            let editor = FeedbackEditor(session: PostgresSession(workers.value[3]), drops: DropCounter())
            for round in 0..<60 {
                let id = ids[(round * 7) % ids.count]
                do {
                    switch round % 5 {
                    case 0, 3: _ = try editor.triage(id: id, PostgresRowEditTests.status(.spam))
                    case 1, 4: _ = try editor.triage(id: id, PostgresRowEditTests.status(.new))
                    default: _ = try editor.erase(id: ids[(round * 11) % ids.count])
                    }
                } catch { record(error) }
            }
        }
        // Writers and the editor finish; then the folding stops.
        #expect(group.wait(timeout: .now() + 120) == .success)
        stop.store(true, ordering: .relaxed)
        #expect(folding.wait(timeout: .now() + 120) == .success)
        #expect(failures.withLock { $0 } == [])
        try PostgresFold.foldAll(session.connection, maxPasses: 100)
        #expect(try PostgresFold.pendingRows(session.connection) == 0)
        try PostgresWritePathTests.expectRollupsMatchTheRows(session.connection)
    }
}

final class Handover<Value>: @unchecked Sendable { // each part is used by one thread only after the handover
    let value: Value
    init(_ value: Value) { self.value = value }
}
