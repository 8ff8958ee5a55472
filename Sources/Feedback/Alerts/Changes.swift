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

    /// Annotations and resolutions before `until`, oldest first. `from` and `page`/`pagePrefix` leave
    /// out resolutions that can neither be chosen by them nor cut the window of one that is: callers
    /// pass the start of what they choose less one window. A resolution change is one page's UTC day,
    /// so whole days are kept.
    public static func subjects(until: Int64, from: Int64? = nil, page: String? = nil, pagePrefix: String? = nil,
                                connection: any SQLSession) throws -> [ChangeSubject] {
        let annotations = try Annotations.all(until: until, connection: connection).map { a in
            ChangeSubject(origin: .annotation, key: "a:\(a.id)", annotationID: a.id, feedbackIDs: [], at: a.at, page: a.page,
                          pagePrefix: a.pagePrefix, note: a.note, url: a.url)
        }
        var conditions = ["resolved_at < ?"]
        var values: [any DatabaseBindable] = [until]
        if let from {
            conditions.append("resolved_at >= ?")
            values.append(AggregateFilter.floorDiv(from, 86_400_000) * 86_400_000)
        }
        switch relevantPages(page: page, pagePrefix: pagePrefix, annotations: annotations) {
        case .page(let key)?:
            conditions.append("page_key = ?")
            values.append(key)
        case .prefix(let prefix)?:
            conditions.append("page_key >= ? AND page_key < ?")
            values += [prefix, prefix + "\u{10FFFF}"]
        case nil: break
        }
        let resolutions = try connection.fetch("""
            SELECT page_key, resolved_at / 86400000, min(resolved_at), \(connection.dialect.commaList("feedback_id")) FROM feedback_resolutions
            WHERE \(conditions.joined(separator: " AND ")) GROUP BY 1, 2
            """, values, reuse: false) { row in
                let page = row.string(0)
                let day = Timestamp.day(milliseconds: row.int64(1) * 86_400_000)
                let ids = row.string(3).split(separator: ",").compactMap { Int64($0) }.sorted()
                return ChangeSubject(origin: .resolution, key: "r:\(page):\(day)", annotationID: nil, feedbackIDs: ids, at: row.int64(2),
                                     page: page, pagePrefix: nil, note: "\(ids.count) feedback record\(ids.count == 1 ? "" : "s") marked resolved", url: nil)
            }
        return (annotations + resolutions).sorted { ($0.at, $0.key) < ($1.at, $1.key) }
    }

    /// The pages whose resolutions matter to changes touching `page` or `pagePrefix`: those, or the
    /// pages under the broadest annotated prefix that holds them (its changes are cut by every page's).
    private static func relevantPages(page: String?, pagePrefix: String?, annotations: [ChangeSubject]) -> ChangeTallies.Scope? {
        guard page != nil || pagePrefix != nil else { return nil }
        let holding = annotations.compactMap(\.pagePrefix).filter { prefix in
            if let page { return page.hasPrefix(prefix) }
            return pagePrefix?.hasPrefix(prefix) ?? false
        }
        if let broadest = holding.min(by: { $0.utf8.count < $1.utf8.count }) { return .prefix(broadest) }
        return page.map(ChangeTallies.Scope.page) ?? pagePrefix.map(ChangeTallies.Scope.prefix)
    }

    /// Every change whose time is in `[since, until)` (all when nil), newest first; with `page` or
    /// `pagePrefix`, only the changes touching those pages (every change still cuts its neighbours' windows).
    public static func evaluate(since: Int64?, until: Int64?, now: Int64, options: Options = Options(), page: String? = nil, pagePrefix: String? = nil,
                                connection: any SQLSession) throws -> [Change] {
        let all = try subjects(until: now, from: since.map { $0 - options.window }, page: page, pagePrefix: pagePrefix, connection: connection)
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
        let scopes = chosen.map { ChangeTallies.Scope($0.subject) }
        let windows = zip(chosen, scopes).flatMap { choice, scope in
            let (subject, window) = choice
            return [ChangeTallies.Window(scope: scope, from: subject.at - window, to: subject.at),
                    ChangeTallies.Window(scope: scope, from: subject.at, to: min(subject.at + window, now))]
        }
        let tallies = try ChangeTallies(windows, connection: connection)
        return zip(chosen, scopes).map { choice, scope in
            let (subject, window) = choice
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
