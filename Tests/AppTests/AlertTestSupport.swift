import Crypto
import Testing
import Foundation
import Logging
import SQLite
import TestSupport
@testable import App
@testable import Feedback

/// An in-process server for alert tests, on a database path of the test's choosing (so a test can
/// restart it), with short retry and timeout settings and evaluations run by the test.
final class AlertApp {
    let app: Application
    let port: Int

    init(path: String, configure: (inout AppConfiguration) -> Void = { _ in }) throws {
        var configuration = AppConfiguration(databasePath: path)
        configuration.server.port = 0
        configuration.publicSide.rateLimitPerMinute = 0
        configuration.storage.duplicateWindowSeconds = 0
        configuration.alerts.insightInterval = 3600 // the test calls `evaluate`
        configuration.alerts.firstEvaluationDelay = 3600
        configuration.alerts.digest = nil
        configuration.alerts.delivery.retryBase = 0.2
        configuration.alerts.delivery.idleTimeout = 1
        configuration.alerts.delivery.totalTimeout = 1.5
        configuration.alerts.delivery.pollInterval = 0.05
        configure(&configuration)
        var logger = Logger(label: "test")
        logger.logLevel = .critical
        app = try Application(configuration: configuration, logger: logger)
        port = try app.start()
    }

    func shutdown() { app.shutdown() }

    func token(_ scope: Scope) throws -> String {
        try app.store.writeNow { try Tokens.create(name: "t-\(scope.rawValue)-\(UUID().uuidString.prefix(8))", scope: scope, connection: $0) }
    }

    func request(_ method: String, _ path: String, token: String, body: String? = nil) throws -> RawClient.Response {
        try RawClient.request(port: port, method, path, body: body, headers: [("Authorization", "Bearer \(token)")])
    }

    /// Adds a webhook straight through the storage layer.
    func addWebhook(port receiver: Int, format: WebhookFormat = .json, events: [WebhookEvent] = WebhookEvent.allCases, secret: String? = nil) throws -> Webhook {
        try app.store.writeNow { try Webhooks.create(url: "http://127.0.0.1:\(receiver)/hook", format: format, events: events, secret: secret, connection: $0) }
    }

    func sendTest(_ webhook: Webhook) throws -> Int64 {
        let id = try app.store.writeNow { db in
            try Outbox.enqueue(event: "test", to: webhook, body: WebhookPayloads.test(webhookID: webhook.id, format: webhook.format, now: Timestamp.nowMilliseconds()),
                               now: Timestamp.nowMilliseconds(), connection: db)
        }
        app.dispatcher.wake()
        return id
    }

    func delivery(_ id: Int64) throws -> Delivery? {
        try app.store.readNow { try $0.first("SELECT \(Outbox.columns) FROM webhook_deliveries WHERE id = ?", [id], Outbox.read) }
    }

    func attempts(_ id: Int64) throws -> [DeliveryAttempt] {
        try app.store.readNow { try Outbox.attempts(deliveryID: id, connection: $0) }
    }

    func insert(_ rows: [(page: String, up: Bool, comment: String?, at: Int64)]) throws {
        try app.store.writeNow { db in
            try db.transaction {
                for row in rows {
                    let feedback = NewFeedback(page: row.page, pageKey: row.page, rating: row.up ? .up : .down, reason: nil, comment: row.comment,
                                               source: "docs", labels: [], email: nil, userAgent: nil, origin: nil, referer: nil, clientAddress: nil)
                    _ = try FeedbackRows.insert(feedback, receivedAt: row.at, clientHash: nil, connection: db)
                }
                try DerivedData.fold(limit: .max, connection: db)
            }
        }
    }

    /// `ups` positive and `downs` negative votes on `page`, spread evenly over `[from, to)`.
    func votes(_ page: String, ups: Int, downs: Int, from: Int64, to: Int64, comment: String? = nil) throws {
        let total = ups + downs
        // Ups and downs interleaved evenly, so that the window itself holds no change in time.
        let isUp = { (i: Int) in (i + 1) * ups / max(total, 1) > i * ups / max(total, 1) }
        try insert((0..<total).map { i in (page, isUp(i), isUp(i) ? nil : comment, from + (to - from) * Int64(i) / Int64(total)) })
    }
}

/// Checks a Standard Webhooks signature independently of the server's signer.
func verifiesStandardWebhooks(_ received: WebhookReceiver.Received, secret: String) -> Bool {
    guard let id = received.header("webhook-id"), let timestamp = received.header("webhook-timestamp"),
          let signatures = received.header("webhook-signature"), let key = Data(base64Encoded: String(secret.dropFirst("whsec_".count))) else { return false }
    let mac = HMAC<SHA256>.authenticationCode(for: Data("\(id).\(timestamp).".utf8) + Data(received.body), using: SymmetricKey(data: key))
    let expected = "v1," + Data(mac).base64EncodedString()
    return signatures.split(separator: " ").contains { $0 == expected }
}

/// Verifies with the Standard Webhooks project's own Python library when a Python that has it is
/// named by `STANDARDWEBHOOKS_PYTHON` (`pip install standardwebhooks`); otherwise does nothing.
func verifyWithTheStandardWebhooksLibrary(_ received: WebhookReceiver.Received, secret: String, folder: TemporaryDirectory) throws {
    guard let python = ProcessInfo.processInfo.environment["STANDARDWEBHOOKS_PYTHON"], !python.isEmpty else { return }
    let body = folder.file("body"), headers = folder.file("headers.json")
    try Data(received.body).write(to: URL(fileURLWithPath: body))
    let names = ["webhook-id", "webhook-timestamp", "webhook-signature"]
    let object = Dictionary(uniqueKeysWithValues: names.map { ($0, received.header($0) ?? "") })
    try JSONSerialization.data(withJSONObject: object).write(to: URL(fileURLWithPath: headers))
    let process = Process()
    process.executableURL = URL(fileURLWithPath: python)
    process.arguments = ["-c", "import sys, json; from standardwebhooks.webhooks import Webhook; "
                         + "Webhook(sys.argv[1]).verify(open(sys.argv[2], 'rb').read(), json.load(open(sys.argv[3]))); print('verified')",
                         secret, body, headers]
    let output = Pipe()
    process.standardOutput = output
    process.standardError = output
    try process.run()
    process.waitUntilExit()
    let text = String(decoding: output.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
    #expect(process.terminationStatus == 0 && text.contains("verified"), "standardwebhooks: \(text)")
}
