import Dispatch
import Foundation
import Postgres
import Synchronization
import Testing
import TestSupport
@testable import Feedback

/// `PostgresStore`'s writer queue on a real server: group commit, the queue limit, and answers only
/// after COMMIT.
@Suite(.enabled(if: !PostgresServer.isSkipped)) struct PostgresStoreTests {
    @Test(.timeLimit(.minutes(3))) func queueLimitAndAnswersOnlyAfterCommit() throws {
        let server = try PostgresServer.shared()
        let url = server.url(database: try server.createDatabase())
        var options = StorageOptions(path: url)
        options.maxPendingWrites = 3
        let batches = Mutex<[Int]>([])
        let store = try PostgresStore(options: options, onCommit: { rows, _ in batches.withLock { $0.append(rows) } })
        defer { store.close() }
        func vote(_ n: Int) -> NewFeedback {
            NewFeedback(page: "/q/\(n)", pageKey: "/q/\(n)", rating: .up, reason: nil, comment: nil, source: "docs", labels: [],
                        email: nil, userAgent: "UA", origin: nil, referer: nil, clientAddress: nil)
        }
        let answers = Mutex<[Int: Result<StoredFeedback, WriteFailure>]>([:])
        func submit(_ n: Int) { store.submit(vote(n)) { result in answers.withLock { $0[n] = result } } }

        // Another session holds the table: the writer's first batch waits inside its transaction.
        let blocker = try Postgres.Connection(url)
        try blocker.execute("BEGIN; LOCK TABLE feedback IN EXCLUSIVE MODE")
        submit(0)
        #expect(waitUntil { (try? blocker.first("SELECT count(*) FROM pg_locks WHERE NOT granted") { $0.int(0) }) ?? 0 > 0 })
        for n in 1...4 { submit(n) }
        // Three wait behind the blocked batch; the fourth is refused at once. Nothing is answered
        // before COMMIT.
        #expect(answers.withLock { $0.count } == 1)
        #expect(answers.withLock { $0[4] } == .failure(.overloaded))
        try blocker.execute("COMMIT")
        #expect(waitUntil { answers.withLock { $0.count } == 5 })
        for n in 0...3 {
            guard case .success(let stored)? = answers.withLock({ $0[n] }) else {
                Issue.record("submission \(n) failed: \(String(describing: answers.withLock { $0[n] }))")
                continue
            }
            #expect(!stored.duplicate)
        }
        // The three that waited were written together, in one transaction.
        #expect(batches.withLock { $0 } == [1, 3])
        #expect(try store.read { try $0.summary(AggregateFilter()).total.up } == 4)
    }
}
