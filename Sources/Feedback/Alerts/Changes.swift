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

    /// Every change whose time is in `[since, until)` (all when nil), newest first; with `page` or
    /// `pagePrefix`, only the changes touching those pages (every change still cuts its neighbours' windows).
    public static func evaluate(since: Int64?, until: Int64?, now: Int64, options: Options = Options(), page: String? = nil, pagePrefix: String? = nil,
                                connection: any SQLSession) throws -> [Change] {
        let all = try subjects(until: now, connection: connection)
        let neighbours = ChangeNeighbours(all)
        var chosen: [(subject: ChangeSubject, window: Int64)] = []
        for (index, subject) in all.enumerated().reversed() {
            if let since, subject.at < since { continue }
            if let until, subject.at >= until { continue }
            if page != nil || pagePrefix != nil, !Annotations.overlap(subject.page, subject.pagePrefix, page, pagePrefix) { continue }
            var window = options.window
            if let next = neighbours.next(after: index) { window = min(window, next - subject.at) }
            if let previous = neighbours.previous(before: index) { window = min(window, subject.at - previous) }
            chosen.append((subject, window))
        }
        let windows = chosen.flatMap { subject, window in
            let scope = ChangeTallies.Scope(subject)
            return [ChangeTallies.Window(scope: scope, from: subject.at - window, to: subject.at),
                    ChangeTallies.Window(scope: scope, from: subject.at, to: min(subject.at + window, now))]
        }
        let tallies = try ChangeTallies(windows, connection: connection)
        return chosen.map { subject, window in
            let scope = ChangeTallies.Scope(subject)
            let completesAt = subject.at + window
            let before = tallies.tally(scope, from: subject.at - window, to: subject.at)
            let after = tallies.tally(scope, from: subject.at, to: min(completesAt, now))
            let comparison = FixVerification.compare(beforeUp: before.up, beforeTotal: before.total, afterUp: after.up, afterTotal: after.total)
            return Change(subject: subject, window: window, before: before, after: after, comparison: comparison,
                          verdict: FixVerification.verdict(comparison, beforeVotes: before.total, afterVotes: after.total, minVotes: options.minVotes),
                          completesAt: completesAt, complete: now >= completesAt)
        }
    }
}
