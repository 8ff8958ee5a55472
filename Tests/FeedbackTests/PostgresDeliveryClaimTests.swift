import Dispatch
import Foundation
import Postgres
import Synchronization
import Testing
import TestSupport
@testable import Feedback

/// Several instances send one outbox on PostgreSQL: each claims the due deliveries it sends, so an
/// attempt is made by one instance; a claim whose sender died runs out and another instance retries.
@Suite(.enabled(if: !PostgresServer.isSkipped)) struct PostgresDeliveryClaimTests {
    static let now: Int64 = 4_000_000_000_000
    static let lease: Int64 = 70_000

    /// A migrated database with one webhook and `count` deliveries due at `now`, one millisecond apart.
    static func outbox(_ count: Int) throws -> (editor: FeedbackEditor, ids: [Int64], connect: () throws -> Postgres.Connection) {
        let (session, connect) = try PostgresWritePathTests.database()
        let editor = FeedbackEditor(session: session, drops: DropCounter())
        let webhook = try editor.createWebhook(url: "http://127.0.0.1:9/hook", format: .json, events: WebhookEvent.allCases, secret: nil)
        let ids = try (0..<count).map { try editor.enqueue(event: "test", to: webhook, body: "{\"n\":\($0)}", now: now - Int64(count - $0)) }
        return (editor, ids, connect)
    }

    static func editor(_ connection: Postgres.Connection) -> FeedbackEditor {
        FeedbackEditor(session: PostgresSession(connection), drops: DropCounter())
    }

    static func claim(_ editor: FeedbackEditor, at time: Int64 = now, limit: Int = 8, lease: Int64 = lease) throws -> [Int64] {
        try editor.claimDueDeliveries(now: time, limit: limit, lease: lease).map(\.0.id)
    }

    /// One instance's claim is still uncommitted (its rows locked) when another claims: the second
    /// does not wait for it and gets the next deliveries. After both, a third claim gets the rest.
    @Test func aClaimSkipsTheRowsAnotherClaimHolds() throws {
        let (editor, ids, connect) = try Self.outbox(20)
        let holder = try connect()
        try holder.execute("BEGIN")
        let held = try Self.claim(Self.editor(holder))
        #expect(held == Array(ids[0..<8]))
        let other = Handover(Self.editor(try connect()))
        let answer = Mutex<Result<[Int64], any Error>?>(nil)
        let done = DispatchSemaphore(value: 0)
        DispatchQueue.global().async {
            let result = Result { try Self.claim(other.value) }
            answer.withLock { $0 = result }
            done.signal()
        }
        // Waiting for the holder's rows would block until it commits: it commits only after this.
        let finishedWhileHeld = done.wait(timeout: .now() + 30) == .success
        try holder.execute("COMMIT")
        #expect(finishedWhileHeld)
        if !finishedWhileHeld { _ = done.wait(timeout: .now() + 60) }
        #expect(try answer.withLock { $0 }?.get() == Array(ids[8..<16]))
        #expect(try Self.claim(editor) == Array(ids[16..<20]))
        #expect(try Self.claim(editor).isEmpty)
    }

    /// Committed claims: an instance claiming after another gets none of its deliveries until their
    /// lease runs out on the database server's clock, however far ahead its own clock is; then they
    /// are claimed again (their sender died), held for a new lease.
    @Test func aClaimedDeliveryIsClaimedAgainOnlyOnceItsLeaseRunsOut() throws {
        let (first, ids, connect) = try Self.outbox(3)
        let second = Self.editor(try connect())
        let lease: Int64 = 3000, seconds = Double(lease) / 1000
        // Whether a claim that just returned began within the lease of the claim made at `since`: a
        // machine that stalled longer gives no verdict (that claim may rightly succeed).
        func withinLease(_ since: Date) -> Bool { Date().timeIntervalSince(since) < seconds - 0.1 }
        let claimed = Date()
        #expect(try Self.claim(first, lease: lease) == ids)
        let early = try Self.claim(second, at: Self.now + 100 * Self.lease, lease: lease)
        if withinLease(claimed) { #expect(early.isEmpty) }
        // When the claim that took them over began: its lease starts no earlier.
        var reclaimed = Date()
        if early.isEmpty {
            #expect(waitUntil(timeout: 60) { reclaimed = Date(); return (try? Self.claim(second, lease: lease)) == ids })
            #expect(Date().timeIntervalSince(claimed) >= seconds - 0.05)
        }
        let again = try Self.claim(first, at: Self.now + 100 * Self.lease, lease: lease)
        if withinLease(reclaimed) { #expect(again.isEmpty) }
        #expect(waitUntil(timeout: 60) { (try? Self.claim(first, lease: lease)) == ids })
    }

    /// Recording the attempt ends the claim: a retry is claimed again when due, not a lease later;
    /// a delivered message never.
    @Test func recordingAnAttemptEndsTheClaim() throws {
        let (editor, ids, _) = try Self.outbox(2)
        let claimed = try editor.claimDueDeliveries(now: Self.now, limit: 8, lease: Self.lease).map(\.0)
        #expect(claimed.map(\.id) == ids)
        let attempt = DeliveryAttempt(at: Self.now, status: 500, error: "HTTP 500", durationMilliseconds: 3)
        try editor.recordDelivery(claimed[0], attempt: attempt, outcome: .retry(at: Self.now + 1000))
        try editor.recordDelivery(claimed[1], attempt: attempt, outcome: .delivered)
        #expect(try Self.claim(editor, at: Self.now + 999).isEmpty)
        #expect(try Self.claim(editor, at: Self.now + 1000) == [ids[0]])
        // Claimed again only once that claim's lease runs out on the server's clock, not the caller's.
        #expect(try Self.claim(editor, at: Self.now + 3 * Self.lease).isEmpty)
    }

    /// Four instances claim in a loop at once until the outbox is empty: every delivery is claimed
    /// by exactly one of them. (Each stops after as many claims as there are deliveries, so a claim
    /// that hands out deliveries again fails the test rather than looping.)
    @Test func instancesClaimingAtOnceClaimEveryDeliveryOnce() throws {
        let (_, ids, connect) = try Self.outbox(200)
        let editors = Handover(try (0..<4).map { _ in Self.editor(try connect()) })
        let claimed = Mutex<[[Int64]]>(Array(repeating: [], count: 4))
        let failures = Mutex<[String]>([])
        DispatchQueue.concurrentPerform(iterations: 4) { index in
            do {
                for _ in ids {
                    let batch = try Self.claim(editors.value[index], limit: 3)
                    if batch.isEmpty { break }
                    claimed.withLock { $0[index] += batch }
                }
            } catch {
                failures.withLock { $0.append("\(error)") }
            }
        }
        #expect(failures.withLock { $0 } == [])
        let all = claimed.withLock { $0 }.flatMap { $0 }
        #expect(all.count == ids.count)
        #expect(Set(all) == Set(ids))
    }
}
