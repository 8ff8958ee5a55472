import Foundation

/// What the weekly digest reports, gathered on a read connection.
public struct WeeklyDigest: Sendable {
    public struct PageLine: Sendable, Equatable {
        public let page: String
        public let tally: VoteTally
    }

    public struct Comment: Sendable, Equatable {
        public let page: String
        public let reason: String?
        /// Masked: email addresses, phone and card numbers replaced, whatever the record's flag says.
        public let text: String
    }

    public let weekStart: Int64
    public let weekEnd: Int64
    public let week: VoteTally
    public let previousWeek: VoteTally
    public let worstPages: [PageLine]
    public let newFindings: [Episode]
    public let openFindings: [Episode]
    public let fixes: [Change]
    public let comments: [Comment]
}

public enum Digests {
    public static let worstPageCount = 5
    public static let commentCount = 3
    /// Pages with fewer votes in the week are left out of the worst pages: a 0-of-2 page says little.
    public static let minPageVotes = 5

    /// The digest of the week `[end − 7 days, end)`.
    public static func build(weekEnding end: Int64, now: Int64, changeOptions: Changes.Options = Changes.Options(), connection: any SQLSession) throws -> WeeklyDigest {
        let week: Int64 = 7 * 86_400_000
        let start = end - week
        let pages = try connection.fetch("""
            SELECT page_key, \(connection.dialect.count("rating = 'up'")), count(*) FROM feedback
            WHERE received_at >= ? AND received_at < ? AND status <> 'spam' GROUP BY page_key HAVING count(*) >= ?
            """, [start, end, minPageVotes]) { WeeklyDigest.PageLine(page: $0.string(0), tally: VoteTally(up: $0.int(1), total: $0.int(2))) }
        let worst = pages.sorted {
            let a = FixVerification.wilson(successes: $0.tally.up, trials: $0.tally.total).upper
            let b = FixVerification.wilson(successes: $1.tally.up, trials: $1.tally.total).upper
            return (a, -$0.tally.total, $0.page) < (b, -$1.tally.total, $1.page)
        }.prefix(worstPageCount)
        // A change completes at most one window after it happened: older ones cannot complete this week.
        let fixes = try Changes.evaluate(since: start - changeOptions.window, until: end, now: now, options: changeOptions, connection: connection)
            .filter { $0.complete && $0.completesAt >= start && $0.completesAt < end }
        return WeeklyDigest(weekStart: start, weekEnd: end, week: try total(from: start, to: end, connection: connection),
                            previousWeek: try total(from: start - week, to: start, connection: connection), worstPages: Array(worst),
                            newFindings: try Episodes.opened(since: start, until: end, connection: connection),
                            openFindings: try Episodes.openEpisodes(connection: connection), fixes: fixes,
                            comments: try comments(from: start, to: end, preferring: worst.map(\.page), connection: connection))
    }

    static func total(from: Int64, to: Int64, connection: any SQLSession) throws -> VoteTally {
        try connection.fetchFirst("SELECT coalesce(\(connection.dialect.count("rating = 'up'")), 0), count(*) FROM feedback WHERE received_at >= ? AND received_at < ? AND status <> 'spam'",
                                  [from, to]) { VoteTally(up: $0.int(0), total: $0.int(1)) } ?? VoteTally()
    }

    /// The latest negative comment of each worst page, then the latest others, one per page.
    static func comments(from: Int64, to: Int64, preferring pages: [String], connection: any SQLSession) throws -> [WeeklyDigest.Comment] {
        let recent = try connection.fetch("""
            SELECT page_key, reason, comment FROM feedback
            WHERE received_at >= ? AND received_at < ? AND rating = 'down' AND comment IS NOT NULL AND status <> 'spam'
            ORDER BY received_at DESC LIMIT 500
            """, [from, to]) { WeeklyDigest.Comment(page: $0.string(0), reason: $0.optionalString(1), text: PersonalData.mask($0.string(2))) }
        var chosen: [WeeklyDigest.Comment] = []
        for page in pages { if let c = recent.first(where: { $0.page == page }) { chosen.append(c) } }
        for c in recent where !chosen.contains(where: { $0.page == c.page }) { chosen.append(c) }
        return Array(chosen.prefix(commentCount))
    }

    /// Whether the digest scheduled at `scheduledAt` was sent; records it (call in the transaction that queues it).
    public static func markSent(scheduledAt: Int64, now: Int64, connection: any SQLSession) throws -> Bool {
        try connection.perform(connection.dialect.ignoringConflicts("INSERT INTO digest_runs(scheduled_at, sent_at) VALUES (?, ?)"), [scheduledAt, now])
        return connection.changes > 0
    }

    /// Whether the digest scheduled at `scheduledAt` was already sent.
    public static func wasSent(scheduledAt: Int64, connection: any SQLSession) throws -> Bool {
        try connection.fetchFirst("SELECT 1 FROM digest_runs WHERE scheduled_at = ?", [scheduledAt]) { $0.int(0) } != nil
    }

    /// Keys of the changes whose fix verdict was announced.
    public static func reportedFixes(connection: any SQLSession) throws -> Set<String> {
        Set(try connection.fetch("SELECT change_key FROM fix_reports") { $0.string(0) })
    }

    /// Records a fix verdict as announced; false when it already was.
    public static func markFixReported(_ change: Change, now: Int64, connection: any SQLSession) throws -> Bool {
        try connection.perform(connection.dialect.ignoringConflicts("INSERT INTO fix_reports(change_key, verdict, reported_at) VALUES (?, ?, ?)"),
                               [change.subject.key, change.verdict.rawValue, now])
        return connection.changes > 0
    }
}
