import Feedback

/// One page's numbers over a period, read so that a page with a large share of all votes stays fast:
/// the series from the daily page rollup (one small range read per bucket, never the page's rows),
/// the reasons from at most its latest `reasonSample` votes (no rollup keeps reasons per page).
enum PageSeries {
    static let reasonSample = 2000

    /// One bucket of the page's series.
    struct Point {
        let start: Int64
        var up = 0
        var down = 0
        var comments = 0
    }

    /// Votes per day, or per 7 days from the period's start, for one page.
    static func points(page: String, period: Period, _ db: FeedbackReader) throws -> [Point] {
        let step = period.bucket == .week ? 7 * Period.day : Period.day
        var points: [Point] = []
        var start = period.since
        while start < period.until {
            var filter = AggregateFilter()
            filter.page = page
            filter.since = start
            filter.until = min(period.until, start + step) - 1
            let counts = try db.pages(filter, sectionDepth: nil).first?.1 ?? VoteCounts()
            var point = Point(start: start)
            point.up = counts.up
            point.down = counts.down
            point.comments = counts.comments
            points.append(point)
            start += step
        }
        return points
    }

    /// Votes per reason among the page's latest votes in the period; true when the sample was cut.
    static func reasons(page: String, period: Period, now: Int64, _ db: FeedbackReader) throws -> (groups: [(String, VoteCounts)], sampled: Bool) {
        var filter = FeedbackFilter()
        filter.page = page
        filter.since = period.since
        // As on the overview: an upper bound in the future would only make SQLite sort the window.
        filter.until = period.until > now ? nil : period.until
        let listing = try db.feedback(filter, limit: reasonSample, after: nil)
        var groups: [String: VoteCounts] = [:]
        for record in listing.items where record.status != TriageStatus.spam.rawValue {
            guard let reason = record.reason else { continue }
            if record.rating == "up" { groups[reason, default: VoteCounts()].up += 1 } else { groups[reason, default: VoteCounts()].down += 1 }
            if record.comment != nil { groups[reason, default: VoteCounts()].comments += 1 }
        }
        let sorted = groups.sorted { ($1.value.votes, $0.key) < ($0.value.votes, $1.key) }.map { ($0.key, $0.value) }
        return (sorted, listing.nextCursor != nil)
    }
}
