import Analytics
import SQLite
import Synchronization

/// Each page's tests from the last evaluation on one read-only SQLite connection, so that an evaluation
/// after new votes tests again only the pages those votes are on. A page's tests depend on its own
/// series alone (`Detector.tests`); only the false-discovery rate over all of them (`Detector.combine`)
/// is computed whole each time. At 1M rows a full evaluation reads 84 days of 2,000 pages and their
/// reasons and tests them all (about 100 ms); after one new vote this reads and tests one page.
///
/// What changed since the last evaluation is known from two numbers in `server_state`, read before
/// anything else: the fold's watermark (`derived_through`: rows up to it are in the rollups and in
/// `feedback_down_reasons`, which is all an evaluation reads) and the count of changes to folded rows
/// (`rollup_edits`, raised by `Rollups.recompute`: triage into or out of spam, erasure, follow-ups).
/// With the same count, the rollups differ only by the rows folded since: their pages are tested again.
/// Another count, another day or other options: everything is tested again. Data read after the two
/// numbers may be newer still; those pages are then tested again next time, never left stale.
///
/// Only without filters (the page-major daily rollup) and on read-only connections: a writer's
/// rolled-back transaction could take the watermark back, and ids with it.
final class InsightPages: Sendable {
    private struct State {
        let options: InsightOptions
        let asOfDay: Int
        var folded: Int64
        var edits: Int64
        var tests: [Int64: [Detection]]
    }

    /// Connections with a state (tests open many); beyond it every state is dropped.
    static let maxConnections = 16
    /// Beyond this many newly folded rows, reading them and their pages costs about what a full evaluation does.
    static let maxNewRows: Int64 = 20_000
    private let states = Mutex<[UInt64: State]>([:])

    static func applies(_ filter: AggregateFilter, _ session: any SQLSession) -> Bool {
        guard filter.source == nil, filter.page == nil, filter.pagePrefix == nil, filter.labels.isEmpty,
              let connection = session as? Connection else { return false }
        return connection.isReadOnly
    }

    /// The evaluation from kept tests and `test`'s for the pages given (nil: every page); `test` answers
    /// each page that has votes in the evaluated days, by id.
    func evaluate(_ options: InsightOptions, asOfDay: Int, connection session: any SQLSession,
                  test: ([Int64]?) throws -> [(id: Int64, tests: [Detection])]) throws -> Evaluation {
        guard let connection = session as? Connection else {
            return Detector.combine(try test(nil).map(\.tests), asOfDay: asOfDay, options: options.detector)
        }
        let serial = connection.serial
        let (folded, edits) = try Self.versions(connection)
        let kept = states.withLock { $0[serial] }
        var tests: [Int64: [Detection]]
        if var kept, kept.options == options, kept.asOfDay == asOfDay, kept.edits == edits, kept.folded <= folded,
           folded - kept.folded <= Self.maxNewRows {
            let changed = try connection.fetch("""
                SELECT DISTINCT p.id FROM feedback f JOIN pages p ON p.page_key = f.page_key WHERE f.id > ? AND f.id <= ?
                """, [kept.folded, folded]) { $0.int64(0) }
            if !changed.isEmpty {
                for id in changed { kept.tests[id] = nil }
                for page in try test(changed) { kept.tests[page.id] = page.tests }
            }
            tests = kept.tests
        } else {
            tests = [:]
            for page in try test(nil) { tests[page.id] = page.tests }
        }
        states.withLock { states in
            if states[serial] == nil && states.count >= Self.maxConnections { states.removeAll() }
            states[serial] = State(options: options, asOfDay: asOfDay, folded: folded, edits: edits, tests: tests)
        }
        // In page order, as a full evaluation sees them: ties between one page's findings follow it.
        return Detector.combine(tests.sorted { $0.key < $1.key }.map(\.value), asOfDay: asOfDay, options: options.detector)
    }

    /// The fold's watermark and the count of changes to folded rows, in one statement.
    static func versions(_ connection: Connection) throws -> (folded: Int64, edits: Int64) {
        let rows = try connection.fetch("SELECT name, value FROM server_state WHERE name IN ('derived_through', '\(Rollups.editsName)')") {
            ($0.string(0), $0.int64(1))
        }
        let values = Dictionary(rows, uniquingKeysWith: { a, _ in a })
        return (values["derived_through"] ?? 0, values[Rollups.editsName] ?? 0)
    }
}
