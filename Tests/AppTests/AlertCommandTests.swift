import Foundation
import Testing
import TestSupport
@testable import App
@testable import Feedback

/// The `hearken` binary: annotate, webhook add/list/remove, and `serve --insight-interval`.
@Suite(.serialized) struct AlertCommandTests {
    /// Runs a short command to its end, reading all its output (read to the end of the pipe, so
    /// nothing written just before exit is lost).
    func run(_ arguments: [String]) throws -> (status: Int32?, output: String) {
        let process = Process()
        process.executableURL = ServerProcess.binary
        process.arguments = arguments
        let output = Pipe()
        process.standardOutput = output
        process.standardError = output
        try process.run()
        let text = String(decoding: output.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        return (process.terminationStatus, text)
    }

    @Test func annotateAndWebhookCommands() throws {
        let directory = TemporaryDirectory()
        let db = directory.file("h.db")
        let annotated = try run(["annotate", "--db", db, "--page", "https://docs.example.com/guides/a/", "--note", "deploy 42",
                                 "--url", "https://github.com/o/r/pull/42", "--at", "2026-11-20T10:00:00Z"])
        #expect(annotated.status == 0 && annotated.output.contains("annotation 1 at 2026-11-20T10:00:00.000Z on https://docs.example.com/guides/a"), "\(annotated)")
        let section = try run(["annotate", "--db", db, "--page-prefix", "/api/", "--note", "new reference"])
        #expect(section.status == 0 && section.output.contains("on /api/*"), "\(section)")
        // --keep-query as `serve --keep-query` stores pages: the query stays part of the page.
        let kept = try run(["annotate", "--db", db, "--page", "https://docs.example.com/search?lang=de", "--note", "x", "--keep-query", "true"])
        #expect(kept.status == 0 && kept.output.hasSuffix("on https://docs.example.com/search?lang=de\n"), "\(kept)")
        let dropped = try run(["annotate", "--db", db, "--page", "https://docs.example.com/search?lang=de", "--note", "x"])
        #expect(dropped.status == 0 && dropped.output.hasSuffix("on https://docs.example.com/search\n"), "\(dropped)")
        let missing = try run(["annotate", "--db", db, "--note", "no page"])
        #expect(missing.status != 0 && missing.output.contains("page"), "\(missing)")
        let badURL = try run(["annotate", "--db", db, "--page", "/a", "--note", "x", "--url", "javascript:alert(1)"])
        #expect(badURL.status != 0 && badURL.output.contains("url"), "\(badURL)")

        let added = try run(["webhook", "add", "--db", db, "--url", "https://chat.example.com/hooks/abc", "--format", "slack", "--events", "finding,digest"])
        #expect(added.status == 0 && added.output.contains("webhook 1: slack") && added.output.contains("secret: whsec_"), "\(added)")
        let refused = try run(["webhook", "add", "--db", db, "--url", "file:///etc/passwd", "--format", "json"])
        #expect(refused.status != 0 && refused.output.contains("http or https"), "\(refused)")
        let badSecret = try run(["webhook", "add", "--db", db, "--url", "https://x.example/h", "--format", "json", "--secret", "hunter2"])
        #expect(badSecret.status != 0 && badSecret.output.contains("whsec_"), "\(badSecret)")
        let listed = try run(["webhook", "list", "--db", db])
        #expect(listed.status == 0 && listed.output.contains("1\tslack\tfinding,digest\thttps://chat.example.com/hooks/abc\tenabled"), "\(listed)")
        #expect(!listed.output.contains("whsec_"), "list never shows secrets")
        #expect(try run(["webhook", "remove", "--db", db, "1"]).status == 0)
        #expect(try run(["webhook", "remove", "--db", db, "1"]).status != 0)
    }

    @Test func theServerEvaluatesOnItsIntervalAndAnnouncesTheFinding() throws {
        let directory = TemporaryDirectory()
        let db = directory.file("h.db")
        let receiver = try WebhookReceiver()
        let now = Timestamp.nowMilliseconds()
        let day: Int64 = 86_400_000
        let seeding = try AlertApp(path: db)
        try seeding.votes("/guides/broken", ups: 54, downs: 6, from: now - 35 * day, to: now - 7 * day)
        try seeding.votes("/guides/broken", ups: 8, downs: 32, from: now - 7 * day, to: now - 1000)
        _ = try seeding.addWebhook(port: receiver.port, events: [.finding])
        seeding.shutdown()
        let server = try ServerProcess(["serve", "--db", db, "--port", "0", "--insight-interval", "1s", "--digest", "off"])
        #expect(receiver.wait(for: 1), "\(server.log)")
        #expect(receiver.received.first?.json?["type"] as? String == "finding.opened")
        server.signal(SIGTERM)
        #expect(server.waitForExit() == 0)
    }

    @Test func serveRejectsBadScheduleValues() throws {
        let interval = try run(["serve", "--print-config", "--insight-interval", "soon"])
        #expect(interval.status != 0 && interval.output.contains("--insight-interval"), "\(interval)")
        let digest = try run(["serve", "--print-config", "--digest", "someday 9"])
        #expect(digest.status != 0 && digest.output.contains("--digest"), "\(digest)")
        let shown = try run(["serve", "--print-config", "--insight-interval", "2s", "--digest", "fri 16:30 Europe/Berlin"])
        #expect(shown.status == 0 && shown.output.contains("2.0s") && shown.output.contains("fri 16:30 Europe/Berlin"), "\(shown)")
    }
}
