import Postgres
import Testing
import TestSupport
@testable import Feedback

/// `InsightCache` on PostgreSQL: an answer is kept while the session's snapshot shows no new commit,
/// and only then.
@Suite(.enabled(if: !PostgresServer.isSkipped)) struct InsightCachePostgresTests {
    @Test func keptUntilAnyCommitAndNeverInsideAWritingTransaction() throws {
        // A server of its own: any commit in the cluster (other tests' databases on the shared server)
        // moves the snapshot, and answers this test expects kept would be evaluated again.
        let server = try PostgresServer()
        let url = server.url(database: try server.createDatabase())
        let reader = PostgresSession(try Postgres.Connection(url))
        let writer = PostgresSession(try Postgres.Connection(url))
        try writer.execute("CREATE TABLE votes(x BIGINT) WITH (autovacuum_enabled = false)")
        let cache = InsightCache()
        var evaluations = 0
        /// The "evaluation" counts the rows it sees, so a stale answer shows.
        func rows(_ session: PostgresSession = reader, day: Int = 20_000) throws -> Int {
            try cache.report(.init(AggregateFilter(), InsightOptions(), asOfDay: day), connection: session) {
                evaluations += 1
                let count = try session.fetchFirst("SELECT count(*) FROM votes") { $0.int(0) } ?? -1
                return InsightReport(asOfDay: day, recentStart: 0, baselineStart: 0, end: 0, pagesTested: count, tests: 0, detections: [])
            }.pagesTested
        }
        #expect(try rows() == 0 && rows() == 0)
        #expect(evaluations == 1, "the same request on unchanged data is kept")
        _ = try rows(day: 20_001)
        #expect(evaluations == 2, "another day is another answer")
        try writer.perform("INSERT INTO votes VALUES (1)")
        #expect(try rows() == 1, "another session's commit changes the data")
        #expect(try rows() == 1 && evaluations == 3, "kept again once the commit is seen")
        // A write that commits while the reader looks: kept under the snapshot from before, so the next
        // request evaluates again.
        _ = try cache.report(.init(AggregateFilter(), InsightOptions(), asOfDay: 20_002), connection: reader) {
            try writer.perform("INSERT INTO votes VALUES (2)")
            return InsightReport(asOfDay: 20_002, recentStart: 0, baselineStart: 0, end: 0, pagesTested: 1, tests: 0, detections: [])
        }
        #expect(try rows() == 2)
        // The session's own uncommitted writes are not in its snapshot: never kept, and never served.
        try reader.withTransaction {
            try reader.perform("INSERT INTO votes VALUES (3)")
            #expect(try rows() == 3)
            try reader.perform("INSERT INTO votes VALUES (4)")
            #expect(try rows() == 4)
        }
        #expect(try rows() == 4)
        let before = evaluations
        #expect(try rows() == 4 && evaluations == before)
    }

    /// Sessions of two databases are told apart even when their snapshots read alike.
    @Test func sessionsAreNotConfused() throws {
        let server = try PostgresServer.shared()
        let cache = InsightCache()
        var answers: [Int] = []
        for n in 1...3 {
            let session = PostgresSession(try Postgres.Connection(server.url(database: try server.createDatabase())))
            answers.append(try cache.report(.init(AggregateFilter(), InsightOptions(), asOfDay: 20_000), connection: session) {
                InsightReport(asOfDay: 20_000, recentStart: 0, baselineStart: 0, end: 0, pagesTested: n, tests: 0, detections: [])
            }.pagesTested)
        }
        #expect(answers == [1, 2, 3])
    }
}
