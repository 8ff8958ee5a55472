import Dispatch
import Foundation
import Postgres
import Synchronization
import Testing
import TestSupport
@testable import Feedback

/// PostgreSQL's write path with several connections at once, as several instances would use it.
@Suite(.enabled(if: !PostgresServer.isSkipped)) struct PostgresConcurrentWriteTests {
    static let window = PostgresWritePathTests.window

    static func vote(_ page: String, at: Int64, address: String? = nil, key: String? = nil) -> PostgresIngestor.Submission {
        var feedback = NewFeedback(page: page, pageKey: page, rating: .up, reason: nil, comment: nil, source: "docs", labels: [],
                                   email: nil, userAgent: "UA", origin: nil, referer: nil, clientAddress: address)
        feedback.idempotencyKey = key
        return .init(feedback, receivedAt: at)
    }

    /// A row whose transaction took the lower id commits after a higher id was folded: the next fold
    /// still counts it, once.
    @Test func aRowCommittedAfterAHigherIdWasFoldedIsCountedOnce() throws {
        let (session, connect) = try PostgresWritePathTests.database()
        let slow = try connect(), other = try connect()
        try slow.execute("BEGIN")
        let low = try #require(try slow.first("""
            INSERT INTO feedback(received_at, page, page_key, rating, source) VALUES ($1, '/a', '/a', 'up', 'docs') RETURNING id
            """, [PostgresWritePathTests.now]) { $0.int64(0) })
        let high = try PostgresIngestor(duplicateWindow: Self.window, maxCommentLength: 100)
            .write([Self.vote("/a", at: PostgresWritePathTests.now)], connection: other)[0].get().id
        #expect(low < high)
        #expect(try PostgresFold.foldAll(session.connection) == 1)
        try slow.execute("COMMIT")
        #expect(try PostgresFold.foldAll(session.connection) == 1)
        #expect(try PostgresFold.foldAll(session.connection) == 0)
        #expect(try session.connection.first("SELECT up FROM rollup_page_total WHERE page_key = '/a'") { $0.int(0) } == 2)
        try PostgresWritePathTests.expectRollupsMatchTheRows(session.connection)
    }

    @Test func oneSessionFoldsAtATime() throws {
        let (session, connect) = try PostgresWritePathTests.database()
        let holder = try connect()
        _ = PostgresIngestor(duplicateWindow: 0, maxCommentLength: 100).write([Self.vote("/b", at: 1000)], connection: session.connection)
        #expect(try holder.tryAdvisoryLock(PostgresFold.lockKey))
        #expect(try PostgresFold.foldAll(session.connection) == nil)
        #expect(try PostgresFold.pendingRows(session.connection) == 1)
        try holder.advisoryUnlock(PostgresFold.lockKey)
        #expect(try PostgresFold.foldAll(session.connection) == 1)
    }

    /// A fold stops after `maxPasses` transactions, so under steady inserts its lock comes free; the
    /// next fold counts the rest.
    @Test func aFoldStopsAfterItsPassesAndTheNextCountsTheRest() throws {
        let (session, _) = try PostgresWritePathTests.database()
        let writer = PostgresIngestor(duplicateWindow: 0, maxCommentLength: 100)
        for i in 0..<5 { _ = writer.write([Self.vote("/c\(i)", at: 1000 + Int64(i))], connection: session.connection) }
        #expect(try PostgresFold.foldAll(session.connection, limit: 1, maxPasses: 3) == 3)
        #expect(try PostgresFold.pendingRows(session.connection) == 2)
        #expect(try PostgresFold.foldAll(session.connection, limit: 1, maxPasses: 3) == 2)
        #expect(try PostgresFold.pendingRows(session.connection) == 0)
        try PostgresWritePathTests.expectRollupsMatchTheRows(session.connection)
    }

    /// One writer's transaction holds a submission uncommitted while another writer sends it again:
    /// the second waits for the first and answers with its row. Once by idempotency key, once as the
    /// same reader's repeated vote.
    @Test(arguments: [("retry", Optional<String>.none, Optional("key-1")), ("duplicate vote", Optional("192.0.2.9"), nil)])
    func aSubmissionRacingItsTwinOnAnotherConnectionIsStoredOnce(_ race: (String, String?, String?)) throws {
        let (session, connect) = try PostgresWritePathTests.database()
        let item = Self.vote("/race", at: PostgresWritePathTests.now, address: race.1, key: race.2)
        let first = try connect(), second = ConnectionBox(try connect())
        let writers = IngestorBox([PostgresIngestor(duplicateWindow: Self.window, maxCommentLength: 100),
                                   PostgresIngestor(duplicateWindow: Self.window, maxCommentLength: 100)])
        // Each writer has the day's hash secret already, so nothing but the race itself makes one wait.
        _ = writers.value[0].write([Self.vote("/warm", at: item.receivedAt, address: "192.0.2.1")], connection: first)
        _ = writers.value[1].write([Self.vote("/warm", at: item.receivedAt, address: "192.0.2.2")], connection: second.connection)
        let secondPID = try #require(try second.connection.first("SELECT pg_backend_pid()", [], { $0.int(0) }))
        try first.execute("BEGIN")
        let held = try writers.value[0].ingest([item], first)[0]
        let answer = Mutex<StoredFeedback?>(nil)
        let done = DispatchSemaphore(value: 0)
        DispatchQueue.global().async {
            let result = writers.value[1].write([item], connection: second.connection)
            answer.withLock { $0 = try? result[0].get() }
            done.signal()
        }
        // Until the second writer waits for a lock the first holds (or, were it not to wait, has answered).
        func waiting() throws -> Int {
            try session.connection.first("SELECT count(*) FROM pg_locks WHERE pid = $1 AND NOT granted", [secondPID], { $0.int(0) }) ?? 0
        }
        _ = try waitUntil(timeout: 60) { try answer.withLock({ $0 != nil }) || waiting() > 0 }
        try first.execute("COMMIT")
        #expect(done.wait(timeout: .now() + 60) == .success)
        let stored = try #require(answer.withLock { $0 }, "\(race.0)")
        #expect(stored.id == held.id, "\(race.0)")
        #expect(try session.connection.first("SELECT count(*) FROM feedback WHERE page = '/race'") { $0.int(0) } == 1, "\(race.0)")
    }

    /// Two writers send the same batches at the same moment (every submission reaches two instances):
    /// each idempotency key and each vote is stored once, both get the same answer, and two folders
    /// folding all the while leave rollups equal to a recomputation from the rows.
    @Test func twoWritersAndTwoFoldersStoreAndCountEachVoteOnce() throws {
        let (session, connect) = try PostgresWritePathTests.database()
        let items = PostgresWritePathTests.submissions(240, seed: 11, days: 1)
        let batches = stride(from: 0, to: items.count, by: 8).map { Array(items[$0..<min($0 + 8, items.count)]) }
        let answers = Mutex<[[Int64]]>([[], []])
        let failures = Mutex<[String]>([])
        let writing = Atomic<Int>(2)
        let group = DispatchGroup()
        let writers = try [connect(), connect()], folders = try [connect(), connect()]
        for (n, connection) in writers.enumerated() {
            let box = ConnectionBox(connection)
            DispatchQueue.global().async(group: group) {
                let ingestor = PostgresIngestor(duplicateWindow: Self.window, maxCommentLength: 4000)
                for batch in batches {
                    for result in ingestor.write(batch, connection: box.connection) {
                        switch result {
                        case .success(let stored): answers.withLock { $0[n].append(stored.id) }
                        case .failure(let failure): failures.withLock { $0.append("write: \(failure)") }
                        }
                    }
                }
                writing.subtract(1, ordering: .releasing)
            }
        }
        for connection in folders {
            let box = ConnectionBox(connection)
            DispatchQueue.global().async(group: group) {
                repeat {
                    do { _ = try PostgresFold.foldAll(box.connection) } catch let error as PostgresError where error.isDeadlock {
                        // Another writer un-counted a vote in the same groups: the rows stay queued.
                    } catch { failures.withLock { $0.append("fold: \(error)") } }
                } while writing.load(ordering: .acquiring) > 0
            }
        }
        group.wait()
        try PostgresFold.foldAll(session.connection)
        #expect(failures.withLock { $0 } == [])
        let (first, second) = answers.withLock { ($0[0], $0[1]) }
        #expect(first.count == items.count && first == second)
        for (n, (a, b)) in zip(first, second).enumerated() where a != b {
            Issue.record("submission \(n) (key \(items[n].feedback.idempotencyKey ?? "none")) stored as \(a) and as \(b)")
        }
        let stored = try session.connection.query("SELECT id FROM feedback ORDER BY id") { $0.int64(0) }
        #expect(stored == Array(Set(first)).sorted())
        // As many rows as one writer alone stores.
        let (alone, _) = try PostgresWritePathTests.database()
        let single = PostgresIngestor(duplicateWindow: Self.window, maxCommentLength: 4000)
        for batch in batches { _ = single.write(batch, connection: alone.connection) }
        #expect(try alone.connection.first("SELECT count(*) FROM feedback") { $0.int(0) } == stored.count)
        #expect(try PostgresFold.pendingRows(session.connection) == 0)
        try PostgresWritePathTests.expectRollupsMatchTheRows(session.connection)
    }
}

/// Hands ingestors to the one thread that uses each.
private final class IngestorBox: @unchecked Sendable { // each ingestor is used by one thread at a time
    let value: [PostgresIngestor]
    init(_ value: [PostgresIngestor]) { self.value = value }
}

/// Hands a connection to the one thread that uses it.
private final class ConnectionBox: @unchecked Sendable { // used by one thread only after the handover
    let connection: Postgres.Connection
    init(_ connection: Postgres.Connection) { self.connection = connection }
}
