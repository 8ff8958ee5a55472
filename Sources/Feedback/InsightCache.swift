import SQLite
import Synchronization

/// Evaluations kept while the data they were computed from is unchanged. An evaluation reads 84 days
/// of every page and runs four scans per page (about 100 ms of CPU on the 1M-row bench database), and
/// its answer depends only on the filter, the options, the day evaluated and the data. The data is
/// recognised per connection by `Connection.dataVersion()`, which moves with every commit of any
/// other connection or process and every change of this one, so a kept answer is exactly what a new
/// evaluation would give: a vote acknowledged before the request (folded into the rollups before the
/// read, see `FeedbackStore.read`) changes the version and the evaluation runs again.
final class InsightCache: Sendable {
    struct Request: Hashable {
        let source: String?, pagePrefix: String?, page: String?, labels: [String]
        let recentDays: Int, baselineDays: Int, trendDays: Int, minVotes: Int, minComments: Int, minReasonVotes: Int, alpha: Double
        let asOfDay: Int

        init(_ filter: AggregateFilter, _ options: InsightOptions, asOfDay: Int) {
            (source, pagePrefix, page) = (filter.source, filter.pagePrefix, filter.page)
            labels = filter.labels.map { "\($0.key)=\($0.value)" }
            (recentDays, baselineDays, trendDays) = (options.recentDays, options.baselineDays, options.trendDays)
            (minVotes, minComments, minReasonVotes, alpha) = (options.minVotes, options.minComments, options.minReasonVotes, options.alpha)
            self.asOfDay = asOfDay
        }
    }

    /// What one connection saw at one data version, and the answers computed from it.
    private struct Snapshot {
        var commits: Int64, ownChanges: Int64
        var reports: [Request: InsightReport] = [:]
    }

    /// Bounds: answers per connection (distinct filters and days), and connections (tests open many).
    static let maxReports = 32, maxConnections = 16
    private let snapshots = Mutex<[UInt64: Snapshot]>([:])

    /// The kept answer for `request` on this connection's current data, or `compute`'s, which is then kept.
    /// Only SQLite connections can tell whether their data changed; other sessions always compute.
    func report(_ request: Request, connection session: any SQLSession, compute: () throws -> InsightReport) throws -> InsightReport {
        guard let connection = session as? Connection else { return try compute() }
        let version = try connection.dataVersion()
        let serial = connection.serial
        let kept = snapshots.withLock { snapshots -> InsightReport? in
            guard let s = snapshots[serial], s.commits == version.commits, s.ownChanges == version.ownChanges else { return nil }
            return s.reports[request]
        }
        if let kept { return kept }
        let report = try compute()
        // Kept under the version read before computing: a commit during the evaluation moves the version,
        // so the next request evaluates again rather than trusting an answer that may predate it.
        snapshots.withLock { snapshots in
            var s = snapshots[serial] ?? Snapshot(commits: version.commits, ownChanges: version.ownChanges)
            if s.commits != version.commits || s.ownChanges != version.ownChanges || s.reports.count >= Self.maxReports {
                s = Snapshot(commits: version.commits, ownChanges: version.ownChanges)
            }
            s.reports[request] = report
            if snapshots[serial] == nil && snapshots.count >= Self.maxConnections { snapshots.removeAll() }
            snapshots[serial] = s
        }
        return report
    }
}
