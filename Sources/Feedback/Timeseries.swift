import Foundation

public enum Bucket: String, Sendable, CaseIterable {
    case hour, day, week, month
}

/// One bucket of a time series.
public struct SeriesPoint: Sendable, Equatable {
    /// Start of the bucket, Unix milliseconds.
    public let start: Int64
    public var up = 0
    public var down = 0
    public var comments = 0
}

public enum Timeseries {
    public static let maxBuckets = 5000

    public enum Failure: Error, Equatable { case tooManyBuckets }

    /// Votes per bucket from `since` to `until`, empty buckets filled with zeros. Buckets follow
    /// calendar boundaries in `timeZone` (weeks start on Monday). Answered from hourly totals:
    /// the hourly rollup, for one page or prefix the pages' hourly rollup, or with labels or a source
    /// besides a page filter, the rows grouped by hour.
    public static func series(_ filter: AggregateFilter, since: Int64, until: Int64, bucket: Bucket, timeZone: TimeZone, connection: any SQLSession) throws -> [SeriesPoint] {
        let starts = try bucketStarts(since: since, until: until, bucket: bucket, timeZone: timeZone)
        var points = starts.map { SeriesPoint(start: $0) }
        guard !points.isEmpty else { return [] }
        let hourly = try hourlyTotals(filter, since: since, until: until, connection: connection)
        var index = 0
        for (hour, up, down, comments) in hourly {
            let instant = hour * Rollups.hourMilliseconds
            while index + 1 < starts.count && starts[index + 1] <= instant { index += 1 }
            guard instant >= starts[index] else { continue }
            points[index].up += up
            points[index].down += down
            points[index].comments += comments
        }
        return points
    }

    /// `points` (from `series`) regrouped into `bucket`s from `since` to `until`, leaving out points
    /// outside that window: the same as a new `series` when each point lies within one new bucket,
    /// such as UTC days into UTC weeks, without reading the rollup again.
    public static func regroup(_ points: [SeriesPoint], since: Int64, until: Int64, bucket: Bucket, timeZone: TimeZone) throws -> [SeriesPoint] {
        let starts = try bucketStarts(since: since, until: until, bucket: bucket, timeZone: timeZone)
        var regrouped = starts.map { SeriesPoint(start: $0) }
        guard !regrouped.isEmpty else { return [] }
        var index = 0
        for point in points where point.start >= since && point.start < until {
            while index + 1 < starts.count && starts[index + 1] <= point.start { index += 1 }
            guard point.start >= starts[index] else { continue }
            regrouped[index].up += point.up
            regrouped[index].down += point.down
            regrouped[index].comments += point.comments
        }
        return regrouped
    }

    static func bucketStarts(since: Int64, until: Int64, bucket: Bucket, timeZone: TimeZone) throws(Failure) -> [Int64] {
        if bucket == .hour {
            // Hours are the same instants in every zone with whole-hour offsets.
            let first = AggregateFilter.floorDiv(since, Rollups.hourMilliseconds)
            let last = AggregateFilter.floorDiv(until - 1, Rollups.hourMilliseconds)
            guard last - first < Int64(maxBuckets) else { throw .tooManyBuckets }
            return first <= last ? (first...last).map { $0 * Rollups.hourMilliseconds } : []
        }
        var calendar = Calendar(identifier: .iso8601)
        calendar.timeZone = timeZone
        let unit: Calendar.Component = bucket == .day ? .day : bucket == .week ? .weekOfYear : .month
        let end = Date(timeIntervalSince1970: Double(until) / 1000)
        guard var current = calendar.dateInterval(of: unit, for: Date(timeIntervalSince1970: Double(since) / 1000))?.start else { return [] }
        var starts: [Int64] = []
        while current < end {
            starts.append(Int64((current.timeIntervalSince1970 * 1000).rounded()))
            guard starts.count <= maxBuckets else { throw .tooManyBuckets }
            guard let next = calendar.date(byAdding: unit, value: 1, to: current) else { break }
            current = next
        }
        return starts
    }

    private static func hourlyTotals(_ filter: AggregateFilter, since: Int64, until: Int64, connection: any SQLSession) throws -> [(Int64, Int, Int, Int)] {
        let firstHour = AggregateFilter.floorDiv(since, Rollups.hourMilliseconds)
        let endHour = AggregateFilter.floorDiv(until - 1, Rollups.hourMilliseconds) + 1
        let everyPage = try filter.pagePrefix.map { try coversEveryPage($0, connection: connection) } ?? true
        if filter.page == nil && everyPage && filter.labels.isEmpty {
            var sql = "SELECT hour, sum(up), sum(down), sum(comments) FROM rollup_hourly WHERE hour >= ? AND hour < ?"
            var values: [DatabaseValue] = [.integer(firstHour), .integer(endHour)]
            if let source = filter.source { sql += " AND source = ?"; values.append(.text(source)) }
            return try connection.fetch(sql + " GROUP BY hour ORDER BY hour", values, reuse: false) { ($0.int64(0), $0.int(1), $0.int(2), $0.int(3)) }
        }
        if filter.labels.isEmpty && filter.source == nil, let scope = pageScope(filter) {
            return try pageHourlyTotals(scope, firstHour: firstHour, endHour: endHour, connection: connection)
        }
        var rows = FeedbackFilter()
        rows.page = filter.page
        rows.pagePrefix = filter.pagePrefix
        rows.source = filter.source
        rows.labels = filter.labels
        rows.since = firstHour * Rollups.hourMilliseconds
        rows.until = endHour * Rollups.hourMilliseconds
        let (clause, values) = try rows.clause(dialect: connection.dialect)
        let dialect = connection.dialect
        return try connection.fetch("""
            SELECT received_at / 3600000, \(dialect.count("rating = 'up'")), \(dialect.count("rating = 'down'")), \(dialect.count("comment IS NOT NULL"))
            FROM \(rows.relation(dialect: dialect).from) WHERE status <> 'spam' AND \(clause) GROUP BY 1 ORDER BY 1
            """, values, reuse: false) { ($0.int64(0), $0.int(1), $0.int(2), $0.int(3)) }
    }

    /// Whether every page seen starts with `prefix` (a docs site's own host, say): its hours are then
    /// the small hourly rollup's, not a sum over every page's hours (0.3–0.4 s for 90 days on a
    /// million rows). Pages of rows not yet folded are not in `pages`, but reads fold first.
    private static func coversEveryPage(_ prefix: String, connection: any SQLSession) throws -> Bool {
        try connection.fetchFirst("SELECT 1 FROM pages WHERE page_key < ? OR page_key >= ? LIMIT 1",
                                  [prefix, prefix + "\u{10FFFF}"]) { $0.int(0) } == nil
    }

    /// The page or the prefix a filter names, when it names exactly one of them.
    private static func pageScope(_ filter: AggregateFilter) -> (page: String?, prefix: String?)? {
        switch (filter.page, filter.pagePrefix) {
        case (let page?, nil): (page, nil)
        case (nil, let prefix?): (nil, prefix)
        default: nil
        }
    }

    /// One page's or one prefix's hours from `rollup_page_hourly` (migrations/0011): its rows would be
    /// every row of the page, there being no index by page and time.
    private static func pageHourlyTotals(_ scope: (page: String?, prefix: String?), firstHour: Int64, endHour: Int64,
                                         connection: any SQLSession) throws -> [(Int64, Int, Int, Int)] {
        if let page = scope.page {
            return try connection.fetch("""
                SELECT hour, up, down, comments FROM rollup_page_hourly
                WHERE page_id = (SELECT id FROM pages WHERE page_key = ?) AND hour >= ? AND hour < ? ORDER BY hour
                """, [page, firstHour, endHour]) { ($0.int64(0), $0.int(1), $0.int(2), $0.int(3)) }
        }
        let prefix = scope.prefix ?? ""
        return try connection.fetch("""
            SELECT h.hour, sum(h.up), sum(h.down), sum(h.comments) FROM rollup_page_hourly h JOIN pages p ON p.id = h.page_id
            WHERE p.page_key >= ? AND p.page_key < ? AND h.hour >= ? AND h.hour < ? GROUP BY h.hour ORDER BY h.hour
            """, [prefix, prefix + "\u{10FFFF}", firstHour, endHour]) { ($0.int64(0), $0.int(1), $0.int(2), $0.int(3)) }
    }
}
