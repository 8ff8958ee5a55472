import SQLite
import Synchronization

/// Evaluations kept while the data they were computed from is unchanged. An evaluation reads 84 days
/// of every page and runs four scans per page (about 100 ms of CPU on the 1M-row bench database), and
/// its answer depends only on the filter, the options, the day evaluated and the data. The data is
/// recognised per session by a version that moves with every commit that could change it, so a kept
/// answer is exactly what a new evaluation would give:
/// - SQLite: `Connection.dataVersion()` of a read-only connection, which moves with every commit of any
///   other connection or process: a vote acknowledged before the request (folded into the rollups
///   before the read, see `FeedbackStore.read`) changes the version and the evaluation runs again.
/// - PostgreSQL: the session's current snapshot (`pg_current_snapshot()`: xmin, xmax and the running
///   transactions). Two equal snapshots see the same set of committed transactions, so no transaction
///   that wrote anything ended between them; any commit anywhere in the cluster changes it. Not inside a
///   transaction that has written: its own changes are not part of the snapshot.
final class InsightCache: Sendable {
    struct Request: Hashable {
        /// A label filter as a pair, not as text: "a=b" joined by "=" would let `a=b=c` stand for two filters.
        struct Label: Hashable { let key: String, value: String }
        let source: String?, pagePrefix: String?, page: String?, labels: [Label]
        let options: InsightOptions
        let asOfDay: Int

        init(_ filter: AggregateFilter, _ options: InsightOptions, asOfDay: Int) {
            (source, pagePrefix, page) = (filter.source, filter.pagePrefix, filter.page)
            labels = filter.labels.map { Label(key: $0.key, value: $0.value) }
            self.options = options
            self.asOfDay = asOfDay
        }
    }

    /// Which session an answer was computed on: versions are only comparable within one.
    enum SessionKey: Hashable {
        case sqlite(UInt64)
        case postgres(ObjectIdentifier)
    }

    /// What a session's data version is: equal versions of one session mean equal data.
    enum DataVersion: Hashable {
        case sqlite(commits: Int64, ownChanges: Int64)
        /// The database's name and the server's start time keep a session object that took the address
        /// of a freed one (another database of the same server, in tests) from matching its answers.
        case postgres(snapshot: String, database: String, serverStart: String)
    }

    /// What one session saw at one data version, and the answers computed from it.
    private struct Snapshot {
        var version: DataVersion
        var reports: [Request: InsightReport] = [:]
    }

    /// Bounds: answers per session (distinct filters and days), and sessions (tests open many).
    static let maxReports = 32, maxConnections = 16
    private let snapshots = Mutex<[SessionKey: Snapshot]>([:])

    /// The kept answer for `request` on this session's current data, or `compute`'s, which is then kept.
    /// Sessions that cannot tell whether their data changed always compute: SQLite connections that may
    /// write (a writer's ROLLBACK leaves `sqlite3_total_changes64` raised, so an answer computed inside a
    /// transaction that was rolled back would look current there), and PostgreSQL sessions inside a
    /// transaction that has written.
    func report(_ request: Request, connection session: any SQLSession, compute: () throws -> InsightReport) throws -> InsightReport {
        guard let (key, version) = try Self.version(of: session) else { return try compute() }
        let kept = snapshots.withLock { snapshots -> InsightReport? in
            guard let s = snapshots[key], s.version == version else { return nil }
            return s.reports[request]
        }
        if let kept { return kept }
        let report = try compute()
        // Kept under the version read before computing: a commit during the evaluation moves the version,
        // so the next request evaluates again rather than trusting an answer that may predate it.
        snapshots.withLock { snapshots in
            var s = snapshots[key] ?? Snapshot(version: version)
            if s.version != version || s.reports.count >= Self.maxReports { s = Snapshot(version: version) }
            s.reports[request] = report
            if snapshots[key] == nil && snapshots.count >= Self.maxConnections { snapshots.removeAll() }
            snapshots[key] = s
        }
        return report
    }

    /// The session's identity and data version; nil when its version cannot be trusted.
    static func version(of session: any SQLSession) throws -> (SessionKey, DataVersion)? {
        if let connection = session as? Connection {
            guard connection.isReadOnly else { return nil }
            let version = try connection.dataVersion()
            return (.sqlite(connection.serial), .sqlite(commits: version.commits, ownChanges: version.ownChanges))
        }
        guard let postgres = session as? PostgresSession else { return nil }
        // One round trip. `pg_current_xact_id_if_assigned()` is not NULL once the session's open
        // transaction has written something.
        let row = try postgres.fetchFirst("""
            SELECT pg_current_snapshot()::text, current_database(), pg_postmaster_start_time()::text,
                   pg_current_xact_id_if_assigned() IS NULL
            """) { row in (row.string(0), row.string(1), row.string(2), row.int(3) == 1) }
        guard let (snapshot, database, serverStart, clean) = row, clean else { return nil }
        return (.postgres(ObjectIdentifier(postgres)), .postgres(snapshot: snapshot, database: database, serverStart: serverStart))
    }
}
