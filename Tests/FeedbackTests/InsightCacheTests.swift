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
        try ask(writer)
        try ask(writer)
        #expect(evaluations == 5, "kept per connection")
        try writer.execute("INSERT INTO t VALUES (2)")
        try ask(writer)
        #expect(evaluations == 6, "the connection's own change changes its data")
    }
}
