import Foundation
import Testing
import TestSupport
@testable import App
@testable import Feedback

@Suite struct OutboxTests {
    @Test func retriesBackOffExponentiallyWithJitterUpToTheCap() {
        var options = DeliveryOptions()
        options.retryBase = 1
        options.retryCap = 3600
        #expect(options.retryDelay(afterAttempts: 1, jitter: 1) == 1)
        #expect(options.retryDelay(afterAttempts: 2, jitter: 1) == 2)
        #expect(options.retryDelay(afterAttempts: 5, jitter: 1) == 16)
        #expect(options.retryDelay(afterAttempts: 30, jitter: 1) == 3600)
        #expect(options.retryDelay(afterAttempts: 3, jitter: 0.5) == 2)
        let random = (0..<50).map { _ in options.retryDelay(afterAttempts: 3) }
        #expect(random.allSatisfy { (2...6).contains($0) } && Set(random).count > 1, "jittered between half and one and a half times")
    }

    @Test func finishedDeliveriesAreForgottenAfterTheRetentionAndPendingOnesKept() throws {
        let directory = TemporaryDirectory()
        let live = try AlertApp(path: directory.file("h.db"))
        defer { live.shutdown() }
        let webhook = try live.addWebhook(port: 9) // nothing is sent: the rows are written directly
        let ids = try live.app.store.writeNow { db in
            try (0..<3).map { _ in try Outbox.enqueue(event: "test", to: webhook, body: "{}", now: 4_000_000_000_000, connection: db) }
        }
        try live.app.store.writeNow { db in
            let old = try #require(try db.first("SELECT \(Outbox.columns) FROM webhook_deliveries WHERE id = ?", [ids[0]], Outbox.read))
            try Outbox.record(old, attempt: DeliveryAttempt(at: 1000, status: 200, error: nil, durationMilliseconds: 5), outcome: .delivered, connection: db)
            let recent = try #require(try db.first("SELECT \(Outbox.columns) FROM webhook_deliveries WHERE id = ?", [ids[1]], Outbox.read))
            try Outbox.record(recent, attempt: DeliveryAttempt(at: 5000, status: 200, error: nil, durationMilliseconds: 5), outcome: .delivered, connection: db)
            #expect(try Outbox.prune(finishedBefore: 2000, connection: db) == 1)
        }
        let left = try live.app.store.readNow { try $0.query("SELECT id FROM webhook_deliveries ORDER BY id") { $0.int64(0) } }
        #expect(left == [ids[1], ids[2]])
        #expect(try live.attempts(ids[0]).isEmpty)
    }
}
