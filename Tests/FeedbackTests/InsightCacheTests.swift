import SQLite
import Testing
import TestSupport
@testable import Feedback

/// `InsightCache` keeps an answer while the connection's data is unchanged, and only then.
@Suite struct InsightCacheTests {
    @Test func keptUntilAnyCommitOrOwnChange() throws {
        let directory = TemporaryDirectory()
        let path = directory.file("h.db")
        let writer = try Connection(path: path)
        try writer.execute("CREATE TABLE t(x INTEGER)")
        let reader = try Connection(path: path, options: ConnectionOptions(readOnly: true))
        let cache = InsightCache()
        var evaluations = 0
        func ask(_ connection: Connection, day: Int = 20_000, minVotes: Int = 10) throws {
            var options = InsightOptions()
            options.minVotes = minVotes
            _ = try cache.report(.init(AggregateFilter(), options, asOfDay: day), connection: connection) {
                evaluations += 1
                return InsightReport(asOfDay: day, recentStart: 0, baselineStart: 0, end: 0, pagesTested: 0, tests: 0, detections: [])
            }
        }
        try ask(reader)
        try ask(reader)
        #expect(evaluations == 1, "the same request on unchanged data is kept")
        try ask(reader, day: 20_001)
        try ask(reader, minVotes: 20)
        #expect(evaluations == 3, "another day or other options are another answer")
        try writer.execute("INSERT INTO t VALUES (1)")
        try ask(reader)
        #expect(evaluations == 4, "another connection's commit changes the data")
        try ask(reader)
        #expect(evaluations == 4, "kept again once the commit is seen")
        try ask(writer)
        try ask(writer)
        #expect(evaluations == 6, "a writer connection always evaluates")
    }

    /// An answer computed inside a transaction that is rolled back must not outlive it: on a writer
    /// `sqlite3_total_changes64` stays raised after the ROLLBACK, so the version alone would call it current.
    @Test func aRolledBackTransactionIsNotServedAgain() throws {
        let directory = TemporaryDirectory()
        let writer = try Connection(path: directory.file("h.db"))
        try writer.execute("CREATE TABLE votes(x INTEGER)")
        let cache = InsightCache()
        func rows() throws -> Int {
            try cache.report(.init(AggregateFilter(), InsightOptions(), asOfDay: 20_000), connection: writer) {
                let count = try writer.first("SELECT count(*) FROM votes") { Int($0.int64(0)) } ?? -1
                return InsightReport(asOfDay: 20_000, recentStart: 0, baselineStart: 0, end: 0, pagesTested: count, tests: 0, detections: [])
            }.pagesTested
        }
        try writer.execute("BEGIN")
        try writer.execute("INSERT INTO votes VALUES (1), (2)")
        #expect(try rows() == 2)
        try writer.execute("ROLLBACK")
        #expect(try rows() == 0, "the answer reflects the rollback")
    }

    /// Label filters are keyed as pairs: `a=b` + `=c` and `a` + `b=c` joined as text are the same string.
    @Test func labelFiltersThatReadAlikeAsTextAreSeparate() throws {
        let directory = TemporaryDirectory()
        let path = directory.file("h.db")
        try Connection(path: path).execute("CREATE TABLE t(x INTEGER)")
        let reader = try Connection(path: path, options: ConnectionOptions(readOnly: true))
        let cache = InsightCache()
        var evaluations = 0
        func ask(_ key: String, _ value: String) throws {
            var filter = AggregateFilter()
            filter.labels = [(key: key, value: value)]
            _ = try cache.report(.init(filter, InsightOptions(), asOfDay: 20_000), connection: reader) {
                evaluations += 1
                return InsightReport(asOfDay: 20_000, recentStart: 0, baselineStart: 0, end: 0, pagesTested: 0, tests: 0, detections: [])
            }
        }
        try ask("a=b", "c")
        try ask("a", "b=c")
        #expect(evaluations == 2, "two different label filters evaluate separately")
        try ask("a", "b=c")
        #expect(evaluations == 2, "the same one is kept")
    }

    /// The reasons query is kept prepared per SQL text; with label filters its text grows with the number
    /// of labels, which the client chooses, so it must not be kept: the statement cache would grow for good.
    @Test func labelFiltersKeepNoStatementPerLabelCount() throws {
        let directory = TemporaryDirectory()
        let path = directory.file("h.db")
        let store = try FeedbackStore(options: StorageOptions(path: path))
        defer { store.close() }
        var seeder = Seeder(rows: 6_000)
        seeder.pages = 20
        seeder.days = 60
        try store.writeNow { db in
            try seeder.run(connection: db)
            try DerivedData.foldAll(connection: db)
        }
        let reader = try Connection(path: path, options: ConnectionOptions(readOnly: true))
        var options = InsightOptions()
        options.minReasonVotes = 1
        _ = try Insights.evaluate(AggregateFilter(), options: options, now: Timestamp.nowMilliseconds(), connection: reader)
        let kept = reader.cachedStatements
        for count in 1...4 {
            var filter = AggregateFilter()
            filter.labels = Array(repeating: (key: "version", value: "v1"), count: count) // the seeder labels every row
            _ = try Insights.evaluate(filter, options: options, now: Timestamp.nowMilliseconds(), connection: reader)
        }
        #expect(reader.cachedStatements == kept, "one more statement per label count: \(reader.cachedStatements) against \(kept)")
    }
}
