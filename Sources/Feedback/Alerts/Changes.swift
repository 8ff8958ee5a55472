import Foundation

/// Something that may have changed how a page reads: an annotation, or records of a page marked
/// resolved on one UTC day (which count as one annotation of that page at the first resolution).
public struct ChangeSubject: Sendable, Equatable {
    public enum Origin: String, Sendable { case annotation, resolution }
    public let origin: Origin
    /// Stable across evaluations: `a:ID` for annotations, `r:PAGE:YYYY-MM-DD` for resolutions.
    public let key: String
    public let annotationID: Int64?
    public let feedbackIDs: [Int64]
    public let at: Int64
    public let page: String?
    public let pagePrefix: String?
    public let note: String
    public let url: String?

    func overlaps(_ other: ChangeSubject) -> Bool {
        Annotations.overlap(page, pagePrefix, other.page, other.pagePrefix)
    }
}

public struct VoteTally: Sendable, Equatable {
    public var up = 0
    public var total = 0
    public var ratio: Double? { total > 0 ? Double(up) / Double(total) : nil }
}

/// Helpfulness before and after one change, over equal windows, with the verdict.
public struct Change: Sendable {
    public let subject: ChangeSubject
    /// Length of each window, milliseconds: the configured window cut short by neighbouring changes.
    public let window: Int64
    public let before: VoteTally
    public let after: VoteTally
    public let comparison: FixVerification.Comparison?
    public let verdict: FixVerification.Verdict
    /// When the after-window ends; the verdict is final from then on.
    public let completesAt: Int64
    public let complete: Bool
}

public enum Changes {
    public struct Options: Sendable {
        public var window: Int64 = 14 * 86_400_000
        public var minVotes = 20
        public init() {}
    }

    /// Annotations and resolutions, oldest first.
    public static func subjects(until: Int64, connection: any SQLSession) throws -> [ChangeSubject] {
        let annotations = try Annotations.all(until: until, connection: connection).map { a in
            ChangeSubject(origin: .annotation, key: "a:\(a.id)", annotationID: a.id, feedbackIDs: [], at: a.at, page: a.page,
                          pagePrefix: a.pagePrefix, note: a.note, url: a.url)
        }
        let resolutions = try connection.fetch(
            "SELECT page_key, resolved_at / 86400000, min(resolved_at), \(connection.dialect.commaList("feedback_id")) FROM feedback_resolutions WHERE resolved_at < ? GROUP BY 1, 2",
            [until]) { row in
                let page = row.string(0)
                let day = Timestamp.day(milliseconds: row.int64(1) * 86_400_000)
                let ids = row.string(3).split(separator: ",").compactMap { Int64($0) }.sorted()
                return ChangeSubject(origin: .resolution, key: "r:\(page):\(day)", annotationID: nil, feedbackIDs: ids, at: row.int64(2),
                                     page: page, pagePrefix: nil, note: "\(ids.count) feedback record\(ids.count == 1 ? "" : "s") marked resolved", url: nil)
            }
        return (annotations + resolutions).sorted { ($0.at, $0.key) < ($1.at, $1.key) }
    }

    /// Every change whose time is in `[since, until)` (all when nil), newest first.
    public static func evaluate(since: Int64?, until: Int64?, now: Int64, options: Options = Options(), connection: any SQLSession) throws -> [Change] {
        let all = try subjects(until: now, connection: connection)
        var changes: [Change] = []
        for (index, subject) in all.enumerated().reversed() {
            if let since, subject.at < since { continue }
            if let until, subject.at >= until { continue }
            var window = options.window
            // The nearest change on the same pages on either side ends the window, so each side sees one state of the page.
            if let next = all[(index + 1)...].first(where: { $0.at > subject.at && $0.overlaps(subject) }) { window = min(window, next.at - subject.at) }
            if let previous = all[..<index].last(where: { $0.at < subject.at && $0.overlaps(subject) }) { window = min(window, subject.at - previous.at) }
            let completesAt = subject.at + window
            let before = try tally(subject, from: subject.at - window, to: subject.at, connection: connection)
            let after = try tally(subject, from: subject.at, to: min(completesAt, now), connection: connection)
            let comparison = FixVerification.compare(beforeUp: before.up, beforeTotal: before.total, afterUp: after.up, afterTotal: after.total)
            changes.append(Change(subject: subject, window: window, before: before, after: after, comparison: comparison,
                                  verdict: FixVerification.verdict(comparison, beforeVotes: before.total, afterVotes: after.total, minVotes: options.minVotes),
                                  completesAt: completesAt, complete: now >= completesAt))
        }
        return changes
    }

    /// Votes (spam left out) on the subject's pages in `[from, to)`, from the rows themselves: windows
    /// start at any instant, finer than the daily rollups.
    static func tally(_ subject: ChangeSubject, from: Int64, to: Int64, connection: any SQLSession) throws -> VoteTally {
        guard from < to else { return VoteTally() }
        let upVotes = connection.dialect.count("rating = 'up'")
        let sql: String
        let values: [any DatabaseBindable]
        if let page = subject.page {
            // On SQLite through the rows by page the fold keeps (migrations/0009); PostgreSQL has its index.
            let (relation, condition) = connection.dialect == .sqlite
                ? (FeedbackFilter.pageRowsJoin, FeedbackFilter.pageCondition) : ("feedback", "page_key = ?")
            sql = "SELECT coalesce(\(upVotes), 0), count(*) FROM \(relation) WHERE \(condition) AND received_at >= ? AND received_at < ? AND status <> 'spam'"
            values = [page, from, to]
        } else {
            let prefix = subject.pagePrefix ?? ""
            let (relation, condition) = connection.dialect == .sqlite
                ? (FeedbackFilter.pageRowsJoin, FeedbackFilter.prefixCondition) : ("feedback", "page_key >= ? AND page_key < ?")
            sql = "SELECT coalesce(\(upVotes), 0), count(*) FROM \(relation) WHERE \(condition) AND received_at >= ? AND received_at < ? AND status <> 'spam'"
            values = [prefix, prefix + "\u{10FFFF}", from, to]
        }
        return try connection.fetchFirst(sql, values) { VoteTally(up: $0.int(0), total: $0.int(1)) } ?? VoteTally()
    }
}
