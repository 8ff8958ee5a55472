import Foundation
import Testing
import TestSupport
@testable import Feedback

/// Each read `FeedbackReader` offers, with the filters that choose different SQL, asked of SQLite
/// and PostgreSQL holding the same rows (see `ReadBackends`). The answers must be equal.
@Suite(.enabled(if: !PostgresServer.isSkipped)) struct ReadBackendsQueryTests {
    typealias Query = (name: String, run: (FeedbackReader) throws -> Any)

    static let now = ReadBackends.now
    static let day = ReadBackends.day

    static func window(_ days: Int64, source: String? = nil, page: String? = nil, prefix: String? = nil,
                       labels: [(key: String, value: String)] = []) -> AggregateFilter {
        var filter = AggregateFilter()
        if days > 0 {
            filter.since = now - days * day
            filter.until = now
        }
        filter.source = source
        filter.page = page
        filter.pagePrefix = prefix
        filter.labels = labels
        return filter
    }

    /// Every relation `AggregateFilter` can read: page totals, daily rollups, page-major daily rollup,
    /// the label rollups, and the feedback rows themselves (two labels, or reasons of some pages).
    static let filters: [(String, AggregateFilter)] = [
        ("all time", window(0)),
        ("14 days", window(14)),
        ("14 days, source", window(14, source: "app")),
        ("all time, source", window(0, source: "docs")),
        ("page", window(0, page: "https://docs.example.com/api/auth")),
        ("7 days, prefix", window(7, prefix: "https://docs.example.com/guide/")),
        ("one label", window(0, labels: [("api", "payments")])),
        ("one label, 10 days", window(10, labels: [("api", "auth")])),
        ("two labels", window(0, labels: [("api", "payments"), ("plan", "pro")])),
        ("two labels, 20 days, prefix", window(20, prefix: "https://docs.example.com/", labels: [("api", "payments"), ("plan", "pro")])),
    ]

    static func aggregates() -> [Query] {
        filters.flatMap { name, filter -> [Query] in [
            ("summary \(name)", { try $0.summary(filter) }),
            ("pages \(name)", { try $0.pages(filter, sectionDepth: nil) }),
            ("sections \(name)", { try $0.pages(filter, sectionDepth: 1) }),
            ("by source \(name)", { try $0.grouped(.source, filter) }),
            ("by reason \(name)", { try $0.grouped(.reason, filter) }),
            ("by page \(name)", { try $0.grouped(.page, filter) }),
            ("page votes \(name)", { try $0.pageVotes(filter) }),
            ("page slices \(name)", { try $0.pageSlices(["https://docs.example.com/api/auth", "/faq"], filter, daysPerSlice: 7) }),
            ("daily series \(name)", { try $0.series(filter, since: now - 30 * day, until: now, bucket: .day, timeZone: .gmt) }),
        ] }
    }

    static func series() throws -> [Query] {
        let berlin = try #require(TimeZone(identifier: "Europe/Berlin"))
        return [
            ("hourly series", { try $0.series(window(0), since: now - 2 * day, until: now, bucket: .hour, timeZone: .gmt) }),
            ("weekly series in Berlin", { try $0.series(window(0), since: now - 30 * day, until: now, bucket: .week, timeZone: berlin) }),
            ("monthly series of a page", { try $0.series(window(0, page: "/faq"), since: now - 60 * day, until: now, bucket: .month, timeZone: .gmt) }),
        ]
    }

    static func listings() -> [Query] {
        func filter(_ change: (inout FeedbackFilter) -> Void) -> FeedbackFilter {
            var filter = FeedbackFilter()
            change(&filter)
            return filter
        }
        let filters: [(String, FeedbackFilter)] = [
            ("everything", FeedbackFilter()),
            ("page", filter { $0.page = "/faq" }),
            ("common prefix", filter { $0.pagePrefix = "https://docs.example.com/" }),
            ("rare prefix", filter { $0.pagePrefix = "/blog/" }),
            ("down with reason", filter { $0.rating = .down; $0.reason = "outdated" }),
            ("status and comments", filter { $0.status = .resolved; $0.hasComment = true }),
            ("without comments, source", filter { $0.hasComment = false; $0.source = "app" }),
            ("labels", filter { $0.labels = [("api", "payments")] }),
            ("window", filter { $0.since = now - 9 * day; $0.until = now - 2 * day }),
            ("search", filter { $0.text = "comment" }),
            ("search, prefix and phrase", filter { $0.text = "comm* 'quoted'"; $0.masksPersonalData = true }),
            ("search on a page", filter { $0.text = "quoted"; $0.page = "/faq" }),
        ]
        return filters.flatMap { name, filter -> [Query] in [
            ("listing \(name)", { try $0.feedback(filter, limit: 25, after: nil) }),
            ("listing \(name), second page", { reader in
                let first = try reader.feedback(filter, limit: 7, after: nil)
                return try first.nextCursor.flatMap(Cursor.decodeID).map { try reader.feedback(filter, limit: 7, after: $0) } as Any
            }),
        ] } + [
            ("one record", { try $0.feedback(id: 20) as Any }),
            ("a spam record", { try $0.feedback(id: 3) as Any }),
            ("no record", { try $0.feedback(id: 9_999) as Any }),
            ("export page", { try $0.exportPage(afterID: 100, since: nil, until: nil, limit: 50) }),
            ("export window", { try $0.exportPage(afterID: 0, since: now - 5 * day, until: now - day, limit: 500) }),
        ]
    }

    static func others(_ backends: ReadBackends) -> [Query] {
        var onPage = AnnotationFilter()
        onPage.page = "https://docs.example.com/api/auth"
        var underPrefix = AnnotationFilter()
        underPrefix.pagePrefix = "https://docs.example.com/guide/"
        underPrefix.since = now - 20 * day
        let lifetime = SessionLifetime()
        return [
            ("annotations", { try $0.annotations(AnnotationFilter(), limit: 10) }),
            ("annotations of a page", { try $0.annotations(onPage, limit: 10) }),
            ("annotations under a prefix", { try $0.annotations(underPrefix, limit: 10, offset: 0) }),
            ("tokens", { try $0.tokens() }),
            ("token by secret", { try $0.authenticate(token: backends.tokenSecret) as Any }),
            ("unknown token", { try $0.authenticate(token: "hk_nothing") as Any }),
            ("dashboard session", { try $0.dashboardSession(backends.sessionSecret, now: now, lifetime: lifetime) as Any }),
            ("expired dashboard session", { try $0.dashboardSession(backends.sessionSecret, now: now + 8 * day, lifetime: lifetime) as Any }),
            ("webhooks", { try $0.webhooks() }),
            ("webhook", { try $0.webhook(id: 1) as Any }),
            ("deliveries", { try $0.deliveries(webhookID: 1, limit: 2, before: nil) }),
            ("deliveries before", { try $0.deliveries(webhookID: 1, limit: 5, before: 3) }),
            ("attempts", { try $0.attempts(deliveryID: 1) }),
            ("due deliveries", { try $0.dueDeliveries(now: now, limit: 10) }),
            ("drops", { try $0.drops(sinceDay: now / day - 7) }),
            ("open episodes", { try $0.openEpisodes() }),
            ("digest sent", { try $0.digestWasSent(scheduledAt: now) }),
            ("reported fixes", { try $0.reportedFixes() }),
            ("changes", { try $0.changes(since: now - 20 * day, until: now, now: now) }),
            ("digest", { try $0.digest(weekEnding: now, now: now) }),
        ]
    }

    @Test func everyPortedReadAnswersTheSameOnBothBackends() throws {
        let backends = try ReadBackends()
        let queries = Self.aggregates() + (try Self.series()) + Self.listings() + Self.others(backends)
        for (name, query) in queries {
            let (sqlite, postgres) = backends.answers(query)
            #expect(!sqlite.hasPrefix("error"), "\(name) on SQLite: \(sqlite)")
            #expect(sqlite == postgres, "\(name) differs:\nSQLite:     \(sqlite.prefix(600))\nPostgreSQL: \(postgres.prefix(600))")
        }
    }

    /// The data is varied enough to tell queries apart: no read answers nothing.
    @Test func theDataCoversEveryShape() throws {
        let backends = try ReadBackends()
        let summary = try backends.store.read { try $0.summary(Self.window(0, labels: [("api", "payments"), ("plan", "pro")])) }
        #expect(summary.total.up > 0 && summary.total.down > 0 && summary.total.comments > 0)
        let spam = try backends.postgres.fetchFirst("SELECT count(*) FROM feedback WHERE status = 'spam'") { $0.int(0) }
        #expect((spam ?? 0) > 0)
        let listing = try PostgresDatabase.reader(backends.postgres).feedback(FeedbackFilter(), limit: 500, after: nil)
        #expect(listing.items.count == 300 && listing.nextCursor == nil)
    }

    // Insights, findings, changes and the digest on data with real declines: ReadBackendsInsightTests.
}
