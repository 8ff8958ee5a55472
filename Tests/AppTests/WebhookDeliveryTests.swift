import Crypto
import Foundation
import Testing
import TestSupport
@testable import App
@testable import Feedback

/// Webhook delivery against a real receiver on an ephemeral port.
@Suite(.serialized) struct WebhookDeliveryTests {
    @Test func signatureVerifiesAndTheAdminAPIQueuesATest() throws {
        let directory = TemporaryDirectory()
        let live = try AlertApp(path: directory.file("h.db"))
        defer { live.shutdown() }
        let receiver = try WebhookReceiver()
        let admin = try live.token(.admin)
        let secret = "whsec_" + Data((0..<32).map { UInt8($0) }).base64EncodedString()
        let created = try live.request("POST", "/v1/webhooks", token: admin,
                                       body: #"{"url":"http://127.0.0.1:\#(receiver.port)/hook","format":"json","secret":"\#(secret)"}"#)
        #expect(created.status == 201, "\(created)")
        #expect(created.json?["secret"] as? String == secret)
        let id = try #require(created.json?["id"] as? Int)
        let listed = try live.request("GET", "/v1/webhooks", token: admin)
        #expect(listed.status == 200 && !listed.text.contains(secret), "the list never shows secrets")
        #expect(try live.request("POST", "/v1/webhooks/\(id)/test", token: live.token(.triage)).status == 403, "webhooks are admin only")
        #expect(try live.request("POST", "/v1/webhooks/\(id)/test", token: admin).status == 202)
        #expect(receiver.wait(for: 1))
        let message = receiver.received[0]
        #expect(verifiesStandardWebhooks(message, secret: secret))
        #expect(!verifiesStandardWebhooks(message, secret: "whsec_" + Data(repeating: 7, count: 32).base64EncodedString()))
        let github = HMAC<SHA256>.authenticationCode(for: Data(message.body), using: SymmetricKey(data: Data(secret.utf8)))
        #expect(message.header("X-Hearken-Signature") == "sha256=" + github.map { String(format: "%02x", $0) }.joined())
        let timestamp = try #require(Int64(message.header("webhook-timestamp") ?? ""))
        #expect(abs(timestamp - Timestamp.nowMilliseconds() / 1000) < 300)
        #expect(message.json?["type"] as? String == "webhook.test")
        try verifyWithTheStandardWebhooksLibrary(message, secret: secret, folder: directory)
        #expect(try waitUntil(timeout: 60) { try live.request("GET", "/v1/webhooks/\(id)/deliveries", token: admin).items.first?["state"] as? String == "delivered" })
        let bad = try live.request("POST", "/v1/webhooks", token: admin, body: #"{"url":"ftp://example.com/x","format":"json"}"#)
        #expect(bad.status == 400 && errorField(bad).field == "url")
        #expect(try live.request("DELETE", "/v1/webhooks/\(id)", token: admin).status == 204)
        #expect(try live.request("GET", "/v1/webhooks/\(id)/deliveries", token: admin).status == 404)
    }

    @Test func aReceiverThatIsDownGetsTheMessageOnceItIsBack() throws {
        let directory = TemporaryDirectory()
        let live = try AlertApp(path: directory.file("h.db"))
        defer { live.shutdown() }
        let first = try WebhookReceiver()
        let port = first.port
        first.stop()
        let delivery = try live.sendTest(try live.addWebhook(port: port))
        #expect(try waitUntil(timeout: 60) { try live.attempts(delivery).count >= 2 }, "retries while the receiver is down")
        #expect(try live.delivery(delivery)?.state == .pending)
        let back = try WebhookReceiver(port: port)
        #expect(back.wait(for: 1))
        #expect(try waitUntil(timeout: 60) { try live.delivery(delivery)?.state == .delivered })
        #expect(try live.attempts(delivery).first?.status == nil, "the first attempts found no receiver")
    }

    @Test func aSlowReceiverTimesOutAndGetsARetryWithTheSameMessageID() throws {
        let directory = TemporaryDirectory()
        let live = try AlertApp(path: directory.file("h.db"))
        defer { live.shutdown() }
        let receiver = try WebhookReceiver()
        receiver.respond(200, after: 5)
        let delivery = try live.sendTest(try live.addWebhook(port: receiver.port))
        #expect(receiver.wait(for: 1))
        receiver.respond(200)
        #expect(try waitUntil(timeout: 60) { try live.delivery(delivery)?.state == .delivered })
        let attempts = try live.attempts(delivery)
        #expect(attempts.count >= 2)
        #expect(attempts.first?.error == "timed out", "\(attempts)")
        #expect(receiver.received.count >= 2)
        #expect(Set(receiver.received.compactMap { $0.header("webhook-id") }).count == 1, "the same webhook-id on every attempt")
    }

    @Test func pendingDeliveriesGoOutAfterARestartAndNothingIsSentTwice() throws {
        let directory = TemporaryDirectory()
        let path = directory.file("h.db")
        let down = try WebhookReceiver()
        let port = down.port
        down.stop()
        var live = try AlertApp(path: path)
        let webhook = try live.addWebhook(port: port)
        let delivery = try live.sendTest(webhook)
        #expect(try waitUntil(timeout: 60) { try live.attempts(delivery).count >= 1 })
        live.shutdown()
        let receiver = try WebhookReceiver(port: port)
        live = try AlertApp(path: path)
        #expect(receiver.wait(for: 1))
        #expect(try waitUntil(timeout: 60) { try live.delivery(delivery)?.state == .delivered })
        live.shutdown()
        // Another clean restart: a new message goes out, the delivered one does not go again.
        live = try AlertApp(path: path)
        defer { live.shutdown() }
        let second = try live.sendTest(webhook)
        #expect(try waitUntil(timeout: 60) { try live.delivery(second)?.state == .delivered })
        #expect(receiver.received.count == 2, "\(receiver.received.map { $0.header("webhook-id") ?? "" })")
        #expect(Set(receiver.received.compactMap { $0.header("webhook-id") }).count == 2)
    }

    @Test func redirectsAreNotFollowed() throws {
        let directory = TemporaryDirectory()
        let live = try AlertApp(path: directory.file("h.db"))
        defer { live.shutdown() }
        let elsewhere = try WebhookReceiver()
        let receiver = try WebhookReceiver()
        receiver.respond(307, headers: [("Location", "http://127.0.0.1:\(elsewhere.port)/stolen")])
        let delivery = try live.sendTest(try live.addWebhook(port: receiver.port))
        #expect(try waitUntil(timeout: 60) { try live.attempts(delivery).count >= 2 })
        #expect(try live.attempts(delivery).first?.status == 307)
        #expect(try live.delivery(delivery)?.state == .pending, "a redirect is a failed attempt, retried")
        #expect(elsewhere.received.isEmpty)
    }

    @Test func aMessageIsGivenUpAfterItsDeadline() throws {
        let directory = TemporaryDirectory()
        let live = try AlertApp(path: directory.file("h.db")) { $0.alerts.delivery.giveUpAfter = 1 }
        defer { live.shutdown() }
        let receiver = try WebhookReceiver()
        receiver.respond(503)
        let delivery = try live.sendTest(try live.addWebhook(port: receiver.port))
        #expect(try waitUntil(timeout: 60) { try live.delivery(delivery)?.state == .failed })
        #expect(try live.delivery(delivery)?.lastError == "HTTP 503")
        #expect(try waitUntil(timeout: 60) {
            try RawClient.request(port: live.port, "GET", "/metrics").text.contains(#"hearken_webhook_deliveries_total{outcome="failed"} 1"#)
        })
    }

    @Test func goneDisablesTheWebhook() throws {
        let directory = TemporaryDirectory()
        let live = try AlertApp(path: directory.file("h.db"))
        defer { live.shutdown() }
        let receiver = try WebhookReceiver()
        receiver.respond(410)
        let webhook = try live.addWebhook(port: receiver.port)
        let delivery = try live.sendTest(webhook)
        #expect(try waitUntil(timeout: 60) { try live.delivery(delivery)?.state == .failed })
        let stored = try #require(try live.app.store.readNow { try Webhooks.get(webhook.id, connection: $0) })
        #expect(stored.disabledAt != nil)
        #expect(try live.attempts(delivery).count == 1, "410 is not retried")
        let queued = try live.app.store.writeNow { db in try Outbox.enqueue(.finding, now: 0, connection: db) { _ in "{}" } }
        #expect(queued.isEmpty, "a disabled webhook gets no new messages")
        // The dispatcher counts the outcome just after recording it.
        #expect(try waitUntil(timeout: 60) {
            try RawClient.request(port: live.port, "GET", "/metrics").text.contains(#"hearken_webhook_deliveries_total{outcome="disabled"} 1"#)
        })
        // A test message that gets through enables the webhook again.
        receiver.respond(204)
        let test = try live.sendTest(stored)
        #expect(try waitUntil(timeout: 60) { try live.delivery(test)?.state == .delivered })
        #expect(try live.app.store.readNow { try Webhooks.get(webhook.id, connection: $0) }?.disabledAt == nil)
    }
}

@Suite struct WebhookPayloadTests {
    /// Slack's shape, with everything readers or writers typed escaped for mrkdwn.
    @Test func slackMessagesHaveTextAndBlocksAndEscapeWhatPeopleWrote() throws {
        let episode = Episode(id: 1, page: "/guides/<script>", kind: .helpfulnessDrop, summary: "fell from 80% to 30% & more <@here>",
                              onset: "2026-11-26", q: 0.001, openedAt: 0, closedAt: nil)
        let body = WebhookPayloads.finding(episode, format: .slack, now: 0)
        let object = try #require(try JSONSerialization.jsonObject(with: Data(body.utf8)) as? [String: Any])
        #expect((object["text"] as? String)?.isEmpty == false)
        let blocks = try #require(object["blocks"] as? [[String: Any]])
        let text = try #require((blocks.first?["text"] as? [String: Any])?["text"] as? String)
        #expect(!text.contains("<@here>") && !text.contains("<script>") && text.contains("&lt;@here&gt;") && text.contains("&amp; more"))
        let json = try #require(try JSONSerialization.jsonObject(with: Data(WebhookPayloads.finding(episode, format: .json, now: 0).utf8)) as? [String: Any])
        #expect(json["type"] as? String == "finding.opened")
        #expect((json["data"] as? [String: Any])?["summary"] as? String == episode.summary, "JSON carries the text as written; JSON escaping is the encoder's")
    }
}
