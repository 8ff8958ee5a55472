import Analytics
import SQLite
import Synchronization

/// Each page's tests from the last evaluation on one read-only SQLite connection, so that an evaluation
/// after new votes tests again only the pages those votes are on. A page's tests depend on its own
/// series alone (`Detector.tests`); only the false-discovery rate over all of them (`Detector.combine`)
/// is computed whole each time. At 1M rows a full evaluation reads 84 days of 2,000 pages and their
/// reasons and tests them all (about 100 ms); after one new vote this reads and tests one page.
///
/// What changed since the last evaluation is known from `server_state`, read before anything else:
/// the fold's watermark (`derived_through`: rows up to it are in the rollups and in
/// `feedback_down_reasons`, which is all an evaluation reads) and the count of changes to folded rows
/// (`rollup_edits`, raised by `Rollups.recompute`: triage into or out of spam, erasure, follow-ups),
/// with the pages of the last 64 of those changes. The rollups differ from last time only by the rows
/// folded since and the changes counted since: their pages are tested again. More than 64 changes,
/// another day or other options: everything is tested again. Data read after these numbers may be
/// newer still; those pages are then tested again next time, never left stale.
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
        let (folded, edits, edited) = try Self.versions(connection)
        let kept = states.withLock { $0[serial] }
        var tests: [Int64: [Detection]]
        if var kept, kept.options == options, kept.asOfDay == asOfDay, kept.folded <= folded, folded - kept.folded <= Self.maxNewRows,
           let editedPages = Self.pages(edited, after: kept.edits, through: edits) {
            let newRows = try connection.fetch("""
                SELECT DISTINCT p.id FROM feedback f JOIN pages p ON p.page_key = f.page_key WHERE f.id > ? AND f.id <= ?
                """, [kept.folded, folded]) { $0.int64(0) }
            let changed = Array(Set(newRows + editedPages))
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

    /// The pages of edits number `after + 1` through `through`; nil when they are not all named any more.
    /// Edit number n names its page in slot n % editedPages, and no edit after `through` has overwritten
    /// the slots of the last `editedPages` edits.
    static func pages(_ edited: [Int64: Int64], after: Int64, through: Int64) -> [Int64]? {
        guard after <= through, through - after <= Rollups.editedPages else { return nil }
        guard after < through else { return [] }
        var pages: [Int64] = []
        for n in (after + 1)...through {
            guard let page = edited[n % Rollups.editedPages] else { return nil }
            pages.append(page)
        }
        return pages
    }

    /// The fold's watermark, the count of changes to folded rows and the pages of the last of them
    /// by slot, in one statement (one snapshot).
    static func versions(_ connection: Connection) throws -> (folded: Int64, edits: Int64, edited: [Int64: Int64]) {
        var folded: Int64 = 0, edits: Int64 = 0, edited: [Int64: Int64] = [:]
        _ = try connection.fetch("""
            SELECT name, value FROM server_state WHERE name IN ('derived_through', '\(Rollups.editsName)')
                OR (name >= 'rollup_edit:' AND name < 'rollup_edit;')
            """) { row in
                let name = row.string(0), value = row.int64(1)
                if name == "derived_through" { folded = value }
                else if name == Rollups.editsName { edits = value }
                else if let slot = Int64(name.dropFirst("rollup_edit:".count)) { edited[slot] = value }
            }
        return (folded, edits, edited)
    }
}
