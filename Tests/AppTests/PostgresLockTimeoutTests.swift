import App
import Dispatch
import Feedback
import Foundation
import Postgres
import Synchronization
import Testing
import TestSupport

/// A peer instance whose host froze while holding a lock this one waits for: the wait ends at the
/// sessions' `lock_timeout` (15 s, `PostgresChannel.serverSettings`) with 503 storage_unavailable
/// instead of hanging until the kernel gives up on the peer's link (~2 h), and the instance serves
/// again once the lock comes free. Submissions never wait for those locks.
@Suite(.enabled(if: !PostgresServer.isSkipped)) struct PostgresLockTimeoutTests {
    /// The bound a waiting request must meet: the lock timeout plus a generous margin for a busy machine.
    static let bound: TimeInterval = 40
    /// For reads that queue behind one another: under two lock timeouts.
    static let queuedBound: TimeInterval = 28
    /// For a read that need not wait at all: far under one lock timeout, even on a busy machine.
    static let prompt: TimeInterval = 8

    @Test(.timeLimit(.minutes(5))) func aReadBehindAFrozenPeersFoldLockAnswers503InBoundedTime() throws {
        let server = try PostgresServer.shared()
        let url = server.url(database: try server.createDatabase())
        let live = try PostgresApp(url)
        let token = try live.token(.read)
        #expect(try live.votes(token: token) == 0)

        // The frozen peer: a session that took the fold lock and never lets go.
        let peer = try Postgres.Connection(url)
        try peer.advisoryLock(PostgresFold.lockKey)
        // Ingestion does not take the fold lock: the vote is acknowledged and waits for the fold.
        #expect(try live.post(#"{"page":"/frozen/peer","rating":"up"}"#).status == 201)

        // Several reads at once: they queue for the same fold connection, yet each fails after one
        // lock_timeout, not after the timeouts of those before it (3 × 15 s).
        let answers = Mutex<[(status: Int, code: String?, retryAfter: String?, seconds: TimeInterval)]>([])
        let port = live.port
        let reads = DispatchGroup()
        for _ in 0..<3 { DispatchQueue.global().async(group: reads) {
            let started = Date()
            let response = try? RawClient.request(port: port, "GET", "/v1/stats/summary", headers: [("Authorization", "Bearer \(token)")],
                                                  timeout: 60)
            let answer = (response?.status ?? 0, response.flatMap { errorField($0).code }, response?.header("Retry-After"),
                          Date().timeIntervalSince(started))
            answers.withLock { $0.append(answer) }
        } }
        reads.wait()
        #expect(answers.withLock { $0.count } == 3)
        for answer in answers.withLock({ $0 }) {
            #expect(answer.seconds < Self.queuedBound, "\(answer)")
            #expect(answer.status == 503 && answer.code == "storage_unavailable" && answer.retryAfter != nil, "\(answer)")
        }
        // Still: submissions go through while the peer holds the lock.
        #expect(try live.post(#"{"page":"/frozen/peer","rating":"down"}"#).status == 201)
        // A read that arrives after the timeout, while the lock is still held, does not wait a second
        // timeout (a request held up behind the first wait would otherwise take two): it answers at once.
        let started = Date()
        let late = try live.get("/v1/stats/summary", token: token)
        #expect(Date().timeIntervalSince(started) < Self.prompt)
        #expect(late.status == 503 && errorField(late).code == "storage_unavailable")

        // The peer lets go: reads work again and count every acknowledged vote.
        #expect(try peer.advisoryUnlock(PostgresFold.lockKey))
        #expect(try live.votes(token: token) == 2)
        peer.close()

        // Moments later a live peer holds the lock while it folds: that one is waited for, not taken
        // for the frozen one, though the last timeout is recent.
        let holding = DispatchSemaphore(value: 0)
        let released = DispatchGroup()
        DispatchQueue.global().async(group: released) {
            guard let folding = try? Postgres.Connection(url), (try? folding.advisoryLock(PostgresFold.lockKey)) != nil else { holding.signal(); return }
            holding.signal()
            _ = try? folding.run("SELECT pg_sleep(1.5)")
            folding.close()
        }
        holding.wait()
        let vote = try live.post(#"{"page":"/live/peer","rating":"up"}"#)
        #expect(vote.status == 201, "\(vote.status) \(vote.text)")
        let summary = try live.get("/v1/stats/summary", token: token)
        #expect(summary.json?["votes"] as? Int == 3, "\(summary.status) \(summary.text)")
        released.wait()
    }

    @Test(.timeLimit(.minutes(5))) func anEditBehindAFrozenPeersEditorLockAnswers503InBoundedTime() throws {
        let server = try PostgresServer.shared()
        let url = server.url(database: try server.createDatabase())
        let live = try PostgresApp(url)
        let triage = try live.token(.triage)
        let created = try live.post(#"{"page":"/frozen/editor","rating":"down","comment":"c"}"#)
        let id = try #require(created.json?["id"] as? Int)
        let path = "/v1/feedback/\(id)"
        #expect(try live.send("GET", path, token: triage).status == 200)

        // The frozen peer: an editor transaction that took the editor lock and never ends.
        let peer = try Postgres.Connection(url)
        try peer.execute("BEGIN")
        _ = try peer.run("SELECT pg_advisory_xact_lock($1)", [PostgresSession.editorLockKey])

        let started = Date()
        let blocked = try live.send("PATCH", path, token: triage, body: #"{"status":"spam"}"#)
        #expect(Date().timeIntervalSince(started) < Self.bound)
        #expect(blocked.status == 503)
        #expect(errorField(blocked).code == "storage_unavailable")
        #expect(try live.post(#"{"page":"/frozen/editor","rating":"up"}"#).status == 201)
        // The next change, while the peer still holds the lock, answers at once: changes queued one
        // behind another would otherwise each wait a whole timeout in turn.
        let next = Date()
        let again = try live.send("PATCH", path, token: triage, body: #"{"status":"spam"}"#)
        #expect(Date().timeIntervalSince(next) < Self.prompt)
        #expect(again.status == 503 && errorField(again).code == "storage_unavailable")

        try peer.execute("ROLLBACK")
        #expect(try live.send("PATCH", path, token: triage, body: #"{"status":"spam"}"#).status == 200)
        peer.close()
    }
}
