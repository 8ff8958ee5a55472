import Foundation
import Testing
import TestSupport
@testable import Feedback

/// Insights, findings, changes and the weekly digest asked of SQLite and PostgreSQL holding the same
/// rows (see `ReadBackends`): 90 days of seeded traffic on 40 pages, five of which lost most of their
/// helpfulness in the last week, with spam, resolutions, annotations and open episodes. The answers
/// must be equal, and the findings must not be empty (equal empty answers would prove nothing).
@Suite(.enabled(if: !PostgresServer.isSkipped)) struct ReadBackendsInsightTests {
    static let now = ReadBackends.now
    static let day = ReadBackends.day
    static var seeder: Seeder {
        var seeder = Seeder(rows: 12_000)
        seeder.pages = 40
        return seeder
    }

    /// The seeded traffic, triaged, annotated, and evaluated once so that episodes are open.
    static func fill(_ store: FeedbackStore) throws -> (String, String) {
        try store.writeNow { db in
            try seeder.run(connection: db, now: now)
            for id in stride(from: 5, through: 12_000, by: 97) {
                var change = TriageUpdate()
                change.status = id % 3 == 0 ? .spam : .resolved
                _ = try FeedbackQueries.update(Int64(id), change, connection: db)
            }
            // Triage stamps the clock's time; resolutions are changes only before `now`.
            try db.run("UPDATE feedback_resolutions SET resolved_at = ? - (feedback_id % 15) * ?", [now, day])
        }
        try store.write { editor in
            _ = try editor.createAnnotation(NewAnnotation(at: now - 20 * day, page: seeder.regressedPages()[0], pagePrefix: nil,
                                                          note: "rewrote", url: nil, createdBy: "cli"))
            _ = try editor.createAnnotation(NewAnnotation(at: now - 9 * day, page: nil, pagePrefix: "https://docs.example.com/api/",
                                                      note: "deploy", url: nil, createdBy: nil))
        }
        let findings = try store.read { try $0.findings(AggregateFilter(), options: InsightOptions(), now: now - 2 * day) }
        try store.writeNow { db in
            _ = try Episodes.apply(findings, now: now - 2 * day, connection: db) { _ in }
        }
        return ("", "")
    }

    static func filters() -> [(String, AggregateFilter)] {
        func filter(_ change: (inout AggregateFilter) -> Void) -> AggregateFilter {
            var filter = AggregateFilter()
            change(&filter)
            return filter
        }
        return [
            ("everything", AggregateFilter()),
            ("source", filter { $0.source = "portal" }),
            ("prefix", filter { $0.pagePrefix = "https://docs.example.com/api/" }),
            ("page", filter { $0.page = seeder.regressedPages()[0] }),
            ("label", filter { $0.labels = [("version", "v2")] }),
            ("label and source", filter { $0.labels = [("version", "v1")]; $0.source = "docs" }),
        ]
    }

    @Test func insightsFindingsChangesAndTheDigestAreTheSameOnBothBackends() throws {
        let backends = try ReadBackends(fill: Self.fill)
        var options = InsightOptions()
        options.minVotes = 5
        var queries: [(name: String, run: (FeedbackReader) throws -> Any)] = []
        for (name, filter) in Self.filters() {
            queries.append(("insights \(name)", { try $0.insights(filter, options: InsightOptions(), now: Self.now) }))
            queries.append(("findings \(name)", { try $0.findings(filter, options: InsightOptions(), now: Self.now) }))
            queries.append(("findings \(name), other options, a week back", { try $0.findings(filter, options: options, now: Self.now - 7 * Self.day) }))
        }
        queries += [
            ("changes", { try $0.changes(since: nil, until: nil, now: Self.now) }),
            ("changes of 10 days", { try $0.changes(since: Self.now - 10 * Self.day, until: Self.now, now: Self.now) }),
            ("open episodes", { try $0.openEpisodes() }),
            ("digest", { try $0.digest(weekEnding: Self.now, now: Self.now) }),
            ("digest of the week before", { try $0.digest(weekEnding: Self.now - 7 * Self.day, now: Self.now) }),
        ]
        for (name, query) in queries {
            let (sqlite, postgres) = backends.answers(query)
            #expect(!sqlite.hasPrefix("error"), "\(name) on SQLite: \(sqlite)")
            #expect(sqlite == postgres, "\(name) differs:\nSQLite:     \(sqlite.prefix(900))\nPostgreSQL: \(postgres.prefix(900))")
        }
        // The data has what each answer is about.
        let findings = try backends.store.read { try $0.findings(AggregateFilter(), options: InsightOptions(), now: Self.now) }
        #expect(Set(findings.map(\.kind)).count >= 2, "\(findings.map(\.kind))")
        #expect(Set(findings.map(\.page)).isSuperset(of: Self.seeder.regressedPages().prefix(2)))
        let digest = try backends.store.read { try $0.digest(weekEnding: Self.now, now: Self.now) }
        #expect(!digest.openFindings.isEmpty && !digest.worstPages.isEmpty && !digest.comments.isEmpty)
        #expect(try backends.store.read { try $0.changes(since: nil, until: nil, now: Self.now) }.count > 2)
    }
}
