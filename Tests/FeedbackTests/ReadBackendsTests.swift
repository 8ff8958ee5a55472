import Foundation
import Postgres
import SQLite
import Testing
import TestSupport
@testable import Feedback

/// The same data on SQLite and on PostgreSQL, and the domain's reads asked of both: every answer
/// must be the same. The rows are written on SQLite by the real ingest path and fold, then copied
/// table by table into a migrated PostgreSQL database with plain SQL (PostgreSQL's own ingest path
/// does not exist yet), so both hold exactly the same rows, rollups included.
final class ReadBackends {
    let directory = TemporaryDirectory()
    let store: FeedbackStore
    let postgres: PostgresSession
    /// A token's secret and a dashboard session's, to look both up on each backend.
    let tokenSecret: String
    let sessionSecret: String
    static let day: Int64 = 86_400_000
    /// 2026-11-23T12:00:00Z; the data covers the 30 days before it.
    static let now: Int64 = 1_795_435_200_000

    /// Tables copied, parents before children.
    static let tables = [
        "feedback", "feedback_labels", "pages", "rollup_page_daily", "rollup_daily", "rollup_label_daily", "rollup_label_total",
        "rollup_page_total", "rollup_reason_daily", "rollup_hourly", "rollup_page_hourly", "dropped_daily", "annotations", "feedback_resolutions",
        "api_tokens", "sessions", "webhooks", "webhook_deliveries", "webhook_attempts", "alert_episodes", "fix_reports", "digest_runs",
    ]

    /// `fill` writes the rows on SQLite and returns a token's and a session's secret.
    init(fill: (FeedbackStore) throws -> (String, String) = ReadBackends.fill) throws {
        store = try FeedbackStore(options: StorageOptions(path: directory.file("h.db")))
        (tokenSecret, sessionSecret) = try fill(store)
        let server = try PostgresServer.shared()
        postgres = try PostgresDatabase.open(server.url(database: try server.createDatabase()))
        try copy()
    }

    deinit { store.close() }

    /// ~300 votes over 30 days on pages, sections and sources, with reasons, comments, labels,
    /// triage and spam; annotations, tokens, a session, a webhook with deliveries, dropped counts.
    static func fill(_ store: FeedbackStore) throws -> (String, String) {
        let ingestor = Ingestor(duplicateWindow: 0, maxCommentLength: 4000)
        let pages = ["https://docs.example.com/guide/start", "https://docs.example.com/guide/install", "https://docs.example.com/api/auth",
                     "https://docs.example.com/api/payments", "/blog/naïve-é", "/faq"]
        let reasons: [String?] = [nil, "outdated", "unclear", "wrong", nil]
        var seed: UInt64 = 42
        func next(_ bound: Int) -> Int {
            seed = seed &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
            return Int((seed >> 33) % UInt64(bound))
        }
        for n in 0..<300 {
            let page = pages[next(pages.count)]
            let rating: Rating = next(3) == 0 ? .down : .up
            var labels: [(key: String, value: String)] = []
            if next(3) == 0 { labels.append(("api", next(2) == 0 ? "payments" : "auth")) }
            if next(4) == 0 { labels.append(("plan", "pro")) }
            let feedback = NewFeedback(page: page, pageKey: page, rating: rating, reason: rating == .down ? reasons[next(reasons.count)] : nil,
                                       comment: next(3) == 0 ? "comment \(n) ? 'quoted'" : nil, source: next(4) == 0 ? "app" : "docs",
                                       labels: labels, email: nil, userAgent: "UA", origin: nil, referer: nil, clientAddress: "192.0.2.\(n % 200)")
            let at = now - 30 * day + Int64(n) * (30 * day / 300) + Int64(next(3_600_000))
            try store.writeNow { db in
                _ = try db.transaction(.immediate) { try ingestor.ingest(feedback, receivedAt: at, connection: db) }
                ingestor.committed(now: at)
            }
        }
        try store.writeNow { db in
            for id in stride(from: 3, through: 300, by: 17) {
                var change = TriageUpdate()
                change.status = id % 2 == 0 ? .spam : .resolved
                change.note = "looked at \(id)"
                change.tags = ["t\(id % 3)"]
                _ = try FeedbackQueries.update(Int64(id), change, connection: db)
            }
            try db.run("INSERT INTO dropped_daily(day, reason, count) VALUES (?, 'duplicate', 3), (?, 'rate_limit', 5)",
                       [now / day - 2, now / day - 1])
        }
        return try store.write { editor in
            _ = try editor.createAnnotation(NewAnnotation(at: now - 10 * day, page: pages[0], pagePrefix: nil, note: "rewrote", url: nil, createdBy: "cli"))
            _ = try editor.createAnnotation(NewAnnotation(at: now - 5 * day, page: nil, pagePrefix: "https://docs.example.com/api/", note: "deploy",
                                                          url: "https://example.com/d", createdBy: nil))
            let secret = try editor.createToken(name: "reader", scope: .read)
            _ = try editor.createToken(name: "admin", scope: .admin)
            try editor.touchToken(name: "reader", at: now - day)
            let session = try editor.createDashboardSession(tokenName: "reader", now: now - 3_600_000)
            let hook = try editor.createWebhook(url: "https://hooks.example.com/x", format: .json, events: [.finding, .digest], secret: nil)
            for n in 0..<3 { _ = try editor.enqueue(event: "test", to: hook, body: "{\"n\":\(n)}", now: now - Int64(n) * 60_000) }
            return (secret, session)
        }
    }

    /// Every row of every table, same columns, same values (identities included).
    func copy() throws {
        for table in Self.tables {
            let (columns, rows) = try store.readNow { db in
                let columns = try db.query("SELECT name FROM pragma_table_info(?) ORDER BY cid", [table]) { $0.string(0) }
                let rows = try db.query("SELECT * FROM \(table)") { row in (0..<columns.count).map { row.value($0) } }
                return (columns, rows)
            }
            let marks = Array(repeating: "?", count: columns.count).joined(separator: ", ")
            let sql = "INSERT INTO \(table)(\(columns.joined(separator: ", "))) OVERRIDING SYSTEM VALUE VALUES (\(marks))"
            try postgres.withTransaction {
                for row in rows { try postgres.perform(sql, row.map(\.databaseValue)) }
            }
        }
        // The copied rollups count every copied row already: nothing is left for PostgreSQL's fold.
        try postgres.execute("DELETE FROM feedback_unfolded")
    }

    /// `query`'s answer on each backend, as text.
    func answers(_ query: (FeedbackReader) throws -> Any) -> (sqlite: String, postgres: String) {
        func run(_ reader: () throws -> Any) -> String {
            do { return Self.canonical(try reader()) } catch { return "error: \(error)" }
        }
        return (run { try store.read(query) }, run { try query(PostgresDatabase.reader(postgres)) })
    }
}

extension ReadBackends {
    /// A value's description with dictionaries' entries sorted: their printed order depends on how
    /// they were filled, which is not what the backends are compared on.
    static func canonical(_ value: Any) -> String {
        let mirror = Mirror(reflecting: value)
        switch mirror.displayStyle {
        case .dictionary:
            let entries = mirror.children.map { entry -> String in
                let pair = Array(Mirror(reflecting: entry.value).children)
                return pair.count == 2 ? canonical(pair[0].value) + ": " + canonical(pair[1].value) : canonical(entry.value)
            }
            return "[" + entries.sorted().joined(separator: ", ") + "]"
        case .collection, .set, .tuple:
            let items = mirror.children.map { ($0.label.map { $0 + ": " } ?? "") + canonical($0.value) }
            return "(" + (mirror.displayStyle == .set ? items.sorted() : items).joined(separator: ", ") + ")"
        case .optional:
            return mirror.children.first.map { canonical($0.value) } ?? "nil"
        case .struct, .class:
            let fields = mirror.children.map { ($0.label ?? "") + ": " + canonical($0.value) }
            return "\(mirror.subjectType)(" + fields.joined(separator: ", ") + ")"
        default:
            return String(describing: value)
        }
    }
}

extension SQLValue {
    var databaseValue: DatabaseValue {
        switch self {
        case .null: .null
        case .integer(let value): .integer(value)
        case .real(let value): .real(value)
        case .text(let value): .text(value)
        case .blob(let value): .blob(value)
        }
    }
}
