import Dispatch
import Foundation
import Postgres
import Synchronization
import Testing
import TestSupport
@testable import Feedback

/// Stored rows queued for the fold again (a duplicate vote on a folded record, a triage change) are
/// folded by the timer, not left for the next read or maintenance pass.
@Suite(.enabled(if: !PostgresServer.isSkipped)) struct PostgresRefoldTests {
    @Test(.timeLimit(.minutes(3))) func aRequeuedRecordIsFoldedWithoutAnyRead() throws {
        let server = try PostgresServer.shared()
        let url = server.url(database: try server.createDatabase())
        var options = StorageOptions(path: url)
        options.maintenanceInterval = 3600 // no maintenance pass during the test: it would fold too
        let store = try PostgresStore(options: options)
        defer { store.close() }
        let watcher = try Postgres.Connection(url)
        defer { watcher.close() }
        func queued() -> Int { (try? watcher.first("SELECT count(*) FROM feedback_unfolded") { $0.int(0) }) ?? -1 }
        func vote(_ comment: String) throws -> StoredFeedback {
            let answer = Mutex<Result<StoredFeedback, WriteFailure>?>(nil)
            store.submit(NewFeedback(page: "/refold", pageKey: "/refold", rating: .down, reason: nil, comment: comment, source: "docs",
                                     labels: [], email: nil, userAgent: "UA", origin: nil, referer: nil, clientAddress: "192.0.2.7")) { result in
                answer.withLock { $0 = result }
            }
            #expect(waitUntil { answer.withLock { $0 } != nil })
            return try #require(answer.withLock { $0 }).get()
        }

        let first = try vote("first")
        #expect(!first.duplicate)
        #expect(waitUntil(timeout: 20) { queued() == 0 })

        // The same vote again: the earlier, folded record is taken out again (its comment changes).
        let again = try vote("second")
        #expect(again.duplicate && again.id == first.id)
        #expect(waitUntil(timeout: 20) { queued() == 0 }, "a duplicate vote's re-queued record stays unfolded")

        var spam = TriageUpdate()
        spam.status = .spam
        _ = try store.write { editor in try editor.triage(id: first.id, spam) }
        #expect(waitUntil(timeout: 20) { queued() == 0 }, "a triaged record stays unfolded")
    }
}
