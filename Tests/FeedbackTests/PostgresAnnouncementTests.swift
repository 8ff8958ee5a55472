import Dispatch
import Foundation
import Postgres
import Synchronization
import Testing
import TestSupport
@testable import Feedback

/// Every instance's alert scheduler evaluates on its own timer. What it announces is queued in the
/// transaction that records it (an episode opened, a digest marked sent), so two instances evaluating
/// at once queue each webhook message once: the second transaction waits for the first and then sees
/// the episode open, the digest sent.
@Suite(.enabled(if: !PostgresServer.isSkipped)) struct PostgresAnnouncementTests {
    static let now: Int64 = 4_000_000_000_000

    /// Two instances' editors on a new database with one webhook subscribed to everything.
    static func instances() throws -> (first: FeedbackEditor, second: FeedbackEditor, monitor: Postgres.Connection) {
        let (session, connect) = try PostgresWritePathTests.database()
        let first = FeedbackEditor(session: session, drops: DropCounter())
        _ = try first.createWebhook(url: "http://127.0.0.1:9/hook", format: .json, events: WebhookEvent.allCases, secret: nil)
        return (first, FeedbackEditor(session: PostgresSession(try connect()), drops: DropCounter()), try connect())
    }

    /// Runs `second` on another thread once `first` has done its work but not committed, waits until
    /// it waits for a lock (or is done), lets `first` commit, and returns what both returned.
    static func race(_ editors: (first: FeedbackEditor, second: FeedbackEditor, monitor: Postgres.Connection),
                     first: (FeedbackEditor, () throws -> Void) throws -> Int,
                     second: @escaping @Sendable (FeedbackEditor) throws -> Int) throws -> (first: Int, second: Int) {
        let other = Handover(editors.second)
        let answer = Mutex<Result<Int, any Error>?>(nil)
        let done = DispatchSemaphore(value: 0)
        let firstAnswer = try first(editors.first) {
            DispatchQueue.global().async {
                let result = Result { try second(other.value) }
                answer.withLock { $0 = result }
                done.signal()
            }
            _ = try waitUntil(timeout: 60) { try PostgresConcurrentEditTests.waiting(editors.monitor) > 0 || answer.withLock({ $0 != nil }) }
        }
        #expect(done.wait(timeout: .now() + 60) == .success)
        return (firstAnswer, try #require(answer.withLock { $0 }).get())
    }

    static func queued(_ event: String, _ editor: FeedbackEditor) throws -> Int {
        try editor.session.fetchFirst("SELECT count(*) FROM webhook_deliveries WHERE event = ?", [event]) { $0.int(0) } ?? 0
    }

    /// As `AlertScheduler.announceFindings`: the episode's announcement is queued as it opens.
    static func announce(_ finding: Finding, at time: Int64, _ editor: FeedbackEditor, inside: () throws -> Void = {}) throws -> Int {
        var queued = 0
        _ = try editor.applyFindings([finding], now: time) { episode in
            queued += try editor.enqueue(.finding, now: time) { _ in "{\"episode\":\(episode.id)}" }.count
            try inside()
        }
        return queued
    }

    /// As `AlertScheduler.sendDigest`: the digest's message is queued as it is marked sent.
    static func sendDigest(slot: Int64, at time: Int64, _ editor: FeedbackEditor, inside: () throws -> Void = {}) throws -> Int {
        try editor.transaction {
            guard try editor.markDigestSent(scheduledAt: slot, now: time) else { return 0 }
            defer { _ = try? inside() }
            return try editor.enqueue(.digest, now: time) { _ in "{}" }.count
        }
    }

    @Test func twoInstancesAnnounceAnEpisodeOnce() throws {
        let editors = try Self.instances()
        let finding = Finding(kind: .helpfulnessDrop, page: "/a", onset: nil, summary: "fell", p: 0.001, q: 0.001)
        let queued = try Self.race(editors, first: { try Self.announce(finding, at: Self.now, $0, inside: $1) },
                                   second: { try Self.announce(finding, at: Self.now + 1, $0) })
        #expect(queued == (1, 0))
        #expect(try Self.queued("finding", editors.first) == 1)
    }

    @Test func twoInstancesSendTheWeeklyDigestOnce() throws {
        let editors = try Self.instances()
        let slot = Self.now - 1000
        let queued = try Self.race(editors, first: { try Self.sendDigest(slot: slot, at: Self.now, $0, inside: $1) },
                                   second: { try Self.sendDigest(slot: slot, at: Self.now + 1, $0) })
        #expect(queued == (1, 0))
        #expect(try Self.queued("digest", editors.first) == 1)
    }
}
