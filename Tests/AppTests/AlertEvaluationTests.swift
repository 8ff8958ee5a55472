import Foundation
import Testing
import TestSupport
@testable import App
@testable import Feedback

/// What the scheduled evaluation announces: findings once per episode, fix verdicts, the weekly digest.
@Suite(.serialized) struct AlertEvaluationTests {
    static let day: Int64 = 86_400_000

    /// A page that fell from 90% to 20% helpful in the last week, beside a steady one.
    func seedDrop(_ live: AlertApp, now: Int64) throws {
        try live.votes("/guides/broken", ups: 54, downs: 6, from: now - 35 * Self.day, to: now - 7 * Self.day)
        try live.votes("/guides/broken", ups: 8, downs: 32, from: now - 7 * Self.day, to: now - 1000)
        try live.votes("/guides/steady", ups: 50, downs: 10, from: now - 35 * Self.day, to: now - 7 * Self.day)
        try live.votes("/guides/steady", ups: 25, downs: 5, from: now - 7 * Self.day, to: now - 1000)
    }

    func messages(_ receiver: WebhookReceiver, _ type: String) -> [[String: Any]] {
        receiver.received.compactMap(\.json).filter { $0["type"] as? String == type }
    }

    /// Sends a test message and waits for it: everything queued before it has been sent by then.
    func drain(_ live: AlertApp, _ webhook: Webhook, _ receiver: WebhookReceiver) throws {
        let tests = { self.messages(receiver, "webhook.test").count }
        let before = tests()
        _ = try live.sendTest(webhook)
        #expect(waitUntil(timeout: 60) { tests() > before })
    }

    @Test func oneEpisodeAlertsOnceUntilThePageRecovers() throws {
        let directory = TemporaryDirectory()
        let live = try AlertApp(path: directory.file("h.db"))
        defer { live.shutdown() }
        let receiver = try WebhookReceiver()
        let webhook = try live.addWebhook(port: receiver.port, events: [.finding])
        let now = Timestamp.nowMilliseconds()
        try seedDrop(live, now: now)
        for minute in 0..<3 { live.app.alerts.evaluate(now: now + Int64(minute) * 60_000) }
        try drain(live, webhook, receiver)
        let findings = messages(receiver, "finding.opened")
        #expect(findings.count == 1, "\(findings.map { ($0["data"] as? [String: Any])?["summary"] ?? "" })")
        let data = try #require(findings.first?["data"] as? [String: Any])
        #expect(data["page"] as? String == "/guides/broken")
        #expect(data["kind"] as? String == "helpfulness_drop")
        // Months later the page has no finding: the episode ends, and the next finding is announced again.
        live.app.alerts.evaluate(now: now + 400 * Self.day)
        live.app.alerts.evaluate(now: now + 5 * 60_000)
        try drain(live, webhook, receiver)
        let episodes = try live.app.store.readNow { try $0.query("SELECT id, page_key, kind, opened_at, closed_at FROM alert_episodes") { "\($0.int(0)) \($0.string(1)) \($0.string(2)) \($0.int64(3)) \($0.optionalInt(4) ?? -1)" } }
        #expect(messages(receiver, "finding.opened").count == 2, "\(episodes)")
    }

    @Test func aFixVerdictIsSentOnceWhenTheAfterWindowCompletes() throws {
        let directory = TemporaryDirectory()
        let live = try AlertApp(path: directory.file("h.db"))
        defer { live.shutdown() }
        let receiver = try WebhookReceiver()
        let webhook = try live.addWebhook(port: receiver.port, format: .json, events: [.fix])
        let now = Timestamp.nowMilliseconds()
        let at = now - 20 * Self.day
        try live.votes("/guides/fixed", ups: 10, downs: 30, from: at - 14 * Self.day, to: at)
        try live.votes("/guides/fixed", ups: 32, downs: 8, from: at, to: at + 14 * Self.day)
        let annotation = try live.app.store.writeNow {
            try Annotations.create(NewAnnotation(at: at, page: "/guides/fixed", pagePrefix: nil, note: "rewrote the example", url: nil, createdBy: "test"), connection: $0)
        }
        live.app.alerts.evaluate(now: now)
        live.app.alerts.evaluate(now: now + 60_000)
        try drain(live, webhook, receiver)
        let fixes = messages(receiver, "fix.verified")
        #expect(fixes.count == 1)
        let data = try #require(fixes.first?["data"] as? [String: Any])
        #expect(data["annotation_id"] as? Int == Int(annotation.id))
        #expect(data["verdict"] as? String == "improved")
        #expect((data["before"] as? [String: Any])?["votes"] as? Int == 40)
        #expect((data["after"] as? [String: Any])?["up"] as? Int == 32)
    }

    @Test func theDigestReportsTheSeededWeek() throws {
        let directory = TemporaryDirectory()
        let now = Timestamp.nowMilliseconds()
        // The digest slot is the hour that just began, so the first evaluation sends it.
        let slotDate = Date(timeIntervalSince1970: Double(now) / 1000)
        var calendar = Calendar(identifier: .iso8601)
        calendar.timeZone = TimeZone(identifier: "UTC") ?? calendar.timeZone
        var schedule = DigestSchedule()
        schedule.weekday = (calendar.component(.weekday, from: slotDate) + 5) % 7 + 1
        schedule.hour = calendar.component(.hour, from: slotDate)
        let slot = now - now % 3_600_000
        let live = try AlertApp(path: directory.file("h.db")) { $0.alerts.digest = schedule }
        defer { live.shutdown() }
        let receiver = try WebhookReceiver()
        let webhook = try live.addWebhook(port: receiver.port, events: [.digest])
        let chat = try WebhookReceiver()
        _ = try live.addWebhook(port: chat.port, format: .slack, events: [.digest])
        let weekStart = slot - 7 * Self.day
        try live.votes("/a", ups: 30, downs: 10, from: weekStart, to: slot)                                   // 75%
        try live.votes("/b", ups: 2, downs: 18, from: weekStart, to: slot, comment: "broken, write to jo@example.com") // 10%
        try live.votes("/c", ups: 9, downs: 1, from: weekStart, to: slot)                                     // 90%
        try live.votes("/a", ups: 10, downs: 10, from: weekStart - 7 * Self.day, to: weekStart)               // the week before
        try live.votes("/a", ups: 5, downs: 0, from: slot, to: now + 1)                                       // after the week: left out
        live.app.alerts.evaluate(now: now)
        live.app.alerts.evaluate(now: now + 1000)
        try drain(live, webhook, receiver)
        let digests = messages(receiver, "digest.weekly")
        #expect(digests.count == 1, "one digest per scheduled time")
        let data = try #require(digests.first?["data"] as? [String: Any])
        let week = try #require(data["week"] as? [String: Any])
        #expect(week["votes"] as? Int == 70)
        #expect(week["up"] as? Int == 41)
        #expect((data["previous_week"] as? [String: Any])?["votes"] as? Int == 20)
        let worst = (data["worst_pages"] as? [[String: Any]] ?? []).compactMap { $0["page"] as? String }
        #expect(worst == ["/b", "/a", "/c"])
        let comments = (data["comments"] as? [[String: Any]] ?? []).compactMap { $0["comment"] as? String }
        #expect(comments.count == 1)
        #expect(comments.first.map { $0.contains("broken") && !$0.contains("jo@example.com") } == true, "\(comments)")
        #expect(data["week_end"] as? String == Timestamp.rfc3339(milliseconds: slot))
        #expect(chat.wait(for: 1))
        let slack = try #require(chat.received.first?.json)
        #expect((slack["text"] as? String)?.contains("70 votes, 59% helpful") == true, "\(slack)")
        let sections = (slack["blocks"] as? [[String: Any]] ?? []).compactMap { ($0["text"] as? [String: Any])?["text"] as? String }
        #expect(sections.contains { $0.contains("*Worst pages*") && $0.contains("`/b`: 10% of 20") })
        #expect(sections.contains { $0.contains("What readers said") && $0.contains("broken") && !$0.contains("jo@example.com") })
    }
}
